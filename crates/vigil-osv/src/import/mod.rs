//! Reading advisory inputs: files, directories and zips of any supported format.
//!
//! [`read_path`] walks one input, detects each document's format ([`detect`]) and hands parsed
//! items to a callback. A malformed record or document becomes a [`Problem`] (with the file and,
//! where known, the record id) and is skipped; it never fails the import. Memory is bounded: a
//! document larger than [`MAX_DOCUMENT`] is refused, zip entries are read through a size limit
//! (so a zip bomb stops at the limit), and directory walks do not follow symlinks.

pub mod enrich;

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::Error;
use crate::model::Advisory;
use crate::native;

pub use enrich::{EpssEntry, KevEntry, NvdEntry};

/// The largest single document Vigil reads (the biggest real feeds files — Debian's CVE list,
/// NVD yearly feeds — are well below this).
pub const MAX_DOCUMENT: u64 = 256 << 20;

/// The formats Vigil imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// OSV JSON (one record).
    OsvJson,
    /// OSV YAML (one record).
    OsvYaml,
    /// RubySec `ruby-advisory-db` YAML.
    Rubysec,
    /// FriendsOfPHP `security-advisories` YAML.
    FriendsOfPhp,
    /// Node.js security WG npm/core JSON.
    NodejsWg,
    /// Debian security tracker `data/DSA/list`, `data/DLA/list`.
    DebianAdvisoryList,
    /// Debian security tracker `data/CVE/list`.
    DebianCveList,
    /// Alpine secdb (YAML or JSON).
    AlpineSecdb,
    /// CISA Known Exploited Vulnerabilities JSON.
    Kev,
    /// FIRST EPSS scores CSV.
    Epss,
    /// NVD CVE JSON (API 2.0 responses and feeds, or the 1.1 feeds).
    Nvd,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::OsvJson => "osv-json",
            Format::OsvYaml => "osv-yaml",
            Format::Rubysec => "rubysec",
            Format::FriendsOfPhp => "friendsofphp",
            Format::NodejsWg => "nodejs-wg",
            Format::DebianAdvisoryList => "debian-advisory-list",
            Format::DebianCveList => "debian-cve-list",
            Format::AlpineSecdb => "alpine-secdb",
            Format::Kev => "kev",
            Format::Epss => "epss",
            Format::Nvd => "nvd",
        }
    }
}

/// Something wrong with one document or record; the rest of the import goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file (and zip entry: `archive.zip!entry.json`).
    pub location: String,
    /// The record id, where the problem concerns one record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub message: String,
}

/// One parsed item.
#[derive(Debug, Clone)]
pub enum Item {
    Advisory(Box<Advisory>),
    Kev(KevEntry),
    Epss(EpssEntry),
    Nvd(NvdEntry),
}

/// What a document's content and name say its format is.
pub fn detect(name: &str, bytes: &[u8]) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    let file = lower.rsplit('/').next().unwrap_or(&lower);
    let head = &bytes[..bytes.len().min(4096)];
    let head_text = String::from_utf8_lossy(head);
    let trimmed = head_text.trim_start_matches('\u{feff}').trim_start();
    if looks_like_epss(trimmed) {
        return Some(Format::Epss);
    }
    if file.ends_with(".csv") || file.ends_with(".csv.gz") {
        // Other CSV (e.g. KEV's CSV twin of its JSON) is not a format Vigil reads.
        return None;
    }
    if file.ends_with(".json") || trimmed.starts_with('{') {
        if head_text.contains("\"catalogVersion\"") {
            return Some(Format::Kev);
        }
        if head_text.contains("\"NVD_CVE\"") || head_text.contains("\"CVE_Items\"") {
            return Some(Format::Nvd);
        }
        if head_text.contains("\"distroversion\"") {
            return Some(Format::AlpineSecdb);
        }
        if head_text.contains("\"module_name\"")
            || (head_text.contains("\"vulnerable\"") && head_text.contains("\"patched\""))
        {
            return Some(Format::NodejsWg);
        }
        return Some(Format::OsvJson);
    }
    if file.ends_with(".yaml") || file.ends_with(".yml") {
        if yaml_has_key(trimmed, "distroversion") {
            return Some(Format::AlpineSecdb);
        }
        if yaml_has_key(trimmed, "gem") || yaml_has_key(trimmed, "engine") {
            return Some(Format::Rubysec);
        }
        if yaml_has_key(trimmed, "branches") || yaml_has_key(trimmed, "reference") {
            return Some(Format::FriendsOfPhp);
        }
        return Some(Format::OsvYaml);
    }
    if file == "list" || file.ends_with(".list") {
        if lower.contains("cve/") || trimmed.starts_with("CVE-") {
            return Some(Format::DebianCveList);
        }
        if trimmed.starts_with('[') {
            return Some(Format::DebianAdvisoryList);
        }
        if lower.contains("cve") {
            return Some(Format::DebianCveList);
        }
        return Some(Format::DebianAdvisoryList);
    }
    None
}

