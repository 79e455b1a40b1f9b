//! Where findings reports and SBOM exports are written: a local directory (the default) or an
//! S3-compatible server.
//!
//! - **Local directory** (`vigil server --export-dir DIR`, default `<data-dir>/exports`): the
//!   object `BUCKET/KEY` is the file `DIR/BUCKET/KEY`. Bucket names follow S3's rules
//!   (3–63 characters of `a-z 0-9 . -`), keys are `/`-separated segments of `A-Z a-z 0-9 . _ -`
//!   without `.`/`..` segments, so nothing is ever written outside `DIR`. An object is written
//!   to a temporary file in `DIR/.vigil-tmp/` and renamed into place when complete (same
//!   filesystem: atomic), so a reader never sees a partial object; the temporary directory is
//!   emptied at start.
//! - **S3** (`--export-s3-endpoint URL`): path-style requests (`URL/BUCKET/KEY`), signed with
//!   SigV4 (service `s3`, the payload's SHA-256 as `x-amz-content-sha256`). An object up to
//!   one part (8 MiB, `VIGIL_EXPORT_S3_PART_SIZE`) is one `PutObject`; a larger one a
//!   multipart upload (`CreateMultipartUpload`, `UploadPart`, `CompleteMultipartUpload`),
//!   which S3 publishes atomically on completion and which is aborted
//!   (`AbortMultipartUpload`) when the report fails or is cancelled. Memory: one part buffer
//!   per object being written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

/// Why an object could not be written: inspector2's `ReportingErrorCode` and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError {
    /// `INTERNAL_ERROR`, `INVALID_PERMISSIONS`, `BUCKET_NOT_FOUND`, ...
    pub code: &'static str,
    pub message: String,
}

impl ExportError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ExportError {
        ExportError {
            code,
            message: message.into(),
        }
    }
    fn internal(message: impl Into<String>) -> ExportError {
        ExportError::new("INTERNAL_ERROR", message)
    }
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The default S3 part size (S3's minimum for all but the last part is 5 MiB).
pub const DEFAULT_PART_SIZE: usize = 8 << 20;

/// S3 endpoint settings.
#[derive(Clone)]
pub struct S3Config {
    /// `http://127.0.0.1:9000` (plain HTTP only on loopback) or `https://…`, no path.
    pub endpoint: String,
    pub region: String,
    pub credentials: vigil_sigv4::Credentials,
    pub part_size: usize,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .field("part_size", &self.part_size)
            .finish()
    }
}

/// Checks an S3 endpoint URL: `http(s)://host[:port]`, plain HTTP only to a loopback host.
pub fn check_endpoint(url: &str) -> Result<String, String> {
    let url = url.trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not a URL (http://host:port or https://host)"))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('@') || rest.contains('?') {
        return Err(format!(
            "`{url}`: give scheme, host and port only (no path, query or user info)"
        ));
    }
    let host = if let Some(h) = rest.strip_prefix('[') {
        h.split(']').next().unwrap_or_default()
    } else {
        rest.rsplit_once(':').map_or(rest, |(h, _)| h)
    };
    match scheme {
        "https" => Ok(url.to_owned()),
        "http" if matches!(host, "127.0.0.1" | "localhost" | "::1") || host.starts_with("127.") => {
            Ok(url.to_owned())
        }
        "http" => Err(format!(
            "`{url}`: plain http is allowed to a loopback host only; use https"
        )),
        _ => Err(format!("`{url}`: the scheme must be http or https")),
    }
}

/// Reads S3 credentials from a file: an AWS credentials file (`aws_access_key_id = …`,
/// `aws_secret_access_key = …`, first ones found) or two lines (key id, then secret).
pub fn read_credentials(text: &str) -> Result<vigil_sigv4::Credentials, String> {
    let mut id = None;
    let mut secret = None;
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" if id.is_none() => id = Some(v.trim().to_owned()),
                "aws_secret_access_key" if secret.is_none() => secret = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    if id.is_none() && secret.is_none() {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        id = lines.next().map(str::to_owned);
        secret = lines.next().map(str::to_owned);
    }
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            Ok(vigil_sigv4::Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: None,
            })
        }
        _ => Err(
            "no credentials: expected `aws_access_key_id = …` and `aws_secret_access_key = …` lines, or the key id and the secret on two lines"
                .into(),
        ),
    }
}

/// Checks a bucket name with S3's rules (which also keep it one safe path segment).
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    let ok = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && !name.contains("..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid bucket name (3 to 63 characters of a-z, 0-9, `.` and `-`, starting and ending with a letter or digit, no `..`)"
        ))
    }
}

