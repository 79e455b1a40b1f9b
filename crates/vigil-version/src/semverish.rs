//! SemVer 2.0 precedence, parsed as node `semver` (npm) and `golang.org/x/mod/semver` (Go) parse
//! it; crates.io uses the `semver` crate itself.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ident {
    Num(u64),
    Alnum(String),
}

#[derive(Clone, Debug)]
pub(crate) struct SemVer {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
    pub(crate) pre: Vec<Ident>,
}

/// node's `Number.MAX_SAFE_INTEGER`: node `semver` rejects larger numbers.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn number(s: &str, what: &str) -> Result<u64, String> {
    if s.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("{what} `{s}` is not a number"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(format!("{what} `{s}` has a leading zero"));
    }
    s.parse::<u64>()
        .ok()
        .filter(|n| *n <= MAX_SAFE_INTEGER)
        .ok_or_else(|| format!("{what} `{s}` is too large"))
}

fn identifiers(s: &str, numeric_rules: bool) -> Result<Vec<Ident>, String> {
    let mut out = Vec::new();
    for id in s.split('.') {
        if id.is_empty() {
            return Err("empty identifier".into());
        }
        if !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
            return Err(format!("invalid identifier `{id}`"));
        }
        if id.bytes().all(|c| c.is_ascii_digit()) {
            if numeric_rules && id.len() > 1 && id.starts_with('0') {
                return Err(format!("numeric identifier `{id}` has a leading zero"));
            }
            match id.parse::<u64>() {
                Ok(n) if n <= MAX_SAFE_INTEGER => out.push(Ident::Num(n)),
                _ => out.push(Ident::Alnum(id.to_owned())),
            }
        } else {
            out.push(Ident::Alnum(id.to_owned()));
        }
    }
    Ok(out)
}

/// `MAJOR.MINOR.PATCH[-PRE][+BUILD]`; with `shorthand`, `MAJOR` and `MAJOR.MINOR` are accepted
/// when nothing follows (Go).
fn parse_core(s: &str, shorthand: bool) -> Result<SemVer, String> {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    if let Some(b) = build {
        identifiers(b, false).map_err(|e| format!("build metadata: {e}"))?;
    }
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let nums: Vec<&str> = core.split('.').collect();
    let (major, minor, patch) = match nums.as_slice() {
        [a, b, c] => (
            number(a, "major")?,
            number(b, "minor")?,
            number(c, "patch")?,
        ),
        [a, b] if shorthand && pre.is_none() && build.is_none() => {
            (number(a, "major")?, number(b, "minor")?, 0)
        }
        [a] if shorthand && pre.is_none() && build.is_none() => (number(a, "major")?, 0, 0),
        _ => return Err("expected MAJOR.MINOR.PATCH".into()),
    };
    let pre = match pre {
        Some(p) => identifiers(p, true).map_err(|e| format!("pre-release: {e}"))?,
        None => Vec::new(),
    };
    Ok(SemVer {
        major,
        minor,
        patch,
        pre,
    })
}

pub(crate) fn parse_npm(s: &str) -> Result<SemVer, String> {
    let t = s.trim();
    let t = t.strip_prefix(['v', '=']).unwrap_or(t);
    parse_core(t, false)
}

pub(crate) fn parse_go(s: &str) -> Result<SemVer, String> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    parse_core(t, true)
}

pub(crate) fn parse_cargo(s: &str) -> Result<semver::Version, String> {
    semver::Version::parse(s.trim()).map_err(|e| e.to_string())
}

fn cmp_ident(a: &Ident, b: &Ident) -> Ordering {
    match (a, b) {
        (Ident::Num(x), Ident::Num(y)) => x.cmp(y),
        (Ident::Num(_), Ident::Alnum(_)) => Ordering::Less,
        (Ident::Alnum(_), Ident::Num(_)) => Ordering::Greater,
        (Ident::Alnum(x), Ident::Alnum(y)) => x.cmp(y),
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        match cmp_ident(a, b) {
                            Ordering::Equal => {}
                            o => return o,
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_precedence() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for w in ordered.windows(2) {
            assert!(
                parse_npm(w[0]).expect("a") < parse_npm(w[1]).expect("b"),
                "{w:?}"
            );
        }
        assert_eq!(
            parse_npm("1.0.0+a").expect("a"),
            parse_npm("1.0.0+b").expect("b")
        );
    }

    #[test]
    fn go_forms() {
        assert_eq!(
            parse_go("v1.2").expect("short"),
            parse_go("1.2.0").expect("long")
        );
        assert_eq!(
            parse_go("v2.0.0+incompatible").expect("inc"),
            parse_go("v2.0.0").expect("plain")
        );
        let pseudo = parse_go("v0.0.0-20191109021931-daa7c04131f5").expect("pseudo");
        assert!(pseudo < parse_go("v0.0.1").expect("release"));
        assert!(parse_go("v1.2-pre").is_err());
        assert!(parse_go("01.2.3").is_err());
    }
}
