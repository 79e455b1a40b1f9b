//! Native constraint syntaxes of advisory feeds that are not OSV, each parsed into a union of
//! intervals over its scheme's versions, following the reference implementation's desugaring:
//! node `semver` ranges (`Range`), RubyGems requirements (`Gem::Requirement`) and Composer
//! constraints (`VersionParser::parseConstraints`).

use std::cmp::Ordering;

use crate::{Error, Scheme, Version};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    pub version: String,
    pub inclusive: bool,
}

/// A set of versions between two bounds; `None` is unbounded.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Interval {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
}

fn cerr(syntax: &'static str, text: &str, reason: impl Into<String>) -> Error {
    Error::Constraint {
        syntax,
        text: text.to_owned(),
        reason: reason.into(),
    }
}

fn ge(v: String) -> Interval {
    Interval {
        lower: Some(Bound {
            version: v,
            inclusive: true,
        }),
        upper: None,
    }
}
fn gt(v: String) -> Interval {
    Interval {
        lower: Some(Bound {
            version: v,
            inclusive: false,
        }),
        upper: None,
    }
}
fn lt(v: String) -> Interval {
    Interval {
        lower: None,
        upper: Some(Bound {
            version: v,
            inclusive: false,
        }),
    }
}
fn le(v: String) -> Interval {
    Interval {
        lower: None,
        upper: Some(Bound {
            version: v,
            inclusive: true,
        }),
    }
}
fn eq(v: String) -> Interval {
    Interval {
        lower: Some(Bound {
            version: v.clone(),
            inclusive: true,
        }),
        upper: Some(Bound {
            version: v,
            inclusive: true,
        }),
    }
}

/// The intersection of two intervals (bounds compared under `scheme`).
fn intersect(scheme: Scheme, a: &Interval, b: &Interval) -> Result<Interval, Error> {
    let cmp = |x: &Bound, y: &Bound| -> Result<Ordering, Error> {
        scheme.compare(&x.version, &y.version)
    };
    let lower = match (&a.lower, &b.lower) {
        (None, x) | (x, None) => x.clone(),
        (Some(x), Some(y)) => Some(match cmp(x, y)? {
            Ordering::Greater => x.clone(),
            Ordering::Less => y.clone(),
            Ordering::Equal => Bound {
                version: x.version.clone(),
                inclusive: x.inclusive && y.inclusive,
            },
        }),
    };
    let upper = match (&a.upper, &b.upper) {
        (None, x) | (x, None) => x.clone(),
        (Some(x), Some(y)) => Some(match cmp(x, y)? {
            Ordering::Less => x.clone(),
            Ordering::Greater => y.clone(),
            Ordering::Equal => Bound {
                version: x.version.clone(),
                inclusive: x.inclusive && y.inclusive,
            },
        }),
    };
    Ok(Interval { lower, upper })
}

/// The intersection of two unions of intervals.
fn intersect_unions(
    scheme: Scheme,
    a: &[Interval],
    b: &[Interval],
) -> Result<Vec<Interval>, Error> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let i = intersect(scheme, x, y)?;
            if !is_empty(scheme, &i)? {
                out.push(i);
            }
        }
    }
    Ok(out)
}

fn is_empty(scheme: Scheme, i: &Interval) -> Result<bool, Error> {
    match (&i.lower, &i.upper) {
        (Some(l), Some(u)) => Ok(match scheme.compare(&l.version, &u.version)? {
            Ordering::Greater => true,
            Ordering::Equal => !(l.inclusive && u.inclusive),
            Ordering::Less => false,
        }),
        _ => Ok(false),
    }
}

/// Whether `v` lies in any of the intervals.
pub fn satisfies(scheme: Scheme, intervals: &[Interval], v: &Version) -> Result<bool, Error> {
    for i in intervals {
        let above = match &i.lower {
            None => true,
            Some(b) => {
                let o = v.cmp(&scheme.parse(&b.version)?);
                o == Ordering::Greater || (b.inclusive && o == Ordering::Equal)
            }
        };
        let below = match &i.upper {
            None => true,
            Some(b) => {
                let o = v.cmp(&scheme.parse(&b.version)?);
                o == Ordering::Less || (b.inclusive && o == Ordering::Equal)
            }
        };
        if above && below {
            return Ok(true);
        }
    }
    Ok(false)
}