/// Checks a key prefix and answers it without leading and trailing `/`: segments of
/// `A-Z a-z 0-9 . _ -`, none empty, `.` or `..`, at most 512 characters.
pub fn normalize_prefix(prefix: &str) -> Result<String, String> {
    if prefix.len() > 512 {
        return Err("is longer than 512 characters".into());
    }
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        return Ok(String::new());
    }
    for seg in p.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(format!(
                "`{prefix}` has an empty, `.` or `..` segment (no path traversal)"
            ));
        }
        if !seg.bytes().all(safe_byte) {
            return Err(format!(
                "`{prefix}`: only A-Z, a-z, 0-9, `.`, `_`, `-` and `/` are allowed"
            ));
        }
    }
    Ok(p.to_owned())
}

fn safe_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-'
}

/// A key segment from arbitrary text (a resource id): unsafe characters become `_`, and when
/// anything was replaced a short digest of the original keeps distinct ids distinct.
pub fn key_segment(text: &str) -> String {
    use sha2::Digest;
    let mut s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii() && safe_byte(c as u8) {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    if s.is_empty() || s == "." || s == ".." || s != text {
        let d = sha2::Sha256::digest(text.as_bytes());
        s.push('-');
        for b in &d[..4] {
            s.push_str(&format!("{b:02x}"));
        }
    }
    s
}

/// A streamed object: written, then published with [`ObjectSink::commit`] or dropped with
/// [`ObjectSink::abort`] (dropping it without either aborts too).
pub trait ObjectSink: Write + Send {
    fn commit(self: Box<Self>) -> Result<(), ExportError>;
    fn abort(self: Box<Self>);
}

/// A destination for exported objects.
pub enum Destination {
    Local { dir: PathBuf },
    S3(S3Client),
}

impl Destination {
    /// A description for logs and errors (no credentials).
    pub fn describe(&self) -> String {
        match self {
            Destination::Local { dir } => format!("directory `{}`", dir.display()),
            Destination::S3(c) => format!("S3 endpoint `{}`", c.config.endpoint),
        }
    }

    /// Prepares the destination at start (the local temporary directory is emptied).
    pub fn prepare(&self) -> std::io::Result<()> {
        if let Destination::Local { dir } = self {
            let tmp = dir.join(".vigil-tmp");
            if tmp.exists() {
                std::fs::remove_dir_all(&tmp)?;
            }
            std::fs::create_dir_all(&tmp)?;
        }
        Ok(())
    }

    /// Checks that the bucket exists (S3) or can be created below the export directory.
    pub fn check_bucket(&self, bucket: &str) -> Result<(), ExportError> {
        check_bucket_name(bucket).map_err(|m| ExportError::new("BUCKET_NOT_FOUND", m))?;
        match self {
            Destination::Local { dir } => {
                let path = dir.join(bucket);
                std::fs::create_dir_all(&path).map_err(|e| {
                    ExportError::new(
                        "INVALID_PERMISSIONS",
                        format!("cannot create bucket directory `{}`: {e}", path.display()),
                    )
                })
            }
            Destination::S3(c) => c.head_bucket(bucket),
        }
    }

    /// Starts writing the object `bucket/key` (`key` made of checked segments).
    pub fn open(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectSink>, ExportError> {
        check_bucket_name(bucket).map_err(|m| ExportError::new("BUCKET_NOT_FOUND", m))?;
        normalize_prefix(key).map_err(|m| ExportError::internal(format!("object key {m}")))?;
        match self {
            Destination::Local { dir } => {
                let tmp_dir = dir.join(".vigil-tmp");
                std::fs::create_dir_all(&tmp_dir).map_err(|e| {
                    ExportError::internal(format!("cannot create `{}`: {e}", tmp_dir.display()))
                })?;
                let tmp = tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| {
                    ExportError::internal(format!(
                        "cannot create a temporary file in `{}`: {e}",
                        tmp_dir.display()
                    ))
                })?;
                Ok(Box::new(LocalSink {
                    file: Some(std::io::BufWriter::with_capacity(256 << 10, tmp)),
                    target: dir.join(bucket).join(key),
                }))
            }
            Destination::S3(c) => Ok(Box::new(S3Sink {
                client: c.clone(),
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                buf: Vec::new(),
                upload: None,
                parts: Vec::new(),
                error: None,
                done: false,
            })),
        }
    }

    /// Removes a published object (a report cancelled after it was written).
    pub fn delete(&self, bucket: &str, key: &str) -> Result<(), ExportError> {
        check_bucket_name(bucket).map_err(|m| ExportError::new("BUCKET_NOT_FOUND", m))?;
        normalize_prefix(key).map_err(|m| ExportError::internal(format!("object key {m}")))?;
        match self {
            Destination::Local { dir } => {
                let path = dir.join(bucket).join(key);
                match std::fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(ExportError::internal(format!(
                        "cannot remove `{}`: {e}",
                        path.display()
                    ))),
                }
            }
            Destination::S3(c) => c.delete(bucket, key),
        }
    }
}

