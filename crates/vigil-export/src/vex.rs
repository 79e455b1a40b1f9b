//! VEX both ways: reading OpenVEX 0.2.0, CycloneDX 1.4–1.6 VEX and CSAF 2.0 (VEX profile)
//! documents into format-neutral [`Statement`]s, and writing suppressions as OpenVEX 0.2.0 or
//! CycloneDX 1.6 VEX.
//!
//! A statement is about one vulnerability and products. A [`Product`] is what the statement
//! names at the top (a package purl, or a whole resource: an image, a host) and optionally the
//! [`Component`]s inside it the statement is about (OpenVEX `subcomponents`, a CSAF
//! `default_component_of` relationship, a CycloneDX component nested in a component carrying
//! the `vigil:resourceId` property).
//!
//! Justifications keep their own vocabulary ([`Justification`]); [`Justification::to`] maps
//! between the three (identity within one format, so a rule imported from a format and
//! exported to the same format keeps its original label).
//!
//! Parse errors name the location in the document (`document.statements[3].products: empty`).

use serde_json::{Map, Value, json};

/// The VEX formats read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VexFormat {
    OpenVex,
    CycloneDx,
    Csaf,
}

impl VexFormat {
    pub fn name(self) -> &'static str {
        match self {
            VexFormat::OpenVex => "OPENVEX",
            VexFormat::CycloneDx => "CYCLONEDX",
            VexFormat::Csaf => "CSAF",
        }
    }

    pub fn from_name(s: &str) -> Option<VexFormat> {
        match s {
            "OPENVEX" => Some(VexFormat::OpenVex),
            "CYCLONEDX" => Some(VexFormat::CycloneDx),
            "CSAF" => Some(VexFormat::Csaf),
            _ => None,
        }
    }
}

/// A document that cannot be read, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexError {
    /// `document.statements[3].products`
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for VexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for VexError {}

fn err(location: impl Into<String>, message: impl Into<String>) -> VexError {
    VexError {
        location: location.into(),
        message: message.into(),
    }
}

/// A package inside a product (or the product itself, when it is a package).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    pub purl: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
}

/// What a statement is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Product {
    /// The product's identifier as the document gives it (`@id`, a CSAF product id's purl or
    /// name, a CycloneDX resource id).
    pub id: String,
    /// The product's own purl, when it has one.
    pub purl: Option<String>,
    /// The packages inside it the statement is about (empty: the product as a whole).
    pub components: Vec<Component>,
}

impl Product {
    /// The resource the product identifies, if it is one rather than a package: an OCI image
    /// (`pkg:oci/...@sha256:...`, answered as the digest) or a non-purl identifier (a host, an
    /// image digest, a function ARN).
    pub fn resource_scope(&self) -> Option<ResourceScope> {
        let p = self.purl.as_deref().unwrap_or(&self.id);
        if let Some(purl) = Purl::parse(p) {
            if purl.ty == "oci" {
                return purl
                    .version
                    .filter(|v| v.starts_with("sha256:"))
                    .map(ResourceScope::ImageDigest);
            }
            return None;
        }
        (!self.id.trim().is_empty()).then(|| ResourceScope::ResourceId(self.id.clone()))
    }
}

/// How a product narrows a rule to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceScope {
    /// `resourceId EQUALS`
    ResourceId(String),
    /// `ecrImageHash EQUALS`
    ImageDigest(String),
}

/// A justification label in its format's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Justification {
    pub format: VexFormat,
    pub label: String,
}

/// OpenVEX 0.2.0 `justification` values.
pub const OPENVEX_JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];
/// CycloneDX 1.6 `analysis.justification` values.
pub const CYCLONEDX_JUSTIFICATIONS: [&str; 9] = [
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];
/// CSAF 2.0 `flags[].label` values (the same labels as OpenVEX).
pub const CSAF_FLAGS: [&str; 5] = OPENVEX_JUSTIFICATIONS;

impl Justification {
    /// The label in `format`'s vocabulary (identity in its own format).
    pub fn to(&self, format: VexFormat) -> String {
        if self.format == format
            || (self.format != VexFormat::CycloneDx && format != VexFormat::CycloneDx)
        {
            // OpenVEX and CSAF share their labels
            return self.label.clone();
        }
        if format == VexFormat::CycloneDx {
            match self.label.as_str() {
                "component_not_present" => "requires_dependency",
                "vulnerable_code_not_present" => "code_not_present",
                "vulnerable_code_not_in_execute_path" => "code_not_reachable",
                "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
                _ => "protected_by_mitigating_control",
            }
            .to_owned()
        } else {
            match self.label.as_str() {
                "code_not_present" => "vulnerable_code_not_present",
                "code_not_reachable" => "vulnerable_code_not_in_execute_path",
                "requires_dependency" => "component_not_present",
                "requires_configuration" | "requires_environment" => {
                    "vulnerable_code_cannot_be_controlled_by_adversary"
                }
                _ => "inline_mitigations_already_exist",
            }
            .to_owned()
        }
    }
}

/// One statement of a document, format-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Where it is (`document.statements[3]`).
    pub location: String,
    pub vulnerability: String,
    /// Other ids the document gives the vulnerability.
    pub aliases: Vec<String>,
    pub products: Vec<Product>,
    /// The status in the document's words (`not_affected`, `fixed`, `false_positive`,
    /// `known_not_affected`, ...).
    pub status: String,
    /// Whether the status says the products are not affected (a suppression).
    pub not_affected: bool,
    pub justification: Option<Justification>,
    /// The impact statement / analysis detail / CSAF impact threat.
    pub detail: Option<String>,
}

