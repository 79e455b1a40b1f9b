//! Maven: differential against maven-artifact's `ComparableVersion` from Debian's maven (3.8),
//! compiled with `javac` at test time. There is no Maven data in the data set, so the real
//! strings are the versions of every other ecosystem (`ComparableVersion` orders any string),
//! plus Maven-shaped generated ones.

use std::path::Path;
use std::process::Command;

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known, ask, oracles_dir, require, require_path};
use crate::sampling::{Lcg, Pairs, fams, sample};

const JAR: &str = "/usr/share/maven/lib/maven-artifact-3.x.jar";
const INSTALL: &str = "apt-get install maven default-jdk-headless";

const TOKENS: &[&str] = &[
    ".",
    "-",
    "0",
    "1",
    "alpha",
    "a",
    "b",
    "m",
    "rc",
    "cr",
    "sp",
    "ga",
    "final",
    "release",
    "snapshot",
    "SNAPSHOT",
    "RELEASE",
    "Final",
    "-1",
    ".0",
    "-0",
    "x",
    "_",
    "+",
    "00",
    "milestone",
    "pom",
];

fn edge_families() -> Vec<Vec<String>> {
    fams(&[
        // qualifier order
        &[
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-cr",
            "1-snapshot",
            "1",
            "1-ga",
            "1-final",
            "1-release",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-1",
            "1.1",
            "1-0",
            "1.0",
        ],
        // short forms of qualifiers, before and after digits
        &[
            "1.0-alpha1",
            "1.0a1",
            "1.0-a1",
            "1.0.a1",
            "1.0alpha-1",
            "1.0-alpha.1",
            "1a",
            "1-a",
            "1.a",
            "1b",
            "1m",
            "1m1",
            "1-m1",
            "1-b",
            "1-b1",
            "1.0.b1",
            "1.0-beta-1",
            "1.0c1",
        ],
        // null items, separators
        &[
            "1.0.0",
            "1.0",
            "1",
            "1-0",
            "1.0-0",
            "1-0.0",
            "1--1",
            "1..1",
            "1-",
            "1.",
            ".1",
            "-1",
            "1.0.0.0.0",
            "1-0-0",
            "0",
            "0.0",
            "1.0-",
            "1-.1",
        ],
        &[
            "1-SNAPSHOT",
            "1.0-SNAPSHOT",
            "1.0.0-SNAPSHOT",
            "1-20230101.123456-1",
            "1-20230101.123456-2",
            "1.0.0-20230101.123456-1",
        ],
        // numbers across int, long and BigInteger items
        &[
            "1.2147483647",
            "1.2147483648",
            "1.9223372036854775807",
            "1.9223372036854775808",
            "1.99999999999999999999",
            "1.0000000000000000001",
            "1.000000002147483648",
            "1.999999999",
            "1.1000000000",
            "1-2147483648",
            "1-99999999999999999999",
            "99999999999999999999",
        ],
        // real-world shapes
        &[
            "1.0.0.RELEASE",
            "1.0.0.Final",
            "2.0.0.M1",
            "2.0.0.RC1",
            "1.0.0.CR1",
            "1.0.0.GA",
            "1.0.0.SP1",
            "5.3.0.BUILD-SNAPSHOT",
            "1.0.0",
            "2.0.0",
            "2.13.4.2",
            "2.13.4-1",
            "9.4.51.v20230217",
            "9.4.51.v20230218",
            "1.2.3-jre",
            "1.2.3-android",
            "31.1-jre",
            "31.1-android",
        ],
        // case
        &[
            "1-ALPHA", "1-Alpha", "1-alpha", "1-RC1", "1-rc1", "1-SP", "1-Sp1",
        ],
        // unusual characters
        &[
            "1_0",
            "1+0",
            "1~0",
            "1.0~rc1",
            "1 0",
            "",
            " ",
            "1.0\u{e9}",
            "1.\u{663}",
        ],
    ])
}

fn random_version(rng: &mut Lcg) -> String {
    let mut s = rng.number();
    for _ in 0..rng.below(5) {
        if rng.chance(80) {
            s.push_str(rng.word(&[".", ".", "-", ""]));
        }
        if rng.chance(65) {
            s.push_str(&rng.number());
        } else {
            s.push_str(rng.word(&[
                "alpha",
                "beta",
                "a",
                "b",
                "m",
                "milestone",
                "rc",
                "cr",
                "snapshot",
                "SNAPSHOT",
                "ga",
                "final",
                "release",
                "sp",
                "jre",
                "android",
                "Final",
                "RELEASE",
                "M",
                "RC",
                "v",
                "pom",
                "x",
            ]));
        }
    }
    s
}

const KNOWN: &[Known] = &[
    Known {
        a: "1.\u{663}",
        b: "1.3",
        reason: "Java's Character.isDigit takes any Unicode digit (U+0663 ARABIC-INDIC THREE \
                 parses as 3); Vigil only treats ASCII digits as numbers",
    },
    Known {
        a: "1.\u{663}",
        b: "1.2",
        reason: "same Unicode-digit difference",
    },
];

fn compile_oracle(dir: &Path) {
    require("javac", &["-version"], INSTALL);
    require("java", &["-version"], INSTALL);
    require_path(Path::new(JAR), INSTALL);
    let out = Command::new("javac")
        .args(["-cp", JAR, "-d"])
        .arg(dir)
        .arg(oracles_dir().join("MavenCompare.java"))
        .output()
        .expect("run javac");
    assert!(
        out.status.success(),
        "javac of the Maven oracle failed:\n{}\ninstall: {INSTALL}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn maven_differential() {
    let tmp = tempfile::tempdir().expect("temp dir");
    compile_oracle(tmp.path());

    let mut rng = Lcg::new(0x3a7e);
    let sources = [
        corpus::debian(),
        corpus::almalinux(),
        corpus::pypi(),
        corpus::go(),
        corpus::crates_io(),
        corpus::bitnami(),
        corpus::rubysec(),
        corpus::packagist(),
        corpus::npm_wg(),
    ];
    let mut pairs = Pairs::default();
    let edges = edge_families();
    pairs.all_within(&edges);
    let mut real_flat = Vec::new();
    for fams in sources {
        pairs.within_families(fams, 250, &mut rng);
        real_flat.extend(sample(&corpus::flatten(&[fams]), 400, &mut rng));
    }
    pairs.mutations(&real_flat, TOKENS, 1500, &mut rng);
    let generated: Vec<String> = (0..1500).map(|_| random_version(&mut rng)).collect();
    pairs.random(&generated, 800, &mut rng);
    pairs.mutations(&generated, TOKENS, 1500, &mut rng);
    pairs.random(&real_flat, 300, &mut rng);

    let mut versions = real_flat;
    versions.extend(edges.concat());
    versions.extend(generated);

    let classpath = format!("{}:{JAR}", tmp.path().display());
    Diff {
        scheme: Scheme::Maven,
        versions,
        pairs: pairs.list,
        known: KNOWN,
        parse_diff: &|v, ours, _| {
            if !ours && v.trim().is_empty() {
                return Some("an empty or blank string");
            }
            if !ours && v.trim().chars().any(char::is_whitespace) {
                return Some("whitespace inside the version");
            }
            None
        },
        to_ref: &|v| v.to_owned(),
        min_pairs: 5000,
    }
    .run(|reqs| {
        let mut c = Command::new("java");
        c.args(["-cp", &classpath, "MavenCompare"]);
        ask(c, reqs)
    });
}
