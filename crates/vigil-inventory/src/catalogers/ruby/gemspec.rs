//! Installed gems: the `*.gemspec` files RubyGems writes under a `specifications/` directory
//! (`/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec`, default gems under
//! `specifications/default/`, Debian's `/usr/share/rubygems-integration/all/specifications/`,
//! Docker images' `/usr/local/bundle/specifications/`).
//!
//! The Ruby is not run: the file is read textually, as the statements RubyGems generates
//! (`s.name = "rake".freeze`, one per line), also accepting what hand-written specs use:
//! any block variable (`Gem::Specification.new do |spec|`), `'single'` and `%q{…}` strings
//! (any `%q`/`%Q`/`%` delimiter), `Gem::Version.new("1.2.3")`, `s.license = "MIT"` and
//! `s.licenses = ["MIT", "Ruby"]`. The `# stub: <name> <version> <platform> …` comment that
//! RubyGems writes first stands in when the statements are missing. A spec for a
//! platform-specific gem (`s.platform = "x86_64-linux"`) gets `metadata["platform"]`; default
//! gems (shipped with Ruby) get `metadata["default_gem"] = "true"`.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct GemSpec;

const NAME: &str = "ruby-gemspec";

/// Largest specification read (bundler's, listing every file, is about 10 KiB).
const MAX_GEMSPEC: u64 = 4 << 20;

impl Cataloger for GemSpec {
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
        file_name(path).ends_with(".gemspec")
            && meta.size <= MAX_GEMSPEC
            && (path.contains("/specifications/") || path.starts_with("specifications/"))
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        let mut p = parse_gemspec(&text)?;
        if file.path.contains("/specifications/default/") {
            p.metadata
                .insert("default_gem".to_owned(), "true".to_owned());
        }
        out.package(p);
        Ok(())
    }
}

/// Parse a gem specification.
pub fn parse_gemspec(text: &str) -> Result<Package, CatalogError> {
    let var = block_variable(text);
    let (mut name, mut version, mut platform) = (None, None, None);
    let mut licenses: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = strip_receiver(line, var.as_deref()) else {
            continue;
        };
        let Some((attr, value)) = assignment(rest) else {
            continue;
        };
        match attr {
            "name" => name = name.or_else(|| string_value(value)),
            "version" => version = version.or_else(|| version_value(value)),
            "platform" => platform = platform.or_else(|| string_value(value)),
            "license" => {
                if let Some(l) = string_value(value) {
                    push_license(&mut licenses, l);
                }
            }
            "licenses" => {
                for l in array_values(value) {
                    push_license(&mut licenses, l);
                }
            }
            _ => {}
        }
    }
    // `# stub: rack 2.2.22 ruby lib`
    let stub = text
        .lines()
        .take(5)
        .find_map(|l| l.trim().strip_prefix("# stub: "))
        .map(|s| s.split_whitespace().collect::<Vec<_>>());
    if let Some(stub) = stub.as_deref() {
        if name.is_none() {
            name = stub.first().map(|s| (*s).to_owned());
        }
        if version.is_none() {
            version = stub.get(1).map(|s| (*s).to_owned());
        }
        if platform.is_none() {
            platform = stub.get(2).map(|s| (*s).to_owned());
        }
    }
    let name = name.filter(|n| valid(n));
    let version = version.filter(|v| valid(v));
    let (Some(name), Some(version)) = (name, version) else {
        return Err(CatalogError::parse(
            "no gem name and version in the specification",
        ));
    };
    let mut p = Package::new(Ecosystem::RubyGems, name, version, NAME);
    p.licenses = licenses;
    if let Some(pl) = platform.filter(|p| p != "ruby" && valid(p)) {
        p.metadata.insert("platform".to_owned(), pl);
    }
    Ok(p)
}

