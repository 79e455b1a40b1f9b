//! Composer: `composer.lock` (declared) and `vendor/composer/installed.json` (installed).
//!
//! - `composer.lock`: the `packages` and `packages-dev` arrays; the latter get
//!   `metadata["dev"] = "true"`.
//! - `installed.json`: Composer 1 writes a top-level array of packages, Composer 2 an object
//!   `{"packages": [...], "dev": bool, "dev-package-names": [...]}`; packages named in
//!   `dev-package-names` get `metadata["dev"] = "true"`.
//!
//! Names are `vendor/package` as written. Versions drop a leading `v` only when a digit
//! follows (`v5.4.0` → `5.4.0`, as Packagist's normalised versions and OSV's Packagist
//! advisories write them; `dev-main` is kept). Licences come from the `license` array (or a
//! lone string). Entries that are Composer's own plumbing — `metapackage`s have no code — are
//! still reported, as Composer lists them; `type: "project"`, the root, never appears in
//! these files.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use serde_json::Value;
use std::collections::BTreeSet;
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

/// `composer.lock`.
pub struct ComposerLock;
/// `vendor/composer/installed.json`.
pub struct ComposerInstalled;

const LOCK_NAME: &str = "php-composer-lock";
const INSTALLED_NAME: &str = "php-composer-installed";

/// Largest file read.
const MAX_FILE: u64 = 64 << 20;

impl Cataloger for ComposerLock {
    fn name(&self) -> &'static str {
        LOCK_NAME
    }
    fn tags(&self) -> Tags {
        Tags {
            os: false,
            installed: false,
        }
    }
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        file_name(path) == "composer.lock" && meta.size <= MAX_FILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for p in parse_composer_lock(&bytes, out)? {
            out.package(p);
        }
        Ok(())
    }
}

impl Cataloger for ComposerInstalled {
    fn name(&self) -> &'static str {
        INSTALLED_NAME
    }
    fn tags(&self) -> Tags {
        Tags {
            os: false,
            installed: true,
        }
    }
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        path.ends_with("/composer/installed.json") && meta.size <= MAX_FILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let bytes = file.read_all()?;
        for p in parse_installed_json(&bytes, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse a `composer.lock`.
pub fn parse_composer_lock(bytes: &[u8], out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CatalogError::parse(format!("invalid composer.lock: {e}")))?;
    let Some(root) = v.as_object() else {
        return Err(CatalogError::parse("composer.lock is not a JSON object"));
    };
    if !root.contains_key("packages") && !root.contains_key("packages-dev") {
        return Err(CatalogError::parse(
            "no `packages` or `packages-dev`: not a composer.lock",
        ));
    }
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for (key, dev) in [("packages", false), ("packages-dev", true)] {
        match root.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for (i, e) in a.iter().enumerate() {
                    let ctx = format!("composer.lock `{key}` #{i}");
                    if let Some(p) = package(e, LOCK_NAME, true, &ctx, out) {
                        push(&mut seen, &mut found, p, dev);
                    }
                }
            }
            Some(_) => {
                return Err(CatalogError::parse(format!(
                    "composer.lock `{key}` is not an array"
                )));
            }
        }
    }
    Ok(found)
}

/// Parse a `vendor/composer/installed.json` (Composer 1 or 2).
pub fn parse_installed_json(bytes: &[u8], out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CatalogError::parse(format!("invalid installed.json: {e}")))?;
    let (packages, dev_names): (&[Value], BTreeSet<&str>) = match &v {
        Value::Array(a) => (a, BTreeSet::new()),
        Value::Object(o) => match o.get("packages") {
            Some(Value::Array(a)) => (
                a,
                o.get("dev-package-names")
                    .and_then(Value::as_array)
                    .map(|d| d.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default(),
            ),
            _ => {
                return Err(CatalogError::parse(
                    "installed.json has no `packages` array",
                ));
            }
        },
        _ => {
            return Err(CatalogError::parse(
                "installed.json is neither an array nor an object",
            ));
        }
    };
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for (i, e) in packages.iter().enumerate() {
        let ctx = format!("installed.json package #{i}");
        if let Some(p) = package(e, INSTALLED_NAME, false, &ctx, out) {
            let dev = dev_names.contains(p.name.as_str());
            push(&mut seen, &mut found, p, dev);
        }
    }
    Ok(found)
}

fn push(
    seen: &mut BTreeSet<(String, String)>,
    found: &mut Vec<Package>,
    mut p: Package,
    dev: bool,
) {
    if seen.insert((p.name.clone(), p.version.clone())) {
        if dev {
            p.metadata.insert("dev".to_owned(), "true".to_owned());
        }
        found.push(p);
    }
}

fn package(
    e: &Value,
    cataloger: &str,
    declared: bool,
    ctx: &str,
    out: &mut Sink,
) -> Option<Package> {
    let Some(o) = e.as_object() else {
        out.warn(format!("{ctx} is not an object"));
        return None;
    };
    let name = o.get("name").and_then(Value::as_str).map(str::trim);
    let version = o.get("version").and_then(Value::as_str).map(str::trim);
    let (Some(name), Some(version)) = (name, version) else {
        out.warn(format!("{ctx} has no name or version"));
        return None;
    };
    if !valid_name(name) || version.is_empty() || version.len() > 200 {
        out.warn(format!("{ctx} has an invalid name or version"));
        return None;
    }
    let mut p = Package::new(
        Ecosystem::Packagist,
        name,
        normalize_version(version),
        cataloger,
    );
    if declared {
        p = p.declared();
    }
    p.licenses = match o.get("license") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|l| !l.is_empty() && l.len() <= 200)
            .take(32)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(l)) if !l.is_empty() && l.len() <= 200 => vec![l.clone()],
        _ => Vec::new(),
    };
    Some(p)
}

