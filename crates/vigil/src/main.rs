use clap::Parser;
use vigil_cli::{Cli, Command};

mod agent;
mod db;
mod feed;
mod network;
mod sbom;
mod scan;
mod server;

// The scanners and the server allocate many small strings and JSON values across threads;
// mimalloc serves that pattern markedly faster than glibc's allocator (bench/submit-rate.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let result = match cli.command {
        Command::Sbom(args) => sbom::run(args).map(|()| scan::Outcome::Pass),
        Command::Scan(args) => scan::run(args),
        Command::Db(cmd) => db::run(cmd).map(|()| scan::Outcome::Pass),
        Command::Server(args) => server::run(args).map(|()| scan::Outcome::Pass),
        Command::Admin(cmd) => server::admin(cmd).map(|()| scan::Outcome::Pass),
        Command::Agent(args) => agent::run(args).map(|()| scan::Outcome::Pass),
        Command::Network(cmd) => network::run(cmd).map(|()| scan::Outcome::Pass),
    };
    // Exit codes: 0 success, 1 `scan --fail-on` matched, 2 error.
    match result {
        Ok(scan::Outcome::Pass) => std::process::ExitCode::SUCCESS,
        Ok(scan::Outcome::Fail) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "error",
        1 => "warn,vigil=info",
        2 => "info,vigil=debug",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
