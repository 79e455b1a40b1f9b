//! OCSF Vulnerability Finding (`class_uid` 2002, category Findings, OCSF 1.4.0 with the
//! `cloud` profile): an inspector2 `Finding` (as `ListFindings` answers it) as an OCSF event.
//!
//! * `activity_id`: 1 Create for an ACTIVE finding seen once, 2 Update for one observed again
//!   or suppressed, 3 Close for a CLOSED one; `type_uid` = 200200 + activity.
//! * `severity_id`: INFORMATIONAL 1, LOW 2, MEDIUM 3, HIGH 4, CRITICAL 5, UNTRIAGED 0.
//! * `status_id`: ACTIVE 1 New, SUPPRESSED 3 Suppressed, CLOSED 4 Resolved.
//! * `finding_info`: the finding ARN, title, description, created/first/last seen/modified
//!   times (epoch milliseconds), the inspector2 finding type.
//! * `vulnerabilities[0]`: the CVE (`cve.uid`, its CVSS scores, EPSS), the affected packages
//!   (with purl, fixed version, remediation), `fix_available`, `is_exploit_available`,
//!   references, the vendor, the recommendation. A NETWORK_REACHABILITY finding has no CVE:
//!   its entry carries the title, description and remediation only (the class requires the
//!   list).
//! * `resources[]`: uid, type, region, partition, tags as labels, inspector2's details as
//!   `data`; `cloud`: provider `Vigil` (the resources are Vigil's inventory, not AWS's),
//!   account and region.
//! * `metadata`: product Vigil (vendor Vigil, version), OCSF version 1.4.0, profile `cloud`.
//! * `unmapped`: the Vigil score and its adjustments, the suppression rule, aliases.

use serde_json::{Map, Value, json};

use crate::time_value::epoch_ms;

/// The OCSF version the events follow (and are validated against).
pub const OCSF_VERSION: &str = "1.4.0";
pub const CLASS_UID: u64 = 2002;
pub const CATEGORY_UID: u64 = 2;

/// What the caller decides.
#[derive(Debug, Clone, Default)]
pub struct OcsfContext {
    /// `cloud.provider` (default `Vigil`).
    pub provider: Option<String>,
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn put(o: &mut Map<String, Value>, key: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        o.insert(key.to_owned(), v.into());
    }
}

fn strings(v: &Value, pointer: &str) -> Vec<String> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// (`severity_id`, caption) of an inspector2 severity.
pub fn severity(label: &str) -> (u64, &'static str) {
    match label {
        "INFORMATIONAL" => (1, "Informational"),
        "LOW" => (2, "Low"),
        "MEDIUM" => (3, "Medium"),
        "HIGH" => (4, "High"),
        "CRITICAL" => (5, "Critical"),
        _ => (0, "Unknown"),
    }
}

/// (`status_id`, caption) of an inspector2 finding status.
pub fn status(s: &str) -> (u64, &'static str) {
    match s {
        "ACTIVE" => (1, "New"),
        "SUPPRESSED" => (3, "Suppressed"),
        "CLOSED" => (4, "Resolved"),
        _ => (0, "Unknown"),
    }
}

