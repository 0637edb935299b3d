//! Acknowledgments as a partner's profile asks for them: which kind (997/999), when a TA1,
//! whether every set is listed, and the delimiters to write them with. Shared by
//! `chargegate ack` and the gateway, so the offline answer is the one the service sends.

use x12::Delimiters;
use x12::ack::{AckKind, AckParams, Ta1Policy, acknowledge};
use x12::dict::Version;
use x12::envelope::Interchange;
use x12::validate::{InterchangeReport, IsaInfo};
use x12::writer::{DelimiterPolicy, WriteError, WriteOptions, render_interchange};

use crate::profile::{self, Profile};
use crate::render::Identity;

/// The acknowledgment policy of a partner (or the defaults without a profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckPolicy {
    /// 997 or 999.
    pub kind: AckKind,
    /// When a TA1 is added.
    pub ta1: Ta1Policy,
    /// List every set, not only those in error.
    pub all_sets: bool,
}

impl AckPolicy {
    /// The profile's policy; without one, a 997, a TA1 on request or rejection, sets in error.
    pub fn for_profile(profile: Option<&Profile>) -> Self {
        let Some(p) = profile else {
            return Self {
                kind: AckKind::Fa997,
                ta1: Ta1Policy::WhenRequestedOrRejected,
                all_sets: false,
            };
        };
        Self {
            kind: match p.x12.acknowledgment {
                profile::AckKind::Ack999 => AckKind::Ia999,
                profile::AckKind::Ack997 => AckKind::Fa997,
            },
            ta1: match p.x12.ta1 {
                profile::Ta1Policy::Always => Ta1Policy::Always,
                profile::Ta1Policy::Never => Ta1Policy::Never,
                profile::Ta1Policy::OnRequest => Ta1Policy::WhenRequestedOrRejected,
            },
            all_sets: p.x12.ack_all_sets,
        }
    }

    /// Parameters for [`acknowledge`] with our control numbers and the clock's date/time.
    pub fn params(&self, icn: u32, gcn: u32, date: &str, time: &str) -> AckParams {
        AckParams {
            kind: self.kind,
            ta1: self.ta1,
            all_sets: self.all_sets,
            interchange_control_number: icn,
            group_control_number: gcn,
            date: date.to_owned(),
            time: time.to_owned(),
        }
    }
}

/// How an acknowledgment is written: the profile's outbound delimiters and line ending, or,
/// without a profile, the delimiters the partner used where they are sound (as most partners
/// expect). Values holding a delimiter are substituted, never refused: an acknowledgment
/// must go out.
pub fn write_options(
    profile: Option<&Profile>,
    received: Delimiters,
    ack: &Interchange,
) -> WriteOptions {
    let (base, line_ending) = match profile {
        Some(p) => {
            let w = p.x12.write_options();
            (w.delimiters, w.line_ending)
        }
        None => (received, "\n"),
    };
    let mut d = if base.check().is_ok() {
        base
    } else {
        Delimiters::STANDARD
    };
    // A newline terminating segments is the line ending already.
    let line_ending = if d.segment == b'\n' { "" } else { line_ending };
    if ack.header.version.as_str() < "00501" {
        d.repetition = None;
    } else if d.repetition.is_none() {
        // A 005010 ISA11 must be a separator of its own (a 004010 profile may use `^` as
        // its component separator): the first of the usual ones no other delimiter is.
        d.repetition = d.spare_repetition();
    }
    WriteOptions {
        delimiters: d,
        line_ending,
        policy: DelimiterPolicy::Substitute(b' '),
    }
}

/// Fills in what an acknowledgment needs from the ISA of an interchange that could not be read
/// (an empty file, one that is not X12): the partner the file came from is known (its inbox or
/// its AS2-From), so the answer goes to the partner's profile ids (ISA07/ISA08 of the answer,
/// this ISA's sender) from ours (ISA05/ISA06, this ISA's receiver), in the version we send
/// the partner, as every other file we send it is, rather than to `UNKNOWN`. What the ISA did
/// give is kept.
pub fn address_unread(isa: &mut IsaInfo, partner: &Profile, us: &Identity) {
    let fill = |field: &mut String, value: &str| {
        if field.trim().is_empty() {
            *field = value.to_owned();
        }
    };
    fill(&mut isa.sender_qualifier, &partner.x12.isa_qualifier);
    fill(&mut isa.sender_id, &partner.x12.isa_id);
    fill(&mut isa.receiver_qualifier, &us.isa_qualifier);
    fill(&mut isa.receiver_id, &us.isa_id);
    let version = match partner.x12.version {
        Version::V004010 => "00401",
        Version::V005010 => "00501",
    };
    fill(&mut isa.version, version);
}

