//! Claims (§8): claim numbers, the claim built from a batch's claim cut, the outbound 844, the
//! claim state machine of §6.3, settlement methods and instruments, splits, dates and aging.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::{
    Action, Claim, ClaimLine, ClaimResponse, ClaimResponseLine, FollowUp, Party, Source,
};
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, AuditEvent, Entity, status_name};
use crate::batch::{Batch, BatchClaim, BatchLine, LineStatus};
use crate::sale::{LineRef, SaleLine};
use crate::settings::{ClaimTrigger, EngineSettings, Role};

/// Claim status (§6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Created, editable.
    Open,
    /// Submitted for approval.
    PendingApproval,
    /// Approved.
    Approved,
    /// Rejected by the approver.
    Rejected,
    /// Cancelled (manual claims only).
    Cancelled,
    /// Claimant: 844 handed to transport.
    Sent,
    /// Claimant: 997/999 accepted.
    Acknowledged,
    /// Waiting for money.
    SettlementPending,
    /// Money matched.
    Settled,
    /// Nothing open any more.
    Closed,
}

/// The claim transitions of §6.3 as (rule, from, to); `None` = creation. C7–C10 are the
/// adjudicator's, C11–C15 the claimant's ([`rule_role`]).
pub const CLAIM_TRANSITIONS: &[(&str, Option<ClaimStatus>, ClaimStatus)] = {
    use ClaimStatus::*;
    &[
        ("C1", None, Open),
        ("C2", Some(Open), PendingApproval),
        ("C3", Some(Open), Approved),
        ("C3", Some(PendingApproval), Approved),
        ("C4", Some(PendingApproval), Rejected),
        ("C5", Some(Rejected), Open),
        ("C6", Some(Open), Cancelled),
        ("C7", Some(Approved), SettlementPending),
        ("C8", Some(SettlementPending), Settled),
        ("C9", Some(SettlementPending), Open),
        ("C10", Some(Settled), Open),
        ("C11", Some(Approved), Sent),
        ("C12", Some(Sent), Acknowledged),
        ("C13", Some(Sent), Approved),
        ("C14", Some(Sent), SettlementPending),
        ("C14", Some(Acknowledged), SettlementPending),
        ("C15", Some(SettlementPending), Settled),
        ("C16", Some(Settled), Closed),
    ]
};

/// The role a claim rule belongs to; `None` = both.
pub fn rule_role(rule: &str) -> Option<Role> {
    match rule {
        "C7" | "C8" | "C9" | "C10" => Some(Role::Adjudicator),
        "C11" | "C12" | "C13" | "C14" | "C15" => Some(Role::Claimant),
        _ => None,
    }
}

/// Where a claim came from (§8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimSource {
    /// Cut from a batch.
    Batch,
    /// Entered by hand.
    Manual,
    /// An incoming deduction.
    Deduction,
    /// An overpayment.
    Overpayment,
    /// A retro run (§5.3).
    Retro,
    /// A resubmission (§7.5).
    Resubmission,
    /// A split of another claim (§8.4).
    Split,
}

/// Settlement methods (§8.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettlementMethod {
    /// Default: credit to the distributor's receivable account.
    CreditMemoOnAccount,
    /// Invoice-related deductions; ship-to must equal the source invoice's.
    CreditMemoOnInvoice,
    /// Manual claims only.
    Check,
    /// Manual claims only.
    PayablesDefaultPayment,
    /// Claimant netting against an AP payment.
    Deduction,
    /// Configured; the only kind that can be reopened after settlement (C10).
    UserDefined(String),
}

/// An immutable settlement instrument with its allocation to this claim (§2.2, §7.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    /// Method.
    pub method: SettlementMethod,
    /// Credit memo, check or payment number.
    pub number: String,
    /// Date.
    pub date: NaiveDate,
    /// Amount allocated to this claim.
    pub amount: Decimal,
    /// Mass settlement number when one instrument pays several claims.
    pub mass_settlement: Option<String>,
}

/// How one instrument paying several claims is split (§7.3): by its remittance (debit memo
/// numbers and amounts), else oldest claim first once a user confirms, under a mass settlement
/// number. Returns (claim number, amount) allocations; nothing when unconfirmed without
/// remittance.
pub fn allocate_instrument(
    amount: Decimal,
    remittance: Option<&[(String, Decimal)]>,
    open_claims: &[&ClaimRecord],
    user_confirmed: bool,
) -> Vec<(String, Decimal)> {
    if let Some(remittance) = remittance {
        return remittance
            .iter()
            .filter(|(memo, _)| open_claims.iter().any(|c| &c.number == memo))
            .cloned()
            .collect();
    }
    if !user_confirmed {
        return Vec::new();
    }
    let mut claims: Vec<&&ClaimRecord> = open_claims.iter().collect();
    claims.sort_by_key(|c| (c.date, c.number.clone()));
    let mut left = amount;
    let mut out = Vec::new();
    for claim in claims {
        if left <= Decimal::ZERO {
            break;
        }
        let due = claim.remaining().min(left);
        if due > Decimal::ZERO {
            out.push((claim.number.clone(), due));
            left -= due;
        }
    }
    out
}

/// Outcome of a claim line after an 849 (§7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineOutcome {
    /// Approved as claimed.
    Paid,
    /// Approved below claimed.
    Adjusted,
    /// Approved zero.
    Rejected,
    /// Held or waiting (AAA04 Y, W, X, S).
    Pending,
    /// Approved above claimed: review queue, never booked silently.
    Overpaid,
    /// Unanswered after `no_response_days`.
    NoResponse,
}

/// One claim line (§2.2). What is not known yet (an 849's answer) is left out of its JSON:
/// a claim's lines are written, one row each, long before they are answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimLineRecord {
    /// PAD01 as sent.
    pub line: String,
    /// The batch line it came from.
    pub origin: Option<LineRef>,
    /// The sale as claimed (quantity and prices as sent).
    pub sale: SaleLine,
    /// Contract claimed against.
    pub contract_id: String,
    /// Claimed quantity.
    pub claimed_quantity: Decimal,
    /// Claimed amount.
    pub claimed_amount: Decimal,
    /// Approved quantity from the 849.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_quantity: Option<Decimal>,
    /// Approved amount from the 849.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_amount: Option<Decimal>,
    /// Contract price the counterparty applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_contract_price: Option<Decimal>,
    /// Outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<LineOutcome>,
    /// AAA03.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// AAA04.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
    /// Times this line was resubmitted (§7.5).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resubmissions: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A claim line stored without the sale its batch line holds: what the claim changed of that
/// sale (amount, the prices claimed, and quantity and contract when they differ). A streamed
/// claim #1 holds every valid line of a period, and the sale was two thirds of each line's
/// payload. The batch line's sale is never edited, so the line is rebuilt from it and from
/// where the claim line's row sits ([`ClaimedFromLine::with_sale`], [`ClaimLinePlace`]); a
/// line is kept this way only when that gives it back exactly ([`ClaimedFromLine::of`]).
///
/// Every field but the amount is left out when it is what the rebuild would give anyway:
/// lines stored before that (every field written) read the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedFromLine {
    /// PAD01 as sent, when it is not the row's line number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The batch line whose sale it claims, when it is not the row's batch line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<LineRef>,
    /// Contract claimed against, when it is not the sale's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
    /// Claimed quantity, when it is not the sale's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_quantity: Option<Decimal>,
    /// Claimed amount.
    pub claimed_amount: Decimal,
    /// Contract price claimed, when it is not the batch line's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_contract_price: Option<Decimal>,
    /// Reference price claimed, when it is not the batch line's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_reference_price: Option<Decimal>,
}

