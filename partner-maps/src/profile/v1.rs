//! Profile format version 1: the raw TOML tables, exactly as written in `profiles/<id>.toml`.
//!
//! Every table refuses unknown keys. Keys with a default may be left out, so a minimal profile
//! is the identity block only:
//!
//! ```toml
//! version = 1
//! id = "acme"
//! name = "ACME Pharmaceuticals"
//! role = "supplier"              # supplier | distributor
//!
//! [x12]
//! isa_qualifier = "ZZ"
//! isa_id = "ACMEPHARMA"
//! version = "004010"             # 004010 | 005010, what we send
//! ```
//!
//! Decimals are TOML strings (`abs_tol = "0.01"`) so no value passes through a float.
//! [`ProfileV1::validate_and_build`] turns the raw tables into a [`Profile`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemas::PartyKind;
use serde::Deserialize;
use x12::Delimiters;
use x12::dict::Version;
use x12::writer::DelimiterPolicy;

use super::codes::*;
use super::error::BuildError;
use super::reject::{RejectCodes, RejectReason};
use super::{
    As2, ControlNumbers, ControlRange, Dialect, Money, Profile, Rules, Sftp, UomConversion, X12,
};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileV1 {
    /// Format version; 1 here.
    pub version: u32,
    /// Short lowercase id (`[a-z0-9][a-z0-9_-]*`): file name, drop folder, id everywhere.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `supplier` or `distributor`: what the partner is to us.
    pub role: Role,
    /// `[x12]`, required.
    pub x12: X12V1,
    /// `[as2]`, optional.
    #[serde(default)]
    pub as2: Option<As2V1>,
    /// `[sftp]`, optional.
    #[serde(default)]
    pub sftp: Option<SftpV1>,
    /// `[dialect]`, all keys defaulted to the standard dialect.
    #[serde(default)]
    pub dialect: DialectV1,
    /// `[money]`, all keys defaulted.
    #[serde(default)]
    pub money: MoneyV1,
    /// `[rules]`, all keys defaulted.
    #[serde(default)]
    pub rules: RulesV1,
    /// `[reject_codes]`: `REASON_CODE = "AAA03"` overrides.
    #[serde(default)]
    pub reject_codes: BTreeMap<RejectReason, String>,
    /// `[follow_up_codes]`: `REASON_CODE = "AAA04"` overrides.
    #[serde(default)]
    pub follow_up_codes: BTreeMap<RejectReason, String>,
}

/// `[x12]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct X12V1 {
    /// ISA05/07 qualifier of the partner (`ZZ`, `01`, `08`, ...).
    pub isa_qualifier: String,
    /// ISA06/08 id of the partner (up to 15 characters, matched trimmed).
    pub isa_id: String,
    /// GS02/03 application id; defaults to `isa_id`.
    #[serde(default)]
    pub gs_id: Option<String>,
    /// Other GS02 values the partner may send.
    #[serde(default)]
    pub inbound_gs_ids: Vec<String>,
    /// `004010` or `005010`: the version of what we send.
    pub version: X12VersionV1,
    /// `997` (default) or `999`.
    #[serde(default)]
    pub acknowledgment: AckKind,
    /// Read the partner's ISA at fixed offsets (default true).
    #[serde(default = "default_true")]
    pub isa_strict: bool,
    /// `[x12.delimiters]`: outbound delimiters.
    #[serde(default)]
    pub delimiters: DelimitersV1,
    /// `on_request` (default), `always` or `never`.
    #[serde(default)]
    pub ta1: Ta1Policy,
    /// List every set in 997/999, not only those in error (default false).
    #[serde(default)]
    pub ack_all_sets: bool,
    /// Sets exchanged (`["844", "849"]`); empty = all the role implies.
    #[serde(default)]
    pub allowed_sets: Vec<SetKind>,
    /// `reject` (default) or `substitute`.
    #[serde(default)]
    pub delimiter_in_value: DelimiterInValue,
    /// Replacement character for `substitute` (default a space).
    #[serde(default = "default_substitute_with")]
    pub substitute_with: String,
    /// `[x12.control_numbers]`.
    #[serde(default)]
    pub control_numbers: ControlNumbersV1,
}

/// An X12 version as written in a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum X12VersionV1 {
    /// `004010`.
    #[serde(rename = "004010")]
    V004010,
    /// `005010`.
    #[serde(rename = "005010")]
    V005010,
}

impl X12VersionV1 {
    fn dict(self) -> Version {
        match self {
            X12VersionV1::V004010 => Version::V004010,
            X12VersionV1::V005010 => Version::V005010,
        }
    }
}

/// `[x12.delimiters]`: one character each.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DelimitersV1 {
    /// Element separator (default `*`).
    pub element: String,
    /// Component separator, ISA16 (default `>`).
    pub component: String,
    /// Repetition separator, ISA11 in 005010 (default `^`; unused in 004010).
    pub repetition: String,
    /// Segment terminator (default `~`).
    pub segment: String,
    /// `none`, `lf` (default) or `crlf` after each segment; after a CR or LF terminator
    /// `none`, or `lf` after a CR (a CRLF file).
    pub line_ending: LineEnding,
}

impl Default for DelimitersV1 {
    fn default() -> Self {
        DelimitersV1 {
            element: "*".to_owned(),
            component: ">".to_owned(),
            repetition: "^".to_owned(),
            segment: "~".to_owned(),
            line_ending: LineEnding::default(),
        }
    }
}

/// `[x12.control_numbers]`: `[start, end]` per level, inclusive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlNumbersV1 {
    /// ISA13 range (default `[1, 999999999]`).
    pub interchange: Vec<u64>,
    /// GS06 range (default `[1, 999999999]`).
    pub group: Vec<u64>,
    /// ST02 range (default `[1, 999999999]`).
    pub set: Vec<u64>,
}

impl Default for ControlNumbersV1 {
    fn default() -> Self {
        ControlNumbersV1 {
            interchange: vec![1, MAX_CONTROL],
            group: vec![1, MAX_CONTROL],
            set: vec![1, MAX_CONTROL],
        }
    }
}

const MAX_CONTROL: u64 = 999_999_999;

