//! SemVer 2.0 precedence, parsed and ordered as node `semver` (npm) and
//! `golang.org/x/mod/semver` (Go) do it; crates.io uses the `semver` crate itself.

use std::cmp::Ordering;

/// Whose parsing and precedence rules a [`SemVer`] follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// node `semver` 7 (strict): numbers up to `Number.MAX_SAFE_INTEGER`, numeric pre-release
    /// identifiers compared as JavaScript numbers (doubles).
    Npm,
    /// `golang.org/x/mod/semver`: numbers of any length, compared exactly.
    Go,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ident {
    /// Decimal digits without leading zeros (npm: below `MAX_SAFE_INTEGER`).
    Num(String),
    /// npm only: all digits but not below `MAX_SAFE_INTEGER`, so node keeps the text; node still
    /// compares it with other numeric identifiers as a (rounded) double.
    BigNum(String),
    Alnum(String),
}

#[derive(Clone, Debug)]
pub(crate) struct SemVer {
    flavor: Flavor,
    /// Decimal digits without leading zeros (except `0` itself).
    major: String,
    minor: String,
    patch: String,
    pub(crate) pre: Vec<Ident>,
}

/// node's `Number.MAX_SAFE_INTEGER`: node `semver` rejects larger numbers.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// node `semver`'s `MAX_LENGTH` (in UTF-16 code units, before trimming).
const MAX_LENGTH: usize = 256;

fn number(s: &str, what: &str, flavor: Flavor) -> Result<String, String> {
    if s.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("{what} `{s}` is not a number"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(format!("{what} `{s}` has a leading zero"));
    }
    if flavor == Flavor::Npm && s.parse::<u64>().map_or(true, |n| n > MAX_SAFE_INTEGER) {
        return Err(format!("{what} `{s}` is too large"));
    }
    Ok(s.to_owned())
}

fn identifiers(s: &str, pre: bool, flavor: Flavor) -> Result<Vec<Ident>, String> {
    let mut out = Vec::new();
    for id in s.split('.') {
        if id.is_empty() {
            return Err("empty identifier".into());
        }
        if !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
            return Err(format!("invalid identifier `{id}`"));
        }
        if !pre {
            continue;
        }
        if id.bytes().all(|c| c.is_ascii_digit()) {
            if id.len() > 1 && id.starts_with('0') {
                return Err(format!("numeric identifier `{id}` has a leading zero"));
            }
            let big =
                flavor == Flavor::Npm && id.parse::<u64>().map_or(true, |n| n >= MAX_SAFE_INTEGER);
            out.push(if big {
                Ident::BigNum(id.to_owned())
            } else {
                Ident::Num(id.to_owned())
            });
        } else {
            out.push(Ident::Alnum(id.to_owned()));
        }
    }
    Ok(out)
}

/// `MAJOR.MINOR.PATCH[-PRE][+BUILD]`; Go also accepts `MAJOR` and `MAJOR.MINOR` when nothing
/// follows.
fn parse_core(s: &str, flavor: Flavor) -> Result<SemVer, String> {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    if let Some(b) = build {
        identifiers(b, false, flavor).map_err(|e| format!("build metadata: {e}"))?;
    }
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let shorthand = flavor == Flavor::Go && pre.is_none() && build.is_none();
    let nums: Vec<&str> = core.split('.').collect();
    let (major, minor, patch) = match nums.as_slice() {
        [a, b, c] => (
            number(a, "major", flavor)?,
            number(b, "minor", flavor)?,
            number(c, "patch", flavor)?,
        ),
        [a, b] if shorthand => (
            number(a, "major", flavor)?,
            number(b, "minor", flavor)?,
            "0".into(),
        ),
        [a] if shorthand => (number(a, "major", flavor)?, "0".into(), "0".into()),
        _ => return Err("expected MAJOR.MINOR.PATCH".into()),
    };
    let pre = match pre {
        Some(p) => identifiers(p, true, flavor).map_err(|e| format!("pre-release: {e}"))?,
        None => Vec::new(),
    };
    Ok(SemVer {
        flavor,
        major,
        minor,
        patch,
        pre,
    })
}