/// Where a claim line's row sits: its line number in the claim and the batch line it claims.
#[derive(Debug, Clone, Copy)]
pub struct ClaimLinePlace<'a> {
    /// The row's line number within its claim.
    pub number: i64,
    /// The claimed batch line's batch (its header id, the batch row's id).
    pub batch: &'a str,
}

impl ClaimedFromLine {
    /// `record` without `sale`, its batch line's sale, when [`ClaimedFromLine::with_sale`]
    /// rebuilds it exactly from that sale at `place` (an unanswered line as
    /// [`ClaimLineRecord::from_batch_line`] makes it); `None` otherwise.
    pub fn of(
        record: &ClaimLineRecord,
        sale: &SaleLine,
        place: ClaimLinePlace<'_>,
    ) -> Option<Self> {
        fn differs<T: PartialEq + Clone>(claimed: &T, rebuilt: &T) -> Option<T> {
            (claimed != rebuilt).then(|| claimed.clone())
        }
        let origin = record.origin.as_ref()?;
        let compact = Self {
            line: differs(&record.line, &place.number.to_string()),
            origin: differs(origin, &Self::origin_at(sale, place)),
            contract_id: differs(
                &record.contract_id,
                &sale.contract_id.clone().unwrap_or_default(),
            ),
            claimed_quantity: differs(&record.claimed_quantity, &sale.quantity),
            claimed_amount: record.claimed_amount,
            claimed_contract_price: differs(
                &record.sale.claimed_contract_price,
                &sale.claimed_contract_price,
            )
            .flatten(),
            claimed_reference_price: differs(
                &record.sale.claimed_reference_price,
                &sale.claimed_reference_price,
            )
            .flatten(),
        };
        (compact.clone().with_sale(sale.clone(), place) == *record).then_some(compact)
    }

    /// The batch line a claim line at `place` claims by default: the row's batch, the sale's line.
    fn origin_at(sale: &SaleLine, place: ClaimLinePlace<'_>) -> LineRef {
        LineRef {
            batch: place.batch.to_owned(),
            line: sale.line.clone(),
        }
    }

    /// The claim line at `place`, given its batch line's sale.
    pub fn with_sale(self, mut sale: SaleLine, place: ClaimLinePlace<'_>) -> ClaimLineRecord {
        let origin = self.origin.unwrap_or_else(|| Self::origin_at(&sale, place));
        let line = self.line.unwrap_or_else(|| place.number.to_string());
        let contract_id = self
            .contract_id
            .unwrap_or_else(|| sale.contract_id.clone().unwrap_or_default());
        let claimed_quantity = self.claimed_quantity.unwrap_or(sale.quantity);
        sale.quantity = claimed_quantity;
        sale.claimed_amount = Some(self.claimed_amount);
        sale.claimed_contract_price = self.claimed_contract_price.or(sale.claimed_contract_price);
        sale.claimed_reference_price = self
            .claimed_reference_price
            .or(sale.claimed_reference_price);
        if sale.contract_id.is_none() && !contract_id.is_empty() {
            sale.contract_id = Some(contract_id.clone());
        }
        ClaimLineRecord::unanswered(
            line,
            Some(origin),
            sale,
            contract_id,
            claimed_quantity,
            self.claimed_amount,
        )
    }
}

/// Aging buckets (§8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgingBucket {
    /// 0–30 days.
    #[serde(rename = "0-30")]
    UpTo30,
    /// 31–60 days.
    #[serde(rename = "31-60")]
    UpTo60,
    /// 61–90 days.
    #[serde(rename = "61-90")]
    UpTo90,
    /// 91–180 days.
    #[serde(rename = "91-180")]
    UpTo180,
    /// More than 180 days.
    #[serde(rename = "180+")]
    Over180,
}

impl AgingBucket {
    /// The bucket of an age in days.
    pub fn of(days: i64) -> Self {
        match days {
            ..=30 => Self::UpTo30,
            31..=60 => Self::UpTo60,
            61..=90 => Self::UpTo90,
            91..=180 => Self::UpTo180,
            _ => Self::Over180,
        }
    }
}

/// Dates of a claim (§8.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimDates {
    /// Submitted (overwritten per submission).
    pub submitted: Option<NaiveDate>,
    /// Approved.
    pub approved: Option<NaiveDate>,
    /// Rejected.
    pub rejected: Option<NaiveDate>,
    /// Sent.
    pub sent: Option<NaiveDate>,
    /// Acknowledged.
    pub acknowledged: Option<NaiveDate>,
    /// Response received.
    pub response: Option<NaiveDate>,
    /// Settled.
    pub settlement: Option<NaiveDate>,
    /// Accounting date (defaults to today on entering Settlement Pending).
    pub accounting: Option<NaiveDate>,
}

/// A claim (§2.2, §8.2). Plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRecord {
    /// Claim number: the debit memo number as claimant.
    pub number: String,
    /// Our role.
    pub role: Role,
    /// Status.
    pub status: ClaimStatus,
    /// Source.
    pub source: ClaimSource,
    /// Claim date: debit memo date as claimant, creation date as adjudicator.
    pub date: NaiveDate,
    /// Dates.
    pub dates: ClaimDates,
    /// Amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: String,
    /// Distributor.
    pub distributor: Party,
    /// Supplier.
    pub supplier: Party,
    /// Batch and claim sequence it was cut from.
    pub batch: Option<(String, u8)>,
    /// Parent claim of a split or resubmission.
    pub parent: Option<String>,
    /// Child claims (splits).
    pub children: Vec<(String, Decimal)>,
    /// Automatic split made by reconciliation: read-only.
    pub automatic: bool,
    /// Source claim number (the partner's debit memo, as adjudicator).
    pub source_claim_number: Option<String>,
    /// Type, changeable only while Open.
    pub claim_type: Option<String>,
    /// Reason, changeable only while Open.
    pub reason: Option<String>,
    /// Settlement method.
    pub settlement_method: SettlementMethod,
    /// Instruments allocated.
    pub instruments: Vec<Instrument>,
    /// Lines.
    pub lines: Vec<ClaimLineRecord>,
    /// Responses applied, by (sender, interchange control number), for idempotence (§7.1).
    pub responses: Vec<(String, String)>,
    /// Responses whose totals did not add up (`RESPONSE_INCONSISTENT`).
    pub inconsistent: bool,
    /// Whether the claim is manual (Check and Payables Default Payment need it).
    pub manual: bool,
    /// Why a split child's unpaid part was written off (§7.4 Accept): `BELOW_THRESHOLD`, or
    /// `WRITE_OFF` with the approver and their reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_off: Option<String>,
    /// The resubmission claim (§7.5) that took over a split child's unpaid part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resubmitted_as: Option<String>,
    /// What the engine does not read, kept as stored: an adjudicator's claim keeps the hash
    /// that recognizes the same claim sent again, its adjudication report and its links to
    /// the claims it replaces or resubmits (§5.2).
    #[serde(flatten, default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// What a user corrects on a claim line before resubmitting it (§7.4 rule 3, §7.5): only
