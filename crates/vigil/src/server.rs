//! `vigil server`, `vigil admin create-key` and `vigil scan --server`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use vigil_cli::{AdminCommand, ServerArgs};

pub fn run(a: ServerArgs) -> Result<()> {
    let advisory_db = crate::db::db_path(&a.db)?;
    if !advisory_db.is_file() {
        bail!(
            "advisory database `{}` does not exist: build it with `vigil db import --db {} PATH...` or `vigil db update`",
            advisory_db.display(),
            advisory_db.display()
        );
    }
    let harbor_adapter_token = match &a.harbor_token_file {
        None => None,
        Some(file) => {
            let text = std::fs::read_to_string(file).with_context(|| {
                format!("cannot read the Harbor token file `{}`", file.display())
            })?;
            let token = text.lines().next().unwrap_or("").trim().to_owned();
            if token.is_empty() {
                bail!(
                    "--harbor-token-file `{}`: the file is empty (put the token on its first line)",
                    file.display()
                );
            }
            Some(token)
        }
    };
    let metrics_token = match &a.metrics_token_file {
        None => None,
        Some(file) => {
            let text = std::fs::read_to_string(file).with_context(|| {
                format!("cannot read the metrics token file `{}`", file.display())
            })?;
            let token = text.lines().next().unwrap_or("").trim().to_owned();
            if token.is_empty() {
                bail!(
                    "--metrics-token-file `{}`: the file is empty (put the token on its first line)",
                    file.display()
                );
            }
            Some(token)
        }
    };
    let functions = match &a.functions_dir {
        None => None,
        Some(dir) => {
            if !dir.is_dir() {
                bail!("--functions-dir `{}` is not a directory", dir.display());
            }
            let account = a.functions_account.clone().with_context(|| {
                "--functions-dir needs --functions-account (the account its functions belong to unless their function.json names one)"
            })?;
            vigil_store::keys::validate_account(&account)
                .with_context(|| format!("--functions-account `{account}`"))?;
            let region_ok = !a.functions_region.is_empty()
                && a.functions_region.len() <= 32
                && a.functions_region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !region_ok {
                bail!(
                    "--functions-region `{}` is not a region name ([a-z0-9-], at most 32)",
                    a.functions_region
                );
            }
            Some(vigil_server::FunctionsWatch {
                dir: dir.clone(),
                account,
                region: a.functions_region.clone(),
                every: std::time::Duration::from_secs(a.functions_interval),
            })
        }
    };
    let exports = exports(&a)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    eprintln!(
        "vigil server listening on http://{} (data {}, advisories {})",
        a.listen,
        a.data_dir.display(),
        advisory_db.display()
    );
    let feeds = match &a.feeds {
        None => Vec::new(),
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read feeds file `{}`", file.display()))?;
            vigil_feed::parse_feeds(&text, &file.display().to_string())?
        }
    };
    rt.block_on(vigil_server::serve(vigil_server::Config {
        listen: a.listen,
        data_dir: a.data_dir.clone(),
        advisory_db,
        reevaluate_every: std::time::Duration::from_secs(a.reevaluate_interval),
        heartbeat_window: std::time::Duration::from_secs(a.agent_heartbeat_window),
        feeds,
        feed_every: std::time::Duration::from_secs(a.feed_interval),
        registry_poll_every: std::time::Duration::from_secs(a.registry_poll_interval),
        agentless_roots: a.agentless_roots.clone(),
        harbor_adapter_token,
        harbor_allow_plain_http: a.harbor_allow_plain_http,
        metrics_token,
        organization_management_account: a.organization_management_account.clone(),
        functions,
        exports,
        events: vigil_server::events::Settings {
            backoff: vigil_events::Backoff {
                base: std::time::Duration::from_millis(a.event_retry_base_ms),
                cap: std::time::Duration::from_secs(a.event_retry_cap),
                max_attempts: a.event_max_attempts,
                max_age: std::time::Duration::from_secs(a.event_max_age),
            },
            retention: std::time::Duration::from_secs(a.event_retention_hours * 3600),
            ..Default::default()
        },
    }))
    .with_context(|| format!("server on {} stopped", a.listen))
}

