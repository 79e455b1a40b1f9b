//! Talking to OCI registries (the distribution API) safely.
//!
//! - [`Client`]: one registry (and its pull-through mirrors): anonymous, HTTP basic and the
//!   Docker Hub-style bearer token flow (`WWW-Authenticate: Bearer realm=…`), or a ready-made
//!   `Authorization` value handed over by a caller (Harbor's scan requests carry one); plain
//!   HTTP only when the caller allows it. Manifests and blobs addressed by digest are verified against it;
//!   blobs are streamed to disk, never held in memory.
//! - [`BlobStore`]: a content-addressed directory (`blobs/sha256/<hex>`, the OCI layout's blob
//!   tree) shared by every image pulled: a base layer shared by ten images is downloaded once.
//!   Blobs land by atomic rename after verification, so the store never holds a partial or
//!   unverified blob.
//! - [`pull`]: an image by tag or digest (an index or manifest list resolves to the wanted
//!   platform) into a blob store, with limits on manifest size, nesting, layer count and total
//!   size.

mod client;
mod pull;
mod store;

pub use client::{Body, Client, ClientOptions, Credentials, MAX_MANIFEST, Manifest};
pub use pull::{ImageLimits, Pulled, pull};
pub use store::BlobStore;

/// Manifest media types Vigil asks for and understands.
pub mod media {
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// Whether `mt` is a manifest (image or index) rather than a blob.
    pub fn is_manifest(mt: &str) -> bool {
        [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(&mt)
    }

    pub fn is_index(mt: &str) -> bool {
        mt == OCI_INDEX || mt == DOCKER_LIST
    }
}

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
    /// The image is larger than the limits allow (a coverage reason, not a failure of ours).
    #[error("{0}")]
    TooLarge(String),
}

impl Error {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
    pub fn http(url: &str, message: impl Into<String>) -> Error {
        Error::Http {
            url: url.to_owned(),
            message: message.into(),
        }
    }
}

/// Whether a host (`host[:port]`) is the loopback interface (plain HTTP is only allowed there
/// unless the user says otherwise).
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(h, "localhost" | "127.0.0.1" | "[::1]" | "::1") || h.starts_with("127.")
}

/// Whether `d` is a well-formed `sha256:<64 hex>` digest (the only algorithm Vigil verifies).
pub fn is_sha256_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `r` is a valid repository name: `/`-separated components of `[a-z0-9._-]` that
/// start and end with a letter or digit (so never `.` or `..`).
pub fn is_repository(r: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !r.is_empty()
        && r.len() <= 255
        && r.split('/').all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && alnum(b[0])
                && alnum(b[b.len() - 1])
                && b.iter().all(|&x| alnum(x) || b"._-".contains(&x))
        })
}

/// Whether `t` is a valid tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`).
pub fn is_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && !t.starts_with(['.', '-'])
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback() {
        assert!(is_loopback_host("127.0.0.1:5000"));
        assert!(is_loopback_host("localhost"));
        assert!(is_loopback_host("[::1]:5000"));
        assert!(!is_loopback_host("registry.example.com:5000"));
        assert!(!is_loopback_host("128.0.0.1"));
    }

    #[test]
    fn names() {
        assert!(is_repository("library/debian"));
        assert!(!is_repository("Library/debian"));
        assert!(!is_repository("a//b"));
        assert!(!is_repository("../x"));
        assert!(!is_repository("a/.."));
        assert!(is_repository("my-org/app.web_1"));
        assert!(is_tag("v1.2.3_rc-1"));
        assert!(!is_tag("-x"));
        assert!(!is_tag("a/b"));
        assert!(is_sha256_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_sha256_digest("sha256:abc"));
        assert!(!is_sha256_digest(&format!("sha512:{}", "a".repeat(64))));
    }
}
