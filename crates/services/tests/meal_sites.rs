//! The assessment's meal sites within the 15-minute walk (CNM1 of `targets/cn-national.toml`)
//! count exactly the facility categories whose outlets offer the catalogue's `meal` service: the
//! catalogue is the one source, and this test keeps the target file to it.

use lc_services::catalogue::SERVICE_TYPES;
use lc_standards::{shipped_plans, IndicatorKind};

#[test]
fn the_meal_site_indicator_counts_the_catalogues_meal_categories() {
    let meal = SERVICE_TYPES
        .iter()
        .find(|t| t.key == "meal")
        .expect("the catalogue has meals");
    let plans = shipped_plans().unwrap();
    let cnm1 = plans
        .iter()
        .flat_map(|p| &p.indicators)
        .find(|i| i.id == "CNM1")
        .expect("CNM1 is shipped");
    let IndicatorKind::ElderlyCoverage { categories, .. } = &cnm1.kind else {
        panic!("CNM1 is an elderly_coverage indicator: {:?}", cnm1.kind)
    };
    let mut ours: Vec<&str> = categories.iter().map(|c| c.key()).collect();
    let mut theirs: Vec<&str> = meal.categories.to_vec();
    ours.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(
        ours, theirs,
        "targets/cn-national.toml CNM1 categories must be the catalogue's meal categories"
    );
}
