//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`): signing requests and
//! verifying requests signed by AWS SDKs and the AWS CLI.
//!
//! The rules follow AWS's "Create a signed AWS API request" documentation,
//! with botocore's `SigV4Auth` (`botocore/auth.py`) as the reference
//! implementation for the details the documentation leaves open. The
//! differential test in `tests/botocore.rs` checks this crate against the
//! installed botocore.
//!
//! * **Canonical URI** (non-S3 rules): the raw, percent-encoded request path
//!   has its dot segments and empty segments removed (`/a//b/./c/../d` →
//!   `/a/b/d`, a trailing `/` is kept), and is then URI-encoded once more with
//!   `/` kept, so a path percent-encoded on the wire ends up "encoded twice"
//!   (`%2F` → `%252F`, a raw space → `%20`).
//! * **Canonical query string**: the raw query is split on `&` (empty pieces
//!   are skipped) and each piece at its first `=`; key and value are
//!   percent-decoded (`+` is a literal plus) and re-encoded with AWS's
//!   unreserved set `A-Z a-z 0-9 - _ . ~` (uppercase hex); pairs are sorted
//!   by encoded key, then encoded value; a key without `=` gets an empty
//!   value. For presigned URLs `X-Amz-Signature` is left out.
//! * **Canonical headers**: for each signed header name (lowercase), the
//!   values of every header of that name in arrival order, each trimmed with
//!   runs of whitespace collapsed to one space, joined with `,`.
//! * **Payload hash**: the `X-Amz-Content-Sha256` header's value when the
//!   request has one (`UNSIGNED-PAYLOAD` included), otherwise the hex SHA-256
//!   of the body.
//! * **String to sign**: `AWS4-HMAC-SHA256\n<amz date>\n<date>/<region>/<service>/aws4_request\n<hex sha256 of the canonical request>`,
//!   signed with the key derived as
//!   `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
//!
//! # Errors on the wire
//!
//! [`Error::code`] gives the error code a REST-JSON AWS service (API
//! Gateway-fronted, like Inspector2) returns, and [`Error::status`] the HTTP
//! status (403 for all of them); the `Display` text is the AWS message:
//!
//! | variant | code |
//! |---|---|
//! | [`Error::MissingAuthorization`] | `MissingAuthenticationTokenException` |
//! | [`Error::Malformed`], [`Error::IncompleteSignature`] | `IncompleteSignatureException` |
//! | [`Error::SignatureDoesNotMatch`], [`Error::PayloadHashMismatch`], [`Error::RequestExpired`], [`Error::WrongService`], [`Error::WrongRegion`], [`Error::InvalidCredentialScope`] | `InvalidSignatureException` |
//! | [`Error::UnrecognizedClient`] (unknown access key or invalid session token; raised by the caller) | `UnrecognizedClientException` |
//! | [`Error::ExpiredToken`] (expired session token; raised by the caller) | `ExpiredTokenException` |
//!
//! Query-protocol and XML services use `SignatureDoesNotMatch`,
//! `RequestExpired` and `InvalidClientTokenId` instead; REST-JSON services do
//! not, so this crate does not either.

use std::fmt::Write as _;

use hmac::digest::KeyInit;
use hmac::digest::generic_array::GenericArray;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The only algorithm supported.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// `X-Amz-Content-Sha256` value for a body that is not covered by the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The clock skew AWS tolerates between a request's `X-Amz-Date` and its own clock.
pub const DEFAULT_SKEW: Duration = Duration::minutes(15);
/// The longest `X-Amz-Expires` AWS accepts on a presigned URL (7 days).
pub const MAX_PRESIGNED_EXPIRES: Duration = Duration::days(7);

/// Headers botocore never signs (hop-by-hop headers, `User-Agent`, the trace id).
const UNSIGNED_HEADERS: [&str; 11] = [
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// An HTTP request as seen on the wire.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method, e.g. `POST` (uppercased for signing).
    pub method: &'a str,
    /// The raw path, percent-encoded as received (no query).
    pub path: &'a str,
    /// The raw query string without the leading `?` (may be empty).
    pub query: &'a str,
    /// The headers: names in any case, values as received. Repeated names are
    /// allowed; their values are joined with `,` in this order.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// The values of every header called `name` (ASCII case-insensitive), in order.
    fn header_values<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + 'n
    where
        'a: 'n,
    {
        let headers: &'a [(String, String)] = self.headers;
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The single value of header `name`; `Err` if it is repeated.
    fn single_header(&self, name: &str) -> Result<Option<&'a str>, Error> {
        let mut values = self.header_values(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(Error::Malformed(format!(
                "The request contains more than one '{name}' header."
            )));
        }
        Ok(first)
    }
}

