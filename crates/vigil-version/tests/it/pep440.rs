//! PEP 440: differential against Python's `packaging` 24.2 (`packaging.version.Version`), the
//! implementation pip uses.

use std::process::Command;

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known, ask, oracles_dir, require};
use crate::sampling::{Lcg, Mix, fams, standard_mix};

const TOKENS: &[&str] = &[
    ".",
    "-",
    "_",
    "a",
    "b",
    "rc",
    "c",
    "pre",
    "preview",
    "alpha",
    "beta",
    "dev",
    "post",
    "rev",
    "r",
    "!",
    "1!",
    "+",
    "+local",
    "+ubuntu.1",
    ".post1",
    ".dev0",
    "v",
    "V",
    "0",
    "00",
    "RC",
    " ",
    "*",
    ".*",
    "+1",
    "+a.b",
    "-1",
];

fn edge_families() -> Vec<Vec<String>> {
    fams(&[
        // the release cycle
        &[
            "1.0.dev0",
            "1.0.dev1",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a1.post1.dev1",
            "1.0a1.post1",
            "1.0a2",
            "1.0b1",
            "1.0rc1.dev1",
            "1.0rc1",
            "1.0",
            "1.0+local",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.0.post1+local",
            "1.0.1",
            "1!0.1",
        ],
        // normalisation of spellings
        &[
            "1.0rc1",
            "1.0RC1",
            "1.0-rc1",
            "1.0.rc.1",
            "1.0_rc_1",
            "1.0c1",
            "1.0pre1",
            "1.0preview1",
            "1.0-pre.1",
            "1.0rc",
            "1.0rc0",
        ],
        &[
            "1.0a1",
            "1.0alpha1",
            "1.0.alpha.1",
            "1.0-a-1",
            "1.0A1",
            "1.0a",
            "1.0a0",
            "1.0b",
            "1.0beta",
            "1.0Beta2",
        ],
        &[
            "1.0.post1",
            "1.0-1",
            "1.0post1",
            "1.0-post1",
            "1.0.post",
            "1.0rev1",
            "1.0r1",
            "1.0-r-1",
            "1.0_post_1",
            "1.0.POST1",
            "1.0-0",
        ],
        &[
            "1.0.dev1",
            "1.0dev1",
            "1.0-dev1",
            "1.0.dev",
            "1.0DEV",
            "1.0_dev_1",
            "1.0dev0",
        ],
        // release segments, epochs, prefixes, whitespace
        &[
            "1",
            "1.0",
            "1.0.0",
            "1.0.0.0",
            "01.0",
            "1.00",
            "1.01",
            "1.1",
            "v1.0",
            "V1.0",
            " 1.0 ",
            "\t1.0\n",
            "0!1.0",
            "1!1.0",
            "01!1.0",
            "2!0",
            "1!1.0.post1",
        ],
        // local versions
        &[
            "1.0+1",
            "1.0+a",
            "1.0+a.1",
            "1.0+1.a",
            "1.0+abc",
            "1.0+ABD",
            "1.0+01",
            "1.0+0",
            "1.0+a-1",
            "1.0+a_1",
            "1.0+a.b.c",
            "1.0+ubuntu1",
            "1.0+ubuntu1.1",
            "1.0+2",
            "1.0+10",
            "1.0+1a",
        ],
        // long numbers
        &[
            "1.18446744073709551615",
            "1.18446744073709551616",
            "1.99999999999999999999",
            "18446744073709551616!1.0",
            "1.0a18446744073709551616",
            "1.0.post18446744073709551615",
            "1.0+18446744073709551616",
            "1.9007199254740993",
            "1.9007199254740992",
            "4294967296.0",
        ],
        // invalid
        &[
            "",
            "a",
            "1.0.*",
            "1.0+",
            "1.0+.",
            "1..0",
            "1.0 a",
            "1.0-",
            "1.0_",
            "1.0a-1-",
            ".1",
            "1.",
            "1.0+a..b",
            "1.0.post1.post2",
            "1.0a1b1",
            "!1.0",
            "1!",
            "1.0 ",
            "1.0+Ümlaut",
            "1.0\u{a0}",
        ],
    ])
}

fn random_version(rng: &mut Lcg) -> String {
    let mut s = String::new();
    if rng.chance(8) {
        s.push_str(&rng.below(3).to_string());
        s.push('!');
    }
    s.push_str(&rng.number());
    for _ in 0..rng.below(4) {
        s.push('.');
        s.push_str(&rng.number());
    }
    if rng.chance(35) {
        s.push_str(rng.word(&["", ".", "-", "_"]));
        s.push_str(rng.word(&["a", "b", "rc", "c", "alpha", "beta", "pre", "preview"]));
        if rng.chance(80) {
            s.push_str(rng.word(&["", ".", "-", "_"]));
            s.push_str(&rng.number());
        }
    }
    if rng.chance(25) {
        s.push_str(rng.word(&[".post", "-post", "post", ".rev", "-"]));
        s.push_str(&rng.number());
    }
    if rng.chance(25) {
        s.push_str(rng.word(&[".dev", "dev", "-dev", "_dev"]));
        if rng.chance(80) {
            s.push_str(&rng.number());
        }
    }
    if rng.chance(15) {
        s.push('+');
        for i in 0..1 + rng.below(3) {
            if i > 0 {
                s.push_str(rng.word(&[".", "-", "_"]));
            }
            if rng.chance(50) {
                s.push_str(&rng.number());
            } else {
                s.push_str(rng.word(&["ubuntu", "deb", "abc", "ABC", "g1234", "cpu", "cu118"]));
            }
        }
    }
    s
}

const KNOWN: &[Known] = &[];

#[test]
fn pep440_differential() {
    require(
        "python3",
        &["-c", "import packaging.version"],
        "python3 -m pip install packaging==24.2",
    );

    let mut rng = Lcg::new(0x9e44);
    let real = corpus::pypi();
    let edges = edge_families();
    let Mix { pairs, versions } = standard_mix(
        real,
        &edges,
        TOKENS,
        &mut random_version,
        (700, 800),
        &mut rng,
    );

    let script = oracles_dir().join("pep440.py");
    Diff {
        scheme: Scheme::Pep440,
        versions,
        pairs: pairs.list,
        known: KNOWN,
        parse_diff: &|v, ours, _| {
            let huge = v.split(|c: char| !c.is_ascii_digit()).any(|run| {
                run.trim_start_matches('0').len() > 19
                    || run.parse::<u64>().is_err() && !run.is_empty()
            });
            if !ours && huge {
                return Some(
                    "a number above u64::MAX (pep440_rs stores u64; packaging has big integers)",
                );
            }
            None
        },
        to_ref: &|v| v.to_owned(),
        min_pairs: 5000,
    }
    .run(|reqs| {
        let mut c = Command::new("python3");
        c.arg(&script);
        ask(c, reqs)
    });
}