// ---------------------------------------------------------------------------------------------
// node-semver ranges

/// One partial version of an npm range: `1`, `1.2`, `1.2.x`, `1.2.3-pre+build`.
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Option<String>,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*" | "")
}

fn partial(text: &str, s: &str) -> Result<Partial, Error> {
    let s = s.trim_start_matches(['v', '=']);
    let (core, build) = match s.split_once('+') {
        Some((c, b)) => (c, Some(b)),
        None => (s, None),
    };
    let _ = build;
    let num = |p: &str| -> Result<Option<u64>, Error> {
        if is_x(p) {
            Ok(None)
        } else if p.bytes().all(|c| c.is_ascii_digit()) {
            p.parse::<u64>()
                .map(Some)
                .map_err(|_| cerr("npm range", text, format!("`{p}` is not a version number")))
        } else {
            Err(cerr(
                "npm range",
                text,
                format!("`{p}` is not a version number"),
            ))
        }
    };
    let mut it = core.splitn(3, '.');
    let major = num(it.next().unwrap_or(""))?;
    let minor = match it.next() {
        Some(m) => num(m)?,
        None => None,
    };
    let (patch, pre) = match it.next() {
        Some(rest) => match rest.split_once('-') {
            Some((p, pre)) => (num(p)?, Some(pre.to_owned())),
            None => (num(rest)?, None),
        },
        None => (None, None),
    };
    if major.is_none() && (minor.is_some() || patch.is_some()) {
        return Err(cerr(
            "npm range",
            text,
            format!("`{s}`: numbers after an x"),
        ));
    }
    if minor.is_none() && patch.is_some() {
        return Err(cerr(
            "npm range",
            text,
            format!("`{s}`: numbers after an x"),
        ));
    }
    Ok(Partial {
        major,
        minor,
        patch,
        pre,
    })
}

fn full(p: &Partial) -> String {
    let mut s = format!(
        "{}.{}.{}",
        p.major.unwrap_or(0),
        p.minor.unwrap_or(0),
        p.patch.unwrap_or(0)
    );
    if let Some(pre) = &p.pre {
        s.push('-');
        s.push_str(pre);
    }
    s
}

