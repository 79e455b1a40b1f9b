//! `*.deps.json`: the dependency manifest the .NET SDK writes beside a built application
//! (`/app/WebApp.deps.json`), read by the host at start-up, so it lists what ships with the
//! application.
//!
//! Reported: the `libraries` entries `"Name/1.2.3": {"type": "package", …}` — NuGet
//! packages. Not reported: `project` (the application and projects it references: local
//! code), `reference` (assemblies referenced by path) and `runtimepack` (the .NET runtime
//! itself in self-contained applications, which is no NuGet dependency of the application).
//! `serviceable: true` is kept as `metadata["serviceable"]`. Package ids are kept as written
//! (NuGet ids are case-insensitive; advisories spell them as the package does).

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use crate::catalogers::dotnet::{MAX_FILE, valid_id_version};
use serde_json::Value;
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct DepsJson;

const NAME: &str = "dotnet-deps-json";

impl Cataloger for DepsJson {
    fn name(&self) -> &'static str {
        NAME
    }
    fn tags(&self) -> Tags {
        Tags {
            os: false,
            installed: true,
        }
    }
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        let n = file_name(path);
        n.len() > ".deps.json".len() && n.ends_with(".deps.json") && meta.size <= MAX_FILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for p in parse_deps_json(&bytes, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a `.deps.json`.
pub fn parse_deps_json(bytes: &[u8], out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CatalogError::parse(format!("invalid deps.json: {e}")))?;
    let Some(libraries) = v.get("libraries") else {
        return Err(CatalogError::parse("no `libraries`: not a .deps.json"));
    };
    let Some(libraries) = libraries.as_object() else {
        return Err(CatalogError::parse(
            "deps.json `libraries` is not an object",
        ));
    };
    let mut found = Vec::new();
    for (key, entry) in libraries {
        let Some(e) = entry.as_object() else {
            out.warn(format!("deps.json: library `{key}` is not an object"));
            continue;
        };
        if e.get("type").and_then(Value::as_str) != Some("package") {
            continue;
        }
        let Some((id, version)) = key.split_once('/').filter(|(i, v)| valid_id_version(i, v))
        else {
            out.warn(format!(
                "deps.json: library key `{key}` is not `name/version`"
            ));
            continue;
        };
        let mut p = Package::new(Ecosystem::NuGet, id, version, NAME);
        if e.get("serviceable").and_then(Value::as_bool) == Some(true) {
            p.metadata
                .insert("serviceable".to_owned(), "true".to_owned());
        }
        found.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::testutil::{fixture, ids, run, wants};

    #[test]
    fn wanted_paths() {
        assert!(wants(&DepsJson, "/app/WebApp.deps.json"));
        assert!(wants(
            &DepsJson,
            "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json"
        ));
        assert!(!wants(&DepsJson, "/app/.deps.json"));
        assert!(!wants(&DepsJson, "/app/WebApp.runtimeconfig.json"));
    }

    #[test]
    fn packages_only() {
        let sink = run(
            &DepsJson,
            "/app/WebApp.deps.json",
            &fixture("dotnet/webapp/WebApp.deps.json"),
        )
        .expect("catalog");
        assert_eq!(
            ids(&sink),
            [
                "Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0",
                "Newtonsoft.Json@13.0.3",
                "Serilog.Sinks.Console@5.0.1",
                "Serilog@3.1.1",
                "System.Text.Json@8.0.4",
            ]
        );
        assert!(
            sink.packages()
                .iter()
                .all(|p| p.ecosystem == Ecosystem::NuGet
                    && p.kind == vigil_types::PackageKind::Installed
                    && p.metadata.get("serviceable").map(String::as_str) == Some("true"))
        );
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    #[test]
    fn odd_entries_are_warnings() {
        let d = br#"{"libraries": {
            "A/1.0.0": {"type": "package", "serviceable": false},
            "NoVersion": {"type": "package"},
            "B/": {"type": "package"},
            "C/2.0.0": 5,
            "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"type": "runtimepack"},
            "Ref/1.0.0": {"type": "reference"}
        }}"#;
        let sink = run(&DepsJson, "/app/x.deps.json", d).expect("ok");
        assert_eq!(ids(&sink), ["A@1.0.0"]);
        assert!(sink.packages()[0].metadata.is_empty());
        assert_eq!(sink.notes().len(), 3, "{:?}", sink.notes());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"[]",
            b"{}",
            br#"{"libraries": []}"#,
            b"{\"libraries\": {",
        ] {
            assert!(
                run(&DepsJson, "/a/x.deps.json", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let full = fixture("dotnet/webapp/WebApp.deps.json");
        for cut in (0..full.len()).step_by(5) {
            let _ = run(&DepsJson, "/a/x.deps.json", &full[..cut]);
        }
    }
}