struct LocalSink {
    file: Option<std::io::BufWriter<tempfile::NamedTempFile>>,
    target: PathBuf,
}

impl Write for LocalSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("object already closed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl ObjectSink for LocalSink {
    fn commit(mut self: Box<Self>) -> Result<(), ExportError> {
        let file = self
            .file
            .take()
            .ok_or_else(|| ExportError::internal("object already closed"))?;
        let target = self.target.clone();
        let tmp = file.into_inner().map_err(|e| {
            ExportError::internal(format!(
                "cannot write `{}`: {}",
                target.display(),
                e.error()
            ))
        })?;
        tmp.as_file().sync_all().map_err(|e| {
            ExportError::internal(format!("cannot write `{}`: {e}", target.display()))
        })?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                ExportError::new(
                    "INVALID_PERMISSIONS",
                    format!("cannot create `{}`: {e}", parent.display()),
                )
            })?;
        }
        tmp.persist(&target).map_err(|e| {
            ExportError::internal(format!(
                "cannot publish `{}`: {}",
                target.display(),
                e.error
            ))
        })?;
        Ok(())
    }
    fn abort(mut self: Box<Self>) {
        // the temporary file is removed when dropped
        self.file.take();
    }
}

/// A small S3 client (path-style, SigV4).
#[derive(Clone)]
pub struct S3Client {
    pub config: S3Config,
    agent: ureq::Agent,
}

