//! SBOM encoders against the official JSON schemas, and round trips.

use std::path::Path;
use std::process::Command;
use vigil_types::{
    Distro, Ecosystem, ImageInfo, Inventory, LayerRef, Location, OwnerRef, Package, SourcePackage,
    TargetInfo, package_url,
};

fn rich_inventory() -> Inventory {
    let layer = |i: usize| LayerRef {
        index: i,
        digest: format!("sha256:{:064x}", i + 1),
        diff_id: Some(format!("sha256:{:064x}", i + 100)),
    };
    let distro = Distro {
        id: "debian".into(),
        version_id: Some("12".into()),
        codename: Some("bookworm".into()),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        id_like: vec![],
        path: "/etc/os-release".into(),
    };
    let mut pkgs = Vec::new();
    let add = |eco, name: &str, version: &str, lic: &[&str], path: &str, l: usize| {
        let mut p = Package::new(eco, name, version, "test-cataloger");
        p.licenses = lic.iter().map(|s| (*s).to_owned()).collect();
        p.locations.push(Location {
            path: path.into(),
            layer: Some(layer(l)),
        });
        p
    };
    let mut ssl = add(
        Ecosystem::Deb,
        "libssl3",
        "3.0.11-1~deb12u2",
        &["GPL-2+", "Apache-2.0"],
        "/var/lib/dpkg/status",
        0,
    );
    ssl.arch = Some("amd64".into());
    ssl.source = Some(SourcePackage {
        name: "openssl".into(),
        version: "3.0.11-1~deb12u2".into(),
    });
    pkgs.push(ssl);
    let mut z = add(
        Ecosystem::Deb,
        "zlib1g",
        "1:1.2.13.dfsg-1",
        &["Zlib"],
        "/var/lib/dpkg/status",
        0,
    );
    z.arch = Some("amd64".into());
    pkgs.push(z);
    let mut rpm = add(
        Ecosystem::Rpm,
        "openssl-libs",
        "1:3.0.7-24.el9",
        &["ASL 2.0"],
        "/var/lib/rpm/rpmdb.sqlite",
        0,
    );
    rpm.arch = Some("x86_64".into());
    rpm.metadata
        .insert("modularitylabel".into(), "x:1:2:3".into());
    pkgs.push(rpm);
    pkgs.push(add(
        Ecosystem::Apk,
        "musl",
        "1.2.4-r2",
        &["MIT"],
        "/lib/apk/db/installed",
        0,
    ));
    let mut six = add(
        Ecosystem::PyPi,
        "six",
        "1.16.0",
        &["MIT License"],
        "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
        0,
    );
    six.owner = Some(OwnerRef {
        ecosystem: Ecosystem::Deb,
        name: "python3-six".into(),
    });
    pkgs.push(six);
    pkgs.push(add(
        Ecosystem::Npm,
        "@babel/core",
        "7.20.12",
        &["MIT"],
        "/app/node_modules/@babel/core/package.json",
        1,
    ));
    pkgs.push(add(
        Ecosystem::Npm,
        "lodash",
        "4.17.20",
        &["MIT"],
        "/app/node_modules/lodash/package.json",
        1,
    ));
    pkgs.push(
        add(
            Ecosystem::Cargo,
            "serde",
            "1.0.200",
            &["MIT OR Apache-2.0"],
            "/src/Cargo.lock",
            1,
        )
        .declared(),
    );
    pkgs.push(add(
        Ecosystem::Go,
        "github.com/gin-gonic/gin",
        "v1.9.0",
        &[],
        "/usr/local/bin/app",
        1,
    ));
    pkgs.push(add(
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        &["Apache-2.0"],
        "/app/app.jar:BOOT-INF/lib/log4j-core-2.14.1.jar",
        1,
    ));
    pkgs.push(add(
        Ecosystem::RubyGems,
        "rack",
        "2.2.4",
        &["MIT"],
        "/usr/share/rubygems-integration/all/specifications/rack-2.2.4.gemspec",
        1,
    ));
    pkgs.push(add(
        Ecosystem::Packagist,
        "monolog/monolog",
        "2.9.1",
        &["MIT"],
        "/app/vendor/composer/installed.json",
        1,
    ));
    pkgs.push(add(
        Ecosystem::NuGet,
        "Newtonsoft.Json",
        "12.0.1",
        &["MIT"],
        "/app/app.deps.json",
        1,
    ));
    for p in &mut pkgs {
        p.purl = package_url(p, Some(&distro));
    }
    // a package without a purl still travels (by its stated ecosystem, name and version)
    pkgs.push(add(
        Ecosystem::Go,
        "example.invalid/internal/tool",
        "(devel)",
        &["Proprietary; see LICENSE"],
        "/usr/local/bin/tool",
        1,
    ));
    Inventory {
        target: TargetInfo {
            kind: "oci-dir".into(),
            name: "/images/demo".into(),
            image: Some(ImageInfo {
                manifest_digest: Some(format!("sha256:{:064x}", 7)),
                config_digest: format!("sha256:{:064x}", 8),
                tags: vec!["demo:1.0".into()],
                os: "linux".into(),
                architecture: "amd64".into(),
                layers: vec![layer(0), layer(1)],
                ..Default::default()
            }),
        },
        distro: Some(distro),
        packages: pkgs,
        notes: vec![],
    }
}

