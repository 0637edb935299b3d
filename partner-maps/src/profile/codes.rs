//! The closed choices a profile makes, one enum each.
//!
//! Every enum here is read from TOML by its lowercase (or X12) spelling and is used as is by
//! the validated [`Profile`](super::Profile). Open X12 code lists (REF01, DTM01, UIT03, ...) are
//! not enums: they stay strings, checked against the `x12` dictionary when a profile is built.

use serde::Deserialize;

/// What the partner is to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A manufacturer or vendor: sends 845 contracts and 849 responses, receives 844 claims and
    /// 867 tracing. We are the claimant (distributor side).
    Supplier,
    /// A wholesaler or dealer: sends 844 claims and 867 tracing, receives 845 and 849. We are
    /// the adjudicator (supplier side).
    Distributor,
}

impl Role {
    /// The sets a partner in this role sends us.
    pub fn sends(self) -> &'static [SetKind] {
        match self {
            Role::Supplier => &[SetKind::Ts845, SetKind::Ts849],
            Role::Distributor => &[SetKind::Ts844, SetKind::Ts867],
        }
    }

    /// The sets we send a partner in this role.
    pub fn receives(self) -> &'static [SetKind] {
        match self {
            Role::Supplier => &[SetKind::Ts844, SetKind::Ts867],
            Role::Distributor => &[SetKind::Ts845, SetKind::Ts849],
        }
    }

    /// True when we are the claimant in this relationship (the partner is a supplier).
    pub fn we_claim(self) -> bool {
        self == Role::Supplier
    }

    /// The TOML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supplier => "supplier",
            Role::Distributor => "distributor",
        }
    }
}

/// A business transaction set of the chargeback cycle (acknowledgments are governed by
/// `acknowledgment` and `ta1`, not listed here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum SetKind {
    /// 844 product transfer account adjustment (the claim).
    #[serde(rename = "844")]
    Ts844,
    /// 845 price authorization acknowledgment/status (the contract).
    #[serde(rename = "845")]
    Ts845,
    /// 849 response to product transfer account adjustment.
    #[serde(rename = "849")]
    Ts849,
    /// 867 product transfer and resale report (tracing).
    #[serde(rename = "867")]
    Ts867,
}

impl SetKind {
    /// All four, in ST01 order.
    pub const ALL: [SetKind; 4] = [
        SetKind::Ts844,
        SetKind::Ts845,
        SetKind::Ts849,
        SetKind::Ts867,
    ];

    /// ST01.
    pub fn st01(self) -> &'static str {
        match self {
            SetKind::Ts844 => "844",
            SetKind::Ts845 => "845",
            SetKind::Ts849 => "849",
            SetKind::Ts867 => "867",
        }
    }

    /// The set named by an ST01 value.
    pub fn from_st01(st01: &str) -> Option<SetKind> {
        SetKind::ALL.into_iter().find(|k| k.st01() == st01)
    }
}

/// The functional acknowledgment the partner gets from us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
pub enum AckKind {
    /// 997 functional acknowledgment (004010 and 005010).
    #[default]
    #[serde(rename = "997")]
    Ack997,
    /// 999 implementation acknowledgment (005010).
    #[serde(rename = "999")]
    Ack999,
}

impl AckKind {
    /// ST01 of the acknowledgment.
    pub fn st01(self) -> &'static str {
        match self {
            AckKind::Ack997 => "997",
            AckKind::Ack999 => "999",
        }
    }
}

/// When we send a TA1 interchange acknowledgment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ta1Policy {
    /// Only when the partner asks for one (ISA14 = 1), and for interchanges we reject.
    #[default]
    OnRequest,
    /// For every interchange.
    Always,
    /// Never, not even for a rejected interchange.
    Never,
}

/// Bytes written after each segment terminator in outbound files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEnding {
    /// Nothing: one long line.
    None,
    /// `\n` after each segment.
    #[default]
    Lf,
    /// `\r\n` after each segment.
    Crlf,
}