/// The format of a document, from its shape.
pub fn detect(doc: &Value) -> Option<VexFormat> {
    if doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"))
    {
        return Some(VexFormat::OpenVex);
    }
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return Some(VexFormat::CycloneDx);
    }
    if doc.pointer("/document/csaf_version").is_some() {
        return Some(VexFormat::Csaf);
    }
    None
}

/// Reads a document (of `format`, or of the format [`detect`] finds).
pub fn parse(
    doc: &Value,
    format: Option<VexFormat>,
) -> Result<(VexFormat, Vec<Statement>), VexError> {
    if !doc.is_object() {
        return Err(err("document", "must be a JSON object"));
    }
    if let (Some(given), Some(seen)) = (format, detect(doc))
        && given != seen
    {
        return Err(err(
            "format",
            format!("is {} but the document is {}", given.name(), seen.name()),
        ));
    }
    let format = match format.or_else(|| detect(doc)) {
        Some(f) => f,
        None => {
            return Err(err(
                "document",
                "unknown format: neither OpenVEX (`@context` openvex), CycloneDX (`bomFormat`) nor CSAF (`document.csaf_version`)",
            ));
        }
    };
    let statements = match format {
        VexFormat::OpenVex => parse_openvex(doc)?,
        VexFormat::CycloneDx => parse_cyclonedx(doc)?,
        VexFormat::Csaf => parse_csaf(doc)?,
    };
    if statements.is_empty() {
        let list = match format {
            VexFormat::OpenVex => "document.statements",
            _ => "document.vulnerabilities",
        };
        return Err(err(list, "empty: no statement to import"));
    }
    Ok((format, statements))
}

fn nonempty<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn array<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a [Value], VexError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(err(format!("{at}.{key}"), "must be a list")),
    }
}

impl Component {
    /// The component an identifier names: a purl (name and version from it), or a bare name.
    pub fn from_id(id: &str) -> Component {
        component_of(id, None)
    }
}

fn component_of(id: &str, v: Option<&Value>) -> Component {
    let purl = v
        .and_then(|v| v.pointer("/identifiers/purl"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| Purl::parse(id).map(|_| id.to_owned()));
    let (name, version) = match purl.as_deref().and_then(Purl::parse) {
        Some(p) => (Some(p.display_name()), p.version),
        None => (Some(id.to_owned()).filter(|s| !s.is_empty()), None),
    };
    Component {
        purl,
        name,
        version,
    }
}

fn parse_openvex(doc: &Value) -> Result<Vec<Statement>, VexError> {
    let statements = match doc.get("statements") {
        Some(Value::Array(a)) => a,
        _ => return Err(err("document.statements", "is required and must be a list")),
    };
    let mut out = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let at = format!("document.statements[{i}]");
        if !s.is_object() {
            return Err(err(at, "must be an object"));
        }
        let vuln = s.get("vulnerability").unwrap_or(&Value::Null);
        let (id, mut aliases) = match vuln {
            Value::String(v) => (v.trim().to_owned(), Vec::new()),
            Value::Object(_) => {
                let name = nonempty(vuln, "name").or_else(|| nonempty(vuln, "@id"));
                let aliases: Vec<String> = vuln
                    .get("aliases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                (name.unwrap_or_default().to_owned(), aliases)
            }
            _ => (String::new(), Vec::new()),
        };
        if id.is_empty() {
            return Err(err(
                format!("{at}.vulnerability"),
                "names no vulnerability (`name`)",
            ));
        }
        if let Some(v) = nonempty(vuln, "@id").filter(|v| *v != id && !v.contains('/')) {
            aliases.push(v.to_owned());
        }
        let status = nonempty(s, "status")
            .ok_or_else(|| err(format!("{at}.status"), "is required"))?
            .to_owned();
        if !["not_affected", "affected", "fixed", "under_investigation"].contains(&status.as_str())
        {
            return Err(err(
                format!("{at}.status"),
                format!("`{status}` is not an OpenVEX status"),
            ));
        }
        let products_v = array(s, "products", &at)?;
        if products_v.is_empty() {
            return Err(err(format!("{at}.products"), "empty"));
        }
        let mut products = Vec::new();
        for (j, p) in products_v.iter().enumerate() {
            let pat = format!("{at}.products[{j}]");
            let pid = match p {
                Value::String(s) => s.trim().to_owned(),
                Value::Object(_) => nonempty(p, "@id")
                    .or_else(|| p.pointer("/identifiers/purl").and_then(Value::as_str))
                    .unwrap_or_default()
                    .to_owned(),
                _ => String::new(),
            };
            if pid.is_empty() {
                return Err(err(pat, "has no `@id` or `identifiers.purl`"));
            }
            let pid = match pid.strip_prefix(RESOURCE_URN) {
                Some(encoded) if !encoded.is_empty() => percent_decode(encoded),
                _ => pid,
            };
            let purl = p
                .pointer("/identifiers/purl")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| Purl::parse(&pid).map(|_| pid.clone()));
            let mut components = Vec::new();
            for (k, c) in array(p, "subcomponents", &pat)?.iter().enumerate() {
                let cid = match c {
                    Value::String(s) => s.trim().to_owned(),
                    _ => nonempty(c, "@id")
                        .or_else(|| c.pointer("/identifiers/purl").and_then(Value::as_str))
                        .unwrap_or_default()
                        .to_owned(),
                };
                if cid.is_empty() {
                    return Err(err(
                        format!("{pat}.subcomponents[{k}]"),
                        "has no `@id` or `identifiers.purl`",
                    ));
                }
                components.push(component_of(&cid, Some(c)));
            }
            products.push(Product {
                id: pid,
                purl,
                components,
            });
        }
        let justification = match nonempty(s, "justification") {
            None => None,
            Some(j) if OPENVEX_JUSTIFICATIONS.contains(&j) => Some(Justification {
                format: VexFormat::OpenVex,
                label: j.to_owned(),
            }),
            Some(j) => {
                return Err(err(
                    format!("{at}.justification"),
                    format!("`{j}` is not an OpenVEX justification"),
                ));
            }
        };
        let detail = nonempty(s, "impact_statement")
            .or_else(|| nonempty(s, "status_notes"))
            .map(str::to_owned);
        if status == "not_affected"
            && justification.is_none()
            && nonempty(s, "impact_statement").is_none()
        {
            return Err(err(
                at,
                "a not_affected statement needs a `justification` or an `impact_statement`",
            ));
        }
        out.push(Statement {
            location: at,
            vulnerability: id,
            aliases,
            products,
            not_affected: status == "not_affected",
            status,
            justification,
            detail,
        });
    }
    Ok(out)
}

