//! Disclosure control: hand-worked tables (primary and secondary suppression both needed), the
//! differencing attacks of overlapping regions and successive releases, and properties on random
//! tables checked by an independent attacker (floating-point Gaussian elimination, not the
//! crate's exact elimination).

use std::collections::BTreeMap;

use lc_disclosure::{suppress, suppress_release, Policy, Relation, Release, Table};
use proptest::prelude::*;

/// The attacker: every relation with the published values substituted, solved by Gaussian
/// elimination in floating point. Returns the unknowns (by index) whose value the system fixes,
/// with that value.
fn attack(values: &[u64], relations: &[Relation], known: &[bool]) -> BTreeMap<usize, f64> {
    let unknowns: Vec<usize> = (0..values.len()).filter(|&i| !known[i]).collect();
    let col: BTreeMap<usize, usize> = unknowns.iter().enumerate().map(|(k, &c)| (c, k)).collect();
    let w = unknowns.len();
    // Rows: coefficients of the unknowns | right-hand side from the known cells.
    let mut m: Vec<Vec<f64>> = relations
        .iter()
        .map(|r| {
            let mut row = vec![0.0; w + 1];
            let mut add = |c: usize, s: f64| match col.get(&c) {
                Some(&k) => row[k] += s,
                None => row[w] -= s * values[c] as f64,
            };
            add(r.total, 1.0);
            for &p in &r.parts {
                add(p, -1.0);
            }
            row
        })
        .collect();
    let mut rank = 0;
    for c in 0..w {
        let Some(p) = (rank..m.len())
            .filter(|&r| m[r][c].abs() > 1e-9)
            .max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))
        else {
            continue;
        };
        m.swap(rank, p);
        let pv = m[rank][c];
        m[rank].iter_mut().for_each(|x| *x /= pv);
        let pr = m[rank].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != rank && row[c].abs() > 1e-12 {
                let f = row[c];
                row.iter_mut().zip(&pr).for_each(|(x, y)| *x -= f * y);
            }
        }
        rank += 1;
    }
    let mut found = BTreeMap::new();
    for row in &m {
        let nz: Vec<usize> = (0..w).filter(|&k| row[k].abs() > 1e-9).collect();
        if nz.len() == 1 {
            found.insert(unknowns[nz[0]], row[w] / row[nz[0]]);
        }
    }
    found
}

/// The attacker's result on one table as published.
fn recovered(t: &Table, suppressed: &[bool]) -> BTreeMap<usize, f64> {
    let values: Vec<u64> = (0..t.len()).map(|i| t.value(i)).collect();
    let known: Vec<bool> = suppressed.iter().map(|s| !s).collect();
    attack(&values, t.relations(), &known)
}

/// A grid with row and column totals and a grand total; returns the table and each cell's
/// index (`idx[r][c]`, the totals in the last row and column).
#[allow(clippy::needless_range_loop)] // rows and columns of one index grid
fn grid(inner: &[Vec<u64>]) -> (Table, Vec<Vec<usize>>) {
    let rows = inner.len();
    let cols = inner[0].len();
    let mut t = Table::new();
    let mut idx = vec![vec![0; cols + 1]; rows + 1];
    let mut col_sums = vec![0u64; cols + 1];
    for (r, row) in inner.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            idx[r][c] = t.cell(v);
            col_sums[c] += v;
        }
        let s: u64 = row.iter().sum();
        idx[r][cols] = t.cell(s);
        col_sums[cols] += s;
    }
    for c in 0..=cols {
        idx[rows][c] = t.cell(col_sums[c]);
    }
    for row in &idx {
        t.relation(row[cols], row[..cols].to_vec()).unwrap();
    }
    for c in 0..=cols {
        let parts = (0..rows).map(|r| idx[r][c]).collect();
        t.relation(idx[rows][c], parts).unwrap();
    }
    (t, idx)
}

/// The worked table of docs/open-data.md: people on the care register by community and
/// category. Two cells are under 10 (A·特困 4, C·独居 3); each is alone in its row and its
/// column, so four complements are needed, and the six suppressed cells form a cycle
/// (A·特困 – A·低保 – B·低保 – B·独居 – C·独居 – C·特困) that no total can break.
#[test]
fn worked_table_needs_four_complements() {
    let (t, idx) = grid(&[vec![4, 25, 30], vec![12, 18, 20], vec![15, 22, 3]]);
    let out = suppress(&Policy::default(), &t);
    let at = |r: usize, c: usize| out.suppressed[idx[r][c]];
    let shown: Vec<Vec<bool>> = (0..4)
        .map(|r| (0..4).map(|c| !at(r, c)).collect())
        .collect();
    assert_eq!(
        shown,
        vec![
            vec![false, false, true, true],
            vec![true, false, false, true],
            vec![false, true, false, true],
            vec![true, true, true, true],
        ]
    );
    assert_eq!(out.primary.iter().filter(|&&p| p).count(), 2);
    assert_eq!(out.secondary().count(), 4);
    assert!(out.exposed.is_empty());
    assert!(recovered(&t, &out.suppressed).is_empty());
    // Primary suppression alone gives both cells back through the row totals.
    let found = recovered(&t, &out.primary);
    assert_eq!(found.get(&idx[0][0]), Some(&4.0));
    assert_eq!(found.get(&idx[2][2]), Some(&3.0));
}

