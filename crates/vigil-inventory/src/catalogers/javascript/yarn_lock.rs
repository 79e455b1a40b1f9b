//! `yarn.lock`, both formats:
//!
//! - classic (yarn 1, `# yarn lockfile v1`): a custom format of unindented headers listing the
//!   specifiers an entry satisfies (`"@babel/code-frame@^7.0.0", "@babel/code-frame@7.10.4":`)
//!   followed by two-space indented fields, among them `version "7.10.4"`;
//! - berry (yarn 2+, has a `__metadata` entry): YAML whose keys are specifier lists
//!   (`"lodash@npm:^4.17.0, lodash@npm:4.17.21":`) and whose values carry `version` and
//!   `resolution` (`lodash@npm:4.17.21`). The name comes from the resolution, which is the real
//!   package even for aliases.
//!
//! Aliases (`my-lodash@npm:lodash@4.17.21`) are reported under the real name with
//! `metadata["alias"]`. Entries resolving to local code (`workspace:`, `link:`, `portal:`,
//! `file:`), which include the project itself in berry, are not reported. Berry `patch:`
//! entries are reported as the package they patch (once, as the unpatched entry is also
//! present). A `yarn.lock` says nothing about which packages are development-only, so no `dev`
//! flag is set.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use crate::catalogers::javascript::{
    Dedup, MAX_LOCKFILE, declared, is_local_reference, split_at_version, valid_name,
};
use serde_yaml_ng::Value;
use vigil_source::EntryMeta;
use vigil_types::Package;

pub struct YarnLock;

const NAME: &str = "javascript-yarn-lock";

impl Cataloger for YarnLock {
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
        file_name(path) == "yarn.lock" && meta.size <= MAX_LOCKFILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_yarn_lock(&text, out)? {
            out.package(p);
        }
        Ok(())
    }
}

/// Parse either yarn.lock format; skipped entries become warnings.
pub fn parse_yarn_lock(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let berry = text
        .lines()
        .any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"));
    if berry {
        parse_berry(text, out)
    } else {
        parse_classic(text, out)
    }
}

/// The package a specifier (`name@range`) refers to: (real name, alias when aliased), or
/// `None` for local code.
fn spec_package(spec: &str) -> Option<(&str, Option<&str>)> {
    let (name, range) = split_at_version(spec)?;
    if is_local_reference(range) {
        return None;
    }
    match range.strip_prefix("npm:").and_then(split_at_version) {
        Some((real, _)) => Some((real, Some(name))),
        None => Some((name, None)),
    }
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

fn parse_classic(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    struct Entry<'a> {
        header: &'a str,
        line: usize,
        version: Option<&'a str>,
    }
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut garbage = 0usize;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed.trim_start().is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') && !line.starts_with('\t') {
            match trimmed.strip_suffix(':') {
                Some(header) => entries.push(Entry {
                    header,
                    line: i + 1,
                    version: None,
                }),
                None => garbage += 1,
            }
            continue;
        }
        // fields of the current entry: exactly two spaces; deeper lines are dependency lists
        let Some(field) = line.strip_prefix("  ").filter(|f| !f.starts_with(' ')) else {
            continue;
        };
        if let (Some(e), Some(v)) = (entries.last_mut(), field.strip_prefix("version ")) {
            e.version = Some(unquote(v));
        }
    }
    if entries.is_empty() && garbage > 0 {
        return Err(CatalogError::parse(
            "no entries found: not a yarn.lock (classic or berry)",
        ));
    }
    if garbage > 0 {
        out.warn(format!(
            "yarn.lock: {garbage} unrecognised top-level lines skipped"
        ));
    }
    let mut seen = Dedup::default();
    for e in entries {
        let first = e.header.split(", ").next().map(unquote).unwrap_or_default();
        let Some((name, alias)) = spec_package(first) else {
            if split_at_version(first).is_none() {
                out.warn(format!("yarn.lock line {}: bad entry header", e.line));
            }
            continue;
        };
        let Some(version) = e.version.filter(|v| !v.is_empty()) else {
            out.warn(format!(
                "yarn.lock line {}: `{name}` has no version",
                e.line
            ));
            continue;
        };
        if !valid_name(name) {
            out.warn(format!("yarn.lock line {}: invalid package name", e.line));
            continue;
        }
        let mut p = declared(name, version, NAME);
        if let Some(a) = alias {
            p.metadata.insert("alias".to_owned(), a.to_owned());
        }
        seen.add(p);
    }
    Ok(seen.into_packages())
}