fn valid(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn push_license(out: &mut Vec<String>, l: String) {
    if !l.is_empty() && l.len() <= 200 && out.len() < 32 && !out.contains(&l) {
        out.push(l);
    }
}

/// The block variable of `Gem::Specification.new do |s|` / `{ |spec|`.
fn block_variable(text: &str) -> Option<String> {
    let at = text.find("Gem::Specification.new")?;
    let rest = &text[at..];
    let rest = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let open = rest.find('|')?;
    let inner = &rest[open + 1..];
    let close = inner.find('|')?;
    let v = inner[..close].trim();
    (!v.is_empty() && v.chars().all(|c| c.is_alphanumeric() || c == '_')).then(|| v.to_owned())
}

/// `s.name = …` without the receiver (`s.`); any receiver when the block variable is unknown.
fn strip_receiver<'a>(line: &'a str, var: Option<&str>) -> Option<&'a str> {
    match var {
        Some(v) => line.strip_prefix(v)?.strip_prefix('.'),
        None => {
            let dot = line.find('.')?;
            line[..dot]
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_')
                .then(|| &line[dot + 1..])
        }
    }
}

/// `name = value` → (`name`, `value`); not `==`.
fn assignment(s: &str) -> Option<(&str, &str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let (attr, rest) = s.split_at(end);
    let rest = rest.trim_start().strip_prefix('=')?;
    if rest.starts_with('=') || rest.starts_with('~') {
        return None;
    }
    Some((attr, rest.trim_start()))
}

/// `Gem::Version.new("1.2.3")` or a plain string.
fn version_value(v: &str) -> Option<String> {
    match v.strip_prefix("Gem::Version.new") {
        Some(rest) => string_value(rest.trim_start().strip_prefix('(')?.trim_start()),
        None => string_value(v),
    }
}

/// A Ruby string literal at the start of `s` (its `.freeze` and anything after ignored).
fn string_value(s: &str) -> Option<String> {
    string_literal(s).map(|(v, _)| v)
}

/// A string literal at the start of `s`, and the rest after it.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    let (close, body_start, escapes) = match first {
        '"' => ('"', 1, true),
        '\'' => ('\'', 1, false),
        '%' => {
            let (i, mut c) = chars.next()?;
            let mut start = i + c.len_utf8();
            if c == 'q' || c == 'Q' {
                let (j, d) = chars.next()?;
                c = d;
                start = j + d.len_utf8();
            }
            let close = match c {
                '{' => '}',
                '(' => ')',
                '[' => ']',
                '<' => '>',
                c if c.is_ascii_punctuation() => c,
                _ => return None,
            };
            (close, start, false)
        }
        _ => return None,
    };
    let body = s.get(body_start..)?;
    let mut out = String::new();
    let mut it = body.char_indices();
    while let Some((i, c)) = it.next() {
        if c == '\\' {
            if let Some((_, e)) = it.next() {
                if escapes || e == close || e == '\\' {
                    out.push(e);
                } else {
                    out.push('\\');
                    out.push(e);
                }
            }
            continue;
        }
        if c == close {
            return Some((out, &body[i + c.len_utf8()..]));
        }
        out.push(c);
    }
    None
}

