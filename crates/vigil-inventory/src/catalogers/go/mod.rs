//! Go: `go.mod`.

pub mod go_mod;