fn parse_berry(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let doc: Value = serde_yaml_ng::from_str(text)
        .map_err(|e| CatalogError::parse(format!("invalid yarn.lock (berry YAML): {e}")))?;
    let Some(map) = doc.as_mapping() else {
        return Err(CatalogError::parse(
            "yarn.lock (berry) is not a YAML mapping",
        ));
    };
    let mut seen = Dedup::default();
    for (k, v) in map {
        let Some(key) = k.as_str() else {
            out.warn("yarn.lock: non-string entry key skipped");
            continue;
        };
        if key == "__metadata" {
            continue;
        }
        let version = match v.get("version") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                out.warn(format!("yarn.lock: `{key}` has no version"));
                continue;
            }
        };
        let first_spec = key.split(", ").next().map(unquote).unwrap_or_default();
        let resolution = v.get("resolution").and_then(Value::as_str);
        let Some((name, reference)) = resolution.or(Some(first_spec)).and_then(split_at_version)
        else {
            out.warn(format!("yarn.lock: `{key}` has no usable resolution"));
            continue;
        };
        if is_local_reference(reference) {
            continue;
        }
        // patch:resolve@npm%3A1.22.8#… patches `resolve`, whose name is the entry's name
        if !valid_name(name) || version.is_empty() {
            out.warn(format!("yarn.lock: `{key}` has an invalid name or version"));
            continue;
        }
        let mut p = declared(name, &version, NAME);
        if let Some((spec_name, _)) = split_at_version(first_spec)
            && spec_name != name
        {
            p.metadata.insert("alias".to_owned(), spec_name.to_owned());
        }
        seen.add(p);
    }
    Ok(seen.into_packages())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::javascript::testutil::npm_ls;
    use crate::catalogers::testutil::{fixture, ids, run, scanned, wants};

    fn expected() -> Vec<String> {
        npm_ls(&fixture("javascript/npm/npm-ls.json")).0
    }

    fn aliases(sink: &Sink) -> Vec<(String, String)> {
        sink.packages()
            .iter()
            .filter_map(|p| Some((p.metadata.get("alias")?.clone(), p.name.clone())))
            .collect()
    }

    #[test]
    fn wanted_paths() {
        assert!(wants(&YarnLock, "/app/yarn.lock"));
        assert!(!scanned(&YarnLock, "/app/node_modules/x/yarn.lock"));
        assert!(!wants(&YarnLock, "/app/yarn.lock.bak"));
    }

    /// yarn 1 resolved the same project as npm (see the fixture README) to the same 20 packages.
    #[test]
    fn classic_matches_npm_tree() {
        let data = fixture("javascript/yarn-classic/yarn.lock");
        let sink = run(&YarnLock, "/app/yarn.lock", &data).expect("catalog");
        assert_eq!(ids(&sink), expected());
        assert_eq!(
            aliases(&sink),
            [("my-lodash".to_owned(), "lodash".to_owned())]
        );
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    /// yarn 4 (berry) on the same project; the project's own `workspace:.` entry is skipped.
    #[test]
    fn berry_matches_npm_tree() {
        let data = fixture("javascript/yarn-berry/yarn.lock");
        let sink = run(&YarnLock, "/app/yarn.lock", &data).expect("catalog");
        assert_eq!(ids(&sink), expected());
        assert_eq!(
            aliases(&sink),
            [("my-lodash".to_owned(), "lodash".to_owned())]
        );
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    #[test]
    fn classic_multi_spec_headers_and_local_entries() {
        let lock = r#"# yarn lockfile v1


"@types/node@*", "@types/node@^20.0.0":
  version "20.1.0"
  resolved "https://registry.yarnpkg.com/@types/node/-/node-20.1.0.tgz"
  dependencies:
    version "9.9.9"

js-tokens@^4.0.0, "js-tokens@^3.0.0 || ^4.0.0":
  version "4.0.0"

local@file:./local:
  version "1.0.0"

broken@^1.0.0:
  resolved "x"
"#;
        let mut sink = Sink::default();
        let pkgs = parse_yarn_lock(lock, &mut sink).expect("parse");
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(got, ["@types/node@20.1.0", "js-tokens@4.0.0"]);
        assert_eq!(sink.notes().len(), 1, "{:?}", sink.notes());
    }

    #[test]
    fn berry_patch_link_and_portal() {
        let lock = r#"
__metadata:
  version: 8

"resolve@npm:^1.22.0":
  version: 1.22.8
  resolution: "resolve@npm:1.22.8"

"resolve@patch:resolve@npm%3A^1.22.0#optional!builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"

"fsevents@patch:fsevents@npm%3A^2.3.2#optional!builtin<compat/fsevents>":
  version: 2.3.3
  resolution: "fsevents@patch:fsevents@npm%3A2.3.3#optional!builtin<compat/fsevents>::version=2.3.3&hash=df0bf1"

"@acme/web@workspace:packages/web":
  version: 0.0.0-use.local
  resolution: "@acme/web@workspace:packages/web"

"shared@link:../shared::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "shared@link:../shared::locator=app%40workspace%3A."

"tool@portal:../tool::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "tool@portal:../tool::locator=app%40workspace%3A."

"left-pad@https://github.com/left-pad/left-pad.git#commit=abc":
  version: 1.3.0
  resolution: "left-pad@https://github.com/left-pad/left-pad.git#commit=abc"
"#;
        let mut sink = Sink::default();
        let pkgs = parse_yarn_lock(lock, &mut sink).expect("parse");
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(got, ["resolve@1.22.8", "fsevents@2.3.3", "left-pad@1.3.0"]);
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            "__metadata:\n  version: 8\n\"a@npm:1\": [unclosed\n",
            "__metadata:\n  - a\n - b\n  c: {",
            "this is not a lockfile\nat all\n",
            "\"__metadata\": 1\n- x\n",
        ] {
            assert!(
                run(&YarnLock, "/p/yarn.lock", bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
        // truncated real files: never a panic; berry cut mid-entry is still valid YAML or not
        for name in ["yarn-classic", "yarn-berry"] {
            let full = fixture(&format!("javascript/{name}/yarn.lock"));
            for cut in (0..full.len()).step_by(97) {
                let _ = run(&YarnLock, "/p/yarn.lock", &full[..cut]);
            }
        }
    }
}
