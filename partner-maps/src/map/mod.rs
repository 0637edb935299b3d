//! Typed X12 sets to normalized documents, in the partner's dialect.
//!
//! | set | document | module |
//! |---|---|---|
//! | 845 | one [`Contract`] per CON loop | [`contract`] |
//! | 844 | [`Claim`] | [`claim`] |
//! | 849 | [`ClaimResponse`] | [`claim_response`] |
//! | 867 | [`SalesReport`] | [`sales_report`] |
//!
//! Every qualifier that says where a value is comes from the profile's [`Dialect`]
//! (`contract_ref`, `contract_price_basis`, `customer_id_priority`...). A required value that
//! is not where the profile says becomes a [`MapError`] naming the segment, the field and the
//! profile key; the mapping goes on to collect every such error of the set and then returns
//! them all instead of a document, so a document never carries an empty required field.
//! Optional values that are absent stay absent; optional values that are present but cannot
//! be used (an end customer without an id the profile knows) are errors too, since dropping
//! them would lose data silently.
//!
//! Architecture invariant: mapping is pure and reads nothing but its arguments. Positions
//! are resolved against the [`RawSet`] only when an error is reported.

pub mod claim;
pub mod claim_response;
pub mod contract;
pub mod error;
pub mod item;
pub mod party;
pub mod sales_report;

use std::borrow::Cow;

use rust_decimal::Decimal;
use schemas::{Action, Claim, ClaimResponse, Contract, Document, SalesReport, Source, Text};
use x12::sets::TypedSet;
use x12::sets::common::{Amt, Dtm, Pad, Qty, Ref, Uit, Unit};
use x12::stream::RawSet;

pub use error::{MapError, MapErrorKind, MapErrors, MapNote, Path};

use crate::profile::{Dialect, Profile};

/// Maps one typed set to its documents (several contracts for an 845 with several CON loops,
/// one document otherwise) and locates any errors in `raw`, the set it was read from.
pub fn map_set(
    raw: &RawSet,
    typed: &TypedSet,
    profile: &Profile,
    source: &Source,
) -> Result<Vec<Document>, MapErrors> {
    map_set_inner(raw, Cow::Borrowed(typed), profile, source, false).0
}

/// [`map_set`] for a typed set used once: its text moves into the documents where it can
/// (an 867 line's invoice number and product id) instead of being copied.
pub fn map_set_owned(
    raw: &RawSet,
    typed: TypedSet,
    profile: &Profile,
    source: &Source,
) -> Result<Vec<Document>, MapErrors> {
    map_set_inner(raw, Cow::Owned(typed), profile, source, false).0
}

/// [`map_set`], also returning the notes on what was left out (for `chargegate partner
/// check`), located in `raw`.
pub fn map_set_with_notes(
    raw: &RawSet,
    typed: &TypedSet,
    profile: &Profile,
    source: &Source,
) -> (Result<Vec<Document>, MapErrors>, Vec<MapNote>) {
    map_set_inner(raw, Cow::Borrowed(typed), profile, source, true)
}

fn map_set_inner(
    raw: &RawSet,
    typed: Cow<'_, TypedSet>,
    profile: &Profile,
    source: &Source,
    with_notes: bool,
) -> (Result<Vec<Document>, MapErrors>, Vec<MapNote>) {
    let mut ctx = Ctx::new(profile, with_notes);
    let docs = match typed.as_ref() {
        TypedSet::Ts844(s) => vec![Document::Claim(claim::map(&mut ctx, s, source))],
        TypedSet::Ts845(s) => contract::map(&mut ctx, s, source)
            .into_iter()
            .map(Document::Contract)
            .collect(),
        TypedSet::Ts849(s) => vec![Document::ClaimResponse(claim_response::map(
            &mut ctx, s, source,
        ))],
        TypedSet::Ts867(_) => {
            if !profile.dialect.lenient_867_line_order {
                sales_report::check_line_order(&mut ctx, raw);
            }
            // Mapping takes text out of the set: a borrowed one is copied first.
            let TypedSet::Ts867(mut s) = typed.into_owned() else {
                unreachable!("matched above")
            };
            vec![Document::SalesReport(sales_report::map(
                &mut ctx, &mut s, source,
            ))]
        }
    };
    let (result, mut notes) = ctx.finish(docs);
    for n in &mut notes {
        n.locate(raw);
    }
    match result {
        Ok(docs) => (Ok(docs), notes),
        Err(mut errors) => {
            errors.locate(raw);
            (Err(errors), notes)
        }
    }
}