/// Desugars one comparator (operator + partial version) to intervals, as node-semver's
/// `replaceCarets`, `replaceTildes`, `replaceXRanges` do with `includePrerelease`.
fn npm_comparator(text: &str, tok: &str) -> Result<Interval, Error> {
    let ops = [">=", "<=", "~>", ">", "<", "=", "~", "^"];
    let (op, rest) = ops
        .iter()
        .find_map(|o| tok.strip_prefix(o).map(|r| (*o, r)))
        .unwrap_or(("", tok));
    let p = partial(text, rest.trim())?;
    let any = Interval::default();
    let (mj, mn, pt) = (p.major, p.minor, p.patch);
    Ok(match op {
        "^" => match (mj, mn, pt) {
            (None, _, _) => any,
            (Some(m), None, _) => range(format!("{m}.0.0-0"), format!("{}.0.0-0", m + 1)),
            (Some(0), Some(n), None) => range(format!("0.{n}.0-0"), format!("0.{}.0-0", n + 1)),
            (Some(m), Some(n), None) => range(format!("{m}.{n}.0-0"), format!("{}.0.0-0", m + 1)),
            (Some(0), Some(0), Some(q)) => range(full(&p), format!("0.0.{}-0", q + 1)),
            (Some(0), Some(n), Some(_)) => range(full(&p), format!("0.{}.0-0", n + 1)),
            (Some(m), Some(_), Some(_)) => range(full(&p), format!("{}.0.0-0", m + 1)),
        },
        "~" | "~>" => match (mj, mn, pt) {
            (None, _, _) => any,
            (Some(m), None, _) => range(format!("{m}.0.0"), format!("{}.0.0-0", m + 1)),
            (Some(m), Some(n), None) => range(format!("{m}.{n}.0"), format!("{m}.{}.0-0", n + 1)),
            (Some(m), Some(n), Some(_)) => range(full(&p), format!("{m}.{}.0-0", n + 1)),
        },
        _ => {
            let any_x = mj.is_none() || mn.is_none() || pt.is_none();
            let op = if op == "=" && any_x { "" } else { op };
            match mj {
                None => {
                    if op == ">" || op == "<" {
                        lt("0.0.0-0".into())
                    } else {
                        any
                    }
                }
                Some(m) if !op.is_empty() && any_x => {
                    let xm = mn.is_none();
                    let n = mn.unwrap_or(0);
                    match op {
                        ">" => {
                            if xm {
                                ge(format!("{}.0.0-0", m + 1))
                            } else {
                                ge(format!("{m}.{}.0-0", n + 1))
                            }
                        }
                        ">=" => ge(format!("{m}.{n}.0-0")),
                        "<=" => {
                            if xm {
                                lt(format!("{}.0.0-0", m + 1))
                            } else {
                                lt(format!("{m}.{}.0-0", n + 1))
                            }
                        }
                        _ => lt(format!("{m}.{n}.0-0")), // "<"
                    }
                }
                Some(m) if mn.is_none() => range(format!("{m}.0.0-0"), format!("{}.0.0-0", m + 1)),
                Some(m) if pt.is_none() => {
                    let n = mn.unwrap_or(0);
                    range(format!("{m}.{n}.0-0"), format!("{m}.{}.0-0", n + 1))
                }
                Some(_) => {
                    let v = full(&p);
                    match op {
                        ">=" => ge(v),
                        ">" => gt(v),
                        "<=" => le(v),
                        "<" => lt(v),
                        _ => eq(v),
                    }
                }
            }
        }
    })
}

fn range(lo: String, hi: String) -> Interval {
    Interval {
        lower: Some(Bound {
            version: lo,
            inclusive: true,
        }),
        upper: Some(Bound {
            version: hi,
            inclusive: false,
        }),
    }
}

fn npm_hyphen(text: &str, from: &str, to: &str) -> Result<Interval, Error> {
    let f = partial(text, from)?;
    let t = partial(text, to)?;
    let lower = match (f.major, f.minor, f.patch) {
        (None, _, _) => None,
        (Some(m), None, _) => Some(Bound {
            version: format!("{m}.0.0-0"),
            inclusive: true,
        }),
        (Some(m), Some(n), None) => Some(Bound {
            version: format!("{m}.{n}.0-0"),
            inclusive: true,
        }),
        _ => Some(Bound {
            version: full(&f),
            inclusive: true,
        }),
    };
    let upper = match (t.major, t.minor, t.patch) {
        (None, _, _) => None,
        (Some(m), None, _) => Some(Bound {
            version: format!("{}.0.0-0", m + 1),
            inclusive: false,
        }),
        (Some(m), Some(n), None) => Some(Bound {
            version: format!("{m}.{}.0-0", n + 1),
            inclusive: false,
        }),
        _ => Some(Bound {
            version: full(&t),
            inclusive: true,
        }),
    };
    Ok(Interval { lower, upper })
}

