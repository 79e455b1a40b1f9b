//! Dpkg: differential against Perl's `Dpkg::Version` (libdpkg-perl) for the bulk, and against
//! the real `dpkg --compare-versions` for what Perl cannot judge (versions its strict
//! `version_check` rejects but dpkg accepts with a warning, digit runs too long for Perl's
//! floating-point `<=>`, non-ASCII bytes) plus a random cross-check sample of a few hundred.

use std::process::Command;

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known, Req, SKIP, ask, oracles_dir, require};
use crate::sampling::{Lcg, Mix, fams, sample, standard_mix};

const TOKENS: &[&str] = &[
    "~", "~~", "+", ".", "-", ":", "1:", "a", "z", "A", "Z", "0", "00", "9", "~rc1", "~beta2",
    "+b1", "+deb11u1", "~deb10u1", "-1", "-0", ".0", "+dfsg", "+really", "~bpo11+1", "_", "@",
];

fn edge_families() -> Vec<Vec<String>> {
    fams(&[
        // tilde sorts before everything, even the end; `+` after letters
        &[
            "1.0~~",
            "1.0~~a",
            "1.0~",
            "1.0~rc1",
            "1.0~rc1~1",
            "1.0~rc2",
            "1.0",
            "1.0+",
            "1.0+~",
            "1.0a",
            "1.0A",
            "1.0z",
            "1.0.",
            "1.0.0",
            "1.0-0",
            "1.0-1~bpo1",
            "1.0-1",
            "1.0-1+b1",
            "1.0-1.1",
            "1.0-1a",
            "1.0-1~",
        ],
        // epochs
        &[
            "0:1.0",
            "1.0",
            "1:1.0",
            "1:0.9",
            "01:1.0",
            "001:1.0",
            "2:0",
            "10:1",
            "9:99",
            "2147483647:1",
            "1:1.0-1",
            "1:1:1",
            "0:0",
            "0",
        ],
        // leading zeros and empty digit runs
        &[
            "1.01", "1.1", "1.001", "1.010", "1.10", "1.00", "1.0", "1", "1.", "1..0", "1.0.",
            "1.0.0.0", "01", "00", "0", "0.0",
        ],
        // letters against punctuation
        &[
            "1a", "1z", "1A", "1Z", "1+", "1.", "1~", "1:", "1a1", "1aa", "1a+", "1+a", "1.a",
            "1-a", "1-A", "1-+", "1-.", "1-~",
        ],
        // revisions
        &[
            "1.0-1", "1.0-01", "1.0-1a", "1.0-a", "1.0-1-1", "1-2-3", "1.0--1", "1.0-0", "1.0-0.1",
            "1.0-1.0", "1.0-1+0", "1.0-1~0", "1.0-1.01", "1.0-10", "1.0-9",
        ],
        // long digit runs (beyond 2^32, 2^53, 2^64)
        &[
            "1.4294967295",
            "1.4294967296",
            "1.9007199254740993",
            "1.9007199254740992",
            "1.18446744073709551615",
            "1.18446744073709551616",
            "1.99999999999999999999",
            "1.100000000000000000000",
            "1.0000000000000000000001",
            "1.000000000000000000001",
            "18446744073709551616",
            "18446744073709551617",
        ],
        // real-world shapes
        &[
            "2.36.1-8+deb11u1",
            "2.36.1-8+deb11u2",
            "2.36.1-8",
            "2.36.1-8~deb10u1",
            "1:2.36.1-8",
            "20190114+really20220913-0+deb10u1",
            "20220913-0+deb10u1",
            "3.20230214.1~deb10u1",
            "102.9.0esr-1~deb11u1",
            "102.9.0-1~deb11u1",
            "4.14.5+94-ge49571868d-1",
            "5.0.0+ds1-1+deb11u2",
        ],
        // versions dpkg only warns about (accepted by `dpkg --compare-versions`)
        &[
            "a", "a1", "abc", "1.0_1", "1.0@", "1.0,1", "1.0-1_2", "v1.0", "~1", "+1", ".1",
        ],
        // leading and trailing blanks are trimmed
        &[" 1.0", "1.0 ", "\t1.0", "1.0\t", " 1:1.0 "],
        // fatal errors
        &[
            "",
            " ",
            ":1",
            "a:1",
            "1:",
            "1.0-",
            "1 0",
            "-1",
            "1:-1",
            "-",
            "1:1 2",
            "1a:1",
            "2147483648:1",
            "99999999999:1",
            "-1:1",
            "1.0\n",
        ],
        // `strtol` accepts a sign in the epoch
        &["+1:1.0", "1:1.0", "+0:1.0"],
    ])
}

