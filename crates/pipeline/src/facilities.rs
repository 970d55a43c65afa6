//! The facilities of an access run held as columns: what the searches and the outputs need of
//! each facility (its id, category, position and capacity) without the rest of the record.
//!
//! A province's 5.7M [`Facility`] records are about 950 MB (152 bytes each, and a heap block
//! for each id); as columns they are about 280 MB, the ids one block of text. The access run
//! turns its input into a [`FacilityList`] before it places anything, and a caller holding
//! millions of records (the command line) can do so as soon as it has read them.

use lc_model::{Category, Facility, LonLat};

/// Anything that numbers facilities and knows their ids: the outputs name a facility through
/// it, whether the run held records ([`Facility`] slices) or a [`FacilityList`].
pub trait FacilityIds: Sync {
    /// How many facilities.
    fn facility_count(&self) -> usize;
    /// The id of facility `i` (`i < facility_count()`).
    fn facility_id(&self, i: usize) -> &str;
}

impl FacilityIds for [Facility] {
    fn facility_count(&self) -> usize {
        self.len()
    }
    fn facility_id(&self, i: usize) -> &str {
        &self[i].id
    }
}

impl FacilityIds for Vec<Facility> {
    fn facility_count(&self) -> usize {
        self.len()
    }
    fn facility_id(&self, i: usize) -> &str {
        &self[i].id
    }
}

/// Facilities as columns, in their input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacilityList {
    /// Every id, one after another.
    ids: String,
    /// Where each id ends in `ids` (the next starts there).
    ends: Vec<usize>,
    category: Vec<Category>,
    pos: Vec<LonLat>,
    capacity: Vec<Option<f64>>,
}

impl FacilityList {
    /// An empty list with room for `n` facilities.
    pub fn with_capacity(n: usize) -> FacilityList {
        FacilityList {
            ids: String::new(),
            ends: Vec::with_capacity(n),
            category: Vec::with_capacity(n),
            pos: Vec::with_capacity(n),
            capacity: Vec::with_capacity(n),
        }
    }

    /// Adds a facility.
    pub fn push(&mut self, f: &Facility) {
        self.ids.push_str(&f.id);
        self.ends.push(self.ids.len());
        self.category.push(f.category);
        self.pos.push(f.pos);
        self.capacity.push(f.capacity);
    }

    /// Adds records, letting each go once taken (the records' memory is returned as the
    /// list grows, not after).
    pub fn extend(&mut self, facilities: Vec<Facility>) {
        let n = self.ends.len() + facilities.len();
        self.ends.reserve(facilities.len());
        self.category.reserve(facilities.len());
        self.pos.reserve(facilities.len());
        self.capacity.reserve(facilities.len());
        let text: usize = facilities.iter().map(|f| f.id.len()).sum();
        self.ids.reserve(text);
        for f in facilities {
            self.push(&f);
        }
        debug_assert_eq!(self.ends.len(), n);
    }

    /// How many facilities.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The id of facility `i`.
    pub fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.ids[start..self.ends[i]]
    }

    /// The category of facility `i`.
    pub fn category(&self, i: usize) -> Category {
        self.category[i]
    }

    /// Every facility's category, in order.
    pub fn categories(&self) -> &[Category] {
        &self.category
    }

    /// Every facility's position, in order.
    pub fn positions(&self) -> &[LonLat] {
        &self.pos
    }

    /// The capacity of facility `i`, if known.
    pub fn capacity(&self, i: usize) -> Option<f64> {
        self.capacity[i]
    }

    /// Keeps the facilities whose category `keep` accepts, in order.
    pub fn retain_categories(&mut self, keep: impl Fn(Category) -> bool) {
        if self.category.iter().all(|&c| keep(c)) {
            return;
        }
        let mut out = FacilityList::with_capacity(self.len());
        for i in 0..self.len() {
            if keep(self.category[i]) {
                out.ids.push_str(self.id(i));
                out.ends.push(out.ids.len());
                out.category.push(self.category[i]);
                out.pos.push(self.pos[i]);
                out.capacity.push(self.capacity[i]);
            }
        }
        *self = out;
    }
}

impl From<Vec<Facility>> for FacilityList {
    fn from(facilities: Vec<Facility>) -> FacilityList {
        let mut list = FacilityList::default();
        list.extend(facilities);
        list
    }
}

impl FacilityIds for FacilityList {
    fn facility_count(&self) -> usize {
        self.len()
    }
    fn facility_id(&self, i: usize) -> &str {
        self.id(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility(id: &str, key: &str, capacity: Option<f64>) -> Facility {
        Facility {
            id: id.into(),
            name: format!("{id} 名称"),
            category: Category::from_key(key).unwrap(),
            pos: LonLat::new(104.0 + id.len() as f64 / 100.0, 30.6),
            capacity,
            floor_area_m2: Some(120.0),
            provider_code: None,
            division_code: Some("510104".into()),
        }
    }

    #[test]
    fn columns_hold_what_the_records_held() {
        let records = vec![
            facility("F1", "kindergarten", Some(180.0)),
            facility("", "pharmacy", None),
            facility("药店-长\"ID\",x", "pharmacy", None),
            facility("F4", "elderly_care", Some(60.0)),
        ];
        let list = FacilityList::from(records.clone());
        assert_eq!(list.len(), 4);
        for (i, f) in records.iter().enumerate() {
            assert_eq!(list.id(i), f.id);
            assert_eq!(list.facility_id(i), records.facility_id(i));
            assert_eq!(list.category(i), f.category);
            assert_eq!(list.positions()[i], f.pos);
            assert_eq!(list.capacity(i), f.capacity);
        }
    }

    #[test]
    fn retaining_categories_keeps_order_and_ids() {
        let records = vec![
            facility("a", "kindergarten", Some(1.0)),
            facility("bb", "pharmacy", None),
            facility("ccc", "kindergarten", Some(3.0)),
            facility("dddd", "pharmacy", Some(4.0)),
        ];
        let mut list = FacilityList::from(records);
        let pharmacy = Category::from_key("pharmacy").unwrap();
        list.retain_categories(|c| c == pharmacy);
        assert_eq!(list.len(), 2);
        assert_eq!((list.id(0), list.id(1)), ("bb", "dddd"));
        assert_eq!(list.capacity(1), Some(4.0));
        assert!(list.categories().iter().all(|&c| c == pharmacy));
        list.retain_categories(|_| false);
        assert!(list.is_empty());
    }
}
