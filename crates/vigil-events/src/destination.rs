//! The kinds of destination events are delivered to. Everything kind-specific lives here:
//! reading a destination's settings from a request (with field-named errors), what is stored
//! and shown, and the [`Sender`] that delivers a batch. Adding a kind means adding a variant
//! and its arms in this file (as Security Hub's BatchImportFindings was).

use std::time::Duration;

use serde_json::{Value, json};

use crate::nats;

/// A setting that cannot be used: the request member (`webhook.url`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn ferr(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nats {
    pub url: String,
    pub subject: String,
    /// When set, a PubAck from another stream is a failure (the subject is captured by the
    /// wrong stream).
    pub stream: Option<String>,
}

/// A Security Hub (or compatible) endpoint taking BatchImportFindings: finding events become
/// ASFF findings (`vigil_export::asff`); coverage and scan events are not findings and are
/// passed over. The secret access key is the destination's sealed secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityHub {
    /// `https://securityhub.REGION.amazonaws.com`, or `http://` on loopback.
    pub endpoint: String,
    /// The signing region.
    pub region: String,
    pub access_key_id: String,
    /// The `ProductArn` of the findings (default: the account's own custom product,
    /// `arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`).
    pub product_arn: Option<String>,
}

/// A destination's kind and settings (its secret is kept apart, sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Webhook(Webhook),
    Nats(Nats),
    SecurityHub(SecurityHub),
}

/// The kinds a request may name.
pub const KINDS: [&str; 3] = ["WEBHOOK", "NATS", "SECURITY_HUB"];

/// Findings per BatchImportFindings request (Security Hub's limit).
pub const SECURITY_HUB_BATCH: usize = 100;

/// The default and largest webhook timeouts.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 10;
pub const MAX_TIMEOUT_SECONDS: u64 = 60;

/// One event to deliver.
#[derive(Debug, Clone, Copy)]
pub struct OutEvent<'a> {
    /// The event id (idempotency key).
    pub id: &'a str,
    pub detail_type: &'a str,
    /// The envelope, JSON.
    pub body: &'a [u8],
}

/// Delivers batches; one per destination, reused between batches (connections kept).
pub trait Sender: Send {
    /// Each event's outcome, in order: delivered, or why not (to be retried).
    fn send_batch(&mut self, events: &[OutEvent<'_>]) -> Vec<Result<(), String>>;
}

/// `host` of `scheme://[userinfo@]host[:port]/…`, lowercased, brackets kept for IPv6.
fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if hostport.starts_with('[') {
        return hostport
            .split(']')
            .next()
            .map_or(hostport, |h| &hostport[..h.len() + 1]);
    }
    hostport.split(':').next().unwrap_or("")
}

/// Loopback: `localhost`, 127.0.0.0/8, `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost"
        || h == "[::1]"
        || h.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

fn check_webhook_url(url: &str) -> Result<(), FieldError> {
    check_http_url(url, "webhook.url")
}

fn check_http_url(url: &str, field: &str) -> Result<(), FieldError> {
    let f = field;
    if url.len() > 2048 {
        return Err(ferr(f, "is longer than 2048 characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ferr(f, "must not contain spaces or control characters"));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| ferr(f, "must be an http:// or https:// URL"))?;
    let host = host_of(rest);
    if host.is_empty() {
        return Err(ferr(f, "has no host"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err(ferr(
            f,
            format!("plain http is only allowed to loopback hosts, not `{host}`; use https"),
        )),
        other => Err(ferr(f, format!("scheme `{other}` is not http or https"))),
    }
}

fn str_member<'a>(o: &'a Value, key: &str, field: &str) -> Result<Option<&'a str>, FieldError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ferr(field, "must be a string")),
    }
}

fn only(o: &Value, allowed: &[&str], at: &str) -> Result<(), FieldError> {
    let Some(m) = o.as_object() else {
        return Err(ferr(at, "must be an object"));
    };
    if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ferr(&format!("{at}.{k}"), "is not a known member"));
    }
    Ok(())
}

/// A NATS subject to publish to: dot-separated tokens, no wildcards or spaces.
fn check_subject(s: &str, field: &str) -> Result<(), FieldError> {
    if s.is_empty() || s.len() > 256 {
        return Err(ferr(field, "must be 1 to 256 characters"));
    }
    if s.split('.').any(|t| t.is_empty() || t == "*" || t == ">")
        || s.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ferr(
            field,
            "must be dot-separated tokens without wildcards or spaces",
        ));
    }
    Ok(())
}

