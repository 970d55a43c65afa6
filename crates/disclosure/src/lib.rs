//! Statistical disclosure control of published counts of people (issue 16): no published
//! figure, nor any combination of published figures, may show a count of fewer than a declared
//! number of people (《统计法》 art. 25: no aggregate from which a single respondent can be
//! inferred; CDC WONDER withholds counts of 1–9).
//!
//! # The policy
//!
//! [`Policy`]: a cell that counts people (persons, households, reviewers) is **sensitive** when
//! its value is below `threshold` (default **10**). A zero is not sensitive by default (it
//! reveals no one; CDC WONDER shows zeros too); `suppress_zeros` makes it so. What is a
//! person-count cell is the caller's declaration: only such cells are given to this crate.
//!
//! # Primary and secondary suppression
//!
//! A [`Table`] is a set of count cells and the additive **relations** among them (`total = Σ
//! parts`): a row and its row total, a column and its column total, a region and the regions
//! it is made of. Every sensitive cell is suppressed (*primary*). A relation with exactly one
//! suppressed cell would give it back (the total minus the published parts), so further cells
//! are suppressed (*secondary*, complementary) until:
//!
//! 1. every relation holding a suppressed cell holds at least two (the classic rule), chosen
//!    greedily to hide the least: the smallest value first, an inner cell before a total, then
//!    the lower cell index (callers add cells in a fixed key order, so the choice is a function
//!    of the table, never of chance); and
//! 2. **no suppressed cell is determined by the published figures at all**: the attacker's
//!    knowledge is the linear system of every relation with the published values substituted;
//!    a suppressed cell `x_j` is recovered exactly when its unit vector `e_j` lies in the row
//!    space of the system restricted to the suppressed cells. [`determined`] decides this by
//!    exact (integer, fraction-free) elimination to reduced row-echelon form: `e_j` is in the
//!    row space iff a row of the reduced form is a multiple of `e_j`. Rule 1 alone is not
//!    enough when relations are linked (a cell in a row and a column and a region, the
//!    classic 2×2 pattern inside a larger table, or two nested regions): while some cell is
//!    determined, one more cell of a relation holding it is suppressed, by the same greedy
//!    order.
//!
//! If the only cells left to suppress were published before ([`Fixed::Public`]), the cell
//! cannot be protected and is reported in [`Outcome::exposed`] (a caller then withholds the
//! whole table); this cannot happen for a table without earlier releases, because suppressing
//! every cell protects all of them.
//!
//! # Overlapping regions: differencing
//!
//! Publishing a region's total and the total of an overlapping region (a district and the same
//! district without one community; two service areas sharing communities) lets an attacker
//! subtract one from the other. Both totals are relations over the same atoms (the communities'
//! cells); their difference is a linear combination of the rows of one system. Since no
//! suppressed cell's unit vector is in the row space, **no difference, nor any other linear
//! combination, of published figures yields a suppressed cell**. The condition on callers: every
//! aggregate a release publishes over any region is a relation of **one** table (the open-data
//! domain builds the whole division hierarchy as one table and publishes no figure over an
//! ad-hoc region).
//!
//! # Successive releases
//!
//! A cell of a later release is the *same unknown* as a cell of an earlier one when both carry
//! the same key and the same value (the attacker may guess that nothing changed; a changed
//! value is a new unknown that earlier figures say nothing about). [`suppress_release`] builds
//! one system of all releases with those cells merged, in which an earlier release's cells keep
//! what was done to them: a cell suppressed before and unchanged stays suppressed (*sticky*;
//! otherwise the new release would simply print it), a cell published before is known and never
//! chosen as a complement (suppressing it again would hide nothing). The new release's
//! suppression is then chosen so that no cell of any release is determined by the union of the
//! releases. Differencing two releases is a linear combination of the joint system, so, as for
//! regions, it reveals no suppressed cell.
//!
//! # Limits (stated, not hidden)
//!
//! * Protection is against **linear** recovery (exact values). Non-negativity still bounds a
//!   suppressed cell by the sum of the suppressed cells of its relations (an attacker can learn
//!   "at most 14"), as with every cell-suppression method without interval constraints.
//! * The pattern is a greedy heuristic, not the minimum-loss pattern of an optimisation model
//!   (sdcTable's, τ-ARGUS's); it may hide more than needed.
//! * An attacker who knows contributors' own answers (a resident who knows they are one of the
//!   three) is outside the model.

use std::collections::BTreeMap;

/// The declared policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Counts below this are suppressed (default 10: no cell shows 1–9 people).
    pub threshold: u64,
    /// Suppress zeros as well (default false: a zero reveals no one).
    pub suppress_zeros: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            threshold: 10,
            suppress_zeros: false,
        }
    }
}

