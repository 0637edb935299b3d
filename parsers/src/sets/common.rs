//! Segment types and code lists shared by the 844, 845, 849 and 867.
//!
//! Each type paraphrases its segment's meaning in the chargeback cycle
//! (`shared/x12-chargeback.md` §3–7); field docs name the element. Codes the guide names are
//! enum variants; a code the standard allows but the guide does not name is kept as
//! `Other(code)` so it is written back unchanged. Only lists that are closed in the standard
//! itself ([`YesNo`], [`CreditDebit`], [`DescriptionType`]) reject unknown values.

use std::fmt;

use chrono::{NaiveDate, NaiveTime, Timelike};
use rust_decimal::Decimal;

use super::cursor::{
    CodeValue, SegmentAt, SegmentCursor, SegmentType, Shape, format_date, format_n, ids, key,
    parse_hms, push_all, push_one,
};
use super::{ReadError, Text};
use crate::dict::Version;
use crate::envelope::{Element, Seg};

/// Declares a code list that keeps unnamed codes as `Other`.
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A code the standard allows that the chargeback guide does not name, as sent.
            Other(String),
        }

        impl $name {
            /// Every listed code, for the tests.
            #[cfg(test)]
            const CODES: &'static [&'static str] = &[$( $code, )*];

            /// The value for an X12 code; a code the guide does not name becomes `Other`.
            pub fn from_code(code: &str) -> Self {
                // Compared as keys (see `cursor::key`): matching the strings called memcmp
                // once per listed code.
                let k = key(code);
                if k != u64::MAX {
                    $( if k == const { key($code) } { return $name::$variant; } )*
                    return $name::Other(code.to_owned());
                }
                match code {
                    $( $code => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }

            /// The X12 code.
            pub fn code(&self) -> &str {
                match self {
                    $( $name::$variant => $code, )*
                    $name::Other(code) => code.as_str(),
                }
            }
        }

        impl CodeValue for $name {
            fn parse_code(code: &str) -> Option<Self> {
                Some($name::from_code(code))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

/// Declares a code list that is closed in the standard: other values are invalid.
macro_rules! closed_code_list {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every listed code, for the tests.
            #[cfg(test)]
            const CODES: &'static [&'static str] = &[$( $code, )*];

            /// The value for an X12 code; `None` outside the list.
            pub fn from_code(code: &str) -> Option<Self> {
                // Compared as keys, as in `code_list!`.
                let k = key(code);
                if k != u64::MAX {
                    $( if k == const { key($code) } { return Some($name::$variant); } )*
                    return None;
                }
                match code {
                    $( $code => Some($name::$variant), )*
                    _ => None,
                }
            }

            /// The X12 code.
            pub fn code(&self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )*
                }
            }
        }

        impl CodeValue for $name {
            fn parse_code(code: &str) -> Option<Self> {
                $name::from_code(code)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_list! {
    /// Transaction set purpose (element 353: BAA01, BPA01, BRC01, BPT01).
    Purpose {
        /// `00` original.
        Original = "00",
        /// `01` cancellation.
        Cancellation = "01",
        /// `03` delete.
        Delete = "03",
        /// `04` change (a delta 845).
        Change = "04",
        /// `05` replace (a full-replacement 845).
        Replace = "05",
        /// `15` re-submission (a resubmitted 844).
        Resubmission = "15",
    }
}

code_list! {
    /// Transaction type (element 640: BAA02).
    TransactionType {
        /// `DR` debit memo.
        DebitMemo = "DR",
        /// `CR` credit memo.
        CreditMemo = "CR",
        /// `RA` request for credit.
        RequestForCredit = "RA",
    }
}

code_list! {
    /// Contract status (element 846: CON03).
    ContractStatus {
        /// `OC` original.
        Original = "OC",
        /// `CM` modified.
        Modified = "CM",
        /// `CR` renewed.
        Renewed = "CR",
        /// `EX` expired.
        Expired = "EX",
        /// `CC` cancelled.
        Cancelled = "CC",
        /// `VA` valid open (usual in an 844).
        ValidOpen = "VA",
        /// `PR` proposed.
        Proposed = "PR",
    }
}

code_list! {
    /// Product transfer type (element 521: PAD02, PTD01).
    TransferType {
        /// `SD` ship-and-debit sale.
        ShipAndDebitSale = "SD",
        /// `SH` ship and debit.
        ShipAndDebit = "SH",
        /// `CS` contract sale.
        ContractSale = "CS",
        /// `SS` stock sale.
        StockSale = "SS",
        /// `DS` drop ship.
        DropShip = "DS",
        /// `PA` price adjustment.
        PriceAdjustment = "PA",
        /// `RV` return to vendor.
        ReturnToVendor = "RV",
        /// `BN` return.
        Return = "BN",
        /// `IA` inventory adjustment.
        InventoryAdjustment = "IA",
        /// `RP` return of list price.
        ReturnOfListPrice = "RP",
    }
}

code_list! {
    /// Change or response type (element 670: PAD03), how a delta 845 changes an item.
    ChangeType {
        /// `AI` add item.
        Add = "AI",
        /// `DI` delete item.
        Delete = "DI",
        /// `PC` price change.
        PriceChange = "PC",
        /// `NC` no change.
        NoChange = "NC",
        /// `RZ` replace all values.
        ReplaceAll = "RZ",
    }
}

code_list! {
    /// Entity identifier (element 98: N101, N106, CUR01).
    EntityCode {
        /// `DS` distributor.
        Distributor = "DS",
        /// `MF` manufacturer.
        Manufacturer = "MF",
        /// `SU` supplier/manufacturer.
        Supplier = "SU",
        /// `SE` seller.
        Seller = "SE",
        /// `VN` vendor.
        Vendor = "VN",
        /// `BY` buyer.
        Buyer = "BY",
        /// `ST` ship-to: the end customer in 844/849/867.
        ShipTo = "ST",
        /// `BT` bill-to.
        BillTo = "BT",
        /// `EB` party eligible for the contract (845).
        EligibleParty = "EB",
        /// `BG` buying group (GPO).
        BuyingGroup = "BG",
        /// `WH` warehouse.
        Warehouse = "WH",
    }
}

code_list! {
    /// Identification code qualifier (element 66: N103).
    IdQualifier {
        /// `1` DUNS.
        Duns = "1",
        /// `9` DUNS+4.
        DunsPlus4 = "9",
        /// `11` DEA number.
        Dea = "11",
        /// `21` HIN.
        Hin = "21",
        /// `UL` GLN.
        Gln = "UL",
        /// `XX` NPI.
        Npi = "XX",
        /// `24` EIN.
        Ein = "24",
        /// `91` assigned by the seller.
        AssignedBySeller = "91",
        /// `92` assigned by the buyer.
        AssignedByBuyer = "92",
        /// `ZZ` mutually defined.
        MutuallyDefined = "ZZ",
        /// `PI` payor id, which pharma uses for the 340B id.
        PayorId = "PI",
    }
}

code_list! {
    /// Reference identification qualifier (element 128: REF01, CON01, BAA04, BPA03, BRC03,
    /// PTD04).
    RefQualifier {
        /// `CT` contract.
        Contract = "CT",
        /// `BC` buyer's contract.
        BuyerContract = "BC",
        /// `AH` agreement (GPO).
        Agreement = "AH",
        /// `PD` promotion/deal (ship-and-debit authorization).
        PromotionDeal = "PD",
        /// `DB` buyer's debit memo (the claim number).
        DebitMemo = "DB",
        /// `CM` credit memo.
        CreditMemo = "CM",
        /// `IV` seller's invoice (distributor to end customer).
        Invoice = "IV",
        /// `DI` distributor invoice.
        DistributorInvoice = "DI",
        /// `OI` original invoice.
        OriginalInvoice = "OI",
        /// `PO` purchase order.
        PurchaseOrder = "PO",
        /// `LT` lot.
        Lot = "LT",
        /// `DH` DEA number.
        Dea = "DH",
        /// `HI` HIN.
        Hin = "HI",
        /// `D3` NCPDP number.
        Ncpdp = "D3",
        /// `11` account number.
        Account = "11",
        /// `TD` reason for change (`A`/`C`/`D` on an 845 member).
        ChangeReason = "TD",
        /// `ZZ` mutually defined.
        MutuallyDefined = "ZZ",
    }
}

code_list! {
    /// Date/time qualifier (element 374: DTM01).
    DateQualifier {
        /// `003` invoice date.
        Invoice = "003",
        /// `011` shipped date.
        Shipped = "011",
        /// `007` effective.
        Effective = "007",
        /// `036` expiration.
        Expiration = "036",
        /// `009` process date.
        Process = "009",
        /// `097` creation date.
        Creation = "097",
        /// `090` report start.
        ReportStart = "090",
        /// `091` report end.
        ReportEnd = "091",
        /// `092` contract effective.
        ContractEffective = "092",
        /// `093` contract expiration.
        ContractExpiration = "093",
        /// `129` customer (membership) effective.
        CustomerEffective = "129",
        /// `130` customer (membership) expiration.
        CustomerExpiration = "130",
        /// `131` item effective.
        ItemEffective = "131",
        /// `132` item expiration.
        ItemExpiration = "132",
        /// `152` effective date of change.
        ChangeEffective = "152",
    }
}

code_list! {
    /// Quantity qualifier (element 673: QTY01, CTB03).
    QuantityQualifier {
        /// `39` shipped (the usual claimed quantity).
        Shipped = "39",
        /// `32` sold.
        Sold = "32",
        /// `38` original.
        Original = "38",
        /// `76` returns.
        Returns = "76",
        /// `QA` approved.
        Approved = "QA",
        /// `QC` disapproved.
        Disapproved = "QC",
        /// `61` remaining authorized.
        RemainingAuthorized = "61",
    }
}

code_list! {
    /// Unit or basis for measurement (element 355: C001-01, CTT04, CTT06).
    UnitCode {
        /// `CA` case.
        Case = "CA",
        /// `EA` each.
        Each = "EA",
        /// `BX` box.
        Box = "BX",
        /// `UN` unit.
        Unit = "UN",
        /// `PK` package.
        Package = "PK",
    }
}

code_list! {
    /// Amount qualifier (element 522: AMT01, CTB05).
    AmountQualifier {
        /// `CC` chargeback claim amount.
        ChargebackClaim = "CC",
        /// `1` line item total (the samples' approved amount in an 849).
        LineItemTotal = "1",
        /// `TT` total transaction amount.
        TotalTransaction = "TT",
        /// `N` net.
        Net = "N",
        /// `5` total invoice amount.
        TotalInvoice = "5",
    }
}

code_list! {
    /// Basis of unit price (element 639: UIT03, CTP09).
    PriceBasis {
        /// `WH` wholesale (pharma WAC).
        Wholesale = "WH",
        /// `CT` contract price.
        Contract = "CT",
        /// `SC` submitted contract price.
        SubmittedContract = "SC",
        /// `SW` submitted wholesale price.
        SubmittedWholesale = "SW",
        /// `DI` distributor (book cost).
        Distributor = "DI",
        /// `CA` catalog.
        Catalog = "CA",
        /// `RS` resale.
        Resale = "RS",
        /// `NT` net.
        Net = "NT",
    }
}

code_list! {
    /// Price identifier (element 236: CTP02).
    PriceId {
        /// `CON` contract price.
        Contract = "CON",
        /// `WHL` wholesale (WAC).
        Wholesale = "WHL",
        /// `CAT` catalog.
        Catalog = "CAT",
        /// `LPR` list price.
        List = "LPR",
        /// `DIS` distributor price.
        Distributor = "DIS",
        /// `RES` resale.
        Resale = "RES",
        /// `NET` net.
        Net = "NET",
        /// `PRP` promotional.
        Promotional = "PRP",
        /// `UCP` unit cost.
        UnitCost = "UCP",
        /// `AWP` average wholesale price.
        AverageWholesale = "AWP",
        /// `CHG` changed price.
        Changed = "CHG",
    }
}

code_list! {
    /// Class of trade (element 687: CTP01).
    ClassOfTrade {
        /// `HS` hospital.
        Hospital = "HS",
        /// `DR` drug store.
        DrugStore = "DR",
        /// `PH` outpatient pharmacy.
        OutpatientPharmacy = "PH",
        /// `LC` long-term care.
        LongTermCare = "LC",
        /// `MC` managed care.
        ManagedCare = "MC",
        /// `DF` doctors' offices.
        DoctorsOffices = "DF",
        /// `GV` government.
        Government = "GV",
        /// `WH` wholesaler.
        Wholesaler = "WH",
        /// `DI` distributor.
        Distributor = "DI",
    }
}

code_list! {
    /// Product/service id qualifier (element 235: LIN02, LIN04, ...).
    ProductIdQualifier {
        /// `N4` NDC 5-4-2, the canonical 11-digit form.
        Ndc11 = "N4",
        /// `ND` NDC, format unspecified.
        Ndc = "ND",
        /// `N1` NDC 4-4-2.
        Ndc442 = "N1",
        /// `N2` NDC 5-3-2.
        Ndc532 = "N2",
        /// `N3` NDC 5-4-1.
        Ndc541 = "N3",
        /// `NH` health item code.
        HealthItemNh = "NH",
        /// `N5` health item code.
        HealthItemN5 = "N5",
        /// `N6` health item code.
        HealthItemN6 = "N6",
        /// `UP` GTIN-12 (UPC).
        Gtin12 = "UP",
        /// `EN` GTIN-13 (EAN).
        Gtin13 = "EN",
        /// `UK` GTIN-14.
        Gtin14 = "UK",
        /// `HI` HIBC.
        Hibc = "HI",
        /// `VN` vendor item number.
        VendorItem = "VN",
        /// `VP` vendor part number.
        VendorPart = "VP",
        /// `VC` vendor catalog number.
        VendorCatalog = "VC",
        /// `MG` manufacturer part number.
        ManufacturerPart = "MG",
        /// `BP` buyer part number.
        BuyerPart = "BP",
        /// `IN` buyer item number.
        BuyerItem = "IN",
        /// `SK` SKU.
        Sku = "SK",
    }
}

code_list! {
    /// Restrictions/conditions qualifier (element 688: CTB01).
    Restriction {
        /// `OR` ordering.
        Ordering = "OR",
        /// `SR` shipping.
        Shipping = "SR",
        /// `DO` direct only.
        DirectOnly = "DO",
        /// `WO` wholesaler only.
        WholesalerOnly = "WO",
        /// `DW` direct and wholesaler.
        DirectAndWholesaler = "DW",
    }
}

code_list! {
    /// Reject reason (element 901: AAA03); `x12-chargeback.md` §9.
    RejectReason {
        /// `01` price authorization (contract) invalid.
        ContractInvalid = "01",
        /// `02` price authorization expired.
        ContractExpired = "02",
        /// `03` product not on the price authorization.
        ProductNotOnContract = "03",
        /// `04` authorized quantity exceeded.
        AuthorizedQuantityExceeded = "04",
        /// `05` zero balance.
        ZeroBalance = "05",
        /// `06` special (contract) cost incorrect.
        ContractCostIncorrect = "06",
        /// `07` catalog cost incorrect.
        CatalogCostIncorrect = "07",
        /// `08` invalid ship location.
        InvalidShipLocation = "08",
        /// `09` no credit allowed.
        NoCreditAllowed = "09",
        /// `10` administrative cancellation.
        AdministrativeCancellation = "10",
        /// `11` invalid debit (memo) number.
        InvalidDebitMemoNumber = "11",
        /// `12` duplicate sequence number.
        DuplicateSequenceNumber = "12",
        /// `13` not valid for price protection.
        NotValidForPriceProtection = "13",
        /// `14` invalid part number.
        InvalidPartNumber = "14",
        /// `15` required application data missing.
        RequiredDataMissing = "15",
        /// `16` unit resale higher than authorized.
        ResaleHigherThanAuthorized = "16",
        /// `17` negotiated price not less than book price.
        NegotiatedPriceNotBelowBook = "17",
        /// `18` ship date after the current date.
        ShipDateAfterCurrentDate = "18",
        /// `19` ship date before the price authorization was issued.
        ShipDateBeforeIssue = "19",
        /// `20` ship date before the price authorization date (rebills).
        ShipDateBeforeAuthorization = "20",
        /// `21` the price authorization is a rebill type.
        RebillAuthorization = "21",
        /// `23` price authorization deleted.
        AuthorizationDeleted = "23",
        /// `24` price authorization used on a sales order.
        AuthorizationUsedOnSalesOrder = "24",
        /// `25` disposition pending vendor review.
        PendingVendorReview = "25",
        /// `26` invalid customer number.
        InvalidCustomerNumber = "26",
        /// `27` invalid ship date.
        InvalidShipDate = "27",
        /// `28` duplicate invoice number.
        DuplicateInvoiceNumber = "28",
        /// `29` claim submitted past the exercise period.
        PastExercisePeriod = "29",
        /// `30` invalid meet-competition cost.
        InvalidMeetCompetitionCost = "30",
        /// `31` invalid book cost.
        InvalidBookCost = "31",
        /// `32` input incomplete.
        InputIncomplete = "32",
        /// `33` input errors.
        InputErrors = "33",
        /// `ZZ` mutually defined (partner code in NTE/REF).
        MutuallyDefined = "ZZ",
    }
}

code_list! {
    /// Follow-up action (element 889: AAA04); `x12-chargeback.md` §9.
    FollowUpAction {
        /// `C` correct and resubmit.
        CorrectAndResubmit = "C",
        /// `D` resubmit the entire claim.
        ResubmitClaim = "D",
        /// `E` resubmit this item only.
        ResubmitItem = "E",
        /// `N` resubmission not allowed.
        NoResubmission = "N",
        /// `R` resubmission allowed.
        ResubmissionAllowed = "R",
        /// `P` resubmit the original transaction.
        ResubmitOriginal = "P",
        /// `W` wait 30 days and resubmit.
        Wait30Days = "W",
        /// `X` wait 10 days and resubmit.
        Wait10Days = "X",
        /// `Y` do not resubmit: held, a response follows.
        Held = "Y",
        /// `S` do not resubmit: third-party inquiry.
        ThirdPartyInquiry = "S",
    }
}

code_list! {
    /// Report type (element 755: BPT04).
    ReportType {
        /// `SS` seller sales report.
        SellerSales = "SS",
        /// `01` product transfer.
        ProductTransfer = "01",
        /// `02` resale.
        Resale = "02",
        /// `DD` distributor inventory.
        DistributorInventory = "DD",
    }
}

code_list! {
    /// Product transfer movement type (element 486: PTD06).
    MovementType {
        /// `DC` distributor to customer.
        DistributorToCustomer = "DC",
    }
}

closed_code_list! {
    /// Yes/no condition or response (element 1073: AAA01, PID08).
    YesNo {
        /// `Y` yes (AAA01: valid).
        Yes = "Y",
        /// `N` no (AAA01: not valid).
        No = "N",
        /// `U` unknown.
        Unknown = "U",
        /// `W` not applicable.
        NotApplicable = "W",
    }
}

closed_code_list! {
    /// Credit/debit flag (element 478: AMT03).
    CreditDebit {
        /// `C` credit.
        Credit = "C",
        /// `D` debit.
        Debit = "D",
    }
}

closed_code_list! {
    /// Item description type (element 349: PID01).
    DescriptionType {
        /// `F` free-form.
        FreeForm = "F",
        /// `S` structured (from an industry code list).
        Structured = "S",
        /// `X` semi-structured (code and text).
        SemiStructured = "X",
    }
}

/// An X12 TM value: a time of day and how many digits it was sent with
/// (HHMM, HHMMSS, HHMMSSD or HHMMSSDD), so it is written back as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    /// The time of day.
    pub time: NaiveTime,
    /// The precision it was sent with.
    pub precision: TimePrecision,
}

/// How precise a [`Time`] is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimePrecision {
    /// HHMM.
    Minutes,
    /// HHMMSS.
    Seconds,
    /// HHMMSSD.
    Tenths,
    /// HHMMSSDD.
    Hundredths,
}