impl S3Client {
    pub fn new(config: S3Config) -> S3Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_send_body(Some(Duration::from_secs(300)))
            .max_redirects(0)
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .build();
        S3Client {
            config,
            agent: ureq::Agent::new_with_config(agent),
        }
    }

    /// One signed request; answers the status and (at most 1 MiB of) the body.
    fn call(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        query: &str,
        body: Vec<u8>,
    ) -> Result<(u16, String, Option<String>), ExportError> {
        let path = if key.is_empty() {
            format!("/{bucket}")
        } else {
            format!("/{bucket}/{key}")
        };
        let host = self
            .config
            .endpoint
            .split_once("://")
            .map_or(self.config.endpoint.as_str(), |(_, h)| h)
            .to_owned();
        let headers = vec![("host".to_owned(), host)];
        let req = vigil_sigv4::Request {
            method,
            path: &path,
            query,
            headers: &headers,
            body: &body,
        };
        let signed = vigil_sigv4::sign(
            &req,
            &self.config.credentials,
            &self.config.region,
            "s3",
            OffsetDateTime::now_utc(),
        );
        let url = if query.is_empty() {
            format!("{}{path}", self.config.endpoint)
        } else {
            format!("{}{path}?{query}", self.config.endpoint)
        };
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in &signed {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let sent = if body.is_empty() {
            builder
                .body(())
                .map(|r| self.agent.run(r))
                .map_err(|e| ExportError::internal(format!("{method} {url}: {e}")))?
        } else {
            builder
                .body(body)
                .map(|r| self.agent.run(r))
                .map_err(|e| ExportError::internal(format!("{method} {url}: {e}")))?
        };
        let mut resp = sent.map_err(|e| {
            ExportError::internal(format!(
                "cannot reach the S3 endpoint `{}` ({method} /{bucket}/{key}): {e}",
                self.config.endpoint
            ))
        })?;
        let status = resp.status().as_u16();
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        Ok((status, text, etag))
    }

    fn fail(&self, what: &str, bucket: &str, key: &str, status: u16, body: &str) -> ExportError {
        let code = xml_value(body, "Code").unwrap_or_default();
        let message = xml_value(body, "Message").unwrap_or_default();
        let detail = format!(
            "{what} s3://{bucket}/{key} at `{}` failed: HTTP {status} {code} {message}",
            self.config.endpoint
        );
        let code = match (status, code.as_str()) {
            (404, _) | (_, "NoSuchBucket") => "BUCKET_NOT_FOUND",
            (403, _) | (401, _) => "INVALID_PERMISSIONS",
            _ => "INTERNAL_ERROR",
        };
        ExportError::new(code, detail.trim_end().to_owned())
    }

    fn head_bucket(&self, bucket: &str) -> Result<(), ExportError> {
        let (status, body, _) = self.call("HEAD", bucket, "", "", Vec::new())?;
        if status == 200 {
            Ok(())
        } else if status == 404 {
            Err(ExportError::new(
                "BUCKET_NOT_FOUND",
                format!(
                    "bucket `{bucket}` does not exist at `{}`",
                    self.config.endpoint
                ),
            ))
        } else {
            Err(self.fail("HeadBucket", bucket, "", status, &body))
        }
    }

    fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ExportError> {
        let (status, text, _) = self.call("PUT", bucket, key, "", body)?;
        if status == 200 {
            Ok(())
        } else {
            Err(self.fail("PutObject", bucket, key, status, &text))
        }
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<(), ExportError> {
        let (status, text, _) = self.call("DELETE", bucket, key, "", Vec::new())?;
        if status == 204 || status == 200 || status == 404 {
            Ok(())
        } else {
            Err(self.fail("DeleteObject", bucket, key, status, &text))
        }
    }

    fn create_upload(&self, bucket: &str, key: &str) -> Result<String, ExportError> {
        let (status, text, _) = self.call("POST", bucket, key, "uploads=", Vec::new())?;
        if status != 200 {
            return Err(self.fail("CreateMultipartUpload", bucket, key, status, &text));
        }
        xml_value(&text, "UploadId").ok_or_else(|| {
            ExportError::internal(format!(
                "CreateMultipartUpload s3://{bucket}/{key}: no UploadId in the answer"
            ))
        })
    }

    fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        n: usize,
        body: Vec<u8>,
    ) -> Result<String, ExportError> {
        let query = format!("partNumber={n}&uploadId={}", encode(upload));
        let (status, text, etag) = self.call("PUT", bucket, key, &query, body)?;
        if status != 200 {
            return Err(self.fail("UploadPart", bucket, key, status, &text));
        }
        etag.ok_or_else(|| {
            ExportError::internal(format!(
                "UploadPart {n} of s3://{bucket}/{key}: no ETag in the answer"
            ))
        })
    }

    fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        parts: &[String],
    ) -> Result<(), ExportError> {
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (i, etag) in parts.iter().enumerate() {
            xml.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                i + 1,
                etag.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let query = format!("uploadId={}", encode(upload));
        let (status, text, _) = self.call("POST", bucket, key, &query, xml.into_bytes())?;
        // S3 may answer 200 with an error document
        if status != 200 || text.contains("<Error>") {
            return Err(self.fail("CompleteMultipartUpload", bucket, key, status, &text));
        }
        Ok(())
    }

    fn abort_upload(&self, bucket: &str, key: &str, upload: &str) {
        let query = format!("uploadId={}", encode(upload));
        match self.call("DELETE", bucket, key, &query, Vec::new()) {
            Ok((204 | 200 | 404, _, _)) => {}
            Ok((status, text, _)) => {
                tracing::warn!(bucket, key, status, "AbortMultipartUpload failed: {text}")
            }
            Err(e) => tracing::warn!(bucket, key, "AbortMultipartUpload failed: {e}"),
        }
    }
}

