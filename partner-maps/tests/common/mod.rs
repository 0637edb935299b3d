//! What several test files of this crate share.

use partner_maps::render::Envelope;

/// The envelope documents are rendered in by the round-trip tests: interchange, group and
/// first set all numbered `n`, on 2026-12-24 at 09:30, production, no TA1 asked for.
pub fn envelope(n: u32) -> Envelope {
    Envelope {
        interchange_control_number: n,
        group_control_number: n,
        set_control_number: n,
        date: chrono::NaiveDate::from_ymd_opt(2026, 12, 24).expect("date"),
        time: chrono::NaiveTime::from_hms_opt(9, 30, 0).expect("time"),
        test: false,
        ack_requested: false,
    }
}
