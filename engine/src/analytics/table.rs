//! Bounded tables: a map in two generations (an approximate LRU) with byte
//! accounting.
//!
//! New and touched keys live in the young generation. When the young
//! generation is full (entry cap) or the table's bytes reach its budget, the
//! old generation is dropped (its entries counted as evictions) and the young
//! one becomes old. A key touched again while old moves back to young, so
//! keys in use survive and keys left alone for a generation go. Every
//! operation is O(1) and the result does not depend on hash order, so replay
//! stays deterministic.
//!
//! Bytes are accounted as the hash tables' allocated slots (both
//! generations) plus the heap each value reports through [`HeapSize`]. The
//! entry cap per generation is the largest that keeps two full generations'
//! slots within `slot_share` of the budget; the rest is for heap. A value may
//! grow after insertion, so the total can pass the budget by at most one
//! value's growth before the next turn; values bound their own growth with
//! named caps.

use std::collections::HashMap;
use std::hash::Hash;
use std::mem::size_of;

/// Heap bytes a value owns beyond its inline size.
pub(crate) trait HeapSize {
    /// Bytes allocated on the heap by this value.
    fn heap_size(&self) -> usize;
}

impl HeapSize for Box<str> {
    fn heap_size(&self) -> usize {
        self.len()
    }
}

/// Counters and accounting of one bounded table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableCounters {
    /// Entries now (both generations).
    pub entries: u64,
    /// Keys inserted (first seen, or seen again after eviction).
    pub inserted: u64,
    /// Entries dropped with the old generation to stay under the caps.
    pub evicted: u64,
    /// Generation turns.
    pub turns: u64,
    /// Bytes accounted now: slots of both generations plus values' heap.
    pub bytes: u64,
    /// Highest `bytes` seen.
    pub peak_bytes: u64,
    /// This table's share of the memcap.
    pub budget: u64,
    /// Entry cap of one generation derived from the budget.
    pub gen_entries: u64,
}

/// A bounded map; see the module documentation.
pub(crate) struct GenMap<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    young_heap: usize,
    old_heap: usize,
    gen_entries: usize,
    /// Budget minus the slots of two full generations.
    heap_budget: usize,
    c: TableCounters,
}

/// Bytes of one hash table slot: key, value and hashbrown's control byte.
const fn slot_bytes<K, V>() -> usize {
    size_of::<(K, V)>() + 1
}

/// Buckets a hash table with this item capacity has allocated (hashbrown
/// keeps buckets a power of two, at most 7/8 full).
fn buckets(capacity: usize) -> usize {
    match capacity {
        0 => 0,
        c if c < 8 => (c + 1).next_power_of_two(),
        c => (c * 8 / 7).next_power_of_two(),
    }
}

impl<K: Hash + Eq, V: HeapSize> GenMap<K, V> {
    /// A table within `budget` bytes, of which `slot_share` (0..1) for slots.
    pub(crate) fn new(budget: usize, slot_share: f64) -> Self {
        let slot = slot_bytes::<K, V>();
        let slot_budget = (budget as f64 * slot_share) as usize;
        // Largest power-of-two bucket count with both generations' slots
        // inside the slot budget; a generation holds 7/8 of its buckets.
        let mut b = 8usize;
        while 2 * (2 * b) * slot <= slot_budget {
            b *= 2;
        }
        let gen_entries = b * 7 / 8;
        let heap_budget = budget.saturating_sub(2 * b * slot);
        GenMap {
            young: HashMap::new(),
            old: HashMap::new(),
            young_heap: 0,
            old_heap: 0,
            gen_entries,
            heap_budget,
            c: TableCounters { budget: budget as u64, gen_entries: gen_entries as u64, ..TableCounters::default() },
        }
    }

    fn bytes(&self) -> usize {
        let slot = slot_bytes::<K, V>();
        (buckets(self.young.capacity()) + buckets(self.old.capacity())) * slot + self.young_heap + self.old_heap
    }

    fn heap(&self) -> usize {
        self.young_heap + self.old_heap
    }

    fn account(&mut self) {
        let b = self.bytes() as u64;
        self.c.bytes = b;
        self.c.peak_bytes = self.c.peak_bytes.max(b);
        self.c.entries = (self.young.len() + self.old.len()) as u64;
    }