/// AWS credentials used for signing.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// What a request's signature claims, parsed without any secret: from the
/// `Authorization` header, or from the `X-Amz-*` query parameters of a
/// presigned URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The credential scope's date, `YYYYMMDD` (checked to match `amz_date`).
    pub date: String,
    /// The credential scope's region.
    pub region: String,
    /// The credential scope's service.
    pub service: String,
    /// The signed header names, lowercase, in the order given.
    pub signed_headers: Vec<String>,
    /// The claimed signature (hex).
    pub signature: String,
    /// The signing time (`X-Amz-Date`).
    pub amz_date: OffsetDateTime,
    /// The session token (`X-Amz-Security-Token` header or query parameter),
    /// for the caller to validate along with the access key.
    pub security_token: Option<String>,
    /// `Some(X-Amz-Expires)` for a presigned URL, `None` for an
    /// `Authorization` header.
    pub expires: Option<Duration>,
}

/// Why a request's signature was refused. [`Error::code`] and
/// [`Error::status`] give the AWS error code and HTTP status to answer with;
/// the `Display` text is the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Neither an `Authorization` header nor presigned-URL parameters.
    #[error("Missing Authentication Token")]
    MissingAuthorization,
    /// The `Authorization` header (or the presigned parameters) cannot be parsed.
    #[error("{0}")]
    Malformed(String),
    /// A required part is missing (credential, signed headers, signature,
    /// `X-Amz-Date`, `host` among the signed headers, ...).
    #[error("{0}")]
    IncompleteSignature(String),
    /// The credential scope is inconsistent (terminator, date, empty parts).
    #[error("{0}")]
    InvalidCredentialScope(String),
    /// The credential scope names another service. Holds the *expected*
    /// service, as AWS's message does; the claimed one is `Claim::service`.
    #[error("Credential should be scoped to correct service: '{0}'.")]
    WrongService(String),
    /// The credential scope names another region (the claimed one is inside);
    /// [`verify`] does not check the region, the caller may.
    #[error("Credential should be scoped to a valid region, not '{0}'.")]
    WrongRegion(String),
    /// The recomputed signature differs from the claimed one.
    #[error("{SIGNATURE_MISMATCH}")]
    SignatureDoesNotMatch,
    /// `X-Amz-Content-Sha256` is not the SHA-256 of the body.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    PayloadHashMismatch,
    /// The signing time is outside the allowed window.
    #[error("{}", expired_message(*.amz_date, *.now, *.skew, *.expires))]
    RequestExpired {
        amz_date: OffsetDateTime,
        now: OffsetDateTime,
        skew: Duration,
        /// `Some` for a presigned URL.
        expires: Option<Duration>,
    },
    /// The access key id (or session token) is not known. Never returned by
    /// this crate; for the caller's key lookup.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// The session token has expired. Never returned by this crate; for the
    /// caller's token check.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
}

impl Error {
    /// The AWS error code a REST-JSON service answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MissingAuthorization => "MissingAuthenticationTokenException",
            Error::Malformed(_) | Error::IncompleteSignature(_) => "IncompleteSignatureException",
            Error::InvalidCredentialScope(_)
            | Error::WrongService(_)
            | Error::WrongRegion(_)
            | Error::SignatureDoesNotMatch
            | Error::PayloadHashMismatch
            | Error::RequestExpired { .. } => "InvalidSignatureException",
            Error::UnrecognizedClient => "UnrecognizedClientException",
            Error::ExpiredToken => "ExpiredTokenException",
        }
    }

    /// The HTTP status AWS answers with (API Gateway-fronted REST-JSON
    /// services use 403 for every authentication failure).
    pub fn status(&self) -> u16 {
        403
    }
}

fn expired_message(
    amz_date: OffsetDateTime,
    now: OffsetDateTime,
    skew: Duration,
    expires: Option<Duration>,
) -> String {
    let signed = format_amz_date(amz_date);
    let now_s = format_amz_date(now);
    match expires {
        Some(expires) if now > amz_date => format!(
            "Request has expired. X-Amz-Date: {signed}, X-Amz-Expires: {}, now: {now_s}.",
            expires.whole_seconds()
        ),
        _ if amz_date > now => format!(
            "Signature not yet current: {signed} is still later than {} ({now_s} + {} min.)",
            format_amz_date(now + skew),
            skew.whole_minutes()
        ),
        _ => format!(
            "Signature expired: {signed} is now earlier than {} ({now_s} - {} min.)",
            format_amz_date(now - skew),
            skew.whole_minutes()
        ),
    }
}

