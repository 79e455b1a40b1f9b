//! Console sessions: sign-in with a console password or an access key pair, a session cookie,
//! and CSRF-protected calls to the same operations the API serves, under the same
//! authorisation and audit.
//!
//! - `POST /console/api/signin` `{"account", "name", "password", "region"?}` or
//!   `{"accessKeyId", "secretAccessKey", "region"?}` sets the cookie `vigil_session`
//!   (`HttpOnly; SameSite=Strict; Path=/console`) and answers the session with its CSRF token.
//!   A wrong credential answers 401 with one message whatever was wrong; after 5 failures for
//!   one identity within 5 minutes, sign-in for it answers 429 until the window passes. Each
//!   attempt is audited as CloudTrail's `ConsoleLogin` event.
//! - `GET /console/api/session` answers the session (a reloaded page needs its CSRF token), and
//!   whether its account is the organization's delegated administrator
//!   (`delegatedAdministrator`, for the settings page's members section).
//! - `POST /console/api/call/<operation path>` (e.g. `/console/api/call/findings/list`) runs
//!   the operation as the session's principal; every call must carry `X-CSRF-Token` (a header a
//!   cross-site form or request cannot set without CORS, which the server never grants) besides
//!   the cookie.
//! - `POST /console/api/signout` ends the session.
//!
//! Sessions live in memory (a restart signs everyone out); they end after 1 hour idle or 12
//! hours in all. Only a digest of the session id is kept.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::access::Caller;
use crate::{ApiError, App, Principal};

pub const COOKIE: &str = "vigil_session";
const IDLE: Duration = Duration::from_secs(3600);
const LIFETIME: Duration = Duration::from_secs(12 * 3600);
const MAX_SESSIONS: usize = 10_000;
const MAX_FAILURES: usize = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(300);

struct Session {
    principal: Principal,
    caller: Caller,
    csrf: String,
    created: Instant,
    used: Instant,
}

/// The console's sessions and sign-in failures.
#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<[u8; 32], Session>>,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

fn same(a: &str, b: &str) -> bool {
    // digests are compared: the time taken says nothing about the secret
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    ApiError::Protocol {
        status,
        code: code.into(),
        message: message.into(),
    }
    .into_response()
}

fn json(status: StatusCode, v: &Value) -> Response {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    r
}

fn cookie_of(parts: &axum::http::request::Parts) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn session_json(s: &Session) -> Value {
    json!({
        "account": s.principal.account,
        "region": s.principal.region,
        "principal": s.caller.principal.as_ref().map(|p| p.name.clone()),
        "arn": s.caller.arn(&s.principal),
        "csrfToken": s.csrf,
    })
}

/// The console's pages, compiled into the binary (no build step, nothing from a CDN).
const ASSETS: [(&str, &str, &str); 4] = [
    (
        "/console/",
        "text/html; charset=utf-8",
        include_str!("../console/index.html"),
    ),
    (
        "/console/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/app.js"),
    ),
    (
        "/console/settings.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/settings.js"),
    ),
    (
        "/console/app.css",
        "text/css; charset=utf-8",
        include_str!("../console/app.css"),
    ),
];

/// `GET /console/...`: a page asset, with a content security policy that allows only the
/// console's own script and style.
pub fn asset(path: &str) -> Response {
    let path = if path == "/console" {
        "/console/"
    } else {
        path
    };
    let Some((_, kind, text)) = ASSETS.iter().find(|(p, _, _)| *p == path) else {
        return error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("{path} is not a console page"),
        );
    };
    let mut r = Response::new(Body::from(*text));
    let h = r.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(kind),
    );
    h.insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        axum::http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    r
}

/// Serves `/console/api/...`.
pub fn serve(app: &App, parts: &axum::http::request::Parts, body: &[u8]) -> Response {
    let path = parts.uri.path();
    let method = parts.method.as_str();
    let source_ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let user_agent = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(512).collect::<String>());
    match (method, path) {
        ("POST", "/console/api/signin") => signin(app, body, source_ip, user_agent),
        ("GET", "/console/api/session") => with_session(app, parts, false, |s| {
            let mut answer = session_json(s);
            // the settings page shows the members section to the delegated administrator only
            answer["delegatedAdministrator"] = json!(
                app.store
                    .org_store()
                    .delegated_admin()
                    .ok()
                    .flatten()
                    .is_some_and(|(a, _)| a == s.principal.account)
            );
            json(StatusCode::OK, &answer)
        }),
        ("POST", "/console/api/signout") => {
            if let Some(id) = cookie_of(parts)
                && let Ok(mut live) = app.console.live.lock()
            {
                live.remove(&digest(&id));
            }
            let mut r = json(StatusCode::OK, &json!({"signedOut": true}));
            r.headers_mut().insert(
                axum::http::header::SET_COOKIE,
                HeaderValue::from_static(
                    "vigil_session=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0",
                ),
            );
            r
        }
        ("POST", "/console/api/region") => switch_region(app, parts, body),
        ("POST", p) if p.starts_with("/console/api/call/") => {
            let op_path = &p["/console/api/call".len()..];
            call(app, parts, op_path, body, source_ip, user_agent)
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!("{method} {path} is not a console operation"),
        ),
    }
}

