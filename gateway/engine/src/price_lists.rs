//! Reference price lists (chargeback-rules 2.2, 4.1): a supplier's WAC or book cost per item,
//! effective-dated, as a CSV file, read into the rows its [`SupplierPrices`] load.
//!
//! The CSV is RFC 4180, UTF-8, with a header row naming its columns, in any order:
//!
//! - `item` (required): the item as sent, normalized as a contract's items are — an NDC-11
//!   with or without hyphens, a GTIN (12, 13 or 14 digits) or a part number
//!   ([`identity::item_qualifier_of`]); `item_qualifier` (optional column) names the X12
//!   qualifier when the shape does not say it (`N1`/`N2`/`N3` for a ten-digit NDC, `MG`, ...);
//! - `price` (required): a plain decimal above zero with at most [`MAX_SCALE`] places, per
//!   `uom`;
//! - `uom` (required): the unit the price is per; a contract row of that unit is priced with
//!   it, and one of another unit the engine converts this one into exactly when the list has
//!   no row in that unit ([`crate::contracts::ContractBook::reference_price`]);
//! - `start` (required), `end` (optional column, empty = open-ended): `YYYY-MM-DD`, inclusive;
//! - `basis` (optional column): `WAC` (empty: the default) or `BOOK`.
//!
//! Rows of the same item, unit and basis may not overlap one another. Every bad cell or row
//! is a [`PriceListFault`] (row — the header is row 1 —, column, value, what is wrong), and
//! any fault refuses the whole file: [`PriceListError`] holds them all (the first
//! [`MAX_LISTED_FAULTS`], with a count of the rest), so one pass over the file shows what to
//! fix.

use std::io::Read;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::amounts::MAX_SCALE;
use crate::calendar::parse_iso_date;
use crate::contracts::{PricesLoaded, ReferencePriceRow, SupplierPrices};
use crate::identity::{self, write_item_key};
use crate::settings::ReferencePriceBasis;

/// The columns a price list may have; the first [`REQUIRED`] it must have.
pub const COLUMNS: [&str; 7] = [
    "item",
    "price",
    "uom",
    "start",
    "end",
    "basis",
    "item_qualifier",
];

/// How many of [`COLUMNS`] are required.
pub const REQUIRED: usize = 4;

/// The most faults a refused file lists; the rest are counted.
pub const MAX_LISTED_FAULTS: usize = 1_000;

/// One price row of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceListRow {
    /// Row in the file (the header is row 1).
    pub row: usize,
    /// The normalized item key (`NDC:12345010001`).
    pub item: String,
    /// The price and its days.
    pub reference: ReferencePriceRow,
}

/// A bad cell, row or header of a price list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceListFault {
    /// Row in the file (the header is row 1).
    pub row: usize,
    /// The column's name (`*` for the row as a whole).
    pub column: String,
    /// The cell as written.
    pub value: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for PriceListFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}, column {}: ", self.row, self.column)?;
        if !self.value.is_empty() {
            write!(f, "{:?} ", self.value)?;
        }
        f.write_str(&self.message)
    }
}

/// A refused price list: nothing of it is loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.faults, *.unlisted))]
pub struct PriceListError {
    /// The faults, in row order (the first [`MAX_LISTED_FAULTS`]).
    pub faults: Vec<PriceListFault>,
    /// Faults found beyond those listed.
    pub unlisted: usize,
}

fn summary(faults: &[PriceListFault], unlisted: usize) -> String {
    let Some(first) = faults.first() else {
        return "the price list is refused".to_owned();
    };
    match faults.len() - 1 + unlisted {
        0 => first.to_string(),
        1 => format!("{first} (and 1 more fault)"),
        more => format!("{first} (and {more} more faults)"),
    }
}

/// Faults as they are found, listed up to [`MAX_LISTED_FAULTS`].
#[derive(Default)]
struct Faults {
    listed: Vec<PriceListFault>,
    unlisted: usize,
}

impl Faults {
    fn add(&mut self, row: usize, column: &str, value: &str, message: impl Into<String>) {
        if self.listed.len() < MAX_LISTED_FAULTS {
            self.listed.push(PriceListFault {
                row,
                column: column.to_owned(),
                value: value.to_owned(),
                message: message.into(),
            });
        } else {
            self.unlisted += 1;
        }
    }

    fn error(mut self) -> PriceListError {
        self.listed.sort_by_key(|f| f.row);
        PriceListError {
            faults: self.listed,
            unlisted: self.unlisted,
        }
    }