/// JavaScript's `String.prototype.trim` set: WhiteSpace and LineTerminator.
fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// As node `semver`'s strict `semver.valid`: at most 256 UTF-16 units, trimmed, an optional `v`.
pub(crate) fn parse_npm(s: &str) -> Result<SemVer, String> {
    if s.encode_utf16().count() > MAX_LENGTH {
        return Err(format!("longer than {MAX_LENGTH} characters"));
    }
    let t = s.trim_matches(js_space);
    let t = t.strip_prefix('v').unwrap_or(t);
    parse_core(t, Flavor::Npm)
}

/// As `golang.org/x/mod/semver`, with the `v` optional (OSV's Go versions have none) and
/// surrounding whitespace trimmed.
pub(crate) fn parse_go(s: &str) -> Result<SemVer, String> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    parse_core(t, Flavor::Go)
}

pub(crate) fn parse_cargo(s: &str) -> Result<semver::Version, String> {
    semver::Version::parse(s.trim()).map_err(|e| e.to_string())
}

/// Decimal digit strings without leading zeros, compared exactly.
fn cmp_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// JavaScript's `+id` for an all-digit identifier (correctly rounded, as Rust's parse).
fn js_number(digits: &str) -> f64 {
    digits.parse::<f64>().unwrap_or(f64::INFINITY)
}

/// node `semver`'s `comparePre`: the first pair of identifiers that are not identical decides,
/// through `compareIdentifiers`, even when that says 0 (two numerals that round to the same
/// double).
fn cmp_pre_npm(a: &[Ident], b: &[Ident]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        if x == y {
            continue;
        }
        return match (x, y) {
            (Ident::Num(p) | Ident::BigNum(p), Ident::Num(q) | Ident::BigNum(q)) => js_number(p)
                .partial_cmp(&js_number(q))
                .unwrap_or(Ordering::Equal),
            (Ident::Num(_) | Ident::BigNum(_), Ident::Alnum(_)) => Ordering::Less,
            (Ident::Alnum(_), Ident::Num(_) | Ident::BigNum(_)) => Ordering::Greater,
            (Ident::Alnum(p), Ident::Alnum(q)) => p.encode_utf16().cmp(q.encode_utf16()),
        };
    }
    a.len().cmp(&b.len())
}

/// `golang.org/x/mod/semver`'s `comparePrerelease` (and SemVer 2.0's precedence rules).
fn cmp_pre_exact(a: &[Ident], b: &[Ident]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Ident::Num(p) | Ident::BigNum(p), Ident::Num(q) | Ident::BigNum(q)) => {
                cmp_digits(p, q)
            }
            (Ident::Num(_) | Ident::BigNum(_), Ident::Alnum(_)) => Ordering::Less,
            (Ident::Alnum(_), Ident::Num(_) | Ident::BigNum(_)) => Ordering::Greater,
            (Ident::Alnum(p), Ident::Alnum(q)) => p.cmp(q),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.major, &other.major)
            .then_with(|| cmp_digits(&self.minor, &other.minor))
            .then_with(|| cmp_digits(&self.patch, &other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => match self.flavor {
                    Flavor::Npm => cmp_pre_npm(&self.pre, &other.pre),
                    Flavor::Go => cmp_pre_exact(&self.pre, &other.pre),
                },
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
        // Go numbers have no size limit
        assert!(
            parse_go("v99999999999999999999.0.0").expect("big")
                > parse_go("v18446744073709551615.0.0").expect("u64 max")
        );
        assert!(
            parse_go("v1.0.0-18446744073709551617").expect("a")
                > parse_go("v1.0.0-18446744073709551616").expect("b")
        );
    }

    #[test]
    fn npm_forms() {
        assert!(parse_npm("=1.2.3").is_err());
        assert!(parse_npm("v1.2.3").is_ok());
        assert!(parse_npm(" 1.2.3\u{feff}").is_ok());
        assert!(parse_npm("9007199254740992.0.0").is_err());
        assert!(parse_npm("9007199254740991.0.0").is_ok());
        assert!(parse_npm(&format!("1.0.0-{}", "a".repeat(251))).is_err());
        // numeric pre-release identifiers compare as doubles, and the first unequal pair decides
        assert_eq!(
            parse_npm("1.0.0-9007199254740993.1").expect("a"),
            parse_npm("1.0.0-9007199254740992.2").expect("b")
        );
        assert!(
            parse_npm("1.0.0-18446744073709551616").expect("a") < parse_npm("1.0.0--").expect("b")
        );
    }
}