/// The export destination: `--export-dir`, or `--export-s3-endpoint` with credentials from
/// `--export-s3-credentials-file` or the environment (never from the command line).
fn exports(a: &ServerArgs) -> Result<vigil_server::Exports> {
    let s3 = match &a.export_s3_endpoint {
        None => None,
        Some(url) => {
            let endpoint = vigil_server::export::check_endpoint(url)
                .map_err(|e| anyhow::anyhow!("--export-s3-endpoint {e}"))?;
            let credentials = match &a.export_s3_credentials_file {
                Some(file) => {
                    let text = std::fs::read_to_string(file).with_context(|| {
                        format!("cannot read the S3 credentials file `{}`", file.display())
                    })?;
                    vigil_server::export::read_credentials(&text).map_err(|e| {
                        anyhow::anyhow!("--export-s3-credentials-file `{}`: {e}", file.display())
                    })?
                }
                None => {
                    let id = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default();
                    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default();
                    if id.is_empty() || secret.is_empty() {
                        bail!(
                            "--export-s3-endpoint needs credentials: --export-s3-credentials-file FILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
                        );
                    }
                    vigil_sigv4::Credentials {
                        access_key_id: id,
                        secret_access_key: secret,
                        session_token: std::env::var("AWS_SESSION_TOKEN")
                            .ok()
                            .filter(|t| !t.is_empty()),
                    }
                }
            };
            let part_size = match std::env::var("VIGIL_EXPORT_S3_PART_SIZE") {
                Ok(v) => v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1024)
                    .with_context(|| {
                        format!("VIGIL_EXPORT_S3_PART_SIZE `{v}` is not a byte count >= 1024")
                    })?,
                Err(_) => vigil_server::export::DEFAULT_PART_SIZE,
            };
            Some(vigil_server::export::S3Config {
                endpoint,
                region: a.export_s3_region.clone(),
                credentials,
                part_size,
            })
        }
    };
    Ok(vigil_server::Exports {
        dir: a.export_dir.clone(),
        s3,
        max_sbom_resources: Some(a.sbom_export_max_resources as usize),
    })
}

