//! The validation pipeline of §3: V0..V10 in the spec's order.
//!
//! V0 and V1 failures stop the line. From V2 on every step runs and every failure is recorded;
//! the first sets the status and primary reason, so a corrected line does not bounce again on
//! a hidden second error. A step that cannot be evaluated because an earlier one found nothing
//! to evaluate against (no contract, no price row) records nothing (§13.11).
//!
//! [`Pipeline`] streams: it keeps per batch only line-key fingerprints (32 bytes a sale key) and
//! the few lines passed within tolerance, never the lines or their results; validating in
//! chunks (`chunked`), only the fingerprints the current chunk can meet.

mod chunked;
mod seen;
#[cfg(test)]
pub(crate) mod tests;

use crate::name::Name;
use chunked::Chunked;
pub use chunked::{ChunkInvoices, ReturnSales};
use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::amounts::{self, AmountCheck, Rounding, UomFactor};
use crate::batch::LineStatus;
use crate::caps::{CapCheck, CapLedger};
use crate::contracts::{
    CLASS_NOT_IN_BOOK, ContractBook, ContractIdx, ContractState, ConvertedReference, Eligibility,
    HotContract, ItemIdx, PriceChoice, distributor_print,
};
use crate::duplicates::{LineHistory, LineKeys, line_keys_from, party_base, return_sale_key_from};
use crate::fingerprint::FingerprintBuild;
use crate::fingerprint::Fingerprinter;
use crate::identity::{PartyKey, write_item_key};
use crate::reasons::{DisputeStatus, ReasonCode, Warning};
use crate::sale::{LineRef, SaleLine};
use crate::settings::{EngineSettings, Role};

/// A pipeline step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    /// Structure.
    V0,
    /// Duplicate.
    V1,
    /// Contract.
    V2,
    /// Contract active.
    V3,
    /// Item.
    V4,
    /// Customer.
    V5,
    /// Dates.
    V6,
    /// Sign.
    V7,
    /// Prices.
    V8,
    /// Amount.
    V9,
    /// Cap.
    V10,
}

/// One failed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The step.
    pub step: Step,
    /// The fine reason.
    pub reason: ReasonCode,
}

/// What priced a line, so a recomputation gives the same cents (§2.2 pricing snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingSnapshot {
    /// Normalized contract number.
    pub contract: Name,
    /// Contract version used.
    pub version: u32,
    /// Normalized item key.
    pub item: Name,
    /// First day of the price row.
    #[serde(serialize_with = "schemas::iso_date::serialize")]
    pub row_start: NaiveDate,
    /// Last day of the price row.
    #[serde(serialize_with = "schemas::iso_date::serialize")]
    pub row_end: NaiveDate,
    /// Contract price per contract unit.
    pub contract_price: Decimal,
    /// Reference price per contract unit (rust_decimal's full precision when converted from
    /// a list row in another unit by a division that does not end).
    pub reference_price: Decimal,
    /// Where the reference price came from when a supplier's list row in another unit gave
    /// it: that row's unit, price and factor to the contract unit. The amount is recomputed
    /// from them, exactly, not from `reference_price`. Left out otherwise (the contract's
    /// price, a list row in the contract unit, or the line's stated one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_converted: Option<ConvertedReference>,
    /// Contract unit.
    pub contract_uom: Name,
    /// Sale → contract unit factor. Left out of the stored line when 1/1, as the standard
    /// rounding is: every line of a batch repeats them (about 100 of a line's 940 bytes).
    #[serde(
        default = "UomFactor::identity",
        skip_serializing_if = "UomFactor::is_identity"
    )]
    pub factor: UomFactor,
    /// Rounding applied.
    #[serde(
        default = "Rounding::standard",
        skip_serializing_if = "Rounding::is_standard"
    )]
    pub rounding: Rounding,
}

impl PricingSnapshot {
    /// Recomputes the amount of a quantity from the snapshot.
    pub fn amount(&self, quantity: Decimal) -> Result<Decimal, amounts::AmountError> {
        line_amount_of(
            self.reference_price,
            self.reference_converted.as_ref(),
            self.contract_price,
            quantity,
            self.factor,
            self.rounding,
        )
    }

    /// The reference price per sale unit (for a claim's `UIT*WH`): from the list row's own
    /// price when converted (a list per EA gives a sale per EA its figure exactly). A price
    /// whose division does not end (100.00 per 12-EA case, per EA) is written to
    /// [`amounts::MAX_SCALE`] places with the snapshot's strategy, 8.333333: `UIT02` holds
    /// 17 digits at most, and the line's amount is computed, and claimed, apart from it.
    pub fn reference_price_per_sale_unit(&self) -> Decimal {
        let price = reference_per_sale_unit(
            self.reference_price,
            self.reference_converted.as_ref(),
            self.factor,
        );
        if price.scale() <= amounts::MAX_SCALE {
            return price;
        }
        Rounding {
            scale: amounts::MAX_SCALE,
            ..self.rounding
        }
        .round(price)
    }

    /// The contract price per sale unit (for an 849's corrected `UIT*CT`).
    pub fn contract_price_per_sale_unit(&self) -> Decimal {
        self.factor
            .price_per_sale_unit(self.contract_price)
            .unwrap_or(self.contract_price)
    }
}

