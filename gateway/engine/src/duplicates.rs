//! Duplicate detection (§5.2, §13.9): line keys and the index of earlier lines.
//!
//! The key is (distributor, supplier, invoice, invoice line, item) when the profile maps an
//! invoice line, else (distributor, supplier, invoice, item, end customer, *d*, quantity, UOM).
//! The claim line number (PAD01) is never part of it. Keys are kept as 128-bit fingerprints
//! (see [`crate::fingerprint`]); a "near" key without quantity finds `POSSIBLE_DUPLICATE`s.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use schemas::PartyKind;

use crate::batch::LineStatus;
use crate::fingerprint::{FingerprintBuild, Fingerprinter};
use crate::sale::{LineRef, SaleLine};

/// Fingerprints of one line.
///
/// Stored on every batch line (the store rebuilds `LineHistory` from them), so they are
/// written in one short field ([`keys_text`]); the three-field form earlier lines were
/// stored with still reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "keys_text::Packed", try_from = "keys_text::Stored")]
pub struct LineKeys {
    /// The duplicate key.
    pub exact: u128,
    /// The key without quantity: a match is a possible duplicate.
    pub near: u128,
    /// (distributor, supplier, invoice, item): how returns find their sale.
    pub sale: u128,
}

/// [`LineKeys`] as stored: one string of the 48 bytes `exact`, `near`, `sale` (big-endian),
/// base64url without padding (64 characters; JSON numbers, and `serde_json::Value`, cannot
/// hold 128-bit values exactly). Lines stored before kept three fields of 32 hex digits
/// each, twice the bytes on every line.
mod keys_text {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::LineKeys;

    /// The written form.
    #[derive(serde::Serialize)]
    pub struct Packed(String);

    impl From<LineKeys> for Packed {
        fn from(keys: LineKeys) -> Self {
            let mut bytes = [0u8; 48];
            bytes[..16].copy_from_slice(&keys.exact.to_be_bytes());
            bytes[16..32].copy_from_slice(&keys.near.to_be_bytes());
            bytes[32..].copy_from_slice(&keys.sale.to_be_bytes());
            Packed(URL_SAFE_NO_PAD.encode(bytes))
        }
    }

    /// Either stored form.
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    pub enum Stored {
        Packed(String),
        Hex {
            exact: String,
            near: String,
            sale: String,
        },
    }

    impl TryFrom<Stored> for LineKeys {
        type Error = String;

        fn try_from(stored: Stored) -> Result<Self, String> {
            match stored {
                Stored::Packed(text) => {
                    let mut bytes = [0u8; 48];
                    match URL_SAFE_NO_PAD.decode_slice(text.as_bytes(), &mut bytes) {
                        Ok(48) => {}
                        _ => return Err(format!("line keys {text:?}: not 48 bytes of base64url")),
                    }
                    let key = |i: usize| {
                        let mut part = [0u8; 16];
                        part.copy_from_slice(&bytes[16 * i..16 * (i + 1)]);
                        u128::from_be_bytes(part)
                    };
                    Ok(LineKeys {
                        exact: key(0),
                        near: key(1),
                        sale: key(2),
                    })
                }
                Stored::Hex { exact, near, sale } => {
                    let key = |text: &str| {
                        u128::from_str_radix(text, 16)
                            .map_err(|e| format!("line key {text:?}: {e}"))
                    };
                    Ok(LineKeys {
                        exact: key(&exact)?,
                        near: key(&near)?,
                        sale: key(&sale)?,
                    })
                }
            }
        }
    }

    #[cfg(test)]
    #[allow(clippy::unwrap_used)]
    mod tests {
        use super::LineKeys;

        fn keys(exact: u128, near: u128, sale: u128) -> LineKeys {
            LineKeys { exact, near, sale }
        }

        #[test]
        fn keys_are_one_64_character_string_and_read_back() {
            for k in [
                keys(0, 0, 0),
                keys(1, 0xabc, u128::MAX),
                keys(u128::MAX / 3, 1 << 127, 0x0123_4567_89ab_cdef),
            ] {
                let text = serde_json::to_string(&k).unwrap();
                assert_eq!(text.len(), 66, "{text}");
                assert!(
                    text[1..65]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                    "{text}"
                );
                assert_eq!(serde_json::from_str::<LineKeys>(&text).unwrap(), k);
            }
        }