    /// Drops the old generation; young becomes old, and the emptied map
    /// (keeping its allocation) becomes young.
    fn turn(&mut self) {
        self.c.turns += 1;
        self.c.evicted += self.old.len() as u64;
        self.old.clear();
        std::mem::swap(&mut self.young, &mut self.old);
        self.old_heap = self.young_heap;
        self.young_heap = 0;
    }

    /// Runs `f` on the value of `key`, made by `make` if absent, and returns
    /// what `f` returns. Keeps the caps (may turn generations first).
    pub(crate) fn upsert<R>(&mut self, key: K, make: impl FnOnce() -> V, f: impl FnOnce(&mut V) -> R) -> R
    where
        K: Clone,
    {
        if !self.young.contains_key(&key) {
            let v = match self.old.remove(&key) {
                Some(v) => {
                    self.old_heap -= v.heap_size();
                    v
                }
                None => {
                    self.c.inserted += 1;
                    make()
                }
            };
            if self.young.len() >= self.gen_entries || self.heap() + v.heap_size() > self.heap_budget {
                self.turn();
            }
            self.young_heap += v.heap_size();
            self.young.insert(key.clone(), v);
        }
        let v = self.young.get_mut(&key).expect("the key is young now");
        let before = v.heap_size();
        let r = f(v);
        self.young_heap = self.young_heap + v.heap_size() - before;
        if self.heap() > self.heap_budget {
            // Grown values pushed the table over: shed the old generation.
            // The key just used stays (it is young).
            self.turn();
            if let Some(v) = self.old.remove(&key) {
                let h = v.heap_size();
                self.old_heap -= h;
                self.young_heap += h;
                self.young.insert(key, v);
            }
        }
        self.account();
        r
    }

    /// The value of `key` without touching it (no promotion).
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.young.get(key).or_else(|| self.old.get(key))
    }

    /// Runs `f` on every value (both generations, hash order: callers that
    /// emit must sort what they emit).
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&K, &mut V)) {
        let mut heap = [0usize; 2];
        for (i, m) in [&mut self.young, &mut self.old].into_iter().enumerate() {
            for (k, v) in m.iter_mut() {
                f(k, v);
                heap[i] += v.heap_size();
            }
        }
        self.young_heap = heap[0];
        self.old_heap = heap[1];
        self.account();
    }

    /// Drops every entry (not counted as evictions) and frees the memory.
    pub(crate) fn clear(&mut self) {
        self.young = HashMap::new();
        self.old = HashMap::new();
        self.young_heap = 0;
        self.old_heap = 0;
        self.account();
    }

    /// Counters and accounting.
    pub(crate) fn counters(&self) -> TableCounters {
        self.c
    }

    /// Bytes accounted now.
    pub(crate) fn bytes_now(&self) -> u64 {
        self.c.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct V(Vec<u8>);

    impl HeapSize for V {
        fn heap_size(&self) -> usize {
            self.0.capacity()
        }
    }

    #[test]
    fn stays_under_budget_and_keeps_touched_keys() {
        let budget = 64 * 1024;
        let mut m: GenMap<u64, V> = GenMap::new(budget, 0.75);
        let cap = m.counters().gen_entries;
        assert!(cap >= 64);
        for k in 0..100_000u64 {
            m.upsert(k, V::default, |v| v.0.push(1));
            // Key 7 is touched often enough to stay.
            if k % (cap / 2) == 0 {
                m.upsert(7, V::default, |_| ());
            }
            assert!(m.counters().bytes <= budget as u64 + 64, "bytes {} over budget", m.counters().bytes);
        }
        let c = m.counters();
        assert!(c.evicted > 90_000, "{c:?}");
        assert!(c.entries <= 2 * cap);
        assert_eq!(c.inserted, c.entries + c.evicted);
        assert!(m.get(&7).is_some());
        assert!(m.get(&3).is_none());
    }

    #[test]
    fn heap_growth_turns_generations() {
        let budget = 32 * 1024;
        let mut m: GenMap<u64, V> = GenMap::new(budget, 0.25);
        for k in 0..1000u64 {
            m.upsert(k, V::default, |v| v.0.extend_from_slice(&[0u8; 200]));
        }
        let c = m.counters();
        assert!(c.turns > 0);
        assert!(c.peak_bytes <= budget as u64 + 256, "{c:?}");
        m.clear();
        assert_eq!(m.counters().bytes, 0);
    }
}
