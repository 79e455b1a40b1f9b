//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>), encode and decode.

use crate::license::{license_ref, spdx_expression};
use crate::{Error, Fields, bom_target, now_rfc3339, package_from};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use vigil_types::{Ecosystem, Inventory, Package, PackageKind};

/// SPDX element ids allow only letters, digits, `.` and `-`.
fn idstring(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub fn encode(inv: &Inventory) -> Result<String, Error> {
    let (kind, name, version) = bom_target(inv);
    let root_id = "SPDXRef-Target".to_owned();
    let mut root = json!({
        "SPDXID": root_id,
        "name": name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": if kind == "container" { "CONTAINER" } else { "FILE" },
    });
    if let Some(v) = &version {
        root["versionInfo"] = json!(v);
    }
    let mut packages = vec![root];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": root_id,
    })];
    let mut extracted: BTreeMap<String, String> = BTreeMap::new();
    let mut ids: HashSet<String> = HashSet::new();
    if let Some(d) = &inv.distro {
        let id = format!("SPDXRef-OperatingSystem-{}", idstring(&d.id));
        let mut os = json!({
            "SPDXID": id, "name": d.id, "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false, "primaryPackagePurpose": "OPERATING_SYSTEM",
        });
        if let Some(v) = &d.version_id {
            os["versionInfo"] = json!(v);
        }
        if let Some(p) = &d.pretty_name {
            os["description"] = json!(p);
        }
        relationships.push(json!({
            "spdxElementId": root_id, "relationshipType": "CONTAINS", "relatedSpdxElement": id,
        }));
        ids.insert(id);
        packages.push(os);
    }
    let mut sorted: Vec<&Package> = inv.packages.iter().collect();
    sorted.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version))
    });
    for p in sorted {
        let base = format!(
            "SPDXRef-Package-{}-{}-{}",
            p.ecosystem.as_str(),
            idstring(&p.name),
            idstring(&p.version)
        );
        let mut id = base.clone();
        let mut n = 1;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let mut pkg = json!({
            "SPDXID": id,
            "name": p.name,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": declared_license(&p.licenses, &mut extracted),
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": if p.ecosystem.is_os() { "INSTALL" } else { "LIBRARY" },
            "comment": comment(p),
        });
        if !p.version.is_empty() {
            pkg["versionInfo"] = json!(p.version);
        }
        if let Some(s) = &p.source {
            pkg["sourceInfo"] = json!(format!(
                "built from source package {} {}",
                s.name, s.version
            ));
        }
        if !p.purl.is_empty() {
            pkg["externalRefs"] = json!([{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": p.purl,
            }]);
        }
        relationships.push(json!({
            "spdxElementId": root_id, "relationshipType": "CONTAINS", "relatedSpdxElement": id,
        }));
        packages.push(pkg);
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!(
            "https://vigil.invalid/spdxdocs/{}-{}",
            idstring(&name),
            uuid::Uuid::new_v4()
        ),
        "creationInfo": {
            "created": now_rfc3339(),
            "creators": [format!("Tool: vigil-{}", env!("CARGO_PKG_VERSION"))],
        },
        "documentDescribes": [root_id],
        "packages": packages,
        "relationships": relationships,
    });
    if !extracted.is_empty() {
        doc["hasExtractedLicensingInfos"] = Value::Array(
            extracted
                .into_iter()
                .map(|(id, text)| json!({"licenseId": id, "extractedText": text, "name": text}))
                .collect(),
        );
    }
    Ok(serde_json::to_string_pretty(&doc)?)
}

/// A valid SPDX expression for the stated licences; unknown ones become `LicenseRef-`s.
fn declared_license(list: &[String], extracted: &mut BTreeMap<String, String>) -> String {
    if list.is_empty() {
        return "NOASSERTION".into();
    }
    let parts: Vec<String> = list
        .iter()
        .map(|l| match spdx_expression(l) {
            Some(e) if list.len() == 1 || !e.contains(' ') => e,
            Some(e) => format!("({e})"),
            None => {
                let r = license_ref(l);
                extracted.entry(r.clone()).or_insert_with(|| l.clone());
                r
            }
        })
        .collect();
    parts.join(" AND ")
}

