//! `livingcircle site`: where new facilities of a category close the most gaps, with a proven
//! bound on how far the answer is from the best (optimisation in `lc-siting`).

use crate::args::{non_negative, positive, SiteArgs, SiteMethod, SiteProblem, SiteWeight};
use crate::cmd::access::field;
use crate::network_input::{self, Source};
use crate::points::{self, some_ids};
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use lc_model::Candidate;
use lc_model::{Category, Demand, Facility};
use lc_pipeline::{ScenarioOptions, SiteInputs};
use lc_siting::{Assigned, Evaluation, Instance, Method, Options, Problem, Solution};
use lc_tables::CostTables as CostData;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the instance was built from, for the outputs.
struct Loaded {
    data: CostData,
    instance: Instance,
    weight_label: String,
    category: Option<Category>,
    placed_note: String,
}

/// The files `--out DIR` receives.
const OUT_FILES: [&str; 4] = [
    "sites.csv",
    "assignment.csv",
    "sites.geojson",
    "summary.json",
];
/// The files of a cost directory (`--costs` reads them, `--export-costs` writes them).
const COST_FILES: [&str; 4] = ["demand.csv", "candidates.csv", "existing.csv", "costs.csv"];

pub fn run(a: SiteArgs, progress: Progress) -> Result<()> {
    let t_start = Instant::now();
    let mut timings: BTreeMap<&'static str, f64> = BTreeMap::new();
    let problem = problem_of(&a)?;
    positive("--time-limit", a.time_limit, "seconds")?;
    non_negative("--gap", a.gap, "")?;
    {
        let mut inputs = a.network.inputs();
        inputs.push(("--communities", a.communities.as_deref()));
        inputs.push(("--facilities", a.facilities.as_deref()));
        inputs.push(("--candidates", a.candidates.as_deref()));
        let cost_files: Vec<PathBuf> = a
            .costs
            .iter()
            .flat_map(|d| COST_FILES.iter().map(move |f| d.join(f)))
            .collect();
        for p in &cost_files {
            inputs.push(("--costs", Some(p.as_path())));
        }
        let outs: Vec<PathBuf> = OUT_FILES.iter().map(|f| a.out.join(f)).collect();
        let exports: Vec<PathBuf> = a
            .export_costs
            .iter()
            .flat_map(|d| COST_FILES.iter().map(move |f| d.join(f)))
            .collect();
        let mut outputs: Vec<(&str, Option<&Path>)> =
            outs.iter().map(|p| ("--out", Some(p.as_path()))).collect();
        outputs.extend(
            exports
                .iter()
                .map(|p| ("--export-costs", Some(p.as_path()))),
        );
        crate::args::check_paths(&inputs, &outputs)?;
    }
    let t = Instant::now();
    let loaded = match &a.costs {
        Some(dir) => from_costs(dir, &problem)?,
        None => from_network(&a, &problem, &progress)?,
    };
    timings.insert("build_instance", t.elapsed().as_secs_f64());
    if let Some(dir) = &a.export_costs {
        lc_tables::write_cost_tables(dir, &loaded.data)?;
    }
    let t = Instant::now();
    let opts = Options {
        method: match a.method {
            SiteMethod::Auto => Method::Auto,
            SiteMethod::Heuristic => Method::Heuristic,
        },
        time_limit: Duration::from_secs_f64(a.time_limit),
        rel_gap: a.gap,
    };
    let (sol, ev, _) =
        lc_pipeline::solve_scenario(&loaded.instance, &problem, &opts, &progress.observer())?;
    timings.insert("solve", t.elapsed().as_secs_f64());
    let t = Instant::now();
    // The folder is written as a unit (staged, then moved into place).
    let folder = lc_tables::OutputFolder::create(&a.out)
        .with_context(|| format!("无法创建 cannot create {}", a.out.display()))?;
    write_sites(&folder.staged("sites.csv"), &loaded.data, &ev)?;
    write_assignment(&folder.staged("assignment.csv"), &loaded.data, &ev)?;
    write_geojson(&folder.staged("sites.geojson"), &loaded.data, &ev, &problem)?;
    timings.insert("write", t.elapsed().as_secs_f64());
    let total = t_start.elapsed().as_secs_f64();
    timings.insert("total", total);
    write_summary(
        &folder.staged("summary.json"),
        &a,
        &loaded,
        &problem,
        &sol,
        &ev,
        &timings,
    )?;
    folder
        .commit(&OUT_FILES)
        .with_context(|| format!("无法完成输出文件夹 cannot complete {}", a.out.display()))?;
    eprint!("{}", printed(&a, &loaded, &problem, &sol, &ev, total));
    Ok(())
}

