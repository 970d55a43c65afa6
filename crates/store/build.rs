//! Embeds every file of `migrations/{sqlite,postgres}` (named `NNNN_description.sql`) in the
//! build, so that adding a migration is adding one file per backend.

use std::fmt::Write as _;
use std::path::Path;

fn list(dir: &Path) -> Vec<(i64, String, String)> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        let (num, desc) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("migration {name}: name it NNNN_description.sql"));
        let version: i64 = num
            .parse()
            .unwrap_or_else(|_| panic!("migration {name}: the name must begin with its number"));
        out.push((
            version,
            desc.replace('_', " "),
            e.path().display().to_string(),
        ));
    }
    out.sort();
    out
}

fn main() {
    // Read at run time, not baked in by env!: a build script compiled in another checkout
    // (a copied target directory) must still embed this checkout's files.
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let root = Path::new(&dir).join("migrations");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut code = String::new();
    for (konst, dir) in [("SQLITE", "sqlite"), ("POSTGRES", "postgres")] {
        let d = root.join(dir);
        println!("cargo:rerun-if-changed={}", d.display());
        let _ = writeln!(code, "pub(crate) const {konst}: &[(i64, &str, &str)] = &[");
        for (v, desc, path) in list(&d) {
            println!("cargo:rerun-if-changed={path}");
            let _ = writeln!(code, "    ({v}, {desc:?}, include_str!({path:?})),");
        }
        let _ = writeln!(code, "];");
    }
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out).join("migrations.rs"), code).expect("write migrations.rs");
}
