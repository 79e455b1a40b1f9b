//! Integration tests of the advisory layer.