/// Maps an 844 to a claim; errors carry their path but no position (use [`map_set`] to get
/// them located).
pub fn map_claim(
    set: &x12::sets::Ts844,
    profile: &Profile,
    source: &Source,
) -> Result<Claim, MapErrors> {
    let mut ctx = Ctx::new(profile, false);
    let doc = claim::map(&mut ctx, set, source);
    ctx.finish(doc).0
}

/// Maps an 845 to one contract per CON loop; errors carry their path but no position.
pub fn map_contracts(
    set: &x12::sets::Ts845,
    profile: &Profile,
    source: &Source,
) -> Result<Vec<Contract>, MapErrors> {
    let mut ctx = Ctx::new(profile, false);
    let doc = contract::map(&mut ctx, set, source);
    ctx.finish(doc).0
}

/// Maps an 849 to a claim response; errors carry their path but no position.
pub fn map_claim_response(
    set: &x12::sets::Ts849,
    profile: &Profile,
    source: &Source,
) -> Result<ClaimResponse, MapErrors> {
    let mut ctx = Ctx::new(profile, false);
    let doc = claim_response::map(&mut ctx, set, source);
    ctx.finish(doc).0
}

/// Maps an 867 to a sales report; errors carry their path but no position. The LIN-before-QTY
/// check needs the raw set and is only made by [`map_set`].
pub fn map_sales_report(
    set: &x12::sets::Ts867,
    profile: &Profile,
    source: &Source,
) -> Result<SalesReport, MapErrors> {
    let mut ctx = Ctx::new(profile, false);
    let doc = sales_report::map(&mut ctx, &mut set.clone(), source);
    ctx.finish(doc).0
}

/// What one set's mapping collects while it walks the set.
pub(crate) struct Ctx<'a> {
    pub(crate) dialect: &'a Dialect,
    /// How amounts computed in mapping are rounded (a claimed amount the partner leaves out).
    pub(crate) money: crate::profile::Money,
    errors: Vec<MapError>,
    notes: Option<Vec<MapNote>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(profile: &'a Profile, with_notes: bool) -> Self {
        Ctx {
            dialect: &profile.dialect,
            money: profile.money,
            errors: Vec::new(),
            notes: with_notes.then(Vec::new),
        }
    }

    /// The document when nothing was missing, else every error.
    fn finish<T>(self, value: T) -> (Result<T, MapErrors>, Vec<MapNote>) {
        let notes = self.notes.unwrap_or_default();
        if self.errors.is_empty() {
            (Ok(value), notes)
        } else {
            (Err(MapErrors(self.errors)), notes)
        }
    }

    /// Records an error.
    pub(crate) fn error(
        &mut self,
        path: Path,
        line: Option<&str>,
        field: &'static str,
        profile_key: Option<&'static str>,
        kind: MapErrorKind,
        message: String,
    ) {
        self.errors.push(MapError {
            location: x12::Location::default(),
            line: line.map(str::to_owned),
            field,
            profile_key,
            kind,
            message,
            path,
        });
    }

    /// Records that the segment carrying `field` is absent from the loop at `path`.
    pub(crate) fn missing_segment(
        &mut self,
        path: Path,
        line: Option<&str>,
        field: &'static str,
        profile_key: Option<&'static str>,
        id: &'static str,
        reason: String,
    ) {
        self.error(
            path,
            line,
            field,
            profile_key,
            MapErrorKind::MissingSegment { id },
            format!("no {field}: {reason}"),
        );
    }

    /// Records that element `element` of the segment at `path` is empty.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn missing_element(
        &mut self,
        path: Path,
        line: Option<&str>,
        field: &'static str,
        profile_key: Option<&'static str>,
        element: (u16, &'static str),
        reason: String,
    ) {
        self.error(
            path,
            line,
            field,
            profile_key,
            MapErrorKind::MissingElement {
                element: element.0,
                reference: Some(element.1),
            },
            format!("no {field}: {reason}"),
        );
    }

    /// Records a code without a meaning in the document or the profile.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn invalid_code(
        &mut self,
        path: Path,
        line: Option<&str>,
        field: &'static str,
        profile_key: Option<&'static str>,
        element: (u16, &'static str),
        value: &str,
        reason: String,
    ) {
        self.error(
            path,
            line,
            field,
            profile_key,
            MapErrorKind::InvalidCode {
                element: element.0,
                reference: Some(element.1),
                value: value.to_owned(),
            },
            format!("{field}: {reason}"),
        );
    }

    /// True when notes are collected; callers skip building them otherwise.
    pub(crate) fn wants_notes(&self) -> bool {
        self.notes.is_some()
    }

    /// Records a note; `message` is only called when notes are collected.
    pub(crate) fn note(
        &mut self,
        path: Path,
        line: Option<&str>,
        message: impl FnOnce() -> String,
    ) {
        if let Some(notes) = &mut self.notes {
            notes.push(MapNote {
                path,
                line: line.map(str::to_owned),
                message: message(),
                segment: None,
            });
        }
    }
}