fn problem_of(a: &SiteArgs) -> Result<Problem> {
    non_negative("--radius", a.radius, "metres")?;
    positive("--max-distance", a.max_distance, "metres")?;
    if a.budget.is_some() && a.problem != SiteProblem::Budget {
        bail!("--budget 只用于 --problem budget --budget applies to --problem budget only");
    }
    let p = || -> Result<usize> {
        let p = a.p.with_context(|| {
            format!(
                "--problem {0} 须给出 --p N（新选址的数量）--p N (the number of new sites) is required for --problem {0}",
                format!("{:?}", a.problem).to_lowercase()
            )
        })?;
        if p == 0 {
            bail!("--p 0: 选址数量至少为 1 the number of new sites must be at least 1 (with 0 there is nothing to choose)");
        }
        Ok(p)
    };
    Ok(match a.problem {
        SiteProblem::Mclp => Problem::Mclp {
            p: p()?,
            radius: a.radius,
        },
        SiteProblem::Lscp => Problem::Lscp { radius: a.radius },
        SiteProblem::Pmedian => Problem::PMedian {
            p: p()?,
            penalty: a.max_distance,
            radius: a.radius,
        },
        SiteProblem::Capacitated => Problem::Capacitated {
            p: p()?,
            radius: a.radius,
        },
        SiteProblem::Budget => {
            let budget = a.budget.context(
                "--problem budget 须给出 --budget AMOUNT（所选地点费用合计的上限，单位同候选的 cost 列）\
                 --budget AMOUNT (the most the chosen sites may cost together, in the units of \
                 the candidates' cost column) is required for --problem budget",
            )?;
            Problem::BudgetCoverage {
                budget: non_negative("--budget", budget, "")?,
                radius: a.radius,
            }
        }
    })
}

fn from_costs(dir: &Path, problem: &Problem) -> Result<Loaded> {
    let data = lc_tables::read_cost_tables(dir, problem.budget().is_some())?;
    let instance = lc_pipeline::instance_from_costs(&data).with_context(|| {
        format!(
            "{} 中的费用数据不一致 inconsistent cost data in {0}",
            dir.display()
        )
    })?;
    Ok(Loaded {
        data,
        instance,
        weight_label: "weight (from demand.csv)".into(),
        category: None,
        placed_note: format!("cost data from {}", dir.display()),
    })
}

