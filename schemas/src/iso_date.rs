//! Dates written as `YYYY-MM-DD` in one piece. chrono's `Serialize` formats a date through
//! `Display` into `collect_str`, which serde_json escapes a character at a time: with several
//! dates on every sales, batch and claim line, that was a measured share of writing a large
//! batch. The text is chrono's, so what is read back is unchanged; years outside 0..=9999
//! (which chrono writes with a sign) take chrono's path.
//!
//! Use with `#[serde(serialize_with = "schemas::iso_date::serialize")]`, or `option` for an
//! `Option<NaiveDate>`; reading stays chrono's.

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

/// `date` as `YYYY-MM-DD`.
pub fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        return date.serialize(s);
    }
    let mut text = *b"0000-00-00";
    digits(&mut text[0..4], year as u32);
    digits(&mut text[5..7], date.month());
    digits(&mut text[8..10], date.day());
    s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
}

/// [`serialize`] for an optional date.
pub fn option<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    date.as_ref().map(Iso).serialize(s)
}

struct Iso<'a>(&'a NaiveDate);

impl Serialize for Iso<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(self.0, s)
    }
}

/// Writes `n`'s last `out.len()` decimal digits into `out`, zero-padded.
fn digits(out: &mut [u8], mut n: u32) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Dates {
        #[serde(serialize_with = "serialize")]
        date: NaiveDate,
        #[serde(serialize_with = "option")]
        maybe: Option<NaiveDate>,
    }

    #[derive(Serialize)]
    struct Chrono {
        date: NaiveDate,
        maybe: Option<NaiveDate>,
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let dates = [
            NaiveDate::from_ymd_opt(2026, 12, 6),
            NaiveDate::from_ymd_opt(1, 1, 1),
            NaiveDate::from_ymd_opt(0, 2, 29),
            NaiveDate::from_ymd_opt(9999, 12, 31),
            NaiveDate::from_ymd_opt(10000, 1, 1),
            NaiveDate::from_ymd_opt(-1, 3, 4),
            Some(NaiveDate::MIN),
            Some(NaiveDate::MAX),
        ];
        for date in dates.into_iter().flatten() {
            for maybe in [Some(date), None] {
                let ours = serde_json::to_string(&Dates { date, maybe }).unwrap();
                let theirs = serde_json::to_string(&Chrono { date, maybe }).unwrap();
                assert_eq!(ours, theirs, "{date}");
            }
        }
    }
}