/// The strings of an array literal `["MIT".freeze, %q{Ruby}]`, or a lone string.
fn array_values(s: &str) -> Vec<String> {
    let Some(mut rest) = s.strip_prefix('[') else {
        return string_value(s).into_iter().collect();
    };
    let mut out = Vec::new();
    while out.len() < 64 {
        rest = rest.trim_start();
        if rest.starts_with(']') || rest.is_empty() {
            break;
        }
        let Some((v, after)) = string_literal(rest) else {
            break;
        };
        out.push(v);
        rest = after.trim_start();
        rest = rest.strip_prefix(".freeze").unwrap_or(rest).trim_start();
        match rest.strip_prefix(',') {
            Some(r) => rest = r,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogers::testutil::{fixture, run, wants};

    const ROOT: &str = "ruby/gemspec";

    #[test]
    fn wanted_paths() {
        let c = GemSpec;
        assert!(wants(
            &c,
            "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec"
        ));
        assert!(wants(
            &c,
            "/usr/local/bundle/specifications/rack-3.0.8.gemspec"
        ));
        assert!(wants(
            &c,
            "/usr/lib/ruby/gems/3.1.0/specifications/default/openssl-3.0.1.gemspec"
        ));
        assert!(!wants(
            &c,
            "/usr/lib/ruby/gems/3.1.0/gems/rake-13.0.6/rake.gemspec"
        ));
        assert!(!wants(&c, "/src/app/app.gemspec"));
    }

    /// Every real specification gives what RubyGems itself loads from it
    /// (`expected.tsv`, see the README).
    #[test]
    fn real_specs_match_rubygems() {
        let expected = String::from_utf8(fixture(&format!("{ROOT}/expected.tsv"))).expect("utf-8");
        let mut n = 0;
        for line in expected.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let (path, name, version, licenses, platform) = (f[0], f[1], f[2], f[3], f[4]);
            let data = fixture(&format!("{ROOT}/{path}"));
            let sink = run(&GemSpec, &format!("/{path}"), &data).expect(path);
            let [p] = sink.packages() else {
                panic!("{path}: {:?}", sink.packages())
            };
            assert_eq!(
                (p.name.as_str(), p.version.as_str()),
                (name, version),
                "{path}"
            );
            assert_eq!(p.licenses.join(","), licenses, "{path}");
            assert_eq!(
                p.metadata
                    .get("platform")
                    .map(String::as_str)
                    .unwrap_or("ruby"),
                platform
            );
            assert_eq!(
                p.metadata.contains_key("default_gem"),
                path.contains("/default/"),
                "{path}"
            );
            assert_eq!(p.kind, vigil_types::PackageKind::Installed);
            n += 1;
        }
        assert_eq!(n, 6);
    }

    #[test]
    fn hand_written_styles() {
        let spec = r#"
# frozen_string_literal: true
require_relative "lib/foo/version"

Gem::Specification.new do |spec|
  spec.name          = 'foo-bar'
  spec.version       = Gem::Version.new(%q{2.0.0.rc1})
  spec.platform      = "x86_64-linux"
  spec.license       = %q<Apache-2.0>
  spec.summary       = "s.name = \"not-this\""
  spec.name == "ignored"
end
"#;
        let p = parse_gemspec(spec).expect("parse");
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("foo-bar", "2.0.0.rc1")
        );
        assert_eq!(p.licenses, ["Apache-2.0"]);
        assert_eq!(
            p.metadata.get("platform").map(String::as_str),
            Some("x86_64-linux")
        );

        let p = parse_gemspec(
            "Gem::Specification.new do |g|\n g.name = %q(x)\n g.version = \"1.0\"\n g.licenses = [\"MIT\", 'Ruby'.freeze, \"MIT\"]\nend\n",
        )
        .expect("parse");
        assert_eq!((p.name.as_str(), p.version.as_str()), ("x", "1.0"));
        assert_eq!(p.licenses, ["MIT", "Ruby"]);
    }

    #[test]
    fn stub_line_when_statements_are_missing() {
        let p =
            parse_gemspec("# -*- encoding: utf-8 -*-\n# stub: nokogiri 1.13.10 x86_64-linux lib\n")
                .expect("parse");
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("nokogiri", "1.13.10")
        );
        assert_eq!(
            p.metadata.get("platform").map(String::as_str),
            Some("x86_64-linux")
        );
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            "",
            "Gem::Specification.new do |s|\n  s.name = \"x\n",
            "Gem::Specification.new do |s|\n  s.name = \"x\"\nend\n",
            "Gem::Specification.new do |s|\n  s.name = \"has space\"\n  s.version = \"1\"\nend\n",
            "\u{0}\u{1}binary",
        ] {
            assert!(parse_gemspec(bad).is_err(), "{bad:?}");
        }
        let full = fixture(&format!(
            "{ROOT}/usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec"
        ));
        for cut in 0..full.len() {
            let _ = run(&GemSpec, "/x/specifications/rack.gemspec", &full[..cut]);
        }
        for odd in ["%", "%q", "%q{", "\"\\", "[\"a\", ", "Gem::Version.new("] {
            assert!(string_value(odd).is_none() || !odd.is_empty());
            let _ = version_value(odd);
            let _ = array_values(odd);
        }
    }
}