/// The action of a purpose code (element 353), or an error.
pub(crate) fn action(ctx: &mut Ctx<'_>, code: &str, segment: &'static str) -> Action {
    match Action::from_code(code) {
        Some(a) => a,
        None => {
            ctx.invalid_code(
                Path::HEADING,
                None,
                "action",
                None,
                (1, "353"),
                code,
                format!("{segment}01 {code:?} is not original, change, replace, cancellation, delete or re-submission"),
            );
            Action::Original
        }
    }
}

/// A line number as text, kept on the stack: every line needs its label at hand for the
/// errors it may have, and nearly no line has any (a `String` per line showed in profiles).
pub(crate) struct LineLabel {
    digits: [u8; 10],
    from: usize,
}

impl LineLabel {
    pub(crate) fn new(mut n: u32) -> Self {
        let mut digits = [b'0'; 10];
        let mut from = digits.len();
        loop {
            from -= 1;
            digits[from] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        LineLabel { digits, from }
    }

    pub(crate) fn as_str(&self) -> &str {
        // ASCII digits only: never the empty fallback.
        std::str::from_utf8(&self.digits[self.from..]).unwrap_or_default()
    }
}

/// A list of codes for messages: `["WH", "DI"]`.
pub(crate) fn listed(codes: &[String]) -> String {
    let quoted: Vec<String> = codes.iter().map(|c| format!("{c:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The first UIT whose basis is listed, in list order, with its index among the UITs.
pub(crate) fn price_by_basis<'u>(prices: &'u [Uit], bases: &[String]) -> Option<(usize, &'u Uit)> {
    bases.iter().find_map(|b| {
        prices
            .iter()
            .enumerate()
            .find(|(_, p)| p.basis.as_ref().is_some_and(|x| x.code() == b))
    })
}

/// The first QTY whose qualifier is listed, in list order, with its index.
pub(crate) fn quantity_by<'q>(
    quantities: &'q [Qty],
    qualifiers: &[String],
) -> Option<(usize, &'q Qty)> {
    qualifiers.iter().find_map(|q| {
        quantities
            .iter()
            .enumerate()
            .find(|(_, x)| x.qualifier.code() == q)
    })
}

/// The first AMT with `qualifier`.
pub(crate) fn amount_by(amounts: &[Amt], qualifier: &str) -> Option<Decimal> {
    amounts
        .iter()
        .find(|a| a.qualifier.code() == qualifier)
        .map(|a| a.amount)
}

/// The first REF with `qualifier` and a value.
pub(crate) fn ref_by<'r>(refs: &'r [Ref], qualifier: &str) -> Option<&'r str> {
    refs.iter()
        .find(|r| r.qualifier.code() == qualifier)
        .and_then(|r| r.value.as_deref())
}

/// [`ref_by`], the value taken out of `refs` (left empty) instead of borrowed: for a set
/// mapped once and dropped, its text moves into the document.
pub(crate) fn take_ref(refs: &mut [Ref], qualifier: &str) -> Option<Text> {
    refs.iter_mut()
        .find(|r| r.qualifier.code() == qualifier)
        .and_then(|r| r.value.take())
}

/// PAD01, the line id of the PAD loop at `path`; reported missing when empty.
pub(crate) fn pad_line_id(ctx: &mut Ctx<'_>, pad: &Pad, path: Path) -> Option<String> {
    let line_id = pad.line_id.clone();
    if line_id.is_none() {
        ctx.missing_element(
            path,
            None,
            "line id",
            None,
            (1, "350"),
            "PAD01 is empty".to_owned(),
        );
    }
    line_id
}