/// Every component of a CycloneDX document by `bom-ref`, with the resource id of the component
/// it is nested in (when that one carries the `vigil:resourceId` property).
fn cyclonedx_components(doc: &Value) -> std::collections::HashMap<String, (Value, Option<String>)> {
    fn walk(
        list: &[Value],
        parent: Option<&str>,
        out: &mut std::collections::HashMap<String, (Value, Option<String>)>,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        for c in list {
            let resource = c
                .get("properties")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|p| p.get("name").and_then(Value::as_str) == Some("vigil:resourceId"))
                .and_then(|p| p.get("value").and_then(Value::as_str));
            if let Some(r) = c.get("bom-ref").and_then(Value::as_str) {
                out.insert(r.to_owned(), (c.clone(), parent.map(str::to_owned)));
            }
            if let Some(children) = c.get("components").and_then(Value::as_array) {
                walk(children, resource.or(parent), out, depth + 1);
            }
        }
    }
    let mut out = std::collections::HashMap::new();
    if let Some(c) = doc.pointer("/metadata/component") {
        walk(std::slice::from_ref(c), None, &mut out, 0);
    }
    if let Some(list) = doc.get("components").and_then(Value::as_array) {
        walk(list, None, &mut out, 0);
    }
    out
}

fn parse_cyclonedx(doc: &Value) -> Result<Vec<Statement>, VexError> {
    let components = cyclonedx_components(doc);
    let vulns = array(doc, "vulnerabilities", "document")?;
    let mut out = Vec::new();
    for (i, v) in vulns.iter().enumerate() {
        let at = format!("document.vulnerabilities[{i}]");
        let id = nonempty(v, "id").ok_or_else(|| err(format!("{at}.id"), "is required"))?;
        let aliases: Vec<String> = v
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        let state = v
            .pointer("/analysis/state")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        // a vulnerability without an analysis (a scanner's report) states nothing: it is kept
        // with an empty status and reported as ignored
        let justification = match v.pointer("/analysis/justification").and_then(Value::as_str) {
            None => None,
            Some(j) if CYCLONEDX_JUSTIFICATIONS.contains(&j) => Some(Justification {
                format: VexFormat::CycloneDx,
                label: j.to_owned(),
            }),
            Some(j) => {
                return Err(err(
                    format!("{at}.analysis.justification"),
                    format!("`{j}` is not a CycloneDX justification"),
                ));
            }
        };
        let affects = array(v, "affects", &at)?;
        if affects.is_empty() {
            return Err(err(format!("{at}.affects"), "empty"));
        }
        // the affected components, grouped by the resource they are in
        let mut products: Vec<Product> = Vec::new();
        for (j, a) in affects.iter().enumerate() {
            let r = nonempty(a, "ref")
                .ok_or_else(|| err(format!("{at}.affects[{j}].ref"), "is required"))?;
            let (component, resource) = match components.get(r) {
                Some((c, resource)) => {
                    let purl = nonempty(c, "purl").map(str::to_owned);
                    let parsed = purl.as_deref().and_then(Purl::parse);
                    (
                        Component {
                            name: nonempty(c, "name")
                                .map(str::to_owned)
                                .or_else(|| parsed.as_ref().map(Purl::display_name)),
                            version: nonempty(c, "version")
                                .map(str::to_owned)
                                .or_else(|| parsed.and_then(|p| p.version)),
                            purl,
                        },
                        resource.clone(),
                    )
                }
                None if Purl::parse(r).is_some() => (component_of(r, None), None),
                None => {
                    return Err(err(
                        format!("{at}.affects[{j}].ref"),
                        format!("`{r}` is neither a component of this document nor a purl"),
                    ));
                }
            };
            match resource {
                Some(res) => match products.iter_mut().find(|p| p.id == res) {
                    Some(p) => p.components.push(component),
                    None => products.push(Product {
                        id: res,
                        purl: None,
                        components: vec![component],
                    }),
                },
                None => products.push(Product {
                    id: component.purl.clone().unwrap_or_else(|| r.to_owned()),
                    purl: component.purl.clone(),
                    components: vec![component],
                }),
            }
        }
        out.push(Statement {
            location: at,
            vulnerability: id.to_owned(),
            aliases,
            products,
            not_affected: state == "not_affected" || state == "false_positive",
            status: state,
            justification,
            detail: v
                .pointer("/analysis/detail")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned),
        });
    }
    Ok(out)
}

