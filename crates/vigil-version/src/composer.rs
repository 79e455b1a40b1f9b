//! Packagist versions: normalised as composer/semver's `VersionParser::normalize`, ordered as
//! PHP's `version_compare` on the normalised forms (which is what Composer's constraints do).

use std::cmp::Ordering;

const STABILITIES: [&str; 9] = [
    "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
];

fn starts_with_ci(s: &str, p: &str) -> bool {
    s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
}

struct Modifier {
    stability: Option<String>,
    number: String,
    dev: bool,
}

/// `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$`, case-insensitive.
fn modifier(r: &str) -> Option<Modifier> {
    let seps: &[usize] = if r.starts_with(['.', '_', '-']) {
        &[1, 0]
    } else {
        &[0]
    };
    for &skip in seps {
        let r = &r[skip..];
        let mut words: Vec<Option<&str>> = STABILITIES.iter().map(|w| Some(*w)).collect();
        words.push(None);
        for w in words {
            let (stability, mut rest) = match w {
                Some(w) if starts_with_ci(r, w) => (Some(r[..w.len()].to_owned()), &r[w.len()..]),
                Some(_) => continue,
                None => (None, r),
            };
            let mut number = String::new();
            if stability.is_some() {
                // ((?:[.-]?\d+)*+) possessive
                loop {
                    let sep = usize::from(rest.starts_with(['.', '-']));
                    let n = rest[sep..].bytes().take_while(u8::is_ascii_digit).count();
                    if n == 0 {
                        break;
                    }
                    number.push_str(&rest[..sep + n]);
                    rest = &rest[sep + n..];
                }
            }
            let dev_rest = rest.strip_prefix(['.', '-']).unwrap_or(rest);
            let dev = if rest.is_empty() {
                Some(false)
            } else if dev_rest.eq_ignore_ascii_case("dev") || rest.eq_ignore_ascii_case("dev") {
                Some(true)
            } else {
                None
            };
            if let Some(dev) = dev {
                return Some(Modifier {
                    stability,
                    number,
                    dev,
                });
            }
        }
    }
    None
}

fn expand_stability(s: &str) -> String {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "a" => "alpha".into(),
        "b" => "beta".into(),
        "p" | "pl" => "patch".into(),
        "rc" => "RC".into(),
        _ => l,
    }
}

fn apply_modifier(version: String, m: Modifier) -> String {
    let mut version = version;
    if let Some(s) = m.stability {
        if s == "stable" {
            return version;
        }
        version.push('-');
        version.push_str(&expand_stability(&s));
        version.push_str(m.number.trim_start_matches(['.', '-']));
    }
    if m.dev {
        version.push_str("-dev");
    }
    version
}

/// `^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + modifier
fn classical(v: &str) -> Option<String> {
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let first = v.bytes().take_while(u8::is_ascii_digit).count();
    if first == 0 || first > 5 {
        return None;
    }
    let mut parts = vec![&v[..first]];
    let mut rest = &v[first..];
    while parts.len() < 4 && rest.starts_with('.') {
        let n = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            break;
        }
        parts.push(&rest[1..1 + n]);
        rest = &rest[1 + n..];
    }
    let m = modifier(rest)?;
    let mut out = parts.join(".");
    for _ in parts.len()..4 {
        out.push_str(".0");
    }
    Some(apply_modifier(out, m))
}

/// `^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)` + modifier (composer/semver 3.3)
fn date(v: &str) -> Option<String> {
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let b = v.as_bytes();
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    // try every end of the date part, longest first
    let max = b
        .iter()
        .take_while(|c| c.is_ascii_digit() || matches!(c, b'.' | b':' | b'-'))
        .count();
    for end in (6..=max).rev() {
        if date_part(&b[4..end], 0, 0) {
            if let Some(m) = modifier(&v[end..]) {
                let d: String = v[..end]
                    .chars()
                    .map(|c| if c.is_ascii_digit() { c } else { '.' })
                    .collect();
                return Some(apply_modifier(d, m));
            }
        }
    }
    None
}

/// `(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?` over the whole of `s`.
fn date_part(s: &[u8], twos: usize, smalls: usize) -> bool {
    if s.is_empty() {
        return twos >= 1;
    }
    let sep = usize::from(matches!(s[0], b'.' | b':' | b'-'));
    let digits = s[sep..].iter().take_while(|c| c.is_ascii_digit()).count();
    if smalls == 0 && twos < 6 && digits >= 2 && date_part(&s[sep + 2..], twos + 1, 0) {
        return true;
    }
    if twos >= 1 && smalls < 1 {
        for n in 1..=digits.min(3) {
            if date_part(&s[sep + n..], twos, smalls + 1) {
                return true;
            }
        }
    }
    false
}

