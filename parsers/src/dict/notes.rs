//! Syntax notes (relational conditions) of the segments the chargeback sets use.
//!
//! The generated tables carry only mandatory/optional (see the parent module), but X12 also
//! ties elements together: `P` paired (all or none), `R` required (at least one), `C`
//! conditional (if the first, then all the others), `E` exclusion (at most one) and `L` list
//! conditional (if the first, then at least one of the others). A segment breaking one is a
//! syntax error like any other: AK403 `2` (conditional required data element missing) or
//! `10` (exclusion condition violated), under an AK304 `8`.
//!
//! Written by hand, for the segments the 844/845/849/867 use, with only the notes that are
//! the same in 004010 and 005010 and that the project reference (x12-chargeback.md) or the
//! standard's segment directory states; a note not listed here is not checked.

/// The kind of a relational condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// `P`: if any of the elements is present, all are required.
    Paired,
    /// `R`: at least one of the elements is required.
    Required,
    /// `E`: not more than one of the elements may be present.
    Exclusion,
    /// `C`: if the first element is present, all the others are required.
    Conditional,
    /// `L`: if the first element is present, at least one of the others is required.
    ListConditional,
}

/// One syntax note: its kind and the 1-based element positions it names (`P0304` is
/// `Paired` over `[3, 4]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxNote {
    /// P, R, E, C or L.
    pub kind: NoteKind,
    /// Element positions, 1-based, in the order of the note.
    pub elements: &'static [usize],
}

const fn note(kind: NoteKind, elements: &'static [usize]) -> SyntaxNote {
    SyntaxNote { kind, elements }
}

use NoteKind::{Conditional as C, Paired as P, Required as R};

/// LIN: P0405 … P3031, each product id qualifier with its id.
const LIN: &[SyntaxNote] = &[
    note(P, &[4, 5]),
    note(P, &[6, 7]),
    note(P, &[8, 9]),
    note(P, &[10, 11]),
    note(P, &[12, 13]),
    note(P, &[14, 15]),
    note(P, &[16, 17]),
    note(P, &[18, 19]),
    note(P, &[20, 21]),
    note(P, &[22, 23]),
    note(P, &[24, 25]),
    note(P, &[26, 27]),
    note(P, &[28, 29]),
    note(P, &[30, 31]),
];

const REF: &[SyntaxNote] = &[note(R, &[2, 3])];
const N1: &[SyntaxNote] = &[note(R, &[2, 3]), note(P, &[3, 4])];
const PER: &[SyntaxNote] = &[note(P, &[3, 4]), note(P, &[5, 6]), note(P, &[7, 8])];
const DTM: &[SyntaxNote] = &[note(R, &[2, 3, 5]), note(C, &[4, 3]), note(P, &[5, 6])];
const CTT: &[SyntaxNote] = &[note(P, &[3, 4]), note(P, &[5, 6])];
const QTY: &[SyntaxNote] = &[note(R, &[2, 4])];
const UIT: &[SyntaxNote] = &[note(C, &[3, 2])];
const PAIR_4_5: &[SyntaxNote] = &[note(P, &[4, 5])];

/// The syntax notes of segment `id` (the same in 004010 and 005010); empty for a segment
/// with none, or none checked. `R` notes come first, the others after them in the order of
/// their lowest element: the validator stops at the first non-`R` note past the segment's
/// last element.
pub fn syntax_notes(id: &str) -> &'static [SyntaxNote] {
    // Matched as packed integers: this runs for every segment checked (a match on the text
    // cost ~1 % of translating an 867).
    const fn k(id: &str) -> u64 {
        super::pack_prefix(id.as_bytes())
    }
    const REF_: u64 = k("REF");
    const N1_: u64 = k("N1");
    const PER_: u64 = k("PER");
    const DTM_: u64 = k("DTM");
    const CTT_: u64 = k("CTT");
    const QTY_: u64 = k("QTY");
    const UIT_: u64 = k("UIT");
    const LIN_: u64 = k("LIN");
    const BAA_: u64 = k("BAA");
    const PTD_: u64 = k("PTD");
    if id.len() > 3 {
        return &[];
    }
    match k(id) {
        // Reference: a qualifier needs its id or its description.
        REF_ => REF,
        // Name: a name or an id; an id qualifier goes with its id.
        N1_ => N1,
        // Contact: each communication number qualifier with its number.
        PER_ => PER,
        // Date/time: a date, a time or a period; a time code needs the time; a period
        // format qualifier goes with its period.
        DTM_ => DTM,
        // Totals: weight and volume each with their unit.
        CTT_ => CTT,
        // Quantity: a quantity or free-form information.
        QTY_ => QTY,
        // Unit detail: a basis of unit price needs the unit price.
        UIT_ => UIT,
        // Product ids: each qualifier with its id.
        LIN_ => LIN,
        // Claim number (x12-chargeback 5: BAA04/05 paired) and contract reference
        // (x12-chargeback 7: PTD04/05 paired).
        BAA_ | PTD_ => PAIR_4_5,
        _ => &[],
    }
}