/// Vigil facts as `vigil:key=value` lines (decoded back by [`decode`]).
fn comment(p: &Package) -> String {
    let mut lines = vec![
        format!("vigil:package:ecosystem={}", p.ecosystem.as_str()),
        format!("vigil:package:cataloger={}", p.cataloger),
    ];
    if p.kind == PackageKind::Declared {
        lines.push("vigil:package:kind=declared".into());
    }
    if let Some(a) = &p.arch {
        lines.push(format!("vigil:package:arch={a}"));
    }
    if let Some(s) = &p.source {
        lines.push(format!("vigil:package:sourceName={}", s.name));
        lines.push(format!("vigil:package:sourceVersion={}", s.version));
    }
    if let Some(o) = &p.owner {
        lines.push(format!(
            "vigil:package:ownedBy={}:{}",
            o.ecosystem.as_str(),
            o.name
        ));
    }
    for (i, l) in p.locations.iter().enumerate() {
        lines.push(format!("vigil:location:{i}:path={}", l.path));
        if let Some(layer) = &l.layer {
            lines.push(format!("vigil:location:{i}:layerIndex={}", layer.index));
            lines.push(format!("vigil:location:{i}:layerDigest={}", layer.digest));
            if let Some(d) = &layer.diff_id {
                lines.push(format!("vigil:location:{i}:layerDiffId={d}"));
            }
        }
    }
    for (k, v) in &p.metadata {
        lines.push(format!("vigil:metadata:{k}={v}"));
    }
    lines.join("\n")
}

/// Decode SPDX 2.2/2.3 JSON: packages with a purl external reference.
pub fn decode(doc: &Value, path: &str) -> Result<Inventory, Error> {
    let err = |m: String| Error::Decode {
        path: path.to_owned(),
        message: m,
    };
    let version = doc.get("spdxVersion").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("SPDX-2.") {
        return Err(err(format!("unsupported spdxVersion `{version}`")));
    }
    let pkgs = match doc.get("packages") {
        None => return Ok(crate::sbom_inventory(path, None, Vec::new(), 0)),
        Some(v) => v
            .as_array()
            .ok_or_else(|| err("`packages` is not an array".into()))?,
    };
    let roots = described_roots(doc);
    // the described element is the target itself (an image, a directory, the project), not one
    // of its packages, unless the document describes nothing else
    let skip_roots = pkgs.len() > roots.len();
    let extracted = extracted_licences(doc);
    let mut packages = Vec::new();
    let mut distro = None;
    let mut skipped = 0usize;
    for p in pkgs {
        if p.get("primaryPackagePurpose").and_then(Value::as_str) == Some("OPERATING_SYSTEM") {
            distro = Some(vigil_types::Distro {
                id: p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase(),
                version_id: p
                    .get("versionInfo")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                pretty_name: p
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                ..Default::default()
            });
            continue;
        }
        let spdx_id = p.get("SPDXID").and_then(Value::as_str).unwrap_or("");
        if skip_roots && roots.contains(spdx_id) {
            continue;
        }
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .and_then(|refs| {
                refs.iter()
                    .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            })
            .and_then(|r| r.get("referenceLocator"))
            .and_then(Value::as_str);
        let mut props = BTreeMap::new();
        if let Some(c) = p.get("comment").and_then(Value::as_str) {
            for line in c.lines() {
                if let Some((k, v)) = line.strip_prefix("vigil:").and_then(|l| l.split_once('=')) {
                    props.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let fields = Fields {
            group: None,
            name: p.get("name").and_then(Value::as_str).unwrap_or(""),
            version: p.get("versionInfo").and_then(Value::as_str).unwrap_or(""),
        };
        let Some(mut pkg) = package_from(purl, fields, &props, "spdx") else {
            skipped += 1;
            continue;
        };
        if let Some(l) = p
            .get("licenseDeclared")
            .and_then(Value::as_str)
            .filter(|l| *l != "NOASSERTION" && *l != "NONE")
        {
            pkg.licenses = split_licences(l, &extracted);
        }
        if pkg.ecosystem == Ecosystem::Deb && pkg.version.is_empty() {
            skipped += 1;
            continue;
        }
        packages.push(pkg);
    }
    packages.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version))
    });
    Ok(crate::sbom_inventory(path, distro, packages, skipped))
}

/// The SPDX ids the document describes (`documentDescribes`, or `DESCRIBES` relationships).
fn described_roots(doc: &Value) -> HashSet<&str> {
    let mut roots: HashSet<&str> = doc
        .get("documentDescribes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let doc_id = doc
        .get("SPDXID")
        .and_then(Value::as_str)
        .unwrap_or("SPDXRef-DOCUMENT");
    for r in doc
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = |k: &str| r.get(k).and_then(Value::as_str);
        match field("relationshipType") {
            Some("DESCRIBES") if field("spdxElementId") == Some(doc_id) => {
                roots.extend(field("relatedSpdxElement"));
            }
            Some("DESCRIBED_BY") if field("relatedSpdxElement") == Some(doc_id) => {
                roots.extend(field("spdxElementId"));
            }
            _ => {}
        }
    }
    roots
}

