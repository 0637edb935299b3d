//! One test per envelope and syntax error kind: each mutates a sample and checks the code and
//! the location of what the validator reports.

use std::path::PathBuf;

use x12::ack::{AckKind, AckParams, Ta1Policy, acknowledge};
use x12::diagnostic::{Code, ElementError, GroupError, SegmentError, SetError, Ta1Note};
use x12::validate::{Outcome, ValidateOptions, validate};
use x12::writer::{DelimiterPolicy, WriteOptions, render_interchange};
use x12::{Delimiters, Diagnostic, ReaderOptions};

fn sample(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../samples")
        .join(name);
    String::from_utf8(std::fs::read(&p).expect("sample exists")).expect("ascii sample")
}

fn claim() -> String {
    sample("844_4010_claim.x12")
}

fn run(text: &str) -> Outcome {
    let opts = ValidateOptions {
        file: Some("t.x12".into()),
        ..ValidateOptions::default()
    };
    validate(text.as_bytes(), ReaderOptions::default(), opts)
}

/// Replaces exactly one occurrence, so a test cannot silently mutate nothing.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replacen(from, to, 1)
}

fn find(out: &Outcome, code: Code) -> &Diagnostic {
    out.diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| {
            let all: Vec<String> = out.diagnostics.iter().map(|d| d.to_string()).collect();
            panic!("no {code:?} in {all:#?}")
        })
}

fn segment_at(d: &Diagnostic) -> (u32, &str) {
    let (pos, id) = d.location.segment.as_ref().expect("segment located");
    (*pos, id.as_str())
}

