//! (being written)
use crate::Error;
use crate::import::Problem;
use crate::model::Advisory;

pub fn parse_advisory_list(
    location: &str,
    _bytes: &[u8],
    _problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    Err(Error::Input(format!(
        "`{location}`: importer not written yet"
    )))
}

pub fn parse_cve_list(
    location: &str,
    _bytes: &[u8],
    _problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    Err(Error::Input(format!(
        "`{location}`: importer not written yet"
    )))
}