impl Time {
    /// A time sent as HHMM.
    pub fn minutes(time: NaiveTime) -> Self {
        Time {
            time,
            precision: TimePrecision::Minutes,
        }
    }

    /// Parses HHMM[SS[D[D]]].
    pub fn parse(s: &str) -> Option<Time> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let precision = match s.len() {
            4 => TimePrecision::Minutes,
            6 => TimePrecision::Seconds,
            7 => TimePrecision::Tenths,
            8 => TimePrecision::Hundredths,
            _ => return None,
        };
        let (h, m, sec) = parse_hms(s)?;
        let fraction: u32 = match s.get(6..) {
            Some("") | None => 0,
            Some(f) => f.parse().ok()?,
        };
        let milli = match precision {
            TimePrecision::Tenths => fraction * 100,
            TimePrecision::Hundredths => fraction * 10,
            _ => 0,
        };
        Some(Time {
            time: NaiveTime::from_hms_milli_opt(h, m, sec, milli)?,
            precision,
        })
    }
}

impl fmt::Display for Time {
    /// The TM form, with the precision it was sent with.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.time;
        write!(f, "{:02}{:02}", t.hour(), t.minute())?;
        let milli = t.nanosecond() / 1_000_000;
        match self.precision {
            TimePrecision::Minutes => Ok(()),
            TimePrecision::Seconds => write!(f, "{:02}", t.second()),
            TimePrecision::Tenths => write!(f, "{:02}{}", t.second(), milli / 100),
            TimePrecision::Hundredths => write!(f, "{:02}{:02}", t.second(), milli / 10),
        }
    }
}