/// The result of validating one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    /// Accepted, or the disputed status of the primary failure.
    pub status: LineStatus,
    /// The first failure's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<ReasonCode>,
    /// Every failure, in step order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    /// Warnings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Pricing date *d*.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "schemas::iso_date::option"
    )]
    pub pricing_date: Option<NaiveDate>,
    /// Contract number used (as issued), claimed or derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<Name>,
    /// Candidates when the contract was derived (§3.2), best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derivation_candidates: Vec<String>,
    /// Pricing snapshot, when prices resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<PricingSnapshot>,
    /// Calculated amount, when prices resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculated_amount: Option<Decimal>,
    /// Claimed − calculated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance: Option<Decimal>,
    /// Passed V9 only thanks to tolerance.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub within_tolerance: bool,
    /// Amount the line is accepted at when it passes (per `pay_basis` and role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_amount: Option<Decimal>,
    /// Quantity in contract units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_quantity: Option<Decimal>,
    /// Remaining cap quantity after a cap failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_remaining: Option<Decimal>,
    /// Caps that apply to the line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<usize>,
    /// Duplicate-key fingerprints, for the history index (kept, so a stored line can be
    /// indexed again without re-validating it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<LineKeys>,
}

impl Validation {
    pub(crate) fn new() -> Self {
        Self {
            status: LineStatus::Accepted,
            primary: None,
            failures: Vec::new(),
            warnings: Vec::new(),
            pricing_date: None,
            contract: None,
            derivation_candidates: Vec::new(),
            pricing: None,
            calculated_amount: None,
            variance: None,
            within_tolerance: false,
            accepted_amount: None,
            contract_quantity: None,
            cap_remaining: None,
            caps: Vec::new(),
            keys: None,
        }
    }

    fn fail(&mut self, step: Step, reason: ReasonCode) {
        self.failures.push(Failure { step, reason });
    }

    fn warn(&mut self, warning: Warning) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    /// Sets status and primary reason from the first failure (lowest step, then order).
    fn settle(&mut self) {
        self.failures.sort_by_key(|f| f.step);
        match self.failures.first() {
            Some(first) => {
                self.primary = Some(first.reason);
                self.status = LineStatus::from(first.reason.status());
            }
            None => {
                self.primary = None;
                self.status = LineStatus::Accepted;
            }
        }
    }

    /// The line's cap failure (V10: `CAP_EXCEEDED` or `CAP_EXHAUSTED`), whichever failure came
    /// first.
    pub fn cap_failure(&self) -> Option<ReasonCode> {
        self.failures
            .iter()
            .find(|f| f.step == Step::V10)
            .map(|f| f.reason)
    }

    /// Turns an accepted line into Amount Disputed `AMOUNT_MISMATCH` (header tolerance, §13.4).
    pub fn fail_header_tolerance(&mut self) {
        self.fail(Step::V9, ReasonCode::AmountMismatch);
        self.accepted_amount = None;
        self.settle();
    }
}

impl From<DisputeStatus> for LineStatus {
    fn from(status: DisputeStatus) -> Self {
        match status {
            DisputeStatus::EligibilityDisputed => Self::EligibilityDisputed,
            DisputeStatus::AmountDisputed => Self::AmountDisputed,
            DisputeStatus::Duplicate => Self::Duplicate,
        }
    }
}

/// Who claims what from whom, and when: the header every line of a batch shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchContext {
    /// Batch id (for cap ledger entries).
    pub batch: String,
    /// Our role.
    pub role: Role,
    /// The distributor.
    pub distributor: PartyKey,
    /// The supplier.
    pub supplier: PartyKey,
    /// Claim date: debit memo date as claimant, receipt date as adjudicator.
    pub claim_date: NaiveDate,
}

/// The first line of a batch with a sale key.
///
/// Its near and exact keys are kept as their low 64 bits ([`check`]): they are only ever
/// compared with those of later lines under the same 128-bit sale key, where two different
/// keys agree in 64 bits with odds of 2⁻⁶⁴, and a million-line batch's table is half the size
/// (the whole keys of the rare later lines stay whole in `near_extra` and `exact_extra`).
#[derive(Debug, Clone, Copy)]
struct SeenSale {
    /// Pricing date of the first sale (not return) with the key.
    date: Option<NaiveDate>,
    near: Check,
    exact: Check,
}

/// The low 64 bits of a near or exact key, as two 4-byte halves (so a slot packs into 32
/// bytes without padding).
type Check = [u32; 2];

fn check(key: u128) -> Check {
    [key as u32, (key >> 32) as u32]
}

impl SeenSale {
    /// Known only as a sale from [`Pipeline::preload_sales`].
    const PRELOADED: Self = Self {
        date: None,
        near: [0; 2],
        exact: [0; 2],
    };
}

/// Lines whose header tolerance failed, by position in the batch (§13.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderTolerance {
    /// Σ|variance| of lines passed within tolerance.
    pub total_variance: Decimal,
    /// Whether that total exceeded `header_tol`: every such line fails.
    pub exceeded: bool,
    /// Positions of those lines when it did; empty otherwise, and in a batch validated in
    /// chunks (its plan fails them as they stream, [`Pipeline::in_chunks`]).
    pub failed: Vec<usize>,
}

