//! Negative paths of `translate`: an unknown partner, a set the profile does not allow and a
//! mapping that finds no value each give a located, readable error and a negative
//! acknowledgment built with `x12::ack` from the translator's reports; never a document with
//! an empty field.

use std::path::{Path, PathBuf};

use partner_maps::map::MapErrorKind;
use partner_maps::translate::{
    PartnerLookup, TranslateOptions, fold_outcome, translate_offline, translate_with,
};
use partner_maps::{Profile, ProfileSet, TranslateError, translate};
use x12::ack::{AckKind, AckParams, Ta1Policy, acknowledge};
use x12::validate::InterchangeReport;
use x12::writer::{WriteOptions, render_interchange};

mod common;

const SHA: &str = "5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a5e1f0c0a";

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

fn profiles() -> ProfileSet {
    ProfileSet::load_dir(profiles_dir()).expect("profiles load")
}

fn sample(id: &str, name: &str) -> String {
    std::fs::read_to_string(profiles_dir().join(id).join("samples").join(name)).expect("sample")
}

fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the sample");
    text.replace(from, to)
}

fn params(kind: AckKind) -> AckParams {
    AckParams {
        kind,
        ta1: Ta1Policy::WhenRequestedOrRejected,
        all_sets: false,
        interchange_control_number: 900,
        group_control_number: 900,
        date: "20261201".to_owned(),
        time: "1200".to_owned(),
    }
}

/// The acknowledgment for a report, one segment per line.
fn ack_text(report: &InterchangeReport, kind: AckKind) -> String {
    let ic = acknowledge(report, &params(kind)).expect("an acknowledgment is owed");
    let opts = WriteOptions {
        line_ending: "",
        ..WriteOptions::default()
    };
    let bytes = render_interchange(&ic, opts).expect("renders");
    String::from_utf8(bytes).expect("ascii")
}

#[test]
fn unknown_partner_fails_every_set_and_rejects_the_interchange_with_ta1_006() {
    let set = profiles();
    let text = edit(
        &sample("gooddrug", "844_4010_claim.x12"),
        "*ZZ*GOODDRUG       *",
        "*ZZ*STRANGER       *",
    );
    let text = edit(&text, "GS*CF*GOODDRUG*", "GS*CF*STRANGER*");
    let mut t = translate(text.as_bytes(), SHA, &set, None);
    let outcomes: Vec<_> = t.by_ref().collect();
    assert_eq!(outcomes.len(), 1);
    let o = &outcomes[0];
    assert!(o.documents().is_empty());
    let Err(
        e @ TranslateError::UnknownPartner {
            isa_id,
            isa_known: false,
            ..
        },
    ) = &o.result
    else {
        panic!("{:?}", o.result)
    };
    assert_eq!(isa_id, "STRANGER");
    assert_eq!(
        e.to_string(),
        "interchange 000005001: unknown partner: no profile for ISA sender ZZ/STRANGER with GS02 STRANGER"
    );
    assert_eq!(o.all_diagnostics()[0].code.label(), "TA105 006");
    let reports = t.take_reports();
    assert_eq!(reports.len(), 1);
    let ack = ack_text(&reports[0], AckKind::Fa997);
    assert!(ack.contains("TA1*000005001*261115*1405*R*006~"), "{ack}");
    assert!(!ack.contains("ST*997"), "nothing is processed: {ack}");
}

#[test]
fn a_known_sender_from_an_unknown_application_id_rejects_its_group() {
    let set = profiles();
    let text = edit(
        &sample("gooddrug", "844_4010_claim.x12"),
        "GS*CF*GOODDRUG*",
        "GS*CF*GOODDRUGX*",
    );
    let mut t = translate(text.as_bytes(), SHA, &set, None);
    let o = t.next().expect("one set");
    assert!(matches!(
        o.result,
        Err(TranslateError::UnknownPartner { ref gs_id, isa_known: true, .. }) if gs_id == "GOODDRUGX"
    ));
    assert_eq!(o.all_diagnostics()[0].code.label(), "AK905 1");
    // Located at the group whose GS02 it is, not at a set's ST.
    let Err(e) = &o.result else { unreachable!() };
    assert_eq!(
        e.to_string(),
        "interchange 000005001, group 5001: unknown partner: no profile for ISA sender \
         ZZ/GOODDRUG with GS02 GOODDRUGX"
    );
    assert!(t.next().is_none());
    let ack = ack_text(&t.take_reports()[0], AckKind::Fa997);
    // The group is rejected: none of its sets is accepted.
    assert!(ack.contains("AK9*R*1*1*0*1~"), "{ack}");
}

#[test]
fn a_partner_asked_for_by_an_id_without_a_profile_fails_every_set() {
    let set = profiles();
    let text = sample("gooddrug", "867_4010_sales.x12");
    let outcomes: Vec<_> = translate(text.as_bytes(), SHA, &set, Some("nobody")).collect();
    assert!(matches!(
        &outcomes[0].result,
        Err(TranslateError::UnknownPartner { requested: Some(id), .. }) if id == "nobody"
    ));
}

#[test]
fn a_set_the_profile_does_not_allow_is_rejected_with_ak5_code_1() {
    // Volta exchanges 844 and 849 only; an 867 from it is not accepted.
    let set = profiles();
    let text = edit(
        &sample("gooddrug", "867_4010_sales.x12"),
        "*ZZ*GOODDRUG       *",
        "*ZZ*VOLTADIST      *",
    );
    let text = edit(&text, "GS*PT*GOODDRUG*", "GS*PT*VOLTADIST*");
    let mut t = translate(text.as_bytes(), SHA, &set, None);
    let o = t.next().expect("one set");
    let Err(
        e @ TranslateError::SetNotAllowed {
            partner, set: st01, ..
        },
    ) = &o.result
    else {
        panic!("{:?}", o.result)
    };
    assert_eq!((partner.as_str(), st01.as_str()), ("voltadist", "867"));
    assert_eq!(
        e.to_string(),
        "interchange 000005002, group 5002, set 0001, segment 1 (ST): set not allowed: profile \"voltadist\" (distributor) does not accept 867 from the partner (x12.allowed_sets, role)"
    );
    assert!(t.next().is_none());
    let ack = ack_text(&t.take_reports()[0], AckKind::Fa997);
    assert!(
        ack.contains("AK1*PT*5002~AK2*867*0001~AK5*R*1~AK9*R*1*1*0~"),
        "{ack}"
    );
}