/// A C001 composite unit of measure. Chargeback files send only the unit code; the
/// exponent, multiplier and further units (C001-02 to C001-15) are kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unit {
    /// C001-01 unit code.
    pub code: UnitCode,
    /// C001-02 to C001-15 as sent, trailing empty components dropped (usually empty).
    pub detail: Vec<String>,
}

impl From<UnitCode> for Unit {
    fn from(code: UnitCode) -> Self {
        Unit {
            code,
            detail: Vec::new(),
        }
    }
}

impl Unit {
    /// Reads composite element `n`; `None` when absent.
    fn read(at: &SegmentAt<'_>, n: usize) -> Result<Option<Unit>, ReadError> {
        // Nearly always the unit code alone: read as a simple element, no list of parts.
        if !at.may_have_components(n) {
            return Ok(at.str_at(n)?.map(|code| Unit {
                code: UnitCode::from_code(code),
                detail: Vec::new(),
            }));
        }
        let parts = at.component_strs(n)?;
        let Some((&code, detail)) = parts.split_first() else {
            return Ok(None);
        };
        if code.is_empty() {
            return Err(at.component_missing(n, 1));
        }
        Ok(Some(Unit {
            code: UnitCode::from_code(code),
            detail: detail.iter().map(|&c| c.to_owned()).collect(),
        }))
    }

