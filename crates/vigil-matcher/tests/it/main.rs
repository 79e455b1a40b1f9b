//! Matcher behaviour on small databases built from inline OSV records.

use serde_json::json;
use vigil_matcher::{MatchOptions, Report, match_inventory};
use vigil_osv::db::FeedMeta;
use vigil_osv::import::{Format, Item};
use vigil_osv::{Advisory, Database, Import};
use vigil_types::{Distro, Ecosystem, Inventory, Location, Package, SourcePackage, TargetInfo};

struct Fixture {
    _dir: tempfile::TempDir,
    db: Database,
}

fn db(records: Vec<serde_json::Value>, extra: Vec<(Format, Item)>) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.db");
    let mut im = Import::begin(&path).expect("begin");
    let mut items: Vec<(Format, Item)> = records
        .into_iter()
        .map(|r| {
            let a = Advisory::from_json(r.to_string().as_bytes()).expect("valid record");
            (Format::OsvJson, Item::Advisory(Box::new(a)))
        })
        .collect();
    items.extend(extra);
    im.replace_source("test", "file", items, Vec::new(), &FeedMeta::default())
        .expect("import");
    im.commit().expect("commit");
    Fixture {
        db: Database::open(&path).expect("open"),
        _dir: dir,
    }
}

fn pkg(eco: Ecosystem, name: &str, version: &str) -> Package {
    let mut p = Package::new(eco, name, version, "test");
    p.locations.push(Location {
        path: format!("/lib/{name}"),
        layer: None,
    });
    p
}

fn inventory(packages: Vec<Package>, distro: Option<(&str, &str)>, image: bool) -> Inventory {
    Inventory {
        target: TargetInfo {
            kind: "dir".into(),
            name: "t".into(),
            image: image.then(|| vigil_types::ImageInfo {
                config_digest: "sha256:c".into(),
                ..Default::default()
            }),
        },
        distro: distro.map(|(id, v)| Distro {
            id: id.into(),
            version_id: Some(v.into()),
            codename: None,
            pretty_name: None,
            id_like: Vec::new(),
            path: "/etc/os-release".into(),
        }),
        packages,
        notes: Vec::new(),
    }
}

fn run(f: &Fixture, inv: &Inventory) -> Report {
    match_inventory(inv, &f.db, &MatchOptions::default()).expect("match")
}

fn ids(r: &Report) -> Vec<String> {
    let mut v: Vec<String> = r
        .findings
        .iter()
        .map(|f| f.package_vulnerability_details.vulnerability_id.clone())
        .collect();
    v.sort();
    v
}

fn range(eco: &str, name: &str, events: serde_json::Value) -> serde_json::Value {
    json!({"package": {"ecosystem": eco, "name": name}, "ranges": [{"type": "ECOSYSTEM", "events": events}]})
}

#[test]
fn osv_range_semantics() {
    let f = db(
        vec![
            json!({"id": "PYSEC-1", "aliases": ["CVE-2000-1"], "affected": [range("PyPI", "Django",
                json!([{"introduced": "0"}, {"fixed": "1.11.5"}, {"introduced": "2.0"}, {"fixed": "2.0.2"}]))]}),
            json!({"id": "PYSEC-2", "affected": [range("PyPI", "django", json!([{"introduced": "1.0"}, {"last_affected": "1.4"}]))]}),
            json!({"id": "PYSEC-3", "withdrawn": "2020-01-01T00:00:00Z", "affected": [range("PyPI", "django", json!([{"introduced": "0"}]))]}),
            json!({"id": "PYSEC-4", "affected": [{"package": {"ecosystem": "PyPI", "name": "django"}, "versions": ["1.11.4", "2.0.1"]}]}),
            json!({"id": "PYSEC-5", "affected": [{"package": {"ecosystem": "PyPI", "name": "django"},
                "ranges": [{"type": "GIT", "repo": "https://github.com/django/django", "events": [{"introduced": "0"}, {"fixed": "abc"}]}]}]}),
        ],
        Vec::new(),
    );
    let check = |version: &str, want: &[&str]| {
        let r = run(
            &f,
            &inventory(vec![pkg(Ecosystem::PyPi, "django", version)], None, false),
        );
        let got = ids(&r);
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, want, "django {version}");
        r
    };
    check("1.11.4", &["CVE-2000-1", "PYSEC-4"]);
    check("1.11.5", &[]);
    check("1.11.5rc1", &["CVE-2000-1"]); // a pre-release of the fix is still before it (PEP 440)
    check("2.0.1", &["CVE-2000-1", "PYSEC-4"]);
    check("2.0.2", &[]);
    check("1.4", &["CVE-2000-1", "PYSEC-2"]);
    check("1.4.1", &["CVE-2000-1"]);
    check("0.9", &["CVE-2000-1"]);
    // withdrawn skipped; GIT-only record is reported as not evaluable, never guessed
    let r = check("3.0", &[]);
    assert_eq!(r.stats.withdrawn_skipped, 1);
    let git = r
        .judgements
        .iter()
        .find(|j| j.provenance.record == "PYSEC-5")
        .expect("git judgement");
    assert_eq!(git.provenance.verdict, "not-evaluable");
    assert!(
        git.provenance.reason.contains("commit"),
        "{}",
        git.provenance.reason
    );
    // the fix is the end of the interval holding the installed version
    let r = check("2.0.1", &["CVE-2000-1", "PYSEC-4"]);
    let f0 = r
        .findings
        .iter()
        .find(|f| f.package_vulnerability_details.vulnerability_id == "CVE-2000-1")
        .expect("f");
    assert_eq!(
        f0.package_vulnerability_details.vulnerable_packages[0]
            .fixed_in_version
            .as_deref(),
        Some("2.0.2")
    );
}