#[test]
fn a_missing_contract_price_is_a_located_error_and_a_997_with_ak3() {
    // Line 3 sends its contract price on a basis gooddrug's profile does not name.
    let set = profiles();
    let text = edit(
        &sample("gooddrug", "844_4010_claim.x12"),
        "UIT*CA*45.00*CT~",
        "UIT*CA*45.00*SW~",
    );
    let mut t = translate(text.as_bytes(), SHA, &set, None);
    let o = t.next().expect("one set");
    assert!(o.documents().is_empty(), "no document with an empty field");
    let Err(TranslateError::Map(errors)) = &o.result else {
        panic!("{:?}", o.result)
    };
    assert_eq!(errors.len(), 1, "{errors}");
    let e = &errors.0[0];
    assert_eq!(e.field, "contract price");
    assert_eq!(e.profile_key, Some("dialect.contract_price_basis"));
    assert_eq!(e.kind, MapErrorKind::MissingSegment { id: "UIT" });
    assert_eq!(e.location.segment, Some((26, "PAD".to_owned())));
    assert_eq!(
        e.to_string(),
        "interchange 000005001, group 5001, set 0001, segment 26 (PAD): line 3: no contract price: no UIT with basis CT (dialect.contract_price_basis)"
    );
    let d = e.to_diagnostic();
    assert_eq!(d.code.label(), "AK304 3 / IK304 I6");
    assert!(t.next().is_none());
    let ack = ack_text(&t.take_reports()[0], AckKind::Fa997);
    // ISA14 = 1 in the sample: the TA1 accepts the interchange, the 997 rejects the set.
    assert!(ack.contains("TA1*000005001*261115*1405*A*000~"), "{ack}");
    assert!(
        ack.contains("AK1*CF*5001~AK2*844*0001~AK3*UIT*26*PAD*3~AK5*R*5~AK9*R*1*1*0~"),
        "{ack}"
    );
}

#[test]
fn every_missing_value_of_a_set_is_reported_at_once() {
    let set = profiles();
    let text = edit(
        &sample("gooddrug", "844_4010_claim.x12"),
        "REF*IV*INV0098177~",
        "REF*PO*INV0098177~",
    );
    let text = edit(&text, "LIN**N4*12345099901~", "LIN**VN*12345099901~");
    let text = edit(
        &text,
        "N1*ST*LAKESIDE CLINIC PHARMACY*21*1A2B3C4D5~",
        "N1*ST*LAKESIDE CLINIC PHARMACY*92*C-77~",
    );
    let o = translate(text.as_bytes(), SHA, &set, None)
        .next()
        .expect("one set");
    let Err(TranslateError::Map(errors)) = &o.result else {
        panic!("{:?}", o.result)
    };
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        shown,
        [
            "interchange 000005001, group 5001, set 0001, segment 26 (PAD): line 3: no invoice: no REF with REF01 IV; found \"PO\" (dialect.invoice_ref)",
            "interchange 000005001, group 5001, set 0001, segment 35 (N1), element 3: end customer: no id with a qualifier in [\"11\", \"21\"]: N103 \"92\" (dialect.customer_id_priority)",
            "interchange 000005001, group 5001, set 0001, segment 47 (LIN), element 2: line 5: item: LIN qualifiers \"VN\" not in [\"N4\"] (dialect.product_id_priority)",
        ],
        "{shown:#?}"
    );
    let codes: Vec<String> = errors
        .iter()
        .map(|e| e.to_diagnostic().code.label())
        .collect();
    assert_eq!(
        codes,
        [
            "AK304 3 / IK304 I6",
            "AK403 7 / IK403 I6",
            "AK403 7 / IK403 I6"
        ]
    );
}

#[test]
fn a_005010_partner_gets_a_999_with_ik3_and_ctx() {
    // acmepharma wants 999s; its change 845 loses the contract's effective date.
    let set = profiles();
    let text = edit(
        &sample("acmepharma", "845_5010_contract_change.x12"),
        "DTM|092|20261101~\r\n",
        "",
    );
    let text = edit(&text, "SE|28|0001~", "SE|27|0001~");
    let mut t = translate(text.as_bytes(), SHA, &set, None);
    let o = t.next().expect("one set");
    let Err(TranslateError::Map(errors)) = &o.result else {
        panic!("{:?}", o.result)
    };
    assert_eq!(
        errors.to_string(),
        "interchange 000000102, group 102, set 0001, segment 6 (CON): no effective date: no DTM*092 in this CON loop"
    );
    assert!(t.next().is_none());
    let ack = ack_text(&t.take_reports()[0], AckKind::Ia999);
    assert!(
        ack.contains("AK1*PA*102*005010~AK2*845*0001~IK3*DTM*6*CON*I6~IK5*R*I5~AK9*R*1*1*0~"),
        "{ack}"
    );
}

/// A partner-rule failure (a code the standard has but the partner's profile does not use,
/// a value the profile requires) takes the 999's implementation codes (x12-chargeback 8.2),
/// the nearest base codes in a 997; both acknowledgments pass our own validator.
#[test]
fn partner_rule_failures_take_implementation_codes_in_a_999_and_base_codes_in_a_997() {
    let set = profiles();
    let profile = set.get("voltadist").expect("voltadist");
    // A standard qualifier the partner does not use (MG, not in product_id_priority), and no
    // claimed quantity (QTY01 the profile does not read).
    let text = edit(
        &sample("voltadist", "844_5010_ship_and_debit.x12"),
        "LIN**VP*NWS-MCU32F4-LQFP64*BP*VC-884120~",
        "LIN**MG*NWS-MCU32F4-LQFP64~",
    );
    let mut t = translate_with(
        text.as_bytes(),
        SHA,
        PartnerLookup::Profile(profile),
        TranslateOptions::default(),
    );
    let o = t.next().expect("one set");
    let Err(TranslateError::Map(errors)) = &o.result else {
        panic!("{:?}", o.result)
    };
    let labels: Vec<String> = errors.iter().map(|e| e.code().label()).collect();
    assert_eq!(labels, ["AK403 7 / IK403 I6"], "{errors}");
    assert!(t.next().is_none());
    let reports = t.take_reports();
    let ik = ack_text(&reports[0], AckKind::Ia999);
    assert!(
        ik.contains("IK3*LIN*13*PAD*8~CTX*PAD01>1~IK4*2*235*I6*MG~IK5*R*I5~AK9*R*1*1*0~"),
        "{ik}"
    );
    let ak = ack_text(&reports[0], AckKind::Fa997);
    assert!(
        ak.contains("AK3*LIN*13*PAD*8~AK4*2*235*7*MG~AK5*R*5~AK9*R*1*1*0~"),
        "{ak}"
    );
    for text in [ik, ak] {
        let out = x12::validate::validate(
            text.as_bytes(),
            x12::ReaderOptions::default(),
            x12::validate::ValidateOptions::default(),
        );
        assert!(out.is_valid(), "{text}\n{:?}", out.diagnostics);
    }
}

