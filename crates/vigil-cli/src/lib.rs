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
    /// Scan a target for known vulnerabilities (the CI/CD gate).
    Scan(ScanArgs),
    /// Build, update, inspect and distribute the advisory database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Run the findings service (inspector2-compatible API).
    Server(ServerArgs),
    /// Administer a server's data directory (access keys).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run the host agent: register this host with a server, send its inventory, watch the
    /// package databases and deep-inspection paths, resend on change, send heartbeats.
    Agent(AgentArgs),
    /// Network reachability: which ports of which hosts the internet can reach.
    #[command(subcommand)]
    Network(NetworkCommand),
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Analyse a network description: the JSON files `aws ec2 describe-*` / `aws elbv2
    /// describe-*` printed (any order), or one YAML model (`--yaml`). Prints each exposure (or,
    /// with `--server`, sends the description to the server, which records NETWORK_REACHABILITY
    /// findings, and prints its answer). What was ignored, and why, goes to stderr.
    Analyze(NetworkAnalyzeArgs),
}

#[derive(Debug, clap::Args)]
pub struct NetworkAnalyzeArgs {
    /// The files (AWS CLI JSON), or the YAML model with `--yaml`.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The one file is Vigil's YAML network model.
    #[arg(long)]
    pub yaml: bool,
    /// Send to this server (credentials as for `vigil scan --server`) instead of analysing
    /// locally.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

/// `vigil agent`. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION,
/// the AWS profile, or `--credentials-file`; never from the command line.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// The Vigil server's URL.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// The root to inspect instead of `/` (a mounted host image, a test tree).
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    /// An INI credentials file like `~/.aws/credentials` (profile `AWS_PROFILE` or `default`;
    /// `aws_access_key_id`, `aws_secret_access_key`, optional `region`).
    #[arg(long, value_name = "FILE")]
    pub credentials_file: Option<PathBuf>,
    /// Seconds between heartbeats (the deep-inspection configuration is refreshed with each).
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat: u64,
    /// Milliseconds of quiet after a change before the inventory is taken again.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub debounce: u64,
    /// Send one inventory and exit.
    #[arg(long)]
    pub once: bool,
    /// A resource tag `KEY=VALUE`; repeatable.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
    /// The resource id (default: `i-` and the first 17 hex digits of the machine id, else the
    /// hostname).
    #[arg(long, value_name = "ID")]
    pub resource_id: Option<String>,
}

