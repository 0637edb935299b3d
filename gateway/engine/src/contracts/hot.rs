//! What a sale line reads of its contract's current version, kept in one compact record per
//! contract (derived, rebuilt whenever a version is pushed or the book is loaded).
//!
//! A `ContractVersion` is a few hundred bytes of mostly cold fields (source, references, caps)
//! reached through the lineage and its version list; V2, V3 and V5 need only its status,
//! dates, distributor authorization and eligibility keys. Reading those from one small record
//! (and eligibility dates next to each key's fingerprint) saves a chain of dependent cache
//! misses per line in a large book. Identity is compared by 128-bit fingerprints, as the
//! book's contract and item lookups already are.

use chrono::NaiveDate;

use super::{ContractState, ContractVersion, party_print, text_print};

/// An eligibility key's fingerprint with its row's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EligiblePrint {
    /// [`party_print`] of one key of the row.
    pub print: u128,
    /// First eligible day of the row.
    pub start: Option<NaiveDate>,
    /// Last eligible day of the row, inclusive.
    pub end: Option<NaiveDate>,
}

/// The distributor authorizations of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distributors {
    /// None listed: every distributor is authorized.
    Any,
    /// One (the usual case): the fingerprint of its id ([`distributor_print`]) and its dates.
    One {
        id: u128,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    },
    /// Several: the version's list decides.
    Many,
}

/// The hot fields of a contract's current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HotContract {
    pub status: ContractState,
    pub version: u32,
    pub effective: NaiveDate,
    pub expires: NaiveDate,
    pub distributors: Distributors,
    /// The version names a GPO: V5 then reads the roster (through the version).
    pub gpo: bool,
    /// The version has no eligibility rows at all.
    pub eligible_empty: bool,
    /// Every key of every eligibility row, in row order.
    pub eligible: Box<[EligiblePrint]>,
}

/// Fingerprint of a distributor id as [`Distributors::One`] holds it.
pub(crate) fn distributor_print(id: &str) -> u128 {
    text_print(id)
}

pub(crate) fn covers(start: Option<NaiveDate>, end: Option<NaiveDate>, d: NaiveDate) -> bool {
    start.is_none_or(|s| s <= d) && end.is_none_or(|e| d <= e)
}

impl HotContract {
    pub(crate) fn of(version: &ContractVersion) -> Self {
        let distributors = match version.distributors.as_slice() {
            [] => Distributors::Any,
            [one] => Distributors::One {
                id: distributor_print(&one.distributor.id),
                start: one.start,
                end: one.end,
            },
            _ => Distributors::Many,
        };
        Self {
            status: version.status,
            version: version.version,
            effective: version.effective,
            expires: version.expires,
            distributors,
            gpo: version.gpo.is_some(),
            eligible_empty: version.eligible.is_empty(),
            eligible: version
                .eligible
                .iter()
                .flat_map(|row| {
                    row.keys.iter().map(|k| EligiblePrint {
                        print: party_print(k),
                        start: row.start,
                        end: row.end,
                    })
                })
                .collect(),
        }
    }

