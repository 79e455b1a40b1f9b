//! Integration tests of the sources over images and archives built by the tests themselves.

mod blob_store;
