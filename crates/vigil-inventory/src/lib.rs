//! The inventory engine.
//!
//! One walk per layer feeds every [`Cataloger`] the files it asks for; the per-layer results
//! are then squashed bottom-up (whiteouts and opaque directories remove lower results, a file in
//! a higher layer replaces the same path below), every package is attributed to the layer that
//! introduced it, OS-owned language packages are marked, and purls are built once the
//! distribution is known.
//!
//! Adding an ecosystem means one new module under `catalogers/` plus one line in
//! [`registry::Registry::default`].

mod cache;
mod cataloger;
pub mod catalogers;
mod engine;
mod installed_tree;
mod registry;

pub use cache::{DiskLayerCache, LayerCache};
pub use cataloger::{CatalogError, Cataloger, FileInput, OwnedFiles, PackageLicenses, Sink, Tags};
pub use engine::{ScanOptions, scan};
pub use registry::Registry;

/// Default deep-inspection paths searched for language packages on a host (as Inspector's).
pub const DEFAULT_DEEP_PATHS: &[&str] = &[
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/usr/local/lib64",
];
