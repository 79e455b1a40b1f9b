//! RubyGems versions, ordered as `Gem::Version#<=>`: segments of digits or letters, a `-` meaning
//! `.pre.`, trailing zeros dropped from the numeric and the string part, letters (pre-releases)
//! sorting before numbers.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// Decimal digits without leading zeros ("" is zero).
    Num(String),
    Str(String),
}

#[derive(Clone, Debug)]
pub(crate) struct GemVersion {
    /// The version as Gem::Version keeps it (stripped, `-` replaced by `.pre.`).
    version: String,
    segments: Vec<Seg>,
    canonical: Vec<Seg>,
}

fn valid(s: &str) -> bool {
    // \A\s*([0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*\z
    let b = s.as_bytes();
    let mut i = 0;
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    i += digits;
    while i < b.len() && b[i] == b'.' {
        let n = b[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if i < b.len() && b[i] == b'-' {
        let part = |i: usize| {
            b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
                .count()
        };
        let n = part(i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
        while i < b.len() && b[i] == b'.' {
            let n = part(i + 1);
            if n == 0 {
                return false;
            }
            i += 1 + n;
        }
    }
    i == b.len()
}

fn drop_trailing_zeros(v: &mut Vec<Seg>) {
    while matches!(v.last(), Some(Seg::Num(d)) if d.is_empty()) {
        v.pop();
    }
}

impl GemVersion {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        // Ruby's `\s` (and `String#strip`): space, \t, \n, \v, \f, \r
        let t = s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}');
        if t.is_empty() {
            return Err("version string is empty".into());
        }
        if !valid(t) {
            return Err("does not match Gem::Version's pattern".into());
        }
        let version = t.replace('-', ".pre.");
        let mut segments = Vec::new();
        let b = version.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                segments.push(Seg::Num(
                    version[i..i + n].trim_start_matches('0').to_owned(),
                ));
                i += n;
            } else if b[i].is_ascii_alphabetic() {
                let n = b[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                segments.push(Seg::Str(version[i..i + n].to_owned()));
                i += n;
            } else {
                i += 1;
            }
        }
        let split = segments
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segments.len());
        let mut numeric = segments[..split].to_vec();
        let mut strings = segments[split..].to_vec();
        drop_trailing_zeros(&mut numeric);
        drop_trailing_zeros(&mut strings);
        numeric.extend(strings);
        Ok(GemVersion {
            version,
            segments,
            canonical: numeric,
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.version.bytes().any(|c| c.is_ascii_alphabetic())
    }

    /// `Gem::Version#bump`, as text: drop string segments and the last numeric one (if more than
    /// one), then increment the last.
    pub(crate) fn bump(&self) -> String {
        let mut segs: Vec<String> = Vec::new();
        for s in &self.segments {
            match s {
                Seg::Num(d) => segs.push(if d.is_empty() { "0".into() } else { d.clone() }),
                Seg::Str(_) => break,
            }
        }
        if segs.len() > 1 {
            segs.pop();
        }
        if let Some(last) = segs.last_mut() {
            *last = increment(last);
        }
        segs.join(".")
    }
}

fn increment(d: &str) -> String {
    let mut digits: Vec<u8> = d.bytes().collect();
    let mut i = digits.len();
    loop {
        if i == 0 {
            digits.insert(0, b'1');
            break;
        }
        i -= 1;
        if digits[i] == b'9' {
            digits[i] = b'0';
        } else {
            digits[i] += 1;
            break;
        }
    }
    String::from_utf8(digits).unwrap_or_default()
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.version == other.version || self.canonical == other.canonical {
            return Ordering::Equal;
        }
        let zero = Seg::Num(String::new());
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let l = self.canonical.get(i).unwrap_or(&zero);
            let r = other.canonical.get(i).unwrap_or(&zero);
            if l == r {
                continue;
            }
            return match (l, r) {
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Num(a), Seg::Num(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
                (Seg::Str(a), Seg::Str(b)) => a.cmp(b),
            };
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GemVersion {
        GemVersion::parse(s).expect(s)
    }

    #[test]
    fn orders_like_gem_version() {
        assert!(v("1.0.0.a") < v("1.0.0"));
        assert!(v("1.0.0.rc1") < v("1.0.0"));
        assert!(v("1.0.0-rc1") < v("1.0.0.rc2"));
        assert_eq!(v("1.0"), v("1.0.0"));
        assert!(v("1.0.a") < v("1.0.b"));
        assert!(v("5.2.4.3") > v("5.2.4"));
        assert!(v("1.9.3") < v("1.10"));
        assert_eq!(v("1.0.0.a.0"), v("1.0.a"));
    }

    #[test]
    fn bumps() {
        assert_eq!(v("5.2.4").bump(), "5.3");
        assert_eq!(v("5").bump(), "6");
        assert_eq!(v("1.9.rc1").bump(), "2");
        assert_eq!(v("0.9").bump(), "1");
    }

    #[test]
    fn rejects_invalid() {
        assert_eq!(v("\u{b}1.0\u{b}"), v("1.0"));
        for bad in ["", "a", "1..2", "1.2-", "junk 1"] {
            assert!(GemVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}
