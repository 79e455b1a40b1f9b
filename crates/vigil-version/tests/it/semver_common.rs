//! Generators shared by the three SemVer-shaped schemes (npm, crates.io, Go).

use crate::sampling::{Lcg, fams};

pub const TOKENS: &[&str] = &[
    ".",
    "-",
    "+",
    "0",
    "00",
    "a",
    "alpha",
    "beta",
    "rc",
    ".1",
    "-rc.1",
    "+build",
    "v",
    "=",
    " ",
    "x",
    "*",
    "A",
    "-0",
    ".0",
    "9007199254740991",
    "18446744073709551616",
    "-",
    "--",
    "_",
    "+a.b",
    "incompatible",
];

pub fn edge_families() -> Vec<Vec<String>> {
    let mut f = fams(&[
        // the SemVer 2.0 precedence example, and more
        &[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1-0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ],
        &[
            "1.0.0-0",
            "1.0.0-0.0",
            "1.0.0-0a",
            "1.0.0-a-b",
            "1.0.0--",
            "1.0.0---",
            "1.0.0-A",
            "1.0.0-a",
            "1.0.0-Z",
            "1.0.0-z",
            "1.0.0-1",
            "1.0.0-10",
            "1.0.0-9",
            "1.0.0-1.a",
            "1.0.0-1.1",
            "1.0.0-a.1",
            "1.0.0-a.a",
            "1.0.0-1-",
            "1.0.0--1",
            "1.0.0-0-0",
        ],
        // numbers around 2^53 and 2^64
        &[
            "9007199254740990.0.0",
            "9007199254740991.0.0",
            "9007199254740992.0.0",
            "18446744073709551615.0.0",
            "18446744073709551616.0.0",
            "0.9007199254740991.0",
            "0.0.9007199254740992",
            "1.0.0-9007199254740990",
            "1.0.0-9007199254740991",
            "1.0.0-9007199254740992",
            "1.0.0-9007199254740993",
            "1.0.0-18446744073709551615",
            "1.0.0-18446744073709551616",
            "1.0.0-18446744073709551617",
            "1.0.0-99999999999999999999999",
            "1.0.0-9007199254740993.1",
            "1.0.0-9007199254740992.2",
            "1.0.0-a",
        ],
        // build metadata
        &[
            "1.0.0+a",
            "1.0.0+01",
            "1.0.0+a.b",
            "1.0.0+",
            "1.0.0+a+b",
            "1.0.0-a+b",
            "1.0.0+a..b",
            "1.0.0+-",
            "1.0.0+incompatible",
            "1.0.0-rc.1+build.5",
            "1.0.0-rc.1+build.6",
        ],
        // prefixes, whitespace, short forms, leading zeros
        &[
            "v1.0.0",
            "=1.0.0",
            " 1.0.0 ",
            "V1.0.0",
            "vv1.0.0",
            "v 1.0.0",
            "1.0",
            "1",
            "v1",
            "v1.2",
            "1.2",
            "01.0.0",
            "1.00.0",
            "1.0.00",
            "1.0.0.0",
            "1.0.0-01",
            "1.0.0-0.01",
            "1.0.0-",
            "1.0.0-a..b",
            "1.0.0-.a",
            "\u{feff}1.0.0",
            "1.0.0\u{85}",
            "1.0.0\u{a0}",
            "\t1.0.0\n",
            "1.0.0-a_b",
            "1.0.0-\u{e4}",
            "",
            "v",
            "1.2-pre",
            "v1-pre",
            "1.2+build",
        ],
        // Go: pseudo-versions and +incompatible
        &[
            "0.0.0-20191109021931-daa7c04131f5",
            "0.0.0-20191109021932-daa7c04131f5",
            "0.0.0-20200101000000-000000000000",
            "1.2.4-0.20191109021931-daa7c04131f5",
            "1.2.3",
            "1.2.4",
            "1.2.4-pre",
            "1.2.4-pre.0.20191109021931-daa7c04131f5",
            "2.0.0+incompatible",
            "2.0.1+incompatible",
            "2.0.0",
        ],
    ]);
    // node `semver`'s 256-character limit
    for n in [248, 249, 250, 251] {
        f.push(vec![
            format!("1.0.0-{}", "a".repeat(n)),
            format!("1.0.0-{}", "b".repeat(n)),
            format!("1.0.0+{}", "a".repeat(n)),
            "1.0.0".to_owned(),
        ]);
    }
    f
}

pub fn random_version(rng: &mut Lcg) -> String {
    let num = |rng: &mut Lcg| {
        if rng.chance(85) {
            let n = if rng.chance(50) { 3 } else { 30 };
            rng.below(n).to_string()
        } else {
            rng.number()
        }
    };
    let mut s = String::new();
    if rng.chance(10) {
        s.push('v');
    }
    s.push_str(&num(rng));
    s.push('.');
    s.push_str(&num(rng));
    s.push('.');
    s.push_str(&num(rng));
    if rng.chance(45) {
        s.push('-');
        for i in 0..1 + rng.below(3) {
            if i > 0 {
                s.push('.');
            }
            if rng.chance(45) {
                s.push_str(&num(rng));
            } else {
                s.push_str(rng.word(&[
                    "alpha", "beta", "rc", "a", "b", "pre", "dev", "Alpha", "RC", "x-y", "-", "0a",
                    "next", "canary",
                ]));
            }
        }
    }
    if rng.chance(15) {
        s.push('+');
        s.push_str(rng.word(&[
            "build",
            "001",
            "sha.5114f85",
            "exp.sha",
            "incompatible",
            "20130313144700",
        ]));
    }
    s
}

/// Every numeric pre-release identifier of a (roughly parsed) SemVer string.
pub fn has_big_numeric_pre(v: &str) -> bool {
    let rest = v.split('+').next().unwrap_or(v);
    let Some((_, pre)) = rest.split_once('-') else {
        return false;
    };
    pre.split('.').any(|id| {
        !id.is_empty()
            && id.bytes().all(|c| c.is_ascii_digit())
            && id.parse::<u64>().map_or(true, |n| n >= (1 << 53) - 1)
    })
}
