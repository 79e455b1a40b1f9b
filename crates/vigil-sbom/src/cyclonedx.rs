//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>), encode and decode.

use crate::license::{spdx_expression, spdx_id};
use crate::{Error, Fields, bom_target, now_rfc3339, package_from, read_props};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use vigil_types::{Distro, Ecosystem, Inventory, Package, PackageKind};

/// Property names: `vigil:` namespace (CycloneDX property taxonomy style).
const P: &str = "vigil";

pub fn encode(inv: &Inventory) -> Result<String, Error> {
    let target_ref = "vigil-target".to_owned();
    let mut refs: HashSet<String> = HashSet::new();
    refs.insert(target_ref.clone());
    let mut components = Vec::new();
    let mut depends = Vec::new();
    if let Some(d) = &inv.distro {
        let r = unique(
            &mut refs,
            format!("os:{}@{}", d.id, d.version_id.as_deref().unwrap_or("")),
        );
        let mut c = json!({
            "bom-ref": r, "type": "operating-system", "name": d.id,
        });
        if let Some(v) = &d.version_id {
            c["version"] = json!(v);
        }
        if let Some(p) = &d.pretty_name {
            c["description"] = json!(p);
        }
        let mut props = Vec::new();
        if let Some(cn) = &d.codename {
            props.push(prop("distro:codename", cn));
        }
        for l in &d.id_like {
            props.push(prop("distro:idLike", l));
        }
        if !props.is_empty() {
            c["properties"] = Value::Array(props);
        }
        depends.push(r);
        components.push(c);
    }
    let mut sorted: Vec<&Package> = inv.packages.iter().collect();
    sorted.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version))
    });
    for p in sorted {
        let base = if p.purl.is_empty() {
            format!("{}:{}@{}", p.ecosystem.as_str(), p.name, p.version)
        } else {
            p.purl.clone()
        };
        let r = unique(&mut refs, base);
        depends.push(r.clone());
        components.push(component(p, &r));
    }
    let (kind, name, version) = bom_target(inv);
    let mut target = json!({"bom-ref": target_ref, "type": kind, "name": name});
    if let Some(v) = version {
        target["version"] = json!(v);
    }
    if let Some(img) = &inv.target.image {
        let mut props = vec![prop("image:configDigest", &img.config_digest)];
        if let Some(m) = &img.manifest_digest {
            props.push(prop("image:manifestDigest", m));
        }
        if let Some(c) = &img.created {
            props.push(prop("image:created", c));
        }
        for t in &img.tags {
            props.push(prop("image:tag", t));
        }
        props.push(prop(
            "image:platform",
            &match &img.variant {
                Some(v) => format!("{}/{}/{v}", img.os, img.architecture),
                None => format!("{}/{}", img.os, img.architecture),
            },
        ));
        for l in &img.layers {
            props.push(prop(&format!("image:layer:{}:digest", l.index), &l.digest));
            if let Some(d) = &l.diff_id {
                props.push(prop(&format!("image:layer:{}:diffId", l.index), d));
            }
        }
        target["properties"] = Value::Array(props);
    }
    let doc = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "version": 1,
        "metadata": {
            "timestamp": now_rfc3339(),
            "tools": {"components": [{
                "type": "application", "name": "vigil", "version": env!("CARGO_PKG_VERSION"),
            }]},
            "component": target,
        },
        "components": components,
        "dependencies": [{"ref": target_ref, "dependsOn": depends}],
    });
    Ok(serde_json::to_string_pretty(&doc)?)
}

fn unique(refs: &mut HashSet<String>, base: String) -> String {
    if refs.insert(base.clone()) {
        return base;
    }
    let mut n = 1;
    loop {
        let r = format!("{base}#{n}");
        if refs.insert(r.clone()) {
            return r;
        }
        n += 1;
    }
}

fn prop(name: &str, value: &str) -> Value {
    json!({"name": format!("{P}:{name}"), "value": value})
}

