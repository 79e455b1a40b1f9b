//! AWS Security Finding Format (ASFF, `SchemaVersion` 2018-10-08): an inspector2 `Finding`
//! (as `ListFindings` answers it, with Vigil's members) as Security Hub's
//! `AwsSecurityFinding`, laid out the way Amazon Inspector sends its findings to Security Hub:
//! `Types` `Software and Configuration Checks/Vulnerabilities/CVE`, the package vulnerability
//! in `Vulnerabilities[]` (packages, CVSS with the score adjustments, fix and exploit
//! availability, EPSS, vendor), the resource as `AwsEc2Instance` / `AwsEcrContainerImage` /
//! `AwsLambdaFunction` with its details, and the finding's status as the record state and
//! workflow (CLOSED: `RecordState` ARCHIVED, `Workflow.Status` RESOLVED; SUPPRESSED:
//! `Workflow.Status` SUPPRESSED with the rule's reason as a `Note`).
//!
//! What Vigil does not claim: the product is not Amazon Inspector. `ProductArn` defaults to the
//! account's own custom-integration product
//! (`arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`, the one
//! `BatchImportFindings` accepts from any account), `CompanyName`/`ProductName` are `Vigil`,
//! `GeneratorId` is `vigil/<finding type>`, and Inspector's `aws/inspector/*` product fields
//! have `vigil/*` counterparts (`vigil/FindingStatus`, `vigil/InspectorScore`, ...).
//! `Resources[].Partition` is set only for a real AWS partition (Vigil's own resources are in
//! partition `vigil`, which ASFF has no value for).
//!
//! Limits ASFF sets are kept: `Title` 256 characters, `Description` 1024, a
//! recommendation's text 512, at most 50 product fields (keys 128, values 2048), no empty
//! strings anywhere (members without a value are left out).

use serde_json::{Map, Value, json};

use crate::time_value::rfc3339;

/// The ASFF schema version.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// `CompanyName` and `ProductName`.
pub const PRODUCT_NAME: &str = "Vigil";

/// What the caller decides: the product ARN findings are imported under.
#[derive(Debug, Clone, Default)]
pub struct AsffContext {
    /// Overrides the default `arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`
    /// (e.g. a partner product ARN a Security Hub push target was given).
    pub product_arn: Option<String>,
}

/// The `Types` entry of a finding type.
pub fn finding_types(kind: &str) -> &'static str {
    match kind {
        "NETWORK_REACHABILITY" => {
            "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"
        }
        "CODE_VULNERABILITY" => "Software and Configuration Checks/Vulnerabilities/CWE",
        _ => "Software and Configuration Checks/Vulnerabilities/CVE",
    }
}

/// Security Hub's label -> normalized severity (the lower bound of the label's range).
pub fn normalized_severity(label: &str) -> (&'static str, i64) {
    match label {
        "CRITICAL" => ("CRITICAL", 90),
        "HIGH" => ("HIGH", 70),
        "MEDIUM" => ("MEDIUM", 40),
        "LOW" => ("LOW", 1),
        _ => ("INFORMATIONAL", 0),
    }
}

/// The ASFF resource type of an inspector2 resource type.
pub fn resource_type(kind: &str) -> &'static str {
    match kind {
        "AWS_EC2_INSTANCE" => "AwsEc2Instance",
        "AWS_ECR_CONTAINER_IMAGE" => "AwsEcrContainerImage",
        "AWS_ECR_REPOSITORY" => "AwsEcrRepository",
        "AWS_LAMBDA_FUNCTION" => "AwsLambdaFunction",
        _ => "Other",
    }
}

/// A non-empty string member at `pointer`.
fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// At most `max` characters (an ellipsis marks a cut).
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

fn put(o: &mut Map<String, Value>, key: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        o.insert(key.to_owned(), v.into());
    }
}

/// Non-empty strings of a list member.
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