fn normalize_branch(name: &str) -> Option<String> {
    let n = name.strip_prefix(['v', 'V']).unwrap_or(name);
    let parts: Vec<&str> = n.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) {
            out.push((*p).to_owned());
        } else if i > 0 && matches!(*p, "x" | "X" | "*") {
            out.push("9999999".to_owned());
        } else {
            return None;
        }
    }
    while out.len() < 4 {
        out.push("9999999".to_owned());
    }
    Some(format!("{}-dev", out.join(".")))
}

/// PHP's `trim` set.
fn php_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\u{b}')
}

/// PCRE's `\s` (no UTF mode).
fn pcre_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}')
}

/// The `X` of `X as Y`, when the whole text is one such alias (`X` and `Y` without commas or
/// whitespace, separated by `as` between runs of spaces).
fn alias_source(v: &str) -> Option<&str> {
    let word = |w: &str| !w.is_empty() && !w.contains(|c| c == ',' || pcre_space(c));
    let (x, rest) = v.split_once(' ')?;
    let rest = rest.trim_start_matches(' ').strip_prefix("as ")?;
    let y = rest.trim_start_matches(' ');
    (word(x) && word(y)).then_some(x)
}

/// `VersionParser::normalize`. Branch names (`dev-*`, `master`) are not orderable and are errors.
pub(crate) fn normalize(s: &str) -> Result<String, String> {
    let mut v = s.trim_matches(php_space);
    if v.is_empty() {
        return Err("version string is empty".into());
    }
    // strip off aliasing: `^([^,\s]++) ++as ++([^,\s]++)$`
    if let Some(a) = alias_source(v) {
        v = a;
    }
    // strip off a stability flag
    if let Some(i) = v.rfind('@') {
        let flag = &v[i + 1..];
        if ["stable", "rc", "beta", "alpha", "dev"]
            .iter()
            .any(|f| flag.eq_ignore_ascii_case(f))
        {
            v = &v[..i];
        }
    }
    if matches!(v, "master" | "trunk" | "default") || starts_with_ci(v, "dev-") {
        return Err("branch names are not ordered versions".into());
    }
    // strip off build metadata
    // strip off build metadata: `^([^,\s+]++)\+[^\s]++$`
    if let Some((a, b)) = v.split_once('+')
        && !a.is_empty()
        && !a.contains(|c| c == ',' || pcre_space(c))
        && !b.is_empty()
        && !b.contains(pcre_space)
    {
        v = a;
    }
    if let Some(n) = classical(v).or_else(|| date(v)) {
        return Ok(n);
    }
    // dev branches that look like versions: 1.2.x-dev
    let lower = v.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix("dev") {
        let stem = stem.strip_suffix(['.', '-']).unwrap_or(stem);
        if let Some(n) = normalize_branch(&v[..stem.len()]) {
            return Ok(n);
        }
    }
    Err("invalid version string".into())
}

pub(crate) fn is_prerelease(normalized: &str) -> bool {
    ["-dev", "-alpha", "-beta", "-RC"]
        .iter()
        .any(|m| normalized.contains(m))
}

