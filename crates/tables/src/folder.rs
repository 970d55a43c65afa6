//! Output folders written as a unit (issue 19): a command writes its files into a staging
//! folder beside the target, and only when every file is complete are they moved into the
//! target, each by a rename. A failure leaves the previous results untouched and removes the
//! staging folder; a staging folder left by a killed run is removed by a later run.
//!
//! Only the command's own files are replaced: other files in the target folder (a user's
//! inputs, notes) are never touched. Files of the command's that this run does not produce
//! (say, `recommended_sites.csv` of an earlier run with candidates) are removed, so the folder
//! never mixes two runs.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::TableError;

/// A staging folder for the files of one output folder.
#[derive(Debug)]
pub struct OutputFolder {
    target: PathBuf,
    staging: tempfile::TempDir,
}

impl OutputFolder {
    /// Starts writing the folder `target` (created if missing, its parents too).
    pub fn create(target: &Path) -> Result<OutputFolder, TableError> {
        let werr = |reason: io::Error| TableError::Write {
            path: target.to_path_buf(),
            reason,
        };
        fs::create_dir_all(target).map_err(werr)?;
        let abs = fs::canonicalize(target).map_err(werr)?;
        let parent = abs.parent().unwrap_or(&abs).to_path_buf();
        let name = abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let prefix = format!(".{name}.staging.");
        crate::atomic::remove_stale(&parent, &prefix, "", true);
        // Beside the target (same file system, so the moves are renames); inside it when the
        // parent is not writable.
        let staging = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&parent)
            .or_else(|_| tempfile::Builder::new().prefix(&prefix).tempdir_in(&abs))
            .map_err(werr)?;
        Ok(OutputFolder {
            target: target.to_path_buf(),
            staging,
        })
    }

    /// Where to write the file `name` now.
    pub fn staged(&self, name: &str) -> PathBuf {
        self.staging.path().join(name)
    }

    /// Where the file `name` will be once committed.
    pub fn target(&self, name: &str) -> PathBuf {
        self.target.join(name)
    }

    /// Moves every staged file into the target; removes the files of `owned` (every file the
    /// command can write) that this run did not produce; removes the staging folder.
    pub fn commit(self, owned: &[&str]) -> Result<(), TableError> {
        let werr = |path: &Path, reason: io::Error| TableError::Write {
            path: path.to_path_buf(),
            reason,
        };
        let mut written = Vec::new();
        for e in fs::read_dir(self.staging.path()).map_err(|e| werr(self.staging.path(), e))? {
            let e = e.map_err(|e| werr(self.staging.path(), e))?;
            written.push(e.file_name());
        }
        written.sort();
        for name in &written {
            let to = self.target.join(name);
            fs::rename(self.staging.path().join(name), &to).map_err(|e| werr(&to, e))?;
        }
        for name in owned {
            if !written.iter().any(|w| w == std::ffi::OsStr::new(name)) {
                let stale = self.target.join(name);
                if stale.is_file() {
                    fs::remove_file(&stale).map_err(|e| werr(&stale, e))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNED: [&str; 3] = ["a.csv", "b.csv", "c.csv"];

    #[test]
    fn a_committed_folder_holds_this_run_only_and_keeps_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        for (n, t) in [
            ("a.csv", "old a"),
            ("c.csv", "old c"),
            ("notes.txt", "mine"),
        ] {
            fs::write(out.join(n), t).unwrap();
        }
        let f = OutputFolder::create(&out).unwrap();
        fs::write(f.staged("a.csv"), "new a").unwrap();
        fs::write(f.staged("b.csv"), "new b").unwrap();
        // Before the commit the target is as it was.
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "old a");
        f.commit(&OWNED).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "new a");
        assert_eq!(fs::read_to_string(out.join("b.csv")).unwrap(), "new b");
        assert!(
            !out.join("c.csv").exists(),
            "an earlier run's file is not mixed in"
        );
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no staging folder left behind");
    }

    #[test]
    fn a_failed_run_leaves_the_previous_results_and_no_staging() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("a.csv"), "old a").unwrap();
        {
            let f = OutputFolder::create(&out).unwrap();
            fs::write(f.staged("a.csv"), "half").unwrap();
            // Dropped without commit: the run failed.
        }
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "old a");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1);
    }
}
