//! npm lockfiles: `package-lock.json` and `npm-shrinkwrap.json`, all lockfile versions.
//!
//! - v1 (npm 5 and 6): a nested `dependencies` tree keyed by (possibly aliased) name, each
//!   node with a `version` (for aliases `npm:<real-name>@<version>`) and its own nested
//!   `dependencies`.
//! - v2 (npm 7 and 8, which also keep the v1 tree for old clients) and v3 (npm 9+): a flat
//!   `packages` map keyed by install path (`node_modules/a/node_modules/@s/b`). The package
//!   name is the entry's `name` when set (npm sets it for aliases) and otherwise the part of
//!   the key after the last `node_modules/`. When `packages` is present the v1 tree is
//!   ignored, so that nothing is reported twice.
//!
//! Not reported: the root project (key `""`, or the top-level `name`/`version`), workspace
//! members (keys outside `node_modules/`, which are project directories that the
//! `package.json` cataloger already reports), `link: true` entries (symlinks to those
//! members) and `file:`/`link:` versions. Entries with `dev: true` get
//! `metadata["dev"] = "true"`, `optional: true` ones `metadata["optional"] = "true"`, and
//! aliases `metadata["alias"]`. Each (name, version) is reported once per file.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use crate::catalogers::javascript::{
    Dedup, MAX_LOCKFILE, declared, is_local_reference, split_at_version, valid_name,
};
use serde_json::{Map, Value};
use vigil_source::EntryMeta;
use vigil_types::Package;

pub struct PackageLock;

const NAME: &str = "javascript-package-lock";