impl LineEnding {
    /// The bytes to write, as [`x12::writer::WriteOptions::line_ending`] wants them.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::None => "",
            LineEnding::Lf => "\n",
            LineEnding::Crlf => "\r\n",
        }
    }

    /// The TOML spelling.
    pub fn name(self) -> &'static str {
        match self {
            LineEnding::None => "none",
            LineEnding::Lf => "lf",
            LineEnding::Crlf => "crlf",
        }
    }
}

/// What to do with an outbound value that contains an active delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelimiterInValue {
    /// Refuse to write the document.
    #[default]
    Reject,
    /// Replace the offending character with `substitute_with`.
    Substitute,
}

/// How the partner returns AS2 receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mdn {
    /// In the HTTP response.
    #[default]
    Sync,
    /// In a later HTTP request to our AS2 URL.
    Async,
}

/// AS2 content encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
pub enum Encryption {
    /// AES-128 in CBC mode.
    #[serde(rename = "aes128-cbc")]
    Aes128Cbc,
    /// AES-192 in CBC mode.
    #[serde(rename = "aes192-cbc")]
    Aes192Cbc,
    /// AES-256 in CBC mode (the default).
    #[default]
    #[serde(rename = "aes256-cbc")]
    Aes256Cbc,
    /// AES-128 in GCM mode.
    #[serde(rename = "aes128-gcm")]
    Aes128Gcm,
    /// AES-256 in GCM mode.
    #[serde(rename = "aes256-gcm")]
    Aes256Gcm,
    /// Triple DES, for old partners only.
    #[serde(rename = "3des")]
    TripleDes,
}

/// AS2 signature digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signing {
    /// SHA-1, for old partners only.
    Sha1,
    /// SHA-256 (the default).
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Where a set carries the contract number. A profile names one primary location (used when
/// rendering) and may list alternates that are also read on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum ContractRef {
    /// CON02 of the CON loop (844, 845, 849).
    #[serde(rename = "CON02")]
    Con02,
    /// `REF*CT` (contract number) in the detail.
    #[serde(rename = "REF:CT")]
    RefCt,
    /// `REF*BC` (buyer's contract number).
    #[serde(rename = "REF:BC")]
    RefBc,
    /// `REF*PD` (promotion/deal: ship-and-debit authorization).
    #[serde(rename = "REF:PD")]
    RefPd,
    /// PTD05 with PTD04 = `CT` (867).
    #[serde(rename = "PTD05")]
    Ptd05,
    /// BPA04 with BPA03 = `CT` (845 heading).
    #[serde(rename = "BPA04")]
    Bpa04,
}

impl ContractRef {
    /// The REF01 qualifier when the contract sits in a REF segment.
    pub fn ref_qualifier(self) -> Option<&'static str> {
        match self {
            ContractRef::RefCt => Some("CT"),
            ContractRef::RefBc => Some("BC"),
            ContractRef::RefPd => Some("PD"),
            _ => None,
        }
    }

    /// The TOML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractRef::Con02 => "CON02",
            ContractRef::RefCt => "REF:CT",
            ContractRef::RefBc => "REF:BC",
            ContractRef::RefPd => "REF:PD",
            ContractRef::Ptd05 => "PTD05",
            ContractRef::Bpa04 => "BPA04",
        }
    }
}

/// Where an 844 carries the claim (debit memo) number; an 849 echoes it in BRC03/04.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
pub enum ClaimRef {
    /// BAA05 with BAA04 = `DB`.
    #[default]
    #[serde(rename = "BAA05")]
    Baa05,
    /// A heading `REF*DB`.
    #[serde(rename = "REF:DB")]
    RefDb,
}

impl ClaimRef {
    /// The TOML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimRef::Baa05 => "BAA05",
            ClaimRef::RefDb => "REF:DB",
        }
    }
}

/// Which sale date prices and eligibility are taken on (the pricing date *d*). Read as
/// `"invoice"`/`"ship"` or as the DTM01 codes `"003"`/`"011"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
pub enum DateBasis {
    /// The invoice date (`DTM*003` by default).
    #[default]
    #[serde(rename = "invoice", alias = "003")]
    Invoice,
    /// The ship date (`DTM*011` by default).
    #[serde(rename = "ship", alias = "011")]
    Ship,
}

impl DateBasis {
    /// The TOML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DateBasis::Invoice => "invoice",
            DateBasis::Ship => "ship",
        }
    }
}