        #[test]
        fn keys_stored_as_three_hex_fields_still_read() {
            let k = keys(u128::MAX / 3, 0xabc, 1 << 127);
            let old = format!(
                r#"{{"exact":"{:032x}","near":"{:032x}","sale":"{:032x}"}}"#,
                k.exact, k.near, k.sale
            );
            assert_eq!(serde_json::from_str::<LineKeys>(&old).unwrap(), k);
        }

        #[test]
        fn a_damaged_key_is_an_error_not_a_different_key() {
            for bad in [
                r#""abc""#.to_owned(),
                format!("\"{}\"", "A".repeat(65)),
                format!("\"{}\"", "*".repeat(64)),
                r#"{"exact":"zz","near":"0","sale":"0"}"#.to_owned(),
            ] {
                assert!(serde_json::from_str::<LineKeys>(&bad).is_err(), "{bad}");
            }
        }
    }
}

fn id(fp: &mut Fingerprinter, value: &str) {
    let normalized = value
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'-')
        .map(|b| b.to_ascii_uppercase());
    let mut buf = [0u8; 64];
    let mut len = 0;
    for b in normalized {
        if len == buf.len() {
            fp.bytes(&buf);
            len = 0;
        }
        buf[len] = b;
        len += 1;
    }
    fp.bytes(&buf[..len]);
}

fn date(fp: &mut Fingerprinter, d: Option<NaiveDate>) {
    fp.u64(d.map_or(0, |d| d.num_days_from_ce() as u64));
}

fn kind_code(kind: PartyKind) -> u64 {
    kind as u64
}

/// Fingerprint of an invoice as the keys compare it (ASCII whitespace and '-' dropped, ASCII
/// case ignored): two spellings of one invoice have one print.
pub fn invoice_print(invoice: &str) -> u128 {
    let mut fp = Fingerprinter::new();
    id(&mut fp, invoice);
    fp.finish()
}

/// The fingerprint state after (distributor, supplier), shared by every line of a batch.
pub fn party_base(distributor: &str, supplier: &str) -> Fingerprinter {
    let mut base = Fingerprinter::new();
    id(&mut base, distributor);
    id(&mut base, supplier);
    base
}

/// The keys of a line. `item_key` is the normalized item key; `d` the pricing date.
pub fn line_keys(
    distributor: &str,
    supplier: &str,
    line: &SaleLine,
    item_key: &str,
    d: Option<NaiveDate>,
    invoice_line_in_key: bool,
) -> LineKeys {
    line_keys_from(
        &party_base(distributor, supplier),
        line,
        item_key,
        d,
        invoice_line_in_key,
    )
}

/// [`line_keys`] from a precomputed [`party_base`].
pub fn line_keys_from(
    parties: &Fingerprinter,
    line: &SaleLine,
    item_key: &str,
    d: Option<NaiveDate>,
    invoice_line_in_key: bool,
) -> LineKeys {
    let mut base = parties.clone();
    id(&mut base, &line.invoice);
    let mut sale = base.clone();
    sale.str(item_key);
    let sale = sale.finish();
    // A return shares its sale's invoice and item but is not its duplicate.
    base.u64(u64::from(line.is_return()));
    if invoice_line_in_key && let Some(invoice_line) = &line.invoice_line {
        let mut exact = base.clone();
        exact.str(invoice_line).str(item_key);
        let mut near = base;
        near.str(item_key);
        return LineKeys {
            exact: exact.finish(),
            near: near.finish(),
            sale,
        };
    }
    base.str(item_key);
    let kind = line
        .end_customer
        .kind
        .unwrap_or_else(|| PartyKind::from_qualifier(&line.end_customer.qualifier));
    base.u64(kind_code(kind));
    id(&mut base, &line.end_customer.id);
    date(&mut base, d);
    let near = base.finish();
    let mut exact = base;
    exact.bytes(&line.quantity.normalize().serialize());
    id(&mut exact, &line.uom);
    LineKeys {
        exact: exact.finish(),
        near,
        sale,
    }
}

/// Fingerprint of the sale a return refers to.
pub fn return_sale_key(
    distributor: &str,
    supplier: &str,
    original_invoice: &str,
    item_key: &str,
) -> u128 {
    return_sale_key_from(
        &party_base(distributor, supplier),
        original_invoice,
        item_key,
    )
}

/// [`return_sale_key`] from a precomputed [`party_base`].
pub fn return_sale_key_from(
    parties: &Fingerprinter,
    original_invoice: &str,
    item_key: &str,
) -> u128 {
    let mut fp = parties.clone();
    id(&mut fp, original_invoice);
    fp.str(item_key);
    fp.finish()
}

