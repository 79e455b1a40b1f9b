//! End-to-end tests of the `vigil` binary.

use std::process::Command;

fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn demo() -> String {
    format!("{}/../../examples/demo-image", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn sbom_json_of_the_bundled_demo_image() {
    let out = vigil()
        .args(["sbom", &demo(), "--format", "json"])
        .output()
        .expect("run vigil");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let pkgs = inv["packages"].as_array().expect("packages");
    let has = |name: &str, version: &str| {
        pkgs.iter()
            .any(|p| p["name"] == name && p["version"] == version)
    };
    assert!(has("libssl3", "3.0.19-1~deb12u2"));
    let ssl = pkgs
        .iter()
        .find(|p| p["name"] == "libssl3")
        .expect("libssl3");
    assert_eq!(ssl["source"]["name"], "openssl");
    assert!(has("requests", "2.19.0"));
    assert!(has("urllib3", "1.24.1"));
    // pip 23.0.1 was whited out by the app layer, pip 23.3 replaced it
    assert!(!has("pip", "23.0.1"));
    assert!(has("pip", "23.3"));
    assert_eq!(inv["distro"]["id"], "debian");
    assert_eq!(inv["target"]["image"]["tags"][0], "vigil-demo:1.0");
    // OS packages come from layer 0, the app from layer 1
    let layer_of = |name: &str| {
        pkgs.iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["locations"][0]["layer"]["index"].as_u64())
    };
    assert_eq!(layer_of("bash"), Some(0));
    assert_eq!(layer_of("requests"), Some(1));
}

#[test]
fn output_file_is_written_and_special_files_are_not_replaced() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("out.json");
    let st = vigil()
        .args(["sbom", &demo(), "--format", "json", "-o"])
        .arg(&file)
        .status()
        .expect("run");
    assert!(st.success());
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains("\"packages\""));

    // a FIFO must stay a FIFO (regression: the atomic rename once replaced `-o /dev/null`)
    let fifo = dir.path().join("fifo");
    let st = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(st.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read fifo"))
    };
    let st = vigil()
        .args(["sbom", &demo(), "--format", "table", "-o"])
        .arg(&fifo)
        .status()
        .expect("run");
    assert!(st.success());
    let got = reader.join().expect("reader");
    assert!(got.contains("requests"));
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata(&fifo)
            .expect("stat")
            .file_type()
            .is_fifo()
    );
}

#[test]
fn bad_targets_get_precise_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"\x00\x01 definitely not an archive").expect("write");
    let out = vigil().args(["sbom"]).arg(&junk).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("junk.bin") && err.contains("cannot tell what kind of target"),
        "{err}"
    );

    let out = vigil()
        .args(["sbom", "oci-dir:/nonexistent/vigil-test"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/vigil-test"), "{err}");

    let out = vigil()
        .args(["sbom", &demo(), "--platform", "linux"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid platform `linux`"));
}

#[test]
fn cyclonedx_and_spdx_outputs_read_back_as_inputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let count = |args: &[&str]| -> usize {
        let out = vigil().args(args).output().expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["packages"].as_array().expect("packages").len()
    };
    let direct = count(&["sbom", &demo(), "--format", "json"]);
    for fmt in ["cyclonedx", "spdx"] {
        let f = dir.path().join(format!("demo.{fmt}.json"));
        let st = vigil()
            .args(["sbom", &demo(), "--format", fmt, "-o"])
            .arg(&f)
            .status()
            .expect("run");
        assert!(st.success());
        let p = f.to_str().expect("utf8");
        assert_eq!(
            count(&["sbom", p, "--format", "json"]),
            direct,
            "{fmt} detected by content"
        );
        assert_eq!(
            count(&["sbom", &format!("sbom:{p}"), "--format", "json"]),
            direct,
            "{fmt} by prefix"
        );
    }
}

fn demo_advisories() -> String {
    format!("{}/../../examples/advisories", env!("CARGO_MANIFEST_DIR"))
}

fn scan_json(extra: &[&str]) -> (serde_json::Value, std::process::ExitStatus) {
    let out = vigil()
        .args([
            "scan",
            &demo(),
            "--db",
            &demo_advisories(),
            "--format",
            "json",
            "-q",
        ])
        .args(extra)
        .output()
        .expect("run vigil");
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (doc, out.status)
}

#[test]
fn scan_of_the_demo_image_finds_the_old_python_and_node_packages() {
    let (doc, status) = scan_json(&[]);
    assert!(status.success());
    let findings = doc["findings"].as_array().expect("findings");
    let on = |pkg: &str| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["name"] == pkg)
            .collect()
    };
    // requests 2.19.0: CVE-2018-18074 (PYSEC-2018-28), fixed in 2.20.0
    // One finding per location: the installed distribution (site-packages) and the
    // requirements.txt that declares it.
    let req = on("requests");
    let cve: Vec<_> = req
        .iter()
        .filter(|f| f["packageVulnerabilityDetails"]["vulnerabilityId"] == "CVE-2018-18074")
        .collect();
    let managers: Vec<&str> = cve
        .iter()
        .map(|f| {
            f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["packageManager"]
                .as_str()
                .expect("packageManager")
        })
        .collect();
    assert!(
        managers.contains(&"PYTHONPKG") && managers.contains(&"PIP"),
        "{managers:?}"
    );
    let f = cve
        .iter()
        .find(|f| {
            f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["packageManager"]
                == "PYTHONPKG"
        })
        .expect("installed requests CVE-2018-18074");
    let pkg = &f["packageVulnerabilityDetails"]["vulnerablePackages"][0];
    assert_eq!(pkg["fixedInVersion"], "2.20.0");
    assert_eq!(f["fixAvailable"], "YES");
    assert_eq!(f["type"], "PACKAGE_VULNERABILITY");
    assert!(
        f["remediation"]["recommendation"]["text"]
            .as_str()
            .expect("text")
            .contains("pip install 'requests>=2.20.0'")
    );
    assert!(
        f["vigil"]["aliases"]
            .as_array()
            .expect("aliases")
            .iter()
            .any(|a| a == "PYSEC-2018-28")
    );
    assert!(
        pkg["sourceLayerHash"]
            .as_str()
            .expect("layer")
            .starts_with("sha256:")
    );
    assert!(
        f["epss"]["score"].as_f64().is_some(),
        "EPSS joined from the sample"
    );
    let prov = &f["vigil"]["provenance"][0];
    assert_eq!(prov["comparator"], "pep440");
    assert_eq!(prov["verdict"], "affected");
    // one finding per vulnerability, package and location: no duplicate ids per location
    let mut keys: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["packageVulnerabilityDetails"]["vulnerabilityId"],
                f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["name"],
                f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["filePath"]
            )
        })
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(n, keys.len(), "aliases must merge into one finding");
    // npm: minimist 1.2.5 is affected by the Node.js WG records
    assert!(!on("urllib3").is_empty());
    assert!(!on("PyYAML").is_empty() || !on("pyyaml").is_empty());
    // Debian 12 packages are at current versions: no DSA finding
    assert!(on("libssl3").is_empty());
}

