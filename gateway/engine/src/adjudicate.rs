//! The offline supplier-side run (`chargegate adjudicate`): a claim, a contract book, settings
//! and `today` give each line's status, reason, AAA03/AAA04, calculated and approved amount and
//! warnings (the JSON of §13.12), and the 849 built from them (§7.7, §13.1, §13.2).
//!
//! The run is unattended: Amount Disputed lines follow `unattended_amount_disputes` (§13.1).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::{
    Action, Claim, ClaimResponse, ClaimResponseLine, FollowUp, LineStatus as ResponseStatus, Party,
    Source,
};
use serde::{Deserialize, Serialize};

use crate::batch::LineStatus;
use crate::caps::CapLedger;
use crate::contracts::ContractBook;
use crate::duplicates::{LineHistory, TracedSales};
use crate::identity::PartyKey;
use crate::reasons::{ReasonCode, Warning};
use crate::rules::{BatchContext, Pipeline, Validation};
use crate::sale::SaleLine;
use crate::settings::{EngineSettings, Role, UnattendedAmountDisputes};

mod held;
pub use held::{AdjudicatedBatch, batch_answer};

/// Status of a line after validation, as `adjudicate --json` prints it (§13.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjudicatedStatus {
    /// Passed every step.
    Accepted,
    /// Failed V0 or V2–V6.
    EligibilityDisputed,
    /// Failed V7–V10.
    AmountDisputed,
    /// Failed V1.
    Duplicate,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjudicatedLine {
    /// PAD01.
    pub line: String,
    /// Status after validation.
    pub status: AdjudicatedStatus,
    /// The primary rule code, e.g. `CONTRACT_PRICE_MISMATCH`.
    pub reason: Option<ReasonCode>,
    /// AAA03.
    pub x12_code: Option<String>,
    /// AAA04 code (`N`, `C`, ...).
    pub follow_up: Option<String>,
    /// Calculated amount, when prices resolved.
    pub calculated_amount: Option<Decimal>,
    /// Approved amount.
    pub approved_amount: Decimal,
    /// Warnings.
    pub warnings: Vec<Warning>,
}

/// The report of §13.12: one object per claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjudication {
    /// The debit memo adjudicated.
    pub debit_memo: String,
    /// Σ claimed.
    pub total_claimed: Decimal,
    /// Σ approved.
    pub total_approved: Decimal,
    /// One entry per claim line, in claim order.
    pub lines: Vec<AdjudicatedLine>,
    /// The claim's summary total (844 summary `AMT*CC`) when it is not the sum of its lines
    /// (x12-chargeback 5, checks on receipt). The lines are adjudicated on their own amounts
    /// and [`Self::total_claimed`] is their sum; this says the claim disagrees with itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_total: Option<Decimal>,
}

/// A run: the report plus what the 849 needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjudicationRun {
    /// The §13.12 report.
    pub report: Adjudication,
    /// The full validation of each line.
    pub validations: Vec<Validation>,
    /// `unattended_amount_disputes = hold` left Amount Disputed lines: no 849.
    pub held: bool,
}

/// Where and when the 849 is issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHeader {
    /// Provenance of the outbound document.
    pub source: Source,
    /// BRC02.
    pub date: NaiveDate,
    /// `REF*CM` credit memo.
    pub credit_memo: Option<String>,
}

/// Adjudicates a claim with no history and no caps (the offline command).
pub fn adjudicate(
    claim: &Claim,
    book: &ContractBook,
    settings: &EngineSettings,
    today: NaiveDate,
) -> AdjudicationRun {
    adjudicate_with(
        claim,
        &claim.debit_memo,
        book,
        settings,
        today,
        &LineHistory::new(),
        None,
        None,
    )
}

