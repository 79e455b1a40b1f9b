//! Bundler lockfiles: `Gemfile.lock` (and `gems.locked`).
//!
//! The sections that list gems are `GEM` (a gem server), `GIT` (a git repository),
//! `PATH` (a local directory) and `PLUGIN SOURCE`; each has `remote:` (and for git
//! `revision:`) options and a `specs:` list in which the gems are the lines indented by
//! exactly four spaces, `name (version)` or `name (version-platform)`; six-space lines under
//! them are their dependencies' requirements and are not packages.
//!
//! - A platform suffix (`nokogiri (1.13.10-x86_64-linux)`) is split off the version into
//!   `metadata["platform"]`; the same version locked for several platforms is reported once,
//!   with the platforms joined by `,` (without a platform: `ruby`, not recorded).
//! - `GIT` gems get `metadata["source"] = "git"`, `metadata["git"]` (the remote) and
//!   `metadata["revision"]`.
//! - `PATH` gems are local code (usually the project's own gemspec, or a vendored copy that
//!   is no published release) and are not reported, as for path dependencies of Cargo and
//!   local `replace`s of Go.
//! - Other sections (`PLATFORMS`, `DEPENDENCIES`, `CHECKSUMS`, `RUBY VERSION`,
//!   `BUNDLED WITH`) hold no packages.
//!
//! A file with none of Bundler's section headers is not a lockfile and is an error;
//! unreadable spec lines are warnings. Lockfiles inside installed gems' directories are not
//! read.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use std::collections::BTreeMap;
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct GemfileLock;

const NAME: &str = "ruby-gemfile-lock";

/// Largest lockfile read.
const MAX_LOCKFILE: u64 = 32 << 20;

const SECTIONS: [&str; 10] = [
    "GEM",
    "GIT",
    "PATH",
    "PLUGIN SOURCE",
    "PLATFORMS",
    "DEPENDENCIES",
    "CHECKSUMS",
    "RUBY VERSION",
    "BUNDLED WITH",
    "PLUGINS",
];

impl Cataloger for GemfileLock {
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
        (n == "Gemfile.lock" || n == "gems.locked") && meta.size <= MAX_LOCKFILE
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_gemfile_lock(&text, out)? {
            out.package(p);
        }
        Ok(())
    }
}

#[derive(Default)]
struct Source {
    section: String,
    remote: Option<String>,
    revision: Option<String>,
    in_specs: bool,
}

/// Parse a `Gemfile.lock`; unreadable spec lines become warnings.
pub fn parse_gemfile_lock(text: &str, out: &mut Sink) -> Result<Vec<Package>, CatalogError> {
    let mut found: BTreeMap<(String, String), Package> = BTreeMap::new();
    let mut order = Vec::new();
    let mut known_sections = 0usize;
    let mut src: Option<Source> = None;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let header = line.trim();
            if SECTIONS.contains(&header) {
                known_sections += 1;
            } else if known_sections > 0 {
                out.warn(format!(
                    "Gemfile.lock line {lineno}: unknown section `{}`",
                    short(header)
                ));
            }
            src = matches!(header, "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE").then(|| Source {
                section: header.to_owned(),
                ..Source::default()
            });
            continue;
        }
        let Some(s) = src.as_mut() else {
            continue;
        };
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = line.trim();
        match indent {
            2 => {
                s.in_specs = body == "specs:";
                if let Some((k, v)) = body.split_once(": ") {
                    match k {
                        "remote" => s.remote = Some(v.trim().to_owned()),
                        "revision" => s.revision = Some(v.trim().to_owned()),
                        _ => {}
                    }
                }
            }
            4 if s.in_specs => {
                let Some((name, full_version)) = spec_line(body) else {
                    out.warn(format!(
                        "Gemfile.lock line {lineno}: unreadable spec `{}`",
                        short(body)
                    ));
                    continue;
                };
                if s.section == "PATH" {
                    continue;
                }
                let (version, platform) = match full_version.split_once('-') {
                    Some((v, p)) if !v.is_empty() && !p.is_empty() => (v, Some(p)),
                    _ => (full_version, None),
                };
                let key = (name.to_owned(), version.to_owned());
                if let Some(existing) = found.get_mut(&key) {
                    if let Some(pl) = platform {
                        let joined = match existing.metadata.get("platform") {
                            Some(prev) if prev.split(',').any(|x| x == pl) => continue,
                            Some(prev) if prev.len() < 1000 => format!("{prev},{pl}"),
                            Some(_) => continue,
                            None => pl.to_owned(),
                        };
                        existing.metadata.insert("platform".to_owned(), joined);
                    }
                    continue;
                }
                let mut p = Package::new(Ecosystem::RubyGems, name, version, NAME).declared();
                if let Some(pl) = platform {
                    p.metadata.insert("platform".to_owned(), pl.to_owned());
                }
                if s.section == "GIT" {
                    p.metadata.insert("source".to_owned(), "git".to_owned());
                    if let Some(r) = &s.remote {
                        p.metadata.insert("git".to_owned(), r.clone());
                    }
                    if let Some(r) = &s.revision {
                        p.metadata.insert("revision".to_owned(), r.clone());
                    }
                }
                order.push(key.clone());
                found.insert(key, p);
            }
            _ => {}
        }
    }
    if known_sections == 0 {
        return Err(CatalogError::parse(
            "no GEM, GIT, PATH, PLATFORMS or DEPENDENCIES section: not a Gemfile.lock",
        ));
    }
    Ok(order.into_iter().filter_map(|k| found.remove(&k)).collect())
}

