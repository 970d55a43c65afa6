//! The `livingcircle` command: argument parsing and dispatch. Each subcommand lives in its own
//! module under `cmd/`; all computation is in the library crates.

mod args;
mod cmd;
mod network_input;
mod points;
mod progress;
mod recommend;
mod shown;

use clap::Parser;

/// mimalloc: reading hundreds of thousands of ids and names is allocation-heavy, and the
/// system allocator measured ~10% of a whole-city run in malloc/consolidate.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = args::Cli::parse();
    let serving = matches!(cli.command, args::Command::Serve(_));
    let filter = if cli.verbose || serving {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let progress = progress::Progress { quiet: cli.quiet };
    let result = match cli.command {
        args::Command::Access(a) => cmd::access::run(a, progress),
        args::Command::Assess(a) => cmd::assess::run(a, progress),
        args::Command::Isochrone(a) => cmd::isochrone::run(a, progress),
        args::Command::Generate(a) => cmd::generate::run(a, progress),
        args::Command::Categories(a) => cmd::categories::run(a),
        args::Command::Demo(a) => cmd::demo::run(a, progress),
        args::Command::Serve(a) => cmd::serve::run(a),
        args::Command::Divisions(a) => cmd::serve::run_divisions(a),
        args::Command::Site(a) => cmd::site::run(a, progress),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