/// the fields given change. When the quantity or a price changes and no claimed amount is
/// given, the claimed amount is `(reference − contract) × quantity`, rounded by the partner's
/// rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineCorrection {
    /// PAD01 of the line corrected.
    pub line: String,
    /// Contract claimed against.
    #[serde(default)]
    pub contract_id: Option<String>,
    /// End customer.
    #[serde(default)]
    pub end_customer: Option<Party>,
    /// Item.
    #[serde(default)]
    pub item: Option<schemas::Item>,
    /// Invoice number.
    #[serde(default)]
    pub invoice: Option<String>,
    /// Invoice date.
    #[serde(default)]
    pub invoice_date: Option<NaiveDate>,
    /// Quantity.
    #[serde(default)]
    pub quantity: Option<Decimal>,
    /// Reference price (WAC).
    #[serde(default)]
    pub reference_price: Option<Decimal>,
    /// Contract price.
    #[serde(default)]
    pub contract_price: Option<Decimal>,
    /// Claimed amount.
    #[serde(default)]
    pub claimed_amount: Option<Decimal>,
}

impl ClaimLineRecord {
    /// Whether an 849 answered the line with a final outcome (not Pending, not No Response).
    pub fn answered(&self) -> bool {
        matches!(self.outcome, Some(o) if o != LineOutcome::Pending && o != LineOutcome::NoResponse)
    }

    /// What an 849 left unpaid on the line: claimed − approved once it answered it with a final
    /// outcome, never negative (an overpaid line leaves nothing); zero before.
    pub fn unpaid(&self) -> Decimal {
        if !self.answered() {
            return Decimal::ZERO;
        }
        (self.claimed_amount - self.approved_amount.unwrap_or_default()).max(Decimal::ZERO)
    }

    /// Applies a user's correction (see [`LineCorrection`]).
    pub fn correct(&mut self, c: &LineCorrection, rounding: crate::amounts::Rounding) {
        if let Some(v) = &c.contract_id {
            self.contract_id = v.clone();
            self.sale.contract_id = Some(v.clone());
        }
        if let Some(v) = &c.end_customer {
            self.sale.end_customer = v.clone();
        }
        if let Some(v) = &c.item {
            self.sale.item = v.clone();
        }
        if let Some(v) = &c.invoice {
            self.sale.invoice = v.clone();
        }
        if let Some(v) = c.invoice_date {
            self.sale.invoice_date = Some(v);
        }
        if let Some(v) = c.quantity {
            self.sale.quantity = v;
            self.claimed_quantity = v;
        }
        if let Some(v) = c.reference_price {
            self.sale.claimed_reference_price = Some(v);
        }
        if let Some(v) = c.contract_price {
            self.sale.claimed_contract_price = Some(v);
        }
        let repriced =
            c.quantity.is_some() || c.reference_price.is_some() || c.contract_price.is_some();
        let amount = match c.claimed_amount {
            Some(v) => Some(v),
            None if repriced => match (
                self.sale.claimed_reference_price,
                self.sale.claimed_contract_price,
            ) {
                (Some(reference), Some(contract)) => {
                    Some(rounding.round((reference - contract) * self.claimed_quantity))
                }
                _ => None,
            },
            None => None,
        };
        if let Some(v) = amount {
            self.claimed_amount = v;
            self.sale.claimed_amount = Some(v);
        }
    }
}

/// How a split child's unpaid part is written off (§7.4 Accept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOff {
    /// Every unpaid line was at or below `writeoff_threshold`: written off without approval,
    /// reason `BELOW_THRESHOLD`.
    BelowThreshold,
    /// Above the threshold: written off with an approver's approval, and why.
    Approved {
        /// The approving user.
        approver: String,
        /// Their reason (audited).
        reason: String,
    },
}

/// How far the instruments may be from what is due and the claim still settle (C15: within
/// 0.01); an instrument beyond it is more than is left.
const SETTLEMENT_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// Why a claim action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// An instrument for more than is left to settle: the claim could never settle (C15
    /// wants Σ instruments = what is due within 0.01).
    #[error("claim {number} has {remaining} left to settle; an instrument of {amount} is more")]
    OverSettled {
        /// Claim number.
        number: String,
        /// The instrument's amount.
        amount: Decimal,
        /// What is left to settle.
        remaining: Decimal,
    },
    /// The tables do not list this transition.
    #[error("claim {number} is {from}; {action} is not allowed")]
    NotAllowed {
        /// Claim number.
        number: String,
        /// Current status.
        from: ClaimStatus,
        /// Action.
        action: &'static str,
    },
    /// The action is for the other role.
    #[error("{0} is for the other role")]
    WrongRole(&'static str),
    /// Only manual claims may use this.
    #[error("{0} is for manual claims only")]
    ManualOnly(&'static str),
    /// Only split children (an unpaid part) may use this.
    #[error("{0} is for split claims only")]
    SplitOnly(&'static str),
    /// A claim number is too long for 004010 or empty.
    #[error("claim number {0:?} must be 1 to 30 characters")]
    BadNumber(String),
    /// Splits would exceed the parent.
    #[error("splits of {splits} would exceed the claim amount {amount}")]
    SplitTooLarge {
        /// Σ splits including the new one.
        splits: Decimal,
        /// Parent amount.
        amount: Decimal,
    },
    /// A split amount must be positive.
    #[error("a split needs a positive amount")]
    SplitAmount,
    /// The approver is not allowed.
    #[error(
        "approval needs an approver, the submitter's authority or an amount within auto_approve_limit"
    )]
    NoAuthority,
    /// A line was resubmitted `resubmission_limit` times already.
    #[error("line {0} reached the resubmission limit")]
    ResubmissionLimit(String),
}

/// How a claim gets approved (C3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// An approver.
    Approver(String),
    /// The submitter, who has the authority.
    SubmitterWithAuthority(String),
    /// Automatic: from a fully valid batch and within `auto_approve_limit`.
    Automatic {
        /// The limit in force.
        limit: Decimal,
        /// Whether the batch was fully valid.
        fully_valid_batch: bool,
    },
}

/// A claim number: `<prefix>-<yyyymmdd>-<seq>` (e.g. `GDD-CB-20261115-0001`), at most 30
/// characters for 004010.
pub fn claim_number(prefix: &str, date: NaiveDate, seq: u32) -> Result<String, ClaimError> {
    let number = format!("{prefix}-{}-{seq:04}", date.format("%Y%m%d"));
    check_number(number)
}

/// The debit memo of the `n`th resubmission of a claim (§7.5): the partner suffix plus `n`.
pub fn resubmission_number(original: &str, suffix: &str, n: u32) -> Result<String, ClaimError> {
    check_number(format!("{original}{suffix}{n}"))
}

fn check_number(number: String) -> Result<String, ClaimError> {
    if number.is_empty() || number.chars().count() > 30 {
        return Err(ClaimError::BadNumber(number));
    }
    Ok(number)
}

/// The batch a claimant's sale line goes to (`claim_trigger`, §8.1): one per invoice as it
/// posts (Immediate), else one per supplier and day, ISO week or month.
pub fn batch_key(
    trigger: ClaimTrigger,
    supplier: &str,
    invoice: &str,
    posted: NaiveDate,
) -> String {
    use chrono::Datelike;
    match trigger {
        ClaimTrigger::Immediate => format!("{supplier}/invoice/{invoice}"),
        ClaimTrigger::Daily => format!("{supplier}/{}", posted.format("%Y-%m-%d")),
        ClaimTrigger::Weekly => {
            let week = posted.iso_week();
            format!("{supplier}/{}-W{:02}", week.year(), week.week())
        }
        ClaimTrigger::Monthly => format!("{supplier}/{}", posted.format("%Y-%m")),
    }
}