/// CSAF product ids -> (name, purl), from `full_product_names`, nested `branches` and
/// relationships (a relationship's product id -> (the component, the product it is part of)).
struct CsafProducts {
    names: std::collections::HashMap<String, (Option<String>, Option<String>)>,
    relations: std::collections::HashMap<String, (String, String)>,
}

fn csaf_products(doc: &Value) -> CsafProducts {
    let mut names = std::collections::HashMap::new();
    fn full_name(
        p: &Value,
        names: &mut std::collections::HashMap<String, (Option<String>, Option<String>)>,
    ) {
        if let Some(id) = p.get("product_id").and_then(Value::as_str) {
            let purl = p
                .pointer("/product_identification_helper/purl")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let name = p.get("name").and_then(Value::as_str).map(str::to_owned);
            names.insert(id.to_owned(), (name, purl));
        }
    }
    fn branches(
        list: &[Value],
        names: &mut std::collections::HashMap<String, (Option<String>, Option<String>)>,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        for b in list {
            if let Some(p) = b.get("product") {
                full_name(p, names);
            }
            if let Some(children) = b.get("branches").and_then(Value::as_array) {
                branches(children, names, depth + 1);
            }
        }
    }
    let tree = doc.get("product_tree").unwrap_or(&Value::Null);
    for p in tree
        .get("full_product_names")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        full_name(p, &mut names);
    }
    if let Some(b) = tree.get("branches").and_then(Value::as_array) {
        branches(b, &mut names, 0);
    }
    let mut relations = std::collections::HashMap::new();
    for r in tree
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(id), Some(component), Some(product)) = (
            r.pointer("/full_product_name/product_id")
                .and_then(Value::as_str),
            r.get("product_reference").and_then(Value::as_str),
            r.get("relates_to_product_reference")
                .and_then(Value::as_str),
        ) else {
            continue;
        };
        if let Some(fp) = r.get("full_product_name") {
            full_name(fp, &mut names);
        }
        relations.insert(id.to_owned(), (component.to_owned(), product.to_owned()));
    }
    CsafProducts { names, relations }
}

fn parse_csaf(doc: &Value) -> Result<Vec<Statement>, VexError> {
    let products = csaf_products(doc);
    let product_of = |pid: &str, at: &str| -> Result<Product, VexError> {
        let lookup = |id: &str| -> Result<(String, Option<String>), VexError> {
            match products.names.get(id) {
                Some((name, purl)) => Ok((
                    purl.clone()
                        .or_else(|| name.clone())
                        .unwrap_or_else(|| id.to_owned()),
                    purl.clone(),
                )),
                None => Err(err(
                    at,
                    format!("product id `{id}` is not in the document's product_tree"),
                )),
            }
        };
        if let Some((component, product)) = products.relations.get(pid) {
            let (pid, ppurl) = lookup(product)?;
            let (cid, cpurl) = lookup(component)?;
            let mut c = component_of(&cid, None);
            if c.purl.is_none() {
                c.purl = cpurl;
            }
            return Ok(Product {
                id: pid,
                purl: ppurl,
                components: vec![c],
            });
        }
        let (id, purl) = lookup(pid)?;
        Ok(Product {
            components: Vec::new(),
            id,
            purl,
        })
    };
    let vulns = array(doc, "vulnerabilities", "document")?;
    let mut out = Vec::new();
    for (i, v) in vulns.iter().enumerate() {
        let at = format!("document.vulnerabilities[{i}]");
        let mut ids: Vec<String> = Vec::new();
        if let Some(c) = nonempty(v, "cve") {
            ids.push(c.to_owned());
        }
        for x in v.get("ids").and_then(Value::as_array).into_iter().flatten() {
            if let Some(t) = nonempty(x, "text") {
                ids.push(t.to_owned());
            }
        }
        if ids.is_empty() {
            return Err(err(
                format!("{at}.cve"),
                "names no vulnerability (`cve` or `ids`)",
            ));
        }
        let id = ids.remove(0);
        let flags = array(v, "flags", &at)?;
        let threats = array(v, "threats", &at)?;
        let status = v.get("product_status").unwrap_or(&Value::Null);
        let mut any = false;
        for (key, not_affected) in [
            ("known_not_affected", true),
            ("fixed", false),
            ("first_fixed", false),
            ("known_affected", false),
            ("first_affected", false),
            ("last_affected", false),
            ("under_investigation", false),
        ] {
            let list = array(status, key, &format!("{at}.product_status"))?;
            for (j, pid) in list.iter().enumerate() {
                any = true;
                let pat = format!("{at}.product_status.{key}[{j}]");
                let pid = pid
                    .as_str()
                    .ok_or_else(|| err(&pat, "must be a product id"))?;
                let product = product_of(pid, &pat)?;
                let names = |list: &Value| {
                    list.get("product_ids")
                        .and_then(Value::as_array)
                        .is_some_and(|l| l.iter().any(|x| x.as_str() == Some(pid)))
                };
                let justification = flags.iter().find(|f| names(f)).and_then(|f| {
                    nonempty(f, "label").map(|l| Justification {
                        format: VexFormat::Csaf,
                        label: l.to_owned(),
                    })
                });
                if let Some(j) = &justification
                    && !CSAF_FLAGS.contains(&j.label.as_str())
                {
                    return Err(err(
                        format!("{at}.flags"),
                        format!("`{}` is not a CSAF flag label", j.label),
                    ));
                }
                let detail = threats
                    .iter()
                    .find(|t| nonempty(t, "category") == Some("impact") && names(t))
                    .and_then(|t| nonempty(t, "details"))
                    .map(str::to_owned);
                if not_affected && justification.is_none() && detail.is_none() {
                    return Err(err(
                        pat,
                        "known_not_affected needs a flag or an impact threat naming the product (CSAF VEX profile)",
                    ));
                }
                out.push(Statement {
                    location: pat,
                    vulnerability: id.clone(),
                    aliases: ids.clone(),
                    products: vec![product],
                    status: key.to_owned(),
                    not_affected,
                    justification,
                    detail,
                });
            }
        }
        if !any {
            return Err(err(format!("{at}.product_status"), "names no products"));
        }
    }
    Ok(out)
}