#[test]
fn a_999_names_the_claim_line_in_ctx() {
    let set = profiles();
    let profile = set.get("voltadist").expect("voltadist");
    let text = edit(
        &sample("voltadist", "844_5010_ship_and_debit.x12"),
        "AMT*CC*3240.00~",
        "AMT*N*3240.00~",
    );
    let mut t = translate_with(
        text.as_bytes(),
        SHA,
        PartnerLookup::Profile(profile),
        TranslateOptions {
            file: Some("claim.x12".to_owned()),
            ..TranslateOptions::default()
        },
    );
    let o = t.next().expect("one set");
    let Err(TranslateError::Map(errors)) = &o.result else {
        panic!("{:?}", o.result)
    };
    assert!(
        errors
            .to_string()
            .starts_with("claim.x12: interchange 000007001, group 7001, set 7001, segment 20 (PAD): line 2: no claimed amount"),
        "{errors}"
    );
    assert!(t.next().is_none());
    let ack = ack_text(&t.take_reports()[0], AckKind::Ia999);
    assert!(
        ack.contains("IK3*AMT*20*PAD*I6~CTX*PAD01>2~IK5*R*I5~"),
        "{ack}"
    );
}

#[test]
fn folding_an_outcome_into_a_report_rejects_the_set_once() {
    let set = profiles();
    let text = edit(
        &sample("gooddrug", "844_4010_claim.x12"),
        "AMT*CC*255.25~",
        "AMT*TT*255.25~",
    );
    let mut t = translate(text.as_bytes(), SHA, &set, None);
    let o = t.next().expect("one set");
    assert!(o.rejection.is_some());
    assert!(t.next().is_none());
    let folded = t.take_reports().remove(0);
    assert_eq!(folded.groups[0].sets_accepted, 0);
    // The validator's own report knows nothing of the mapping; folding the outcome into it
    // gives the same rejection.
    let mut plain = x12::validate::validate(
        text.as_bytes(),
        x12::ReaderOptions::default(),
        x12::validate::ValidateOptions::default(),
    )
    .interchanges
    .remove(0);
    assert_eq!(plain.groups[0].sets_accepted, 1);
    fold_outcome(&mut plain, &o);
    assert_eq!(plain, folded);
}

#[test]
fn offline_translation_uses_the_standard_dialect_for_any_sender() {
    let text = sample("acmepharma", "849_4010_response.x12");
    let outcomes: Vec<_> = translate_offline(text.as_bytes(), SHA).collect();
    let docs = outcomes[0].documents();
    assert_eq!(docs.len(), 1, "{:?}", outcomes[0].result);
    assert_eq!(docs[0].source().partner, None);
    assert_eq!(docs[0].doc_type(), "claim_response");
}

#[test]
fn an_acknowledgment_in_the_input_is_not_translated_nor_acknowledged() {
    let set = profiles();
    let ack = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/997_4010_ack_844.x12"),
    )
    .expect("997 sample");
    let mut t = translate(ack.as_bytes(), SHA, &set, None);
    let o = t.next().expect("one set");
    assert!(
        matches!(o.result, Err(TranslateError::NotTranslated { ref set, .. }) if set == "997"),
        "{:?}",
        o.result
    );
    assert!(o.rejection.is_none());
    // Read into its document for the gateway to link to the 844 it answers (6.3 C12).
    let read = o.acknowledgment.as_ref().expect("the 997 read");
    let group = read.group.as_ref().expect("AK1/AK9");
    assert_eq!(
        (
            group.control_number.as_str(),
            group.status,
            group.sets_accepted
        ),
        ("5001", schemas::AckStatus::Accepted, 1)
    );
    assert_eq!(read.kind, schemas::AckKind::Functional);
    assert_eq!(
        read.sets
            .iter()
            .map(|s| (s.set_id.as_str(), s.control_number.as_str(), s.status))
            .collect::<Vec<_>>(),
        [("844", "0001", schemas::AckStatus::Accepted)]
    );
    assert_eq!(read.source.interchange, "000000104");
    assert!(t.next().is_none());
    let report = t.take_reports().remove(0);
    assert!(report.errors.is_empty());
    assert!(acknowledge(&report, &params(AckKind::Fa997)).is_none());
}

/// A 999 rejecting a set (6.3 C13 on the sender's side): IK3 and IK5 R read as sent.
#[test]
fn a_rejecting_999_is_read_with_its_errors() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/999_5010_reject_845.x12"),
    )
    .expect("999 sample");
    let o = translate(text.as_bytes(), SHA, &profiles(), None)
        .next()
        .expect("one set");
    assert!(matches!(
        o.result,
        Err(TranslateError::NotTranslated { .. })
    ));
    let read = o.acknowledgment.expect("the 999 read");
    assert_eq!(read.kind, schemas::AckKind::Implementation);
    let group = read.group.expect("AK1/AK9");
    assert_eq!(
        (group.control_number.as_str(), group.version.as_deref()),
        ("102", Some("005010"))
    );
    assert_eq!(
        (group.status, group.sets_accepted),
        (schemas::AckStatus::Rejected, 0)
    );
    let set = &read.sets[0];
    assert_eq!(
        (set.set_id.as_str(), set.status, set.error_codes.clone()),
        ("845", schemas::AckStatus::Rejected, vec!["5".to_owned()])
    );
    let segment = &set.segment_errors[0];
    assert_eq!(
        (
            segment.segment_id.as_str(),
            segment.position,
            segment.loop_id.as_deref(),
            segment.code.as_deref()
        ),
        ("REF", 10, Some("N1"), Some("I4"))
    );
}

#[test]
fn a_response_line_without_a_claimed_quantity_still_maps() {
    let set = profiles();
    let text = edit(
        &sample("acmepharma", "849_4010_response.x12"),
        "QTY*39*10*CA~",
        "QTY*QA*10*CA~",
    );
    let o = translate(text.as_bytes(), SHA, &set, None)
        .next()
        .expect("one set");
    let [schemas::Document::ClaimResponse(r)] = o.documents() else {
        panic!("{:?}", o.result)
    };
    let line = &r.lines[0];
    assert_eq!((line.quantity, line.uom.as_deref()), (None, Some("CA")));
    assert_eq!(
        line.approved_quantity,
        Some(rust_decimal::Decimal::new(10, 0))
    );
}

/// A line rejected in full may say so with `QTY*QC` (disapproved) for its whole quantity and
/// no approved AMT (x12-chargeback 6.1: "rejected: AAA*N + reason; approved 0 or QTY*QC =
/// the full qty"): it maps as rejected, approved 0. A partial QC, or no AAA*N, still needs
/// the approved AMT.
#[test]
fn a_line_disapproved_in_full_by_qty_qc_is_rejected_without_an_approved_amount() {
    let set = profiles();
    let text = sample("acmepharma", "849_4010_response.x12");
    // Line 5 (AAA*N**03*N, 3 CA claimed, AMT*1*0.00): QC for the 3 instead of the AMT*1.
    let line5 = "QTY*39*3*CA~\nAMT*CC*6.00~\nAMT*1*0.00~";
    assert!(text.contains(line5));
    let rejected = edit(&text, line5, "QTY*39*3*CA~\nQTY*QC*3*CA~\nAMT*CC*6.00~");
    let o = translate(rejected.as_bytes(), SHA, &set, None)
        .next()
        .expect("one set");
    let [schemas::Document::ClaimResponse(r)] = o.documents() else {
        panic!("{:?}", o.result)
    };
    let line = &r.lines[4];
    assert_eq!(line.line, "5");
    assert_eq!(line.status, schemas::LineStatus::Rejected);
    assert_eq!(line.approved_amount, rust_decimal::Decimal::ZERO);
    assert_eq!(line.reason_code.as_deref(), Some("03"));
    // Disapproved in part only: the approved amount is still wanted.
    let partial = edit(&text, line5, "QTY*39*3*CA~\nQTY*QC*2*CA~\nAMT*CC*6.00~");
    let o = translate(partial.as_bytes(), SHA, &set, None)
        .next()
        .expect("one set");
    let e = o.result.expect_err("no approved amount");
    assert!(format!("{e:?}").contains("no approved amount"), "{e:?}");
}

