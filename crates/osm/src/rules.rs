//! The walkable-network rule: which OSM ways a pedestrian (or wheelchair user) may use.
//!
//! The rule, applied to every way that has a `highway` tag, in this order (the first
//! matching step decides; `docs/osm.md` has the same rule as a table):
//!
//! 1. `highway=motorway|motorway_link` → excluded ([`ExcludeReason::Motorway`]), always.
//! 2. `highway=construction|proposed|planned|abandoned|disused|razed|demolished|no` →
//!    excluded ([`ExcludeReason::NotBuilt`]), always.
//! 3. `area=yes` → excluded ([`ExcludeReason::Area`]): the outline of a square is not a path.
//! 4. Any `highway` value not in the walkable list below (`raceway`, `bus_guideway`,
//!    `busway`, `escape`, `rest_area`, `services`, `bus_stop`, ...) → excluded
//!    ([`ExcludeReason::NotForWalking`]). Walkable values: `footway`, `path`, `pedestrian`,
//!    `steps`, `corridor`, `platform`, `bridleway`, `track`, `living_street`, `residential`,
//!    `service`, `unclassified`, `road`, `tertiary(_link)`, `secondary(_link)`,
//!    `primary(_link)`, `trunk(_link)`, and `cycleway` (conditionally, step 8).
//! 5. `foot=no|private|use_sidepath` → excluded ([`ExcludeReason::FootNo`]).
//! 6. Otherwise a *foot permission* is `foot=yes|designated|permissive|official|destination`.
//!    Without one: `access=no|private` → excluded ([`ExcludeReason::AccessNo`]);
//! 7. `motorroad=yes` (expressway-like road) → excluded ([`ExcludeReason::Motorroad`]);
//! 8. `highway=cycleway` → excluded ([`ExcludeReason::CyclewayWithoutFoot`]): in China
//!    pedestrians do not use separate non-motor-vehicle lanes unless the way says so.
//! 9. Wheelchair profile only: `wheelchair=no` → excluded ([`ExcludeReason::WheelchairNo`]);
//!    `highway=steps` → excluded ([`ExcludeReason::Steps`]) unless `wheelchair=yes|designated`
//!    or `ramp:wheelchair=yes`.
//! 10. Everything else is walkable, in both directions: `oneway` is ignored.

use crate::tags::Tags;

/// Who walks the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// A pedestrian: every walkable way.
    #[default]
    Walk,
    /// A wheelchair user: as [`Profile::Walk`], without steps and without `wheelchair=no` ways.
    Wheelchair,
}

impl Profile {
    /// A short lowercase name (`walk`, `wheelchair`).
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Walk => "walk",
            Profile::Wheelchair => "wheelchair",
        }
    }
}

/// Why a way with a `highway` tag was left out of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExcludeReason {
    /// `highway=motorway|motorway_link`.
    Motorway,
    /// Not built or no longer usable: `construction`, `proposed`, `planned`, `abandoned`,
    /// `disused`, `razed`, `demolished`, `no`.
    NotBuilt,
    /// `area=yes`: the outline of a pedestrian area or square.
    Area,
    /// A `highway` value that is not for walking (`raceway`, `bus_guideway`, `busway`,
    /// `escape`, `services`, ...) or not known.
    NotForWalking,
    /// `foot=no|private|use_sidepath`.
    FootNo,
    /// `access=no|private` without a foot permission.
    AccessNo,
    /// `motorroad=yes` without a foot permission.
    Motorroad,
    /// `highway=cycleway` without a foot permission.
    CyclewayWithoutFoot,
    /// Wheelchair profile: `highway=steps` (without `wheelchair=yes|designated`).
    Steps,
    /// Wheelchair profile: `wheelchair=no`.
    WheelchairNo,
}