/// The lines passed within tolerance so far, for the header check at the batch's end.
#[derive(Debug, Default)]
struct Tolerated {
    /// Σ|variance|.
    total: Decimal,
    /// Their positions; not kept in a batch validated in chunks, so that nothing kept grows
    /// with its lines.
    positions: Vec<usize>,
    /// Those holding cap reservations, given back when the header check fails.
    capped: Vec<LineRef>,
}

/// Records each positive sale of `lines` in `seen` under its return key, with its date.
fn known_sales_into<'l>(
    seen: &mut seen::SeenMap,
    parties: &Fingerprinter,
    basis: crate::settings::PricingDateBasis,
    item_buf: &mut String,
    lines: impl IntoIterator<Item = &'l SaleLine>,
) {
    for line in lines {
        let Some(d) = line.sale_date(basis) else {
            continue;
        };
        if write_item_key(&line.item.qualifier, &line.item.id, item_buf).is_ok() {
            let key = return_sale_key_from(parties, &line.invoice, item_buf);
            note_sale(seen, key, d);
        }
    }
}

/// Records a sale on `d` under its return key `key` (the first sale's date wins).
fn note_sale(seen: &mut seen::SeenMap, key: u128, d: NaiveDate) {
    let (entry, _) = seen.get_or_insert_with(key, || SeenSale::PRELOADED);
    entry.date = entry.date.or(Some(d));
}

/// Streaming validator for the lines of one batch.
pub struct Pipeline<'a> {
    book: &'a ContractBook,
    settings: &'a EngineSettings,
    ctx: &'a BatchContext,
    today: NaiveDate,
    history: &'a LineHistory,
    /// The history of the current chunk's invoices, when the batch is validated in chunks
    /// ([`Pipeline::begin_chunk`]); `history` otherwise.
    chunk_history: Option<LineHistory>,
    /// The sales of a chunked batch found after a return to them ([`ReturnSales`]).
    return_sales: Option<&'a ReturnSales>,
    /// What the lines of a batch validated in chunks leave for the chunks after.
    chunk: Option<Chunked>,
    caps: Option<&'a mut CapLedger>,
    rounding: Rounding,
    derive: bool,
    /// Sale key (distributor, supplier, invoice, item) → the first line with it: one table a
    /// line probes once for its duplicate checks and that returns use to find their sale.
    seen: seen::SeenMap,
    /// Near keys of later lines whose sale key was taken (rare).
    near_extra: HashSet<u128, FingerprintBuild>,
    /// Exact keys of later lines whose sale key was taken (rare).
    exact_extra: HashSet<u128, FingerprintBuild>,
    tolerated: Tolerated,
    position: usize,
    item_buf: String,
    scratch: String,
    customer: Vec<PartyKey>,
    customer_prints: Vec<u128>,
    skip_duplicates: bool,
    traced: Option<&'a crate::duplicates::TracedSales>,
    parties: Fingerprinter,
    /// Fingerprint of the batch's distributor id, for the contracts' authorizations.
    distributor_print: u128,
}

impl<'a> Pipeline<'a> {
    /// A pipeline for one batch. `caps`, when given, receives reservations of accepted lines.
    pub fn new(
        book: &'a ContractBook,
        settings: &'a EngineSettings,
        ctx: &'a BatchContext,
        today: NaiveDate,
        history: &'a LineHistory,
        caps: Option<&'a mut CapLedger>,
    ) -> Self {
        Self {
            book,
            settings,
            ctx,
            today,
            history,
            chunk_history: None,
            return_sales: None,
            chunk: None,
            caps,
            rounding: Rounding::of(settings),
            derive: settings.derive_contract_for(ctx.role),
            seen: Default::default(),
            near_extra: HashSet::default(),
            exact_extra: HashSet::default(),
            tolerated: Tolerated::default(),
            position: 0,
            item_buf: String::new(),
            scratch: String::new(),
            customer: Vec::new(),
            customer_prints: Vec::new(),
            skip_duplicates: false,
            traced: None,
            parties: party_base(&ctx.distributor.id, &ctx.supplier.id),
            distributor_print: distributor_print(&ctx.distributor.id),
        }
    }

    /// Checks lines against an 867 feed: a line with no traced sale gets `NOT_TRACED`.
    pub fn with_traced_sales(&mut self, traced: &'a crate::duplicates::TracedSales) {
        self.traced = Some(traced);
    }

    /// Skips V1 (a second user said "not a duplicate", L15).
    pub fn skip_duplicate_check(&mut self) {
        self.skip_duplicates = true;
    }

    /// Sizes the per-batch key sets for `lines` lines, so a large batch does not rehash.
    pub fn reserve(&mut self, lines: usize) {
        self.seen.reserve(lines);
    }