/// The finding as an `AwsSecurityFinding`.
pub fn from_finding(f: &Value, ctx: &AsffContext) -> Value {
    let account = text(f, "/awsAccountId").unwrap_or("000000000000");
    let resource0 = f.pointer("/resources/0").unwrap_or(&Value::Null);
    let region = text(resource0, "/region").unwrap_or("us-east-1");
    let kind = text(f, "/type").unwrap_or("PACKAGE_VULNERABILITY");
    let arn = text(f, "/findingArn").unwrap_or("unknown-finding");
    let status = text(f, "/status").unwrap_or("ACTIVE");
    let title = clip(text(f, "/title").unwrap_or(arn), 256);
    let description = clip(text(f, "/description").unwrap_or(&title), 1024);
    let (label, normalized) = normalized_severity(text(f, "/severity").unwrap_or("UNTRIAGED"));
    let updated = rfc3339(f.get("updatedAt"));
    let first = rfc3339(f.get("firstObservedAt"));
    let last = rfc3339(f.get("lastObservedAt"));
    let created = first.clone().or_else(|| updated.clone());
    let fallback_time = "1970-01-01T00:00:00.000Z".to_owned();
    let types = vec![finding_types(kind)];

    let mut out = Map::new();
    out.insert("SchemaVersion".into(), json!(SCHEMA_VERSION));
    out.insert("Id".into(), json!(arn));
    out.insert(
        "ProductArn".into(),
        json!(ctx.product_arn.clone().unwrap_or_else(|| format!(
            "arn:aws:securityhub:{region}:{account}:product/{account}/default"
        ))),
    );
    out.insert("ProductName".into(), json!(PRODUCT_NAME));
    out.insert("CompanyName".into(), json!(PRODUCT_NAME));
    out.insert("Region".into(), json!(region));
    out.insert("GeneratorId".into(), json!(format!("vigil/{kind}")));
    out.insert("AwsAccountId".into(), json!(account));
    out.insert("Types".into(), json!(types));
    put(&mut out, "FirstObservedAt", first.clone());
    put(&mut out, "LastObservedAt", last);
    out.insert(
        "CreatedAt".into(),
        json!(created.unwrap_or_else(|| fallback_time.clone())),
    );
    out.insert(
        "UpdatedAt".into(),
        json!(updated.clone().unwrap_or_else(|| fallback_time.clone())),
    );
    out.insert(
        "Severity".into(),
        json!({"Label": label, "Normalized": normalized, "Original": text(f, "/severity").unwrap_or(label)}),
    );
    out.insert("Title".into(), json!(title));
    out.insert("Description".into(), json!(description));
    if let Some(t) = text(f, "/remediation/recommendation/text") {
        let mut rec = json!({"Text": clip(t, 512)});
        if let Some(u) = text(f, "/remediation/recommendation/Url") {
            rec["Url"] = json!(u);
        }
        out.insert("Remediation".into(), json!({"Recommendation": rec}));
    }
    put(
        &mut out,
        "SourceUrl",
        text(f, "/packageVulnerabilityDetails/sourceUrl"),
    );
    out.insert("ProductFields".into(), Value::Object(product_fields(f)));
    out.insert(
        "Resources".into(),
        Value::Array(
            f.get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|r| resource(r, region))
                .collect(),
        ),
    );
    if out["Resources"].as_array().is_none_or(Vec::is_empty) {
        // ASFF requires one resource; a finding always has one, but do not emit an invalid record
        out.insert(
            "Resources".into(),
            json!([{"Type": "Other", "Id": arn, "Region": region}]),
        );
    }
    if f.get("packageVulnerabilityDetails").is_some() {
        out.insert("Vulnerabilities".into(), json!([vulnerability(f)]));
    }
    if let Some(steps) = f
        .pointer("/networkReachabilityDetails/networkPath/steps")
        .and_then(Value::as_array)
    {
        let path: Vec<Value> = steps
            .iter()
            .filter_map(|s| {
                let mut c = Map::new();
                put(&mut c, "ComponentId", text(s, "/componentId"));
                put(&mut c, "ComponentType", text(s, "/componentType"));
                (!c.is_empty()).then_some(Value::Object(c))
            })
            .collect();
        if !path.is_empty() {
            out.insert("NetworkPath".into(), Value::Array(path));
        }
    }
    let (workflow, record) = match status {
        "CLOSED" => ("RESOLVED", "ARCHIVED"),
        "SUPPRESSED" => ("SUPPRESSED", "ACTIVE"),
        _ => ("NEW", "ACTIVE"),
    };
    out.insert("Workflow".into(), json!({"Status": workflow}));
    out.insert("RecordState".into(), json!(record));
    if status == "SUPPRESSED" {
        let rule = text(f, "/vigil/suppression/filterArn").unwrap_or("a suppression rule");
        let reason = text(f, "/vigil/suppression/reason")
            .map(|r| format!("Suppressed by {rule}: {r}"))
            .unwrap_or_else(|| format!("Suppressed by {rule}"));
        out.insert(
            "Note".into(),
            json!({
                "Text": clip(&reason, 512),
                "UpdatedBy": clip(rule, 512),
                "UpdatedAt": updated.unwrap_or(fallback_time),
            }),
        );
    }
    out.insert(
        "FindingProviderFields".into(),
        json!({"Severity": {"Label": label, "Original": text(f, "/severity").unwrap_or(label)}, "Types": types}),
    );
    Value::Object(out)
}