/// The session of a request (refreshing its idle time), or the error answer: 401 without a
/// live session, 403 when `csrf` is required and the header is missing or wrong.
fn session_of(
    app: &App,
    parts: &axum::http::request::Parts,
    csrf: bool,
) -> Result<(Principal, Caller, String), ApiError> {
    let unauthorised = || ApiError::Protocol {
        status: StatusCode::UNAUTHORIZED,
        code: "UnauthorizedException".into(),
        message: "no console session: sign in at /console/api/signin".into(),
    };
    let id = cookie_of(parts).ok_or_else(unauthorised)?;
    let mut live = app
        .console
        .live
        .lock()
        .map_err(|_| ApiError::internal("session lock poisoned"))?;
    let key = digest(&id);
    let now = Instant::now();
    let expired = live.get(&key).is_none_or(|s| {
        now.duration_since(s.used) > IDLE || now.duration_since(s.created) > LIFETIME
    });
    if expired {
        live.remove(&key);
        return Err(unauthorised());
    }
    let s = live.get_mut(&key).ok_or_else(unauthorised)?;
    if csrf {
        let given = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !same(given, &s.csrf) {
            return Err(ApiError::Protocol {
                status: StatusCode::FORBIDDEN,
                code: "InvalidCsrfTokenException".into(),
                message: "missing or wrong X-CSRF-Token header".into(),
            });
        }
    }
    s.used = now;
    Ok((s.principal.clone(), s.caller.clone(), s.csrf.clone()))
}

fn region_name(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `POST /console/api/region` `{"region"}` (CSRF-protected): the session works in another
/// region from now on (every call is authorised as if signed for that region, so a
/// region-scoped principal is refused outside its own).
fn switch_region(app: &App, parts: &axum::http::request::Parts, body: &[u8]) -> Response {
    if let Err(e) = session_of(app, parts, true) {
        return e.into_response();
    }
    let region = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("region").and_then(Value::as_str).map(str::to_owned));
    let Some(region) = region.filter(|r| region_name(r)) else {
        return ApiError::field("region", "is not a region name").into_response();
    };
    let Some(id) = cookie_of(parts) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            "no session",
        );
    };
    let Ok(mut live) = app.console.live.lock() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "session lock",
        );
    };
    match live.get_mut(&digest(&id)) {
        Some(s) => {
            s.principal.region = region;
            json(StatusCode::OK, &session_json(s))
        }
        None => error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            "no session",
        ),
    }
}

fn with_session(
    app: &App,
    parts: &axum::http::request::Parts,
    csrf: bool,
    f: impl FnOnce(&Session) -> Response,
) -> Response {
    match session_of(app, parts, csrf) {
        Ok((principal, caller, csrf)) => {
            let s = Session {
                principal,
                caller,
                csrf,
                created: Instant::now(),
                used: Instant::now(),
            };
            f(&s)
        }
        Err(e) => e.into_response(),
    }
}

