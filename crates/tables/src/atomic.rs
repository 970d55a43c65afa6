//! Atomic output files: write to a temporary file beside the target, rename on success.
//!
//! A reader of the target path sees either the old file or the complete new one, never a
//! partial write. On error (or when an [`AtomicFile`] is dropped without
//! [`AtomicFile::commit`]) the temporary file is removed and an existing file at the path is
//! left untouched.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::TableError;

/// An output file that appears at its path only when [`AtomicFile::commit`] succeeds.
///
/// The temporary file lives in the target's directory (so the final rename cannot cross
/// file systems) and is named `.<name>.<random>.tmp`. A new file gets the usual permissions
/// (0666 less the umask); a replaced file keeps its permissions. `commit` flushes, syncs the
/// data to disk and renames. A symbolic link is written through: the file it points to is
/// replaced and the link stays. A path that is not a regular file (a device such as
/// `/dev/null`, a FIFO, a socket or a directory) is refused: a rename would replace it.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    out: BufWriter<NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `path`. Fails if the directory does not exist or is not writable.
    pub fn create(path: &Path) -> Result<AtomicFile, TableError> {
        let werr = |source: io::Error| TableError::Write {
            path: path.to_path_buf(),
            reason: source,
        };
        // Write through a symbolic link to the file it names (a dangling link is refused).
        let resolved;
        let path = match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                resolved = fs::canonicalize(path).map_err(|e| {
                    werr(io::Error::new(
                        e.kind(),
                        format!(
                            "符号链接指向无法写入的位置 the symbolic link points to nothing that can be written ({e})"
                        ),
                    ))
                })?;
                resolved.as_path()
            }
            _ => path,
        };
        if let Ok(meta) = fs::metadata(path) {
            if !meta.is_file() {
                return Err(werr(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "不是普通文件 not a regular file (a directory, device, FIFO or socket): outputs are written as files, and replacing this would destroy it; choose a file path",
                )));
            }
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| {
                werr(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "路径没有指明文件 the path does not name a file",
                ))
            })?
            .to_string_lossy()
            .into_owned();
        remove_stale(dir, &format!(".{name}."), ".tmp", false);
        let mut builder = tempfile::Builder::new();
        let prefix = format!(".{name}.");
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(dir).map_err(werr)?;
        if let Ok(meta) = fs::metadata(path) {
            if meta.is_file() {
                fs::set_permissions(tmp.path(), meta.permissions()).map_err(werr)?;
            }
        }
        Ok(AtomicFile {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, tmp),
        })
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and renames the temporary file onto the target path.
    pub fn commit(self) -> Result<(), TableError> {
        let path = self.path;
        let werr = |source: io::Error| TableError::Write {
            path: path.clone(),
            reason: source,
        };
        let tmp = self.out.into_inner().map_err(|e| werr(e.into_error()))?;
        tmp.as_file().sync_all().map_err(werr)?;
        tmp.persist(&path).map_err(|e| werr(e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A temporary file of a writer that was killed (kill -9, power loss) is left behind; the next
/// write of the same output removes those not touched for this long (a live writer keeps its
/// temporary file's modification time current).
pub(crate) const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(120);

/// Removes the entries `prefix*suffix` in `dir` (files, or folders with `folders`) not touched
/// for [`STALE_AFTER`]: what a killed writer left (issue 17: a killed run must not leave tens of
/// MB of hidden files for ever). Failures are ignored: this is housekeeping, never a reason to
/// fail the write.
pub(crate) fn remove_stale(dir: &Path, prefix: &str, suffix: &str, folders: bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        if !(n.starts_with(prefix) && n.ends_with(suffix)) {
            continue;
        }
        let old = e
            .metadata()
            .ok()
            .filter(|m| if folders { m.is_dir() } else { m.is_file() })
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if old {
            let _ = if folders {
                fs::remove_dir_all(e.path())
            } else {
                fs::remove_file(e.path())
            };
        }
    }
}

/// Writes `path` atomically with `write`: the file appears only if `write` returns `Ok` and
/// the commit succeeds. On error nothing is left behind and an existing file is untouched.
pub fn write_atomic<F>(path: &Path, write: F) -> Result<(), TableError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    written(path, write)?.commit()
}

/// The temporary file of `path` with `write`'s output, not yet committed.
fn written<F>(path: &Path, write: F) -> Result<AtomicFile, TableError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let mut file = AtomicFile::create(path)?;
    write(&mut file).map_err(|source| TableError::Write {
        path: path.to_path_buf(),
        reason: source,
    })?;
    Ok(file)
}

/// A file written by [`write_atomic_pending`] whose sync and rename are under way on a thread of
/// their own.
#[derive(Debug)]
#[must_use = "the file is at its path only once `wait` says so"]
pub struct Pending {
    path: PathBuf,
    commit: std::thread::JoinHandle<Result<(), TableError>>,
}

impl Pending {
    /// Waits for the sync and the rename: `Ok` once the complete file is at its path.
    pub fn wait(self) -> Result<(), TableError> {
        let path = self.path;
        self.commit.join().unwrap_or_else(|_| {
            Err(TableError::Write {
                path,
                reason: io::Error::other(
                    "写入线程意外终止 the thread writing the file to disk stopped unexpectedly",
                ),
            })
        })
    }
}

