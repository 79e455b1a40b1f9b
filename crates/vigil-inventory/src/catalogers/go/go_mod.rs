//! `go.mod`: the modules a Go main module requires.
//!
//! Read: `require` directives, single-line (`require m v1.2.3`) and blocks (`require ( … )`),
//! with `// indirect` giving `metadata["indirect"] = "true"`, and `replace` directives, which
//! are applied to the requirements: a module replaced by another module
//! (`old [v] => new v2`) is reported as the new module at the new version, with
//! `metadata["replaces"] = "old@version"`; a version-specific replacement wins over a
//! path-wide one, as in the `go` command. A module replaced by a local directory
//! (`old => ../fork`) is not reported at all: what is built is local code, not the published
//! module, so advisories about the published version would not apply (Trivy does the same).
//!
//! Not reported: the `module` line (the main module itself). Ignored: `go`, `toolchain`,
//! `godebug`, `exclude` (it only removes versions from selection), `retract` (about the main
//! module's own versions), `tool`, `ignore`.
//!
//! Versions are kept as Go writes them, with their `v` (`v1.9.1`,
//! `v0.0.0-20180306012644-bacd9c7ef1dd`, `v2.0.0+incompatible`), as in golang purls; matching
//! against OSV ranges (written without the `v`) strips it there.
//!
//! `go.mod` files in the module cache (`…/pkg/mod/…`) belong to downloaded dependencies and
//! are not read. A file without a `module` directive is not a `go.mod` and is an error, as it
//! is for the `go` command; an unterminated block is an error; other bad lines are warnings.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use std::collections::BTreeSet;
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct GoMod;

const NAME: &str = "go-mod";

/// Largest `go.mod` read (Kubernetes' is about 10 KiB).
const MAX_GO_MOD: u64 = 16 << 20;

impl Cataloger for GoMod {
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
        file_name(path) == "go.mod" && meta.size <= MAX_GO_MOD
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_go_mod(&text, out)? {
            out.package(p);
        }
        Ok(())
    }
}

struct Require {
    path: String,
    version: String,
    indirect: bool,
}

struct Replace {
    old_path: String,
    old_version: Option<String>,
    new_path: String,
    /// `None`: a local directory.
    new_version: Option<String>,
}

/// Parse a `go.mod`; bad lines become warnings.
pub fn parse_go_mod(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let mut module = None;
    let mut requires = Vec::new();
    let mut replaces = Vec::new();
    let mut block: Option<(String, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let (code, comment) = match raw.find("//") {
            Some(at) => (&raw[..at], Some(raw[at + 2..].trim())),
            None => (raw, None),
        };
        let Some(tokens) = tokenize(code) else {
            out.warn(format!("go.mod line {lineno}: unterminated quoted string"));
            continue;
        };
        if tokens.is_empty() {
            continue;
        }
        let indirect = comment.is_some_and(is_indirect);
        if let Some((verb, _)) = &block {
            if tokens == [")"] {
                block = None;
                continue;
            }
            let verb = verb.clone();
            directive(
                &verb,
                &tokens,
                indirect,
                lineno,
                &mut requires,
                &mut replaces,
                out,
            );
            continue;
        }
        let verb = tokens[0].as_str();
        let args = &tokens[1..];
        if args == ["("] {
            block = Some((verb.to_owned(), lineno));
            continue;
        }
        match verb {
            "module" => match args {
                [m] => module = Some(m.clone()),
                _ => out.warn(format!("go.mod line {lineno}: malformed module directive")),
            },
            "go" | "toolchain" | "godebug" | "exclude" | "retract" | "tool" | "ignore" => {}
            "require" | "replace" => {
                directive(
                    verb,
                    args,
                    indirect,
                    lineno,
                    &mut requires,
                    &mut replaces,
                    out,
                );
            }
            other => out.warn(format!("go.mod line {lineno}: unknown directive `{other}`")),
        }
    }
    if let Some((verb, start)) = block {
        return Err(CatalogError::parse(format!(
            "go.mod: `{verb} (` block opened on line {start} is not closed"
        )));
    }
    if module.is_none() {
        return Err(CatalogError::parse("no `module` directive: not a go.mod"));
    }
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for r in requires {
        let rep = replaces
            .iter()
            .find(|p| p.old_path == r.path && p.old_version.as_deref() == Some(&r.version))
            .or_else(|| {
                replaces
                    .iter()
                    .find(|p| p.old_path == r.path && p.old_version.is_none())
            });
        let (path, version, replaced) = match rep {
            None => (r.path.clone(), r.version.clone(), None),
            Some(Replace {
                new_version: None, ..
            }) => continue, // replaced by a local directory
            Some(Replace {
                new_path,
                new_version: Some(v),
                ..
            }) => (
                new_path.clone(),
                v.clone(),
                Some(format!("{}@{}", r.path, r.version)),
            ),
        };
        if !seen.insert((path.clone(), version.clone())) {
            continue;
        }
        let mut p = Package::new(Ecosystem::Go, path, version, NAME).declared();
        if r.indirect {
            p.metadata.insert("indirect".to_owned(), "true".to_owned());
        }
        if let Some(old) = replaced {
            p.metadata.insert("replaces".to_owned(), old);
        }
        found.push(p);
    }
    Ok(found)
}

