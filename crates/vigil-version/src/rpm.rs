//! RPM versions: `[epoch:]version[-release]`, split as rpm's `parseEVR` and compared field by
//! field with `rpmvercmp` (alphanumeric segments, `~` sorting before everything, `^` after the
//! end but before more). As in rpm's dependency matching (`rpmverOverlap`), and unlike
//! `rpmverCmp`, the release is only compared when both versions have one.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RpmVersion {
    /// `None` when the text has no epoch: rpm then compares it as `0`.
    epoch: Option<String>,
    version: String,
    /// `None` when the text has no release: rpm then skips the release comparison.
    release: Option<String>,
}

impl RpmVersion {
    /// Splits as rpm's `parseEVR`: digits then `:` make an epoch, the last `-` separates the
    /// release.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("version string is empty".into());
        }
        if t.chars().any(char::is_whitespace) {
            return Err("version string has embedded whitespace".into());
        }
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if t.as_bytes().get(digits) == Some(&b':') {
            let e = &t[..digits];
            (
                Some(if e.is_empty() { "0" } else { e }.to_owned()),
                &t[digits + 1..],
            )
        } else {
            (None, t)
        };
        // an empty release (`1.0-`) is no release, as in rpm's `rpmverOverlap`
        let (version, release) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..]).filter(|r| !r.is_empty())),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err("version part is empty".into());
        }
        Ok(RpmVersion {
            epoch,
            version: version.to_owned(),
            release: release.map(str::to_owned),
        })
    }
}

/// Epoch (missing = `0`), version, then the release if both have one.
pub(crate) fn cmp_evr(a: &RpmVersion, b: &RpmVersion) -> Ordering {
    let ea = a.epoch.as_deref().unwrap_or("0");
    let eb = b.epoch.as_deref().unwrap_or("0");
    rpmvercmp(ea.as_bytes(), eb.as_bytes())
        .then_with(|| rpmvercmp(a.version.as_bytes(), b.version.as_bytes()))
        .then_with(|| match (&a.release, &b.release) {
            (Some(ra), Some(rb)) => rpmvercmp(ra.as_bytes(), rb.as_bytes()),
            _ => Ordering::Equal,
        })
}

/// rpm's `rpmvercmp` on one field.
pub(crate) fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let at = |i: usize| a.get(i).copied().unwrap_or(0);
    let bt = |j: usize| b.get(j).copied().unwrap_or(0);
    let sep = |c: u8| c != 0 && !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut i, mut j) = (0usize, 0usize);
    while at(i) != 0 || bt(j) != 0 {
        while sep(at(i)) {
            i += 1;
        }
        while sep(bt(j)) {
            j += 1;
        }
        // tilde: sorts before everything, even the end
        if at(i) == b'~' || bt(j) == b'~' {
            if at(i) != b'~' {
                return Ordering::Greater;
            }
            if bt(j) != b'~' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // caret: sorts after the end, but before anything else
        if at(i) == b'^' || bt(j) == b'^' {
            if at(i) == 0 {
                return Ordering::Less;
            }
            if bt(j) == 0 {
                return Ordering::Greater;
            }
            if at(i) != b'^' {
                return Ordering::Greater;
            }
            if bt(j) != b'^' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if at(i) == 0 || bt(j) == 0 {
            break;
        }
        let (si, sj) = (i, j);
        let isnum = at(i).is_ascii_digit();
        if isnum {
            while at(i).is_ascii_digit() {
                i += 1;
            }
            while bt(j).is_ascii_digit() {
                j += 1;
            }
        } else {
            while at(i).is_ascii_alphabetic() {
                i += 1;
            }
            while bt(j).is_ascii_alphabetic() {
                j += 1;
            }
        }
        if sj == j {
            // segments of different types: numeric is newer
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[si..i], &b[sj..j]);
        if isnum {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match (at(i) == 0, bt(j) == 0) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        cmp_evr(
            &RpmVersion::parse(a).expect("a"),
            &RpmVersion::parse(b).expect("b"),
        )
    }

    #[test]
    fn orders_like_rpm() {
        // from rpm's tests/rpmvercmp.at
        assert_eq!(rpmvercmp(b"1.0", b"1.0"), Ordering::Equal);
        assert_eq!(rpmvercmp(b"1.0", b"2.0"), Ordering::Less);
        assert_eq!(rpmvercmp(b"2.0.1a", b"2.0.1"), Ordering::Greater);
        assert_eq!(rpmvercmp(b"5.5p1", b"5.5p10"), Ordering::Less);
        assert_eq!(rpmvercmp(b"10xyz", b"10.1xyz"), Ordering::Less);
        assert_eq!(rpmvercmp(b"xyz10", b"xyz10.1"), Ordering::Less);
        assert_eq!(rpmvercmp(b"1.0~rc1", b"1.0"), Ordering::Less);
        assert_eq!(rpmvercmp(b"1.0~rc1", b"1.0~rc1~git123"), Ordering::Greater);
        assert_eq!(rpmvercmp(b"1.0^", b"1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp(b"1.0^git1", b"1.0.1"), Ordering::Less);
        assert_eq!(rpmvercmp(b"1.0^git1~pre", b"1.0^git1"), Ordering::Less);
        assert_eq!(rpmvercmp(b"a+", b"a_"), Ordering::Equal);
        assert_eq!(rpmvercmp(b"1b.fc17", b"1.fc17"), Ordering::Less);
    }

    #[test]
    fn epoch_and_release_rules() {
        assert_eq!(cmp("1:1.0-1", "2.0-1"), Ordering::Greater);
        assert_eq!(cmp("0:1.0-1", "1.0-1"), Ordering::Equal);
        // a missing release is not compared
        assert_eq!(cmp("1.0", "1.0-5.el9"), Ordering::Equal);
        assert_eq!(cmp("1.0-5.el9", "1.0-5.el9_1"), Ordering::Less);
        // an empty release is no release
        assert_eq!(cmp("1.0-", "1.0-5.el9"), Ordering::Equal);
        assert!(RpmVersion::parse("-1").is_err());
        assert!(RpmVersion::parse("1:").is_err());
    }
}