pub fn admin(cmd: AdminCommand) -> Result<()> {
    match cmd {
        AdminCommand::CreateKey(a) => {
            let store = vigil_store::Store::open(&a.data_dir)
                .with_context(|| format!("cannot open the store in `{}`", a.data_dir.display()))?;
            let now = time::OffsetDateTime::now_utc();
            let key = match &a.principal {
                None => store.create_key(&a.account, now)?,
                Some(p) => vigil_store::FindingsStore::access_store(&store)
                    .create_principal_key(&a.account, p, now)?,
            };
            println!("{}", serde_json::to_string(&key)?);
            Ok(())
        }
        AdminCommand::AddRegistry(a) => add_registry(a),
        AdminCommand::CreatePrincipal(a) => create_principal(a),
        AdminCommand::SetKeyStatus(a) => {
            let store = vigil_store::Store::open(&a.data_dir)
                .with_context(|| format!("cannot open the store in `{}`", a.data_dir.display()))?;
            vigil_store::FindingsStore::access_store(&store).set_key_status(
                &a.account,
                &a.access_key_id,
                &a.status,
            )?;
            println!(
                "{}",
                serde_json::json!({"accessKeyId": a.access_key_id, "status": a.status})
            );
            Ok(())
        }
        AdminCommand::AuditExport(a) => audit_export(a),
        AdminCommand::SetPassword(a) => {
            let password = match &a.password_env {
                Some(var) => std::env::var(var).with_context(|| {
                    format!("--password-env {var}: the environment variable is not set")
                })?,
                None => {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("reading the password from stdin")?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let store = vigil_store::Store::open(&a.data_dir)
                .with_context(|| format!("cannot open the store in `{}`", a.data_dir.display()))?;
            vigil_store::FindingsStore::access_store(&store).set_password(
                &a.account,
                &a.name,
                &password,
                time::OffsetDateTime::now_utc(),
            )?;
            println!(
                "{}",
                serde_json::json!({"account": a.account, "name": a.name, "passwordSet": true})
            );
            Ok(())
        }
    }
}

fn create_principal(a: vigil_cli::CreatePrincipalArgs) -> Result<()> {
    use vigil_cli::PrincipalKind;
    let kind = match a.kind {
        PrincipalKind::User => "USER",
        PrincipalKind::Role => "ROLE",
        PrincipalKind::Agent => "AGENT",
    };
    if (a.kind == PrincipalKind::Agent) != a.region.is_some() {
        bail!("--region: an agent is scoped to exactly one region; users and roles take none");
    }
    let mut policies = Vec::new();
    for p in &a.policies {
        match p.strip_prefix('@') {
            Some(file) => policies.push(
                std::fs::read_to_string(file)
                    .with_context(|| format!("--policy @{file}: cannot read the file"))?,
            ),
            None => policies.push(format!("builtin:{p}")),
        }
    }
    if policies.is_empty() {
        if a.kind != PrincipalKind::Agent {
            bail!("--policy: give at least one (read-only, full-access, or @FILE)");
        }
        policies.push("builtin:agent".into());
    }
    // refuse a policy now rather than deny every call later
    vigil_server::access::parse_policies(&policies).map_err(|e| anyhow::anyhow!("--policy {e}"))?;
    let store = vigil_store::Store::open(&a.data_dir)
        .with_context(|| format!("cannot open the store in `{}`", a.data_dir.display()))?;
    let now = time::OffsetDateTime::now_utc();
    let access = vigil_store::FindingsStore::access_store(&store);
    access.create_principal(&vigil_store::access::PrincipalRecord {
        account: a.account.clone(),
        name: a.name.clone(),
        kind: kind.into(),
        region: a.region.clone(),
        policies,
        created_at: vigil_store::timestamp(now),
    })?;
    let key = access.create_principal_key(&a.account, &a.name, now)?;
    println!(
        "{}",
        serde_json::json!({
            "account": a.account, "name": a.name, "kind": kind, "region": a.region,
            "accessKeyId": key.access_key_id, "secretAccessKey": key.secret_access_key,
        })
    );
    Ok(())
}

fn audit_export(a: vigil_cli::AuditExportArgs) -> Result<()> {
    let since = match &a.since {
        None => None,
        Some(s) => Some(vigil_store::timestamp(
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .with_context(|| format!("--since `{s}` is not an RFC 3339 time"))?,
        )),
    };
    let store = vigil_store::Store::open(&a.data_dir)
        .with_context(|| format!("cannot open the store in `{}`", a.data_dir.display()))?;
    let access = vigil_store::FindingsStore::access_store(&store);
    let mut records = Vec::new();
    let mut before = None;
    loop {
        let page = access.audit(&vigil_store::access::AuditQuery {
            account: a.account.clone(),
            start: since.clone(),
            before_seq: before,
            limit: 1000,
            ..Default::default()
        })?;
        let Some((last, _)) = page.last() else { break };
        before = Some(*last);
        let full = page.len() == 1000;
        records.extend(page.into_iter().map(|(_, r)| r.record));
        if !full {
            break;
        }
    }
    records.reverse();
    println!("{}", serde_json::json!({ "Records": records }));
    Ok(())
}

fn add_registry(a: vigil_cli::AddRegistryArgs) -> Result<()> {
    use vigil_store::registry::{RegistryRecord, RegistryStore};
    let name_ok = !a.name.is_empty()
        && a.name.len() <= 64
        && a.name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && !a.name.starts_with(['.', '-']);
    if !name_ok {
        bail!(
            "--name `{}`: use 1 to 64 of [a-z0-9._-], not starting with `.` or `-`",
            a.name
        );
    }
    // the URL must be one the client accepts (HTTPS, or HTTP on loopback / when allowed)
    let client = vigil_registry::Client::new(
        &a.url,
        &vigil_registry::ClientOptions {
            allow_insecure_http: a.insecure_http,
            ..Default::default()
        },
    )
    .with_context(|| format!("--url `{}`", a.url))?;
    let url = client.base().to_owned();
    let credentials = match (&a.username, &a.password_env) {
        (Some(u), Some(var)) => {
            let p = std::env::var(var).with_context(|| {
                format!("--password-env {var}: the environment variable is not set")
            })?;
            Some((u.clone(), p))
        }
        _ => None,
    };
    let store = vigil_store::Store::open(&a.data_dir)
        .with_context(|| format!("cannot open the store in `{}`", a.data_dir.display()))?;
    let token = vigil_store::keys::random_hex(32)?;
    let now = time::OffsetDateTime::now_utc();
    store.add_registry(
        &RegistryRecord {
            name: a.name.clone(),
            account: a.account.clone(),
            region: a.region.clone(),
            url,
            insecure_http: a.insecure_http,
            credentials,
            created_at: vigil_store::timestamp(now),
        },
        &token,
    )?;
    let notification_url = format!(
        "{}/vigil/v1/registries/{}/notifications",
        a.server_url.trim_end_matches('/'),
        a.name
    );
    println!(
        "{}",
        serde_json::json!({"name": a.name, "notificationUrl": notification_url, "token": token})
    );
    Ok(())
}

/// AWS-style credentials and region: the environment first, then the shared files' profile.
pub struct Creds {
    pub creds: vigil_sigv4::Credentials,
    pub region: String,
}

pub fn ini_section(path: &PathBuf, section: &str) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            inside = t[1..t.len() - 1].trim() == section;
        } else if inside && let Some((k, v)) = t.split_once('=') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

pub fn credentials() -> Result<Creds> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let home = env("HOME").map(PathBuf::from).unwrap_or_default();
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let cred_file = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let config_file = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/config"));
    let from_creds = ini_section(&cred_file, &profile);
    let config_section = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    let from_config = ini_section(&config_file, &config_section);
    let get = |k: &str| {
        from_creds
            .iter()
            .chain(&from_config)
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
    };
    let (id, secret, token) = match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(i), Some(s)) => (i, s, env("AWS_SESSION_TOKEN")),
        _ => match (get("aws_access_key_id"), get("aws_secret_access_key")) {
            (Some(i), Some(s)) => (i, s, get("aws_session_token")),
            _ => bail!(
                "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (from `vigil admin create-key`) or an AWS profile"
            ),
        },
    };
    let region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| get("region"))
        .unwrap_or_else(|| "us-east-1".into());
    Ok(Creds {
        creds: vigil_sigv4::Credentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: token,
        },
        region,
    })
}

