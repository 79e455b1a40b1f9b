//! Go: differential against `golang.org/x/mod/semver` (Debian's golang-golang-x-mod-dev), compiled
//! at test time in GOPATH mode. Go requires the `v` prefix, which OSV's Go versions lack and
//! Vigil makes optional: versions without it are handed to Go with a `v` added.

use std::path::Path;
use std::process::Command;

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known, ask, oracles_dir, require, require_path};
use crate::sampling::{Lcg, Mix, standard_mix};
use crate::semver_common::{TOKENS, edge_families, random_version};

const GOPATH: &str = "/usr/share/gocode";
const INSTALL: &str = "apt-get install golang-go golang-golang-x-mod-dev";

const KNOWN: &[Known] = &[];

fn build_oracle(dir: &Path) -> std::path::PathBuf {
    require("go", &["version"], INSTALL);
    require_path(
        &Path::new(GOPATH).join("src/golang.org/x/mod/semver/semver.go"),
        INSTALL,
    );
    let bin = dir.join("go_semver");
    let mut cmd = Command::new("go");
    cmd.args(["build", "-o"])
        .arg(&bin)
        .arg(oracles_dir().join("go_semver.go"))
        .env("GO111MODULE", "off")
        .env("GOPATH", GOPATH)
        .env("GOFLAGS", "")
        .env("GOTOOLCHAIN", "local");
    if std::env::var_os("GOCACHE").is_none() && std::env::var_os("HOME").is_none() {
        cmd.env("GOCACHE", dir.join("gocache"));
    }
    let out = cmd.output().expect("run go build");
    assert!(
        out.status.success(),
        "go build of the Go oracle failed:\n{}\ninstall: {INSTALL}",
        String::from_utf8_lossy(&out.stderr)
    );
    bin
}

#[test]
fn go_differential() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let bin = build_oracle(tmp.path());

    let mut rng = Lcg::new(0x60);
    let real = corpus::go();
    let edges = edge_families();
    let Mix { pairs, versions } = standard_mix(
        real,
        &edges,
        TOKENS,
        &mut random_version,
        (800, 1000),
        &mut rng,
    );

    Diff {
        scheme: Scheme::Go,
        versions,
        pairs: pairs.list,
        known: KNOWN,
        parse_diff: &|v, ours, _| {
            if ours && v.trim() != v {
                return Some("surrounding whitespace (Vigil trims it, Go does not)");
            }
            None
        },
        to_ref: &|v| {
            if v.starts_with('v') {
                v.to_owned()
            } else {
                format!("v{v}")
            }
        },
        min_pairs: 5000,
    }
    .run(|reqs| ask(Command::new(&bin), reqs));
}