/// Adjudicates a claim against earlier lines and a cap ledger, as the lines of `batch` (the
/// id its lines are stored under: cap reservations and the duplicate check refer to it).
#[allow(clippy::too_many_arguments)]
pub fn adjudicate_with(
    claim: &Claim,
    batch: &str,
    book: &ContractBook,
    settings: &EngineSettings,
    today: NaiveDate,
    history: &LineHistory,
    caps: Option<&mut CapLedger>,
    traced: Option<&TracedSales>,
) -> AdjudicationRun {
    let ctx = BatchContext {
        batch: batch.to_owned(),
        role: Role::Adjudicator,
        distributor: PartyKey::of(&claim.distributor),
        supplier: PartyKey::of(&claim.supplier),
        claim_date: claim.date,
    };
    let lines: Vec<SaleLine> = claim.lines.iter().map(SaleLine::from).collect();
    let mut caps = caps;
    // §13.1 `pay_calculated` pays an Amount Disputed line at once: it takes its cap as an
    // accepted line does (§5.1), in line order, so the lines after it see what it takes.
    let paid_at_once = |v: &Validation, line: &SaleLine| {
        if settings.unattended_amount_disputes != UnattendedAmountDisputes::PayCalculated
            || v.status != LineStatus::AmountDisputed
        {
            return None;
        }
        unattended_payment(v, line, settings)
    };
    let mut pipeline = Pipeline::new(book, settings, &ctx, today, history, caps.as_deref_mut());
    if let Some(traced) = traced {
        pipeline.with_traced_sales(traced);
    }
    pipeline.preload_sales(&lines);
    let mut validations: Vec<Validation> = Vec::with_capacity(lines.len());
    for line in &lines {
        let v = pipeline.validate(line);
        if let Some(paid) = paid_at_once(&v, line) {
            pipeline.reserve_caps(line, &v, (paid.contract_quantity, paid.amount));
        }
        validations.push(v);
    }
    for position in pipeline.finish().failed {
        let (Some(v), Some(line)) = (validations.get_mut(position), lines.get(position)) else {
            continue;
        };
        v.fail_header_tolerance();
        // Its reservation was given back with the header tolerance; paid now at the
        // calculated amount, it takes that.
        if let (Some(paid), Some(caps)) = (paid_at_once(v, line), caps.as_deref_mut())
            && !v.caps.is_empty()
        {
            let line_ref = crate::sale::LineRef {
                batch: batch.to_owned(),
                line: line.line.clone(),
            };
            caps.reserve(
                &v.caps,
                &line_ref,
                paid.contract_quantity,
                paid.amount,
                today,
            );
        }
    }
    let zero = Decimal::new(0, settings.amount_scale);
    let mut held = false;
    let mut report_lines = Vec::with_capacity(lines.len());
    for ((claim_line, v), line) in claim.lines.iter().zip(&validations).zip(&lines) {
        let status = match v.status {
            LineStatus::EligibilityDisputed => AdjudicatedStatus::EligibilityDisputed,
            LineStatus::AmountDisputed => AdjudicatedStatus::AmountDisputed,
            LineStatus::Duplicate => AdjudicatedStatus::Duplicate,
            _ => AdjudicatedStatus::Accepted,
        };
        let mut approved = match status {
            AdjudicatedStatus::Accepted => v.accepted_amount.unwrap_or(claim_line.claimed_amount),
            AdjudicatedStatus::AmountDisputed => match settings.unattended_amount_disputes {
                UnattendedAmountDisputes::PayCalculated => {
                    unattended_payment(v, line, settings).map_or(zero, |p| p.amount)
                }
                UnattendedAmountDisputes::Reject => zero,
                UnattendedAmountDisputes::Hold => {
                    held = true;
                    zero
                }
            },
            AdjudicatedStatus::EligibilityDisputed | AdjudicatedStatus::Duplicate => zero,
        };
        if approved.is_zero() {
            approved = zero;
        }
        let (x12_code, follow_up) = match v.primary {
            Some(reason) => {
                let (aaa03, mut aaa04) = settings.x12_reason(reason);
                if status == AdjudicatedStatus::AmountDisputed
                    && settings.unattended_amount_disputes
                        == UnattendedAmountDisputes::PayCalculated
                    && !approved.is_zero()
                {
                    aaa04 = FollowUp::NoResubmission;
                }
                (Some(aaa03), Some(aaa04.code().to_owned()))
            }
            None => (None, None),
        };
        report_lines.push(AdjudicatedLine {
            line: claim_line.line.clone(),
            status,
            reason: v.primary,
            x12_code,
            follow_up,
            calculated_amount: v.calculated_amount,
            approved_amount: approved,
            warnings: v.warnings.clone(),
        });
    }
    let total_claimed: Decimal = claim.lines.iter().map(|l| l.claimed_amount).sum();
    let total_approved = report_lines.iter().map(|l| l.approved_amount).sum();
    AdjudicationRun {
        report: Adjudication {
            debit_memo: claim.debit_memo.clone(),
            total_claimed,
            total_approved,
            lines: report_lines,
            stated_total: (claim.total_claimed != total_claimed).then_some(claim.total_claimed),
        },
        validations,
        held,
    }
}

