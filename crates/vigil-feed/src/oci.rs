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
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{Error, is_loopback_host, sign};

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

/// A distribution API client for one registry.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    basic: Option<(String, String)>,
    token: Option<String>,
}

fn header_value(resp: &ureq::http::Response<ureq::Body>, k: &str) -> Option<String> {
    resp.headers()
        .get(k)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Bearer realm="…",service="…",scope="…"` -> its parameters.
fn parse_challenge(h: &str) -> Option<Vec<(String, String)>> {
    let rest = h.strip_prefix("Bearer ")?;
    let mut out = Vec::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let (k, v) = s.split_once('=')?;
        let v = v.trim_start();
        let (val, after) = if let Some(q) = v.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = v.find(',').unwrap_or(v.len());
            (&v[..end], &v[end..])
        };
        out.push((k.trim().to_owned(), val.to_owned()));
        s = after.trim_start_matches(',').trim();
    }
    Some(out)
}

impl Client {
    pub fn new(registry: &str, allow_insecure: bool) -> Result<Client, Error> {
        let scheme = if is_loopback_host(registry) || allow_insecure {
            "http"
        } else {
            "https"
        };
        let basic = match (
            std::env::var("VIGIL_REGISTRY_USERNAME"),
            std::env::var("VIGIL_REGISTRY_PASSWORD"),
        ) {
            (Ok(u), Ok(p)) => Some((u, p)),
            _ => None,
        };
        Ok(Client {
            agent: crate::http::agent(),
            base: format!("{scheme}://{registry}"),
            basic,
            token: None,
        })
    }

    fn authorize(&mut self, challenge: &str, url: &str) -> Result<(), Error> {
        if challenge.starts_with("Basic") {
            return Err(Error::http(
                url,
                if self.basic.is_none() {
                    "registry wants basic auth; set VIGIL_REGISTRY_USERNAME and VIGIL_REGISTRY_PASSWORD"
                } else {
                    "registry rejected the credentials in VIGIL_REGISTRY_USERNAME/VIGIL_REGISTRY_PASSWORD"
                },
            ));
        }
        let params = parse_challenge(challenge)
            .ok_or_else(|| Error::http(url, format!("unsupported auth challenge `{challenge}`")))?;
        let get = |k: &str| params.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        let realm =
            get("realm").ok_or_else(|| Error::http(url, "bearer challenge without realm"))?;
        let mut token_url = realm.clone();
        let mut sep = if realm.contains('?') { '&' } else { '?' };
        for k in ["service", "scope"] {
            if let Some(v) = get(k) {
                token_url.push(sep);
                token_url.push_str(k);
                token_url.push('=');
                token_url.push_str(&v.replace(' ', "%20"));
                sep = '&';
            }
        }
        let mut req = self.agent.get(&token_url);
        if let Some((u, p)) = &self.basic {
            req = req.header(
                "Authorization",
                format!("Basic {}", STANDARD.encode(format!("{u}:{p}"))),
            );
        }
        let mut resp = req
            .call()
            .map_err(|e| Error::http(&token_url, e.to_string()))?;
        if resp.status().as_u16() != 200 {
            return Err(Error::http(
                &token_url,
                format!("token request: HTTP {}", resp.status()),
            ));
        }
        #[derive(Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(
            &resp
                .body_mut()
                .with_config()
                .limit(1 << 20)
                .read_to_vec()
                .map_err(|e| Error::http(&token_url, e.to_string()))?,
        )
        .map_err(|e| Error::http(&token_url, format!("token response: {e}")))?;
        self.token = t.token.or(t.access_token);
        if self.token.is_none() {
            return Err(Error::http(&token_url, "token response has no token"));
        }
        Ok(())
    }

    /// Sends a request, answering one auth challenge.
    fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<Body<'_>>,
    ) -> Result<ureq::http::Response<ureq::Body>, Error> {
        let mut body = body;
        for attempt in 0..2 {
            let mut builder = ureq::http::Request::builder().method(method).uri(url);
            for (k, v) in headers {
                builder = builder.header(*k, v);
            }
            if let Some(t) = &self.token {
                builder = builder.header("Authorization", format!("Bearer {t}"));
            } else if let Some((u, p)) = &self.basic {
                builder = builder.header(
                    "Authorization",
                    format!("Basic {}", STANDARD.encode(format!("{u}:{p}"))),
                );
            }
            let resp = match body.as_mut() {
                None => self.agent.run(
                    builder
                        .body(())
                        .map_err(|e| Error::http(url, e.to_string()))?,
                ),
                Some(Body::Bytes(b)) => self.agent.run(
                    builder
                        .body(b.to_vec())
                        .map_err(|e| Error::http(url, e.to_string()))?,
                ),
                Some(Body::File(path)) => {
                    let f = File::open(*path).map_err(|e| Error::io(path, e))?;
                    self.agent.run(
                        builder
                            .body(ureq::SendBody::from_owned_reader(f))
                            .map_err(|e| Error::http(url, e.to_string()))?,
                    )
                }
            }
            .map_err(|e| Error::http(url, format!("request failed: {e}")))?;
            if resp.status().as_u16() == 401 {
                if attempt == 1 {
                    return Err(Error::http(url, "registry rejected the token it issued"));
                }
                let challenge = header_value(&resp, "www-authenticate").unwrap_or_default();
                self.authorize(&challenge, url)?;
                continue;
            }
            return Ok(resp);
        }
        Err(Error::http(url, "unauthorized"))
    }

    fn expect(
        resp: &mut ureq::http::Response<ureq::Body>,
        url: &str,
        ok: &[u16],
    ) -> Result<(), Error> {
        let s = resp.status().as_u16();
        if ok.contains(&s) {
            return Ok(());
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 << 10)
            .read_to_string()
            .unwrap_or_default();
        Err(Error::http(url, format!("HTTP {s}: {}", body.trim())))
    }

    fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{location}", self.base)
        }
    }

    /// Uploads a blob (monolithic upload) unless the registry has it already.
    pub fn push_blob(&mut self, repo: &str, digest: &str, body: Body<'_>) -> Result<(), Error> {
        let head = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        let mut r = self.send("HEAD", &head, &[], None)?;
        if r.status().as_u16() == 200 {
            return Ok(());
        }
        let start = format!("{}/v2/{repo}/blobs/uploads/", self.base);
        r = self.send("POST", &start, &[("Content-Length", "0".into())], None)?;
        Self::expect(&mut r, &start, &[202])?;
        let location = header_value(&r, "location")
            .ok_or_else(|| Error::http(&start, "upload without Location"))?;
        let mut put = self.resolve(&location);
        put.push(if put.contains('?') { '&' } else { '?' });
        put.push_str("digest=");
        put.push_str(&digest.replace(':', "%3A"));
        let mut r = self.send(
            "PUT",
            &put,
            &[("Content-Type", "application/octet-stream".into())],
            Some(body),
        )?;
        Self::expect(&mut r, &put, &[201])
    }

    pub fn put_manifest(
        &mut self,
        repo: &str,
        reference: &str,
        manifest: &[u8],
    ) -> Result<String, Error> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let mut r = self.send(
            "PUT",
            &url,
            &[("Content-Type", MANIFEST_TYPE.into())],
            Some(Body::Bytes(manifest)),
        )?;
        Self::expect(&mut r, &url, &[201])?;
        Ok(format!("sha256:{:x}", Sha256::digest(manifest)))
    }

    pub fn get_manifest(&mut self, repo: &str, reference: &str) -> Result<Vec<u8>, Error> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let mut r = self.send("GET", &url, &[("Accept", MANIFEST_TYPE.into())], None)?;
        Self::expect(&mut r, &url, &[200])?;
        let bytes = r
            .body_mut()
            .with_config()
            .limit(4 << 20)
            .read_to_vec()
            .map_err(|e| Error::http(&url, e.to_string()))?;
        if let Some(d) = reference.strip_prefix("sha256:")
            && format!("{:x}", Sha256::digest(&bytes)) != d
        {
            return Err(Error::http(&url, "manifest does not match its digest"));
        }
        Ok(bytes)
    }

    /// Downloads a blob into `dest`, verifying its digest and size.
    pub fn get_blob(
        &mut self,
        repo: &str,
        digest: &str,
        size: u64,
        dest: &Path,
    ) -> Result<(), Error> {
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        if size > MAX_DB_BYTES {
            return Err(Error::http(
                &url,
                format!("blob of {size} bytes exceeds the limit"),
            ));
        }
        let mut r = self.send("GET", &url, &[], None)?;
        Self::expect(&mut r, &url, &[200])?;
        let mut out = File::create(dest).map_err(|e| Error::io(dest, e))?;
        let mut h = Sha256::new();
        let mut reader = r.body_mut().with_config().limit(size + 1).reader();
        let mut buf = vec![0u8; 1 << 16];
        let mut got = 0u64;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| Error::http(&url, format!("download failed: {e}")))?;
            if n == 0 {
                break;
            }
            got += n as u64;
            if got > size {
                return Err(Error::http(&url, "blob larger than the manifest says"));
            }
            h.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| Error::io(dest, e))?;
        }
        if got != size || format!("sha256:{:x}", h.finalize()) != digest {
            return Err(Error::http(&url, "blob does not match its digest/size"));
        }
        out.sync_all().map_err(|e| Error::io(dest, e))
    }
}

pub enum Body<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
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
    let mut client = Client::new(&target.registry, allow_insecure)?;
    client.push_blob(&target.repository, &empty_digest, Body::Bytes(empty))?;
    client.push_blob(&target.repository, &layer_digest, Body::File(&layer))?;
    let manifest_digest = client.put_manifest(&target.repository, &target.reference, &manifest)?;
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
    let mut client = Client::new(&source.registry, allow_insecure)?;
    let bytes = client.get_manifest(&source.repository, &source.reference)?;
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
        layer.size,
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

    #[test]
    fn challenges() {
        let c = parse_challenge(r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull""#)
            .expect("parse");
        assert_eq!(
            c[0],
            ("realm".into(), "https://auth.docker.io/token".into())
        );
        assert_eq!(c[2].1, "repository:a/b:pull");
    }
}
