//! Python: installed distributions and declared requirements.

pub mod installed;
pub mod requirements;
