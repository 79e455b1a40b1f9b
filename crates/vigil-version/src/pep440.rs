//! PEP 440 versions through `pep440_rs` (the parser uv uses), which normalises as Python's
//! `packaging` does (`1.0RC1` = `1.0rc1`, `1.0-post1` = `1.0.post1`, `v1.0` = `1.0`, ...).

use std::str::FromStr;

pub(crate) fn parse(s: &str) -> Result<pep440_rs::Version, String> {
    pep440_rs::Version::from_str(s.trim()).map_err(|e| e.to_string())
}
