//! `uv.lock`: TOML with one `[[package]]` table per locked distribution (`name`, `version`,
//! `source`).
//!
//! The project's own workspace members (`source = { editable = "." }` or
//! `source = { virtual = "." }`) are not dependencies and are not reported.
//!
//! uv.lock has no per-package dev flag: development groups appear only as the members'
//! `[package.dev-dependencies]`. The dependency graph is walked from the members' regular
//! and optional dependencies and, separately, from their dev groups; a package reachable only
//! from the latter gets `metadata["dev"] = "true"`. Dependency references carry `version`
//! (and `source`) only when several versions of one name are locked; a reference without one
//! reaches every locked version of that name.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use toml::{Table, Value};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct UvLock;

const NAME: &str = "python-uv-lock";

impl Cataloger for UvLock {
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
        file_name(path) == "uv.lock" && meta.size <= super::MAX_LOCKFILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_uv_lock(&text, out)? {
            out.package(p);
        }
        Ok(())
    }
}

struct Locked<'a> {
    name: &'a str,
    version: Option<&'a str>,
    member: bool,
    table: &'a Table,
}

/// Parse a `uv.lock`; skipped entries become warnings.
pub fn parse_uv_lock(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let doc: Table = toml::from_str(text)
        .map_err(|e| CatalogError::parse(format!("invalid uv.lock: {}", e.message())))?;
    if !doc.contains_key("version") && !doc.contains_key("package") {
        return Err(CatalogError::parse(
            "no `version` or `package`: not a uv.lock",
        ));
    }
    let entries = match doc.get("package") {
        Some(Value::Array(a)) => a.as_slice(),
        None => &[],
        Some(_) => return Err(CatalogError::parse("uv.lock `package` is not an array")),
    };
    let mut locked = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let Some(t) = entry.as_table() else {
            out.warn(format!("uv.lock: package #{i} is not a table"));
            continue;
        };
        let Some(name) = t
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            out.warn(format!("uv.lock: package #{i} has no name"));
            continue;
        };
        let member = t
            .get("source")
            .and_then(Value::as_table)
            .is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual"));
        locked.push(Locked {
            name,
            version: t.get("version").and_then(Value::as_str),
            member,
            table: t,
        });
    }
    let dev = dev_only(&locked);
    let mut found = Vec::new();
    for (i, l) in locked.iter().enumerate() {
        if l.member {
            continue;
        }
        let Some(version) = l.version.filter(|v| !v.is_empty()) else {
            out.warn(format!("uv.lock: `{}` has no version", l.name));
            continue;
        };
        let mut p = Package::new(Ecosystem::PyPi, l.name, version, NAME).declared();
        if dev.contains(&i) {
            p.metadata.insert("dev".to_owned(), "true".to_owned());
        }
        found.push(p);
    }
    Ok(found)
}

/// Indexes of packages reachable from members' dev groups and not from their other
/// dependencies. Empty when the file has no members.
fn dev_only(locked: &[Locked<'_>]) -> BTreeSet<usize> {
    let members: Vec<&Locked<'_>> = locked.iter().filter(|l| l.member).collect();
    if members.is_empty() {
        return BTreeSet::new();
    }
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for m in &members {
        prod_roots.extend(deps_of(m.table, false));
        dev_roots.extend(deps_of(m.table, true));
    }
    let prod = reach(locked, prod_roots);
    let dev = reach(locked, dev_roots);
    dev.difference(&prod)
        .copied()
        .filter(|&i| !locked[i].member)
        .collect()
}

/// Dependency references (name, optional version) of one package: `dependencies` and every
/// `optional-dependencies` extra, or (with `dev`) every `dev-dependencies` group.
fn deps_of(t: &Table, dev: bool) -> Vec<(&str, Option<&str>)> {
    let mut lists: Vec<&Value> = Vec::new();
    if dev {
        if let Some(Value::Table(groups)) = t.get("dev-dependencies") {
            lists.extend(groups.values());
        }
    } else {
        lists.extend(t.get("dependencies"));
        if let Some(Value::Table(extras)) = t.get("optional-dependencies") {
            lists.extend(extras.values());
        }
    }
    lists
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|d| {
            let name = d.get("name")?.as_str()?;
            Some((name, d.get("version").and_then(Value::as_str)))
        })
        .collect()
}

fn reach(locked: &[Locked<'_>], roots: Vec<(&str, Option<&str>)>) -> BTreeSet<usize> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in locked.iter().enumerate() {
        by_name.entry(l.name).or_default().push(i);
    }
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<(&str, Option<&str>)> = roots.into();
    while let Some((name, version)) = queue.pop_front() {
        for &i in by_name.get(name).map(Vec::as_slice).unwrap_or_default() {
            let l = &locked[i];
            if (version.is_none() || version == l.version) && seen.insert(i) {
                queue.extend(deps_of(l.table, false));
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::python::tests_support::freeze_ids;
    use crate::catalogers::testutil::{dev_ids, fixture, ids, run, wants};

    #[test]
    fn wanted_paths() {
        assert!(wants(&UvLock, "/app/uv.lock"));
        assert!(!wants(&UvLock, "/app/uv.toml"));
    }

    /// uv's lock of a small project (the project itself is a `virtual` member), compared with
    /// what `uv sync` installed.
    #[test]
    fn real_lock_matches_installed() {
        let sink = run(&UvLock, "/app/uv.lock", &fixture("python/uv/uv.lock")).expect("catalog");
        assert_eq!(ids(&sink), freeze_ids(&fixture("python/uv/freeze.txt")));
        assert_eq!(ids(&sink).len(), 8);
        assert!(!ids(&sink).iter().any(|i| i.starts_with("fixture-app@")));
        assert_eq!(dev_ids(&sink), ["toml@0.10.2"]);
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    #[test]
    fn editable_members_versions_and_shared_dev_deps() {
        let lock = r#"
version = 1
requires-python = ">=3.9"

[[package]]
name = "app"
source = { editable = "." }
dependencies = [{ name = "numpy", version = "2.0.0", source = { registry = "https://pypi.org/simple" } }]

[package.optional-dependencies]
yaml = [{ name = "pyyaml" }]

[package.dev-dependencies]
test = [{ name = "pytest" }, { name = "numpy", version = "1.26.4", source = { registry = "https://pypi.org/simple" } }]

[[package]]
name = "lib"
version = "0.1.0"
source = { virtual = "lib" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pyyaml"
version = "6.0.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "pyyaml" }]

[[package]]
name = "local"
version = "0.2.0"
source = { directory = "../local" }

[[package]]
name = "broken"
source = { registry = "https://pypi.org/simple" }
"#;
        let mut sink = Sink::default();
        let pkgs = parse_uv_lock(lock, &mut sink).expect("parse");
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
        assert_eq!(
            got,
            [
                "numpy@1.26.4 true",
                "numpy@2.0.0 false",
                "pyyaml@6.0.1 false",
                "pytest@8.0.0 true",
                "local@0.2.0 false"
            ]
        );
        assert_eq!(sink.notes().len(), 1, "{:?}", sink.notes());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            "version = 1\n[[package]\n",
            "package = \"x\"",
            "[tool.uv]\nx = 1",
            "version = 1\npackage = [1,",
        ] {
            assert!(run(&UvLock, "/p/uv.lock", bad.as_bytes()).is_err(), "{bad}");
        }
        let full = fixture("python/uv/uv.lock");
        for cut in (0..full.len()).step_by(211) {
            let _ = run(&UvLock, "/p/uv.lock", &full[..cut]);
        }
    }
}