/// The finding as an OCSF Vulnerability Finding event.
pub fn from_finding(f: &Value, ctx: &OcsfContext) -> Value {
    let st = text(f, "/status").unwrap_or("ACTIVE");
    let first = epoch_ms(f.get("firstObservedAt"));
    let last = epoch_ms(f.get("lastObservedAt"));
    let updated = epoch_ms(f.get("updatedAt"));
    let (activity_id, activity) = match st {
        "CLOSED" => (3, "Close"),
        "ACTIVE" if first.is_some() && first == last => (1, "Create"),
        _ => (2, "Update"),
    };
    let (severity_id, severity_name) = severity(text(f, "/severity").unwrap_or(""));
    let (status_id, status_name) = status(st);
    let region = text(f, "/resources/0/region");
    let account = text(f, "/awsAccountId");
    let title = text(f, "/title").unwrap_or("finding");

    let mut info = Map::new();
    info.insert(
        "uid".into(),
        json!(text(f, "/findingArn").unwrap_or("unknown")),
    );
    info.insert("title".into(), json!(title));
    put(&mut info, "desc", text(f, "/description"));
    put(&mut info, "created_time", first);
    put(&mut info, "first_seen_time", first);
    put(&mut info, "last_seen_time", last);
    put(&mut info, "modified_time", updated);
    put(&mut info, "types", text(f, "/type").map(|t| json!([t])));
    put(
        &mut info,
        "src_url",
        text(f, "/packageVulnerabilityDetails/sourceUrl"),
    );

    let mut cloud = Map::new();
    cloud.insert(
        "provider".into(),
        json!(ctx.provider.as_deref().unwrap_or("Vigil")),
    );
    put(&mut cloud, "region", region);
    put(
        &mut cloud,
        "account",
        // the account is Vigil's (AWS-shaped ids), not an AWS account: type Other
        account.map(|a| json!({"uid": a, "type": "Vigil account", "type_id": 99})),
    );
    put(
        &mut cloud,
        "cloud_partition",
        text(f, "/resources/0/partition"),
    );

    let mut out = Map::new();
    out.insert("activity_id".into(), json!(activity_id));
    out.insert("activity_name".into(), json!(activity));
    out.insert("category_uid".into(), json!(CATEGORY_UID));
    out.insert("category_name".into(), json!("Findings"));
    out.insert("class_uid".into(), json!(CLASS_UID));
    out.insert("class_name".into(), json!("Vulnerability Finding"));
    out.insert("type_uid".into(), json!(CLASS_UID * 100 + activity_id));
    out.insert(
        "type_name".into(),
        json!(format!("Vulnerability Finding: {activity}")),
    );
    out.insert("severity_id".into(), json!(severity_id));
    out.insert("severity".into(), json!(severity_name));
    out.insert("status_id".into(), json!(status_id));
    out.insert("status".into(), json!(status_name));
    put(
        &mut out,
        "status_detail",
        text(f, "/vigil/suppression/reason"),
    );
    out.insert(
        "time".into(),
        json!(last.or(updated).or(first).unwrap_or(0)),
    );
    put(&mut out, "start_time", first);
    put(&mut out, "end_time", last);
    put(&mut out, "message", Some(title));
    out.insert("finding_info".into(), Value::Object(info));
    out.insert(
        "vulnerabilities".into(),
        json!([vulnerability(f, first, last)]),
    );
    out.insert(
        "resources".into(),
        Value::Array(
            f.get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(resource)
                .collect(),
        ),
    );
    out.insert("cloud".into(), Value::Object(cloud));
    out.insert(
        "metadata".into(),
        json!({
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "uid": text(f, "/findingArn").unwrap_or("unknown"),
            "product": {"name": "Vigil", "vendor_name": "Vigil", "version": env!("CARGO_PKG_VERSION")},
        }),
    );
    let unmapped = unmapped(f);
    if !unmapped.is_empty() {
        out.insert("unmapped".into(), Value::Object(unmapped));
    }
    Value::Object(out)
}

