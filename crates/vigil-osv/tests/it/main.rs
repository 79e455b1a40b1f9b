//! Integration tests of the advisory layer.
mod db;
