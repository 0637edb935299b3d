//! Control numbers already used in one scope (sets in a group, groups in an interchange,
//! interchanges of a sender in a file), for duplicate detection.
//!
//! Partners number sequentially, so numeric values are kept as runs of consecutive values: a
//! group of a million sets numbered in order is one run, not a million entries, and memory
//! follows how scattered the numbers are rather than how many there are.

use std::collections::{BTreeMap, HashSet};

/// A set of control numbers; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct ControlNumbers {
    /// Disjoint, non-adjacent runs of numeric keys (see [`key`]): start to end, inclusive.
    runs: BTreeMap<u64, u64>,
    /// Values that are not 1 to 9 digits.
    other: HashSet<String>,
}

/// The key of an all-digit value of at most 9 digits. Leading zeros matter for identity
/// (`0001` and `1` are different control numbers), so the digit count is the high part and
/// consecutive values of the same width get consecutive keys.
fn key(v: &str) -> Option<u64> {
    if v.is_empty() || v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = v.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    Some(((v.len() as u64) << 32) | n)
}

impl ControlNumbers {
    /// Inserts `v`; false when it was already present.
    pub(crate) fn insert(&mut self, v: &str) -> bool {
        match key(v) {
            Some(k) => self.insert_key(k),
            None => self.other.insert(v.to_owned()),
        }
    }

    /// Runs held, for tests of the memory claim.
    #[cfg(test)]
    fn runs(&self) -> usize {
        self.runs.len()
    }

    fn insert_key(&mut self, k: u64) -> bool {
        let before = self.runs.range(..=k).next_back().map(|(&s, &e)| (s, e));
        if before.is_some_and(|(_, end)| k <= end) {
            return false;
        }
        let joins_before = before.filter(|&(_, end)| end + 1 == k);
        let joins_after = self.runs.get(&(k + 1)).copied();
        match (joins_before, joins_after) {
            (Some((start, _)), Some(end)) => {
                self.runs.remove(&(k + 1));
                self.runs.insert(start, end);
            }
            (Some((start, _)), None) => {
                self.runs.insert(start, k);
            }
            (None, Some(end)) => {
                self.runs.remove(&(k + 1));
                self.runs.insert(k, end);
            }
            (None, None) => {
                self.runs.insert(k, k);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sequential_numbers_are_one_run_and_duplicates_are_caught_after_a_long_run() {
        let mut c = ControlNumbers::default();
        for n in 1..=1_000_000u32 {
            assert!(c.insert(&format!("{n:09}")));
        }
        assert_eq!(c.runs(), 1);
        assert!(
            !c.insert("000000001"),
            "the first number, a million inserts later"
        );
        assert!(!c.insert("000500000"));
        assert!(!c.insert("001000000"));
        assert!(c.insert("001000001"));
        assert_eq!(c.runs(), 1);
    }

    #[test]
    fn leading_zeros_and_signs_make_different_numbers() {
        let mut c = ControlNumbers::default();
        assert!(c.insert("0001"));
        assert!(c.insert("1"));
        assert!(c.insert("01"));
        // `u64::from_str` accepts a sign; control numbers are digits only.
        assert!(c.insert("+001"));
        assert!(!c.insert("0001"));
        assert!(!c.insert("+001"));
        assert!(c.insert("0009"));
        assert!(c.insert("0010"));
        assert!(c.insert("A1"));
        assert!(!c.insert("A1"));
        assert!(c.insert("1234567890"));
        assert!(!c.insert("1234567890"));
    }

    #[test]
    fn runs_merge_from_both_sides() {
        let mut c = ControlNumbers::default();
        for v in ["0005", "0003", "0007"] {
            assert!(c.insert(v));
        }
        assert_eq!(c.runs(), 3);
        assert!(c.insert("0004"));
        assert_eq!(c.runs(), 2);
        assert!(c.insert("0006"));
        assert_eq!(c.runs(), 1);
        for v in ["0003", "0004", "0005", "0006", "0007"] {
            assert!(!c.insert(v), "{v}");
        }
        assert!(c.insert("0002") && c.insert("0008"));
        assert_eq!(c.runs(), 1);
    }

    proptest! {
        #[test]
        fn agrees_with_a_set_of_strings(values in proptest::collection::vec(
            prop_oneof![
                (0u32..40).prop_map(|n| format!("{n:04}")),
                (0u32..40).prop_map(|n| n.to_string()),
                "[0-9A-Z+]{1,3}",
            ], 0..200)) {
            let mut c = ControlNumbers::default();
            let mut plain = HashSet::new();
            for v in &values {
                prop_assert_eq!(c.insert(v), plain.insert(v.clone()), "{}", v);
            }
        }
    }
}
