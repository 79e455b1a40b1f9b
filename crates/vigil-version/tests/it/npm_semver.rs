//! NpmSemver: differential against node `semver` 7.7.2 (strict `semver.valid`, `semver.compare`).

use std::path::PathBuf;
use std::process::Command;

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known, ask, oracles_dir, require, require_path};
use crate::sampling::{Lcg, Mix, MixPlan, mix};
use crate::semver_common::{TOKENS, edge_families, random_version};

pub const INSTALL_SEMVER: &str = "npm install --prefix \"${VIGIL_TEST_CACHE:-$HOME/.cache/vigil-tests}\" semver@7.7.2   (see scripts/test.sh)";

/// `$VIGIL_TEST_CACHE/node_modules/semver` (default `$HOME/.cache/vigil-tests`).
pub fn semver_dir() -> PathBuf {
    let cache = std::env::var_os("VIGIL_TEST_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/vigil-tests")))
        .expect("VIGIL_TEST_CACHE or HOME must be set");
    cache.join("node_modules/semver")
}

pub fn node_oracle(reqs: &[crate::harness::Req]) -> Vec<String> {
    require("node", &["--version"], "apt-get install nodejs");
    let dir = semver_dir();
    require_path(&dir.join("package.json"), INSTALL_SEMVER);
    let mut c = Command::new("node");
    c.arg(oracles_dir().join("npm_semver.js")).arg(&dir);
    ask(c, reqs)
}

const KNOWN: &[Known] = &[];

#[test]
fn npm_semver_differential() {
    let mut rng = Lcg::new(0x5e3e);
    let real = [corpus::npm_wg(), corpus::crates_io(), corpus::bitnami()];
    let edges = edge_families();
    let Mix { pairs, versions } = mix(
        &real,
        &edges,
        TOKENS,
        &mut random_version,
        MixPlan {
            within_each: 1200,
            mutated_real: 2000,
            random_generated: 800,
            mutated_generated: 1000,
        },
        &mut rng,
    );

    Diff {
        scheme: Scheme::NpmSemver,
        versions,
        pairs: pairs.list,
        known: KNOWN,
        parse_diff: &|_, _, _| None,
        to_ref: &|v| v.to_owned(),
        min_pairs: 5000,
    }
    .run(node_oracle);
}
