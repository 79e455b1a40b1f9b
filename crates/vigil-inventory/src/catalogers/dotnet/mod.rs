//! .NET (NuGet): `*.deps.json` next to built applications and `packages.lock.json`.

pub mod deps_json;
pub mod packages_lock;

/// Largest file read.
pub(crate) const MAX_FILE: u64 = 64 << 20;

/// A plausible NuGet package id and version (no spaces or control characters, bounded).
pub(crate) fn valid_id_version(id: &str, version: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 256
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
    };
    ok(id) && ok(version)
}