/// A package URL's parts (`pkg:type/namespace/name@version?qualifiers#subpath`), decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = bytes.get(i + 1..i + 3)
            && let Ok(h) = std::str::from_utf8(h)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// OpenVEX identifies products by IRI: a resource id that is not one (a host's `i-0abc`, a
/// name) is written as `urn:vigil:resource:<percent-encoded id>` and read back as the id.
pub const RESOURCE_URN: &str = "urn:vigil:resource:";

fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        && !rest.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

/// `id` as an IRI (itself when it is one).
pub fn resource_iri(id: &str) -> String {
    if is_iri(id) && !id.starts_with(RESOURCE_URN) {
        return id.to_owned();
    }
    let mut out = String::from(RESOURCE_URN);
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Purl {
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.trim().strip_prefix("pkg:")?;
        let rest = rest.split('#').next().unwrap_or(rest);
        let rest = rest.split('?').next().unwrap_or(rest);
        let (path, version) = match rest.rsplit_once('@') {
            // an `@` in the path (an npm scope, percent-encoded or not) precedes a `/`
            Some((p, v)) if !v.contains('/') => (p, Some(percent_decode(v))),
            _ => (rest, None),
        };
        let path = path.trim_matches('/');
        let (ty, path) = path.split_once('/')?;
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, n)) => (Some(percent_decode(ns)), percent_decode(n)),
            None => (None, percent_decode(path)),
        };
        if ty.is_empty() || name.is_empty() {
            return None;
        }
        Some(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
        })
    }

    /// The package name as inspector2 findings show it (`@scope/name` for npm, `group:artifact`
    /// for Maven, `namespace/name` for Go modules, the bare name otherwise).
    pub fn display_name(&self) -> String {
        match (self.ty.as_str(), &self.namespace) {
            ("npm" | "golang" | "composer", Some(ns)) => format!("{ns}/{}", self.name),
            ("maven", Some(ns)) => format!("{ns}:{}", self.name),
            _ => self.name.clone(),
        }
    }

    /// `pkg:type/namespace/name` (no version, qualifiers or subpath), for comparing packages.
    pub fn base(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("pkg:{}/{}/{}", self.ty, ns, self.name),
            None => format!("pkg:{}/{}", self.ty, self.name),
        }
    }
}

/// What a written statement says of its products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportStatus {
    /// Not affected (a suppression, a distribution's judgement).
    NotAffected,
    /// Affected (a finding); `action` says what to do.
    Affected { action: String },
}

/// A statement to write: one vulnerability, the products it is about, why (not) affected.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportStatement {
    pub status: ExportStatus,
    pub vulnerability: String,
    pub aliases: Vec<String>,
    pub products: Vec<Product>,
    pub justification: Option<Justification>,
    /// The impact statement (the suppression rule's reason).
    pub detail: Option<String>,
    /// RFC 3339.
    pub timestamp: String,
}