fn from_network(a: &SiteArgs, problem: &Problem, progress: &Progress) -> Result<Loaded> {
    let net = &a.network;
    let source = net.source()?;
    let (Some(cpath), Some(kpath), Some(key)) = (&a.communities, &a.candidates, &a.category) else {
        bail!("须给出 --communities、--candidates 和 --category（或 --costs DIR）--communities, --candidates and --category are required (or --costs DIR)");
    };
    let category = Category::from_key(key).context("--category 中 in --category")?;
    if a.facilities.is_none() && !matches!(source, Source::Osm(_)) {
        bail!("使用 --nodes/--edges 时须给出 --facilities FILE（空文件表示没有现有设施）--facilities FILE is required with --nodes/--edges (an empty file means no existing facility)");
    }
    a.place.check()?;
    let crs = a.place.crs();
    let communities = lc_tables::read_communities(cpath, crs)?;
    let candidates = lc_tables::read_candidates(kpath, crs, problem.budget().is_some())?;
    let mut facilities: Vec<Facility> = match &a.facilities {
        Some(p) => lc_tables::read_facilities(p, crs)?,
        None => Vec::new(),
    };
    let loaded = network_input::load(&source, &net.load_options(a.facilities.is_none()), progress)?;
    if a.facilities.is_none() {
        facilities = points::from_osm(&loaded.osm_facilities);
    }
    let demand = match a.weight {
        SiteWeight::Population => Demand::Population,
        SiteWeight::Demand => category.info().demand,
        SiteWeight::Auto => lc_pipeline::auto_demand(problem, category),
    };
    let inputs = SiteInputs {
        communities: &communities,
        facilities: &facilities,
        candidates: &candidates,
    };
    let scenario = lc_pipeline::build_scenario(
        &loaded.graph,
        &inputs,
        &ScenarioOptions {
            category,
            problem: *problem,
            demand,
            capacities: true,
            costs: true,
            snap: a.place.snap_mode(),
            snap_limit: a.place.snap_limit,
            files: Some((cpath.clone(), kpath.clone())),
        },
        &progress.observer(),
    )?;
    let (pc, pk, pf) = (
        &scenario.communities_placed,
        &scenario.candidates_placed,
        &scenario.existing_placed,
    );
    let weight_label = match demand {
        Demand::Population => "population".to_string(),
        Demand::Children0To3 => "children_0_3".to_string(),
        Demand::Elderly => "elderly".to_string(),
    } + &if scenario.weighed_by_population > 0 {
        format!(
            " ({} without the figure counted by population)",
            lc_model::count(scenario.weighed_by_population, "community")
        )
    } else {
        String::new()
    };
    let cid = |i: usize| communities[i].id.as_str();
    let kid = |i: usize| candidates[i].id.as_str();
    let mut placed_note = format!(
        "{} ({} too far from the network{}), {} ({} too far{}), {} existing {} ({} too far)",
        lc_model::count(communities.len(), "community"),
        pc.too_far.len(),
        if pc.too_far.is_empty() {
            String::new()
        } else {
            format!(": {}", some_ids(&pc.too_far, cid, 5))
        },
        lc_model::count(candidates.len(), "candidate"),
        pk.too_far.len(),
        if pk.too_far.is_empty() {
            String::new()
        } else {
            format!(": {}", some_ids(&pk.too_far, kid, 5))
        },
        scenario.existing.len(),
        category.key(),
        pf.too_far.len(),
    );
    if let Some(r) = &loaded.report {
        let _ = write!(
            placed_note,
            "; network {} nodes, {} edges",
            r.nodes, r.edges
        );
    }
    let data = scenario.cost_tables(&inputs);
    Ok(Loaded {
        data,
        instance: scenario.instance,
        weight_label,
        category: Some(category),
        placed_note,
    })
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// Chosen sites, most newly covered first.
fn site_order(ev: &Evaluation) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ev.sites.len()).collect();
    order.sort_by(|&x, &y| {
        ev.sites[y]
            .newly_covered
            .total_cmp(&ev.sites[x].newly_covered)
            .then(ev.sites[x].candidate.cmp(&ev.sites[y].candidate))
    });
    order
}

fn write_sites(path: &Path, d: &CostData, ev: &Evaluation) -> Result<()> {
    let mut s = String::from(
        "rank,candidate_id,lon,lat,capacity,cost,assigned,newly_covered,unique_covered\n",
    );
    for (rank, &k) in site_order(ev).iter().enumerate() {
        let st = &ev.sites[k];
        let c: &Candidate = &d.candidates[st.candidate];
        let _ = write!(s, "{},", rank + 1);
        field(&mut s, &c.id);
        let _ = writeln!(
            s,
            ",{},{},{},{},{},{},{}",
            c.pos.lon,
            c.pos.lat,
            opt(c.capacity),
            opt(c.cost),
            num(st.assigned),
            num(st.newly_covered),
            num(st.unique)
        );
    }
    lc_tables::write_atomic(path, |w| w.write_all(s.as_bytes())).map_err(anyhow::Error::from)
}

fn write_assignment(path: &Path, d: &CostData, ev: &Evaluation) -> Result<()> {
    let mut s = String::from(
        "community_id,weight,assigned_kind,assigned_id,distance_m,covered,covered_before\n",
    );
    for (i, asg) in ev.assignment.iter().enumerate() {
        field(&mut s, &d.community_ids[i]);
        let _ = write!(s, ",{},", num(d.weights[i]));
        match asg.to {
            Assigned::Site(j) => {
                s.push_str("site,");
                field(&mut s, &d.candidates[j].id);
            }
            Assigned::Existing(k) => {
                s.push_str("existing,");
                field(&mut s, &d.existing_ids[k]);
            }
            Assigned::None => s.push_str("none,"),
        }
        match asg.distance_m {
            Some(m) => {
                let mm = (m * 1000.0).round() as u64;
                let _ = write!(s, ",{}.{:03}", mm / 1000, mm % 1000);
            }
            None => s.push(','),
        }
        let _ = writeln!(s, ",{},{}", num(asg.covered), num(asg.covered_before));
    }
    lc_tables::write_atomic(path, |w| w.write_all(s.as_bytes())).map_err(anyhow::Error::from)
}