impl Policy {
    /// Whether a count is sensitive (suppressed for itself: primary suppression).
    pub fn is_sensitive(&self, value: u64) -> bool {
        value < self.threshold && (value > 0 || self.suppress_zeros)
    }
}

/// What earlier releases did to a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fixed {
    /// Nothing: this release decides.
    #[default]
    Free,
    /// Suppressed before with the same value: stays suppressed.
    Suppressed,
    /// Published before with the same value: known to everyone, useless as a complement.
    Public,
}

/// An additive relation: `total = Σ parts` (cell indices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub total: usize,
    pub parts: Vec<usize>,
}

impl Relation {
    fn cells(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.total).chain(self.parts.iter().copied())
    }
}

/// Why a table cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    /// A relation names a cell the table does not have.
    #[error("关系引用了不存在的单元格 relation names cell {0}, the table has {1}")]
    NoSuchCell(usize, usize),
    /// A relation's parts do not add up to its total.
    #[error(
        "关系不成立 relation does not add up: total cell {total} = {value}, parts sum to {sum}"
    )]
    DoesNotAddUp { total: usize, value: u64, sum: u64 },
    /// A relation lists a cell twice, or its total among its parts.
    #[error("关系重复列出单元格 relation lists cell {0} twice")]
    Repeated(usize),
}

/// Count cells and the relations among them.
#[derive(Debug, Clone, Default)]
pub struct Table {
    values: Vec<u64>,
    fixed: Vec<Fixed>,
    relations: Vec<Relation>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Table {
        Table::default()
    }

    /// Adds a cell; returns its index.
    pub fn cell(&mut self, value: u64) -> usize {
        self.values.push(value);
        self.fixed.push(Fixed::Free);
        self.values.len() - 1
    }

    /// States what earlier releases did to a cell.
    pub fn fix(&mut self, cell: usize, fixed: Fixed) {
        self.fixed[cell] = fixed;
    }

    /// Adds `total = Σ parts`, checked: the cells exist, none repeats, the sum holds.
    pub fn relation(&mut self, total: usize, parts: Vec<usize>) -> Result<(), DisclosureError> {
        let n = self.values.len();
        let r = Relation { total, parts };
        let mut seen = std::collections::BTreeSet::new();
        for c in r.cells() {
            if c >= n {
                return Err(DisclosureError::NoSuchCell(c, n));
            }
            if !seen.insert(c) {
                return Err(DisclosureError::Repeated(c));
            }
        }
        let sum: u64 = r.parts.iter().map(|&p| self.values[p]).sum();
        if sum != self.values[total] {
            return Err(DisclosureError::DoesNotAddUp {
                total,
                value: self.values[total],
                sum,
            });
        }
        self.relations.push(r);
        Ok(())
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the table has no cell.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// A cell's value.
    pub fn value(&self, cell: usize) -> u64 {
        self.values[cell]
    }

    /// The relations.
    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }
}

/// What to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Per cell: withheld.
    pub suppressed: Vec<bool>,
    /// Per cell: withheld for itself (sensitive), not as a complement.
    pub primary: Vec<bool>,
    /// Suppressed cells still determined by the published figures (empty unless earlier
    /// releases left nothing to suppress; the caller then withholds the table).
    pub exposed: Vec<usize>,
}

impl Outcome {
    /// Cells withheld as complements (secondary suppression).
    pub fn secondary(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.suppressed.len()).filter(|&i| self.suppressed[i] && !self.primary[i])
    }
}

/// Suppresses the sensitive cells of `table` and enough others that none can be recovered.
pub fn suppress(policy: &Policy, table: &Table) -> Outcome {
    let n = table.len();
    let primary: Vec<bool> = table
        .values
        .iter()
        .map(|&v| policy.is_sensitive(v))
        .collect();
    let mut suppressed: Vec<bool> = (0..n)
        .map(|i| primary[i] || table.fixed[i] == Fixed::Suppressed)
        .collect();
    // Cells that are totals of some relation: a complement is an inner cell when one can be.
    let mut is_total = vec![false; n];
    for r in &table.relations {
        is_total[r.total] = true;
    }
    let eligible = |s: &[bool], i: usize| !s[i] && table.fixed[i] == Fixed::Free;
    let pick = |s: &[bool], cands: &mut dyn Iterator<Item = usize>| {
        cands
            .filter(|&i| eligible(s, i))
            .min_by_key(|&i| (table.values[i], is_total[i], i))
    };
    let exposed = loop {
        // Rule 1: no relation with exactly one unknown.
        let mut changed = true;
        while changed {
            changed = false;
            for r in &table.relations {
                let unknown = r
                    .cells()
                    .filter(|&c| unknown(table, &suppressed, c))
                    .count();
                if unknown == 1 {
                    if let Some(c) = pick(&suppressed, &mut r.cells()) {
                        suppressed[c] = true;
                        changed = true;
                    }
                }
            }
        }
        // Rule 2: nothing determined by the whole system.
        let det = determined(table, &suppressed);
        let Some(&j) = det.first() else {
            break Vec::new();
        };
        let near = pick(
            &suppressed,
            &mut table
                .relations
                .iter()
                .filter(|r| r.cells().any(|c| c == j))
                .flat_map(|r| r.cells()),
        );
        let c = near.or_else(|| {
            // Any cell of a relation that shares an unknown with j's component.
            let comp = component_of(table, &suppressed, j);
            pick(
                &suppressed,
                &mut table
                    .relations
                    .iter()
                    .filter(|r| r.cells().any(|c| comp.contains(&c)))
                    .flat_map(|r| r.cells()),
            )
        });
        match c {
            Some(c) => suppressed[c] = true,
            None => break det,
        }
    };
    Outcome {
        suppressed,
        primary,
        exposed,
    }
}