/// ACME's TA1 rejecting our interchange 000000777 (x12-chargeback 8.3): an interchange with no
/// group, ISA14 = 1. No set, yet it comes out as an outcome of its own with the TA1 read into
/// its document, not translated and, being an acknowledgment, not acknowledged (no TA1 back,
/// no 997).
const TA1_INTERCHANGE: &str = "ISA*00*          *00*          *ZZ*ACMEPHARMA     *ZZ*GOODDRUG       *261203*0900*U*00401*000000601*1*P*>~\nTA1*000000777*261202*1200*R*022~\nIEA*0*000000601~\n";

#[test]
fn a_ta1_outside_any_group_is_read_into_its_document_and_not_acknowledged() {
    let set = profiles();
    let mut t = translate(TA1_INTERCHANGE.as_bytes(), SHA, &set, None);
    let o = t.next().expect("the TA1's outcome");
    assert_eq!(
        (o.set_id.as_str(), o.group.as_str(), o.set.as_str()),
        ("TA1", "", "TA1")
    );
    assert!(
        matches!(o.result, Err(TranslateError::NotTranslated { ref set, .. }) if set == "TA1"),
        "{:?}",
        o.result
    );
    assert!(o.rejection.is_none());
    let read = o.acknowledgment.as_ref().expect("the TA1 read");
    assert_eq!(read.kind, schemas::AckKind::Interchange);
    assert!(read.group.is_none() && read.sets.is_empty());
    let ta1 = read.interchange.as_ref().expect("TA1 fields");
    assert_eq!(ta1.control_number, "000000777");
    assert_eq!(
        ta1.date,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")
    );
    assert_eq!(ta1.time, "1200");
    assert_eq!(ta1.status, schemas::AckStatus::Rejected);
    assert_eq!(ta1.note_code, "022");
    assert_eq!(read.source.interchange, "000000601");
    assert_eq!(read.source.file, SHA);
    assert!(t.next().is_none());
    let report = t.take_reports().remove(0);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.ta1_received, 1);
    assert!(
        acknowledge(&report, &params(AckKind::Fa997)).is_none(),
        "an acknowledgment is never acknowledged"
    );
}