/// `v1.2.3` → `1.2.3`; `dev-main`, `1.2.3` unchanged.
fn normalize_version(v: &str) -> &str {
    match v.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => v,
    }
}

/// `vendor/package`, one slash, no spaces.
fn valid_name(n: &str) -> bool {
    n.len() <= 214
        && n.split_once('/')
            .is_some_and(|(v, p)| !v.is_empty() && !p.is_empty() && !p.contains('/'))
        && !n.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::testutil::{dev_ids, fixture, ids, run, scanned, wants};

    #[test]
    fn wanted_paths() {
        assert!(wants(&ComposerLock, "/var/www/app/composer.lock"));
        assert!(!scanned(
            &ComposerLock,
            "/var/www/app/vendor/foo/bar/composer.lock"
        ));
        assert!(wants(
            &ComposerInstalled,
            "/var/www/app/vendor/composer/installed.json"
        ));
        assert!(!wants(&ComposerInstalled, "/var/www/app/installed.json"));
    }

    #[test]
    fn versions() {
        assert_eq!(normalize_version("v5.4.0"), "5.4.0");
        assert_eq!(normalize_version("V2.0"), "2.0");
        assert_eq!(normalize_version("1.2.3"), "1.2.3");
        assert_eq!(normalize_version("dev-main"), "dev-main");
        assert_eq!(normalize_version("very-old"), "very-old");
        assert_eq!(normalize_version("v"), "v");
    }
    /// `composer show --format=json`: name@version (v stripped as the cataloger does).
    fn composer_show() -> Vec<String> {
        let v: Value =
            serde_json::from_slice(&fixture("php/composer2/composer-show.json")).expect("json");
        let mut out: Vec<String> = v["installed"]
            .as_array()
            .expect("installed")
            .iter()
            .map(|p| {
                let ver = p["version"].as_str().expect("version");
                format!(
                    "{}@{}",
                    p["name"].as_str().expect("name"),
                    normalize_version(ver)
                )
            })
            .collect();
        out.sort();
        out
    }

    fn licences(sink: &Sink, name: &str) -> Vec<String> {
        sink.packages()
            .iter()
            .find(|p| p.name == name)
            .expect(name)
            .licenses
            .clone()
    }

    #[test]
    fn real_composer2_lock_and_installed_match_composer_show() {
        let expected = composer_show();
        assert_eq!(
            expected,
            [
                "acme/http-client@1.4.2",
                "acme/log@2.0.0",
                "acme/polyfill@dev-main",
                "acme/test-helpers@0.9.0"
            ]
        );
        let lock = run(
            &ComposerLock,
            "/app/composer.lock",
            &fixture("php/composer2/composer.lock"),
        )
        .expect("lock");
        let inst = run(
            &ComposerInstalled,
            "/app/vendor/composer/installed.json",
            &fixture("php/composer2/vendor/composer/installed.json"),
        )
        .expect("installed");
        for (label, sink) in [("lock", &lock), ("installed", &inst)] {
            assert_eq!(ids(sink), expected, "{label}");
            assert_eq!(dev_ids(sink), ["acme/test-helpers@0.9.0"], "{label}");
            assert_eq!(
                licences(sink, "acme/log"),
                ["MIT", "GPL-2.0-or-later"],
                "{label}"
            );
            assert_eq!(licences(sink, "acme/http-client"), ["MIT"], "{label}");
            assert!(sink.notes().is_empty(), "{label}: {:?}", sink.notes());
            assert!(
                sink.packages()
                    .iter()
                    .all(|p| p.ecosystem == Ecosystem::Packagist)
            );
        }
        assert!(
            lock.packages()
                .iter()
                .all(|p| p.kind == vigil_types::PackageKind::Declared)
        );
        assert!(
            inst.packages()
                .iter()
                .all(|p| p.kind == vigil_types::PackageKind::Installed)
        );
    }

    #[test]
    fn composer1_installed_array() {
        let sink = run(
            &ComposerInstalled,
            "/app/vendor/composer/installed.json",
            &fixture("php/composer1/vendor/composer/installed.json"),
        )
        .expect("installed");
        assert_eq!(ids(&sink), composer_show());
        // Composer 1 does not record which packages are dev-only
        assert!(dev_ids(&sink).is_empty());
    }

    #[test]
    fn odd_entries_are_warnings() {
        let lock = br#"{"packages": [
            {"name": "a/b", "version": "v1.0.0", "license": "MIT"},
            {"name": "a/b", "version": "1.0.0"},
            {"name": "noslash", "version": "1.0"},
            {"name": "c/d"},
            7
        ], "packages-dev": null}"#;
        let sink = run(&ComposerLock, "/x/composer.lock", lock).expect("lock");
        assert_eq!(ids(&sink), ["a/b@1.0.0"]);
        assert_eq!(licences(&sink, "a/b"), ["MIT"]);
        assert_eq!(sink.notes().len(), 3, "{:?}", sink.notes());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"[]",
            b"{}",
            br#"{"packages": {}}"#,
            b"{\"packages\": [",
            b"null",
        ] {
            assert!(
                run(&ComposerLock, "/x/composer.lock", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        for bad in [&b""[..], b"{}", br#"{"packages": 3}"#, b"\"x\"", b"[{"] {
            assert!(
                run(&ComposerInstalled, "/x/vendor/composer/installed.json", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let full = fixture("php/composer2/composer.lock");
        for cut in (0..full.len()).step_by(7) {
            let _ = run(&ComposerLock, "/x/composer.lock", &full[..cut]);
        }
    }
}
