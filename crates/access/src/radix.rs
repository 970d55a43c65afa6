//! A monotone priority queue on `u64` keys (a radix heap), for Dijkstra.
//!
//! Dijkstra never pushes a key below the last one popped, and a radix heap uses exactly that:
//! an item goes into the bucket numbered by the highest bit in which its key differs from the
//! last key popped (bucket 0 when equal). Popping takes from bucket 0; when it is empty, the
//! first non-empty bucket is emptied into lower buckets around its smallest key, which becomes
//! the new "last". Each item moves down at most 64 times and in practice a few, so pushes are
//! O(1) and pops cheap, and the buckets are plain vectors (no sift-up or sift-down through a
//! heap array the size of the frontier).
//!
//! Non-negative `f64` distances are pushed as their bit patterns, which sort like the numbers.
//! Among equal keys the order of popping is unspecified (Dijkstra's result does not depend on it).

/// Items `(key, value)` popped in non-decreasing key order; pushing a key below the last
/// popped one is a logic error (checked in debug builds).
pub(crate) struct RadixHeap {
    last: u64,
    /// Bit `i` set when bucket `i` holds items (found by `trailing_zeros`, not a scan).
    full: u128,
    buckets: [Vec<(u64, u32)>; 65],
}

#[inline]
fn bucket(key: u64, last: u64) -> usize {
    64 - (key ^ last).leading_zeros() as usize
}

impl RadixHeap {
    pub(crate) fn new() -> RadixHeap {
        RadixHeap {
            last: 0,
            full: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
        }
    }

    /// Empties the heap and forgets the last key (the next push may be any key).
    pub(crate) fn clear(&mut self) {
        while self.full != 0 {
            let i = self.full.trailing_zeros() as usize;
            self.buckets[i].clear();
            self.full &= !(1u128 << i);
        }
        self.last = 0;
    }

    #[inline]
    pub(crate) fn push(&mut self, key: u64, value: u32) {
        debug_assert!(key >= self.last, "radix heap: key below the last popped");
        let b = bucket(key, self.last);
        self.buckets[b].push((key, value));
        self.full |= 1u128 << b;
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(u64, u32)> {
        // Every item is in a bucket whose bit is set: no bits, no items.
        if self.full == 0 {
            return None;
        }
        if self.full & 1 == 0 {
            self.refill();
        }
        let item = self.buckets[0].pop();
        if self.buckets[0].is_empty() {
            self.full &= !1;
        }
        item
    }

    /// Moves the first non-empty bucket's items down around its smallest key.
    fn refill(&mut self) {
        let i = self.full.trailing_zeros() as usize;
        self.full &= !(1u128 << i);
        let mut items = std::mem::take(&mut self.buckets[i]);
        let min = items.iter().map(|&(k, _)| k).min().unwrap_or(self.last);
        self.last = min;
        for (k, v) in items.drain(..) {
            // Every key of bucket i shares the bits above i with `min`: it lands below i.
            let b = bucket(k, min);
            self.buckets[b].push((k, v));
            self.full |= 1u128 << b;
        }
        // Keep the emptied vector's allocation for the next time this bucket fills.
        self.buckets[i] = items;
    }
}

#[cfg(test)]
mod tests {
    use super::RadixHeap;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    proptest! {
        /// Interleaved pushes (never below the last pop, as in Dijkstra) and pops give the same
        /// key sequence as a binary heap.
        #[test]
        fn pops_in_key_order_like_a_binary_heap(
            ops in proptest::collection::vec((any::<bool>(), 0u64..1_000_000, any::<u32>()), 0..400),
            big in any::<bool>(),
        ) {
            let mut radix = RadixHeap::new();
            let mut reference = BinaryHeap::new();
            let mut last = 0u64;
            for (pop, delta, value) in ops {
                if pop {
                    let a = radix.pop();
                    let b = reference.pop().map(|Reverse(x): Reverse<(u64, u32)>| x);
                    prop_assert_eq!(a.map(|x| x.0), b.map(|x| x.0));
                    if let Some((k, _)) = a {
                        last = k;
                    }
                } else {
                    // Keys as f64 bit patterns of distances when `big`, small integers otherwise.
                    let key = if big {
                        (f64::from_bits(last) + delta as f64 / 7.0).to_bits()
                    } else {
                        last + delta
                    };
                    radix.push(key, value);
                    reference.push(Reverse((key, value)));
                }
            }
            while let Some(Reverse((k, _))) = reference.pop() {
                prop_assert_eq!(radix.pop().map(|x| x.0), Some(k));
            }
            prop_assert_eq!(radix.pop(), None);
        }
    }

    #[test]
    fn clear_forgets_the_last_key() {
        let mut h = RadixHeap::new();
        h.push(100, 1);
        h.push(50_000, 2);
        assert_eq!(h.pop(), Some((100, 1)));
        h.clear();
        h.push(3, 3);
        assert_eq!(h.pop(), Some((3, 3)));
        assert_eq!(h.pop(), None);
    }
}