/// OpenVEX 0.2.0: one statement per [`ExportStatement`] (`not_affected` with a justification
/// and/or impact statement, or `affected` with an action statement).
pub fn to_openvex(statements: &[ExportStatement], author: &str) -> Value {
    let now = crate::time_value::now_rfc3339();
    let list: Vec<Value> = statements
        .iter()
        .map(|s| {
            let mut vuln = json!({"name": s.vulnerability});
            if !s.aliases.is_empty() {
                vuln["aliases"] = json!(s.aliases);
            }
            let products: Vec<Value> = s
                .products
                .iter()
                .map(|p| {
                    let mut o = json!({"@id": resource_iri(&p.id)});
                    if let Some(purl) = &p.purl {
                        o["identifiers"] = json!({"purl": purl});
                    }
                    let subs: Vec<Value> = p
                        .components
                        .iter()
                        .filter_map(|c| {
                            let purl = c.purl.as_ref()?;
                            Some(json!({"@id": purl, "identifiers": {"purl": purl}}))
                        })
                        .collect();
                    if !subs.is_empty() {
                        o["subcomponents"] = Value::Array(subs);
                    }
                    o
                })
                .collect();
            let mut st = Map::new();
            st.insert("vulnerability".into(), vuln);
            st.insert("timestamp".into(), json!(s.timestamp));
            st.insert("products".into(), Value::Array(products));
            if let ExportStatus::Affected { action } = &s.status {
                st.insert("status".into(), json!("affected"));
                st.insert("action_statement".into(), json!(action));
                return Value::Object(st);
            }
            st.insert("status".into(), json!("not_affected"));
            if let Some(j) = &s.justification {
                st.insert("justification".into(), json!(j.to(VexFormat::OpenVex)));
            }
            // OpenVEX: not_affected needs a justification or an impact statement
            let detail = s.detail.clone().or_else(|| {
                s.justification
                    .is_none()
                    .then(|| "suppressed in Vigil".to_owned())
            });
            if let Some(d) = detail {
                st.insert("impact_statement".into(), json!(d));
            }
            Value::Object(st)
        })
        .collect();
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "author": author,
        "role": "Vigil suppression rules",
        "timestamp": now,
        "version": 1,
        "tooling": format!("vigil {}", env!("CARGO_PKG_VERSION")),
        "statements": list,
    })
}

/// A CycloneDX 1.6 VEX `vulnerabilities[]` entry saying `not_affected` for `refs`.
pub(crate) fn cyclonedx_not_affected(
    id: &str,
    source: Option<&str>,
    justification: Option<&str>,
    detail: Option<&str>,
    refs: Vec<Value>,
) -> Value {
    let mut analysis = json!({"state": "not_affected"});
    if let Some(j) = justification {
        analysis["justification"] = json!(j);
    }
    if let Some(d) = detail {
        analysis["detail"] = json!(d);
    }
    let mut v = json!({"id": id, "analysis": analysis, "affects": refs});
    if let Some(s) = source {
        v["source"] = json!({"name": s});
    }
    v
}

/// A CycloneDX 1.6 document around `components` and `vulnerabilities`.
pub(crate) fn cyclonedx_document(
    metadata_component: Option<Value>,
    components: Vec<Value>,
    vulnerabilities: Vec<Value>,
) -> Value {
    let mut metadata = json!({
        "timestamp": crate::time_value::now_rfc3339(),
        "tools": { "components": [{ "type": "application", "name": "vigil", "version": env!("CARGO_PKG_VERSION") }] },
    });
    if let Some(c) = metadata_component {
        metadata["component"] = c;
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "vulnerabilities": vulnerabilities,
    })
}

