//! Encoders and decoders of [`Inventory`]: CycloneDX 1.6 JSON, SPDX 2.3 JSON, plain JSON and a
//! human-readable table.

mod table;

use vigil_types::Inventory;

pub use table::render_table;

/// Why an SBOM could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot encode JSON: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("invalid SBOM `{path}`: {message}")]
    Decode { path: String, message: String },
}

/// Output formats of `vigil sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDx,
    Spdx,
    Json,
    Table,
}

/// The plain JSON form: the inventory model itself.
pub fn to_json(inv: &Inventory) -> Result<String, Error> {
    Ok(serde_json::to_string_pretty(inv)?)
}