/// What a segment whose element `n` is present (`present(n)`) breaks of `note`: the
/// position to report and whether it is an exclusion (`10`) rather than a missing
/// conditional element (`2`). `None` when the note holds.
pub fn violation(note: &SyntaxNote, present: impl Fn(usize) -> bool) -> Option<(usize, bool)> {
    let els = note.elements;
    let first_missing = || els.iter().copied().find(|&n| !present(n));
    match note.kind {
        NoteKind::Paired => {
            if els.iter().any(|&n| present(n)) {
                first_missing().map(|n| (n, false))
            } else {
                None
            }
        }
        NoteKind::Required => (!els.iter().any(|&n| present(n))).then(|| (els[0], false)),
        NoteKind::Exclusion => els
            .iter()
            .copied()
            .filter(|&n| present(n))
            .nth(1)
            .map(|n| (n, true)),
        NoteKind::Conditional => {
            if present(els[0]) {
                els[1..]
                    .iter()
                    .copied()
                    .find(|&n| !present(n))
                    .map(|n| (n, false))
            } else {
                None
            }
        }
        NoteKind::ListConditional => {
            if present(els[0]) && !els[1..].iter().any(|&n| present(n)) {
                Some((els[1], false))
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reports_the_element_it_needs() {
        let with = |set: &'static [usize]| move |n: usize| set.contains(&n);
        let p = note(NoteKind::Paired, &[3, 4]);
        assert_eq!(violation(&p, with(&[])), None);
        assert_eq!(violation(&p, with(&[3, 4])), None);
        assert_eq!(violation(&p, with(&[3])), Some((4, false)));
        assert_eq!(violation(&p, with(&[4])), Some((3, false)));
        let r = note(NoteKind::Required, &[2, 3, 5]);
        assert_eq!(violation(&r, with(&[5])), None);
        assert_eq!(violation(&r, with(&[1, 4])), Some((2, false)));
        let c = note(NoteKind::Conditional, &[4, 3]);
        assert_eq!(violation(&c, with(&[3])), None);
        assert_eq!(violation(&c, with(&[4])), Some((3, false)));
        let e = note(NoteKind::Exclusion, &[2, 4]);
        assert_eq!(violation(&e, with(&[2])), None);
        assert_eq!(violation(&e, with(&[2, 4])), Some((4, true)));
        let l = note(NoteKind::ListConditional, &[1, 2, 3]);
        assert_eq!(violation(&l, with(&[2])), None);
        assert_eq!(violation(&l, with(&[1, 3])), None);
        assert_eq!(violation(&l, with(&[1])), Some((2, false)));
    }

    /// `R` notes first, then the others by their lowest element, as the validator's early
    /// stop needs.
    #[test]
    fn notes_are_in_the_order_the_validator_stops_by() {
        for id in [
            "REF", "N1", "PER", "DTM", "CTT", "QTY", "UIT", "LIN", "BAA", "PTD",
        ] {
            let notes = syntax_notes(id);
            let rank = |n: &SyntaxNote| match n.kind {
                NoteKind::Required => 0,
                _ => n.elements.iter().copied().min().unwrap_or(0),
            };
            assert!(notes.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])), "{id}");
        }
    }

    /// Every note names elements its segment has, in both versions.
    #[test]
    fn notes_name_elements_of_their_segments() {
        for version in crate::dict::Version::ALL {
            for id in [
                "REF", "N1", "PER", "DTM", "CTT", "QTY", "UIT", "LIN", "BAA", "PTD",
            ] {
                let def = crate::dict::segment(version, id).expect("segment in dictionary");
                for n in syntax_notes(id).iter().flat_map(|s| s.elements) {
                    assert!(
                        *n >= 1 && *n <= def.elements.len(),
                        "{id}{n:02} {version:?}"
                    );
                }
            }
        }
    }
}