/// Two overlapping regions: region 1 = {a, b, c}, region 2 = {a, b}. Two suppressed cells in
/// every relation is not enough: region 1 − region 2 = c. The whole-system check suppresses
/// region 1's total as well.
#[test]
fn differencing_two_overlapping_regions_reveals_nothing() {
    let mut t = Table::new();
    let a = t.cell(12);
    let b = t.cell(20);
    let c = t.cell(3);
    let r1 = t.cell(35);
    let r2 = t.cell(32);
    t.relation(r1, vec![a, b, c]).unwrap();
    t.relation(r2, vec![a, b]).unwrap();
    let out = suppress(&Policy::default(), &t);
    assert_eq!(out.suppressed, vec![true, true, true, true, false]);
    assert!(out.primary[c] && !out.primary[a]);
    assert!(recovered(&t, &out.suppressed).is_empty());
    // With only "two per relation" (a, b, c), the difference of the totals gives c.
    let two_each = vec![true, true, true, false, false];
    assert_eq!(recovered(&t, &two_each).get(&c), Some(&3.0));
}

/// The attacker's view of two releases: cells with the same key and value are one unknown.
fn attack_releases(releases: &[Release<&'static str>]) -> BTreeMap<(&'static str, u64), f64> {
    let mut var: BTreeMap<(&'static str, u64), usize> = BTreeMap::new();
    let mut values = Vec::new();
    let mut known: Vec<bool> = Vec::new();
    let mut rels = Vec::new();
    for r in releases {
        let idx: Vec<usize> = r
            .keys
            .iter()
            .zip(&r.values)
            .enumerate()
            .map(|(i, (&k, &v))| {
                let c = *var.entry((k, v)).or_insert_with(|| {
                    values.push(v);
                    known.push(false);
                    values.len() - 1
                });
                known[c] |= !r.suppressed[i];
                c
            })
            .collect();
        for rel in &r.relations {
            rels.push(Relation {
                total: idx[rel.total],
                parts: rel.parts.iter().map(|&p| idx[p]).collect(),
            });
        }
    }
    let found = attack(&values, &rels, &known);
    var.into_iter()
        .filter_map(|(k, c)| found.get(&c).map(|&v| (k, v)))
        .collect()
}

fn release(keys: &[&'static str], values: &[u64], suppressed: Vec<bool>) -> Release<&'static str> {
    Release {
        keys: keys.to_vec(),
        values: values.to_vec(),
        relations: vec![Relation {
            total: keys.len() - 1,
            parts: (0..keys.len() - 1).collect(),
        }],
        suppressed,
    }
}

/// Release 1: a 4 (primary) with b 25 (complement), c 30 and the total shown. Release 2: b rose
/// to 40, so alone the smallest complement of a is c, which release 1 printed: a = 74 − 40 −
/// 30. Joint suppression never takes a cell already published as a complement.
#[test]
fn differencing_two_releases_reveals_nothing_published_complement() {
    let keys = ["a", "b", "c", "total"];
    let p = Policy::default();
    let r1 = [4, 25, 30, 59];
    let rel = release(&keys, &r1, vec![false; 4]).relations;
    let o1 = suppress_release(&p, &[], &keys, &r1, &rel).unwrap();
    assert_eq!(o1.suppressed, vec![true, true, false, false]);
    let first = release(&keys, &r1, o1.suppressed.clone());
    let r2 = [4, 40, 30, 74];
    // Each release on its own: c is the smallest complement, and together they give a.
    let alone = suppress_release(&p, &[], &keys, &r2, &rel).unwrap();
    assert_eq!(alone.suppressed, vec![true, false, true, false]);
    let naive = attack_releases(&[first.clone(), release(&keys, &r2, alone.suppressed)]);
    assert_eq!(naive.get(&("a", 4)), Some(&4.0));
    // Jointly: b is the complement, nothing is recovered.
    let o2 = suppress_release(&p, std::slice::from_ref(&first), &keys, &r2, &rel).unwrap();
    assert_eq!(o2.suppressed, vec![true, true, false, false]);
    assert!(attack_releases(&[first, release(&keys, &r2, o2.suppressed)]).is_empty());
}

/// Release 1: a 4 with b 12 as its complement. Release 2: a is 11 now (not sensitive), b is
/// still 12. Printing b would give release 1's a = 46 − 12 − 30; b stays suppressed (sticky),
/// and a, now its only partner, is suppressed with it.
#[test]
fn differencing_two_releases_reveals_nothing_sticky() {
    let keys = ["a", "b", "c", "total"];
    let p = Policy::default();
    let r1 = [4, 12, 30, 46];
    let rel = release(&keys, &r1, vec![false; 4]).relations;
    let o1 = suppress_release(&p, &[], &keys, &r1, &rel).unwrap();
    assert_eq!(o1.suppressed, vec![true, true, false, false]);
    let first = release(&keys, &r1, o1.suppressed);
    let r2 = [11, 12, 30, 53];
    let alone = suppress_release(&p, &[], &keys, &r2, &rel).unwrap();
    assert_eq!(alone.suppressed, vec![false; 4]);
    let naive = attack_releases(&[first.clone(), release(&keys, &r2, alone.suppressed)]);
    assert_eq!(naive.get(&("a", 4)), Some(&4.0));
    let o2 = suppress_release(&p, std::slice::from_ref(&first), &keys, &r2, &rel).unwrap();
    assert_eq!(o2.suppressed, vec![true, true, false, false]);
    assert!(o2.exposed.is_empty());
    assert!(attack_releases(&[first, release(&keys, &r2, o2.suppressed)]).is_empty());
}

/// Checks every property of an outcome on a table.
fn check_outcome(p: &Policy, t: &Table, suppressed: &[bool]) -> Result<(), TestCaseError> {
    for (i, &s) in suppressed.iter().enumerate() {
        if p.is_sensitive(t.value(i)) {
            prop_assert!(s, "cell {i} = {} shown", t.value(i));
        }
    }
    for r in t.relations() {
        let n = std::iter::once(r.total)
            .chain(r.parts.iter().copied())
            .filter(|&c| suppressed[c])
            .count();
        prop_assert!(n != 1, "a relation with one suppressed cell: {r:?}");
    }
    let found = recovered(t, suppressed);
    prop_assert!(found.is_empty(), "recovered {found:?}");
    Ok(())
}

/// A small count: often under the threshold, sometimes zero.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..3, 1u64..10, 10u64..60]
}

/// A random hierarchy of regions over atoms with overlapping extra regions: atoms, then
/// regions as sets of atoms (each the sum of its atoms).
fn regions() -> impl Strategy<Value = (Vec<u64>, Vec<Vec<usize>>)> {
    prop::collection::vec(count(), 2..12).prop_flat_map(|atoms| {
        let n = atoms.len();
        let sets = prop::collection::vec(prop::collection::btree_set(0..n, 1..=n), 1..6)
            .prop_map(|s| s.into_iter().map(|x| x.into_iter().collect()).collect());
        (Just(atoms), sets)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn grids_hide_every_small_cell(
        inner in (1usize..5, 1usize..5).prop_flat_map(|(r, c)| prop::collection::vec(prop::collection::vec(count(), c), r)),
        threshold in prop_oneof![Just(10u64), Just(5), Just(3)],
        zeros in any::<bool>(),
    ) {
        let p = Policy { threshold, suppress_zeros: zeros };
        let (t, _) = grid(&inner);
        let out = suppress(&p, &t);
        prop_assert!(out.exposed.is_empty());
        check_outcome(&p, &t, &out.suppressed)?;
        // Deterministic: the same table, the same pattern.
        prop_assert_eq!(suppress(&p, &t), out);
    }

    #[test]
    fn overlapping_regions_hide_every_small_cell((atoms, sets) in regions()) {
        let p = Policy::default();
        let mut t = Table::new();
        let cells: Vec<usize> = atoms.iter().map(|&v| t.cell(v)).collect();
        for s in &sets {
            let total = t.cell(s.iter().map(|&a| atoms[a]).sum());
            t.relation(total, s.iter().map(|&a| cells[a]).collect()).unwrap();
        }
        let out = suppress(&p, &t);
        prop_assert!(out.exposed.is_empty());
        check_outcome(&p, &t, &out.suppressed)?;
    }

    #[test]
    fn successive_releases_hide_every_small_cell(
        first in prop::collection::vec(count(), 2..7),
        changes in prop::collection::vec((0usize..7, count()), 0..4),
    ) {
        const KEYS: [&str; 8] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "total"];
        let p = Policy::default();
        let mk = |inner: &[u64]| {
            let mut keys: Vec<&'static str> = KEYS[..inner.len()].to_vec();
            keys.push("total");
            let mut values = inner.to_vec();
            values.push(inner.iter().sum());
            (keys, values)
        };
        let (keys, v1) = mk(&first);
        let rel = vec![Relation { total: keys.len() - 1, parts: (0..keys.len() - 1).collect() }];
        let o1 = suppress_release(&p, &[], &keys, &v1, &rel).unwrap();
        let r1 = Release { keys: keys.clone(), values: v1, relations: rel.clone(), suppressed: o1.suppressed };
        let mut second = first.clone();
        for (i, v) in changes {
            if i < second.len() {
                second[i] = v;
            }
        }
        let (_, v2) = mk(&second);
        let o2 = suppress_release(&p, std::slice::from_ref(&r1), &keys, &v2, &rel).unwrap();
        for (i, &v) in v2.iter().enumerate() {
            if p.is_sensitive(v) {
                prop_assert!(o2.suppressed[i]);
            }
        }
        let r2 = Release { keys, values: v2, relations: rel, suppressed: o2.suppressed };
        if o2.exposed.is_empty() {
            let found = attack_releases(&[r1, r2]);
            prop_assert!(found.is_empty(), "recovered {found:?}");
        }
    }
}