// ---------------------------------------------------------------- signing

/// Signs `req` and returns the headers to add to it: `Authorization`,
/// `X-Amz-Date`, `X-Amz-Content-Sha256` and, with a session token,
/// `X-Amz-Security-Token`.
///
/// Every header of `req` is signed except the hop-by-hop ones,
/// `User-Agent` and `X-Amzn-Trace-Id` (botocore's list), and the ones this
/// function replaces (`Authorization`, `X-Amz-Date`, and
/// `X-Amz-Security-Token` when the credentials have a token): the caller must
/// not send those from `req.headers`. `req.headers` must contain `Host`
/// exactly as it will be sent (`host` or `host:port` for a non-default port);
/// without it the request cannot be verified. An `X-Amz-Content-Sha256`
/// already in `req.headers` (e.g. [`UNSIGNED_PAYLOAD`]) is used as the payload
/// hash and not added again.
pub fn sign(
    req: &Request,
    creds: &Credentials,
    region: &str,
    service: &str,
    now: OffsetDateTime,
) -> Vec<(String, String)> {
    let amz_date = format_amz_date(now);
    let date = &amz_date[..8];

    let mut headers: Vec<(String, &str)> = Vec::with_capacity(req.headers.len() + 3);
    let mut content_sha = None;
    for (name, value) in req.headers {
        let lname = name.to_ascii_lowercase();
        let replaced = lname == "authorization"
            || lname == "x-amz-date"
            || (lname == "x-amz-security-token" && creds.session_token.is_some());
        if replaced || UNSIGNED_HEADERS.contains(&lname.as_str()) {
            continue;
        }
        if lname == "x-amz-content-sha256" && content_sha.is_none() {
            content_sha = Some(value.as_str());
        }
        headers.push((lname, value.as_str()));
    }

    let mut added = Vec::with_capacity(4);
    added.push(("X-Amz-Date".to_owned(), amz_date.clone()));
    if let Some(token) = &creds.session_token {
        added.push(("X-Amz-Security-Token".to_owned(), token.clone()));
    }
    let payload = match content_sha {
        Some(value) => value.to_owned(),
        None => {
            let hash = sha256_hex(req.body);
            added.push(("X-Amz-Content-Sha256".to_owned(), hash.clone()));
            hash
        }
    };
    for (name, value) in &added {
        headers.push((name.to_ascii_lowercase(), value.as_str()));
    }

    let mut names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut canonical_headers = String::new();
    for name in &names {
        let values = headers.iter().filter(|(n, _)| n == name).map(|(_, v)| *v);
        push_canonical_header(&mut canonical_headers, name, values);
    }
    let signed_headers = names.join(";");

    let canonical_request = build_canonical_request(
        req.method,
        req.path,
        req.query,
        false,
        &canonical_headers,
        &signed_headers,
        &payload,
    );
    let scope = credential_scope(date, region, service);
    let sts = string_to_sign(&amz_date, &scope, &canonical_request);
    let key = signing_key(&creds.secret_access_key, date, region, service);
    let signature = hex(&hmac_sha256(&key, sts.as_bytes()));

    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    );
    let mut out = Vec::with_capacity(added.len() + 1);
    out.push(("Authorization".to_owned(), authorization));
    out.extend(added);
    out
}

// ---------------------------------------------------------------- parsing

/// Parses what `req`'s signature claims, from its `Authorization` header or,
/// failing that, from presigned-URL query parameters (`X-Amz-Algorithm`,
/// `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
/// `X-Amz-Signature`, optionally `X-Amz-Security-Token`).
///
/// Only the syntax and the self-consistency of the claim are checked (the
/// credential scope's date must be `X-Amz-Date`'s); look the access key up,
/// then call [`verify`].
pub fn parse(req: &Request) -> Result<Claim, Error> {
    let authorization = req.single_header("authorization")?;
    let query = parse_query(req.query);
    let presigned = query.iter().any(|(k, _)| k == b"X-Amz-Algorithm");
    match (authorization, presigned) {
        (Some(_), true) => Err(Error::Malformed(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified".to_owned(),
        )),
        (Some(value), false) => parse_authorization_header(req, value),
        (None, true) => parse_presigned(&query),
        (None, false) => Err(Error::MissingAuthorization),
    }
}

