//! Paths as the user will find them. A command that writes into a staging folder (the demo
//! stages its whole output folder, issue 19) registers it here, and every path the commands
//! print goes through [`shown`], so messages name where the files will be after the commit,
//! never the short-lived staging folder.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// (staging folder as written, its canonical form, the folder it stands for).
static STAGED: RwLock<Option<(PathBuf, PathBuf, PathBuf)>> = RwLock::new(None);

/// While alive, paths under `staging` are shown under `target`.
pub struct StagedAs(());

impl Drop for StagedAs {
    fn drop(&mut self) {
        if let Ok(mut g) = STAGED.write() {
            *g = None;
        }
    }
}

/// Shows paths under `staging` as under `target` until the guard is dropped.
pub fn stage_as(staging: &Path, target: &Path) -> StagedAs {
    let canonical = std::fs::canonicalize(staging).unwrap_or_else(|_| staging.to_path_buf());
    let target = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
    if let Ok(mut g) = STAGED.write() {
        *g = Some((staging.to_path_buf(), canonical, target));
    }
    StagedAs(())
}

/// `path` for a message: under the registered target when it lies in the staging folder.
pub fn shown(path: &Path) -> String {
    if let Ok(g) = STAGED.read() {
        if let Some((staging, canonical, target)) = g.as_ref() {
            for base in [staging, canonical] {
                if let Ok(rest) = path.strip_prefix(base) {
                    return target.join(rest).display().to_string();
                }
            }
        }
    }
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_paths_are_shown_where_they_will_be() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join(".out.staging.x");
        let target = dir.path().join("out");
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::create_dir_all(&target).unwrap();
        let target_c = std::fs::canonicalize(&target).unwrap();
        {
            let _g = stage_as(&staging, &target);
            assert_eq!(
                shown(&staging.join("assessment/index.html")),
                target_c.join("assessment/index.html").display().to_string()
            );
            let canonical = std::fs::canonicalize(&staging).unwrap();
            assert_eq!(
                shown(&canonical.join("access.csv")),
                target_c.join("access.csv").display().to_string()
            );
            assert_eq!(shown(Path::new("elsewhere.csv")), "elsewhere.csv");
        }
        assert_eq!(
            shown(&staging.join("access.csv")),
            staging.join("access.csv").display().to_string(),
            "the alias ends with its guard"
        );
    }
}
