//! `requirements*.txt`: pinned requirements (`name==version`, `name===version`).
//! Unpinned lines say nothing exact about what gets installed and are not reported.

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags, file_name};
use vigil_source::EntryMeta;
use vigil_types::{Ecosystem, Package};

pub struct Requirements;

const NAME: &str = "python-requirements";

impl Cataloger for Requirements {
    fn name(&self) -> &'static str {
        NAME
    }
    fn tags(&self) -> Tags {
        Tags {
            os: false,
            installed: false,
        }
    }
    fn wants(&self, path: &str, meta: &EntryMeta) -> bool {
        let n = file_name(path);
        n.ends_with(".txt") && n.contains("requirements") && meta.size < (8 << 20)
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        for p in parse_requirements(&text) {
            out.package(p);
        }
        Ok(())
    }
}

pub fn parse_requirements(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut logical = String::new();
    for raw in text.lines() {
        let line = match raw.find(" #") {
            Some(i) => &raw[..i],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        if let Some(cont) = line.trim_end().strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let l = std::mem::take(&mut logical);
        if let Some(p) = parse_line(&l) {
            out.push(p);
        }
    }
    out
}

fn parse_line(line: &str) -> Option<Package> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    // drop environment markers and options such as --hash
    let line = line.split(';').next()?.trim();
    let line = line.split(" --").next()?.trim();
    let (name_part, version) = if let Some((n, v)) = line.split_once("===") {
        (n, v)
    } else {
        let (n, v) = line.split_once("==")?;
        (n, v)
    };
    let version = version.trim();
    if version.is_empty() || version.contains('*') || version.contains(',') || version.contains(' ')
    {
        return None;
    }
    let name = name_part.split('[').next()?.trim();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    valid.then(|| Package::new(Ecosystem::PyPi, name, version, NAME).declared())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_only() {
        let t = "# comment\nrequests==2.25.1\nflask>=1.0\nDjango[argon2]==3.2.0 ; python_version >= '3.8'\nurllib3==1.26.4 \\\n    --hash=sha256:abc\n-r other.txt\nfoo==1.*\n";
        let p = parse_requirements(t);
        let names: Vec<_> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("requests", "2.25.1"),
                ("Django", "3.2.0"),
                ("urllib3", "1.26.4")
            ]
        );
    }
}
