//! Typed 844/845/849/867 sets through the public API: every sample reads with the values
//! its README describes, writes back segment for segment, and survives
//! read -> to_segments -> envelope -> render -> read, in its own version and in the other.

use std::path::PathBuf;

use proptest::prelude::*;
use rust_decimal::Decimal;
use x12::dict::Version;
use x12::envelope::{Interchange, read_interchanges};
use x12::sets::common::{
    AmountQualifier, ChangeType, DateQualifier, EntityCode, FollowUpAction, PriceBasis, PriceId,
    RefQualifier, RejectReason, YesNo, amount_of, date_of, price_of, ref_value,
};
use x12::sets::{Ts844, Ts845, Ts849, Ts867, TypedSet, read_set};
use x12::stream::{Event, RawSet, SetReader};
use x12::validate::ValidateOptions;
use x12::writer::{DelimiterPolicy, WriteOptions, render_interchange};
use x12::{Delimiters, ReaderOptions};

const SAMPLES: [(&str, Version); 6] = [
    ("844_4010_claim.x12", Version::V004010),
    ("844_5010_ship_and_debit.x12", Version::V005010),
    ("845_4010_contract.x12", Version::V004010),
    ("845_5010_contract_change.x12", Version::V005010),
    ("849_4010_response.x12", Version::V004010),
    ("867_4010_sales.x12", Version::V004010),
];

fn sample(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../samples")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn only_set(data: &[u8]) -> RawSet {
    let mut r = SetReader::new(
        data,
        ReaderOptions::default(),
        ValidateOptions::default(),
        1 << 20,
    );
    let mut sets = Vec::new();
    while let Some(e) = r.next_event().expect("reads") {
        if let Event::Set(s) = e {
            sets.push(s);
        }
    }
    assert_eq!(sets.len(), 1, "one set per sample");
    sets.remove(0)
}

