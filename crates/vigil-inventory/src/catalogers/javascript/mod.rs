//! JavaScript (npm ecosystem): installed `package.json` files and the lockfiles of npm, yarn
//! (classic and berry) and pnpm.
//!
//! Names are reported the way npm spells them, scope included (`@babel/code-frame`); the purl
//! builder splits the scope into the purl namespace. Aliased dependencies
//! (`"my-lodash": "npm:lodash@4.17.21"`) are reported under the real package name, with the
//! alias kept in `metadata["alias"]`, because advisories are about the real package.
//!
//! Lockfiles found inside `node_modules/` (npm's hidden `node_modules/.package-lock.json`, or
//! the lockfiles some packages publish) are not read: the installed tree is reported by
//! [`package_json`] and a published package's lockfile describes its own development setup,
//! not what was installed.

pub mod package_json;
pub mod package_lock;
pub mod pnpm_lock;
pub mod yarn_lock;

use std::collections::BTreeMap;
use vigil_types::{Ecosystem, Package};

/// Largest lockfile we read (real monorepo lockfiles reach tens of MiB).
pub(crate) const MAX_LOCKFILE: u64 = 128 << 20;

/// Split `name@version` (or `name@range`) at the `@` that ends the name, so that a scope's
/// leading `@` is not taken for it: `@babel/core@7.1.0` gives (`@babel/core`, `7.1.0`).
pub(crate) fn split_at_version(spec: &str) -> Option<(&str, &str)> {
    let start = usize::from(spec.starts_with('@'));
    let at = spec.get(start..)?.find('@')? + start;
    let (name, rest) = (&spec[..at], &spec[at + 1..]);
    (!name.is_empty()).then_some((name, rest))
}

/// Whether a string is a plausible npm package name (`name` or `@scope/name`): used to reject
/// garbage keys rather than report them.
pub(crate) fn valid_name(name: &str) -> bool {
    let bare = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, n)) if !scope.is_empty() && !n.contains('/') => n,
            _ => return false,
        },
        None => name,
    };
    !bare.is_empty()
        && name.len() <= 214
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
        && !bare.contains('/')
}

/// Whether a version (or a dependency specifier standing in for one) points at local code
/// rather than a published package: such entries are project workspaces, not dependencies.
pub(crate) fn is_local_reference(version: &str) -> bool {
    ["file:", "link:", "workspace:", "portal:"]
        .iter()
        .any(|p| version.starts_with(p))
}

/// Collects the packages of one lockfile, once per (name, version): lockfiles list the same
/// package at several places of the tree. A package is development-only when every occurrence
/// is.
#[derive(Default)]
pub(crate) struct Dedup {
    seen: BTreeMap<(String, String), Package>,
    order: Vec<(String, String)>,
}

impl Dedup {
    pub(crate) fn add(&mut self, p: Package) {
        let key = (p.name.clone(), p.version.clone());
        match self.seen.get_mut(&key) {
            Some(existing) => {
                if existing.metadata.get("dev").map(String::as_str) == Some("true")
                    && p.metadata.get("dev").map(String::as_str) != Some("true")
                {
                    existing.metadata.remove("dev");
                }
                for (k, v) in p.metadata {
                    if k != "dev" {
                        existing.metadata.entry(k).or_insert(v);
                    }
                }
            }
            None => {
                self.order.push(key.clone());
                self.seen.insert(key, p);
            }
        }
    }

    pub(crate) fn into_packages(mut self) -> Vec<Package> {
        let mut out = Vec::with_capacity(self.order.len());
        for key in self.order {
            if let Some(p) = self.seen.remove(&key) {
                out.push(p);
            }
        }
        out
    }
}

/// A declared npm package.
pub(crate) fn declared(name: &str, version: &str, cataloger: &str) -> Package {
    Package::new(Ecosystem::Npm, name, version, cataloger).declared()
}

#[cfg(test)]
pub(crate) mod testutil {
    /// The distinct `name@version` of an `npm ls --all --json --long` tree (which gives the real
    /// `name` of aliases), and those of them that are only ever development dependencies.
    pub(crate) fn npm_ls(json: &[u8]) -> (Vec<String>, Vec<String>) {
        use serde_json::Value;
        use std::collections::BTreeMap;
        fn walk(deps: &serde_json::Map<String, Value>, out: &mut BTreeMap<String, bool>) {
            for d in deps.values() {
                let id = format!(
                    "{}@{}",
                    d["name"].as_str().expect("name"),
                    d["version"].as_str().expect("version")
                );
                let dev = d["dev"].as_bool().unwrap_or(false);
                let e = out.entry(id).or_insert(true);
                *e = *e && dev;
                if let Some(Value::Object(sub)) = d.get("dependencies") {
                    walk(sub, out);
                }
            }
        }
        let v: Value = serde_json::from_slice(json).expect("npm ls json");
        let mut all = BTreeMap::new();
        walk(v["dependencies"].as_object().expect("deps"), &mut all);
        let dev = all
            .iter()
            .filter(|(_, d)| **d)
            .map(|(k, _)| k.clone())
            .collect();
        (all.into_keys().collect(), dev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_scoped_names() {
        assert_eq!(
            split_at_version("@babel/core@7.1.0"),
            Some(("@babel/core", "7.1.0"))
        );
        assert_eq!(split_at_version("lodash@^4"), Some(("lodash", "^4")));
        assert_eq!(
            split_at_version("my@npm:lodash@4"),
            Some(("my", "npm:lodash@4"))
        );
        assert_eq!(split_at_version("@babel/core"), None);
        assert_eq!(split_at_version("@x"), None);
        assert_eq!(split_at_version("@"), None);
    }

    #[test]
    fn validates_names() {
        assert!(valid_name("lodash"));
        assert!(valid_name("@babel/code-frame"));
        assert!(!valid_name("@babel"));
        assert!(!valid_name("a/b"));
        assert!(!valid_name(""));
        assert!(!valid_name("has space"));
    }
}
