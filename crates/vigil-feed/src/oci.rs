//! The vulnerability database as an OCI artifact, through the OCI distribution API.
//!
//! Layout: an OCI image manifest with `artifactType` [`ARTIFACT_TYPE`], the empty config
//! (`{}`), and one layer: the SQLite database compressed with zstd ([`LAYER_MEDIA_TYPE`]). The
//! manifest's annotations carry `org.opencontainers.image.created`, the ed25519 signature over
//! [`crate::sign::statement`] (`dev.vigil.db.signature`) and the signing key's id. Blobs are
//! addressed by SHA-256 and verified on download; the signature is verified before the blob is
//! even fetched.
//!
//! Authentication: anonymous, HTTP basic (`VIGIL_REGISTRY_USERNAME`/`VIGIL_REGISTRY_PASSWORD`)
//! and the Docker Hub-style bearer token flow (`WWW-Authenticate: Bearer realm=…`). Plain HTTP
//! is used only for loopback registries unless the caller allows it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use vigil_registry::{Body, Client, ClientOptions, Credentials};

use crate::{Error, sign};

pub const ARTIFACT_TYPE: &str = "application/vnd.vigil.db.v1";
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.vigil.db.layer.v1.sqlite+zstd";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const EMPTY_TYPE: &str = "application/vnd.oci.empty.v1+json";
const SIGNATURE_KEY: &str = "dev.vigil.db.signature";
const KEY_ID_KEY: &str = "dev.vigil.db.key-id";
const CREATED_KEY: &str = "org.opencontainers.image.created";
/// The largest database Vigil pulls (compressed and decompressed).
pub const MAX_DB_BYTES: u64 = 8 << 30;

/// `oci://REGISTRY/REPOSITORY:TAG` or `oci://REGISTRY/REPOSITORY@sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub registry: String,
    pub repository: String,
    /// A tag or a digest.
    pub reference: String,
}

impl Reference {
    pub fn parse(s: &str) -> Result<Reference, Error> {
        let bad = |why: &str| Error::Invalid(format!("`{s}` is not an oci:// reference: {why}"));
        let rest = s
            .strip_prefix("oci://")
            .ok_or_else(|| bad("missing oci://"))?;
        let (registry, path) = rest.split_once('/').ok_or_else(|| bad("no repository"))?;
        if registry.is_empty() {
            return Err(bad("empty registry"));
        }
        let (repository, reference) = if let Some((r, d)) = path.split_once('@') {
            (r, d.to_owned())
        } else {
            // the tag is after the last ':' of the last path segment
            let last = path.rsplit('/').next().unwrap_or(path);
            match last.rsplit_once(':') {
                Some((_, tag)) => (&path[..path.len() - tag.len() - 1], tag.to_owned()),
                None => (path, "latest".to_owned()),
            }
        };
        let valid_repo = !repository.is_empty()
            && repository.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            });
        if !valid_repo {
            return Err(bad("repository must be lowercase path components"));
        }
        let valid_ref = if let Some(hex) = reference.strip_prefix("sha256:") {
            hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        } else {
            !reference.is_empty()
                && reference.len() <= 128
                && reference
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        };
        if !valid_ref {
            return Err(bad("invalid tag or digest"));
        }
        Ok(Reference {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            reference,
        })
    }
}

/// A distribution client for `registry`: credentials from `VIGIL_REGISTRY_USERNAME` and
/// `VIGIL_REGISTRY_PASSWORD` when both are set; plain HTTP on loopback, or anywhere when allowed.
fn client(registry: &str, allow_insecure: bool) -> Result<Client, Error> {
    let credentials = match (
        std::env::var("VIGIL_REGISTRY_USERNAME"),
        std::env::var("VIGIL_REGISTRY_PASSWORD"),
    ) {
        (Ok(username), Ok(password)) => Some(Credentials { username, password }),
        _ => None,
    };
    Ok(Client::new(
        registry,
        &ClientOptions {
            credentials,
            allow_insecure_http: allow_insecure,
            ..ClientOptions::default()
        },
    )?)
}

fn sha256_file(path: &Path) -> Result<(String, u64), Error> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        n_total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((format!("sha256:{:x}", h.finalize()), n_total))
}

/// What a push produced.
#[derive(Debug)]
pub struct Pushed {
    pub manifest_digest: String,
    pub layer_digest: String,
    pub layer_size: u64,
    pub key_id: String,
}

