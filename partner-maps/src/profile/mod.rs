//! Partner profiles: one TOML file per trading partner, read raw, then validated into the
//! [`Profile`] the rest of the gateway uses.
//!
//! The path is the one Quickwit uses for its configs. The text is parsed into a
//! [`VersionedProfile`] chosen by its `version` key (`version = 1` today; a future v2 keeps
//! reading v1 files by upgrading them), every table refuses unknown keys, and
//! [`VersionedProfile::validate_and_build`] checks values against the X12 dictionary and each
//! other and fills in defaults. Errors name the file, the line and the key
//! (`profiles/acme.toml:12: unknown key "wac_qualfier" in [dialect]`).
//!
//! The TOML layout is documented on the raw types in [`v1`]; `profiles/` holds commented
//! examples.

pub mod codes;
pub mod error;
pub mod reject;
pub mod v1;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rust_decimal::Decimal;
use schemas::PartyKind;
use toml::de::{DeTable, DeValue};
use x12::dict::Version;
use x12::writer::{DelimiterPolicy, WriteOptions};
use x12::{Delimiters, IsaMode, ReaderOptions};

pub use codes::{
    AckKind, BatchMode, ClaimRef, ClaimTrigger, ContractRef, Ctt01Rule, DateBasis,
    DelimiterInValue, Encryption, LineEnding, Mdn, PayBasis, ReferencePriceBasis, Role,
    RoundingOrder, RoundingStrategy, SetKind, Signing, StatusRule, Ta1Policy,
    UnattendedAmountDisputes,
};
pub use error::{BuildError, ProfileError, ProfileErrorKind, Section};
pub use reject::{RejectCodes, RejectReason};
pub use v1::ProfileV1;

/// A profile as read from TOML, before validation, tagged by its `version`.
#[derive(Debug, Clone)]
pub enum VersionedProfile {
    /// `version = 1`.
    V1(ProfileV1),
}

impl VersionedProfile {
    /// The newest profile version this build reads.
    pub const LATEST: u32 = 1;

    /// Parses profile text. `file` names the file in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self, ProfileError> {
        let doc =
            DeTable::parse(text).map_err(|e| error::locate_toml_error(file, text, None, &e))?;
        Self::from_doc(text, file, &doc)
    }

    fn from_doc(
        text: &str,
        file: &str,
        doc: &toml::Spanned<DeTable<'_>>,
    ) -> Result<Self, ProfileError> {
        let located = |line, kind| ProfileError {
            file: file.to_owned(),
            line,
            kind: Box::new(kind),
        };
        let Some((key, value)) = doc
            .get_ref()
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == "version")
        else {
            return Err(located(
                1,
                ProfileErrorKind::MissingKey {
                    key: "version".to_owned(),
                    section: Section::default(),
                },
            ));
        };
        let line = error::line_of(text, key.span().start);
        let version = match value.get_ref() {
            DeValue::Integer(i) => i.as_str().to_owned(),
            other => {
                return Err(located(
                    line,
                    ProfileErrorKind::WrongType {
                        key: "version".to_owned(),
                        section: Section::default(),
                        message: format!("expected an integer, found {}", other.type_str()),
                    },
                ));
            }
        };
        match version.as_str() {
            "1" => toml::from_str::<ProfileV1>(text)
                .map(VersionedProfile::V1)
                .map_err(|e| error::locate_toml_error(file, text, Some(doc), &e)),
            _ => Err(located(
                line,
                ProfileErrorKind::UnsupportedVersion {
                    found: version,
                    latest: Self::LATEST,
                },
            )),
        }
    }

    /// The raw profile upgraded to the newest version.
    pub fn into_latest(self) -> ProfileV1 {
        match self {
            VersionedProfile::V1(p) => p,
        }
    }

    /// Validates and fills in defaults. The error carries the key path; use
    /// [`Profile::from_toml_str`] to get it with file and line.
    pub fn validate_and_build(self) -> Result<Profile, BuildError> {
        self.into_latest().validate_and_build()
    }
}

