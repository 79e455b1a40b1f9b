//! `FilterCriteria::needles` is a pre-test that must never reject a finding the criteria
//! match: over a generated space of criteria (EQUALS / PREFIX / NOT_EQUALS on every member
//! that yields needles, alone and combined, with values taken from the findings, their
//! prefixes, and near misses) and findings with awkward strings (quotes, backslashes,
//! non-ASCII, numbers), `matches(f)` implies that the compact JSON text of `f` (as the store
//! writes it) contains a needle.

use serde_json::{Value, json};
use vigil_api::FilterCriteria;

fn findings() -> Vec<Value> {
    let mk = |arn: &str, sev: &str, vid: &str, title: &str, pkg: &str, res: &str, rtype: &str| {
        json!({
            "findingArn": arn, "awsAccountId": "111122223333", "type": "PACKAGE_VULNERABILITY",
            "severity": sev, "title": title, "status": "ACTIVE",
            "firstObservedAt": "2026-01-01T00:00:00Z", "inspectorScore": 7.5,
            "packageVulnerabilityDetails": {
                "vulnerabilityId": vid, "source": "NVD",
                "vulnerablePackages": [
                    {"name": pkg, "version": "1.0", "epoch": 1, "packageManager": "PYTHON"},
                    {"name": "zlib1g", "version": "1:1.2.13", "packageManager": "OS"}
                ]
            },
            "resources": [{"type": rtype, "id": res, "details": {"awsEcrContainerImage": {
                "repositoryName": "team/app", "imageHash": "sha256:abc", "imageTags": ["v1"]}}}]
        })
    };
    let mut v = vec![
        mk(
            "arn:f/1",
            "HIGH",
            "CVE-2024-0001",
            "CVE-2024-0001 - Django",
            "Django",
            "sha256:abc",
            "AWS_ECR_CONTAINER_IMAGE",
        ),
        mk(
            "arn:f/2",
            "CRITICAL",
            "GHSA-xxxx-yyyy",
            "GHSA-xxxx-yyyy - \"quoted\\pkg\"",
            "quoted\"pkg\\",
            "i-0123",
            "AWS_EC2_INSTANCE",
        ),
        mk(
            "arn:f/3",
            "LOW",
            "CVE-2023-9999",
            "CVE-2023-9999 - ünïcode/пакет",
            "ünïcode/пакет",
            "host/a b",
            "AWS_EC2_INSTANCE",
        ),
        mk(
            "arn:f/4",
            "MEDIUM",
            "DLA-1234-1",
            "DLA-1234-1 - 123",
            "123",
            "fn:lambda",
            "AWS_LAMBDA_FUNCTION",
        ),
    ];
    // YES/NO members on some findings, absent on others
    for (f, (exploit, fix)) in v
        .iter_mut()
        .zip([("YES", "NO"), ("NO", "YES"), ("NO", "PARTIAL")])
    {
        f["exploitAvailable"] = json!(exploit);
        f["fixAvailable"] = json!(fix);
    }
    v
}

fn values(fs: &[Value], member: &str) -> Vec<String> {
    let path: &[&str] = match member {
        "findingArn" => &["findingArn"],
        "awsAccountId" => &["awsAccountId"],
        "findingType" => &["type"],
        "severity" => &["severity"],
        "title" => &["title"],
        "vulnerabilityId" => &["packageVulnerabilityDetails", "vulnerabilityId"],
        "exploitAvailable" => &["exploitAvailable"],
        "fixAvailable" => &["fixAvailable"],
        _ => &[],
    };
    let mut out: Vec<String> = fs
        .iter()
        .filter_map(|f| {
            let mut v = f;
            for p in path {
                v = v.get(p)?;
            }
            v.as_str().map(str::to_owned)
        })
        .collect();
    if member == "resourceId" {
        out = vec!["sha256:abc".into(), "i-0123".into(), "host/a b".into()];
    }
    if member == "resourceType" {
        out = vec!["AWS_EC2_INSTANCE".into(), "AWS_LAMBDA_FUNCTION".into()];
    }
    if member == "ecrImageHash" {
        out = vec!["sha256:abc".into()];
    }
    if member == "ecrImageRepositoryName" {
        out = vec!["team/app".into()];
    }
    if member == "exploitAvailable" || member == "fixAvailable" {
        out = vec!["YES".into(), "NO".into(), "PARTIAL".into()];
    }
    if member == "lambdaFunctionName" {
        out = vec!["absent".into()];
    }
    // prefixes and near misses
    let mut more = Vec::new();
    for v in &out {
        let chars: Vec<char> = v.chars().collect();
        if chars.len() > 2 {
            more.push(chars[..chars.len() / 2].iter().collect::<String>());
        }
        more.push(format!("{v}x"));
        more.push(v.to_lowercase());
    }
    out.extend(more);
    out.sort();
    out.dedup();
    out
}