/// An error answer of the server (HTTP status, `x-amzn-errortype`, message).
#[derive(Debug)]
pub struct ServerError {
    pub url: String,
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: HTTP {} {}: {}",
            self.url, self.status, self.code, self.message
        )
    }
}

impl std::error::Error for ServerError {}

/// Sends a SigV4-signed JSON POST to the server; returns the JSON answer or the server's error.
pub fn post(server: &str, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
    post_with(&credentials()?, server, path, body)
}

/// [`post`] with credentials already read; an error answer is a [`ServerError`].
pub fn post_with(
    c: &Creds,
    server: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<serde_json::Value> {
    let base = server.trim_end_matches('/');
    let url = format!("{base}{path}");
    let host = base
        .split_once("://")
        .map(|(_, h)| h)
        .unwrap_or(base)
        .split('/')
        .next()
        .unwrap_or("")
        .to_owned();
    let bytes = serde_json::to_vec(body)?;
    let headers = vec![
        ("host".to_owned(), host),
        ("content-type".to_owned(), "application/json".to_owned()),
    ];
    let signed = vigil_sigv4::sign(
        &vigil_sigv4::Request {
            method: "POST",
            path,
            query: "",
            headers: &headers,
            body: &bytes,
        },
        &c.creds,
        &c.region,
        "inspector2",
        time::OffsetDateTime::now_utc(),
    );
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(900)))
            .build(),
    );
    let mut req = agent.post(&url).header("content-type", "application/json");
    for (k, v) in &signed {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut resp = req
        .send(&bytes[..])
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    let code = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_string()
        .with_context(|| format!("reading the answer of {url}"))?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{url} answered HTTP {status} with non-JSON: {}",
            text.chars().take(200).collect::<String>()
        )
    })?;
    if status != 200 {
        return Err(ServerError {
            url,
            status,
            code: code.unwrap_or_default(),
            message: v["message"].as_str().unwrap_or("").to_owned(),
        }
        .into());
    }
    Ok(v)
}