/// The invoice of a line: the REF with `dialect.invoice_ref`, reported missing when absent.
pub(crate) fn invoice_ref<'r>(
    ctx: &mut Ctx<'_>,
    refs: &'r [Ref],
    path: Path,
    line: Option<&str>,
) -> Option<&'r str> {
    let d = ctx.dialect;
    let invoice = ref_by(refs, &d.invoice_ref);
    if invoice.is_none() {
        ctx.missing_segment(
            path,
            line,
            "invoice",
            Some("dialect.invoice_ref"),
            "REF",
            format!(
                "no REF with REF01 {}; found {}",
                d.invoice_ref,
                seen(refs.iter().map(|r| r.qualifier.code()))
            ),
        );
    }
    invoice
}

/// For `partner check`: a return line without its original invoice (`REF*` with
/// `dialect.original_invoice_ref`) is looked up by its own invoice (chargeback-rules §13.10),
/// which is seldom its sale's, so the return is disputed as having no original.
pub(crate) fn note_return_without_original(
    ctx: &mut Ctx<'_>,
    refs: &[Ref],
    path: Path,
    line: Option<&str>,
) {
    let d = ctx.dialect;
    if !ctx.wants_notes() || ref_by(refs, &d.original_invoice_ref).is_some() {
        return;
    }
    let found = seen(refs.iter().map(|r| r.qualifier.code()));
    ctx.note(path, line, || {
        format!(
            "a return without its original invoice: no REF*{} (dialect.original_invoice_ref); \
             its sale is looked up by its own REF*{} and, not found, the return is disputed \
             (DEBIT_NOT_SUPPORTED); REF01 found: {found}",
            d.original_invoice_ref, d.invoice_ref
        )
    });
}

/// The class of trade a REF with `dialect.class_of_trade_ref` among `refs` states, trimmed;
/// none when the profile names no such REF, or its value is blank.
pub(crate) fn class_of_trade<'r>(d: &Dialect, refs: &'r [Ref]) -> Option<&'r str> {
    let q = d.class_of_trade_ref.as_deref()?;
    ref_by(refs, q).map(str::trim).filter(|v| !v.is_empty())
}

