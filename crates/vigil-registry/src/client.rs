//! The distribution API client.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{Error, is_loopback_host, media};

/// The largest manifest or index accepted.
pub const MAX_MANIFEST: u64 = 4 << 20;

/// A user name and password (or token) for HTTP basic auth and the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Default)]
pub struct ClientOptions {
    pub credentials: Option<Credentials>,
    /// A ready-made `Authorization` header value for the registry itself (`Basic <base64>` or
    /// `Bearer <token>`, as Harbor hands its scanners in a scan request), sent on every request
    /// to the registry instead of `credentials` (never to mirrors, never across redirects).
    /// When the registry answers with a bearer challenge (`WWW-Authenticate: Bearer realm=…`),
    /// a `Basic` value is exchanged at the realm for a token, as the distribution token flow
    /// does with user name and password; a `Bearer` value the registry rejects is an error.
    pub authorization: Option<String>,
    /// Allow plain HTTP to a registry that is not on loopback.
    pub allow_insecure_http: bool,
    /// Pull-through mirrors (`host[:port]` or URLs), tried first for content addressed by
    /// digest (verified whoever serves it); tags are always resolved at the registry itself.
    pub mirrors: Vec<String>,
    /// Per-request timeout for reading a response (a stalled registry is an error, not a hang).
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("credentials", &self.credentials)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("mirrors", &self.mirrors)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One registry endpoint and its bearer token.
struct Endpoint {
    base: String,
    token: Option<String>,
}

/// A distribution API client for one registry (and its mirrors).
pub struct Client {
    agent: ureq::Agent,
    origin: Endpoint,
    mirrors: Vec<Endpoint>,
    basic: Option<Credentials>,
    /// [`ClientOptions::authorization`].
    authorization: Option<String>,
}

/// A request body.
pub enum Body<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

/// A manifest as fetched: its bytes, media type and digest (verified when asked by digest).
#[derive(Debug, Clone)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: String,
}