fn component(p: &Package, bom_ref: &str) -> Value {
    let mut c = Map::new();
    c.insert("bom-ref".into(), json!(bom_ref));
    c.insert("type".into(), json!("library"));
    let (group, name) = match p.ecosystem {
        Ecosystem::Maven => match p.name.split_once(':') {
            Some((g, a)) => (Some(g), a),
            None => (None, p.name.as_str()),
        },
        Ecosystem::Npm => match p.name.split_once('/') {
            Some((s, n)) if s.starts_with('@') => (Some(s), n),
            _ => (None, p.name.as_str()),
        },
        _ => (None, p.name.as_str()),
    };
    if let Some(g) = group {
        c.insert("group".into(), json!(g));
    }
    c.insert("name".into(), json!(name));
    if !p.version.is_empty() {
        c.insert("version".into(), json!(p.version));
    }
    if !p.purl.is_empty() {
        c.insert("purl".into(), json!(p.purl));
    }
    if let Some(l) = licenses(&p.licenses) {
        c.insert("licenses".into(), l);
    }
    let mut props = vec![
        prop("package:ecosystem", p.ecosystem.as_str()),
        prop("package:cataloger", &p.cataloger),
    ];
    if p.kind == PackageKind::Declared {
        props.push(prop("package:kind", "declared"));
    }
    if let Some(a) = &p.arch {
        props.push(prop("package:arch", a));
    }
    if let Some(s) = &p.source {
        props.push(prop("package:sourceName", &s.name));
        props.push(prop("package:sourceVersion", &s.version));
    }
    if let Some(o) = &p.owner {
        props.push(prop(
            "package:ownedBy",
            &format!("{}:{}", o.ecosystem.as_str(), o.name),
        ));
    }
    for (i, l) in p.locations.iter().enumerate() {
        props.push(prop(&format!("location:{i}:path"), &l.path));
        if let Some(layer) = &l.layer {
            props.push(prop(
                &format!("location:{i}:layerIndex"),
                &layer.index.to_string(),
            ));
            props.push(prop(&format!("location:{i}:layerDigest"), &layer.digest));
            if let Some(d) = &layer.diff_id {
                props.push(prop(&format!("location:{i}:layerDiffId"), d));
            }
        }
    }
    for (k, v) in &p.metadata {
        props.push(prop(&format!("metadata:{k}"), v));
    }
    c.insert("properties".into(), Value::Array(props));
    Value::Object(c)
}

/// CycloneDX allows either licence objects or exactly one expression.
fn licenses(list: &[String]) -> Option<Value> {
    if list.is_empty() {
        return None;
    }
    if let [one] = list
        && spdx_id(one).is_none()
        && let Some(expr) = spdx_expression(one)
    {
        return Some(json!([{"expression": expr}]));
    }
    let items: Vec<Value> = list
        .iter()
        .map(|l| match spdx_id(l) {
            Some(id) => json!({"license": {"id": id}}),
            None => json!({"license": {"name": l}}),
        })
        .collect();
    Some(Value::Array(items))
}

/// Decode CycloneDX JSON (1.4–1.6; components nested at any depth).
pub fn decode(doc: &Value, path: &str) -> Result<Inventory, Error> {
    let err = |m: String| Error::Decode {
        path: path.to_owned(),
        message: m,
    };
    let spec = doc.get("specVersion").and_then(Value::as_str).unwrap_or("");
    if !spec.starts_with("1.") {
        return Err(err(format!("unsupported CycloneDX specVersion `{spec}`")));
    }
    let mut packages = Vec::new();
    let mut distro = None;
    let mut stack: Vec<&Value> = Vec::new();
    if let Some(c) = doc.get("components") {
        let arr = c
            .as_array()
            .ok_or_else(|| err("`components` is not an array".into()))?;
        stack.extend(arr.iter());
    }
    // Trivy lists the image's layer diff IDs, bottom first, on the root component
    let diff_ids: Vec<&str> = doc
        .pointer("/metadata/component/properties")
        .and_then(Value::as_array)
        .map(|props| {
            props
                .iter()
                .filter(|p| p.get("name").and_then(Value::as_str) == Some(TRIVY_DIFF_ID))
                .filter_map(|p| p.get("value").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let mut skipped = 0usize;
    while let Some(c) = stack.pop() {
        if let Some(nested) = c.get("components").and_then(Value::as_array) {
            stack.extend(nested.iter());
        }
        if c.get("type").and_then(Value::as_str) == Some("operating-system") {
            distro = Some(Distro {
                id: str_of(c, "name").to_ascii_lowercase(),
                version_id: c.get("version").and_then(Value::as_str).map(str::to_owned),
                pretty_name: c
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                path: String::new(),
                ..Default::default()
            });
            continue;
        }
        let mut props = read_props(c.get("properties"), &format!("{P}:"));
        foreign_props(c.get("properties"), &diff_ids, &mut props);
        let fields = Fields {
            group: c.get("group").and_then(Value::as_str),
            name: str_of(c, "name"),
            version: str_of(c, "version"),
        };
        let purl = c.get("purl").and_then(Value::as_str);
        match package_from(purl, fields, &props, "cyclonedx") {
            Some(mut p) => {
                p.licenses = decode_licenses(c.get("licenses"));
                packages.push(p);
            }
            None => skipped += 1,
        }
    }
    packages.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version))
    });
    let mut inv = crate::sbom_inventory(path, distro, packages, skipped);
    inv.target.image = image_of(doc);
    Ok(inv)
}