/// `[as2]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct As2V1 {
    /// AS2-From the partner sends, AS2-To we use.
    pub id: String,
    /// The partner's AS2 URL (`https://...`).
    pub url: String,
    /// `sync` (default) or `async`.
    #[serde(default)]
    pub mdn: Mdn,
    /// `aes256-cbc` (default), `aes128-cbc`, `aes192-cbc`, `aes128-gcm`, `aes256-gcm`, `3des`.
    #[serde(default)]
    pub encrypt: Encryption,
    /// `sha256` (default), `sha1`, `sha384`, `sha512`.
    #[serde(default)]
    pub sign: Signing,
    /// PEM certificates of the partner, relative to the profile file.
    pub certificates: Vec<PathBuf>,
}

/// `[sftp]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpV1 {
    /// The partner's SFTP user.
    pub user: String,
}

/// `[dialect]`. Defaults are the standard dialect of x12-chargeback.md.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DialectV1 {
    /// `CON02` (default), `REF:CT`, `REF:BC`, `REF:PD`, `PTD05` or `BPA04`.
    pub contract_ref: ContractRef,
    /// Further contract locations read on input (default `["PTD05", "REF:CT"]`).
    pub contract_ref_alternates: Vec<ContractRef>,
    /// REF01 codes of secondary agreement references (default `["AH", "PD"]`).
    pub agreement_refs: Vec<String>,
    /// `BAA05` (default) or `REF:DB`.
    pub claim_ref: ClaimRef,
    /// BAA02 (default `DR`).
    pub baa02: String,
    /// UIT03 codes of the reference price (default `["WH"]`).
    pub reference_price_basis: Vec<String>,
    /// UIT03 codes of the contract price (default `["CT"]`).
    pub contract_price_basis: Vec<String>,
    /// UIT03 codes of submitted prices in an 849 (default `["SC", "SW"]`).
    pub submitted_price_basis: Vec<String>,
    /// CTP02 codes of the contract price (default `["CON"]`).
    pub ctp_contract: Vec<String>,
    /// CTP02 codes of the reference price (default `["WHL"]`).
    pub ctp_reference: Vec<String>,
    /// N101 codes of the end customer (default `["ST"]`).
    pub end_customer_entity: Vec<String>,
    /// N101 codes of eligible parties in an 845 (default `["EB", "BG"]`).
    pub eligible_entity: Vec<String>,
    /// N101 codes of the distributor (default `["DS"]`).
    pub distributor_entity: Vec<String>,
    /// N101 codes of the supplier (default `["MF", "SU"]`).
    pub supplier_entity: Vec<String>,
    /// N103 qualifiers, preferred first (default `["11", "21", "UL", "PI"]`).
    pub customer_id_priority: Vec<String>,
    /// Product id qualifiers, preferred first (default `["N4", "UP", "VP"]`).
    pub product_id_priority: Vec<String>,
    /// N103 qualifier -> kind (`dea`, `hin`, `gln`, `duns`, `npi`, `b340`, ...).
    pub party_kinds: BTreeMap<String, PartyKind>,
    /// REF01 of the invoice (default `IV`).
    pub invoice_ref: String,
    /// REF01 of a return's original invoice (default `OI`).
    pub original_invoice_ref: String,
    /// REF01 under which the partner states a customer's class of trade, its value spelled
    /// as the contracts' CTP01 (`HS` hospital, `PH` pharmacy, ...): in an 844 on the PAD
    /// loop, else on the end customer's CON-level N1 loop; in an 867 in the QTY loop, else on
    /// the PTD-level N1 loop; in an 845 on an eligible party's N1 loop. Default none: no
    /// document states a class, and an item an 845 prices per class of trade prices a line
    /// only when its classes agree on the price (else `CLASS_OF_TRADE_UNKNOWN`). X12 has no
    /// standard REF01 for it: take the partner's (often `ZZ`).
    pub class_of_trade_ref: Option<String>,
    /// DTM01 of the invoice date (default `003`).
    pub invoice_date: String,
    /// DTM01 of the ship date (default `011`).
    pub ship_date: String,
    /// `"003"`/`"invoice"` or `"011"`/`"ship"`; defaults to `rules.pricing_date_basis`.
    pub eligibility_date: Option<DateBasis>,
    /// QTY01 codes of the claimed quantity (default `["39"]`).
    pub quantity_qualifier: Vec<String>,
    /// QTY01 codes that mark a line as a return (default `["76"]`, returns). Its quantity and
    /// amount read negative however they are sent: `QTY*76*1` and `QTY*76*-1` both return
    /// one, with `AMT*CC*54.50` or `-54.50` both a credit of 54.50. Only a code also in
    /// `quantity_qualifier` is read.
    pub return_quantity_qualifiers: Vec<String>,
    /// PAD02/PTD01 transfer types that mark a line as a return (e.g. `["RV", "BN"]`; default
    /// none: returns come as negative quantities or under `return_quantity_qualifiers`). As
    /// with those, the line's quantity and amount read negative however they are sent.
    pub return_transfer_types: Vec<String>,
    /// Line AMT01 of the claimed amount (default `CC`).
    pub claimed_amount: String,
    /// Line AMT01 of the approved amount in an 849 (default `1`).
    pub approved_amount: String,
    /// A claim line without `AMT*<claimed_amount>` claims (WAC − contract price) × quantity,
    /// rounded by `[money]`, instead of being refused (default false): x12-chargeback 10,
    /// "AMT*CC sent or computed".
    pub compute_claimed_amount: bool,
    /// Summary AMT01 of the claimed total (default `CC`).
    pub total_claimed: String,
    /// Summary AMT01 of the approved total (default `TT`).
    pub total_approved: String,
    /// `amounts` (default) or `aaa01`.
    pub status_rule: StatusRule,
    /// `lines` (default) or `contract_loops`.
    pub ctt01: Ctt01Rule,
    /// Partner UOM -> our UOM.
    pub uom_map: BTreeMap<String, String>,
    /// Accept LIN before QTY in 867 lines (default false).
    pub lenient_867_line_order: bool,
    /// Segment ids the partner never sends.
    pub omits: Vec<String>,
    /// Normalize NDCs to 11-digit N4 (default true).
    pub ndc_normalize: bool,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for DialectV1 {
    fn default() -> Self {
        DialectV1 {
            contract_ref: ContractRef::Con02,
            contract_ref_alternates: vec![ContractRef::Ptd05, ContractRef::RefCt],
            agreement_refs: strings(&["AH", "PD"]),
            claim_ref: ClaimRef::Baa05,
            baa02: "DR".to_owned(),
            reference_price_basis: strings(&["WH"]),
            contract_price_basis: strings(&["CT"]),
            submitted_price_basis: strings(&["SC", "SW"]),
            ctp_contract: strings(&["CON"]),
            ctp_reference: strings(&["WHL"]),
            end_customer_entity: strings(&["ST"]),
            eligible_entity: strings(&["EB", "BG"]),
            distributor_entity: strings(&["DS"]),
            supplier_entity: strings(&["MF", "SU"]),
            customer_id_priority: strings(&["11", "21", "UL", "PI"]),
            product_id_priority: strings(&["N4", "UP", "VP"]),
            party_kinds: BTreeMap::new(),
            invoice_ref: "IV".to_owned(),
            original_invoice_ref: "OI".to_owned(),
            class_of_trade_ref: None,
            invoice_date: "003".to_owned(),
            ship_date: "011".to_owned(),
            eligibility_date: None,
            quantity_qualifier: strings(&["39"]),
            return_quantity_qualifiers: strings(&["76"]),
            return_transfer_types: Vec::new(),
            claimed_amount: "CC".to_owned(),
            approved_amount: "1".to_owned(),
            compute_claimed_amount: false,
            total_claimed: "CC".to_owned(),
            total_approved: "TT".to_owned(),
            status_rule: StatusRule::Amounts,
            ctt01: Ctt01Rule::Lines,
            uom_map: BTreeMap::new(),
            lenient_867_line_order: false,
            omits: Vec::new(),
            ndc_normalize: true,
        }
    }
}

