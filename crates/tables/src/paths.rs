//! One rule for every output path of every command (issues 17 and 19): an output never
//! replaces an input or another output of the same run.
//!
//! Paths are compared by what they are on disk, not by how they are spelled: an existing file
//! by its identity (device and inode on Unix, the canonical path elsewhere), a file still to be
//! written by its canonical directory and name. `./a.csv`, `a.csv` and a hard link to it are
//! the same file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Two paths of one run that name the same file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PathClash {
    /// What is wrong, in Chinese and English, naming both flags and the path.
    pub message: String,
}

/// What a path is on disk, for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    /// An existing file: (device, inode) on Unix.
    #[cfg(unix)]
    Inode(u64, u64),
    /// A canonical path (an existing file off Unix, or a file still to be written).
    Path(PathBuf),
}

fn identity(path: &Path) -> io::Result<Identity> {
    match fs::metadata(path) {
        Ok(_meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                Ok(Identity::Inode(_meta.dev(), _meta.ino()))
            }
            #[cfg(not(unix))]
            {
                Ok(Identity::Path(fs::canonicalize(path)?))
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // Not there yet: its directory's canonical path and its name. A directory that does
            // not exist either is compared by the path as written, made absolute.
            let name = path.file_name().map(|n| n.to_os_string());
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let dir = fs::canonicalize(&dir).or_else(|_| std::path::absolute(&dir))?;
            Ok(Identity::Path(match name {
                Some(n) => dir.join(n),
                None => dir,
            }))
        }
        Err(e) => Err(e),
    }
}

/// Refuses, before any work, a run whose outputs would replace one of its inputs or each
/// other. `inputs` and `outputs` are (flag, path) pairs, e.g. `("--communities", path)`; for a
/// folder output, pass each file the command writes into it (`("--out", dir/"access.csv")`).
/// Inputs that do not exist are skipped (their reader reports them).
pub fn check_outputs(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<(), PathClash> {
    let id = |p: &Path| identity(p).ok();
    let ins: Vec<(&str, &Path, Option<Identity>)> = inputs
        .iter()
        .map(|&(flag, p)| (flag, p, if p.exists() { id(p) } else { None }))
        .collect();
    let mut seen: Vec<(&str, &Path, Identity)> = Vec::new();
    for &(flag, out) in outputs {
        let Some(oid) = id(out) else { continue };
        if let Some((iflag, ipath, _)) = ins.iter().find(|(_, _, i)| i.as_ref() == Some(&oid)) {
            return Err(PathClash {
                message: format!(
                    "输出 {flag} {} 就是输入 {iflag} {} 的文件，运行会覆盖输入 the output is the same file as the input given to {iflag}: refusing to overwrite an input; choose another output path",
                    out.display(),
                    ipath.display()
                ),
            });
        }
        if let Some((oflag, opath, _)) = seen.iter().find(|(_, _, i)| *i == oid) {
            return Err(PathClash {
                message: format!(
                    "输出 {flag} {} 与输出 {oflag} {} 是同一个文件 two outputs name the same file ({oflag} and {flag}): one would overwrite the other; give them different paths",
                    out.display(),
                    opath.display()
                ),
            });
        }
        seen.push((flag, out, oid));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_that_is_an_input_is_refused_however_it_is_spelled() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("communities.csv");
        fs::write(&input, "id\n").unwrap();
        let spelled = dir.path().join(".").join("communities.csv");
        let e = check_outputs(&[("--communities", &input)], &[("--out", &spelled)]).unwrap_err();
        assert!(e.message.contains("--communities"), "{e}");
        assert!(e.message.contains("refusing to overwrite an input"), "{e}");
        #[cfg(unix)]
        {
            let link = dir.path().join("hard.csv");
            fs::hard_link(&input, &link).unwrap();
            assert!(check_outputs(&[("--communities", &input)], &[("--out", &link)]).is_err());
        }
        let other = dir.path().join("access.csv");
        check_outputs(&[("--communities", &input)], &[("--out", &other)]).unwrap();
    }

    #[test]
    fn two_outputs_that_are_one_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let b = dir.path().join("sub").join("..").join("a.csv");
        fs::create_dir(dir.path().join("sub")).unwrap();
        let e = check_outputs(&[], &[("--out", &a), ("--counts", &b)]).unwrap_err();
        assert!(
            e.message.contains("--out") && e.message.contains("--counts"),
            "{e}"
        );
        let c = dir.path().join("c.csv");
        check_outputs(&[], &[("--out", &a), ("--counts", &c)]).unwrap();
    }
}