/// A validated partner profile: everything the gateway needs to talk to one partner.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Short lowercase id: the file name, the drop folder name, the id used everywhere.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the partner is to us.
    pub role: Role,
    /// Envelope identity, versions, delimiters, acknowledgment policy, control numbers.
    pub x12: X12,
    /// AS2 transport, when the partner uses it.
    pub as2: Option<As2>,
    /// SFTP drop folder, when the partner uses it.
    pub sftp: Option<Sftp>,
    /// Which segments and qualifiers carry what.
    pub dialect: Dialect,
    /// Rounding and tolerances.
    pub money: Money,
    /// Engine settings (chargeback-rules.md 2.1 and 13).
    pub rules: Rules,
    /// AAA03 codes and AAA04 follow-ups for reject reasons.
    pub reject_codes: RejectCodes,
}

/// `[x12]`: envelope identity and policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X12 {
    /// ISA05/ISA07 qualifier of the partner (`ZZ`, `01`, ...).
    pub isa_qualifier: String,
    /// ISA06/ISA08 id of the partner, without padding.
    pub isa_id: String,
    /// GS02/GS03 application id of the partner.
    pub gs_id: String,
    /// Further GS02 values the partner may send (besides `gs_id`).
    pub inbound_gs_ids: Vec<String>,
    /// Version of the documents we send (inbound accepts 004010 and 005010).
    pub version: Version,
    /// The functional acknowledgment we send.
    pub acknowledgment: AckKind,
    /// Read the partner's ISA with fixed offsets (true) or by counting separators.
    pub isa_strict: bool,
    /// Delimiters of outbound interchanges; `repetition` is `None` for 004010.
    pub delimiters: Delimiters,
    /// Bytes after each outbound segment.
    pub line_ending: LineEnding,
    /// When we send a TA1.
    pub ta1: Ta1Policy,
    /// List every set in the 997/999, not only those in error.
    pub ack_all_sets: bool,
    /// The business sets exchanged with this partner (both directions).
    pub allowed_sets: Vec<SetKind>,
    /// What to do with an outbound value containing a delimiter.
    pub delimiter_in_value: DelimiterPolicy,
    /// Ranges our outbound control numbers are allocated from.
    pub control_numbers: ControlNumbers,
}

impl X12 {
    /// How to read this partner's files.
    pub fn reader_options(&self) -> ReaderOptions {
        ReaderOptions {
            isa_mode: if self.isa_strict {
                IsaMode::Strict
            } else {
                IsaMode::Lenient
            },
            ..ReaderOptions::default()
        }
    }

    /// How to write files to this partner.
    pub fn write_options(&self) -> WriteOptions {
        WriteOptions {
            delimiters: self.delimiters,
            line_ending: self.line_ending.as_str(),
            policy: self.delimiter_in_value,
        }
    }

    /// True when `gs02` is one of the partner's application ids.
    pub fn accepts_gs_id(&self, gs02: &str) -> bool {
        self.gs_id == gs02 || self.inbound_gs_ids.iter().any(|g| g == gs02)
    }

    /// True when the partner may send us `set` (allowed and implied by its role).
    pub fn accepts_inbound(&self, role: Role, set: SetKind) -> bool {
        self.allowed_sets.contains(&set) && role.sends().contains(&set)
    }

    /// True when we may send `set` to the partner.
    pub fn may_send(&self, role: Role, set: SetKind) -> bool {
        self.allowed_sets.contains(&set) && role.receives().contains(&set)
    }
}

/// An inclusive range of control numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlRange {
    /// First number.
    pub start: u64,
    /// Last number.
    pub end: u64,
}

impl ControlRange {
    /// True when `n` lies in the range.
    pub fn contains(&self, n: u64) -> bool {
        self.start <= n && n <= self.end
    }
}

/// `[x12.control_numbers]`: where our outbound ISA13, GS06 and ST02 come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlNumbers {
    /// ISA13.
    pub interchange: ControlRange,
    /// GS06.
    pub group: ControlRange,
    /// ST02 (written with at least 4 digits).
    pub set: ControlRange,
}

/// `[as2]`: AS2 transport settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct As2 {
    /// AS2-From the partner sends, AS2-To we use.
    pub id: String,
    /// The partner's AS2 endpoint.
    pub url: String,
    /// How the partner returns receipts.
    pub mdn: Mdn,
    /// Content encryption for what we send.
    pub encrypt: Encryption,
    /// Signature digest.
    pub sign: Signing,
    /// Partner certificates, tried in order on verify. Relative paths are resolved against the
    /// profile's directory by [`crate::ProfileSet::load_dir`].
    pub certificates: Vec<PathBuf>,
}