    fn refuse(self) -> Result<(), PriceListError> {
        if self.listed.is_empty() {
            Ok(())
        } else {
            Err(self.error())
        }
    }
}

/// The normalized key of an item as a price list (or a query) writes it: `id` read under
/// `qualifier` when one is named, else under the qualifier its shape says
/// ([`identity::item_qualifier_of`]). `Err` says why it is no item.
pub fn item_key(qualifier: Option<&str>, id: &str) -> Result<String, &'static str> {
    let named = qualifier.map(str::trim).filter(|q| !q.is_empty());
    let qualifier = match named {
        Some(q) => q,
        None => identity::item_qualifier_of(id).ok_or(
            "is ten digits: write an NDC-10 with its hyphens, or name its item_qualifier \
             (N1, N2 or N3; VP for a part number)",
        )?,
    };
    let mut key = String::new();
    match write_item_key(&qualifier.to_ascii_uppercase(), id, &mut key) {
        Ok(()) => Ok(key),
        Err(_) if named.is_some() => Err("is not an item id of that item_qualifier"),
        Err(_) => Err("is not an NDC-11, a GTIN or a part number"),
    }
}

/// A plain decimal price: digits with one optional point, above zero, at most [`MAX_SCALE`]
/// places.
fn price(text: &str) -> Result<Decimal, String> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let plain = match unsigned.split_once('.') {
        Some((whole, places)) => digits(whole) && digits(places),
        None => digits(unsigned),
    };
    let value = match text.parse::<Decimal>() {
        Ok(value) if plain => value,
        _ => return Err("is not a decimal number (digits, one optional point)".to_owned()),
    };
    if value.is_sign_negative() && !value.is_zero() {
        return Err("is negative".to_owned());
    }
    if value.is_zero() {
        return Err("is zero: a reference price is more than zero".to_owned());
    }
    if value.scale() > MAX_SCALE {
        return Err(format!(
            "has {} decimal places; at most {MAX_SCALE}",
            value.scale()
        ));
    }
    Ok(value)
}

/// Where each of [`COLUMNS`] is in the header.
struct Columns {
    at: [Option<usize>; COLUMNS.len()],
}

impl Columns {
    fn read(headers: &csv::StringRecord, faults: &mut Faults) -> Self {
        let mut at = [None; COLUMNS.len()];
        for (position, header) in headers.iter().enumerate() {
            let name = header.trim().trim_start_matches('\u{feff}').trim();
            match COLUMNS.iter().position(|c| *c == name) {
                Some(k) if at[k].is_some() => faults.add(1, name, "", "column listed twice"),
                Some(k) => at[k] = Some(position),
                None => faults.add(1, name, "", "unknown column"),
            }
        }
        for (slot, name) in at.iter().zip(COLUMNS).take(REQUIRED) {
            if slot.is_none() {
                faults.add(1, name, "", "column missing");
            }
        }
        Self { at }
    }

    fn cell<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|k| self.at[k])
            .and_then(|p| record.get(p))
            .unwrap_or("")
            .trim()
    }
}

/// Reads one record into a row, adding its faults.
fn read_row(
    columns: &Columns,
    record: &csv::StringRecord,
    row: usize,
    faults: &mut Faults,
) -> Option<PriceListRow> {
    let cell = |name: &str| columns.cell(record, name);
    let mut fault = |name: &str, message: &str| faults.add(row, name, cell(name), message);
    let item = match cell("item") {
        "" => Err("required"),
        id => item_key(Some(cell("item_qualifier")), id),
    }
    .map_err(|m| fault("item", m))
    .ok();
    let price = match cell("price") {
        "" => Err("required".to_owned()),
        text => price(text),
    }
    .map_err(|m| fault("price", &m))
    .ok();
    let uom = match cell("uom") {
        "" => Err("required"),
        u if u.bytes().all(|b| b.is_ascii_alphanumeric()) => Ok(u.to_ascii_uppercase()),
        _ => Err("is not a unit of measure code (letters and digits)"),
    }
    .map_err(|m| fault("uom", m))
    .ok();
    let mut date = |name: &str, required: bool| -> Option<Option<NaiveDate>> {
        match cell(name) {
            "" if required => {
                fault(name, "required");
                None
            }
            "" => Some(None),
            text => match parse_iso_date(text) {
                Some(d) => Some(Some(d)),
                None => {
                    fault(name, "is not a date (YYYY-MM-DD)");
                    None
                }
            },
        }
    };
    let start = date("start", true).flatten();
    let end = date("end", false);
    let basis = match cell("basis").to_ascii_uppercase().as_str() {
        "" | "WAC" => Some(ReferencePriceBasis::Wac),
        "BOOK" => Some(ReferencePriceBasis::Book),
        _ => {
            fault("basis", "is not WAC or BOOK");
            None
        }
    };
    if let (Some(start), Some(Some(end))) = (start, end)
        && end < start
    {
        fault("end", &format!("is before start ({start})"));
        return None;
    }
    Some(PriceListRow {
        row,
        item: item?,
        reference: ReferencePriceRow {
            start: start?,
            end: end?,
            price: price?,
            uom: uom?,
            basis: basis?,
        },
    })
}