fn vulnerability(f: &Value, first: Option<i64>, last: Option<i64>) -> Value {
    let mut v = Map::new();
    put(&mut v, "title", text(f, "/title"));
    put(&mut v, "desc", text(f, "/description"));
    put(&mut v, "severity", text(f, "/severity"));
    put(&mut v, "first_seen_time", first);
    put(&mut v, "last_seen_time", last);
    if let Some(t) = text(f, "/remediation/recommendation/text") {
        let mut r = json!({"desc": t});
        if let Some(u) = text(f, "/remediation/recommendation/Url") {
            r["references"] = json!([u]);
        }
        v.insert("remediation".into(), r);
    }
    if let Some(x) = text(f, "/fixAvailable") {
        // PARTIAL: a fix exists for some of the packages
        v.insert("fix_available".into(), json!(x != "NO"));
    }
    if let Some(x) = text(f, "/exploitAvailable") {
        v.insert("is_exploit_available".into(), json!(x == "YES"));
    }
    put(
        &mut v,
        "exploit_last_seen_time",
        epoch_ms(f.pointer("/exploitabilityDetails/lastKnownExploitAt")),
    );
    let Some(d) = f.get("packageVulnerabilityDetails") else {
        // no CVE (a NETWORK_REACHABILITY finding): the class wants one of cve, cwe or advisory;
        // the exposure is described as a Vigil advisory
        let mut uid = format!("vigil:{}", text(f, "/type").unwrap_or("FINDING"));
        if let Some(n) = f.get("networkReachabilityDetails") {
            uid.push_str(&format!(
                ":{}:{}-{}",
                text(n, "/protocol").unwrap_or("ANY"),
                n.pointer("/openPortRange/begin")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
                n.pointer("/openPortRange/end")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            ));
        }
        let mut a = json!({"uid": uid, "classification": "Network Reachability"});
        if let Some(t) = text(f, "/title") {
            a["title"] = json!(t);
        }
        v.insert("advisory".into(), a);
        return Value::Object(v);
    };
    put(&mut v, "vendor_name", text(d, "/source"));
    let refs = strings(d, "/referenceUrls");
    if !refs.is_empty() {
        v.insert("references".into(), json!(refs));
    }
    let related = strings(d, "/relatedVulnerabilities");
    if !related.is_empty() {
        v.insert("related_vulnerabilities".into(), json!(related));
    }
    let mut cve = Map::new();
    cve.insert(
        "uid".into(),
        json!(text(d, "/vulnerabilityId").unwrap_or("UNKNOWN")),
    );
    put(&mut cve, "title", text(f, "/title"));
    put(&mut cve, "desc", text(f, "/description"));
    put(&mut cve, "created_time", epoch_ms(d.get("vendorCreatedAt")));
    put(
        &mut cve,
        "modified_time",
        epoch_ms(d.get("vendorUpdatedAt")),
    );
    if !refs.is_empty() {
        cve.insert("references".into(), json!(refs));
    }
    let cvss: Vec<Value> = d
        .get("cvss")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let score = c.get("baseScore").and_then(Value::as_f64)?;
            let mut o = Map::new();
            o.insert(
                "version".into(),
                json!(text(c, "/version").unwrap_or("3.1")),
            );
            o.insert("base_score".into(), json!(score));
            o.insert("depth".into(), json!("Base"));
            put(&mut o, "vector_string", text(c, "/scoringVector"));
            put(&mut o, "vendor_name", text(c, "/source"));
            Some(Value::Object(o))
        })
        .collect();
    let mut cvss = cvss;
    if let Some(a) = f.pointer("/inspectorScoreDetails/adjustedCvss")
        && let Some(score) = a.get("score").and_then(Value::as_f64)
    {
        let mut o = Map::new();
        o.insert(
            "version".into(),
            json!(text(a, "/version").unwrap_or("3.1")),
        );
        o.insert("base_score".into(), json!(score));
        o.insert("overall_score".into(), json!(score));
        o.insert("depth".into(), json!("Environmental"));
        put(&mut o, "vector_string", text(a, "/scoringVector"));
        o.insert("vendor_name".into(), json!("Vigil"));
        cvss.push(Value::Object(o));
    }
    if !cvss.is_empty() {
        cve.insert("cvss".into(), Value::Array(cvss));
    }
    if let Some(score) = f.pointer("/epss/score").and_then(Value::as_f64) {
        let mut e = json!({"score": score.to_string()});
        if let Some(p) = f.pointer("/vigil/epssPercentile").and_then(Value::as_f64) {
            e["percentile"] = json!(p);
        }
        cve.insert("epss".into(), e);
    }
    v.insert("cve".into(), Value::Object(cve));
    let purl = text(f, "/vigil/purl");
    let packages: Vec<Value> = d
        .get("vulnerablePackages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, p)| {
            let mut o = Map::new();
            o.insert("name".into(), json!(text(p, "/name").unwrap_or("unknown")));
            o.insert(
                "version".into(),
                json!(text(p, "/version").unwrap_or("unknown")),
            );
            put(&mut o, "epoch", p.get("epoch").and_then(Value::as_i64));
            put(&mut o, "release", text(p, "/release"));
            put(&mut o, "architecture", text(p, "/arch"));
            put(&mut o, "package_manager", text(p, "/packageManager"));
            put(&mut o, "path", text(p, "/filePath"));
            put(
                &mut o,
                "fixed_in_version",
                text(p, "/fixedInVersion").filter(|v| *v != "NotAvailable"),
            );
            put(
                &mut o,
                "remediation",
                text(p, "/remediation").map(|r| json!({"desc": r})),
            );
            if i == 0 {
                put(&mut o, "purl", purl);
            }
            Value::Object(o)
        })
        .collect();
    if !packages.is_empty() {
        v.insert("affected_packages".into(), Value::Array(packages));
    }
    Value::Object(v)
}