/// `ProductFields`: Vigil's counterparts of Inspector's `aws/inspector/*` fields.
fn product_fields(f: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty())
            && m.len() < 50
        {
            m.insert(clip(k, 128), json!(clip(&v, 2048)));
        }
    };
    add(
        "vigil/ProductVersion",
        Some(env!("CARGO_PKG_VERSION").into()),
    );
    add(
        "vigil/FindingArn",
        text(f, "/findingArn").map(str::to_owned),
    );
    add("vigil/FindingType", text(f, "/type").map(str::to_owned));
    add("vigil/FindingStatus", text(f, "/status").map(str::to_owned));
    add(
        "vigil/InspectorScore",
        f.get("inspectorScore")
            .and_then(Value::as_f64)
            .map(|s| format!("{s:.1}")),
    );
    add(
        "vigil/InspectorScoreSource",
        text(f, "/inspectorScoreDetails/adjustedCvss/scoreSource").map(str::to_owned),
    );
    add(
        "vigil/InspectorScoreVector",
        text(f, "/inspectorScoreDetails/adjustedCvss/scoringVector").map(str::to_owned),
    );
    add(
        "vigil/Ecosystem",
        text(f, "/vigil/ecosystem").map(str::to_owned),
    );
    add("vigil/Purl", text(f, "/vigil/purl").map(str::to_owned));
    add(
        "vigil/EpssPercentile",
        f.pointer("/vigil/epssPercentile")
            .and_then(Value::as_f64)
            .map(|p| p.to_string()),
    );
    add(
        "vigil/KevDateAdded",
        text(f, "/vigil/kev/dateAdded").map(str::to_owned),
    );
    add(
        "vigil/SuppressionRule",
        text(f, "/vigil/suppression/filterArn").map(str::to_owned),
    );
    add(
        "vigil/SuppressionReason",
        text(f, "/vigil/suppression/reason").map(str::to_owned),
    );
    if let Some(r) = f.pointer("/resources/0") {
        add("vigil/resourceId", text(r, "/id").map(str::to_owned));
        add(
            "vigil/resources/1/resourceDetails/platform",
            text(r, "/details/awsEc2Instance/platform")
                .or_else(|| text(r, "/details/awsEcrContainerImage/platform"))
                .map(str::to_owned),
        );
    }
    if let Some(p) = f.get("networkReachabilityDetails") {
        add("vigil/protocol", text(p, "/protocol").map(str::to_owned));
        if let (Some(b), Some(e)) = (
            p.pointer("/openPortRange/begin").and_then(Value::as_u64),
            p.pointer("/openPortRange/end").and_then(Value::as_u64),
        ) {
            add("vigil/openPortRange", Some(format!("{b}-{e}")));
        }
    }
    m
}

