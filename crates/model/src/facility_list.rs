//! Facilities held as columns: what the engine reads of each facility (its id, category,
//! position and capacity; for the assessment also its name, floor area and division code)
//! without a record and its heap blocks per facility.
//!
//! A province's 5.7M [`Facility`] records are about 1.1 GB (152 bytes each, and a heap block
//! for each id, name and code). As columns they are about 0.3 GB with what the access searches
//! need ([`Detail::Access`]) and about 0.6 GB with what the assessment reads too, each text
//! column one block. A caller holding millions of records (the command line) turns them into a
//! list part by part as they are read, so that the records and the list are never both held
//! whole.

use crate::{Category, Facility, LonLat};

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

/// What a [`FacilityList`] keeps of each record besides its id, category, position and
/// capacity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Nothing more: what the access searches and their outputs need (`livingcircle access`).
    #[default]
    Access,
    /// Also the name, the floor area and the division code: what the assessment and its report
    /// read. The operator's credit code is never kept.
    Assessment,
}

/// Texts one after another in one block.
#[derive(Debug, Clone, Default, PartialEq)]
struct Texts {
    text: String,
    /// Where each text ends in `text` (the next starts there).
    ends: Vec<usize>,
}

impl Texts {
    fn with_capacity(n: usize) -> Texts {
        Texts {
            text: String::new(),
            ends: Vec::with_capacity(n),
        }
    }

    fn reserve(&mut self, n: usize, bytes: usize) {
        self.ends.reserve(n);
        self.text.reserve(bytes);
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// Facilities as columns, in their input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacilityList {
    detail: Detail,
    ids: Texts,
    category: Vec<Category>,
    pos: Vec<LonLat>,
    capacity: Vec<Option<f64>>,
    /// The columns of [`Detail::Assessment`]; empty at [`Detail::Access`].
    names: Texts,
    floor_area: Vec<Option<f64>>,
    /// Division codes, "" where there is none (`has_division` tells "" from none).
    division: Texts,
    has_division: Vec<bool>,
}

impl FacilityList {
    /// An empty list keeping `detail`.
    pub fn new(detail: Detail) -> FacilityList {
        FacilityList {
            detail,
            ..FacilityList::default()
        }
    }

    /// An empty list keeping `detail`, with room for `n` facilities.
    pub fn with_capacity(n: usize, detail: Detail) -> FacilityList {
        let more = |n: usize| match detail {
            Detail::Access => 0,
            Detail::Assessment => n,
        };
        FacilityList {
            detail,
            ids: Texts::with_capacity(n),
            category: Vec::with_capacity(n),
            pos: Vec::with_capacity(n),
            capacity: Vec::with_capacity(n),
            names: Texts::with_capacity(more(n)),
            floor_area: Vec::with_capacity(more(n)),
            division: Texts::with_capacity(more(n)),
            has_division: Vec::with_capacity(more(n)),
        }
    }

    /// What the list keeps.
    pub fn detail(&self) -> Detail {
        self.detail
    }

    /// Adds a facility.
    pub fn push(&mut self, f: &Facility) {
        self.push_fields(Fields {
            id: &f.id,
            category: f.category,
            pos: f.pos,
            capacity: f.capacity,
            name: &f.name,
            floor_area_m2: f.floor_area_m2,
            division_code: f.division_code.as_deref(),
        });
    }

    /// Adds one facility's fields, each to its column (those of [`Detail::Assessment`] only
    /// when the list keeps them).
    fn push_fields(&mut self, f: Fields<'_>) {
        self.ids.push(f.id);
        self.category.push(f.category);
        self.pos.push(f.pos);
        self.capacity.push(f.capacity);
        if self.detail == Detail::Assessment {
            self.names.push(f.name);
            self.floor_area.push(f.floor_area_m2);
            self.division.push(f.division_code.unwrap_or(""));
            self.has_division.push(f.division_code.is_some());
        }
    }

    /// Facility `i`'s fields, borrowed from the columns.
    fn fields(&self, i: usize) -> Fields<'_> {
        Fields {
            id: self.id(i),
            category: self.category(i),
            pos: self.pos(i),
            capacity: self.capacity(i),
            name: self.name(i),
            floor_area_m2: self.floor_area_m2(i),
            division_code: self.division_code(i),
        }
    }

    /// Adds records, letting each go once taken (the records' memory is returned as the
    /// list grows, not after).
    pub fn extend(&mut self, facilities: Vec<Facility>) {
        let n = facilities.len();
        let ids: usize = facilities.iter().map(|f| f.id.len()).sum();
        self.ids.reserve(n, ids);
        self.category.reserve(n);
        self.pos.reserve(n);
        self.capacity.reserve(n);
        if self.detail == Detail::Assessment {
            let names: usize = facilities.iter().map(|f| f.name.len()).sum();
            let codes: usize = facilities
                .iter()
                .map(|f| f.division_code.as_ref().map_or(0, String::len))
                .sum();
            self.names.reserve(n, names);
            self.floor_area.reserve(n);
            self.division.reserve(n, codes);
            self.has_division.reserve(n);
        }
        for f in facilities {
            self.push(&f);
        }
    }