/// What §13.1 `pay_calculated` pays on an Amount Disputed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Payment {
    /// Quantity paid, in contract units (what the cap ledger counts).
    contract_quantity: Decimal,
    /// Amount paid, never zero.
    amount: Decimal,
}

/// §13.1 `pay_calculated` and §13.3: the lower of claimed and calculated for price and amount
/// failures; nothing for a disallowed debit; for a cap the line does not fit, nothing, or with
/// `auto_partial_approve` the amount of the remaining quantity (§5.1), never more than claimed.
/// A cap failure counts whichever failure came first: a line failing V8 whose cap cannot take
/// it is paid as a capped line, so the cap never goes below zero. `None` when it pays nothing.
fn unattended_payment(
    v: &Validation,
    line: &SaleLine,
    settings: &EngineSettings,
) -> Option<Payment> {
    let claimed = line.claimed_amount.unwrap_or_default();
    let payment = match (v.primary, v.cap_failure()) {
        (None | Some(ReasonCode::DebitNotSupported), _) => return None,
        (_, Some(ReasonCode::CapExceeded)) if settings.auto_partial_approve => Payment {
            contract_quantity: v.cap_remaining?,
            amount: partial_amount(v)?.min(claimed),
        },
        (_, Some(_)) => return None,
        (Some(_), None) => Payment {
            contract_quantity: v.contract_quantity.unwrap_or(line.quantity),
            amount: v.calculated_amount?.min(claimed),
        },
    };
    (!payment.amount.is_zero()).then_some(payment)
}

/// The quantity (sale units) of the remaining cap quantity a `CAP_EXCEEDED` line is paid for
/// with `auto_partial_approve` (§5.1): the remaining contract units back in sale units.
fn partial_quantity(v: &Validation) -> Option<Decimal> {
    let pricing = v.pricing.as_ref()?;
    let remaining = v.cap_remaining?;
    let inverse = crate::amounts::UomFactor {
        num: pricing.factor.den,
        den: pricing.factor.num,
    };
    inverse.to_contract_units(remaining).ok()
}

/// Amount of the remaining cap quantity, priced from the snapshot.
fn partial_amount(v: &Validation) -> Option<Decimal> {
    let pricing = v.pricing.as_ref()?;
    pricing.amount(partial_quantity(v)?).ok()
}

/// The header key of a claim (§5.2): (distributor, supplier, debit memo).
pub fn header_key(claim: &Claim) -> (String, String, String) {
    (
        PartyKey::of(&claim.distributor).id,
        PartyKey::of(&claim.supplier).id,
        crate::identity::normalize_contract_number(&claim.debit_memo),
    )
}

/// Whether a known header key refuses the claim whole: yes unless it replaces (BAA01 05) or
/// resubmits (15) the original (§5.2).
pub fn refuses_known_header(claim: &Claim) -> bool {
    !matches!(
        claim.action,
        schemas::Action::Replace | schemas::Action::Resubmission
    )
}