/// The acknowledgment owed for one received interchange, rendered; `None` when none is owed
/// (it was itself an acknowledgment, or the policy asks for nothing).
pub fn render_ack(
    report: &InterchangeReport,
    profile: Option<&Profile>,
    params: &AckParams,
) -> Result<Option<Vec<u8>>, WriteError> {
    let Some(ic) = acknowledge(report, params) else {
        return Ok(None);
    };
    let opts = write_options(profile, report.delimiters, &ic);
    render_interchange(&ic, opts).map(Some)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use x12::ack::{AckKind, Ta1Policy};
    use x12::validate::{ValidateOptions, validate};
    use x12::{IsaMode, ReaderOptions};

    use super::*;

    /// The partner's 005010 845 sample, and a profile of `gooddrug.toml` with its outbound
    /// delimiters replaced.
    fn case(delimiters: &str) -> (InterchangeReport, Profile) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let data =
            std::fs::read(root.join("../samples/845_5010_contract_change.x12")).expect("sample");
        let reader = ReaderOptions {
            isa_mode: IsaMode::Strict,
            ..ReaderOptions::default()
        };
        let mut out = validate(data.as_slice(), reader, ValidateOptions::default());
        let text = std::fs::read_to_string(root.join("profiles/gooddrug.toml")).expect("profile");
        let at = text.find("[x12.delimiters]").expect("delimiters table");
        let end = at + text[at..].find("\n\n").expect("end of the table");
        let text = format!("{}{delimiters}{}", &text[..at], &text[end..]);
        let profile = Profile::from_toml_str(&text, "test.toml").expect("profile loads");
        (out.interchanges.remove(0), profile)
    }

    fn ack(report: &InterchangeReport, profile: &Profile) -> String {
        let params = AckParams {
            kind: AckKind::Fa997,
            ta1: Ta1Policy::Never,
            all_sets: true,
            interchange_control_number: 5,
            group_control_number: 5,
            date: "20261201".to_owned(),
            time: "1200".to_owned(),
        };
        let bytes = render_ack(report, Some(profile), &params)
            .expect("renders")
            .expect("an ack is owed");
        let out = validate(
            bytes.as_slice(),
            ReaderOptions::default(),
            ValidateOptions::default(),
        );
        let text = String::from_utf8(bytes).expect("ascii");
        assert!(out.is_valid(), "{text}\n{:?}", out.diagnostics);
        text
    }

    #[test]
    fn a_005010_ack_takes_a_repetition_separator_none_of_the_profiles_delimiters_is() {
        // A 004010 profile with `^` as its component separator: the 005010 ack's ISA11
        // cannot be `^` as well.
        let (report, profile) = case(
            "[x12.delimiters]\nelement = \"|\"\ncomponent = \"^\"\nsegment = \"!\"\nline_ending = \"none\"",
        );
        let text = ack(&report, &profile);
        assert!(text.starts_with("ISA|"), "{text}");
        assert_eq!(&text[81..84], "|{|", "ISA11: {text}");
        assert_eq!(&text[104..106], "^!", "ISA16 and the terminator: {text}");
    }

    #[test]
    fn an_ack_to_a_partner_whose_segments_end_with_a_newline_ends_them_so() {
        let (report, profile) = case(
            "[x12.delimiters]\nelement = \"*\"\ncomponent = \">\"\nsegment = \"\\n\"\nline_ending = \"none\"",
        );
        let text = ack(&report, &profile);
        assert!(text.contains("\nGS*FA*"), "{text}");
        assert!(!text.contains('~') && !text.contains("\n\n"), "{text:?}");
    }

    fn report_of(bytes: &[u8]) -> InterchangeReport {
        let mut out = x12::validate::validate(
            bytes,
            x12::ReaderOptions::default(),
            x12::validate::ValidateOptions::default(),
        );
        assert_eq!(out.interchanges.len(), 1, "one report");
        out.interchanges.remove(0)
    }

    fn gooddrug() -> Profile {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/gooddrug.toml");
        Profile::from_toml_str(&std::fs::read_to_string(path).unwrap(), "gooddrug.toml").unwrap()
    }

    fn ta1_for(report: &InterchangeReport, profile: &Profile) -> String {
        let params = AckPolicy::for_profile(Some(profile)).params(7, 7, "20261207", "0712");
        let bytes = render_ack(report, Some(profile), &params).unwrap().unwrap();
        String::from_utf8(bytes).unwrap()
    }

    /// An empty file and one that is not X12 are answered with a TA1 R addressed to the
    /// partner they came from, from us, dated when we answer.
    #[test]
    fn an_unreadable_file_is_answered_to_the_partner_it_came_from() {
        let profile = gooddrug();
        let us = Identity::new("01", "CHARGEGATE");
        for input in [&b""[..], b"hello, not X12\n"] {
            let mut report = report_of(input);
            assert!(report.rejected(), "{input:?}");
            address_unread(&mut report.isa, &profile, &us);
            let ta1 = ta1_for(&report, &profile);
            let isa: Vec<&str> = ta1.split('~').next().unwrap().split('*').collect();
            assert_eq!(
                (isa[5], isa[6].trim_end(), isa[7], isa[8].trim_end()),
                (
                    "01",
                    "CHARGEGATE",
                    profile.x12.isa_qualifier.as_str(),
                    "GOODDRUG"
                ),
                "{ta1}"
            );
            assert_eq!((isa[6].len(), isa[8].len()), (15, 15), "{ta1}");
            assert_eq!(
                (isa[9], isa[10], isa[12]),
                ("261207", "0712", "00401"),
                "{ta1}"
            );
            assert!(
                ta1.contains("TA1*000000000*") && ta1.contains("*R*"),
                "{ta1}"
            );
            assert!(!ta1.contains("UNKNOWN"), "{ta1}");
        }
    }

    /// Ids the ISA gave are the ones answered (the acknowledgment swaps them).
    #[test]
    fn ids_the_isa_gave_are_kept() {
        let sample = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/867_4010_sales.x12"),
        )
        .unwrap();
        let mut report = report_of(&sample);
        let before = report.isa.clone();
        address_unread(
            &mut report.isa,
            &gooddrug(),
            &Identity::new("ZZ", "SOMEONE"),
        );
        assert_eq!(report.isa, before);
    }
}