/// Compresses and signs the database at `db` and pushes it to `target`.
pub fn push(
    db: &Path,
    target: &Reference,
    key: &ed25519_dalek::SigningKey,
    allow_insecure: bool,
) -> Result<Pushed, Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::io(Path::new("temp"), e))?;
    let layer = dir.path().join("vigil.db.zst");
    {
        let mut input = File::open(db).map_err(|e| Error::io(db, e))?;
        let out = File::create(&layer).map_err(|e| Error::io(&layer, e))?;
        zstd::stream::copy_encode(&mut input, out, 10).map_err(|e| Error::io(&layer, e))?;
    }
    let (layer_digest, layer_size) = sha256_file(&layer)?;
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let signature = sign::sign(
        key,
        &sign::statement(&layer_digest, LAYER_MEDIA_TYPE, &created),
    );
    let key_id = sign::key_id(&key.verifying_key());
    let empty = b"{}";
    let empty_digest = format!("sha256:{:x}", Sha256::digest(empty));
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": EMPTY_TYPE, "digest": empty_digest, "size": 2, "data": "e30="},
        "layers": [{
            "mediaType": LAYER_MEDIA_TYPE,
            "digest": layer_digest,
            "size": layer_size,
            "annotations": {"org.opencontainers.image.title": "vigil.db.zst"}
        }],
        "annotations": {
            CREATED_KEY: created,
            SIGNATURE_KEY: signature,
            KEY_ID_KEY: key_id,
        }
    });
    let manifest = serde_json::to_vec(&manifest).map_err(|e| Error::Invalid(e.to_string()))?;
    let mut client = client(&target.registry, allow_insecure)?;
    client.push_blob(&target.repository, &empty_digest, Body::Bytes(empty))?;
    client.push_blob(&target.repository, &layer_digest, Body::File(&layer))?;
    let manifest_digest = client.put_manifest(
        &target.repository,
        &target.reference,
        MANIFEST_TYPE,
        &manifest,
    )?;
    Ok(Pushed {
        manifest_digest,
        layer_digest,
        layer_size,
        key_id,
    })
}

/// What a pull produced: a verified, decompressed database file (in `work_dir`).
#[derive(Debug)]
pub struct Pulled {
    pub path: PathBuf,
    pub created: String,
    pub key_id: String,
    pub layer_digest: String,
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: String,
    size: u64,
}

/// Pulls `source`, verifies its signature against `trusted` keys, downloads and verifies the
/// layer, and decompresses it into a new file in `work_dir`.
pub fn pull(
    source: &Reference,
    trusted: &[ed25519_dalek::VerifyingKey],
    work_dir: &Path,
    allow_insecure: bool,
) -> Result<Pulled, Error> {
    if trusted.is_empty() {
        return Err(Error::Signature(
            "no trusted key: pass --trusted-key FILE (or VIGIL_DB_TRUSTED_KEY) to verify pulled databases".into(),
        ));
    }
    let mut client = client(&source.registry, allow_insecure)?;
    let bytes = client
        .get_manifest(&source.repository, &source.reference)?
        .bytes;
    let m: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Invalid(format!("{}: manifest: {e}", source.repository)))?;
    if m.artifact_type.as_deref() != Some(ARTIFACT_TYPE) {
        return Err(Error::Invalid(format!(
            "oci://{}/{}:{} is not a Vigil database (artifactType {:?})",
            source.registry, source.repository, source.reference, m.artifact_type
        )));
    }
    let layer = m
        .layers
        .iter()
        .find(|l| l.media_type == LAYER_MEDIA_TYPE)
        .ok_or_else(|| Error::Invalid("manifest has no database layer".into()))?;
    let created = m
        .annotations
        .get(CREATED_KEY)
        .ok_or_else(|| Error::Signature("manifest has no creation time".into()))?;
    let signature = m
        .annotations
        .get(SIGNATURE_KEY)
        .ok_or_else(|| Error::Signature("the database is not signed".into()))?;
    let key_id = sign::verify(
        trusted,
        &sign::statement(&layer.digest, &layer.media_type, created),
        signature,
    )?;
    let compressed =
        tempfile::NamedTempFile::new_in(work_dir).map_err(|e| Error::io(work_dir, e))?;
    client.get_blob(
        &source.repository,
        &layer.digest,
        Some(layer.size),
        MAX_DB_BYTES,
        compressed.path(),
    )?;
    let out = tempfile::Builder::new()
        .prefix(".vigil-pulled-")
        .tempfile_in(work_dir)
        .map_err(|e| Error::io(work_dir, e))?;
    {
        let input = File::open(compressed.path()).map_err(|e| Error::io(compressed.path(), e))?;
        let mut decoder = zstd::stream::read::Decoder::new(input)
            .map_err(|e| Error::io(compressed.path(), e))?
            .take(MAX_DB_BYTES + 1);
        let mut f = out.as_file();
        let n = std::io::copy(&mut decoder, &mut f)
            .map_err(|e| Error::Invalid(format!("database layer does not decompress: {e}")))?;
        if n > MAX_DB_BYTES {
            return Err(Error::Invalid(
                "database layer decompresses beyond the limit".into(),
            ));
        }
        f.sync_all().map_err(|e| Error::io(out.path(), e))?;
    }
    let (_, path) = out.keep().map_err(|e| Error::io(work_dir, e.error))?;
    Ok(Pulled {
        path,
        created: created.clone(),
        key_id,
        layer_digest: layer.digest.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = Reference::parse("oci://127.0.0.1:5000/vigil/db:2026-12-01").expect("ref");
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.reference.as_str()
            ),
            ("127.0.0.1:5000", "vigil/db", "2026-12-01")
        );
        let r = Reference::parse("oci://reg.example/db").expect("latest");
        assert_eq!(r.reference, "latest");
        let d = format!("oci://r/db@sha256:{}", "a".repeat(64));
        assert!(Reference::parse(&d).is_ok());
        for bad in [
            "r/db:x",
            "oci://r",
            "oci:///db",
            "oci://r/DB:x",
            "oci://r/db:",
            "oci://r/db@sha256:12",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }
}
