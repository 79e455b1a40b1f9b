//! Composer: differential against composer/semver (Debian's php-composer-semver):
//! `VersionParser::normalize`, then `Comparator` on the normalized forms. Our normalization is
//! private, so orderings are compared, plus acceptance: we must reject exactly what `normalize`
//! rejects, and the `dev-*` branch names it returns (not ordered versions).

use std::path::Path;
use std::process::Command;

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known, ask, oracles_dir, require, require_path};
use crate::sampling::{Lcg, Mix, fams, standard_mix};

const AUTOLOAD: &str = "/usr/share/php/Composer/Semver/autoload.php";
const INSTALL: &str = "apt-get install php-cli php-composer-semver";

const TOKENS: &[&str] = &[
    ".", "-", "_", "+", "0", "00", "a", "b", "alpha", "beta", "RC", "rc", "p", "pl", "patch",
    "stable", "dev", "-dev", ".x", "x", "*", "@dev", "@stable", " as 1.0", "v", "V", " ", ":",
    "-beta.2", "+build",
];

fn edge_families() -> Vec<Vec<String>> {
    fams(&[
        // stability order
        &[
            "1.0.0-dev",
            "1.0.0-alpha1-dev",
            "1.0.0-alpha1",
            "1.0.0-alpha2",
            "1.0.0-beta1",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-patch1",
            "1.0.0-pl2",
            "1.0.1",
            "1.0.x-dev",
            "1.x-dev",
            "dev-master",
            "master",
        ],
        // spellings of the same thing
        &[
            "1.0.0",
            "v1.0",
            "V1.0.0",
            "1.0.0.0",
            "1",
            "1.0.0-stable",
            "1.0.0-STABLE",
            "1.0.0+build",
            "1.0.0@dev",
            "1.0.0@stable",
            "1.0.0 as 2.0.0",
            " 1.0.0 ",
            "1.0.0.0.0",
            "1.0.0.0-dev",
        ],
        &[
            "1.0.0-beta2",
            "1.0.0beta2",
            "1.0.0.beta2",
            "1.0.0_beta2",
            "1.0.0-b2",
            "1.0.0-beta.2",
            "1.0.0-beta-2",
            "1.0.0-BETA2",
            "1.0.0-beta2.1",
            "1.0.0-beta.2.3",
            "1.0.0-beta",
            "1.0.0-beta0",
            "1.0.0-beta02",
        ],
        &[
            "1.0.0-RC1",
            "1.0.0RC1",
            "1.0.0-rc1",
            "1.0.0-rc.1",
            "1.0.0-RC",
            "1.0.0-rc1-dev",
            "1.0.0-a1",
            "1.0.0-alpha.1",
            "1.0.0-p1",
            "1.0.0-pl1",
            "1.0.0-patch1",
            "1.0.0-p",
        ],
        // dates
        &[
            "20100102",
            "20100102.1",
            "2010.01.02",
            "2010-01-02",
            "2010-01-02-1",
            "201001021230",
            "2010.01.02.12.30.45",
            "2010.01.02.12.30.45.123",
            "2010-01-02-dev",
            "2010.01.02-beta1",
            "100000.0",
            "99999.0",
            "99999",
            "100000",
            "1000000",
        ],
        // long numbers (PHP's strtol saturates)
        &[
            "1.9223372036854775807",
            "1.9223372036854775808",
            "1.99999999999999999999",
            "1.2147483648",
            "1.0.0-beta99999999999999999999",
            "1.0.0-beta9223372036854775807",
        ],
        // invalid, branches
        &[
            "",
            "junk",
            "1.0.0-junk",
            "1.0.0-",
            "a1.0",
            "1.0,0",
            "1.0.0+",
            "1.0.0-beta+build",
            "dev-1.0",
            "dev-feature/foo",
            "1.0-dev-dev",
            "1.*",
            "1.0.*",
            "~1.0",
            "1.0 || 2.0",
            "1.2.x",
            "1.2.3.x-dev",
            "1.2.3.4.x-dev",
            "v1.x-dev",
            "x.1-dev",
            "1.x.2-dev",
        ],
    ])
}

fn random_version(rng: &mut Lcg) -> String {
    let mut s = String::new();
    if rng.chance(10) {
        s.push('v');
    }
    s.push_str(&rng.number());
    for _ in 0..rng.below(4) {
        s.push('.');
        s.push_str(&rng.number());
    }
    if rng.chance(40) {
        s.push_str(rng.word(&["", "-", ".", "_"]));
        s.push_str(rng.word(&[
            "alpha", "beta", "RC", "rc", "a", "b", "p", "pl", "patch", "stable", "Beta", "ALPHA",
        ]));
        if rng.chance(70) {
            s.push_str(rng.word(&["", ".", "-"]));
            s.push_str(&rng.number());
        }
    }
    if rng.chance(15) {
        s.push_str(rng.word(&["-dev", ".dev", "dev", "-DEV"]));
    }
    s
}

const KNOWN: &[Known] = &[];

#[test]
fn composer_differential() {
    require("php", &["--version"], INSTALL);
    require_path(Path::new(AUTOLOAD), INSTALL);

    let mut rng = Lcg::new(0xc0);
    let real = corpus::packagist();
    let edges = edge_families();
    let Mix { pairs, versions } = standard_mix(
        real,
        &edges,
        TOKENS,
        &mut random_version,
        (800, 1000),
        &mut rng,
    );

    let script = oracles_dir().join("composer.php");
    Diff {
        scheme: Scheme::Composer,
        versions,
        pairs: pairs.list,
        known: KNOWN,
        parse_diff: &|_, ours, answer| {
            if !ours && answer.starts_with("branch ") {
                return Some("a branch name (normalize gives dev-*, not an ordered version)");
            }
            None
        },
        to_ref: &|v| v.to_owned(),
        min_pairs: 5000,
    }
    .run(|reqs| {
        let mut c = Command::new("php");
        c.arg(&script);
        ask(c, reqs)
    });
}