/// `[money]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MoneyV1 {
    /// `half_away_from_zero` (default) or `half_even`.
    pub rounding: RoundingStrategy,
    /// `extend_then_round` (default) or `round_unit_then_extend`.
    pub rounding_order: RoundingOrder,
    /// Decimal places of amounts (default 2).
    pub scale: u32,
    /// Absolute line tolerance (default `"0.01"`).
    pub abs_tol: String,
    /// Relative line tolerance as a fraction (default `"0"`).
    pub pct_tol: String,
    /// Per-claim cap on tolerated variances (default `"1.00"`).
    pub header_tol: String,
}

impl Default for MoneyV1 {
    fn default() -> Self {
        MoneyV1 {
            rounding: RoundingStrategy::default(),
            rounding_order: RoundingOrder::default(),
            scale: 2,
            abs_tol: "0.01".to_owned(),
            pct_tol: "0".to_owned(),
            header_tol: "1.00".to_owned(),
        }
    }
}

/// `[rules]`: chargeback-rules.md 2.1 and 13 with their defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesV1 {
    /// `review_and_claim` (default) or `immediate_claim`.
    pub batch_mode: BatchMode,
    /// `invoice` (default) or `ship`.
    pub pricing_date_basis: Option<DateBasis>,
    /// `wac` (default), `book`, `distributor` or `contract_stated`.
    pub reference_price_basis: ReferencePriceBasis,
    /// `lower` (default), `claimed` or `calculated`.
    pub pay_basis: PayBasis,
    /// Claim window in days (default none).
    pub claim_window_days: Option<u32>,
    /// Default true.
    pub allow_negative_lines: bool,
    /// Default: on when we claim (partner is a supplier), off when we adjudicate.
    pub derive_contract: Option<bool>,
    /// Default false.
    pub auto_partial_approve: bool,
    /// Default false.
    pub retro_clawback: bool,
    /// Default `"0.00"`.
    pub auto_approve_limit: String,
    /// Default `"0.00"`.
    pub writeoff_threshold: String,
    /// Default 3.
    pub resubmission_limit: u32,
    /// Default 45.
    pub no_response_days: u32,
    /// `daily` (default), `immediate`, `weekly` or `monthly`.
    pub claim_trigger: ClaimTrigger,
    /// Default false.
    pub interim_849: bool,
    /// Default 90.
    pub dispute_due_days: u32,
    /// `pay_calculated` (default), `reject` or `hold`.
    pub unattended_amount_disputes: UnattendedAmountDisputes,
    /// Default false.
    pub allow_unmatched_returns: bool,
    /// `[[rules.uom_conversions]]`, one table per conversion (default none: a sale in another
    /// unit than its contract row's is `UOM_UNKNOWN`).
    pub uom_conversions: Vec<UomConversionV1>,
}

/// One `[[rules.uom_conversions]]` table: an exact conversion from a sale unit to a contract
/// unit, for sale quantities and for reference price list rows in another unit than the
/// contract row's (chargeback-rules.md 3 V0, 4.1).
///
/// ```toml
/// [[rules.uom_conversions]]
/// from = "EA"                # sale unit
/// to = "CA"                  # contract unit
/// factor = "1/12"            # contract units per sale unit: 12 EA a CA
/// item = "12345-0100-01"     # optional: this item only (any id the contracts list it by)
/// item_qualifier = "N4"      # optional: when the item's shape does not say it
/// ```
///
/// An entry for the item wins over one without; no two entries may have the same item, `from`
/// and `to`. The reverse direction (`CA` sold against an `EA` contract row, `12`) is an entry
/// of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UomConversionV1 {
    /// Sale unit, an X12 unit code (`EA`); required.
    pub from: String,
    /// Contract unit, an X12 unit code (`CA`); required.
    pub to: String,
    /// Contract units per sale unit, exact: `"N/D"` (`"1/12"`) or a whole number (`"12"`);
    /// both above zero; required.
    pub factor: String,
    /// The item, as the contracts name it: an NDC-11 with or without hyphens, a GTIN or a
    /// part number (read as a reference price list's `item`). Every item when absent.
    #[serde(default)]
    pub item: Option<String>,
    /// X12 product id qualifier the item is read under (`N4`, `UP`, `VP`, ...), as a price
    /// list's `item_qualifier`: needed for a ten-digit NDC (`N1`/`N2`/`N3`) or an id whose
    /// shape says another kind. Only with `item`.
    #[serde(default)]
    pub item_qualifier: Option<String>,
}

