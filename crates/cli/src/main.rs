//! The `livingcircle` command: argument parsing and dispatch. Each subcommand lives in its own
//! module under `cmd/`; all computation is in the library crates.

mod args;
mod cmd;
mod network_input;
mod points;
mod progress;
mod shown;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

/// mimalloc: reading hundreds of thousands of ids and names is allocation-heavy, and the
/// system allocator measured ~10% of a whole-city run in malloc/consolidate.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = args::Cli::try_parse().unwrap_or_else(|e| arguments_refused(e));
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
        args::Command::Serve(a) => cmd::serve::run(a, progress),
        args::Command::Divisions(a) => cmd::serve::run_divisions(a),
        args::Command::Monitor(a) => cmd::monitor::run(a),
        args::Command::Release(a) => cmd::release::run(a),
        args::Command::Site(a) => cmd::site::run(a, progress),
        args::Command::Draw(a) => cmd::draw::run(a),
        args::Command::Partition(a) => cmd::partition::run(a, progress),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<cmd::draw::NotVerified>().is_some() => {
            eprintln!("错误 error: {e}");
            std::process::ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("错误 error: {}", message(&e));
            std::process::ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, as `{:#}` prints them, with an operating-system error
/// given a Chinese summary too ([`lc_model::io_reason`]): every message of the command is in
/// Chinese and English. A cause that its error's message already quotes is not repeated.
fn message(e: &anyhow::Error) -> String {
    let mut s = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !s.is_empty() && s.contains(&text) {
            continue;
        }
        if !s.is_empty() {
            s.push_str(": ");
        }
        match cause.downcast_ref::<std::io::Error>() {
            Some(io) => s.push_str(&lc_model::io_reason(io)),
            None => s.push_str(&text),
        }
    }
    s
}

/// Exits on a command line clap refuses: help and version as clap prints them; an error with a
/// Chinese line first and clap's own (English) text after it, a long value echoed cut
/// ([`lc_model::quote`]). Exit status 2, as clap's.
fn arguments_refused(e: clap::Error) -> ! {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    let mut text = e.render().to_string();
    if let Some(ContextValue::String(value)) = e.get(ContextKind::InvalidValue) {
        let cut = lc_model::quote(value);
        if cut.len() < value.len() {
            text = text.replace(&format!("'{value}'"), &cut);
        }
    }
    eprintln!("错误 error: 命令行参数有误（用法见 livingcircle --help）invalid command-line arguments (see livingcircle --help)");
    eprint!("{text}");
    std::process::exit(2)
}
