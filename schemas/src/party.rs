//! Parties (N1 loops): suppliers, distributors, end customers, buying groups.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Reference, Text};

/// A party from an N1 loop (N1 + N3/N4 + REF), e.g. `N1*ST*RIVERSIDE COMMUNITY
/// HOSPITAL*11*AR1234563`.
///
/// The role (N101: `DS`, `MF`, `ST`, `EB`, ...) is given by the field that holds the party, not
/// stored here.
// The default, with no ids, stands in for a party that was not found (a mapping error
// recorded for it keeps its document from being returned) or not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// N103 identification code qualifier as sent (`1` DUNS, `11` DEA, `21` HIN, `UL` GLN, ...).
    pub qualifier: Text,
    /// N104 identification code.
    pub id: Text,
    /// N102 name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// N201/N202 additional names of the N1 loop, in order (two per N2 when rendered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_names: Vec<Text>,
    /// Normalized kind of the N103 id, added by the partner profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<PartyKind>,
    /// N3/N4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// REF segments of the N1 loop: further ids of the same party such as `REF*DH` (DEA) or
    /// `REF*HI` (HIN).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<Reference>,
}

/// Normalized meaning of a party id qualifier (N103), so rules can match "the DEA number"
/// whatever code a partner used for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// `11`: DEA registration number.
    Dea,
    /// `21`: Health Industry Number (HIN).
    Hin,
    /// `UL`: GS1 Global Location Number.
    Gln,
    /// `1` DUNS, or `9` DUNS+4.
    Duns,
    /// `XX`: National Provider Identifier.
    Npi,
    /// 340B covered-entity id (`PI` in pharma guides).
    B340,
    /// `24`: employer identification number.
    Ein,
    /// `ZZ`: mutually defined.
    Mutual,
    /// `91`: assigned by the seller.
    SellerAssigned,
    /// `92`: assigned by the buyer.
    BuyerAssigned,
    /// Any other qualifier; the code itself stays in `Party::qualifier`.
    Other,
}

impl PartyKind {
    /// The usual meaning of an N103 qualifier; a partner profile may override it (`PI` is only
    /// 340B by pharma convention).
    pub fn from_qualifier(qualifier: &str) -> Self {
        match qualifier {
            "11" => Self::Dea,
            "21" => Self::Hin,
            "UL" => Self::Gln,
            "1" | "9" => Self::Duns,
            "XX" => Self::Npi,
            "PI" => Self::B340,
            "24" => Self::Ein,
            "ZZ" => Self::Mutual,
            "91" => Self::SellerAssigned,
            "92" => Self::BuyerAssigned,
            _ => Self::Other,
        }
    }
}

/// A postal address from the N3 and N4 segments of an N1 loop.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// N301/N302 street lines, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<Text>,
    /// N401 city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<Text>,
    /// N402 state or province code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Text>,
    /// N403 postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<Text>,
    /// N404 country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Text>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_pharma_qualifiers_to_kinds() {
        assert_eq!(PartyKind::from_qualifier("11"), PartyKind::Dea);
        assert_eq!(PartyKind::from_qualifier("21"), PartyKind::Hin);
        assert_eq!(PartyKind::from_qualifier("UL"), PartyKind::Gln);
        assert_eq!(PartyKind::from_qualifier("PI"), PartyKind::B340);
        assert_eq!(PartyKind::from_qualifier("9"), PartyKind::Duns);
        assert_eq!(PartyKind::from_qualifier("D3"), PartyKind::Other);
    }

    #[test]
    fn kinds_serialize_snake_case() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&PartyKind::B340)?, r#""b340""#);
        assert_eq!(
            serde_json::to_string(&PartyKind::SellerAssigned)?,
            r#""seller_assigned""#
        );
        Ok(())
    }

    #[test]
    fn empty_optional_fields_are_left_out() -> Result<(), serde_json::Error> {
        let party = Party {
            qualifier: "11".into(),
            id: "AR1234563".into(),
            name: None,
            additional_names: vec![],
            kind: None,
            address: None,
            refs: vec![],
        };
        assert_eq!(
            serde_json::to_string(&party)?,
            r#"{"qualifier":"11","id":"AR1234563"}"#
        );
        Ok(())
    }
}