/// `[sftp]`: SFTP drop folder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sftp {
    /// The partner's SFTP user; its drop folder is `<drop root>/<profile id>/{inbox,outbox}`.
    pub user: String,
}

/// `[dialect]`: which segments and qualifiers carry what for this partner. Code lists hold the
/// X12 codes as sent, in order of preference where order matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialect {
    /// Primary contract number location (used when rendering).
    pub contract_ref: ContractRef,
    /// Further locations read on input, after `contract_ref`; a location a set does not have
    /// (CON02 in an 867) is skipped.
    pub contract_ref_alternates: Vec<ContractRef>,
    /// REF01 codes of secondary agreement references kept with the contract (AH GPO
    /// agreement, PD ship-and-debit deal).
    pub agreement_refs: Vec<String>,
    /// Where the 844 carries the debit memo number.
    pub claim_ref: ClaimRef,
    /// BAA02 transaction type (`DR`).
    pub baa02: String,
    /// UIT03 codes of the reference price (WAC `WH`, book cost `DI`).
    pub reference_price_basis: Vec<String>,
    /// UIT03 codes of the (approved) contract price (`CT`).
    pub contract_price_basis: Vec<String>,
    /// UIT03 codes of submitted prices echoed in an 849 (`SC`, `SW`).
    pub submitted_price_basis: Vec<String>,
    /// CTP02 codes of the contract price in an 845 (`CON`).
    pub ctp_contract: Vec<String>,
    /// CTP02 codes of the reference price in an 845 (`WHL`).
    pub ctp_reference: Vec<String>,
    /// N101 codes of the end customer in 844/849/867 detail (`ST`).
    pub end_customer_entity: Vec<String>,
    /// N101 codes of eligible parties in an 845 (`EB`, `BG`).
    pub eligible_entity: Vec<String>,
    /// N101 codes of the distributor in headings (`DS`).
    pub distributor_entity: Vec<String>,
    /// N101 codes of the supplier in headings (`MF`, `SU`).
    pub supplier_entity: Vec<String>,
    /// N103 qualifiers for customers, most preferred first (`11` DEA, `21` HIN, `UL` GLN).
    pub customer_id_priority: Vec<String>,
    /// Product id qualifiers, most preferred first (`N4`, `UP`, `VP`).
    pub product_id_priority: Vec<String>,
    /// N103 qualifier -> normalized kind, over [`PartyKind::from_qualifier`].
    pub party_kinds: BTreeMap<String, PartyKind>,
    /// REF01 of the distributor's invoice (`IV`).
    pub invoice_ref: String,
    /// REF01 of the original invoice of a return (`OI`).
    pub original_invoice_ref: String,
    /// REF01 under which the partner states a customer's class of trade (its value spelled
    /// as the contracts' CTP01: `HS`, `PH`, ...): on an 844/867 line or its end customer's N1
    /// loop, on an 845 eligible party's N1 loop. None: no document states one.
    pub class_of_trade_ref: Option<String>,
    /// DTM01 of the invoice date (`003`).
    pub invoice_date: String,
    /// DTM01 of the ship date (`011`).
    pub ship_date: String,
    /// Which date is the eligibility (pricing) date; always equal to
    /// [`Rules::pricing_date_basis`].
    pub eligibility_date: DateBasis,
    /// QTY01 codes of the claimed or sold quantity (`39`).
    pub quantity_qualifier: Vec<String>,
    /// QTY01 codes that mark a line as a return (`76` returns): its quantity and amount read
    /// negative. Only a code also in [`Self::quantity_qualifier`] is ever read.
    pub return_quantity_qualifiers: Vec<String>,
    /// PAD02/PTD01 transfer types that mark a line as a return (`RV`, `BN`): its quantity and
    /// amount read negative, as under a returns quantity qualifier.
    pub return_transfer_types: Vec<String>,
    /// AMT01 of the line claimed amount (`CC`).
    pub claimed_amount: String,
    /// A claim line without its claimed AMT claims (WAC − contract price) × quantity, rounded
    /// by `[money]`, instead of being refused.
    pub compute_claimed_amount: bool,
    /// AMT01 of the line approved amount in an 849 (`1`).
    pub approved_amount: String,
    /// Summary AMT01 of the claimed total (`CC`).
    pub total_claimed: String,
    /// Summary AMT01 of the approved total in an 849 (`TT`).
    pub total_approved: String,
    /// How 849 line statuses are derived.
    pub status_rule: StatusRule,
    /// What CTT01 counts.
    pub ctt01: Ctt01Rule,
    /// Partner UOM -> our UOM (both X12 unit codes); units not listed map to themselves.
    pub uom_map: BTreeMap<String, String>,
    /// Accept 867 lines that put LIN before QTY.
    pub lenient_867_line_order: bool,
    /// Segments the partner never sends (not required of it, not sent to it).
    pub omits: Vec<String>,
    /// Normalize NDCs to 11-digit N4.
    pub ndc_normalize: bool,
}