fn resource(r: &Value, region: &str) -> Value {
    let kind = text(r, "/type").unwrap_or("OTHER");
    let mut o = Map::new();
    o.insert("Type".into(), json!(resource_type(kind)));
    o.insert("Id".into(), json!(text(r, "/id").unwrap_or("unknown")));
    if let Some(p) = text(r, "/partition").filter(|p| ["aws", "aws-cn", "aws-us-gov"].contains(p)) {
        o.insert("Partition".into(), json!(p));
    }
    o.insert("Region".into(), json!(text(r, "/region").unwrap_or(region)));
    let tags: Map<String, Value> = r
        .get("tags")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let v = v.as_str().filter(|v| !v.trim().is_empty())?;
            (!k.trim().is_empty()).then(|| (clip(k, 128), json!(clip(v, 256))))
        })
        .take(50)
        .collect();
    if !tags.is_empty() {
        o.insert("Tags".into(), Value::Object(tags));
    }
    let d = r.get("details").unwrap_or(&Value::Null);
    let mut details = Map::new();
    if let Some(e) = d.get("awsEc2Instance") {
        let mut x = Map::new();
        put(&mut x, "Type", text(e, "/type"));
        put(&mut x, "ImageId", text(e, "/imageId"));
        let v4 = strings(e, "/ipV4Addresses");
        if !v4.is_empty() {
            x.insert("IpV4Addresses".into(), json!(v4));
        }
        let v6 = strings(e, "/ipV6Addresses");
        if !v6.is_empty() {
            x.insert("IpV6Addresses".into(), json!(v6));
        }
        put(&mut x, "KeyName", text(e, "/keyName"));
        put(
            &mut x,
            "IamInstanceProfileArn",
            text(e, "/iamInstanceProfileArn"),
        );
        put(&mut x, "VpcId", text(e, "/vpcId"));
        put(&mut x, "SubnetId", text(e, "/subnetId"));
        put(&mut x, "LaunchedAt", rfc3339(e.get("launchedAt")));
        details.insert("AwsEc2Instance".into(), Value::Object(x));
    }
    if let Some(e) = d.get("awsEcrContainerImage") {
        let mut x = Map::new();
        put(&mut x, "RegistryId", text(e, "/registry"));
        put(&mut x, "RepositoryName", text(e, "/repositoryName"));
        put(&mut x, "Architecture", text(e, "/architecture"));
        put(&mut x, "ImageDigest", text(e, "/imageHash"));
        let tags = strings(e, "/imageTags");
        if !tags.is_empty() {
            x.insert("ImageTags".into(), json!(tags));
        }
        put(&mut x, "ImagePublishedAt", rfc3339(e.get("pushedAt")));
        details.insert("AwsEcrContainerImage".into(), Value::Object(x));
    }
    if let Some(e) = d.get("awsLambdaFunction") {
        let mut x = Map::new();
        put(&mut x, "FunctionName", text(e, "/functionName"));
        put(&mut x, "Runtime", text(e, "/runtime"));
        put(&mut x, "Version", text(e, "/version"));
        put(&mut x, "Role", text(e, "/executionRoleArn"));
        put(&mut x, "LastModified", rfc3339(e.get("lastModifiedAt")));
        put(&mut x, "PackageType", text(e, "/packageType"));
        let layers: Vec<Value> = strings(e, "/layers")
            .into_iter()
            .map(|arn| json!({"Arn": arn}))
            .collect();
        if !layers.is_empty() {
            x.insert("Layers".into(), Value::Array(layers));
        }
        let arch = strings(e, "/architectures");
        if !arch.is_empty() {
            x.insert("Architectures".into(), json!(arch));
        }
        details.insert("AwsLambdaFunction".into(), Value::Object(x));
    }
    if !details.is_empty() {
        o.insert("Details".into(), Value::Object(details));
    }
    Value::Object(o)
}