/// How an 849 line's status (accepted, adjusted, rejected) is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusRule {
    /// From amounts: approved = claimed is accepted, approved = 0 is rejected, anything else is
    /// adjusted; AAA only supplies the reason (x12-chargeback.md 6.1).
    #[default]
    Amounts,
    /// From AAA01: no AAA or `Y` is accepted; `N` with approved 0 is rejected, `N` otherwise is
    /// adjusted. For partners whose amounts are unreliable.
    Aaa01,
}

/// What CTT01 counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ctt01Rule {
    /// Line loops: PAD (844, 845, 849) or QTY (867).
    #[default]
    Lines,
    /// CON loops (some 844 partners).
    ContractLoops,
}

/// Midpoint rule for the one rounding per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingStrategy {
    /// 1.125 -> 1.13.
    #[default]
    HalfAwayFromZero,
    /// 1.125 -> 1.12 (banker's rounding).
    HalfEven,
}

impl RoundingStrategy {
    /// The `rust_decimal` strategy to pass to `round_dp_with_strategy`.
    pub fn to_decimal(self) -> rust_decimal::RoundingStrategy {
        match self {
            RoundingStrategy::HalfAwayFromZero => {
                rust_decimal::RoundingStrategy::MidpointAwayFromZero
            }
            RoundingStrategy::HalfEven => rust_decimal::RoundingStrategy::MidpointNearestEven,
        }
    }
}

/// Whether the unit chargeback is rounded before it is multiplied by the quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingOrder {
    /// round(unit x qty): one rounding per line (the default).
    #[default]
    ExtendThenRound,
    /// round(round(unit) x qty).
    RoundUnitThenExtend,
}

/// Claim mode, frozen onto each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchMode {
    /// Hold every line until the batch is reviewed; at most one claim per batch.
    #[default]
    ReviewAndClaim,
    /// Claim valid lines at once, disputed ones after review; at most two claims per batch.
    ImmediateClaim,
}

/// What the reference price (the minuend of the chargeback) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferencePriceBasis {
    /// Wholesale acquisition cost (pharma).
    #[default]
    Wac,
    /// The distributor's book cost (ship and debit).
    Book,
    /// A distributor price list.
    Distributor,
    /// The cost stated on the contract.
    ContractStated,
}

/// Which amount is paid when a line is within tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayBasis {
    /// The lower of claimed and calculated.
    #[default]
    Lower,
    /// The claimed amount.
    Claimed,
    /// The calculated amount.
    Calculated,
}

/// How sale lines are cut into claims (claimant side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimTrigger {
    /// One claim per invoice as it posts.
    Immediate,
    /// One claim per supplier per day.
    #[default]
    Daily,
    /// One claim per supplier per week.
    Weekly,
    /// One claim per supplier per month.
    Monthly,
}

/// How an unattended adjudication answers Amount Disputed lines (chargeback-rules.md 13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnattendedAmountDisputes {
    /// `AAA*N`, the reason, follow-up `N`, approved = calculated amount.
    #[default]
    PayCalculated,
    /// Approved 0.
    Reject,
    /// Leave the batch Awaiting Review; no 849.
    Hold,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_implies_the_sets_each_side_sends() {
        assert_eq!(Role::Distributor.sends(), &[SetKind::Ts844, SetKind::Ts867]);
        assert_eq!(Role::Supplier.receives(), Role::Distributor.sends());
        assert!(Role::Supplier.we_claim());
    }

    #[test]
    fn set_kind_round_trips_st01() {
        for k in SetKind::ALL {
            assert_eq!(SetKind::from_st01(k.st01()), Some(k));
        }
        assert_eq!(SetKind::from_st01("997"), None);
    }

    #[test]
    fn rounding_strategies_round_the_golden_midpoint() {
        let v = rust_decimal::Decimal::new(1125, 3);
        let away = v.round_dp_with_strategy(2, RoundingStrategy::HalfAwayFromZero.to_decimal());
        let even = v.round_dp_with_strategy(2, RoundingStrategy::HalfEven.to_decimal());
        assert_eq!(away.to_string(), "1.13");
        assert_eq!(even.to_string(), "1.12");
    }
}
