//! Encoders and decoders of [`Inventory`]: CycloneDX 1.6 JSON, SPDX 2.3 JSON, plain JSON and a
//! human-readable table.
//!
//! Vigil-specific facts (locations with layers, source packages, owners, catalogers) travel as
//! CycloneDX properties and SPDX package comments in the `vigil:` namespace, so that an SBOM
//! written by Vigil decodes back into the same inventory.

mod cyclonedx;
mod license;
mod spdx;
mod spdx_ids;
mod table;

use std::collections::BTreeMap;
use vigil_types::{
    Distro, Ecosystem, Inventory, LayerRef, Location, Note, NoteLevel, OwnerRef, Package,
    PackageKind, SourcePackage, TargetInfo,
};

pub use table::render_table;

/// Why an SBOM could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot encode JSON: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("invalid SBOM `{path}`: {message}")]
    Decode { path: String, message: String },
}

/// The plain JSON form: the inventory model itself.
pub fn to_json(inv: &Inventory) -> Result<String, Error> {
    Ok(serde_json::to_string_pretty(inv)?)
}

/// CycloneDX 1.6 JSON.
pub fn to_cyclonedx(inv: &Inventory) -> Result<String, Error> {
    cyclonedx::encode(inv)
}

/// SPDX 2.3 JSON.
pub fn to_spdx(inv: &Inventory) -> Result<String, Error> {
    spdx::encode(inv)
}

/// Decode a CycloneDX (1.4–1.6) or SPDX (2.2–2.3) JSON document; `path` names it in errors.
///
/// Packages come from purls (ecosystem from the purl type; name and version from the purl, else
/// from the document's own fields). Vigil's `vigil:` facts are read back in full; from other
/// tools, Syft's and Trivy's CycloneDX properties give catalogers, file paths, Trivy's layers and
/// source packages. The described target (`metadata.component`, the SPDX `DESCRIBES` root) is
/// not a package. Components that name no known ecosystem are counted in an info note.
pub fn decode(bytes: &[u8], path: &str) -> Result<Inventory, Error> {
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| Error::Decode {
        path: path.to_owned(),
        message: format!("not valid JSON: {e}"),
    })?;
    if doc.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
        cyclonedx::decode(&doc, path)
    } else if doc.get("spdxVersion").is_some() {
        spdx::decode(&doc, path)
    } else {
        Err(Error::Decode {
            path: path.to_owned(),
            message: "neither a CycloneDX (`bomFormat`) nor an SPDX (`spdxVersion`) JSON document"
                .into(),
        })
    }
}

pub(crate) fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// (CycloneDX component type, name, version) describing the scanned target.
pub(crate) fn bom_target(inv: &Inventory) -> (&'static str, String, Option<String>) {
    match &inv.target.image {
        Some(img) => (
            "container",
            img.tags
                .first()
                .cloned()
                .unwrap_or_else(|| inv.target.name.clone()),
            img.manifest_digest
                .clone()
                .or_else(|| Some(img.config_digest.clone())),
        ),
        None => ("file", inv.target.name.clone(), None),
    }
}

/// `name -> value` of the properties whose names start with `prefix` (prefix removed).
pub(crate) fn read_props(v: Option<&serde_json::Value>, prefix: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(arr) = v.and_then(|v| v.as_array()) {
        for p in arr {
            let (Some(n), Some(val)) = (
                p.get("name").and_then(|x| x.as_str()),
                p.get("value").and_then(|x| x.as_str()),
            ) else {
                continue;
            };
            if let Some(k) = n.strip_prefix(prefix) {
                out.entry(k.to_owned()).or_insert_with(|| val.to_owned());
            }
        }
    }
    out
}

/// Name and version as a document's own fields state them, for when the purl lacks them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fields<'a> {
    /// CycloneDX `group` (Maven groupId, npm scope); SPDX has none.
    pub group: Option<&'a str>,
    pub name: &'a str,
    pub version: &'a str,
}

