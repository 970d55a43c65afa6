//! The selection of `lc-draw/1`: stream hashes, unbiased indexes, selection without replacement.

use sha2::{Digest, Sha256};

use super::{ClassResult, DrawError, DrawResult, Drawn, Plan, RiskClass};

/// Lower-case hex SHA-256.
pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

/// Hash number `i` of the stream `name`: `SHA-256(i ‖ key ‖ name ‖ "/" ‖ i)`, `i` as 4 bytes
/// big-endian.
pub fn stream_digest(key: &[u8], name: &str, i: u32) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(i.to_be_bytes());
    h.update(key);
    h.update(name.as_bytes());
    h.update(b"/");
    h.update(i.to_be_bytes());
    h.finalize().into()
}

/// The index `x` gives among `m` candidates, or `None` when `x` falls in the incomplete last
/// block (`x ≥ ⌊2⁶⁴ / m⌋ × m`) and must be rejected.
pub fn unbiased_index(x: u64, m: u64) -> Option<u64> {
    if m == 0 {
        return None;
    }
    let limit = ((1u128 << 64) / u128::from(m)) * u128::from(m);
    (u128::from(x) < limit).then_some(x % m)
}

/// How many of `n` objects a ratio of `ratio` basis points draws: `ceil(n × ratio / 10 000)`,
/// at most `n`.
pub fn count_for(n: usize, ratio: u32) -> usize {
    let n64 = n as u64;
    let k = (n64 * u64::from(ratio)).div_ceil(10_000);
    usize::try_from(k).map_or(n, |k| k.min(n))
}

/// One named sequence of hashes.
struct Stream<'a> {
    key: &'a [u8],
    name: String,
    next: u32,
}

impl Stream<'_> {
    /// An unbiased index among `m` candidates, consuming as many hashes as rejection needs.
    fn pick(&mut self, m: usize) -> Result<usize, DrawError> {
        loop {
            let i = self.next;
            self.next = i.checked_add(1).ok_or(DrawError::Exhausted)?;
            let d = stream_digest(self.key, &self.name, i);
            let mut first = [0u8; 8];
            first.copy_from_slice(&d[..8]);
            if let Some(j) = unbiased_index(u64::from_be_bytes(first), m as u64) {
                // j < m, which is a usize.
                return Ok(j as usize);
            }
        }
    }
}

/// The candidates not yet chosen, in their order: a Fenwick tree of 0/1 so that taking the
/// j-th remaining one costs O(log n) instead of shifting a list (the same result as removing
/// it from a list that keeps its order).
struct Remaining {
    tree: Vec<usize>,
    len: usize,
}

impl Remaining {
    fn new(n: usize) -> Remaining {
        let mut tree = vec![0; n + 1];
        for i in 1..=n {
            tree[i] += 1;
            let j = i + (i & i.wrapping_neg());
            if j <= n {
                tree[j] += tree[i];
            }
        }
        Remaining { tree, len: n }
    }

    /// Removes and returns the original position of the `j`-th remaining candidate (`j < len`).
    fn take(&mut self, j: usize) -> usize {
        let n = self.tree.len() - 1;
        let mut pos = 0;
        let mut target = j + 1;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        while step > 0 {
            if pos + step <= n && self.tree[pos + step] < target {
                pos += step;
                target -= self.tree[pos];
            }
            step >>= 1;
        }
        let found = pos + 1;
        let mut i = found;
        while i <= n {
            self.tree[i] -= 1;
            i += i & i.wrapping_neg();
        }
        self.len -= 1;
        found - 1
    }
}

/// Draws `k` of `n` candidates from one stream; the positions chosen, in order.
fn choose(key: &[u8], name: String, n: usize, k: usize) -> Result<Vec<usize>, DrawError> {
    let mut stream = Stream { key, name, next: 0 };
    let mut left = Remaining::new(n);
    let mut out = Vec::with_capacity(k);
    for _ in 0..k.min(n) {
        let j = stream.pick(left.len)?;
        out.push(left.take(j));
    }
    Ok(out)
}

/// The whole draw on a canonical plan with its eligibility lists.
pub(crate) fn run(
    canon: &Plan,
    eligible: &[Vec<usize>],
    key: &[u8],
) -> Result<DrawResult, DrawError> {
    let mut classes = Vec::with_capacity(4);
    let ipo = canon.inspectors_per_object as usize;
    for class in RiskClass::ALL {
        let members: Vec<usize> = (0..canon.objects.len())
            .filter(|&i| canon.objects[i].class == class)
            .collect();
        let ratio = canon.ratios.of(class);
        let count = count_for(members.len(), ratio);
        let mut objects = Vec::with_capacity(count);
        for pos in choose(key, format!("objects/{class}"), members.len(), count)? {
            let oi = members[pos];
            let o = &canon.objects[oi];
            let pool = &eligible[oi];
            let inspectors = choose(key, format!("inspectors/{}", o.id), pool.len(), ipo)?
                .into_iter()
                .map(|p| canon.inspectors[pool[p]].id.clone())
                .collect();
            objects.push(Drawn {
                object: o.id.clone(),
                provider_code: o.provider_code.clone(),
                inspectors,
            });
        }
        classes.push(ClassResult {
            class,
            pool_size: members.len(),
            ratio,
            count,
            objects,
        });
    }
    Ok(DrawResult { classes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_takes_as_a_list_would() {
        for n in 0..40usize {
            let mut list: Vec<usize> = (0..n).collect();
            let mut tree = Remaining::new(n);
            let mut j = 7usize;
            while !list.is_empty() {
                j = (j * 31 + 11) % list.len();
                assert_eq!(tree.take(j), list.remove(j));
                assert_eq!(tree.len, list.len());
            }
        }
    }

    #[test]
    fn rejection_bounds() {
        assert_eq!(unbiased_index(u64::MAX, 1), Some(0));
        assert_eq!(unbiased_index(u64::MAX, 2), Some(1));
        // 2^64 = 3 × 6148914691236517205 + 1: only the very last value is rejected.
        assert_eq!(unbiased_index(u64::MAX, 3), None);
        assert_eq!(unbiased_index(u64::MAX - 1, 3), Some((u64::MAX - 1) % 3));
        assert_eq!(unbiased_index(5, 0), None);
    }
}