/// A customer's class of trade (its REF with `dialect.class_of_trade_ref`), taken out of its
/// references: a class is not an id of the party but a field of the line or membership.
pub(crate) fn take_party_class(d: &Dialect, party: &mut schemas::Party) -> Option<String> {
    let q = d.class_of_trade_ref.as_deref()?;
    let i = party.refs.iter().position(|r| r.qualifier.as_str() == q)?;
    let class = party.refs.remove(i).id;
    Some(class.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The first DTM with `qualifier` as one date. A DTM sent as a range (DTM05 `RD8`) is no
/// date: refused, located at it, rather than read as its start.
pub(crate) fn one_date(
    ctx: &mut Ctx<'_>,
    dates: &[Dtm],
    qualifier: &str,
    path: Path,
    line: Option<&str>,
    field: &'static str,
) -> Option<chrono::NaiveDate> {
    let (k, d) = dates
        .iter()
        .enumerate()
        .find(|(_, d)| d.qualifier.code() == qualifier)?;
    if d.end.is_some() {
        ctx.invalid_code(
            path.then("DTM", k),
            line,
            field,
            None,
            (5, "1250"),
            "RD8",
            format!("DTM*{qualifier} carries a date range (RD8) where one date is needed"),
        );
        return None;
    }
    Some(d.date)
}

/// True when the first DTM with `qualifier` is a range (refused by [`one_date`]).
pub(crate) fn is_range(dates: &[Dtm], qualifier: &str) -> bool {
    dates
        .iter()
        .find(|d| d.qualifier.code() == qualifier)
        .is_some_and(|d| d.end.is_some())
}

/// A period's first and last day from its start and end DTMs. A range (DTM05 `RD8`) on
/// either gives both ends; a DTM of the other qualifier, when sent, still gives its end.
pub(crate) fn period_by(
    dates: &[Dtm],
    start: &str,
    end: &str,
) -> (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) {
    let find = |q: &str| dates.iter().find(|d| d.qualifier.code() == q);
    let (s, e) = (find(start), find(end));
    let first = s
        .map(|d| d.date)
        .or_else(|| e.filter(|d| d.end.is_some()).map(|d| d.date));
    let last = e
        .map(|d| d.end.unwrap_or(d.date))
        .or_else(|| s.and_then(|d| d.end));
    (first, last)
}

/// Qualifiers present in a list of segments, for notes: `"SW", "DI"`.
pub(crate) fn seen<'c>(codes: impl Iterator<Item = &'c str>) -> String {
    let v: Vec<String> = codes.map(|c| format!("{c:?}")).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

/// A CTT count as a `u32`, or an error.
pub(crate) fn count_u32(ctx: &mut Ctx<'_>, value: u64, path: Path, field: &'static str) -> u32 {
    match u32::try_from(value) {
        Ok(v) => v,
        Err(_) => {
            ctx.error(
                path,
                None,
                field,
                None,
                MapErrorKind::OutOfRange {
                    element: 1,
                    value: value.to_string(),
                },
                format!("{field}: {value} does not fit a 32-bit count"),
            );
            0
        }
    }
}

/// The places a set offers for a contract number; a place the set does not have is `None`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ContractPlaces<'a> {
    /// CON02 (844, 845, 849).
    pub(crate) con02: Option<&'a str>,
    /// The REF segments of the loop (CON-level, or PTD- then QTY-level in an 867).
    pub(crate) refs: &'a [Ref],
    /// Further REFs looked at after `refs` (the 867 QTY loop).
    pub(crate) more_refs: &'a [Ref],
    /// BPA04 with BPA03 = `CT` (845).
    pub(crate) bpa04: Option<&'a str>,
    /// PTD05 with PTD04 = `CT` (867).
    pub(crate) ptd05: Option<&'a str>,
}

/// The contract number from the first of the profile's contract locations
/// (`dialect.contract_ref`, then `contract_ref_alternates`) that the set has and fills.
pub(crate) fn contract_id<'a>(d: &Dialect, places: &ContractPlaces<'a>) -> Option<&'a str> {
    use crate::profile::ContractRef;
    d.contract_refs().find_map(|r| {
        let v = match r {
            ContractRef::Con02 => places.con02,
            ContractRef::Bpa04 => places.bpa04,
            ContractRef::Ptd05 => places.ptd05,
            ContractRef::RefCt | ContractRef::RefBc | ContractRef::RefPd => {
                let q = r.ref_qualifier().unwrap_or("CT");
                ref_by(places.refs, q).or_else(|| ref_by(places.more_refs, q))
            }
        };
        v.filter(|s| !s.is_empty())
    })
}

/// The profile's contract locations for messages: `CON02, BPA04`.
pub(crate) fn contract_places(d: &Dialect) -> String {
    let v: Vec<&str> = d.contract_refs().map(|r| r.as_str()).collect();
    v.join(", ")
}

/// The REF qualifier the contract number is read from, when it is a REF (so it is not kept
/// again as an agreement reference).
pub(crate) fn contract_ref_qualifiers(d: &Dialect) -> impl Iterator<Item = &'static str> + '_ {
    d.contract_refs().filter_map(|r| r.ref_qualifier())
}

/// Loop-level REFs whose REF01 is in `dialect.agreement_refs`, as references; notes the
/// others (except the contract's own REF).
pub(crate) fn agreement_refs(
    ctx: &mut Ctx<'_>,
    refs: &[Ref],
    path: Path,
) -> Vec<schemas::Reference> {
    let mut out = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let q = r.qualifier.code();
        if ctx.dialect.agreement_refs.iter().any(|a| a == q) {
            if let Some(id) = &r.value {
                out.push(schemas::Reference {
                    qualifier: q.into(),
                    id: id.clone(),
                    description: r.description.clone(),
                });
            }
        } else if ctx.wants_notes() && !contract_ref_qualifiers(ctx.dialect).any(|c| c == q) {
            let agreements = listed(&ctx.dialect.agreement_refs);
            ctx.note(path.then("REF", i), None, || {
                format!("REF01 '{q}' not kept: not in dialect.agreement_refs {agreements}")
            });
        }
    }
    out
}