impl ExcludeReason {
    /// Every reason, in a fixed order (the order of [`ExcludedWays::iter`]).
    pub const ALL: [ExcludeReason; 10] = [
        ExcludeReason::Motorway,
        ExcludeReason::NotBuilt,
        ExcludeReason::Area,
        ExcludeReason::NotForWalking,
        ExcludeReason::FootNo,
        ExcludeReason::AccessNo,
        ExcludeReason::Motorroad,
        ExcludeReason::CyclewayWithoutFoot,
        ExcludeReason::Steps,
        ExcludeReason::WheelchairNo,
    ];

    /// A stable snake_case key, for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ExcludeReason::Motorway => "motorway",
            ExcludeReason::NotBuilt => "not_built",
            ExcludeReason::Area => "area",
            ExcludeReason::NotForWalking => "not_for_walking",
            ExcludeReason::FootNo => "foot_no",
            ExcludeReason::AccessNo => "access_no",
            ExcludeReason::Motorroad => "motorroad",
            ExcludeReason::CyclewayWithoutFoot => "cycleway_without_foot",
            ExcludeReason::Steps => "steps",
            ExcludeReason::WheelchairNo => "wheelchair_no",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Counts of excluded ways, one per [`ExcludeReason`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExcludedWays {
    counts: [u64; ExcludeReason::ALL.len()],
}

impl ExcludedWays {
    /// The count for one reason.
    pub fn get(&self, reason: ExcludeReason) -> u64 {
        self.counts[reason.index()]
    }

    /// Adds one way excluded for `reason`.
    pub fn add(&mut self, reason: ExcludeReason) {
        self.counts[reason.index()] += 1;
    }

    /// Adds all counts of `other`.
    pub fn merge(&mut self, other: &ExcludedWays) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
    }

    /// All excluded ways.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(reason, count)` for every reason, including zero counts, in [`ExcludeReason::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (ExcludeReason, u64)> + '_ {
        ExcludeReason::ALL.iter().map(|&r| (r, self.get(r)))
    }
}

/// What the rule says about one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WayVerdict {
    /// The way has no `highway` tag: not a road or path at all.
    NotHighway,
    /// Part of the walkable network.
    Walkable,
    /// A highway left out, and why.
    Excluded(ExcludeReason),
}

/// `highway` values that are walkable (subject to the access steps of the rule).
const WALKABLE_HIGHWAYS: &[&str] = &[
    "footway",
    "path",
    "pedestrian",
    "steps",
    "corridor",
    "platform",
    "bridleway",
    "track",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "road",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "trunk",
    "trunk_link",
    "cycleway",
];

const NOT_BUILT: &[&str] = &[
    "construction",
    "proposed",
    "planned",
    "abandoned",
    "disused",
    "razed",
    "demolished",
    "no",
];

/// `foot` values that grant pedestrians access whatever `access` or `motorroad` say.
pub(crate) const FOOT_ALLOW: &[&str] =
    &["yes", "designated", "permissive", "official", "destination"];

/// `foot` values that forbid pedestrians.
const FOOT_DENY: &[&str] = &["no", "private", "use_sidepath"];

/// Applies the walkable-network rule (see the module documentation) to one way's tags.
pub fn way_verdict(tags: &[(&str, &str)], profile: Profile) -> WayVerdict {
    verdict(&Tags::new(tags), profile)
}