impl Dialect {
    /// Whether transfer type `code` marks its lines as returns ([`Self::return_transfer_types`]).
    pub fn is_return_transfer(&self, code: &str) -> bool {
        self.return_transfer_types.iter().any(|t| t == code)
    }

    /// Whether QTY01 `code` marks its line as a return ([`Self::return_quantity_qualifiers`]).
    pub fn is_return_quantity(&self, code: &str) -> bool {
        self.return_quantity_qualifiers.iter().any(|q| q == code)
    }

    /// Whether a line is marked a return: by its QTY01 or its transfer type (PAD02/PTD01).
    /// A line marked so reads its quantity and amount negative, however they were sent; a
    /// line that is not marked keeps the signs it was sent with (a negative quantity is a
    /// return by its sign alone).
    pub fn marks_return(&self, qty01: Option<&str>, transfer_type: Option<&str>) -> bool {
        qty01.is_some_and(|q| self.is_return_quantity(q))
            || transfer_type.is_some_and(|t| self.is_return_transfer(t))
    }

    /// Contract locations in the order they are tried on input.
    pub fn contract_refs(&self) -> impl Iterator<Item = ContractRef> + '_ {
        std::iter::once(self.contract_ref).chain(self.contract_ref_alternates.iter().copied())
    }

    /// The normalized kind of an N103 qualifier for this partner.
    pub fn party_kind(&self, qualifier: &str) -> PartyKind {
        self.party_kinds
            .get(qualifier)
            .copied()
            .unwrap_or_else(|| PartyKind::from_qualifier(qualifier))
    }

    /// Our unit for a partner unit.
    pub fn uom<'a>(&'a self, partner_uom: &'a str) -> &'a str {
        self.uom_map
            .get(partner_uom)
            .map_or(partner_uom, String::as_str)
    }

    /// DTM01 of the eligibility date.
    pub fn eligibility_date_qualifier(&self) -> &str {
        match self.eligibility_date {
            DateBasis::Invoice => &self.invoice_date,
            DateBasis::Ship => &self.ship_date,
        }
    }

    /// True when the partner never sends `segment`.
    pub fn omits(&self, segment: &str) -> bool {
        self.omits.iter().any(|s| s == segment)
    }
}

/// `[money]`: how amounts are rounded and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// Midpoint rule.
    pub rounding: RoundingStrategy,
    /// Unit rounded before or after extension.
    pub rounding_order: RoundingOrder,
    /// Decimal places of amounts.
    pub scale: u32,
    /// Absolute line tolerance.
    pub abs_tol: Decimal,
    /// Relative line tolerance, as a fraction of the calculated amount (0.005 = 0.5 %).
    pub pct_tol: Decimal,
    /// Absolute per-claim cap on the sum of tolerated variances.
    pub header_tol: Decimal,
}

impl Money {
    /// Rounds an amount to `scale` with `rounding`.
    pub fn round(&self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.scale, self.rounding.to_decimal())
    }

    /// The line tolerance for a calculated amount: max(abs_tol, pct_tol x |calculated|).
    pub fn tolerance(&self, calculated: Decimal) -> Decimal {
        self.abs_tol.max(self.pct_tol * calculated.abs())
    }
}

