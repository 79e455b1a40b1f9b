//! (being written)
use crate::Error;
use crate::import::Problem;
use crate::model::Advisory;

pub fn parse(
    location: &str,
    _bytes: &[u8],
    _problems: &mut Vec<Problem>,
) -> Result<Vec<Advisory>, Error> {
    Err(Error::Input(format!(
        "`{location}`: importer not written yet"
    )))
}