fn call(
    app: &App,
    parts: &axum::http::request::Parts,
    op_path: &str,
    body: &[u8],
    source_ip: Option<String>,
    user_agent: Option<String>,
) -> Response {
    let (principal, mut caller, _) = match session_of(app, parts, true) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    caller.source_ip = source_ip;
    caller.user_agent = user_agent;
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    match crate::perform(app, &principal, &caller, "POST", op_path, body) {
        Ok(v) => json(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

/// Counts a failure for an identity; answers whether it is now locked out.
fn failed(app: &App, who: &str) -> bool {
    let Ok(mut f) = app.console.failures.lock() else {
        return true;
    };
    let now = Instant::now();
    let list = f.entry(who.to_owned()).or_default();
    list.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
    list.push(now);
    list.len() >= MAX_FAILURES
}

fn locked_out(app: &App, who: &str) -> bool {
    let Ok(mut f) = app.console.failures.lock() else {
        return true;
    };
    let now = Instant::now();
    match f.get_mut(who) {
        Some(list) => {
            list.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
            list.len() >= MAX_FAILURES
        }
        None => false,
    }
}

fn signin(
    app: &App,
    body: &[u8],
    source_ip: Option<String>,
    user_agent: Option<String>,
) -> Response {
    let input: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return ApiError::validation("the sign-in body must be a JSON object").into_response();
        }
    };
    let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let region = text("region").unwrap_or_else(|| "us-east-1".to_owned());
    if !region_name(&region) {
        return ApiError::field("region", "is not a region name").into_response();
    }
    // who is signing in (the lockout key), and how
    let (who, account_hint) = match (text("accessKeyId"), text("account"), text("name")) {
        (Some(k), _, _) => (format!("key:{k}"), None),
        (None, Some(a), Some(n)) => (format!("password:{a}:{n}"), Some((a, n))),
        _ => {
            return ApiError::validation(
                "give account and name with password, or accessKeyId with secretAccessKey",
            )
            .into_response();
        }
    };
    if locked_out(app, &who) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "too many failed sign-ins for this identity; try again in a few minutes",
        );
    }
    let store = app.store.access_store();
    let verified: Option<(Principal, Caller)> = match &account_hint {
        Some((account, name)) => {
            let password = text("password").unwrap_or_default();
            match store.verify_password(account, name, &password) {
                Ok(true) => store.principal(account, name).ok().flatten().map(|record| {
                    (
                        Principal {
                            account: account.clone(),
                            region: region.clone(),
                            access_key_id: format!("console:{name}"),
                        },
                        Caller {
                            principal: Some(record),
                            source_ip: source_ip.clone(),
                            user_agent: user_agent.clone(),
                        },
                    )
                }),
                _ => None,
            }
        }
        None => {
            let key = text("accessKeyId").unwrap_or_default();
            let secret = text("secretAccessKey").unwrap_or_default();
            match store.key_holder(&key) {
                Ok(Some(h)) if same(&h.secret, &secret) => Some((
                    Principal {
                        account: h.account,
                        region: region.clone(),
                        access_key_id: key,
                    },
                    Caller {
                        principal: h.principal,
                        source_ip: source_ip.clone(),
                        user_agent: user_agent.clone(),
                    },
                )),
                _ => None,
            }
        }
    };
    let now = OffsetDateTime::now_utc();
    let Some((principal, caller)) = verified else {
        let locked = failed(app, &who);
        if let Some((account, name)) = &account_hint {
            audit_login(
                app, account, &region, name, None, false, source_ip, user_agent, now,
            );
        }
        tracing::info!(identity = %who, locked, "console sign-in failed");
        return error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            "the credentials are not valid",
        );
    };
    let id = match vigil_store::keys::random_hex(32) {
        Ok(id) => id,
        Err(e) => return ApiError::internal(&e.to_string()).into_response(),
    };
    let csrf = match vigil_store::keys::random_hex(32) {
        Ok(t) => t,
        Err(e) => return ApiError::internal(&e.to_string()).into_response(),
    };
    let session = Session {
        principal: principal.clone(),
        caller: caller.clone(),
        csrf,
        created: Instant::now(),
        used: Instant::now(),
    };
    let answer = session_json(&session);
    if let Ok(mut live) = app.console.live.lock() {
        let t = Instant::now();
        live.retain(|_, s| {
            t.duration_since(s.used) <= IDLE && t.duration_since(s.created) <= LIFETIME
        });
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| *k)
        {
            live.remove(&oldest);
        }
        live.insert(digest(&id), session);
    }
    let name = caller
        .principal
        .as_ref()
        .map_or_else(|| "root".to_owned(), |p| p.name.clone());
    audit_login(
        app,
        &principal.account,
        &region,
        &name,
        Some(&caller.arn(&principal)),
        true,
        caller.source_ip.clone(),
        caller.user_agent.clone(),
        now,
    );
    let mut r = json(StatusCode::OK, &answer);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={}",
        LIFETIME.as_secs()
    )) {
        r.headers_mut().insert(axum::http::header::SET_COOKIE, v);
    }
    r
}

/// CloudTrail's `ConsoleLogin` event for a sign-in attempt.
#[allow(clippy::too_many_arguments)]
fn audit_login(
    app: &App,
    account: &str,
    region: &str,
    name: &str,
    arn: Option<&str>,
    ok: bool,
    source_ip: Option<String>,
    user_agent: Option<String>,
    now: OffsetDateTime,
) {
    let event_id = uuid::Uuid::new_v4().to_string();
    let at = vigil_store::timestamp(now);
    let outcome = if ok { "Success" } else { "Failure" };
    let record = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "accountId": account, "userName": name, "arn": arn},
        "eventTime": format!("{}Z", &at[..19]),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": null,
        "responseElements": {"ConsoleLogin": outcome},
        "errorMessage": if ok { Value::Null } else { json!("Failed authentication") },
        "eventID": event_id,
        "readOnly": false,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": true,
        "recipientAccountId": account,
        "eventCategory": "Management",
    });
    let r = vigil_store::access::AuditRecord {
        event_id,
        at,
        account: account.to_owned(),
        region: region.to_owned(),
        event_name: "ConsoleLogin".into(),
        event_source: "signin.amazonaws.com".into(),
        read_only: false,
        access_key_id: None,
        username: Some(name.to_owned()),
        error_code: (!ok).then(|| "Failed authentication".to_owned()),
        record,
    };
    if let Err(e) = app.store.access_store().append_audit(&r) {
        tracing::error!(error = %e, "console sign-in not audited");
    }
}
