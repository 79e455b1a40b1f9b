//! Distribution matching checked against independent oracles.
//!
//! `tests/oracle/build_targets.py` builds a Debian 11 root (dpkg status of real source packages
//! from the DSA/DLA lists, installed just before, at and just after recorded fixes, some under
//! other binary names or as binNMUs) and an AlmaLinux 9 root (a real rpm database built by
//! rpmbuild/rpm with names and EVRs from the AlmaLinux OSV records), and records for every
//! (package, advisory) pair whether the package is affected according to `dpkg
//! --compare-versions` and rpm's `rpm.vercmp`. Vigil must reach exactly the same verdicts.
//! Needs ../shared/vulndata (CI has it), python3, dpkg, rpm and rpmbuild (the test script
//! installs rpm).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn vulndata() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");
    assert!(
        p.join("MANIFEST.md").is_file(),
        "this test needs the shared advisory data at {} (../shared/vulndata next to the repository)",
        p.display()
    );
    p
}

fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{:?} failed: {}\n{}",
        cmd,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out.stdout
}

#[test]
fn distro_matching_agrees_with_dpkg_and_rpm() {
    let data = vulndata();
    for tool in ["dpkg", "rpm", "rpmbuild", "python3"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success()),
            "`{tool}` is needed (apt-get install rpm dpkg python3)"
        );
    }
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("targets");
    run_ok(
        Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/build_targets.py"))
            .arg(&data)
            .arg(&out),
    );
    let db = work.path().join("vigil.db");
    run_ok(vigil().args(["db", "import", "--db"]).arg(&db).args([
        data.join("distro/debian-tracker/DSA.list"),
        data.join("distro/debian-tracker/DLA.list"),
        data.join("osv/AlmaLinux/all.zip"),
    ]));
    let expected: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(out.join("expected.json")).expect("expected.json"))
            .expect("json");

    for target in ["debian11", "alma9"] {
        let json = run_ok(
            vigil()
                .args(["scan", "--format", "json", "-q", "--db"])
                .arg(&db)
                .arg(out.join(target)),
        );
        let doc: serde_json::Value = serde_json::from_slice(&json).expect("scan json");
        let mut got = BTreeSet::new();
        for f in doc["findings"].as_array().expect("findings") {
            let pkg = f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["name"]
                .as_str()
                .expect("name")
                .to_owned();
            for p in f["vigil"]["provenance"].as_array().expect("provenance") {
                if p["verdict"] == "affected" {
                    got.insert((
                        pkg.clone(),
                        p["record"].as_str().expect("record").to_owned(),
                    ));
                }
            }
        }
        let want: BTreeSet<(String, String)> = expected
            .iter()
            .filter(|e| e["target"] == target && e["affected"] == true)
            .map(|e| {
                (
                    e["package"].as_str().unwrap_or("").to_owned(),
                    e["record"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let total = expected.iter().filter(|e| e["target"] == target).count();
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        eprintln!(
            "{target}: {total} oracle verdicts, {} affected; vigil found {} ({} missing, {} extra)",
            want.len(),
            got.len(),
            missing.len(),
            extra.len()
        );
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{target}: missing {missing:?}\nextra {extra:?}"
        );
        assert!(
            want.len() > 20,
            "{target}: the oracle should decide many affected pairs"
        );
    }
}