/// `[rules]`: engine settings frozen onto each batch (chargeback-rules.md 2.1, 13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Review and Claim or Immediate Claim.
    pub batch_mode: BatchMode,
    /// Invoice or ship date as the pricing date.
    pub pricing_date_basis: DateBasis,
    /// What the reference price is.
    pub reference_price_basis: ReferencePriceBasis,
    /// Amount paid within tolerance.
    pub pay_basis: PayBasis,
    /// Days after the sale a line may still be claimed; `None` = no limit.
    pub claim_window_days: Option<u32>,
    /// Negative (return) lines allowed.
    pub allow_negative_lines: bool,
    /// Derive a contract for lines without a valid one.
    pub derive_contract: bool,
    /// Accept the part of a line that fits a cap and reject the rest.
    pub auto_partial_approve: bool,
    /// Claw back paid amounts on retroactive price decreases.
    pub retro_clawback: bool,
    /// Claims up to this amount from fully valid batches are approved automatically.
    pub auto_approve_limit: Decimal,
    /// Unpaid amounts up to this are written off automatically.
    pub writeoff_threshold: Decimal,
    /// Resubmissions allowed per line.
    pub resubmission_limit: u32,
    /// Days without an 849 before a claim is an exception.
    pub no_response_days: u32,
    /// How sale lines are cut into claims.
    pub claim_trigger: ClaimTrigger,
    /// Send an interim 849 for Immediate Claim batches awaiting review.
    pub interim_849: bool,
    /// Days until a dispute case is due.
    pub dispute_due_days: u32,
    /// Unattended answer to Amount Disputed lines.
    pub unattended_amount_disputes: UnattendedAmountDisputes,
    /// Accept returns whose original sale is not found.
    pub allow_unmatched_returns: bool,
    /// `[[rules.uom_conversions]]`: exact conversions from a sale unit to a contract unit,
    /// in file order (chargeback-rules.md 3 V0 "UOM converts", 4.1 `num/den`).
    pub uom_conversions: Vec<UomConversion>,
}

/// One `[[rules.uom_conversions]]` entry: `num / den` contract units (`to`) per sale unit
/// (`from`), for one item or, without one, for every item. The item is kept as written: the
/// engine's integration normalizes it as it normalizes a contract's items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UomConversion {
    /// The item as the contracts name it (`12345-0100-01`); every item when `None`.
    pub item: Option<String>,
    /// The X12 product id qualifier the item is read under (`N4`, `UP`, `VP`, ...), when its
    /// shape does not say it.
    pub item_qualifier: Option<String>,
    /// Sale unit, an X12 unit code (`EA`).
    pub from: String,
    /// Contract unit, an X12 unit code (`CA`).
    pub to: String,
    /// Numerator of the factor, above zero.
    pub num: u32,
    /// Denominator of the factor, above zero (12 for an EA against a 12-EA case).
    pub den: u32,
}

/// Why a unit conversion factor was refused ([`UomConversion::parse_factor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FactorError {
    /// Not `N/D` or `N` in digits, or a part above `u32::MAX`.
    #[error(
        "expected an exact factor, contract units per sale unit: \"N/D\" (\"1/12\") or a \
         whole number (\"12\"), each at most 4294967295"
    )]
    NotExact,
    /// `N/0`.
    #[error("the denominator must not be zero")]
    ZeroDenominator,
    /// `0` or `0/D`.
    #[error("must be above zero: a sale unit is some part of a contract unit")]
    Zero,
}

impl UomConversion {
    /// An exact factor as profiles and the `--uom-factor` flag write it: `"N/D"` (`"1/12"`)
    /// or a whole number `"N"` (`"12"`), digits only, both parts `u32` above zero. Returns
    /// `(num, den)` as written (not reduced).
    pub fn parse_factor(text: &str) -> Result<(u32, u32), FactorError> {
        let number = |s: &str| {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse::<u32>().ok()
        };
        let (num, den) = text.split_once('/').unwrap_or((text, "1"));
        let (Some(num), Some(den)) = (number(num), number(den)) else {
            return Err(FactorError::NotExact);
        };
        if den == 0 {
            return Err(FactorError::ZeroDenominator);
        }
        if num == 0 {
            return Err(FactorError::Zero);
        }
        Ok((num, den))
    }

