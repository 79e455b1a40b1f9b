//! Catalogers, one module per ecosystem and one file per format.

pub mod binary;
pub mod dotnet;
pub mod go;
pub mod java;
pub mod javascript;
pub mod os;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;
#[cfg(test)]
pub(crate) mod testutil;

/// Whether a path is one that some language cataloger reports, so that OS file lists can be
/// cut down to the entries that matter for ownership (a full Debian lists ~100k files).
pub fn language_metadata_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    (name == "METADATA" && path.contains(".dist-info/"))
        || name == "PKG-INFO"
        || name.ends_with(".egg-info")
        || name == "package.json"
        || name.ends_with(".gemspec")
        || name.ends_with(".jar")
        || name.ends_with(".war")
        || name.ends_with(".ear")
        || name.ends_with(".jpi")
        || name.ends_with(".hpi")
        || name.ends_with(".sar")
        || name.ends_with(".par")
        || name == "installed.json"
        || name.ends_with(".deps.json")
        // executables, which may carry Go build info or cargo-auditable data
        || path.contains("/bin/")
        || path.contains("/sbin/")
        || path.contains("/libexec/")
}

/// Parse RFC 822-style `Key: value` paragraphs (dpkg status, Python METADATA headers).
///
/// Continuation lines (starting with space or tab) are appended to the previous field with a
/// newline. Returns paragraphs as ordered `(key, value)` lists.
pub(crate) fn rfc822_paragraphs(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = cur.last_mut() {
                last.1.push('\n');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            cur.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(crate) fn field<'a>(para: &'a [(String, String)], key: &str) -> Option<&'a str> {
    para.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}
