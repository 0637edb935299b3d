//! Grammars of the X12 simple data types (N, R, DT, TM, AN), written with nom.
//!
//! Lengths follow the standard's counting rules: the sign and the decimal point do not count
//! toward the length of a numeric element.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while_m_n, take_while1},
    combinator::{all_consuming, opt},
    sequence::preceded,
};

use crate::diagnostic::ElementError;

fn digits(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while1(|b: u8| b.is_ascii_digit()).parse(i)
}

/// `N`: optional minus, then digits.
fn numeric(i: &[u8]) -> IResult<&[u8], &[u8]> {
    all_consuming(preceded(opt(tag(&b"-"[..])), digits)).parse(i)
}

/// `R`: optional minus, digits with at most one decimal point (`12`, `12.5`, `.5`, `12.`).
/// The reference grammar of [`check_real`], which writes it out by hand.
#[cfg(test)]
fn real(i: &[u8]) -> IResult<&[u8], &[u8]> {
    use nom::{character::complete::char, combinator::recognize};
    let with_int = recognize((digits, opt((char('.'), opt(digits)))));
    let frac_only = recognize((char('.'), digits));
    all_consuming(preceded(
        opt(tag(&b"-"[..])),
        nom::branch::alt((with_int, frac_only)),
    ))
    .parse(i)
}

fn two(i: &[u8]) -> IResult<&[u8], u32> {
    take_while_m_n(2, 2, |b: u8| b.is_ascii_digit())
        .map(|d: &[u8]| u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0'))
        .parse(i)
}

/// The length that counts toward min/max: sign and decimal point excluded for N and R.
pub fn numeric_len(value: &[u8]) -> usize {
    value.iter().filter(|b| b.is_ascii_digit()).count()
}

/// Checks an `N`/`N0`..`N9` value.
pub fn check_numeric(value: &[u8]) -> Result<(), ElementError> {
    numeric(value)
        .map(|_| ())
        .map_err(|_| ElementError::InvalidCharacter)
}

/// The length of an `R` value as min/max count it (its digits) when [`check_real`] accepts
/// it, in the same pass; `None` when it does not.
pub(crate) fn real_digits(value: &[u8]) -> Option<usize> {
    let body = value.strip_prefix(b"-").unwrap_or(value);
    let mut digits = 0;
    let mut dot = false;
    for &b in body {
        if b.is_ascii_digit() {
            digits += 1;
        } else if b == b'.' && !dot {
            dot = true;
        } else {
            return None;
        }
    }
    (digits > 0).then_some(digits)
}

/// Checks an `R` value: optional minus, digits with at most one decimal point (`12`, `12.5`,
/// `.5`, `12.`). Written out by hand, not with combinators, because every price, amount and
/// quantity goes through it (the combinators cost three times as much).
pub fn check_real(value: &[u8]) -> Result<(), ElementError> {
    let body = value.strip_prefix(b"-").unwrap_or(value);
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(dot) => (&body[..dot], Some(&body[dot + 1..])),
        None => (body, None),
    };
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let some_digit = !int.is_empty() || frac.is_some_and(|f| !f.is_empty());
    if some_digit && digits(int) && frac.is_none_or(digits) {
        Ok(())
    } else {
        Err(ElementError::InvalidCharacter)
    }
}

/// Checks a `DT` value: `CCYYMMDD`, or `YYMMDD` (ISA09).
pub fn check_date(value: &[u8]) -> Result<(), ElementError> {
    let parsed: IResult<&[u8], (u32, u32, u32)> = match value.len() {
        8 => all_consuming((two, two, two, two))
            .map(|(c, y, m, d)| (c * 100 + y, m, d))
            .parse(value),
        6 => all_consuming((two, two, two))
            .map(|(y, m, d)| (2000 + y, m, d))
            .parse(value),
        _ => return Err(ElementError::InvalidDate),
    };
    let (_, (year, month, day)) = parsed.map_err(|_| ElementError::InvalidDate)?;
    if (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) {
        Ok(())
    } else {
        Err(ElementError::InvalidDate)
    }
}

