//! VEX both ways through the server: OpenVEX, CycloneDX and CSAF documents (written here for
//! findings of the demo image) imported with `POST /vigil/v1/vex/import` become suppression
//! rules (listed by ListFilters, findings SUPPRESSED); the suppressions exported with
//! `POST /vigil/v1/vex/export` validate (OpenVEX with vexipy's models of the specification,
//! CycloneDX with the official 1.6 schema) and, imported into other accounts that scanned the
//! same image, suppress the same findings there.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::{Server, demo_sbom, start, tools_present};
use serde_json::{Value, json};

const IMAGE: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// (finding ARN, vulnerability id, purl, status) of every finding, read through the ASFF export
/// (which carries the purl) as the account of `home`.
fn view(s: &Server, home: &Path) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"format": "ASFF", "maxResults": 100});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = s.native_as(
            home,
            "/vigil/v1/findings/export",
            body.to_string().as_bytes(),
        );
        for f in page["findings"].as_array().expect("findings") {
            out.push((
                f["Id"].as_str().unwrap_or("").to_owned(),
                f["Vulnerabilities"][0]["Id"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                f["ProductFields"]["vigil/Purl"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                f["ProductFields"]["vigil/FindingStatus"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            ));
        }
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return out,
        }
    }
}

/// The (vulnerability, purl) pairs that are SUPPRESSED.
fn suppressed(rows: &[(String, String, String, String)]) -> BTreeSet<(String, String)> {
    rows.iter()
        .filter(|r| r.3 == "SUPPRESSED")
        .map(|r| (r.1.clone(), r.2.clone()))
        .collect()
}

fn import(s: &Server, home: &Path, body: &Value) -> Value {
    s.native_as(home, "/vigil/v1/vex/import", body.to_string().as_bytes())
}

fn filter_count(s: &Server) -> usize {
    s.aws(&["list-filters"])["filters"]
        .as_array()
        .map_or(0, Vec::len)
}

fn error_message(r: &Value) -> &str {
    assert_eq!(r["status"], 400, "{r}");
    assert_eq!(r["type"], "ValidationException", "{r}");
    r["message"].as_str().unwrap_or("")
}

