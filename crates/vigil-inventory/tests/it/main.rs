//! Integration tests of the inventory engine over real formats built by the tests themselves.

mod dpkg_real;
mod hostile;
mod imagebuilder;
mod images;
mod layer_cache;