fn parse_authorization_header(req: &Request, value: &str) -> Result<Claim, Error> {
    let value = value.trim();
    let (algorithm, rest) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(Error::Malformed(format!(
            "Unsupported Authorization type '{algorithm}'; only '{ALGORITHM}' is supported."
        )));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, val)) = part.split_once('=') else {
            return Err(Error::Malformed(
                "Invalid key=value pair (missing equal-sign) in Authorization header.".to_owned(),
            ));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(val.trim()).is_some() {
            return Err(Error::Malformed(format!(
                "Authorization header has more than one '{}' parameter.",
                key.trim()
            )));
        }
    }
    let amz_date = req.single_header("x-amz-date")?.map(str::trim);

    let mut missing = String::new();
    for (present, name) in [
        (credential.is_some(), "Credential"),
        (signature.is_some(), "Signature"),
        (signed_headers.is_some(), "SignedHeaders"),
    ] {
        if !present {
            let _ = write!(
                missing,
                "Authorization header requires '{name}' parameter. "
            );
        }
    }
    if amz_date.is_none() {
        missing.push_str("Authorization header requires existence of a 'X-Amz-Date' header. ");
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(amz_date)) =
        (credential, signed_headers, signature, amz_date)
    else {
        return Err(Error::IncompleteSignature(missing.trim_end().to_owned()));
    };

    let security_token = req
        .single_header("x-amz-security-token")?
        .map(|t| t.trim().to_owned());
    build_claim(
        credential,
        signed_headers,
        signature,
        amz_date,
        security_token,
        None,
    )
}

fn parse_presigned(query: &[(Vec<u8>, Vec<u8>)]) -> Result<Claim, Error> {
    let get = |name: &str| -> Result<Option<String>, Error> {
        let mut values = query.iter().filter(|(k, _)| k == name.as_bytes());
        let Some((_, value)) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(Error::Malformed(format!(
                "The query string contains more than one '{name}' parameter."
            )));
        }
        String::from_utf8(value.clone())
            .map(Some)
            .map_err(|_| Error::Malformed(format!("'{name}' is not valid UTF-8.")))
    };
    let algorithm = get("X-Amz-Algorithm")?;
    let credential = get("X-Amz-Credential")?;
    let amz_date = get("X-Amz-Date")?;
    let expires = get("X-Amz-Expires")?;
    let signed_headers = get("X-Amz-SignedHeaders")?;
    let signature = get("X-Amz-Signature")?;
    let security_token = get("X-Amz-Security-Token")?;
    let (
        Some(algorithm),
        Some(credential),
        Some(amz_date),
        Some(expires),
        Some(signed_headers),
        Some(signature),
    ) = (
        algorithm,
        credential,
        amz_date,
        expires,
        signed_headers,
        signature,
    )
    else {
        return Err(Error::IncompleteSignature(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters.".to_owned(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(Error::Malformed(format!(
            "X-Amz-Algorithm only supports '{ALGORITHM}', not '{algorithm}'."
        )));
    }
    let expires = match expires.parse::<i64>() {
        Ok(secs) if (0..=MAX_PRESIGNED_EXPIRES.whole_seconds()).contains(&secs) => {
            Duration::seconds(secs)
        }
        _ => {
            return Err(Error::Malformed(format!(
                "X-Amz-Expires must be an integer between 0 and {} seconds, not '{expires}'.",
                MAX_PRESIGNED_EXPIRES.whole_seconds()
            )));
        }
    };
    build_claim(
        &credential,
        &signed_headers,
        &signature,
        &amz_date,
        security_token,
        Some(expires),
    )
}

