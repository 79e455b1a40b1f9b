//! NuGet: **NOT differential.** No NuGet.Versioning implementation is installable here (no
//! dotnet), so these are hand-made vectors written from the NuGet documentation ("Package
//! versioning": version normalization and pre-release ordering) and NuGet.Versioning's rules:
//! `NuGetVersion.TryParse` (trimmed; 1 to 4 numeric parts of at most `int.MaxValue`, leading zeros
//! allowed; release labels of `[0-9A-Za-z-]` without leading zeros in numeric labels; build
//! metadata of `[0-9A-Za-z-]` parts) and `VersionComparer.Default` (numeric parts, then "no
//! labels" after any labels, labels one by one: numeric ones numerically and before alphanumeric
//! ones, alphanumeric ones case-insensitively, more labels after fewer; metadata ignored).

use std::cmp::Ordering;

use vigil_version::Scheme;

fn cmp(a: &str, b: &str) -> Ordering {
    Scheme::NuGet
        .compare(a, b)
        .unwrap_or_else(|e| panic!("{a} vs {b}: {e}"))
}

#[test]
fn nuget_vectors_ascending() {
    // each strictly below the next
    let ascending = [
        "0.0.0-0",
        "0.0.0",
        "0.0.1",
        "0.1",
        "1.0.0-0",
        "1.0.0-1",
        "1.0.0-2",
        "1.0.0-10",
        "1.0.0-2147483647",
        "1.0.0--",
        "1.0.0--1a",
        "1.0.0-0a",
        "1.0.0-2147483648",
        "1.0.0-A",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.1.1",
        "1.0.0-alpha.2",
        "1.0.0-alpha.10",
        "1.0.0-alpha.a",
        "1.0.0-alpha.beta",
        "1.0.0-alpha-1",
        "1.0.0-alpha1",
        "1.0.0-alpha10",
        "1.0.0-alpha2",
        "1.0.0-b",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0-RC.2",
        "1.0.0-z",
        "1.0.0",
        "1.0.0.1-alpha",
        "1.0.0.1",
        "1.0.0.10",
        "1.0.1-beta",
        "1.0.1",
        "1.1",
        "1.10",
        "2.0.0-rc",
        "2",
        "2.0.0.2147483647",
        "2147483647.0",
    ];
    for (i, a) in ascending.iter().enumerate() {
        for b in &ascending[i + 1..] {
            assert_eq!(cmp(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(cmp(b, a), Ordering::Greater, "{b} > {a}");
        }
    }
}

#[test]
fn nuget_vectors_equal() {
    for group in [
        // normalization of the numeric parts
        &[
            "1.0", "1.0.0", "1.0.0.0", "1", "01.0", "1.00.0", "1.0.0.00", " 1.0.0 ",
        ][..],
        // build metadata is ignored
        &["1.0.0+build", "1.0.0+other.1", "1.0.0+01", "1.0.0"],
        &["1.0.0-beta+a", "1.0.0-beta+b", "1.0.0-beta"],
        // labels compare case-insensitively
        &["1.0.0-Alpha", "1.0.0-alpha", "1.0.0-ALPHA", "1.0.0.0-aLpHa"],
        &["1.0.0-RC.1", "1.0.0-rc.1"],
        // a negative number label ("-1" is int.TryParse-able) equals itself
        &["1.0.0--1", "1.0.0--01"],
    ] {
        for a in group {
            for b in group {
                assert_eq!(cmp(a, b), Ordering::Equal, "{a} = {b}");
            }
        }
    }
    assert!(
        cmp("1.0.0--1", "1.0.0-0") == Ordering::Less,
        "-1 is a number below 0"
    );
}

#[test]
fn nuget_vectors_prerelease_flag() {
    for (v, pre) in [
        ("1.0.0", false),
        ("1.0.0+meta", false),
        ("1.0.0-beta", true),
        ("1.0.0.1-0", true),
    ] {
        let parsed = Scheme::NuGet.parse(v).expect(v);
        assert_eq!(parsed.is_prerelease(), pre, "{v}");
    }
}

#[test]
fn nuget_vectors_invalid() {
    for bad in [
        "",
        " ",
        "a",
        "v1.0",
        "1.",
        ".1",
        "1..0",
        "1.0.0.0.0",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-a+",
        "1.0.0-a..b",
        "1.0.0-.a",
        "1.0.0-a.",
        "1.0.0-a_b",
        "1.0.0-\u{e4}",
        "1.0.0+a+b",
        "1.0.0+a..b",
        "1.0.0+a_b",
        // leading zeros in numeric release labels
        "1.0.0-01",
        "1.0.0-alpha.01",
        "1.0.0-00",
        // numeric parts are non-negative ints
        "2147483648.0",
        "1.2147483648",
        "1.0.0.99999999999",
        "-1.0",
        // not mirrored: System.Version's sign and blanks inside parts
        "+1.0",
        "1. 0",
        "1 .0",
    ] {
        assert!(
            Scheme::NuGet.parse(bad).is_err(),
            "{bad:?} must be rejected"
        );
    }
    for good in [
        "1.0.0-0",
        "1.0.0-0a",
        "1.0.0-0-0",
        "1.0.0-a-",
        "1.0.0+00",
        "1.0.0-a+b-c.0",
    ] {
        assert!(
            Scheme::NuGet.parse(good).is_ok(),
            "{good:?} must be accepted"
        );
    }
}