/// `LicenseRef-… -> the licence text as first stated` from `hasExtractedLicensingInfos`.
fn extracted_licences(doc: &Value) -> BTreeMap<&str, &str> {
    doc.get("hasExtractedLicensingInfos")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let id = e.get("licenseId").and_then(Value::as_str)?;
            let text = e
                .get("extractedText")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty() && t.len() <= 200 && !t.contains('\n'))
                .or_else(|| e.get("name").and_then(Value::as_str))?;
            Some((id, text))
        })
        .collect()
}

/// A declared licence expression back into the list of stated licences: top-level `AND` terms
/// (which is how [`encode`] joins several), outer parentheses dropped, `LicenseRef-`s replaced
/// by their extracted text when it is short.
fn split_licences(expr: &str, extracted: &BTreeMap<&str, &str>) -> Vec<String> {
    let mut terms = Vec::new();
    let mut depth = 0i32;
    let mut current: Vec<&str> = Vec::new();
    let spaced = expr.replace('(', " ( ").replace(')', " ) ");
    for tok in spaced.split_whitespace() {
        match tok {
            "(" => depth += 1,
            ")" => depth -= 1,
            _ => {}
        }
        if depth == 0 && tok.eq_ignore_ascii_case("AND") {
            terms.push(std::mem::take(&mut current));
        } else {
            current.push(tok);
        }
    }
    terms.push(current);
    if depth != 0 {
        return vec![expr.to_owned()];
    }
    terms
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(|mut t| {
            if wrapped(&t) {
                t = t[1..t.len() - 1].to_vec();
            }
            if let [one] = t.as_slice()
                && let Some(text) = extracted.get(one)
            {
                return (*text).to_owned();
            }
            t.join(" ").replace("( ", "(").replace(" )", ")")
        })
        .collect()
}

/// Whether the tokens are one parenthesised group: `( A OR B )`, not `( A ) OR ( B )`.
fn wrapped(t: &[&str]) -> bool {
    if t.len() < 2 || t.first() != Some(&"(") || t.last() != Some(&")") {
        return false;
    }
    let mut depth = 0i32;
    for (i, tok) in t.iter().enumerate() {
        match *tok {
            "(" => depth += 1,
            ")" => depth -= 1,
            _ => {}
        }
        if depth == 0 && i + 1 < t.len() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_expressions_split_back_into_stated_licences() {
        let ex = BTreeMap::from([("LicenseRef-GPL-2-plus", "GPL-2+")]);
        assert_eq!(
            split_licences("LicenseRef-GPL-2-plus AND Apache-2.0", &ex),
            ["GPL-2+", "Apache-2.0"]
        );
        assert_eq!(
            split_licences("(MIT OR Apache-2.0) AND Zlib", &ex),
            ["MIT OR Apache-2.0", "Zlib"]
        );
        // one group, but not one wrapped in parentheses
        assert_eq!(
            split_licences("(MIT) OR (Apache-2.0)", &ex),
            ["(MIT) OR (Apache-2.0)"]
        );
        assert_eq!(
            split_licences("MIT OR Apache-2.0", &ex),
            ["MIT OR Apache-2.0"]
        );
        assert_eq!(
            split_licences("LicenseRef-other", &ex),
            ["LicenseRef-other"]
        );
        assert_eq!(split_licences("(MIT AND", &ex), ["(MIT AND"]);
    }

    #[test]
    fn described_roots_come_from_both_spellings() {
        let doc = json!({
            "SPDXID": "SPDXRef-DOCUMENT",
            "documentDescribes": ["SPDXRef-a"],
            "relationships": [
                {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                 "relatedSpdxElement": "SPDXRef-b"},
                {"spdxElementId": "SPDXRef-c", "relationshipType": "DESCRIBED_BY",
                 "relatedSpdxElement": "SPDXRef-DOCUMENT"},
                {"spdxElementId": "SPDXRef-a", "relationshipType": "CONTAINS",
                 "relatedSpdxElement": "SPDXRef-d"},
            ],
        });
        let mut r: Vec<_> = described_roots(&doc).into_iter().collect();
        r.sort_unstable();
        assert_eq!(r, ["SPDXRef-a", "SPDXRef-b", "SPDXRef-c"]);
    }

    #[test]
    fn a_document_describing_only_its_packages_keeps_them() {
        let doc = json!({
            "spdxVersion": "SPDX-2.2", "SPDXID": "SPDXRef-DOCUMENT",
            "documentDescribes": ["SPDXRef-x"],
            "packages": [{"SPDXID": "SPDXRef-x", "name": "requests", "versionInfo": "2.19.0",
                "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl", "referenceLocator": "pkg:pypi/requests"}]}],
        });
        let inv = decode(&doc, "one.spdx.json").expect("decode");
        assert_eq!(inv.packages.len(), 1);
        // the purl has no version: versionInfo gives it
        assert_eq!(inv.packages[0].version, "2.19.0");
    }
}
