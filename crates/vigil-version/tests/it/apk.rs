//! Apk: **NOT differential.** apk-tools is not installable here (Debian has no package), so
//! these are hand-made vectors written from the Alpine package version rules as apk-tools 2.14
//! (`src/version.c`) implements them: `digit{.digit}...{letter}{_suffix{digits}}...{-r#}`, where
//! pre-release suffixes (`_alpha` < `_beta` < `_pre` < `_rc`) sort before the bare version and
//! post-release ones (`_cvs` < `_svn` < `_git` < `_hg` < `_p`) after it; when one version runs
//! out first, the kind of token that follows in the other decides (a `.digit` beats a letter,
//! which beats a suffix, which beats a revision, which beats the end); zeros leading a
//! non-first component make it smaller; components of 18 or more digits are invalid.
//!
//! The real Alpine secdb versions (legacy YAML) must all parse and sort consistently.
//! Optionally, `VIGIL_APK_VERSION_DATA=<apk-tools>/test/version.data` checks every line of
//! apk-tools' own test data (not vendored here: GPL-2.0) against Vigil.

use std::cmp::Ordering;

use vigil_version::Scheme;

use crate::corpus;
use crate::sampling::Lcg;

fn cmp(a: &str, b: &str) -> Ordering {
    Scheme::Apk
        .compare(a, b)
        .unwrap_or_else(|e| panic!("{a} vs {b}: {e}"))
}

