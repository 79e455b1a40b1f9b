//! `poetry.lock`: TOML with one `[[package]]` table per locked distribution (`name`,
//! `version`).
//!
//! Development-only packages are marked `metadata["dev"] = "true"`: Poetry before 1.5 writes
//! `category = "dev"`, later versions write `groups = ["dev", …]` (a package is dev-only when
//! `main` is not among its groups). `optional = true` (extras) becomes
//! `metadata["optional"] = "true"`. Names are kept as written (Poetry writes them normalised).

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use toml::{Table, Value};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct PoetryLock;

const NAME: &str = "python-poetry-lock";

impl Cataloger for PoetryLock {
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
        file_name(path) == "poetry.lock" && meta.size <= super::MAX_LOCKFILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_poetry_lock(&text, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a `poetry.lock`; skipped entries become warnings.
pub fn parse_poetry_lock(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let doc: Table = toml::from_str(text)
        .map_err(|e| CatalogError::parse(format!("invalid poetry.lock: {}", e.message())))?;
    let packages = match doc.get("package") {
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => return Err(CatalogError::parse("poetry.lock `package` is not an array")),
        None if doc.contains_key("metadata") => &[],
        None => {
            return Err(CatalogError::parse(
                "no `package` or `metadata` table: not a poetry.lock",
            ));
        }
    };
    let mut found = Vec::with_capacity(packages.len());
    for (i, entry) in packages.iter().enumerate() {
        let Some(t) = entry.as_table() else {
            out.warn(format!("poetry.lock: package #{i} is not a table"));
            continue;
        };
        let name = t.get("name").and_then(Value::as_str).map(str::trim);
        let version = t.get("version").and_then(Value::as_str).map(str::trim);
        let (Some(name), Some(version)) = (name, version) else {
            out.warn(format!("poetry.lock: package #{i} has no name or version"));
            continue;
        };
        if name.is_empty() || version.is_empty() {
            out.warn(format!(
                "poetry.lock: package #{i} has an empty name or version"
            ));
            continue;
        }
        let mut p = Package::new(Ecosystem::PyPi, name, version, NAME).declared();
        let dev = match (t.get("category"), t.get("groups")) {
            (Some(Value::String(c)), _) => c == "dev",
            (_, Some(Value::Array(groups))) => {
                !groups.is_empty() && !groups.iter().any(|g| g.as_str() == Some("main"))
            }
            _ => false,
        };
        if dev {
            p.metadata.insert("dev".to_owned(), "true".to_owned());
        }
        if t.get("optional").and_then(Value::as_bool) == Some(true) {
            p.metadata.insert("optional".to_owned(), "true".to_owned());
        }
        found.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::python::tests_support::freeze_ids;
    use crate::catalogers::testutil::{dev_ids, fixture, ids, run, wants};

    #[test]
    fn wanted_paths() {
        assert!(wants(&PoetryLock, "/src/app/poetry.lock"));
        assert!(!wants(&PoetryLock, "/src/app/pyproject.toml"));
    }

    /// Poetry 2.5 (lock format 2.1) on a small project, compared with what `poetry install`
    /// put in the virtualenv (`pip freeze`, see the fixture README).
    #[test]
    fn real_lock_matches_installed() {
        let sink = run(
            &PoetryLock,
            "/app/poetry.lock",
            &fixture("python/poetry/poetry.lock"),
        )
        .expect("catalog");
        assert_eq!(ids(&sink), freeze_ids(&fixture("python/poetry/freeze.txt")));
        assert_eq!(ids(&sink).len(), 8);
        assert_eq!(dev_ids(&sink), ["toml@0.10.2"]);
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    #[test]
    fn old_category_format_and_optional() {
        let lock = r#"
[[package]]
name = "pytest"
version = "7.0.0"
category = "dev"
optional = false

[[package]]
name = "pyyaml"
version = "6.0.1"
category = "main"
optional = true

[[package]]
name = "both"
version = "1.0"
groups = ["main", "dev"]

[[package]]
name = "noversion"

[metadata]
lock-version = "1.1"
"#;
        let mut sink = Sink::default();
        let pkgs = parse_poetry_lock(lock, &mut sink).expect("parse");
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| {
                format!(
                    "{}@{} {:?}",
                    p.name,
                    p.version,
                    p.metadata.keys().collect::<Vec<_>>()
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                "pytest@7.0.0 [\"dev\"]",
                "pyyaml@6.0.1 [\"optional\"]",
                "both@1.0 []"
            ]
        );
        assert_eq!(sink.notes().len(), 1);
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            "[[package]\nname = 1",
            "package = 3",
            "just = \"toml\"",
            "{ \"json\": true }",
        ] {
            assert!(
                run(&PoetryLock, "/p/poetry.lock", bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
        let full = fixture("python/poetry/poetry.lock");
        for cut in (0..full.len()).step_by(101) {
            let _ = run(&PoetryLock, "/p/poetry.lock", &full[..cut]);
        }
    }
}
