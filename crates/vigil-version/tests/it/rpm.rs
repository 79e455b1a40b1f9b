//! Rpm: differential against rpm itself through Debian's python3-rpm: `rpm.ver` splits the EVR
//! with rpm's own `parseEVR`, `rpm.labelCompare` compares with `rpmvercmp`. As in rpm's
//! dependency matching (`rpmverOverlap`), and unlike `rpmverCmp`, the release is compared only
//! when both sides have one (see `tests/oracles/rpm_evr.py`).

use std::process::Command;

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known, ask, oracles_dir, require};
use crate::sampling::{Lcg, Mix, fams, standard_mix};

const PYTHON: &str = "/usr/bin/python3";

const TOKENS: &[&str] = &[
    "~", "^", ".", "_", "+", "-", ":", "1:", "a", "z", "A", "0", "00", "9", "~rc1", "^git1", "-1",
    ".el9", ".el9_2", ".fc38", "p1", "~~", "^^", "%", "é",
];

fn edge_families() -> Vec<Vec<String>> {
    fams(&[
        // tilde (before everything, even the end) and caret (after the end, before more)
        &[
            "1.0~~",
            "1.0~",
            "1.0~rc1",
            "1.0~rc1~git1",
            "1.0~rc1^git1",
            "1.0~rc2",
            "1.0",
            "1.0^",
            "1.0^git1",
            "1.0^git1~pre",
            "1.0^git2",
            "1.0^^",
            "1.0.1",
            "1.0a",
            "1.0.0",
            "1.0~^",
            "1.0^~",
        ],
        // separators are all equal; empty segments vanish
        &[
            "1.0", "1_0", "1+0", "1..0", "1.0.", ".1.0", "1%0", "1,0", "a+", "a_", "a", "1.é.0",
        ],
        // alpha against numeric segments
        &[
            "1a", "1.a", "a1", "1", "1b.fc17", "1.fc17", "5.5p1", "5.5p10", "5.5p2", "10xyz",
            "10.1xyz", "xyz10", "xyz10.1", "1.0a", "1.0A", "1.0Z", "1.0z", "1.0aa",
        ],
        // leading zeros and long numbers
        &[
            "1.01",
            "1.001",
            "1.1",
            "001",
            "1",
            "0",
            "00",
            "1.18446744073709551615",
            "1.18446744073709551616",
            "1.99999999999999999999",
            "1.000000000000000000000000001",
            "1.100000000000000000000",
        ],
        // epochs
        &[
            "0:1.0",
            "1.0",
            "1:1.0",
            ":1.0",
            "01:1.0",
            "a:1.0",
            "1:2:3",
            "2:0.1",
            "10:1",
            "9:9",
            "1:1.0-1",
            "0:1.0-1",
            "18446744073709551616:1",
        ],
        // releases
        &[
            "1.0-1",
            "1.0-1.el9",
            "1.0-1.el9_2",
            "1.0-1.el9_10",
            "1.0-2.el9",
            "1.0-10.el9",
            "1.0",
            "1.0-1-2",
            "1.0-1~beta",
            "1.0-1^post",
            "1.0-0",
            "1:1.0-1.el8",
            "1.0-1.module+el8.4.0+1234+abcdef12",
            "1.0-1.module+el8.10.0+1234+abcdef12",
        ],
        // real-world shapes
        &[
            "2:1.2.3-4.el9_2",
            "1.2.3-4.el9_2",
            "2:1.2.3-4.el9",
            "4.18.0-477.10.1.el8_8",
            "4.18.0-477.13.1.el8_8",
            "5.14.0-284.11.1.el9_2",
            "1:9.16.23-0.14.el9_2.1",
            "32:9.11.36-8.el8_8.1",
        ],
        // whitespace, empty parts
        &[
            "", " ", "1.0 ", " 1.0", "1 0", "1.0-", "-1", "1:", ":", "1:-1", "-", "1.0\t",
        ],
    ])
}

fn random_version(rng: &mut Lcg) -> String {
    let mut s = String::new();
    if rng.chance(15) {
        s.push_str(&rng.below(3).to_string());
        s.push(':');
    }
    s.push_str(&rng.number());
    for _ in 0..rng.below(4) {
        s.push_str(rng.word(&[".", ".", ".", "_", "+", "~", "^", ""]));
        if rng.chance(75) {
            s.push_str(&rng.number());
        } else {
            s.push_str(rng.word(&["a", "rc", "beta", "git", "p", "Z", "post"]));
        }
    }
    if rng.chance(70) {
        s.push('-');
        s.push_str(&rng.number());
        for _ in 0..rng.below(3) {
            s.push_str(rng.word(&[".el9", ".el8_", ".fc", "_", ".", "~", "^", ".module+el8."]));
            if rng.chance(70) {
                s.push_str(&rng.number());
            }
        }
    }
    s
}

const KNOWN: &[Known] = &[Known {
    a: " 1:1.0",
    b: "2.0",
    reason: "Vigil trims surrounding whitespace first; rpm's parseEVR finds no epoch behind a \
             leading blank (version ` 1:1.0`)",
}];

#[test]
fn rpm_differential() {
    require(
        PYTHON,
        &["-c", "import rpm"],
        "apt-get install python3-rpm   (Debian's /usr/bin/python3)",
    );

    let mut rng = Lcg::new(0x0e9a);
    let real = corpus::almalinux();
    let edges = edge_families();
    let Mix { pairs, versions } = standard_mix(
        real,
        &edges,
        TOKENS,
        &mut random_version,
        (700, 800),
        &mut rng,
    );

    let script = oracles_dir().join("rpm_evr.py");
    Diff {
        scheme: Scheme::Rpm,
        versions,
        pairs: pairs.list,
        known: KNOWN,
        parse_diff: &|v, ours, _| {
            if ours {
                return None;
            }
            let t = v.trim();
            if t.is_empty() {
                return Some("a blank string (rpm reads a blank version)");
            }
            if t.chars().any(char::is_whitespace) {
                return Some("whitespace inside the EVR (rpm takes blanks as separators)");
            }
            None
        },
        to_ref: &|v| v.to_owned(),
        min_pairs: 5000,
    }
    .run(|reqs| {
        let mut c = Command::new(PYTHON);
        c.arg(&script);
        ask(c, reqs)
    });
}
