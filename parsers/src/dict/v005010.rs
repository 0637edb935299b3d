// @generated (then `.with_codes` given packed `_KEYS` twins by hand) segment dictionary for X12 005010
// Generated from the X12 004010/005010 tables as transcribed by freight-trust/libedi (MIT),
// with the overrides of shared/x12-chargeback.md. Do not edit by hand except for the documented
// corrections listed below; regenerate instead.

//! Segment dictionary for X12 005010: every segment the 005010 chargeback and acknowledgment
//! sets use, plus the envelope segments. See the parent module for the lookup API.
//!
//! Corrections applied to the transcription:
//! - CUR02 (100): length 3/3 from the other version's table
//! - CUR05 (100): length 3/3 from the other version's table
//! - N402 (156): length 2/2 from the other version's table
//! - RCD: the seven C001 positions restored from the 004010 layout
//! - SE01: N0 1/10 (x12-chargeback.md 2.4; the table says AN)
//! - ST01 (143): AN with a code list -> ID
//! - ST03: AN 1/35 "Implementation Convention Reference" (x12-chargeback.md 2.4; the table says 1/9)
//! - numeric elements: the transcription writes every numeric type as N; 610, 360, 362 and 389 are N2, the rest N0
//! - ID elements without lengths: shortest/longest code of the version's list
//! - composites without a requirement: the 004010 requirement of the same position, or as commented
//! - ISA, IEA, GS, GE, TA1: written from x12-chargeback.md 2 and 8.3

use super::DataType::{AN, DT, ID, N, R, TM};
use super::Requirement::{Mandatory as M, Optional as O};
use super::{DataType, ElementDef, Requirement, SegmentDef, codes};

const fn el(r: &'static str, n: &'static str, t: DataType, min: u16, max: u16, q: Requirement) -> ElementDef {
    ElementDef::simple(r, n, t, min, max, q)
}

const fn comp(r: &'static str, n: &'static str, q: Requirement, c: &'static [ElementDef]) -> ElementDef {
    ElementDef::composite(r, n, q, c)
}

/// C030 Position in Segment.
const C030: &[ElementDef] = &[
    /* 01 */ el("722", "Element Position in Segment", N(0), 1, 2, M),
    /* 02 */ el("1528", "Component Data Element Position in Composite", N(0), 1, 2, O),
    /* 03 */ el("1686", "Repeating Data Element Position", N(0), 1, 4, O),
];

/// C001 Composite Unit of Measure.
const C001: &[ElementDef] = &[
    /* 01 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, M).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
    /* 02 */ el("1018", "Exponent", R, 1, 15, O),
    /* 03 */ el("649", "Multiplier", R, 1, 10, O),
    /* 04 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
    /* 05 */ el("1018", "Exponent", R, 1, 15, O),
    /* 06 */ el("649", "Multiplier", R, 1, 10, O),
    /* 07 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
    /* 08 */ el("1018", "Exponent", R, 1, 15, O),
    /* 09 */ el("649", "Multiplier", R, 1, 10, O),
    /* 10 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
    /* 11 */ el("1018", "Exponent", R, 1, 15, O),
    /* 12 */ el("649", "Multiplier", R, 1, 10, O),
    /* 13 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
    /* 14 */ el("1018", "Exponent", R, 1, 15, O),
    /* 15 */ el("649", "Multiplier", R, 1, 10, O),
];

/// C998 Context Identification.
const C998: &[ElementDef] = &[
    /* 01 */ el("9999", "Context Name", AN, 1, 35, M),
    /* 02 */ el("9998", "Context Reference", AN, 1, 35, O),
];

/// C999 Reference in Segment.
const C999: &[ElementDef] = &[
    /* 01 */ el("725", "Data Element Reference Number", N(0), 1, 4, M),
    /* 02 */ el("725", "Data Element Reference Number", N(0), 1, 4, O),
];

/// C040 Reference Identifier.
const C040: &[ElementDef] = &[
    /* 01 */ el("128", "Reference Identification Qualifier", ID, 2, 3, M).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
    /* 02 */ el("127", "Reference Identification", AN, 1, 50, M),
    /* 03 */ el("128", "Reference Identification Qualifier", ID, 2, 3, O).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
    /* 04 */ el("127", "Reference Identification", AN, 1, 50, O),
    /* 05 */ el("128", "Reference Identification Qualifier", ID, 2, 3, O).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
    /* 06 */ el("127", "Reference Identification", AN, 1, 50, O),
];

/// C002 Actions Indicated.
const C002: &[ElementDef] = &[
    /* 01 */ el("704", "Paperwork/Report Action Code", ID, 1, 2, M),
    /* 02 */ el("704", "Paperwork/Report Action Code", ID, 1, 2, O),
    /* 03 */ el("704", "Paperwork/Report Action Code", ID, 1, 2, O),
    /* 04 */ el("704", "Paperwork/Report Action Code", ID, 1, 2, O),
    /* 05 */ el("704", "Paperwork/Report Action Code", ID, 1, 2, O),
];

/// AAA Request Validation.
static AAA: SegmentDef = SegmentDef {
    id: "AAA",
    name: "Request Validation",
    elements: &[
        /* AAA01 */ el("1073", "Yes/No Condition or Response Code", ID, 1, 1, M),
        /* AAA02 */ el("559", "Agency Qualifier Code", ID, 2, 2, O),
        /* AAA03 */ el("901", "Reject Reason Code", ID, 2, 2, O).with_codes(codes::E901_5010, codes::E901_5010_KEYS),
        /* AAA04 */ el("889", "Follow-up Action Code", ID, 1, 1, O).with_codes(codes::E889_5010, codes::E889_5010_KEYS),
    ],
};

/// AK1 Functional Group Response Header.
static AK1: SegmentDef = SegmentDef {
    id: "AK1",
    name: "Functional Group Response Header",
    elements: &[
        /* AK101 */ el("479", "Functional Identifier Code", ID, 2, 2, M).with_codes(codes::E479_5010, codes::E479_5010_KEYS),
        /* AK102 */ el("28", "Group Control Number", N(0), 1, 9, M),
        /* AK103 */ el("480", "Version / Release / Industry Identifier Code", AN, 1, 12, O),
    ],
};

/// AK2 Transaction Set Response Header.
static AK2: SegmentDef = SegmentDef {
    id: "AK2",
    name: "Transaction Set Response Header",
    elements: &[
        /* AK201 */ el("143", "Transaction Set Identifier Code", ID, 3, 3, M).with_codes(codes::E143_5010, codes::E143_5010_KEYS),
        /* AK202 */ el("329", "Transaction Set Control Number", AN, 4, 9, M),
        /* AK203 */ el("1705", "Implementation Convention Reference", AN, 1, 35, O),
    ],
};

/// AK3 Data Segment Note.
static AK3: SegmentDef = SegmentDef {
    id: "AK3",
    name: "Data Segment Note",
    elements: &[
        /* AK301 */ el("721", "Segment ID Code", ID, 2, 3, M),
        /* AK302 */ el("719", "Segment Position in Transaction Set", N(0), 1, 10, M),
        /* AK303 */ el("447", "Loop Identifier Code", AN, 1, 4, O),
        /* AK304 */ el("720", "Segment Syntax Error Code", ID, 1, 1, O).with_codes(codes::E720_5010, codes::E720_5010_KEYS),
    ],
};