    fn element(&self) -> Element {
        let mut e = vec![self.code.code().to_owned()];
        e.extend(self.detail.iter().cloned());
        e
    }
}

fn unit_element(u: &Option<Unit>) -> Element {
    u.as_ref()
        .map_or_else(|| vec![String::new()], Unit::element)
}

/// A simple element from a required value.
pub(crate) fn el(v: impl fmt::Display) -> Element {
    vec![v.to_string()]
}

/// A simple element from an optional value (empty when absent).
pub(crate) fn opt<T: fmt::Display>(v: &Option<T>) -> Element {
    vec![v.as_ref().map(ToString::to_string).unwrap_or_default()]
}

/// A segment with trailing empty elements dropped.
pub(crate) fn seg(id: &str, elements: Vec<Element>) -> Seg {
    Seg {
        id: id.to_owned(),
        elements,
    }
    .trimmed()
}

/// NTE: a free-form note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nte {
    /// NTE01 note reference code.
    pub reference_code: Option<String>,
    /// NTE02 the note.
    pub text: String,
}

impl SegmentType for Nte {
    const ID: &'static str = "NTE";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Nte {
            reference_code: at.text(1)?,
            text: at.required(2)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg("NTE", vec![opt(&self.reference_code), el(&self.text)])
    }
}

/// A REF04 (C040) reference pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedRef {
    /// C040-01/03/05 qualifier.
    pub qualifier: RefQualifier,
    /// C040-02/04/06 value.
    pub value: String,
}

/// REF: a reference number (contract, invoice, DEA, change reason...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    /// REF01 what the reference is.
    pub qualifier: RefQualifier,
    /// REF02 the reference (contract number, invoice number...).
    pub value: Option<Text>,
    /// REF03 description.
    pub description: Option<String>,
    /// REF04 further reference pairs.
    pub related: Vec<RelatedRef>,
}

impl SegmentType for Ref {
    const ID: &'static str = "REF";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let parts = at.components(4)?;
        let mut related = Vec::new();
        for (i, pair) in parts.chunks(2).enumerate() {
            let q = &pair[0];
            let v = pair.get(1).cloned().unwrap_or_default();
            match (q.is_empty(), v.is_empty()) {
                (true, true) => {}
                (true, false) => return Err(at.component_missing(4, 2 * i + 1)),
                (false, true) => return Err(at.component_missing(4, 2 * i + 2)),
                (false, false) => related.push(RelatedRef {
                    qualifier: RefQualifier::from_code(q),
                    value: v,
                }),
            }
        }
        Ok(Ref {
            qualifier: at.required_code(1)?,
            value: at.text(2)?,
            description: at.text(3)?,
            related,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        let c040 = if self.related.is_empty() {
            vec![String::new()]
        } else {
            self.related
                .iter()
                .flat_map(|r| [r.qualifier.code().to_owned(), r.value.clone()])
                .collect()
        };
        seg(
            "REF",
            vec![
                el(&self.qualifier),
                opt(&self.value),
                opt(&self.description),
                c040,
            ],
        )
    }
}

impl Ref {
    /// A REF with a qualifier and a value.
    pub fn new(qualifier: RefQualifier, value: &str) -> Self {
        Ref {
            qualifier,
            value: Some(value.into()),
            description: None,
            related: Vec::new(),
        }
    }
}

/// DTM: a qualified date (invoice, ship, contract or membership validity...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtm {
    /// DTM01 what the date is.
    pub qualifier: DateQualifier,
    /// DTM02 the date, or DTM06 when the date is sent as DTM05 `D8` (CCYYMMDD) instead, as
    /// the standard allows (R020305), or the start of a DTM06 range sent as DTM05 `RD8`
    /// (see `end`). A DTM with none of these does not read, nor one with another format.
    pub date: NaiveDate,
    /// The end of the DTM05 `RD8` range sent in DTM02's stead: the DTM is a period, not one
    /// date, and a reader wanting one date must refuse it.
    pub end: Option<NaiveDate>,
    /// DTM03 time.
    pub time: Option<Time>,
    /// DTM04 time code (time zone).
    pub time_code: Option<String>,
    /// DTM05 date time period format qualifier.
    pub period_format: Option<String>,
    /// DTM06 date time period.
    pub period: Option<String>,
}

impl SegmentType for Dtm {
    const ID: &'static str = "DTM";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let qualifier = at.required_code(1)?;
        let period_format: Option<String> = at.text(5)?;
        let (date, end) = match at.date(2)? {
            Some(d) => (d, None),
            // DTM05 `D8` says DTM06 is the date, CCYYMMDD, in DTM02's stead.
            None if period_format.as_deref() == Some(D8) => {
                (at.date(6)?.ok_or_else(|| at.conditional_missing(6))?, None)
            }
            // DTM05 `RD8`: DTM06 is a period, CCYYMMDD-CCYYMMDD.
            None if period_format.as_deref() == Some(RD8) => {
                let (start, end) = at.date_range(6)?.ok_or_else(|| at.conditional_missing(6))?;
                (start, Some(end))
            }
            None => return Err(at.conditional_missing(2)),
        };
        Ok(Dtm {
            qualifier,
            date,
            end,
            time: at.time(3)?,
            time_code: at.text(4)?,
            period_format,
            period: at.text(6)?,
        })
    }
    /// A DTM equal byte for byte to the last one the cursor read is the same value (only a
    /// DTM that read is kept, so one in error is always decoded and reported).
    fn decode_in<'a>(c: &mut SegmentCursor<'a>, at: &SegmentAt<'a>) -> Result<Self, ReadError> {
        let raw = at.segment.raw();
        if let Some((bytes, dtm)) = &c.last_dtm
            && *bytes == raw
        {
            return Ok(dtm.clone());
        }
        let dtm = Self::decode(at)?;
        c.last_dtm = Some((raw, dtm.clone()));
        Ok(dtm)
    }
    fn to_seg(&self, _: Version) -> Seg {
        let date = format_date(self.date);
        // A date read from DTM05/06 `D8`, or a range, goes back there alone, as it came.
        let in_period = self.end.is_some()
            || self.period_format.as_deref() == Some(D8) && self.period.as_deref() == Some(&date);
        seg(
            "DTM",
            vec![
                el(&self.qualifier),
                if in_period {
                    vec![String::new()]
                } else {
                    el(date)
                },
                opt(&self.time),
                opt(&self.time_code),
                opt(&self.period_format),
                opt(&self.period),
            ],
        )
    }
}

/// DTM05 date time period format qualifier: DTM06 is a CCYYMMDD date.
const D8: &str = "D8";
/// DTM05 date time period format qualifier: DTM06 is a range, CCYYMMDD-CCYYMMDD.
const RD8: &str = "RD8";

impl Dtm {
    /// A DTM with a qualifier and a date.
    pub fn new(qualifier: DateQualifier, date: NaiveDate) -> Self {
        Dtm {
            qualifier,
            date,
            end: None,
            time: None,
            time_code: None,
            period_format: None,
            period: None,
        }
    }
}

/// A PER communication number with its qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactNumber {
    /// PER03/05/07 communication number qualifier (`TE` phone, `EM` email, `FX` fax).
    pub qualifier: String,
    /// PER04/06/08 the number or address.
    pub number: String,
}

