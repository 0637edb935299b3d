//! The per-batch sale-key map of V1 and return matching: a flat open-addressing table of
//! 32-byte slots, two to a cache line.
//!
//! Every line probes it once, at a random place in a table of up to millions of keys. With
//! `std`'s `HashMap` the probe reads a control byte array and the insert then writes an entry
//! elsewhere, a store that misses the cache and holds up later loads behind it. Here a slot
//! (key and value) is found from the key alone and never straddles a cache line, so
//! [`SeenMap::contains`] issued early brings in exactly the line the insert writes later.
//!
//! A slot keeps the low 96 bits of its 128-bit sale-key fingerprint: keys that agree there
//! are one key (among a million keys, odds of about 10⁻¹⁷), and the slot fits 32 bytes.

use super::SeenSale;

/// The low 96 bits of a key, as three 4-byte words.
type Key = [u32; 3];

fn packed(key: u128) -> Key {
    [key as u32, (key >> 32) as u32, (key >> 64) as u32]
}

/// One slot; an all-zero `key` is empty (the key whose low 96 bits are zero lives in `zero`).
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Slot {
    key: Key,
    value: SeenSale,
}

const EMPTY: Slot = Slot {
    key: [0; 3],
    value: SeenSale::PRELOADED,
};

/// Map from a 128-bit sale-key fingerprint to the first line with it.
#[derive(Debug, Clone, Default)]
pub(super) struct SeenMap {
    /// Power-of-two length (or empty), at most half full.
    slots: Vec<Slot>,
    len: usize,
    zero: Option<SeenSale>,
}

impl SeenMap {
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// The key is a fingerprint already: its low bits are its hash.
    fn home(&self, key: Key) -> usize {
        (key[0] as usize | ((key[1] as usize) << 32)) & self.mask()
    }

    /// The value under `key`.
    pub(super) fn get(&self, key: u128) -> Option<&SeenSale> {
        let key = packed(key);
        if key == [0; 3] {
            return self.zero.as_ref();
        }
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.key == key {
                return Some(&slot.value);
            }
            if slot.key == [0; 3] {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Whether `key` is present (read early, it also brings the key's slot into the cache).
    pub(super) fn contains(&self, key: u128) -> bool {
        self.get(key).is_some()
    }

    /// The value under `key`, inserted from `make` when absent; `true` when inserted.
    pub(super) fn get_or_insert_with(
        &mut self,
        key: u128,
        make: impl FnOnce() -> SeenSale,
    ) -> (&mut SeenSale, bool) {
        let key = packed(key);
        if key == [0; 3] {
            let inserted = self.zero.is_none();
            return (self.zero.get_or_insert_with(make), inserted);
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.rebuild(((self.len + 1) * 2).next_power_of_two().max(16));
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let found = self.slots[i].key;
            if found == key {
                return (&mut self.slots[i].value, false);
            }
            if found == [0; 3] {
                self.slots[i] = Slot { key, value: make() };
                self.len += 1;
                return (&mut self.slots[i].value, true);
            }
            i = (i + 1) & mask;
        }
    }

    /// Empties the map, keeping its slots.
    pub(super) fn clear(&mut self) {
        self.slots.fill(EMPTY);
        self.len = 0;
        self.zero = None;
    }

    /// Makes room for `additional` more keys without growing on the way.
    pub(super) fn reserve(&mut self, additional: usize) {
        let wanted = self.len + additional;
        if wanted * 2 > self.slots.len() {
            self.rebuild((wanted * 2).next_power_of_two().max(16));
        }
    }

    fn rebuild(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; size]);
        let mask = self.mask();
        for slot in old {
            if slot.key != [0; 3] {
                let mut i = self.home(slot.key);
                while self.slots[i].key != [0; 3] {
                    i = (i + 1) & mask;
                }
                self.slots[i] = slot;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::NaiveDate;
    use proptest::prelude::*;

    use super::*;

    fn sale(n: u128) -> SeenSale {
        SeenSale {
            date: NaiveDate::from_num_days_from_ce_opt(739_000 + (n % 100) as i32),
            near: super::super::check(n),
            exact: super::super::check(n + 1),
        }
    }

    #[test]
    fn slots_are_half_cache_lines() {
        assert_eq!(std::mem::size_of::<Slot>(), 32);
        assert_eq!(std::mem::align_of::<Slot>(), 32);
    }

    #[test]
    fn keys_agreeing_in_their_low_96_bits_are_one_key() {
        let mut map = SeenMap::default();
        let key = (7u128 << 64) | 3;
        map.get_or_insert_with(key, || sale(1));
        assert!(map.contains(key | (1 << 100)));
        assert!(!map.contains(key ^ (1 << 95)));
        // And the keys whose low 96 bits are zero are one key too, kept apart.
        map.get_or_insert_with(1 << 120, || sale(2));
        assert_eq!(
            map.get(0).map(|s| s.near),
            Some(super::super::check(2)),
            "the zero key"
        );
    }

    proptest! {
        /// The map answers like a `HashMap` (keys colliding in their low bits, the key 0, and
        /// growth on the way included).
        #[test]
        fn answers_like_a_hash_map(
            ops in proptest::collection::vec(
                (prop_oneof![Just(0u128), 1u128..8, (0u128..4).prop_map(|k| (k << 64) | 3)], any::<bool>(), 0usize..40),
                0..300,
            )
        ) {
            let mut map = SeenMap::default();
            let mut model: HashMap<u128, SeenSale> = HashMap::new();
            for (n, (key, mutate, reserve)) in ops.into_iter().enumerate() {
                let key = key.wrapping_mul(if n % 3 == 0 { 1 } else { 0x1_0000 });
                if reserve == 0 {
                    map.reserve(n % 50);
                }
                let (value, inserted) = map.get_or_insert_with(key, || sale(n as u128));
                prop_assert_eq!(inserted, !model.contains_key(&key));
                if mutate {
                    value.near[0] += 1;
                }
                let expected = model.entry(key).or_insert_with(|| sale(n as u128));
                if mutate {
                    expected.near[0] += 1;
                }
                for probe in [0u128, 1, 2, 3, 7, (3 << 64) | 3, key] {
                    prop_assert_eq!(map.get(probe).map(|s| (s.date, s.near, s.exact)),
                        model.get(&probe).map(|s| (s.date, s.near, s.exact)));
                    prop_assert_eq!(map.contains(probe), model.contains_key(&probe));
                }
            }
        }
    }
}
