//! Feed downloads: HTTP(S) with conditional requests and resumable transfers, and `file://`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, is_loopback_host};

/// The largest feed Vigil downloads (osv.dev's biggest export is a few hundred MB).
pub const MAX_FEED_BYTES: u64 = 4 << 30;

/// What Vigil remembers about a feed's last successful import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
}

#[derive(Debug)]
pub enum Fetched {
    /// The server (or the file's digest) says nothing changed since `FeedState`.
    Unchanged,
    /// A complete copy of the feed, ready to import.
    Ready {
        path: PathBuf,
        state: FeedState,
        bytes: u64,
        /// Bytes that a previous interrupted run had already downloaded.
        resumed_from: u64,
    },
}

/// The HTTP agent: rustls, no automatic status errors (callers look at statuses), bounded
/// connect and response waits.
pub fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

/// Refuses plain HTTP to anything but loopback unless `allow_insecure`.
pub fn check_scheme(url: &str, allow_insecure: bool) -> Result<(), Error> {
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split('/').next().unwrap_or("");
        if !is_loopback_host(host) && !allow_insecure {
            return Err(Error::http(
                url,
                "plain HTTP is only used for loopback hosts; use https:// (or --allow-insecure)",
            ));
        }
    }
    Ok(())
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

#[derive(Serialize, Deserialize, Default)]
struct PartialMeta {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
}

fn basename(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let b = path.rsplit('/').next().unwrap_or("");
    let b: String = b
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if b.is_empty() || b == "." || b == ".." {
        "feed".into()
    } else {
        b
    }
}

