//! Installed Node packages: the `package.json` at the root of each package directory.
//!
//! Which `package.json` files are read:
//!
//! - inside a `node_modules/` tree, at any depth, only a package's own manifest:
//!   `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`.
//!   Manifests deeper inside a package (`dist/esm/package.json` saying `{"type":"module"}`,
//!   test fixtures with made-up names) describe no installed package and are not read;
//! - the same rule under the directories where Debian and Alpine install system modules:
//!   `/usr/share/nodejs/`, `/usr/lib/nodejs/`, `/usr/lib/<triplet>/nodejs/` and
//!   `/usr/share/javascript/`;
//! - anywhere else, every `package.json`: that is an application or a project checkout
//!   (`/app/package.json`). Like Syft, and unlike Trivy (which reads `node_modules` only), we
//!   report it when it has a `name` and a `version`, because an application deployed without
//!   its lockfile is still a package someone may publish advisories for. When it says
//!   `"private": true` the package gets `metadata["private"] = "true"` so that consumers can
//!   drop it.
//!
//! A manifest without both `name` and `version` is skipped without a note (many legitimate
//! ones have neither). Licences come from `license` (a string, or the legacy `{ "type": … }`
//! object) or the legacy `licenses` array.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use crate::catalogers::javascript::valid_name;
use serde_json::Value;
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct PackageJson;

const NAME: &str = "javascript-package-json";

/// Largest manifest we read; real ones are a few KiB.
const MAX_SIZE: u64 = 8 << 20;

/// Directories (below `/usr`) under which distributions install Node modules, one per package.
const SYSTEM_ROOTS: [&str; 3] = [
    "/usr/share/nodejs/",
    "/usr/lib/nodejs/",
    "/usr/share/javascript/",
];

impl Cataloger for PackageJson {
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
        file_name(path) == "package.json" && meta.size <= MAX_SIZE && wanted_path(path)
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        if let Some(p) = parse_package_json(&bytes)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Whether a `package.json` path is a package's own manifest (see the module docs).
fn wanted_path(path: &str) -> bool {
    if let Some(i) = path.rfind("/node_modules/") {
        return package_root_manifest(&path[i + "/node_modules/".len()..]);
    }
    if let Some(rest) = path.strip_prefix("node_modules/") {
        return package_root_manifest(rest);
    }
    for root in SYSTEM_ROOTS {
        if let Some(rest) = path.strip_prefix(root) {
            return package_root_manifest(rest);
        }
    }
    // /usr/lib/x86_64-linux-gnu/nodejs/<name>/package.json (Debian, arch-dependent modules)
    if let Some(rest) = path.strip_prefix("/usr/lib/")
        && let Some((triplet, rest)) = rest.split_once('/')
        && !triplet.is_empty()
        && let Some(rest) = rest.strip_prefix("nodejs/")
    {
        return package_root_manifest(rest);
    }
    true
}

/// `name/package.json` or `@scope/name/package.json`, relative to a modules directory.
fn package_root_manifest(rest: &str) -> bool {
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [name, "package.json"] => !name.is_empty() && !name.starts_with('@'),
        [scope, name, "package.json"] => {
            scope.len() > 1 && scope.starts_with('@') && !name.is_empty()
        }
        _ => false,
    }
}

/// Parse one `package.json`. `Ok(None)` when it names no versioned package.
pub fn parse_package_json(bytes: &[u8]) -> Result<Option<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CatalogError::parse(format!("invalid package.json: {e}")))?;
    let Some(obj) = v.as_object() else {
        return Err(CatalogError::parse("package.json is not a JSON object"));
    };
    let name = obj.get("name").and_then(Value::as_str).map(str::trim);
    let version = obj.get("version").and_then(Value::as_str).map(str::trim);
    let (Some(name), Some(version)) = (name, version) else {
        return Ok(None);
    };
    if version.is_empty() || !valid_name(name) {
        return Ok(None);
    }
    let mut p = Package::new(Ecosystem::Npm, name, version, NAME);
    p.licenses = licenses(obj);
    if obj.get("private").and_then(Value::as_bool) == Some(true) {
        p.metadata.insert("private".to_owned(), "true".to_owned());
    }
    Ok(Some(p))
}

