//! Importers for advisory feeds that are not OSV: each turns its native records into OSV
//! [`Advisory`](crate::model::Advisory) values, reporting bad records as
//! [`Problem`](crate::import::Problem)s and skipping them.

pub mod alpine;
pub mod debian;
pub mod friendsofphp;
pub mod nodejs;
pub mod rubysec;
