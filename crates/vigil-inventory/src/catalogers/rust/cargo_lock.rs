//! `Cargo.lock`, lockfile formats v1 to v4: TOML with one `[[package]]` table per locked crate
//! (`name`, `version`, `source`).
//!
//! - v1 (Cargo before 1.41) keeps checksums in a `[metadata]` table and very old files name
//!   the root crate in a `[root]` table; v2 moves checksums into the packages; v3 and v4 add a
//!   top-level `version = 3|4`. The `[[package]]` tables read here are the same in all four.
//! - Packages without `source` are workspace members and path dependencies: local code, not
//!   published crates, so they are not reported (the `[root]` table likewise).
//! - Git sources (`git+https://…#<commit>`) get `metadata["source"] = "git"` and the full
//!   source string in `metadata["git"]`; crates from a registry other than crates.io get the
//!   registry's address in `metadata["registry"]`.
//!
//! Lockfiles under `.cargo/registry/` or `.cargo/git/` belong to downloaded crate sources
//! (some crates publish theirs) and describe those crates' own builds, so they are not read.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use std::collections::BTreeSet;
use toml::{Table, Value};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct CargoLock;

const NAME: &str = "rust-cargo-lock";

/// Largest `Cargo.lock` read (the biggest real ones are a few MiB).
const MAX_LOCKFILE: u64 = 64 << 20;

const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