#[test]
fn scan_gates_on_severity_and_filters() {
    let (all, _) = scan_json(&[]);
    let n_all = all["findings"].as_array().expect("f").len();
    let (crit, status) = scan_json(&["--severity", "critical", "--fail-on", "critical"]);
    let crit = crit["findings"].as_array().expect("f");
    assert!(crit.iter().all(|f| f["severity"] == "CRITICAL"));
    assert!(crit.len() < n_all);
    assert_eq!(status.code(), Some(if crit.is_empty() { 0 } else { 1 }));
    let (fixed, _) = scan_json(&["--ignore-unfixed"]);
    assert!(
        fixed["findings"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["fixAvailable"] != "NO")
    );
    // errors exit 2
    let out = vigil()
        .args(["scan", &demo(), "--db", "/nonexistent/vigil.db"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/vigil.db"));
}

#[test]
fn scan_explain_shows_the_comparison() {
    let out = vigil()
        .args([
            "scan",
            &demo(),
            "--db",
            &demo_advisories(),
            "-q",
            "--explain",
            "CVE-2018-18074",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FINDING CVE-2018-18074 on requests 2.19.0"),
        "{text}"
    );
    assert!(text.contains("with pep440"), "{text}");
    assert!(text.contains("fixed 2.20.0"), "{text}");
}

#[test]
fn scan_sarif_and_vex_are_valid_against_official_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("out.sarif");
    let vex = dir.path().join("out.vex.json");
    let openvex = dir.path().join("out.openvex.json");
    for (fmt, path) in [
        ("sarif", &sarif),
        ("cyclonedx-vex", &vex),
        ("openvex", &openvex),
    ] {
        let st = vigil()
            .args([
                "scan",
                &demo(),
                "--db",
                &demo_advisories(),
                "-q",
                "--format",
                fmt,
                "-o",
            ])
            .arg(path)
            .status()
            .expect("run");
        assert!(st.success());
    }
    let check = |script: String, args: Vec<String>| {
        let out = Command::new("python3")
            .arg(script)
            .args(args)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    check(
        format!("{}/tests/validate_sarif.py", env!("CARGO_MANIFEST_DIR")),
        vec![sarif.display().to_string()],
    );
    check(
        format!(
            "{}/../vigil-sbom/tests/validate_schemas.py",
            env!("CARGO_MANIFEST_DIR")
        ),
        vec!["cyclonedx".into(), vex.display().to_string()],
    );
    // OpenVEX: vexipy's models of the specification; every finding an `affected` statement
    check(
        format!("{}/tests/validate_formats.py", env!("CARGO_MANIFEST_DIR")),
        vec!["openvex".into(), openvex.display().to_string()],
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&openvex).expect("openvex")).expect("json");
    let statements = doc["statements"].as_array().expect("statements");
    assert!(!statements.is_empty());
    assert!(statements.iter().all(|s| (s["status"] == "affected"
        && s["action_statement"].is_string())
        || (s["status"] == "not_affected" && s["justification"].is_string())));
    assert!(statements.iter().any(|s| {
        s["products"][0]["@id"]
            .as_str()
            .is_some_and(|p| p.starts_with("pkg:pypi/"))
    }));
}
