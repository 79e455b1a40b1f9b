//! `Pipfile.lock` (pipenv): JSON with `default` and `develop` maps from package name to
//! `{ "version": "==1.2.3", … }`.
//!
//! Entries without a pinned `version` (VCS, path and editable requirements) are not reported.
//! Packages of `develop` that are not also in `default` get `metadata["dev"] = "true"`.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use serde_json::Value;
use std::collections::BTreeSet;
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct PipfileLock;

const NAME: &str = "python-pipfile-lock";

impl Cataloger for PipfileLock {
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
        file_name(path) == "Pipfile.lock" && meta.size <= super::MAX_LOCKFILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for p in parse_pipfile_lock(&bytes, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a `Pipfile.lock`; entries with an unreadable version become warnings.
pub fn parse_pipfile_lock(bytes: &[u8], out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CatalogError::parse(format!("invalid Pipfile.lock: {e}")))?;
    let Some(root) = v.as_object() else {
        return Err(CatalogError::parse("Pipfile.lock is not a JSON object"));
    };
    if !["_meta", "default", "develop"]
        .iter()
        .any(|k| root.contains_key(*k))
    {
        return Err(CatalogError::parse(
            "no `_meta`, `default` or `develop`: not a Pipfile.lock",
        ));
    }
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    for (section, dev) in [("default", false), ("develop", true)] {
        let deps = match root.get(section) {
            Some(Value::Object(m)) => m,
            None | Some(Value::Null) => continue,
            Some(_) => {
                return Err(CatalogError::parse(format!(
                    "Pipfile.lock `{section}` is not an object"
                )));
            }
        };
        for (name, entry) in deps {
            let Some(spec) = entry.get("version") else {
                // git, path or editable requirement: nothing pinned to report
                continue;
            };
            let version = spec.as_str().and_then(|s| {
                let s = s.trim();
                s.strip_prefix("===")
                    .or_else(|| s.strip_prefix("=="))
                    .map(str::trim)
            });
            let Some(version) = version.filter(|v| !v.is_empty() && !v.contains('*')) else {
                out.warn(format!(
                    "Pipfile.lock: `{name}` in `{section}` has no pinned version"
                ));
                continue;
            };
            if name.trim().is_empty()
                || !seen.insert((name.to_ascii_lowercase(), version.to_owned()))
            {
                continue;
            }
            let mut p = Package::new(Ecosystem::PyPi, name.trim(), version, NAME).declared();
            if dev {
                p.metadata.insert("dev".to_owned(), "true".to_owned());
            }
            found.push(p);
        }
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
        assert!(wants(&PipfileLock, "/app/Pipfile.lock"));
        assert!(!wants(&PipfileLock, "/app/Pipfile"));
        assert!(!wants(&PipfileLock, "/app/pipfile.lock"));
    }

    /// pipenv's lock of a small project, compared with what `pipenv sync --dev` installed.
    #[test]
    fn real_lock_matches_installed() {
        let sink = run(
            &PipfileLock,
            "/app/Pipfile.lock",
            &fixture("python/pipenv/Pipfile.lock"),
        )
        .expect("catalog");
        assert_eq!(ids(&sink), freeze_ids(&fixture("python/pipenv/freeze.txt")));
        assert_eq!(ids(&sink).len(), 8);
        assert_eq!(dev_ids(&sink), ["toml@0.10.2"]);
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    #[test]
    fn vcs_editable_and_shared_entries() {
        let lock = br#"{
          "_meta": {"pipfile-spec": 6},
          "default": {
            "requests": {"version": "==2.31.0"},
            "mylib": {"editable": true, "path": "."},
            "tool": {"git": "https://github.com/x/tool.git", "ref": "abc"},
            "weird": {"version": "*"}
          },
          "develop": {
            "requests": {"version": "==2.31.0"},
            "pytest": {"version": "===7.4.0"}
          }
        }"#;
        let mut sink = Sink::default();
        let pkgs = parse_pipfile_lock(lock, &mut sink).expect("parse");
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| {
                format!(
                    "{}@{} {}",
                    p.name,
                    p.version,
                    p.metadata.contains_key("dev")
                )
            })
            .collect();
        assert_eq!(got, ["requests@2.31.0 false", "pytest@7.4.0 true"]);
        assert_eq!(sink.notes().len(), 1);
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            &b"{\"default\": {"[..],
            b"[]",
            b"{}",
            br#"{"default": []}"#,
            b"\xff",
        ] {
            assert!(run(&PipfileLock, "/p/Pipfile.lock", bad).is_err());
        }
    }
}