/// A node-semver range: `||`-separated sets of space-separated comparators, with hyphen
/// ranges, `^`, `~`, x-ranges and `*`, desugared exactly as node-semver does with
/// `includePrerelease: true`: pre-release versions are matched by plain ordering, the
/// conservative reading for vulnerable ranges (node's default would never report `2.0.0-rc.1`
/// as inside `<2.0.1`).
pub fn npm_range(s: &str) -> Result<Vec<Interval>, Error> {
    let mut out = Vec::new();
    for set in s.split("||") {
        let set = set.trim();
        // hyphen range
        if let Some((a, b)) = set.split_once(" - ") {
            out.push(npm_hyphen(s, a.trim(), b.trim())?);
            continue;
        }
        // glue operators to their versions: ">= 1.2.3" -> ">=1.2.3"
        let mut toks: Vec<String> = Vec::new();
        let mut pending = String::new();
        for w in set.split_whitespace() {
            if w.chars().all(|c| matches!(c, '<' | '>' | '=' | '~' | '^')) {
                pending.push_str(w);
            } else {
                toks.push(format!("{pending}{w}"));
                pending.clear();
            }
        }
        if !pending.is_empty() {
            return Err(cerr(
                "npm range",
                s,
                format!("operator `{pending}` without a version"),
            ));
        }
        let mut acc = vec![Interval::default()];
        for t in &toks {
            let c = npm_comparator(s, t)?;
            acc = intersect_unions(Scheme::NpmSemver, &acc, &[c])?;
        }
        out.extend(acc);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// RubyGems requirements

/// A RubyGems requirement list: comma-separated `op version` pairs, all of which must hold
/// (`=`, `!=`, `>`, `<`, `>=`, `<=`, `~>`; no operator means `=`).
pub fn gem_requirement(s: &str) -> Result<Vec<Interval>, Error> {
    let mut acc = vec![Interval::default()];
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(cerr("RubyGems requirement", s, "empty requirement"));
        }
        let ops = ["~>", ">=", "<=", "!=", ">", "<", "="];
        let (op, v) = ops
            .iter()
            .find_map(|o| part.strip_prefix(o).map(|r| (*o, r.trim())))
            .unwrap_or(("=", part));
        let gv = crate::rubygems::GemVersion::parse(v)
            .map_err(|e| cerr("RubyGems requirement", s, format!("`{v}`: {e}")))?;
        let v = v.to_owned();
        let req: Vec<Interval> = match op {
            "=" => vec![eq(v)],
            "!=" => vec![lt(v.clone()), gt(v)],
            ">" => vec![gt(v)],
            "<" => vec![lt(v)],
            ">=" => vec![ge(v)],
            "<=" => vec![le(v)],
            _ => {
                // ~> v: v <= x and x.release < v.bump; the smallest version whose release
                // reaches bump is bump's first pre-release, `bump.A`
                vec![range(v, format!("{}.A", gv.bump()))]
            }
        };
        acc = intersect_unions(Scheme::RubyGems, &acc, &req)?;
    }
    Ok(acc)
}

// ---------------------------------------------------------------------------------------------
// Composer constraints

fn composer_parts(v: &str) -> Option<(Vec<u64>, bool)> {
    // v?(\d+)(\.\d+)?(\.\d+)?(\.\d+)? then anything (modifier) -> numbers, has_modifier
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let mut nums = Vec::new();
    let mut rest = v;
    loop {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || nums.len() == 4 {
            break;
        }
        nums.push(rest[..n].parse::<u64>().ok()?);
        rest = &rest[n..];
        match rest.strip_prefix('.') {
            Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
            _ => break,
        }
    }
    if nums.is_empty() {
        return None;
    }
    Some((nums, !rest.is_empty()))
}

fn composer_norm(text: &str, v: &str) -> Result<String, Error> {
    crate::composer::normalize(v)
        .map_err(|e| cerr("Composer constraint", text, format!("`{v}`: {e}")))
}

/// `manipulateVersionString`: pad after `position` with zeros, add `inc` at `position`.
fn manipulate(nums: &[u64], position: usize, inc: u64) -> String {
    let mut m = [0u64; 4];
    for (i, n) in nums.iter().take(4).enumerate() {
        m[i] = *n;
    }
    for (i, slot) in m.iter_mut().enumerate() {
        let pos = i + 1;
        if pos > position {
            *slot = 0;
        } else if pos == position {
            *slot += inc;
        }
    }
    format!("{}.{}.{}.{}", m[0], m[1], m[2], m[3])
}