/// `name (version)`.
fn spec_line(body: &str) -> Option<(&str, &str)> {
    let (name, rest) = body.split_once(" (")?;
    let version = rest.strip_suffix(')')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 200
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '(' || c == ')')
    };
    (ok(name) && ok(version)).then_some((name, version))
}

fn short(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::testutil::{fixture, flagged, ids, run, scanned, wants};

    #[test]
    fn wanted_paths() {
        let c = GemfileLock;
        assert!(wants(&c, "/srv/app/Gemfile.lock"));
        assert!(wants(&c, "/srv/app/gems.locked"));
        assert!(!scanned(
            &c,
            "/usr/local/bundle/gems/rack-2.2.8/Gemfile.lock"
        ));
        assert!(!wants(&c, "/srv/app/Gemfile"));
    }

    /// The real lockfile Bundler 2.3.27 wrote gives what `bundle list` lists, less the
    /// `PATH` gem (see the README).
    #[test]
    fn real_lockfile_matches_bundle_list() {
        let list = String::from_utf8(fixture("ruby/bundler/bundle-list.txt")).expect("utf-8");
        let mut expected: Vec<String> = list
            .lines()
            .filter_map(|l| l.trim().strip_prefix("* "))
            .filter_map(|l| {
                let (n, v) = l.split_once(" (")?;
                let v = v.trim_end_matches(')').split(' ').next()?;
                Some(format!("{n}@{v}"))
            })
            .filter(|id| id != "mylib@1.0.0")
            .collect();
        expected.sort();
        assert_eq!(expected.len(), 6);
        let sink = run(
            &GemfileLock,
            "/srv/app/Gemfile.lock",
            &fixture("ruby/bundler/Gemfile.lock"),
        )
        .expect("catalog");
        assert_eq!(ids(&sink), expected);
        assert_eq!(flagged(&sink, "source"), ["gitgem@0.3.0=git"]);
        assert_eq!(
            flagged(&sink, "revision"),
            ["gitgem@0.3.0=144ebe57c1c941eb8fbc904414fee79526e2e5d3"]
        );
        assert_eq!(flagged(&sink, "git"), ["gitgem@0.3.0=file:///tmp/gitgem"]);
        assert!(flagged(&sink, "platform").is_empty());
        assert!(sink.notes().is_empty(), "{:?}", sink.notes());
        assert!(
            sink.packages()
                .iter()
                .all(|p| p.kind == vigil_types::PackageKind::Declared
                    && p.ecosystem == Ecosystem::RubyGems)
        );
    }

    #[test]
    fn platforms_plugins_and_checksums() {
        let lock = b"GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.13.10-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.13.10-arm64-darwin)
      racc (~> 1.4)
    nokogiri (1.13.10-x86_64-linux)
    racc (1.6.2)
    rails (7.0.4)
      actionpack (= 7.0.4)
    broken-line
    sorbet-static (0.5.10601-universal-darwin-21)

PLUGIN SOURCE
  remote: https://example.com/plugins
  type: custom
  specs:
    a-plugin (0.1.0)

PLATFORMS
  arm64-darwin-21
  x86_64-linux

DEPENDENCIES
  nokogiri (~> 1.13)
  rails

CHECKSUMS
  racc (1.6.2) sha256=abcdef

BUNDLED WITH
   2.5.3
";
        let sink = run(&GemfileLock, "/a/Gemfile.lock", lock).expect("catalog");
        assert_eq!(
            ids(&sink),
            [
                "a-plugin@0.1.0",
                "nokogiri@1.13.10",
                "racc@1.6.2",
                "rails@7.0.4",
                "sorbet-static@0.5.10601"
            ]
        );
        assert_eq!(
            flagged(&sink, "platform"),
            [
                "nokogiri@1.13.10=x86_64-linux,arm64-darwin",
                "sorbet-static@0.5.10601=universal-darwin-21"
            ]
        );
        assert_eq!(sink.notes().len(), 1, "{:?}", sink.notes());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"{\"not\": \"a lockfile\"}",
            b"gem 'rails'\nsource 'x'\n",
            b"    rack (1.0)\n",
        ] {
            assert!(
                run(&GemfileLock, "/a/Gemfile.lock", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let full = fixture("ruby/bundler/Gemfile.lock");
        for cut in 0..full.len() {
            let _ = run(&GemfileLock, "/a/Gemfile.lock", &full[..cut]);
        }
        // merge-conflict markers are unknown sections: warned about, the rest still read
        let sink = run(
            &GemfileLock,
            "/a/Gemfile.lock",
            b"GEM\n  specs:\n    a (1.0)\n<<<<<<< HEAD\n    b (2.0)\n",
        )
        .expect("ok");
        assert_eq!(ids(&sink), ["a@1.0"]);
        assert_eq!(sink.notes().len(), 1);
    }
}