    /// Makes the positive lines of the whole batch known as originals of its returns, so a
    /// return finds its sale wherever it sits in the claim (§13.10).
    pub fn preload_sales<'l>(&mut self, lines: impl IntoIterator<Item = &'l SaleLine>) {
        let basis = self.settings.pricing_date_basis;
        known_sales_into(
            &mut self.seen,
            &self.parties,
            basis,
            &mut self.item_buf,
            lines,
        );
    }

    /// Validates the next line of the batch.
    pub fn validate(&mut self, line: &SaleLine) -> Validation {
        let position = self.position;
        self.position += 1;
        let mut v = Validation::new();
        let mut customer = std::mem::take(&mut self.customer);
        fill_customer_keys(&mut customer, &line.end_customer);
        self.run(line, &mut v, &customer);
        self.customer = customer;
        if let Some(chunk) = &mut self.chunk {
            let context = (&self.parties, self.settings.pricing_date_basis);
            chunk.validated(context, &mut self.item_buf, (position, line), v.keys);
        }
        v.settle();
        if v.status == LineStatus::Accepted {
            if v.within_tolerance {
                self.tolerated.total += v.variance.unwrap_or_default().abs();
                if self.chunk.is_none() {
                    self.tolerated.positions.push(position);
                }
                if !v.caps.is_empty() {
                    self.tolerated.capped.push(self.line_ref(line));
                }
            }
            if let (Some(caps), false) = (self.caps.as_deref_mut(), v.caps.is_empty()) {
                let line_ref = LineRef {
                    batch: self.ctx.batch.clone(),
                    line: line.line.clone(),
                };
                caps.reserve(
                    &v.caps,
                    &line_ref,
                    v.contract_quantity.unwrap_or_default(),
                    v.accepted_amount.unwrap_or_default(),
                    self.today,
                );
            }
        }
        v
    }

    fn line_ref(&self, line: &SaleLine) -> LineRef {
        LineRef {
            batch: self.ctx.batch.clone(),
            line: line.line.clone(),
        }
    }

    /// Reserves `quantity` (contract units) and `amount` on the caps `v` found for `line`, for a
    /// line paid although it failed an amount rule (§13.1 `pay_calculated`): the lines after it
    /// in the batch then see what it takes (§5.1).
    pub(crate) fn reserve_caps(
        &mut self,
        line: &SaleLine,
        v: &Validation,
        (quantity, amount): (Decimal, Decimal),
    ) {
        if v.caps.is_empty() {
            return;
        }
        let line_ref = self.line_ref(line);
        if let Some(caps) = self.caps.as_deref_mut() {
            caps.reserve(&v.caps, &line_ref, quantity, amount, self.today);
        }
    }

    /// Turns a line's cap reservations into consumption (the line is Claimed).
    pub(crate) fn consume_caps(&mut self, line: &SaleLine) {
        let line_ref = self.line_ref(line);
        if let Some(caps) = self.caps.as_deref_mut() {
            caps.consume(&line_ref, self.today);
        }
    }

    /// Ends the batch: the header tolerance check (§13.4). Reservations of the failed lines are
    /// released.
    pub fn finish(mut self) -> HeaderTolerance {
        let total = self.tolerated.total;
        if total <= self.settings.header_tol {
            return HeaderTolerance {
                total_variance: total,
                ..HeaderTolerance::default()
            };
        }
        if let Some(caps) = self.caps.as_deref_mut() {
            for line_ref in &self.tolerated.capped {
                caps.release(line_ref, self.today);
            }
        }
        HeaderTolerance {
            total_variance: total,
            exceeded: true,
            failed: self.tolerated.positions,
        }
    }

    fn run(&mut self, line: &SaleLine, v: &mut Validation, customer: &[PartyKey]) {
        let settings = self.settings;
        let book = self.book;
        let ctx = self.ctx;

        // V0 structure.
        let own_date = line.own_date(settings.pricing_date_basis);
        if ctx.distributor.id.is_empty()
            || blank(&line.invoice)
            || own_date.is_none()
            || blank(&line.end_customer.id)
            || blank(&line.item.id)
            || blank(&line.uom)
        {
            return v.fail(Step::V0, ReasonCode::DataMissing);
        }
        if line.quantity.is_zero() {
            return v.fail(Step::V0, ReasonCode::DataInvalid);
        }
        if write_item_key(&line.item.qualifier, &line.item.id, &mut self.item_buf).is_err() {
            return v.fail(Step::V0, ReasonCode::ItemUnknown);
        }
        // A sale is priced as of its own date, so its duplicate keys are known before any book
        // lookup (a return's wait for its sale's date).
        let sale_keys = (!line.is_return()).then(|| {
            line_keys_from(
                &self.parties,
                line,
                &self.item_buf,
                own_date,
                settings.invoice_line_in_key,
            )
        });
        let item: Option<ItemIdx> = book
            .item_by_key(&self.item_buf)
            .or_else(|| book.find_item(&line.item, &mut self.scratch).ok().flatten());
        let claimed: Option<ContractIdx> = line
            .contract_id
            .as_deref()
            .and_then(|n| book.find_contract(&ctx.supplier.id, n, &mut self.scratch));
        // The claimed contract's rows of the item, found once and reused by V4.
        let claimed_rows: &[crate::contracts::PriceRow] = match (claimed, item) {
            (Some(c), Some(i)) => book.current_item_rows(c, i),
            _ => &[],
        };
        self.warm(claimed, item, sale_keys.as_ref());
        if let (Some(first), Some(i)) = (claimed_rows.first(), item)
            && book
                .uom_factor(settings, i, &line.uom, book.uom(first.uom))
                .is_none()
        {
            return v.fail(Step::V0, ReasonCode::UomUnknown);
        }

        // Pricing date: a return is priced as of its original sale (§13.10).
        let mut original_found = false;
        let mut d = own_date.unwrap_or(ctx.claim_date);
        if line.is_return() {
            let key = return_sale_key_from(&self.parties, line.return_of(), &self.item_buf);
            if let Some(sale_d) = self
                .seen
                .get(key)
                .and_then(|s| s.date)
                .or_else(|| self.return_sales.and_then(|r| r.date(key)))
                .or_else(|| self.history().sale_date(key))
            {
                d = sale_d;
                original_found = true;
            }
        }
        v.pricing_date = Some(d);

        // V1 duplicate.
        let keys = sale_keys.unwrap_or_else(|| {
            line_keys_from(
                &self.parties,
                line,
                &self.item_buf,
                Some(d),
                settings.invoice_line_in_key,
            )
        });
        v.keys = Some(keys);
        let sale_date = (!line.is_return()).then_some(d);
        let (first_in_batch, near_in_batch) = self.note_in_batch(&keys, sale_date);
        // L15 "not a duplicate" overrides V1: V2–V10 run.
        if !self.skip_duplicates {
            let near_before = near_in_batch || self.history().near_match(keys.near);
            if !first_in_batch {
                return v.fail(Step::V1, ReasonCode::DuplicateInBatch);
            }
            let own = (ctx.batch.as_str(), line.line.as_str());
            if self
                .history()
                .blocking(keys.exact, line.corrects.as_ref(), own)
                .is_some()
            {
                return v.fail(Step::V1, ReasonCode::DuplicatePrior);
            }
            if near_before {
                v.warn(Warning::PossibleDuplicate);
            }
        }

        if self
            .traced
            .is_some_and(|t| !line.is_return() && !t.contains(keys.sale))
        {
            v.warn(Warning::NotTraced);
        }

        // V2 contract, with derivation (§3.2). The line's class of trade, when it says one:
        // a class no contract prices matches no class's row.
        let class = line
            .class_of_trade
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| book.class_index(c).unwrap_or(CLASS_NOT_IN_BOOK));
        let mut contract = claimed;
        let mut v2 = match claimed {
            None => Some(ReasonCode::ContractUnknown),
            Some(c) => match book.hot(c) {
                None => Some(ReasonCode::ContractUnknown),
                Some(hot) if hot.status == ContractState::Cancelled => {
                    Some(ReasonCode::ContractCancelled)
                }
                Some(hot) if !self.authorized(c, hot, d) => {
                    Some(ReasonCode::DistributorNotAuthorized)
                }
                Some(_) => None,
            },
        };
        if v2.is_some()
            && self.derive
            && let Some(i) = item
        {
            let candidates = self.derivation_candidates(i, class, customer, d);
            if let Some(&(best, _)) = candidates.first() {
                contract = Some(best);
                v2 = None;
                v.warn(Warning::DerivedContract);
                v.derivation_candidates = candidates
                    .iter()
                    .filter_map(|(c, _)| book.lineage(*c).map(|l| l.number_as_issued.to_string()))
                    .collect();
            }
        }
        if let Some(reason) = v2 {
            v.fail(Step::V2, reason);
        }
        let hot: Option<&HotContract> = contract.and_then(|c| book.hot(c));
        if let (Some(c), Some(_)) = (contract, hot) {
            v.contract = book.lineage(c).map(|l| l.number_as_issued.clone());
        }

        // V3 contract active on d.
        if let Some(hot) = hot
            && let Some(reason) = contract_active(hot.status, hot.effective, hot.expires, d)
        {
            v.fail(Step::V3, reason);
        }

        // V4 item on the contract on d.
        let rows: &[crate::contracts::PriceRow] = match (hot, item) {
            (Some(_), Some(_)) if contract == claimed => claimed_rows,
            (Some(_), Some(i)) => contract.map_or(&[][..], |c| book.current_item_rows(c, i)),
            _ => &[],
        };
        // Prices for named parties (a CTP-level N1 loop) price only those parties' sales.
        let rows = book.rows_for_customer(rows, customer, d);
        let rows = &rows[..];
        // A line that states no class takes its customer's class on the contract, when the
        // 845 lists it with one and the item is priced per class (else it is not asked).
        let class = class.or_else(|| match contract {
            Some(c) if rows.iter().any(|r| r.class != 0) => book.eligible_class(c, customer, d),
            _ => None,
        });
        let choice = ContractBook::price_row_for(rows, class, d);
        let row = choice.row();
        // Outside the contract's dates V3 has reported the date; V4 then only asks whether the
        // item is on the contract at all (as the worked example of §4.4 reads for line 6).
        // An item priced per class of trade, differently, for a line whose class is not
        // known is on the contract: what is missing is the class that picks its price.
        if let Some(hot) = hot {
            let in_dates = hot.effective <= d && d <= hot.expires;
            let listed = !rows.is_empty();
            if !listed {
                v.fail(Step::V4, ReasonCode::ItemNotOnContract);
            } else if in_dates && row.is_none() {
                v.fail(
                    Step::V4,
                    match choice {
                        PriceChoice::ClassUnknown => ReasonCode::ClassOfTradeUnknown,
                        PriceChoice::Row(_) | PriceChoice::None => ReasonCode::ItemNotOnContract,
                    },
                );
            }
        }

        // V5 customer eligible on d.
        if let (Some(hot), Some(c)) = (hot, contract) {
            self.customer_prints.clear();
            self.customer_prints
                .extend(customer.iter().map(crate::contracts::party_print));
            match book.eligibility_of(c, hot, customer, &self.customer_prints, d) {
                Eligibility::Direct | Eligibility::Group | Eligibility::Open => {}
                Eligibility::MembershipInactive => v.fail(Step::V5, ReasonCode::MembershipInactive),
                Eligibility::NotEligible => v.fail(Step::V5, ReasonCode::CustomerNotEligible),
            }
        }

        // V6 dates.
        if d > self.today {
            v.fail(Step::V6, ReasonCode::DateInFuture);
        }
        if line.ship_date.is_some_and(|s| s > ctx.claim_date) {
            v.fail(Step::V6, ReasonCode::DateInvalid);
        }
        if let Some(window) = settings.claim_window_days
            && (ctx.claim_date - d).num_days() > i64::from(window)
        {
            v.fail(Step::V6, ReasonCode::ClaimWindowExpired);
        }

        // V7 sign.
        if line.is_return()
            && (!settings.allow_negative_lines
                || (!original_found && !settings.allow_unmatched_returns))
        {
            v.fail(Step::V7, ReasonCode::DebitNotSupported);
        }

        // V8 prices as of d; nothing more when they cannot be resolved (§13.11).
        let (Some(hot), Some(row), Some(c)) = (hot, row, contract) else {
            return;
        };
        let contract_uom = book.uom(row.uom);
        let Some(factor) = book.uom_factor(settings, row.item, &line.uom, contract_uom) else {
            return v.fail(Step::V0, ReasonCode::UomUnknown);
        };
        let Ok(contract_sale) = factor.price_per_sale_unit(row.contract_price) else {
            return v.fail(Step::V0, ReasonCode::DataInvalid);
        };
        // ref(d): the contract's or the book's (the supplier's price list, rows of the
        // partner's `reference_price_basis`); else the reference the line states (UIT*WH,
        // the claimant's stated cost), which nothing here can check but which lets the
        // contract price and the amount be. With none at all the contract price is still
        // checked (it used not to be: the line passed at whatever it claimed).
        // A list row in another unit is converted exactly (`reference_converted`), the
        // amount computed from it with one division (§4.1, §4.2).
        let known = book.reference_price(settings, &ctx.supplier, row, d);
        let converted = known.as_ref().and_then(|k| k.converted.clone());
        let known = known.map(|k| k.per_contract_unit);
        let Some(reference) = known.or_else(|| stated_reference(line, factor)) else {
            return self.check_prices(line, contract_sale, None, v);
        };
        let Some(unit_cb) = reference.checked_sub(row.contract_price) else {
            return v.fail(Step::V0, ReasonCode::DataInvalid);
        };
        if unit_cb <= Decimal::ZERO {
            v.fail(Step::V8, ReasonCode::NotBelowReference);
        }
        // A stated reference is the line's own: nothing to check it against.
        let reference_sale =
            known.map(|_| reference_per_sale_unit(reference, converted.as_ref(), factor));
        self.check_prices(line, contract_sale, reference_sale, v);
        let (Ok(calculated), Ok(contract_quantity)) = (
            line_amount_of(
                reference,
                converted.as_ref(),
                row.contract_price,
                line.quantity,
                factor,
                self.rounding,
            ),
            factor.to_contract_units(line.quantity),
        ) else {
            return v.fail(Step::V0, ReasonCode::DataInvalid);
        };
        v.calculated_amount = Some(calculated);
        v.contract_quantity = Some(contract_quantity);
        let Some(lineage) = book.lineage(c) else {
            return;
        };
        v.pricing = Some(PricingSnapshot {
            contract: lineage.number.clone(),
            version: hot.version,
            item: book.item_key_shared(row.item).unwrap_or_default(),
            row_start: row.start,
            row_end: row.end,
            contract_price: row.contract_price,
            reference_price: reference,
            reference_converted: converted,
            contract_uom: book.uom_shared(row.uom),
            factor,
            rounding: self.rounding,
        });

        // V9 amount (§4.3, §13.3).
        let mut accepted = calculated;
        if let Some(claimed_amount) = line.claimed_amount {
            v.variance = claimed_amount.checked_sub(calculated);
            match amounts::check_amount(settings, claimed_amount, calculated) {
                AmountCheck::Exact => {}
                AmountCheck::WithinTolerance => {
                    v.within_tolerance = true;
                    accepted = amounts::pay_amount(settings.pay_basis, claimed_amount, calculated);
                }
                AmountCheck::UnderClaimed => {
                    v.warn(Warning::UnderClaimed);
                    if ctx.role == Role::Adjudicator {
                        accepted = claimed_amount;
                    }
                }
                AmountCheck::OverClaimed => v.fail(Step::V9, ReasonCode::AmountMismatch),
            }
        }
        v.accepted_amount = Some(accepted);

        // V10 cap.
        if let Some(ledger) = self.caps.as_deref()
            && !ledger.is_empty()
        {
            let item_key = book.item_key(row.item).unwrap_or_default();
            v.caps = ledger.caps_for(&lineage.number, item_key, customer);
            match ledger.check(&v.caps, contract_quantity, accepted, None) {
                CapCheck::Fits => {}
                CapCheck::Exceeded { remaining } => {
                    v.cap_remaining = Some(remaining);
                    v.fail(Step::V10, ReasonCode::CapExceeded);
                }
                CapCheck::Exhausted => {
                    v.cap_remaining = Some(Decimal::ZERO);
                    v.fail(Step::V10, ReasonCode::CapExhausted);
                }
            }
        }
        if !v.failures.is_empty() {
            v.accepted_amount = None;
        }
    }

    /// V8's checks of the line's stated prices, per sale unit: the claimed contract price,
    /// the claimed reference price against `reference_sale` (the contract's or the book's,
    /// when one is known), the sell price.
    fn check_prices(
        &self,
        line: &SaleLine,
        contract_sale: Decimal,
        reference_sale: Option<Decimal>,
        v: &mut Validation,
    ) {
        if let Some(claimed_price) = line.claimed_contract_price
            && !same_price(claimed_price, contract_sale, self.rounding)
        {
            v.fail(Step::V8, ReasonCode::ContractPriceMismatch);
        }
        if let (Some(claimed_ref), Some(reference_sale)) =
            (line.claimed_reference_price, reference_sale)
            && !same_price(claimed_ref, reference_sale, self.rounding)
        {
            v.fail(Step::V8, ReasonCode::ReferencePriceMismatch);
        }
        if line.sell_price.is_some_and(|s| s > contract_sale) {
            v.fail(Step::V8, ReasonCode::ResaleAboveContract);
        }
    }

    /// Records a line reaching V1 under its keys in the batch's sale-key table: whether it is
    /// the first line of the batch with its exact key, and whether an earlier one had its near
    /// key. `sale_date` is a sale's pricing date (none for a return).
    fn note_in_batch(&mut self, keys: &LineKeys, sale_date: Option<NaiveDate>) -> (bool, bool) {
        let (near, exact) = (check(keys.near), check(keys.exact));
        let (seen, inserted) = self.seen.get_or_insert_with(keys.sale, || SeenSale {
            date: sale_date,
            near,
            exact,
        });
        if inserted {
            return (true, false);
        }
        seen.date = seen.date.or(sale_date);
        if seen.near == [0; 2] && seen.exact == [0; 2] {
            // Only preloaded as a sale: this is the first line with the key.
            seen.near = near;
            seen.exact = exact;
            return (true, false);
        }
        let same_near = seen.near == near;
        let near = same_near || self.near_extra.contains(&keys.near);
        if !same_near {
            self.near_extra.insert(keys.near);
        }
        let first = seen.exact != exact && self.exact_extra.insert(keys.exact);
        (first, near)
    }

    /// The earlier lines of other batches that the current line may meet.
    fn history(&self) -> &LineHistory {
        self.chunk_history.as_ref().unwrap_or(self.history)
    }

    /// Reads, right after the row lookup was issued, what the later steps will read of the
    /// batch map, the claimed contract and the item: each is a likely cache miss in a large
    /// book or batch, and issued together they overlap instead of waiting one after another
    /// (safe Rust has no prefetch instruction; `black_box` keeps the reads).
    fn warm(&self, claimed: Option<ContractIdx>, item: Option<ItemIdx>, keys: Option<&LineKeys>) {
        if let Some(keys) = keys {
            std::hint::black_box(self.seen.contains(keys.sale));
        }
        if let Some(c) = claimed {
            std::hint::black_box(
                self.book
                    .hot(c)
                    .map(|h| h.eligible.first().map(|e| e.print)),
            );
            std::hint::black_box(self.book.lineage(c).map(|l| l.number_as_issued.len()));
        }
        if let Some(i) = item {
            std::hint::black_box(self.book.item_key(i).map(str::len));
        }
    }

    /// V2's distributor authorization of the current version of contract `c` on `d`.
    fn authorized(&self, c: ContractIdx, hot: &HotContract, d: NaiveDate) -> bool {
        hot.distributor_authorized(self.distributor_print, d)
            .unwrap_or_else(|| {
                self.book.current(c).is_some_and(|version| {
                    ContractBook::distributor_authorized(version, &self.ctx.distributor, d)
                })
            })
    }

    /// Contracts listing the item that pass V2–V5 for the line, best first: lowest contract
    /// price, then latest effective-from, then lowest number (§3.2).
    fn derivation_candidates(
        &self,
        item: ItemIdx,
        class: Option<u16>,
        customer: &[PartyKey],
        d: NaiveDate,
    ) -> Vec<(ContractIdx, Decimal)> {
        let book = self.book;
        let mut found: Vec<(ContractIdx, Decimal, NaiveDate, &str)> = Vec::new();
        for c in book.contracts_with_item(item) {
            let Some(lineage) = book.lineage(c) else {
                continue;
            };
            if lineage.supplier.id != self.ctx.supplier.id {
                continue;
            }
            let version = lineage.current();
            if version.status == ContractState::Cancelled
                || !ContractBook::distributor_authorized(version, &self.ctx.distributor, d)
                || contract_active(version.status, version.effective, version.expires, d).is_some()
            {
                continue;
            }
            let rows = book.rows_for_customer(ContractBook::item_rows(version, item), customer, d);
            let rows = &rows[..];
            let class = class.or_else(|| {
                rows.iter()
                    .any(|r| r.class != 0)
                    .then(|| book.eligible_class(c, customer, d))
                    .flatten()
            });
            let Some(row) = ContractBook::price_row_for(rows, class, d).row() else {
                continue;
            };
            if !matches!(
                book.eligibility(version, customer, d),
                Eligibility::Direct | Eligibility::Group | Eligibility::Open
            ) {
                continue;
            }
            found.push((c, row.contract_price, version.effective, &lineage.number));
        }
        found.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.3.cmp(b.3)));
        found.into_iter().map(|(c, p, _, _)| (c, p)).collect()
    }
}