impl Default for RulesV1 {
    fn default() -> Self {
        RulesV1 {
            batch_mode: BatchMode::default(),
            pricing_date_basis: None,
            reference_price_basis: ReferencePriceBasis::default(),
            pay_basis: PayBasis::default(),
            claim_window_days: None,
            allow_negative_lines: true,
            derive_contract: None,
            auto_partial_approve: false,
            retro_clawback: false,
            auto_approve_limit: "0.00".to_owned(),
            writeoff_threshold: "0.00".to_owned(),
            resubmission_limit: 3,
            no_response_days: 45,
            claim_trigger: ClaimTrigger::default(),
            interim_849: false,
            dispute_due_days: 90,
            unattended_amount_disputes: UnattendedAmountDisputes::default(),
            allow_unmatched_returns: false,
            uom_conversions: Vec::new(),
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_substitute_with() -> String {
    " ".to_owned()
}

type Result<T> = std::result::Result<T, BuildError>;

impl ProfileV1 {
    /// A raw profile with the standard dialect and all defaults, for a partner known only by
    /// its ISA id.
    pub fn standard(id: &str, isa_id: &str, role: Role) -> ProfileV1 {
        ProfileV1 {
            version: 1,
            id: id.to_owned(),
            name: id.to_owned(),
            role,
            x12: X12V1 {
                isa_qualifier: "ZZ".to_owned(),
                isa_id: isa_id.to_owned(),
                gs_id: None,
                inbound_gs_ids: Vec::new(),
                version: X12VersionV1::V004010,
                acknowledgment: AckKind::default(),
                isa_strict: true,
                delimiters: DelimitersV1::default(),
                ta1: Ta1Policy::default(),
                ack_all_sets: false,
                allowed_sets: Vec::new(),
                delimiter_in_value: DelimiterInValue::default(),
                substitute_with: default_substitute_with(),
                control_numbers: ControlNumbersV1::default(),
            },
            as2: None,
            sftp: None,
            dialect: DialectV1::default(),
            money: MoneyV1::default(),
            rules: RulesV1::default(),
            reject_codes: BTreeMap::new(),
            follow_up_codes: BTreeMap::new(),
        }
    }

    /// Checks every value and builds the [`Profile`].
    pub fn validate_and_build(self) -> Result<Profile> {
        self.build(true)
    }

    /// Builds without checking the identity strings (id, name, ISA and GS ids), for
    /// [`Profile::default_for_unknown`], whose id comes from whatever a file's ISA said.
    pub(crate) fn build_unchecked_identity(self) -> Profile {
        match self.build(false) {
            Ok(p) => p,
            // The sections are all defaults here, and a test pins that defaults build.
            Err(e) => unreachable!("standard profile sections are valid: {e:?}"),
        }
    }

    fn build(self, check_identity: bool) -> Result<Profile> {
        if self.version != 1 {
            return Err(BuildError::bad(
                &["version"],
                self.version,
                "this is the version 1 builder",
            ));
        }
        if check_identity {
            check_id(&self.id)?;
            if self.name.trim().is_empty() {
                return Err(BuildError::bad(&["name"], &self.name, "must not be empty"));
            }
        }
        let x12 = build_x12(self.x12, check_identity)?;
        let as2 = self.as2.map(build_as2).transpose()?;
        let sftp = self.sftp.map(build_sftp).transpose()?;
        let money = build_money(self.money)?;
        let (rules, pricing_explicit) = build_rules(self.rules, self.role)?;
        let dialect = build_dialect(self.dialect, rules.pricing_date_basis, pricing_explicit)?;
        let rules = Rules {
            pricing_date_basis: dialect.eligibility_date,
            ..rules
        };
        let mut reject_codes = RejectCodes::defaults(rules.reference_price_basis);
        for (reason, code) in self.reject_codes {
            check_code(
                &["reject_codes", reason.code()],
                &code,
                "901",
                "an AAA03 reject reason code",
            )?;
            reject_codes.set(reason, code);
        }
        for (reason, code) in self.follow_up_codes {
            check_code(
                &["follow_up_codes", reason.code()],
                &code,
                "889",
                "an AAA04 follow-up action code",
            )?;
            reject_codes.set_follow_up(reason, code);
        }
        Ok(Profile {
            id: self.id,
            name: self.name.trim().to_owned(),
            role: self.role,
            x12,
            as2,
            sftp,
            dialect,
            money,
            rules,
            reject_codes,
        })
    }
}

fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(BuildError::bad(
            &["id"],
            id,
            "expected 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit",
        ))
    }
}

fn printable(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

fn check_app_id(path: &[&str], v: &str, min: usize, max: usize) -> Result<()> {
    if v.len() < min || v.len() > max || !printable(v) || v.trim() != v {
        return Err(BuildError::bad(
            path,
            v,
            format!(
                "expected {min} to {max} printable ASCII characters without surrounding spaces"
            ),
        ));
    }
    Ok(())
}

fn one_char(path: &[&str], v: &str) -> Result<u8> {
    match v.as_bytes() {
        [b] if b.is_ascii() && !b.is_ascii_alphanumeric() && *b != b' ' => Ok(*b),
        _ => Err(BuildError::bad(
            path,
            v,
            "expected one ASCII character that is not a letter, digit or space",
        )),
    }
}

fn build_x12(raw: X12V1, check_identity: bool) -> Result<X12> {
    let version = raw.version.dict();
    let d = &raw.delimiters;
    let delimiters = Delimiters {
        element: one_char(&["x12", "delimiters", "element"], &d.element)?,
        component: one_char(&["x12", "delimiters", "component"], &d.component)?,
        repetition: match version {
            Version::V004010 => None,
            Version::V005010 => Some(one_char(
                &["x12", "delimiters", "repetition"],
                &d.repetition,
            )?),
        },
        segment: one_char(&["x12", "delimiters", "segment"], &d.segment)?,
    };
    if let Err(e) = delimiters.check() {
        let key = match e {
            x12::tokenizer::delimiters::DelimiterError::InvalidComponentSeparator(_) => "component",
            x12::tokenizer::delimiters::DelimiterError::InvalidRepetitionSeparator(_) => {
                "repetition"
            }
            x12::tokenizer::delimiters::DelimiterError::InvalidSegmentTerminator(_) => "segment",
            _ => "element",
        };
        let value = match key {
            "component" => &d.component,
            "repetition" => &d.repetition,
            "segment" => &d.segment,
            _ => &d.element,
        };
        return Err(BuildError::bad(
            &["x12", "delimiters", key],
            value,
            format!("{e}: delimiters must be distinct"),
        ));
    }
    // A line ending that repeats the terminator writes an empty segment; LF after a CR
    // terminator does not: that is a CRLF file, as partners with CR terminators send.
    let empty_segment = match delimiters.segment {
        b'\n' => d.line_ending != LineEnding::None,
        b'\r' => d.line_ending == LineEnding::Crlf,
        _ => false,
    };
    if empty_segment {
        return Err(BuildError::bad(
            &["x12", "delimiters", "line_ending"],
            d.line_ending.name(),
            "must be \"none\" (or \"lf\" after a CR) when the segment terminator is itself a line break",
        ));
    }
    let gs_id = raw.gs_id.clone().unwrap_or_else(|| raw.isa_id.clone());
    if check_identity {
        let q = &raw.isa_qualifier;
        if q.len() != 2
            || !q
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(BuildError::bad(
                &["x12", "isa_qualifier"],
                q,
                "expected a 2-character ISA05 qualifier such as \"ZZ\", \"01\" or \"08\"",
            ));
        }
        check_app_id(&["x12", "isa_id"], &raw.isa_id, 1, 15)?;
        check_app_id(&["x12", "gs_id"], &gs_id, 2, 15)?;
        for g in &raw.inbound_gs_ids {
            check_app_id(&["x12", "inbound_gs_ids"], g, 2, 15)?;
        }
        for (key, v) in [("isa_id", &raw.isa_id), ("gs_id", &gs_id)] {
            if v.bytes().any(|b| delimiters.is_delimiter(b)) {
                return Err(BuildError::bad(
                    &["x12", key],
                    v,
                    "contains one of the outbound delimiters",
                ));
            }
        }
    }
    let delimiter_in_value = match raw.delimiter_in_value {
        DelimiterInValue::Reject => DelimiterPolicy::Reject,
        DelimiterInValue::Substitute => {
            let b = match raw.substitute_with.as_bytes() {
                [b] if (0x20..0x7f).contains(b) && !delimiters.is_delimiter(*b) => *b,
                _ => {
                    return Err(BuildError::bad(
                        &["x12", "substitute_with"],
                        &raw.substitute_with,
                        "expected one printable ASCII character that is not a delimiter",
                    ));
                }
            };
            DelimiterPolicy::Substitute(b)
        }
    };
    let mut allowed: BTreeSet<SetKind> = raw.allowed_sets.into_iter().collect();
    if allowed.is_empty() {
        allowed.extend(SetKind::ALL);
    }
    let cn = raw.control_numbers;
    let control_numbers = ControlNumbers {
        interchange: control_range("interchange", &cn.interchange)?,
        group: control_range("group", &cn.group)?,
        set: control_range("set", &cn.set)?,
    };
    Ok(X12 {
        isa_qualifier: raw.isa_qualifier,
        isa_id: raw.isa_id.trim().to_owned(),
        gs_id,
        inbound_gs_ids: raw.inbound_gs_ids,
        version,
        acknowledgment: raw.acknowledgment,
        isa_strict: raw.isa_strict,
        delimiters,
        line_ending: d.line_ending,
        ta1: raw.ta1,
        ack_all_sets: raw.ack_all_sets,
        allowed_sets: allowed.into_iter().collect(),
        delimiter_in_value,
        control_numbers,
    })
}

fn control_range(key: &str, v: &[u64]) -> Result<ControlRange> {
    let path = ["x12", "control_numbers", key];
    let shown = format!("{v:?}");
    match v {
        [start, end] if *start >= 1 && start <= end && *end <= MAX_CONTROL => Ok(ControlRange {
            start: *start,
            end: *end,
        }),
        [_, _] => Err(BuildError::bad(
            &path,
            shown,
            "expected 1 <= start <= end <= 999999999",
        )),
        _ => Err(BuildError::bad(
            &path,
            shown,
            "expected two numbers: [start, end]",
        )),
    }
}

fn build_as2(raw: As2V1) -> Result<As2> {
    if raw.id.is_empty()
        || raw.id.len() > 128
        || !printable(&raw.id)
        || raw.id.contains(['"', '\\'])
    {
        return Err(BuildError::bad(
            &["as2", "id"],
            &raw.id,
            "expected 1 to 128 printable ASCII characters without quotes or backslashes",
        ));
    }
    if !(raw.url.starts_with("https://") || raw.url.starts_with("http://")) || raw.url.contains(' ')
    {
        return Err(BuildError::bad(
            &["as2", "url"],
            &raw.url,
            "expected an http:// or https:// URL",
        ));
    }
    if raw.certificates.is_empty() {
        return Err(BuildError::bad(
            &["as2", "certificates"],
            "[]",
            "list at least one certificate file",
        ));
    }
    Ok(As2 {
        id: raw.id,
        url: raw.url,
        mdn: raw.mdn,
        encrypt: raw.encrypt,
        sign: raw.sign,
        certificates: raw.certificates,
    })
}

fn build_sftp(raw: SftpV1) -> Result<Sftp> {
    let u = &raw.user;
    let ok = !u.is_empty()
        && u.len() <= 32
        && u.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        return Err(BuildError::bad(
            &["sftp", "user"],
            u,
            "expected a system user name: up to 32 lowercase letters, digits, '_' or '-'",
        ));
    }
    Ok(Sftp { user: raw.user })
}