/// A cell the attacker does not know: suppressed now and not published before.
fn unknown(table: &Table, suppressed: &[bool], c: usize) -> bool {
    suppressed[c] && table.fixed[c] != Fixed::Public
}

/// The unknown cells linked to `j` through relations.
fn component_of(table: &Table, suppressed: &[bool], j: usize) -> std::collections::BTreeSet<usize> {
    let mut comp = std::collections::BTreeSet::from([j]);
    let mut grew = true;
    while grew {
        grew = false;
        for r in &table.relations {
            if r.cells().any(|c| comp.contains(&c)) {
                for c in r.cells() {
                    if unknown(table, suppressed, c) && comp.insert(c) {
                        grew = true;
                    }
                }
            }
        }
    }
    comp
}

/// The suppressed cells that the published figures determine (the attacker's linear algebra),
/// in increasing order. A cell published before ([`Fixed::Public`]) is known, not counted.
pub fn determined(table: &Table, suppressed: &[bool]) -> Vec<usize> {
    // Union-find over unknown cells, linked by relations: each component is eliminated alone.
    let n = table.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let rows: Vec<&Relation> = table
        .relations
        .iter()
        .filter(|r| r.cells().any(|c| unknown(table, suppressed, c)))
        .collect();
    for r in &rows {
        let mut first = None;
        for c in r.cells().filter(|&c| unknown(table, suppressed, c)) {
            match first {
                None => first = Some(c),
                Some(f) => {
                    let (a, b) = (find(&mut parent, f), find(&mut parent, c));
                    parent[a] = b;
                }
            }
        }
    }
    let mut comps: BTreeMap<usize, (Vec<usize>, Vec<&Relation>)> = BTreeMap::new();
    for c in (0..n).filter(|&c| unknown(table, suppressed, c)) {
        let root = find(&mut parent, c);
        comps.entry(root).or_default().0.push(c);
    }
    for r in &rows {
        if let Some(c) = r.cells().find(|&c| unknown(table, suppressed, c)) {
            let root = find(&mut parent, c);
            comps.entry(root).or_default().1.push(r);
        }
    }
    let mut out = Vec::new();
    for (cells, rels) in comps.values() {
        let col: BTreeMap<usize, usize> = cells.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        let m: Vec<Vec<i128>> = rels
            .iter()
            .map(|r| {
                let mut row = vec![0i128; cells.len()];
                if let Some(&k) = col.get(&r.total) {
                    row[k] += 1;
                }
                for p in &r.parts {
                    if let Some(&k) = col.get(p) {
                        row[k] -= 1;
                    }
                }
                row
            })
            .collect();
        match rref_singletons(m) {
            Some(ks) => out.extend(ks.into_iter().map(|k| cells[k])),
            // An overflow (never seen on ±1 systems): count every cell as determined, so that
            // the caller suppresses more rather than less.
            None => out.extend(cells.iter().copied()),
        }
    }
    out.sort_unstable();
    out
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Reduces `m` to reduced row-echelon form with integer rows (fraction-free, each row divided
/// by the gcd of its entries) and returns the columns `k` for which a row is a multiple of
/// `e_k`. `None` on overflow.
fn rref_singletons(mut m: Vec<Vec<i128>>) -> Option<Vec<usize>> {
    let cols = m.first().map_or(0, Vec::len);
    let mut rank = 0;
    for c in 0..cols {
        let Some(p) = (rank..m.len()).find(|&r| m[r][c] != 0) else {
            continue;
        };
        m.swap(rank, p);
        let pivot_row = m[rank].clone();
        let pv = pivot_row[c];
        for (i, row) in m.iter_mut().enumerate() {
            if i == rank || row[c] == 0 {
                continue;
            }
            let f = row[c];
            let mut g = 0;
            for (x, &y) in row.iter_mut().zip(&pivot_row) {
                *x = x.checked_mul(pv)?.checked_sub(y.checked_mul(f)?)?;
                g = gcd(g, *x);
            }
            if g > 1 {
                row.iter_mut().for_each(|x| *x /= g);
            }
        }
        rank += 1;
        if rank == m.len() {
            break;
        }
    }
    Some(
        m.iter()
            .filter_map(|row| {
                let mut nz = row.iter().enumerate().filter(|(_, &x)| x != 0);
                match (nz.next(), nz.next()) {
                    (Some((k, _)), None) => Some(k),
                    _ => None,
                }
            })
            .collect(),
    )
}

/// A release of a table: each cell with a key (the same cell in every release has the same
/// key) and its value, the relations, and what was suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release<K> {
    pub keys: Vec<K>,
    pub values: Vec<u64>,
    pub relations: Vec<Relation>,
    pub suppressed: Vec<bool>,
}

/// Suppresses the next release of a table given every earlier release (see the module docs:
/// a cell with the same key and value as an earlier one is the same unknown; suppressed before,
/// it stays suppressed; published before, it is known). Returns the next release's outcome,
/// its vectors indexed like `keys`.
pub fn suppress_release<K: Ord + Clone>(
    policy: &Policy,
    earlier: &[Release<K>],
    keys: &[K],
    values: &[u64],
    relations: &[Relation],
) -> Result<Outcome, DisclosureError> {
    let mut joint = Table::new();
    let mut var: BTreeMap<(K, u64), usize> = BTreeMap::new();
    let mut place = |joint: &mut Table, k: &K, v: u64| {
        *var.entry((k.clone(), v)).or_insert_with(|| joint.cell(v))
    };
    for rel in earlier {
        let idx: Vec<usize> = rel
            .keys
            .iter()
            .zip(&rel.values)
            .map(|(k, &v)| place(&mut joint, k, v))
            .collect();
        for (i, &c) in idx.iter().enumerate() {
            let f = if rel.suppressed[i] {
                Fixed::Suppressed
            } else {
                Fixed::Public
            };
            // Published in any release: known.
            if joint.fixed[c] != Fixed::Public {
                joint.fix(c, f);
            }
        }
        for r in &rel.relations {
            push_relation(&mut joint, &idx, r)?;
        }
    }
    let idx: Vec<usize> = keys
        .iter()
        .zip(values)
        .map(|(k, &v)| place(&mut joint, k, v))
        .collect();
    for r in relations {
        push_relation(&mut joint, &idx, r)?;
    }
    let out = suppress(policy, &joint);
    let inv: BTreeMap<usize, usize> = idx.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    Ok(Outcome {
        suppressed: idx
            .iter()
            .map(|&c| out.suppressed[c] || policy.is_sensitive(joint.value(c)))
            .collect(),
        primary: idx.iter().map(|&c| out.primary[c]).collect(),
        exposed: out
            .exposed
            .iter()
            .filter_map(|c| inv.get(c).copied())
            .collect(),
    })
}

fn push_relation(joint: &mut Table, idx: &[usize], r: &Relation) -> Result<(), DisclosureError> {
    let n = idx.len();
    let map = |c: usize| idx.get(c).copied().ok_or(DisclosureError::NoSuchCell(c, n));
    let total = map(r.total)?;
    let parts = r
        .parts
        .iter()
        .map(|&p| map(p))
        .collect::<Result<Vec<_>, _>>()?;
    joint.relation(total, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_withholds_one_to_nine_and_shows_zero_and_ten() {
        let p = Policy::default();
        assert!(!p.is_sensitive(0));
        assert!(p.is_sensitive(1));
        assert!(p.is_sensitive(9));
        assert!(!p.is_sensitive(10));
        let z = Policy {
            suppress_zeros: true,
            ..p
        };
        assert!(z.is_sensitive(0));
    }

    #[test]
    fn a_relation_that_does_not_add_up_is_refused() {
        let mut t = Table::new();
        let a = t.cell(3);
        let b = t.cell(4);
        let tot = t.cell(8);
        assert_eq!(
            t.relation(tot, vec![a, b]),
            Err(DisclosureError::DoesNotAddUp {
                total: 2,
                value: 8,
                sum: 7
            })
        );
        assert_eq!(
            t.relation(tot, vec![a, 7]),
            Err(DisclosureError::NoSuchCell(7, 3))
        );
        assert_eq!(t.relation(a, vec![a]), Err(DisclosureError::Repeated(0)));
    }

    #[test]
    fn elimination_finds_a_cell_fixed_by_two_relations() {
        // x0 + x1 = known, x1 = known (x1 alone in a second relation): both fixed.
        let m = vec![vec![1, 1], vec![0, 1]];
        assert_eq!(rref_singletons(m), Some(vec![0, 1]));
        // x0 + x1 = known only: neither.
        assert_eq!(rref_singletons(vec![vec![1, 1]]), Some(vec![]));
    }
}
