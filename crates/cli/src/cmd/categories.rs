//! `livingcircle categories`: the facility category vocabulary.

use crate::args::CategoriesArgs;
use anyhow::Result;
use lc_model::{Demand, CATEGORIES};

pub fn run(a: CategoriesArgs) -> Result<()> {
    let demand = |d: Demand| match d {
        Demand::Population => "population",
        Demand::Children0To3 => "children_0_3",
        Demand::Elderly => "elderly",
    };
    if a.csv {
        println!("key,zh,en,group,demand,capacity_unit,source");
        for c in CATEGORIES {
            println!(
                "{},{},\"{}\",{:?},{},{},\"{}\"",
                c.key,
                c.zh,
                c.en,
                c.group,
                demand(c.demand),
                c.capacity_unit.unwrap_or(""),
                c.source
            );
        }
    } else {
        for c in CATEGORIES {
            println!("{:<26} {}  {}", c.key, c.zh, c.en);
        }
    }
    Ok(())
}
