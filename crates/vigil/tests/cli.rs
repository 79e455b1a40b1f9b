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