fn write_geojson(path: &Path, d: &CostData, ev: &Evaluation, problem: &Problem) -> Result<()> {
    let features: Vec<serde_json::Value> = site_order(ev)
        .iter()
        .enumerate()
        .map(|(rank, &k)| {
            let st = &ev.sites[k];
            let c = &d.candidates[st.candidate];
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.pos.lon, c.pos.lat]},
                "properties": {
                    "rank": rank + 1,
                    "id": c.id,
                    "name": c.name,
                    "capacity": c.capacity,
                    "cost": c.cost,
                    "assigned": st.assigned,
                    "newly_covered": st.newly_covered,
                    "unique_covered": st.unique,
                    "problem": problem.name(),
                    "radius_m": problem.radius(),
                },
            })
        })
        .collect();
    let text = serde_json::to_string(&json!({"type": "FeatureCollection", "features": features}))?;
    lc_tables::write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(anyhow::Error::from)
}

fn write_summary(
    path: &Path,
    a: &SiteArgs,
    l: &Loaded,
    problem: &Problem,
    sol: &Solution,
    ev: &Evaluation,
    timings: &BTreeMap<&'static str, f64>,
) -> Result<()> {
    let d = &l.data;
    let chosen: Vec<&str> = sol
        .chosen
        .iter()
        .map(|&j| d.candidates[j].id.as_str())
        .collect();
    let cost: f64 = sol
        .chosen
        .iter()
        .filter_map(|&j| d.candidates[j].cost)
        .sum::<f64>()
        + 0.0; // an empty sum is -0
    let all_costed = sol.chosen.iter().all(|&j| d.candidates[j].cost.is_some());
    let r = &sol.reduction;
    let summary = json!({
        "command": "site",
        "problem": problem.name(),
        "category": l.category.map(|c| c.key()),
        "weight": l.weight_label,
        "p": problem.p(),
        "budget": problem.budget(),
        "radius_m": problem.radius(),
        "max_distance_m": matches!(problem, Problem::PMedian { .. }).then_some(a.max_distance),
        "objective": sol.objective,
        "bound": sol.bound,
        "gap": sol.gap,
        "optimal": sol.optimal,
        "found_by": sol.found_by,
        "bound_by": sol.bound_by,
        "covered_population_before": ev.covered_before,
        "covered_population_after": ev.covered_after,
        "newly_covered_population": ev.covered_after - ev.covered_before,
        "uncoverable_population": sol.uncoverable,
        "total_population": l.instance.total_weight(),
        "chosen": chosen,
        "sites": chosen.len(),
        "total_known_cost": cost,
        "total_cost": all_costed.then_some(cost),
        "method": format!("{:?}", a.method).to_lowercase(),
        "time_limit_s": a.time_limit,
        "snap": format!("{:?}", a.place.snap).to_lowercase(),
        "instance": {
            "communities": l.instance.n_communities(),
            "candidates": l.instance.n_candidates(),
            "existing_facilities": l.instance.n_existing(),
            "pairs": l.instance.pair_count(),
            "placed": l.placed_note,
        },
        "reduction": {
            "communities_kept": r.communities_kept,
            "elements": r.elements,
            "candidates_kept": r.candidates_kept,
            "candidates_dropped": r.candidates_dropped,
            "pairs": r.pairs,
            "milp_status": r.milp_status,
        },
        "timings": {
            "steps": timings,
            "reduce": r.reduce_s,
            "heuristic": r.heuristic_s,
            "bound": r.bound_s,
            "milp": r.milp_s,
        },
        "peak_rss_bytes": crate::progress::peak_rss_bytes(),
    });
    let text = serde_json::to_string_pretty(&summary)?;
    lc_tables::write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(anyhow::Error::from)
}

