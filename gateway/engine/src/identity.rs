//! Normalized identities of parties and items, so rules match "the DEA number" or "the NDC"
//! whatever qualifier or punctuation a partner used.

use schemas::{Item, Party, PartyKind};
use serde::{Deserialize, Serialize};

/// A party id normalized for matching: its kind and the id uppercased without blanks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartyKey {
    /// Normalized kind of the id (DEA, HIN, GLN, DUNS, ...).
    pub kind: PartyKind,
    /// The id, uppercase, without spaces or hyphens.
    pub id: String,
}

impl PartyKey {
    /// Key of a qualifier/id pair.
    pub fn new(qualifier: &str, id: &str) -> Self {
        Self {
            kind: PartyKind::from_qualifier(qualifier),
            id: normalize_id(id),
        }
    }

    /// The main key of a party (its N103/N104), using the profile's `kind` when given.
    pub fn of(party: &Party) -> Self {
        Self {
            kind: party
                .kind
                .unwrap_or_else(|| PartyKind::from_qualifier(&party.qualifier)),
            id: normalize_id(&party.id),
        }
    }

    /// Every key of a party: the main one plus the ids of its `REF*DH` (DEA) and `REF*HI` (HIN).
    pub fn all_of(party: &Party) -> Vec<Self> {
        let mut keys = vec![Self::of(party)];
        for reference in &party.refs {
            let kind = match reference.qualifier.as_str() {
                "DH" => PartyKind::Dea,
                "HI" => PartyKind::Hin,
                "D3" => PartyKind::Other,
                _ => continue,
            };
            let key = Self {
                kind,
                id: normalize_id(&reference.id),
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }
}

/// Uppercase, without blanks and hyphens.
pub fn normalize_id(id: &str) -> String {
    id.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Normalized contract number: uppercase, without blanks (hyphens are significant here).
pub fn normalize_contract_number(number: &str) -> String {
    number
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Why an item id is not well formed (V0 `ITEM_UNKNOWN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedItem;

/// Writes the normalized key of one qualifier/id pair into `out` (cleared first):
/// `NDC:<11 digits>` for NDC qualifiers, `<qualifier>:<ID>` otherwise.
///
/// NDCs: hyphenated 4-4-2, 5-3-2 and 5-4-1 forms are padded to 5-4-2 (guide §3); `N1`/`N2`/`N3`
/// say which segment of an unhyphenated 10-digit NDC to pad; an unhyphenated 10-digit `N4`/`ND`
/// is ambiguous and refused.
pub fn write_item_key(qualifier: &str, id: &str, out: &mut String) -> Result<(), MalformedItem> {
    out.clear();
    let id = id.trim();
    if id.is_empty() {
        return Err(MalformedItem);
    }
    match qualifier {
        "N4" | "ND" | "N1" | "N2" | "N3" => {
            out.push_str("NDC:");
            write_ndc11(qualifier, id, out)
        }
        "UP" | "EN" | "UK" => {
            let len = match qualifier {
                "UP" => 12,
                "EN" => 13,
                _ => 14,
            };
            if id.len() != len || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(MalformedItem);
            }
            out.push_str(qualifier);
            out.push(':');
            out.push_str(id);
            Ok(())
        }
        _ => {
            if qualifier.is_empty() || !id.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                return Err(MalformedItem);
            }
            out.push_str(qualifier);
            out.push(':');
            for c in id.chars() {
                out.push(c.to_ascii_uppercase());
            }
            Ok(())
        }
    }
}

fn write_ndc11(qualifier: &str, id: &str, out: &mut String) -> Result<(), MalformedItem> {
    if id.contains('-') {
        let parts: Vec<&str> = id.split('-').collect();
        let [labeler, product, package] = parts.as_slice() else {
            return Err(MalformedItem);
        };
        if ![labeler, product, package]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(MalformedItem);
        }
        let widths = (labeler.len(), product.len(), package.len());
        if !matches!(widths, (5, 4, 2) | (4, 4, 2) | (5, 3, 2) | (5, 4, 1)) {
            return Err(MalformedItem);
        }
        for (part, width) in [(labeler, 5), (product, 4), (package, 2)] {
            for _ in part.len()..width {
                out.push('0');
            }
            out.push_str(part);
        }
        return Ok(());
    }
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MalformedItem);
    }
    match (id.len(), qualifier) {
        (11, _) => out.push_str(id),
        (10, "N1") => {
            out.push('0');
            out.push_str(id);
        }
        (10, "N2") => {
            out.push_str(&id[..5]);
            out.push('0');
            out.push_str(&id[5..]);
        }
        (10, "N3") => {
            out.push_str(&id[..9]);
            out.push('0');
            out.push_str(&id[9..]);
        }
        _ => return Err(MalformedItem),
    }
    Ok(())
}

/// The X12 qualifier an item id written without one is read under (a price list's `item`):
/// an NDC-11, with or without its hyphens, `N4`; a GTIN by its length (12 digits `UP`, 13
/// `EN`, 14 `UK`); anything else a part number, `VP` (the vendor's: a price list is a
/// supplier's). `None` for ten digits, which may be an NDC-10 of any of three paddings or a
/// part number: the qualifier must be named. [`write_item_key`] then normalizes the id as
/// it normalizes a contract's.
pub fn item_qualifier_of(id: &str) -> Option<&'static str> {
    let id = id.trim();
    if id.bytes().all(|b| b.is_ascii_digit()) {
        return match id.len() {
            10 => None,
            11 => Some("N4"),
            12 => Some("UP"),
            13 => Some("EN"),
            14 => Some("UK"),
            _ => Some("VP"),
        };
    }
    let ndc_shaped =
        id.split('-').count() == 3 && id.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    Some(if ndc_shaped { "N4" } else { "VP" })
}

/// All normalized keys of an item (its LIN02/03 pair first, then the others), skipping
/// malformed pairs.
pub fn item_keys(item: &Item) -> Vec<String> {
    let mut keys = Vec::with_capacity(1 + item.other_ids.len());
    let mut buf = String::new();
    if write_item_key(&item.qualifier, &item.id, &mut buf).is_ok() {
        keys.push(buf.clone());
    }
    for other in &item.other_ids {
        if write_item_key(&other.qualifier, &other.id, &mut buf).is_ok() && !keys.contains(&buf) {
            keys.push(buf.clone());
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(qualifier: &str, id: &str) -> Option<String> {
        let mut out = String::new();
        write_item_key(qualifier, id, &mut out).ok().map(|()| out)
    }

    #[test]
    fn ndc_forms_normalize_to_eleven_digits() {
        let cases = [
            ("N4", "12345010001", Some("NDC:12345010001")),
            ("N4", "12345-0100-01", Some("NDC:12345010001")),
            ("N4", "1234-5678-90", Some("NDC:01234567890")),
            ("N4", "12345-678-90", Some("NDC:12345067890")),
            ("N4", "12345-6789-0", Some("NDC:12345678900")),
            ("N1", "1234567890", Some("NDC:01234567890")),
            ("N2", "1234567890", Some("NDC:12345067890")),
            ("N3", "1234567890", Some("NDC:12345678900")),
            ("N4", "1234567890", None),
            ("N4", "12345A10001", None),
            ("N4", "", None),
            ("UP", "312345010003", Some("UP:312345010003")),
            ("UP", "31234501000", None),
            ("VP", "abc-1", Some("VP:ABC-1")),
        ];
        for (qualifier, id, expected) in cases {
            assert_eq!(key(qualifier, id).as_deref(), expected, "{qualifier} {id}");
        }
    }

    #[test]
    fn an_id_without_qualifier_is_read_by_its_shape() {
        let unqualified = |id: &str| {
            let qualifier = item_qualifier_of(id)?;
            key(qualifier, id)
        };
        let cases = [
            ("12345010001", Some("NDC:12345010001")),
            ("12345-0100-01", Some("NDC:12345010001")),
            ("1234-5678-90", Some("NDC:01234567890")),
            ("312345010003", Some("UP:312345010003")),
            ("0312345010003", Some("EN:0312345010003")),
            ("00312345010003", Some("UK:00312345010003")),
            ("nws-mcu32f4", Some("VP:NWS-MCU32F4")),
            ("1234567890", None),
            ("12-34-5", None),
            ("", None),
        ];
        for (id, expected) in cases {
            assert_eq!(unqualified(id).as_deref(), expected, "{id}");
        }
    }

    #[test]
    fn party_refs_add_keys() {
        let party = Party {
            qualifier: "92".into(),
            id: "cust-1".into(),
            name: None,
            additional_names: vec![],
            kind: None,
            address: None,
            refs: vec![schemas::Reference {
                qualifier: "DH".into(),
                id: "ar1234563".into(),
                description: None,
            }],
        };
        let keys = PartyKey::all_of(&party);
        assert_eq!(
            keys[0],
            PartyKey {
                kind: PartyKind::BuyerAssigned,
                id: "CUST1".into()
            }
        );
        assert_eq!(keys[1], PartyKey::new("11", "AR1234563"));
    }
}
