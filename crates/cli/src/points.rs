//! Points for the commands: placing them (lc-pipeline's), ids for messages, every input file's
//! errors at once.

pub use lc_pipeline::place::{from_osm, place};

/// Up to `n` ids from a list of indices, for messages ("C1, C7, C9 and 12 more").
pub fn some_ids<'a>(idx: &[usize], id: impl Fn(usize) -> &'a str, n: usize) -> String {
    let mut s: Vec<&str> = idx.iter().take(n).map(|&i| id(i)).collect();
    if idx.len() > n {
        let more = format!("and {} more", idx.len() - n);
        return format!("{} {more}", s.join(", "));
    }
    s.dedup();
    s.join(", ")
}

/// Every input file's errors at once: reads each with its reader and, if any failed, one error
/// listing all of them (so a user fixes the communities and the facilities in one go, not one
/// file per run).
#[derive(Default)]
pub struct Reads {
    errors: Vec<String>,
}

impl Reads {
    pub fn new() -> Reads {
        Reads::default()
    }

    /// The value read, or `T::default()` with the error kept for [`Reads::finish`].
    pub fn take<T: Default, E: std::fmt::Display>(&mut self, r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| {
            self.errors.push(format!("{e:#}"));
            T::default()
        })
    }

    /// Fails with every error kept, one file after another.
    pub fn finish(self) -> anyhow::Result<()> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(anyhow::anyhow!("{}", self.errors[0])),
            n => Err(anyhow::anyhow!(
                "{n} 个输入文件有错误 input files have errors:\n{}",
                self.errors.join("\n")
            )),
        }
    }
}

/// Refuses a run with nothing to work on (see [`lc_pipeline::place::require_points`]).
pub fn require_points(
    file: &std::path::Path,
    what: (&str, &str),
    n: usize,
    off: usize,
    snap_limit: f64,
    task: &str,
) -> anyhow::Result<()> {
    Ok(lc_pipeline::place::require_points(
        file, what, n, off, snap_limit, task,
    )?)
}