fn printed(
    a: &SiteArgs,
    l: &Loaded,
    problem: &Problem,
    sol: &Solution,
    ev: &Evaluation,
    total: f64,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "livingcircle site — 完成 done in {total:.2} s");
    let what = match problem {
        Problem::Mclp { p, radius } => {
            format!("maximal coverage 最大覆盖, p = {p}, radius {radius} m")
        }
        Problem::Lscp { radius } => format!("set cover 集合覆盖, radius {radius} m"),
        Problem::PMedian { p, penalty, radius } => {
            format!(
                "p-median p-中位, p = {p}, unreachable charged {penalty} m, coverage at {radius} m"
            )
        }
        Problem::Capacitated { p, radius } => {
            format!("capacitated coverage 容量约束覆盖, p = {p}, radius {radius} m")
        }
        Problem::BudgetCoverage { budget, radius } => {
            format!(
                "budgeted coverage 预算约束覆盖, budget {}, radius {radius} m",
                num(*budget)
            )
        }
    };
    let cat = l
        .category
        .map(|c| format!("{} {} ({}), ", c.key(), c.info().zh, c.info().en))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "  问题 problem     {what}; {cat}weight {}",
        l.weight_label
    );
    let _ = writeln!(s, "  数据 input       {}", l.placed_note);
    let _ = writeln!(
        s,
        "  覆盖 covered     before 建设前 {} → after 建设后 {} (+{}); uncoverable 无法覆盖 {}",
        num(ev.covered_before),
        num(ev.covered_after),
        num(ev.covered_after - ev.covered_before),
        num(sol.uncoverable)
    );
    let _ = writeln!(s, "  选址 sites       {} chosen: {}", sol.chosen.len(), {
        let ids: Vec<&str> = site_order(ev)
            .iter()
            .map(|&k| l.data.candidates[ev.sites[k].candidate].id.as_str())
            .collect();
        let idx: Vec<usize> = (0..ids.len()).collect();
        some_ids(&idx, |i| ids[i], 8)
    });
    if let Some(p) = problem.p() {
        let n = l.data.candidates.len();
        if sol.chosen.len() < p {
            let _ = writeln!(
                s,
                "  说明 note        {} of the {p} sites asked for: {}",
                sol.chosen.len(),
                if n < p {
                    format!(
                        "候选用地不足，只有 {n} 个 only {}",
                        lc_model::count(n, "candidate")
                    )
                } else {
                    "no other candidate would bring anyone within reach or nearer 其余候选用地不会改善结果 (an idle site is not proposed)".to_string()
                }
            );
        }
    }
    if let Some(budget) = problem.budget() {
        let spent: f64 = sol
            .chosen
            .iter()
            .filter_map(|&j| l.data.candidates[j].cost)
            .sum::<f64>()
            + 0.0; // an empty sum is -0
        let share = if budget > 0.0 {
            format!(" ({:.1}%)", 100.0 * spent / budget)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "  预算 budget      used 已用 {} of {}{share}",
            num(spent),
            num(budget)
        );
    }
    let quality = if sol.optimal {
        "proven optimal 已证明最优".to_string()
    } else {
        format!(
            "within {:.3}% of optimal 距最优不超过 {:.3}%",
            sol.gap * 100.0,
            sol.gap * 100.0
        )
    };
    let _ = writeln!(
        s,
        "  目标 objective   {} (bound 界 {}, gap 差距 {:.4}%): {quality}",
        num(sol.objective),
        num(sol.bound),
        sol.gap * 100.0
    );
    let r = &sol.reduction;
    let _ = writeln!(
        s,
        "  求解 solver      found by {}, bound by {}; reduced to {} elements × {} candidates ({} dropped); heuristic {:.2} s, bound {:.2} s, {} {:.2} s{}",
        sol.found_by,
        sol.bound_by,
        r.elements,
        r.candidates_kept,
        r.candidates_dropped,
        r.heuristic_s,
        r.bound_s,
        if lc_siting::HAS_MILP { "MILP" } else { "enumeration" },
        r.milp_s,
        r.milp_status.as_ref().map(|x| format!(" ({x})")).unwrap_or_default()
    );
    if !lc_siting::HAS_MILP && !sol.optimal {
        let _ = writeln!(
            s,
            "  精确求解 exact    this build has no MILP solver: build with `--features milp` (needs cmake) to close the gap"
        );
    }
    let _ = writeln!(
        s,
        "  输出 output      {} (sites.csv, assignment.csv, sites.geojson, summary.json)",
        a.out.display()
    );
    s
}