/// V3 on a version's status and dates: `None` when active on d.
fn contract_active(
    status: ContractState,
    effective: NaiveDate,
    expires: NaiveDate,
    d: NaiveDate,
) -> Option<ReasonCode> {
    if d < effective {
        return Some(ReasonCode::ContractNotStarted);
    }
    if d > expires {
        return Some(ReasonCode::ContractExpired);
    }
    match status {
        ContractState::Active | ContractState::Cancelled => None,
        ContractState::Proposed => Some(ReasonCode::ContractNotStarted),
        ContractState::Suspended | ContractState::Expired => Some(ReasonCode::ContractExpired),
    }
}

/// `text.trim().is_empty()`, stopping at the first character that is not whitespace.
fn blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

/// The reference price a line states (UIT*WH, per sale unit) per contract unit, for a line
/// whose item has none on its contract or in the book.
fn stated_reference(line: &SaleLine, factor: amounts::UomFactor) -> Option<Decimal> {
    let stated = line.claimed_reference_price?;
    let per_contract_unit = amounts::UomFactor {
        num: factor.den,
        den: factor.num,
    };
    per_contract_unit.price_per_sale_unit(stated).ok()
}

/// `line_amount` of §4.1 for a reference price per contract unit, computed from the list
/// row it was converted from when it was (exact to the cent whatever the division), else
/// from `reference − contract_price`.
fn line_amount_of(
    reference: Decimal,
    converted: Option<&ConvertedReference>,
    contract_price: Decimal,
    quantity: Decimal,
    factor: amounts::UomFactor,
    rounding: Rounding,
) -> Result<Decimal, amounts::AmountError> {
    if let Some(c) = converted {
        return amounts::line_amount_from(c.exact(), contract_price, quantity, factor, rounding);
    }
    let unit = reference
        .checked_sub(contract_price)
        .ok_or(amounts::AmountError::Overflow)?;
    amounts::line_amount(unit, quantity, factor, rounding)
}

