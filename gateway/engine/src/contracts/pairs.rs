//! The (contract, item) → row range index of the hot path: a flat open-addressing table.
//!
//! Every sale line asks "which rows does this contract's current version have for this item"
//! in a book of millions of rows, so the answer is one random access into memory that no
//! cache holds. `std`'s `HashMap` keeps control bytes and entries in two arrays (two cache
//! misses a probe); here a slot is 16 bytes (packed key, first row, row count), four to a
//! cache line, probed linearly from the key's hash: a hit almost always costs one line.
//! Deletion shifts later slots back (no tombstones), so the table never degrades as contracts
//! are re-versioned.

/// One slot; `count == 0` marks an empty slot (a stored range has at least one row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    key: u64,
    start: u32,
    count: u32,
}

/// Map from a packed (contract, item) key to (first row, row count).
#[derive(Debug, Clone, Default)]
pub(crate) struct PairIndex {
    /// Power-of-two length (or empty).
    slots: Vec<Slot>,
    len: usize,
}

/// SplitMix64 finalizer: packed index pairs are not random, their hash must be.
fn hash(key: u64) -> u64 {
    let mut z = key;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl PairIndex {
    /// Number of keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn home(&self, key: u64) -> usize {
        hash(key) as usize & self.mask()
    }

    /// The range stored under `key`.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<(u32, u32)> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let slot = self.slots[i];
            if slot.count == 0 {
                return None;
            }
            if slot.key == key {
                return Some((slot.start, slot.count));
            }
            i = (i + 1) & mask;
        }
    }

    /// Stores `(start, count)` under `key`, replacing an earlier range; `count == 0` removes.
    pub(crate) fn insert(&mut self, key: u64, start: u32, count: u32) {
        if count == 0 {
            self.remove(key);
            return;
        }
        // At most 3/4 full, so a probe rarely leaves its first cache line.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.count == 0 {
                *slot = Slot { key, start, count };
                self.len += 1;
                return;
            }
            if slot.key == key {
                slot.start = start;
                slot.count = count;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Removes `key`, shifting the slots of its probe run back over the hole.
    pub(crate) fn remove(&mut self, key: u64) {
        if self.slots.is_empty() {
            return;
        }
        let mask = self.mask();
        let mut hole = self.home(key);
        loop {
            let slot = self.slots[hole];
            if slot.count == 0 {
                return;
            }
            if slot.key == key {
                break;
            }
            hole = (hole + 1) & mask;
        }
        self.len -= 1;
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let slot = self.slots[next];
            if slot.count == 0 {
                break;
            }
            // A slot may move back to the hole unless its home lies cyclically in (hole, next].
            let home = self.home(slot.key);
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                self.slots[hole] = slot;
                hole = next;
            }
        }
        self.slots[hole] = Slot::default();
    }

    /// Makes room for `additional` more keys without growing on the way.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let wanted = self.len + additional;
        if wanted * 4 > self.slots.len() * 3 {
            self.rebuild((wanted * 4 / 3 + 1).next_power_of_two());
        }
    }

    fn grow(&mut self) {
        self.rebuild((self.slots.len() * 2).max(16));
    }

    fn rebuild(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        self.len = 0;
        for slot in old {
            if slot.count != 0 {
                self.insert(slot.key, slot.start, slot.count);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn insert_get_replace_remove() {
        let mut index = PairIndex::default();
        assert_eq!(index.get(7), None);
        index.insert(7, 0, 3);
        index.insert(8, 3, 1);
        assert_eq!(
            (index.get(7), index.get(8), index.get(9)),
            (Some((0, 3)), Some((3, 1)), None)
        );
        index.insert(7, 10, 2);
        assert_eq!((index.get(7), index.len()), (Some((10, 2)), 2));
        index.remove(7);
        index.remove(42);
        assert_eq!(
            (index.get(7), index.get(8), index.len()),
            (None, Some((3, 1)), 1)
        );
        index.insert(8, 0, 0);
        assert_eq!((index.get(8), index.len()), (None, 0));
    }

    #[test]
    fn grows_and_keeps_every_key() {
        let mut index = PairIndex::default();
        for k in 0..10_000u64 {
            index.insert(((k % 100) << 32) | (k / 100), k as u32, 1 + (k % 5) as u32);
        }
        for k in 0..10_000u64 {
            assert_eq!(
                index.get(((k % 100) << 32) | (k / 100)),
                Some((k as u32, 1 + (k % 5) as u32))
            );
        }
        assert_eq!(index.len(), 10_000);
        assert!(index.slots.len() * 3 >= index.len() * 4);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64, u32, u32),
        Remove(u64),
        Reserve(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct keys, so inserts replace, removals hit, and probe runs collide and wrap.
        let key = (0u64..6, 0u64..40).prop_map(|(c, i)| (c << 32) | i);
        prop_oneof![
            4 => (key.clone(), any::<u32>(), 0u32..4).prop_map(|(k, s, n)| Op::Insert(k, s, n)),
            3 => key.prop_map(Op::Remove),
            1 => (0usize..64).prop_map(Op::Reserve),
        ]
    }

    proptest! {
        /// The table answers like a `HashMap` after any sequence of inserts and removals.
        #[test]
        fn answers_like_a_hash_map(ops in proptest::collection::vec(op(), 0..400)) {
            let mut index = PairIndex::default();
            let mut model: HashMap<u64, (u32, u32)> = HashMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, s, 0) => {
                        index.insert(k, s, 0);
                        model.remove(&k);
                    }
                    Op::Insert(k, s, n) => {
                        index.insert(k, s, n);
                        model.insert(k, (s, n));
                    }
                    Op::Remove(k) => {
                        index.remove(k);
                        model.remove(&k);
                    }
                    Op::Reserve(n) => index.reserve(n),
                }
                prop_assert_eq!(index.len(), model.len());
            }
            for c in 0u64..6 {
                for i in 0u64..40 {
                    let k = (c << 32) | i;
                    prop_assert_eq!(index.get(k), model.get(&k).copied());
                }
            }
        }
    }
}