impl Destination {
    /// The kind's name (`WEBHOOK`, `NATS`).
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Webhook(_) => "WEBHOOK",
            Destination::Nats(_) => "NATS",
            Destination::SecurityHub(_) => "SECURITY_HUB",
        }
    }

    /// Reads the kind's settings from a create request: `type` and the member named after
    /// the kind (`webhook`, `nats`). Answers the destination and the signing secret the
    /// caller gave, if any.
    pub fn from_request(
        kind: &str,
        input: &Value,
    ) -> Result<(Destination, Option<String>), FieldError> {
        match kind {
            "WEBHOOK" => {
                let w = input
                    .get("webhook")
                    .ok_or_else(|| ferr("webhook", "is required for type WEBHOOK"))?;
                only(w, &["url", "secret", "timeoutSeconds"], "webhook")?;
                let url = str_member(w, "url", "webhook.url")?
                    .ok_or_else(|| ferr("webhook.url", "is required"))?;
                check_webhook_url(url)?;
                let secret = str_member(w, "secret", "webhook.secret")?;
                if let Some(s) = secret
                    && !(16..=512).contains(&s.len())
                {
                    return Err(ferr("webhook.secret", "must be 16 to 512 characters"));
                }
                let timeout = match w.get("timeoutSeconds") {
                    None | Some(Value::Null) => DEFAULT_TIMEOUT_SECONDS,
                    Some(v) => v
                        .as_u64()
                        .filter(|t| (1..=MAX_TIMEOUT_SECONDS).contains(t))
                        .ok_or_else(|| {
                            ferr(
                                "webhook.timeoutSeconds",
                                format!("must be an integer from 1 to {MAX_TIMEOUT_SECONDS}"),
                            )
                        })?,
                };
                Ok((
                    Destination::Webhook(Webhook {
                        url: url.to_owned(),
                        timeout: Duration::from_secs(timeout),
                    }),
                    secret.map(str::to_owned),
                ))
            }
            "NATS" => {
                let n = input
                    .get("nats")
                    .ok_or_else(|| ferr("nats", "is required for type NATS"))?;
                only(n, &["url", "subject", "stream"], "nats")?;
                let url = str_member(n, "url", "nats.url")?
                    .ok_or_else(|| ferr("nats.url", "is required"))?;
                nats::parse_url(url).map_err(|m| ferr("nats.url", m))?;
                let subject = str_member(n, "subject", "nats.subject")?
                    .ok_or_else(|| ferr("nats.subject", "is required"))?;
                check_subject(subject, "nats.subject")?;
                let stream = str_member(n, "stream", "nats.stream")?;
                if let Some(s) = stream
                    && (s.is_empty()
                        || s.len() > 64
                        || s.chars().any(|c| c.is_whitespace() || ".*>".contains(c)))
                {
                    return Err(ferr("nats.stream", "is not a JetStream stream name"));
                }
                Ok((
                    Destination::Nats(Nats {
                        url: url.to_owned(),
                        subject: subject.to_owned(),
                        stream: stream.map(str::to_owned),
                    }),
                    None,
                ))
            }
            "SECURITY_HUB" => {
                const M: &str = "securityHub";
                let h = input
                    .get(M)
                    .ok_or_else(|| ferr(M, "is required for type SECURITY_HUB"))?;
                only(
                    h,
                    &[
                        "endpoint",
                        "region",
                        "accessKeyId",
                        "secretAccessKey",
                        "productArn",
                    ],
                    M,
                )?;
                let endpoint = str_member(h, "endpoint", "securityHub.endpoint")?
                    .ok_or_else(|| ferr("securityHub.endpoint", "is required"))?;
                check_http_url(endpoint, "securityHub.endpoint")?;
                if endpoint
                    .split_once("://")
                    .is_some_and(|(_, rest)| rest.trim_end_matches('/').contains('/'))
                {
                    return Err(ferr("securityHub.endpoint", "must have no path"));
                }
                let region = str_member(h, "region", "securityHub.region")?
                    .ok_or_else(|| ferr("securityHub.region", "is required"))?;
                if region.is_empty()
                    || region.len() > 32
                    || !region
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(ferr("securityHub.region", "is not a region name"));
                }
                let key = str_member(h, "accessKeyId", "securityHub.accessKeyId")?
                    .ok_or_else(|| ferr("securityHub.accessKeyId", "is required"))?;
                if !(4..=128).contains(&key.len())
                    || !key.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    return Err(ferr("securityHub.accessKeyId", "is not an access key id"));
                }
                let secret = str_member(h, "secretAccessKey", "securityHub.secretAccessKey")?
                    .ok_or_else(|| ferr("securityHub.secretAccessKey", "is required"))?;
                if secret.is_empty() || secret.len() > 256 {
                    return Err(ferr(
                        "securityHub.secretAccessKey",
                        "must be 1 to 256 characters",
                    ));
                }
                let product_arn = str_member(h, "productArn", "securityHub.productArn")?;
                if let Some(a) = product_arn
                    && !(a.starts_with("arn:")
                        && a.contains(":securityhub:")
                        && a.contains(":product/"))
                {
                    return Err(ferr(
                        "securityHub.productArn",
                        "is not a Security Hub product ARN (arn:PARTITION:securityhub:REGION:ACCOUNT:product/…)",
                    ));
                }
                Ok((
                    Destination::SecurityHub(SecurityHub {
                        endpoint: endpoint.trim_end_matches('/').to_owned(),
                        region: region.to_owned(),
                        access_key_id: key.to_owned(),
                        product_arn: product_arn.map(str::to_owned),
                    }),
                    Some(secret.to_owned()),
                ))
            }
            other => Err(ferr(
                "type",
                format!("`{other}` is not one of {}", KINDS.join(", ")),
            )),
        }
    }

    /// Does the kind sign with a secret (generated at creation when none is given)?
    pub fn signs(&self) -> bool {
        matches!(self, Destination::Webhook(_))
    }

    /// The settings as stored (no secret).
    pub fn to_stored(&self) -> Value {
        match self {
            Destination::Webhook(w) => {
                json!({"url": w.url, "timeoutSeconds": w.timeout.as_secs()})
            }
            Destination::Nats(n) => json!({"url": n.url, "subject": n.subject, "stream": n.stream}),
            Destination::SecurityHub(h) => json!({"endpoint": h.endpoint, "region": h.region,
                "accessKeyId": h.access_key_id, "productArn": h.product_arn}),
        }
    }

    /// The settings as the API shows them: the stored ones, credentials in URLs redacted,
    /// under the kind's member name.
    pub fn to_public(&self) -> (&'static str, Value) {
        match self {
            Destination::Webhook(w) => (
                "webhook",
                json!({"url": nats::redact(&w.url), "timeoutSeconds": w.timeout.as_secs()}),
            ),
            Destination::Nats(n) => (
                "nats",
                json!({"url": nats::redact(&n.url), "subject": n.subject, "stream": n.stream}),
            ),
            // the secret access key is never shown again
            Destination::SecurityHub(h) => (
                "securityHub",
                json!({"endpoint": h.endpoint, "region": h.region, "accessKeyId": h.access_key_id,
                       "productArn": h.product_arn}),
            ),
        }
    }

    /// Reads stored settings back.
    pub fn from_stored(kind: &str, v: &Value) -> Result<Destination, String> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        match kind {
            "WEBHOOK" => Ok(Destination::Webhook(Webhook {
                url: s("url").ok_or("stored webhook has no url")?,
                timeout: Duration::from_secs(
                    v["timeoutSeconds"]
                        .as_u64()
                        .unwrap_or(DEFAULT_TIMEOUT_SECONDS),
                ),
            })),
            "NATS" => Ok(Destination::Nats(Nats {
                url: s("url").ok_or("stored NATS destination has no url")?,
                subject: s("subject").ok_or("stored NATS destination has no subject")?,
                stream: s("stream"),
            })),
            "SECURITY_HUB" => Ok(Destination::SecurityHub(SecurityHub {
                endpoint: s("endpoint").ok_or("stored Security Hub destination has no endpoint")?,
                region: s("region").ok_or("stored Security Hub destination has no region")?,
                access_key_id: s("accessKeyId")
                    .ok_or("stored Security Hub destination has no access key id")?,
                product_arn: s("productArn"),
            })),
            other => Err(format!("unknown stored destination kind `{other}`")),
        }
    }

    /// How many events of one batch are in flight at once.
    pub fn concurrency(&self) -> usize {
        match self {
            Destination::Webhook(_) => 8,
            // pipelined over one connection
            Destination::Nats(_) => 1,
            // 100 findings per request
            Destination::SecurityHub(_) => 1,
        }
    }

    /// The sender for this destination.
    pub fn sender(&self, secret: Option<Vec<u8>>) -> Box<dyn Sender> {
        match self {
            Destination::Webhook(w) => Box::new(WebhookSender {
                agent: webhook_agent(w.timeout),
                url: w.url.clone(),
                secret: secret.unwrap_or_default(),
                concurrency: self.concurrency(),
            }),
            Destination::Nats(n) => Box::new(NatsSender {
                config: n.clone(),
                client: None,
            }),
            Destination::SecurityHub(h) => Box::new(SecurityHubSender {
                agent: webhook_agent(Duration::from_secs(30)),
                config: h.clone(),
                secret: String::from_utf8(secret.unwrap_or_default()).unwrap_or_default(),
            }),
        }
    }
}