    /// [`super::ContractBook::distributor_authorized`]: `Some` unless the version's list
    /// must decide (several authorizations).
    pub(crate) fn distributor_authorized(&self, distributor: u128, d: NaiveDate) -> Option<bool> {
        match self.distributors {
            Distributors::Any => Some(true),
            Distributors::One { id, start, end } => {
                Some(id == distributor && covers(start, end, d))
            }
            Distributors::Many => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::contracts::{
        Authorization, ContractBook, EligibilityRow, Membership, lookup::Eligibility,
    };
    use crate::identity::PartyKey;
    use crate::rules::tests::sample_contract;

    fn day(n: i32) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(739_900 + n).unwrap_or_default()
    }

    fn span() -> impl Strategy<Value = (Option<NaiveDate>, Option<NaiveDate>)> {
        (
            proptest::option::of((0..20i32).prop_map(day)),
            proptest::option::of((0..20i32).prop_map(day)),
        )
    }

    fn key() -> impl Strategy<Value = PartyKey> {
        (prop_oneof![Just("11"), Just("21")], 0..4u8)
            .prop_map(|(q, n)| PartyKey::new(q, &format!("C{n}")))
    }

    #[derive(Debug, Clone)]
    struct Case {
        distributors: Vec<(u8, Option<NaiveDate>, Option<NaiveDate>)>,
        eligible: Vec<(Vec<PartyKey>, Option<NaiveDate>, Option<NaiveDate>)>,
        gpo: bool,
        members: Vec<(PartyKey, Option<NaiveDate>, Option<NaiveDate>)>,
        distributor: u8,
        customer: Vec<PartyKey>,
        d: NaiveDate,
    }

    fn case() -> impl Strategy<Value = Case> {
        (
            proptest::collection::vec((0..3u8, span()).prop_map(|(i, (s, e))| (i, s, e)), 0..3),
            proptest::collection::vec(
                (proptest::collection::vec(key(), 0..3), span()).prop_map(|(k, (s, e))| (k, s, e)),
                0..4,
            ),
            any::<bool>(),
            proptest::collection::vec((key(), span()).prop_map(|(k, (s, e))| (k, s, e)), 0..3),
            0..3u8,
            proptest::collection::vec(key(), 1..3),
            (0..20i32).prop_map(day),
        )
            .prop_map(
                |(distributors, eligible, gpo, members, distributor, customer, d)| Case {
                    distributors,
                    eligible,
                    gpo,
                    members,
                    distributor,
                    customer,
                    d,
                },
            )
    }

    /// A book whose contract 0 has a second version shaped by the case.
    fn book_of(case: &Case) -> ContractBook {
        let mut book = ContractBook::new();
        if let Err(e) = book.apply(&sample_contract()) {
            panic!("apply: {e}");
        }
        let gpo = PartyKey::new("91", "GPO77");
        for (customer, start, end) in &case.members {
            book.add_membership(Membership {
                gpo: gpo.clone(),
                customer: customer.clone(),
                start: *start,
                end: *end,
                tier: None,
                roster: None,
            });
        }
        let previous = book.contracts[0].current().clone();
        let mut version = previous.clone();
        version.version += 1;
        version.distributors = case
            .distributors
            .iter()
            .map(|(i, start, end)| Authorization {
                distributor: PartyKey::new("1", &format!("D{i}")),
                start: *start,
                end: *end,
            })
            .collect();
        version.eligible = case
            .eligible
            .iter()
            .map(|(keys, start, end)| EligibilityRow {
                keys: keys.clone(),
                name: None,
                start: *start,
                end: *end,
                class: None,
            })
            .collect();
        version.gpo = case.gpo.then_some(gpo);
        version.index();
        book.contracts[0].versions.push(version);
        book.index_rows(0, Some(&previous));
        book
    }

    proptest! {
        /// The hot record answers V2's authorization and V5's eligibility like the version.
        #[test]
        fn answers_like_the_version(case in case()) {
            let book = book_of(&case);
            let (Some(hot), Some(version)) = (book.hot(0), book.current(0)) else {
                panic!("contract 0 is missing");
            };
            prop_assert_eq!(hot, &HotContract::of(version));
            prop_assert_eq!(
                (hot.status, hot.version, hot.effective, hot.expires),
                (version.status, version.version, version.effective, version.expires)
            );
            let distributor = PartyKey::new("1", &format!("D{}", case.distributor));
            let expected = ContractBook::distributor_authorized(version, &distributor, case.d);
            let hot_answer = hot.distributor_authorized(distributor_print(&distributor.id), case.d);
            prop_assert!(hot_answer.is_none_or(|a| a == expected));
            prop_assert_eq!(hot_answer.is_none(), case.distributors.len() > 1);
            let prints: Vec<u128> = case.customer.iter().map(party_print).collect();
            let eligibility: Eligibility = book.eligibility(version, &case.customer, case.d);
            prop_assert_eq!(
                book.eligibility_of(0, hot, &case.customer, &prints, case.d),
                eligibility
            );
            prop_assert_eq!(
                book.eligibility_by_prints(version, &case.customer, &prints, case.d),
                eligibility
            );
        }
    }
}