/// What a row prices: its item, unit and basis (the order rows are swept in).
fn series(r: &PriceListRow) -> (&str, &str, u8) {
    (&r.item, &r.reference.uom, r.reference.basis as u8)
}

/// Whether two rows of a list price the same item, unit and basis on a common day: the
/// book's own test ([`ReferencePriceRow::same_series`], [`ReferencePriceRow::overlaps`]), so
/// a list the reader takes never holds rows the book would take for a supersession.
fn clash(a: &PriceListRow, b: &PriceListRow) -> bool {
    a.item == b.item && a.reference.same_series(&b.reference) && a.reference.overlaps(&b.reference)
}

/// Faults for rows of the same item, unit and basis whose days overlap: each named at the
/// later row's `start`, with the row it overlaps.
fn overlaps(rows: &[PriceListRow], faults: &mut Faults) {
    let mut order: Vec<&PriceListRow> = rows.iter().collect();
    order.sort_by(|a, b| {
        (series(a), a.reference.start, a.row).cmp(&(series(b), b.reference.start, b.row))
    });
    // Per series, the row reaching furthest so far.
    let mut reach: Option<&PriceListRow> = None;
    for r in order {
        match reach {
            Some(prev) if clash(prev, r) => {
                faults.add(
                    r.row,
                    "start",
                    &r.reference.start.to_string(),
                    format!(
                        "overlaps row {} (same item, uom and basis, {}..{})",
                        prev.row,
                        prev.reference.start,
                        prev.reference
                            .end
                            .map_or("open".to_owned(), |e| e.to_string())
                    ),
                );
                let further = match (prev.reference.end, r.reference.end) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(a), Some(b)) => b > a,
                };
                if further {
                    reach = Some(r);
                }
            }
            _ => reach = Some(r),
        }
    }
}

/// Reads a price list (see the module doc). Either every row, or every fault.
pub fn read_price_list<R: Read>(input: R) -> Result<Vec<PriceListRow>, PriceListError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(input);
    let mut faults = Faults::default();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            faults.add(1, "*", "", format!("the header cannot be read: {e}"));
            return Err(faults.error());
        }
    };
    let columns = Columns::read(&headers, &mut faults);
    if !faults.listed.is_empty() {
        return Err(faults.error());
    }
    let mut rows = Vec::new();
    let mut records = 0;
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        records += 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let column = match e.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => headers.get(err.field()).unwrap_or("*"),
                    _ => "*",
                };
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "is not UTF-8".to_owned(),
                    _ => e.to_string(),
                };
                faults.add(row, column.trim(), "", message);
                continue;
            }
        };
        if record.len() != headers.len() {
            faults.add(
                row,
                "*",
                "",
                format!(
                    "{} fields where the header has {}",
                    record.len(),
                    headers.len()
                ),
            );
            continue;
        }
        if let Some(r) = read_row(&columns, &record, row, &mut faults) {
            rows.push(r);
        }
    }
    if records == 0 {
        faults.add(1, "*", "", "the price list has no price rows");
    }
    overlaps(&rows, &mut faults);
    faults.refuse()?;
    Ok(rows)
}

/// Loads a list's rows into a supplier's prices as of `today` (each supersedes the days it
/// covers of the rows already there for its item, unit and basis).
pub fn load_price_list(
    prices: &mut SupplierPrices,
    rows: &[PriceListRow],
    today: NaiveDate,
) -> PricesLoaded {
    prices.load(rows.iter().map(|r| (r.item.as_str(), &r.reference)), today)
}

#[cfg(test)]
mod tests;