/// AK4 Data Element Note.
static AK4: SegmentDef = SegmentDef {
    id: "AK4",
    name: "Data Element Note",
    elements: &[
        /* AK401 */ comp("C030", "Position in Segment", O, C030), // x12-chargeback.md 2.6: AK401 optional in 005010
        /* AK402 */ el("725", "Data Element Reference Number", N(0), 1, 4, O),
        /* AK403 */ el("723", "Data Element Syntax Error Code", ID, 1, 2, M).with_codes(codes::E723_5010, codes::E723_5010_KEYS),
        /* AK404 */ el("724", "Copy of Bad Data Element", AN, 1, 99, O),
    ],
};

/// AK5 Transaction Set Response Trailer.
static AK5: SegmentDef = SegmentDef {
    id: "AK5",
    name: "Transaction Set Response Trailer",
    elements: &[
        /* AK501 */ el("717", "Transaction Set Acknowledgment Code", ID, 1, 1, M).with_codes(codes::E717_5010, codes::E717_5010_KEYS),
        /* AK502 */ el("718", "Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E718_5010, codes::E718_5010_KEYS),
        /* AK503 */ el("718", "Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E718_5010, codes::E718_5010_KEYS),
        /* AK504 */ el("718", "Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E718_5010, codes::E718_5010_KEYS),
        /* AK505 */ el("718", "Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E718_5010, codes::E718_5010_KEYS),
        /* AK506 */ el("718", "Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E718_5010, codes::E718_5010_KEYS),
    ],
};

/// AK9 Functional Group Response Trailer.
static AK9: SegmentDef = SegmentDef {
    id: "AK9",
    name: "Functional Group Response Trailer",
    elements: &[
        /* AK901 */ el("715", "Functional Group Acknowledge Code", ID, 1, 1, M).with_codes(codes::E715_5010, codes::E715_5010_KEYS),
        /* AK902 */ el("97", "Number of Transaction Sets Included", N(0), 1, 6, M),
        /* AK903 */ el("123", "Number of Received Transaction Sets", N(0), 1, 6, M),
        /* AK904 */ el("2", "Number of Accepted Transaction Sets", N(0), 1, 6, M),
        /* AK905 */ el("716", "Functional Group Syntax Error Code", ID, 1, 2, O).with_codes(codes::E716_5010, codes::E716_5010_KEYS),
        /* AK906 */ el("716", "Functional Group Syntax Error Code", ID, 1, 2, O).with_codes(codes::E716_5010, codes::E716_5010_KEYS),
        /* AK907 */ el("716", "Functional Group Syntax Error Code", ID, 1, 2, O).with_codes(codes::E716_5010, codes::E716_5010_KEYS),
        /* AK908 */ el("716", "Functional Group Syntax Error Code", ID, 1, 2, O).with_codes(codes::E716_5010, codes::E716_5010_KEYS),
        /* AK909 */ el("716", "Functional Group Syntax Error Code", ID, 1, 2, O).with_codes(codes::E716_5010, codes::E716_5010_KEYS),
    ],
};

/// AMT Monetary Amount.
static AMT: SegmentDef = SegmentDef {
    id: "AMT",
    name: "Monetary Amount",
    elements: &[
        /* AMT01 */ el("522", "Amount Qualifier Code", ID, 1, 3, M).with_codes(codes::E522_5010, codes::E522_5010_KEYS),
        /* AMT02 */ el("782", "Monetary Amount", R, 1, 18, M),
        /* AMT03 */ el("478", "Credit/Debit Flag Code", ID, 1, 1, O),
    ],
};

/// BAA Beginning Segment for Product Transfer Account Adjustment.
static BAA: SegmentDef = SegmentDef {
    id: "BAA",
    name: "Beginning Segment for Product Transfer Account Adjustment",
    elements: &[
        /* BAA01 */ el("353", "Transaction Set Purpose Code", ID, 2, 2, M).with_codes(codes::E353_5010, codes::E353_5010_KEYS),
        /* BAA02 */ el("640", "Transaction Type Code", ID, 2, 2, M).with_codes(codes::E640_5010, codes::E640_5010_KEYS),
        /* BAA03 */ el("373", "Date", DT, 8, 8, M),
        /* BAA04 */ el("128", "Reference Identification Qualifier", ID, 2, 3, O).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
        /* BAA05 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* BAA06 */ el("337", "Time", TM, 4, 8, O),
    ],
};

/// BPA Beginning Segment for Price Authorization Acknowledgment/Status.
static BPA: SegmentDef = SegmentDef {
    id: "BPA",
    name: "Beginning Segment for Price Authorization Acknowledgment/Status",
    elements: &[
        /* BPA01 */ el("353", "Transaction Set Purpose Code", ID, 2, 2, M).with_codes(codes::E353_5010, codes::E353_5010_KEYS),
        /* BPA02 */ el("373", "Date", DT, 8, 8, M),
        /* BPA03 */ el("128", "Reference Identification Qualifier", ID, 2, 3, O).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
        /* BPA04 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* BPA05 */ el("337", "Time", TM, 4, 8, O),
    ],
};

/// BPT Beginning Segment for Product Transfer and Resale.
static BPT: SegmentDef = SegmentDef {
    id: "BPT",
    name: "Beginning Segment for Product Transfer and Resale",
    elements: &[
        /* BPT01 */ el("353", "Transaction Set Purpose Code", ID, 2, 2, M).with_codes(codes::E353_5010, codes::E353_5010_KEYS),
        /* BPT02 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* BPT03 */ el("373", "Date", DT, 8, 8, M),
        /* BPT04 */ el("755", "Report Type Code", ID, 2, 2, O).with_codes(codes::E755_5010, codes::E755_5010_KEYS),
        /* BPT05 */ el("648", "Price Multiplier Qualifier", ID, 3, 3, O),
        /* BPT06 */ el("649", "Multiplier", R, 1, 10, O),
        /* BPT07 */ el("306", "Action Code", ID, 1, 2, O),
        /* BPT08 */ el("337", "Time", TM, 4, 8, O),
        /* BPT09 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* BPT10 */ el("786", "Security Level Code", ID, 2, 2, O),
    ],
};

/// BRC Beginning Segment for Response to Product Transfer Account Adjustment.
static BRC: SegmentDef = SegmentDef {
    id: "BRC",
    name: "Beginning Segment for Response to Product Transfer Account Adjustment",
    elements: &[
        /* BRC01 */ el("353", "Transaction Set Purpose Code", ID, 2, 2, M).with_codes(codes::E353_5010, codes::E353_5010_KEYS),
        /* BRC02 */ el("373", "Date", DT, 8, 8, M),
        /* BRC03 */ el("128", "Reference Identification Qualifier", ID, 2, 3, O).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
        /* BRC04 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* BRC05 */ el("337", "Time", TM, 4, 8, O),
    ],
};

/// CON Contract Number Detail.
static CON: SegmentDef = SegmentDef {
    id: "CON",
    name: "Contract Number Detail",
    elements: &[
        /* CON01 */ el("128", "Reference Identification Qualifier", ID, 2, 3, M).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
        /* CON02 */ el("127", "Reference Identification", AN, 1, 50, M),
        /* CON03 */ el("846", "Contract Status Code", ID, 2, 2, M).with_codes(codes::E846_5010, codes::E846_5010_KEYS),
    ],
};

/// CTB Restrictions/Conditions.
static CTB: SegmentDef = SegmentDef {
    id: "CTB",
    name: "Restrictions/Conditions",
    elements: &[
        /* CTB01 */ el("688", "Restrictions/Conditions Qualifier", ID, 2, 2, M),
        /* CTB02 */ el("352", "Description", AN, 1, 80, O),
        /* CTB03 */ el("673", "Quantity Qualifier", ID, 2, 2, O).with_codes(codes::E673_5010, codes::E673_5010_KEYS),
        /* CTB04 */ el("380", "Quantity", R, 1, 15, O),
        /* CTB05 */ el("522", "Amount Qualifier Code", ID, 1, 3, O).with_codes(codes::E522_5010, codes::E522_5010_KEYS),
        /* CTB06 */ el("610", "Amount", N(2), 1, 15, O),
        /* CTB07 */ comp("C001", "Composite Unit of Measure", O, C001), // added in 005010, optional
    ],
};

/// CTP Pricing Information.
static CTP: SegmentDef = SegmentDef {
    id: "CTP",
    name: "Pricing Information",
    elements: &[
        /* CTP01 */ el("687", "Class of Trade Code", ID, 2, 2, O).with_codes(codes::E687_5010, codes::E687_5010_KEYS),
        /* CTP02 */ el("236", "Price Identifier Code", ID, 3, 3, O).with_codes(codes::E236_5010, codes::E236_5010_KEYS),
        /* CTP03 */ el("212", "Unit Price", R, 1, 17, O),
        /* CTP04 */ el("380", "Quantity", R, 1, 15, O),
        /* CTP05 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* CTP06 */ el("648", "Price Multiplier Qualifier", ID, 3, 3, O),
        /* CTP07 */ el("649", "Multiplier", R, 1, 10, O),
        /* CTP08 */ el("782", "Monetary Amount", R, 1, 18, O),
        /* CTP09 */ el("639", "Basis of Unit Price Code", ID, 2, 2, O).with_codes(codes::E639_5010, codes::E639_5010_KEYS),
        /* CTP10 */ el("499", "Condition Value", AN, 1, 10, O),
        /* CTP11 */ el("289", "Multiple Price Quantity", N(0), 1, 2, O),
    ],
};

/// CTT Transaction Totals.
static CTT: SegmentDef = SegmentDef {
    id: "CTT",
    name: "Transaction Totals",
    elements: &[
        /* CTT01 */ el("354", "Number of Line Items", N(0), 1, 6, M),
        /* CTT02 */ el("347", "Hash Total", R, 1, 10, O),
        /* CTT03 */ el("81", "Weight", R, 1, 10, O),
        /* CTT04 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
        /* CTT05 */ el("183", "Volume", R, 1, 8, O),
        /* CTT06 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
        /* CTT07 */ el("352", "Description", AN, 1, 80, O),
    ],
};

/// CTX Context.
static CTX: SegmentDef = SegmentDef {
    id: "CTX",
    name: "Context",
    elements: &[
        /* CTX01 */ comp("C998", "Context Identification", M, C998).with_repeat(10), // context identification, mandatory
        /* CTX02 */ el("721", "Segment ID Code", ID, 2, 3, O),
        /* CTX03 */ el("719", "Segment Position in Transaction Set", N(0), 1, 10, O),
        /* CTX04 */ el("447", "Loop Identifier Code", AN, 1, 4, O),
        /* CTX05 */ comp("C030", "Position in Segment", O, C030), // optional
        /* CTX06 */ comp("C999", "Reference in Segment", O, C999), // optional
    ],
};

/// CUR Currency.
static CUR: SegmentDef = SegmentDef {
    id: "CUR",
    name: "Currency",
    elements: &[
        /* CUR01 */ el("98", "Entity Identifier Code", ID, 2, 3, M).with_codes(codes::E98_5010, codes::E98_5010_KEYS),
        /* CUR02 */ el("100", "Currency Code", ID, 3, 3, M),
        /* CUR03 */ el("280", "Exchange Rate", R, 4, 10, O),
        /* CUR04 */ el("98", "Entity Identifier Code", ID, 2, 3, O).with_codes(codes::E98_5010, codes::E98_5010_KEYS),
        /* CUR05 */ el("100", "Currency Code", ID, 3, 3, O),
        /* CUR06 */ el("669", "Currency Market/Exchange Code", ID, 3, 3, O),
        /* CUR07 */ el("374", "Date/Time Qualifier", ID, 3, 3, O).with_codes(codes::E374_5010, codes::E374_5010_KEYS),
        /* CUR08 */ el("373", "Date", DT, 8, 8, O),
        /* CUR09 */ el("337", "Time", TM, 4, 8, O),
        /* CUR10 */ el("374", "Date/Time Qualifier", ID, 3, 3, O).with_codes(codes::E374_5010, codes::E374_5010_KEYS),
        /* CUR11 */ el("373", "Date", DT, 8, 8, O),
        /* CUR12 */ el("337", "Time", TM, 4, 8, O),
        /* CUR13 */ el("374", "Date/Time Qualifier", ID, 3, 3, O).with_codes(codes::E374_5010, codes::E374_5010_KEYS),
        /* CUR14 */ el("373", "Date", DT, 8, 8, O),
        /* CUR15 */ el("337", "Time", TM, 4, 8, O),
        /* CUR16 */ el("374", "Date/Time Qualifier", ID, 3, 3, O).with_codes(codes::E374_5010, codes::E374_5010_KEYS),
        /* CUR17 */ el("373", "Date", DT, 8, 8, O),
        /* CUR18 */ el("337", "Time", TM, 4, 8, O),
        /* CUR19 */ el("374", "Date/Time Qualifier", ID, 3, 3, O).with_codes(codes::E374_5010, codes::E374_5010_KEYS),
        /* CUR20 */ el("373", "Date", DT, 8, 8, O),
        /* CUR21 */ el("337", "Time", TM, 4, 8, O),
    ],
};

/// DD Demand Detail.
static DD: SegmentDef = SegmentDef {
    id: "DD",
    name: "Demand Detail",
    elements: &[
        /* DD01 */ el("1271", "Industry Code", AN, 1, 30, O),
        /* DD02 */ el("1270", "Code List Qualifier Code", ID, 1, 3, O),
        /* DD03 */ el("128", "Reference Identification Qualifier", ID, 2, 3, O).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
        /* DD04 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* DD05 */ el("1271", "Industry Code", AN, 1, 30, O),
        /* DD06 */ el("1270", "Code List Qualifier Code", ID, 1, 3, O),
        /* DD07 */ el("380", "Quantity", R, 1, 15, O),
        /* DD08 */ el("1073", "Yes/No Condition or Response Code", ID, 1, 1, O),
        /* DD09 */ el("1271", "Industry Code", AN, 1, 30, O),
        /* DD10 */ el("1270", "Code List Qualifier Code", ID, 1, 3, O),
    ],
};

/// DTM Date/Time Reference.
static DTM: SegmentDef = SegmentDef {
    id: "DTM",
    name: "Date/Time Reference",
    elements: &[
        /* DTM01 */ el("374", "Date/Time Qualifier", ID, 3, 3, M).with_codes(codes::E374_5010, codes::E374_5010_KEYS),
        /* DTM02 */ el("373", "Date", DT, 8, 8, O),
        /* DTM03 */ el("337", "Time", TM, 4, 8, O),
        /* DTM04 */ el("623", "Time Code", ID, 2, 2, O),
        /* DTM05 */ el("1250", "Date Time Period Format Qualifier", ID, 2, 3, O),
        /* DTM06 */ el("1251", "Date Time Period", AN, 1, 35, O),
    ],
};

/// FA1 Type of Financial Accounting Data.
static FA1: SegmentDef = SegmentDef {
    id: "FA1",
    name: "Type of Financial Accounting Data",
    elements: &[
        /* FA101 */ el("559", "Agency Qualifier Code", ID, 2, 2, M),
        /* FA102 */ el("1300", "Service, Promotion, Allowance, or Charge Code", ID, 4, 4, O),
        /* FA103 */ el("248", "Allowance or Charge Indicator", ID, 1, 1, O),
    ],
};

/// FA2 Accounting Data.
static FA2: SegmentDef = SegmentDef {
    id: "FA2",
    name: "Accounting Data",
    elements: &[
        /* FA201 */ el("1196", "Breakdown Structure Detail Code", ID, 2, 2, M),
        /* FA202 */ el("1195", "Financial Information Code", AN, 1, 80, M),
    ],
};

/// G53 Maintenance Type.
static G53: SegmentDef = SegmentDef {
    id: "G53",
    name: "Maintenance Type",
    elements: &[
        /* G5301 */ el("875", "Maintenance Type Code", ID, 3, 3, M),
    ],
};

/// GE Functional Group Trailer. Written by hand from x12-chargeback.md (not in the transcription).
static GE: SegmentDef = SegmentDef {
    id: "GE",
    name: "Functional Group Trailer",
    elements: &[
        /* GE01 */ el("97", "Number of Transaction Sets Included", N(0), 1, 6, M),
        /* GE02 */ el("28", "Group Control Number", N(0), 1, 9, M),
    ],
};

/// GS Functional Group Header. Written by hand from x12-chargeback.md (not in the transcription).
static GS: SegmentDef = SegmentDef {
    id: "GS",
    name: "Functional Group Header",
    elements: &[
        /* GS01 */ el("479", "Functional Identifier Code", ID, 2, 2, M).with_codes(codes::E479_5010, codes::E479_5010_KEYS),
        /* GS02 */ el("142", "Application Sender's Code", AN, 2, 15, M),
        /* GS03 */ el("124", "Application Receiver's Code", AN, 2, 15, M),
        /* GS04 */ el("373", "Date", DT, 8, 8, M),
        /* GS05 */ el("337", "Time", TM, 4, 8, M),
        /* GS06 */ el("28", "Group Control Number", N(0), 1, 9, M),
        /* GS07 */ el("455", "Responsible Agency Code", ID, 1, 2, M),
        /* GS08 */ el("480", "Version / Release / Industry Identifier Code", AN, 1, 12, M),
    ],
};

/// IEA Interchange Control Trailer. Written by hand from x12-chargeback.md (not in the transcription).
static IEA: SegmentDef = SegmentDef {
    id: "IEA",
    name: "Interchange Control Trailer",
    elements: &[
        /* IEA01 */ el("I16", "Number of Included Functional Groups", N(0), 1, 5, M),
        /* IEA02 */ el("I12", "Interchange Control Number", N(0), 9, 9, M),
    ],
};

/// IK3 Implementation Data Segment Note.
static IK3: SegmentDef = SegmentDef {
    id: "IK3",
    name: "Implementation Data Segment Note",
    elements: &[
        /* IK301 */ el("721", "Segment ID Code", ID, 2, 3, M),
        /* IK302 */ el("719", "Segment Position in Transaction Set", N(0), 1, 10, M),
        /* IK303 */ el("447", "Loop Identifier Code", AN, 1, 4, O),
        /* IK304 */ el("620", "Implementation Segment Syntax Error Code", ID, 1, 2, O).with_codes(codes::E620_5010, codes::E620_5010_KEYS),
    ],
};

/// IK4 Implementation Data Element Note.
static IK4: SegmentDef = SegmentDef {
    id: "IK4",
    name: "Implementation Data Element Note",
    elements: &[
        /* IK401 */ comp("C030", "Position in Segment", M, C030), // IK401 is mandatory in the 999
        /* IK402 */ el("725", "Data Element Reference Number", N(0), 1, 4, O),
        /* IK403 */ el("621", "Implementation Data Element Syntax Error Code", ID, 1, 3, M).with_codes(codes::E621_5010, codes::E621_5010_KEYS),
        /* IK404 */ el("724", "Copy of Bad Data Element", AN, 1, 99, O),
    ],
};

/// IK5 Implementation Transaction Set Response Trailer.
static IK5: SegmentDef = SegmentDef {
    id: "IK5",
    name: "Implementation Transaction Set Response Trailer",
    elements: &[
        /* IK501 */ el("717", "Transaction Set Acknowledgment Code", ID, 1, 1, M).with_codes(codes::E717_5010, codes::E717_5010_KEYS),
        /* IK502 */ el("618", "Implementation Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E618_5010, codes::E618_5010_KEYS),
        /* IK503 */ el("618", "Implementation Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E618_5010, codes::E618_5010_KEYS),
        /* IK504 */ el("618", "Implementation Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E618_5010, codes::E618_5010_KEYS),
        /* IK505 */ el("618", "Implementation Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E618_5010, codes::E618_5010_KEYS),
        /* IK506 */ el("618", "Implementation Transaction Set Syntax Error Code", ID, 1, 2, O).with_codes(codes::E618_5010, codes::E618_5010_KEYS),
    ],
};

/// ISA Interchange Control Header. Written by hand from x12-chargeback.md (not in the transcription).
static ISA: SegmentDef = SegmentDef {
    id: "ISA",
    name: "Interchange Control Header",
    elements: &[
        /* ISA01 */ el("I01", "Authorization Information Qualifier", ID, 2, 2, M),
        /* ISA02 */ el("I02", "Authorization Information", AN, 10, 10, M),
        /* ISA03 */ el("I03", "Security Information Qualifier", ID, 2, 2, M),
        /* ISA04 */ el("I04", "Security Information", AN, 10, 10, M),
        /* ISA05 */ el("I05", "Interchange ID Qualifier", ID, 2, 2, M),
        /* ISA06 */ el("I06", "Interchange Sender ID", AN, 15, 15, M),
        /* ISA07 */ el("I05", "Interchange ID Qualifier", ID, 2, 2, M),
        /* ISA08 */ el("I07", "Interchange Receiver ID", AN, 15, 15, M),
        /* ISA09 */ el("I08", "Interchange Date", DT, 6, 6, M),
        /* ISA10 */ el("I09", "Interchange Time", TM, 4, 4, M),
        /* ISA11 */ el("I65", "Repetition Separator", AN, 1, 1, M), // 005010: a delimiter, not a code
        /* ISA12 */ el("I11", "Interchange Control Version Number", ID, 5, 5, M),
        /* ISA13 */ el("I12", "Interchange Control Number", N(0), 9, 9, M),
        /* ISA14 */ el("I13", "Acknowledgment Requested", ID, 1, 1, M),
        /* ISA15 */ el("I14", "Usage Indicator", ID, 1, 1, M),
        /* ISA16 */ el("I15", "Component Element Separator", AN, 1, 1, M), // a delimiter, not a code
    ],
};

/// ITA Allowance, Charge or Service.
static ITA: SegmentDef = SegmentDef {
    id: "ITA",
    name: "Allowance, Charge or Service",
    elements: &[
        /* ITA01 */ el("248", "Allowance or Charge Indicator", ID, 1, 1, M),
        /* ITA02 */ el("559", "Agency Qualifier Code", ID, 2, 2, O),
        /* ITA03 */ el("560", "Special Services Code", ID, 2, 5, O),
        /* ITA04 */ el("331", "Allowance or Charge Method of Handling Code", ID, 2, 2, M),
        /* ITA05 */ el("341", "Allowance or Charge Number", AN, 1, 16, O),
        /* ITA06 */ el("359", "Allowance or Charge Rate", R, 1, 15, O),
        /* ITA07 */ el("360", "Allowance or Charge Total Amount", N(2), 1, 15, O),
        /* ITA08 */ el("378", "Allowance/Charge Percent Qualifier", ID, 1, 1, O),
        /* ITA09 */ el("332", "Percent, Decimal Format", R, 1, 6, O),
        /* ITA10 */ el("380", "Quantity", R, 1, 15, O),
        /* ITA11 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
        /* ITA12 */ el("380", "Quantity", R, 1, 15, O),
        /* ITA13 */ el("352", "Description", AN, 1, 80, O),
        /* ITA14 */ el("150", "Special Charge or Allowance Code", ID, 3, 3, O),
        /* ITA15 */ el("822", "Source Subqualifier", AN, 1, 15, O),
        /* ITA16 */ el("662", "Relationship Code", ID, 1, 1, O),
        /* ITA17 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
    ],
};

/// ITD Terms of Sale/Deferred Terms of Sale.
static ITD: SegmentDef = SegmentDef {
    id: "ITD",
    name: "Terms of Sale/Deferred Terms of Sale",
    elements: &[
        /* ITD01 */ el("336", "Terms Type Code", ID, 2, 2, O),
        /* ITD02 */ el("333", "Terms Basis Date Code", ID, 1, 2, O),
        /* ITD03 */ el("338", "Terms Discount Percent", R, 1, 6, O),
        /* ITD04 */ el("370", "Terms Discount Due Date", DT, 8, 8, O),
        /* ITD05 */ el("351", "Terms Discount Days Due", N(0), 1, 3, O),
        /* ITD06 */ el("446", "Terms Net Due Date", DT, 8, 8, O),
        /* ITD07 */ el("386", "Terms Net Days", N(0), 1, 3, O),
        /* ITD08 */ el("362", "Terms Discount Amount", N(2), 1, 10, O),
        /* ITD09 */ el("388", "Terms Deferred Due Date", DT, 8, 8, O),
        /* ITD10 */ el("389", "Deferred Amount Due", N(2), 1, 10, O),
        /* ITD11 */ el("342", "Percent of Invoice Payable", R, 1, 5, O),
        /* ITD12 */ el("352", "Description", AN, 1, 80, O),
        /* ITD13 */ el("765", "Day of Month", N(0), 1, 2, O),
        /* ITD14 */ el("107", "Payment Method Type Code", ID, 1, 2, O),
        /* ITD15 */ el("954", "Percentage as Decimal", R, 1, 10, O),
    ],
};

/// LCD Place/Location Description.
static LCD: SegmentDef = SegmentDef {
    id: "LCD",
    name: "Place/Location Description",
    elements: &[
        /* LCD01 */ el("350", "Assigned Identification", AN, 1, 20, O),
        /* LCD02 */ el("98", "Entity Identifier Code", ID, 2, 3, O).with_codes(codes::E98_5010, codes::E98_5010_KEYS),
        /* LCD03 */ el("306", "Action Code", ID, 1, 2, O),
        /* LCD04 */ el("373", "Date", DT, 8, 8, O),
        /* LCD05 */ el("66", "Identification Code Qualifier", ID, 1, 2, O).with_codes(codes::E66_5010, codes::E66_5010_KEYS),
        /* LCD06 */ el("67", "Identification Code", AN, 2, 80, O),
    ],
};

/// LDT Lead Time.
static LDT: SegmentDef = SegmentDef {
    id: "LDT",
    name: "Lead Time",
    elements: &[
        /* LDT01 */ el("345", "Lead Time Code", ID, 2, 2, M),
        /* LDT02 */ el("380", "Quantity", R, 1, 15, M),
        /* LDT03 */ el("344", "Unit of Time Period or Interval", ID, 2, 2, M),
        /* LDT04 */ el("373", "Date", DT, 8, 8, O),
    ],
};

/// LIN Item Identification.
static LIN: SegmentDef = SegmentDef {
    id: "LIN",
    name: "Item Identification",
    elements: &[
        /* LIN01 */ el("350", "Assigned Identification", AN, 1, 20, O),
        /* LIN02 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, M).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN03 */ el("234", "Product/Service ID", AN, 1, 48, M),
        /* LIN04 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN05 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN06 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN07 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN08 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN09 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN10 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN11 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN12 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN13 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN14 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN15 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN16 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN17 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN18 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN19 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN20 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN21 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN22 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN23 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN24 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN25 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN26 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN27 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN28 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN29 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* LIN30 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* LIN31 */ el("234", "Product/Service ID", AN, 1, 48, O),
    ],
};

/// LM Code Source Information.
static LM: SegmentDef = SegmentDef {
    id: "LM",
    name: "Code Source Information",
    elements: &[
        /* LM01 */ el("559", "Agency Qualifier Code", ID, 2, 2, M),
        /* LM02 */ el("822", "Source Subqualifier", AN, 1, 15, O),
    ],
};

/// LQ Industry Code.
static LQ: SegmentDef = SegmentDef {
    id: "LQ",
    name: "Industry Code",
    elements: &[
        /* LQ01 */ el("1270", "Code List Qualifier Code", ID, 1, 3, O),
        /* LQ02 */ el("1271", "Industry Code", AN, 1, 30, O),
    ],
};

/// LX Assigned Number.
static LX: SegmentDef = SegmentDef {
    id: "LX",
    name: "Assigned Number",
    elements: &[
        /* LX01 */ el("554", "Assigned Number", N(0), 1, 6, M),
    ],
};

/// MAN Marks and Numbers.
static MAN: SegmentDef = SegmentDef {
    id: "MAN",
    name: "Marks and Numbers",
    elements: &[
        /* MAN01 */ el("88", "Marks and Numbers Qualifier", ID, 1, 2, M),
        /* MAN02 */ el("87", "Marks and Numbers", AN, 1, 48, M),
        /* MAN03 */ el("87", "Marks and Numbers", AN, 1, 48, O),
        /* MAN04 */ el("88", "Marks and Numbers Qualifier", ID, 1, 2, O),
        /* MAN05 */ el("87", "Marks and Numbers", AN, 1, 48, O),
        /* MAN06 */ el("87", "Marks and Numbers", AN, 1, 48, O),
    ],
};

/// MEA Measurements.
static MEA: SegmentDef = SegmentDef {
    id: "MEA",
    name: "Measurements",
    elements: &[
        /* MEA01 */ el("737", "Measurement Reference ID Code", ID, 2, 2, O),
        /* MEA02 */ el("738", "Measurement Qualifier", ID, 1, 3, O),
        /* MEA03 */ el("739", "Measurement Value", R, 1, 20, O),
        /* MEA04 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* MEA05 */ el("740", "Range Minimum", R, 1, 20, O),
        /* MEA06 */ el("741", "Range Maximum", R, 1, 20, O),
        /* MEA07 */ el("935", "Measurement Significance Code", ID, 2, 2, O),
        /* MEA08 */ el("936", "Measurement Attribute Code", ID, 2, 2, O),
        /* MEA09 */ el("752", "Surface/Layer/Position Code", ID, 2, 2, O),
        /* MEA10 */ el("1373", "Measurement Method or Device", ID, 2, 2, O),
        /* MEA11 */ el("1270", "Code List Qualifier Code", ID, 1, 3, O),
        /* MEA12 */ el("1271", "Industry Code", AN, 1, 30, O),
    ],
};

/// N1 Name.
static N1: SegmentDef = SegmentDef {
    id: "N1",
    name: "Name",
    elements: &[
        /* N101 */ el("98", "Entity Identifier Code", ID, 2, 3, M).with_codes(codes::E98_5010, codes::E98_5010_KEYS),
        /* N102 */ el("93", "Name", AN, 1, 60, O),
        /* N103 */ el("66", "Identification Code Qualifier", ID, 1, 2, O).with_codes(codes::E66_5010, codes::E66_5010_KEYS),
        /* N104 */ el("67", "Identification Code", AN, 2, 80, O),
        /* N105 */ el("706", "Entity Relationship Code", ID, 2, 2, O),
        /* N106 */ el("98", "Entity Identifier Code", ID, 2, 3, O).with_codes(codes::E98_5010, codes::E98_5010_KEYS),
    ],
};

/// N2 Additional Name Information.
static N2: SegmentDef = SegmentDef {
    id: "N2",
    name: "Additional Name Information",
    elements: &[
        /* N201 */ el("93", "Name", AN, 1, 60, M),
        /* N202 */ el("93", "Name", AN, 1, 60, O),
    ],
};

/// N3 Address Information.
static N3: SegmentDef = SegmentDef {
    id: "N3",
    name: "Address Information",
    elements: &[
        /* N301 */ el("166", "Address Information", AN, 1, 55, M),
        /* N302 */ el("166", "Address Information", AN, 1, 55, O),
    ],
};

/// N4 Geographic Location.
static N4: SegmentDef = SegmentDef {
    id: "N4",
    name: "Geographic Location",
    elements: &[
        /* N401 */ el("19", "City Name", AN, 2, 30, O),
        /* N402 */ el("156", "State or Province Code", ID, 2, 2, O),
        /* N403 */ el("116", "Postal Code", ID, 3, 15, O),
        /* N404 */ el("26", "Country Code", ID, 2, 3, O),
        /* N405 */ el("309", "Location Qualifier", ID, 1, 2, O),
        /* N406 */ el("310", "Location Identifier", AN, 1, 30, O),
        /* N407 */ el("1715", "Country Subdivision Code", ID, 1, 3, O),
    ],
};

/// N9 Reference Identification.
static N9: SegmentDef = SegmentDef {
    id: "N9",
    name: "Reference Identification",
    elements: &[
        /* N901 */ el("128", "Reference Identification Qualifier", ID, 2, 3, M).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
        /* N902 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* N903 */ el("369", "Free-form Description", AN, 1, 45, O),
        /* N904 */ el("373", "Date", DT, 8, 8, O),
        /* N905 */ el("337", "Time", TM, 4, 8, O),
        /* N906 */ el("623", "Time Code", ID, 2, 2, O),
        /* N907 */ comp("C040", "Reference Identifier", O, C040),
    ],
};

/// NTE Note/Special Instruction.
static NTE: SegmentDef = SegmentDef {
    id: "NTE",
    name: "Note/Special Instruction",
    elements: &[
        /* NTE01 */ el("363", "Note Reference Code", ID, 3, 3, O),
        /* NTE02 */ el("352", "Description", AN, 1, 80, M),
    ],
};

/// PAD Product Adjustment Detail.
static PAD: SegmentDef = SegmentDef {
    id: "PAD",
    name: "Product Adjustment Detail",
    elements: &[
        /* PAD01 */ el("350", "Assigned Identification", AN, 1, 20, O),
        /* PAD02 */ el("521", "Product Transfer Type Code", ID, 2, 2, O).with_codes(codes::E521_5010, codes::E521_5010_KEYS),
        /* PAD03 */ el("670", "Change or Response Type Code", ID, 2, 2, O).with_codes(codes::E670_5010, codes::E670_5010_KEYS),
        /* PAD04 */ el("648", "Price Multiplier Qualifier", ID, 3, 3, O),
        /* PAD05 */ el("649", "Multiplier", R, 1, 10, O),
    ],
};

/// PER Administrative Communications Contact.
static PER: SegmentDef = SegmentDef {
    id: "PER",
    name: "Administrative Communications Contact",
    elements: &[
        /* PER01 */ el("366", "Contact Function Code", ID, 2, 2, M),
        /* PER02 */ el("93", "Name", AN, 1, 60, O),
        /* PER03 */ el("365", "Communication Number Qualifier", ID, 2, 2, O),
        /* PER04 */ el("364", "Communication Number", AN, 1, 256, O),
        /* PER05 */ el("365", "Communication Number Qualifier", ID, 2, 2, O),
        /* PER06 */ el("364", "Communication Number", AN, 1, 256, O),
        /* PER07 */ el("365", "Communication Number Qualifier", ID, 2, 2, O),
        /* PER08 */ el("364", "Communication Number", AN, 1, 256, O),
        /* PER09 */ el("443", "Contact Inquiry Reference", AN, 1, 20, O),
    ],
};

/// PID Product/Item Description.
static PID: SegmentDef = SegmentDef {
    id: "PID",
    name: "Product/Item Description",
    elements: &[
        /* PID01 */ el("349", "Item Description Type", ID, 1, 1, M),
        /* PID02 */ el("750", "Product/Process Characteristic Code", ID, 2, 3, O),
        /* PID03 */ el("559", "Agency Qualifier Code", ID, 2, 2, O),
        /* PID04 */ el("751", "Product Description Code", AN, 1, 12, O),
        /* PID05 */ el("352", "Description", AN, 1, 80, O),
        /* PID06 */ el("752", "Surface/Layer/Position Code", ID, 2, 2, O),
        /* PID07 */ el("822", "Source Subqualifier", AN, 1, 15, O),
        /* PID08 */ el("1073", "Yes/No Condition or Response Code", ID, 1, 1, O),
        /* PID09 */ el("819", "Language Code", ID, 2, 3, O),
    ],
};

/// PKG Marking, Packaging, Loading.
static PKG: SegmentDef = SegmentDef {
    id: "PKG",
    name: "Marking, Packaging, Loading",
    elements: &[
        /* PKG01 */ el("349", "Item Description Type", ID, 1, 1, O),
        /* PKG02 */ el("753", "Packaging Characteristic Code", ID, 2, 3, O),
        /* PKG03 */ el("559", "Agency Qualifier Code", ID, 2, 2, O),
        /* PKG04 */ el("754", "Packaging Description Code", AN, 1, 7, O),
        /* PKG05 */ el("352", "Description", AN, 1, 80, O),
        /* PKG06 */ el("400", "Unit Load Option Code", ID, 2, 2, O),
    ],
};

/// PO3 Additional Item Detail.
static PO3: SegmentDef = SegmentDef {
    id: "PO3",
    name: "Additional Item Detail",
    elements: &[
        /* PO301 */ el("371", "Change Reason Code", ID, 2, 2, M),
        /* PO302 */ el("373", "Date", DT, 8, 8, O),
        /* PO303 */ el("236", "Price Identifier Code", ID, 3, 3, O).with_codes(codes::E236_5010, codes::E236_5010_KEYS),
        /* PO304 */ el("212", "Unit Price", R, 1, 17, O),
        /* PO305 */ el("639", "Basis of Unit Price Code", ID, 2, 2, O).with_codes(codes::E639_5010, codes::E639_5010_KEYS),
        /* PO306 */ el("380", "Quantity", R, 1, 15, M),
        /* PO307 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, M).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
        /* PO308 */ el("352", "Description", AN, 1, 80, O),
    ],
};

/// PO4 Item Physical Details.
static PO4: SegmentDef = SegmentDef {
    id: "PO4",
    name: "Item Physical Details",
    elements: &[
        /* PO401 */ el("356", "Pack", N(0), 1, 6, O),
        /* PO402 */ el("357", "Size", R, 1, 8, O),
        /* PO403 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
        /* PO404 */ el("103", "Packaging Code", AN, 3, 5, O),
        /* PO405 */ el("187", "Weight Qualifier", ID, 1, 2, O),
        /* PO406 */ el("384", "Gross Weight per Pack", R, 1, 9, O),
        /* PO407 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
        /* PO408 */ el("385", "Gross Volume per Pack", R, 1, 9, O),
        /* PO409 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
        /* PO410 */ el("82", "Length", R, 1, 8, O),
        /* PO411 */ el("189", "Width", R, 1, 8, O),
        /* PO412 */ el("65", "Height", R, 1, 8, O),
        /* PO413 */ el("355", "Unit or Basis for Measurement Code", ID, 2, 2, O).with_codes(codes::E355_5010, codes::E355_5010_KEYS),
        /* PO414 */ el("810", "Inner Pack", N(0), 1, 6, O),
        /* PO415 */ el("752", "Surface/Layer/Position Code", ID, 2, 2, O),
        /* PO416 */ el("350", "Assigned Identification", AN, 1, 20, O),
        /* PO417 */ el("350", "Assigned Identification", AN, 1, 20, O),
        /* PO418 */ el("1470", "Number", N(0), 1, 9, O),
    ],
};

/// PRF Purchase Order Reference.
static PRF: SegmentDef = SegmentDef {
    id: "PRF",
    name: "Purchase Order Reference",
    elements: &[
        /* PRF01 */ el("324", "Purchase Order Number", AN, 1, 22, M),
        /* PRF02 */ el("328", "Release Number", AN, 1, 30, O),
        /* PRF03 */ el("327", "Change Order Sequence Number", AN, 1, 8, O),
        /* PRF04 */ el("373", "Date", DT, 8, 8, O),
        /* PRF05 */ el("350", "Assigned Identification", AN, 1, 20, O),
        /* PRF06 */ el("367", "Contract Number", AN, 1, 30, O),
        /* PRF07 */ el("92", "Purchase Order Type Code", ID, 2, 2, O),
    ],
};

/// PSA Partner Share Accounting.
static PSA: SegmentDef = SegmentDef {
    id: "PSA",
    name: "Partner Share Accounting",
    elements: &[
        /* PSA01 */ el("66", "Identification Code Qualifier", ID, 1, 2, M).with_codes(codes::E66_5010, codes::E66_5010_KEYS),
        /* PSA02 */ el("67", "Identification Code", AN, 2, 80, M),
        /* PSA03 */ el("826", "Owners Share", R, 1, 8, M),
        /* PSA04 */ el("782", "Monetary Amount", R, 1, 18, O),
        /* PSA05 */ el("522", "Amount Qualifier Code", ID, 1, 3, O).with_codes(codes::E522_5010, codes::E522_5010_KEYS),
    ],
};

/// PTD Product Transfer and Resale Detail.
static PTD: SegmentDef = SegmentDef {
    id: "PTD",
    name: "Product Transfer and Resale Detail",
    elements: &[
        /* PTD01 */ el("521", "Product Transfer Type Code", ID, 2, 2, M).with_codes(codes::E521_5010, codes::E521_5010_KEYS),
        /* PTD02 */ el("648", "Price Multiplier Qualifier", ID, 3, 3, O),
        /* PTD03 */ el("649", "Multiplier", R, 1, 10, O),
        /* PTD04 */ el("128", "Reference Identification Qualifier", ID, 2, 3, O).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
        /* PTD05 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* PTD06 */ el("486", "Product Transfer Movement Type Code", ID, 2, 2, O),
    ],
};

/// PWK Paperwork.
static PWK: SegmentDef = SegmentDef {
    id: "PWK",
    name: "Paperwork",
    elements: &[
        /* PWK01 */ el("755", "Report Type Code", ID, 2, 2, M).with_codes(codes::E755_5010, codes::E755_5010_KEYS),
        /* PWK02 */ el("756", "Report Transmission Code", ID, 1, 2, O),
        /* PWK03 */ el("757", "Report Copies Needed", N(0), 1, 2, O),
        /* PWK04 */ el("98", "Entity Identifier Code", ID, 2, 3, O).with_codes(codes::E98_5010, codes::E98_5010_KEYS),
        /* PWK05 */ el("66", "Identification Code Qualifier", ID, 1, 2, O).with_codes(codes::E66_5010, codes::E66_5010_KEYS),
        /* PWK06 */ el("67", "Identification Code", AN, 2, 80, O),
        /* PWK07 */ el("352", "Description", AN, 1, 80, O),
        /* PWK08 */ comp("C002", "Actions Indicated", O, C002),
        /* PWK09 */ el("1525", "Request Category Code", ID, 2, 2, O),
    ],
};

/// QTY Quantity.
static QTY: SegmentDef = SegmentDef {
    id: "QTY",
    name: "Quantity",
    elements: &[
        /* QTY01 */ el("673", "Quantity Qualifier", ID, 2, 2, M).with_codes(codes::E673_5010, codes::E673_5010_KEYS),
        /* QTY02 */ el("380", "Quantity", R, 1, 15, O),
        /* QTY03 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* QTY04 */ el("61", "Free-form Information", AN, 1, 30, O),
    ],
};

/// RCD Receiving Conditions.
static RCD: SegmentDef = SegmentDef {
    id: "RCD",
    name: "Receiving Conditions",
    elements: &[
        /* RCD01 */ el("350", "Assigned Identification", AN, 1, 20, O),
        /* RCD02 */ el("663", "Quantity Units Received or Accepted", R, 1, 9, O),
        /* RCD03 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* RCD04 */ el("664", "Quantity Units Returned", R, 1, 9, O),
        /* RCD05 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* RCD06 */ el("667", "Quantity in Question", R, 1, 9, O),
        /* RCD07 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* RCD08 */ el("412", "Receiving Condition Code", ID, 2, 2, O),
        /* RCD09 */ el("667", "Quantity in Question", R, 1, 9, O),
        /* RCD10 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* RCD11 */ el("412", "Receiving Condition Code", ID, 2, 2, O),
        /* RCD12 */ el("667", "Quantity in Question", R, 1, 9, O),
        /* RCD13 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* RCD14 */ el("412", "Receiving Condition Code", ID, 2, 2, O),
        /* RCD15 */ el("667", "Quantity in Question", R, 1, 9, O),
        /* RCD16 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* RCD17 */ el("412", "Receiving Condition Code", ID, 2, 2, O),
        /* RCD18 */ el("667", "Quantity in Question", R, 1, 9, O),
        /* RCD19 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* RCD20 */ el("412", "Receiving Condition Code", ID, 2, 2, O),
        /* RCD21 */ el("380", "Quantity", R, 1, 15, O),
    ],
};

/// REF Reference Identification.
static REF: SegmentDef = SegmentDef {
    id: "REF",
    name: "Reference Identification",
    elements: &[
        /* REF01 */ el("128", "Reference Identification Qualifier", ID, 2, 3, M).with_codes(codes::E128_5010, codes::E128_5010_KEYS),
        /* REF02 */ el("127", "Reference Identification", AN, 1, 50, O),
        /* REF03 */ el("352", "Description", AN, 1, 80, O),
        /* REF04 */ comp("C040", "Reference Identifier", O, C040),
    ],
};

/// SE Transaction Set Trailer.
static SE: SegmentDef = SegmentDef {
    id: "SE",
    name: "Transaction Set Trailer",
    elements: &[
        /* SE01 */ el("96", "Number of Included Segments", N(0), 1, 10, M),
        /* SE02 */ el("329", "Transaction Set Control Number", AN, 4, 9, M),
    ],
};

/// SHP Shipped/Received Information.
static SHP: SegmentDef = SegmentDef {
    id: "SHP",
    name: "Shipped/Received Information",
    elements: &[
        /* SHP01 */ el("673", "Quantity Qualifier", ID, 2, 2, O).with_codes(codes::E673_5010, codes::E673_5010_KEYS),
        /* SHP02 */ el("380", "Quantity", R, 1, 15, O),
        /* SHP03 */ el("374", "Date/Time Qualifier", ID, 3, 3, O).with_codes(codes::E374_5010, codes::E374_5010_KEYS),
        /* SHP04 */ el("373", "Date", DT, 8, 8, O),
        /* SHP05 */ el("337", "Time", TM, 4, 8, O),
        /* SHP06 */ el("373", "Date", DT, 8, 8, O),
        /* SHP07 */ el("337", "Time", TM, 4, 8, O),
    ],
};

/// SII Sales Item Information.
static SII: SegmentDef = SegmentDef {
    id: "SII",
    name: "Sales Item Information",
    elements: &[
        /* SII01 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, M).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SII02 */ el("234", "Product/Service ID", AN, 1, 48, M),
        /* SII03 */ el("380", "Quantity", R, 1, 15, M),
        /* SII04 */ comp("C001", "Composite Unit of Measure", M, C001),
        /* SII05 */ el("212", "Unit Price", R, 1, 17, O),
        /* SII06 */ el("212", "Unit Price", R, 1, 17, O),
        /* SII07 */ el("782", "Monetary Amount", R, 1, 18, O),
    ],
};

/// SLN Subline Item Detail.
static SLN: SegmentDef = SegmentDef {
    id: "SLN",
    name: "Subline Item Detail",
    elements: &[
        /* SLN01 */ el("350", "Assigned Identification", AN, 1, 20, M),
        /* SLN02 */ el("350", "Assigned Identification", AN, 1, 20, O),
        /* SLN03 */ el("662", "Relationship Code", ID, 1, 1, M),
        /* SLN04 */ el("380", "Quantity", R, 1, 15, O),
        /* SLN05 */ comp("C001", "Composite Unit of Measure", O, C001),
        /* SLN06 */ el("212", "Unit Price", R, 1, 17, O),
        /* SLN07 */ el("639", "Basis of Unit Price Code", ID, 2, 2, O).with_codes(codes::E639_5010, codes::E639_5010_KEYS),
        /* SLN08 */ el("662", "Relationship Code", ID, 1, 1, O),
        /* SLN09 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN10 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN11 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN12 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN13 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN14 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN15 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN16 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN17 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN18 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN19 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN20 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN21 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN22 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN23 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN24 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN25 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN26 */ el("234", "Product/Service ID", AN, 1, 48, O),
        /* SLN27 */ el("235", "Product/Service ID Qualifier", ID, 2, 2, O).with_codes(codes::E235_5010, codes::E235_5010_KEYS),
        /* SLN28 */ el("234", "Product/Service ID", AN, 1, 48, O),
    ],
};

/// SSS Special Services.
static SSS: SegmentDef = SegmentDef {
    id: "SSS",
    name: "Special Services",
    elements: &[
        /* SSS01 */ el("248", "Allowance or Charge Indicator", ID, 1, 1, M),
        /* SSS02 */ el("559", "Agency Qualifier Code", ID, 2, 2, M),
        /* SSS03 */ el("560", "Special Services Code", ID, 2, 5, M),
        /* SSS04 */ el("561", "Service Marks and Numbers", AN, 1, 45, O),
        /* SSS05 */ el("359", "Allowance or Charge Rate", R, 1, 15, O),
        /* SSS06 */ el("610", "Amount", N(2), 1, 15, O),
        /* SSS07 */ el("352", "Description", AN, 1, 80, O),
        /* SSS08 */ el("380", "Quantity", R, 1, 15, O),
        /* SSS09 */ el("822", "Source Subqualifier", AN, 1, 15, O),
    ],
};

/// ST Transaction Set Header.
static ST: SegmentDef = SegmentDef {
    id: "ST",
    name: "Transaction Set Header",
    elements: &[
        /* ST01 */ el("143", "Transaction Set Identifier Code", ID, 3, 3, M).with_codes(codes::E143_5010, codes::E143_5010_KEYS),
        /* ST02 */ el("329", "Transaction Set Control Number", AN, 4, 9, M),
        /* ST03 */ el("1705", "Implementation Convention Reference", AN, 1, 35, O),
    ],
};

/// TA1 Interchange Acknowledgment. Written by hand from x12-chargeback.md (not in the transcription).
static TA1: SegmentDef = SegmentDef {
    id: "TA1",
    name: "Interchange Acknowledgment",
    elements: &[
        /* TA101 */ el("I12", "Interchange Control Number", N(0), 9, 9, M),
        /* TA102 */ el("I08", "Interchange Date", DT, 6, 6, M),
        /* TA103 */ el("I09", "Interchange Time", TM, 4, 4, M),
        /* TA104 */ el("I17", "Interchange Acknowledgment Code", ID, 1, 1, M),
        /* TA105 */ el("I18", "Interchange Note Code", ID, 3, 3, M),
    ],
};

/// UIT Unit Detail.
static UIT: SegmentDef = SegmentDef {
    id: "UIT",
    name: "Unit Detail",
    elements: &[
        /* UIT01 */ comp("C001", "Composite Unit of Measure", M, C001),
        /* UIT02 */ el("212", "Unit Price", R, 1, 17, O),
        /* UIT03 */ el("639", "Basis of Unit Price Code", ID, 2, 2, O).with_codes(codes::E639_5010, codes::E639_5010_KEYS),
    ],
};

/// Every segment of this version, sorted by ID.
pub(super) static SEGMENTS: &[&SegmentDef] = &[
    &AAA, &AK1, &AK2, &AK3, &AK4, &AK5, &AK9, &AMT, &BAA, &BPA,
    &BPT, &BRC, &CON, &CTB, &CTP, &CTT, &CTX, &CUR, &DD, &DTM,
    &FA1, &FA2, &G53, &GE, &GS, &IEA, &IK3, &IK4, &IK5, &ISA,
    &ITA, &ITD, &LCD, &LDT, &LIN, &LM, &LQ, &LX, &MAN, &MEA,
    &N1, &N2, &N3, &N4, &N9, &NTE, &PAD, &PER, &PID, &PKG,
    &PO3, &PO4, &PRF, &PSA, &PTD, &PWK, &QTY, &RCD, &REF, &SE,
    &SHP, &SII, &SLN, &SSS, &ST, &TA1, &UIT,
];

