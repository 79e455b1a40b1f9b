//! Vigil's advisory knowledge: the OSV model ([`model`]), importers for OSV and native feeds
//! ([`import`], [`native`]) and the embedded advisory database ([`db`]), indexed by
//! `(ecosystem, normalised name)` so that matching reads only the records it needs.

pub mod db;
pub mod ecosystem;
pub mod import;
pub mod model;
pub mod native;

use std::path::Path;

pub use db::{
    Database, EPSS_THRESHOLDS, Import, SourceReport, SourceWriter, Status, StoredAdvisory,
    epss_bucket,
};
pub use model::{Advisory, Affected, DistroStatus, Event, Range, RangeType, Severity};

/// Errors of the advisory layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// One record is malformed (the message starts with the record id where known).
    #[error("{0}")]
    Record(String),
    /// A whole input is unusable.
    #[error("{0}")]
    Input(String),
    #[error("database `{path}`: {message}")]
    Db { path: String, message: String },
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
