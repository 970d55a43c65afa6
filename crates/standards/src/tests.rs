//! Tests: the shipped files parse and quote the seeds verbatim; bad files give located errors.

use super::*;
use lc_model::Category;

fn cat(k: &str) -> Category {
    Category::from_key(k).unwrap()
}

#[test]
fn shipped_standards_parse_with_levels_and_status() {
    let all = shipped_standards().unwrap();
    let gb = all.iter().find(|s| s.id == "GB50180-2018").unwrap();
    let dist: Vec<(&str, f64)> = gb
        .levels
        .iter()
        .map(|l| (l.id.as_str(), l.distance_m))
        .collect();
    assert_eq!(
        dist,
        vec![("5min", 300.0), ("10min", 500.0), ("15min", 1000.0)]
    );
    let kg = gb
        .requirements
        .iter()
        .find(|r| r.id == "5min.kindergarten")
        .unwrap();
    // The facility table is unverified in DOMAIN.md: the file must say so.
    assert_eq!(kg.status, Status::U);
    assert!(!kg.status.verified());
    assert_eq!(
        kg.rule,
        Rule::Within {
            categories: vec![cat("kindergarten")],
            distance_m: 300.0,
            min_count: 1
        }
    );
    // The [V] items of the 15-minute level are marked verified.
    let cc = gb
        .requirements
        .iter()
        .find(|r| r.id == "15min.culture_center")
        .unwrap();
    assert_eq!(cc.status, Status::V);

    let mof = all.iter().find(|s| s.id == "MOFCOM-15MIN").unwrap();
    let pharmacy = mof
        .requirements
        .iter()
        .find(|r| r.id == "basic.pharmacy")
        .unwrap();
    assert!(
        matches!(pharmacy.rule, Rule::Within { distance_m, .. } if distance_m == 480.0),
        "8-minute tier at 60 m/min"
    );
    assert!(mof
        .requirements
        .iter()
        .filter(|r| r.id.starts_with("quality."))
        .all(|r| r.obligation == Obligation::Recommended));

    let cc = all.iter().find(|s| s.id == "COMPLETE-COMMUNITY").unwrap();
    let basics: Vec<&str> = cc
        .requirements
        .iter()
        .filter(|r| r.id.starts_with("basic."))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(basics.len(), 5, "five basic facilities");
    let area = cc
        .requirements
        .iter()
        .find(|r| r.id == "area.service_per_100hh")
        .unwrap();
    assert_eq!(
        area.rule,
        Rule::Ratio {
            categories: vec![
                cat("community_service_station"),
                cat("community_service_center")
            ],
            measure: Measure::FloorArea,
            denominator: Denominator::Households,
            per: 100.0,
            min: 30.0,
            catchment_m: 300.0
        }
    );
}

#[test]
fn shipped_plans_parse_and_refer_to_loaded_standards() {
    let standards = shipped_standards().unwrap();
    let plans = shipped_plans().unwrap();
    let ids: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["CN", "GS", "HE", "HL", "SX"]);
    for p in &plans {
        check_plan(p, &standards).unwrap();
    }
    let gs = &plans[1];
    assert_eq!(gs.jurisdiction, "62");
    let gs04 = gs.indicators.iter().find(|i| i.id == "GS04").unwrap();
    assert_eq!(gs04.threshold, Some(4.5));
    assert_eq!(gs04.comparison, Comparison::AtLeast);
}

/// Every computable target of DOMAIN.md §5 that the brief names is encoded as an indicator,
/// and the ones needing other data are listed as unavailable.
#[test]
fn every_listed_target_is_encoded() {
    let plans = shipped_plans().unwrap();
    let ind: Vec<&str> = plans
        .iter()
        .flat_map(|p| p.indicators.iter().map(|i| i.id.as_str()))
        .collect();
    for id in [
        "CN01", "GS03", "GS04", "GS08", "GS09", "GS12", "GS13", "GS15", "GS18", "GS19", "GS21",
        "GS22", "GS23", "HE06", "HE07", "HE08", "HE09", "HE10", "HE11", "HE14", "HL01", "HL02",
        "HL03", "HL04", "HL05", "HL07", "SX01",
    ] {
        assert!(ind.contains(&id), "{id} is not an indicator");
    }
    let una: Vec<&str> = plans
        .iter()
        .flat_map(|p| p.unavailable.iter().map(|i| i.id.as_str()))
        .collect();
    for id in [
        "CN02", "GS01", "GS02", "GS05", "GS06", "GS07", "GS10", "GS11", "GS14", "GS16", "GS17",
        "GS20", "GS24", "GS25", "HE01", "HE02", "HE03", "HE04", "HE05", "HE12", "HE13", "HL06",
        "HL08",
    ] {
        assert!(una.contains(&id), "{id} is not listed as unavailable");
    }
}

/// The seed documents: `../shared/seeds` beside the workspace (CI has it).
const SEEDS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/seeds");