const TRIVY_DIFF_ID: &str = "aquasecurity:trivy:DiffID";

/// Facts that Syft and Trivy record under their own property names, stored under Vigil's keys
/// unless a `vigil:` property already gives them.
///
/// Syft: `syft:package:foundBy`, `syft:location:N:path` (its `layerID` is a diff ID without
/// the blob digest or position, so no layer is recorded from it). Trivy: `FilePath` (relative),
/// `LayerDigest` + `LayerDiffID` (position from the root's `DiffID` list), `SrcName`,
/// `SrcVersion`, `SrcRelease`, `SrcEpoch`.
fn foreign_props(v: Option<&Value>, diff_ids: &[&str], props: &mut BTreeMap<String, String>) {
    let syft = read_props(v, "syft:");
    let trivy = read_props(v, "aquasecurity:trivy:");
    let has_locations = props.contains_key("location:0:path");
    let mut put = |k: String, val: &str| {
        props.entry(k).or_insert_with(|| val.to_owned());
    };
    if let Some(f) = syft.get("package:foundBy") {
        put("package:cataloger".into(), f);
    }
    if !has_locations {
        for i in 0.. {
            let Some(path) = syft.get(&format!("location:{i}:path")) else {
                break;
            };
            put(format!("location:{i}:path"), path);
        }
        if let Some(fp) = trivy.get("FilePath").filter(|f| !f.is_empty()) {
            let path = if fp.starts_with('/') {
                fp.clone()
            } else {
                format!("/{fp}")
            };
            put("location:0:path".into(), &path);
            let diff = trivy.get("LayerDiffID");
            let index = diff.and_then(|d| diff_ids.iter().position(|x| x == d));
            if let (Some(digest), Some(index)) = (trivy.get("LayerDigest"), index) {
                put("location:0:layerDigest".into(), digest);
                put("location:0:layerIndex".into(), &index.to_string());
                if let Some(d) = diff {
                    put("location:0:layerDiffId".into(), d);
                }
            }
        }
    }
    if let (Some(name), Some(version)) = (trivy.get("SrcName"), trivy.get("SrcVersion")) {
        let mut v = version.clone();
        if let Some(r) = trivy.get("SrcRelease").filter(|r| !r.is_empty()) {
            v = format!("{v}-{r}");
        }
        if let Some(e) = trivy.get("SrcEpoch").filter(|e| !e.is_empty() && *e != "0") {
            v = format!("{e}:{v}");
        }
        put("package:sourceName".into(), name);
        put("package:sourceVersion".into(), &v);
    }
}