/// The 997 and the 999 owed for what `out` read (if any) are valid X12 themselves, by our
/// own validator: a group rejected for its header must not be answered by an acknowledgment
/// that echoes the bad value and is refused in turn.
fn acks_are_valid(out: &Outcome) {
    for report in &out.interchanges {
        for kind in [AckKind::Fa997, AckKind::Ia999] {
            let params = AckParams {
                kind,
                ta1: Ta1Policy::WhenRequestedOrRejected,
                all_sets: false,
                interchange_control_number: 42,
                group_control_number: 7,
                date: "20261123".into(),
                time: "1200".into(),
            };
            let Some(ack) = acknowledge(report, &params) else {
                continue;
            };
            let opts = WriteOptions {
                delimiters: Delimiters {
                    element: b'*',
                    component: b':',
                    repetition: Some(b'^'),
                    segment: b'~',
                },
                line_ending: "\n",
                policy: DelimiterPolicy::Substitute(b' '),
            };
            let text = render_interchange(&ack, opts).expect("renders");
            let check = validate(
                &text[..],
                ReaderOptions::default(),
                ValidateOptions::default(),
            );
            let msgs: Vec<String> = check.diagnostics.iter().map(|d| d.to_string()).collect();
            assert!(
                check.is_valid(),
                "{}\n{msgs:#?}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}

// ---- interchange (TA1) -----------------------------------------------------------------

#[test]
fn iea02_not_matching_isa13_is_ta1_001() {
    let out = run(&edit(&claim(), "IEA*1*000005001", "IEA*1*000005009"));
    let d = find(&out, Code::Interchange(Ta1Note::ControlNumberMismatch));
    assert_eq!(d.location.interchange.as_deref(), Some("000005001"));
}

#[test]
fn wrong_group_count_is_ta1_021() {
    let out = run(&edit(&claim(), "IEA*1*", "IEA*2*"));
    find(&out, Code::Interchange(Ta1Note::InvalidGroupCount));
}

/// IEA01 and GE01 are N0 counts: a `+` sign is no digit (X12 numerics carry only a minus),
/// so `+1` is no count of 1 (Rust's `u32` parsing takes the sign, and the count matched).
#[test]
fn signed_trailer_counts_do_not_match() {
    let out = run(&edit(&claim(), "IEA*1*", "IEA*+1*"));
    find(&out, Code::Interchange(Ta1Note::InvalidGroupCount));
    let out = run(&edit(&claim(), "GE*1*", "GE*+1*"));
    find(&out, Code::Group(GroupError::SetCountMismatch));
    // Leading zeros are digits: still the count.
    assert!(run(&edit(&claim(), "GE*1*", "GE*01*")).is_valid());
}

#[test]
fn duplicate_isa13_in_a_file_is_ta1_025() {
    let text = claim();
    let out = run(&format!("{text}{text}"));
    assert_eq!(out.interchanges.len(), 2);
    assert!(out.interchanges[0].errors.is_empty());
    assert_eq!(
        out.interchanges[1].errors,
        vec![Ta1Note::DuplicateControlNumber]
    );
}

/// A received TA1 is envelope, checked as a GS is: a TA102 that is no date (or a TA104 that
/// is no code) is an element error located at the TA1, not a valid file whose TA1 the
/// translation then drops unsaid (it links no interchange).
#[test]
fn received_ta1_elements_are_checked() {
    let isa = &claim()[..107];
    let file = |ta1: &str| format!("{isa}{ta1}~\nIEA*0*000005001~\n");
    let out = run(&file("TA1*000000104*261115*1410*A*000"));
    assert!(out.is_valid(), "{:#?}", out.diagnostics);
    let out = run(&file("TA1*000000104*261315*1410*A*000"));
    let d = find(&out, Code::Element(ElementError::InvalidDate));
    assert_eq!(d.location.element.expect("element").element, 2);
    let out = run(&file("TA1*000000104*261115*2410*A*000"));
    find(&out, Code::Element(ElementError::InvalidTime));
    // Never acknowledged, so nothing rejects the interchange: only the finding.
    assert!(out.interchanges[0].errors.is_empty());
}

#[test]
fn missing_iea_is_ta1_023() {
    let out = run(&edit(&claim(), "IEA*1*000005001~\n", ""));
    find(&out, Code::Interchange(Ta1Note::PrematureEndOfFile));
}

#[test]
fn non_numeric_isa13_is_ta1_018() {
    let text = edit(&claim(), "*000005001*1*P*>~", "*00000500A*1*P*>~");
    let out = run(&text);
    find(&out, Code::Interchange(Ta1Note::InvalidControlNumber));
}

#[test]
fn isa_field_values_are_checked() {
    let cases = [
        ("*261115*1405*U*", "*261315*1405*U*", Ta1Note::InvalidDate),
        ("*261115*1405*U*", "*261115*2505*U*", Ta1Note::InvalidTime),
        (
            "*000005001*1*P*",
            "*000005001*5*P*",
            Ta1Note::InvalidAckRequested,
        ),
        (
            "*000005001*1*P*",
            "*000005001*1*X*",
            Ta1Note::InvalidTestIndicator,
        ),
        ("*U*00401*", "*U*00301*", Ta1Note::VersionNotSupported),
        ("*U*00401*", "*X*00401*", Ta1Note::InvalidStandardsId),
        ("ISA*00*", "ISA*99*", Ta1Note::InvalidAuthorizationQualifier),
        (
            "*ZZ*GOODDRUG ",
            "*QQ*GOODDRUG ",
            Ta1Note::InvalidSenderQualifier,
        ),
        (
            "*ZZ*ACMEPHARMA ",
            "*Q1*ACMEPHARMA ",
            Ta1Note::InvalidReceiverQualifier,
        ),
    ];
    for (from, to, note) in cases {
        let out = run(&edit(&claim(), from, to));
        assert!(
            out.interchanges[0].errors.contains(&note),
            "{to}: {:?}",
            out.interchanges[0].errors
        );
    }
}

/// From 00501 ISA11 is the repetition separator (x12-chargeback 2.1, 2.2 step 5): a 00401
/// `U` left there is no delimiter, and the interchange is refused, located at its ISA. It
/// passed as valid, read as having no repetition separator.
#[test]
fn a_letter_as_005010_repetition_separator_is_rejected() {
    let text = sample("844_5010_ship_and_debit.x12");
    assert!(run(&text).interchanges[0].errors.is_empty());
    let out = run(&edit(&text, "*^*00501*", "*U*00501*"));
    let d = find(&out, Code::Interchange(Ta1Note::InvalidStandardsId));
    assert!(d.to_string().contains("ISA11 \"U\""), "{d}");
    assert_eq!(d.location.interchange.as_deref(), Some("000007001"));
    assert!(
        out.interchanges[0]
            .errors
            .contains(&Ta1Note::InvalidStandardsId)
    );
}

/// A space in 00501 ISA11 is no repetition separator either: data holds spaces ("VOLTA
/// COMPONENTS DISTRIBUTION" would be read as repeats). Refused as a letter is, located at the
/// ISA, and no value is split at its spaces.
#[test]
fn a_space_as_005010_repetition_separator_is_rejected() {
    let text = sample("844_5010_ship_and_debit.x12");
    let out = run(&edit(&text, "*^*00501*", "* *00501*"));
    let d = find(&out, Code::Interchange(Ta1Note::InvalidStandardsId));
    assert!(
        d.to_string()
            .contains("ISA11 is a space: in 00501 a space cannot be the repetition separator"),
        "{d}"
    );
    assert_eq!(d.location.interchange.as_deref(), Some("000007001"));
    assert_eq!(
        out.interchanges[0].errors,
        vec![Ta1Note::InvalidStandardsId]
    );
    let others: Vec<String> = out
        .diagnostics
        .iter()
        .filter(|d| d.code != Code::Interchange(Ta1Note::InvalidStandardsId))
        .map(|d| d.to_string())
        .collect();
    assert!(others.is_empty(), "{others:#?}");
}

#[test]
fn alphanumeric_segment_terminator_is_ta1_004() {
    let mut bytes = claim().into_bytes();
    bytes[105] = b'Z';
    let out = validate(
        &bytes[..],
        ReaderOptions::default(),
        ValidateOptions::default(),
    );
    find(&out, Code::Interchange(Ta1Note::InvalidSegmentTerminator));
}

// ---- group (AK9) -------------------------------------------------------------------------

#[test]
fn missing_ge_is_ak9_3() {
    let out = run(&edit(&claim(), "GE*1*5001~\n", ""));
    let d = find(&out, Code::Group(GroupError::TrailerMissing));
    assert_eq!(d.location.group.as_deref(), Some("5001"));
    acks_are_valid(&out);
}

#[test]
fn ge02_not_matching_gs06_is_ak9_4() {
    let out = run(&edit(&claim(), "GE*1*5001", "GE*1*5002"));
    find(&out, Code::Group(GroupError::ControlNumberMismatch));
    acks_are_valid(&out);
}

#[test]
fn wrong_set_count_is_ak9_5() {
    let out = run(&edit(&claim(), "GE*1*5001", "GE*2*5001"));
    find(&out, Code::Group(GroupError::SetCountMismatch));
    assert_eq!(out.interchanges[0].groups[0].status(), "R");
    acks_are_valid(&out);
}

#[test]
fn duplicate_gs06_is_ak9_19() {
    let text = claim();
    let start = text.find("GS*").expect("GS");
    let end = text.find("IEA*").expect("IEA");
    let group = &text[start..end];
    let doubled = format!("{}{group}{}", &text[..end], &text[end..]);
    let out = run(&edit(&doubled, "IEA*1*", "IEA*2*"));
    find(&out, Code::Group(GroupError::ControlNumberNotUnique));
    acks_are_valid(&out);
}

#[test]
fn unsupported_version_is_ak9_2() {
    let out = run(&edit(&claim(), "*X*004010~", "*X*003040~"));
    find(&out, Code::Group(GroupError::VersionNotSupported));
    acks_are_valid(&out);
}

#[test]
fn bad_group_control_number_is_ak9_6() {
    let out = run(&edit(&claim(), "*1405*5001*X*", "*1405*50A1*X*"));
    find(&out, Code::Group(GroupError::ControlNumberSyntax));
    acks_are_valid(&out);
}

/// A functional group holds one or more transaction sets: GS then GE*0 is an error at the
/// GE (it was a valid file), which rejects the group with no AK905 code (`AK901 R`).
#[test]
fn empty_group_is_rejected_at_its_ge() {
    let text = claim();
    let (st, ge) = (text.find("ST*").expect("ST"), text.find("GE*").expect("GE"));
    let empty = edit(&format!("{}{}", &text[..st], &text[ge..]), "GE*1*", "GE*0*");
    let out = run(&empty);
    assert_eq!(out.diagnostics.len(), 1, "{:#?}", out.diagnostics);
    let d = find(&out, Code::Group(GroupError::NoTransactionSets));
    assert_eq!(d.location.offset, st as u64, "at the GE, where the ST was");
    assert_eq!(
        d.to_string(),
        "t.x12: interchange 000005001, group 5001: GE ends a functional group with no transaction set in it (a group holds one or more) [AK901 R]"
    );
    let group = &out.interchanges[0].groups[0];
    assert_eq!(group.errors, vec![GroupError::NoTransactionSets]);
    assert_eq!(group.status(), "R");
    acks_are_valid(&out);
}

#[test]
fn unsupported_functional_group_is_ak9_1() {
    // IN (invoice) is a functional group, but none we handle.
    let out = run(&edit(&claim(), "GS*CF*", "GS*IN*"));
    find(&out, Code::Group(GroupError::NotSupported));
    assert_eq!(
        out.interchanges[0].groups[0].errors,
        vec![GroupError::NotSupported]
    );
    acks_are_valid(&out);
}

/// A GS01 that is no functional identifier code (missing, three characters, lower case)
/// cannot be echoed in AK101: the AK1 naming the group was invalid X12. The group is still
/// rejected, and TA1 `E` `024` (invalid interchange content) answers it instead of a 997 or
/// 999 that the partner's translator would refuse; the file's other groups keep theirs.
#[test]
fn gs01_no_acknowledgment_can_echo_is_answered_by_ta1_e_024() {
    let two_groups = edit(
        &claim(),
        "GE*1*5001~",
        "GE*1*5001~GS*CF*GOODDRUG*ACMEPHARMA*20261115*1405*5002*X*004010~ST*844*0001~BAA*00*DR*20261115*DB*X1~PAD*1~SE*4*0001~GE*1*5002~",
    );
    let two_groups = edit(&two_groups, "IEA*1*", "IEA*2*");
    for gs01 in ["", "PTX", "pt"] {
        let out = run(&edit(
            &two_groups,
            "GS*CF*GOODDRUG*ACMEPHARMA*20261115*1405*5001*",
            &format!("GS*{gs01}*GOODDRUG*ACMEPHARMA*20261115*1405*5001*"),
        ));
        let report = &out.interchanges[0];
        assert_eq!(report.groups[0].status(), "R", "{gs01:?}");
        assert!(!report.groups[0].acknowledgeable(), "{gs01:?}");
        assert!(report.groups[1].acknowledgeable(), "{gs01:?}");
        let d = find(&out, Code::Interchange(Ta1Note::InvalidContent));
        assert_eq!(d.location.group.as_deref(), Some("5001"), "{gs01:?}");
        assert!(d.message.contains("TA1 E 024"), "{}", d.message);
        let params = AckParams {
            kind: AckKind::Fa997,
            ta1: Ta1Policy::WhenRequestedOrRejected,
            all_sets: true,
            interchange_control_number: 42,
            group_control_number: 7,
            date: "20261123".into(),
            time: "1200".into(),
        };
        let ack = acknowledge(report, &params).expect("a TA1 and a 997");
        let ta1: Vec<(String, String)> = ack.ta1.iter().map(|s| (s.text(4), s.text(5))).collect();
        assert_eq!(ta1, [("E".to_owned(), "024".to_owned())], "{gs01:?}");
        // One 997 group, for the group 5002 only.
        assert_eq!(ack.groups.len(), 1, "{gs01:?}");
        acks_are_valid(&out);
    }
    // IN is a code (an invoice group) none of our sets uses: echoed, the group rejected by
    // its 997 (AK905 1), no TA1 note.
    let out = run(&edit(&claim(), "GS*CF*", "GS*IN*"));
    assert!(out.interchanges[0].groups[0].acknowledgeable());
    assert!(out.interchanges[0].warnings.is_empty());
}

/// GS08 is AN 1/12: a longer one is read as its version, but that version as sent is none
/// we support.
#[test]
fn gs08_too_long_is_ak9_2() {
    let out = run(&edit(&claim(), "*X*004010~", "*X*004010ABCDEFG~"));
    find(&out, Code::Group(GroupError::VersionNotSupported));
    assert_eq!(
        out.interchanges[0].groups[0].errors,
        vec![GroupError::VersionNotSupported]
    );
    acks_are_valid(&out);
}

/// A bad GS element AK905 has no code for (GS02 to GS05, GS07) rejects the group with none:
/// one finding names the element, the other says the group is rejected (`AK901 R`). Both
/// were `AK905 6`, a control number syntax error, with the control number fine.
#[test]
fn bad_gs_element_without_an_ak905_code_rejects_the_group_with_none() {
    for (from, to, element) in [
        ("GS*CF*GOODDRUG*", "GS*CF*G*", 2),
        ("*GOODDRUG*ACMEPHARMA*", "*GOODDRUG**", 3),
        ("*20261115*1405*5001*", "*20261315*1405*5001*", 4),
        ("*1405*5001*X*", "*2561*5001*X*", 5),
        ("*5001*X*004010~", "*5001**004010~", 7),
    ] {
        let out = run(&edit(&claim(), from, to));
        let found = out
            .diagnostics
            .iter()
            .find(|d| matches!(d.code, Code::Element(_)))
            .expect("element finding");
        assert_eq!(found.location.element.expect("element").element, element);
        let d = find(&out, Code::Group(GroupError::HeaderElementError));
        assert_eq!(
            d.to_string(),
            format!(
                "t.x12: interchange 000005001, group 5001: GS{element:02} in error: the functional group is rejected [AK901 R]"
            )
        );
        let group = &out.interchanges[0].groups[0];
        assert_eq!(group.errors, vec![GroupError::HeaderElementError], "{to}");
        assert_eq!(group.status(), "R");
        acks_are_valid(&out);
    }
}

// ---- transaction set (AK5) ---------------------------------------------------------------

#[test]
fn unsupported_set_is_ak5_1() {
    let out = run(&edit(&claim(), "ST*844*0001", "ST*810*0001"));
    let d = find(&out, Code::Set(SetError::NotSupported));
    assert_eq!(d.location.set.as_deref(), Some("0001"));
}

#[test]
fn missing_se_is_ak5_2() {
    let out = run(&edit(&claim(), "SE*64*0001~\n", ""));
    find(&out, Code::Set(SetError::TrailerMissing));
}

#[test]
fn se02_not_matching_st02_is_ak5_3() {
    let out = run(&edit(&claim(), "SE*64*0001", "SE*64*0002"));
    find(&out, Code::Set(SetError::ControlNumberMismatch));
}

#[test]
fn wrong_segment_count_is_ak5_4() {
    let out = run(&edit(&claim(), "SE*64*0001", "SE*63*0001"));
    let d = find(&out, Code::Set(SetError::SegmentCountMismatch));
    assert!(d.message.contains("63") && d.message.contains("64"), "{d}");
}

/// Duplicate detection keeps sequential numbers as runs; a number used thousands of sets
/// (or hundreds of interchanges) earlier must still be caught, and only that one.
#[test]
fn duplicates_are_caught_after_long_sequential_runs() {
    let text = claim();
    let (st, ge) = (text.find("ST*").expect("ST"), text.find("GE*").expect("GE"));
    let set = &text[st..ge];
    let sets: String = (1..=3000)
        .chain([1])
        .map(|n| set.replace("*0001~", &format!("*{n:04}~")))
        .collect();
    let group = format!("{}{sets}{}", &text[..st], &text[ge..]);
    let group = edit(&group, "GE*1*", "GE*3001*");
    let envelope_only = ValidateOptions {
        envelope_only: true,
        ..ValidateOptions::default()
    };
    let out = validate(
        group.as_bytes(),
        ReaderOptions::default(),
        envelope_only.clone(),
    );
    let dups: Vec<_> = out
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::Set(SetError::ControlNumberNotUnique))
        .collect();
    assert_eq!(dups.len(), 1, "{:#?}", out.diagnostics);
    assert_eq!(out.diagnostics.len(), 1, "{:#?}", out.diagnostics);
    assert_eq!(dups[0].location.set.as_deref(), Some("0001"));

    let interchange = |n: u32| {
        text.replace("000005001", &format!("{n:09}"))
            .replace("*5001*", &format!("*{n}*"))
            .replace("*5001~", &format!("*{n}~"))
    };
    let file: String = (1..=300).chain([150]).map(interchange).collect();
    let out = validate(file.as_bytes(), ReaderOptions::default(), envelope_only);
    assert_eq!(out.diagnostics.len(), 1, "{:#?}", out.diagnostics);
    let d = find(&out, Code::Interchange(Ta1Note::DuplicateControlNumber));
    assert_eq!(d.location.interchange.as_deref(), Some("000000150"));
}

#[test]
fn duplicate_st02_is_ak5_23() {
    let text = claim();
    let start = text.find("ST*").expect("ST");
    let end = text.find("GE*").expect("GE");
    let set = &text[start..end];
    let doubled = format!("{}{set}{}", &text[..end], &text[end..]);
    let out = run(&edit(&doubled, "GE*1*", "GE*2*"));
    find(&out, Code::Set(SetError::ControlNumberNotUnique));
    assert_eq!(out.interchanges[0].groups[0].status(), "P");
}

#[test]
fn short_st02_is_ak5_7() {
    let text = edit(&claim(), "ST*844*0001", "ST*844*001");
    let out = run(&edit(&text, "SE*64*0001", "SE*64*001"));
    find(&out, Code::Set(SetError::InvalidControlNumber));
}

#[test]
fn set_in_the_wrong_group_is_ak5_6() {
    let out = run(&edit(&claim(), "GS*CF*", "GS*PT*"));
    find(&out, Code::Set(SetError::InvalidSetId));
}

// ---- segments (AK3) ----------------------------------------------------------------------

#[test]
fn unknown_segment_is_ak3_1() {
    let text = edit(&claim(), "CUR*BY*USD~\n", "CUR*BY*USD~\nZZZ*1~\n");
    let out = run(&edit(&text, "SE*64*", "SE*65*"));
    let d = find(&out, Code::Segment(SegmentError::Unrecognized));
    assert_eq!(segment_at(d), (4, "ZZZ"));
}

#[test]
fn segment_in_the_set_but_not_here_is_ak3_2() {
    let text = edit(
        &claim(),
        "CUR*BY*USD~\n",
        "CUR*BY*USD~\nLIN**N4*12345010001~\n",
    );
    let out = run(&edit(&text, "SE*64*", "SE*65*"));
    let d = find(&out, Code::Segment(SegmentError::Unexpected));
    assert_eq!(segment_at(d), (4, "LIN"));
}

#[test]
fn missing_mandatory_segment_is_ak3_3() {
    let text = edit(
        &claim(),
        "BAA*00*DR*20261115*DB*GDD-CB-20261115-0001~\n",
        "",
    );
    let out = run(&edit(&text, "SE*64*", "SE*63*"));
    let d = find(&out, Code::Segment(SegmentError::MandatoryMissing));
    assert_eq!(segment_at(d).1, "BAA");
}

#[test]
fn loop_over_its_maximum_is_ak3_4() {
    let text = sample("845_4010_contract.x12");
    let text = edit(
        &text,
        "LIN*1*N4*12345010001*UP*312345010003~\n",
        "LIN*1*N4*12345010001*UP*312345010003~\nLIN*1*N4*12345010001~\n",
    );
    let out = run(&edit(&text, "SE*48*", "SE*49*"));
    let d = find(&out, Code::Segment(SegmentError::LoopOverMax));
    assert_eq!(segment_at(d).1, "LIN");
    assert_eq!(
        out.interchanges[0].groups[0].sets[0].segments[0]
            .loop_id
            .as_deref(),
        Some("LIN")
    );
}

#[test]
fn segment_over_its_maximum_use_is_ak3_5() {
    let line = "BAA*00*DR*20261115*DB*GDD-CB-20261115-0001~\n";
    let text = edit(&claim(), line, &format!("{line}{line}"));
    let out = run(&edit(&text, "SE*64*", "SE*65*"));
    let d = find(&out, Code::Segment(SegmentError::SegmentOverMax));
    assert_eq!(segment_at(d), (3, "BAA"));
}

#[test]
fn segment_from_another_set_is_ak3_6() {
    let text = edit(
        &claim(),
        "CUR*BY*USD~\n",
        "CUR*BY*USD~\nBPT*00*X*20261201*SS~\n",
    );
    let out = run(&edit(&text, "SE*64*", "SE*65*"));
    let d = find(&out, Code::Segment(SegmentError::NotInSet));
    assert_eq!(segment_at(d), (4, "BPT"));
}

#[test]
fn segment_out_of_order_is_ak3_7() {
    let text = edit(
        &claim(),
        "N1*MF*ACME PHARMACEUTICALS INC*1*123456789~\n",
        "N1*MF*ACME PHARMACEUTICALS INC*1*123456789~\nCUR*BY*USD~\n",
    );
    let out = run(&edit(&text, "SE*64*", "SE*65*"));
    let d = find(&out, Code::Segment(SegmentError::OutOfSequence));
    assert_eq!(segment_at(d), (6, "CUR"));
}

// ---- elements (AK4) ----------------------------------------------------------------------

fn element_case(text: &str, error: ElementError) -> (u32, String, u16) {
    let out = run(text);
    let d = find(&out, Code::Element(error));
    let (pos, id) = segment_at(d);
    // Every element error also marks its segment (AK3 code 8) in the set report.
    let set = &out.interchanges[0].groups[0].sets[0];
    assert!(
        set.segments
            .iter()
            .any(|s| s.position == pos && !s.elements.is_empty()),
        "{set:?}"
    );
    (
        pos,
        id.to_owned(),
        d.location.element.expect("element").element,
    )
}

#[test]
fn element_errors_have_their_ak4_codes_and_positions() {
    let c = claim();
    let cases: Vec<(String, ElementError, (u32, &str, u16))> = vec![
        (
            edit(&c, "BAA*00*DR*20261115*", "BAA*00*DR**"),
            ElementError::MandatoryMissing,
            (2, "BAA", 3),
        ),
        // A string holds at least one non-space character (X12.6): an element of spaces
        // only is not there, mandatory or named by a syntax note.
        (
            edit(&c, "*DB*GDD-CB-20261115-0001~", "*DB*   ~"),
            ElementError::ConditionalMissing,
            (2, "BAA", 5),
        ),
        (
            c.replacen("CON*CT*SPA-2026-0042*VA", "CON*CT*   *VA", 1), // the first CON
            ElementError::MandatoryMissing,
            (6, "CON", 2),
        ),
        (
            edit(&c, "N3*100 RIVER RD~", "N3*100 RIVER RD*SUITE 1*EXTRA~"),
            ElementError::TooManyElements,
            (8, "N3", 3),
        ),
        (
            edit(
                &c,
                "N1*ST*RIVERSIDE COMMUNITY HOSPITAL*11*AR1234563~",
                "N1*ST*RIVERSIDE COMMUNITY HOSPITAL*11*A~",
            ),
            ElementError::TooShort,
            (7, "N1", 4),
        ),
        (
            edit(
                &c,
                "REF*IV*INV0098177~",
                "REF*IV*INV0098177-0123456789-0123456789~",
            ),
            ElementError::TooLong,
            (32, "REF", 2),
        ),
        (
            edit(&c, "QTY*39*10*CA~", "QTY*39*1O*CA~"),
            ElementError::InvalidCharacter,
            (14, "QTY", 2),
        ),
        (
            edit(&c, "N1*DS*", "N1*#1*"),
            ElementError::InvalidCode,
            (4, "N1", 1),
        ),
        (
            edit(&c, "DTM*003*20261107~", "DTM*003*20261307~"),
            ElementError::InvalidDate,
            (33, "DTM", 2),
        ),
        // A calendar date, but YYMMDD where the element wants CCYYMMDD.
        (
            edit(&c, "DTM*003*20261107~", "DTM*003*261107~"),
            ElementError::InvalidDate,
            (33, "DTM", 2),
        ),
        (
            edit(&c, "GDD-CB-20261115-0001~", "GDD-CB-20261115-0001*2561~"),
            ElementError::InvalidTime,
            (2, "BAA", 6),
        ),
    ];
    for (text, error, (pos, id, el)) in cases {
        assert_eq!(
            element_case(&text, error),
            (pos, id.to_owned(), el),
            "{error:?}"
        );
    }
}

/// X12 syntax notes (relational conditions) are syntax: a segment breaking one is an AK4 `2`
/// at the element the note requires, found by the validator (it was found, if at all, only
/// by typed reading or mapping, with another code and position, while `validate` said valid).
#[test]
fn broken_syntax_notes_are_ak4_2_at_the_missing_element() {
    let c = claim();
    let cases: Vec<(String, (u32, &str, u16))> = vec![
        // REF R0203: a qualifier with neither an id nor a description.
        (edit(&c, "REF*IV*INV0098177~", "REF*IV~"), (32, "REF", 2)),
        // N1 P0304: an id qualifier without its id.
        (
            edit(
                &c,
                "N1*ST*RIVERSIDE COMMUNITY HOSPITAL*11*AR1234563~",
                "N1*ST*RIVERSIDE COMMUNITY HOSPITAL*11~",
            ),
            (7, "N1", 4),
        ),
        // N1 P0304 the other way round: an id without its qualifier.
        (
            edit(
                &c,
                "N1*ST*RIVERSIDE COMMUNITY HOSPITAL*11*AR1234563~",
                "N1*ST*RIVERSIDE COMMUNITY HOSPITAL**AR1234563~",
            ),
            (7, "N1", 3),
        ),
        // QTY R0204: neither a quantity nor free-form information.
        (edit(&c, "QTY*39*6*CA~", "QTY*39**CA~"), (30, "QTY", 2)),
        // UIT C0302: a basis of unit price without the price.
        (edit(&c, "UIT*CA*45.00*CT~", "UIT*CA**CT~"), (29, "UIT", 2)),
        // LIN P0405: a second product id qualifier without its id.
        (
            edit(&c, "LIN**N4*12345030005~", "LIN**N4*12345030005*UP~"),
            (27, "LIN", 5),
        ),
        // DTM R020305: a qualifier with no date, time or period.
        (edit(&c, "DTM*003*20261107~", "DTM*003~"), (33, "DTM", 2)),
        // BAA P0405: a claim number without its qualifier.
        (
            edit(&c, "*DB*GDD-CB-20261115-0001~", "**GDD-CB-20261115-0001~"),
            (2, "BAA", 4),
        ),
        // CTT P0304: a weight without its unit.
        (edit(&c, "CTT*6*26~", "CTT*6*26*12.5~"), (62, "CTT", 4)),
    ];
    for (text, (pos, id, el)) in cases {
        assert_eq!(
            element_case(&text, ElementError::ConditionalMissing),
            (pos, id.to_owned(), el),
            "{id}"
        );
    }
    // Notes that hold find nothing (the samples use every segment above).
    for name in [
        "844_4010_claim.x12",
        "844_5010_ship_and_debit.x12",
        "845_4010_contract.x12",
        "849_4010_response.x12",
        "867_4010_sales.x12",
    ] {
        let out = run(&sample(name));
        assert!(out.diagnostics.is_empty(), "{name}: {:#?}", out.diagnostics);
    }
}

#[test]
fn repetitions_and_components_are_errors_in_simple_005010_elements() {
    let s = sample("844_5010_ship_and_debit.x12");
    let (pos, id, el) = element_case(
        &edit(&s, "REF*PD*Q4-DESIGNWIN-77~", "REF*PD*Q4^DESIGNWIN~"),
        ElementError::TooManyRepetitions,
    );
    assert_eq!((pos, id.as_str(), el), (7, "REF", 2));
    let (pos, id, el) = element_case(
        &edit(&s, "N1*ST*ORBITAL DRONES LLC*", "N1*ST*ORBITAL>DRONES LLC*"),
        ElementError::TooManyComponents,
    );
    assert_eq!((pos, id.as_str(), el), (10, "N1", 2));
}

// ---- 867 lines sent LIN first (a partner's profile may allow it) ----------------------

/// The 867 sample with every line's LIN moved before its QTY.
fn sales_lin_first() -> String {
    x12::generate::lin_before_qty(&sample("867_4010_sales.x12"))
}

fn run_lenient(text: &str, lenient: bool) -> Outcome {
    let opts = ValidateOptions {
        file: Some("t.x12".into()),
        lenient_867_line_order: lenient,
        ..ValidateOptions::default()
    };
    validate(text.as_bytes(), ReaderOptions::default(), opts)
}

#[test]
fn lin_before_qty_is_out_of_place_unless_the_partner_sends_lines_so() {
    let text = sales_lin_first();
    assert_eq!(text.matches("\nLIN*").count(), 4, "every line swapped");
    let strict = run_lenient(&text, false);
    assert!(!strict.is_valid());
    let d = find(&strict, Code::Segment(SegmentError::Unexpected));
    assert_eq!(segment_at(d).1, "LIN");
    let lenient = run_lenient(&text, true);
    assert!(lenient.diagnostics.is_empty(), "{:#?}", lenient.diagnostics);
    // Lines in the standard order stay valid with the leniency, mixed orders too.
    let mixed = edit(
        &text,
        "LIN**N4*12345010001~\nQTY*39*10*CA~",
        "QTY*39*10*CA~\nLIN**N4*12345010001~",
    );
    assert!(run_lenient(&mixed, true).diagnostics.is_empty());
    assert!(
        run_lenient(&sample("867_4010_sales.x12"), true)
            .diagnostics
            .is_empty()
    );
}

#[test]
fn a_line_sent_lin_first_still_needs_its_qty_right_after() {
    // LIN, then UIT: the line has no QTY. Reported before the UIT, in the line's loop.
    let text = edit(
        &sales_lin_first(),
        "LIN**N4*12345010001~\nQTY*39*10*CA~",
        "LIN**N4*12345010001~",
    );
    let out = run_lenient(&text, true);
    let d = find(&out, Code::Segment(SegmentError::MandatoryMissing));
    assert_eq!(segment_at(d).1, "QTY");
    // Besides, the SE count no longer fits: nothing else.
    assert_eq!(out.diagnostics.len(), 2, "{:#?}", out.diagnostics);
    find(&out, Code::Set(SetError::SegmentCountMismatch));
}

#[test]
fn an_empty_input_is_no_interchange_ta1_023() {
    for text in ["", "  \r\n\n", "\u{FEFF}"] {
        let out = run(text);
        assert!(!out.is_valid(), "{text:?}");
        let d = find(&out, Code::Interchange(Ta1Note::PrematureEndOfFile));
        assert!(d.message.contains("input is empty"), "{}", d.message);
    }
}

#[test]
fn a_broken_st_orphans_its_set_in_two_findings_not_one_per_segment() {
    // A letter before ST: the ST is no ST, so every segment of the set is outside a set.
    // The first is reported where it is and the rest in one finding at the last; the SE, GE
    // and IEA after them are each reported as before. (Whitespace before it would not do:
    // whitespace between segments is a line break's, not the segment's.)
    let text = edit(&claim(), "ST*844*0001~", "XST*844*0001~");
    let segments = text.matches('~').count();
    let out = run(&text);
    let orphans: Vec<String> = out
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::Interchange(Ta1Note::InvalidControlStructure))
        .map(|d| d.message.clone())
        .collect();
    assert!(
        orphans[0].starts_with("segment outside a transaction set (\"XST\" at byte "),
        "{orphans:#?}"
    );
    // ISA, GS, the set's ST..SE, GE, IEA: all but 4 envelope segments and the broken ST are
    // the run's.
    let more = segments - 6;
    let last = out
        .diagnostics
        .iter()
        .find(|d| d.message.contains("more segments"))
        .unwrap_or_else(|| panic!("{orphans:#?}"));
    assert!(
        last.message.starts_with(&format!(
            "{more} more segments outside a transaction set after it"
        )),
        "{orphans:#?}"
    );
    // Located at the last segment of the run, the one before the SE.
    let at = usize::try_from(last.location.offset).expect("fits");
    let se = text.find("SE*").expect("an SE");
    assert_eq!(text[at..se].matches('~').count(), 1, "{last:?}");
    assert!(
        last.message.ends_with(&format!("the last at byte {at}")),
        "{last:?}"
    );
    assert_eq!(orphans.len(), 3, "{orphans:#?}"); // the ST, the run, the SE without ST
    assert_eq!(
        out.interchanges[0].errors,
        [Ta1Note::InvalidControlStructure]
    );
}