/// PER: a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Per {
    /// PER01 contact function (`CN` general contact, `IC` information contact...).
    pub function: String,
    /// PER02 name.
    pub name: Option<String>,
    /// PER03–PER08 up to three communication numbers.
    pub numbers: Vec<ContactNumber>,
    /// PER09 contact inquiry reference.
    pub inquiry_reference: Option<String>,
}

impl SegmentType for Per {
    const ID: &'static str = "PER";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let mut numbers = Vec::new();
        for q in [3, 5, 7] {
            match (at.text(q)?, at.text(q + 1)?) {
                (None, None) => {}
                (Some(qualifier), Some(number)) => {
                    numbers.push(ContactNumber { qualifier, number })
                }
                (None, Some(_)) => return Err(at.conditional_missing(q)),
                (Some(_), None) => return Err(at.conditional_missing(q + 1)),
            }
        }
        Ok(Per {
            function: at.required(1)?,
            name: at.text(2)?,
            numbers,
            inquiry_reference: at.text(9)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        let mut e = vec![el(&self.function), opt(&self.name)];
        for i in 0..3 {
            match self.numbers.get(i) {
                Some(n) => {
                    e.push(el(&n.qualifier));
                    e.push(el(&n.number));
                }
                None => {
                    e.push(el(""));
                    e.push(el(""));
                }
            }
        }
        e.push(opt(&self.inquiry_reference));
        seg("PER", e)
    }
}

/// CUR: the currency of the amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cur {
    /// CUR01 whose currency (`BY` buyer).
    pub entity: EntityCode,
    /// CUR02 ISO 4217 currency code (`USD`).
    pub currency: String,
    /// CUR03 exchange rate.
    pub exchange_rate: Option<Decimal>,
    /// CUR04–CUR21 (target currency, market, rate dates) as sent; the chargeback guides do
    /// not use them.
    pub remaining: Vec<String>,
}

impl SegmentType for Cur {
    const ID: &'static str = "CUR";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let mut remaining = Vec::new();
        for n in 4..=at.segment.element_count() {
            remaining.push(at.text(n)?.unwrap_or_default());
        }
        while remaining.last().is_some_and(String::is_empty) {
            remaining.pop();
        }
        Ok(Cur {
            entity: at.required_code(1)?,
            currency: at.required(2)?,
            exchange_rate: at.decimal(3)?,
            remaining,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        let mut e = vec![
            el(&self.entity),
            el(&self.currency),
            opt(&self.exchange_rate),
        ];
        e.extend(self.remaining.iter().map(el));
        seg("CUR", e)
    }
}

/// CON: the contract (price authorization) a loop is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Con {
    /// CON01 reference qualifier, usually `CT`.
    pub qualifier: RefQualifier,
    /// CON02 contract / SPA / price-authorization number.
    pub contract_number: String,
    /// CON03 contract status.
    pub status: ContractStatus,
}

impl SegmentType for Con {
    const ID: &'static str = "CON";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Con {
            qualifier: at.required_code(1)?,
            contract_number: at.required(2)?,
            status: at.required_code(3)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "CON",
            vec![
                el(&self.qualifier),
                el(&self.contract_number),
                el(&self.status),
            ],
        )
    }
}

/// PAD: one line (844/849 claim line, 845 contract item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pad {
    /// PAD01 line id (the 849 echoes the 844's).
    pub line_id: Option<String>,
    /// PAD02 product transfer type.
    pub transfer_type: Option<TransferType>,
    /// PAD03 change type (a delta 845's add/delete/price change).
    pub change: Option<ChangeType>,
    /// PAD04 price multiplier qualifier.
    pub multiplier_qualifier: Option<String>,
    /// PAD05 multiplier.
    pub multiplier: Option<Decimal>,
}

impl SegmentType for Pad {
    const ID: &'static str = "PAD";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Pad {
            line_id: at.text(1)?,
            transfer_type: at.code(2)?,
            change: at.code(3)?,
            multiplier_qualifier: at.text(4)?,
            multiplier: at.decimal(5)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "PAD",
            vec![
                opt(&self.line_id),
                opt(&self.transfer_type),
                opt(&self.change),
                opt(&self.multiplier_qualifier),
                opt(&self.multiplier),
            ],
        )
    }
}

/// One product id and its qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductId {
    /// LIN02/04/... what kind of id.
    pub qualifier: ProductIdQualifier,
    /// LIN03/05/... the id (NDC, GTIN, part number...).
    pub id: Text,
}

/// LIN: the product, by up to fifteen ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lin {
    /// LIN01 assigned id.
    pub assigned_id: Option<String>,
    /// LIN02–LIN31 qualifier/id pairs in the order sent (empty pairs are not kept).
    pub ids: ProductIds,
}

/// A LIN's ids: one or two nearly always (an NDC; a part number and a UPC), held inline so
/// reading a LIN does not allocate the list.
pub type ProductIds = smallvec::SmallVec<[ProductId; 2]>;

impl SegmentType for Lin {
    const ID: &'static str = "LIN";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        // Only the pairs actually sent are looked at: LIN defines fifteen and a line
        // usually carries one or two.
        let pairs = at.segment.element_count().saturating_sub(1).div_ceil(2);
        let mut ids = ProductIds::new();
        for k in 0..pairs.clamp(1, 15) {
            let q = 2 + 2 * k;
            match (at.code::<ProductIdQualifier>(q)?, at.text(q + 1)?) {
                (None, None) if k == 0 => return Err(at.missing_element(2)),
                (None, None) => {}
                (Some(qualifier), Some(id)) => ids.push(ProductId { qualifier, id }),
                (None, Some(_)) => return Err(at.conditional_missing(q)),
                (Some(_), None) => return Err(at.conditional_missing(q + 1)),
            }
        }
        Ok(Lin {
            assigned_id: at.text(1)?,
            ids,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        let mut e = vec![opt(&self.assigned_id)];
        for p in &self.ids {
            e.push(el(&p.qualifier));
            e.push(el(&p.id));
        }
        seg("LIN", e)
    }
}

impl Lin {
    /// The first id with `qualifier`.
    pub fn id(&self, qualifier: &ProductIdQualifier) -> Option<&str> {
        self.ids
            .iter()
            .find(|p| &p.qualifier == qualifier)
            .map(|p| p.id.as_str())
    }
}

/// UIT: a unit price on a stated basis (WAC, contract, book cost...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uit {
    /// UIT01 unit of measure the price is per.
    pub unit: Unit,
    /// UIT02 unit price.
    pub unit_price: Option<Decimal>,
    /// UIT03 what the price is (`WH` WAC, `CT` contract, `DI` book cost...).
    pub basis: Option<PriceBasis>,
}

impl SegmentType for Uit {
    const ID: &'static str = "UIT";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Uit {
            unit: Unit::read(at, 1)?.ok_or_else(|| at.component_missing(1, 1))?,
            unit_price: at.decimal(2)?,
            basis: at.code(3)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "UIT",
            vec![self.unit.element(), opt(&self.unit_price), opt(&self.basis)],
        )
    }
}

/// QTY: a qualified quantity (claimed, sold, approved...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qty {
    /// QTY01 what the quantity is (`39` shipped/claimed...).
    pub qualifier: QuantityQualifier,
    /// QTY02 the quantity (negative for returns with some partners).
    pub quantity: Option<Decimal>,
    /// QTY03 unit of measure.
    pub unit: Option<Unit>,
    /// QTY04 free-form information.
    pub free_form: Option<String>,
}