/// The quotes are verbatim: each is found in its seed document (../shared/seeds, which CI has).
#[test]
fn quotes_are_verbatim_in_the_seeds() {
    let dir = SEEDS_DIR;
    let plans = shipped_plans().unwrap();
    let mut checked = 0;
    for p in &plans {
        let path = format!("{dir}/{}", p.document);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("seed {path} must be readable: {e}"));
        for (id, q) in p
            .indicators
            .iter()
            .map(|i| (&i.id, &i.quote))
            .chain(p.unavailable.iter().map(|u| (&u.id, &u.quote)))
        {
            assert!(text.contains(q.as_str()), "{id}: quote not in {path}: {q}");
            checked += 1;
        }
    }
    assert!(checked >= 50, "{checked}");
}

/// `targets/seed-targets.csv`: every sentence of the seeds that sets a quantitative target, with
/// the ids of the shipped `[[indicator]]` / `[[unavailable]]` entries that encode it, and the
/// sentences with a number that are not targets (ids empty, the reason in `note`).
const SEED_TARGETS: &str = include_str!("../../../targets/seed-targets.csv");

/// One row of `targets/seed-targets.csv`.
#[derive(Debug, Clone)]
struct SeedRow {
    seed: String,
    line: usize,
    sentence: String,
    ids: Vec<String>,
    note: String,
}

fn seed_rows() -> Vec<SeedRow> {
    let mut r = csv::Reader::from_reader(SEED_TARGETS.as_bytes());
    assert_eq!(
        r.headers().unwrap(),
        vec!["seed", "line", "sentence", "ids", "note"],
        "seed-targets.csv columns"
    );
    r.records()
        .enumerate()
        .map(|(k, rec)| {
            let rec = rec.unwrap_or_else(|e| panic!("seed-targets.csv row {}: {e}", k + 2));
            SeedRow {
                seed: rec[0].to_string(),
                line: rec[1]
                    .parse()
                    .unwrap_or_else(|e| panic!("seed-targets.csv row {}: line: {e}", k + 2)),
                sentence: rec[2].to_string(),
                ids: rec[3]
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                note: rec[4].trim().to_string(),
            }
        })
        .collect()
}

/// Every seed document (`*.txt` in the seeds directory), by file name, as its lines.
fn seed_texts() -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(SEEDS_DIR)
        .unwrap_or_else(|e| panic!("seeds directory {SEEDS_DIR} must be readable: {e}"))
    {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) != Some("txt") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        out.insert(name, text.split('\n').map(String::from).collect());
    }
    out
}

/// Numerals and counters of Chinese counts written in characters (一所, 三个, 十五分钟).
const ZH_NUMERALS: &str = "一二两兩三四五六七八九十";
const ZH_COUNTERS: &str = "个個所家项項名张張座处處";

/// Phrases that set a target without an Arabic number, in simplified and traditional characters
/// and in the English translations.
const TARGET_PHRASES: &[&str] = &[
    "全覆盖",
    "全覆蓋",
    "倍增",
    "每县",
    "每縣",
    "每个县",
    "每個縣",
    "每千",
    "每百",
    "每万",
    "每萬",
    "“一市",
    "“一县",
    "“一縣",
    "“一乡",
    "“一鄉",
    "“一镇",
    "“一鎮",
];
const TARGET_PHRASES_EN: &[&str] = &[
    "full coverage",
    "fully covered",
    "each city",
    "each county",
    "each community",
    "each street",
    "every city",
    "every county",
    "every community",
    "every street",
];
const NUMBER_WORDS_EN: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

