//! Differential tests against reference implementations.