fn parse_tag(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not KEY=VALUE")),
    }
}

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8750")]
    pub listen: std::net::SocketAddr,
    /// Where the server keeps its store (created if missing).
    #[arg(long, default_value = "./vigil-data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub db: DbArg,
    /// Seconds between checks of the advisory database file: when `vigil db update` or
    /// `vigil db import` changed it, the stored inventories holding a package whose advisories
    /// changed are re-matched (no rescan).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub reevaluate_interval: u64,
    /// Keep the advisory database current from these feeds (the `vigil db update --feeds`
    /// format): the server's `feed-update` job fetches them every `--feed-interval` seconds
    /// and re-evaluates what changed.
    #[arg(long, value_name = "FILE", env = "VIGIL_FEEDS")]
    pub feeds: Option<PathBuf>,
    #[arg(long, value_name = "SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub feed_interval: u64,
    /// The host agents' heartbeat interval in seconds: a host silent for three of these is
    /// reported INACTIVE/UNMANAGED_EC2_INSTANCE.
    #[arg(long, value_name = "SECS", env = "VIGIL_AGENT_HEARTBEAT_WINDOW", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub agent_heartbeat_window: u64,
    /// Seconds between polls of each registered registry's catalog and tags (images its
    /// notifications did not announce are queued for scanning).
    #[arg(long, value_name = "SECS", env = "VIGIL_REGISTRY_POLL_INTERVAL", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub registry_poll_interval: u64,
    /// A directory below which hosts' mounted root filesystems may be registered for agentless
    /// scanning (`/vigil/v1/hosts/agentless/register`); repeatable. Without it, agentless
    /// scanning is off.
    #[arg(
        long = "agentless-root",
        value_name = "DIR",
        env = "VIGIL_AGENTLESS_ROOTS",
        value_delimiter = ':'
    )]
    pub agentless_roots: Vec<PathBuf>,
    /// Serve Harbor's pluggable scanner adapter API under `/api/v1/` (metadata, scan, report),
    /// so that Harbor can scan its images with Vigil: register the server in Harbor as a
    /// scanner with "Bearer" authorization and the token this file holds (its first line).
    /// Without it the adapter is off.
    #[arg(long, value_name = "FILE", env = "VIGIL_HARBOR_TOKEN_FILE")]
    pub harbor_token_file: Option<PathBuf>,
    /// Let the Harbor adapter pull over plain HTTP from a registry that is not on loopback
    /// (Harbor gives scanners its internal URL, often `http://harbor-core:8080`).
    #[arg(long, requires = "harbor_token_file")]
    pub harbor_allow_plain_http: bool,
    /// Serve `GET /metrics` (Prometheus text format) to scrapers presenting
    /// `Authorization: Bearer <token>`, the token being this file's first line. Without it
    /// there is no `/metrics`.
    #[arg(long, value_name = "FILE", env = "VIGIL_METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<PathBuf>,
    /// The organization's management account: it designates the delegated administrator
    /// (EnableDelegatedAdminAccount), who manages member accounts. Without it, no organization.
    #[arg(
        long,
        value_name = "ACCOUNT",
        env = "VIGIL_ORGANIZATION_MANAGEMENT_ACCOUNT"
    )]
    pub organization_management_account: Option<String>,
    /// Event delivery: the first retry's longest wait, in milliseconds (each later retry's
    /// longest wait doubles, up to --event-retry-cap; the actual wait is uniformly random
    /// below it: full jitter).
    #[arg(long, value_name = "MS", env = "VIGIL_EVENT_RETRY_BASE_MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub event_retry_base_ms: u64,
    /// Event delivery: the longest wait between two attempts, in seconds.
    #[arg(long, value_name = "SECS", env = "VIGIL_EVENT_RETRY_CAP", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub event_retry_cap: u64,
    /// Event delivery: attempts before an event is dead-lettered.
    #[arg(long, value_name = "N", env = "VIGIL_EVENT_MAX_ATTEMPTS", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub event_max_attempts: u32,
    /// Event delivery: an event still undelivered this many seconds after it was queued is
    /// dead-lettered.
    #[arg(long, value_name = "SECS", env = "VIGIL_EVENT_MAX_AGE", default_value_t = 86400,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub event_max_age: u64,
    /// Delivered events (and outbox rows no destination needs) are pruned after this many
    /// hours.
    #[arg(long, value_name = "HOURS", env = "VIGIL_EVENT_RETENTION_HOURS", default_value_t = 168,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub event_retention_hours: u64,
    /// A directory of function packages to watch: `DIR/NAME/function.json`
    /// (`{"runtime", "handler", "layers"?: ["deps.zip"], "tags"?, "role"?, "architectures"?,
    /// "account"?, "region"?}`), `DIR/NAME/code.zip` and the layer zips it names. A package whose
    /// code, layers or configuration changed is published as a new version and scanned.
    #[arg(long, value_name = "DIR", env = "VIGIL_FUNCTIONS_DIR")]
    pub functions_dir: Option<PathBuf>,
    /// The account the watched functions belong to (unless their function.json names one);
    /// required with --functions-dir.
    #[arg(long, value_name = "ACCOUNT", env = "VIGIL_FUNCTIONS_ACCOUNT")]
    pub functions_account: Option<String>,
    /// The region of the watched functions (unless their function.json names one).
    #[arg(
        long,
        value_name = "REGION",
        env = "VIGIL_FUNCTIONS_REGION",
        default_value = "us-east-1"
    )]
    pub functions_region: String,
    /// Seconds between looks at the watched functions directory.
    #[arg(long, value_name = "SECS", env = "VIGIL_FUNCTIONS_INTERVAL", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub functions_interval: u64,
    /// Where findings reports and SBOM exports are written when no S3 endpoint is given: the
    /// object BUCKET/KEY becomes DIR/BUCKET/KEY (default `<data-dir>/exports`).
    #[arg(long, value_name = "DIR", env = "VIGIL_EXPORT_DIR")]
    pub export_dir: Option<PathBuf>,
    /// Write findings reports and SBOM exports to this S3-compatible endpoint instead
    /// (path-style requests, SigV4): `https://host[:port]`, or `http://` to a loopback host.
    /// Credentials come from --export-s3-credentials-file or the AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY environment variables.
    #[arg(
        long,
        value_name = "URL",
        env = "VIGIL_EXPORT_S3_ENDPOINT",
        conflicts_with = "export_dir"
    )]
    pub export_s3_endpoint: Option<String>,
    /// A file with the S3 credentials: an AWS credentials file (`aws_access_key_id = …`,
    /// `aws_secret_access_key = …`) or the key id and the secret on two lines.
    #[arg(
        long,
        value_name = "FILE",
        env = "VIGIL_EXPORT_S3_CREDENTIALS_FILE",
        requires = "export_s3_endpoint"
    )]
    pub export_s3_credentials_file: Option<PathBuf>,
    /// The region S3 requests are signed for.
    #[arg(
        long,
        value_name = "REGION",
        env = "VIGIL_EXPORT_S3_REGION",
        default_value = "us-east-1"
    )]
    pub export_s3_region: String,
    /// At most this many resources in one SBOM export (a request matching more is rejected).
    #[arg(long, value_name = "N", env = "VIGIL_SBOM_EXPORT_MAX_RESOURCES", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub sbom_export_max_resources: u64,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an access key pair for an account; prints `{"accessKeyId", "secretAccessKey", "account"}`.
    CreateKey(CreateKeyArgs),
    /// Register an OCI registry whose images the server scans on push: prints
    /// `{"name", "notificationUrl", "token"}`, the endpoint and bearer token for the registry's
    /// `notifications.endpoints` configuration.
    AddRegistry(AddRegistryArgs),
    /// Create a principal (a user, a role, or a host agent scoped to one region) with identity
    /// policies, and an access key for it; prints the principal with `accessKeyId` and
    /// `secretAccessKey` (shown once).
    CreatePrincipal(CreatePrincipalArgs),
    /// Make an access key Active or Inactive (rotation: create a new key, then deactivate the
    /// old one).
    SetKeyStatus(SetKeyStatusArgs),
    /// Set or rotate a principal's console password (read from stdin, or from the environment
    /// variable `--password-env` names; never from the command line). Only an argon2id hash is
    /// kept.
    SetPassword(SetPasswordArgs),
    /// Print an account's audit trail as a CloudTrail log file (`{"Records": [...]}`, oldest
    /// first).
    AuditExport(AuditExportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrincipalKind {
    User,
    Role,
    Agent,
}

#[derive(Debug, clap::Args)]
pub struct CreatePrincipalArgs {
    #[arg(long, default_value = "./vigil-data")]
    pub data_dir: PathBuf,
    #[arg(long, default_value = "000000000000")]
    pub account: String,
    /// The principal's name (letters, digits and +=,.@_-, at most 64).
    #[arg(long)]
    pub name: String,
    #[arg(long, value_enum)]
    pub kind: PrincipalKind,
    /// The one region an agent may act in (agents only).
    #[arg(long)]
    pub region: Option<String>,
    /// An identity policy: `read-only`, `full-access`, `agent` (built-in), or `@FILE` with an
    /// IAM policy document (repeatable; agents default to `agent`).
    #[arg(long = "policy", value_name = "POLICY")]
    pub policies: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct SetKeyStatusArgs {
    #[arg(long, default_value = "./vigil-data")]
    pub data_dir: PathBuf,
    #[arg(long, default_value = "000000000000")]
    pub account: String,
    #[arg(long)]
    pub access_key_id: String,
    /// Active or Inactive.
    #[arg(long)]
    pub status: String,
}

#[derive(Debug, clap::Args)]
pub struct SetPasswordArgs {
    #[arg(long, default_value = "./vigil-data")]
    pub data_dir: PathBuf,
    #[arg(long, default_value = "000000000000")]
    pub account: String,
    /// The principal's name.
    #[arg(long)]
    pub name: String,
    /// The environment variable holding the password (else the first line of stdin).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AuditExportArgs {
    #[arg(long, default_value = "./vigil-data")]
    pub data_dir: PathBuf,
    #[arg(long, default_value = "000000000000")]
    pub account: String,
    /// Only events at or after this time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AddRegistryArgs {
    #[arg(long, default_value = "./vigil-data")]
    pub data_dir: PathBuf,
    /// A name for the registry (`[a-z0-9._-]`, at most 64): part of its images' resource ids
    /// and of the notification URL.
    #[arg(long)]
    pub name: String,
    /// The registry: `https://host[:port]`, or `http://` for a loopback registry.
    #[arg(long)]
    pub url: String,
    /// Allow plain HTTP to a registry that is not on loopback.
    #[arg(long)]
    pub insecure_http: bool,
    /// The account its images belong to.
    #[arg(long, default_value = "000000000000")]
    pub account: String,
    /// The region its images belong to.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The server's address as the registry reaches it (for the printed notification URL).
    #[arg(long, default_value = "http://127.0.0.1:8750")]
    pub server_url: String,
    /// A user name for pulling (with the password from the environment variable named by
    /// `--password-env`; credentials never go on the command line).
    #[arg(long, requires = "password_env")]
    pub username: Option<String>,
    /// The environment variable holding the pull password or token.
    #[arg(long, value_name = "VAR", requires = "username")]
    pub password_env: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CreateKeyArgs {
    #[arg(long, default_value = "./vigil-data")]
    pub data_dir: PathBuf,
    /// The account the key acts for (12 digits, or a name).
    #[arg(long, default_value = "000000000000")]
    pub account: String,
    /// A key for this principal of the account (see `create-principal`) instead of the
    /// account's root key.
    #[arg(long)]
    pub principal: Option<String>,
}

/// Where scanning options point the database. Without `--db`: `$VIGIL_DB`, else
/// `$XDG_DATA_HOME/vigil/vigil.db` (`~/.local/share/vigil/vigil.db`).
#[derive(Debug, Clone, clap::Args)]
pub struct DbArg {
    /// The advisory database file. For `scan`, a directory, zip or file of advisories also
    /// works: it is imported into a temporary database first.
    #[arg(long, env = "VIGIL_DB")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Import advisory files, directories or zips (format detected) into the database,
    /// replacing each source's earlier records; the file is replaced atomically.
    Import(DbImportArgs),
    /// Download the configured feeds (conditional, resumable) or pull a signed OCI artifact.
    Update(DbUpdateArgs),
    /// Show the database's build time, sources and counts.
    Status(DbStatusArgs),
    /// Does Vigil know this vulnerability (CVE-…, GHSA-…, any id) or package?
    Search(DbSearchArgs),
    /// Push the database to an OCI registry as a signed artifact.
    Push(DbPushArgs),
    /// Create an ed25519 key pair for signing pushed databases.
    Keygen(DbKeygenArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InfoFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DbImportArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Files, directories or zips of advisories (OSV JSON/YAML, RubySec, FriendsOfPHP, Node.js
    /// WG, Debian DSA/DLA/CVE lists, Alpine secdb, KEV, EPSS, NVD JSON).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print every skipped record, not only the counts.
    #[arg(long)]
    pub show_problems: bool,
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

#[derive(Debug, clap::Args)]
pub struct DbUpdateArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Fetch only this feed URL (http(s)://, file://) or pull this OCI artifact (oci://…).
    #[arg(long)]
    pub from: Option<String>,
    /// A feeds file (one `name url` per line) instead of the default feeds.
    #[arg(long, env = "VIGIL_FEEDS")]
    pub feeds: Option<PathBuf>,
    /// Public key(s) trusted for `--from oci://…` (repeatable; `VIGIL_DB_TRUSTED_KEY`).
    #[arg(
        long = "trusted-key",
        env = "VIGIL_DB_TRUSTED_KEY",
        value_delimiter = ','
    )]
    pub trusted_keys: Vec<PathBuf>,
    /// Allow plain HTTP to non-loopback hosts.
    #[arg(long)]
    pub allow_insecure: bool,
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

#[derive(Debug, clap::Args)]
pub struct DbStatusArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

#[derive(Debug, clap::Args)]
pub struct DbSearchArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// A vulnerability id (CVE-…, GHSA-…, PYSEC-…, DSA-…) or a package name.
    pub query: String,
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

#[derive(Debug, clap::Args)]
pub struct DbPushArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Destination, `oci://REGISTRY/REPOSITORY:TAG`.
    pub target: String,
    /// The ed25519 private key file (`vigil db keygen`; or `VIGIL_DB_SIGNING_KEY`).
    #[arg(long, env = "VIGIL_DB_SIGNING_KEY")]
    pub key: PathBuf,
    /// Allow plain HTTP to non-loopback registries.
    #[arg(long)]
    pub allow_insecure: bool,
}

#[derive(Debug, clap::Args)]
pub struct DbKeygenArgs {
    /// Write `NAME.key` (private, mode 0600) and `NAME.pub` here.
    #[arg(long, default_value = "vigil-db")]
    pub name: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Informational,
    Untriaged,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::High => "HIGH",
            Severity::Medium => "MEDIUM",
            Severity::Low => "LOW",
            Severity::Informational => "INFORMATIONAL",
            Severity::Untriaged => "UNTRIAGED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    #[value(name = "cyclonedx-vex")]
    CyclonedxVex,
    /// OpenVEX 0.2.0: affected findings and distribution not-affected judgements
    Openvex,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub db: DbArg,
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Write to this file instead of standard output (written atomically).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Report only these severities (repeatable or comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub severity: Vec<Severity>,
    /// Leave out findings with no fixed version.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Exit 1 when a reported finding is at or above this severity.
    #[arg(long, value_enum)]
    pub fail_on: Option<Severity>,
    /// Explain why a vulnerability id matched (or was judged not affected) and exit.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,
    /// Submit the target's inventory to a Vigil server and wait for the scan; credentials from
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION or the AWS profile.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// With --server: the resource id to record the scan under (default: the image digest or
    /// the target's name).
    #[arg(long, requires = "server")]
    pub resource_id: Option<String>,
}

/// What to scan and how (shared by `sbom` and `scan`).
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// What to scan: a directory, a tar archive, an OCI layout directory, an OCI or docker
    /// archive, a function zip, or an SBOM. Force the kind with a prefix: `dir:`, `tar:`,
    /// `oci-dir:`, `oci-archive:`, `docker-archive:`, `zip:`, `sbom:`.
    pub target: String,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    Cyclonedx,
    Spdx,
    Json,
    Table,
}

#[derive(Debug, clap::Args)]
pub struct SbomArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SbomFormat::Table)]
    pub format: SbomFormat,
    /// Write to this file instead of standard output (written atomically).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}