/// One `require` or `replace` line (without its verb inside a block); other verbs' block
/// lines are ignored.
fn directive(
    verb: &str,
    args: &[String],
    indirect: bool,
    lineno: usize,
    requires: &mut Vec<Require>,
    replaces: &mut Vec<Replace>,
    out: &mut Sink,
) {
    match verb {
        "require" => match args {
            [path, version] if valid_path(path) && valid_version(version) => {
                requires.push(Require {
                    path: path.clone(),
                    version: version.clone(),
                    indirect,
                });
            }
            _ => out.warn(format!("go.mod line {lineno}: malformed require")),
        },
        "replace" => {
            let Some(arrow) = args.iter().position(|a| a == "=>") else {
                out.warn(format!("go.mod line {lineno}: replace without `=>`"));
                return;
            };
            let (old, new) = (&args[..arrow], &args[arrow + 1..]);
            let old_ok = match old {
                [p] => valid_path(p).then(|| (p.clone(), None)),
                [p, v] => (valid_path(p) && valid_version(v)).then(|| (p.clone(), Some(v.clone()))),
                _ => None,
            };
            let new_ok = match new {
                [p] if is_local(p) => Some((p.clone(), None)),
                [p, v] if valid_path(p) && valid_version(v) => Some((p.clone(), Some(v.clone()))),
                _ => None,
            };
            match (old_ok, new_ok) {
                (Some((old_path, old_version)), Some((new_path, new_version))) => {
                    replaces.push(Replace {
                        old_path,
                        old_version,
                        new_path,
                        new_version,
                    });
                }
                _ => out.warn(format!("go.mod line {lineno}: malformed replace")),
            }
        }
        _ => {}
    }
}

/// A local replacement target: the `go` command takes paths starting with `./`, `../` or
/// `/` (or a Windows drive) as directories.
fn is_local(p: &str) -> bool {
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || p.as_bytes().get(1) == Some(&b':')
}