/// CycloneDX 1.6 VEX: each product a component (a resource: `container`/`application` with
/// the `vigil:resourceId` property, its packages nested as `library` components; a package:
/// one `library`), each statement a vulnerability whose `affects` point at the packages.
pub fn to_cyclonedx(statements: &[ExportStatement]) -> Value {
    let mut components: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let mut vulns = Vec::new();
    let library = |bom_ref: &str, c: &Component| -> Value {
        let mut o = json!({
            "type": "library",
            "bom-ref": bom_ref,
            "name": c.name.clone().unwrap_or_else(|| bom_ref.to_owned()),
        });
        if let Some(v) = &c.version {
            o["version"] = json!(v);
        }
        if let Some(p) = &c.purl {
            o["purl"] = json!(p);
        }
        o
    };
    for s in statements {
        let mut refs = Vec::new();
        for p in &s.products {
            let resource = p.resource_scope().is_some() && !p.components.is_empty();
            if resource {
                let idx = *seen.entry(format!("resource:{}", p.id)).or_insert_with(|| {
                    let mut o = json!({
                        "type": if p.id.starts_with("sha256:") || p.purl.as_deref().is_some_and(|u| u.starts_with("pkg:oci/")) { "container" } else { "application" },
                        "bom-ref": format!("resource:{}", p.id),
                        "name": p.id,
                        "properties": [{"name": "vigil:resourceId", "value": p.id}],
                        "components": [],
                    });
                    if let Some(u) = &p.purl {
                        o["purl"] = json!(u);
                    }
                    components.push(o);
                    components.len() - 1
                });
                for c in &p.components {
                    let key = c
                        .purl
                        .clone()
                        .or_else(|| c.name.clone())
                        .unwrap_or_default();
                    let bom_ref = format!("{}|{key}", p.id);
                    if let Some(children) = components[idx]
                        .get_mut("components")
                        .and_then(Value::as_array_mut)
                        && !children.iter().any(|x| x["bom-ref"] == json!(bom_ref))
                    {
                        children.push(library(&bom_ref, c));
                    }
                    refs.push(json!({"ref": bom_ref}));
                }
            } else {
                let c = p.components.first().cloned().unwrap_or_else(|| Component {
                    purl: p.purl.clone(),
                    name: Some(p.id.clone()),
                    version: None,
                });
                let bom_ref = c.purl.clone().unwrap_or_else(|| p.id.clone());
                if !seen.contains_key(&bom_ref) {
                    seen.insert(bom_ref.clone(), components.len());
                    components.push(library(&bom_ref, &c));
                }
                refs.push(json!({"ref": bom_ref}));
            }
        }
        let mut v = cyclonedx_not_affected(
            &s.vulnerability,
            None,
            s.justification
                .as_ref()
                .map(|j| j.to(VexFormat::CycloneDx))
                .as_deref(),
            s.detail.as_deref(),
            refs,
        );
        if let ExportStatus::Affected { action } = &s.status {
            v["analysis"] = json!({"state": "exploitable", "detail": action});
        }
        if !s.aliases.is_empty() {
            v["references"] = Value::Array(
                s.aliases
                    .iter()
                    .map(|a| json!({"id": a, "source": {"name": "vigil"}}))
                    .collect(),
            );
        }
        v["analysis"]["lastUpdated"] = json!(s.timestamp);
        vulns.push(v);
    }
    cyclonedx_document(None, components, vulns)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn purls_parse() {
        let p = Purl::parse("pkg:npm/%40babel/core@7.1.0?x=1#sub").unwrap();
        assert_eq!(p.display_name(), "@babel/core");
        assert_eq!(p.version.as_deref(), Some("7.1.0"));
        assert_eq!(p.base(), "pkg:npm/@babel/core");
        let p = Purl::parse("pkg:maven/org.a/b@1").unwrap();
        assert_eq!(p.display_name(), "org.a:b");
        let p = Purl::parse("pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64").unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_deref()),
            ("openssl", Some("3.0.11-1~deb12u2"))
        );
        let p = Purl::parse("pkg:oci/demo@sha256%3Aabc").unwrap();
        assert_eq!(p.version.as_deref(), Some("sha256:abc"));
        assert!(Purl::parse("sha256:abc").is_none());
        assert!(Purl::parse("pkg:npm").is_none());
    }

    #[test]
    fn openvex_statements_read_with_locations() {
        let doc = json!({
            "@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
            "statements": [
                {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "sha256:aa", "subcomponents": [{"@id": "pkg:pypi/jinja2@2.10"}]}],
                 "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
                {"vulnerability": {"name": "CVE-2"}, "products": [{"@id": "pkg:npm/lodash@4.17.20"}], "status": "fixed"},
            ]
        });
        let (f, s) = parse(&doc, None).unwrap();
        assert_eq!(f, VexFormat::OpenVex);
        assert_eq!(s.len(), 2);
        assert!(s[0].not_affected && !s[1].not_affected);
        assert_eq!(
            s[0].products[0].resource_scope(),
            Some(ResourceScope::ResourceId("sha256:aa".into()))
        );
        assert_eq!(
            s[0].products[0].components[0].name.as_deref(),
            Some("jinja2")
        );
        assert_eq!(s[1].products[0].resource_scope(), None);
        assert_eq!(
            s[1].products[0].purl.as_deref(),
            Some("pkg:npm/lodash@4.17.20")
        );
        assert!(s[1].products[0].components.is_empty());
        assert_eq!(
            Component::from_id("pkg:npm/lodash@4.17.20")
                .version
                .as_deref(),
            Some("4.17.20")
        );

        let mut bad = doc.clone();
        bad["statements"][1]["products"] = json!([]);
        assert_eq!(
            parse(&bad, None).unwrap_err().to_string(),
            "document.statements[1].products: empty"
        );
        let mut bad = doc.clone();
        bad["statements"][0]
            .as_object_mut()
            .unwrap()
            .remove("justification");
        assert!(parse(&bad, None).unwrap_err().location == "document.statements[0]");
        let mut empty = doc.clone();
        empty["statements"] = json!([]);
        assert_eq!(
            parse(&empty, None).unwrap_err().to_string(),
            "document.statements: empty: no statement to import"
        );
        assert_eq!(
            parse(&doc, Some(VexFormat::Csaf)).unwrap_err().to_string(),
            "format: is CSAF but the document is OPENVEX"
        );
        let mut bad = doc;
        bad["statements"][0]["justification"] = json!("because");
        assert_eq!(
            parse(&bad, None).unwrap_err().location,
            "document.statements[0].justification"
        );
        assert_eq!(
            parse(&json!({"a": 1}), None).unwrap_err().location,
            "document"
        );
    }

    #[test]
    fn cyclonedx_and_csaf_read() {
        let cdx = json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [{"type": "container", "bom-ref": "r", "name": "img", "properties": [{"name": "vigil:resourceId", "value": "sha256:aa"}],
                            "components": [{"type": "library", "bom-ref": "c1", "name": "jinja2", "version": "2.10", "purl": "pkg:pypi/jinja2@2.10"}]}],
            "vulnerabilities": [
                {"id": "CVE-1", "analysis": {"state": "false_positive", "detail": "d"}, "affects": [{"ref": "c1"}]},
                {"id": "CVE-2", "analysis": {"state": "resolved"}, "affects": [{"ref": "pkg:npm/x@1"}]},
            ]
        });
        let (f, s) = parse(&cdx, None).unwrap();
        assert_eq!(f, VexFormat::CycloneDx);
        assert!(s[0].not_affected);
        assert_eq!(s[0].products[0].id, "sha256:aa");
        assert_eq!(
            s[0].products[0].components[0].purl.as_deref(),
            Some("pkg:pypi/jinja2@2.10")
        );
        assert!(!s[1].not_affected);
        let mut bad = cdx;
        bad["vulnerabilities"][1]["affects"][0]["ref"] = json!("nowhere");
        assert_eq!(
            parse(&bad, None).unwrap_err().location,
            "document.vulnerabilities[1].affects[0].ref"
        );

        let csaf = json!({
            "document": {"csaf_version": "2.0", "category": "csaf_vex"},
            "product_tree": {
                "branches": [{"category": "vendor", "name": "v", "branches": [{"category": "product_name", "name": "img",
                    "product": {"product_id": "IMG", "name": "img", "product_identification_helper": {"purl": "pkg:oci/img@sha256%3Aaa"}}}]}],
                "full_product_names": [{"product_id": "JINJA", "name": "jinja2 2.10", "product_identification_helper": {"purl": "pkg:pypi/jinja2@2.10"}}],
                "relationships": [{"category": "default_component_of", "product_reference": "JINJA", "relates_to_product_reference": "IMG",
                                   "full_product_name": {"product_id": "IMG:JINJA", "name": "jinja2 in img"}}]
            },
            "vulnerabilities": [{"cve": "CVE-1",
                "product_status": {"known_not_affected": ["IMG:JINJA"], "fixed": ["JINJA"]},
                "flags": [{"label": "vulnerable_code_not_present", "product_ids": ["IMG:JINJA"]}]}]
        });
        let (f, s) = parse(&csaf, None).unwrap();
        assert_eq!(f, VexFormat::Csaf);
        assert_eq!(s.len(), 2);
        assert!(s[0].not_affected);
        assert_eq!(
            s[0].products[0].resource_scope(),
            Some(ResourceScope::ImageDigest("sha256:aa".into()))
        );
        assert_eq!(
            s[0].justification.as_ref().unwrap().label,
            "vulnerable_code_not_present"
        );
        assert!(!s[1].not_affected);
        let mut bad = csaf;
        bad["vulnerabilities"][0]["flags"] = json!([]);
        assert_eq!(
            parse(&bad, None).unwrap_err().location,
            "document.vulnerabilities[0].product_status.known_not_affected[0]"
        );
    }

    #[test]
    fn justifications_map_and_keep_their_own_label() {
        let j = Justification {
            format: VexFormat::CycloneDx,
            label: "protected_at_runtime".into(),
        };
        assert_eq!(j.to(VexFormat::CycloneDx), "protected_at_runtime");
        assert_eq!(j.to(VexFormat::OpenVex), "inline_mitigations_already_exist");
        let j = Justification {
            format: VexFormat::Csaf,
            label: "vulnerable_code_not_in_execute_path".into(),
        };
        assert_eq!(
            j.to(VexFormat::OpenVex),
            "vulnerable_code_not_in_execute_path"
        );
        assert_eq!(j.to(VexFormat::CycloneDx), "code_not_reachable");
    }

    #[test]
    fn resource_ids_become_iris_and_back() {
        assert_eq!(resource_iri("sha256:aa"), "sha256:aa");
        assert_eq!(
            resource_iri("arn:vigil:lambda:r:1:function:f:1"),
            "arn:vigil:lambda:r:1:function:f:1"
        );
        assert_eq!(resource_iri("i-0web 1"), "urn:vigil:resource:i-0web%201");
        assert_eq!(resource_iri("web-host"), "urn:vigil:resource:web-host");
        let st = ExportStatement {
            status: ExportStatus::NotAffected,
            vulnerability: "CVE-1".into(),
            aliases: Vec::new(),
            products: vec![Product {
                id: "i-0web 1".into(),
                purl: None,
                components: vec![component_of("pkg:pypi/jinja2@2.10", None)],
            }],
            justification: None,
            detail: None,
            timestamp: "2026-01-01T00:00:00Z".into(),
        };
        let doc = to_openvex(&[st], "me");
        assert_eq!(
            doc["statements"][0]["products"][0]["@id"],
            "urn:vigil:resource:i-0web%201"
        );
        assert_eq!(
            doc["statements"][0]["impact_statement"],
            "suppressed in Vigil"
        );
        let (_, back) = parse(&doc, None).unwrap();
        assert_eq!(
            back[0].products[0].resource_scope(),
            Some(ResourceScope::ResourceId("i-0web 1".into()))
        );
    }

    #[test]
    fn exports_read_back() {
        let st = ExportStatement {
            status: ExportStatus::NotAffected,
            vulnerability: "CVE-1".into(),
            aliases: vec!["GHSA-x".into()],
            products: vec![Product {
                id: "sha256:aa".into(),
                purl: None,
                components: vec![component_of("pkg:pypi/jinja2@2.10", None)],
            }],
            justification: Some(Justification {
                format: VexFormat::OpenVex,
                label: "vulnerable_code_not_present".into(),
            }),
            detail: Some("not used".into()),
            timestamp: "2026-01-01T00:00:00Z".into(),
        };
        for doc in [
            to_openvex(std::slice::from_ref(&st), "me"),
            to_cyclonedx(std::slice::from_ref(&st)),
        ] {
            let (_, back) = parse(&doc, None).unwrap();
            assert_eq!(back.len(), 1, "{doc}");
            assert_eq!(back[0].vulnerability, "CVE-1");
            assert!(back[0].not_affected);
            assert_eq!(back[0].products[0].id, "sha256:aa", "{doc}");
            assert_eq!(
                back[0].products[0].components[0].purl.as_deref(),
                Some("pkg:pypi/jinja2@2.10")
            );
            assert_eq!(back[0].detail.as_deref(), Some("not used"));
        }
    }
}