/// A package from its purl plus `vigil:` properties (locations, source, kind, ...).
///
/// The ecosystem comes from the purl type; name and version from the purl when it has them,
/// else from `fields`. Without a usable purl, a `package:ecosystem` property (written by Vigil
/// for packages that have no purl) still identifies the package; otherwise `None`.
pub(crate) fn package_from(
    purl: Option<&str>,
    fields: Fields<'_>,
    props: &BTreeMap<String, String>,
    default_cataloger: &str,
) -> Option<Package> {
    let parsed = purl
        .filter(|p| !p.is_empty())
        .and_then(|p| Some((p, p.parse::<packageurl::PackageUrl<'_>>().ok()?)))
        .and_then(|(p, u)| {
            let eco = match u.ty() {
                "golang" => Ecosystem::Go,
                t => Ecosystem::from_name(t)?,
            };
            Some((p, u, eco))
        });
    let mut qualifiers: Vec<(String, String)> = Vec::new();
    let (eco, name, mut version, purl) = match &parsed {
        Some((p, u, eco)) => {
            qualifiers = u
                .qualifiers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let ns = u.namespace().filter(|n| !n.is_empty());
            (
                *eco,
                join_name(*eco, ns, u.name()),
                u.version().unwrap_or("").to_owned(),
                (*p).to_owned(),
            )
        }
        None => {
            let eco = props
                .get("package:ecosystem")
                .and_then(|e| Ecosystem::from_name(e))?;
            if fields.name.is_empty() {
                return None;
            }
            let group = fields.group.filter(|g| !g.is_empty());
            (
                eco,
                join_name(eco, group, fields.name),
                String::new(),
                String::new(),
            )
        }
    };
    if version.is_empty() {
        fields.version.clone_into(&mut version);
    }
    // purls spell some names in a canonical form (PyPI lowercased with `-`); the component's
    // own name keeps the package's spelling (`Django`, `PyYAML`) when it is the same name
    let name = {
        let own = join_name(eco, fields.group.filter(|g| !g.is_empty()), fields.name);
        let canon = |n: &str| n.to_ascii_lowercase().replace(['_', '.'], "-");
        if !fields.name.is_empty() && own != name && canon(&own) == canon(&name) {
            own
        } else {
            name
        }
    };
    let qual = |k: &str| {
        qualifiers
            .iter()
            .find(|(qk, _)| qk == k)
            .map(|(_, v)| v.clone())
    };
    if matches!(eco, Ecosystem::Rpm | Ecosystem::Deb)
        && !version.contains(':')
        && let Some(e) = qual("epoch").filter(|e| e != "0")
    {
        version = format!("{e}:{version}");
    }
    let cataloger = props
        .get("package:cataloger")
        .cloned()
        .unwrap_or_else(|| default_cataloger.to_owned());
    let mut p = Package::new(eco, name, version, &cataloger);
    p.purl = purl;
    p.arch = props.get("package:arch").cloned().or_else(|| qual("arch"));
    if props.get("package:kind").map(String::as_str) == Some("declared") {
        p.kind = PackageKind::Declared;
    }
    p.source = match (
        props.get("package:sourceName"),
        props.get("package:sourceVersion"),
    ) {
        (Some(n), Some(v)) => Some(SourcePackage {
            name: n.clone(),
            version: v.clone(),
        }),
        _ => qual("upstream").map(|u| match u.split_once('@') {
            Some((n, v)) => SourcePackage {
                name: n.to_owned(),
                version: v.to_owned(),
            },
            None => SourcePackage {
                name: u.clone(),
                version: p.version.clone(),
            },
        }),
    };
    p.owner = props.get("package:ownedBy").and_then(|o| {
        let (e, n) = o.split_once(':')?;
        Some(OwnerRef {
            ecosystem: Ecosystem::from_name(e)?,
            name: n.to_owned(),
        })
    });
    for i in 0.. {
        let Some(path) = props.get(&format!("location:{i}:path")) else {
            break;
        };
        // a layer needs both its digest and its position; neither is guessed
        let index = props
            .get(&format!("location:{i}:layerIndex"))
            .and_then(|x| x.parse().ok());
        let layer = match (props.get(&format!("location:{i}:layerDigest")), index) {
            (Some(d), Some(index)) => Some(LayerRef {
                index,
                digest: d.clone(),
                diff_id: props.get(&format!("location:{i}:layerDiffId")).cloned(),
            }),
            _ => None,
        };
        p.locations.push(Location {
            path: path.clone(),
            layer,
        });
    }
    for (k, v) in props {
        if let Some(m) = k.strip_prefix("metadata:") {
            p.metadata.insert(m.to_owned(), v.clone());
        }
    }
    Some(p)
}

/// The package name as Vigil spells it from a namespace (purl namespace, CycloneDX group)
/// and a base name: Maven `group:artifact`, npm `@scope/name`, Go and Composer `a/b`.
fn join_name(eco: Ecosystem, ns: Option<&str>, base: &str) -> String {
    match (eco, ns) {
        (Ecosystem::Maven, Some(g)) => format!("{g}:{base}"),
        (Ecosystem::Npm | Ecosystem::Go | Ecosystem::Packagist, Some(n)) => format!("{n}/{base}"),
        _ => base.to_owned(),
    }
}

pub(crate) fn sbom_inventory(
    path: &str,
    distro: Option<Distro>,
    packages: Vec<Package>,
    skipped: usize,
) -> Inventory {
    let mut notes = Vec::new();
    if skipped > 0 {
        notes.push(Note {
            level: NoteLevel::Info,
            path: Some(path.to_owned()),
            layer: None,
            message: format!(
                "{skipped} components without a package URL of a known ecosystem were not read"
            ),
        });
    }
    Inventory {
        target: TargetInfo {
            kind: "sbom".into(),
            name: path.to_owned(),
            image: None,
        },
        distro,
        packages,
        notes,
    }
}