/// The image facts Vigil writes on the root component (`vigil:image:*`), so an image's SBOM
/// reads back as that image (digest, tags, platform, layers).
fn image_of(doc: &Value) -> Option<vigil_types::ImageInfo> {
    let props = doc.pointer("/metadata/component/properties")?.as_array()?;
    let mut img = vigil_types::ImageInfo::default();
    let mut layers: BTreeMap<usize, vigil_types::LayerRef> = BTreeMap::new();
    let mut seen = false;
    for p in props {
        let (Some(name), Some(value)) = (
            p.get("name").and_then(Value::as_str),
            p.get("value").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Some(key) = name.strip_prefix("vigil:image:") else {
            continue;
        };
        seen = true;
        match key {
            "configDigest" => img.config_digest = value.to_owned(),
            "manifestDigest" => img.manifest_digest = Some(value.to_owned()),
            "created" => img.created = Some(value.to_owned()),
            "tag" => img.tags.push(value.to_owned()),
            "platform" => {
                let mut it = value.splitn(3, '/');
                img.os = it.next().unwrap_or("").to_owned();
                img.architecture = it.next().unwrap_or("").to_owned();
                img.variant = it.next().map(str::to_owned);
            }
            other => {
                if let Some((index, field)) = other
                    .strip_prefix("layer:")
                    .and_then(|r| r.split_once(':'))
                    .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
                {
                    let l = layers
                        .entry(index)
                        .or_insert_with(|| vigil_types::LayerRef {
                            index,
                            digest: String::new(),
                            diff_id: None,
                        });
                    match field {
                        "digest" => l.digest = value.to_owned(),
                        "diffId" => l.diff_id = Some(value.to_owned()),
                        _ => {}
                    }
                }
            }
        }
    }
    if !seen || img.config_digest.is_empty() {
        return None;
    }
    img.layers = layers.into_values().collect();
    Some(img)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn decode_licenses(v: Option<&Value>) -> Vec<String> {
    let Some(arr) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    arr.iter()
        .filter_map(|l| {
            l.get("expression")
                .and_then(Value::as_str)
                .or_else(|| l.pointer("/license/id").and_then(Value::as_str))
                .or_else(|| l.pointer("/license/name").and_then(Value::as_str))
                .map(str::to_owned)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(components: Value, root_props: Value) -> Value {
        json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": {"component": {"type": "container", "name": "x", "properties": root_props}},
            "components": components,
        })
    }

    #[test]
    fn trivy_properties_give_source_file_and_layer() {
        let d = doc(
            json!([
                {"type": "library", "name": "openssl-libs", "version": "3.0.7-24.el9",
                 "purl": "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1",
                 "properties": [
                    {"name": "aquasecurity:trivy:SrcName", "value": "openssl"},
                    {"name": "aquasecurity:trivy:SrcVersion", "value": "3.0.7"},
                    {"name": "aquasecurity:trivy:SrcRelease", "value": "24.el9"},
                    {"name": "aquasecurity:trivy:SrcEpoch", "value": "1"},
                    {"name": "aquasecurity:trivy:LayerDigest", "value": "sha256:aa"},
                    {"name": "aquasecurity:trivy:LayerDiffID", "value": "sha256:d0"}]},
                {"type": "library", "name": "Flask", "version": "2.0.0",
                 "purl": "pkg:pypi/flask@2.0.0",
                 "properties": [
                    {"name": "aquasecurity:trivy:FilePath",
                     "value": "usr/lib/python3/site-packages/Flask-2.0.0.dist-info/METADATA"},
                    {"name": "aquasecurity:trivy:LayerDigest", "value": "sha256:bb"},
                    {"name": "aquasecurity:trivy:LayerDiffID", "value": "sha256:d1"}]},
                {"type": "library", "name": "jinja2", "version": "3.0.0",
                 "purl": "pkg:pypi/jinja2@3.0.0",
                 "properties": [
                    {"name": "aquasecurity:trivy:FilePath", "value": "app/requirements.txt"},
                    {"name": "aquasecurity:trivy:LayerDigest", "value": "sha256:cc"},
                    {"name": "aquasecurity:trivy:LayerDiffID", "value": "sha256:unlisted"}]}
            ]),
            json!([
                {"name": "aquasecurity:trivy:DiffID", "value": "sha256:d0"},
                {"name": "aquasecurity:trivy:DiffID", "value": "sha256:d1"}]),
        );
        let inv = decode(&d, "trivy.cdx.json").expect("decode");
        let rpm = &inv
            .packages
            .iter()
            .find(|p| p.name == "openssl-libs")
            .expect("rpm");
        assert_eq!(rpm.version, "1:3.0.7-24.el9");
        let src = rpm.source.as_ref().expect("source");
        assert_eq!(
            (src.name.as_str(), src.version.as_str()),
            ("openssl", "1:3.0.7-24.el9")
        );
        assert!(rpm.locations.is_empty(), "no file path, no location");
        let flask = inv
            .packages
            .iter()
            // the component's own spelling, not the purl's canonical `flask`
            .find(|p| p.name == "Flask")
            .expect("flask");
        let loc = &flask.locations[0];
        assert_eq!(
            loc.path,
            "/usr/lib/python3/site-packages/Flask-2.0.0.dist-info/METADATA"
        );
        let layer = loc.layer.as_ref().expect("layer");
        assert_eq!(
            (layer.index, layer.digest.as_str(), layer.diff_id.as_deref()),
            (1, "sha256:bb", Some("sha256:d1"))
        );
        // a diff ID missing from the image's list gives no position: the layer is not guessed
        let jinja = inv
            .packages
            .iter()
            .find(|p| p.name == "jinja2")
            .expect("jinja2");
        assert_eq!(jinja.locations[0].path, "/app/requirements.txt");
        assert_eq!(jinja.locations[0].layer, None);
    }

    #[test]
    fn syft_properties_give_cataloger_and_paths() {
        let d = doc(
            json!([{"type": "library", "name": "base-files", "version": "12.4+deb12u5",
                "purl": "pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12",
                "properties": [
                    {"name": "syft:package:foundBy", "value": "dpkg-db-cataloger"},
                    {"name": "syft:location:0:layerID", "value": "sha256:d0"},
                    {"name": "syft:location:0:path", "value": "/var/lib/dpkg/status"},
                    {"name": "syft:location:1:layerID", "value": "sha256:d0"},
                    {"name": "syft:location:1:path", "value": "/usr/share/doc/base-files/copyright"}]}]),
            json!([]),
        );
        let inv = decode(&d, "syft.cdx.json").expect("decode");
        let p = &inv.packages[0];
        assert_eq!(p.cataloger, "dpkg-db-cataloger");
        assert_eq!(p.version, "12.4+deb12u5");
        let paths: Vec<_> = p.locations.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/var/lib/dpkg/status",
                "/usr/share/doc/base-files/copyright"
            ]
        );
    }

    #[test]
    fn components_without_purl_use_fields_and_the_stated_ecosystem() {
        let d = doc(
            json!([
                {"type": "library", "group": "org.example", "name": "internal", "version": "1.0",
                 "properties": [{"name": "vigil:package:ecosystem", "value": "maven"}]},
                {"type": "library", "name": "mystery", "version": "1"},
                {"type": "library", "name": "lodash", "version": "4.17.21",
                 "purl": "pkg:npm/lodash"}
            ]),
            json!([]),
        );
        let inv = decode(&d, "f.json").expect("decode");
        let got: Vec<_> = inv
            .packages
            .iter()
            .map(|p| {
                (
                    p.ecosystem,
                    p.name.as_str(),
                    p.version.as_str(),
                    p.purl.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Ecosystem::Npm, "lodash", "4.17.21", "pkg:npm/lodash"),
                (Ecosystem::Maven, "org.example:internal", "1.0", ""),
            ]
        );
        assert_eq!(inv.notes.len(), 1, "{:?}", inv.notes);
    }

    #[test]
    fn an_image_sbom_reads_back_as_that_image() {
        let img = vigil_types::ImageInfo {
            manifest_digest: Some("sha256:m".into()),
            config_digest: "sha256:c".into(),
            tags: vec!["registry.example/app:1.0".into()],
            os: "linux".into(),
            architecture: "arm64".into(),
            variant: Some("v8".into()),
            created: Some("2026-01-01T00:00:00Z".into()),
            layers: vec![vigil_types::LayerRef {
                index: 0,
                digest: "sha256:l0".into(),
                diff_id: Some("sha256:d0".into()),
            }],
            ..Default::default()
        };
        let inv = Inventory {
            target: vigil_types::TargetInfo {
                kind: "oci-dir".into(),
                name: "app".into(),
                image: Some(img.clone()),
            },
            distro: None,
            packages: Vec::new(),
            notes: Vec::new(),
        };
        let doc: Value =
            serde_json::from_str(&crate::to_cyclonedx(&inv).expect("encode")).expect("json");
        let back = decode(&doc, "app.cdx.json").expect("decode");
        assert_eq!(back.target.image, Some(img));
    }
}