/// The header-level 849 refusing a duplicate claim: AAA03 11, follow-up N, nothing approved.
pub fn duplicate_claim_response(
    claim: &Claim,
    header: ResponseHeader,
    settings: &EngineSettings,
) -> ClaimResponse {
    ClaimResponse {
        source: header.source,
        action: Action::Original,
        debit_memo: claim.debit_memo.clone(),
        credit_memo: None,
        date: header.date,
        supplier: Some(echo_party(&claim.supplier)),
        distributor: Some(echo_party(&claim.distributor)),
        reason_code: Some("11".to_owned()),
        follow_up: Some(FollowUp::NoResubmission),
        more_reasons: Vec::new(),
        lines: vec![],
        contracts: Vec::new(),
        total_claimed: claim.lines.iter().map(|l| l.claimed_amount).sum(),
        total_approved: Decimal::new(0, settings.amount_scale),
        line_count: Some(0),
    }
}

/// An empty answer; `response` only returns `None` for a held run, which `interim_response`
/// never builds.
fn unreachable_response(claim: &Claim) -> ClaimResponse {
    ClaimResponse {
        source: schemas::Source {
            file: String::new(),
            interchange: Default::default(),
            group: Default::default(),
            set: Default::default(),
            partner: None,
        },
        action: Action::Original,
        debit_memo: claim.debit_memo.clone(),
        credit_memo: None,
        date: claim.date,
        supplier: None,
        distributor: None,
        reason_code: None,
        follow_up: None,
        more_reasons: Vec::new(),
        lines: vec![],
        contracts: Vec::new(),
        total_claimed: Decimal::ZERO,
        total_approved: Decimal::ZERO,
        line_count: None,
    }
}

fn echo_party(party: &Party) -> Party {
    Party {
        qualifier: party.qualifier.clone(),
        id: party.id.clone(),
        name: party.name.clone(),
        additional_names: vec![],
        kind: party.kind,
        address: None,
        refs: vec![],
    }
}

impl AdjudicationRun {
    /// The interim 849 of an Immediate Claim batch at Awaiting Review (`interim_849`, §7.7):
    /// accepted lines answered, disputed lines on hold (AAA04 Y, nothing approved yet).
    pub fn interim_response(
        &self,
        claim: &Claim,
        header: ResponseHeader,
        settings: &EngineSettings,
    ) -> ClaimResponse {
        let held = Self {
            report: Adjudication {
                lines: self
                    .report
                    .lines
                    .iter()
                    .map(|l| {
                        let mut l = l.clone();
                        if l.status != AdjudicatedStatus::Accepted {
                            l.approved_amount = Decimal::new(0, settings.amount_scale);
                            l.follow_up = Some(FollowUp::DoNotResubmitHeld.code().to_owned());
                        }
                        l
                    })
                    .collect(),
                ..self.report.clone()
            },
            validations: self.validations.clone(),
            held: false,
        };
        let mut response = match held.response(claim, header, settings) {
            Some(r) => r,
            None => unreachable_response(claim),
        };
        response.total_approved = held.report.lines.iter().map(|l| l.approved_amount).sum();
        response
    }

