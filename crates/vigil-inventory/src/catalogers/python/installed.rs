//! Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, single-file
//! `*.egg-info` (as Debian ships them) and `EGG-INFO/PKG-INFO` inside eggs.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct PythonInstalled;

const NAME: &str = "python-installed";

impl Cataloger for PythonInstalled {
    fn name(&self) -> &'static str {
        NAME
    }
    fn tags(&self) -> Tags {
        Tags {
            os: false,
            installed: true,
        }
    }
    fn wants(&self, path: &str, _meta: &EntryMeta) -> bool {
        let Some((dir, name)) = path.rsplit_once('/') else {
            return false;
        };
        (name == "METADATA" && dir.ends_with(".dist-info"))
            || (name == "PKG-INFO" && (dir.ends_with(".egg-info") || dir.ends_with("/EGG-INFO")))
            || name.ends_with(".egg-info")
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        match parse_metadata(&text) {
            Some(p) => {
                out.package(p);
                Ok(())
            }
            None => Err(CatalogError::parse(
                "no `Name` and `Version` in the metadata headers",
            )),
        }
    }
}

/// Parse core metadata (PEP 566/643 headers; the body after the first blank line is ignored).
pub fn parse_metadata(text: &str) -> Option<Package> {
    let mut name = None;
    let mut version = None;
    let mut license_expr = None;
    let mut license = None;
    let mut classifiers = Vec::new();
    let mut last_key = String::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if last_key.eq_ignore_ascii_case("License") {
                // multi-line licence texts: keep only the first line
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        last_key = k.to_owned();
        match k.to_ascii_lowercase().as_str() {
            "name" => name = Some(v.to_owned()),
            "version" => version = Some(v.to_owned()),
            "license-expression" => license_expr = Some(v.to_owned()),
            "license" if !v.is_empty() && !v.eq_ignore_ascii_case("unknown") && v.len() < 100 => {
                license = Some(v.to_owned());
            }
            "classifier" => {
                if let Some(l) = v.strip_prefix("License :: ") {
                    let l = l.rsplit(" :: ").next().unwrap_or(l);
                    classifiers.push(l.to_owned());
                }
            }
            _ => {}
        }
    }
    let (name, version) = (name?, version?);
    if name.is_empty() || version.is_empty() {
        return None;
    }
    let mut p = Package::new(Ecosystem::PyPi, name, version, NAME);
    p.licenses = match (license_expr, license) {
        (Some(e), _) => vec![e],
        (None, Some(l)) => vec![l],
        (None, None) => classifiers
            .into_iter()
            .filter(|c| c != "OSI Approved")
            .collect(),
    };
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_not_body() {
        let m = "Metadata-Version: 2.1\nName: requests\nVersion: 2.25.1\nLicense: Apache 2.0\nClassifier: License :: OSI Approved :: Apache Software License\n\nName: not-this\n";
        let p = parse_metadata(m).expect("package");
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("requests", "2.25.1")
        );
        assert_eq!(p.licenses, vec!["Apache 2.0".to_owned()]);
    }

    #[test]
    fn classifier_licences_when_no_licence_field() {
        let m = "Name: six\nVersion: 1.16.0\nClassifier: License :: OSI Approved :: MIT License\n";
        assert_eq!(
            parse_metadata(m).expect("p").licenses,
            vec!["MIT License".to_owned()]
        );
    }
}