fn vulnerability(f: &Value) -> Value {
    let d = &f["packageVulnerabilityDetails"];
    let mut v = Map::new();
    v.insert(
        "Id".into(),
        json!(text(d, "/vulnerabilityId").unwrap_or("UNKNOWN")),
    );
    let packages: Vec<Value> = d
        .get("vulnerablePackages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let mut o = Map::new();
            put(&mut o, "Name", text(p, "/name"));
            put(&mut o, "Version", text(p, "/version"));
            put(
                &mut o,
                "Epoch",
                p.get("epoch")
                    .and_then(Value::as_i64)
                    .map(|e| e.to_string()),
            );
            put(&mut o, "Release", text(p, "/release"));
            put(&mut o, "Architecture", text(p, "/arch"));
            put(&mut o, "PackageManager", text(p, "/packageManager"));
            put(&mut o, "FilePath", text(p, "/filePath"));
            put(&mut o, "FixedInVersion", text(p, "/fixedInVersion"));
            put(&mut o, "Remediation", text(p, "/remediation"));
            put(&mut o, "SourceLayerHash", text(p, "/sourceLayerHash"));
            put(&mut o, "SourceLayerArn", text(p, "/sourceLambdaLayerArn"));
            Value::Object(o)
        })
        .collect();
    if !packages.is_empty() {
        v.insert("VulnerablePackages".into(), Value::Array(packages));
    }
    let mut cvss: Vec<Value> = d
        .get("cvss")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let mut o = Map::new();
            put(&mut o, "Version", text(c, "/version"));
            put(
                &mut o,
                "BaseScore",
                c.get("baseScore").and_then(Value::as_f64),
            );
            put(&mut o, "BaseVector", text(c, "/scoringVector"));
            put(&mut o, "Source", text(c, "/source"));
            Value::Object(o)
        })
        .collect();
    // the Vigil score as Inspector shows its own: a CVSS entry with the adjustments made
    if let Some(a) = f.pointer("/inspectorScoreDetails/adjustedCvss") {
        let mut o = Map::new();
        put(&mut o, "Version", text(a, "/version"));
        put(&mut o, "BaseScore", a.get("score").and_then(Value::as_f64));
        put(&mut o, "BaseVector", text(a, "/scoringVector"));
        put(
            &mut o,
            "Source",
            Some(format!(
                "Vigil ({})",
                text(a, "/scoreSource").unwrap_or("adjusted")
            )),
        );
        let adjustments: Vec<Value> = a
            .get("adjustments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| {
                let mut m = Map::new();
                put(&mut m, "Metric", text(x, "/metric"));
                put(&mut m, "Reason", text(x, "/reason").map(|r| clip(r, 1024)));
                (!m.is_empty()).then_some(Value::Object(m))
            })
            .collect();
        if !adjustments.is_empty() {
            o.insert("Adjustments".into(), Value::Array(adjustments));
        }
        cvss.push(Value::Object(o));
    }
    if !cvss.is_empty() {
        v.insert("Cvss".into(), Value::Array(cvss));
    }
    let related = strings(d, "/relatedVulnerabilities");
    if !related.is_empty() {
        v.insert("RelatedVulnerabilities".into(), json!(related));
    }
    if let Some(source) = text(d, "/source") {
        let mut o = Map::new();
        o.insert("Name".into(), json!(source));
        put(&mut o, "Url", text(d, "/sourceUrl"));
        put(&mut o, "VendorSeverity", text(d, "/vendorSeverity"));
        put(&mut o, "VendorCreatedAt", rfc3339(d.get("vendorCreatedAt")));
        put(&mut o, "VendorUpdatedAt", rfc3339(d.get("vendorUpdatedAt")));
        v.insert("Vendor".into(), Value::Object(o));
    }
    let refs = strings(d, "/referenceUrls");
    if !refs.is_empty() {
        v.insert("ReferenceUrls".into(), json!(refs));
    }
    if let Some(x) = text(f, "/fixAvailable").filter(|x| ["YES", "NO", "PARTIAL"].contains(x)) {
        v.insert("FixAvailable".into(), json!(x));
    }
    if let Some(x) = text(f, "/exploitAvailable").filter(|x| ["YES", "NO"].contains(x)) {
        v.insert("ExploitAvailable".into(), json!(x));
    }
    put(
        &mut v,
        "EpssScore",
        f.pointer("/epss/score").and_then(Value::as_f64),
    );
    put(
        &mut v,
        "LastKnownExploitAt",
        rfc3339(f.pointer("/exploitabilityDetails/lastKnownExploitAt")),
    );
    Value::Object(v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn package_finding(status: &str) -> Value {
        json!({
            "awsAccountId": "111122223333",
            "findingArn": "arn:vigil:inspector2:us-east-1:111122223333:finding/abc",
            "type": "PACKAGE_VULNERABILITY",
            "title": "CVE-2023-1234 - openssl",
            "description": "",
            "severity": "HIGH",
            "status": status,
            "firstObservedAt": 1_796_119_200.5,
            "lastObservedAt": "2026-12-02T10:00:00Z",
            "updatedAt": 1_796_205_600.0,
            "fixAvailable": "YES",
            "exploitAvailable": "NO",
            "epss": {"score": 0.0123},
            "inspectorScore": 7.3,
            "inspectorScoreDetails": {"adjustedCvss": {"adjustments": [{"metric": "AV", "reason": "no internet path"}], "cvssSource": "NVD", "score": 7.3, "scoreSource": "vigil", "scoringVector": "CVSS:3.1/AV:A", "version": "3.1"}},
            "packageVulnerabilityDetails": {
                "vulnerabilityId": "CVE-2023-1234", "relatedVulnerabilities": [], "source": "DEBIAN",
                "cvss": [{"baseScore": 7.5, "scoringVector": "CVSS:3.1/AV:N", "source": "NVD", "version": "3.1"}],
                "referenceUrls": ["https://example.invalid/1"],
                "vulnerablePackages": [{"name": "openssl", "version": "3.0.11", "epoch": 0, "arch": "", "packageManager": "OS", "fixedInVersion": "3.0.13"}]
            },
            "remediation": {"recommendation": {"text": "Upgrade openssl"}},
            "resources": [{"type": "AWS_ECR_CONTAINER_IMAGE", "id": "sha256:aa", "partition": "vigil", "region": "us-east-1",
                           "tags": {"team": "a", "empty": ""},
                           "details": {"awsEcrContainerImage": {"imageHash": "sha256:aa", "imageTags": ["1.0"], "repositoryName": "demo", "architecture": "amd64", "platform": "DEBIAN_12", "pushedAt": ""}}}],
            "vigil": {"suppression": {"filterArn": "arn:f", "reason": "not reachable"}, "purl": "pkg:deb/debian/openssl@3.0.11"}
        })
    }

    #[test]
    fn package_finding_maps_like_inspector_sends_it() {
        let a = from_finding(&package_finding("ACTIVE"), &AsffContext::default());
        assert_eq!(
            a["ProductArn"],
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
        );
        assert_eq!(
            a["Types"][0],
            "Software and Configuration Checks/Vulnerabilities/CVE"
        );
        assert_eq!(
            a["Severity"],
            json!({"Label": "HIGH", "Normalized": 70, "Original": "HIGH"})
        );
        assert_eq!(a["FirstObservedAt"], "2026-12-01T10:00:00.500Z");
        assert_eq!(a["CreatedAt"], a["FirstObservedAt"]);
        assert_eq!(a["LastObservedAt"], "2026-12-02T10:00:00.000Z");
        // an empty description falls back to the title
        assert_eq!(a["Description"], "CVE-2023-1234 - openssl");
        let v = &a["Vulnerabilities"][0];
        assert_eq!(v["Id"], "CVE-2023-1234");
        assert_eq!(v["VulnerablePackages"][0]["Epoch"], "0");
        assert!(v["VulnerablePackages"][0].get("Architecture").is_none());
        assert_eq!(v["FixAvailable"], "YES");
        assert_eq!(v["EpssScore"], 0.0123);
        assert_eq!(v["Cvss"][1]["Adjustments"][0]["Metric"], "AV");
        assert_eq!(v["Vendor"]["Name"], "DEBIAN");
        let r = &a["Resources"][0];
        assert_eq!(r["Type"], "AwsEcrContainerImage");
        assert!(r.get("Partition").is_none(), "vigil is no AWS partition");
        assert_eq!(r["Tags"], json!({"team": "a"}));
        assert_eq!(
            r["Details"]["AwsEcrContainerImage"]["ImageDigest"],
            "sha256:aa"
        );
        assert!(
            r["Details"]["AwsEcrContainerImage"]
                .get("ImagePublishedAt")
                .is_none()
        );
        assert_eq!(a["Workflow"]["Status"], "NEW");
        assert_eq!(a["RecordState"], "ACTIVE");
        assert_eq!(a["ProductFields"]["vigil/InspectorScore"], "7.3");
        assert!(a.get("Note").is_none() || a["Workflow"]["Status"] == "SUPPRESSED");
    }

    #[test]
    fn status_becomes_workflow_and_record_state() {
        let s = from_finding(&package_finding("SUPPRESSED"), &AsffContext::default());
        assert_eq!(s["Workflow"]["Status"], "SUPPRESSED");
        assert_eq!(s["RecordState"], "ACTIVE");
        assert_eq!(s["Note"]["Text"], "Suppressed by arn:f: not reachable");
        let c = from_finding(
            &package_finding("CLOSED"),
            &AsffContext {
                product_arn: Some("arn:aws:securityhub:us-east-1:1:product/1/default".into()),
            },
        );
        assert_eq!(c["RecordState"], "ARCHIVED");
        assert_eq!(c["Workflow"]["Status"], "RESOLVED");
        assert_eq!(
            c["ProductArn"],
            "arn:aws:securityhub:us-east-1:1:product/1/default"
        );
    }

    #[test]
    fn limits_are_kept() {
        let mut f = package_finding("ACTIVE");
        f["title"] = json!("t".repeat(300));
        f["description"] = json!("d".repeat(2000));
        let a = from_finding(&f, &AsffContext::default());
        assert_eq!(a["Title"].as_str().unwrap().chars().count(), 256);
        assert_eq!(a["Description"].as_str().unwrap().chars().count(), 1024);
        // a finding without resources still has the one resource ASFF requires
        f["resources"] = json!([]);
        let a = from_finding(&f, &AsffContext::default());
        assert_eq!(a["Resources"][0]["Type"], "Other");
    }
}
