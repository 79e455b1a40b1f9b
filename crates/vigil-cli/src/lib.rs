//! Argument definitions of `vigil`, kept apart from behaviour so that docs and completions can be
//! generated from them.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Continuous vulnerability management: inventory, match, track"
)]
pub struct Cli {
    /// More log output (-v info, -vv debug); logs go to stderr. RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inventory every package in a target and write it as an SBOM.
    Sbom(SbomArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    Cyclonedx,
    Spdx,
    Json,
    Table,
}

#[derive(Debug, clap::Args)]
pub struct SbomArgs {
    /// What to scan: a directory, a tar archive, an OCI layout directory, an OCI or docker
    /// archive, a function zip, or an SBOM. Force the kind with a prefix: `dir:`, `tar:`,
    /// `oci-dir:`, `oci-archive:`, `docker-archive:`, `zip:`, `sbom:`.
    pub target: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SbomFormat::Table)]
    pub format: SbomFormat,
    /// Write to this file instead of standard output (written atomically).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Platform to pick from a multi-platform image (os/arch[/variant]).
    #[arg(long, default_value = "linux/amd64")]
    pub platform: String,
    /// A Lambda layer zip of a function package (mounted at /opt); repeatable.
    #[arg(long = "function-layer", value_name = "ZIP")]
    pub function_layers: Vec<PathBuf>,
    /// Treat a directory as a host root: language packages only under the deep-inspection paths.
    /// Default: on for `/`, off otherwise.
    #[arg(long, overrides_with = "no_host")]
    pub host: bool,
    /// Search a directory whole even if it is `/`.
    #[arg(long)]
    pub no_host: bool,
    /// Extra deep-inspection path searched for language packages on a host; repeatable.
    #[arg(long = "deep-path", value_name = "PATH")]
    pub deep_paths: Vec<String>,
    /// Worker threads (0 = one per CPU).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}
