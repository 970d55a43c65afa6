//! Residential communities: where they are, how many people live there, and their codes.
//!
//! Communities sit on distinct nodes of the largest component, more of them where the urban
//! density is high. Populations are skewed between 1,000 and 12,000 (a typical urban 社区 has
//! a few thousand residents); households are population / ~2.8; 12-25 % are elderly (more in
//! the old centre) and 2-3 % are children aged 0-3.
//!
//! Division codes have the form `DDDDDD SSS CCC`: a real district prefix (the district is
//! decided by position, see `Site::district_of`), a synthetic 3-digit street (街道) code per
//! street region within the district, and a community number 001-199 within the street. A
//! street that reaches 199 communities continues under a new street code; a district that
//! runs out of street codes (999) continues under the site's spare district prefixes.

use crate::rng::Rng;
use crate::Ctx;
use lc_model::Community;
use std::collections::HashMap;

const STREAM: u64 = 200;

/// Name stems for communities: common Chinese community names and Lanzhou place names.
const STEMS: &[&str] = &[
    "幸福",
    "和平",
    "东岗",
    "雁滩",
    "团结",
    "建设",
    "光明",
    "民主",
    "胜利",
    "友谊",
    "新华",
    "康乐",
    "安宁",
    "文化",
    "阳光",
    "金城",
    "滨河",
    "西湖",
    "五泉",
    "皋兰",
    "白塔",
    "盐场",
    "拱星墩",
    "焦家湾",
    "庙滩子",
    "草场街",
    "伏龙坪",
    "渭源路",
    "铁路",
    "南关",
    "广武门",
    "东湖",
    "华林",
    "龚家湾",
    "土门墩",
    "晏家坪",
    "西站",
    "敦煌路",
    "秀川",
    "培黎",
    "刘家堡",
    "银滩",
    "十里店",
    "孔家崖",
    "福利路",
    "陈坪",
    "先锋路",
    "四季青",
    "临洮街",
    "畅家巷",
    "红星",
    "振兴",
    "永昌",
];

/// The communities and the node each one sits on.
pub(crate) struct Placed {
    pub communities: Vec<lc_model::Community>,
    pub nodes: Vec<u32>,
}

/// Street-code bookkeeping per district prefix.
struct Codes {
    /// Next street number per district prefix (1-based).
    next_street: Vec<u32>,
    /// (district, region) -> (prefix index, street number, communities so far).
    streets: HashMap<(usize, u64), (usize, u32, u32)>,
    /// Index of the first spare prefix.
    spare_from: usize,
}

impl Codes {
    fn new(prefixes: usize) -> Codes {
        Codes {
            next_street: vec![1; prefixes],
            streets: HashMap::new(),
            spare_from: 4,
        }
    }

    fn new_street(&mut self, district: usize) -> (usize, u32) {
        let n = self.next_street.len();
        let order = std::iter::once(district).chain(self.spare_from.min(n)..n);
        for d in order {
            if self.next_street[d] <= 999 {
                self.next_street[d] += 1;
                return (d, self.next_street[d] - 1);
            }
        }
        // Every prefix is full (over 1.5 million communities): codes repeat from here on.
        let s = (self.next_street[district] - 1) % 999 + 1;
        self.next_street[district] += 1;
        (district, s)
    }

    /// The next community code in a street region.
    fn code(&mut self, district: usize, region: u64, prefixes: &[crate::District]) -> String {
        let key = (district, region);
        let entry = match self.streets.get(&key) {
            Some(&(d, s, k)) if k < 199 => (d, s, k + 1),
            _ => {
                let (d, s) = self.new_street(district);
                (d, s, 1)
            }
        };
        self.streets.insert(key, entry);
        format!("{}{:03}{:03}", prefixes[entry.0].code, entry.1, entry.2)
    }
}

/// Places the communities.
pub(crate) fn communities(ctx: &Ctx) -> Placed {
    let s = ctx.streets;
    let mut rng = Rng::new(ctx.params.seed, STREAM);
    let candidates: Vec<u32> = (0..s.node_count() as u32)
        .filter(|&n| ctx.main[n as usize])
        .collect();
    let want = ctx.params.community_count().min(candidates.len());
    let mut taken = vec![false; s.node_count()];
    let mut nodes = Vec::with_capacity(want);
    let mut tries = 0usize;
    while nodes.len() < want {
        tries += 1;
        let node = candidates[rng.below(candidates.len())];
        if taken[node as usize] {
            continue;
        }
        // After many rejections (nearly every node wanted), accept regardless of density.
        if tries < 200 * want.max(1) && !rng.chance(ctx.density.at(s.xy[node as usize])) {
            continue;
        }
        taken[node as usize] = true;
        nodes.push(node);
        if tries > 400 * want.max(1) {
            // Fill deterministically in node order.
            for &n in &candidates {
                if nodes.len() == want {
                    break;
                }
                if !taken[n as usize] {
                    taken[n as usize] = true;
                    nodes.push(n);
                }
            }
        }
    }

    let districts = ctx.site.districts();
    let mut codes = Codes::new(districts.len());
    let mut stem_counter = vec![0u32; STEMS.len()];
    let x_min = s.xy.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min);
    let communities = nodes
        .iter()
        .enumerate()
        .map(|(i, &node)| {
            let xy = s.xy[node as usize];
            let dens = ctx.density.at(xy);
            let u = rng.unit();
            let population = (1_000.0 + 11_000.0 * u * u * (0.6 + 0.4 * rng.unit())).round();
            let households = (population / (2.8 * rng.range(0.92, 1.08))).round();
            let old = (0.6 * rng.unit() + 0.4 * dens).clamp(0.0, 1.0);
            let elderly = (population * (0.12 + 0.13 * old)).round();
            let children = (population * rng.range(0.02, 0.03)).round();
            let stem = rng.below(STEMS.len());
            stem_counter[stem] += 1;
            let fx = (xy[0] - x_min) / s.width_m.max(1.0);
            let north_of_river = s.river.map_or(xy[1] > 0.0, |r| xy[1] > r.y_at(xy[0]));
            let district = ctx.site.district_of(fx, north_of_river, xy[1] > 0.0);
            let code = codes.code(district, ctx.region(node), districts);
            Community {
                id: format!("C{:06}", i + 1),
                name: format!("{}社区{}", STEMS[stem], stem_counter[stem]),
                pos: ctx.coords[node as usize],
                population,
                households: Some(households),
                elderly: Some(elderly),
                children_0_3: Some(children),
                division_code: Some(code),
            }
        })
        .collect();
    Placed { communities, nodes }
}