/// The byte offsets in `line` where something target-like starts: every run of digits (ASCII or
/// full-width; "4.5" and "2,000" give two runs each), except the list number that opens a line
/// ("1." or "(1)"); every phrase above; a count in Chinese numerals (一所, 三个, 十五分钟); an
/// English number word followed by a word ("two local standards"). Deliberately broad: a date or
/// a document number matches too, and must be listed with a note saying it is not a target.
fn target_like(line: &str) -> Vec<usize> {
    let is_digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    // The list number opening the line.
    let mut skip = 0;
    let mut k = 0;
    while k < chars.len() && chars[k].1.is_whitespace() {
        k += 1;
    }
    let open_paren = k < chars.len() && chars[k].1 == '(';
    let d0 = k + usize::from(open_paren);
    let mut d = d0;
    while d < chars.len() && chars[d].1.is_ascii_digit() {
        d += 1;
    }
    let close = if open_paren { ')' } else { '.' };
    if d > d0 && d < chars.len() && chars[d].1 == close {
        skip = chars[d].0 + 1;
    }
    let mut out = Vec::new();
    for (k, &(at, c)) in chars.iter().enumerate() {
        let prev = (k > 0).then(|| chars[k - 1].1);
        if at < skip {
            continue;
        }
        if is_digit(c) && !prev.is_some_and(is_digit) {
            out.push(at);
        }
        if ZH_NUMERALS.contains(c) && !prev.is_some_and(|p| ZH_NUMERALS.contains(p)) {
            let mut e = k;
            while e < chars.len() && ZH_NUMERALS.contains(chars[e].1) {
                e += 1;
            }
            let rest = chars.get(e..).unwrap_or_default();
            let counter = rest.first().is_some_and(|&(_, n)| ZH_COUNTERS.contains(n));
            let minutes = rest.len() >= 2 && rest[0].1 == '分' && "钟鐘".contains(rest[1].1);
            if counter || minutes {
                out.push(at);
            }
        }
    }
    for p in TARGET_PHRASES {
        out.extend(line.match_indices(p).map(|(at, _)| at));
    }
    // English: whole words, case-insensitive (an ASCII lowercase copy keeps the byte offsets).
    let lower = line.to_ascii_lowercase();
    let starts_word = |at: usize| {
        !lower[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric())
    };
    for p in TARGET_PHRASES_EN {
        out.extend(
            lower
                .match_indices(p)
                .map(|(at, _)| at)
                .filter(|&at| starts_word(at)),
        );
    }
    for w in NUMBER_WORDS_EN {
        for (at, _) in lower.match_indices(w) {
            let after = &lower[at + w.len()..];
            let next = after.trim_start();
            if starts_word(at)
                && next.len() < after.len()
                && next.starts_with(|c: char| c.is_ascii_alphabetic())
            {
                out.push(at);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The target-like places of the seeds that no row's sentence covers, as messages.
fn unlisted(
    seeds: &std::collections::BTreeMap<String, Vec<String>>,
    rows: &[SeedRow],
) -> Vec<String> {
    let mut spans: std::collections::HashMap<(&str, usize), Vec<(usize, usize)>> =
        std::collections::HashMap::new();
    for r in rows {
        if let Some(line) = seeds
            .get(&r.seed)
            .and_then(|l| l.get(r.line.wrapping_sub(1)))
        {
            if r.sentence.is_empty() {
                continue;
            }
            let s = spans.entry((r.seed.as_str(), r.line)).or_default();
            s.extend(
                line.match_indices(r.sentence.as_str())
                    .map(|(at, m)| (at, at + m.len())),
            );
        }
    }
    let mut out = Vec::new();
    for (seed, lines) in seeds {
        for (n, line) in lines.iter().enumerate() {
            let covered = spans.get(&(seed.as_str(), n + 1));
            for at in target_like(line) {
                if !covered.is_some_and(|s| s.iter().any(|&(a, b)| a <= at && at < b)) {
                    let mut from = at.saturating_sub(30);
                    while !line.is_char_boundary(from) {
                        from -= 1;
                    }
                    let mut to = (at + 30).min(line.len());
                    while !line.is_char_boundary(to) {
                        to += 1;
                    }
                    out.push(format!("{seed}:{}: …{}…", n + 1, &line[from..to]));
                }
            }
        }
    }
    out
}

#[test]
fn the_target_scan_finds_numbers_phrases_and_counts() {
    // The list number is skipped, the year and the share are found.
    let l = "1.到2025年,覆蓋率達到50%以上";
    let found: Vec<&str> = target_like(l).iter().map(|&at| &l[at..]).collect();
    assert_eq!(found, vec!["2025年,覆蓋率達到50%以上", "50%以上"]);
    assert_eq!(target_like("(3) Vigorously develop"), Vec::<usize>::new());
    assert_eq!(target_like("　　10.开展培训"), Vec::<usize>::new());
    // Counts in Chinese numerals and phrases without a number.
    let l = "实现每个县有一所综合性养老机构";
    assert_eq!(
        target_like(l),
        vec![l.find("每个县").unwrap(), l.find("一所").unwrap()]
    );
    assert_eq!(target_like("构建主城区“十五分钟”便民生活圈").len(), 1);
    assert_eq!(target_like("實現(xiàn)…服務(wù)全覆蓋").len(), 1);
    assert_eq!(target_like("劳务品牌“一县一品牌”工程").len(), 1);
    assert!(target_like("打造一批示范项目").is_empty());
    // English: digits, number words before a word, phrases; not "three-level" or "(four)".
    assert_eq!(target_like("and revise two local standards").len(), 1);
    assert!(target_like("(four) the three-level e-commerce").is_empty());
    assert_eq!(target_like("By 2025, each city (local) will").len(), 2);
    assert!(target_like("reach city").is_empty());
}

/// (a) Every row of seed-targets.csv is on its line of its seed, and names shipped targets of the
/// plan whose document that seed is; a row without ids says why it is not a target; each id's
/// quote stands on a line that one of its rows names.
#[test]
fn seed_target_rows_are_on_their_lines_and_name_shipped_targets() {
    let seeds = seed_texts();
    let plans = shipped_plans().unwrap();
    let mut doc_of = std::collections::HashMap::new();
    for p in &plans {
        for (id, q) in p
            .indicators
            .iter()
            .map(|i| (&i.id, &i.quote))
            .chain(p.unavailable.iter().map(|u| (&u.id, &u.quote)))
        {
            assert!(
                doc_of
                    .insert(id.as_str(), (p.document.as_str(), q.as_str()))
                    .is_none(),
                "{id} is used twice in the shipped plans"
            );
        }
    }
    let rows = seed_rows();
    assert!(rows.len() >= 100, "{}", rows.len());
    for (k, r) in rows.iter().enumerate() {
        let at = format!("seed-targets.csv row {} ({}:{})", k + 2, r.seed, r.line);
        let lines = seeds
            .get(&r.seed)
            .unwrap_or_else(|| panic!("{at}: no seed {} in {SEEDS_DIR}", r.seed));
        let line = lines
            .get(r.line.wrapping_sub(1))
            .unwrap_or_else(|| panic!("{at}: the seed has {} lines", lines.len()));
        assert!(!r.sentence.trim().is_empty(), "{at}: empty sentence");
        assert!(
            line.contains(&r.sentence),
            "{at}: sentence not on that line: {}",
            r.sentence
        );
        assert!(
            !r.ids.is_empty() || !r.note.is_empty(),
            "{at}: a row without ids needs a note saying why it is not a target"
        );
        for id in &r.ids {
            let (doc, _) = doc_of
                .get(id.as_str())
                .unwrap_or_else(|| panic!("{at}: {id} is no indicator or unavailable target"));
            assert_eq!(*doc, r.seed, "{at}: {id} belongs to the plan of {doc}");
        }
    }
    // Each id's quote stands on a line one of its rows names (an id without rows is (b)'s).
    for (id, (doc, quote)) in &doc_of {
        let mut its_lines = rows
            .iter()
            .filter(|r| r.ids.iter().any(|i| i == id))
            .peekable();
        if its_lines.peek().is_some() {
            assert!(
                its_lines.any(|r| seeds[*doc][r.line - 1].contains(quote)),
                "{id}: its quote is on none of the lines its rows name"
            );
        }
    }
}

/// (b) Every indicator and unavailable target of the shipped plans has a sentence in the list.
#[test]
fn every_shipped_target_has_a_seed_sentence() {
    let rows = seed_rows();
    let mut missing = Vec::new();
    for p in shipped_plans().unwrap() {
        for id in p
            .indicators
            .iter()
            .map(|i| &i.id)
            .chain(p.unavailable.iter().map(|u| &u.id))
        {
            if !rows.iter().any(|r| r.ids.contains(id)) {
                missing.push(id.clone());
            }
        }
    }
    assert!(missing.is_empty(), "not in seed-targets.csv: {missing:?}");
}

/// (c) Completeness against the seed text itself: every target-like place of every seed (a
/// number, 全覆盖/倍增/每县/每千…, a count in Chinese numerals, "two local standards", "full
/// coverage", "each city") lies inside a listed sentence — a target with its ids, or a number
/// with the reason it is not a target.
#[test]
fn every_target_like_place_in_the_seeds_is_listed() {
    let seeds = seed_texts();
    let plans = shipped_plans().unwrap();
    for p in &plans {
        assert!(
            seeds.contains_key(&p.document),
            "{} not among the seeds",
            p.document
        );
    }
    assert_eq!(
        seeds.len(),
        plans.len(),
        "one seed per plan: {:?}",
        seeds.keys()
    );
    let missing = unlisted(&seeds, &seed_rows());
    assert!(
        missing.is_empty(),
        "{} target-like places of the seeds are not in targets/seed-targets.csv:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// The scan of (c) needs every row: dropping any one sentence from the list makes (c) fail.
#[test]
fn dropping_any_listed_sentence_is_caught() {
    let seeds = seed_texts();
    let rows = seed_rows();
    for k in 0..rows.len() {
        let mut fewer = rows.clone();
        let gone = fewer.remove(k);
        assert!(
            !unlisted(&seeds, &fewer).is_empty(),
            "row {} ({}:{} {:?}) could be dropped unnoticed",
            k + 2,
            gone.seed,
            gone.line,
            gone.sentence
        );
    }
}

/// 以上 / 不低于 / 达到 / 不少于 mean ≥ (DOMAIN.md §5): every indicator compares with ≥ unless its
/// sentence says 大于 / 超过 ("exceeds"). The English translations (000, 003) write "more than"
/// for 以上, so such an indicator says in its definition how it reads the sentence.
#[test]
fn comparisons_follow_the_sentence() {
    for p in shipped_plans().unwrap() {
        for i in &p.indicators {
            let strict = ["大于", "大於", "超过", "超過", "exceeds"]
                .iter()
                .any(|w| i.quote.contains(w));
            let want = if strict {
                Comparison::MoreThan
            } else {
                Comparison::AtLeast
            };
            assert_eq!(i.comparison, want, "{}: {}", i.id, i.quote);
            if i.quote.contains("more than") {
                assert!(
                    i.definition.contains("以上"),
                    "{}: \"more than\" translates 以上: say so in the definition",
                    i.id
                );
            }
        }
    }
}

/// The scope of every indicator as read from its sentence (issue 22 item 3), with the words of
/// the seed that decide it: (id, communities, units, evidence). The evidence must stand on a
/// seed line the indicator's rows in seed-targets.csv name; with no evidence, the scope is "all"
/// because the sentences name no urban or rural qualifier, and the test checks they name none.
const SCOPES: &[(&str, &str, &str, &str)] = &[
    // 000: "Promote big cities to speed up … meal-assisting and home care …": about cities.
    ("CN01", "urban", "all", "big cities"),
    // The monitoring indicator of meal sites: the paragraph's services reach every community.
    ("CNM1", "all", "all", "all urban and rural communities"),
    ("GS03", "all", "all", ""),
    ("GS04", "all", "all", ""),
    ("GS08", "all", "all", ""),
    // 鄉鎮(街道): townships, towns and streets alike.
    ("GS09", "all", "all", "鄉(xiāng)鎮(zhèn)(街道)"),
    ("GS12", "rural", "all", "農(nóng)村和城市"),
    ("GS13", "urban", "all", "農(nóng)村和城市"),
    ("GS15", "all", "all", ""),
    ("GS18", "all", "all", ""),
    ("GS19", "all", "all", ""),
    ("GS21", "all", "all", ""),
    // The paragraph builds 城鄉社區 networks; the sentence itself names no qualifier.
    ("GS22", "all", "all", ""),
    ("GS23", "urban", "all", "基礎(chǔ)較好的城市"),
    ("HE06", "all", "all", ""),
    // 每县 for 敬老院 (rural care homes): counties, not city districts.
    ("HE07", "all", "counties", "每县"),
    ("HE08", "all", "all", "乡镇（街道）"),
    // The same sentence gives villages their own target (HE10): 社区 here are urban.
    ("HE09", "urban", "all", "农村互助性养老覆盖70%以上的行政村"),
    ("HE10", "rural", "all", "行政村"),
    ("HE11", "urban", "all", "城市老年助餐"),
    ("HE14", "all", "all", ""),
    ("HL01", "all", "all", ""),
    // The circles are built in "Harbin City and other prefecture -level cities".
    ("HL02", "urban", "all", "prefecture -level cities"),
    ("HL03", "urban", "all", "urban home community"),
    ("HL04", "rural", "all", "rural pension service facilities"),
    ("HL05", "all", "all", ""),
    ("HL07", "all", "streets", "The urban streets"),
    // 每个县 in the sentence on rural elderly care (加强农村养老机构建设).
    ("SX01", "all", "counties", "加强农村养老机构建设,实现每个县"),
];

#[test]
fn scopes_follow_the_sentence() {
    let seeds = seed_texts();
    let rows = seed_rows();
    let qualifiers = [
        "城市",
        "农村",
        "農(nóng)村",
        "行政村",
        "urban",
        "rural",
        "city",
        "cities",
    ];
    let plans = shipped_plans().unwrap();
    let mut seen = 0;
    for p in &plans {
        for ind in &p.indicators {
            let &(_, communities, units, evidence) = SCOPES
                .iter()
                .find(|s| s.0 == ind.id)
                .unwrap_or_else(|| panic!("{}: no scope decision in SCOPES", ind.id));
            seen += 1;
            assert_eq!(
                (ind.scope.communities.key(), ind.scope.units.key()),
                (communities, units),
                "{}: scope",
                ind.id
            );
            let its: Vec<&SeedRow> = rows.iter().filter(|r| r.ids.contains(&ind.id)).collect();
            if evidence.is_empty() {
                assert_eq!(
                    communities, "all",
                    "{}: a narrower scope needs its words",
                    ind.id
                );
                for r in &its {
                    for q in qualifiers {
                        assert!(
                            !r.sentence.contains(q),
                            "{}: its sentence says {q:?}: {}",
                            ind.id,
                            r.sentence
                        );
                    }
                }
            } else {
                assert!(
                    its.iter()
                        .any(|r| seeds[&r.seed][r.line - 1].contains(evidence)),
                    "{}: {evidence:?} is on none of its lines",
                    ind.id
                );
            }
        }
    }
    assert_eq!(
        seen,
        SCOPES.len(),
        "SCOPES names an id that is no indicator"
    );
}

const GOOD: &str = r#"
[standard]
id = "LOCAL"
name_zh = "本地标准"
name_en = "Local standard"
source = "test"

[[level]]
id = "5min"
name_zh = "五分钟"
name_en = "5 minutes"
distance_m = 300
status = "V"
source = "test"

[[requirement]]
id = "kg"
level = "5min"
categories = ["kindergarten"]
name_zh = "幼儿园"
name_en = "Kindergarten"
status = "V"
source = "test"
"#;

fn bad(from: &str, to: &str) -> SpecError {
    assert!(GOOD.contains(from), "{from}");
    parse_standard("local.toml", &GOOD.replacen(from, to, 1)).unwrap_err()
}

#[test]
fn a_good_local_standard_parses() {
    let s = parse_standard("local.toml", GOOD).unwrap();
    assert_eq!(s.requirements[0].line, 17);
    assert_eq!(s.requirements[0].obligation, Obligation::Required);
}

#[test]
fn unknown_category_names_file_line_and_key() {
    let e = bad("[\"kindergarten\"]", "[\"kindergarden\"]");
    assert_eq!((e.file.as_str(), e.line), ("local.toml", 19));
    assert_eq!(e.key.as_deref(), Some("requirement.categories"));
    let msg = e.to_string();
    assert!(
        msg.starts_with("local.toml:19:") && msg.contains("unknown category 'kindergarden'"),
        "{msg}"
    );
}

#[test]
fn wrong_type_names_the_key() {
    let e = bad("distance_m = 300", "distance_m = \"300 m\"");
    assert_eq!(e.line, 12, "{e}");
    assert_eq!(e.key.as_deref(), Some("distance_m"), "{e}");
}

#[test]
fn negative_distance_and_bad_status_are_refused() {
    let e = bad("distance_m = 300", "distance_m = -5");
    assert_eq!((e.line, e.key.as_deref()), (12, Some("level.distance_m")));
    let text = GOOD.replace(
        "status = \"V\"\nsource = \"test\"\n\n[[requirement]]",
        "status = \"maybe\"\nsource = \"test\"\n\n[[requirement]]",
    );
    let e = parse_standard("local.toml", &text).unwrap_err();
    assert_eq!(
        (e.line, e.key.as_deref()),
        (13, Some("level.status")),
        "{e}"
    );
}

#[test]
fn missing_and_unknown_keys_are_named() {
    let e = bad("name_en = \"Kindergarten\"\n", "");
    assert_eq!(e.key.as_deref(), Some("name_en"), "{e}");
    assert!(e.message.contains("missing field"), "{e}");
    let e = bad(
        "status = \"V\"\nsource = \"test\"\n\n[[req",
        "status = \"V\"\ncolour = \"red\"\nsource = \"test\"\n\n[[req",
    );
    assert_eq!((e.line, e.key.as_deref()), (14, Some("colour")), "{e}");
}

#[test]
fn unknown_level_and_syntax_errors_are_located() {
    let e = bad("level = \"5min\"", "level = \"6min\"");
    assert_eq!((e.line, e.key.as_deref()), (18, Some("requirement.level")));
    assert!(e.message.contains("no level '6min'"), "{e}");
    let e = parse_standard("local.toml", &GOOD.replace("id = \"kg\"", "id = \"kg")).unwrap_err();
    assert_eq!(e.line, 17, "{e}");
}

#[test]
fn keys_of_another_kind_are_refused() {
    let e = bad(
        "categories = [\"kindergarten\"]",
        "categories = [\"kindergarten\"]\nper = 100",
    );
    assert_eq!(
        (e.line, e.key.as_deref()),
        (20, Some("requirement.per")),
        "{e}"
    );
    assert!(e.message.contains("does not apply to kind 'within'"), "{e}");
}

const PLAN: &str = r#"
[plan]
id = "T"
name_zh = "测试"
name_en = "Test"
jurisdiction = "62"
year = 2025
document = "none"

[[indicator]]
id = "T1"
name_zh = "托位"
name_en = "Slots"
kind = "ratio"
unit = "per 1000"
comparison = ">="
threshold = 4.5
quote = "q"
definition = "d"
status = "S"
communities = "all"
scope_note = "per 1000 of the whole population"
categories = ["nursery"]
measure = "capacity"
denominator = "population"
per = 1000
catchment_m = 1000
"#;

#[test]
fn plan_errors_are_located() {
    let p = parse_plan("t.toml", PLAN).unwrap();
    assert_eq!(p.indicators[0].line, 11);
    let e = parse_plan("t.toml", &PLAN.replace("\">=\"", "\"=>\"")).unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.key.as_deref()),
        ("t.toml", 16, Some("indicator.comparison"))
    );
    let e = parse_plan("t.toml", &PLAN.replace("per = 1000\n", "")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("indicator.per"), "{e}");
    assert!(e.message.contains("required for kind 'ratio'"), "{e}");
    let e = parse_plan("t.toml", &PLAN.replace("\"62\"", "\"6x\"")).unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (6, Some("plan.jurisdiction")));
    let e = parse_plan(
        "t.toml",
        &PLAN.replace("kind = \"ratio\"", "kind = \"standard_coverage\""),
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("indicator.categories"), "{e}");
    let e = parse_plan(
        "t.toml",
        &PLAN.replace(
            "catchment_m = 1000\n",
            "catchment_m = 1000\nlevels = [\"street\", \"ward\"]\n",
        ),
    )
    .unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (28, Some("indicator.levels")));
}

/// Every target states its scope next to its quote (issue 22 item 3): which communities, for
/// region coverage which sub-regions, and why; a missing or misplaced scope is refused with the
/// indicator's line and the key.
#[test]
fn every_target_states_its_scope() {
    let p = parse_plan("t.toml", PLAN).unwrap();
    assert_eq!(p.indicators[0].scope.communities, CommunityFilter::All);
    assert_eq!(p.indicators[0].scope.units, UnitFilter::All);
    for (cut, key) in [
        ("communities = \"all\"\n", "indicator.communities"),
        (
            "scope_note = \"per 1000 of the whole population\"\n",
            "indicator.scope_note",
        ),
    ] {
        let e = parse_plan("t.toml", &PLAN.replace(cut, "")).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (10, Some(key)), "{e}");
        assert!(e.message.contains("is required"), "{e}");
    }
    let e = parse_plan(
        "t.toml",
        &PLAN.replace(
            "communities = \"all\"",
            "communities = \"urban\"\nunits = \"counties\"",
        ),
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("indicator.units"), "{e}");
    assert!(e.message.contains("does not apply to kind 'ratio'"), "{e}");
    let region = |units: &str| {
        PLAN.replace("kind = \"ratio\"", "kind = \"region_coverage\"")
            .replace(
                "categories = [\"nursery\"]\nmeasure = \"capacity\"\ndenominator = \"population\"\nper = 1000\ncatchment_m = 1000\n",
                &format!("of = \"district\"\nlevels = [\"all\"]\n{units}categories = [\"elderly_care\"]\ndistance_m = 1000\n"),
            )
    };
    let p = parse_plan("t.toml", &region("units = \"counties\"\n")).unwrap();
    assert_eq!(p.indicators[0].scope.units, UnitFilter::Counties);
    let e = parse_plan("t.toml", &region("")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("indicator.units"), "{e}");
    let e = parse_plan("t.toml", &region("units = \"streets\"\n")).unwrap_err();
    assert!(e.message.contains("speaks of street units"), "{e}");
    let e = parse_plan("t.toml", &region("units = \"wards\"\n")).unwrap_err();
    assert!(e.message.contains("not a unit filter"), "{e}");
    // Every shipped target states its scope, with a reason.
    for plan in shipped_plans().unwrap() {
        for ind in &plan.indicators {
            assert!(
                ind.scope.note.chars().count() > 20,
                "{}: {}",
                ind.id,
                ind.scope.note
            );
        }
    }
}

/// Sub-regions by their code: digits 5–6 for districts (01–20 市辖区, 21–80 县, 81–99 县级市),
/// digits 7–9 for streets (001–099 街道, 100–199 镇, 200–399 乡).
#[test]
fn urban_and_rural_from_the_code() {
    assert!(CommunityFilter::Urban.admits(Some("620102001001")));
    assert!(!CommunityFilter::Urban.admits(Some("620102001201")));
    assert!(CommunityFilter::Rural.admits(Some("620102101201")));
    // A community known only by its street: a 街道 holds only 居委会.
    assert!(CommunityFilter::Urban.admits(Some("510108005")));
    assert!(!CommunityFilter::Rural.admits(Some("510108005")));
    // A town holds both: its code decides nothing.
    assert!(!CommunityFilter::Urban.admits(Some("510108101")));
    assert!(!CommunityFilter::Rural.admits(Some("510108101")));
    assert!(!CommunityFilter::Urban.admits(Some("510108")));
    assert!(!CommunityFilter::Urban.admits(None));
}

#[test]
fn unit_filters_read_the_code() {
    assert!(UnitFilter::Counties.admits("620121"));
    assert!(UnitFilter::Counties.admits("620181"));
    assert!(!UnitFilter::Counties.admits("620102"));
    assert!(UnitFilter::Districts.admits("620102"));
    assert!(!UnitFilter::Districts.admits("620121"));
    assert!(UnitFilter::Streets.admits("620102001"));
    assert!(!UnitFilter::Streets.admits("620102101"));
    assert!(UnitFilter::Towns.admits("620102101"));
    assert!(UnitFilter::Towns.admits("620102201"));
    assert!(!UnitFilter::Towns.admits("620102001"));
    assert!(!UnitFilter::Streets.admits("62"));
    assert!(UnitFilter::All.admits("62"));
}

#[test]
fn check_plan_names_a_missing_standard() {
    let text = PLAN
        .replace("kind = \"ratio\"", "kind = \"standard_coverage\"")
        .replace(
            "categories = [\"nursery\"]\nmeasure = \"capacity\"\ndenominator = \"population\"\nper = 1000\ncatchment_m = 1000\n",
            "standard = \"NOPE\"\n",
        );
    let p = parse_plan("t.toml", &text).unwrap();
    let e = check_plan(&p, &shipped_standards().unwrap()).unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("t.toml", 11));
    assert!(e.message.contains("'NOPE'"), "{e}");
}

