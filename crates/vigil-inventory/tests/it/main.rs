//! Integration tests of the inventory engine over real formats built by the tests themselves.

mod hostile;
mod imagebuilder;
mod images;