#[test]
fn needles_never_reject_a_match() {
    let fs = findings();
    let texts: Vec<String> = fs.iter().map(|f| f.to_string()).collect();
    let members = [
        "findingArn",
        "awsAccountId",
        "findingType",
        "severity",
        "title",
        "vulnerabilityId",
        "resourceId",
        "resourceType",
        "ecrImageHash",
        "ecrImageRepositoryName",
        "lambdaFunctionName",
        "exploitAvailable",
        "fixAvailable",
    ];
    let package_names = [
        "Django",
        "Djan",
        "quoted\"pkg\\",
        "ünïcode/пакет",
        "ünï",
        "123",
        "zlib1g",
        "nope",
    ];
    let mut criteria: Vec<Value> = Vec::new();
    let cmp = ["EQUALS", "PREFIX", "NOT_EQUALS"];
    for m in members {
        let vals = values(&fs, m);
        for v in &vals {
            for c in cmp {
                criteria.push(json!({m: [{"comparison": c, "value": v}]}));
                // an OR of two entries, and a NOT_EQUALS alongside
                criteria.push(json!({m: [{"comparison": c, "value": v}, {"comparison": "EQUALS", "value": vals[0]}]}));
                criteria.push(json!({m: [{"comparison": c, "value": v}, {"comparison": "NOT_EQUALS", "value": vals[vals.len() - 1]}]}));
            }
        }
    }
    for n in package_names {
        for c in cmp {
            criteria.push(json!({"vulnerablePackages": [{"name": {"comparison": c, "value": n}}]}));
            criteria.push(json!({"vulnerablePackages": [
                {"name": {"comparison": c, "value": n}},
                {"version": {"comparison": "EQUALS", "value": "1.0"}}]}));
            criteria.push(
                json!({"vulnerablePackages": [{"name": {"comparison": c, "value": n}}],
                "severity": [{"comparison": "EQUALS", "value": "HIGH"}]}),
            );
        }
    }
    // pairs of members (the needles come from one of them)
    let singles = criteria.clone();
    for (i, a) in singles.iter().enumerate().step_by(7) {
        for b in singles.iter().skip(i % 5).step_by(11) {
            let mut m = a.as_object().cloned().unwrap_or_default();
            for (k, v) in b.as_object().into_iter().flatten() {
                m.entry(k.clone()).or_insert(v.clone());
            }
            criteria.push(Value::Object(m));
        }
    }
    let (mut checked, mut matched, mut skipped) = (0, 0, 0);
    for c in &criteria {
        let parsed: FilterCriteria = serde_json::from_value(c.clone()).expect("criteria parse");
        let needles = parsed.needles();
        for (f, text) in fs.iter().zip(&texts) {
            checked += 1;
            let hit = needles
                .as_ref()
                .is_none_or(|n| n.iter().any(|x| text.contains(x.as_str())));
            let m = parsed.matches(f);
            assert!(
                hit || !m,
                "needles {needles:?} reject a finding {c} matches: {text}"
            );
            matched += usize::from(m);
            skipped += usize::from(!hit);
        }
    }
    println!(
        "{} criteria x {} findings = {checked} checks: {matched} matches, {skipped} skipped by needles",
        criteria.len(),
        fs.len()
    );
    assert!(
        matched > 100 && skipped > 1000,
        "the space must exercise both sides"
    );
}
