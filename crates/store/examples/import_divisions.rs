//! Times the national division import: `cargo run --release -p lc-store --example
//! import_divisions -- DIR URL` (URL: sqlite://FILE or postgres://…).

use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(url)) = (args.next(), args.next()) else {
        eprintln!("usage: import_divisions DIR URL");
        std::process::exit(2);
    };
    let t0 = Instant::now();
    let store = lc_store::Store::open(&url).await?;
    let stats = store
        .import_division_dir(dir.as_ref(), &lc_store::Actor::default())
        .await?;
    println!(
        "{} divisions {:?}: read+check {:.2} s, write {:.2} s, total {:.2} s",
        stats.total(),
        stats.per_level,
        stats.read_s,
        stats.write_s,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
