//! Communities and facilities as the engine sees them.

use crate::{Category, Demand};

/// A WGS-84 position, longitude and latitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LonLat {
    /// Longitude, -180..=180.
    pub lon: f64,
    /// Latitude, -90..=90.
    pub lat: f64,
}

impl LonLat {
    /// Makes a position (no range check; readers check ranges with file and line context).
    pub fn new(lon: f64, lat: f64) -> LonLat {
        LonLat { lon, lat }
    }

    /// Great-circle distance in metres (haversine, mean Earth radius 6,371,008.8 m).
    pub fn haversine_m(self, other: LonLat) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().asin()
    }
}

/// A candidate site for a new facility (one row of `candidates.csv`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    /// Identifier as written in the file.
    pub id: String,
    /// Display name ("" when the file has none).
    pub name: String,
    /// Position (WGS-84).
    pub pos: LonLat,
    /// Places, beds or seats a facility built here would offer (`None`: unlimited).
    pub capacity: Option<f64>,
    /// What building here would cost, in the file's unit (`None`: not known).
    pub cost: Option<f64>,
}

/// A residential community (one row of `communities.csv`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Community {
    /// Identifier as written in the file (a string: codes may have leading zeros).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Position (WGS-84).
    pub pos: LonLat,
    /// Resident population.
    pub population: f64,
    /// Households, if known.
    pub households: Option<f64>,
    /// Elderly residents (60+), if known.
    pub elderly: Option<f64>,
    /// Children aged 0-3, if known.
    pub children_0_3: Option<f64>,
    /// 12-digit statistical division code of the community/village committee, if known.
    pub division_code: Option<String>,
}

impl Community {
    /// The people a facility of a category with this demand serves, and whether the figure is
    /// the specific group (`true`) or a fallback to the whole population (`false`).
    pub fn demand(&self, demand: Demand) -> (f64, bool) {
        let specific = match demand {
            Demand::Population => return (self.population, true),
            Demand::Children0To3 => self.children_0_3,
            Demand::Elderly => self.elderly,
        };
        match specific {
            Some(v) => (v, true),
            None => (self.population, false),
        }
    }
}

/// A life-service facility (one row of `facilities.csv`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Facility {
    /// Identifier as written in the file.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Category from the vocabulary.
    #[serde(with = "category_key")]
    pub category: Category,
    /// Position (WGS-84).
    pub pos: LonLat,
    /// Capacity (slots, beds, places: see the category's `capacity_unit`), if known.
    pub capacity: Option<f64>,
    /// Floor area in square metres, if known.
    pub floor_area_m2: Option<f64>,
    /// Unified social credit code of the operator, if known.
    pub provider_code: Option<String>,
    /// Division code of the region the facility stands in (12-digit committee code, or a
    /// shorter prefix), if known. Supply-side figures (beds, places and areas in a region, "the
    /// region has one") follow it; without it, the assessment places the facility by its point.
    #[serde(default)]
    pub division_code: Option<String>,
}

mod category_key {
    use crate::Category;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(c: &Category, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.key())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Category, D::Error> {
        let key = String::deserialize(d)?;
        Category::from_key(&key).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_one_degree_of_latitude() {
        let d = LonLat::new(116.0, 39.0).haversine_m(LonLat::new(116.0, 40.0));
        assert!((d - 111_195.0).abs() < 5.0, "{d}");
    }

    #[test]
    fn demand_falls_back_to_population() {
        let mut c = Community {
            id: "c1".into(),
            name: "x".into(),
            pos: LonLat::new(0.0, 0.0),
            population: 1000.0,
            households: None,
            elderly: Some(200.0),
            children_0_3: None,
            division_code: None,
        };
        assert_eq!(c.demand(Demand::Elderly), (200.0, true));
        assert_eq!(c.demand(Demand::Children0To3), (1000.0, false));
        c.children_0_3 = Some(30.0);
        assert_eq!(c.demand(Demand::Children0To3), (30.0, true));
    }
}
