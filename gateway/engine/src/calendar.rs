//! Calendar dates as the engine's CSV files write them (GPO rosters, reference price lists):
//! ISO 8601 `YYYY-MM-DD`, written out in full.

use chrono::NaiveDate;

/// A `YYYY-MM-DD` date, ten characters with its hyphens in place: chrono's `%Y-%m-%d` alone
/// would also take `2026-1-5`, which no ISO calendar date is.
pub fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::parse_iso_date;

    #[test]
    fn only_full_iso_calendar_dates_are_dates() {
        let read = |s: &str| parse_iso_date(s).map(|d| d.to_string());
        assert_eq!(read("2026-11-01").as_deref(), Some("2026-11-01"));
        for not_a_date in [
            "2026-1-5",
            "2026-13-01",
            "2026-02-30",
            "20261101",
            "",
            "2026/11/01",
        ] {
            assert_eq!(read(not_a_date), None, "{not_a_date}");
        }
    }
}
