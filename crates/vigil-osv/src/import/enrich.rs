//! Enrichment feeds: CISA KEV (JSON), FIRST EPSS (CSV) and NVD CVSS (JSON).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Problem;
use crate::Error;

/// One CISA Known Exploited Vulnerabilities entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevEntry {
    #[serde(rename = "cveID")]
    pub cve_id: String,
    #[serde(default)]
    pub vendor_project: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub vulnerability_name: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date_added: String,
    #[serde(default)]
    pub short_description: String,
    #[serde(default)]
    pub required_action: String,
    #[serde(default)]
    pub due_date: String,
    /// `Known` or `Unknown`.
    #[serde(default)]
    pub known_ransomware_campaign_use: String,
    #[serde(default)]
    pub notes: String,
}

/// One EPSS score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpssEntry {
    #[serde(skip)]
    pub cve_num: (u32, u64),
    pub score: f64,
    pub percentile: f64,
}

impl EpssEntry {
    pub fn cve(&self) -> String {
        format!("CVE-{}-{:04}", self.cve_num.0, self.cve_num.1)
    }
}

/// Parse `CVE-YYYY-NNNN` into numbers (EPSS rows are stored compactly).
pub fn parse_cve(s: &str) -> Option<(u32, u64)> {
    let rest = s.trim().strip_prefix("CVE-")?;
    let (y, n) = rest.split_once('-')?;
    Some((y.parse().ok()?, n.parse().ok()?))
}

/// CVSS vectors (and the English description) NVD holds for one CVE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NvdEntry {
    pub cve: String,
    /// `(type, vector, source)`, type as OSV names it (`CVSS_V2`, `CVSS_V3`, `CVSS_V4`).
    pub vectors: Vec<(String, String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

pub fn parse_kev(bytes: &[u8], out: &mut dyn FnMut(KevEntry)) -> Result<(), Error> {
    #[derive(Deserialize)]
    struct Catalog {
        vulnerabilities: Vec<Value>,
    }
    let cat: Catalog =
        serde_json::from_slice(bytes).map_err(|e| Error::Input(format!("bad KEV JSON: {e}")))?;
    for v in cat.vulnerabilities {
        if let Ok(mut e) = serde_json::from_value::<KevEntry>(v) {
            e.cve_id = e.cve_id.trim().to_owned();
            if parse_cve(&e.cve_id).is_some() {
                out(e);
            }
        }
    }
    Ok(())
}

pub fn parse_epss(
    location: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
    out: &mut dyn FnMut(EpssEntry),
) -> Result<(), Error> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::Input(format!("`{location}`: EPSS file is not UTF-8")))?;
    let mut bad = 0usize;
    let mut first_bad = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("cve") {
            continue;
        }
        let mut cols = line.split([',', ';']);
        let parsed = (|| {
            let cve = parse_cve(cols.next()?)?;
            let score: f64 = cols.next()?.trim().parse().ok()?;
            let percentile: f64 = cols.next()?.trim().parse().ok()?;
            ((0.0..=1.0).contains(&score) && (0.0..=1.0).contains(&percentile)).then_some(
                EpssEntry {
                    cve_num: cve,
                    score,
                    percentile,
                },
            )
        })();
        match parsed {
            Some(e) => out(e),
            None => {
                bad += 1;
                first_bad.get_or_insert(n + 1);
            }
        }
    }
    if let Some(line) = first_bad {
        problems.push(Problem {
            location: location.to_owned(),
            id: None,
            message: format!("{bad} malformed EPSS rows skipped (first at line {line})"),
        });
    }
    Ok(())
}