fn decimal(path: &[&str], v: &str) -> Result<Decimal> {
    let d = Decimal::from_str(v.trim()).map_err(|_| {
        BuildError::bad(
            path,
            v,
            "expected a decimal number written as a string, like \"0.01\"",
        )
    })?;
    if d.is_sign_negative() {
        return Err(BuildError::bad(path, v, "must not be negative"));
    }
    Ok(d)
}

fn build_money(raw: MoneyV1) -> Result<Money> {
    if raw.scale > 6 {
        return Err(BuildError::bad(
            &["money", "scale"],
            raw.scale,
            "expected 0 to 6",
        ));
    }
    let pct_tol = decimal(&["money", "pct_tol"], &raw.pct_tol)?;
    if pct_tol > Decimal::ONE {
        return Err(BuildError::bad(
            &["money", "pct_tol"],
            &raw.pct_tol,
            "is a fraction of the calculated amount: expected 0 to 1 (\"0.005\" = 0.5 %)",
        ));
    }
    Ok(Money {
        rounding: raw.rounding,
        rounding_order: raw.rounding_order,
        scale: raw.scale,
        abs_tol: decimal(&["money", "abs_tol"], &raw.abs_tol)?,
        pct_tol,
        header_tol: decimal(&["money", "header_tol"], &raw.header_tol)?,
    })
}