#[test]
fn comparison_gap_and_filters() {
    // One rule with a documented tolerance (issue 22 item 5): a capacity shared among
    // communities that sums to 4.499999999999999 per 1000 is at the target 4.5.
    assert!(Comparison::AtLeast.met(4.499999999999999, 4.5));
    assert_eq!(Comparison::AtLeast.gap(4.499999999999999, 4.5), 0.0);
    assert!(!Comparison::AtLeast.met(4.4999, 4.5));
    assert!(!Comparison::MoreThan.met(80.00000000000001, 80.0));
    assert!(Comparison::AtMost.met(10.000000000000002, 10.0));
    assert!(!Comparison::LessThan.met(9.999999999999998, 10.0));
    assert!(!Comparison::AtLeast.met(f64::NAN, 1.0));
    assert!(!Comparison::AtLeast.met(4.0, 4.5));
    assert!((Comparison::AtLeast.gap(4.0, 4.5) - 0.5).abs() < 1e-12);
    assert!(Comparison::AtLeast.met(4.5, 4.5));
    assert!(!Comparison::MoreThan.met(80.0, 80.0));
    assert_eq!(Comparison::MoreThan.gap(90.0, 80.0), 0.0);
    assert!(CommunityFilter::Urban.admits(Some("110108010031")));
    assert!(!CommunityFilter::Rural.admits(Some("110108010031")));
    assert!(CommunityFilter::Rural.admits(Some("620102100201")));
    assert!(!CommunityFilter::Urban.admits(None));
    assert!(CommunityFilter::All.admits(None));
}

