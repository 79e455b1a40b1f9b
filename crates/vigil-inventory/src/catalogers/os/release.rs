//! The distribution: `/etc/os-release` and its fallbacks (`debian_version`, `alpine-release`,
//! `redhat-release`, `system-release`).

use crate::cataloger::{CatalogError, Cataloger, FileInput, Sink, Tags};
use vigil_source::EntryMeta;
use vigil_types::Distro;

/// Files that describe the distribution, most authoritative first.
const PATHS: &[&str] = &[
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/system-release",
    "/etc/redhat-release",
    "/etc/debian_version",
];

pub struct OsRelease;

impl Cataloger for OsRelease {
    fn name(&self) -> &'static str {
        "os-release"
    }
    fn tags(&self) -> Tags {
        Tags {
            os: true,
            installed: true,
        }
    }
    fn roots(&self) -> Option<&'static [&'static str]> {
        Some(&["/etc", "/usr/lib/os-release"])
    }
    fn wants(&self, path: &str, _meta: &EntryMeta) -> bool {
        PATHS.contains(&path)
    }
    fn catalog(&self, file: &mut FileInput<'_>, out: &mut Sink) -> Result<(), CatalogError> {
        let text = file.read_string()?;
        let parsed = match file.path {
            "/etc/os-release" | "/usr/lib/os-release" => parse_os_release(&text),
            "/etc/alpine-release" => simple("alpine", text.trim(), None),
            "/etc/debian_version" => parse_debian_version(&text),
            _ => parse_release_line(&text),
        };
        match parsed {
            Some(mut d) => {
                d.path = file.path.to_owned();
                out.distro(d);
                Ok(())
            }
            None => Err(CatalogError::parse("no distribution id found")),
        }
    }
}

/// Pick the most authoritative distribution description.
pub fn pick_distro(found: &[&Distro]) -> Option<Distro> {
    PATHS
        .iter()
        .find_map(|p| found.iter().find(|d| d.path == *p))
        .map(|d| (*d).clone())
}

fn simple(id: &str, version: &str, codename: Option<String>) -> Option<Distro> {
    let version = version.trim();
    (!version.is_empty()).then(|| Distro {
        id: id.to_owned(),
        version_id: Some(version.to_owned()),
        codename,
        ..Default::default()
    })
}

/// Parse os-release(5): shell-style `KEY=value` with optional quotes and backslash escapes.
pub fn parse_os_release(text: &str) -> Option<Distro> {
    let mut d = Distro::default();
    let mut name = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = unquote(v.trim());
        match k.trim() {
            "ID" => d.id = v.to_ascii_lowercase(),
            "VERSION_ID" => d.version_id = Some(v),
            "VERSION_CODENAME" => d.codename = Some(v),
            "PRETTY_NAME" => d.pretty_name = Some(v),
            "NAME" => name = Some(v),
            "ID_LIKE" => d.id_like = v.split_whitespace().map(str::to_owned).collect(),
            _ => {}
        }
    }
    if d.id.is_empty() {
        return None;
    }
    if d.pretty_name.is_none() {
        d.pretty_name = name;
    }
    Some(d)
}

fn unquote(v: &str) -> String {
    let inner = if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_debian_version(text: &str) -> Option<Distro> {
    let v = text.trim();
    if v.is_empty() {
        return None;
    }
    // "12.5" -> 12; "bookworm/sid" -> testing/unstable, version unknown
    match v
        .split('.')
        .next()
        .filter(|m| m.bytes().all(|b| b.is_ascii_digit()) && !m.is_empty())
    {
        Some(major) => simple("debian", major, None),
        None => Some(Distro {
            id: "debian".into(),
            codename: v.split('/').next().map(str::to_owned),
            ..Default::default()
        }),
    }
}

/// `Red Hat Enterprise Linux release 8.9 (Ootpa)`, `CentOS Linux release 7.9.2009 (Core)`,
/// `Amazon Linux release 2 (Karoo)`, `Amazon Linux AMI release 2018.03`, `Fedora release 39`.
fn parse_release_line(text: &str) -> Option<Distro> {
    let line = text.lines().next()?.trim();
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?;
    let lname = name.to_ascii_lowercase();
    let id = if lname.starts_with("red hat") {
        "rhel"
    } else if lname.starts_with("centos") {
        "centos"
    } else if lname.starts_with("amazon linux") {
        "amzn"
    } else if lname.starts_with("rocky") {
        "rocky"
    } else if lname.starts_with("almalinux") {
        "almalinux"
    } else if lname.starts_with("fedora") {
        "fedora"
    } else if lname.starts_with("oracle") {
        "ol"
    } else {
        return None;
    };
    let version = if id == "centos" || id == "rhel" {
        // 7.9.2009 -> 7.9; os-release VERSION_ID uses major.minor for RHEL and major for CentOS
        let mut parts = version.split('.');
        match (parts.next(), parts.next()) {
            (Some(a), Some(b)) if id == "rhel" => format!("{a}.{b}"),
            (Some(a), _) => a.to_owned(),
            _ => version.to_owned(),
        }
    } else {
        version.to_owned()
    };
    let codename = rest
        .split_once('(')
        .and_then(|(_, c)| c.split_once(')'))
        .map(|(c, _)| c.to_owned());
    let mut d = simple(id, &version, codename)?;
    d.pretty_name = Some(line.to_owned());
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_debian() {
        let d = parse_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        )
        .expect("parsed");
        assert_eq!(d.id, "debian");
        assert_eq!(d.version_id.as_deref(), Some("12"));
        assert_eq!(d.codename.as_deref(), Some("bookworm"));
    }

    #[test]
    fn release_lines() {
        let d = parse_release_line("Amazon Linux release 2 (Karoo)\n").expect("amzn");
        assert_eq!(
            (d.id.as_str(), d.version_id.as_deref()),
            ("amzn", Some("2"))
        );
        let d = parse_release_line("CentOS Linux release 7.9.2009 (Core)").expect("centos");
        assert_eq!(
            (d.id.as_str(), d.version_id.as_deref()),
            ("centos", Some("7"))
        );
        let d = parse_release_line("Red Hat Enterprise Linux release 8.9 (Ootpa)").expect("rhel");
        assert_eq!(
            (d.id.as_str(), d.version_id.as_deref()),
            ("rhel", Some("8.9"))
        );
        assert!(parse_release_line("garbage").is_none());
    }

    #[test]
    fn debian_version_fallback() {
        assert_eq!(
            parse_debian_version("12.5\n")
                .and_then(|d| d.version_id)
                .as_deref(),
            Some("12")
        );
        assert_eq!(
            parse_debian_version("trixie/sid")
                .and_then(|d| d.codename)
                .as_deref(),
            Some("trixie")
        );
    }
}