/// The rules, and whether `pricing_date_basis` was written (so a conflicting
/// `dialect.eligibility_date` can be reported).
fn build_rules(raw: RulesV1, role: Role) -> Result<(Rules, bool)> {
    for (key, v) in [
        ("claim_window_days", raw.claim_window_days.unwrap_or(1)),
        ("no_response_days", raw.no_response_days),
        ("dispute_due_days", raw.dispute_due_days),
    ] {
        if v == 0 {
            return Err(BuildError::bad(
                &["rules", key],
                v,
                "expected at least 1 day",
            ));
        }
    }
    let uom_conversions = build_uom_conversions(raw.uom_conversions)?;
    Ok((
        Rules {
            batch_mode: raw.batch_mode,
            pricing_date_basis: raw.pricing_date_basis.unwrap_or_default(),
            reference_price_basis: raw.reference_price_basis,
            pay_basis: raw.pay_basis,
            claim_window_days: raw.claim_window_days,
            allow_negative_lines: raw.allow_negative_lines,
            derive_contract: raw.derive_contract.unwrap_or(role.we_claim()),
            auto_partial_approve: raw.auto_partial_approve,
            retro_clawback: raw.retro_clawback,
            auto_approve_limit: decimal(&["rules", "auto_approve_limit"], &raw.auto_approve_limit)?,
            writeoff_threshold: decimal(&["rules", "writeoff_threshold"], &raw.writeoff_threshold)?,
            resubmission_limit: raw.resubmission_limit,
            no_response_days: raw.no_response_days,
            claim_trigger: raw.claim_trigger,
            interim_849: raw.interim_849,
            dispute_due_days: raw.dispute_due_days,
            unattended_amount_disputes: raw.unattended_amount_disputes,
            allow_unmatched_returns: raw.allow_unmatched_returns,
            uom_conversions,
        },
        raw.pricing_date_basis.is_some(),
    ))
}

/// An exact factor ([`UomConversion::parse_factor`]), refused at its key.
fn uom_factor(path: &[&str], text: &str) -> Result<(u32, u32)> {
    UomConversion::parse_factor(text).map_err(|e| BuildError::bad(path, text, e.to_string()))
}

/// `[[rules.uom_conversions]]`: each entry checked where it is written (the key path names
/// the entry, `#<index>`, so the error is located at its line).
fn build_uom_conversions(raw: Vec<UomConversionV1>) -> Result<Vec<UomConversion>> {
    let mut out: Vec<UomConversion> = Vec::with_capacity(raw.len());
    for (i, entry) in raw.into_iter().enumerate() {
        let index = format!("#{i}");
        let at = |key: &'static str| ["rules", "uom_conversions", index.as_str(), key];
        const UNIT: &str = "an X12 unit of measure code";
        let from = entry.from.trim().to_owned();
        let to = entry.to.trim().to_owned();
        check_code(&at("from"), &from, "355", UNIT)?;
        check_code(&at("to"), &to, "355", UNIT)?;
        if from.eq_ignore_ascii_case(&to) {
            return Err(BuildError::bad(
                &at("to"),
                &entry.to,
                "same unit as from: a unit needs no conversion to itself",
            ));
        }
        let (num, den) = uom_factor(&at("factor"), &entry.factor)?;
        let item = match entry.item.as_deref().map(str::trim) {
            Some("") => {
                return Err(BuildError::bad(
                    &at("item"),
                    "",
                    "must not be empty: leave item out for a conversion of every item",
                ));
            }
            Some(item) if !printable(item) => {
                return Err(BuildError::bad(
                    &at("item"),
                    item,
                    "expected an item id of printable characters",
                ));
            }
            other => other.map(str::to_owned),
        };
        let item_qualifier = match entry.item_qualifier.as_deref().map(str::trim) {
            None => None,
            Some(q) if item.is_none() => {
                return Err(BuildError::bad(
                    &at("item_qualifier"),
                    q,
                    "qualifies an item: set item too, or leave both out for every item",
                ));
            }
            Some(q) => {
                check_code(&at("item_qualifier"), q, "235", "a product id qualifier")?;
                Some(q.to_owned())
            }
        };
        let conversion = UomConversion {
            item,
            item_qualifier,
            from,
            to,
            num,
            den,
        };
        let same = |c: &UomConversion| {
            c.item == conversion.item
                && c.item_qualifier == conversion.item_qualifier
                && c.from.eq_ignore_ascii_case(&conversion.from)
                && c.to.eq_ignore_ascii_case(&conversion.to)
        };
        if let Some(earlier) = out.iter().position(same) {
            return Err(BuildError::bad(
                &at(if conversion.item.is_some() {
                    "item"
                } else {
                    "from"
                }),
                entry.item.as_deref().unwrap_or(&entry.from),
                format!(
                    "repeats entry {} of [[rules.uom_conversions]]: the same item, from and to",
                    earlier + 1
                ),
            ));
        }
        // Both ways written: the engine derives each from the other, so they must agree.
        if let Some(earlier) = out.iter().position(|c| c.is_inverse_of(&conversion))
            && u64::from(out[earlier].num) * u64::from(conversion.num)
                != u64::from(out[earlier].den) * u64::from(conversion.den)
        {
            let e = &out[earlier];
            return Err(BuildError::bad(
                &at("factor"),
                &entry.factor,
                format!(
                    "contradicts entry {} of [[rules.uom_conversions]] ({} -> {} {}/{}): the way \
                     back must be {}/{}, or leave this entry out and it is derived",
                    earlier + 1,
                    e.from,
                    e.to,
                    e.num,
                    e.den,
                    e.den,
                    e.num
                ),
            ));
        }
        out.push(conversion);
    }
    Ok(out)
}