pub fn parse_nvd(
    bytes: &[u8],
    problems: &mut Vec<Problem>,
    location: &str,
    out: &mut dyn FnMut(NvdEntry),
) -> Result<(), Error> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| Error::Input(format!("bad NVD JSON: {e}")))?;
    if let Some(items) = doc.get("vulnerabilities").and_then(Value::as_array) {
        // API 2.0 / JSON 2.0 feeds.
        for item in items {
            let Some(cve) = item.get("cve") else { continue };
            let Some(id) = cve.get("id").and_then(Value::as_str) else {
                problems.push(Problem {
                    location: location.to_owned(),
                    id: None,
                    message: "NVD item without `cve.id`".into(),
                });
                continue;
            };
            let mut vectors = Vec::new();
            if let Some(metrics) = cve.get("metrics").and_then(Value::as_object) {
                for (key, kind) in [
                    ("cvssMetricV40", "CVSS_V4"),
                    ("cvssMetricV31", "CVSS_V3"),
                    ("cvssMetricV30", "CVSS_V3"),
                    ("cvssMetricV2", "CVSS_V2"),
                ] {
                    for m in metrics
                        .get(key)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(vs) =
                            m.pointer("/cvssData/vectorString").and_then(Value::as_str)
                        {
                            let source = m
                                .get("source")
                                .and_then(Value::as_str)
                                .unwrap_or("nvd")
                                .to_owned();
                            vectors.push((kind.to_owned(), vs.to_owned(), source));
                        }
                    }
                }
            }
            let description = cve
                .get("descriptions")
                .and_then(Value::as_array)
                .and_then(|d| {
                    d.iter()
                        .find(|x| x.get("lang").and_then(Value::as_str) == Some("en"))?
                        .get("value")?
                        .as_str()
                        .map(str::to_owned)
                });
            let published = cve
                .get("published")
                .and_then(Value::as_str)
                .map(str::to_owned);
            out(NvdEntry {
                cve: id.to_owned(),
                vectors,
                description,
                published,
            });
        }
        return Ok(());
    }
    if let Some(items) = doc.get("CVE_Items").and_then(Value::as_array) {
        // Legacy 1.1 feeds.
        for item in items {
            let Some(id) = item
                .pointer("/cve/CVE_data_meta/ID")
                .and_then(Value::as_str)
            else {
                continue;
            };
            let mut vectors = Vec::new();
            if let Some(v) = item
                .pointer("/impact/baseMetricV3/cvssV3/vectorString")
                .and_then(Value::as_str)
            {
                vectors.push((
                    "CVSS_V3".to_owned(),
                    v.to_owned(),
                    "nvd@nist.gov".to_owned(),
                ));
            }
            if let Some(v) = item
                .pointer("/impact/baseMetricV2/cvssV2/vectorString")
                .and_then(Value::as_str)
            {
                vectors.push((
                    "CVSS_V2".to_owned(),
                    v.to_owned(),
                    "nvd@nist.gov".to_owned(),
                ));
            }
            let description = item
                .pointer("/cve/description/description_data")
                .and_then(Value::as_array)
                .and_then(|d| {
                    d.iter()
                        .find(|x| x.get("lang").and_then(Value::as_str) == Some("en"))
                })
                .and_then(|x| x.get("value")?.as_str().map(str::to_owned));
            let published = item
                .get("publishedDate")
                .and_then(Value::as_str)
                .map(str::to_owned);
            out(NvdEntry {
                cve: id.to_owned(),
                vectors,
                description,
                published,
            });
        }
        return Ok(());
    }
    Err(Error::Input(
        "NVD JSON without `vulnerabilities` or `CVE_Items`".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epss_both_dialects() {
        let mut got = Vec::new();
        let mut problems = Vec::new();
        parse_epss("x", b"#model_version:v2023.03.01,score_date:2023-08-15T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.97565,0.99996\nbad,row\n", &mut problems, &mut |e| got.push(e)).expect("ok");
        parse_epss(
            "y",
            b"CVE-1999-0001;0.011150000;0.776590000\n",
            &mut problems,
            &mut |e| got.push(e),
        )
        .expect("ok");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].cve(), "CVE-2021-44228");
        assert_eq!(got[1].cve(), "CVE-1999-0001");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("line 4"), "{problems:?}");
    }

    #[test]
    fn nvd_api_shape() {
        let doc = br#"{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-2021-44228","published":"2021-12-10T10:15:09.143",
          "descriptions":[{"lang":"en","value":"Log4Shell"}],
          "metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}}]}}}]}"#;
        let mut got = Vec::new();
        parse_nvd(doc, &mut Vec::new(), "x", &mut |e| got.push(e)).expect("ok");
        assert_eq!(got[0].vectors[0].0, "CVSS_V3");
        assert_eq!(got[0].description.as_deref(), Some("Log4Shell"));
    }
}