/// [`write_atomic`] whose last step, the sync to disk and the rename, runs on a thread of its
/// own: the caller goes on (rendering its next file) while this one goes to disk. A caller
/// writing several large files this way overlaps their disk writes with its own work instead of
/// waiting for each (a province's assessment: 2.2 GB of outputs, 1.3 s of syncing).
///
/// The guarantees are [`write_atomic`]'s once [`Pending::wait`] returns `Ok`: an error while
/// writing returns here with nothing left behind; an error of the sync or the rename comes from
/// `wait`, the temporary file removed. The caller waits for every `Pending` before it moves or
/// removes the directory the files are in.
pub fn write_atomic_pending<F>(path: &Path, write: F) -> Result<Pending, TableError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let file = written(path, write)?;
    Ok(Pending {
        path: path.to_path_buf(),
        commit: std::thread::spawn(move || file.commit()),
    })
}

/// Writes a CSV file atomically through a [`csv::Writer`] (default settings: comma, `\n`
/// line ends, quoting only where needed). Same guarantees as [`write_atomic`].
pub fn csv_writer_atomic<F>(path: &Path, write: F) -> Result<(), TableError>
where
    F: FnOnce(&mut csv::Writer<&mut dyn Write>) -> csv::Result<()>,
{
    write_atomic(path, |w| {
        let mut cw = csv::WriterBuilder::new().from_writer(w);
        write(&mut cw)?;
        cw.flush()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn stale_temporaries_of_a_killed_run_are_removed_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".out.csv.abc123.tmp");
        let fresh = dir.path().join(".out.csv.def456.tmp");
        let other = dir.path().join(".other.csv.abc123.tmp");
        for p in [&stale, &fresh, &other] {
            fs::write(p, "partial").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - STALE_AFTER * 2;
        for p in [&stale, &other] {
            fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        write_atomic(&dir.path().join("out.csv"), |w| w.write_all(b"x")).unwrap();
        assert!(!stale.exists(), "a stale temporary of out.csv is removed");
        assert!(fresh.exists(), "a live writer's temporary is kept");
        assert!(
            other.exists(),
            "another output's temporaries are not touched"
        );
    }

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        write_atomic(&p, |w| w.write_all(b"a\n1\n")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "a\n1\n");
        write_atomic(&p, |w| w.write_all(b"a\n2\n")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "a\n2\n");
        assert_eq!(entries(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn error_leaves_nothing_behind_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("access.csv");
        let err = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("access.csv"), "{err}");
        assert!(err.to_string().contains("disk on fire"), "{err}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));

        fs::write(&p, "old").unwrap();
        let _ = write_atomic(&p, |w| {
            w.write_all(&[b'x'; 3 << 20])?; // more than the buffer: reaches the temp file
            Err(io::Error::other("late failure"))
        })
        .unwrap_err();
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(entries(dir.path()), vec!["access.csv"]);
    }

    #[test]
    fn a_pending_file_appears_whole_once_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("facilities.csv");
        fs::write(&p, "old").unwrap();
        let text = "id\n".to_string() + &"F0000001,药店\n".repeat(100_000);
        let pending = write_atomic_pending(&p, |w| w.write_all(text.as_bytes())).unwrap();
        pending.wait().unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), text);
        assert_eq!(entries(dir.path()), ["facilities.csv"]);
    }

    #[test]
    fn a_pending_file_that_fails_while_written_leaves_nothing_and_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shortcomings.csv");
        fs::write(&p, "old").unwrap();
        let err = write_atomic_pending(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("render failed"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("render failed"), "{err}");
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(entries(dir.path()), ["shortcomings.csv"]);
    }

    #[test]
    fn a_pending_file_whose_rename_fails_reports_it_on_wait() {
        // The target is a directory by the time the rename runs: `wait` gives the error and the
        // temporary file is removed.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("index.html");
        let pending = write_atomic_pending(&p, |w| {
            fs::create_dir(dir.path().join("index.html"))?;
            fs::write(dir.path().join("index.html/keep"), "x")?;
            w.write_all(b"<html>")
        })
        .unwrap();
        let err = pending.wait().unwrap_err();
        assert!(err.to_string().contains("index.html"), "{err}");
        assert_eq!(entries(dir.path()), ["index.html"]);
        assert!(p.join("keep").exists());
    }

    #[test]
    fn dropping_without_commit_discards() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"hello").unwrap();
            assert_eq!(f.path(), p.as_path());
        }
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn missing_directory_is_a_write_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/x.csv");
        let err = write_atomic(&p, |_| Ok(())).unwrap_err();
        assert!(matches!(err, TableError::Write { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("无法写入 cannot write "),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains(": 文件或文件夹不存在 No such file or directory (os error 2)"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_usual_mode_and_replaced_files_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        write_atomic(&p, |w| w.write_all(b"x")).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        // The same mode as a plain `File::create` under the current umask.
        let plain = dir.path().join("plain");
        fs::write(&plain, "x").unwrap();
        let want = fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, want, "new file mode {mode:o}, plain file {want:o}");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, |w| w.write_all(b"y")).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn csv_helper_quotes_as_needed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        csv_writer_atomic(&p, |w| {
            w.write_record(["id", "name"])?;
            w.write_record(["1", "北京, 东城"])
        })
        .unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "id,name\n1,\"北京, 东城\"\n"
        );
    }
}