fn validator() -> String {
    format!("{}/tests/validate_schemas.py", env!("CARGO_MANIFEST_DIR"))
}

/// Run the official-schema validator; panics with its output (or install advice) on failure.
fn validate(kind: &str, file: &Path) -> Result<(), String> {
    let out = Command::new("python3")
        .arg(validator())
        .arg(kind)
        .arg(file)
        .output()
        .map_err(|e| {
            format!("cannot run python3 ({e}); the test suite needs it (scripts/test.sh)")
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // missing jsonschema, a schema package or a schema file: fail loudly, with the command
    if text.contains("missing Python module") || text.contains("missing schema file") {
        panic!("{text}");
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(text)
    }
}

#[test]
fn cyclonedx_is_valid_against_the_official_1_6_schema() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("bom.cdx.json");
    let text = vigil_sbom::to_cyclonedx(&rich_inventory()).expect("encode");
    std::fs::write(&f, &text).expect("write");
    validate("cyclonedx", &f).expect("valid CycloneDX 1.6");
    // negative control: the validator really checks (an unknown licence id is an enum error)
    let broken = text.replacen(r#""id": "MIT""#, r#""id": "Not-A-Licence""#, 1);
    assert_ne!(broken, text);
    std::fs::write(&f, broken).expect("write");
    let err = validate("cyclonedx", &f).expect_err("must be rejected");
    assert!(err.contains("licenses"), "{err}");
    // and the rules the schema cannot express: a duplicated bom-ref
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let first = doc["components"][1]["bom-ref"].as_str().expect("bom-ref");
    let second = doc["components"][2]["bom-ref"].as_str().expect("bom-ref");
    let broken = text.replacen(
        &format!(r#""bom-ref": "{second}""#),
        &format!(r#""bom-ref": "{first}""#),
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(&f, broken).expect("write");
    let err = validate("cyclonedx", &f).expect_err("must be rejected");
    assert!(err.contains("spec rule: bom-refs are not unique"), "{err}");
}

#[test]
fn spdx_is_valid_against_the_official_2_3_schema() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("bom.spdx.json");
    let text = vigil_sbom::to_spdx(&rich_inventory()).expect("encode");
    std::fs::write(&f, &text).expect("write");
    validate("spdx", &f).expect("valid SPDX 2.3");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    // non-SPDX licences become LicenseRefs with their text kept
    let extracted = doc["hasExtractedLicensingInfos"]
        .as_array()
        .expect("extracted");
    assert!(
        extracted
            .iter()
            .any(|e| e["extractedText"] == "GPL-2+" && e["licenseId"] == "LicenseRef-GPL-2-plus")
    );
    let serde = doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "serde")
        .expect("serde");
    assert_eq!(serde["licenseDeclared"], "MIT OR Apache-2.0");
    // negative control
    let broken = text.replacen(
        r#""referenceCategory": "PACKAGE-MANAGER""#,
        r#""referenceCategory": "PACKAGE MANAGER""#,
        1,
    );
    std::fs::write(&f, broken).expect("write");
    assert!(validate("spdx", &f).is_err());
    // negative control for the spec rules the schema cannot express: idstring characters
    let broken = text.replacen(
        r#""SPDXID": "SPDXRef-Package-"#,
        r#""SPDXID": "SPDXRef-Package_"#,
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(&f, broken).expect("write");
    let err = validate("spdx", &f).expect_err("must be rejected");
    assert!(err.contains("spec rule: SPDXID `SPDXRef-Package_"), "{err}");
}

/// What a round trip must keep of a package.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    ecosystem: Ecosystem,
    name: String,
    version: String,
    purl: String,
    locations: Vec<Location>,
    source: Option<SourcePackage>,
    arch: Option<String>,
    licenses: Vec<String>,
}

fn key(p: &Package) -> Key {
    Key {
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
        purl: p.purl.clone(),
        locations: p.locations.clone(),
        source: p.source.clone(),
        arch: p.arch.clone(),
        licenses: p.licenses.clone(),
    }
}

#[test]
fn both_formats_round_trip() {
    let inv = rich_inventory();
    let mut want: Vec<_> = inv.packages.iter().map(key).collect();
    want.sort();
    for (name, text) in [
        ("cdx", vigil_sbom::to_cyclonedx(&inv).expect("cdx")),
        ("spdx", vigil_sbom::to_spdx(&inv).expect("spdx")),
    ] {
        let back = vigil_sbom::decode(text.as_bytes(), name).expect("decode");
        let mut got: Vec<_> = back.packages.iter().map(key).collect();
        got.sort();
        assert_eq!(got, want, "{name}");
        let d = back.distro.expect("distro");
        assert_eq!(
            (d.id.as_str(), d.version_id.as_deref()),
            ("debian", Some("12"))
        );
        let six = back.packages.iter().find(|p| p.name == "six").expect("six");
        assert_eq!(
            six.owner.as_ref().map(|o| o.name.as_str()),
            Some("python3-six")
        );
        let cargo = back
            .packages
            .iter()
            .find(|p| p.name == "serde")
            .expect("serde");
        assert_eq!(cargo.kind, vigil_types::PackageKind::Declared);
        let rpm = back
            .packages
            .iter()
            .find(|p| p.name == "openssl-libs")
            .expect("rpm");
        assert_eq!(
            rpm.metadata.get("modularitylabel").map(String::as_str),
            Some("x:1:2:3")
        );
    }
}

#[test]
fn foreign_sboms_decode_from_purls() {
    // shapes as Syft and Trivy write them: no vigil properties
    let cdx = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
        {"type":"library","name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.20"},
        {"type":"library","name":"bsdutils","version":"2.38.1-5+deb12u3","purl":"pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&epoch=1&distro=debian-12"},
        {"type":"library","name":"nopurl","version":"1"},
        {"type":"operating-system","name":"debian","version":"12.5"}]}"#;
    let inv = vigil_sbom::decode(cdx.as_bytes(), "t.json").expect("decode");
    assert_eq!(inv.packages.len(), 2);
    let b = inv
        .packages
        .iter()
        .find(|p| p.name == "bsdutils")
        .expect("deb");
    assert_eq!(b.version, "1:2.38.1-5+deb12u3");
    assert_eq!(b.arch.as_deref(), Some("amd64"));
    assert_eq!(inv.notes.len(), 1, "the component without a purl is noted");
    let spdx = r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[
        {"SPDXID":"SPDXRef-a","name":"requests","versionInfo":"2.19.0","licenseDeclared":"Apache-2.0",
         "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:pypi/requests@2.19.0"}]}]}"#;
    let inv = vigil_sbom::decode(spdx.as_bytes(), "s.json").expect("decode");
    assert_eq!(inv.packages[0].ecosystem, Ecosystem::PyPi);
    assert_eq!(inv.packages[0].licenses, vec!["Apache-2.0".to_owned()]);
}