/// Fetches `url` for the feed `name`, keeping downloads under `work_dir/name/`.
pub fn fetch(
    agent: &ureq::Agent,
    url: &str,
    work_dir: &Path,
    name: &str,
    prior: &FeedState,
    allow_insecure: bool,
) -> Result<Fetched, Error> {
    if let Some(p) = url.strip_prefix("file://") {
        return fetch_file(Path::new(p), prior);
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(Error::http(url, "not an http(s):// or file:// URL"));
    }
    check_scheme(url, allow_insecure)?;
    let dir = work_dir.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let file = dir.join(basename(url));
    let part = dir.join(format!("{}.part", basename(url)));
    let meta_path = dir.join("partial.json");

    // A previous interrupted download of the same URL, with a validator to resume against.
    let partial: Option<(u64, PartialMeta)> = std::fs::read(&meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<PartialMeta>(&b).ok())
        .filter(|m| m.url == url && (m.etag.is_some() || m.last_modified.is_some()))
        .and_then(|m| part.metadata().ok().map(|md| (md.len(), m)))
        .filter(|(len, _)| *len > 0);

    let mut req = agent.get(url);
    if let Some((len, m)) = &partial {
        req = req.header("Range", format!("bytes={len}-"));
        if let Some(v) = m.etag.as_ref().or(m.last_modified.as_ref()) {
            req = req.header("If-Range", v);
        }
    } else {
        if let Some(e) = &prior.etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(lm) = &prior.last_modified {
            req = req.header("If-Modified-Since", lm);
        }
    }
    let mut resp = req
        .call()
        .map_err(|e| Error::http(url, format!("request failed: {e}")))?;
    let status = resp.status().as_u16();
    let header = |k: &str| {
        resp.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    let content_length = header("content-length").and_then(|v| v.parse::<u64>().ok());
    let content_range = header("content-range");
    let (mut out, resumed_from) = match status {
        304 => return Ok(Fetched::Unchanged),
        200 => {
            let meta = PartialMeta {
                url: url.to_owned(),
                etag: etag.clone(),
                last_modified: last_modified.clone(),
            };
            std::fs::write(
                &meta_path,
                serde_json::to_vec(&meta).map_err(|e| Error::Invalid(e.to_string()))?,
            )
            .map_err(|e| Error::io(&meta_path, e))?;
            let f = File::create(&part).map_err(|e| Error::io(&part, e))?;
            (f, 0)
        }
        206 => {
            let Some((len, _)) = &partial else {
                return Err(Error::http(
                    url,
                    "206 Partial Content to a request without Range",
                ));
            };
            let start = content_range
                .as_deref()
                .and_then(|r| r.strip_prefix("bytes "))
                .and_then(|r| r.split('-').next())
                .and_then(|s| s.parse::<u64>().ok());
            if start != Some(*len) {
                return Err(Error::http(
                    url,
                    format!("server resumed at {content_range:?}, expected byte {len}"),
                ));
            }
            let f = OpenOptions::new()
                .append(true)
                .open(&part)
                .map_err(|e| Error::io(&part, e))?;
            (f, *len)
        }
        416 => {
            // Range not satisfiable: the partial file is already complete, or stale.
            let _ = std::fs::remove_file(&part);
            let _ = std::fs::remove_file(&meta_path);
            return Err(Error::http(
                url,
                "server refused to resume (416); the partial download was discarded, run again",
            ));
        }
        s => {
            return Err(Error::http(url, format!("HTTP status {s}")));
        }
    };
    if let Some(len) = content_length
        && resumed_from + len > MAX_FEED_BYTES
    {
        return Err(Error::http(
            url,
            format!("feed is {len} bytes, more than the {MAX_FEED_BYTES}-byte limit"),
        ));
    }
    let mut reader = resp.body_mut().as_reader();
    let mut buf = vec![0u8; 1 << 16];
    let mut got = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = out.flush();
                return Err(Error::http(
                    url,
                    format!(
                        "transfer interrupted after {} bytes ({e}); the partial download is kept and the next update resumes it",
                        resumed_from + got
                    ),
                ));
            }
        };
        if n == 0 {
            break;
        }
        got += n as u64;
        if resumed_from + got > MAX_FEED_BYTES {
            return Err(Error::http(
                url,
                format!("feed exceeds the {MAX_FEED_BYTES}-byte limit"),
            ));
        }
        out.write_all(&buf[..n]).map_err(|e| Error::io(&part, e))?;
    }
    out.sync_all().map_err(|e| Error::io(&part, e))?;
    drop(out);
    if let Some(len) = content_length
        && got != len
    {
        return Err(Error::http(
            url,
            format!(
                "transfer ended after {got} of {len} bytes; the partial download is kept and the next update resumes it"
            ),
        ));
    }
    std::fs::rename(&part, &file).map_err(|e| Error::io(&file, e))?;
    let _ = std::fs::remove_file(&meta_path);
    let sha = sha256_file(&file)?;
    if prior.sha256.as_deref() == Some(sha.as_str()) {
        return Ok(Fetched::Unchanged);
    }
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(Fetched::Ready {
        path: file,
        state: FeedState {
            etag,
            last_modified,
            sha256: Some(sha),
        },
        bytes,
        resumed_from,
    })
}

fn fetch_file(path: &Path, prior: &FeedState) -> Result<Fetched, Error> {
    let md = path.metadata().map_err(|e| Error::io(path, e))?;
    if !md.is_file() {
        return Err(Error::Invalid(format!(
            "`{}`: a file:// feed must be a file",
            path.display()
        )));
    }
    let sha = sha256_file(path)?;
    if prior.sha256.as_deref() == Some(sha.as_str()) {
        return Ok(Fetched::Unchanged);
    }
    Ok(Fetched::Ready {
        path: path.to_owned(),
        state: FeedState {
            etag: None,
            last_modified: None,
            sha256: Some(sha),
        },
        bytes: md.len(),
        resumed_from: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames_are_safe() {
        assert_eq!(basename("https://x/PyPI/all.zip"), "all.zip");
        assert_eq!(basename("https://x/a/../..?q=1"), "feed");
        assert_eq!(basename("https://x/e p s s.csv.gz"), "e_p_s_s.csv.gz");
    }

    #[test]
    fn insecure_http_refused_off_loopback() {
        assert!(check_scheme("http://example.com/x", false).is_err());
        assert!(check_scheme("http://example.com/x", true).is_ok());
        assert!(check_scheme("http://127.0.0.1:8080/x", false).is_ok());
    }
}