#[test]
fn unparsable_versions_are_reported_not_compared_as_strings() {
    let f = db(
        vec![
            json!({"id": "PYSEC-9", "affected": [range("PyPI", "foo", json!([{"introduced": "0"}, {"fixed": "not a version!"}]))]}),
        ],
        Vec::new(),
    );
    let r = run(
        &f,
        &inventory(vec![pkg(Ecosystem::PyPi, "foo", "1.0")], None, false),
    );
    assert!(r.findings.is_empty());
    assert_eq!(r.judgements[0].provenance.verdict, "not-evaluable");
    assert!(
        r.judgements[0]
            .provenance
            .reason
            .contains("not a valid pep440 version"),
        "{}",
        r.judgements[0].provenance.reason
    );
    let r = run(
        &f,
        &inventory(vec![pkg(Ecosystem::PyPi, "foo", "$$garbage")], None, false),
    );
    assert!(r.findings.is_empty());
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("$$garbage") && n.contains("not evaluated")),
        "{:?}",
        r.notes
    );
}

#[test]
fn aliases_merge_into_one_finding_listing_all_ids() {
    let f = db(
        vec![
            json!({"id": "PYSEC-2018-28", "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
                "affected": [range("PyPI", "requests", json!([{"introduced": "0"}, {"fixed": "2.20.0"}]))]}),
            json!({"id": "GHSA-x84v-xcm2-53pg", "aliases": ["CVE-2018-18074"], "database_specific": {"severity": "HIGH"},
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
                "affected": [range("PyPI", "requests", json!([{"introduced": "0"}, {"fixed": "2.20.0"}]))]}),
        ],
        vec![
            (Format::Kev, Item::Kev(serde_json::from_value(json!({"cveID": "CVE-2018-18074", "dateAdded": "2024-01-02", "dueDate": "2024-01-23", "knownRansomwareCampaignUse": "Unknown"})).expect("kev"))),
            (Format::Epss, Item::Epss(vigil_osv::import::EpssEntry { cve_num: (2018, 18074), score: 0.25, percentile: 0.9 })),
        ],
    );
    let r = run(
        &f,
        &inventory(
            vec![pkg(Ecosystem::PyPi, "Requests", "2.19.0")],
            None,
            false,
        ),
    );
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let x = &r.findings[0];
    let d = &x.package_vulnerability_details;
    assert_eq!(d.vulnerability_id, "CVE-2018-18074");
    assert!(
        d.related_vulnerabilities
            .contains(&"GHSA-x84v-xcm2-53pg".to_string())
    );
    assert!(
        d.related_vulnerabilities
            .contains(&"PYSEC-2018-28".to_string())
    );
    assert_eq!(d.source, "GITHUB", "GHSA preferred for language packages");
    assert_eq!(x.severity, "HIGH");
    // the Vigil score: CVSS 7.5, +1.0 for the CISA KEV listing
    assert_eq!(x.inspector_score, Some(8.5));
    let adjusted = &x
        .inspector_score_details
        .as_ref()
        .expect("score details")
        .adjusted_cvss;
    assert_eq!(adjusted.adjustments.len(), 1, "{adjusted:?}");
    assert_eq!(adjusted.adjustments[0].metric, "KEV");
    assert!(d.cvss.iter().any(|c| c.base_score == 7.5), "{:?}", d.cvss);
    assert_eq!(x.exploit_available, "YES");
    assert_eq!(
        x.exploitability_details
            .as_ref()
            .map(|e| e.last_known_exploit_at.as_str()),
        Some("2024-01-02")
    );
    assert_eq!(x.epss.as_ref().map(|e| e.score), Some(0.25));
    assert_eq!(x.vigil.provenance.len(), 2);
}