    /// How many facilities.
    pub fn len(&self) -> usize {
        self.category.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.category.is_empty()
    }

    /// The id of facility `i`.
    pub fn id(&self, i: usize) -> &str {
        self.ids.get(i)
    }

    /// The name of facility `i` ("" when the list keeps only [`Detail::Access`]).
    pub fn name(&self, i: usize) -> &str {
        match self.detail {
            Detail::Access => "",
            Detail::Assessment => self.names.get(i),
        }
    }

    /// The category of facility `i`.
    pub fn category(&self, i: usize) -> Category {
        self.category[i]
    }

    /// Every facility's category, in order.
    pub fn categories(&self) -> &[Category] {
        &self.category
    }

    /// The position of facility `i`.
    pub fn pos(&self, i: usize) -> LonLat {
        self.pos[i]
    }

    /// Every facility's position, in order.
    pub fn positions(&self) -> &[LonLat] {
        &self.pos
    }

    /// The capacity of facility `i`, if known.
    pub fn capacity(&self, i: usize) -> Option<f64> {
        self.capacity[i]
    }

    /// The floor area of facility `i` in square metres, if known (never at
    /// [`Detail::Access`]).
    pub fn floor_area_m2(&self, i: usize) -> Option<f64> {
        match self.detail {
            Detail::Access => None,
            Detail::Assessment => self.floor_area[i],
        }
    }

    /// The division code of facility `i` as given, if any (never at [`Detail::Access`]).
    pub fn division_code(&self, i: usize) -> Option<&str> {
        match self.detail {
            Detail::Access => None,
            Detail::Assessment => self.has_division[i].then(|| self.division.get(i)),
        }
    }

    /// Facility `i` as a record, with what the list keeps (no operator code; at
    /// [`Detail::Access`] no name, area or division code either).
    pub fn get(&self, i: usize) -> Facility {
        let f = self.fields(i);
        Facility {
            id: f.id.to_string(),
            name: f.name.to_string(),
            category: f.category,
            pos: f.pos,
            capacity: f.capacity,
            floor_area_m2: f.floor_area_m2,
            provider_code: None,
            division_code: f.division_code.map(str::to_string),
        }
    }

    /// Keeps the facilities whose category `keep` accepts, in order.
    pub fn retain_categories(&mut self, keep: impl Fn(Category) -> bool) {
        if self.category.iter().all(|&c| keep(c)) {
            return;
        }
        let mut out = FacilityList::with_capacity(self.len(), self.detail);
        for i in 0..self.len() {
            if keep(self.category[i]) {
                out.push_fields(self.fields(i));
            }
        }
        *self = out;
    }
}

/// One facility's fields as the list keeps them, borrowed: what [`FacilityList::push`] takes
/// from a record and what retaining copies from the columns, with no allocation.
struct Fields<'a> {
    id: &'a str,
    category: Category,
    pos: LonLat,
    capacity: Option<f64>,
    name: &'a str,
    floor_area_m2: Option<f64>,
    division_code: Option<&'a str>,
}

/// Every record's columns kept ([`Detail::Assessment`]), so the list can serve an assessment.
impl From<Vec<Facility>> for FacilityList {
    fn from(facilities: Vec<Facility>) -> FacilityList {
        let mut list = FacilityList::new(Detail::Assessment);
        list.extend(facilities);
        list
    }
}

/// Every record's columns kept ([`Detail::Assessment`]), from borrowed records (no copy of
/// them is made first).
impl<'a> FromIterator<&'a Facility> for FacilityList {
    fn from_iter<I: IntoIterator<Item = &'a Facility>>(records: I) -> FacilityList {
        let mut list = FacilityList::new(Detail::Assessment);
        for f in records {
            list.push(f);
        }
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
    use proptest::prelude::*;

    fn facility(id: &str, key: &str, capacity: Option<f64>) -> Facility {
        Facility {
            id: id.into(),
            name: format!("{id} 名称"),
            category: Category::from_key(key).unwrap(),
            pos: LonLat::new(104.0 + id.len() as f64 / 100.0, 30.6),
            capacity,
            floor_area_m2: Some(120.0),
            provider_code: Some("91510100MA61234567".into()),
            division_code: Some("510104".into()),
        }
    }

