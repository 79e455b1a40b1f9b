//! Getting advisory data onto a machine, safely.
//!
//! - [`http`]: feed downloads over HTTP(S) (rustls) and `file://`, with conditional requests
//!   (`If-None-Match` / `If-Modified-Since`, so an unchanged feed costs one round trip) and
//!   resumable downloads (`Range` + `If-Range`; a partial file survives an interrupted transfer
//!   and the next run continues it). Nothing touches the database until a feed is complete.
//! - [`oci`]: the database as an OCI artifact (one zstd-compressed layer, pushed and pulled by
//!   digest through the distribution API, with Docker Hub-style bearer tokens and basic auth),
//!   so fleets can mirror it in their own registry.
//! - [`sign`]: ed25519 keys; a pushed database carries a signature over its layer digest and
//!   metadata, which `pull` verifies against trusted keys before anything is written.

pub mod http;
pub mod oci;
pub mod sign;
pub mod update;

use std::path::Path;

/// Errors carry the URL, file or reference they concern.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{url}: {message}")]
    Http { url: String, message: String },
    #[error("`{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("signature: {0}")]
    Signature(String),
    #[error(transparent)]
    Registry(vigil_registry::Error),
}

impl From<vigil_registry::Error> for Error {
    /// Registry errors, with where `vigil db push/update` take credentials from when the
    /// registry asked for them.
    fn from(e: vigil_registry::Error) -> Error {
        match e {
            vigil_registry::Error::Http { url, message } if message.starts_with("HTTP 401") => {
                Error::Http {
                    url,
                    message: format!(
                        "{message} (credentials come from VIGIL_REGISTRY_USERNAME and VIGIL_REGISTRY_PASSWORD)"
                    ),
                }
            }
            other => Error::Registry(other),
        }
    }
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
    pub(crate) fn http(url: &str, message: impl Into<String>) -> Error {
        Error::Http {
            url: url.to_owned(),
            message: message.into(),
        }
    }
}

/// One configured feed: a source name in the database and where to fetch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub name: String,
    pub url: String,
}

const OSV: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The default feeds: osv.dev's per-ecosystem exports for every ecosystem Vigil matches, CISA
/// KEV and FIRST EPSS.
pub fn default_feeds() -> Vec<Feed> {
    let mut feeds: Vec<Feed> = [
        "AlmaLinux",
        "Alpine",
        "Bitnami",
        "crates.io",
        "Debian",
        "Go",
        "Maven",
        "npm",
        "NuGet",
        "Packagist",
        "PyPI",
        "Rocky Linux",
        "RubyGems",
        "Ubuntu",
    ]
    .iter()
    .map(|e| Feed {
        name: format!("osv-{}", e.to_ascii_lowercase().replace(' ', "-")),
        url: format!("{OSV}/{}/all.zip", e.replace(' ', "%20")),
    })
    .collect();
    feeds.push(Feed {
        name: "kev".into(),
        url: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
            .into(),
    });
    feeds.push(Feed {
        name: "epss".into(),
        url: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz".into(),
    });
    feeds
}

/// A feeds file: one `name url` per line; `#` comments and blank lines ignored.
pub fn parse_feeds(text: &str, origin: &str) -> Result<Vec<Feed>, Error> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(name), Some(url), None) = (words.next(), words.next(), words.next()) else {
            return Err(Error::Invalid(format!(
                "{origin}:{}: expected `name url`, got `{line}`",
                n + 1
            )));
        };
        if !(url.starts_with("https://")
            || url.starts_with("http://")
            || url.starts_with("file://"))
        {
            return Err(Error::Invalid(format!(
                "{origin}:{}: `{url}` is not an http(s):// or file:// URL",
                n + 1
            )));
        }
        if out.iter().any(|f: &Feed| f.name == name) {
            return Err(Error::Invalid(format!(
                "{origin}:{}: feed `{name}` listed twice",
                n + 1
            )));
        }
        out.push(Feed {
            name: name.to_owned(),
            url: url.to_owned(),
        });
    }
    Ok(out)
}

pub use vigil_registry::is_loopback_host;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_file() {
        let f = parse_feeds(
            "# feeds\nkev https://x/kev.json\n\npypi file:///data/PyPI/all.zip # local\n",
            "feeds",
        )
        .expect("parse");
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].url, "file:///data/PyPI/all.zip");
        assert!(parse_feeds("a b c", "f").is_err());
        assert!(parse_feeds("a ftp://x", "f").is_err());
        assert!(parse_feeds("a http://x\na http://y", "f").is_err());
        assert!(
            default_feeds()
                .iter()
                .any(|f| f.url.ends_with("/PyPI/all.zip"))
        );
    }

    #[test]
    fn loopback() {
        assert!(is_loopback_host("127.0.0.1:5000"));
        assert!(is_loopback_host("localhost"));
        assert!(!is_loopback_host("registry.example.com:5000"));
    }
}