#[test]
fn debian_matches_source_package_and_splits_bundles_per_cve() {
    let dsa = json!({"id": "DSA-5000-1", "aliases": ["CVE-2021-1", "CVE-2021-2"],
    "affected": [
        {"package": {"ecosystem": "Debian:11", "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1n-0+deb11u1"}]}], "database_specific": {"distro_status": "fixed"}},
        {"package": {"ecosystem": "Debian:12", "name": "openssl"}, "database_specific": {"distro_status": "not-affected", "distro_status_note": "vulnerable code not present"}}
    ]});
    let unfixed = json!({"id": "DEBIAN-CVE-2021-3", "aliases": ["CVE-2021-3"],
        "affected": [{"package": {"ecosystem": "Debian:11", "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}], "database_specific": {"distro_status": "no-dsa", "distro_status_note": "Minor issue"}}]});
    let f = db(vec![dsa, unfixed], Vec::new());
    let mut libssl = pkg(Ecosystem::Deb, "libssl1.1", "1.1.1k-1+deb11u1+b1");
    libssl.source = Some(SourcePackage {
        name: "openssl".into(),
        version: "1.1.1k-1+deb11u1".into(),
    });
    let r = run(
        &f,
        &inventory(vec![libssl.clone()], Some(("debian", "11")), false),
    );
    assert_eq!(ids(&r), vec!["CVE-2021-1", "CVE-2021-2", "CVE-2021-3"]);
    let no_dsa = r
        .findings
        .iter()
        .find(|f| f.package_vulnerability_details.vulnerability_id == "CVE-2021-3")
        .expect("f");
    assert_eq!(no_dsa.fix_available, "NO");
    assert!(
        no_dsa
            .vigil
            .context
            .iter()
            .any(|c| c.contains("no-dsa (Minor issue)")),
        "{:?}",
        no_dsa.vigil.context
    );
    let fixed = &r
        .findings
        .iter()
        .find(|f| f.package_vulnerability_details.vulnerability_id == "CVE-2021-1")
        .expect("f");
    let vp = &fixed.package_vulnerability_details.vulnerable_packages[0];
    assert_eq!(vp.name, "libssl1.1");
    assert_eq!(vp.fixed_in_version.as_deref(), Some("1.1.1n-0+deb11u1"));
    assert!(
        fixed
            .package_vulnerability_details
            .related_vulnerabilities
            .contains(&"DSA-5000-1".to_string())
    );
    assert_eq!(fixed.vigil.provenance[0].comparator, "dpkg");
    assert!(
        fixed.vigil.provenance[0]
            .compared
            .contains("source package openssl 1.1.1k-1+deb11u1")
    );
    // binNMU: the command does not pin a binary version that does not exist
    assert!(
        vp.remediation
            .as_deref()
            .is_some_and(|c| c.starts_with("apt-get install --only-upgrade libssl1.1"))
    );
    // fixed version installed: no finding for the DSA (no-dsa stays)
    libssl.source = Some(SourcePackage {
        name: "openssl".into(),
        version: "1.1.1n-0+deb11u1".into(),
    });
    libssl.version = "1.1.1n-0+deb11u1".into();
    let r = run(
        &f,
        &inventory(vec![libssl.clone()], Some(("debian", "11")), false),
    );
    assert_eq!(ids(&r), vec!["CVE-2021-3"]);
    // Debian 12 record says not affected: a judgement, not a finding
    let r = run(&f, &inventory(vec![libssl], Some(("debian", "12")), false));
    assert!(r.findings.is_empty());
    assert_eq!(r.judgements[0].provenance.verdict, "not-affected");
    assert!(
        r.judgements[0]
            .provenance
            .reason
            .contains("vulnerable code not present")
    );
}

#[test]
fn kernel_packages_in_images_get_context_and_unknown_distros_a_note() {
    let f = db(
        vec![
            json!({"id": "ALSA-2023:1", "summary": "Important: kernel security update", "related": ["CVE-2023-9"],
            "affected": [range("AlmaLinux:9", "kernel-core", json!([{"introduced": "0"}, {"fixed": "5.14.0-284.11.1.el9_2"}]))]}),
        ],
        Vec::new(),
    );
    let k = pkg(Ecosystem::Rpm, "kernel-core", "5.14.0-162.6.1.el9_1");
    let r = run(
        &f,
        &inventory(vec![k.clone()], Some(("almalinux", "9.1")), true),
    );
    assert_eq!(ids(&r), vec!["CVE-2023-9"]);
    let x = &r.findings[0];
    assert_eq!(
        x.severity, "HIGH",
        "vendor severity from the errata summary"
    );
    assert!(
        x.vigil
            .context
            .iter()
            .any(|c| c.contains("kernel package inside a container image"))
    );
    let vp = &x.package_vulnerability_details.vulnerable_packages[0];
    assert_eq!(
        (vp.epoch, vp.version.as_str(), vp.release.as_deref()),
        (Some(0), "5.14.0", Some("162.6.1.el9_1"))
    );
    assert_eq!(vp.package_manager, "OS");
    assert!(vp.remediation.as_deref() == Some("dnf upgrade kernel-core-5.14.0-284.11.1.el9_2"));
    // RHEL 9 has no source in the database: said plainly, not silently empty
    let r = run(&f, &inventory(vec![k], Some(("rhel", "9.1")), false));
    assert!(r.findings.is_empty());
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("no vulnerability source covers rhel 9.1")),
        "{:?}",
        r.notes
    );
}

#[test]
fn semver_ranges_for_go_and_cargo_and_informational_notices() {
    let f = db(
        vec![
            json!({"id": "GO-2022-1", "aliases": ["CVE-2022-5"], "affected": [{"package": {"ecosystem": "Go", "name": "golang.org/x/net"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.7.0"}]}]}]}),
            json!({"id": "RUSTSEC-2020-1", "database_specific": {"informational": "unmaintained"}, "affected": [{"package": {"ecosystem": "crates.io", "name": "term"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}),
            // RustSec's OSV export: the flag sits in affected[].database_specific
            json!({"id": "RUSTSEC-2021-0139", "affected": [{"package": {"ecosystem": "crates.io", "name": "ansi_term"},
                "database_specific": {"informational": "unmaintained"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}),
        ],
        Vec::new(),
    );
    let r = run(
        &f,
        &inventory(
            vec![
                pkg(
                    Ecosystem::Go,
                    "golang.org/x/net",
                    "v0.0.0-20220722155237-a158d28d115b",
                ),
                pkg(Ecosystem::Cargo, "term", "0.7.0"),
                pkg(Ecosystem::Cargo, "ansi_term", "0.12.1"),
            ],
            None,
            false,
        ),
    );
    assert_eq!(
        ids(&r),
        vec!["CVE-2022-5", "RUSTSEC-2020-1", "RUSTSEC-2021-0139"]
    );
    for f in r.findings.iter().filter(|f| {
        f.package_vulnerability_details
            .vulnerability_id
            .starts_with("RUSTSEC-")
    }) {
        assert_eq!(f.severity, "INFORMATIONAL");
    }
    let term = r
        .findings
        .iter()
        .find(|f| f.package_vulnerability_details.vulnerability_id == "RUSTSEC-2020-1")
        .expect("f");
    assert_eq!(term.severity, "INFORMATIONAL");
    let go = r
        .findings
        .iter()
        .find(|f| f.package_vulnerability_details.vulnerability_id == "CVE-2022-5")
        .expect("f");
    assert_eq!(
        go.package_vulnerability_details.vulnerable_packages[0]
            .remediation
            .as_deref(),
        Some("go get golang.org/x/net@v0.7.0")
    );
    let r = run(
        &f,
        &inventory(
            vec![pkg(Ecosystem::Go, "golang.org/x/net", "v0.7.0")],
            None,
            false,
        ),
    );
    assert!(r.findings.is_empty());
}

#[test]
fn language_packages_owned_by_os_packages_are_left_to_the_distribution() {
    let f = db(
        vec![
            json!({"id": "PYSEC-7", "affected": [range("PyPI", "django", json!([{"introduced": "0"}, {"fixed": "9.0"}]))]}),
        ],
        Vec::new(),
    );
    let mut p = pkg(Ecosystem::PyPi, "Django", "3.2.19");
    p.owner = Some(vigil_types::OwnerRef {
        ecosystem: Ecosystem::Deb,
        name: "python3-django".into(),
    });
    let r = run(&f, &inventory(vec![p], Some(("debian", "12")), false));
    assert!(r.findings.is_empty());
    assert_eq!(r.stats.owned_by_os_package, 1);
}
mod native;
mod pypa;