fn build_claim(
    credential: &str,
    signed_headers: &str,
    signature: &str,
    amz_date_raw: &str,
    security_token: Option<String>,
    expires: Option<Duration>,
) -> Result<Claim, Error> {
    let amz_date = parse_amz_date(amz_date_raw).ok_or_else(|| {
        Error::Malformed(format!(
            "X-Amz-Date must be in the ISO8601 basic format YYYYMMDD'T'HHMMSS'Z', not '{amz_date_raw}'."
        ))
    })?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(Error::Malformed(format!(
            "Credential must have the form '<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request', not '{credential}'."
        )));
    };
    if access_key_id.is_empty() {
        return Err(Error::IncompleteSignature(
            "The Credential is missing the access key id.".to_owned(),
        ));
    }
    if terminator != "aws4_request" {
        return Err(Error::InvalidCredentialScope(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    if date != &amz_date_raw[..8] {
        return Err(Error::InvalidCredentialScope(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date_raw}'.",
            &amz_date_raw[..8]
        )));
    }
    if region.is_empty() {
        return Err(Error::InvalidCredentialScope(
            "Credential should be scoped to a valid region, not ''.".to_owned(),
        ));
    }
    if service.is_empty() {
        return Err(Error::InvalidCredentialScope(
            "Credential should be scoped to a valid service, not ''.".to_owned(),
        ));
    }
    let signed: Vec<String> = signed_headers
        .split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if signed.iter().any(String::is_empty) {
        return Err(Error::Malformed(format!(
            "SignedHeaders must be a ';'-separated list of header names, not '{signed_headers}'."
        )));
    }
    if signature.is_empty() {
        return Err(Error::IncompleteSignature(
            "The Signature is empty.".to_owned(),
        ));
    }
    Ok(Claim {
        access_key_id: access_key_id.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers: signed,
        signature: signature.to_owned(),
        amz_date,
        security_token,
        expires,
    })
}

// ---------------------------------------------------------------- verifying

