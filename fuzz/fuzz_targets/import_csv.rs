//! The service platform's import of `communities.csv` and `facilities.csv` (POST
//! `/api/communities/import`, `/api/facilities/import`): the upload is written to a file and
//! read with the engine's reader in the coordinate system asked for (GCJ-02 here), each row
//! becomes the registry's input object and is checked by the registry's rules (`check_new`), as
//! `lc-server`'s `bulk.rs` does. Errors name the file; nothing panics; a row the engine's
//! reader accepts is never refused for a value the reader checked (position, counts,
//! capacity).
#![no_main]
use lc_registry::records::{check_new, CommunityInput, FacilityInput, Input};
use lc_tables::{Crs, COMMUNITY_COLUMNS, FACILITY_COLUMNS};
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{check_table_error, line_count, put};
use serde_json::{json, Value};

/// Fields whose values the engine's reader has already checked (not `id`: the registry's ids
/// are narrower, ASCII letters, digits and `-_.:`).
const CHECKED: [&str; 8] = [
    "lon",
    "lat",
    "population",
    "households",
    "elderly",
    "children_0_3",
    "capacity",
    "floor_area_m2",
];

fn opt(v: Option<f64>) -> Value {
    v.map(|x| json!(x)).unwrap_or(Value::Null)
}

fn accepted<I: Input>(what: &str, v: Value) {
    if let Err(errs) = check_new::<I>(v) {
        for e in errs {
            assert!(
                !CHECKED.contains(&e.field.as_str()),
                "{what}: the registry refuses a value the reader accepted: {e:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let max = (!data.starts_with(b"PK\x03\x04")).then(|| line_count(data));
    let path = put("communities.csv", data);
    match lc_tables::read_communities(&path, Crs::Gcj02) {
        Ok(list) => {
            for cm in list {
                let v = json!({
                    "id": cm.id, "name": cm.name, "lon": cm.pos.lon, "lat": cm.pos.lat,
                    "population": cm.population, "households": opt(cm.households),
                    "elderly": opt(cm.elderly), "children_0_3": opt(cm.children_0_3),
                    "division_code": cm.division_code,
                });
                accepted::<CommunityInput>("community", v);
            }
        }
        Err(e) => {
            let cols: Vec<&str> = COMMUNITY_COLUMNS.iter().map(|c| c.0).collect();
            check_table_error(&e, &path, max, &cols);
        }
    }
    let path = put("facilities.csv", data);
    match lc_tables::read_facilities(&path, Crs::Gcj02) {
        Ok(list) => {
            for f in list {
                let v = json!({
                    "id": f.id, "name": f.name, "category": f.category.key(), "lon": f.pos.lon,
                    "lat": f.pos.lat, "capacity": opt(f.capacity),
                    "floor_area_m2": opt(f.floor_area_m2), "provider_code": f.provider_code,
                });
                accepted::<FacilityInput>("facility", v);
            }
        }
        Err(e) => {
            let cols: Vec<&str> = FACILITY_COLUMNS.iter().map(|c| c.0).collect();
            check_table_error(&e, &path, max, &cols);
        }
    }
});