fn canonicalize(v: &str) -> Vec<u8> {
    let b = v.as_bytes();
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    let special = |c: u8| matches!(c, b'-' | b'_' | b'+');
    let mut q: Vec<u8> = Vec::with_capacity(b.len() * 2);
    let Some(&first) = b.first() else {
        return q;
    };
    q.push(first);
    let mut lp = first;
    for &c in &b[1..] {
        let lq = q.last().copied().unwrap_or(0);
        if special(c) {
            if lq != b'.' {
                q.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if lq != b'.' {
                q.push(b'.');
            }
            q.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if lq != b'.' {
                q.push(b'.');
            }
        } else {
            q.push(c);
        }
        lp = c;
    }
    q
}

fn special_form(s: &[u8]) -> i32 {
    const FORMS: [(&[u8], i32); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| s.starts_with(name))
        .map(|(_, o)| *o)
        .unwrap_or(-1)
}

fn strtol(s: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for &c in s.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    v
}

/// PHP's `version_compare` (ext/standard/versioning.c).
pub(crate) fn version_compare(a: &str, b: &str) -> Ordering {
    php_version_compare(a.as_bytes(), b.as_bytes())
}

fn php_version_compare(a: &[u8], b: &[u8]) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return (!a.is_empty()).cmp(&!b.is_empty());
    }
    let v1 = if a[0] == b'#' {
        a.to_vec()
    } else {
        canonicalize(&String::from_utf8_lossy(a))
    };
    let v2 = if b[0] == b'#' {
        b.to_vec()
    } else {
        canonicalize(&String::from_utf8_lossy(b))
    };
    let seg = |v: &[u8], p: usize| -> (usize, Option<usize>) {
        // end of the segment starting at p, and the position of its '.' if any
        match v[p.min(v.len())..].iter().position(|c| *c == b'.') {
            Some(i) => (p + i, Some(p + i)),
            None => (v.len(), None),
        }
    };
    let at = |v: &[u8], p: usize| v.get(p).copied().unwrap_or(0);
    let (mut p1, mut p2) = (0usize, 0usize);
    let (mut n1, mut n2): (Option<usize>, Option<usize>) = (Some(0), Some(0));
    let mut compare = Ordering::Equal;
    while at(&v1, p1) != 0 && at(&v2, p2) != 0 && n1.is_some() && n2.is_some() {
        let (e1, d1) = seg(&v1, p1);
        let (e2, d2) = seg(&v2, p2);
        n1 = d1;
        n2 = d2;
        let s1 = &v1[p1..e1];
        let s2 = &v2[p2..e2];
        let dig1 = at(&v1, p1).is_ascii_digit();
        let dig2 = at(&v2, p2).is_ascii_digit();
        compare = if dig1 && dig2 {
            strtol(s1).cmp(&strtol(s2))
        } else if !dig1 && !dig2 {
            special_form(s1).cmp(&special_form(s2))
        } else if dig1 {
            special_form(b"#N#").cmp(&special_form(s2))
        } else {
            special_form(s1).cmp(&special_form(b"#N#"))
        };
        if compare != Ordering::Equal {
            break;
        }
        if let Some(d) = n1 {
            p1 = d + 1;
        }
        if let Some(d) = n2 {
            p2 = d + 1;
        }
    }
    if compare == Ordering::Equal {
        if n1.is_some() {
            compare = if at(&v1, p1).is_ascii_digit() {
                Ordering::Greater
            } else {
                php_version_compare(&v1[p1.min(v1.len())..], b"#N#")
            };
        } else if n2.is_some() {
            compare = if at(&v2, p2).is_ascii_digit() {
                Ordering::Less
            } else {
                php_version_compare(b"#N#", &v2[p2.min(v2.len())..])
            };
        }
    }
    compare
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_composer() {
        for (input, want) in [
            ("1.0.0", "1.0.0.0"),
            ("v1.0", "1.0.0.0"),
            ("1.0.0-beta2", "1.0.0.0-beta2"),
            ("1.0.0RC1", "1.0.0.0-RC1"),
            ("1.0.0-p1", "1.0.0.0-patch1"),
            ("1.0.0-dev", "1.0.0.0-dev"),
            ("1.0.0-stable", "1.0.0.0"),
            ("1.0.0+build", "1.0.0.0"),
            ("2010-01-02", "2010.01.02"),
            ("1.x-dev", "1.9999999.9999999.9999999-dev"),
        ] {
            assert_eq!(normalize(input).as_deref(), Ok(want), "{input}");
        }
        assert_eq!(normalize("1.0.0 as 2.0").as_deref(), Ok("1.0.0.0"));
        assert!(normalize("1.0 as 2.0 as 3.0").is_err());
        // one short date component at most
        assert_eq!(normalize("20100102.1").as_deref(), Ok("20100102.1"));
        assert!(normalize("20011018.3.2").is_err());
        assert!(normalize("dev-master").is_err());
        assert!(normalize("junk").is_err());
    }

    #[test]
    fn compares_like_php() {
        assert_eq!(version_compare("1.0.0.0", "1.0.0.0"), Ordering::Equal);
        assert_eq!(version_compare("1.0.0.0-beta2", "1.0.0.0"), Ordering::Less);
        assert_eq!(
            version_compare("1.0.0.0-dev", "1.0.0.0-alpha1"),
            Ordering::Less
        );
        assert_eq!(
            version_compare("1.0.0.0-patch1", "1.0.0.0"),
            Ordering::Greater
        );
        assert_eq!(version_compare("1.0.10.0", "1.0.9.0"), Ordering::Greater);
        assert_eq!(version_compare("1.0", "1.0.0"), Ordering::Less);
    }
}
