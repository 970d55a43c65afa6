//! Loading the walkable network: lc-pipeline's loader (with its cache) with the command line's
//! progress display and path names.

use crate::progress::Progress;
use anyhow::Result;
pub use lc_pipeline::{LoadOptions, Loaded, NetworkSource as Source};

/// Loads the network of `source`, showing progress.
pub fn load(source: &Source, opts: &LoadOptions, progress: &Progress) -> Result<Loaded> {
    let opts = LoadOptions {
        label: Some(source_label(source)),
        ..opts.clone()
    };
    Ok(lc_pipeline::network::load(
        source,
        &opts,
        &progress.observer(),
    )?)
}

/// The source as the user will find it (staged paths named by their final place).
pub fn source_label(source: &Source) -> String {
    source.label_with(crate::shown::shown)
}