/// An earlier line as the index remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Where it is.
    pub line: LineRef,
    /// Its status.
    pub status: LineStatus,
    /// Whether its batch is still Open or Awaiting Review.
    pub batch_open: bool,
}

impl HistoryEntry {
    /// §5.2 scope: Accepted or Claimed, or undecided in a batch not yet Closed or Rejected.
    pub fn blocks(&self) -> bool {
        match self.status {
            LineStatus::Accepted | LineStatus::Claimed => true,
            LineStatus::Rejected => false,
            LineStatus::Open
            | LineStatus::EligibilityDisputed
            | LineStatus::AmountDisputed
            | LineStatus::Duplicate => self.batch_open,
        }
    }
}

/// Index of earlier lines across batches: rebuilt by the store from persisted lines with
/// [`LineHistory::record`], not itself persisted.
#[derive(Debug, Clone, Default)]
pub struct LineHistory {
    entries: HashMap<u128, Vec<HistoryEntry>, FingerprintBuild>,
    near: HashMap<u128, u32, FingerprintBuild>,
    sales: HashMap<u128, NaiveDate, FingerprintBuild>,
}

impl LineHistory {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a line.
    pub fn record(
        &mut self,
        keys: LineKeys,
        entry: HistoryEntry,
        pricing_date: Option<NaiveDate>,
        quantity: Decimal,
    ) {
        if matches!(entry.status, LineStatus::Accepted | LineStatus::Claimed)
            && quantity.is_sign_positive()
            && let Some(d) = pricing_date
        {
            self.sales.insert(keys.sale, d);
        }
        *self.near.entry(keys.near).or_default() += 1;
        let list = self.entries.entry(keys.exact).or_default();
        list.retain(|e| e.line != entry.line);
        list.push(entry);
    }

    /// Updates the status of a recorded line.
    pub fn update(
        &mut self,
        keys: LineKeys,
        line: &LineRef,
        status: LineStatus,
        batch_open: bool,
        pricing_date: Option<NaiveDate>,
    ) {
        if let Some(list) = self.entries.get_mut(&keys.exact) {
            for entry in list.iter_mut().filter(|e| &e.line == line) {
                entry.status = status;
                entry.batch_open = batch_open;
            }
        }
        if matches!(status, LineStatus::Accepted | LineStatus::Claimed)
            && let Some(d) = pricing_date
        {
            self.sales.insert(keys.sale, d);
        }
    }

    /// The earlier line blocking `exact`, skipping `except` when it may be resubmitted
    /// (the original of a correction blocks only when Accepted or Claimed).
    /// A line never duplicates itself: `own` (batch, line) is skipped.
    pub fn blocking(
        &self,
        exact: u128,
        corrects: Option<&LineRef>,
        own: (&str, &str),
    ) -> Option<&HistoryEntry> {
        self.entries.get(&exact)?.iter().find(|e| {
            if e.line.batch == own.0 && e.line.line == own.1 {
                false
            } else if corrects == Some(&e.line) {
                matches!(e.status, LineStatus::Accepted | LineStatus::Claimed)
            } else {
                e.blocks()
            }
        })
    }

    /// Whether an earlier line has the same near key.
    pub fn near_match(&self, near: u128) -> bool {
        self.near.contains_key(&near)
    }

    /// Pricing date of the earlier accepted or claimed sale a return refers to.
    pub fn sale_date(&self, sale: u128) -> Option<NaiveDate> {
        self.sales.get(&sale).copied()
    }
}

/// Sales traced by 867 reports, for the adjudicator's `NOT_TRACED` warning (§3): keyed by
/// (distributor, supplier, invoice, item) like a return's original.
#[derive(Debug, Clone, Default)]
pub struct TracedSales {
    sales: std::collections::HashSet<u128, FingerprintBuild>,
}

impl TracedSales {
    /// An empty feed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every line of an 867.
    pub fn add_report(&mut self, report: &schemas::SalesReport) {
        let distributor = crate::identity::PartyKey::of(&report.distributor);
        let supplier = crate::identity::PartyKey::of(&report.supplier);
        let mut key = String::new();
        for line in &report.lines {
            if crate::identity::write_item_key(&line.item.qualifier, &line.item.id, &mut key)
                .is_ok()
            {
                self.sales.insert(return_sale_key(
                    &distributor.id,
                    &supplier.id,
                    &line.invoice,
                    &key,
                ));
            }
        }
    }

    /// Whether a sale (by its `LineKeys::sale`) was traced.
    pub fn contains(&self, sale: u128) -> bool {
        self.sales.contains(&sale)
    }
}