    /// The 849 answering every line (§7.7); `None` when the run is held (§13.1 `hold`).
    pub fn response(
        &self,
        claim: &Claim,
        header: ResponseHeader,
        settings: &EngineSettings,
    ) -> Option<ClaimResponse> {
        if self.held {
            return None;
        }
        let mut lines = Vec::with_capacity(claim.lines.len());
        for ((claim_line, outcome), v) in claim
            .lines
            .iter()
            .zip(&self.report.lines)
            .zip(&self.validations)
        {
            let approved = outcome.approved_amount;
            // A line with no reason code passed; one rejected by a reviewer with no rule
            // failing (L11) has a code and no rule reason.
            let status = if outcome.reason.is_none() && outcome.x12_code.is_none() {
                ResponseStatus::Accepted
            } else if approved.is_zero() {
                ResponseStatus::Rejected
            } else if approved == claim_line.claimed_amount {
                ResponseStatus::Accepted
            } else {
                ResponseStatus::Adjusted
            };
            let corrected_price = match (status, &v.pricing) {
                (ResponseStatus::Adjusted, Some(pricing)) => {
                    let scale = crate::amounts::price_places(
                        claim_line.contract_price,
                        settings.amount_scale,
                    );
                    let price = pricing
                        .contract_price_per_sale_unit()
                        .round_dp_with_strategy(scale, settings.rounding_strategy.to_decimal());
                    (price != claim_line.contract_price).then_some(price)
                }
                _ => None,
            };
            let follow_up = outcome.follow_up.as_deref().and_then(FollowUp::from_code);
            lines.push(ClaimResponseLine {
                line: claim_line.line.clone(),
                contract_id: Some(claim_line.contract_id.clone()),
                end_customer: Some(echo_party(&claim_line.end_customer)),
                item: claim_line.item.clone(),
                invoice: claim_line.invoice.clone(),
                invoice_date: claim_line.invoice_date,
                ship_date: claim_line.ship_date,
                status,
                reason_code: outcome.x12_code.clone(),
                follow_up,
                more_reasons: Vec::new(),
                quantity: Some(claim_line.quantity),
                approved_quantity: v.cap_remaining,
                uom: Some(claim_line.uom.clone()),
                wac: claim_line.wac,
                submitted_contract_price: corrected_price.map(|_| claim_line.contract_price),
                approved_contract_price: Some(corrected_price.unwrap_or(claim_line.contract_price)),
                claimed_amount: claim_line.claimed_amount,
                approved_amount: approved,
            });
        }
        Some(ClaimResponse {
            source: header.source,
            action: Action::Original,
            debit_memo: claim.debit_memo.clone(),
            credit_memo: header.credit_memo,
            date: header.date,
            supplier: Some(echo_party(&claim.supplier)),
            distributor: Some(echo_party(&claim.distributor)),
            reason_code: None,
            follow_up: None,
            more_reasons: Vec::new(),
            contracts: Vec::new(),
            line_count: Some(lines.len() as u32),
            lines,
            total_claimed: self.report.total_claimed,
            total_approved: self.report.total_approved,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::{date, sample_book as book, sample_claim};

    fn row(l: &AdjudicatedLine) -> String {
        format!(
            "{} {:?} {} {} {} calc={} approved={}",
            l.line,
            l.status,
            l.reason.map_or("-", ReasonCode::code),
            l.x12_code.as_deref().unwrap_or("-"),
            l.follow_up.as_deref().unwrap_or("-"),
            l.calculated_amount
                .map_or("-".to_owned(), |d| d.to_string()),
            l.approved_amount
        )
    }

    /// The worked example of §4.4: debit memo GDD-CB-20261115-0001 on SPA-2026-0042.
    #[test]
    fn worked_example_4_4() {
        let run = adjudicate(
            &sample_claim(),
            &book(),
            &EngineSettings::default(),
            date("2026-11-18"),
        );
        let rows: Vec<String> = run.report.lines.iter().map(row).collect();
        assert_eq!(
            rows,
            [
                "1 Accepted - - - calc=62.50 approved=62.50",
                "2 Accepted - - - calc=48.00 approved=48.00",
                "3 AmountDisputed CONTRACT_PRICE_MISMATCH 06 N calc=100.50 approved=100.50",
                "4 Accepted - - - calc=12.50 approved=12.50",
                "5 EligibilityDisputed ITEM_NOT_ON_CONTRACT 03 N calc=- approved=0.00",
                "6 EligibilityDisputed CONTRACT_NOT_STARTED 19 C calc=- approved=0.00",
            ]
        );
        assert_eq!(
            run.validations[2]
                .variance
                .map(|v| v.to_string())
                .as_deref(),
            Some("19.50")
        );
        assert_eq!(run.report.total_claimed.to_string(), "255.25");
        assert_eq!(run.report.total_approved.to_string(), "223.50");
        assert_eq!(
            (run.report.total_claimed - run.report.total_approved).to_string(),
            "31.75"
        );
    }

    #[test]
    fn a_stored_book_reads_back_with_its_indexes() -> Result<(), serde_json::Error> {
        let stored = serde_json::to_string(&book())?;
        let loaded: ContractBook = serde_json::from_str(&stored)?;
        assert_eq!(loaded, book());
        let settings = EngineSettings::default();
        let today = date("2026-11-18");
        assert_eq!(
            adjudicate(&sample_claim(), &loaded, &settings, today).report,
            adjudicate(&sample_claim(), &book(), &settings, today).report
        );
        Ok(())
    }

    #[test]
    fn a_summary_total_that_is_not_the_sum_of_the_lines_is_reported_beside_it() {
        // x12-chargeback 5, checks on receipt: the lines are adjudicated on their own
        // amounts, and the report says what the claim's summary said instead.
        let mut claim = sample_claim();
        let settings = EngineSettings::default();
        let run = adjudicate(&claim, &book(), &settings, date("2026-11-18"));
        assert_eq!(run.report.stated_total, None);
        let json = serde_json::to_value(&run.report).unwrap_or_default();
        assert!(json.get("stated_total").is_none(), "{json}");

        claim.total_claimed = Decimal::new(99999, 2);
        let run = adjudicate(&claim, &book(), &settings, date("2026-11-18"));
        assert_eq!(run.report.stated_total, Some(Decimal::new(99999, 2)));
        assert_eq!(run.report.total_claimed.to_string(), "255.25");
        assert_eq!(run.report.total_approved.to_string(), "223.50");
        let json = serde_json::to_value(&run.report).unwrap_or_default();
        assert_eq!(json["stated_total"], "999.99");
    }

    #[test]
    fn json_shape_13_12() -> Result<(), serde_json::Error> {
        let run = adjudicate(
            &sample_claim(),
            &book(),
            &EngineSettings::default(),
            date("2026-11-18"),
        );
        let json = serde_json::to_value(&run.report)?;
        assert_eq!(
            json["lines"][2],
            serde_json::json!({
                "line": "3", "status": "amount_disputed", "reason": "CONTRACT_PRICE_MISMATCH",
                "x12_code": "06", "follow_up": "N", "calculated_amount": "100.50",
                "approved_amount": "100.50", "warnings": []
            })
        );
        assert_eq!(json["lines"][0]["status"], "accepted");
        assert_eq!(json["lines"][0]["reason"], serde_json::Value::Null);
        assert_eq!(
            json["lines"][4]["calculated_amount"],
            serde_json::Value::Null
        );
        assert_eq!(json["total_approved"], "223.50");
        assert_eq!(json["debit_memo"], "GDD-CB-20261115-0001");
        Ok(())
    }

    #[test]
    fn unattended_modes_13_1() {
        let mut settings = EngineSettings {
            unattended_amount_disputes: UnattendedAmountDisputes::Reject,
            ..EngineSettings::default()
        };
        let run = adjudicate(&sample_claim(), &book(), &settings, date("2026-11-18"));
        assert_eq!(
            row(&run.report.lines[2]),
            "3 AmountDisputed CONTRACT_PRICE_MISMATCH 06 N calc=100.50 approved=0.00"
        );
        assert_eq!(run.report.total_approved.to_string(), "123.00");
        settings.unattended_amount_disputes = UnattendedAmountDisputes::Hold;
        let run = adjudicate(&sample_claim(), &book(), &settings, date("2026-11-18"));
        assert!(run.held);
        let header = ResponseHeader {
            source: sample_claim().source,
            date: date("2026-11-18"),
            credit_memo: None,
        };
        assert_eq!(run.response(&sample_claim(), header, &settings), None);
    }

    fn header() -> ResponseHeader {
        ResponseHeader {
            source: sample_claim().source,
            date: date("2026-11-18"),
            credit_memo: None,
        }
    }

    #[test]
    fn interim_849_holds_disputed_lines_7_7() {
        let settings = EngineSettings::default();
        let run = adjudicate(&sample_claim(), &book(), &settings, date("2026-11-18"));
        let interim = run.interim_response(&sample_claim(), header(), &settings);
        let lines: Vec<String> = interim
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{} {:?} {:?} {}",
                    l.line,
                    l.status,
                    l.follow_up.map(|f| f.code()),
                    l.approved_amount
                )
            })
            .collect();
        assert_eq!(lines[0], "1 Accepted None 62.50");
        assert_eq!(lines[2], "3 Rejected Some(\"Y\") 0.00");
        assert_eq!(interim.total_approved.to_string(), "123.00");
    }