impl Cataloger for PackageLock {
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
        let n = file_name(path);
        (n == "package-lock.json" || n == "npm-shrinkwrap.json") && meta.size <= MAX_LOCKFILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for p in parse_package_lock(&bytes, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a `package-lock.json` / `npm-shrinkwrap.json`; skipped entries become warnings.
pub fn parse_package_lock(bytes: &[u8], out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CatalogError::parse(format!("invalid npm lockfile: {e}")))?;
    let Some(root) = v.as_object() else {
        return Err(CatalogError::parse("npm lockfile is not a JSON object"));
    };
    let mut seen = Dedup::default();
    match (root.get("packages"), root.get("dependencies")) {
        (Some(Value::Object(packages)), _) => read_packages(packages, &mut seen, out),
        (Some(_), _) => return Err(CatalogError::parse("`packages` is not an object")),
        (None, Some(Value::Object(deps))) => read_v1(deps, 0, &mut seen, out),
        (None, Some(_)) => return Err(CatalogError::parse("`dependencies` is not an object")),
        (None, None) => {
            // a project without dependencies has a lockfile without either map
            if root.get("lockfileVersion").is_none() {
                return Err(CatalogError::parse(
                    "no `lockfileVersion`, `packages` or `dependencies`: not an npm lockfile",
                ));
            }
        }
    }
    Ok(seen.into_packages())
}

/// v2/v3 `packages` map.
fn read_packages(packages: &Map<String, Value>, seen: &mut Dedup, out: &mut Sink) {
    for (key, entry) in packages {
        // the root project, and workspace members (project directories)
        let Some(i) = key.rfind("node_modules/") else {
            continue;
        };
        let key_name = &key[i + "node_modules/".len()..];
        let Some(e) = entry.as_object() else {
            out.warn(format!("npm lockfile: entry `{key}` is not an object"));
            continue;
        };
        if flag(e, "link") {
            continue;
        }
        let name = e.get("name").and_then(Value::as_str).unwrap_or(key_name);
        let Some(version) = e.get("version").and_then(Value::as_str) else {
            out.warn(format!("npm lockfile: entry `{key}` has no version"));
            continue;
        };
        if is_local_reference(version) {
            continue;
        }
        if !valid_name(name) || version.is_empty() {
            out.warn(format!(
                "npm lockfile: entry `{key}` has an invalid name or version"
            ));
            continue;
        }
        let mut p = declared(name, version, NAME);
        if name != key_name {
            p.metadata.insert("alias".to_owned(), key_name.to_owned());
        }
        mark(&mut p, e);
        seen.add(p);
    }
}

/// v1 nested `dependencies` tree.
fn read_v1(deps: &Map<String, Value>, depth: usize, seen: &mut Dedup, out: &mut Sink) {
    if depth > 200 {
        out.warn("npm lockfile: dependency tree deeper than 200 levels, rest skipped");
        return;
    }
    for (key, entry) in deps {
        let Some(e) = entry.as_object() else {
            out.warn(format!("npm lockfile: dependency `{key}` is not an object"));
            continue;
        };
        match e.get("version").and_then(Value::as_str) {
            Some(version) if !is_local_reference(version) => {
                // aliases: "my-lodash": { "version": "npm:lodash@4.17.21" }
                let (name, version, alias) =
                    match version.strip_prefix("npm:").and_then(split_at_version) {
                        Some((real, v)) => (real, v, Some(key.as_str())),
                        None => (key.as_str(), version, None),
                    };
                if valid_name(name) && !version.is_empty() {
                    let mut p = declared(name, version, NAME);
                    if let Some(a) = alias {
                        p.metadata.insert("alias".to_owned(), a.to_owned());
                    }
                    mark(&mut p, e);
                    seen.add(p);
                } else {
                    out.warn(format!(
                        "npm lockfile: dependency `{key}` has an invalid name or version"
                    ));
                }
            }
            Some(_) => {}
            None => out.warn(format!("npm lockfile: dependency `{key}` has no version")),
        }
        if let Some(Value::Object(sub)) = e.get("dependencies") {
            read_v1(sub, depth + 1, seen, out);
        }
    }
}

fn flag(e: &Map<String, Value>, key: &str) -> bool {
    e.get(key).and_then(Value::as_bool) == Some(true)
}

fn mark(p: &mut Package, e: &Map<String, Value>) {
    if flag(e, "dev") {
        p.metadata.insert("dev".to_owned(), "true".to_owned());
    }
    if flag(e, "optional") {
        p.metadata.insert("optional".to_owned(), "true".to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::javascript::testutil::npm_ls;
    use crate::catalogers::testutil::{dev_ids, fixture, ids, run, scanned, wants};

    #[test]
    fn wanted_paths() {
        let c = PackageLock;
        assert!(wants(&c, "/app/package-lock.json"));
        assert!(wants(&c, "/app/npm-shrinkwrap.json"));
        assert!(!wants(&c, "/app/node_modules/.package-lock.json"));
        assert!(!scanned(&c, "/app/node_modules/foo/package-lock.json"));
        assert!(!wants(&c, "/app/package.json"));
    }

    /// The three lockfile versions npm 11 writes for the same project (see the fixture README)
    /// give exactly what `npm ls --all` lists for the installed tree, with the same dev flags.
    #[test]
    fn all_versions_match_npm_ls() {
        let (expected, expected_dev) = npm_ls(&fixture("javascript/npm/npm-ls.json"));
        assert_eq!(expected.len(), 20);
        assert_eq!(expected_dev, ["is-number@6.0.0", "is-odd@3.0.1"]);
        for v in 1..=3 {
            let data = fixture(&format!("javascript/npm/package-lock-v{v}.json"));
            let sink = run(&PackageLock, "/app/package-lock.json", &data).expect("catalog");
            assert_eq!(ids(&sink), expected, "v{v}");
            assert_eq!(dev_ids(&sink), expected_dev, "v{v}");
            assert!(sink.notes().is_empty(), "v{v}: {:?}", sink.notes());
            let alias: Vec<_> = sink
                .packages()
                .iter()
                .filter_map(|p| Some((p.metadata.get("alias")?.as_str(), p.name.as_str())))
                .collect();
            assert_eq!(alias, [("my-lodash", "lodash")], "v{v}");
            assert!(
                sink.packages()
                    .iter()
                    .all(|p| p.kind == vigil_types::PackageKind::Declared)
            );
            // the project itself is not a dependency
            assert!(!ids(&sink).iter().any(|i| i.starts_with("fixture-app@")));
        }
    }

    #[test]
    fn workspaces_links_and_nesting() {
        let lock = br#"{
          "name": "mono", "version": "1.0.0", "lockfileVersion": 3,
          "packages": {
            "": { "name": "mono", "version": "1.0.0", "workspaces": ["packages/*"] },
            "node_modules/@mono/web": { "resolved": "packages/web", "link": true },
            "packages/web": { "name": "@mono/web", "version": "0.1.0" },
            "packages/web/node_modules/react": { "version": "18.2.0" },
            "node_modules/@types/node": { "version": "20.1.0", "dev": true, "optional": true },
            "node_modules/a/node_modules/@s/b": { "version": "2.0.0", "devOptional": true },
            "node_modules/local": { "version": "file:../local" },
            "node_modules/noversion": { },
            "node_modules/bad": 3
          }
        }"#;
        let sink = run(&PackageLock, "/p/package-lock.json", lock).expect("catalog");
        assert_eq!(
            ids(&sink),
            ["@s/b@2.0.0", "@types/node@20.1.0", "react@18.2.0"]
        );
        assert_eq!(dev_ids(&sink), ["@types/node@20.1.0"]);
        let t = sink
            .packages()
            .iter()
            .find(|p| p.name == "@types/node")
            .expect("types");
        assert_eq!(t.metadata.get("optional").map(String::as_str), Some("true"));
        assert_eq!(sink.notes().len(), 2, "{:?}", sink.notes());
    }

    #[test]
    fn v1_nested_duplicates_are_reported_once_and_dev_only_if_always_dev() {
        let lock = br#"{
          "lockfileVersion": 1,
          "dependencies": {
            "a": { "version": "1.0.0", "dev": true,
                   "dependencies": { "ms": { "version": "2.0.0", "dev": true } } },
            "b": { "version": "1.0.0",
                   "dependencies": { "ms": { "version": "2.0.0" } } },
            "c": { "version": "git+https://github.com/x/c.git#abc" },
            "d": { "version": "file:d" }
          }
        }"#;
        let sink = run(&PackageLock, "/p/package-lock.json", lock).expect("catalog");
        assert_eq!(
            ids(&sink),
            [
                "a@1.0.0",
                "b@1.0.0",
                "c@git+https://github.com/x/c.git#abc",
                "ms@2.0.0"
            ]
        );
        assert_eq!(dev_ids(&sink), ["a@1.0.0"]);
    }

    #[test]
    fn empty_project() {
        let sink = run(
            &PackageLock,
            "/p/package-lock.json",
            br#"{"name":"x","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"x","version":"1.0.0"}}}"#,
        )
        .expect("catalog");
        assert!(sink.packages().is_empty());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        let full = fixture("javascript/npm/package-lock-v3.json");
        for cut in [0, 1, 100, full.len() / 2, full.len() - 2] {
            assert!(
                run(&PackageLock, "/p/package-lock.json", &full[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        for bad in [
            &b"[]"[..],
            b"{}",
            br#"{"packages": []}"#,
            br#"{"dependencies": "x"}"#,
            b"lockfileVersion: 3",
        ] {
            assert!(run(&PackageLock, "/p/package-lock.json", bad).is_err());
        }
    }
}