fn validate_openvex(s: &Server, doc: &Value) -> Value {
    let file = s.dir.path().join("openvex.json");
    std::fs::write(&file, doc.to_string()).expect("write");
    let out = Command::new("python3")
        .arg(format!(
            "{}/tests/validate_formats.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(["openvex"])
        .arg(&file)
        .output()
        .expect("python3");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "validator: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "OpenVEX invalid: {report:#}");
    report
}

fn validate_cyclonedx(s: &Server, doc: &Value) {
    let file = s.dir.path().join("vex.cdx.json");
    std::fs::write(&file, doc.to_string()).expect("write");
    let out = Command::new("python3")
        .arg(format!(
            "{}/../vigil-sbom/tests/validate_schemas.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg("cyclonedx")
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "CycloneDX VEX invalid:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn vex_documents_become_suppression_rules_and_round_trip() {
    tools_present();
    let s = start();
    let work = tempfile::tempdir().expect("tmp");
    let sbom: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_sbom(work.path())).expect("sbom"))
            .expect("json");
    let scan = json!({"sbom": sbom, "resourceId": IMAGE});
    let scanned = s.native("/vigil/v1/scans", &scan);
    assert_eq!(
        scanned["resourceType"], "AWS_ECR_CONTAINER_IMAGE",
        "{scanned}"
    );
    let rows = view(&s, &s.home);
    assert!(rows.iter().all(|r| r.3 == "ACTIVE"));
    // four packages, a vulnerability of each (four different vulnerabilities)
    let mut by_purl: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        if !r.2.is_empty() {
            by_purl.entry(r.2.clone()).or_default().insert(r.1.clone());
        }
    }
    let mut picked: Vec<(String, String)> = Vec::new();
    for (purl, vulns) in &by_purl {
        if let Some(v) = vulns.iter().find(|v| picked.iter().all(|(u, _)| u != *v)) {
            picked.push((v.clone(), purl.clone()));
        }
    }
    assert!(picked.len() >= 4, "{by_purl:?}");
    let (v0, p0) = &picked[0];
    let (v1, p1) = &picked[1];
    let (v2, p2) = &picked[2];
    let (v3, p3) = &picked[3];

    // 1. OpenVEX: not_affected in the image (a subcomponent of the image product); `fixed`
    // statements suppress nothing and are reported
    let openvex = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex/demo-1",
        "author": "Demo Security Team",
        "timestamp": "2026-11-30T12:00:00Z",
        "version": 1,
        "statements": [
            {"vulnerability": {"name": v0}, "products": [{"@id": IMAGE, "subcomponents": [{"@id": p0}]}],
             "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
             "impact_statement": "the vulnerable function is never called"},
            {"vulnerability": {"name": v1}, "products": [{"@id": p1}], "status": "fixed"},
        ],
    });
    let r = s.native("/vigil/v1/vex/import", &json!({"document": openvex}));
    assert_eq!(r["format"], "OPENVEX", "{r:#}");
    let rules = r["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 1, "{r:#}");
    assert_eq!(rules[0]["outcome"], "CREATED");
    assert_eq!(rules[0]["filterCriteria"]["resourceId"][0]["value"], IMAGE);
    assert_eq!(
        rules[0]["filterCriteria"]["vulnerabilityId"][0]["value"],
        v0.as_str()
    );
    let ignored = r["ignored"].as_array().expect("ignored");
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0]["statement"], "document.statements[1]");
    assert!(
        ignored[0]["reason"]
            .as_str()
            .is_some_and(|x| x.contains("fixed"))
    );
    let rule_arn = rules[0]["arn"].as_str().expect("arn").to_owned();
    let now = suppressed(&view(&s, &s.home));
    assert_eq!(now, BTreeSet::from([(v0.clone(), p0.clone())]), "{now:?}");
    // listed as an inspector2 filter with action SUPPRESS, the justification kept in its tags
    let filters = s.aws(&["list-filters", "--action", "SUPPRESS"]);
    let f = filters["filters"]
        .as_array()
        .expect("filters")
        .iter()
        .find(|f| f["arn"] == rule_arn.as_str())
        .expect("the rule is listed");
    assert_eq!(f["reason"], "the vulnerable function is never called");
    assert_eq!(
        f["tags"]["vigil:vexJustification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert!(f["name"].as_str().is_some_and(|n| n.starts_with("vex:")));
    // importing the same document again changes nothing
    let before = filter_count(&s);
    let again = s.native("/vigil/v1/vex/import", &json!({"document": openvex}));
    assert_eq!(again["rules"][0]["outcome"], "UNCHANGED", "{again:#}");
    assert_eq!(again["rules"][0]["arn"], rule_arn.as_str());
    assert_eq!(filter_count(&s), before);

    // 2. CycloneDX VEX (sent as JSON text, format detected): a component by purl, no resource
    let cdx = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "components": [{"type": "library", "bom-ref": "comp-1", "name": "x", "purl": p1}],
        "vulnerabilities": [{"id": v1, "analysis": {"state": "not_affected", "justification": "code_not_present", "detail": "stripped from the build"},
                             "affects": [{"ref": "comp-1"}]},
                            {"id": v3, "affects": [{"ref": "comp-1"}]}],
    });
    let r = s.native(
        "/vigil/v1/vex/import",
        &json!({"document": cdx.to_string()}),
    );
    assert_eq!(r["format"], "CYCLONEDX", "{r:#}");
    assert_eq!(r["rules"][0]["outcome"], "CREATED", "{r:#}");
    assert!(r["rules"][0]["filterCriteria"].get("resourceId").is_none());
    assert_eq!(r["rules"].as_array().map(Vec::len), Some(1), "{r:#}");
    assert_eq!(
        r["ignored"][0]["statement"], "document.vulnerabilities[1]",
        "{r:#}"
    );

    // 3. CSAF 2.0 VEX: the package as a component of the image (a relationship), a flag
    let csaf = json!({
        "document": {"category": "csaf_vex", "csaf_version": "2.0", "title": "demo", "publisher": {"category": "vendor", "name": "Demo", "namespace": "https://example.invalid"},
                     "tracking": {"id": "DEMO-VEX-3", "status": "final", "version": "1", "initial_release_date": "2026-11-30T00:00:00Z", "current_release_date": "2026-11-30T00:00:00Z",
                                  "revision_history": [{"date": "2026-11-30T00:00:00Z", "number": "1", "summary": "initial"}]}},
        "product_tree": {
            "full_product_names": [
                {"product_id": "IMG", "name": IMAGE},
                {"product_id": "PKG", "name": "package", "product_identification_helper": {"purl": p2}},
            ],
            "relationships": [{"category": "default_component_of", "product_reference": "PKG", "relates_to_product_reference": "IMG",
                               "full_product_name": {"product_id": "IMG:PKG", "name": "package in the image"}}],
        },
        "vulnerabilities": [{"cve": v2, "product_status": {"known_not_affected": ["IMG:PKG"]},
                             "flags": [{"label": "vulnerable_code_not_present", "product_ids": ["IMG:PKG"]}]}],
    });
    let r = s.native(
        "/vigil/v1/vex/import",
        &json!({"document": csaf, "format": "CSAF"}),
    );
    assert_eq!(r["rules"][0]["outcome"], "CREATED", "{r:#}");
    assert_eq!(
        r["rules"][0]["filterCriteria"]["resourceId"][0]["value"],
        IMAGE
    );
    let want: BTreeSet<(String, String)> = [
        (v0.clone(), p0.clone()),
        (v1.clone(), p1.clone()),
        (v2.clone(), p2.clone()),
    ]
    .into();
    let now = suppressed(&view(&s, &s.home));
    assert_eq!(now, want, "{now:?}");

    // 4. a dry run says what would happen and changes nothing
    let before = filter_count(&s);
    let dry = json!({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:x:dry", "author": "a", "timestamp": "2026-11-30T12:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": v3}, "products": [{"@id": p3}], "status": "not_affected", "justification": "component_not_present"}],
    });
    let r = s.native(
        "/vigil/v1/vex/import",
        &json!({"document": dry, "dryRun": true}),
    );
    assert_eq!(r["dryRun"], true);
    assert_eq!(r["rules"][0]["outcome"], "CREATED", "{r:#}");
    assert!(r["rules"][0].get("arn").is_none());
    assert_eq!(filter_count(&s), before);
    assert_eq!(suppressed(&view(&s, &s.home)), want);

    // 5. bad documents: a ValidationException naming the place, nothing created (all or
    // nothing: the valid first statement makes no rule either)
    let mut bad = dry.clone();
    bad["statements"]
        .as_array_mut()
        .expect("statements")
        .push(json!({"vulnerability": {"name": v2}, "products": [], "status": "not_affected", "justification": "component_not_present"}));
    let m = error_message(&s.native("/vigil/v1/vex/import", &json!({"document": bad}))).to_owned();
    assert!(m.contains("document.statements[1].products: empty"), "{m}");
    let m = error_message(&s.native(
        "/vigil/v1/vex/import",
        &json!({"document": "{\"statements\": ["}),
    ))
    .to_owned();
    assert!(m.contains("document: is not valid JSON"), "{m}");
    let m = error_message(&s.native(
        "/vigil/v1/vex/import",
        &json!({"document": {"hello": "world"}}),
    ))
    .to_owned();
    assert!(m.contains("unknown format"), "{m}");
    let m = error_message(&s.native(
        "/vigil/v1/vex/import",
        &json!({"document": dry, "format": "SPDX"}),
    ))
    .to_owned();
    assert!(m.starts_with("format:"), "{m}");
    let mut no_flag = csaf.clone();
    no_flag["vulnerabilities"][0]["flags"] = json!([]);
    let m =
        error_message(&s.native("/vigil/v1/vex/import", &json!({"document": no_flag}))).to_owned();
    assert!(
        m.contains("document.vulnerabilities[0].product_status.known_not_affected[0]"),
        "{m}"
    );
    let mut no_justification = dry.clone();
    no_justification["statements"][0]
        .as_object_mut()
        .expect("statement")
        .remove("justification");
    let m = error_message(&s.native(
        "/vigil/v1/vex/import",
        &json!({"document": no_justification}),
    ))
    .to_owned();
    assert!(m.contains("document.statements[0]"), "{m}");
    let huge = format!(
        "{{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": [], \"padding\": \"{}\"}}",
        "x".repeat(9 << 20)
    );
    let m = error_message(&s.native_raw(
        "/vigil/v1/vex/import",
        json!({"document": huge}).to_string().as_bytes(),
    ))
    .to_owned();
    assert!(m.contains("document: exceeds"), "{m}");
    assert_eq!(filter_count(&s), before, "nothing was created");
    assert_eq!(suppressed(&view(&s, &s.home)), want);

    // a resource whose id is no IRI, with a plain suppression rule (not from VEX) on it
    let host_scan = json!({"sbom": sbom, "resourceId": "web-host"});
    s.native("/vigil/v1/scans", &host_scan);
    s.aws(&[
        "create-filter",
        "--name",
        "retired-host",
        "--action",
        "SUPPRESS",
        "--reason",
        "web-host is being retired",
        "--filter-criteria",
        &json!({"resourceId": [{"comparison": "EQUALS", "value": "web-host"}],
                "vulnerabilityId": [{"comparison": "EQUALS", "value": v3}]})
        .to_string(),
    ]);
    let in_a = suppressed(&view(&s, &s.home));
    assert!(in_a.contains(&(v3.clone(), p3.clone())));
    let count_a = view(&s, &s.home)
        .iter()
        .filter(|r| r.3 == "SUPPRESSED")
        .count();

    // 6. export: OpenVEX, valid, one statement per suppressed vulnerability and rule,
    // justifications kept (or mapped from CycloneDX's vocabulary), the resources as products
    // with the packages inside
    let exported = s.native("/vigil/v1/vex/export", &json!({"format": "OPENVEX"}));
    let doc = &exported["document"];
    let report = validate_openvex(&s, doc);
    assert_eq!(report["valid"], 1, "{report}");
    let statements = doc["statements"].as_array().expect("statements");
    let by_vuln: BTreeMap<&str, &Value> = statements
        .iter()
        .map(|st| (st["vulnerability"]["name"].as_str().unwrap_or(""), st))
        .collect();
    assert_eq!(
        by_vuln.keys().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([v0.as_str(), v1.as_str(), v2.as_str(), v3.as_str()]),
        "{doc:#}"
    );
    // the plain rule: its reason is the impact statement, no justification; the host's id
    // written as an IRI
    let st3 = by_vuln[v3.as_str()];
    assert_eq!(st3["impact_statement"], "web-host is being retired");
    assert!(st3.get("justification").is_none());
    assert_eq!(st3["products"][0]["@id"], "urn:vigil:resource:web-host");
    assert_eq!(
        by_vuln[v0.as_str()]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(
        by_vuln[v0.as_str()]["impact_statement"],
        "the vulnerable function is never called"
    );
    assert_eq!(
        by_vuln[v1.as_str()]["justification"],
        "vulnerable_code_not_present"
    );
    assert_eq!(
        by_vuln[v2.as_str()]["justification"],
        "vulnerable_code_not_present"
    );
    for st in statements {
        assert_eq!(st["status"], "not_affected");
    }
    for v in [v0, v2] {
        assert_eq!(by_vuln[v.as_str()]["products"][0]["@id"], IMAGE);
    }
    // the CycloneDX rule had no resource: it suppresses the package on both resources
    let v1_products: BTreeSet<&str> = by_vuln[v1.as_str()]["products"]
        .as_array()
        .expect("products")
        .iter()
        .filter_map(|p| p["@id"].as_str())
        .collect();
    assert_eq!(
        v1_products,
        BTreeSet::from([IMAGE, "urn:vigil:resource:web-host"])
    );
    assert_eq!(
        by_vuln[v0.as_str()]["products"][0]["subcomponents"][0]["@id"],
        p0.as_str()
    );

    // CycloneDX 1.6, valid against the official schema; CycloneDX's own label kept
    let cdx_export = s.native("/vigil/v1/vex/export", &json!({"format": "CYCLONEDX"}));
    let cdx_doc = &cdx_export["document"];
    validate_cyclonedx(&s, cdx_doc);
    let vulns = cdx_doc["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities");
    let j = |v: &str| {
        vulns
            .iter()
            .find(|x| x["id"] == v)
            .map(|x| x["analysis"]["justification"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(j(v1), "code_not_present");
    assert_eq!(j(v0), "code_not_reachable");
    assert_eq!(j(v3), Value::Null);
    assert!(
        vulns
            .iter()
            .all(|x| x["analysis"]["state"] == "not_affected")
    );
    // a filter narrows the export
    let one = s.native(
        "/vigil/v1/vex/export",
        &json!({"format": "OPENVEX", "filterCriteria": {"vulnerabilityId": [{"comparison": "EQUALS", "value": v0}]}}),
    );
    assert_eq!(one["statements"], 1, "{one:#}");

    // 7. round trip: other accounts scanned the same resources; importing the exports
    // suppresses the same findings there
    for (account, document) in [("444455556666", doc), ("777788889999", cdx_doc)] {
        let home = s.second_account(account);
        for body in [&scan, &host_scan] {
            let scanned = s.native_as(&home, "/vigil/v1/scans", body.to_string().as_bytes());
            assert_eq!(scanned["new"], json!(rows.len()), "{scanned}");
        }
        assert!(suppressed(&view(&s, &home)).is_empty());
        let r = import(&s, &home, &json!({"document": document}));
        assert!(
            r["rules"].as_array().is_some_and(|x| !x.is_empty()),
            "{r:#}"
        );
        assert_eq!(
            suppressed(&view(&s, &home)),
            in_a,
            "account {account}: {r:#}"
        );
        let count = view(&s, &home)
            .iter()
            .filter(|r| r.3 == "SUPPRESSED")
            .count();
        assert_eq!(
            count, count_a,
            "account {account}: as many findings suppressed"
        );
    }
}