/// Random dpkg-shaped versions.
fn random_version(rng: &mut Lcg) -> String {
    let mut s = String::new();
    if rng.chance(15) {
        s.push_str(&rng.below(4).to_string());
        s.push(':');
    }
    s.push_str(&rng.number());
    for _ in 0..rng.below(5) {
        match rng.below(10) {
            0..=4 => {
                s.push('.');
                s.push_str(&rng.number());
            }
            5 => s.push('~'),
            6 => s.push('+'),
            7 => s.push_str(rng.word(&["a", "b", "rc", "dfsg", "ds", "git", "Z"])),
            8 => s.push_str(&rng.number()),
            _ => s.push_str(rng.word(&["~rc", "+dfsg", "~pre", "+git2020", ".", "~~"])),
        }
    }
    if rng.chance(60) {
        s.push('-');
        s.push_str(&rng.number());
        if rng.chance(40) {
            s.push_str(rng.word(&["+deb11u", "~deb10u", "ubuntu", "+b", ".", "~bpo"]));
            s.push_str(&rng.number());
        }
    }
    s
}

/// Versions only the C implementation judges right: non-ASCII bytes, digit runs Perl compares as
/// floating point, and epochs Perl reads differently (a trailing `:`, where Perl sees no epoch;
/// signs, blanks or more than 9 digits, which Perl does not check like `strtol`).
fn needs_binary(v: &str) -> bool {
    let odd_epoch = v.split_once(':').is_some_and(|(e, _)| {
        e.is_empty() || e.len() > 9 || !e.bytes().all(|c| c.is_ascii_digit())
    });
    !v.is_ascii()
        || v.ends_with(':')
        || odd_epoch
        || v.split(|c: char| !c.is_ascii_digit())
            .any(|run| run.len() > 15)
}

/// Only on targets where C's `char` is signed (x86): there dpkg's `order()` sees bytes >= 0x80
/// as negative.
const KNOWN_SIGNED_CHAR: &[Known] = &[
    Known {
        a: "1.0\u{e9}",
        b: "1.0+",
        reason: "non-ASCII byte: dpkg's order() sees a signed char on x86 (sorts before `+`), \
                 unsigned on arm64 and in Dpkg::Version (after); Vigil uses the unsigned order",
    },
    Known {
        a: "1.0\u{e9}",
        b: "1.0.",
        reason: "same non-ASCII signed-char difference (x86 dpkg only)",
    },
];

fn known() -> &'static [Known] {
    if cfg!(any(target_arch = "x86", target_arch = "x86_64")) {
        KNOWN_SIGNED_CHAR
    } else {
        &[]
    }
}