/// Whether the dictionary knows `value` for data element `element` in any version; `None` when
/// it keeps no code list for the element.
pub(crate) fn known_code(element: &str, value: &str) -> Option<bool> {
    let mut listed = false;
    for v in Version::ALL {
        if let Some(codes) = x12::dict::element_codes(v, element) {
            listed = true;
            if x12::dict::codes_contain(codes, value) {
                return Some(true);
            }
        }
    }
    listed.then_some(false)
}

fn check_code(path: &[&str], value: &str, element: &str, what: &str) -> Result<()> {
    if value.is_empty() || value.len() > 3 || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(BuildError::bad(path, value, format!("expected {what}")));
    }
    match known_code(element, value) {
        Some(false) => Err(BuildError::bad(
            path,
            value,
            format!("not {what} (X12 element {element})"),
        )),
        _ => Ok(()),
    }
}

fn check_codes(
    path: &[&str],
    values: &[String],
    element: &str,
    what: &str,
    required: bool,
) -> Result<()> {
    if required && values.is_empty() {
        return Err(BuildError::bad(
            path,
            "[]",
            format!("list at least one {what}"),
        ));
    }
    let mut seen = BTreeSet::new();
    for v in values {
        check_code(path, v, element, what)?;
        if !seen.insert(v) {
            return Err(BuildError::bad(path, v, "listed twice"));
        }
    }
    Ok(())
}

fn disjoint(path: &[&str], a: &[String], b: &[String], other: &str) -> Result<()> {
    match a.iter().find(|x| b.contains(x)) {
        Some(x) => Err(BuildError::bad(path, x, format!("also listed in {other}"))),
        None => Ok(()),
    }
}