fn assert_ascending(chain: &[&str]) {
    for (i, a) in chain.iter().enumerate() {
        for b in &chain[i + 1..] {
            assert_eq!(cmp(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(cmp(b, a), Ordering::Greater, "{b} > {a}");
        }
    }
}

#[test]
fn apk_vectors_suffixes_letters_revisions() {
    assert_ascending(&[
        "1.0_alpha",
        "1.0_alpha1",
        "1.0_alpha2",
        "1.0_alpha10",
        "1.0_beta",
        "1.0_beta1",
        "1.0_pre",
        "1.0_pre1",
        "1.0_rc",
        "1.0_rc1",
        "1.0_rc1-r1",
        "1.0_rc2",
        "1.0",
        "1.0-r0",
        "1.0-r1",
        "1.0-r2",
        "1.0-r10",
        "1.0_cvs",
        "1.0_svn",
        "1.0_git",
        "1.0_git20200101",
        "1.0_git20200102",
        "1.0_hg",
        "1.0_p",
        "1.0_p1",
        "1.0_p1-r1",
        "1.0_p2",
        "1.0a_alpha",
        "1.0a",
        "1.0a-r1",
        "1.0a_p1",
        "1.0b",
        "1.0z",
        "1.0.0",
        "1.0.1_rc1",
        "1.0.1",
        "1.1",
        "1.2",
        "1.10",
        "2",
    ]);
}

#[test]
fn apk_vectors_numbers() {
    assert_ascending(&[
        "0",
        "0.1",
        "0.9",
        "0.10",
        "0.99",
        "0.100",
        "1",
        "1.2.3",
        "1.2.3.0",
        "1.2.3.4",
        "1.2.10",
        "1.10.1",
        "9",
        "10",
        "99999999999999998",
        "99999999999999999",
    ]);
    // zeros leading a non-first component make it smaller
    assert_ascending(&["1.00", "1.001", "1.0", "1.01", "1.1"]);
    assert_ascending(&["1.000", "1.00", "1.0", "1.0.1"]);
    for (a, b) in [
        ("1", "01"),
        ("1", "001"),
        ("1.0-r", "1.0-r0"),
        ("1.0-r01", "1.0-r1"),
        ("1.0_p01", "1.0_p1"),
        ("1.2.3", "1.2.3"),
    ] {
        assert_eq!(cmp(a, b), Ordering::Equal, "{a} = {b}");
    }
}

#[test]
fn apk_vectors_real_world() {
    assert_ascending(&[
        "2.6.3-r0", "2.7.9-r0", "2.8.2-r0", "2.8.4-r0", "2.8.6-r0", "2.9.3-r0", "2.9.3-r1",
    ]);
    assert_ascending(&["3.0.8-r0", "3.0.13-r0", "3.0.13-r1"]);
    assert_ascending(&[
        "1.1.1k-r0",
        "1.1.1l-r0",
        "1.1.1t-r0",
        "1.1.1t-r1",
        "3.0.0_alpha1-r0",
    ]);
    assert_ascending(&["9.18.19_p1-r0", "9.18.19_p2-r0", "9.18.24-r0"]);
}

#[test]
fn apk_vectors_validity() {
    for good in [
        "1",
        "1.2.3-r4",
        "1.2.3_git20200101-r0",
        "1.0_rc1_p2",
        "1.0_alpha_beta",
        "1.0-r",
        "1.0-r1-r2",
        "1.0.",
        "1.0_",
        "0.12.5.-r0",
        "99999999999999999",
        "1.99999999999999999",
    ] {
        assert!(Scheme::Apk.parse(good).is_ok(), "{good:?} must be accepted");
    }
    for bad in [
        // empty: apk_version_validate("") is true, but an empty version is no version
        "",
        "1.2.3_foo",
        "1.2-3",
        "1.0ab",
        "1.0bc",
        "1.0A",
        "1.0a.1",
        "1.0-r1_p1",
        "1.0-r1a",
        "1.0 ",
        " 1.0",
        "1.0-1",
        "1.0~rc1",
        "1.0+1",
        "1.0_P1",
        "1.0_RC1",
        "999999999999999999",
        "1.123456789012345678",
        "1.0_p123456789012345678",
    ] {
        assert!(Scheme::Apk.parse(bad).is_err(), "{bad:?} must be rejected");
    }
}

#[test]
fn apk_vectors_prerelease_flag() {
    for (v, pre) in [
        ("1.0_alpha1", true),
        ("1.0_beta", true),
        ("1.0_pre2-r1", true),
        ("1.0_rc3", true),
        ("1.0", false),
        ("1.0_p1", false),
        ("1.0_git20200101", false),
        ("1.0a", false),
    ] {
        assert_eq!(Scheme::Apk.parse(v).expect(v).is_prerelease(), pre, "{v}");
    }
}

/// Every secfix version of the legacy Alpine secdb parses, and the order is a consistent total
/// order on them (sorting, then sampled pairs of the sorted list).
#[test]
fn apk_real_versions_parse_and_sort() {
    let fams = corpus::alpine();
    let mut all: Vec<vigil_version::Version> = Vec::new();
    let mut bad = Vec::new();
    for v in fams.iter().flatten() {
        match Scheme::Apk.parse(v) {
            Ok(p) => all.push(p),
            Err(_) => bad.push(v.as_str()),
        }
    }
    assert!(all.len() > 1000, "only {} secdb versions", all.len());
    // upstream data errors: a `-` not followed by `r` is invalid for apk-tools as well
    bad.sort_unstable();
    assert_eq!(
        bad,
        ["1.11-20-r0", "2.7.16-33", "4.10-1-r1", "57-1-r2"],
        "secdb versions rejected"
    );
    all.sort();
    let mut rng = Lcg::new(0xa9c);
    for _ in 0..20_000 {
        let i = rng.below(all.len());
        let j = rng.below(all.len());
        let (lo, hi) = (i.min(j), i.max(j));
        assert_ne!(
            all[lo].cmp(&all[hi]),
            Ordering::Greater,
            "sorted order broken: {} before {}",
            all[lo],
            all[hi]
        );
    }
    eprintln!(
        "vectors apk: {} real secdb versions parse and sort consistently (not differential)",
        all.len()
    );
}

/// apk-tools' own `test/version.data` (`a <|=|> b` per line), when its path is given.
#[test]
fn apk_upstream_version_data_if_given() {
    let Some(path) = std::env::var_os("VIGIL_APK_VERSION_DATA") else {
        eprintln!("vectors apk: VIGIL_APK_VERSION_DATA not set, apk-tools test data skipped");
        return;
    };
    let text = std::fs::read_to_string(&path).expect("read VIGIL_APK_VERSION_DATA");
    let (mut checked, mut invalid) = (0usize, 0usize);
    let mut wrong = Vec::new();
    for line in text.lines() {
        let mut w = line.split_whitespace();
        let (Some(a), Some(op), Some(b)) = (w.next(), w.next(), w.next()) else {
            continue;
        };
        let want = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => continue,
        };
        match Scheme::Apk.compare(a, b) {
            Ok(got) => {
                checked += 1;
                if got != want {
                    wrong.push(format!("{a} {op} {b}, Vigil says {got:?}"));
                }
            }
            Err(_) => invalid += 1,
        }
    }
    eprintln!("vectors apk: {checked} apk-tools test lines agree, {invalid} skipped (invalid)");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