fn valid_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 500
        && !is_local(p)
        && !p.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn valid_version(v: &str) -> bool {
    v.len() > 1
        && v.len() <= 200
        && v.starts_with('v')
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `// indirect`, also `// indirect; note` (the `go` command's own test).
fn is_indirect(comment: &str) -> bool {
    comment == "indirect" || comment.starts_with("indirect;")
}

/// Split a line into tokens: bare words, `"interpreted"` and `` `raw` `` strings, and the
/// punctuation `(`, `)`, `=>`. `None` when a quoted string is not terminated.
fn tokenize(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' || c == '`' {
            chars.next();
            let mut s = String::new();
            let mut closed = false;
            while let Some((_, d)) = chars.next() {
                if d == c {
                    closed = true;
                    break;
                }
                if c == '"' && d == '\\' {
                    if let Some((_, e)) = chars.next() {
                        s.push(e);
                    }
                    continue;
                }
                s.push(d);
            }
            if !closed {
                return None;
            }
            out.push(s);
            continue;
        }
        if c == '(' || c == ')' {
            chars.next();
            out.push(c.to_string());
            continue;
        }
        let mut end = line.len();
        while let Some(&(j, d)) = chars.peek() {
            if d.is_whitespace() || d == '(' || d == ')' || d == '"' || d == '`' {
                end = j;
                break;
            }
            chars.next();
        }
        out.push(line[start..end].to_owned());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::testutil::{fixture, flagged, ids, run, scanned, wants};

    #[test]
    fn wanted_paths() {
        let c = GoMod;
        assert!(wants(&c, "/src/app/go.mod"));
        assert!(!wants(&c, "/src/app/go.sum"));
        assert!(!scanned(
            &c,
            "/root/go/pkg/mod/github.com/gin-gonic/gin@v1.9.1/go.mod"
        ));
    }

    #[test]
    fn tokenizer() {
        assert_eq!(
            tokenize("\t\"example.com/a b\" v1.0.0 => `x`(").expect("tokens"),
            ["example.com/a b", "v1.0.0", "=>", "x", "("]
        );
        assert!(tokenize("require \"x v1").is_none());
    }
    /// What the cataloger should report, from Go's own parse of the fixture
    /// (`go mod edit -json`): requirements with replacements applied, local ones dropped.
    fn expected_from_go(json: &[u8]) -> (Vec<String>, Vec<String>, Vec<String>) {
        use serde_json::Value;
        let v: Value = serde_json::from_slice(json).expect("json");
        let reps = v["Replace"].as_array().expect("replace");
        let (mut all, mut indirect, mut replaced) = (Vec::new(), Vec::new(), Vec::new());
        for r in v["Require"].as_array().expect("require") {
            let (path, ver) = (
                r["Path"].as_str().expect("p"),
                r["Version"].as_str().expect("v"),
            );
            let rep = reps
                .iter()
                .find(|x| x["Old"]["Path"] == path && x["Old"]["Version"] == ver)
                .or_else(|| {
                    reps.iter()
                        .find(|x| x["Old"]["Path"] == path && x["Old"]["Version"].is_null())
                });
            let id = match rep {
                None => format!("{path}@{ver}"),
                Some(x) if x["New"]["Version"].is_null() => continue,
                Some(x) => {
                    let id = format!(
                        "{}@{}",
                        x["New"]["Path"].as_str().expect("np"),
                        x["New"]["Version"].as_str().expect("nv")
                    );
                    replaced.push(format!("{id}={path}@{ver}"));
                    id
                }
            };
            if r["Indirect"].as_bool() == Some(true) {
                indirect.push(format!("{id}=true"));
            }
            all.push(id);
        }
        all.sort();
        indirect.sort();
        replaced.sort();
        (all, indirect, replaced)
    }

    #[test]
    fn matches_go_mod_edit_json() {
        let sink =
            run(&GoMod, "/src/webapp/go.mod", &fixture("go/webapp/go.mod")).expect("catalog");
        let (all, indirect, replaced) = expected_from_go(&fixture("go/webapp/go-mod-edit.json"));
        assert_eq!(ids(&sink), all);
        assert_eq!(flagged(&sink, "indirect"), indirect);
        assert_eq!(flagged(&sink, "replaces"), replaced);
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
        // spelled out, so that a wrong reading of both files cannot pass
        assert_eq!(all.len(), 31);
        assert_eq!(
            replaced,
            [
                "github.com/example-forks/pgx/v5@v5.4.3-fork.1=github.com/jackc/pgx/v5@v5.4.3",
                "golang.org/x/net@v0.17.0=golang.org/x/net@v0.10.0",
            ]
        );
        assert!(all.contains(&"github.com/docker/docker@v20.10.24+incompatible".to_owned()));
        assert!(
            indirect.contains(&"github.com/docker/docker@v20.10.24+incompatible=true".to_owned())
        );
        assert!(!all.iter().any(|i| i.starts_with("example.com/webapp")));
        assert!(!all.iter().any(|i| i.starts_with("golang.org/x/text@v0.3")));
        assert!(
            sink.packages()
                .iter()
                .all(|p| p.kind == vigil_types::PackageKind::Declared
                    && p.ecosystem == Ecosystem::Go)
        );
    }

    #[test]
    fn newer_directives_quotes_and_bad_lines() {
        let m = br#"module "example.com/m" // the main module

go 1.22.1
toolchain go1.22.3
godebug default=go1.21
tool golang.org/x/tools/cmd/stringer

require (
	"example.com/quoted" v1.0.0
	`example.com/raw` v1.1.0 // indirect; kept for the plugin
	example.com/noversion
	example.com/badversion 1.2.3
)
require example.com/dup v1.0.0
require example.com/dup v1.0.0
require example.com/other v2.0.0 // not indirect
frobnicate example.com/x
replace example.com/other => /abs/fork
replace example.com/broken =>
"#;
        let sink = run(&GoMod, "/m/go.mod", m).expect("catalog");
        assert_eq!(
            ids(&sink),
            [
                "example.com/dup@v1.0.0",
                "example.com/quoted@v1.0.0",
                "example.com/raw@v1.1.0"
            ]
        );
        assert_eq!(flagged(&sink, "indirect"), ["example.com/raw@v1.1.0=true"]);
        assert_eq!(sink.notes().len(), 4, "{:?}", sink.notes());
    }

    #[test]
    fn no_requirements() {
        let sink = run(&GoMod, "/m/go.mod", b"module example.com/m\n\ngo 1.21\n").expect("ok");
        assert!(sink.packages().is_empty());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        let full = fixture("go/webapp/go.mod");
        // cut inside the first require block
        assert!(run(&GoMod, "/m/go.mod", &full[..200]).is_err());
        for cut in 0..full.len() {
            let _ = run(&GoMod, "/m/go.mod", &full[..cut]);
        }
        for bad in [
            &b""[..],
            b"require x v1.0.0\n",
            b"{\"json\": true}",
            b"module m\nrequire (\n",
        ] {
            assert!(
                run(&GoMod, "/m/go.mod", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
