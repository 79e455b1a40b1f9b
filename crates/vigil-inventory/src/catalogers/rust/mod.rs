//! Rust: `Cargo.lock`.

pub mod cargo_lock;