fn looks_like_epss(text: &str) -> bool {
    text.starts_with("#model_version")
        || text.starts_with("cve,epss")
        || (text.starts_with("CVE-")
            && text
                .lines()
                .next()
                .is_some_and(|l| l.contains(';') || l.contains(',')))
}

fn yaml_has_key(text: &str, key: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
    })
}

/// Parse one document of a known format.
pub fn parse_document(
    format: Format,
    location: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
    out: &mut dyn FnMut(Item),
) -> Result<(), Error> {
    let advisories = |v: Vec<Advisory>, out: &mut dyn FnMut(Item)| {
        for a in v {
            out(Item::Advisory(Box::new(a)));
        }
    };
    match format {
        Format::OsvJson => out(Item::Advisory(Box::new(Advisory::from_json(bytes)?))),
        Format::OsvYaml => out(Item::Advisory(Box::new(Advisory::from_yaml(bytes)?))),
        Format::Rubysec => advisories(native::rubysec::parse(location, bytes, problems)?, out),
        Format::FriendsOfPhp => {
            advisories(native::friendsofphp::parse(location, bytes, problems)?, out)
        }
        Format::NodejsWg => advisories(native::nodejs::parse(location, bytes, problems)?, out),
        Format::DebianAdvisoryList => advisories(
            native::debian::parse_advisory_list(location, bytes, problems)?,
            out,
        ),
        Format::DebianCveList => advisories(
            native::debian::parse_cve_list(location, bytes, problems)?,
            out,
        ),
        Format::AlpineSecdb => advisories(native::alpine::parse(location, bytes, problems)?, out),
        Format::Kev => enrich::parse_kev(bytes, &mut |e| out(Item::Kev(e)))?,
        Format::Epss => enrich::parse_epss(location, bytes, problems, &mut |e| out(Item::Epss(e)))?,
        Format::Nvd => enrich::parse_nvd(bytes, problems, location, &mut |e| out(Item::Nvd(e)))?,
    }
    Ok(())
}

/// Walk one input path (file, directory or zip) and parse every document in it.
pub fn read_path(
    path: &Path,
    problems: &mut Vec<Problem>,
    out: &mut dyn FnMut(Format, Item),
) -> Result<(), Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let p = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if ft.is_symlink() || name.starts_with('.') {
                continue;
            }
            if ft.is_dir() || is_candidate(&name) {
                if let Err(e) = read_path(&p, problems, out) {
                    problems.push(Problem {
                        location: p.display().to_string(),
                        id: None,
                        message: e.to_string(),
                    });
                }
            }
        }
        return Ok(());
    }
    let location = path.display().to_string();
    if meta.len() > MAX_DOCUMENT && !is_zip_name(&location) {
        return Err(Error::Input(format!(
            "`{location}` is larger than {} MiB",
            MAX_DOCUMENT >> 20
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 4];
    {
        use std::io::Seek;
        let mut f = &file;
        let n = f.read(&mut magic).map_err(|e| Error::io(path, e))?;
        f.seek(std::io::SeekFrom::Start(0))
            .map_err(|e| Error::io(path, e))?;
        if n == 4 && magic == *b"PK\x03\x04" {
            return read_zip(file, &location, problems, out);
        }
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&file)
        .take(MAX_DOCUMENT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    let bytes = gunzip_if_needed(&location, bytes)?;
    document(&location, &location, &bytes, problems, out);
    Ok(())
}

fn is_zip_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip")
}

fn is_candidate(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        ".json", ".yaml", ".yml", ".zip", ".csv", ".csv.gz", ".json.gz",
    ]
    .iter()
    .any(|s| n.ends_with(s))
        || n == "list"
        || n.ends_with(".list")
}

fn gunzip_if_needed(location: &str, bytes: Vec<u8>) -> Result<Vec<u8>, Error> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .take(MAX_DOCUMENT + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::Input(format!("`{location}`: bad gzip data: {e}")))?;
        if out.len() as u64 > MAX_DOCUMENT {
            return Err(Error::Input(format!(
                "`{location}`: decompresses to more than {} MiB",
                MAX_DOCUMENT >> 20
            )));
        }
        return Ok(out);
    }
    Ok(bytes)
}

