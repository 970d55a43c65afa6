//! What the service platform exports for the assessment: indicator values it computes from its
//! own records (today the monthly visit rate, GS21, `GET /api/care/visit-rate.csv`).

/// The levels of a platform indicator row, as written in its file.
pub const PLATFORM_LEVELS: [&str; 5] = ["province", "city", "district", "street", "community"];

/// One row of a platform indicator file: one indicator's value for one region in one month.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformRow {
    /// The indicator's id in the plans (`GS21`).
    pub indicator: String,
    /// The civil month, `YYYY-MM`.
    pub month: String,
    /// One of [`PLATFORM_LEVELS`].
    pub level: String,
    /// The division code (2, 4, 6 or 9 digits), or for `community` the community's id.
    pub region_code: String,
    /// Persons due.
    pub due: u64,
    /// Of them, served (visited) in the month.
    pub visited: u64,
    /// `visited / due`, 0 to 1; `None` when nobody is due.
    pub rate: Option<f64>,
}

/// A platform indicator file as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlatformIndicators {
    /// The file, as given (for notes).
    pub file: String,
    /// Its rows, in file order.
    pub rows: Vec<PlatformRow>,
}