/// The last day of the claim period a line posted on `posted` belongs to: the day itself
/// (Daily), the Sunday ending its ISO week (Weekly), the month's last day (Monthly); `None`
/// for Immediate, which has no period (one batch per invoice, processed at once). A period's
/// batch is cut once a day after this one has come.
pub fn period_end(trigger: ClaimTrigger, posted: NaiveDate) -> Option<NaiveDate> {
    use chrono::Datelike;
    match trigger {
        ClaimTrigger::Immediate => None,
        ClaimTrigger::Daily => Some(posted),
        ClaimTrigger::Weekly => {
            let days_left = 6 - posted.weekday().num_days_from_monday();
            posted.checked_add_days(chrono::Days::new(u64::from(days_left)))
        }
        ClaimTrigger::Monthly => {
            let (y, m) = if posted.month() == 12 {
                (posted.year() + 1, 1)
            } else {
                (posted.year(), posted.month() + 1)
            };
            NaiveDate::from_ymd_opt(y, m, 1).and_then(|first| first.pred_opt())
        }
    }
}

impl ClaimLineRecord {
    /// The quantity and amount [`ClaimLineRecord::from_batch_line`] claims for `line`.
    pub fn claimed_of(line: &BatchLine) -> (Decimal, Decimal) {
        (
            line.accepted_quantity.unwrap_or(line.sale.quantity),
            line.accepted_amount.unwrap_or_default(),
        )
    }

    /// Claim line `number` (1-based) for an accepted line of batch `batch_id`: claimed at its
    /// accepted quantity and amount, at the prices that validated it.
    pub fn from_batch_line(number: usize, batch_id: &str, line: &BatchLine) -> Self {
        let mut sale = line.sale.clone();
        let (quantity, amount) = Self::claimed_of(line);
        if let Some(pricing) = line.validation.as_ref().and_then(|v| v.pricing.as_ref()) {
            sale.claimed_contract_price = Some(pricing.contract_price_per_sale_unit());
            sale.claimed_reference_price = Some(pricing.reference_price_per_sale_unit());
            if sale.contract_id.is_none() {
                sale.contract_id = line
                    .validation
                    .as_ref()
                    .and_then(|v| v.contract.as_deref().map(str::to_owned));
            }
        }
        sale.quantity = quantity;
        sale.claimed_amount = Some(amount);
        let origin = LineRef {
            batch: batch_id.to_owned(),
            line: line.sale.line.clone(),
        };
        let contract_id = sale.contract_id.clone().unwrap_or_default();
        ClaimLineRecord::unanswered(
            number.to_string(),
            Some(origin),
            sale,
            contract_id,
            quantity,
            amount,
        )
    }

    /// The line as 849 line `answer` answers it: approved amount, quantity and contract
    /// price, AAA03/AAA04 and the outcome (§7.2) they make.
    pub fn answer(&mut self, answer: &ClaimResponseLine) {
        self.approved_amount = Some(answer.approved_amount);
        self.approved_quantity = answer.approved_quantity;
        self.approved_contract_price = answer.approved_contract_price;
        self.reason_code = answer.reason_code.clone();
        self.follow_up = answer.follow_up;
        self.outcome = Some(crate::reconcile::outcome_of(
            answer.status,
            answer.follow_up,
            self.claimed_amount,
            answer.approved_amount,
        ));
    }

    /// A claim line no 849 has answered yet.
    pub fn unanswered(
        line: String,
        origin: Option<LineRef>,
        sale: SaleLine,
        contract_id: String,
        claimed_quantity: Decimal,
        claimed_amount: Decimal,
    ) -> Self {
        ClaimLineRecord {
            line,
            origin,
            contract_id,
            claimed_quantity,
            claimed_amount,
            sale,
            approved_quantity: None,
            approved_amount: None,
            approved_contract_price: None,
            outcome: None,
            reason_code: None,
            follow_up: None,
            resubmissions: 0,
        }
    }

    /// The line as the 844 sends it.
    pub fn to_844(&self) -> ClaimLine {
        ClaimLine {
            line: self.line.clone(),
            contract_id: self.contract_id.clone(),
            quantity: self.claimed_quantity,
            reference_price_basis: self.sale.claimed_reference_price.map(|_| "WH".to_owned()),
            claimed_amount: self.claimed_amount,
            ..self.sale.to_claim_line()
        }
    }
}

impl ClaimRecord {
    /// Lines still unanswered `no_response_days` after sending become No Response (§7.2), an
    /// ops exception; returns their audit events.
    pub fn mark_no_response(
        &mut self,
        settings: &EngineSettings,
        today: NaiveDate,
    ) -> Vec<AuditEvent> {
        let Some(sent) = self.dates.sent else {
            return vec![];
        };
        if (today - sent).num_days() < i64::from(settings.no_response_days) {
            return vec![];
        }
        let mut events = Vec::new();
        for line in self.lines.iter_mut().filter(|l| l.outcome.is_none()) {
            line.outcome = Some(LineOutcome::NoResponse);
            events.push(AuditEvent {
                entity: Entity::ClaimLine,
                id: format!("{}/{}", self.number, line.line),
                from: None,
                to: status_name(&LineOutcome::NoResponse),
                event: "no response".to_owned(),
                actor: Actor::Clock,
                reason: None,
                comment: None,
                correlation_id: None,
                date: today,
                before: None,
                after: None,
            });
        }
        events
    }

    /// C1: the claim of a batch's claim cut, lines numbered 1.. in batch order.
    pub fn from_batch(
        batch: &Batch,
        cut: &BatchClaim,
        number: String,
        today: NaiveDate,
    ) -> (Self, AuditEvent) {
        let mut lines = Vec::with_capacity(cut.lines.len());
        // Indexed once: a linear search per claimed line is quadratic in the batch size.
        let mut by_id = std::collections::HashMap::with_capacity(batch.lines.len());
        for l in &batch.lines {
            // The first line with an id wins, as a search from the start would find.
            by_id.entry(l.sale.line.as_str()).or_insert(l);
        }
        for (n, id) in cut.lines.iter().enumerate() {
            let Some(line) = by_id.get(id.as_str()).copied() else {
                continue;
            };
            lines.push(ClaimLineRecord::from_batch_line(
                n + 1,
                &batch.header.id,
                line,
            ));
        }
        let claim = Self {
            number,
            role: batch.header.role,
            status: ClaimStatus::Open,
            source: if batch.header.kind == crate::batch::BatchKind::Retro {
                ClaimSource::Retro
            } else {
                ClaimSource::Batch
            },
            date: match batch.header.role {
                Role::Claimant => batch.header.claim_date,
                Role::Adjudicator => today,
            },
            dates: ClaimDates::default(),
            amount: lines.iter().map(|l| l.claimed_amount).sum(),
            currency: batch.header.currency.clone(),
            distributor: batch.header.distributor.clone(),
            supplier: batch.header.supplier.clone(),
            batch: Some((batch.header.id.clone(), cut.seq)),
            parent: None,
            children: Vec::new(),
            automatic: false,
            source_claim_number: match batch.header.role {
                Role::Adjudicator => batch.header.debit_memo.clone(),
                Role::Claimant => None,
            },
            claim_type: None,
            reason: None,
            settlement_method: SettlementMethod::CreditMemoOnAccount,
            instruments: Vec::new(),
            lines,
            responses: Vec::new(),
            inconsistent: false,
            manual: false,
            written_off: None,
            resubmitted_as: None,
            extra: serde_json::Map::new(),
        };
        let event = claim.event(None, "C1 created from batch", &Actor::System, None, today);
        (claim, event)
    }