fn document(
    location: &str,
    name: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
    out: &mut dyn FnMut(Format, Item),
) {
    let Some(format) = detect(name, bytes) else {
        problems.push(Problem {
            location: location.to_owned(),
            id: None,
            message: "not a supported advisory format".into(),
        });
        return;
    };
    let mut local = Vec::new();
    let r = parse_document(format, location, bytes, &mut local, &mut |item| {
        out(format, item)
    });
    problems.extend(local);
    if let Err(e) = r {
        let (id, message) = match &e {
            Error::Record(m) => (record_id(m), m.clone()),
            other => (None, other.to_string()),
        };
        problems.push(Problem {
            location: location.to_owned(),
            id,
            message,
        });
    }
}

/// Pull a leading `` `ID`: `` out of a record error message.
fn record_id(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix('`')?;
    let end = rest.find("`:")?;
    Some(rest[..end].to_owned())
}

fn read_zip(
    file: std::fs::File,
    location: &str,
    problems: &mut Vec<Problem>,
    out: &mut dyn FnMut(Format, Item),
) -> Result<(), Error> {
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| Error::Input(format!("`{location}`: not a readable zip: {e}")))?;
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem {
                    location: format!("{location}!#{i}"),
                    id: None,
                    message: format!("bad zip entry: {e}"),
                });
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        let loc = format!("{location}!{name}");
        let base = name.rsplit('/').next().unwrap_or(&name);
        if base.starts_with('.')
            || !is_candidate(base)
            || base.to_ascii_lowercase().ends_with(".zip")
        {
            continue;
        }
        buf.clear();
        match (&mut entry).take(MAX_DOCUMENT + 1).read_to_end(&mut buf) {
            Ok(_) if buf.len() as u64 > MAX_DOCUMENT => {
                problems.push(Problem {
                    location: loc,
                    id: None,
                    message: format!(
                        "entry decompresses to more than {} MiB; skipped",
                        MAX_DOCUMENT >> 20
                    ),
                });
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                problems.push(Problem {
                    location: loc,
                    id: None,
                    message: format!("bad zip entry data: {e}"),
                });
                continue;
            }
        }
        let bytes = match gunzip_if_needed(&loc, std::mem::take(&mut buf)) {
            Ok(b) => b,
            Err(e) => {
                problems.push(Problem {
                    location: loc,
                    id: None,
                    message: e.to_string(),
                });
                continue;
            }
        };
        document(&loc, &name, &bytes, problems, out);
        buf = bytes;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_walks_pick_up_every_format() {
        for name in [
            "all.zip",
            "DSA.list",
            "list",
            "x.yaml",
            "epss.csv.gz",
            "main.json",
        ] {
            assert!(is_candidate(name), "{name}");
        }
        assert!(!is_candidate("README.md") && !is_candidate("LICENSE.txt"));
    }

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect("a/GO-2020-0001.json", b"{\"id\":\"GO-2020-0001\"}"),
            Some(Format::OsvJson)
        );
        assert_eq!(
            detect("x.json", b"{\"title\":\"CISA\",\"catalogVersion\":\"1\"}"),
            Some(Format::Kev)
        );
        assert_eq!(
            detect("gems/rack/CVE-1.yml", b"---\ngem: rack\ncve: 2020-1\n"),
            Some(Format::Rubysec)
        );
        assert_eq!(
            detect(
                "symfony/x/CVE-1.yaml",
                b"title: x\nreference: composer://a/b\nbranches:\n"
            ),
            Some(Format::FriendsOfPhp)
        );
        assert_eq!(
            detect("vulns/p/PYSEC-1.yaml", b"id: PYSEC-1\nmodified: x\n"),
            Some(Format::OsvYaml)
        );
        assert_eq!(
            detect("v3.10/main.yaml", b"---\ndistroversion: v3.10\n"),
            Some(Format::AlpineSecdb)
        );
        assert_eq!(
            detect("data/DSA/list", b"[29 Mar 2023] DSA-5380-1 x"),
            Some(Format::DebianAdvisoryList)
        );
        assert_eq!(
            detect("data/CVE/list", b"CVE-2023-1 (x)\n"),
            Some(Format::DebianCveList)
        );
        assert_eq!(
            detect("epss.csv", b"cve,epss,percentile\n"),
            Some(Format::Epss)
        );
        assert_eq!(
            detect("CVE_2020_EPSS.csv", b"CVE-2020-0001;0.1;0.2\n"),
            Some(Format::Epss)
        );
        assert_eq!(detect("kev.csv", b"cveID,vendorProject\n"), None);
        assert_eq!(
            detect("vuln/npm/1.json", b"{\"id\":1,\"module_name\":\"x\"}"),
            Some(Format::NodejsWg)
        );
        assert_eq!(detect("README.md", b"hello"), None);
    }
}
