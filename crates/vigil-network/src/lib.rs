//! Network reachability analysis: which ports of which hosts the internet can reach, and the
//! exact path of components that lets it.
//!
//! - [`model`]: the provider-neutral network model and its semantics.
//! - [`aws`]: reads the JSON the AWS CLI prints (`describe-instances`, `describe-subnets`, …).
//! - [`yaml`]: reads the model's own shape written as YAML.
//! - [`validate()`]: the consistency checks both readers share (what is ignored, and why).
//! - [`analysis`]: the per-probe predicate ([`analysis::Analyzer::reachable`]) and the
//!   exposures ([`analysis::analyze`]) the `NETWORK_REACHABILITY` findings are made from.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use vigil_network::{Analyzer, model::Protocol, yaml};
//!
//! let text = include_str!("../testdata/example.yaml");
//! let (model, problems) = yaml::parse(text, "example.yaml")?;
//! assert!(problems.is_empty());
//!
//! // One index, many probes (what the namespace oracle does).
//! let analyzer = Analyzer::new(&model);
//! let web = Ipv4Addr::new(198, 51, 100, 10);
//! assert!(analyzer.reachable(Ipv4Addr::new(8, 8, 8, 8), web, Protocol::Tcp, 443));
//! assert!(!analyzer.reachable(Ipv4Addr::new(8, 8, 8, 8), web, Protocol::Tcp, 22));
//!
//! // Every exposure, with its exact sources, path and severity.
//! for e in analyzer.analyze().exposures {
//!     println!("{} {:?} {}-{} {}", e.host, e.protocol, e.ports.from, e.ports.to, e.severity);
//! }
//! # Ok::<(), vigil_network::Error>(())
//! ```

pub mod analysis;
pub mod aws;
pub mod model;
pub mod validate;
pub mod yaml;

pub use analysis::{Analysis, Analyzer, Exposure, Step, analyze, reachable};
pub use model::Model;
pub use validate::{Problem, validate};

/// Errors that stop a whole input from being read (everything smaller is a [`Problem`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{origin}` is not valid YAML: {message}")]
    Yaml { origin: String, message: String },
    #[error("`{origin}` is not a YAML mapping of model sections (`networks`, `subnets`, …)")]
    NotAMapping { origin: String },
}