fn build_dialect(raw: DialectV1, pricing: DateBasis, pricing_explicit: bool) -> Result<Dialect> {
    let p = |k: &'static str| ["dialect", k];
    let eligibility_date = match raw.eligibility_date {
        Some(e) if pricing_explicit && e != pricing => {
            return Err(BuildError::bad(
                &p("eligibility_date"),
                e.as_str(),
                format!(
                    "conflicts with rules.pricing_date_basis = \"{}\"; they name the same date, set one",
                    pricing.as_str()
                ),
            ));
        }
        Some(e) => e,
        None => pricing,
    };
    for r in &raw.contract_ref_alternates {
        if *r == raw.contract_ref {
            return Err(BuildError::bad(
                &p("contract_ref_alternates"),
                r.as_str(),
                "repeats contract_ref",
            ));
        }
    }
    check_codes(
        &p("agreement_refs"),
        &raw.agreement_refs,
        "128",
        "a REF01 qualifier",
        false,
    )?;
    check_code(
        &p("baa02"),
        &raw.baa02,
        "640",
        "a BAA02 transaction type code",
    )?;
    const UIT: &str = "a UIT03 price basis code";
    check_codes(
        &p("reference_price_basis"),
        &raw.reference_price_basis,
        "639",
        UIT,
        true,
    )?;
    check_codes(
        &p("contract_price_basis"),
        &raw.contract_price_basis,
        "639",
        UIT,
        true,
    )?;
    check_codes(
        &p("submitted_price_basis"),
        &raw.submitted_price_basis,
        "639",
        UIT,
        false,
    )?;
    disjoint(
        &p("contract_price_basis"),
        &raw.contract_price_basis,
        &raw.reference_price_basis,
        "reference_price_basis",
    )?;
    disjoint(
        &p("submitted_price_basis"),
        &raw.submitted_price_basis,
        &raw.contract_price_basis,
        "contract_price_basis",
    )?;
    const CTP: &str = "a CTP02 price identifier code";
    check_codes(&p("ctp_contract"), &raw.ctp_contract, "236", CTP, true)?;
    check_codes(&p("ctp_reference"), &raw.ctp_reference, "236", CTP, false)?;
    disjoint(
        &p("ctp_reference"),
        &raw.ctp_reference,
        &raw.ctp_contract,
        "ctp_contract",
    )?;
    const N101: &str = "an N101 entity identifier code";
    check_codes(
        &p("end_customer_entity"),
        &raw.end_customer_entity,
        "98",
        N101,
        true,
    )?;
    check_codes(
        &p("eligible_entity"),
        &raw.eligible_entity,
        "98",
        N101,
        false,
    )?;
    check_codes(
        &p("distributor_entity"),
        &raw.distributor_entity,
        "98",
        N101,
        true,
    )?;
    check_codes(
        &p("supplier_entity"),
        &raw.supplier_entity,
        "98",
        N101,
        true,
    )?;
    const N103: &str = "an N103 identification code qualifier";
    check_codes(
        &p("customer_id_priority"),
        &raw.customer_id_priority,
        "66",
        N103,
        true,
    )?;
    for q in raw.party_kinds.keys() {
        check_code(&["dialect", "party_kinds", q], q, "66", N103)?;
    }
    check_codes(
        &p("product_id_priority"),
        &raw.product_id_priority,
        "235",
        "a product id qualifier (element 235)",
        true,
    )?;
    const REF: &str = "a REF01 reference qualifier";
    check_code(&p("invoice_ref"), &raw.invoice_ref, "128", REF)?;
    check_code(
        &p("original_invoice_ref"),
        &raw.original_invoice_ref,
        "128",
        REF,
    )?;
    if let Some(class) = &raw.class_of_trade_ref {
        check_code(&p("class_of_trade_ref"), class, "128", REF)?;
        for (key, other) in [
            ("invoice_ref", &raw.invoice_ref),
            ("original_invoice_ref", &raw.original_invoice_ref),
        ] {
            if class == other {
                return Err(BuildError::bad(
                    &p("class_of_trade_ref"),
                    class,
                    format!("same as {key}"),
                ));
            }
        }
        if matches!(class.as_str(), "DH" | "HI" | "TD") {
            return Err(BuildError::bad(
                &p("class_of_trade_ref"),
                class,
                "REF*DH/HI carry a customer's ids and REF*TD a membership change",
            ));
        }
    }
    if raw.original_invoice_ref == raw.invoice_ref {
        return Err(BuildError::bad(
            &p("original_invoice_ref"),
            &raw.original_invoice_ref,
            "same as invoice_ref: a return could not name its sale's invoice",
        ));
    }
    const DTM: &str = "a DTM01 date qualifier";
    check_code(&p("invoice_date"), &raw.invoice_date, "374", DTM)?;
    check_code(&p("ship_date"), &raw.ship_date, "374", DTM)?;
    if raw.invoice_date == raw.ship_date {
        return Err(BuildError::bad(
            &p("ship_date"),
            &raw.ship_date,
            "same as invoice_date",
        ));
    }
    check_codes(
        &p("quantity_qualifier"),
        &raw.quantity_qualifier,
        "673",
        "a QTY01 quantity qualifier",
        true,
    )?;
    check_codes(
        &p("return_quantity_qualifiers"),
        &raw.return_quantity_qualifiers,
        "673",
        "a QTY01 quantity qualifier",
        false,
    )?;
    check_codes(
        &p("return_transfer_types"),
        &raw.return_transfer_types,
        "521",
        "a PAD02/PTD01 product transfer type",
        false,
    )?;
    const AMT: &str = "an AMT01 amount qualifier";
    check_code(&p("claimed_amount"), &raw.claimed_amount, "522", AMT)?;
    check_code(&p("approved_amount"), &raw.approved_amount, "522", AMT)?;
    check_code(&p("total_claimed"), &raw.total_claimed, "522", AMT)?;
    check_code(&p("total_approved"), &raw.total_approved, "522", AMT)?;
    if raw.claimed_amount == raw.approved_amount {
        return Err(BuildError::bad(
            &p("approved_amount"),
            &raw.approved_amount,
            "same as claimed_amount: an 849 line could not tell them apart",
        ));
    }
    if raw.total_claimed == raw.total_approved {
        return Err(BuildError::bad(
            &p("total_approved"),
            &raw.total_approved,
            "same as total_claimed: an 849 could not tell them apart",
        ));
    }
    for (from, to) in &raw.uom_map {
        check_code(
            &["dialect", "uom_map", from],
            to,
            "355",
            "an X12 unit of measure code",
        )?;
        if from.is_empty() || from.len() > 3 || !printable(from) {
            return Err(BuildError::bad(
                &["dialect", "uom_map", from],
                from,
                "expected a partner unit code of 1 to 3 characters",
            ));
        }
    }
    for s in &raw.omits {
        let known = Version::ALL
            .into_iter()
            .any(|v| x12::dict::segment(v, s).is_some());
        if !known {
            return Err(BuildError::bad(
                &p("omits"),
                s,
                "not a segment id the dictionary knows",
            ));
        }
        if matches!(s.as_str(), "ISA" | "GS" | "ST" | "SE" | "GE" | "IEA") {
            return Err(BuildError::bad(
                &p("omits"),
                s,
                "envelope segments cannot be omitted",
            ));
        }
    }
    Ok(Dialect {
        contract_ref: raw.contract_ref,
        contract_ref_alternates: raw.contract_ref_alternates,
        agreement_refs: raw.agreement_refs,
        claim_ref: raw.claim_ref,
        baa02: raw.baa02,
        reference_price_basis: raw.reference_price_basis,
        contract_price_basis: raw.contract_price_basis,
        submitted_price_basis: raw.submitted_price_basis,
        ctp_contract: raw.ctp_contract,
        ctp_reference: raw.ctp_reference,
        end_customer_entity: raw.end_customer_entity,
        eligible_entity: raw.eligible_entity,
        distributor_entity: raw.distributor_entity,
        supplier_entity: raw.supplier_entity,
        customer_id_priority: raw.customer_id_priority,
        product_id_priority: raw.product_id_priority,
        party_kinds: raw.party_kinds,
        invoice_ref: raw.invoice_ref,
        original_invoice_ref: raw.original_invoice_ref,
        class_of_trade_ref: raw.class_of_trade_ref,
        invoice_date: raw.invoice_date,
        ship_date: raw.ship_date,
        eligibility_date,
        quantity_qualifier: raw.quantity_qualifier,
        return_quantity_qualifiers: raw.return_quantity_qualifiers,
        return_transfer_types: raw.return_transfer_types,
        claimed_amount: raw.claimed_amount,
        compute_claimed_amount: raw.compute_claimed_amount,
        approved_amount: raw.approved_amount,
        total_claimed: raw.total_claimed,
        total_approved: raw.total_approved,
        status_rule: raw.status_rule,
        ctt01: raw.ctt01,
        uom_map: raw.uom_map,
        lenient_867_line_order: raw.lenient_867_line_order,
        omits: raw.omits,
        ndc_normalize: raw.ndc_normalize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_profile_builds_for_both_roles() {
        for role in [Role::Supplier, Role::Distributor] {
            let p = ProfileV1::standard("std", "STD", role)
                .validate_and_build()
                .expect("defaults are valid");
            assert_eq!(p.rules.derive_contract, role.we_claim());
            assert_eq!(p.x12.gs_id, "STD");
            assert_eq!(
                p.x12.delimiters.repetition, None,
                "004010 has no repetition"
            );
        }
    }

    #[test]
    fn every_default_code_is_in_the_dictionary() {
        let d = DialectV1::default();
        for (el, v) in [
            ("639", "WH"),
            ("639", "DI"),
            ("639", "SC"),
            ("236", "CON"),
            ("236", "WHL"),
            ("98", "EB"),
            ("98", "BG"),
            ("66", "UL"),
            ("66", "PI"),
            ("235", "N4"),
            ("235", "VN"),
            ("128", "PD"),
            ("374", "011"),
            ("673", "39"),
            ("522", "TT"),
            ("640", "DR"),
            ("901", "26"),
            ("355", "CA"),
        ] {
            assert_ne!(known_code(el, v), Some(false), "{el} {v}");
        }
        assert_eq!(known_code("639", "QQ"), Some(false));
        assert!(d.ndc_normalize);
    }
}