impl SegmentType for Qty {
    const ID: &'static str = "QTY";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Qty {
            qualifier: at.required_code(1)?,
            quantity: at.decimal(2)?,
            unit: Unit::read(at, 3)?,
            free_form: at.text(4)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "QTY",
            vec![
                el(&self.qualifier),
                opt(&self.quantity),
                unit_element(&self.unit),
                opt(&self.free_form),
            ],
        )
    }
}

/// AMT: a qualified amount (line claim, approved, totals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amt {
    /// AMT01 what the amount is (`CC` chargeback claim...).
    pub qualifier: AmountQualifier,
    /// AMT02 the amount.
    pub amount: Decimal,
    /// AMT03 credit/debit flag.
    pub credit_debit: Option<CreditDebit>,
}

impl SegmentType for Amt {
    const ID: &'static str = "AMT";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Amt {
            qualifier: at.required_code(1)?,
            amount: at.required_decimal(2)?,
            credit_debit: at.code(3)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "AMT",
            vec![
                el(&self.qualifier),
                el(self.amount),
                opt(&self.credit_debit),
            ],
        )
    }
}

impl Amt {
    /// An amount with a qualifier.
    pub fn new(qualifier: AmountQualifier, amount: Decimal) -> Self {
        Amt {
            qualifier,
            amount,
            credit_debit: None,
        }
    }
}

/// CTT: transaction totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctt {
    /// CTT01 number of line items (PAD or QTY loops in the samples; partner-defined).
    pub line_count: u64,
    /// CTT02 hash total (the sum of quantities in the samples; partner-defined).
    pub hash_total: Option<Decimal>,
    /// CTT03 weight.
    pub weight: Option<Decimal>,
    /// CTT04 weight unit.
    pub weight_unit: Option<UnitCode>,
    /// CTT05 volume.
    pub volume: Option<Decimal>,
    /// CTT06 volume unit.
    pub volume_unit: Option<UnitCode>,
    /// CTT07 description.
    pub description: Option<String>,
}

impl SegmentType for Ctt {
    const ID: &'static str = "CTT";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Ctt {
            line_count: at.count(1)?.ok_or_else(|| at.missing_element(1))?,
            hash_total: at.decimal(2)?,
            weight: at.decimal(3)?,
            weight_unit: at.code(4)?,
            volume: at.decimal(5)?,
            volume_unit: at.code(6)?,
            description: at.text(7)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "CTT",
            vec![
                el(self.line_count),
                opt(&self.hash_total),
                opt(&self.weight),
                opt(&self.weight_unit),
                opt(&self.volume),
                opt(&self.volume_unit),
                opt(&self.description),
            ],
        )
    }
}

impl Ctt {
    /// Totals with a line count and an optional hash total.
    pub fn new(line_count: u64, hash_total: Option<Decimal>) -> Self {
        Ctt {
            line_count,
            hash_total,
            weight: None,
            weight_unit: None,
            volume: None,
            volume_unit: None,
            description: None,
        }
    }
}

/// AAA: a validation result (849 at claim, contract or line level; §6.1 of the guide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aaa {
    /// AAA01 `Y` valid, `N` not valid.
    pub valid: YesNo,
    /// AAA02 agency qualifier (usually empty).
    pub agency: Option<String>,
    /// AAA03 reject reason.
    pub reject_reason: Option<RejectReason>,
    /// AAA04 follow-up action.
    pub follow_up: Option<FollowUpAction>,
}

impl SegmentType for Aaa {
    const ID: &'static str = "AAA";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Aaa {
            valid: at.required_code(1)?,
            agency: at.text(2)?,
            reject_reason: at.code(3)?,
            follow_up: at.code(4)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "AAA",
            vec![
                el(self.valid),
                opt(&self.agency),
                opt(&self.reject_reason),
                opt(&self.follow_up),
            ],
        )
    }
}

/// PID: a product description (`PID*F****<text>` in an 845 item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pid {
    /// PID01 description type.
    pub description_type: DescriptionType,
    /// PID02 product/process characteristic code.
    pub characteristic: Option<String>,
    /// PID03 agency qualifier.
    pub agency: Option<String>,
    /// PID04 product description code.
    pub description_code: Option<String>,
    /// PID05 the description.
    pub description: Option<String>,
    /// PID06 surface/layer/position code.
    pub surface: Option<String>,
    /// PID07 source subqualifier.
    pub source_subqualifier: Option<String>,
    /// PID08 yes/no condition.
    pub condition: Option<YesNo>,
    /// PID09 language code.
    pub language: Option<String>,
}

impl SegmentType for Pid {
    const ID: &'static str = "PID";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Pid {
            description_type: at.required_code(1)?,
            characteristic: at.text(2)?,
            agency: at.text(3)?,
            description_code: at.text(4)?,
            description: at.text(5)?,
            surface: at.text(6)?,
            source_subqualifier: at.text(7)?,
            condition: at.code(8)?,
            language: at.text(9)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "PID",
            vec![
                el(self.description_type),
                opt(&self.characteristic),
                opt(&self.agency),
                opt(&self.description_code),
                opt(&self.description),
                opt(&self.surface),
                opt(&self.source_subqualifier),
                opt(&self.condition),
                opt(&self.language),
            ],
        )
    }
}

impl Pid {
    /// A free-form description (`PID*F****<text>`).
    pub fn free_form(description: &str) -> Self {
        Pid {
            description_type: DescriptionType::FreeForm,
            characteristic: None,
            agency: None,
            description_code: None,
            description: Some(description.to_owned()),
            surface: None,
            source_subqualifier: None,
            condition: None,
            language: None,
        }
    }
}

/// CTP: a price for a class of trade (845).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctp {
    /// CTP01 class of trade.
    pub class_of_trade: Option<ClassOfTrade>,
    /// CTP02 which price (`CON` contract, `WHL` WAC...).
    pub price_id: Option<PriceId>,
    /// CTP03 unit price.
    pub unit_price: Option<Decimal>,
    /// CTP04 quantity the price applies to.
    pub quantity: Option<Decimal>,
    /// CTP05 unit of measure.
    pub unit: Option<Unit>,
    /// CTP06 price multiplier qualifier.
    pub multiplier_qualifier: Option<String>,
    /// CTP07 multiplier.
    pub multiplier: Option<Decimal>,
    /// CTP08 monetary amount.
    pub amount: Option<Decimal>,
    /// CTP09 basis of unit price.
    pub basis: Option<PriceBasis>,
    /// CTP10 condition value (tier breakpoint).
    pub condition_value: Option<String>,
    /// CTP11 multiple price quantity.
    pub multiple_price_quantity: Option<u64>,
}

impl SegmentType for Ctp {
    const ID: &'static str = "CTP";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Ctp {
            class_of_trade: at.code(1)?,
            price_id: at.code(2)?,
            unit_price: at.decimal(3)?,
            quantity: at.decimal(4)?,
            unit: Unit::read(at, 5)?,
            multiplier_qualifier: at.text(6)?,
            multiplier: at.decimal(7)?,
            amount: at.decimal(8)?,
            basis: at.code(9)?,
            condition_value: at.text(10)?,
            multiple_price_quantity: at.count(11)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "CTP",
            vec![
                opt(&self.class_of_trade),
                opt(&self.price_id),
                opt(&self.unit_price),
                opt(&self.quantity),
                unit_element(&self.unit),
                opt(&self.multiplier_qualifier),
                opt(&self.multiplier),
                opt(&self.amount),
                opt(&self.basis),
                opt(&self.condition_value),
                opt(&self.multiple_price_quantity),
            ],
        )
    }
}