/// RFC 3986 percent-encoding of a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of the first `<tag>…</tag>` of an XML document (S3's answers are simple).
fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(
        xml[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

struct S3Sink {
    client: S3Client,
    bucket: String,
    key: String,
    buf: Vec<u8>,
    upload: Option<String>,
    parts: Vec<String>,
    /// The first failure: later writes fail with it, commit reports it.
    error: Option<ExportError>,
    done: bool,
}

impl S3Sink {
    fn flush_part(&mut self) -> Result<(), ExportError> {
        let upload = match &self.upload {
            Some(u) => u.clone(),
            None => {
                let u = self.client.create_upload(&self.bucket, &self.key)?;
                self.upload = Some(u.clone());
                u
            }
        };
        let n = self.parts.len() + 1;
        let part = std::mem::take(&mut self.buf);
        let etag = self
            .client
            .upload_part(&self.bucket, &self.key, &upload, n, part)?;
        self.parts.push(etag);
        Ok(())
    }
}

impl Write for S3Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Some(e) = &self.error {
            return Err(std::io::Error::other(e.to_string()));
        }
        let part = self.client.config.part_size.max(1);
        self.buf.extend_from_slice(data);
        if self.buf.len() >= part
            && let Err(e) = self.flush_part()
        {
            self.error = Some(e.clone());
            return Err(std::io::Error::other(e.to_string()));
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectSink for S3Sink {
    fn commit(mut self: Box<Self>) -> Result<(), ExportError> {
        self.done = true;
        if let Some(e) = self.error.take() {
            if let Some(u) = self.upload.take() {
                self.client.abort_upload(&self.bucket, &self.key, &u);
            }
            return Err(e);
        }
        let Some(upload) = self.upload.clone() else {
            let body = std::mem::take(&mut self.buf);
            return self.client.put(&self.bucket, &self.key, body);
        };
        let out = (|| {
            if !self.buf.is_empty() {
                self.flush_part()?;
            }
            self.client
                .complete_upload(&self.bucket, &self.key, &upload, &self.parts)
        })();
        if out.is_err() {
            self.client.abort_upload(&self.bucket, &self.key, &upload);
        }
        self.upload = None;
        out
    }
    fn abort(mut self: Box<Self>) {
        self.done = true;
        if let Some(u) = self.upload.take() {
            self.client.abort_upload(&self.bucket, &self.key, &u);
        }
    }
}

impl Drop for S3Sink {
    fn drop(&mut self) {
        if !self.done
            && let Some(u) = self.upload.take()
        {
            self.client.abort_upload(&self.bucket, &self.key, &u);
        }
    }
}

/// The export directory's default: `<data-dir>/exports`.
pub fn default_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("exports")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        assert!(check_bucket_name("reports-1.example").is_ok());
        for bad in [
            "..", "a", "../etc", "a/b", "UPPER", "-dash", "dots..x", ".hidden", "x\\y",
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_cannot_traverse() {
        assert_eq!(normalize_prefix("/a/b/").as_deref(), Ok("a/b"));
        assert_eq!(normalize_prefix("").as_deref(), Ok(""));
        for bad in ["a/../b", "..", "a//b", "./a", "a b", "a\\..\\b", "ä"] {
            assert!(normalize_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_segments_are_safe_and_distinct() {
        assert_eq!(key_segment("i-0abc"), "i-0abc");
        let a = key_segment("arn:aws:ecr:us-east-1:1:repository/x/sha256:ab");
        let b = key_segment("arn:aws:ecr:us-east-1:1:repository/x_sha256:ab");
        assert_ne!(a, b);
        assert!(normalize_prefix(&a).is_ok() && !a.contains('/'));
        assert!(normalize_prefix(&key_segment("..")).is_ok());
    }

    #[test]
    fn endpoints_plain_http_only_on_loopback() {
        assert!(check_endpoint("http://127.0.0.1:9000").is_ok());
        assert!(check_endpoint("http://localhost:9000/").is_ok());
        assert!(check_endpoint("https://s3.example.com").is_ok());
        assert!(check_endpoint("http://s3.example.com").is_err());
        assert!(check_endpoint("http://127.0.0.1:9000/path").is_err());
        assert!(check_endpoint("ftp://127.0.0.1").is_err());
    }

    #[test]
    fn credentials_files() {
        let c = read_credentials("[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n")
            .expect("ini");
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("AK", "SK")
        );
        let c = read_credentials("AK2\nSK2\n").expect("lines");
        assert_eq!(c.access_key_id, "AK2");
        assert!(read_credentials("only-one\n").is_err());
    }

    #[test]
    fn local_objects_appear_only_when_committed() {
        let dir = tempfile::tempdir().expect("tmp");
        let d = Destination::Local {
            dir: dir.path().to_owned(),
        };
        d.prepare().expect("prepare");
        d.check_bucket("bucket-a").expect("bucket");
        let mut s = d.open("bucket-a", "p/r.json").expect("open");
        s.write_all(b"{}").expect("write");
        assert!(!dir.path().join("bucket-a/p/r.json").exists());
        s.commit().expect("commit");
        assert_eq!(
            std::fs::read(dir.path().join("bucket-a/p/r.json")).expect("read"),
            b"{}"
        );
        let mut s = d.open("bucket-a", "p/x.json").expect("open");
        s.write_all(b"partial").expect("write");
        s.abort();
        assert!(!dir.path().join("bucket-a/p/x.json").exists());
        assert_eq!(
            std::fs::read_dir(dir.path().join(".vigil-tmp"))
                .expect("tmp dir")
                .count(),
            0
        );
    }
}
