//! Small shared pieces: a compressed sparse row list, its transpose, sums of the largest
//! values, and an ordered float for priority queues.

use std::cmp::Ordering;

/// Rows of `(column, value)` stored contiguously (compressed sparse rows).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Csr<T: Copy> {
    pub start: Vec<usize>,
    pub col: Vec<u32>,
    pub val: Vec<T>,
}

impl<T: Copy> Csr<T> {
    pub fn from_rows(rows: &[Vec<(u32, T)>]) -> Csr<T> {
        let mut start = Vec::with_capacity(rows.len() + 1);
        start.push(0);
        let mut col = Vec::new();
        let mut val = Vec::new();
        for r in rows {
            for &(c, v) in r {
                col.push(c);
                val.push(v);
            }
            start.push(col.len());
        }
        Csr { start, col, val }
    }

    pub fn rows(&self) -> usize {
        self.start.len() - 1
    }

    pub fn row(&self, i: usize) -> (&[u32], &[T]) {
        let r = self.start[i]..self.start[i + 1];
        (&self.col[r.clone()], &self.val[r])
    }

    pub fn cols_of(&self, i: usize) -> &[u32] {
        &self.col[self.start[i]..self.start[i + 1]]
    }

    pub fn nnz(&self) -> usize {
        self.col.len()
    }

    /// The transpose with `n_cols` rows; each row lists `(old row, value)` in increasing order.
    pub fn transpose(&self, n_cols: usize) -> Csr<T> {
        let mut count = vec![0usize; n_cols + 1];
        for &c in &self.col {
            count[c as usize + 1] += 1;
        }
        for k in 0..n_cols {
            count[k + 1] += count[k];
        }
        let mut fill = count.clone();
        let mut col = vec![0u32; self.col.len()];
        let mut val: Vec<T> = Vec::with_capacity(self.val.len());
        if let Some(&v0) = self.val.first() {
            val.resize(self.val.len(), v0);
        }
        for i in 0..self.rows() {
            for k in self.start[i]..self.start[i + 1] {
                let c = self.col[k] as usize;
                col[fill[c]] = i as u32;
                val[fill[c]] = self.val[k];
                fill[c] += 1;
            }
        }
        Csr {
            start: count,
            col,
            val,
        }
    }
}

/// The sum of the `p` largest of `values` (all of them when there are fewer), ignoring
/// negative ones when `skip_negative`, and the indices taken.
pub(crate) fn top_p(values: &[f64], p: usize, skip_negative: bool) -> (f64, Vec<usize>) {
    let mut idx: Vec<usize> = (0..values.len())
        .filter(|&j| !skip_negative || values[j] > 0.0)
        .collect();
    let p = p.min(idx.len());
    if p < idx.len() && p > 0 {
        idx.select_nth_unstable_by(p - 1, |&a, &b| {
            values[b].total_cmp(&values[a]).then(a.cmp(&b))
        });
    }
    idx.truncate(p);
    let s = idx.iter().map(|&j| values[j]).sum();
    (s, idx)
}

/// A float ordered by `total_cmp`, then by a smaller index first (for max-heaps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Key(pub f64, pub u32);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// Whether sorted list `a` is a subset of sorted list `b`.
pub(crate) fn is_subset(a: &[u32], b: &[u32]) -> bool {
    if a.len() > b.len() {
        return false;
    }
    let mut k = 0;
    for &x in a {
        while k < b.len() && b[k] < x {
            k += 1;
        }
        if k == b.len() || b[k] != x {
            return false;
        }
        k += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_top_p() {
        let m = Csr::from_rows(&[vec![(1, 1.0), (2, 2.0)], vec![], vec![(0, 3.0), (2, 4.0)]]);
        let t = m.transpose(3);
        assert_eq!(t.row(0), (&[2u32][..], &[3.0][..]));
        assert_eq!(t.row(2), (&[0u32, 2][..], &[2.0, 4.0][..]));
        let (s, idx) = top_p(&[1.0, 5.0, -1.0, 5.0, 2.0], 3, true);
        assert_eq!(s, 12.0);
        let mut idx = idx;
        idx.sort();
        assert_eq!(idx, vec![1, 3, 4]);
        assert_eq!(top_p(&[-1.0, -2.0], 5, true).0, 0.0);
        assert!(is_subset(&[1, 3], &[0, 1, 2, 3]));
        assert!(!is_subset(&[1, 4], &[0, 1, 2, 3]));
    }
}