/// Notes every UIT whose basis none of the profile's price lists names.
pub(crate) fn note_unused_prices(
    ctx: &mut Ctx<'_>,
    prices: &[Uit],
    path: Path,
    line: Option<&str>,
    lists: &[(&'static str, &[String])],
) {
    if !ctx.wants_notes() {
        return;
    }
    for (k, p) in prices.iter().enumerate() {
        let basis = p.basis.as_ref().map_or("", |b| b.code());
        if lists.iter().any(|(_, l)| l.iter().any(|c| c == basis)) {
            continue;
        }
        if p.basis.is_none() {
            // Without a basis the price means nothing the profile can place.
            ctx.note(path.then("UIT", k), line, || unbased_price(p));
            continue;
        }
        let named: Vec<String> = lists
            .iter()
            .map(|(key, l)| format!("dialect.{key} {}", listed(l)))
            .collect();
        let msg = format!("UIT03 '{basis}' not in {}", named.join(" or "));
        ctx.note(path.then("UIT", k), line, || msg);
    }
}

/// Refuses, each located, the units of measure among `units` (a segment's path, the
/// position of its C001, the unit) sent with an exponent, a multiplier (C001-02/03 other
/// than 1) or further units: `CA:1:12` is no CA, and its prices and quantities read as per
/// CA paid a wrong amount without a word. The partner sends the plain unit instead.
pub(crate) fn refuse_scaled_units<'u>(
    ctx: &mut Ctx<'_>,
    units: impl IntoIterator<Item = (Path, u16, &'u Unit)>,
    line: Option<&str>,
) {
    for (path, element, unit) in units {
        let one = |v: &String| {
            v.is_empty()
                || v.parse::<rust_decimal::Decimal>()
                    .is_ok_and(|n| n == rust_decimal::Decimal::ONE)
        };
        if unit.detail.len() <= 2 && unit.detail.iter().all(one) {
            continue;
        }
        let sent: String = std::iter::once(unit.code.code())
            .chain(unit.detail.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(":");
        ctx.invalid_code(
            path,
            line,
            "unit of measure",
            None,
            (element, "C001"),
            &sent,
            format!(
                "unit {sent}: an exponent, multiplier or further unit (C001-02 on) is not applied; send the plain unit, with quantity and price per that unit"
            ),
        );
    }
}

/// The units of the UITs (UIT01) and QTYs (QTY03) inside the loop at `at` (a claim line's
/// PAD loop; an 867 line's UITs in its QTY loop), for [`refuse_scaled_units`].
pub(crate) fn line_units<'u>(
    prices: &'u [Uit],
    quantities: &'u [Qty],
    at: Path,
) -> impl Iterator<Item = (Path, u16, &'u Unit)> {
    let uits = prices
        .iter()
        .enumerate()
        .map(move |(k, u)| (at.then("UIT", k), 1, &u.unit));
    let qtys = quantities
        .iter()
        .enumerate()
        .filter_map(move |(k, q)| q.unit.as_ref().map(|u| (at.then("QTY", k), 3, u)));
    uits.chain(qtys)
}

/// The first UIT without a UIT03, with its index among the UITs.
pub(crate) fn first_unbased(prices: &[Uit]) -> Option<(usize, &Uit)> {
    prices.iter().enumerate().find(|(_, p)| p.basis.is_none())
}

/// What is said of a UIT without a UIT03 (basis of unit price).
pub(crate) fn unbased_price(p: &Uit) -> String {
    match p.unit_price {
        Some(price) => {
            format!("UIT has no UIT03 (basis of unit price); its price {price} was not used")
        }
        None => "UIT has no UIT03 (basis of unit price)".to_owned(),
    }
}

/// The unit of measure in our code (`dialect.uom_map`).
pub(crate) fn our_uom(d: &Dialect, partner_uom: &str) -> String {
    d.uom(partner_uom).to_owned()
}

/// Codes joined for a message: `CT or SC`.
pub(crate) fn either(codes: &[String]) -> String {
    if codes.is_empty() {
        "(none listed)".to_owned()
    } else {
        codes.join(" or ")
    }
}

/// A quantity or amount of a line marked a return (`Dialect::marks_return`: a returns
/// quantity qualifier such as `QTY*76`, or a return transfer type), as the documents carry
/// it: negative. The mark says "returned" and the number how many, so `QTY*76*1` and
/// `QTY*76*-1` both return one (a partner signing what its qualifier already says does not
/// make a return of a return): a value sent positive is turned, one sent negative stays,
/// and nothing is turned twice.
pub(crate) fn as_return(v: rust_decimal::Decimal) -> rust_decimal::Decimal {
    if v > rust_decimal::Decimal::ZERO {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::LineLabel;

    #[test]
    fn line_labels_read_as_the_number() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u32::MAX] {
            assert_eq!(LineLabel::new(n).as_str(), n.to_string());
        }
    }
}