fn resource(r: &Value) -> Value {
    let mut o = Map::new();
    put(&mut o, "uid", text(r, "/id"));
    put(&mut o, "type", text(r, "/type"));
    put(&mut o, "region", text(r, "/region"));
    put(&mut o, "cloud_partition", text(r, "/partition"));
    let tags: Vec<Value> = r
        .get("tags")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| json!({"name": k, "value": v.as_str().unwrap_or_default()}))
        .collect();
    if !tags.is_empty() {
        o.insert("tags".into(), Value::Array(tags));
    }
    if let Some(d) = r.get("details").filter(|d| !d.is_null()) {
        o.insert("data".into(), d.clone());
        let name = text(d, "/awsEcrContainerImage/repositoryName")
            .or_else(|| text(d, "/awsLambdaFunction/functionName"))
            .or_else(|| text(d, "/vigil/hostname"));
        put(&mut o, "name", name);
    }
    Value::Object(o)
}

fn unmapped(f: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    put(&mut m, "inspector_score", f.get("inspectorScore").cloned());
    put(
        &mut m,
        "inspector_score_details",
        f.get("inspectorScoreDetails").cloned(),
    );
    put(
        &mut m,
        "network_reachability_details",
        f.get("networkReachabilityDetails").cloned(),
    );
    if let Some(v) = f.get("vigil") {
        let mut x = Map::new();
        for k in [
            "aliases",
            "ecosystem",
            "purl",
            "fixedVersions",
            "kev",
            "suppression",
            "context",
        ] {
            if let Some(val) = v.get(k).filter(|val| !val.is_null()) {
                x.insert(k.to_owned(), val.clone());
            }
        }
        if !x.is_empty() {
            m.insert("vigil".into(), Value::Object(x));
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_enums() {
        let f = json!({
            "awsAccountId": "111122223333",
            "findingArn": "arn:x",
            "type": "PACKAGE_VULNERABILITY",
            "title": "CVE-1 - p",
            "severity": "CRITICAL",
            "status": "SUPPRESSED",
            "firstObservedAt": "2026-12-01T10:00:00Z",
            "lastObservedAt": "2026-12-02T10:00:00Z",
            "fixAvailable": "PARTIAL",
            "exploitAvailable": "YES",
            "epss": {"score": 0.5},
            "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-1", "source": "NVD",
                "cvss": [{"baseScore": 9.8, "scoringVector": "CVSS:3.1/AV:N", "source": "NVD", "version": "3.1"}],
                "vulnerablePackages": [{"name": "p", "version": "1", "fixedInVersion": "NotAvailable", "packageManager": "NPM"}]},
            "resources": [{"type": "AWS_EC2_INSTANCE", "id": "i-1", "region": "eu-west-1", "partition": "vigil"}],
            "vigil": {"purl": "pkg:npm/p@1", "suppression": {"filterArn": "arn:f", "reason": "why"}},
        });
        let o = from_finding(&f, &OcsfContext::default());
        assert_eq!(o["class_uid"], 2002);
        assert_eq!(o["type_uid"], 200202);
        assert_eq!(
            (o["severity_id"].clone(), o["status_id"].clone()),
            (json!(5), json!(3))
        );
        assert_eq!(o["status_detail"], "why");
        assert_eq!(o["time"], 1_796_205_600_000i64);
        let v = &o["vulnerabilities"][0];
        assert_eq!(v["cve"]["uid"], "CVE-1");
        assert_eq!(v["cve"]["epss"]["score"], "0.5");
        assert_eq!(v["fix_available"], true);
        assert_eq!(v["is_exploit_available"], true);
        assert_eq!(v["affected_packages"][0]["purl"], "pkg:npm/p@1");
        assert!(v["affected_packages"][0].get("fixed_in_version").is_none());
        assert_eq!(o["cloud"]["region"], "eu-west-1");
        let mut closed = f.clone();
        closed["status"] = json!("CLOSED");
        let o = from_finding(&closed, &OcsfContext::default());
        assert_eq!(
            (o["activity_id"].clone(), o["status_id"].clone()),
            (json!(3), json!(4))
        );
    }
}