/// Every message is in Chinese and English (issue 19 item 5): the frame names the key in both,
/// the reason has a Chinese sentence before the English one, and a long value is cut.
#[test]
fn messages_are_in_chinese_and_english_and_long_values_are_cut() {
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let cases = [
        bad("distance_m = 300", "distance_m = -5"),
        bad("level = \"5min\"", "level = \"6min\""),
        bad("[\"kindergarten\"]", "[\"kindergarden\"]"),
        bad("name_en = \"Kindergarten\"\n", ""),
        bad(
            "categories = [\"kindergarten\"]",
            "categories = [\"kindergarten\"]\nper = 100",
        ),
        bad("id = \"kg\"", "id = \"kg"),
    ];
    for e in &cases {
        let msg = e.to_string();
        assert!(cjk(&e.message), "no Chinese in {msg}");
        if e.key.is_some() {
            assert!(msg.contains(": 键 key '"), "{msg}");
        }
    }
    assert_eq!(
        cases[0].to_string(),
        "local.toml:12:14: 键 key 'level.distance_m': 须为正数，实为 -5 must be a positive number, got -5"
    );
    assert_eq!(
        cases[1].message,
        "本文件中没有层级 '6min'（已有层级：5min）no level '6min' in this file (levels: 5min)"
    );
    assert!(
        cases[3]
            .message
            .starts_with("缺少必需的键 missing field `name_en`"),
        "{}",
        cases[3]
    );

    let long = "m".repeat(200);
    let e = bad("level = \"5min\"", &format!("level = \"{long}\""));
    assert!(
        e.message.starts_with(&format!(
            "本文件中没有层级 '{}…' (200 个字符 characters)（已有层级：5min）no level '{}…' (200 个字符 characters)",
            "m".repeat(60),
            "m".repeat(60)
        )),
        "{e}"
    );
    assert!(!e.message.contains(&"m".repeat(61)), "{e}");
}