/// CTB: a restriction or condition (845), with quantity or amount limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctb {
    /// CTB01 kind of restriction (`OR` ordering, `DO` direct only...).
    pub restriction: Restriction,
    /// CTB02 description.
    pub description: Option<String>,
    /// CTB03 quantity qualifier.
    pub quantity_qualifier: Option<QuantityQualifier>,
    /// CTB04 quantity limit (e.g. the authorized ship-and-debit quantity).
    pub quantity: Option<Decimal>,
    /// CTB05 amount qualifier.
    pub amount_qualifier: Option<AmountQualifier>,
    /// CTB06 amount limit (N2 on the wire).
    pub amount: Option<Decimal>,
    /// CTB07 unit of measure (005010 only; not written for 004010).
    pub unit: Option<Unit>,
}

impl SegmentType for Ctb {
    const ID: &'static str = "CTB";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Ctb {
            restriction: at.required_code(1)?,
            description: at.text(2)?,
            quantity_qualifier: at.code(3)?,
            quantity: at.decimal(4)?,
            amount_qualifier: at.code(5)?,
            amount: at.implied_decimal(6, 2)?,
            unit: Unit::read(at, 7)?,
        })
    }
    fn to_seg(&self, version: Version) -> Seg {
        let mut e = vec![
            el(&self.restriction),
            opt(&self.description),
            opt(&self.quantity_qualifier),
            opt(&self.quantity),
            opt(&self.amount_qualifier),
            vec![self.amount.map(|a| format_n(a, 2)).unwrap_or_default()],
        ];
        if version == Version::V005010 {
            e.push(unit_element(&self.unit));
        }
        seg("CTB", e)
    }
}

/// N1: a party (distributor, manufacturer, end customer, eligible member...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct N1 {
    /// N101 the party's role.
    pub entity: EntityCode,
    /// N102 name.
    pub name: Option<Text>,
    /// N103 kind of id (DEA, HIN, GLN, DUNS, 340B...).
    pub id_qualifier: Option<IdQualifier>,
    /// N104 the id.
    pub id: Option<Text>,
    /// N105 entity relationship code.
    pub relationship: Option<String>,
    /// N106 related entity.
    pub related_entity: Option<EntityCode>,
}

impl SegmentType for N1 {
    const ID: &'static str = "N1";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let id_qualifier = at.code(3)?;
        let id = at.text(4)?;
        match (&id_qualifier, &id) {
            (Some(_), None) => return Err(at.conditional_missing(4)),
            (None, Some(_)) => return Err(at.conditional_missing(3)),
            _ => {}
        }
        Ok(N1 {
            entity: at.required_code(1)?,
            name: at.text(2)?,
            id_qualifier,
            id,
            relationship: at.text(5)?,
            related_entity: at.code(6)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "N1",
            vec![
                el(&self.entity),
                opt(&self.name),
                opt(&self.id_qualifier),
                opt(&self.id),
                opt(&self.relationship),
                opt(&self.related_entity),
            ],
        )
    }
}

/// N2: additional name lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct N2 {
    /// N201 name.
    pub name: String,
    /// N202 second name.
    pub name2: Option<String>,
}

impl SegmentType for N2 {
    const ID: &'static str = "N2";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(N2 {
            name: at.required(1)?,
            name2: at.text(2)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg("N2", vec![el(&self.name), opt(&self.name2)])
    }
}

/// N3: street address lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct N3 {
    /// N301 address line.
    pub line1: Text,
    /// N302 second address line.
    pub line2: Option<Text>,
}

impl SegmentType for N3 {
    const ID: &'static str = "N3";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(N3 {
            line1: at.required(1)?,
            line2: at.text(2)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg("N3", vec![el(&self.line1), opt(&self.line2)])
    }
}

/// N4: city, state, postal code, country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct N4 {
    /// N401 city.
    pub city: Option<Text>,
    /// N402 state or province.
    pub state: Option<Text>,
    /// N403 postal code.
    pub postal_code: Option<Text>,
    /// N404 country.
    pub country: Option<Text>,
    /// N405 location qualifier.
    pub location_qualifier: Option<String>,
    /// N406 location id.
    pub location_id: Option<String>,
    /// N407 country subdivision (005010 only; not written for 004010).
    pub country_subdivision: Option<String>,
}

impl SegmentType for N4 {
    const ID: &'static str = "N4";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(N4 {
            city: at.text(1)?,
            state: at.text(2)?,
            postal_code: at.text(3)?,
            country: at.text(4)?,
            location_qualifier: at.text(5)?,
            location_id: at.text(6)?,
            country_subdivision: at.text(7)?,
        })
    }
    fn to_seg(&self, version: Version) -> Seg {
        let mut e = vec![
            opt(&self.city),
            opt(&self.state),
            opt(&self.postal_code),
            opt(&self.country),
            opt(&self.location_qualifier),
            opt(&self.location_id),
        ];
        if version == Version::V005010 {
            e.push(opt(&self.country_subdivision));
        }
        seg("N4", e)
    }
}

/// The N1 loop: a party with its name, address, references, contacts, dates and (845)
/// restrictions. Which of these a loop may hold depends on where it sits (the set's shape
/// for it); unmodelled segments (an 844/867 SII loop, an 867 heading PER loop with its REFs)
/// are kept in `other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct N1Loop {
    /// N1 the party.
    pub party: N1,
    /// N2 additional names.
    pub names: Vec<N2>,
    /// N3 address lines.
    pub address: Vec<N3>,
    /// N4 city, state, postal code.
    pub place: Option<N4>,
    /// REF extra ids (`DH` DEA, `HI` HIN) or, in a delta 845, `TD` the member change.
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// DTM dates (845 membership `129`/`130`).
    pub dates: Vec<Dtm>,
    /// CTB restrictions (845).
    pub restrictions: Vec<Ctb>,
    /// Segments this loop holds but does not model, written back at their place.
    pub other: Vec<Seg>,
}

impl N1Loop {
    /// A loop holding only the N1.
    pub fn new(party: N1) -> Self {
        N1Loop {
            party,
            names: Vec::new(),
            address: Vec::new(),
            place: None,
            refs: Vec::new(),
            contacts: Vec::new(),
            dates: Vec::new(),
            restrictions: Vec::new(),
            other: Vec::new(),
        }
    }

    /// The value of the first REF with `qualifier`.
    pub fn ref_value(&self, qualifier: &RefQualifier) -> Option<&str> {
        ref_value(&self.refs, qualifier)
    }

    /// The first date with `qualifier`.
    pub fn date(&self, qualifier: &DateQualifier) -> Option<NaiveDate> {
        date_of(&self.dates, qualifier)
    }

    /// Writes the loop with `shape`'s order.
    pub(crate) fn write(&self, version: Version, shape: &Shape, out: &mut Vec<Seg>) {
        shape.write(version, &self.other, out, |id, out| match id {
            "N1" => out.push(self.party.to_seg(version)),
            "N2" => push_all(out, &self.names, version),
            "N3" => push_all(out, &self.address, version),
            "N4" => out.extend(self.place.iter().map(|p| p.to_seg(version))),
            "REF" if !shape.is_opaque("REF") => push_all(out, &self.refs, version),
            "PER" if !shape.is_opaque("PER") => push_all(out, &self.contacts, version),
            "DTM" => push_all(out, &self.dates, version),
            "CTB" => push_all(out, &self.restrictions, version),
            _ => {}
        });
    }
}