impl Cataloger for CargoLock {
    fn name(&self) -> &'static str {
        NAME
    }
    fn tags(&self) -> Tags {
        Tags {
            os: false,
            installed: false,
        }
    }
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        file_name(path) == "Cargo.lock"
            && meta.size <= MAX_LOCKFILE
            && !path.contains("/.cargo/registry/")
            && !path.contains("/.cargo/git/")
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_cargo_lock(&text, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a `Cargo.lock`; skipped entries become warnings.
pub fn parse_cargo_lock(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let doc: Table = toml::from_str(text)
        .map_err(|e| CatalogError::parse(format!("invalid Cargo.lock: {}", e.message())))?;
    match doc.get("version") {
        None => {}
        Some(Value::Integer(v)) if (1..=4).contains(v) => {}
        Some(Value::Integer(v)) => out.warn(format!(
            "Cargo.lock: unknown lockfile version {v}, read as version 4"
        )),
        Some(_) => {
            return Err(CatalogError::parse(
                "Cargo.lock `version` is not an integer",
            ));
        }
    }
    let packages = match doc.get("package") {
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => return Err(CatalogError::parse("Cargo.lock `package` is not an array")),
        // a lockfile of a crate without dependencies has only the crate itself, but an empty
        // file or an unrelated TOML document is not a lockfile
        None if doc.contains_key("root") || doc.contains_key("version") => &[],
        None => {
            return Err(CatalogError::parse("no `package` array: not a Cargo.lock"));
        }
    };
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for (i, entry) in packages.iter().enumerate() {
        let Some(t) = entry.as_table() else {
            out.warn(format!("Cargo.lock: package #{i} is not a table"));
            continue;
        };
        let name = t.get("name").and_then(Value::as_str).map(str::trim);
        let version = t.get("version").and_then(Value::as_str).map(str::trim);
        let (Some(name), Some(version)) = (name, version) else {
            out.warn(format!("Cargo.lock: package #{i} has no name or version"));
            continue;
        };
        if name.is_empty() || version.is_empty() {
            out.warn(format!(
                "Cargo.lock: package #{i} has an empty name or version"
            ));
            continue;
        }
        let source = match t.get("source") {
            None => continue, // workspace member or path dependency
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                out.warn(format!(
                    "Cargo.lock: package `{name}` has a non-string source"
                ));
                continue;
            }
        };
        if !seen.insert((name, version, source)) {
            continue;
        }
        let mut p = Package::new(Ecosystem::Cargo, name, version, NAME).declared();
        if source.starts_with("git+") {
            p.metadata.insert("source".to_owned(), "git".to_owned());
            p.metadata.insert("git".to_owned(), source.to_owned());
        } else if !CRATES_IO.contains(&source) {
            let registry = source
                .strip_prefix("registry+")
                .or_else(|| source.strip_prefix("sparse+"))
                .unwrap_or(source);
            p.metadata
                .insert("registry".to_owned(), registry.to_owned());
        }
        found.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::testutil::{fixture, ids, run, wants};

    fn git_ids(sink: &Sink) -> Vec<String> {
        let mut v: Vec<String> = sink
            .packages()
            .iter()
            .filter(|p| p.metadata.get("source").map(String::as_str) == Some("git"))
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        v.sort();
        v
    }

    const EXPECTED: [&str; 3] = ["gitdep@0.1.0", "itoa@1.0.19", "smallvec@1.16.6"];

    #[test]
    fn wanted_paths() {
        let c = CargoLock;
        assert!(wants(&c, "/src/app/Cargo.lock"));
        assert!(!wants(&c, "/src/app/Cargo.toml"));
        assert!(!wants(
            &c,
            "/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ripgrep-14.1.0/Cargo.lock"
        ));
        assert!(!wants(&c, "/root/.cargo/git/checkouts/x-1/abc/Cargo.lock"));
    }

    /// The real v4 lockfile, and the v3/v2 layouts derived from it, give the packages
    /// `cargo metadata` lists less the workspace members (see the fixture README).
    #[test]
    fn real_v4_and_derived_v3_v2() {
        let v4 = String::from_utf8(fixture("rust/cargo-v4/Cargo.lock")).expect("utf-8");
        assert!(v4.contains("\nversion = 4\n"));
        let v3 = v4.replace("\nversion = 4\n", "\nversion = 3\n");
        let v2 = v4.replace("\nversion = 4\n", "\n");
        for (label, text) in [("v4", &v4), ("v3", &v3), ("v2", &v2)] {
            let sink = run(&CargoLock, "/app/Cargo.lock", text.as_bytes()).expect("catalog");
            assert_eq!(ids(&sink), EXPECTED, "{label}");
            assert_eq!(git_ids(&sink), ["gitdep@0.1.0"], "{label}");
            assert!(sink.notes().is_empty(), "{label}: {:?}", sink.notes());
            let g = sink
                .packages()
                .iter()
                .find(|p| p.name == "gitdep")
                .expect("git");
            assert_eq!(
                g.metadata.get("git").map(String::as_str),
                Some("git+file:///tmp/gitdep#60b42437ebe89fc2fad8dfe3b68c867a0d06ee53")
            );
            assert!(
                sink.packages()
                    .iter()
                    .all(|p| p.kind == vigil_types::PackageKind::Declared
                        && p.ecosystem == Ecosystem::Cargo)
            );
            assert!(
                sink.packages()
                    .iter()
                    .all(|p| !p.metadata.contains_key("registry"))
            );
        }
    }

    #[test]
    fn v1_with_metadata_checksums() {
        let sink = run(
            &CargoLock,
            "/app/Cargo.lock",
            &fixture("rust/cargo-v1/Cargo.lock"),
        )
        .expect("catalog");
        assert_eq!(ids(&sink), EXPECTED);
        assert_eq!(git_ids(&sink), ["gitdep@0.1.0"]);
    }

    #[test]
    fn old_root_table_and_other_registries() {
        let lock = br#"
[root]
name = "app"
version = "0.1.0"
dependencies = ["libc 0.2.20 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "libc"
version = "0.2.20"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "inhouse"
version = "2.0.0"
source = "sparse+https://crates.example.com/index/"

[[package]]
name = "sparse-io"
version = "1.0.0"
source = "sparse+https://index.crates.io/"

[[package]]
name = "nover"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "badsrc"
version = "1.0.0"
source = 3
"#;
        let sink = run(&CargoLock, "/app/Cargo.lock", lock).expect("catalog");
        assert_eq!(
            ids(&sink),
            ["inhouse@2.0.0", "libc@0.2.20", "sparse-io@1.0.0"]
        );
        let reg: Vec<_> = sink
            .packages()
            .iter()
            .filter_map(|p| Some((p.name.as_str(), p.metadata.get("registry")?.as_str())))
            .collect();
        assert_eq!(reg, [("inhouse", "https://crates.example.com/index/")]);
        assert_eq!(sink.notes().len(), 2, "{:?}", sink.notes());
    }

    #[test]
    fn only_the_root_crate() {
        let lock = b"version = 4\n\n[[package]]\nname = \"solo\"\nversion = \"0.1.0\"\n";
        let sink = run(&CargoLock, "/app/Cargo.lock", lock).expect("catalog");
        assert!(sink.packages().is_empty());
        assert!(run(&CargoLock, "/app/Cargo.lock", b"version = 3\n").is_ok());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        let full = fixture("rust/cargo-v4/Cargo.lock");
        // cut inside a string, and anywhere at all (never a panic)
        assert!(run(&CargoLock, "/p/Cargo.lock", &full[..full.len() - 2]).is_err());
        for cut in 0..full.len() {
            let _ = run(&CargoLock, "/p/Cargo.lock", &full[..cut]);
        }
        for bad in [
            &b""[..],
            b"[package]\nname = 1",
            b"package = \"x\"",
            b"version = \"4\"",
            b"{not toml",
            b"[[package]\n",
        ] {
            assert!(
                run(&CargoLock, "/p/Cargo.lock", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