    /// True when `other` converts the other way for the same item (`CA -> EA` for
    /// `EA -> CA`).
    pub fn is_inverse_of(&self, other: &UomConversion) -> bool {
        self.item == other.item
            && self.item_qualifier == other.item_qualifier
            && self.from.eq_ignore_ascii_case(&other.to)
            && self.to.eq_ignore_ascii_case(&other.from)
    }
}

impl std::fmt::Display for UomConversion {
    /// `EA -> CA 1/12, item 12345-0100-01 (N4)` or `EA -> CA 1/12, every item`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} -> {} {}/{}, ",
            self.from, self.to, self.num, self.den
        )?;
        match (&self.item, &self.item_qualifier) {
            (Some(item), Some(q)) => write!(f, "item {item} ({q})"),
            (Some(item), None) => write!(f, "item {item}"),
            (None, _) => f.write_str("every item"),
        }
    }
}

impl Profile {
    /// Validation options for this partner's files: every set listed in its acknowledgments
    /// when it wants them so, its 867 lines in the order it sends them.
    pub fn validate_options(&self, file: Option<String>) -> x12::validate::ValidateOptions {
        x12::validate::ValidateOptions {
            file,
            keep_all_sets: self.x12.ack_all_sets,
            lenient_867_line_order: self.dialect.lenient_867_line_order,
            ..Default::default()
        }
    }

    /// Reads and validates a profile. `file` names it in errors (`profiles/acme.toml`).
    pub fn from_toml_str(text: &str, file: &str) -> Result<Profile, ProfileError> {
        let doc =
            DeTable::parse(text).map_err(|e| error::locate_toml_error(file, text, None, &e))?;
        VersionedProfile::from_doc(text, file, &doc)?
            .validate_and_build()
            .map_err(|e| error::locate_build_error(file, text, &doc, e))
    }

    /// The profile used for a partner without one (offline commands): the standard dialect and
    /// the defaults of chargeback-rules.md 2.1. The partner is assumed to be a distributor
    /// (the sender of claims); callers that know better set `role`.
    pub fn default_for_unknown(id: &str) -> Profile {
        let isa_id: String = id.trim().chars().take(15).collect();
        let isa_id = if isa_id.is_empty() {
            "UNKNOWN".to_owned()
        } else {
            isa_id
        };
        v1::ProfileV1::standard(id, &isa_id, Role::Distributor).build_unchecked_identity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_partner_gets_the_standard_dialect_and_rule_defaults() {
        let p = Profile::default_for_unknown("GOODDRUG");
        assert_eq!(p.id, "GOODDRUG");
        assert_eq!(p.x12.isa_id, "GOODDRUG");
        assert_eq!(p.role, Role::Distributor);
        assert_eq!(p.dialect.contract_ref, ContractRef::Con02);
        assert_eq!(p.dialect.reference_price_basis, ["WH"]);
        assert_eq!(p.dialect.eligibility_date_qualifier(), "003");
        assert_eq!(p.rules.batch_mode, BatchMode::ReviewAndClaim);
        assert_eq!(p.rules.resubmission_limit, 3);
        assert_eq!(p.rules.no_response_days, 45);
        assert_eq!(p.rules.dispute_due_days, 90);
        assert!(p.rules.allow_negative_lines);
        assert!(!p.rules.derive_contract, "off as adjudicator");
        assert_eq!(p.money.header_tol, Decimal::new(100, 2));
        assert_eq!(p.money.abs_tol, Decimal::new(1, 2));
        assert_eq!(
            p.reject_codes.aaa03(RejectReason::CustomerNotEligible),
            "26"
        );
        assert_eq!(p.x12.allowed_sets, SetKind::ALL);
    }

    #[test]
    fn odd_unknown_ids_still_give_a_profile() {
        let p = Profile::default_for_unknown("  ");
        assert_eq!(p.x12.isa_id, "UNKNOWN");
        let long = Profile::default_for_unknown("A-VERY-LONG-SENDER-ID-1234");
        assert_eq!(long.x12.isa_id.len(), 15);
    }

    #[test]
    fn money_rounds_and_tolerates_per_profile() {
        let p = Profile::default_for_unknown("x");
        let v = Decimal::new(2306765, 5);
        assert_eq!(p.money.round(v).to_string(), "23.07");
        assert_eq!(
            p.money.tolerance(Decimal::new(10000, 2)),
            Decimal::new(1, 2)
        );
    }
}