    #[test]
    fn known_debit_memo_is_refused_whole_5_2() {
        let claim = sample_claim();
        assert!(refuses_known_header(&claim));
        let mut replace = claim.clone();
        replace.action = schemas::Action::Replace;
        assert!(!refuses_known_header(&replace));
        assert_eq!(header_key(&claim).2, "GDD-CB-20261115-0001");
        let response = duplicate_claim_response(&claim, header(), &EngineSettings::default());
        assert_eq!(
            (
                response.reason_code.as_deref(),
                response.lines.len(),
                response.total_approved.to_string()
            ),
            (Some("11"), 0, "0.00".to_owned())
        );
    }

    #[test]
    fn cap_exceeded_pays_the_remainder_with_auto_partial_approve_5_1() {
        let mut claim = sample_claim();
        claim.lines = vec![claim.lines[0].clone()];
        let mut caps = CapLedger::new();
        caps.add_cap(crate::caps::Cap {
            scope: crate::caps::CapScope {
                contract: "SPA-2026-0042".into(),
                item: "NDC:12345010001".into(),
                customer: None,
            },
            quantity: "4".parse().ok(),
            amount: None,
        });
        let today = date("2026-11-18");
        let run = |settings: &EngineSettings, caps: &mut CapLedger| {
            let run = adjudicate_with(
                &claim,
                &claim.debit_memo,
                &book(),
                settings,
                today,
                &LineHistory::new(),
                Some(caps),
                None,
            );
            row(&run.report.lines[0])
        };
        assert_eq!(
            run(&EngineSettings::default(), &mut caps.clone()),
            "1 AmountDisputed CAP_EXCEEDED 04 R calc=62.50 approved=0.00"
        );
        let partial = EngineSettings {
            auto_partial_approve: true,
            ..EngineSettings::default()
        };
        assert_eq!(
            run(&partial, &mut caps),
            "1 AmountDisputed CAP_EXCEEDED 04 N calc=62.50 approved=25.00"
        );
    }