/// GS21 is computed from the platform's file (issue 11), no longer an unavailable target; the
/// meal-site indicator is a monitoring one whose walk is GB 50180-2018's 15-minute distance.
#[test]
fn gs21_is_encoded_and_the_meal_indicator_walks_fifteen_minutes() {
    let plans = shipped_plans().unwrap();
    let gs = plans.iter().find(|p| p.id == "GS").unwrap();
    assert!(gs.unavailable.iter().all(|u| u.id != "GS21"));
    let gs21 = gs.indicators.iter().find(|i| i.id == "GS21").unwrap();
    assert_eq!(gs21.kind, IndicatorKind::PlatformRate);
    assert_eq!(gs21.threshold, Some(100.0));
    assert!(gs21.levels.contains(&RegionLevel::Community));
    let cn = plans.iter().find(|p| p.id == "CN").unwrap();
    let m = cn.indicators.iter().find(|i| i.id == "CNM1").unwrap();
    assert_eq!(m.threshold, None);
    let IndicatorKind::ElderlyCoverage { distance_m, .. } = &m.kind else {
        panic!("CNM1: {:?}", m.kind)
    };
    let standards = shipped_standards().unwrap();
    let gb = standards.iter().find(|s| s.id == "GB50180-2018").unwrap();
    let fifteen = gb.levels.iter().find(|l| l.id == "15min").unwrap();
    assert_eq!(*distance_m, fifteen.distance_m);
}

