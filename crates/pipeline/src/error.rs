//! Why a run stopped. Every message is in Chinese and English and names the file or the input.

use std::path::PathBuf;

/// Errors of a pipeline run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The caller's observer asked the run to stop.
    #[error("已取消 cancelled")]
    Cancelled,
    /// A table (points, node/edge tables) could not be read.
    #[error(transparent)]
    Table(#[from] lc_tables::TableError),
    /// The OSM file could not be read (the reason is in the message, printed once).
    #[error("无法读取路网 cannot read the road network from {source_label}: {reason}")]
    Osm {
        /// The network source, as the caller labelled it.
        source_label: String,
        /// What went wrong.
        reason: lc_osm::OsmError,
    },
    /// The input holds no walkable network.
    #[error("无法构建步行路网 cannot build a walkable network from {source_label}: {reason}")]
    Network {
        /// The network source, as the caller labelled it.
        source_label: String,
        /// What went wrong.
        reason: lc_network::NetworkError,
    },
    /// An input file (for the cache key) is missing or unreadable.
    #[error("无法打开 cannot open {}: {}", path.display(), lc_tables::io_reason(reason))]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        reason: std::io::Error,
    },
    /// Nothing to work on: no rows, or none of them on the network (issues 17 and 19).
    #[error("{0}")]
    NothingToCompute(String),
    /// The siting solver refused the instance or the problem (the message says why).
    #[error(transparent)]
    Siting(#[from] lc_siting::SitingError),
    /// An option out of its domain.
    #[error("{0}")]
    BadOption(String),
    /// A partitioned run's job, plan or manifest file is not usable.
    #[error("{}: 字段 field '{field}': {reason}", file.display())]
    Job {
        /// The file.
        file: PathBuf,
        /// The field at fault (`options.k`, `region.prefix`, …).
        field: String,
        /// Why.
        reason: String,
    },
    /// A partitioned run cannot be done as asked (the message says why and what to do).
    #[error("{0}")]
    Partition(String),
}