fn composer_single(text: &str, c: &str) -> Result<Vec<Interval>, Error> {
    let c = c.trim();
    if matches!(c, "*" | "x" | "X" | "*.*") {
        return Ok(vec![Interval::default()]);
    }
    if let Some(v) = c.strip_prefix('^') {
        let (nums, modified) =
            composer_parts(v).ok_or_else(|| cerr("Composer constraint", text, format!("`{c}`")))?;
        let position = if nums[0] != 0 || nums.len() == 1 {
            1
        } else if nums[1] != 0 || nums.len() == 2 {
            2
        } else {
            3
        };
        let low = composer_norm(text, &format!("{v}{}", if modified { "" } else { "-dev" }))?;
        return Ok(vec![range(
            low,
            format!("{}-dev", manipulate(&nums, position, 1)),
        )]);
    }
    if let Some(v) = c.strip_prefix('~') {
        if v.starts_with('>') {
            return Err(cerr(
                "Composer constraint",
                text,
                "invalid operator `~>`, Composer uses `~`",
            ));
        }
        let (nums, modified) =
            composer_parts(v).ok_or_else(|| cerr("Composer constraint", text, format!("`{c}`")))?;
        let position = nums.len();
        let low = composer_norm(text, &format!("{v}{}", if modified { "" } else { "-dev" }))?;
        let high = manipulate(&nums, position.saturating_sub(1).max(1), 1);
        return Ok(vec![range(low, format!("{high}-dev"))]);
    }
    // wildcards: 1.2.* / 1.2.x
    let stripped = c.trim_end_matches(['*', 'x', 'X', '.']);
    if stripped.len() < c.len() && c[stripped.len()..].starts_with('.') {
        let (nums, modified) = composer_parts(stripped)
            .ok_or_else(|| cerr("Composer constraint", text, format!("`{c}`")))?;
        if !modified {
            let position = nums.len();
            let low = format!("{}-dev", manipulate(&nums, position, 0));
            let high = format!("{}-dev", manipulate(&nums, position, 1));
            return Ok(vec![if low == "0.0.0.0-dev" {
                lt(high)
            } else {
                range(low, high)
            }]);
        }
    }
    let ops = ["<>", "!=", ">=", "<=", "==", ">", "<", "="];
    let (op, v) = ops
        .iter()
        .find_map(|o| c.strip_prefix(o).map(|r| (*o, r.trim())))
        .unwrap_or(("=", c));
    let mut n = composer_norm(text, v)?;
    let has_modifier = composer_parts(v).is_some_and(|(_, m)| m);
    if (op == "<" || op == ">=") && !has_modifier {
        n.push_str("-dev");
    }
    Ok(match op {
        "<>" | "!=" => vec![lt(n.clone()), gt(n)],
        ">=" => vec![ge(n)],
        "<=" => vec![le(n)],
        ">" => vec![gt(n)],
        "<" => vec![lt(n)],
        _ => vec![eq(n)],
    })
}

