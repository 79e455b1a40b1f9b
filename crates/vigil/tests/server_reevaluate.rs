//! Re-evaluation when the advisory database changes: a server holding two resources' stored
//! inventories gets a new advisory database (one PyYAML record withdrawn from the set, one new
//! record for Jinja2); the re-evaluation job re-matches only the resource holding those
//! packages, closes the PyYAML findings, creates the Jinja2 ones, records why in the history,
//! and leaves the other resource untouched; the re-evaluated findings equal those of a fresh
//! scan against the new database. Its status is visible in the jobs list.

mod common;

use common::*;
use serde_json::{Value, json};

fn arns_by(list: &Value, pred: &dyn Fn(&Value) -> bool) -> Vec<(String, String)> {
    list["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| pred(f))
        .map(|f| {
            (
                f["findingArn"].as_str().unwrap_or_default().to_owned(),
                f["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn vuln(f: &Value) -> &str {
    f["packageVulnerabilityDetails"]["vulnerabilityId"]
        .as_str()
        .unwrap_or_default()
}

fn resource(f: &Value) -> &str {
    f["resources"][0]["id"].as_str().unwrap_or_default()
}

#[test]
fn an_advisory_update_reevaluates_only_the_affected_inventories() {
    tools_present();
    let s = start();
    let sbom = demo_sbom(s.dir.path());
    // host-b: the same image without PyYAML and Jinja2
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&sbom).expect("sbom")).expect("json");
    if let Some(c) = doc["components"].as_array_mut() {
        c.retain(|x| {
            let purl = x["purl"].as_str().unwrap_or_default().to_lowercase();
            !purl.starts_with("pkg:pypi/pyyaml@") && !purl.starts_with("pkg:pypi/jinja2@")
        });
    }
    let sbom_b = s.dir.path().join("host-b.cdx.json");
    std::fs::write(&sbom_b, doc.to_string()).expect("write");
    s.scan(&format!("sbom:{}", sbom.display()), "host-a");
    s.scan(&format!("sbom:{}", sbom_b.display()), "host-b");
    // the baseline was recorded at start; nothing changed since
    let idle = s.native(
        "/vigil/v1/jobs/run",
        &json!({"name": "advisory-reevaluation"}),
    );
    assert_eq!(idle["result"]["changed"], false, "{idle}");
    let before = s.aws(&["list-findings"]);
    let pyyaml = arns_by(&before, &|f| vuln(f) == "CVE-2020-14343");
    assert_eq!(
        pyyaml.len(),
        2,
        "the demo image has PyYAML twice: {pyyaml:?}"
    );
    let b_before = arns_by(&before, &|f| resource(f) == "host-b");
    assert!(
        !b_before.is_empty(),
        "{}",
        before["findings"]
            .as_array()
            .map(|f| f
                .iter()
                .map(|x| resource(x).to_owned())
                .collect::<Vec<_>>()
                .join(","))
            .unwrap_or_default()
    );

    // the new advisory set: PYSEC-2021-142 (PyYAML) gone, a new Jinja2 record
    let adv2 = s.dir.path().join("advisories-2");
    copy_dir(&repo().join("examples/advisories"), &adv2);
    std::fs::remove_file(adv2.join("pypi/PYSEC-2021-142.json")).expect("remove");
    std::fs::write(
        adv2.join("pypi/VIGIL-TEST-2026-1.json"),
        json!({
            "schema_version": "1.6.0", "id": "VIGIL-TEST-2026-1",
            "modified": "2026-12-01T00:00:00Z", "published": "2026-12-01T00:00:00Z",
            "summary": "Test advisory: every Jinja2 release",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
        })
        .to_string(),
    )
    .expect("new advisory");
    let fresh = s.dir.path().join("advisories-2.db");
    run_ok(
        vigil()
            .args(["db", "import", "--db"])
            .arg(&fresh)
            .arg(&adv2),
    );
    std::fs::rename(&fresh, s.dir.path().join("advisories.db")).expect("replace the database");

    let run = s.native(
        "/vigil/v1/jobs/run",
        &json!({"name": "advisory-reevaluation"}),
    );
    let r = &run["result"];
    assert_eq!(r["changed"], true, "{run}");
    assert_eq!(r["keysChanged"], 2, "pyyaml and jinja2: {run}");
    assert_eq!(r["resourcesReevaluated"], 1, "only host-a: {run}");
    assert_eq!(r["findingsClosed"], 2, "{run}");
    assert_eq!(r["findingsNew"], 2, "{run}");

    let after = s.aws(&["list-findings"]);
    let closed = arns_by(&after, &|f| vuln(f) == "CVE-2020-14343");
    assert!(
        closed.len() == 2 && closed.iter().all(|(_, st)| st == "CLOSED"),
        "{closed:?}"
    );
    let jinja = arns_by(&after, &|f| vuln(f) == "VIGIL-TEST-2026-1");
    assert!(
        jinja.len() == 2 && jinja.iter().all(|(_, st)| st == "ACTIVE"),
        "{jinja:?}"
    );
    let hist = s.native(
        "/vigil/v1/findings/history",
        &json!({"findingArn": closed[0].0}),
    );
    let last = hist["transitions"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        last["reason"], "no longer matched after an advisory database update",
        "{hist}"
    );
    // the re-evaluated host-a has exactly the open findings a fresh scan of its inventory
    // against the new database gives (host-c)
    s.scan(&format!("sbom:{}", sbom.display()), "host-c");
    let all = s.aws(&["list-findings"]);
    let open_on = |rid: &str| {
        let mut v: Vec<String> = all["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| resource(f) == rid && f["status"] != "CLOSED")
            .map(|f| {
                let p = &f["packageVulnerabilityDetails"]["vulnerablePackages"][0];
                format!(
                    "{} {} {} {} {}",
                    vuln(f),
                    p["name"],
                    p["version"],
                    p["filePath"],
                    f["severity"]
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(open_on("host-a"), open_on("host-c"));
    // host-b untouched: same findings, same statuses
    assert_eq!(arns_by(&after, &|f| resource(f) == "host-b"), b_before);

    // a third database: one more Jinja2 record, for versions nobody runs. The key changed, the
    // verdicts did not: no resource is re-matched
    std::fs::write(
        adv2.join("pypi/VIGIL-TEST-2026-2.json"),
        json!({
            "schema_version": "1.6.0", "id": "VIGIL-TEST-2026-2",
            "modified": "2026-12-02T00:00:00Z", "published": "2026-12-02T00:00:00Z",
            "summary": "Test advisory: a future Jinja2",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "99.0"}]}]}]
        })
        .to_string(),
    )
    .expect("third advisory");
    let fresh = s.dir.path().join("advisories-3.db");
    run_ok(
        vigil()
            .args(["db", "import", "--db"])
            .arg(&fresh)
            .arg(&adv2),
    );
    std::fs::rename(&fresh, s.dir.path().join("advisories.db")).expect("replace again");
    let third = s.native(
        "/vigil/v1/jobs/run",
        &json!({"name": "advisory-reevaluation"}),
    );
    let r = &third["result"];
    assert_eq!(r["keysChanged"], 1, "{third}");
    assert_eq!(r["comparedWithPreviousDatabase"], true, "{third}");
    assert_eq!(r["resourcesReevaluated"], 0, "{third}");
    assert_eq!(
        r["resourcesWithUnchangedVerdicts"], 2,
        "host-a and host-c: {third}"
    );

    let jobs = s.native("/vigil/v1/jobs/list", &json!({}));
    let job = jobs["jobs"]
        .as_array()
        .and_then(|j| j.iter().find(|x| x["name"] == "advisory-reevaluation"))
        .cloned()
        .unwrap_or_default();
    assert!(job["runs"].as_u64().unwrap_or(0) >= 4, "{jobs}");
    assert_eq!(job["failures"], 0, "{jobs}");
    assert_eq!(job["lastResult"]["keysChanged"], 1, "{jobs}");
    let unknown = s.native("/vigil/v1/jobs/run", &json!({"name": "nope"}));
    assert_eq!(unknown["status"], 404, "{unknown}");
}

/// `vigil server --feeds FILE`: the `feed-update` job fetches the feeds (here a `file://` OSV
/// record that changes), updates the database and re-evaluates in the same run.
#[test]
fn the_feed_update_job_updates_the_database_and_reevaluates() {
    tools_present();
    let feeds_dir = tempfile::tempdir().expect("tmp");
    let record = feeds_dir.path().join("extra.json");
    let osv = |id: &str, introduced: &str| {
        json!({
            "schema_version": "1.6.0", "id": id,
            "modified": "2026-12-01T00:00:00Z", "published": "2026-12-01T00:00:00Z",
            "summary": "Test feed advisory",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": introduced}]}]}]
        })
        .to_string()
    };
    // at first the feed's record affects no version anybody runs
    std::fs::write(&record, osv("VIGIL-FEED-1", "99.0")).expect("record");
    let feeds = feeds_dir.path().join("feeds.txt");
    std::fs::write(&feeds, format!("extra file://{}\n", record.display())).expect("feeds");
    let s = start_full(&[], &[("VIGIL_FEEDS", feeds.to_str().expect("utf-8 path"))]);
    let sbom = demo_sbom(s.dir.path());
    s.scan(&format!("sbom:{}", sbom.display()), "host-a");
    // (the job also ran at start: this run finds the feed imported, or imports it)
    let first = s.native("/vigil/v1/jobs/run", &json!({"name": "feed-update"}));
    assert!(first["result"]["feeds"][0]["result"].is_string(), "{first}");
    assert_eq!(
        first["result"]["reevaluation"]["findingsNew"]
            .as_u64()
            .unwrap_or(0),
        0,
        "{first}"
    );
    // the feed publishes a change: every Jinja2
    std::fs::write(&record, osv("VIGIL-FEED-1", "0")).expect("record");
    let run = s.native("/vigil/v1/jobs/run", &json!({"name": "feed-update"}));
    assert_eq!(run["result"]["feeds"][0]["result"], "updated", "{run}");
    assert_eq!(run["result"]["reevaluation"]["findingsNew"], 2, "{run}");
    let found = s.aws(&[
        "list-findings",
        "--filter-criteria",
        r#"{"vulnerabilityId":[{"comparison":"EQUALS","value":"VIGIL-FEED-1"}]}"#,
    ]);
    let open = arns_by(&found, &|f| resource(f) == "host-a");
    assert!(
        open.len() == 2 && open.iter().all(|(_, st)| st == "ACTIVE"),
        "{found}"
    );
    let jobs = s.native("/vigil/v1/jobs/list", &json!({}));
    assert!(
        jobs["jobs"].as_array().is_some_and(|j| j
            .iter()
            .any(|x| x["name"] == "feed-update" && x["failures"] == 0)),
        "{jobs}"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// EPSS moves the Vigil score only across its thresholds (1%, 50%): a daily update that moves a
/// CVE's probability within its bucket re-matches nothing; one that crosses a threshold
/// re-scores exactly the findings of that CVE (and their severity follows).
#[test]
fn an_epss_threshold_crossing_rescores_without_a_rescan() {
    tools_present();
    let s = start();
    let sbom = demo_sbom(s.dir.path());
    s.scan(&format!("sbom:{}", sbom.display()), "host-a");
    let of = |cve: &str| -> Vec<(f64, String)> {
        let criteria = json!({"vulnerabilityId": [{"comparison": "EQUALS", "value": cve}]});
        s.aws(&["list-findings", "--filter-criteria", &criteria.to_string()])["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["inspectorScore"].as_f64().unwrap_or(-1.0),
                    f["severity"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    // CVSS 4.2, EPSS 0.54%: lowered to 3.7, LOW
    assert_eq!(of("CVE-2023-45803"), vec![(3.7, "LOW".to_owned()); 2]);
    let update = |epss: &[(&str, &str)]| {
        let adv = s.dir.path().join(format!("advisories-{}", epss.len()));
        copy_dir(&repo().join("examples/advisories"), &adv);
        let mut csv = std::fs::read_to_string(adv.join("epss.csv")).expect("csv");
        for (cve, score) in epss {
            let start = csv
                .find(&format!("{cve},"))
                .expect("the CVE is in the sample");
            let end = start + csv[start..].find('\n').expect("line end");
            csv.replace_range(start..end, &format!("{cve},{score},0.990000000"));
        }
        std::fs::write(adv.join("epss.csv"), csv).expect("write");
        let fresh = s.dir.path().join("advisories-new.db");
        run_ok(vigil().args(["db", "import", "--db"]).arg(&fresh).arg(&adv));
        std::fs::rename(&fresh, s.dir.path().join("advisories.db")).expect("replace");
        s.native(
            "/vigil/v1/jobs/run",
            &json!({"name": "advisory-reevaluation"}),
        )
    };
    // within the bucket (0.54% -> 0.9%): nothing to re-match
    let r = update(&[("CVE-2023-45803", "0.009000000")]);
    assert_eq!(r["result"]["keysChanged"], 0, "{r}");
    assert_eq!(of("CVE-2023-45803"), vec![(3.7, "LOW".to_owned()); 2]);
    // across 50%: raised to 4.7, MEDIUM; the other urllib3 CVEs keep their scores
    let r = update(&[
        ("CVE-2023-45803", "0.600000000"),
        ("CVE-2018-25091", "0.005500000"),
    ]);
    assert_eq!(r["result"]["keysChanged"], 1, "urllib3 only: {r}");
    assert_eq!(of("CVE-2023-45803"), vec![(4.7, "MEDIUM".to_owned()); 2]);
    assert_eq!(of("CVE-2018-25091"), vec![(5.6, "MEDIUM".to_owned()); 2]);
}
