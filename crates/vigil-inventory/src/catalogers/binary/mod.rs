//! Packages compiled into executables: Go build information and `cargo auditable` data.

pub mod cargo_auditable;
pub mod go_buildinfo;
