//! Test helpers shared by the catalogers' unit tests.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink};
use vigil_source::{EntryKind, EntryMeta};

/// Run a cataloger over bytes as if the walker had found them at `path`.
pub(crate) fn run(c: &dyn Cataloger, path: &str, data: &[u8]) -> Result<Sink, CatalogError> {
    let meta = EntryMeta {
        kind: EntryKind::File,
        size: data.len() as u64,
        mode: 0o644,
    };
    let mut reader = data;
    let mut input = FileInput::from_reader(path, meta, &mut reader);
    let mut sink = Sink::default();
    c.catalog(&mut input, &mut sink)?;
    Ok(sink)
}

/// Whether a scan hands this path to the cataloger: its own `wants` plus the engine's rule
/// that declared-kind catalogers skip installed-package trees.
pub(crate) fn scanned(c: &dyn Cataloger, path: &str) -> bool {
    let meta = EntryMeta {
        kind: EntryKind::File,
        size: 100,
        mode: 0o644,
    };
    crate::registry::eligible(
        c,
        path,
        &meta,
        true,
        !crate::installed_tree::inside_installed_tree(path),
    )
}

/// Whether the cataloger wants a path (as a regular file of a few bytes).
pub(crate) fn wants(c: &dyn Cataloger, path: &str) -> bool {
    let meta = EntryMeta {
        kind: EntryKind::File,
        size: 100,
        mode: 0o644,
    };
    c.wants(path, &meta)
}

/// A fixture file under `testdata/`.
pub(crate) fn fixture(rel: &str) -> Vec<u8> {
    let p = format!("{}/testdata/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {p}: {e}"))
}

/// `name@version` strings of the packages found, sorted.
pub(crate) fn ids(sink: &Sink) -> Vec<String> {
    let mut v: Vec<String> = sink
        .packages()
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    v.sort();
    v
}

/// `name@version` of packages marked `dev`, sorted.
pub(crate) fn dev_ids(sink: &Sink) -> Vec<String> {
    let mut v: Vec<String> = sink
        .packages()
        .iter()
        .filter(|p| p.metadata.get("dev").map(String::as_str) == Some("true"))
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    v.sort();
    v
}

/// `name@version=value` of packages whose metadata has `key`, sorted.
pub(crate) fn flagged(sink: &Sink, key: &str) -> Vec<String> {
    let mut v: Vec<String> = sink
        .packages()
        .iter()
        .filter_map(|p| Some(format!("{}@{}={}", p.name, p.version, p.metadata.get(key)?)))
        .collect();
    v.sort();
    v
}
