//! Acknowledgments as a partner's profile asks for them: which kind (997/999), when a TA1,
//! whether every set is listed, and the delimiters to write them with. Shared by
//! `chargegate ack` and the gateway, so the offline answer is the one the service sends.

use x12::Delimiters;
use x12::ack::{AckKind, AckParams, Ta1Policy, acknowledge};
use x12::envelope::Interchange;
use x12::validate::InterchangeReport;
use x12::writer::{DelimiterPolicy, WriteError, WriteOptions, render_interchange};

use crate::profile::{self, Profile};

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
    let mut d = if base.check().is_ok() && base.segment != b'\n' {
        base
    } else {
        Delimiters::STANDARD
    };
    if ack.header.version.as_str() < "00501" {
        d.repetition = None;
    } else if d.repetition.is_none() {
        d.repetition = Some(b'^');
    }
    WriteOptions {
        delimiters: d,
        line_ending,
        policy: DelimiterPolicy::Substitute(b' '),
    }
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