fn testdata(rel: &str) -> (Vec<u8>, String) {
    let p = format!("{}/testdata/foreign/{rel}", env!("CARGO_MANIFEST_DIR"));
    (std::fs::read(&p).expect("fixture"), p)
}

fn summary(inv: &Inventory) -> Vec<(Ecosystem, &str, &str, &str)> {
    inv.packages
        .iter()
        .map(|p| {
            (
                p.ecosystem,
                p.name.as_str(),
                p.version.as_str(),
                p.licenses.first().map_or("", String::as_str),
            )
        })
        .collect()
}

#[test]
fn npm_sbom_output_decodes_in_both_formats() {
    let want = [
        (
            Ecosystem::Npm,
            "@babel/helper-validator-identifier",
            "7.22.20",
            "MIT",
        ),
        (Ecosystem::Npm, "is-number", "7.0.0", "MIT"),
        (Ecosystem::Npm, "ms", "2.1.3", "MIT"),
    ];
    for f in ["npm-sbom/bom.cdx.json", "npm-sbom/bom.spdx.json"] {
        let (bytes, path) = testdata(f);
        let inv = vigil_sbom::decode(&bytes, &path).expect("decode");
        // the project itself (metadata.component / the DESCRIBES root) is not a package
        assert_eq!(summary(&inv), want, "{f}");
        assert_eq!(inv.target.kind, "sbom");
        assert!(inv.notes.is_empty(), "{f}: {:?}", inv.notes);
        let babel = &inv.packages[0];
        assert_eq!(
            babel.purl,
            "pkg:npm/%40babel/helper-validator-identifier@7.22.20"
        );
        assert!(babel.locations.is_empty());
    }
}

#[test]
fn cyclonedx_1_4_from_the_cyclonedx_python_generator_decodes() {
    let (bytes, path) = testdata("cyclonedx-py/bom-1.4.cdx.json");
    let inv = vigil_sbom::decode(&bytes, &path).expect("decode");
    assert_eq!(
        summary(&inv),
        [
            (Ecosystem::PyPi, "attrs", "23.2.0", "MIT"),
            (Ecosystem::PyPi, "pip", "23.2.1", "MIT"),
            (Ecosystem::PyPi, "setuptools", "65.5.0", "MIT"),
            (Ecosystem::PyPi, "six", "1.16.0", "MIT"),
        ]
    );
    assert!(inv.packages.iter().all(|p| p.cataloger == "cyclonedx"));
}

#[test]
fn malformed_sboms_get_precise_errors() {
    for (doc, want) in [
        (&b"{ nope"[..], "not valid JSON"),
        (&b"{\"hello\": 1}"[..], "neither a CycloneDX"),
        (
            &b"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"9.9\"}"[..],
            "specVersion `9.9`",
        ),
        (
            &b"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":{}}"[..],
            "`components` is not an array",
        ),
        (
            &b"{\"spdxVersion\":\"SPDX-3.0\"}"[..],
            "unsupported spdxVersion",
        ),
    ] {
        let e = vigil_sbom::decode(doc, "bad.json")
            .expect_err("must fail")
            .to_string();
        assert!(e.contains("bad.json") && e.contains(want), "{e}");
    }
}
