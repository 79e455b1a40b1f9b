//! Debian package versions: `[epoch:]upstream[-revision]`, ordered as dpkg's `verrevcmp`.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DpkgVersion {
    epoch: u32,
    upstream: String,
    revision: String,
}

impl DpkgVersion {
    /// Parses as dpkg's `parseversion` does. Its fatal errors are errors here; what dpkg only
    /// warns about (an upstream part not starting with a digit, unusual characters) is accepted,
    /// as `dpkg --compare-versions` accepts it.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim_matches(|c| c == ' ' || c == '\t');
        if t.is_empty() {
            return Err("version string is empty".into());
        }
        if t.contains([' ', '\t']) {
            return Err("version string has embedded spaces".into());
        }
        let (epoch, rest) = match t.split_once(':') {
            Some((e, rest)) => {
                let epoch = strtol_epoch(e)?;
                if rest.is_empty() {
                    return Err("nothing after colon in version number".into());
                }
                (epoch, rest)
            }
            None => (0, t),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => {
                if i + 1 == rest.len() {
                    return Err("revision number is empty".into());
                }
                (&rest[..i], &rest[i + 1..])
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("version number is empty".into());
        }
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

/// The epoch as dpkg reads it: `strtol(s, &end, 10)` must stop exactly at the colon, so C
/// whitespace and a sign may precede the digits (`+1:`, even `-0:`), and the value must fit an
/// `int`.
fn strtol_epoch(e: &str) -> Result<u32, String> {
    let t = e.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'+') => (false, &t[1..]),
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return Err("epoch in version is empty".into());
    }
    if n != digits.len() {
        return Err("epoch in version is not number".into());
    }
    let value = digits.trim_start_matches('0');
    if value.len() > 10 {
        return Err("epoch in version is too big".into());
    }
    let value: u64 = if value.is_empty() {
        0
    } else {
        value
            .parse()
            .map_err(|_| "epoch in version is not number")?
    };
    if negative && value != 0 {
        return Err("epoch in version is negative".into());
    }
    u32::try_from(value)
        .ok()
        .filter(|v| *v <= i32::MAX as u32)
        .ok_or_else(|| "epoch in version is too big".into())
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn order(c: u8) -> i32 {
    match c {
        0 => 0,
        b'0'..=b'9' => 0,
        b'a'..=b'z' | b'A'..=b'Z' => i32::from(c),
        b'~' => -1,
        _ => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit runs (letters sort before non-letters, `~` before
/// everything, even the end) and digit runs compared numerically.
pub(crate) fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let at = |i: usize| a.get(i).copied().unwrap_or(0);
    let bt = |j: usize| b.get(j).copied().unwrap_or(0);
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        while (at(i) != 0 && !at(i).is_ascii_digit()) || (bt(j) != 0 && !bt(j).is_ascii_digit()) {
            let (ac, bc) = (order(at(i)), order(bt(j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(i) == b'0' {
            i += 1;
        }
        while bt(j) == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while at(i).is_ascii_digit() && bt(j).is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = at(i).cmp(&bt(j));
            }
            i += 1;
            j += 1;
        }
        if at(i).is_ascii_digit() {
            return Ordering::Greater;
        }
        if bt(j).is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        DpkgVersion::parse(a)
            .expect("a")
            .cmp(&DpkgVersion::parse(b).expect("b"))
    }

    #[test]
    fn orders_like_dpkg() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0+b1"), Ordering::Less);
        assert_eq!(cmp("1:0.1", "2.0"), Ordering::Greater);
        assert_eq!(cmp("1.0-1", "1.0-1~bpo1"), Ordering::Greater);
        assert_eq!(cmp("1.01", "1.1"), Ordering::Equal);
        assert_eq!(cmp("0:1.0", "1.0"), Ordering::Equal);
        assert_eq!(cmp("1.0a", "1.0+"), Ordering::Less);
        assert_eq!(cmp("2.36.1-8+deb11u1", "2.36.1-8+deb11u2"), Ordering::Less);
        // strtol: a sign before the epoch digits
        assert_eq!(cmp("+1:1.0", "1:1.0"), Ordering::Equal);
        assert_eq!(cmp("-0:1.0", "1.0"), Ordering::Equal);
    }

    #[test]
    fn rejects_what_dpkg_rejects() {
        for bad in [
            "",
            "1:",
            ":1",
            "a:1",
            "1.0-",
            "1 0",
            "-1:1",
            "+:1",
            "2147483648:1",
            "1a:1",
        ] {
            assert!(DpkgVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}