/// Reads an N1 loop placed by `shape`: only the segments `shape` lists are modelled here.
pub(crate) fn read_n1_loop(c: &mut SegmentCursor<'_>, shape: &Shape) -> Result<N1Loop, ReadError> {
    let mut l = N1Loop::new(c.read_segment()?);
    while let Some(k) = c.peek_key() {
        // Asked only of the ids this reader models (the segment ending the loop is none),
        // by key: those ids are all short enough for one.
        let modelled = || {
            shape.order.iter().any(|o| key(o) == k)
                && !shape.opaque.iter().any(|(t, _)| key(t) == k)
        };
        match k {
            ids::N2 if modelled() => l.names.push(c.read_segment()?),
            ids::N3 if modelled() => push_one(&mut l.address, c.read_segment()?),
            ids::N4 if modelled() && l.place.is_none() => l.place = Some(c.read_segment()?),
            ids::REF if modelled() => push_one(&mut l.refs, c.read_segment()?),
            ids::PER if modelled() => l.contacts.push(c.read_segment()?),
            ids::DTM if modelled() => l.dates.push(c.read_segment()?),
            ids::CTB if modelled() => l.restrictions.push(c.read_segment()?),
            _ if c.take_other(shape, &mut l.other)? => {}
            _ => break,
        }
    }
    shape.settle(&mut l.other);
    Ok(l)
}

impl Shape {
    /// True when `id` starts an unmodelled nested loop here.
    pub(crate) fn is_opaque(&self, id: &str) -> bool {
        self.opaque.iter().any(|(t, _)| *t == id)
    }
}

/// The value of the first REF with `qualifier`.
pub fn ref_value<'a>(refs: &'a [Ref], qualifier: &RefQualifier) -> Option<&'a str> {
    refs.iter()
        .find(|r| &r.qualifier == qualifier)
        .and_then(|r| r.value.as_deref())
}

/// The first date with `qualifier`.
pub fn date_of(dates: &[Dtm], qualifier: &DateQualifier) -> Option<NaiveDate> {
    dates
        .iter()
        .find(|d| &d.qualifier == qualifier)
        .map(|d| d.date)
}

/// The first amount with `qualifier`.
pub fn amount_of(amounts: &[Amt], qualifier: &AmountQualifier) -> Option<Decimal> {
    amounts
        .iter()
        .find(|a| &a.qualifier == qualifier)
        .map(|a| a.amount)
}

/// The first quantity with `qualifier`.
pub fn quantity_of(quantities: &[Qty], qualifier: &QuantityQualifier) -> Option<Decimal> {
    quantities
        .iter()
        .find(|q| &q.qualifier == qualifier)
        .and_then(|q| q.quantity)
}

/// The first unit price on `basis`.
pub fn price_of(prices: &[Uit], basis: &PriceBasis) -> Option<Decimal> {
    prices
        .iter()
        .find(|p| p.basis.as_ref() == Some(basis))
        .and_then(|p| p.unit_price)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every listed code reads as its own value (compared packed), and near misses (a
    /// prefix, a trailing NUL, one byte more) do not.
    #[test]
    fn every_listed_code_reads_back_and_near_misses_do_not() {
        macro_rules! open_lists {
            ($($t:ident),*) => {$(
                for &code in $t::CODES {
                    assert_eq!($t::from_code(code).code(), code, "{}", stringify!($t));
                    for near in [format!("{code}\0"), format!("{code}Z"), code[..code.len() - 1].to_owned()] {
                        if !$t::CODES.contains(&near.as_str()) {
                            assert_eq!($t::from_code(&near), $t::Other(near.clone()));
                        }
                    }
                }
            )*};
        }
        macro_rules! closed_lists {
            ($($t:ident),*) => {$(
                for &code in $t::CODES {
                    assert_eq!($t::from_code(code).map(|c| c.code()), Some(code));
                    for near in [format!("{code}\0"), format!("{code}Z"), code[..code.len() - 1].to_owned()] {
                        if !$t::CODES.contains(&near.as_str()) {
                            assert_eq!($t::from_code(&near), None);
                        }
                    }
                }
            )*};
        }
        open_lists!(
            Purpose,
            TransactionType,
            ContractStatus,
            TransferType,
            ChangeType,
            EntityCode,
            IdQualifier,
            RefQualifier,
            DateQualifier,
            QuantityQualifier,
            UnitCode,
            AmountQualifier,
            PriceBasis,
            PriceId,
            ClassOfTrade,
            ProductIdQualifier,
            Restriction,
            RejectReason,
            FollowUpAction,
            ReportType,
            MovementType
        );
        closed_lists!(YesNo, CreditDebit, DescriptionType);
        assert_ne!(key("A"), key("A\0"));
        assert_eq!(key("ABCDEFGH"), u64::MAX);
    }

    #[test]
    fn codes_round_trip_and_keep_unnamed_values() {
        assert_eq!(RefQualifier::from_code("IV"), RefQualifier::Invoice);
        assert_eq!(RefQualifier::from_code("IV").code(), "IV");
        let other = RefQualifier::from_code("X9");
        assert_eq!(other, RefQualifier::Other("X9".into()));
        assert_eq!(other.code(), "X9");
        assert_eq!(
            AmountQualifier::from_code("1"),
            AmountQualifier::LineItemTotal
        );
        assert_eq!(DateQualifier::CustomerExpiration.to_string(), "130");
    }

    #[test]
    fn closed_lists_refuse_unknown_codes() {
        assert_eq!(YesNo::from_code("N"), Some(YesNo::No));
        assert_eq!(YesNo::from_code("Q"), None);
        assert_eq!(CreditDebit::from_code("X"), None);
    }

    #[test]
    fn times_keep_their_precision() {
        for t in ["1405", "140559", "1405591", "14055912"] {
            assert_eq!(Time::parse(t).map(|x| x.to_string()).as_deref(), Some(t));
        }
        for bad in ["2460", "14", "14a5", "140560"] {
            assert!(Time::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn omits_005010_only_elements_for_004010() {
        let n4 = N4 {
            city: Some("AUSTIN".into()),
            state: Some("TX".into()),
            postal_code: Some("78701".into()),
            country: Some("US".into()),
            location_qualifier: None,
            location_id: None,
            country_subdivision: Some("TX".into()),
        };
        assert_eq!(n4.to_seg(Version::V005010).elements.len(), 7);
        assert_eq!(n4.to_seg(Version::V004010).elements.len(), 4);
        let ctb = Ctb {
            restriction: Restriction::Shipping,
            description: None,
            quantity_qualifier: Some(QuantityQualifier::RemainingAuthorized),
            quantity: Some(Decimal::new(5000, 0)),
            amount_qualifier: Some(AmountQualifier::ChargebackClaim),
            amount: Some(Decimal::new(275000, 2)),
            unit: Some(UnitCode::Each.into()),
        };
        let v5 = ctb.to_seg(Version::V005010);
        assert_eq!(v5.text(6), "275000");
        assert_eq!(v5.text(7), "EA");
        assert_eq!(ctb.to_seg(Version::V004010).elements.len(), 6);
    }

    #[test]
    fn ref04_pairs_and_composite_units_are_kept() {
        let r = Ref {
            qualifier: RefQualifier::Contract,
            value: Some("SPA-1".into()),
            description: None,
            related: vec![RelatedRef {
                qualifier: RefQualifier::Agreement,
                value: "GPO-1".into(),
            }],
        };
        let s = r.to_seg(Version::V004010);
        assert_eq!(s.elements[3], vec!["AH".to_owned(), "GPO-1".to_owned()]);
        let q = Qty {
            qualifier: QuantityQualifier::Shipped,
            quantity: Some(Decimal::new(10, 0)),
            unit: Some(Unit {
                code: UnitCode::Case,
                detail: vec![String::new(), "12".into()],
            }),
            free_form: None,
        };
        assert_eq!(q.to_seg(Version::V004010).text(3), "CA::12");
    }
}