#[test]
fn dpkg_differential() {
    require(
        "perl",
        &["-MDpkg::Version", "-e", "1"],
        "apt-get install perl libdpkg-perl",
    );
    require("dpkg", &["--version"], "apt-get install dpkg");

    let mut rng = Lcg::new(0xd9c6);
    let real = corpus::debian();
    let edges = edge_families();
    let Mix {
        mut pairs,
        versions,
    } = standard_mix(
        real,
        &edges,
        TOKENS,
        &mut random_version,
        (700, 800),
        &mut rng,
    );
    // a few non-ASCII pairs, judged by the binary (the signed-char ones are KNOWN on x86 only)
    pairs.add("1.0\u{e9}", "1.0a");
    pairs.add("1.0\u{e9}", "1.0~");
    for k in KNOWN_SIGNED_CHAR {
        pairs.add(k.a, k.b);
    }

    let mut edge_set: std::collections::BTreeSet<&str> =
        edges.iter().flatten().map(String::as_str).collect();
    edge_set.extend(KNOWN_SIGNED_CHAR.iter().flat_map(|k| [k.a, k.b]));
    edge_set.extend(["1.0\u{e9}", "1.0a", "1.0~"]);
    let dir = oracles_dir();
    let mut cli_budget = 0usize;
    let mut cross_checked = 0usize;
    let outcome = Diff {
        scheme: Scheme::Dpkg,
        versions,
        pairs: pairs.list,
        known: known(),
        parse_diff: &|v, ours, _| {
            if !ours && v.is_empty() {
                return Some(
                    "the empty string (dpkg --compare-versions treats it as 'no version')",
                );
            }
            None
        },
        to_ref: &|v| v.to_owned(),
        min_pairs: 5000,
    }
    .run(|reqs| {
        let perl = || {
            let mut c = Command::new("perl");
            c.arg(dir.join("dpkg.pl"));
            c
        };
        let cli = || {
            let mut c = Command::new("perl");
            c.arg(dir.join("dpkg_cli.pl"));
            c
        };
        let mut answers = ask(perl(), reqs);
        // route to the binary: versions Perl rejects, pairs Perl cannot judge, and a sample
        let mut rng = Lcg::new(0xd9c7);
        let mut to_cli: Vec<usize> = Vec::new();
        let mut checks: Vec<usize> = Vec::new();
        let perl_valid: std::collections::BTreeSet<String> = reqs
            .iter()
            .zip(&answers)
            .filter_map(|(r, a)| match r {
                Req::V(v) if a == "ok" => Some(v.clone()),
                _ => None,
            })
            .collect();
        for (i, r) in reqs.iter().enumerate() {
            match r {
                Req::V(v) => {
                    if !perl_valid.contains(v) || needs_binary(v) {
                        to_cli.push(i);
                    }
                }
                Req::C(a, b) => {
                    let perl_can = perl_valid.contains(a)
                        && perl_valid.contains(b)
                        && !needs_binary(a)
                        && !needs_binary(b);
                    if !perl_can {
                        to_cli.push(i);
                    } else if rng.chance(5) && checks.len() < 300 {
                        checks.push(i);
                    }
                }
            }
        }
        // keep the number of dpkg execs bounded (about 3 ms each), edge cases first
        let (mut to_cli, rest): (Vec<usize>, Vec<usize>) =
            to_cli.into_iter().partition(|&i| match &reqs[i] {
                Req::V(v) => edge_set.contains(v.as_str()),
                Req::C(a, b) => edge_set.contains(a.as_str()) && edge_set.contains(b.as_str()),
            });
        let wanted = to_cli.len() + rest.len();
        to_cli.extend(sample(
            &rest,
            900usize.saturating_sub(to_cli.len()),
            &mut rng,
        ));
        to_cli.sort_unstable();
        eprintln!(
            "dpkg: {} of {wanted} requests Perl cannot answer go to the binary",
            to_cli.len()
        );
        let routed: std::collections::BTreeSet<usize> = to_cli.iter().copied().collect();
        for (i, r) in reqs.iter().enumerate() {
            let unanswered = match r {
                Req::V(v) => !perl_valid.contains(v) || needs_binary(v),
                Req::C(a, b) => {
                    !(perl_valid.contains(a) && perl_valid.contains(b))
                        || needs_binary(a)
                        || needs_binary(b)
                }
            };
            if unanswered && !routed.contains(&i) {
                answers[i] = SKIP.to_owned();
            }
        }
        let mut cli_idx = to_cli.clone();
        cli_idx.extend(&checks);
        let cli_reqs: Vec<Req> = cli_idx
            .iter()
            .map(|&i| match &reqs[i] {
                Req::V(v) => Req::V(v.clone()),
                Req::C(a, b) => Req::C(a.clone(), b.clone()),
            })
            .collect();
        let cli_answers = ask(cli(), &cli_reqs);
        cli_budget = cli_reqs.len();
        let mut perl_wrong = Vec::new();
        for (k, &i) in cli_idx.iter().enumerate() {
            if k < to_cli.len() {
                answers[i] = cli_answers[k].clone();
            } else {
                cross_checked += 1;
                if let Req::C(a, b) = &reqs[i]
                    && answers[i] != cli_answers[k]
                {
                    perl_wrong.push(format!(
                        "{a:?} vs {b:?}: Dpkg::Version {}, dpkg {}",
                        answers[i], cli_answers[k]
                    ));
                }
            }
        }
        assert!(
            perl_wrong.is_empty(),
            "the Perl oracle disagrees with the dpkg binary (route these to the binary):\n{}",
            perl_wrong.join("\n")
        );
        answers
    });
    eprintln!(
        "dpkg binary: {} requests sent to dpkg --compare-versions, {cross_checked} Perl answers \
         cross-checked with it ({} pairs compared in total)",
        cli_budget, outcome.compared
    );
}
