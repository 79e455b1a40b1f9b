//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>), encode and decode.

use crate::license::{spdx_expression, spdx_id};
use crate::{Error, bom_target, now_rfc3339, package_from_purl, read_props};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
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
        for t in &img.tags {
            props.push(prop("image:tag", t));
        }
        props.push(prop(
            "image:platform",
            &format!("{}/{}", img.os, img.architecture),
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
        let props = read_props(c.get("properties"), &format!("{P}:"));
        let purl = c.get("purl").and_then(Value::as_str).unwrap_or("");
        match package_from_purl(purl, &props, "cyclonedx") {
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
    Ok(crate::sbom_inventory(path, distro, packages, skipped))
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