fn typed(name: &str) -> TypedSet {
    read_set(&only_set(&sample(name))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn line_ending(data: &[u8]) -> &'static str {
    if data.windows(3).any(|w| w == b"~\r\n") {
        "\r\n"
    } else if data.windows(2).any(|w| w == b"~\n") {
        "\n"
    } else {
        ""
    }
}

/// The segments of an interchange as text, line endings dropped.
fn segments(data: &[u8], terminator: u8) -> Vec<String> {
    data.split(|&b| b == terminator)
        .map(|s| {
            String::from_utf8_lossy(s)
                .trim_matches(['\r', '\n'])
                .to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The sample's own envelope around `set`, in `version`, rendered with the sample's
/// delimiters (plus a repetition separator for 005010) and line ending.
fn render(name: &str, set: &TypedSet, version: Version) -> Vec<u8> {
    try_render(name, set, version).expect("renders")
}

fn try_render(
    name: &str,
    set: &TypedSet,
    version: Version,
) -> Result<Vec<u8>, x12::writer::WriteError> {
    let data = sample(name);
    let mut read = read_interchanges(&data[..]).expect("envelope");
    let (mut ic, mut delimiters): (Interchange, Delimiters) = read.remove(0);
    ic.header.version = match version {
        Version::V004010 => "00401".into(),
        Version::V005010 => "00501".into(),
    };
    delimiters.repetition = match version {
        Version::V004010 => None,
        Version::V005010 => delimiters.repetition.or(Some(b'^')),
    };
    let group = &mut ic.groups[0];
    group.header.version = version.gs08().into();
    group.sets[0].body = set.to_segments(version);
    let opts = WriteOptions {
        delimiters,
        line_ending: line_ending(&data),
        policy: DelimiterPolicy::Reject,
    };
    render_interchange(&ic, opts)
}

#[test]
fn every_sample_reads_as_its_typed_set() {
    for (name, _) in SAMPLES {
        let set = typed(name);
        assert_eq!(name[..3], *set.id(), "{name}");
    }
}

#[test]
fn claim_4010_has_its_memo_contracts_and_line_three() {
    let TypedSet::Ts844(set) = typed("844_4010_claim.x12") else {
        panic!("844")
    };
    assert_eq!(
        set.claim.debit_memo_number.as_deref(),
        Some("GDD-CB-20261115-0001")
    );
    assert_eq!(set.contracts.len(), 2);
    let lines: Vec<_> = set.lines().map(|(_, l)| l).collect();
    assert_eq!(lines.len(), 6);
    let line3 = lines[2];
    let claimed = amount_of(&line3.amounts, &AmountQualifier::ChargebackClaim).expect("AMT*CC");
    assert_eq!(claimed.to_string(), "120.00");
    assert_eq!(
        price_of(&line3.unit_prices, &PriceBasis::Wholesale),
        Some(dec("65.00"))
    );
    assert_eq!(
        price_of(&line3.unit_prices, &PriceBasis::Contract),
        Some(dec("45.00"))
    );
    assert_eq!(
        ref_value(&line3.refs, &RefQualifier::Invoice),
        Some("INV0098177")
    );
    assert_eq!(
        date_of(&line3.dates, &DateQualifier::Invoice),
        Some(date(2026, 11, 7))
    );
}

#[test]
fn claim_5010_is_ship_and_debit() {
    let TypedSet::Ts844(set) = typed("844_5010_ship_and_debit.x12") else {
        panic!("844")
    };
    assert_eq!(
        set.claim.debit_memo_number.as_deref(),
        Some("ELX-SD-7781203")
    );
    let (con, line) = set.lines().next().expect("a line");
    assert_eq!(
        ref_value(&con.refs, &RefQualifier::PromotionDeal),
        Some("Q4-DESIGNWIN-77")
    );
    assert_eq!(
        amount_of(&line.amounts, &AmountQualifier::ChargebackClaim),
        Some(dec("2750.00"))
    );
}

#[test]
fn contract_change_5010_has_member_and_item_changes() {
    let TypedSet::Ts845(set) = typed("845_5010_contract_change.x12") else {
        panic!("845")
    };
    assert_eq!(
        set.authorization.purpose,
        x12::sets::common::Purpose::Change
    );
    let con = &set.contracts[0];
    let member = &con.eligible_parties[0];
    assert_eq!(member.party.entity, EntityCode::EligibleParty);
    assert_eq!(member.ref_value(&RefQualifier::ChangeReason), Some("D"));
    assert_eq!(
        member.date(&DateQualifier::CustomerExpiration),
        Some(date(2026, 12, 31))
    );
    let pad2 = &con.items[0];
    assert_eq!(pad2.item.line_id.as_deref(), Some("2"));
    assert_eq!(pad2.item.change, Some(ChangeType::PriceChange));
    let ctp = &pad2.prices[0].price;
    assert_eq!(ctp.price_id, Some(PriceId::Contract));
    assert_eq!(
        ctp.unit_price.map(|p| p.to_string()).as_deref(),
        Some("29.00")
    );
    assert_eq!(con.items[1].item.line_id.as_deref(), Some("3"));
    assert_eq!(con.items[1].item.change, Some(ChangeType::Delete));
    assert_eq!(con.items[2].item.line_id.as_deref(), Some("4"));
    assert_eq!(con.items[2].item.change, Some(ChangeType::Add));
}

#[test]
fn contract_4010_lists_eligible_parties_and_prices() {
    let TypedSet::Ts845(set) = typed("845_4010_contract.x12") else {
        panic!("845")
    };
    let con = &set.contracts[0];
    assert_eq!(con.eligible_parties.len(), 4);
    assert_eq!(con.items.len(), 3);
    assert_eq!(set.totals.line_count, 3);
}

#[test]
fn response_line_three_is_adjusted() {
    let TypedSet::Ts849(set) = typed("849_4010_response.x12") else {
        panic!("849")
    };
    let (_, line3) = set.lines().nth(2).expect("line 3");
    let aaa = &line3.validations[0];
    assert_eq!(aaa.valid, YesNo::No);
    assert_eq!(aaa.reject_reason, Some(RejectReason::ContractCostIncorrect));
    assert_eq!(aaa.follow_up, Some(FollowUpAction::NoResubmission));
    assert_eq!(
        price_of(&line3.unit_prices, &PriceBasis::SubmittedContract),
        Some(dec("45.00"))
    );
    assert_eq!(
        amount_of(&line3.amounts, &AmountQualifier::LineItemTotal),
        Some(dec("100.50"))
    );
}

#[test]
fn sales_report_has_three_transfers_and_four_lines() {
    let TypedSet::Ts867(set) = typed("867_4010_sales.x12") else {
        panic!("867")
    };
    assert_eq!(set.transfers.len(), 3);
    assert_eq!(set.transfers[0].contract_number(), Some("SPA-2026-0042"));
    assert_eq!(set.transfers[2].contract_number(), None);
    assert_eq!(set.lines().count(), 4);
    let summary = set.summary.as_ref().expect("CTT");
    assert_eq!(summary.totals.line_count, 4);
    assert_eq!(summary.totals.hash_total, Some(dec("21")));
}

#[test]
fn every_sample_writes_back_segment_for_segment() {
    for (name, version) in SAMPLES {
        let data = sample(name);
        let set = typed(name);
        let out = render(name, &set, version);
        let terminator = only_set(&data).context.delimiters.segment;
        assert_eq!(
            segments(&out, terminator),
            segments(&data, terminator),
            "{name}"
        );
    }
}

#[test]
fn every_sample_round_trips_through_the_envelope() {
    for (name, version) in SAMPLES {
        let set = typed(name);
        let raw = only_set(&render(name, &set, version));
        assert!(raw.is_valid(), "{name}: {:?}", raw.diagnostics);
        assert_eq!(read_set(&raw).expect("reads again"), set, "{name}");
    }
}

#[test]
fn every_sample_converts_to_the_other_version_and_back() {
    for (name, version) in SAMPLES {
        let other = match version {
            Version::V004010 => Version::V005010,
            Version::V005010 => Version::V004010,
        };
        let set = typed(name);
        let converted = only_set(&render(name, &set, other));
        assert_eq!(
            converted.context.group.version,
            Some(other),
            "{name} is written as {other:?}"
        );
        assert!(
            converted.is_valid(),
            "{name} as {other:?}: {:?}",
            converted.diagnostics
        );
        let again = read_set(&converted).expect("reads");
        assert_eq!(again, set, "{name}");
        let back = only_set(&render(name, &again, version));
        assert_eq!(read_set(&back).expect("reads"), set, "{name}");
    }
}

#[test]
fn response_and_sales_report_exist_in_005010() {
    for name in ["849_4010_response.x12", "867_4010_sales.x12"] {
        let set = typed(name);
        let text = render(name, &set, Version::V005010);
        let isa = String::from_utf8_lossy(&text[..106]).into_owned();
        assert!(isa.contains("*^*00501*"), "{isa}");
        let raw = only_set(&text);
        assert_eq!(raw.context.group.version_code, "005010");
        assert!(raw.is_valid(), "{name}: {:?}", raw.diagnostics);
        let again = read_set(&raw).expect("reads");
        assert_eq!(again, set);
        match again {
            TypedSet::Ts849(r) => {
                assert_eq!(Ts849::read(&raw).expect("reads"), r);
                assert_eq!(r.lines().count(), 6);
            }
            TypedSet::Ts867(s) => {
                assert_eq!(Ts867::read(&raw).expect("reads"), s);
                assert_eq!(s.lines().count(), 4);
            }
            other => panic!("unexpected {}", other.id()),
        }
    }
}

#[test]
fn each_reader_refuses_another_set() {
    let raw = only_set(&sample("849_4010_response.x12"));
    let err = Ts844::read(&raw).expect_err("an 849 is not an 844");
    assert_eq!(err.to_diagnostic(&raw).code.label(), "AK502 6");
    assert!(Ts845::read(&raw).is_err());
    assert!(Ts867::read(&raw).is_err());
}

/// Byte range of the transaction set (from ST to the end of SE) in a sample.
fn set_range(data: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(data);
    let st = text.find("\nST").map_or(0, |i| i + 1);
    let se = text.rfind("\nSE").map_or(data.len(), |i| i + 1);
    (st, se)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Damaged sets never panic a reader; when one still reads, writing it and reading it
    /// back gives the same typed value.
    #[test]
    fn damaged_sets_read_or_fail_cleanly_and_round_trip_when_they_read(
        which in 0..SAMPLES.len(),
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(b"*|~>^:0123456789ACDENQSTXYZ .-".to_vec())),
            1..4,
        ),
    ) {
        let (name, _) = SAMPLES[which];
        let mut data = sample(name);
        let (st, se) = set_range(&data);
        for (at, byte) in edits {
            data[st + at.index(se - st)] = byte;
        }
        let mut reader = SetReader::new(
            &data[..],
            ReaderOptions::default(),
            ValidateOptions::default(),
            1 << 20,
        );
        while let Ok(Some(event)) = reader.next_event() {
            let Event::Set(raw) = event else { continue };
            let Ok(set) = read_set(&raw) else { continue };
            let version = raw.context.group.version.unwrap_or(Version::V004010);
            let out = try_render(name, &set, version);
            prop_assert!(out.is_ok(), "{name}: {out:?}");
            let again = only_set(&out.unwrap_or_default());
            prop_assert_eq!(read_set(&again), Ok(set));
        }
    }
}

/// The 844 sample with its line dates sent as DTM05 `D8` + DTM06 instead of DTM02, as X12
/// allows (DTM syntax R020305, P0506).
fn claim_with_period_dates(period: &str) -> Vec<u8> {
    let text = String::from_utf8(sample("844_4010_claim.x12")).expect("ascii");
    assert!(text.contains("DTM*003*20261107~"));
    text.replace("DTM*003*20261107~", &format!("DTM*003****{period}~"))
        .into_bytes()
}

#[test]
fn a_dtm_with_its_date_in_dtm05_d8_reads_and_writes_back_as_sent() {
    let data = claim_with_period_dates("D8*20261107");
    let raw = only_set(&data);
    assert!(raw.is_valid(), "{:?}", raw.diagnostics);
    let set = read_set(&raw).unwrap_or_else(|e| panic!("{e}"));
    let TypedSet::Ts844(claim) = &set else {
        panic!("844")
    };
    let lines: Vec<_> = claim.lines().map(|(_, l)| l).collect();
    assert_eq!(
        date_of(&lines[2].dates, &DateQualifier::Invoice),
        Some(date(2026, 11, 7))
    );
    let out = render("844_4010_claim.x12", &set, Version::V004010);
    assert_eq!(segments(&out, b'~'), segments(&data, b'~'));
}

#[test]
fn a_dtm_whose_d8_date_is_no_date_does_not_read() {
    let raw = only_set(&claim_with_period_dates("D8*20261131"));
    let e = read_set(&raw).expect_err("no such day");
    assert!(e.to_string().contains("20261131"), "{e}");
}

/// DTM05 `RD8` with a DTM06 range in DTM02's stead (R020305) reads as the range: its start
/// the date, its end `end`, written back as sent. It was refused as "DTM02 missing"; a
/// reader wanting one date refuses it itself (partner-maps says why).
#[test]
fn a_dtm_with_a_range_in_dtm05_rd8_reads_as_its_start_and_end() {
    let data = claim_with_period_dates("RD8*20261101-20261107");
    let raw = only_set(&data);
    let set = read_set(&raw).unwrap_or_else(|e| panic!("{e}"));
    let TypedSet::Ts844(claim) = &set else {
        panic!("844")
    };
    let lines: Vec<_> = claim.lines().map(|(_, l)| l).collect();
    let dtm = lines[2]
        .dates
        .iter()
        .find(|d| d.qualifier == DateQualifier::Invoice)
        .expect("the DTM*003");
    assert_eq!(
        (dtm.date, dtm.end),
        (date(2026, 11, 1), Some(date(2026, 11, 7)))
    );
    let out = render("844_4010_claim.x12", &set, Version::V004010);
    assert_eq!(segments(&out, b'~'), segments(&data, b'~'));
    // A range that is none (reversed, or no second date) is refused with its value.
    for bad in ["RD8*20261107-20261101", "RD8*20261101"] {
        let raw = only_set(&claim_with_period_dates(bad));
        let e = read_set(&raw).expect_err("no range");
        assert!(e.to_string().contains(&bad[4..]), "{e}");
    }
}

/// AN trailing spaces are not significant (x12-chargeback 2.5): a contract, memo, invoice,
/// product or customer id padded with spaces reads as the id, so that it matches the
/// contract, claim or line it names; leading spaces stay.
#[test]
fn trailing_spaces_of_a_value_are_not_part_of_it() {
    let text = String::from_utf8(sample("844_4010_claim.x12"))
        .expect("ascii")
        .replace("CON*CT*SPA-2026-0042*VA~", "CON*CT*SPA-2026-0042  *VA~")
        .replace("DB*GDD-CB-20261115-0001~", "DB*GDD-CB-20261115-0001 ~")
        .replace("REF*IV*INV0098177~", "REF*IV*INV0098177   ~")
        .replace(
            "N1*ST*LAKESIDE CLINIC PHARMACY*21*",
            "N1*ST*  LAKESIDE CLINIC PHARMACY *21*",
        );
    let raw = only_set(text.as_bytes());
    assert!(raw.is_valid(), "{:?}", raw.diagnostics);
    let TypedSet::Ts844(set) = read_set(&raw).unwrap_or_else(|e| panic!("{e}")) else {
        panic!("844")
    };
    assert_eq!(
        set.claim.debit_memo_number.as_deref(),
        Some("GDD-CB-20261115-0001")
    );
    let contracts: Vec<&str> = set
        .contracts
        .iter()
        .map(|c| c.contract.contract_number.as_str())
        .collect();
    assert_eq!(contracts, ["SPA-2026-0042", "SPA-2026-0042"]);
    let lines: Vec<_> = set.lines().map(|(_, l)| l).collect();
    assert_eq!(
        ref_value(&lines[2].refs, &RefQualifier::Invoice),
        Some("INV0098177")
    );
    let names: Vec<Option<&str>> = set
        .contracts
        .iter()
        .flat_map(|c| c.parties.iter().map(|p| p.party.name.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            Some("RIVERSIDE COMMUNITY HOSPITAL"),
            Some("  LAKESIDE CLINIC PHARMACY")
        ]
    );
}