/// Checks a `TM` value: `HHMM`, `HHMMSS`, or `HHMMSSd..d` (decimal seconds).
pub fn check_time(value: &[u8]) -> Result<(), ElementError> {
    let parsed: IResult<&[u8], (u32, u32, Option<u32>)> = all_consuming((
        two,
        two,
        opt((two, opt(take_while_m_n(1, 2, |b: u8| b.is_ascii_digit()))).map(|(s, _)| s)),
    ))
    .parse(value);
    match parsed {
        Ok((_, (h, m, s))) if h < 24 && m < 60 && s.is_none_or(|s| s < 60) => Ok(()),
        _ => Err(ElementError::InvalidTime),
    }
}

/// Checks an `AN`/`ID` value for control characters, which no X12 character set allows.
pub fn check_text(value: &[u8]) -> Result<(), ElementError> {
    if value.iter().all(|&b| b >= 0x20 && b != 0x7f) {
        Ok(())
    } else {
        Err(ElementError::InvalidCharacter)
    }
}

/// The days of `month` (1 to 12) in `year`, Gregorian leap years counted; the one calendar
/// rule of the crate (date checks here, date arithmetic in `generate`).
pub(crate) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The hand-written `R` check accepts exactly what the combinator grammar accepts.
        #[test]
        fn hand_written_real_agrees_with_the_grammar(
            value in proptest::collection::vec(
                proptest::sample::select(b"0123456789.-+ a1".to_vec()), 0..12),
        ) {
            let reference = real(&value).map(|_| ()).map_err(|_| ElementError::InvalidCharacter);
            proptest::prop_assert_eq!(check_real(&value), reference);
            proptest::prop_assert_eq!(
                real_digits(&value),
                reference.ok().map(|()| numeric_len(&value))
            );
        }
    }

    #[test]
    fn real_accepts_standard_forms_and_rejects_others() {
        for ok in ["12", "12.5", "12.50", "-3", ".5", "0", "12."] {
            assert_eq!(check_real(ok.as_bytes()), Ok(()), "{ok}");
        }
        for bad in ["", "-", "1,000", "1.2.3", "12a", "+1", " 1", "."] {
            assert_eq!(
                check_real(bad.as_bytes()),
                Err(ElementError::InvalidCharacter),
                "{bad}"
            );
        }
        assert_eq!(numeric_len(b"-123.45"), 5);
    }

    #[test]
    fn numeric_rejects_decimal_point() {
        assert_eq!(check_numeric(b"0001"), Ok(()));
        assert_eq!(check_numeric(b"-7"), Ok(()));
        assert_eq!(check_numeric(b"1.0"), Err(ElementError::InvalidCharacter));
    }

    #[test]
    fn dates_are_calendar_checked() {
        assert_eq!(check_date(b"20261115"), Ok(()));
        assert_eq!(check_date(b"20280229"), Ok(()));
        assert_eq!(check_date(b"261115"), Ok(()));
        for bad in [
            &b"20270229"[..],
            b"20261315",
            b"20261100",
            b"2026111",
            b"2026111A",
        ] {
            assert_eq!(check_date(bad), Err(ElementError::InvalidDate));
        }
    }

    #[test]
    fn times_allow_seconds_and_decimals() {
        for ok in ["1405", "140559", "14055912", "0000"] {
            assert_eq!(check_time(ok.as_bytes()), Ok(()), "{ok}");
        }
        for bad in ["2400", "1460", "14", "140560", "14a5"] {
            assert_eq!(
                check_time(bad.as_bytes()),
                Err(ElementError::InvalidTime),
                "{bad}"
            );
        }
    }

    #[test]
    fn text_rejects_control_characters() {
        assert_eq!(check_text(b"GOOD DRUG"), Ok(()));
        assert_eq!(check_text(b"A\x01B"), Err(ElementError::InvalidCharacter));
    }
}