/// Two TA1s in one interchange give two outcomes (`TA1-1`, `TA1-2`); one whose TA104 is not a
/// code, or whose TA102 is no date, gives an outcome without a document.
#[test]
fn several_ta1s_each_give_an_outcome_and_unreadable_ones_no_document() {
    let text = "ISA*00*          *00*          *ZZ*ACMEPHARMA     *ZZ*GOODDRUG       *261203*0900*U*00401*000000602*0*P*>~\nTA1*000000777*261202*1200*A*000~\nTA1*000000778*261302*1200*Q*000~\nIEA*0*000000602~\n";
    let set = profiles();
    let outcomes: Vec<_> = translate(text.as_bytes(), SHA, &set, None).collect();
    let got: Vec<(String, Option<String>)> = outcomes
        .iter()
        .map(|o| {
            (
                o.set.clone(),
                o.acknowledgment
                    .as_ref()
                    .and_then(|a| a.interchange.as_ref())
                    .map(|i| i.control_number.clone()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("TA1-1".to_owned(), Some("000000777".to_owned())),
            ("TA1-2".to_owned(), None)
        ]
    );
}

#[test]
fn mapping_on_a_second_thread_gives_the_same_outcomes_and_reports_as_one_thread() {
    // Big enough for several rounds, each mapped on the second thread; with sets that fail
    // validation (a bad date), typed reading or mapping (an unknown product qualifier), so
    // failures are folded into reports across round boundaries.
    let mut data = Vec::new();
    x12::generate::corpus(x12::generate::SetKind::Sales867, 3 << 20, 7, &mut data)
        .expect("writing to a Vec");
    let data = x12::generate::corrupt_every(&data, b"DTM*003*2025", b"DTM*003*2025X", 41);
    let data = x12::generate::corrupt_every(&data, b"LIN**N4*", b"LIN**ZZ*", 53);
    let profile = partner_maps::Profile::default_for_unknown("bench");
    let run = |parallel: bool| {
        let options = TranslateOptions {
            parallel,
            ..TranslateOptions::default()
        };
        let mut t = translate_with(&data[..], SHA, PartnerLookup::Profile(&profile), options);
        let outcomes: Vec<String> = t.by_ref().map(|o| format!("{o:?}")).collect();
        let reports = format!("{:?}", t.take_reports());
        (outcomes, reports)
    };
    let (one, one_reports) = run(false);
    let (two, two_reports) = run(true);
    let failed = |outcomes: &[String], what: &str| {
        outcomes
            .iter()
            .filter(|o| o.contains("result: Err") && o.contains(what))
            .count()
    };
    assert!(one.len() > 2000, "{} sets", one.len());
    assert!(failed(&one, "Invalid") > 10, "validation failures");
    assert!(
        failed(&one, "Map(") + failed(&one, "Read {") > 10,
        "mapping failures"
    );
    assert_eq!(one.len(), two.len());
    for (n, (a, b)) in one.iter().zip(&two).enumerate() {
        assert_eq!(a, b, "outcome {n} differs");
    }
    assert!(one_reports.contains("sets_accepted"));
    assert_eq!(one_reports, two_reports);
}

#[test]
fn translations_at_once_share_the_worker_and_each_gets_its_own_outcomes() {
    // The worker thread is the process's: several translations running at once (and one
    // dropped half read, whose rounds left with the worker are cancelled) must each get
    // exactly what they get on one thread.
    let inputs: Vec<Vec<u8>> = (0..3u64)
        .map(|seed| {
            let mut data = Vec::new();
            x12::generate::corpus(x12::generate::SetKind::Sales867, 1 << 20, seed, &mut data)
                .expect("writing to a Vec");
            x12::generate::corrupt_every(&data, b"LIN**N4*", b"LIN**ZZ*", 37 + seed as usize)
        })
        .collect();
    let profile = partner_maps::Profile::default_for_unknown("bench");
    let run = |data: &[u8], parallel: bool| {
        let options = TranslateOptions {
            parallel,
            ..TranslateOptions::default()
        };
        let mut t = translate_with(data, SHA, PartnerLookup::Profile(&profile), options);
        let outcomes: Vec<String> = t.by_ref().map(|o| format!("{o:?}")).collect();
        (outcomes, format!("{:?}", t.take_reports()))
    };
    let alone: Vec<_> = inputs.iter().map(|d| run(d, false)).collect();
    let together: Vec<_> = std::thread::scope(|s| {
        let dropped = s.spawn(|| {
            let options = TranslateOptions::default();
            let mut t = translate_with(
                &inputs[0][..],
                SHA,
                PartnerLookup::Profile(&profile),
                options,
            );
            // A few rounds in flight, then the translation goes away.
            t.by_ref().take(300).count()
        });
        let running: Vec<_> = inputs
            .iter()
            .map(|d| s.spawn(move || run(d, true)))
            .collect();
        assert_eq!(dropped.join().expect("no panic"), 300);
        running
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    for (n, (a, b)) in alone.iter().zip(&together).enumerate() {
        assert!(a.0.len() > 500, "input {n}: {} sets", a.0.len());
        assert!(
            a.0.iter().any(|o| o.contains("result: Err")),
            "input {n} has failing sets"
        );
        assert_eq!(a, b, "input {n} differs when translated beside the others");
    }
    // And the worker still serves a translation after all that.
    assert_eq!(run(&inputs[1], true), alone[1]);
}

#[test]
fn a_rejection_goes_to_the_group_the_set_came_in_when_a_gs06_repeats() {
    // Two groups with the same GS06 (the validator rejects the second for it): the set that
    // fails mapping is the second group's, and so is its rejection.
    let text = sample("gooddrug", "844_4010_claim.x12");
    let gs = text.find("GS*").expect("GS");
    let iea = text.find("IEA*").expect("IEA");
    let group = &text[gs..iea];
    let failing = edit(group, "AMT*CC*255.25~", "AMT*TT*255.25~");
    let text = format!(
        "{}{group}{failing}{}",
        &text[..gs],
        edit(&text[iea..], "IEA*1*", "IEA*2*")
    );
    let set = profiles();
    let mut t = translate(text.as_bytes(), SHA, &set, None);
    let outcomes: Vec<_> = t.by_ref().collect();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0].result.is_ok(), "{:?}", outcomes[0].result);
    assert!(outcomes[1].rejection.is_some(), "{:?}", outcomes[1].result);
    let report = t.take_reports().remove(0);
    let (first, second) = (&report.groups[0], &report.groups[1]);
    assert_eq!(first.control_number, second.control_number);
    // This partner's acknowledgments list every set, accepted or not.
    assert_eq!(first.sets_accepted, 1, "{first:?}");
    assert!(first.sets.iter().all(|s| s.accepted()), "{first:?}");
    assert_eq!(second.sets_accepted, 0, "{second:?}");
    assert_eq!(second.sets.len(), 1, "{second:?}");
    assert!(!second.sets[0].accepted() && second.sets[0].offset > second.offset);
}

#[test]
fn a_partner_that_sends_867_lines_lin_first_gets_them_translated_as_if_qty_came_first() {
    // Care Supply's profile says `lenient_867_line_order = true`: the checks inside the set
    // take LIN before QTY, and the documents are those of the lines in the standard order.
    let set = profiles();
    let standard = sample("caresupply", "867_5010_tracing.x12");
    let swapped = x12::generate::lin_before_qty(&standard);
    assert_ne!(swapped, standard);
    let docs = |text: &str| -> Vec<String> {
        let mut t = translate(text.as_bytes(), SHA, &set, None);
        let outcomes: Vec<_> = t.by_ref().collect();
        assert!(t.take_reports().iter().all(|r| r.errors.is_empty()));
        outcomes
            .iter()
            .map(|o| {
                assert!(o.diagnostics.is_empty(), "{:?}", o.diagnostics);
                format!("{:?}", o.result.as_ref().expect("translates"))
            })
            .collect()
    };
    assert_eq!(docs(&swapped), docs(&standard));

    // Good Drug's 867 lines start with QTY, as the standard says: LIN first is rejected.
    let strict = x12::generate::lin_before_qty(&sample("gooddrug", "867_4010_sales.x12"));
    let mut t = translate(strict.as_bytes(), SHA, &set, None);
    let outcomes: Vec<_> = t.by_ref().collect();
    assert_eq!(outcomes.len(), 1);
    assert!(
        matches!(outcomes[0].result, Err(TranslateError::Invalid { .. })),
        "{:?}",
        outcomes[0].result
    );
    let report = t.take_reports().remove(0);
    assert!(ack_text(&report, AckKind::Fa997).contains("AK5*R"));
}

#[test]
fn envelope_rejections_turn_the_sets_of_rejected_envelopes_into_errors() {
    use partner_maps::translate::envelope_rejections;
    use x12::diagnostic::{Code, GroupError, Ta1Note};
    let outcomes = |text: &str| {
        let rejected = envelope_rejections(text.as_bytes(), x12::ReaderOptions::default());
        let set = profiles();
        let mut all: Vec<_> = translate(text.as_bytes(), SHA, &set, None).collect();
        for o in &mut all {
            rejected.apply(o, Some("f.x12"));
        }
        (rejected.is_empty(), all)
    };
    let claim = sample("gooddrug", "844_4010_claim.x12");
    let (clean, all) = outcomes(&claim);
    assert!(clean);
    assert!(all[0].result.is_ok());

    // IEA02 not the ISA13: the interchange is rejected, its set with it.
    let iea = &claim[claim.find("IEA*").expect("IEA")..];
    let (clean, all) = outcomes(&edit(&claim, iea.trim_end(), "IEA*1*999999999~"));
    assert!(!clean);
    match &all[0].result {
        Err(e @ TranslateError::EnvelopeRejected { code, location }) => {
            assert_eq!(*code, Code::Interchange(Ta1Note::ControlNumberMismatch));
            assert_eq!(location.file.as_deref(), Some("f.x12"));
            assert!(e.to_string().contains("interchange is rejected"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(all[0].documents().is_empty());

    // A GS date that is no date: the group is rejected (AK9 R), so nothing of it is taken.
    let gs04 = claim.find("GS*").expect("GS");
    let gs_line = &claim[gs04..gs04 + claim[gs04..].find('~').expect("GS ends")];
    let mut fields: Vec<&str> = gs_line.split('*').collect();
    fields[4] = "20261341";
    let (clean, all) = outcomes(&edit(&claim, gs_line, &fields.join("*")));
    assert!(!clean);
    assert!(
        matches!(
            all[0].result,
            Err(TranslateError::EnvelopeRejected {
                code: Code::Group(_),
                ..
            })
        ),
        "{:?}",
        all[0].result
    );

    // Two groups with one GS06: the second group is rejected, the first goes through.
    let gs = claim.find("GS*").expect("GS");
    let iea_at = claim.find("IEA*").expect("IEA");
    let group = &claim[gs..iea_at];
    let two = format!(
        "{}{group}{group}{}",
        &claim[..gs],
        edit(&claim[iea_at..], "IEA*1*", "IEA*2*")
    );
    // And a TA1 alone in the next interchange: not in that rejected group.
    let ta1 = "ISA*00*          *00*          *ZZ*GOODDRUG       *ZZ*ACMEPHARMA     *261203*0900*U*00401*000000601*0*P*>~\nTA1*000000100*261201*1200*A*000~\nIEA*0*000000601~\n";
    let (_, all) = outcomes(&format!("{two}{ta1}"));
    assert_eq!(all.len(), 3);
    assert!(all[2].acknowledgment.is_some(), "{:?}", all[2].result);
    assert!(all[0].result.is_ok(), "{:?}", all[0].result);
    assert!(
        matches!(
            all[1].result,
            Err(TranslateError::EnvelopeRejected {
                code: Code::Group(GroupError::ControlNumberNotUnique),
                ..
            })
        ),
        "{:?}",
        all[1].result
    );
}

#[test]
fn a_set_that_fails_names_what_ops_search_it_by() {
    // A claim whose mapping fails still says its debit memo, invoices and contracts, as
    // sent; a claim that maps leaves them to its documents.
    let set = profiles();
    let claim = sample("gooddrug", "844_4010_claim.x12");
    let failing = edit(&claim, "UIT*CA*45.00*CT~", "UIT*CA*45.00*SW~");
    let o = translate(failing.as_bytes(), SHA, &set, None)
        .next()
        .expect("one set");
    assert!(o.result.is_err());
    assert_eq!(o.keys.debit_memo.as_deref(), Some("GDD-CB-20261115-0001"));
    assert!(!o.keys.invoices.is_empty(), "{:?}", o.keys);
    assert!(
        o.keys
            .invoices
            .iter()
            .all(|i| claim.contains(&format!("REF*IV*{i}~"))),
        "{:?}",
        o.keys
    );
    assert!(
        o.keys
            .contracts
            .iter()
            .all(|c| claim.contains(&format!("CON*CT*{c}*"))),
        "{:?}",
        o.keys
    );
    assert!(!o.keys.contracts.is_empty());
    let ok = translate(claim.as_bytes(), SHA, &set, None)
        .next()
        .expect("one set");
    assert!(ok.result.is_ok());
    assert_eq!(ok.keys, partner_maps::translate::SetKeys::default());
}

#[test]
fn a_partner_that_marks_returns_by_transfer_type_gets_them_as_negative_lines() {
    // GOOD DRUG, told that PTD01/PAD02 RV is a return (x12-chargeback 5: "returns as a
    // negative qty or PAD02 RV/BN (partner)").
    let text = std::fs::read_to_string(profiles_dir().join("gooddrug.toml")).expect("profile");
    let text = edit(
        &text,
        "quantity_qualifier = [\"39\"]",
        "quantity_qualifier = [\"39\"]\nreturn_transfer_types = [\"RV\"]",
    );
    let profile =
        partner_maps::Profile::from_toml_str(&text, "gooddrug.toml").expect("profile loads");
    let set = ProfileSet::from_profiles([profile]).expect("one profile");
    let numbers = |doc: &schemas::Document| -> Vec<(String, String)> {
        let v = serde_json::to_value(doc).expect("json");
        let amount = |l: &serde_json::Value| {
            l.get("claimed_amount")
                .or(l.get("amount"))
                .map(|a| a.as_str().unwrap_or("").to_owned())
                .unwrap_or_default()
        };
        v["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| (l["quantity"].as_str().unwrap_or("").to_owned(), amount(l)))
            .collect()
    };

    // The first transfer of the 867 is a return: its two lines go negative, the rest stay.
    let sales = sample("gooddrug", "867_4010_sales.x12").replacen(
        "PTD*SS***CT*SPA-2026-0042~",
        "PTD*RV***CT*SPA-2026-0042~",
        1,
    );
    let o = translate(sales.as_bytes(), SHA, &set, None)
        .next()
        .expect("one set");
    let docs = o.documents();
    let lines = numbers(&docs[0]);
    assert_eq!(lines[0], ("-10".into(), "-62.50".into()), "{lines:?}");
    assert_eq!(lines[1], ("-4".into(), "-48.00".into()), "{lines:?}");
    assert!(!lines[2].0.starts_with('-'), "{lines:?}");

    // An 844 line with PAD02 RV claims a return.
    let claim = edit(
        &sample("gooddrug", "844_4010_claim.x12"),
        "PAD*4~",
        "PAD*4*RV~",
    );
    let o = translate(claim.as_bytes(), SHA, &set, None)
        .next()
        .expect("one set");
    let docs = o.documents();
    let lines = numbers(&docs[0]);
    assert!(
        lines[3].0.starts_with('-') && lines[3].1.starts_with('-'),
        "{lines:?}"
    );
    assert!(!lines[0].0.starts_with('-'), "{lines:?}");
}

/// An 849 may give the whole claim several reasons (heading AAA, O10): the first decides,
/// the others are kept as the lines keep theirs, and rendered back in order.
#[test]
fn every_heading_aaa_of_an_849_is_kept() {
    let text = sample("acmepharma", "849_4010_response.x12");
    let text = edit(&text, "REF*CM*", "AAA*N**11*N~\nAAA*N**33*C~\nREF*CM*");
    let text = edit(&text, "SE*72*0001~", "SE*74*0001~");
    let set = profiles();
    let outcomes: Vec<_> = translate(text.as_bytes(), SHA, &set, None).collect();
    let docs = outcomes[0].documents();
    let Some(schemas::Document::ClaimResponse(r)) = docs.first() else {
        panic!("{:?}", outcomes[0].result)
    };
    assert_eq!(r.reason_code.as_deref(), Some("11"));
    let more: Vec<_> = r
        .more_reasons
        .iter()
        .map(|m| (m.reason_code.as_deref(), m.follow_up.map(|f| f.code())))
        .collect();
    assert_eq!(more, [(Some("33"), Some("C"))]);

    let gooddrug = set.get("gooddrug").expect("gooddrug");
    let envelope = common::envelope(100);
    let bytes = partner_maps::render::render_to_bytes(
        &[docs[0].clone()],
        gooddrug,
        &partner_maps::render::Identity::new("ZZ", "ACMEPHARMA"),
        &envelope,
    )
    .expect("renders");
    let out = String::from_utf8(bytes).expect("ascii");
    assert!(out.contains("AAA*N**11*N~\nAAA*N**33*C~"), "{out}");
}

/// An 849 may answer at contract level (CON loop AAA, O10): a line under that CON with no
/// AAA of its own takes the contract's reason and follow-up (and its further reasons); a line
/// with its own AAA keeps it. The contract's AAA was dropped without a word before.
#[test]
fn a_contract_level_aaa_answers_the_lines_without_their_own() {
    let text = sample("acmepharma", "849_4010_response.x12");
    // The second CON loop (lines 4 to 6) says "33, correct and resubmit", then "06".
    let second_con = text
        .match_indices("CON*CT*SPA-2026-0042*VA~")
        .nth(1)
        .expect("a second CON")
        .0;
    let at = second_con + "CON*CT*SPA-2026-0042*VA~".len();
    let text = format!("{}\nAAA*N**33*C~\nAAA*N**06*N~{}", &text[..at], &text[at..]);
    let text = edit(&text, "SE*72*0001~", "SE*74*0001~");
    let set = profiles();
    let outcomes: Vec<_> = translate(text.as_bytes(), SHA, &set, None).collect();
    let docs = outcomes[0].documents();
    let Some(schemas::Document::ClaimResponse(r)) = docs.first() else {
        panic!("{:?}", outcomes[0].result)
    };
    let reasons: Vec<_> = r
        .lines
        .iter()
        .map(|l| {
            (
                l.line.as_str(),
                l.reason_code.as_deref(),
                l.follow_up.map(|f| f.code()),
                l.more_reasons.len(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("1", None, None, 0),
            ("2", None, None, 0),
            ("3", Some("06"), Some("N"), 0),
            // No AAA of its own: the contract's two.
            ("4", Some("33"), Some("C"), 1),
            ("5", Some("03"), Some("N"), 0),
            ("6", Some("19"), Some("C"), 0),
        ]
    );
    assert_eq!(
        r.lines[3].more_reasons[0].reason_code.as_deref(),
        Some("06")
    );
}

/// A CON loop with an AAA and no PAD loop answers its whole contract: it becomes a contract
/// answer (contract, echoed end customer, status from AAA01, reason, follow-up, further
/// reasons) instead of vanishing; a CON loop with neither PAD loops nor an AAA is accepted as
/// a line with no AAA is, and a header-only 849 keeps its heading reason with no lines.
#[test]
fn a_con_loop_without_pad_lines_is_a_contract_answer() {
    let set = profiles();
    let first = |text: &str| -> schemas::ClaimResponse {
        let outcomes: Vec<_> = translate(text.as_bytes(), SHA, &set, None).collect();
        match outcomes[0].documents().first() {
            Some(schemas::Document::ClaimResponse(r)) => r.clone(),
            _ => panic!("{:?}", outcomes[0].result),
        }
    };
    let text = sample("acmepharma", "849_4010_contract_answer.x12");
    let r = first(&text);
    let lines: Vec<&str> = r.lines.iter().map(|l| l.line.as_str()).collect();
    assert_eq!(lines, ["1", "2", "3"]);
    assert_eq!(r.contracts.len(), 1, "{:?}", r.contracts);
    let c = &r.contracts[0];
    assert_eq!(c.contract_id, "SPA-2026-0042");
    assert_eq!(
        c.end_customer.as_ref().map(|p| p.id.as_str()),
        Some("1A2B3C4D5")
    );
    assert_eq!(c.status, schemas::LineStatus::Rejected);
    assert_eq!(c.reason_code.as_deref(), Some("26"));
    assert_eq!(c.follow_up, Some(schemas::FollowUp::NoResubmission));
    assert!(c.more_reasons.is_empty());

    // AAA*Y with a second AAA: accepted, the second kept as a further reason.
    let yes = edit(&text, "AAA*N**26*N~", "AAA*Y~\nAAA*N**33*C~");
    let yes = edit(&yes, "SE*44*0001~", "SE*45*0001~");
    let c = first(&yes).contracts[0].clone();
    assert_eq!(
        (c.status, c.reason_code, c.more_reasons.len()),
        (schemas::LineStatus::Accepted, None, 1)
    );
    // Neither PAD loops nor an AAA: accepted with no reason.
    let bare = edit(&text, "AAA*N**26*N~\n", "");
    let bare = edit(&bare, "SE*44*0001~", "SE*43*0001~");
    let c = first(&bare).contracts[0].clone();
    assert_eq!(
        (c.status, c.reason_code, c.follow_up),
        (schemas::LineStatus::Accepted, None, None)
    );

    // The sample 849 (every CON loop has lines) has no contract answer.
    assert!(
        first(&sample("acmepharma", "849_4010_response.x12"))
            .contracts
            .is_empty()
    );
    // Header-only: no lines, no contract answers, the heading reason for the whole claim.
    let r = first(&sample("acmepharma", "849_4010_header_only.x12"));
    assert!(r.lines.is_empty() && r.contracts.is_empty());
    assert_eq!(
        (r.reason_code.as_deref(), r.follow_up),
        (Some("11"), Some(schemas::FollowUp::NoResubmission))
    );
    assert_eq!(
        (r.total_claimed.to_string(), r.total_approved.to_string()),
        ("255.25".to_owned(), "0.00".to_owned())
    );
}

/// A contract answer has no amounts: rendering one `adjusted` is refused (it would come back
/// `rejected`), and an accepted one is written as an explicit `AAA*Y` in its CON loop.
#[test]
fn a_contract_answer_renders_as_a_con_loop_with_its_aaa() {
    let set = profiles();
    let text = sample("acmepharma", "849_4010_contract_answer.x12");
    let outcomes: Vec<_> = translate(text.as_bytes(), SHA, &set, None).collect();
    let Some(schemas::Document::ClaimResponse(r)) = outcomes[0].documents().first().cloned() else {
        panic!("{:?}", outcomes[0].result)
    };
    let acme = set.get("acmepharma").expect("acmepharma");
    let envelope = common::envelope(100);
    let identity = partner_maps::render::Identity::new("ZZ", "CHARGEGATE");
    let render = |r: schemas::ClaimResponse| {
        partner_maps::render::render_to_bytes(
            &[schemas::Document::ClaimResponse(r)],
            acme,
            &identity,
            &envelope,
        )
    };
    let mut accepted = r.clone();
    accepted.contracts[0].status = schemas::LineStatus::Accepted;
    accepted.contracts[0].reason_code = None;
    accepted.contracts[0].follow_up = None;
    let out = String::from_utf8(render(accepted).expect("renders"))
        .expect("ascii")
        .replace('\n', "");
    assert!(out.contains("CON*CT*SPA-2026-0042*VA~AAA*Y~"), "{out}");
    assert!(!out.contains("PAD*4"), "{out}");
    let mut adjusted = r;
    adjusted.contracts[0].status = schemas::LineStatus::Adjusted;
    let err = render(adjusted).expect_err("an adjusted contract answer is refused");
    assert!(err.to_string().contains("contract answer amounts"), "{err}");
}

/// The one document of `text` with its partner's profile, or the set's errors.
fn only_outcome(text: &str) -> Result<schemas::Document, String> {
    let set = profiles();
    let outcomes: Vec<_> = translate(text.as_bytes(), SHA, &set, None).collect();
    assert_eq!(outcomes.len(), 1);
    match &outcomes[0].result {
        Ok(docs) if docs.len() == 1 => Ok(docs[0].clone()),
        Ok(docs) => panic!("{docs:?}"),
        Err(e) => Err(e.to_string()),
    }
}

/// DTM05 `RD8` with its range in DTM06 instead of a DTM02 (R020305) is a period: where a
/// period is read (an 867's report period, an 845's contract term) it gives both ends. It
/// was refused as "DTM02 missing".
#[test]
fn a_period_sent_as_an_rd8_range_gives_its_start_and_end() {
    let sales = edit(
        &edit(
            &sample("gooddrug", "867_4010_sales.x12"),
            "DTM*090*20261101~\nDTM*091*20261130~\n",
            "DTM*090****RD8*20261101-20261130~\n",
        ),
        "SE*42*0001~",
        "SE*41*0001~",
    );
    let Ok(schemas::Document::SalesReport(r)) = only_outcome(&sales) else {
        panic!("{:?}", only_outcome(&sales))
    };
    assert_eq!(
        (r.period_start.to_string(), r.period_end.to_string()),
        ("2026-11-01".to_owned(), "2026-11-30".to_owned())
    );
    let contract = edit(
        &edit(
            &sample("acmepharma", "845_4010_contract.x12"),
            "DTM*092*20261101~\nDTM*093*20271031~\n",
            "DTM*092****RD8*20261101-20271031~\n",
        ),
        "SE*48*0001~",
        "SE*47*0001~",
    );
    let Ok(schemas::Document::Contract(c)) = only_outcome(&contract) else {
        panic!("{:?}", only_outcome(&contract))
    };
    assert_eq!(
        (c.effective.to_string(), c.expires.to_string()),
        ("2026-11-01".to_owned(), "2027-10-31".to_owned())
    );
}

/// Where one date is needed (an 844 line's invoice date), a range is refused saying so,
/// located at the DTM, and not as a missing date.
#[test]
fn a_range_where_one_date_is_needed_is_refused_as_a_range() {
    let claim = edit(
        &sample("gooddrug", "844_4010_claim.x12"),
        "DTM*003*20261107~",
        "DTM*003****RD8*20261101-20261107~",
    );
    let e = only_outcome(&claim).expect_err("a range is no invoice date");
    assert!(
        e.contains("segment 33 (DTM), element 5: line 3:")
            && e.contains(
                "invoice date: DTM*003 carries a date range (RD8) where one date is needed"
            ),
        "{e}"
    );
    assert!(!e.contains("eligibility date"), "{e}");
}

/// A partner that computes no line amount (x12-chargeback 10: "AMT*CC sent or computed")
/// sends no `AMT*CC` on its lines. Refused by default, naming the AMT; with
/// `compute_claimed_amount = true` each line claims (WAC − contract price) × quantity, rounded
/// by `[money]`: for GOOD DRUG's claim the very amounts its lines send (62.50 … 6.25, summing
/// to the summary's 255.25). Without a WAC to compute from, the UIT is what is missing.
#[test]
fn a_claim_line_without_its_amount_is_computed_when_the_profile_says_so() {
    let sent = sample("gooddrug", "844_4010_claim.x12");
    let mut bare = sent.clone();
    for amt in ["62.50", "48.00", "120.00", "12.50", "6.00", "6.25"] {
        bare = edit(&bare, &format!("AMT*CC*{amt}~\n"), "");
    }
    let bare = edit(&bare, "SE*64*0001~", "SE*58*0001~");
    let refused = only_outcome(&bare).expect_err("refused by default");
    assert!(
        refused.contains("no claimed amount: no AMT with AMT01 CC"),
        "{refused}"
    );

    let toml = std::fs::read_to_string(profiles_dir().join("gooddrug.toml")).expect("profile");
    let toml = toml.replacen(
        "[dialect]\n",
        "[dialect]\ncompute_claimed_amount = true\n",
        1,
    );
    let computing = Profile::from_toml_str(&toml, "gooddrug.toml").expect("the key is known");
    let set = ProfileSet::from_profiles([computing]).expect("one profile");
    let amounts = |text: &str| -> Result<Vec<String>, String> {
        let outcomes: Vec<_> = translate(text.as_bytes(), SHA, &set, None).collect();
        match &outcomes[0].result {
            Ok(docs) => match &docs[0] {
                schemas::Document::Claim(c) => Ok(c
                    .lines
                    .iter()
                    .map(|l| l.claimed_amount.to_string())
                    .collect()),
                other => panic!("{other:?}"),
            },
            Err(e) => Err(e.to_string()),
        }
    };
    assert_eq!(amounts(&bare), amounts(&sent));
    assert_eq!(
        amounts(&bare).expect("computed"),
        ["62.50", "48.00", "120.00", "12.50", "6.00", "6.25"]
    );
    // Prices per CA, a quantity in EA: no amount across units.
    let each = edit(&bare, "QTY*39*10*CA~", "QTY*39*10*EA~");
    let e = amounts(&each).expect_err("refused");
    assert!(e.contains("in different units (CA, CA, EA)"), "{e}");
    // The first line without its WAC: nothing to compute from.
    let no_wac = edit(&bare, "UIT*CA*42.00*WH~\n", "");
    let no_wac = edit(&no_wac, "SE*58*0001~", "SE*57*0001~");
    let e = amounts(&no_wac).expect_err("refused");
    assert!(
        e.contains("no AMT with AMT01 CC to claim, and no UIT with basis WH"),
        "{e}"
    );
}

/// A unit sent as a composite with a multiplier (`CA>1>12`: C001-02 exponent 1, C001-03
/// multiplier 12) is no plain CA: its quantity and price read as per CA paid a wrong amount
/// without a word. Refused at the element, saying so, in an 844 (UIT01, QTY03) and an 867;
/// a composite whose exponent and multiplier are 1 is the plain unit.
#[test]
fn a_unit_with_a_multiplier_is_refused_where_it_is_sent() {
    let claim = sample("gooddrug", "844_4010_claim.x12");
    for (from, to, at) in [
        ("QTY*39*10*CA~", "QTY*39*10*CA>1>12~", "(QTY), element 3"),
        (
            "UIT*CA*18.75*WH~",
            "UIT*CA>>12*18.75*WH~",
            "(UIT), element 1",
        ),
    ] {
        let e = only_outcome(&edit(&claim, from, to)).expect_err("refused");
        assert!(
            e.contains(at) && e.contains("an exponent, multiplier or further unit"),
            "{to}: {e}"
        );
    }
    let plain = edit(&claim, "QTY*39*10*CA~", "QTY*39*10*CA>1>1~");
    assert!(only_outcome(&plain).is_ok(), "{:?}", only_outcome(&plain));
    let sales = sample("gooddrug", "867_4010_sales.x12");
    let e =
        only_outcome(&edit(&sales, "UIT*CA*12.50~", "UIT*CA>1>12*12.50~")).expect_err("refused");
    assert!(e.contains("unit CA:1:12"), "{e}");
}