/// Verifies `claim` (from [`parse`] on the same `req`) with the secret access
/// key of `claim.access_key_id`.
///
/// In order: the credential scope's service must be `expected_service`;
/// `host` (and, for an `Authorization` header, `x-amz-date`) must be signed;
/// the signing time must be within `skew` of `now` (a presigned URL is valid
/// from `amz_date - skew` to `amz_date + X-Amz-Expires`); an
/// `X-Amz-Content-Sha256` header must be the body's SHA-256 or
/// `UNSIGNED-PAYLOAD` (streaming payloads are refused); and the recomputed
/// signature must equal the claimed one (compared in constant time).
///
/// The region is not checked (compare `claim.region` yourself and answer
/// [`Error::WrongRegion`]), nor is the session token.
pub fn verify(
    req: &Request,
    claim: &Claim,
    secret: &str,
    expected_service: &str,
    now: OffsetDateTime,
    skew: Duration,
) -> Result<(), Error> {
    if claim.service != expected_service {
        return Err(Error::WrongService(expected_service.to_owned()));
    }
    let is_signed = |name: &str| claim.signed_headers.iter().any(|h| h == name);
    if !is_signed("host") {
        return Err(Error::IncompleteSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    if claim.expires.is_none() && !is_signed("x-amz-date") {
        return Err(Error::IncompleteSignature(
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }

    let expired = |expires| Error::RequestExpired {
        amz_date: claim.amz_date,
        now,
        skew,
        expires,
    };
    match claim.expires {
        None => {
            if (now - claim.amz_date).abs() > skew {
                return Err(expired(None));
            }
        }
        Some(expires) => {
            if claim.amz_date - now > skew || now - claim.amz_date > expires {
                return Err(expired(Some(expires)));
            }
        }
    }

    let payload = match req.single_header("x-amz-content-sha256")? {
        Some(value) => {
            let trimmed = value.trim();
            if trimmed.starts_with("STREAMING-") {
                return Err(Error::Malformed(format!(
                    "Streaming payloads ('x-amz-content-sha256: {trimmed}') are not supported."
                )));
            }
            if trimmed != UNSIGNED_PAYLOAD && !trimmed.eq_ignore_ascii_case(&sha256_hex(req.body)) {
                return Err(Error::PayloadHashMismatch);
            }
            value.to_owned()
        }
        None => sha256_hex(req.body),
    };

    let mut canonical_headers = String::new();
    for name in &claim.signed_headers {
        push_canonical_header(&mut canonical_headers, name, req.header_values(name));
    }
    let canonical_request = build_canonical_request(
        req.method,
        req.path,
        req.query,
        claim.expires.is_some(),
        &canonical_headers,
        &claim.signed_headers.join(";"),
        &payload,
    );
    let amz_date = format_amz_date(claim.amz_date);
    let scope = credential_scope(&claim.date, &claim.region, &claim.service);
    let sts = string_to_sign(&amz_date, &scope, &canonical_request);
    let key = signing_key(secret, &claim.date, &claim.region, &claim.service);

    let Some(claimed) = unhex(&claim.signature) else {
        return Err(Error::SignatureDoesNotMatch);
    };
    let mut mac = hmac_key(&key);
    mac.update(sts.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&claimed)
        .map_err(|_| Error::SignatureDoesNotMatch)
}

// ---------------------------------------------------------------- canonical forms

/// The canonical request for `req` with the given signed headers and payload
/// hash, as [`verify`] computes it (for debugging signature mismatches).
/// `presigned` drops `X-Amz-Signature` from the query.
pub fn canonical_request(
    req: &Request,
    signed_headers: &[String],
    payload_hash: &str,
    presigned: bool,
) -> String {
    let mut canonical_headers = String::new();
    for name in signed_headers {
        push_canonical_header(&mut canonical_headers, name, req.header_values(name));
    }
    build_canonical_request(
        req.method,
        req.path,
        req.query,
        presigned,
        &canonical_headers,
        &signed_headers.join(";"),
        payload_hash,
    )
}

fn build_canonical_request(
    method: &str,
    path: &str,
    query: &str,
    presigned: bool,
    canonical_headers: &str,
    signed_headers: &str,
    payload: &str,
) -> String {
    let mut out = String::with_capacity(
        method.len() + path.len() * 2 + query.len() * 2 + canonical_headers.len() + 128,
    );
    out.push_str(&method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(&canonical_uri(path));
    out.push('\n');
    out.push_str(&canonical_query_string(query, presigned));
    out.push('\n');
    out.push_str(canonical_headers);
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload);
    out
}

/// Appends `name:v1,v2\n` with each value trimmed and inner whitespace runs
/// collapsed to a single space.
fn push_canonical_header<'v>(out: &mut String, name: &str, values: impl Iterator<Item = &'v str>) {
    out.push_str(name);
    out.push(':');
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, word) in value.split(is_space).filter(|w| !w.is_empty()).enumerate() {
            if j > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out.push('\n');
}

/// Python's `str.isspace` (what botocore's `' '.join(value.split())` splits on).
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The canonical URI of a raw (percent-encoded) path, with non-S3 rules:
/// normalised, then URI-encoded once more keeping `/`.
pub fn canonical_uri(path: &str) -> String {
    uri_encode(normalize_path(path).as_bytes(), true)
}

/// RFC 3986 dot-segment removal that also drops empty segments, as botocore's
/// `remove_dot_segments` (a trailing `/` is kept when something remains).
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push('/');
    }
    out.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

/// The canonical query string of a raw query (see the crate docs).
/// `presigned` drops the `X-Amz-Signature` parameter.
pub fn canonical_query_string(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = parse_query(query)
        .into_iter()
        .filter(|(k, _)| !(presigned && k == b"X-Amz-Signature"))
        .map(|(k, v)| (uri_encode(&k, false), uri_encode(&v, false)))
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(query.len() + 16);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Splits a raw query into percent-decoded `(key, value)` pairs (`+` stays a
/// plus; empty pieces are skipped).
fn parse_query(query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex_value(*b)),
                bytes.get(i + 2).and_then(|b| hex_value(*b)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// URI-encodes every byte outside `A-Z a-z 0-9 - _ . ~` (and `/` if
/// `keep_slash`) as `%XX` with uppercase hex.
fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 3 / 2);
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

fn credential_scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/aws4_request")
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The SigV4 signing key for `date` (`YYYYMMDD`), `region` and `service`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// An HMAC-SHA256 instance keyed with `key`. HMAC hashes keys longer than
/// the block and zero-pads shorter ones, so building the padded block here
/// gives the same MAC as `new_from_slice`, without its (never taken) error
/// path.
fn hmac_key(key: &[u8]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    <Hmac<Sha256> as KeyInit>::new(&GenericArray::from(block))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac_key(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(hex_value(pair[0])? << 4 | hex_value(pair[1])?))
        .collect()
}

// ---------------------------------------------------------------- dates

/// Formats a time as SigV4's `YYYYMMDD'T'HHMMSS'Z'` (in UTC).
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses SigV4's `YYYYMMDD'T'HHMMSS'Z'`.
pub fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let day = u8::try_from(num(6..8)?).ok()?;
    let hour = u8::try_from(num(9..11)?).ok()?;
    let minute = u8::try_from(num(11..13)?).ok()?;
    let second = u8::try_from(num(13..15)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests;