/// A Composer constraint: `||` (or `|`) separated alternatives of `,`/space separated
/// constraints; `^`, `~`, wildcards, hyphen ranges and comparison operators.
pub fn composer_constraint(s: &str) -> Result<Vec<Interval>, Error> {
    let mut out = Vec::new();
    for alt in s.split("||").flat_map(|a| a.split('|')) {
        let alt = alt.trim();
        if alt.is_empty() {
            return Err(cerr("Composer constraint", s, "empty alternative"));
        }
        if let Some((a, b)) = alt.split_once(" - ") {
            let low = composer_single(s, &format!(">={}", a.trim()))?;
            let (nums, modified) = composer_parts(b.trim())
                .ok_or_else(|| cerr("Composer constraint", s, format!("`{b}`")))?;
            let high = if nums.len() >= 3 || modified {
                vec![le(composer_norm(s, b.trim())?)]
            } else {
                vec![lt(format!("{}-dev", manipulate(&nums, nums.len(), 1)))]
            };
            out.extend(intersect_unions(Scheme::Composer, &low, &high)?);
            continue;
        }
        let mut toks: Vec<String> = Vec::new();
        let mut pending = String::new();
        for w in alt.split([',', ' ']).filter(|w| !w.is_empty()) {
            if w.chars().all(|c| matches!(c, '<' | '>' | '=' | '!')) {
                pending.push_str(w);
            } else {
                toks.push(format!("{pending}{w}"));
                pending.clear();
            }
        }
        let mut acc = vec![Interval::default()];
        for t in &toks {
            acc = intersect_unions(Scheme::Composer, &acc, &composer_single(s, t)?)?;
        }
        out.extend(acc);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(scheme: Scheme, i: &[Interval], v: &str) -> bool {
        satisfies(scheme, i, &scheme.parse(v).expect("version")).expect("satisfies")
    }

    #[test]
    fn npm_ranges() {
        let r = npm_range("<=2.15.0 || >=3.0.0 <3.10.0").expect("range");
        assert!(sat(Scheme::NpmSemver, &r, "2.15.0"));
        assert!(!sat(Scheme::NpmSemver, &r, "2.15.1"));
        assert!(sat(Scheme::NpmSemver, &r, "3.9.9"));
        assert!(!sat(Scheme::NpmSemver, &r, "3.10.0"));
        let r = npm_range("^1.2.3").expect("caret");
        assert!(sat(Scheme::NpmSemver, &r, "1.9.0") && !sat(Scheme::NpmSemver, &r, "2.0.0"));
        let r = npm_range("~0.2").expect("tilde");
        assert!(sat(Scheme::NpmSemver, &r, "0.2.9") && !sat(Scheme::NpmSemver, &r, "0.3.0"));
        let r = npm_range("1.2 - 2").expect("hyphen");
        assert!(sat(Scheme::NpmSemver, &r, "2.9.9") && !sat(Scheme::NpmSemver, &r, "3.0.0"));
        let r = npm_range(">= 0.0.0").expect("spaced");
        assert!(sat(Scheme::NpmSemver, &r, "0.0.1"));
        let r = npm_range("*").expect("star");
        assert!(sat(Scheme::NpmSemver, &r, "9.9.9"));
        assert!(npm_range(">=").is_err());
        assert!(npm_range("<1.x.3").is_err());
    }

    #[test]
    fn gem_requirements() {
        let r = gem_requirement("~> 5.2.4, >= 5.2.4.3").expect("req");
        assert!(sat(Scheme::RubyGems, &r, "5.2.4.3"));
        assert!(!sat(Scheme::RubyGems, &r, "5.2.4.2"));
        assert!(!sat(Scheme::RubyGems, &r, "5.3.0"));
        assert!(!sat(Scheme::RubyGems, &r, "5.3.0.beta1"));
        assert!(sat(Scheme::RubyGems, &r, "5.2.9"));
        let r = gem_requirement("!= 1.0").expect("ne");
        assert!(!sat(Scheme::RubyGems, &r, "1.0.0") && sat(Scheme::RubyGems, &r, "1.0.1"));
        assert!(gem_requirement(">= junk").is_err());
    }

    #[test]
    fn composer_constraints() {
        let r = composer_constraint(">=2.0.0,<2.0.5").expect("c");
        assert!(sat(Scheme::Composer, &r, "2.0.4"));
        assert!(!sat(Scheme::Composer, &r, "2.0.5"));
        assert!(!sat(Scheme::Composer, &r, "2.0.5-beta1"));
        assert!(sat(Scheme::Composer, &r, "2.0.0"));
        let r = composer_constraint("^1.2 || ~3.1.0").expect("c");
        assert!(sat(Scheme::Composer, &r, "1.9"));
        assert!(!sat(Scheme::Composer, &r, "2.0"));
        assert!(sat(Scheme::Composer, &r, "3.1.7"));
        assert!(!sat(Scheme::Composer, &r, "3.2.0"));
        let r = composer_constraint("1.2.*").expect("wild");
        assert!(sat(Scheme::Composer, &r, "1.2.9") && !sat(Scheme::Composer, &r, "1.3.0"));
    }
}
