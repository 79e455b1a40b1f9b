//! Java: archives (`.jar`, `.war`, `.ear`, `.jpi`, `.hpi`) and the archives nested in them.

pub mod archive;
