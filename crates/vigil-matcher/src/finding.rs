//! The finding shape: inspector2's `Finding`
//! (<https://docs.aws.amazon.com/inspector/v2/APIReference/API_Finding.html>) plus Vigil's own
//! fields under `vigil`. The CLI, the API and events all carry this one shape.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub aws_account_id: String,
    pub finding_arn: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub status: String,
    pub first_observed_at: String,
    pub last_observed_at: String,
    pub updated_at: String,
    pub fix_available: String,
    pub exploit_available: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exploitability_details: Option<ExploitabilityDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspector_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspector_score_details: Option<InspectorScoreDetails>,
    pub package_vulnerability_details: PackageVulnerabilityDetails,
    pub remediation: Remediation,
    pub resources: Vec<Resource>,
    pub vigil: VigilDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExploitabilityDetails {
    pub last_known_exploit_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Epss {
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectorScoreDetails {
    pub adjusted_cvss: AdjustedCvss,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdjustedCvss {
    pub adjustments: Vec<CvssAdjustment>,
    pub cvss_source: String,
    pub score: f64,
    pub score_source: String,
    pub scoring_vector: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssAdjustment {
    pub metric: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageVulnerabilityDetails {
    pub vulnerability_id: String,
    pub related_vulnerabilities: Vec<String>,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    pub cvss: Vec<CvssScore>,
    pub reference_urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_updated_at: Option<String>,
    pub vulnerable_packages: Vec<VulnerablePackage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssScore {
    pub base_score: f64,
    pub scoring_vector: String,
    pub source: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VulnerablePackage {
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    pub package_manager: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_in_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_layer_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub text: String,
    #[serde(rename = "Url", skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub partition: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// Vigil's own fields: why the finding exists and everything inspector2 has no field for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VigilDetails {
    /// Every id this vulnerability is known by (record ids, CVE, GHSA, ...).
    pub aliases: Vec<String>,
    /// The inventory package the finding is on ([`crate::package_ref`]): a re-evaluation of
    /// some packages of a resource touches only their findings.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub package_ref: String,
    pub ecosystem: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub purl: String,
    /// All versions that fix it, from every record.
    pub fixed_versions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss_percentile: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevInfo>,
    /// Context that changes how to read the finding (e.g. a kernel package in an image).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<String>,
    /// The records that decided it, with the comparison made.
    pub provenance: Vec<Provenance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevInfo {
    pub cve: String,
    pub date_added: String,
    pub due_date: String,
    pub known_ransomware_campaign_use: String,
    pub required_action: String,
}

/// One record's judgement on one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub record: String,
    /// The database source (path or URL) and the format it was read in.
    pub source: String,
    pub feed: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// The `affected[]` package as the record names it.
    pub ecosystem: String,
    pub package: String,
    /// What was compared (`source package openssl 3.0.11-1~deb12u2`).
    pub compared: String,
    pub comparator: String,
    pub ranges: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro_status: Option<String>,
    /// `affected`, `not-affected` or `not-evaluable`.
    pub verdict: String,
    pub reason: String,
}
