//! RubyGems: differential against Ruby's `Gem::Version` (`correct?` and `<=>`).

use std::process::Command;

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known, ask, oracles_dir, require};
use crate::sampling::{Lcg, Mix, fams, standard_mix};

const TOKENS: &[&str] = &[
    ".", "-", "0", "00", "a", "b", "rc", "pre", "beta", ".pre", ".rc1", "-rc1", ".0", ".1", "A",
    "Z", "x", " ", "_", "+", "..", "--",
];

fn edge_families() -> Vec<Vec<String>> {
    fams(&[
        // pre-releases (letters) before releases
        &[
            "1.0.0.a",
            "1.0.0.a.0",
            "1.0.0.a1",
            "1.0.0.b",
            "1.0.0.pre",
            "1.0.0-1",
            "1.0.0-pre",
            "1.0.0-pre.1",
            "1.0.0.rc1",
            "1.0.0-rc1",
            "1.0.0.rc2",
            "1.0.0.rc.1",
            "1.0.0.rc1.1",
            "1.0.0",
            "1.0.0.1",
            "1.0.1.a",
            "1.0.a",
            "1.a",
            "1.0.0.A",
            "1.0.0.Z",
            "1.0.0.aa",
        ],
        // trailing zeros of the numeric and of the string part
        &[
            "1",
            "1.0",
            "1.0.0",
            "1.00",
            "01",
            "1.01",
            "1.1",
            "1.0.0.0.0.1",
            "1.0.a.0",
            "1.0.a",
            "1.0.a.0.1",
            "1.a.0",
            "1.a0",
            "1.a00",
            "0",
            "0.0",
            "00",
        ],
        // real-world shapes
        &[
            "5.2.4.3",
            "5.2.4",
            "5.2.4.2",
            "5.2.5",
            "1.9.3",
            "1.10",
            "1.9.3.p551",
            "1.9.3-p551",
            "2.0.0-p0",
            "2.0.0.rc1",
            "7.0.0.beta1",
            "7.0.0.alpha2",
            "6.1.7.3",
            "6.1.7.10",
        ],
        // long numbers (Ruby integers are unbounded)
        &[
            "1.18446744073709551615",
            "1.18446744073709551616",
            "1.99999999999999999999",
            "1.100000000000000000000",
            "1.000000000000000000001",
            "18446744073709551616",
        ],
        // whitespace (\s is [ \t\n\v\f\r]), invalid forms
        &[
            "1.0 ",
            " 1.0",
            "\t1.0\n",
            "1.0\u{b}",
            "\u{c}1.0",
            "1.0\r",
            "",
            " ",
            "a",
            "1..2",
            "1.2-",
            "junk 1",
            "1.2.3-",
            "-1",
            "1.2 3",
            ".1",
            "1.",
            "1.2.3+4",
            "1_2",
            "1.0\u{a0}",
            "1-",
            "1-a-b",
            "1-a.b",
            "1.0-a..b",
            "1.0-.a",
        ],
    ])
}

fn random_version(rng: &mut Lcg) -> String {
    let mut s = rng.number();
    for _ in 0..rng.below(5) {
        s.push('.');
        if rng.chance(75) {
            s.push_str(&rng.number());
        } else {
            s.push_str(rng.word(&["a", "b", "rc", "pre", "beta", "alpha", "p", "RC", "x"]));
            if rng.chance(50) {
                s.push_str(&rng.number());
            }
        }
    }
    if rng.chance(15) {
        s.push('-');
        s.push_str(rng.word(&["rc", "pre", "1", "beta.2", "p551", "a-b"]));
    }
    s
}

const KNOWN: &[Known] = &[];

#[test]
fn rubygems_differential() {
    require(
        "ruby",
        &["-e", "require 'rubygems'; Gem::Version.new('1.0')"],
        "apt-get install ruby",
    );

    let mut rng = Lcg::new(0x6e3);
    let real = corpus::rubysec();
    let edges = edge_families();
    let Mix { pairs, versions } = standard_mix(
        real,
        &edges,
        TOKENS,
        &mut random_version,
        (800, 1000),
        &mut rng,
    );

    let script = oracles_dir().join("rubygems.rb");
    Diff {
        scheme: Scheme::RubyGems,
        versions,
        pairs: pairs.list,
        known: KNOWN,
        parse_diff: &|v, ours, _| {
            if !ours
                && v.trim_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r'])
                    .is_empty()
            {
                return Some("an empty or blank string (Gem::Version reads it as \"0\")");
            }
            None
        },
        to_ref: &|v| v.to_owned(),
        min_pairs: 5000,
    }
    .run(|reqs| {
        let mut c = Command::new("ruby");
        c.arg(&script);
        ask(c, reqs)
    });
}
