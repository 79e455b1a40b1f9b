//! `pnpm-lock.yaml`, lockfile versions 5.x (pnpm 5 to 7), 6.0 (pnpm 8) and 9.0 (pnpm 9+).
//!
//! Packages are the keys of the `packages` map, whose spelling changed over time:
//!
//! | version | key |
//! |---|---|
//! | 5.x | `/lodash/4.17.21`, `/@babel/core/7.1.0_peer@1.0.0` (peers after `_`) |
//! | 6.0 | `/lodash@4.17.21`, `/@babel/core@7.1.0(peer@1.0.0)` (peers in parentheses) |
//! | 9.0 | `lodash@4.17.21`, `@babel/core@7.1.0` (peers only in `snapshots` keys) |
//!
//! An entry's own `name` and `version` fields, which pnpm writes for packages from tarballs and
//! git, take precedence over the key. Entries for local code (`file:`/`link:` keys or
//! versions, `resolution: {directory: …}`) are not reported.
//!
//! Development dependencies: 5.x and 6.0 entries say `dev: true`. 9.0 dropped that flag, so
//! the dependency graph is walked from the importers' `dependencies`/`optionalDependencies`
//! and `devDependencies` through `snapshots`; a package reachable only from the latter gets
//! `metadata["dev"] = "true"`. Aliases are keyed under the real package name already, so no
//! `alias` metadata is recorded.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use crate::catalogers::javascript::{
    Dedup, MAX_LOCKFILE, declared, is_local_reference, split_at_version, valid_name,
};
use serde_yaml_ng::{Mapping, Value};
use std::collections::{BTreeSet, VecDeque};
use vigil_source::EntryMeta;
use vigil_types::Package;

pub struct PnpmLock;

const NAME: &str = "javascript-pnpm-lock";

impl Cataloger for PnpmLock {
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
        (n == "pnpm-lock.yaml" || n == "shrinkwrap.yaml") && meta.size <= MAX_LOCKFILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_pnpm_lock(&text, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a `pnpm-lock.yaml`; skipped entries become warnings.
pub fn parse_pnpm_lock(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let doc: Value = serde_yaml_ng::from_str(text)
        .map_err(|e| CatalogError::parse(format!("invalid pnpm-lock.yaml: {e}")))?;
    let Some(root) = doc.as_mapping() else {
        return Err(CatalogError::parse("pnpm-lock.yaml is not a YAML mapping"));
    };
    let major = match root.get("lockfileVersion") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0) as u32,
        Some(Value::String(s)) => s
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0),
        _ => {
            return Err(CatalogError::parse(
                "pnpm-lock.yaml has no `lockfileVersion`",
            ));
        }
    };
    if major < 5 {
        out.warn(format!(
            "pnpm-lock.yaml: lockfile version {major} is older than 5, read as 5"
        ));
    }
    let packages = match root.get("packages") {
        Some(Value::Mapping(m)) => m,
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(_) => {
            return Err(CatalogError::parse(
                "pnpm-lock.yaml `packages` is not a mapping",
            ));
        }
    };
    let dev_only = if major >= 9 { dev_only_v9(root) } else { None };
    let mut seen = Dedup::default();
    for (k, entry) in packages {
        let Some(key) = k.as_str() else {
            out.warn("pnpm-lock.yaml: non-string package key skipped");
            continue;
        };
        if key.starts_with("file:") || key.starts_with("link:") {
            continue;
        }
        if entry
            .get("resolution")
            .and_then(|r| r.get("directory"))
            .is_some()
        {
            continue;
        }
        let from_key = if major >= 6 {
            parse_key_v6(key)
        } else {
            parse_key_v5(key)
        };
        let name = entry.get("name").and_then(Value::as_str);
        let version = entry.get("version").and_then(Value::as_str);
        let (name, version) = match (name, version, from_key) {
            (Some(n), Some(v), _) => (n, v),
            (None, Some(v), Some((n, _))) => (n, v),
            (Some(n), None, Some((_, v))) => (n, v),
            (None, None, Some((n, v))) => (n, v),
            _ => {
                out.warn(format!("pnpm-lock.yaml: cannot read package key `{key}`"));
                continue;
            }
        };
        if is_local_reference(version) {
            continue;
        }
        if !valid_name(name) || version.is_empty() {
            out.warn(format!(
                "pnpm-lock.yaml: `{key}` has an invalid name or version"
            ));
            continue;
        }
        let mut p = declared(name, version, NAME);
        let dev = match &dev_only {
            Some(set) => set.contains(key),
            None => entry.get("dev").and_then(Value::as_bool) == Some(true),
        };
        if dev {
            p.metadata.insert("dev".to_owned(), "true".to_owned());
        }
        if entry.get("optional").and_then(Value::as_bool) == Some(true) {
            p.metadata.insert("optional".to_owned(), "true".to_owned());
        }
        seen.add(p);
    }
    Ok(seen.into_packages())
}

