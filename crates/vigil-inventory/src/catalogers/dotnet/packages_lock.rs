//! NuGet `packages.lock.json` (written when a project sets `RestorePackagesWithLockFile`).
//!
//! `dependencies` maps each target framework (and framework/runtime pair, `net8.0/linux-x64`)
//! to the packages restored for it, keyed by package id, with a `type` and the `resolved`
//! version. Reported: `Direct`, `Transitive` and `CentralTransitive` entries, each
//! (id, version) once across frameworks; `Direct` ones get `metadata["direct"] = "true"` (when
//! direct for any framework). Not reported: `Project` entries (referenced projects: local
//! code, without a `resolved` version).

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use crate::catalogers::dotnet::{MAX_FILE, valid_id_version};
use serde_json::Value;
use std::collections::BTreeMap;
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct PackagesLock;

const NAME: &str = "dotnet-packages-lock";

impl Cataloger for PackagesLock {
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
        file_name(path) == "packages.lock.json" && meta.size <= MAX_FILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for p in parse_packages_lock(&bytes, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a `packages.lock.json`.
pub fn parse_packages_lock(bytes: &[u8], out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CatalogError::parse(format!("invalid packages.lock.json: {e}")))?;
    let Some(frameworks) = v.get("dependencies").and_then(Value::as_object) else {
        return Err(CatalogError::parse(
            "no `dependencies` object: not a packages.lock.json",
        ));
    };
    match v.get("version").and_then(Value::as_u64) {
        Some(1 | 2) => {}
        Some(n) => out.warn(format!(
            "packages.lock.json: unknown version {n}, read as 2"
        )),
        None => {
            return Err(CatalogError::parse(
                "packages.lock.json has no numeric `version`",
            ));
        }
    }
    let mut found: BTreeMap<(String, String), Package> = BTreeMap::new();
    let mut order = Vec::new();
    for (fw, deps) in frameworks {
        let Some(deps) = deps.as_object() else {
            out.warn(format!("packages.lock.json: `{fw}` is not an object"));
            continue;
        };
        for (id, e) in deps {
            let Some(e) = e.as_object() else {
                out.warn(format!(
                    "packages.lock.json: `{fw}` entry `{id}` is not an object"
                ));
                continue;
            };
            let ty = e.get("type").and_then(Value::as_str).unwrap_or("");
            if ty.eq_ignore_ascii_case("project") {
                continue;
            }
            let Some(version) = e.get("resolved").and_then(Value::as_str) else {
                out.warn(format!(
                    "packages.lock.json: `{fw}` entry `{id}` has no resolved version"
                ));
                continue;
            };
            if !valid_id_version(id, version) {
                out.warn(format!(
                    "packages.lock.json: `{fw}` entry `{id}` has an invalid id or version"
                ));
                continue;
            }
            let direct = ty.eq_ignore_ascii_case("direct");
            let key = (id.clone(), version.to_owned());
            let p = found.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                Package::new(Ecosystem::NuGet, id, version, NAME).declared()
            });
            if direct {
                p.metadata.insert("direct".to_owned(), "true".to_owned());
            }
        }
    }
    Ok(order.into_iter().filter_map(|k| found.remove(&k)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::testutil::{fixture, ids, run, wants};

    #[test]
    fn wanted_paths() {
        assert!(wants(&PackagesLock, "/src/WebApp/packages.lock.json"));
        assert!(!wants(&PackagesLock, "/src/WebApp/package-lock.json"));
    }

    #[test]
    fn frameworks_merged_projects_skipped() {
        let sink = run(
            &PackagesLock,
            "/src/WebApp/packages.lock.json",
            &fixture("dotnet/webapp/packages.lock.json"),
        )
        .expect("catalog");
        assert_eq!(
            ids(&sink),
            [
                "Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0",
                "Microsoft.Extensions.Logging.Abstractions@8.0.1",
                "Microsoft.NET.ILLink.Tasks@8.0.7",
                "Newtonsoft.Json@13.0.3",
                "Serilog.Sinks.Console@5.0.1",
                "Serilog@3.1.1",
                "System.Text.Json@8.0.4",
            ]
        );
        let mut direct: Vec<&str> = sink
            .packages()
            .iter()
            .filter(|p| p.metadata.get("direct").map(String::as_str) == Some("true"))
            .map(|p| p.name.as_str())
            .collect();
        direct.sort();
        assert_eq!(
            direct,
            [
                "Microsoft.NET.ILLink.Tasks",
                "Newtonsoft.Json",
                "Serilog.Sinks.Console",
                "System.Text.Json"
            ]
        );
        assert!(sink.packages().iter().all(
            |p| p.ecosystem == Ecosystem::NuGet && p.kind == vigil_types::PackageKind::Declared
        ));
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    #[test]
    fn odd_entries_are_warnings() {
        let d = br#"{"version": 3, "dependencies": {
            "net6.0": {
                "A": {"type": "Transitive", "resolved": "1.0.0"},
                "B": {"type": "Direct", "requested": "[1.0.0, )"},
                "C": 4,
                "D E": {"type": "Direct", "resolved": "1.0"}
            },
            "net7.0": []
        }}"#;
        let sink = run(&PackagesLock, "/a/packages.lock.json", d).expect("ok");
        assert_eq!(ids(&sink), ["A@1.0.0"]);
        assert_eq!(sink.notes().len(), 5, "{:?}", sink.notes());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"[]",
            b"{}",
            br#"{"version": 1, "dependencies": []}"#,
            br#"{"dependencies": {}}"#,
            b"{\"version\": 1, ",
        ] {
            assert!(
                run(&PackagesLock, "/a/packages.lock.json", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let full = fixture("dotnet/webapp/packages.lock.json");
        for cut in (0..full.len()).step_by(5) {
            let _ = run(&PackagesLock, "/a/packages.lock.json", &full[..cut]);
        }
    }
}