pub(crate) fn verdict(t: &Tags<'_, '_>, profile: Profile) -> WayVerdict {
    let Some(highway) = t.get("highway") else {
        return WayVerdict::NotHighway;
    };
    if highway == "motorway" || highway == "motorway_link" {
        return WayVerdict::Excluded(ExcludeReason::Motorway);
    }
    if NOT_BUILT.contains(&highway) {
        return WayVerdict::Excluded(ExcludeReason::NotBuilt);
    }
    if t.is("area", "yes") {
        return WayVerdict::Excluded(ExcludeReason::Area);
    }
    if !WALKABLE_HIGHWAYS.contains(&highway) {
        return WayVerdict::Excluded(ExcludeReason::NotForWalking);
    }
    if t.is_any("foot", FOOT_DENY) {
        return WayVerdict::Excluded(ExcludeReason::FootNo);
    }
    let foot_allowed = t.is_any("foot", FOOT_ALLOW);
    if !foot_allowed {
        if t.is_any("access", &["no", "private"]) {
            return WayVerdict::Excluded(ExcludeReason::AccessNo);
        }
        if t.is("motorroad", "yes") {
            return WayVerdict::Excluded(ExcludeReason::Motorroad);
        }
        if highway == "cycleway" {
            return WayVerdict::Excluded(ExcludeReason::CyclewayWithoutFoot);
        }
    }
    if profile == Profile::Wheelchair {
        if t.is("wheelchair", "no") {
            return WayVerdict::Excluded(ExcludeReason::WheelchairNo);
        }
        if highway == "steps"
            && !t.is_any("wheelchair", &["yes", "designated"])
            && !t.is("ramp:wheelchair", "yes")
        {
            return WayVerdict::Excluded(ExcludeReason::Steps);
        }
    }
    WayVerdict::Walkable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(tags: &[(&str, &str)]) -> WayVerdict {
        way_verdict(tags, Profile::Walk)
    }
    fn w(tags: &[(&str, &str)]) -> WayVerdict {
        way_verdict(tags, Profile::Wheelchair)
    }
    use ExcludeReason::*;
    use WayVerdict::*;

    #[test]
    fn road_classes() {
        assert_eq!(v(&[("building", "yes")]), NotHighway);
        assert_eq!(v(&[("highway", "footway")]), Walkable);
        assert_eq!(v(&[("highway", "primary"), ("oneway", "yes")]), Walkable);
        assert_eq!(v(&[("highway", "trunk")]), Walkable);
        assert_eq!(v(&[("highway", "motorway")]), Excluded(Motorway));
        assert_eq!(
            v(&[("highway", "motorway_link"), ("foot", "yes")]),
            Excluded(Motorway)
        );
        assert_eq!(v(&[("highway", "construction")]), Excluded(NotBuilt));
        assert_eq!(v(&[("highway", "raceway")]), Excluded(NotForWalking));
        assert_eq!(v(&[("highway", "bus_guideway")]), Excluded(NotForWalking));
        assert_eq!(
            v(&[("highway", "pedestrian"), ("area", "yes")]),
            Excluded(Area)
        );
    }

    #[test]
    fn access_and_foot() {
        assert_eq!(
            v(&[("highway", "service"), ("foot", "no")]),
            Excluded(FootNo)
        );
        assert_eq!(
            v(&[("highway", "service"), ("access", "private")]),
            Excluded(AccessNo)
        );
        assert_eq!(
            v(&[
                ("highway", "service"),
                ("access", "private"),
                ("foot", "yes")
            ]),
            Walkable
        );
        assert_eq!(
            v(&[
                ("highway", "track"),
                ("access", "no"),
                ("foot", "permissive")
            ]),
            Walkable
        );
        assert_eq!(
            v(&[("highway", "footway"), ("access", "destination")]),
            Walkable
        );
        assert_eq!(
            v(&[("highway", "trunk"), ("motorroad", "yes")]),
            Excluded(Motorroad)
        );
        assert_eq!(v(&[("highway", "cycleway")]), Excluded(CyclewayWithoutFoot));
        assert_eq!(
            v(&[("highway", "cycleway"), ("foot", "designated")]),
            Walkable
        );
    }

    #[test]
    fn wheelchair_profile() {
        assert_eq!(v(&[("highway", "steps")]), Walkable);
        assert_eq!(w(&[("highway", "steps")]), Excluded(Steps));
        assert_eq!(
            w(&[("highway", "steps"), ("ramp:wheelchair", "yes")]),
            Walkable
        );
        assert_eq!(
            w(&[("highway", "footway"), ("wheelchair", "no")]),
            Excluded(WheelchairNo)
        );
        assert_eq!(v(&[("highway", "footway"), ("wheelchair", "no")]), Walkable);
        assert_eq!(
            w(&[("highway", "footway"), ("wheelchair", "limited")]),
            Walkable
        );
    }
}