fn header_value(resp: &ureq::http::Response<ureq::Body>, k: &str) -> Option<String> {
    resp.headers()
        .get(k)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Whether an `Authorization` value uses `scheme` (compared case-insensitively, as RFC 9110
/// says).
fn is_scheme(authorization: &str, scheme: &str) -> bool {
    authorization
        .split_once(' ')
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case(scheme))
}

/// `Bearer realm="…",service="…",scope="…"` -> its parameters.
pub(crate) fn parse_challenge(h: &str) -> Option<Vec<(String, String)>> {
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

fn percent_encode_query(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `host[:port]` or `http(s)://host[:port]` -> the base URL, refusing plain HTTP off loopback
/// unless allowed.
fn base_url(registry: &str, allow_insecure: bool) -> Result<String, Error> {
    let registry = registry.trim_end_matches('/');
    let (scheme, host) = if let Some(h) = registry.strip_prefix("https://") {
        ("https", h)
    } else if let Some(h) = registry.strip_prefix("http://") {
        ("http", h)
    } else if is_loopback_host(registry) || allow_insecure {
        ("http", registry)
    } else {
        ("https", registry)
    };
    if host.is_empty() || host.contains('/') || host.contains('@') {
        return Err(Error::Invalid(format!(
            "`{registry}` is not a registry (host[:port], optionally with http:// or https://)"
        )));
    }
    if scheme == "http" && !is_loopback_host(host) && !allow_insecure {
        return Err(Error::Invalid(format!(
            "`{registry}`: plain HTTP is only used for loopback registries unless insecure HTTP is allowed"
        )));
    }
    Ok(format!("{scheme}://{host}"))
}

impl Client {
    pub fn new(registry: &str, opts: &ClientOptions) -> Result<Client, Error> {
        if let Some(a) = &opts.authorization
            && (a.trim().is_empty() || !a.bytes().all(|b| b == b' ' || b.is_ascii_graphic()))
        {
            return Err(Error::Invalid(format!(
                "`{registry}`: the authorization is not a valid HTTP header value"
            )));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(opts.timeout.unwrap_or(Duration::from_secs(120))))
            .timeout_recv_body(Some(Duration::from_secs(3600)))
            .max_redirects(5)
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .build();
        let origin = Endpoint {
            base: base_url(registry, opts.allow_insecure_http)?,
            token: None,
        };
        let mirrors = opts
            .mirrors
            .iter()
            .map(|m| {
                Ok(Endpoint {
                    base: base_url(m, opts.allow_insecure_http)?,
                    token: None,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Client {
            agent: ureq::Agent::new_with_config(config),
            origin,
            mirrors,
            basic: opts.credentials.clone(),
            authorization: opts.authorization.clone(),
        })
    }

    /// The registry's base URL (`https://host:port`).
    pub fn base(&self) -> &str {
        &self.origin.base
    }

    /// `Basic <base64(user:password)>`.
    fn basic_header(c: &Credentials) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", c.username, c.password))
        )
    }

    /// Answers a 401's challenge: fetches a bearer token from the challenge's realm, presenting
    /// `credential` (an `Authorization` value) when there is one (the request carried it, so a
    /// basic challenge means it was rejected).
    fn authorize(
        agent: &ureq::Agent,
        credential: Option<&str>,
        ep: &mut Endpoint,
        challenge: &str,
        url: &str,
    ) -> Result<(), Error> {
        if challenge.starts_with("Basic") {
            return Err(Error::http(
                url,
                if credential.is_some() {
                    "HTTP 401: the registry rejected the credentials"
                } else {
                    "HTTP 401: the registry wants basic auth and no credentials are configured"
                },
            ));
        }
        let params = parse_challenge(challenge).ok_or_else(|| {
            Error::http(
                url,
                format!("HTTP 401 with an unsupported auth challenge `{challenge}`"),
            )
        })?;
        let get = |k: &str| params.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        let realm =
            get("realm").ok_or_else(|| Error::http(url, "bearer challenge without realm"))?;
        if !(realm.starts_with("https://")
            || realm.starts_with("http://") && ep.base.starts_with("http://"))
        {
            return Err(Error::http(
                url,
                format!("token realm `{realm}` is not HTTPS (refusing to send credentials)"),
            ));
        }
        let mut token_url = realm.clone();
        let mut sep = if realm.contains('?') { '&' } else { '?' };
        for k in ["service", "scope"] {
            if let Some(v) = get(k) {
                token_url.push(sep);
                token_url.push_str(k);
                token_url.push('=');
                token_url.push_str(&percent_encode_query(&v));
                sep = '&';
            }
        }
        let mut req = agent.get(&token_url);
        if let Some(c) = credential {
            req = req.header("Authorization", c);
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
        ep.token = t.token.or(t.access_token);
        if ep.token.is_none() {
            return Err(Error::http(&token_url, "token response has no token"));
        }
        Ok(())
    }

    /// Sends a request to an endpoint (`mirror: None` is the registry itself), answering one
    /// auth challenge.
    fn send(
        &mut self,
        mirror: Option<usize>,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Body<'_>>,
    ) -> Result<(String, ureq::http::Response<ureq::Body>), Error> {
        let agent = self.agent.clone();
        let basic = self.basic.as_ref().map(Self::basic_header);
        // the raw authorization goes to the registry itself only
        let raw = match mirror {
            None => self.authorization.clone(),
            Some(_) => None,
        };
        let ep = match mirror {
            None => &mut self.origin,
            Some(i) => self
                .mirrors
                .get_mut(i)
                .ok_or_else(|| Error::Invalid(format!("no mirror {i}")))?,
        };
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", ep.base)
        };
        let mut body = body;
        for attempt in 0..2 {
            let mut builder = ureq::http::Request::builder().method(method).uri(&url);
            for (k, v) in headers {
                builder = builder.header(*k, v);
            }
            if let Some(t) = &ep.token {
                builder = builder.header("Authorization", format!("Bearer {t}"));
            } else if let Some(a) = raw.as_ref().or(basic.as_ref()) {
                builder = builder.header("Authorization", a);
            }
            let resp = match body.as_mut() {
                None => agent.run(
                    builder
                        .body(())
                        .map_err(|e| Error::http(&url, e.to_string()))?,
                ),
                Some(Body::Bytes(b)) => agent.run(
                    builder
                        .body(b.to_vec())
                        .map_err(|e| Error::http(&url, e.to_string()))?,
                ),
                Some(Body::File(path)) => {
                    let f = File::open(*path).map_err(|e| Error::io(path, e))?;
                    agent.run(
                        builder
                            .body(ureq::SendBody::from_owned_reader(f))
                            .map_err(|e| Error::http(&url, e.to_string()))?,
                    )
                }
            }
            .map_err(|e| Error::http(&url, format!("request failed: {e}")))?;
            if resp.status().as_u16() == 401 {
                if attempt == 1 {
                    return Err(Error::http(
                        &url,
                        "HTTP 401: the registry rejected the token it issued",
                    ));
                }
                let challenge = header_value(&resp, "www-authenticate").unwrap_or_default();
                // a raw `Basic` authorization is exchanged for a token like credentials are; a
                // raw bearer token the registry challenged was rejected
                let credential = match &raw {
                    Some(a) if !is_scheme(a, "Basic") => {
                        return Err(Error::http(
                            &url,
                            "HTTP 401: the registry rejected the authorization given",
                        ));
                    }
                    Some(a) => Some(a),
                    None => basic.as_ref(),
                };
                Self::authorize(&agent, credential.map(String::as_str), ep, &challenge, &url)?;
                continue;
            }
            return Ok((url, resp));
        }
        Err(Error::http(&url, "unauthorized"))
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
        let body: String = body.trim().chars().take(500).collect();
        Err(Error::http(url, format!("HTTP {s}: {body}")))
    }

    /// Uploads a blob (monolithic upload) unless the registry has it already.
    pub fn push_blob(&mut self, repo: &str, digest: &str, body: Body<'_>) -> Result<(), Error> {
        let (_, r) = self.send(
            None,
            "HEAD",
            &format!("/v2/{repo}/blobs/{digest}"),
            &[],
            None,
        )?;
        if r.status().as_u16() == 200 {
            return Ok(());
        }
        let (start, mut r) = self.send(
            None,
            "POST",
            &format!("/v2/{repo}/blobs/uploads/"),
            &[("Content-Length", "0".into())],
            None,
        )?;
        Self::expect(&mut r, &start, &[202])?;
        let location = header_value(&r, "location")
            .ok_or_else(|| Error::http(&start, "upload without Location"))?;
        let mut put = location;
        put.push(if put.contains('?') { '&' } else { '?' });
        put.push_str("digest=");
        put.push_str(&digest.replace(':', "%3A"));
        let (put, mut r) = self.send(
            None,
            "PUT",
            &put,
            &[("Content-Type", "application/octet-stream".into())],
            Some(body),
        )?;
        Self::expect(&mut r, &put, &[201])
    }

    /// Uploads a manifest under a tag or digest; answers its digest.
    pub fn put_manifest(
        &mut self,
        repo: &str,
        reference: &str,
        media_type: &str,
        manifest: &[u8],
    ) -> Result<String, Error> {
        let (url, mut r) = self.send(
            None,
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Content-Type", media_type.into())],
            Some(Body::Bytes(manifest)),
        )?;
        Self::expect(&mut r, &url, &[201])?;
        Ok(format!("sha256:{:x}", Sha256::digest(manifest)))
    }

    fn accept() -> String {
        [
            media::OCI_INDEX,
            media::DOCKER_LIST,
            media::OCI_MANIFEST,
            media::DOCKER_MANIFEST,
        ]
        .join(", ")
    }

    /// Fetches a manifest or index by tag or digest. By digest, mirrors are tried first and the
    /// content is verified against it; by tag, the registry's `Docker-Content-Digest` (when
    /// sent) must match the content.
    pub fn get_manifest(&mut self, repo: &str, reference: &str) -> Result<Manifest, Error> {
        let by_digest = reference.starts_with("sha256:");
        if by_digest {
            for i in 0..self.mirrors.len() {
                match self.get_manifest_at(Some(i), repo, reference) {
                    Ok(m) => return Ok(m),
                    Err(e) => tracing::debug!(mirror = i, "mirror failed, trying the next: {e}"),
                }
            }
        }
        self.get_manifest_at(None, repo, reference)
    }

    fn get_manifest_at(
        &mut self,
        mirror: Option<usize>,
        repo: &str,
        reference: &str,
    ) -> Result<Manifest, Error> {
        let (url, mut r) = self.send(
            mirror,
            "GET",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Accept", Self::accept())],
            None,
        )?;
        Self::expect(&mut r, &url, &[200])?;
        let header_digest = header_value(&r, "docker-content-digest");
        let header_type = header_value(&r, "content-type");
        let bytes = r
            .body_mut()
            .with_config()
            .limit(MAX_MANIFEST)
            .read_to_vec()
            .map_err(|e| {
                Error::http(
                    &url,
                    format!("manifest unreadable or larger than {MAX_MANIFEST} bytes: {e}"),
                )
            })?;
        let digest = format!("sha256:{:x}", Sha256::digest(&bytes));
        if reference.starts_with("sha256:") && digest != reference {
            return Err(Error::http(
                &url,
                format!("manifest content has digest {digest}, not the {reference} asked for"),
            ));
        }
        if let Some(h) = header_digest.filter(|h| h.starts_with("sha256:"))
            && h != digest
        {
            return Err(Error::http(
                &url,
                format!("manifest content has digest {digest}, but the registry says {h}"),
            ));
        }
        // the media type: the manifest's own `mediaType`, else the response's Content-Type
        #[derive(Deserialize)]
        struct Head {
            #[serde(rename = "mediaType")]
            media_type: Option<String>,
        }
        let head: Head = serde_json::from_slice(&bytes)
            .map_err(|e| Error::http(&url, format!("manifest is not JSON: {e}")))?;
        let media_type = head
            .media_type
            .or_else(|| header_type.map(|t| t.split(';').next().unwrap_or("").trim().to_owned()))
            .unwrap_or_default();
        if !media::is_manifest(&media_type) {
            return Err(Error::http(
                &url,
                format!("unsupported manifest media type `{media_type}`"),
            ));
        }
        Ok(Manifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// The digest a tag points at now (`HEAD`), or `None` when the tag does not exist.
    pub fn resolve_tag(&mut self, repo: &str, tag: &str) -> Result<Option<String>, Error> {
        let (url, mut r) = self.send(
            None,
            "HEAD",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Accept", Self::accept())],
            None,
        )?;
        if r.status().as_u16() == 404 {
            return Ok(None);
        }
        Self::expect(&mut r, &url, &[200])?;
        match header_value(&r, "docker-content-digest") {
            Some(d) if crate::is_sha256_digest(&d) => Ok(Some(d)),
            // no digest header: fetch and hash the manifest
            _ => Ok(Some(self.get_manifest_at(None, repo, tag)?.digest)),
        }
    }

    /// Downloads a blob into `dest` (streamed), verifying its digest and (when known) its size;
    /// at most `max` bytes are read. Mirrors are tried first.
    pub fn get_blob(
        &mut self,
        repo: &str,
        digest: &str,
        size: Option<u64>,
        max: u64,
        dest: &Path,
    ) -> Result<u64, Error> {
        for i in 0..self.mirrors.len() {
            match self.get_blob_at(Some(i), repo, digest, size, max, dest) {
                Ok(n) => return Ok(n),
                Err(e) => tracing::debug!(mirror = i, "mirror failed, trying the next: {e}"),
            }
        }
        self.get_blob_at(None, repo, digest, size, max, dest)
    }

    fn get_blob_at(
        &mut self,
        mirror: Option<usize>,
        repo: &str,
        digest: &str,
        size: Option<u64>,
        max: u64,
        dest: &Path,
    ) -> Result<u64, Error> {
        if !crate::is_sha256_digest(digest) {
            return Err(Error::Invalid(format!(
                "blob digest `{digest}` is not a sha256 digest"
            )));
        }
        let (url, mut r) = self.send(
            mirror,
            "GET",
            &format!("/v2/{repo}/blobs/{digest}"),
            &[],
            None,
        )?;
        let limit = size.unwrap_or(max).min(max);
        if let Some(s) = size
            && s > max
        {
            return Err(Error::TooLarge(format!(
                "{url}: blob of {s} bytes exceeds the limit of {max}"
            )));
        }
        Self::expect(&mut r, &url, &[200])?;
        let mut out = File::create(dest).map_err(|e| Error::io(dest, e))?;
        let mut h = Sha256::new();
        let mut reader = r.body_mut().with_config().limit(limit + 1).reader();
        let mut buf = vec![0u8; 1 << 16];
        let mut got = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::http(
                        &url,
                        format!("download failed after {got} bytes: {e}"),
                    ));
                }
            };
            if n == 0 {
                break;
            }
            got += n as u64;
            if got > limit {
                return Err(match size {
                    Some(s) if s <= max => {
                        Error::http(&url, format!("blob is larger than the {s} bytes expected"))
                    }
                    _ => Error::TooLarge(format!("{url}: blob exceeds the limit of {max} bytes")),
                });
            }
            h.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| Error::io(dest, e))?;
        }
        if let Some(s) = size
            && got != s
        {
            return Err(Error::http(
                &url,
                format!("blob truncated: {got} of {s} bytes"),
            ));
        }
        let actual = format!("sha256:{:x}", h.finalize());
        if actual != digest {
            return Err(Error::http(
                &url,
                format!("blob content has digest {actual}, not {digest}"),
            ));
        }
        out.sync_all().map_err(|e| Error::io(dest, e))?;
        Ok(got)
    }

    /// Every repository in the registry's catalog (`/v2/_catalog`, paginated), at most `max`.
    pub fn catalog(&mut self, max: usize) -> Result<Vec<String>, Error> {
        self.paged("/v2/_catalog?n=1000", "repositories", max)
    }

    /// Every tag of a repository (`/v2/<repo>/tags/list`, paginated), at most `max`.
    pub fn tags(&mut self, repo: &str, max: usize) -> Result<Vec<String>, Error> {
        match self.paged(&format!("/v2/{repo}/tags/list?n=1000"), "tags", max) {
            // a repository without tags answers 404 NAME_UNKNOWN on some registries
            Err(Error::Http { message, .. }) if message.starts_with("HTTP 404") => Ok(Vec::new()),
            r => r,
        }
    }

    fn paged(&mut self, first: &str, member: &str, max: usize) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut next = Some(first.to_owned());
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            if pages > 10_000 {
                return Err(Error::http(&path, "more than 10000 pages; giving up"));
            }
            let (url, mut r) = self.send(None, "GET", &path, &[], None)?;
            Self::expect(&mut r, &url, &[200])?;
            let link = header_value(&r, "link");
            let v: serde_json::Value = serde_json::from_slice(
                &r.body_mut()
                    .with_config()
                    .limit(16 << 20)
                    .read_to_vec()
                    .map_err(|e| Error::http(&url, e.to_string()))?,
            )
            .map_err(|e| Error::http(&url, format!("not JSON: {e}")))?;
            for s in v
                .get(member)
                .and_then(|a| a.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(s) = s.as_str() {
                    out.push(s.to_owned());
                    if out.len() >= max {
                        return Ok(out);
                    }
                }
            }
            // `Link: </v2/_catalog?last=x&n=1000>; rel="next"`
            next = link.and_then(|l| {
                let start = l.find('<')? + 1;
                let end = l.find('>')?;
                (end > start && l.contains("rel=\"next\"")).then(|| l[start..end].to_owned())
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#,
        )
        .unwrap_or_default();
        assert_eq!(c.len(), 3);
        assert_eq!(
            c[0],
            ("realm".into(), "https://auth.docker.io/token".into())
        );
        assert_eq!(c[2].1, "repository:library/debian:pull");
        assert!(parse_challenge("Basic realm=x").is_none());
    }

    /// A registry on loopback behind the distribution token flow, as Harbor's is: manifests
    /// answer 401 with a bearer challenge unless they carry `Bearer tok`; the realm issues
    /// `tok` for `Basic cm9ib3Q6cGFzcw==` (`robot:pass`). Serves `requests` connections.
    fn token_registry(requests: usize) -> (u16, std::thread::JoinHandle<Vec<String>>) {
        use std::io::{BufRead, BufReader};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:00","size":0},"layers":[]}"#;
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..requests {
                let Ok((stream, _)) = listener.accept() else {
                    break;
                };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                reader.read_line(&mut line).expect("request line");
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                let mut auth = String::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':')
                        && k.eq_ignore_ascii_case("authorization")
                    {
                        auth = v.trim().to_owned();
                    }
                }
                seen.push(format!("{path} {auth}"));
                let (status, headers, body): (&str, String, Vec<u8>) = if path.starts_with("/token")
                {
                    if auth == "Basic cm9ib3Q6cGFzcw==" {
                        ("200 OK", String::new(), br#"{"token":"tok"}"#.to_vec())
                    } else {
                        ("401 Unauthorized", String::new(), Vec::new())
                    }
                } else if auth == "Bearer tok" {
                    (
                        "200 OK",
                        "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n".into(),
                        manifest.to_vec(),
                    )
                } else {
                    (
                        "401 Unauthorized",
                        format!(
                            "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"reg\",scope=\"repository:app:pull\"\r\n"
                        ),
                        Vec::new(),
                    )
                };
                let mut out = stream;
                let _ = write!(
                    out,
                    "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = out.write_all(&body);
            }
            seen
        });
        (port, handle)
    }

    fn client_with(port: u16, authorization: &str) -> Client {
        Client::new(
            &format!("127.0.0.1:{port}"),
            &ClientOptions {
                authorization: Some(authorization.into()),
                ..ClientOptions::default()
            },
        )
        .expect("client")
    }

    #[test]
    fn raw_basic_authorization_is_exchanged_for_a_token() {
        let (port, server) = token_registry(3);
        let mut c = client_with(port, "Basic cm9ib3Q6cGFzcw==");
        // fetched by tag: the content is not checked against a digest
        let m = c.get_manifest("app", "1.0").expect("manifest");
        assert_eq!(m.media_type, media::OCI_MANIFEST);
        let seen = server.join().expect("server");
        assert_eq!(
            seen,
            vec![
                "/v2/app/manifests/1.0 Basic cm9ib3Q6cGFzcw==".to_owned(),
                "/token?service=reg&scope=repository:app:pull Basic cm9ib3Q6cGFzcw==".to_owned(),
                "/v2/app/manifests/1.0 Bearer tok".to_owned(),
            ]
        );
    }

    #[test]
    fn raw_bearer_authorization_is_sent_as_is() {
        let (port, server) = token_registry(1);
        let mut c = client_with(port, "Bearer tok");
        assert!(c.get_manifest("app", "1.0").is_ok());
        assert_eq!(
            server.join().expect("server"),
            vec!["/v2/app/manifests/1.0 Bearer tok".to_owned()]
        );
    }

    #[test]
    fn rejected_raw_authorizations_are_errors() {
        let (port, server) = token_registry(1);
        let e = client_with(port, "Bearer expired")
            .get_manifest("app", "1.0")
            .expect_err("rejected");
        assert!(e.to_string().contains("rejected the authorization"), "{e}");
        server.join().expect("server");
        let (port, server) = token_registry(2);
        let e = client_with(port, "Basic d3Jvbmc6d3Jvbmc=")
            .get_manifest("app", "1.0")
            .expect_err("rejected");
        assert!(e.to_string().contains("token request: HTTP 401"), "{e}");
        server.join().expect("server");
        assert!(
            Client::new(
                "127.0.0.1:5000",
                &ClientOptions {
                    authorization: Some("Basic a\r\nX-Evil: 1".into()),
                    ..ClientOptions::default()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url("127.0.0.1:5000", false).ok().as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            base_url("registry.example.com", false).ok().as_deref(),
            Some("https://registry.example.com")
        );
        assert!(base_url("http://registry.example.com", false).is_err());
        assert!(base_url("http://registry.example.com", true).is_ok());
        assert!(base_url("https://user@host", false).is_err());
        assert!(base_url("https://host/path", false).is_err());
    }
}