    fn without_operator(f: &Facility) -> Facility {
        Facility {
            provider_code: None,
            ..f.clone()
        }
    }

    #[test]
    fn columns_hold_what_the_records_held() {
        let mut records = vec![
            facility("F1", "kindergarten", Some(180.0)),
            facility("", "pharmacy", None),
            facility("药店-长\"ID\",x", "pharmacy", None),
            facility("F4", "elderly_care", Some(60.0)),
        ];
        records[1].division_code = None;
        records[2].division_code = Some(String::new());
        records[2].floor_area_m2 = None;
        records[3].name = String::new();
        let list = FacilityList::from(records.clone());
        assert_eq!(list.len(), 4);
        assert_eq!(list.detail(), Detail::Assessment);
        assert_eq!(records.iter().collect::<FacilityList>(), list);
        for (i, f) in records.iter().enumerate() {
            assert_eq!(list.get(i), without_operator(f));
            assert_eq!(list.facility_id(i), records.facility_id(i));
            assert_eq!(list.positions()[i], f.pos);
        }
        assert_eq!(list.division_code(1), None);
        assert_eq!(list.division_code(2), Some(""));
    }

    #[test]
    fn access_detail_keeps_only_what_the_searches_need() {
        let records = vec![
            facility("F1", "kindergarten", Some(180.0)),
            facility("F2", "pharmacy", None),
        ];
        let mut list = FacilityList::with_capacity(2, Detail::Access);
        list.extend(records.clone());
        for (i, f) in records.iter().enumerate() {
            assert_eq!(list.id(i), f.id);
            assert_eq!(list.category(i), f.category);
            assert_eq!(list.pos(i), f.pos);
            assert_eq!(list.capacity(i), f.capacity);
            assert_eq!(list.name(i), "");
            assert_eq!(list.floor_area_m2(i), None);
            assert_eq!(list.division_code(i), None);
        }
        assert!(list.names.text.is_empty() && list.floor_area.is_empty());
        list.retain_categories(|c| c == records[1].category);
        assert_eq!((list.len(), list.id(0), list.name(0)), (1, "F2", ""));
        assert_eq!(
            (list.pos(0), list.detail()),
            (records[1].pos, Detail::Access)
        );
        assert!(list.names.ends.is_empty() && list.has_division.is_empty());
    }

    #[test]
    fn retaining_categories_keeps_order_and_every_column() {
        let records = vec![
            facility("a", "kindergarten", Some(1.0)),
            facility("bb", "pharmacy", None),
            facility("ccc", "kindergarten", Some(3.0)),
            facility("dddd", "pharmacy", Some(4.0)),
        ];
        let mut list = FacilityList::from(records.clone());
        let pharmacy = Category::from_key("pharmacy").unwrap();
        list.retain_categories(|c| c == pharmacy);
        assert_eq!(list.len(), 2);
        assert_eq!(list.get(0), without_operator(&records[1]));
        assert_eq!(list.get(1), without_operator(&records[3]));
        assert!(list.categories().iter().all(|&c| c == pharmacy));
        list.retain_categories(|_| false);
        assert!(list.is_empty());
        assert_eq!(list.detail(), Detail::Assessment);
    }

    proptest! {
        /// Records pushed one by one or taken in parts read back the same, text columns and
        /// all, whatever their lengths (empty texts, multi-byte characters, absent codes).
        #[test]
        fn parts_read_back_as_pushed(
            rows in proptest::collection::vec(
                ("[a-z0-9药店-]{0,6}", "[a-z 名称]{0,5}", proptest::option::of("[0-9]{0,12}"),
                 proptest::option::of(0.0f64..1e6), proptest::option::of(0.0f64..1e4)),
                0..40),
            split in 0usize..40,
        ) {
            let records: Vec<Facility> = rows
                .iter()
                .enumerate()
                .map(|(i, (id, name, code, cap, area))| Facility {
                    id: id.clone(),
                    name: name.clone(),
                    category: Category::from_index(i % Category::count()).unwrap(),
                    pos: LonLat::new(100.0 + i as f64 * 1e-3, 30.0),
                    capacity: *cap,
                    floor_area_m2: *area,
                    provider_code: None,
                    division_code: code.clone(),
                })
                .collect();
            let split = split.min(records.len());
            let mut parts = FacilityList::new(Detail::Assessment);
            parts.extend(records[..split].to_vec());
            parts.extend(records[split..].to_vec());
            let mut one_by_one = FacilityList::new(Detail::Assessment);
            for f in &records {
                one_by_one.push(f);
            }
            prop_assert_eq!(&parts, &one_by_one);
            prop_assert_eq!(parts.len(), records.len());
            for (i, f) in records.iter().enumerate() {
                prop_assert_eq!(&parts.get(i), f);
            }
        }
    }
}