/// `/name/version[_peers]`, `/@scope/name/version[_peers]`, optionally behind a registry host.
fn parse_key_v5(key: &str) -> Option<(&str, &str)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let mut segs: Vec<&str> = k.split('/').collect();
    if segs.len() >= 3 && !segs[0].starts_with('@') && segs[0].contains('.') {
        // registry.example.com/name/1.0.0
        segs.remove(0);
    }
    let (name_len, version) = match segs.as_slice() {
        [scope, _, v, ..] if scope.starts_with('@') => (scope.len() + 1 + segs[1].len(), *v),
        [n, v, ..] if !n.starts_with('@') => (n.len(), *v),
        _ => return None,
    };
    let start = k.find(segs[0])?;
    let name = k.get(start..start + name_len)?;
    let version = version.split(['_', '(']).next()?;
    Some((name, version))
}

/// `/name@version(peers)` (6.0) or `name@version(peers)` (9.0).
fn parse_key_v6(key: &str) -> Option<(&str, &str)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = k.split('(').next()?;
    split_at_version(k)
}

/// For lockfile 9: `packages` keys reachable only from importers' `devDependencies`.
/// `None` when the file has no `importers`/`snapshots` to tell.
fn dev_only_v9(root: &Mapping) -> Option<BTreeSet<String>> {
    let importers = root.get("importers")?.as_mapping()?;
    let snapshots = root.get("snapshots")?.as_mapping()?;
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for importer in importers.values() {
        for section in ["dependencies", "optionalDependencies", "devDependencies"] {
            let Some(deps) = importer.get(section).and_then(Value::as_mapping) else {
                continue;
            };
            for (name, dep) in deps {
                // 9.0 writes `{specifier, version}`; a bare string is accepted too
                let version = dep.get("version").or(Some(dep)).and_then(Value::as_str);
                if let (Some(n), Some(v)) = (name.as_str(), version)
                    && let Some(k) = snapshot_key(n, v)
                {
                    if section == "devDependencies" {
                        dev_roots.push(k);
                    } else {
                        prod_roots.push(k);
                    }
                }
            }
        }
    }
    let strip = |keys: BTreeSet<String>| -> BTreeSet<String> {
        keys.into_iter()
            .map(|k| k.split('(').next().unwrap_or(&k).to_owned())
            .collect()
    };
    let prod = strip(reach(snapshots, prod_roots));
    let dev = strip(reach(snapshots, dev_roots));
    Some(dev.difference(&prod).cloned().collect())
}

/// The `snapshots` key a dependency (`name`, resolved `version`) points at.
fn snapshot_key(name: &str, version: &str) -> Option<String> {
    if is_local_reference(version) {
        return None;
    }
    // aliases resolve to `real-name@version`; peers (`18.2.0(react@18.2.0)`) are no alias
    let base = version.split('(').next().unwrap_or(version);
    if split_at_version(base).is_some_and(|(n, _)| valid_name(n)) {
        return Some(version.to_owned());
    }
    Some(format!("{name}@{version}"))
}