/// A reference price per contract unit per sale unit: from the list row it was converted
/// from when it was, with one division, else `reference × num / den`.
fn reference_per_sale_unit(
    reference: Decimal,
    converted: Option<&ConvertedReference>,
    factor: amounts::UomFactor,
) -> Decimal {
    converted
        .and_then(|c| c.exact().per_sale_unit(factor).ok())
        .or_else(|| factor.price_per_sale_unit(reference).ok())
        .unwrap_or(reference)
}

/// A claimed unit price equals a resolved one when the resolved price, rounded to the claimed
/// price's decimals (at least the currency's), is the claimed price.
fn same_price(claimed: Decimal, resolved: Decimal, rounding: Rounding) -> bool {
    let scale = amounts::price_places(claimed, rounding.scale);
    let rounded = resolved.round_dp_with_strategy(scale, rounding.strategy.to_decimal());
    rounded == claimed
}

/// Writes the keys of a party into `keys`, reusing its strings: the main id, then `REF*DH`
/// and `REF*HI` ids (as [`PartyKey::all_of`] without allocating per line).
fn fill_customer_keys(keys: &mut Vec<PartyKey>, party: &schemas::Party) {
    let wanted = 1 + party
        .refs
        .iter()
        .filter(|r| matches!(r.qualifier.as_str(), "DH" | "HI"))
        .count();
    keys.truncate(wanted);
    while keys.len() < wanted {
        keys.push(PartyKey {
            kind: schemas::PartyKind::Other,
            id: String::new(),
        });
    }
    let write = |key: &mut PartyKey, kind: schemas::PartyKind, id: &str| {
        key.kind = kind;
        key.id.clear();
        key.id.extend(
            id.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase()),
        );
    };
    let kind = party
        .kind
        .unwrap_or_else(|| schemas::PartyKind::from_qualifier(&party.qualifier));
    write(&mut keys[0], kind, &party.id);
    let mut next = 1;
    for reference in &party.refs {
        let kind = match reference.qualifier.as_str() {
            "DH" => schemas::PartyKind::Dea,
            "HI" => schemas::PartyKind::Hin,
            _ => continue,
        };
        write(&mut keys[next], kind, &reference.id);
        next += 1;
    }
}
