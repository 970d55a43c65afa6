//! Output folders written as a unit (issue 19): a command writes its files into a staging
//! folder beside the target, and only when every file is complete are they moved into the
//! target, each by a rename. A failure leaves the previous results untouched and removes the
//! staging folder; a staging folder left by a killed run is removed by a later run.
//!
//! Only the command's own files are replaced: other files in the target folder (a user's
//! inputs, notes) are never touched. A staged entry may be a folder (the demo stages its
//! `input/` and `assessment/` folders): the previous folder of that name is moved aside into
//! the staging folder, the new one renamed into place, and the old one removed with the staging
//! folder. Files of the command's that this run does not produce
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

    /// The staging folder itself, for a command that writes a whole tree into it.
    pub fn staging_dir(&self) -> &Path {
        self.staging.path()
    }

    /// The folder the files go to on commit, as given.
    pub fn target_dir(&self) -> &Path {
        &self.target
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
        // A file where a folder is to go (or the other way round) would stop the commit halfway:
        // refuse before anything is moved.
        for name in &written {
            let to = self.target.join(name);
            let (Ok(new), Ok(old)) = (
                fs::symlink_metadata(self.staging.path().join(name)),
                fs::symlink_metadata(&to),
            ) else {
                continue;
            };
            if new.is_dir() != old.is_dir() {
                return Err(werr(
                    &to,
                    io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        if new.is_dir() {
                            "这里应写入文件夹，但已有同名文件 a folder is to be written here, but a file of that name is in the way; move or rename it"
                        } else {
                            "这里应写入文件，但已有同名文件夹 a file is to be written here, but a folder of that name is in the way; move or rename it"
                        },
                    ),
                ));
            }
        }
        // Folders replaced by this commit are moved here first and go with the staging folder.
        let aside = self.staging.path().join(".replaced");
        for name in &written {
            let from = self.staging.path().join(name);
            let to = self.target.join(name);
            let is_dir = fs::symlink_metadata(&from).is_ok_and(|m| m.is_dir());
            let old_is_dir = fs::symlink_metadata(&to).is_ok_and(|m| m.is_dir());
            if is_dir && old_is_dir {
                fs::create_dir_all(&aside).map_err(|e| werr(&aside, e))?;
                let old = aside.join(name);
                fs::rename(&to, &old).map_err(|e| werr(&to, e))?;
                if let Err(e) = fs::rename(&from, &to) {
                    // Put the previous folder back: a failed commit leaves the old results.
                    let _ = fs::rename(&old, &to);
                    return Err(werr(&to, e));
                }
            } else {
                fs::rename(&from, &to).map_err(|e| werr(&to, e))?;
            }
        }
        for name in owned {
            if !written.iter().any(|w| w == std::ffi::OsStr::new(name)) {
                let stale = self.target.join(name);
                match fs::symlink_metadata(&stale) {
                    Ok(m) if m.is_dir() => {
                        fs::remove_dir_all(&stale).map_err(|e| werr(&stale, e))?
                    }
                    Ok(m) if m.is_file() => fs::remove_file(&stale).map_err(|e| werr(&stale, e))?,
                    _ => {}
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
    fn a_staged_folder_replaces_the_previous_folder_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(out.join("sub")).unwrap();
        fs::write(out.join("sub/old-only.csv"), "old").unwrap();
        fs::write(out.join("sub/both.csv"), "old").unwrap();
        fs::create_dir_all(out.join("gone")).unwrap();
        fs::write(out.join("gone/x.csv"), "old").unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let f = OutputFolder::create(&out).unwrap();
        fs::create_dir(f.staged("sub")).unwrap();
        fs::write(f.staged("sub").join("both.csv"), "new").unwrap();
        fs::write(f.staged("sub").join("new-only.csv"), "new").unwrap();
        fs::write(f.staged("a.csv"), "new a").unwrap();
        // Before the commit nothing has changed.
        assert!(out.join("sub/old-only.csv").exists());
        f.commit(&["sub", "gone", "a.csv"]).unwrap();
        assert_eq!(fs::read_to_string(out.join("sub/both.csv")).unwrap(), "new");
        assert!(out.join("sub/new-only.csv").exists());
        assert!(
            !out.join("sub/old-only.csv").exists(),
            "the folder is this run's, not a mix"
        );
        assert!(
            !out.join("gone").exists(),
            "an owned folder this run did not make is removed"
        );
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(
            left.len(),
            1,
            "no staging folder and no replaced folder left behind"
        );
    }

    #[test]
    fn a_file_in_the_way_of_a_folder_stops_the_commit_before_anything_moves() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("a.csv"), "old a").unwrap();
        fs::write(out.join("sub"), "a file named like the folder").unwrap();
        let f = OutputFolder::create(&out).unwrap();
        fs::write(f.staged("a.csv"), "new a").unwrap();
        fs::create_dir(f.staged("sub")).unwrap();
        let err = f.commit(&["a.csv", "sub"]).unwrap_err().to_string();
        assert!(err.contains("in the way") && err.contains("sub"), "{err}");
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "old a");
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