    #[test]
    fn not_traced_without_an_867_sale_3() {
        let report: schemas::SalesReport = match serde_json::from_str(include_str!(
            "../../../schemas/compat/sales_report.v1.json"
        )) {
            Ok(schemas::Document::SalesReport(r)) => r,
            other => panic!("{other:?}"),
        };
        let mut traced = TracedSales::new();
        traced.add_report(&report);
        let claim = sample_claim();
        let run = adjudicate_with(
            &claim,
            &claim.debit_memo,
            &book(),
            &EngineSettings::default(),
            date("2026-11-18"),
            &LineHistory::new(),
            None,
            Some(&traced),
        );
        let flagged: Vec<&str> = run
            .report
            .lines
            .iter()
            .filter(|l| l.warnings.contains(&Warning::NotTraced))
            .map(|l| l.line.as_str())
            .collect();
        // The 867 traced lines 1, 2 and 4 (INV0098123 twice, INV0098301 12345010001).
        assert_eq!(flagged, ["3", "5", "6"]);
    }

    #[test]
    fn within_tolerance_paid_lower_is_accepted_without_code_13_2() {
        let mut claim = sample_claim();
        claim.lines.truncate(1);
        claim.lines[0].claimed_amount = "62.51".parse().unwrap_or_default();
        let settings = EngineSettings::default();
        let run = adjudicate(&claim, &book(), &settings, date("2026-11-18"));
        assert_eq!(
            row(&run.report.lines[0]),
            "1 Accepted - - - calc=62.50 approved=62.50"
        );
        let header = ResponseHeader {
            source: claim.source.clone(),
            date: date("2026-11-18"),
            credit_memo: None,
        };
        let response = run.response(&claim, header, &settings);
        let line = response.as_ref().map(|r| &r.lines[0]);
        assert_eq!(
            line.map(|l| (
                l.status,
                l.reason_code.clone(),
                l.approved_amount.to_string()
            )),
            Some((ResponseStatus::Accepted, None, "62.50".to_owned()))
        );
    }
}