const MONITOR: &str = r#"
[plan]
id = "T"
name_zh = "测试"
name_en = "Test"
jurisdiction = ""
year = 2025
document = "t.txt"

[[indicator]]
id = "M1"
name_zh = "老年人助餐"
name_en = "Meals"
kind = "elderly_coverage"
unit = "%"
comparison = ">="
monitoring = true
quote = "q"
communities = "all"
scope_note = "n"
definition = "d"
status = "S"
levels = ["all", "community"]
categories = ["community_canteen"]
distance_m = 1000
"#;

#[test]
fn monitoring_indicators_have_no_threshold_and_others_need_one() {
    let p = parse_plan("t.toml", MONITOR).unwrap();
    assert_eq!(p.indicators[0].threshold, None);
    assert_eq!(
        p.indicators[0].levels,
        vec![RegionLevel::All, RegionLevel::Community]
    );
    let e = parse_plan(
        "t.toml",
        &MONITOR.replace("monitoring = true", "monitoring = true\nthreshold = 5"),
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("indicator.threshold"));
    assert!(
        e.to_string().contains(
            "监测指标没有目标值 a monitoring indicator (monitoring = true) has no threshold"
        ),
        "{e}"
    );
    let e = parse_plan("t.toml", &MONITOR.replace("monitoring = true\n", "")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("indicator.threshold"));
    assert!(
        e.to_string()
            .contains("is required (an indicator without a target says monitoring = true)"),
        "{e}"
    );
    // A figure of what stands in a region has no per-community value.
    let ratio = MONITOR
        .replace("kind = \"elderly_coverage\"", "kind = \"total\"")
        .replace(
            "distance_m = 1000",
            "measure = \"capacity\"\ncatchment_m = 1000",
        );
    let e = parse_plan("t.toml", &ratio).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("indicator.levels"));
    assert!(
        e.to_string()
            .contains("its levels cannot include 'community'"),
        "{e}"
    );
    let rate = MONITOR
        .replace("kind = \"elderly_coverage\"", "kind = \"platform_rate\"")
        .replace(
            "categories = [\"community_canteen\"]\ndistance_m = 1000\n",
            "",
        );
    assert_eq!(
        parse_plan("t.toml", &rate).unwrap().indicators[0].kind,
        IndicatorKind::PlatformRate
    );
}