struct SecurityHubSender {
    agent: ureq::Agent,
    config: SecurityHub,
    secret: String,
}

impl SecurityHubSender {
    /// One BatchImportFindings request: each finding's outcome by its `Id`.
    fn import(
        &self,
        findings: &[Value],
    ) -> Result<std::collections::HashMap<String, String>, String> {
        let body = serde_json::to_vec(&json!({ "Findings": findings }))
            .map_err(|e| format!("BatchImportFindings body: {e}"))?;
        let host = self
            .config
            .endpoint
            .split_once("://")
            .map_or(self.config.endpoint.as_str(), |(_, h)| h)
            .to_owned();
        let headers = vec![
            ("host".to_owned(), host),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        let path = "/findings/import";
        let req = vigil_sigv4::Request {
            method: "POST",
            path,
            query: "",
            headers: &headers,
            body: &body,
        };
        let creds = vigil_sigv4::Credentials {
            access_key_id: self.config.access_key_id.clone(),
            secret_access_key: self.secret.clone(),
            session_token: None,
        };
        let signed = vigil_sigv4::sign(
            &req,
            &creds,
            &self.config.region,
            "securityhub",
            time::OffsetDateTime::now_utc(),
        );
        let url = format!("{}{path}", self.config.endpoint);
        let mut builder = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json");
        for (k, v) in &signed {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let mut resp = builder
            .send(&body[..])
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(format!(
                "POST {url} (BatchImportFindings): answered {status}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        let answer: Value = serde_json::from_str(&text)
            .map_err(|e| format!("POST {url}: the answer is not JSON: {e}"))?;
        let mut failed = std::collections::HashMap::new();
        for f in answer["FailedFindings"].as_array().into_iter().flatten() {
            if let Some(id) = f["Id"].as_str() {
                failed.insert(
                    id.to_owned(),
                    format!(
                        "Security Hub refused finding {id}: {} {}",
                        f["ErrorCode"].as_str().unwrap_or(""),
                        f["ErrorMessage"].as_str().unwrap_or("")
                    ),
                );
            }
        }
        Ok(failed)
    }
}

impl Sender for SecurityHubSender {
    fn send_batch(&mut self, events: &[OutEvent<'_>]) -> Vec<Result<(), String>> {
        let ctx = vigil_export::asff::AsffContext {
            product_arn: self.config.product_arn.clone(),
        };
        // each event's ASFF finding (None: not a finding event, nothing to send)
        let mut out: Vec<Result<(), String>> = Vec::with_capacity(events.len());
        let mut findings: Vec<(usize, String, Value)> = Vec::new();
        for (i, e) in events.iter().enumerate() {
            out.push(Ok(()));
            if e.detail_type != "Inspector2 Finding" {
                continue;
            }
            match serde_json::from_slice::<Value>(e.body) {
                Ok(envelope) => {
                    let asff = vigil_export::asff::from_finding(&envelope["detail"], &ctx);
                    let id = asff["Id"].as_str().unwrap_or_default().to_owned();
                    findings.push((i, id, asff));
                }
                Err(err) => out[i] = Err(format!("event {} is not JSON: {err}", e.id)),
            }
        }
        for chunk in findings.chunks(SECURITY_HUB_BATCH) {
            let batch: Vec<Value> = chunk.iter().map(|(_, _, f)| f.clone()).collect();
            match self.import(&batch) {
                Ok(failed) => {
                    for (i, id, _) in chunk {
                        if let Some(why) = failed.get(id) {
                            out[*i] = Err(why.clone());
                        }
                    }
                }
                Err(why) => {
                    for (i, _, _) in chunk {
                        out[*i] = Err(why.clone());
                    }
                }
            }
        }
        out
    }
}

fn webhook_agent(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
        .max_idle_connections_per_host(16)
        .user_agent(concat!("vigil-events/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

struct WebhookSender {
    agent: ureq::Agent,
    url: String,
    secret: Vec<u8>,
    concurrency: usize,
}

impl WebhookSender {
    fn post(&self, e: &OutEvent<'_>) -> Result<(), String> {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let signature = crate::sign(&self.secret, t, e.body);
        let resp = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("X-Vigil-Event-Id", e.id)
            .header("X-Vigil-Event-Type", e.detail_type)
            .header(crate::SIGNATURE_HEADER, &signature)
            .send(e.body)
            .map_err(|err| format!("POST {}: {err}", nats::redact(&self.url)))?;
        let status = resp.status().as_u16();
        // the body is not read: the connection is not reused after a non-empty answer, which
        // only costs a reconnect
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!(
                "POST {}: answered {status}",
                nats::redact(&self.url)
            ))
        }
    }
}

impl Sender for WebhookSender {
    fn send_batch(&mut self, events: &[OutEvent<'_>]) -> Vec<Result<(), String>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<Result<(), String>>>> =
            events.iter().map(|_| std::sync::Mutex::new(None)).collect();
        let workers = self.concurrency.min(events.len()).max(1);
        let this = &*self;
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(e) = events.get(i) else { break };
                        let r = this.post(e);
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = Some(r);
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| Err("delivery thread failed".into()))
            })
            .collect()
    }
}

struct NatsSender {
    config: Nats,
    client: Option<nats::Client>,
}

/// How long a NATS connect or a batch's acks may take.
const NATS_TIMEOUT: Duration = Duration::from_secs(10);

impl Sender for NatsSender {
    fn send_batch(&mut self, events: &[OutEvent<'_>]) -> Vec<Result<(), String>> {
        let fail_all = |why: String| events.iter().map(|_| Err(why.clone())).collect();
        let client = match self.client.take() {
            Some(c) => c,
            None => match nats::Client::connect(&self.config.url, NATS_TIMEOUT) {
                Ok(c) => c,
                Err(e) => return fail_all(e.to_string()),
            },
        };
        let mut client = client;
        let msgs: Vec<(&str, &[u8])> = events.iter().map(|e| (e.id, e.body)).collect();
        match client.publish_batch(&self.config.subject, &msgs, NATS_TIMEOUT) {
            Ok(acks) => {
                let mut healthy = true;
                let out = acks
                    .into_iter()
                    .map(|a| match a {
                        Ok(ack) => match &self.config.stream {
                            Some(want) if *want != ack.stream => Err(format!(
                                "acknowledged by stream `{}`, not `{want}`",
                                ack.stream
                            )),
                            _ => Ok(()),
                        },
                        Err(e) => {
                            healthy = false;
                            Err(e)
                        }
                    })
                    .collect();
                // a connection that lost acks is not trusted again
                if healthy {
                    self.client = Some(client);
                }
                out
            }
            Err(e) => fail_all(e.to_string()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls() {
        let ok =
            |u: &str| Destination::from_request("WEBHOOK", &json!({"webhook": {"url": u}})).is_ok();
        assert!(ok("http://127.0.0.1:8080/hook"));
        assert!(ok("http://localhost/hook"));
        assert!(ok("http://[::1]:9/x"));
        assert!(ok("https://hooks.example.com/x"));
        assert!(!ok("http://hooks.example.com/x"));
        assert!(!ok("http://127.0.0.1.example.com/x"));
        assert!(
            !ok("http://user@evil.com:80@127.0.0.1/x")
                || host_of("user@evil.com:80@127.0.0.1/x") == "127.0.0.1"
        );
        assert!(!ok("ftp://127.0.0.1/x"));
        let e = Destination::from_request(
            "WEBHOOK",
            &json!({"webhook": {"url": "http://127.0.0.1/", "timeoutSeconds": 0}}),
        )
        .unwrap_err();
        assert_eq!(e.field, "webhook.timeoutSeconds");
        let e = Destination::from_request("SQS", &json!({})).unwrap_err();
        assert_eq!(e.field, "type");
    }

    #[test]
    fn nats_settings() {
        let (d, _) = Destination::from_request(
            "NATS",
            &json!({"nats": {"url": "nats://127.0.0.1:4222", "subject": "vigil.events", "stream": "VIGIL"}}),
        )
        .unwrap();
        assert_eq!(Destination::from_stored("NATS", &d.to_stored()).unwrap(), d);
        let e = Destination::from_request(
            "NATS",
            &json!({"nats": {"url": "nats://127.0.0.1:4222", "subject": "vigil.*"}}),
        )
        .unwrap_err();
        assert_eq!(e.field, "nats.subject");
    }
}
