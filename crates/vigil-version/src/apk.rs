//! Alpine package versions, ordered as apk-tools 2.14's `version.c` (the apk of Alpine up to
//! 3.22): digits, letters, `_suffix` with pre-release suffixes sorting first, `-rN` revisions.

use std::cmp::Ordering;

const DIGIT_OR_ZERO: i8 = 0;
const DIGIT: i8 = 1;
const LETTER: i8 = 2;
const SUFFIX: i8 = 3;
const SUFFIX_NO: i8 = 4;
const REVISION_NO: i8 = 5;
const END: i8 = 6;
const INVALID: i8 = -1;

const PRE_SUFFIXES: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
const POST_SUFFIXES: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];

struct Cursor<'a> {
    s: &'a [u8],
}

impl Cursor<'_> {
    fn next_token(&mut self, ty: &mut i8) {
        let mut n = INVALID;
        let c0 = self.s.first().copied().unwrap_or(0);
        if c0 == 0 {
            n = END;
        } else if (*ty == DIGIT || *ty == DIGIT_OR_ZERO) && c0.is_ascii_lowercase() {
            n = LETTER;
        } else if *ty == LETTER && c0.is_ascii_digit() {
            n = DIGIT;
        } else if *ty == SUFFIX && c0.is_ascii_digit() {
            n = SUFFIX_NO;
        } else {
            match c0 {
                b'.' => n = DIGIT_OR_ZERO,
                b'_' => n = SUFFIX,
                b'-' if self.s.get(1) == Some(&b'r') => {
                    n = REVISION_NO;
                    self.s = &self.s[1..];
                }
                _ => {}
            }
            self.s = &self.s[1..];
        }
        if n < *ty
            && !((n == DIGIT_OR_ZERO && *ty == DIGIT)
                || (n == SUFFIX && *ty == SUFFIX_NO)
                || (n == DIGIT && *ty == LETTER))
        {
            n = INVALID;
        }
        *ty = n;
    }

    fn get_token(&mut self, ty: &mut i8) -> i64 {
        if self.s.is_empty() {
            *ty = END;
            return 0;
        }
        let mut v: i64 = 0;
        let mut i = 0usize;
        let mut nt = INVALID;
        let s = self.s;
        let digits = |i: &mut usize, v: &mut i64| {
            while *i < s.len() && s[*i].is_ascii_digit() {
                *v = v.saturating_mul(10).saturating_add(i64::from(s[*i] - b'0'));
                *i += 1;
            }
        };
        match *ty {
            DIGIT_OR_ZERO if s[0] == b'0' => {
                // leading zeros: all but the last are consumed, their count is the value
                while i + 1 < s.len() && s[i + 1] == b'0' {
                    i += 1;
                }
                nt = DIGIT;
                v = -(i as i64);
            }
            DIGIT_OR_ZERO | DIGIT | SUFFIX_NO | REVISION_NO => {
                digits(&mut i, &mut v);
                if i >= 18 {
                    *ty = INVALID;
                    return -1;
                }
            }
            LETTER => {
                v = i64::from(s[0]);
                i = 1;
            }
            SUFFIX => {
                if let Some(k) = PRE_SUFFIXES.iter().position(|p| s.starts_with(p)) {
                    i = PRE_SUFFIXES[k].len();
                    v = k as i64 - PRE_SUFFIXES.len() as i64;
                } else if let Some(k) = POST_SUFFIXES.iter().position(|p| s.starts_with(p)) {
                    i = POST_SUFFIXES[k].len();
                    v = k as i64;
                } else {
                    *ty = INVALID;
                    return -1;
                }
            }
            _ => {
                *ty = INVALID;
                return -1;
            }
        }
        self.s = &s[i..];
        if self.s.is_empty() {
            *ty = END;
        } else if nt != INVALID {
            *ty = nt;
        } else {
            self.next_token(ty);
        }
        v
    }
}

/// apk's `apk_version_validate`.
pub(crate) fn validate(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("version string is empty".into());
    }
    let mut c = Cursor { s: s.as_bytes() };
    let mut t = DIGIT;
    while t != END && t != INVALID {
        c.get_token(&mut t);
    }
    if t == END {
        Ok(s.to_owned())
    } else {
        let at = s.len() - c.s.len();
        Err(format!("unexpected text at byte {at}"))
    }
}

pub(crate) fn is_prerelease(s: &str) -> bool {
    ["_alpha", "_beta", "_pre", "_rc"]
        .iter()
        .any(|p| s.contains(p))
}

/// apk's `apk_version_compare_blob`.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let mut ca = Cursor { s: a.as_bytes() };
    let mut cb = Cursor { s: b.as_bytes() };
    let (mut at, mut bt) = (DIGIT, DIGIT);
    let (mut av, mut bv) = (0i64, 0i64);
    while at == bt && at != END && at != INVALID && av == bv {
        av = ca.get_token(&mut at);
        bv = cb.get_token(&mut bt);
    }
    if av != bv {
        return av.cmp(&bv);
    }
    if at == bt {
        return Ordering::Equal;
    }
    // the leading components are equal: the longer version is newer, unless what follows is a
    // pre-release suffix
    let mut tt = at;
    if at == SUFFIX && ca.get_token(&mut tt) < 0 {
        return Ordering::Less;
    }
    let mut tt = bt;
    if bt == SUFFIX && cb.get_token(&mut tt) < 0 {
        return Ordering::Greater;
    }
    if at > bt {
        Ordering::Less
    } else if bt > at {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_apk() {
        assert_eq!(compare("1.0", "1.0"), Ordering::Equal);
        assert_eq!(compare("1.0_rc1", "1.0"), Ordering::Less);
        assert_eq!(compare("1.0_p1", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0-r1", "1.0-r0"), Ordering::Greater);
        assert_eq!(compare("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0", "1"), Ordering::Greater);
        assert_eq!(compare("3.0.13-r0", "3.0.8-r0"), Ordering::Greater);
        assert_eq!(compare("1.01", "1.1"), Ordering::Less);
        assert_eq!(compare("1.0_alpha", "1.0_beta"), Ordering::Less);
    }

    #[test]
    fn validates() {
        assert!(validate("1.2.3-r4").is_ok());
        assert!(validate("1.2.3_git20200101-r0").is_ok());
        assert!(validate("1.2.3_foo").is_err());
        assert!(validate("1.2-3").is_err());
        assert!(validate("").is_err());
    }
}