fn licenses(obj: &serde_json::Map<String, Value>) -> Vec<String> {
    fn one(v: &Value) -> Option<String> {
        let s = match v {
            Value::String(s) => s.as_str(),
            Value::Object(o) => o.get("type").and_then(Value::as_str)?,
            _ => return None,
        };
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    }
    if let Some(l) = obj.get("license").and_then(one) {
        return vec![l];
    }
    match obj.get("licenses") {
        Some(Value::Array(a)) => a.iter().filter_map(one).collect(),
        Some(other) => one(other).into_iter().collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::javascript::testutil::npm_ls;
    use crate::catalogers::testutil::{fixture, ids, run, wants};
    use std::path::Path;

    #[test]
    fn wanted_paths() {
        let c = PackageJson;
        for p in [
            "/app/node_modules/lodash/package.json",
            "/app/node_modules/@babel/code-frame/package.json",
            "/app/node_modules/debug/node_modules/ms/package.json",
            "/app/node_modules/@a/b/node_modules/@c/d/package.json",
            "/usr/lib/node_modules/npm/package.json",
            "/usr/lib/node_modules/npm/node_modules/semver/package.json",
            "/usr/share/nodejs/ms/package.json",
            "/usr/share/nodejs/@types/node/package.json",
            "/usr/lib/nodejs/acorn/package.json",
            "/usr/lib/x86_64-linux-gnu/nodejs/ws/package.json",
            "/usr/share/javascript/jquery/package.json",
            "/app/package.json",
            "/src/project/packages/web/package.json",
        ] {
            assert!(wants(&c, p), "{p}");
        }
        for p in [
            "/app/node_modules/lodash/fp/package.json",
            "/app/node_modules/@babel/package.json",
            "/app/node_modules/package.json",
            "/app/node_modules/x/dist/esm/package.json",
            "/usr/share/nodejs/ms/test/package.json",
            "/usr/share/nodejs/package.json",
            "/app/node_modules/.package-lock.json",
            "/app/package-lock.json",
            "/app/package.json.bak",
        ] {
            assert!(!wants(&c, p), "{p}");
        }
    }

    #[test]
    fn licence_forms() {
        let get = |s: &str| {
            parse_package_json(s.as_bytes())
                .expect("parse")
                .expect("package")
                .licenses
        };
        assert_eq!(
            get(r#"{"name":"a","version":"1.0.0","license":"MIT"}"#),
            ["MIT"]
        );
        assert_eq!(
            get(r#"{"name":"a","version":"1.0.0","license":{"type":"ISC","url":"x"}}"#),
            ["ISC"]
        );
        assert_eq!(
            get(
                r#"{"name":"a","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#
            ),
            ["MIT", "Apache-2.0"]
        );
        assert_eq!(
            get(r#"{"name":"a","version":"1.0.0","licenses":["BSD-3-Clause"]}"#),
            ["BSD-3-Clause"]
        );
        assert!(get(r#"{"name":"a","version":"1.0.0","license":42}"#).is_empty());
    }

    #[test]
    fn needs_name_and_version() {
        for s in [
            r#"{"type":"module"}"#,
            r#"{"name":"a"}"#,
            r#"{"version":"1.0.0"}"#,
            r#"{"name":"a","version":""}"#,
            r#"{"name":"a","version":1}"#,
            r#"{"name":"has space","version":"1.0.0"}"#,
        ] {
            assert!(
                parse_package_json(s.as_bytes()).expect("parse").is_none(),
                "{s}"
            );
        }
    }

    #[test]
    fn private_projects_are_marked() {
        let p = parse_package_json(br#"{"name":"app","version":"0.1.0","private":true}"#)
            .expect("parse")
            .expect("package");
        assert_eq!(p.metadata.get("private").map(String::as_str), Some("true"));
        let p = parse_package_json(br#"{"name":"lib","version":"0.1.0"}"#)
            .expect("parse")
            .expect("package");
        assert!(p.metadata.is_empty());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for s in [
            &b"{\"name\":\"a\",\"vers"[..],
            b"",
            b"[1,2]",
            b"\"x\"",
            b"\xff\xfe{",
        ] {
            assert!(run(&PackageJson, "/n/node_modules/a/package.json", s).is_err());
        }
    }

    /// Every `package.json` of a real `npm install` tree (see the fixture README), compared with
    /// what `npm ls --all --json --long` recorded for the same install.
    #[test]
    fn npm_installed_tree_matches_npm_ls() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/javascript/npm");
        let (found, licences) = scan_tree(&root, "node_modules", "/app");
        let (expected, _) = npm_ls(&fixture("javascript/npm/npm-ls.json"));
        assert_eq!(found, expected);
        assert_eq!(found.len(), 20);
        // the alias directory node_modules/my-lodash holds the real lodash
        assert!(found.contains(&"lodash@4.17.21".to_owned()));
        assert!(found.contains(&"lodash@4.17.20".to_owned()));
        // nested node_modules/debug/node_modules/ms
        assert!(found.contains(&"ms@2.0.0".to_owned()));
        assert!(found.contains(&"@babel/code-frame@7.10.4".to_owned()));
        assert!(licences.iter().all(|l| !l.is_empty()), "{licences:?}");
    }

    /// Debian's `node-ms` and `node-balanced-match` (bookworm): modules in `/usr/share/nodejs`,
    /// including the `@types/ms` that `node-ms` bundles.
    #[test]
    fn debian_system_modules() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/javascript/debian-nodejs");
        let (found, licences) = scan_tree(&root, "usr", "");
        assert_eq!(
            found,
            ["@types/ms@0.7.31", "balanced-match@2.0.0", "ms@2.1.3"]
        );
        assert!(licences.iter().all(|l| l == &["MIT"]), "{licences:?}");
    }

    /// Catalog every wanted file of a fixture tree, as if it were mounted at `mount`.
    fn scan_tree(root: &Path, sub: &str, mount: &str) -> (Vec<String>, Vec<Vec<String>>) {
        let mut files = Vec::new();
        collect(&root.join(sub), &mut files);
        let c = PackageJson;
        let mut found = Vec::new();
        let mut licences = Vec::new();
        for f in &files {
            let rel = f.strip_prefix(root).expect("under root");
            let vpath = format!("{mount}/{}", rel.to_string_lossy());
            if !wants(&c, &vpath) {
                continue;
            }
            let data = std::fs::read(f).expect("read");
            let sink = run(&c, &vpath, &data).expect("catalog");
            found.extend(ids(&sink));
            licences.extend(sink.packages().iter().map(|p| p.licenses.clone()));
        }
        found.sort();
        (found, licences)
    }

    fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                collect(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}