fn reach(snapshots: &Mapping, roots: Vec<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = roots.into();
    while let Some(k) = queue.pop_front() {
        if !seen.insert(k.clone()) {
            continue;
        }
        let Some(snap) = snapshots.get(k.as_str()) else {
            continue;
        };
        for section in ["dependencies", "optionalDependencies"] {
            if let Some(deps) = snap.get(section).and_then(Value::as_mapping) {
                for (n, v) in deps {
                    if let (Some(n), Some(v)) = (n.as_str(), v.as_str())
                        && let Some(next) = snapshot_key(n, v)
                        && !seen.contains(&next)
                    {
                        queue.push_back(next);
                    }
                }
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::javascript::testutil::npm_ls;
    use crate::catalogers::testutil::{dev_ids, fixture, ids, run, scanned, wants};

    #[test]
    fn wanted_paths() {
        assert!(wants(&PnpmLock, "/app/pnpm-lock.yaml"));
        assert!(!wants(&PnpmLock, "/app/node_modules/.pnpm/lock.yaml"));
        assert!(!scanned(&PnpmLock, "/app/node_modules/x/pnpm-lock.yaml"));
    }

    #[test]
    fn keys() {
        assert_eq!(parse_key_v5("/lodash/4.17.21"), Some(("lodash", "4.17.21")));
        assert_eq!(
            parse_key_v5("/@babel/core/7.1.0_supports-color@5.5.0"),
            Some(("@babel/core", "7.1.0"))
        );
        assert_eq!(
            parse_key_v5("registry.example.com/@s/p/1.0.0"),
            Some(("@s/p", "1.0.0"))
        );
        assert_eq!(parse_key_v5("/@babel"), None);
        assert_eq!(
            parse_key_v6("/@babel/core@7.1.0(supports-color@5.5.0)(x@1)"),
            Some(("@babel/core", "7.1.0"))
        );
        assert_eq!(parse_key_v6("lodash@4.17.21"), Some(("lodash", "4.17.21")));
        assert_eq!(parse_key_v6("lodash"), None);
    }

    /// pnpm 7 (lockfile 5.4), 8 (6.0) and 9 (9.0) on the project npm installed (see the fixture
    /// READMEs): the same 20 packages as `npm ls --all`, with the same dev flags.
    #[test]
    fn all_versions_match_npm_tree() {
        let (expected, expected_dev) = npm_ls(&fixture("javascript/npm/npm-ls.json"));
        for dir in ["pnpm-v5", "pnpm-v6", "pnpm-v9"] {
            let data = fixture(&format!("javascript/{dir}/pnpm-lock.yaml"));
            let sink = run(&PnpmLock, "/app/pnpm-lock.yaml", &data).expect("catalog");
            assert_eq!(ids(&sink), expected, "{dir}");
            assert_eq!(dev_ids(&sink), expected_dev, "{dir}");
            assert!(sink.notes().is_empty(), "{dir}: {:?}", sink.notes());
        }
    }

    #[test]
    fn v9_peers_aliases_links_and_shared_deps() {
        let lock = r#"
lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      react-dom:
        specifier: ^18
        version: 18.2.0(react@18.2.0)
      ws:
        specifier: link:../ws
        version: link:../ws
    devDependencies:
      my-react:
        specifier: npm:react@18.2.0
        version: react@18.2.0
      '@types/node':
        specifier: ^20
        version: 20.1.0
  packages/tool:
    devDependencies:
      loose-envify:
        specifier: ^1
        version: 1.4.0
packages:
  react-dom@18.2.0:
    resolution: {integrity: sha512-x}
  react@18.2.0:
    resolution: {integrity: sha512-x}
  loose-envify@1.4.0:
    resolution: {integrity: sha512-x}
  '@types/node@20.1.0':
    resolution: {integrity: sha512-x}
  local@file:packages/local:
    resolution: {directory: packages/local, type: directory}
  tar-dep@https://example.com/t.tgz:
    resolution: {tarball: https://example.com/t.tgz}
    version: 2.0.0
snapshots:
  react-dom@18.2.0(react@18.2.0):
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
  react@18.2.0:
    dependencies:
      loose-envify: 1.4.0
  loose-envify@1.4.0: {}
  '@types/node@20.1.0': {}
"#;
        let mut sink = Sink::default();
        let pkgs = parse_pnpm_lock(lock, &mut sink).expect("parse");
        let mut got: Vec<_> = pkgs
            .iter()
            .map(|p| {
                let dev = p.metadata.get("dev").map_or("", |_| " dev");
                format!("{}@{}{dev}", p.name, p.version)
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                "@types/node@20.1.0 dev",
                "loose-envify@1.4.0",
                "react-dom@18.2.0",
                "react@18.2.0",
                "tar-dep@2.0.0"
            ]
        );
    }

    #[test]
    fn empty_and_malformed() {
        let mut sink = Sink::default();
        assert!(
            parse_pnpm_lock("lockfileVersion: '9.0'\n", &mut sink)
                .expect("parse")
                .is_empty()
        );
        for bad in [
            "lockfileVersion: '9.0'\npackages: [1, 2]\n",
            "packages:\n  /a/1.0.0: {}\n",
            "- just\n- a list\n",
            "lockfileVersion: '6.0'\npackages:\n  /a@1: {\n",
            "\t\u{0}garbage: : :\n  - [",
        ] {
            assert!(
                run(&PnpmLock, "/p/pnpm-lock.yaml", bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
        let full = fixture("javascript/pnpm-v9/pnpm-lock.yaml");
        for cut in (0..full.len()).step_by(89) {
            let _ = run(&PnpmLock, "/p/pnpm-lock.yaml", &full[..cut]);
        }
    }
}