    /// C1 as adjudicator: the customer claim of a received claim's batch (§1.2), holding
    /// the amount approved so far and no lines yet: they are its once the 849 answers them
    /// ([`ClaimRecord::answer_received`]), at once or when a reviewer ends a held batch.
    pub fn received(batch: &Batch, number: String, approved: Decimal, today: NaiveDate) -> Self {
        let cut = BatchClaim {
            seq: 1,
            lines: Vec::new(),
            amount: Decimal::ZERO,
        };
        let (mut claim, _) = Self::from_batch(batch, &cut, number, today);
        claim.amount = approved;
        claim
    }

    /// §7.7 as adjudicator: the customer claim of `batch` answered by `response`, the 849 built
    /// from the batch's lines. Its lines are the ones the batch claimed (approved anything:
    /// Accepted, paid at the calculated amount, or accepted by a reviewer), in batch order,
    /// each as the distributor claimed it (PAD01, quantity, amount) with the 849's answer
    /// (approved amount and quantity, contract price, AAA03/AAA04 and the outcome they make:
    /// paid, adjusted...); the lines paid nothing stay on the batch only, Rejected. Its amount
    /// is the approved total.
    pub fn answer_received(&mut self, batch: &Batch, response: &ClaimResponse) {
        self.lines = batch
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.status == LineStatus::Claimed)
            .map(|(i, l)| {
                let sale = &l.sale;
                let mut line = ClaimLineRecord::unanswered(
                    sale.line.clone(),
                    Some(LineRef {
                        batch: batch.header.id.clone(),
                        line: sale.line.clone(),
                    }),
                    sale.clone(),
                    sale.contract_id
                        .clone()
                        .or_else(|| l.contract())
                        .unwrap_or_default(),
                    sale.quantity,
                    sale.claimed_amount.unwrap_or_default(),
                );
                // The 849 answers the batch's lines in order, one each.
                let answer = response
                    .lines
                    .get(i)
                    .filter(|a| a.line == sale.line)
                    .or_else(|| response.lines.iter().find(|a| a.line == sale.line));
                if let Some(answer) = answer {
                    line.answer(answer);
                }
                line
            })
            .collect();
        self.amount = response.total_approved;
    }

    fn event(
        &self,
        from: Option<ClaimStatus>,
        event: &str,
        actor: &Actor,
        reason: Option<String>,
        today: NaiveDate,
    ) -> AuditEvent {
        AuditEvent {
            entity: Entity::Claim,
            id: self.number.clone(),
            from: from.map(|s| status_name(&s)),
            to: status_name(&self.status),
            event: event.to_owned(),
            actor: actor.clone(),
            reason,
            comment: None,
            correlation_id: None,
            date: today,
            before: None,
            after: Some(
                serde_json::json!({ "amount": self.amount, "remaining": self.remaining() }),
            ),
        }
    }

    fn go(
        &mut self,
        to: ClaimStatus,
        action: &'static str,
        actor: &Actor,
        reason: Option<String>,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        let from = self.status;
        let rule = CLAIM_TRANSITIONS
            .iter()
            .find(|(rule, f, t)| {
                *f == Some(from) && *t == to && rule_role(rule).is_none_or(|r| r == self.role)
            })
            .map(|(rule, _, _)| *rule)
            .ok_or_else(|| ClaimError::NotAllowed {
                number: self.number.clone(),
                from,
                action,
            })?;
        self.status = to;
        Ok(self.event(
            Some(from),
            &format!("{rule} {action}"),
            actor,
            reason,
            today,
        ))
    }

    /// Changes type and reason, allowed only while Open (§6.3 invariant).
    pub fn set_type_and_reason(
        &mut self,
        claim_type: Option<String>,
        reason: Option<String>,
    ) -> Result<(), ClaimError> {
        if self.status != ClaimStatus::Open {
            return Err(ClaimError::NotAllowed {
                number: self.number.clone(),
                from: self.status,
                action: "change type or reason",
            });
        }
        self.claim_type = claim_type;
        self.reason = reason;
        Ok(())
    }

    /// C2.
    pub fn submit(&mut self, actor: &Actor, today: NaiveDate) -> Result<AuditEvent, ClaimError> {
        let event = self.go(ClaimStatus::PendingApproval, "submit", actor, None, today)?;
        self.dates.submitted = Some(today);
        Ok(event)
    }

    /// C3.
    pub fn approve(
        &mut self,
        approval: &Approval,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        if let Approval::Automatic {
            limit,
            fully_valid_batch,
        } = approval
            && (!fully_valid_batch || self.amount > *limit)
        {
            return Err(ClaimError::NoAuthority);
        }
        let event = self.go(ClaimStatus::Approved, "approve", actor, None, today)?;
        self.dates.approved = Some(today);
        if matches!(approval, Approval::SubmitterWithAuthority(_)) && self.dates.submitted.is_none()
        {
            self.dates.submitted = Some(today);
        }
        Ok(event)
    }

    /// C4.
    pub fn reject(
        &mut self,
        reason: &str,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        let event = self.go(
            ClaimStatus::Rejected,
            "reject",
            actor,
            Some(reason.to_owned()),
            today,
        )?;
        self.dates.rejected = Some(today);
        Ok(event)
    }

    /// C5.
    pub fn reopen(&mut self, actor: &Actor, today: NaiveDate) -> Result<AuditEvent, ClaimError> {
        self.go(
            ClaimStatus::Open,
            "reopen for correction",
            actor,
            None,
            today,
        )
    }

    /// C6 (manual claims only).
    pub fn cancel(&mut self, actor: &Actor, today: NaiveDate) -> Result<AuditEvent, ClaimError> {
        if !self.manual {
            return Err(ClaimError::ManualOnly("cancel"));
        }
        self.go(ClaimStatus::Cancelled, "cancel", actor, None, today)
    }

    /// §7.4 Accept: a split child's unpaid part written off. The child ends as C6 ends a
    /// manual claim, Open → Cancelled: it holds no lines of its own, only the unpaid part,
    /// and nothing is pursued any more. The reason stays on the claim (`written_off`) and
    /// in the audit event, so reports tell a write-off from a cancellation. The parent may
    /// then close (C16).
    pub fn write_off(
        &mut self,
        how: &WriteOff,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        if self.source != ClaimSource::Split {
            return Err(ClaimError::SplitOnly("write off"));
        }
        let reason = match how {
            WriteOff::BelowThreshold => "BELOW_THRESHOLD".to_owned(),
            WriteOff::Approved { approver, reason } => {
                format!("WRITE_OFF approved by {approver}: {reason}")
            }
        };
        let event = self.go(
            ClaimStatus::Cancelled,
            "write off",
            actor,
            Some(reason.clone()),
            today,
        )?;
        self.written_off = Some(reason);
        Ok(event)
    }

    /// §7.4 Resubmit: a split child's unpaid part taken over by the resubmission claim
    /// `number` (§7.5), which is sent and settled on its own. The child ends as a write-off
    /// does (C6, Open → Cancelled), `resubmitted_as` naming the claim that carries its money.
    pub fn hand_over_to_resubmission(
        &mut self,
        number: &str,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        if self.source != ClaimSource::Split {
            return Err(ClaimError::SplitOnly("resubmit"));
        }
        let event = self.go(
            ClaimStatus::Cancelled,
            "resubmitted",
            actor,
            Some(format!("RESUBMITTED as {number}")),
            today,
        )?;
        self.resubmitted_as = Some(number.to_owned());
        Ok(event)
    }

    /// C7 (adjudicator): approved claims go to Settlement Pending at once.
    pub fn await_settlement(&mut self, today: NaiveDate) -> Result<AuditEvent, ClaimError> {
        if self.role != Role::Adjudicator {
            return Err(ClaimError::WrongRole("settlement pending on approval"));
        }
        let event = self.go(
            ClaimStatus::SettlementPending,
            "settlement pending",
            &Actor::System,
            None,
            today,
        )?;
        self.dates.accounting.get_or_insert(today);
        Ok(event)
    }

    /// C9 (adjudicator): the instrument could not be created.
    pub fn settlement_failed(
        &mut self,
        reason: &str,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        if self.role != Role::Adjudicator {
            return Err(ClaimError::WrongRole("settlement failed"));
        }
        self.go(
            ClaimStatus::Open,
            "settlement failed",
            &Actor::System,
            Some(reason.to_owned()),
            today,
        )
    }

    /// C10 (adjudicator): reopen a settled claim, user-defined methods only.
    pub fn reopen_settled(
        &mut self,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        if self.role != Role::Adjudicator {
            return Err(ClaimError::WrongRole("reopen settled"));
        }
        if !matches!(self.settlement_method, SettlementMethod::UserDefined(_)) {
            return Err(ClaimError::NotAllowed {
                number: self.number.clone(),
                from: self.status,
                action: "reopen a settlement that is not user-defined",
            });
        }
        self.go(ClaimStatus::Open, "reopen settled", actor, None, today)
    }

    /// C11 (claimant): the 844 was built and handed to transport.
    pub fn mark_sent(&mut self, today: NaiveDate) -> Result<AuditEvent, ClaimError> {
        if self.role != Role::Claimant {
            return Err(ClaimError::WrongRole("send"));
        }
        let event = self.go(ClaimStatus::Sent, "844 sent", &Actor::System, None, today)?;
        self.dates.sent = Some(today);
        Ok(event)
    }

    /// C12 (accepted) or C13 (rejected: back to Approved to resend with new control numbers
    /// and the same debit memo).
    pub fn acknowledged(
        &mut self,
        accepted: bool,
        partner: &str,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        let actor = Actor::Partner(partner.to_owned());
        if accepted {
            let event = self.go(
                ClaimStatus::Acknowledged,
                "997/999 accepted",
                &actor,
                None,
                today,
            )?;
            self.dates.acknowledged = Some(today);
            Ok(event)
        } else {
            self.go(
                ClaimStatus::Approved,
                "997/999/TA1 rejected",
                &actor,
                None,
                today,
            )
        }
    }

    /// C14 (claimant): every line has a final 849 outcome.
    pub(crate) fn responded(
        &mut self,
        partner: &str,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        let event = self.go(
            ClaimStatus::SettlementPending,
            "849 final outcomes",
            &Actor::Partner(partner.to_owned()),
            None,
            today,
        )?;
        self.dates.accounting.get_or_insert(today);
        Ok(event)
    }

    /// Allocates an instrument; C8/C15 when the matched instruments cover what is due within
    /// 0.01, else a partial payment leaves the claim Settlement Pending.
    pub fn settle(
        &mut self,
        instrument: Instrument,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<Option<AuditEvent>, ClaimError> {
        if self.status != ClaimStatus::SettlementPending {
            return Err(ClaimError::NotAllowed {
                number: self.number.clone(),
                from: self.status,
                action: "settle",
            });
        }
        if matches!(
            instrument.method,
            SettlementMethod::Check | SettlementMethod::PayablesDefaultPayment
        ) && !self.manual
        {
            return Err(ClaimError::ManualOnly("check and payables default payment"));
        }
        let remaining = self.remaining();
        if instrument.amount - remaining > SETTLEMENT_TOLERANCE {
            return Err(ClaimError::OverSettled {
                number: self.number.clone(),
                amount: instrument.amount,
                remaining,
            });
        }
        self.instruments.push(instrument);
        if self.remaining().abs() <= SETTLEMENT_TOLERANCE {
            let event = self.go(ClaimStatus::Settled, "settled", actor, None, today)?;
            self.dates.settlement = Some(today);
            return Ok(Some(event));
        }
        Ok(None)
    }

    /// C16: no open line outcome, child claim or dispute case.
    pub fn close(
        &mut self,
        open_children: bool,
        open_disputes: bool,
        today: NaiveDate,
    ) -> Result<AuditEvent, ClaimError> {
        let pending = self.lines.iter().any(|l| {
            matches!(l.outcome, Some(LineOutcome::Pending) | None) && self.role == Role::Claimant
        });
        if pending || open_children || open_disputes {
            return Err(ClaimError::NotAllowed {
                number: self.number.clone(),
                from: self.status,
                action: "close with open outcomes, children or disputes",
            });
        }
        self.go(ClaimStatus::Closed, "close", &Actor::System, None, today)
    }

    /// Σ settled, to the cent.
    pub fn settled(&self) -> Decimal {
        crate::amounts::to_cents(self.instruments.iter().map(|i| i.amount).sum())
    }

    /// The number of the claim's next split child (§8.4): `<number>-S<n>`, numbered after
    /// every child it has had, automatic or a user's.
    pub fn next_split_number(&self) -> String {
        format!("{}-S{}", self.number, self.children.len() + 1)
    }

    /// Σ splits, to the cent.
    pub fn split_amount(&self) -> Decimal {
        crate::amounts::to_cents(self.children.iter().map(|c| c.1).sum())
    }

    /// `remaining = amount − Σ splits − settled`, exact (§8.4), to the cent.
    pub fn remaining(&self) -> Decimal {
        crate::amounts::to_cents(self.amount - self.split_amount() - self.settled())
    }

    /// Σ approved of the lines that have an outcome.
    pub fn approved(&self) -> Decimal {
        self.lines.iter().filter_map(|l| l.approved_amount).sum()
    }

    /// Splits off a child claim (§8.4): users only while Open; reconciliation makes automatic
    /// splits. Type and reason default to the parent's.
    pub fn split(
        &mut self,
        amount: Decimal,
        number: String,
        reference: Option<String>,
        automatic: bool,
        today: NaiveDate,
    ) -> Result<(ClaimRecord, AuditEvent), ClaimError> {
        if !automatic && self.status != ClaimStatus::Open {
            return Err(ClaimError::NotAllowed {
                number: self.number.clone(),
                from: self.status,
                action: "split",
            });
        }
        if amount <= Decimal::ZERO {
            return Err(ClaimError::SplitAmount);
        }
        let splits = self.split_amount() + amount;
        if splits > self.amount {
            return Err(ClaimError::SplitTooLarge {
                splits,
                amount: self.amount,
            });
        }
        let number = check_number(number)?;
        self.children.push((number.clone(), amount));
        let child = ClaimRecord {
            number,
            status: ClaimStatus::Open,
            source: ClaimSource::Split,
            date: today,
            dates: ClaimDates::default(),
            amount,
            batch: None,
            parent: Some(self.number.clone()),
            children: Vec::new(),
            automatic,
            source_claim_number: reference,
            instruments: Vec::new(),
            lines: Vec::new(),
            responses: Vec::new(),
            inconsistent: false,
            written_off: None,
            resubmitted_as: None,
            extra: serde_json::Map::new(),
            ..self.clone()
        };
        let event = child.event(
            None,
            if automatic {
                "C1 automatic split"
            } else {
                "C1 split"
            },
            &Actor::System,
            None,
            today,
        );
        Ok((child, event))
    }

    /// Age in days: (settlement date or today) − claim date, frozen at settlement (§8.5).
    pub fn age_days(&self, today: NaiveDate) -> i64 {
        (self.dates.settlement.unwrap_or(today) - self.date).num_days()
    }

    /// Aging bucket.
    pub fn aging_bucket(&self, today: NaiveDate) -> AgingBucket {
        AgingBucket::of(self.age_days(today))
    }

    /// The outbound 844 (`chargegate.claim/1`): one line per claim line, the total never
    /// re-rounded, CTT02 the signed sum of quantities (§13.10).
    pub fn to_844(&self, source: Source) -> Claim {
        let lines: Vec<ClaimLine> = self.lines.iter().map(ClaimLineRecord::to_844).collect();
        Claim {
            source,
            action: if self.source == ClaimSource::Resubmission {
                Action::Resubmission
            } else {
                Action::Original
            },
            transaction_type: Some("DR".to_owned()),
            debit_memo: self.number.clone(),
            date: self.date,
            currency: Some(self.currency.clone()),
            supplier: self.supplier.clone(),
            distributor: self.distributor.clone(),
            total_claimed: lines.iter().map(|l| l.claimed_amount).sum(),
            line_count: lines.len() as u32,
            quantity_total: Some(lines.iter().map(|l| l.quantity).sum()),
            lines,
        }
    }

    /// A resubmission claim (§7.5) of the given lines: new debit memo with the partner suffix,
    /// BAA01 15, linked to the original; at most `limit` times per line.
    pub fn resubmission(
        &mut self,
        lines: &[String],
        suffix: &str,
        limit: u32,
        today: NaiveDate,
    ) -> Result<ClaimRecord, ClaimError> {
        let chosen: std::collections::HashSet<&str> = lines.iter().map(String::as_str).collect();
        let n = self
            .lines
            .iter()
            .filter(|l| chosen.contains(l.line.as_str()))
            .map(|l| l.resubmissions)
            .max()
            .unwrap_or(0)
            + 1;
        if n > limit {
            return Err(ClaimError::ResubmissionLimit(lines.join(",")));
        }
        let base = self
            .number
            .split(suffix)
            .next()
            .unwrap_or(&self.number)
            .to_owned();
        let number = resubmission_number(&base, suffix, n)?;
        let mut resubmitted = Vec::new();
        for line in self
            .lines
            .iter_mut()
            .filter(|l| chosen.contains(l.line.as_str()))
        {
            line.resubmissions = n;
            let mut copy = line.clone();
            copy.origin = Some(LineRef {
                batch: self.number.clone(),
                line: line.line.clone(),
            });
            copy.approved_amount = None;
            copy.approved_quantity = None;
            copy.approved_contract_price = None;
            copy.outcome = None;
            copy.reason_code = None;
            copy.follow_up = None;
            resubmitted.push(copy);
        }
        Ok(ClaimRecord {
            number,
            status: ClaimStatus::Open,
            source: ClaimSource::Resubmission,
            date: today,
            dates: ClaimDates::default(),
            amount: resubmitted.iter().map(|l| l.claimed_amount).sum(),
            batch: None,
            parent: Some(self.number.clone()),
            children: Vec::new(),
            automatic: false,
            instruments: Vec::new(),
            lines: resubmitted,
            responses: Vec::new(),
            inconsistent: false,
            written_off: None,
            resubmitted_as: None,
            extra: serde_json::Map::new(),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn claim(role: Role) -> ClaimRecord {
        let party = Party {
            qualifier: "1".into(),
            id: "1".into(),
            name: None,
            additional_names: vec![],
            kind: None,
            address: None,
            refs: vec![],
        };
        ClaimRecord {
            number: "GDD-CB-20261115-0001".into(),
            role,
            status: ClaimStatus::Open,
            source: ClaimSource::Manual,
            date: date("2026-11-15"),
            dates: ClaimDates::default(),
            amount: "255.25".parse().unwrap_or_default(),
            currency: "USD".into(),
            distributor: party.clone(),
            supplier: party,
            batch: None,
            parent: None,
            children: vec![],
            automatic: false,
            source_claim_number: None,
            claim_type: None,
            reason: None,
            settlement_method: SettlementMethod::CreditMemoOnAccount,
            instruments: vec![],
            lines: vec![],
            responses: vec![],
            inconsistent: false,
            manual: true,
            written_off: None,
            resubmitted_as: None,
            extra: serde_json::Map::new(),
        }
    }

    fn run(c: &mut ClaimRecord, step: &str) -> String {
        let today = date("2026-11-20");
        let user = Actor::user("ann");
        let result = match step {
            "submit" => c.submit(&user, today).map(|e| e.event),
            "approve" => c
                .approve(&Approval::Approver("bob".into()), &user, today)
                .map(|e| e.event),
            "reject" => c.reject("no", &user, today).map(|e| e.event),
            "reopen" => c.reopen(&user, today).map(|e| e.event),
            "cancel" => c.cancel(&user, today).map(|e| e.event),
            "await" => c.await_settlement(today).map(|e| e.event),
            "fail" => c.settlement_failed("bank", today).map(|e| e.event),
            "send" => c.mark_sent(today).map(|e| e.event),
            "ack" => c.acknowledged(true, "acme", today).map(|e| e.event),
            "nak" => c.acknowledged(false, "acme", today).map(|e| e.event),
            "respond" => c.responded("acme", today).map(|e| e.event),
            _ => Ok(String::new()),
        };
        match result {
            Ok(event) => format!("{event} -> {}", status_name(&c.status)),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn claim_transitions_c1_to_c16() {
        let mut c = claim(Role::Adjudicator);
        assert!(
            c.set_type_and_reason(Some("chargeback".into()), None)
                .is_ok()
        );
        assert_eq!(run(&mut c, "submit"), "C2 submit -> pending_approval");
        assert!(c.set_type_and_reason(None, None).is_err());
        assert_eq!(run(&mut c, "reject"), "C4 reject -> rejected");
        assert_eq!(run(&mut c, "reopen"), "C5 reopen for correction -> open");
        assert_eq!(run(&mut c, "approve"), "C3 approve -> approved");
        assert_eq!(run(&mut c, "send"), "error: send is for the other role");
        assert_eq!(
            run(&mut c, "await"),
            "C7 settlement pending -> settlement_pending"
        );
        assert_eq!(c.dates.accounting, Some(date("2026-11-20")));
        assert_eq!(run(&mut c, "fail"), "C9 settlement failed -> open");
        assert_eq!(run(&mut c, "cancel"), "C6 cancel -> cancelled");
        assert_eq!(
            run(&mut c, "submit"),
            "error: claim GDD-CB-20261115-0001 is cancelled; submit is not allowed"
        );

        let mut c = claim(Role::Claimant);
        assert_eq!(run(&mut c, "approve"), "C3 approve -> approved");
        assert_eq!(run(&mut c, "send"), "C11 844 sent -> sent");
        assert_eq!(run(&mut c, "nak"), "C13 997/999/TA1 rejected -> approved");
        assert_eq!(run(&mut c, "send"), "C11 844 sent -> sent");
        assert_eq!(run(&mut c, "ack"), "C12 997/999 accepted -> acknowledged");
        assert_eq!(
            run(&mut c, "respond"),
            "C14 849 final outcomes -> settlement_pending"
        );
        let today = date("2026-11-25");
        let memo = |amount: &str| Instrument {
            method: SettlementMethod::CreditMemoOnAccount,
            number: "ACME-CR-1".into(),
            date: today,
            amount: amount.parse().unwrap_or_default(),
            mass_settlement: None,
        };
        // A partial payment leaves it Settlement Pending with the remainder shown (§7.3).
        assert_eq!(
            c.settle(memo("200.00"), &Actor::System, today)
                .map(|e| e.is_some()),
            Ok(false)
        );
        assert_eq!(c.remaining().to_string(), "55.25");
        // More than is left is refused, nothing recorded.
        assert_eq!(
            c.settle(memo("55.27"), &Actor::System, today)
                .map(|e| e.is_some()),
            Err(ClaimError::OverSettled {
                number: c.number.clone(),
                amount: "55.27".parse().unwrap_or_default(),
                remaining: "55.25".parse().unwrap_or_default(),
            })
        );
        assert_eq!(c.remaining().to_string(), "55.25");
        assert_eq!(
            c.settle(memo("55.24"), &Actor::System, today)
                .map(|e| e.map(|e| e.event)),
            Ok(Some("C15 settled".into()))
        );
        assert_eq!(
            c.close(false, true, today).map(|e| e.event),
            Err(ClaimError::NotAllowed {
                number: c.number.clone(),
                from: ClaimStatus::Settled,
                action: "close with open outcomes, children or disputes"
            })
        );
        assert_eq!(
            c.close(false, false, today).map(|e| e.event),
            Ok("C16 close".into())
        );
    }

    #[test]
    fn approval_authority_c3() {
        let mut c = claim(Role::Adjudicator);
        let auto = |limit: &str, valid| Approval::Automatic {
            limit: limit.parse().unwrap_or_default(),
            fully_valid_batch: valid,
        };
        assert_eq!(
            c.approve(&auto("0.00", true), &Actor::System, date("2026-11-20")),
            Err(ClaimError::NoAuthority)
        );
        assert_eq!(
            c.approve(&auto("500.00", false), &Actor::System, date("2026-11-20")),
            Err(ClaimError::NoAuthority)
        );
        assert!(
            c.approve(&auto("500.00", true), &Actor::System, date("2026-11-20"))
                .is_ok()
        );
        // C10 only for user-defined settlement methods.
        let mut c = claim(Role::Adjudicator);
        c.status = ClaimStatus::Settled;
        assert!(
            c.reopen_settled(&Actor::user("ann"), date("2026-11-20"))
                .is_err()
        );
        c.settlement_method = SettlementMethod::UserDefined("rebate".into());
        assert_eq!(
            c.reopen_settled(&Actor::user("ann"), date("2026-11-20"))
                .map(|e| e.event),
            Ok("C10 reopen settled".into())
        );
    }

    #[test]
    fn one_instrument_for_several_claims_7_3() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        let mut older = claim(Role::Claimant);
        older.number = "A".into();
        older.amount = d("100.00");
        older.date = date("2026-10-01");
        let mut newer = claim(Role::Claimant);
        newer.number = "B".into();
        newer.amount = d("80.00");
        let claims = [&older, &newer];
        assert_eq!(
            allocate_instrument(d("150.00"), None, &claims, false),
            vec![]
        );
        assert_eq!(
            allocate_instrument(d("150.00"), None, &claims, true),
            vec![("A".to_owned(), d("100.00")), ("B".to_owned(), d("50.00"))]
        );
        let remittance = [("B".to_owned(), d("80.00")), ("Z".to_owned(), d("70.00"))];
        assert_eq!(
            allocate_instrument(d("150.00"), Some(&remittance), &claims, false),
            vec![("B".to_owned(), d("80.00"))]
        );
    }

    #[test]
    fn claim_trigger_cuts_batches_8_1() {
        let day = date("2026-11-05");
        let cases = [
            (ClaimTrigger::Immediate, "123456789/invoice/INV0098123"),
            (ClaimTrigger::Daily, "123456789/2026-11-05"),
            (ClaimTrigger::Weekly, "123456789/2026-W45"),
            (ClaimTrigger::Monthly, "123456789/2026-11"),
        ];
        for (trigger, key) in cases {
            assert_eq!(batch_key(trigger, "123456789", "INV0098123", day), key);
        }
        // 2026-11-05 is a Thursday: its ISO week 45 ends on Sunday 2026-11-08.
        for (trigger, end) in [
            (ClaimTrigger::Immediate, None),
            (ClaimTrigger::Daily, Some("2026-11-05")),
            (ClaimTrigger::Weekly, Some("2026-11-08")),
            (ClaimTrigger::Monthly, Some("2026-11-30")),
        ] {
            let end = end.map(|d: &str| d.parse::<NaiveDate>().expect("date"));
            assert_eq!(period_end(trigger, day), end);
        }
        // Year ends: December's last day; ISO week 2026-W53 ends on 2027-01-03.
        let dec = "2026-12-31".parse::<NaiveDate>().expect("date");
        assert_eq!(
            period_end(ClaimTrigger::Monthly, dec),
            Some("2026-12-31".parse().expect("date"))
        );
        assert_eq!(
            period_end(ClaimTrigger::Weekly, dec),
            Some("2027-01-03".parse().expect("date"))
        );
    }

    #[test]
    fn unanswered_lines_become_no_response_7_2() {
        let mut c = claim(Role::Claimant);
        c.lines = vec![ClaimLineRecord::unanswered(
            "1".into(),
            None,
            crate::sale::SaleLine::from(&crate::rules::tests::sample_claim().lines[0]),
            "SPA-2026-0042".into(),
            Decimal::TEN,
            "62.50".parse().unwrap_or_default(),
        )];
        c.dates.sent = Some(date("2026-11-15"));
        let settings = EngineSettings::default();
        assert!(c.mark_no_response(&settings, date("2026-12-29")).is_empty());
        assert_eq!(c.mark_no_response(&settings, date("2026-12-30")).len(), 1);
        assert_eq!(c.lines[0].outcome, Some(LineOutcome::NoResponse));
    }

    #[test]
    fn numbers_splits_and_aging_8() {
        assert_eq!(
            claim_number("GDD-CB", date("2026-11-15"), 1).as_deref(),
            Ok("GDD-CB-20261115-0001")
        );
        assert!(claim_number("A-VERY-LONG-PREFIX-FOR-004010", date("2026-11-15"), 1).is_err());
        assert_eq!(
            resubmission_number("GDD-CB-20261115-0001", "-R", 1).as_deref(),
            Ok("GDD-CB-20261115-0001-R1")
        );
        let mut c = claim(Role::Claimant);
        let (child, _) = match c.split(
            "31.75".parse().unwrap_or_default(),
            "GDD-CB-20261115-0001-S1".into(),
            None,
            false,
            date("2026-11-20"),
        ) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            (
                child.parent.as_deref(),
                child.source,
                child.amount.to_string()
            ),
            (
                Some("GDD-CB-20261115-0001"),
                ClaimSource::Split,
                "31.75".to_owned()
            )
        );
        assert_eq!(c.remaining().to_string(), "223.50");
        assert!(matches!(
            c.split(
                "300".parse().unwrap_or_default(),
                "X".into(),
                None,
                false,
                date("2026-11-20")
            ),
            Err(ClaimError::SplitTooLarge { .. })
        ));
        c.status = ClaimStatus::Sent;
        assert!(
            c.split(
                "1".parse().unwrap_or_default(),
                "Y".into(),
                None,
                false,
                date("2026-11-20")
            )
            .is_err()
        );
        let cases = [
            (0, AgingBucket::UpTo30),
            (30, AgingBucket::UpTo30),
            (31, AgingBucket::UpTo60),
            (90, AgingBucket::UpTo90),
            (180, AgingBucket::UpTo180),
            (181, AgingBucket::Over180),
        ];
        for (days, bucket) in cases {
            assert_eq!(AgingBucket::of(days), bucket, "{days}");
        }
        assert_eq!(c.age_days(date("2027-01-14")), 60);
        c.dates.settlement = Some(date("2026-12-15"));
        assert_eq!(c.age_days(date("2027-06-01")), 30);
    }
}
