//! Differential tests against the installed botocore (the AWS CLI's signer).
//!
//! `tests/botocore_sigv4.py` signs requests with botocore's `SigV4Auth`,
//! `SigV4QueryAuth` and a real `inspector2` client at a frozen time; these
//! tests check that
//!
//! 1. [`sign`] produces botocore's `Authorization` header byte for byte,
//! 2. [`parse`] + [`verify`] accept every botocore-signed request (and our
//!    canonical request is botocore's), and
//! 3. tampered requests are refused with the right error.
//!
//! They need Python 3 with botocore (`python3 -m pip install botocore`); set
//! `VIGIL_PYTHON` to use another interpreter.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use vigil_sigv4::{
    Claim, Credentials, DEFAULT_SKEW, Error, Request, canonical_request, parse, parse_amz_date,
    sha256_hex, sign, verify,
};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/botocore_sigv4.py");
const INSTALL: &str = "python3 -m pip install botocore";

// ------------------------------------------------------------------ botocore

fn python() -> String {
    std::env::var("VIGIL_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Runs the helper script on `jobs` and returns its results, in order.
fn botocore(jobs: &[Value]) -> Vec<Value> {
    let py = python();
    let mut child = Command::new(&py)
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{py}` ({e}); these tests need Python 3 with botocore: {INSTALL} \
                 (or set VIGIL_PYTHON)"
            )
        });
    let input = serde_json::to_vec(jobs).expect("jobs to JSON");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write jobs");
    let out = child.wait_with_output().expect("wait for python");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        panic!("botocore is not installed for `{py}`; install it with: {INSTALL}\n{stderr}");
    }
    assert!(
        out.status.success(),
        "{SCRIPT} failed ({}):\n{stderr}",
        out.status
    );
    let mut doc: Value = serde_json::from_slice(&out.stdout).expect("helper output is JSON");
    let version = doc["botocore_version"].as_str().unwrap_or("?").to_owned();
    eprintln!("botocore {version}");
    let Value::Array(results) = doc["results"].take() else {
        panic!("helper output has no results");
    };
    assert_eq!(results.len(), jobs.len(), "one result per job");
    results
}

/// A request as botocore sends it.
#[derive(Debug, Clone)]
struct Wire {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    canonical_request: Option<String>,
}

impl Wire {
    fn from_json(v: &Value) -> Wire {
        let s = |key: &str| v[key].as_str().expect(key).to_owned();
        let headers = v["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().expect("name").to_owned(),
                    pair[1].as_str().expect("value").to_owned(),
                )
            })
            .collect();
        Wire {
            method: s("method"),
            path: s("path"),
            query: s("query"),
            headers,
            body: unhex(v["body_hex"].as_str().expect("body_hex")),
            canonical_request: v["canonical_request"].as_str().map(str::to_owned),
        }
    }

    fn request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_header(&mut self, name: &str, value: &str) {
        let slot = self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .expect("header to replace");
        slot.1 = value.to_owned();
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ------------------------------------------------------------------ cases

const SUITE_AKID: &str = "AKIDEXAMPLE";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const OTHER_AKID: &str = "AKIAVIGILTEST0000001";
const OTHER_SECRET: &str = "q9+Y/ZaB3kV8sJw2n0xT5uRcLm7eHdFgPi4oQ1Ws";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+test/token==";

/// One request to sign: everything botocore needs.
#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    host: &'static str,
    path: &'static str,
    query: &'static str,
    /// Headers other than Host (botocore derives Host from the URL when
    /// `explicit_host` is false).
    headers: Vec<(String, String)>,
    explicit_host: bool,
    body: Vec<u8>,
    region: &'static str,
    service: &'static str,
    timestamp: &'static str,
    access_key: &'static str,
    secret: &'static str,
    token: Option<&'static str>,
}

impl Case {
    fn now(&self) -> OffsetDateTime {
        parse_amz_date(self.timestamp).expect("timestamp")
    }

    fn creds(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key.to_owned(),
            secret_access_key: self.secret.to_owned(),
            session_token: self.token.map(str::to_owned),
        }
    }

    /// The headers as sent, Host first.
    fn headers_with_host(&self) -> Vec<(String, String)> {
        let mut h = vec![("Host".to_owned(), self.host.to_owned())];
        h.extend(self.headers.iter().cloned());
        h
    }

    fn job(&self, kind: &str, extra_headers: &[(&str, &str)]) -> Value {
        let mut headers: Vec<(String, String)> = if self.explicit_host {
            self.headers_with_host()
        } else {
            self.headers.clone()
        };
        headers.extend(
            extra_headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        json!({
            "kind": kind,
            "method": self.method,
            "host": self.host,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body_hex": hex(&self.body),
            "region": self.region,
            "service": self.service,
            "timestamp": self.timestamp,
            "access_key": self.access_key,
            "secret_key": self.secret,
            "token": self.token,
        })
    }
}

const PATHS: &[&str] = &[
    "/",
    "",
    "/findings/list",
    "/a b/c d",
    "/caf\u{e9}/\u{2713}/\u{1F600}",
    "/a%2Fb/c",
    "//double//slashes//",
    "/a/./b/../c",
    "/trailing/",
    "/%20encoded%20twice",
    "/tags/arn%3Aaws%3Ainspector2%3Aus-east-1%3A123456789012%3Aowner%2F123456789012%2Ffilter%2Fabc",
    "/~tilde/-_.",
    "/plus+sign/a=b;c,d",
    "/..",
    "/%7Euser/%41",
    "/coverage/list",
    "/x/../../y/.",
];

/// Queries as SDKs put them on the wire (already percent-encoded with
/// uppercase hex, unreserved characters left alone).
const QUERIES: &[&str] = &[
    "",
    "b=2&a=1",
    "a=2&a=1&a=10",
    "flag",
    "a=&b",
    "q=hello%20world",
    "key%20with%20space=v",
    "unicode=%E2%9C%93",
    "Param2=value2&Param1=value1",
    "x=a%2Bb",
    "nextToken=abc%2Fdef%3D%3D&maxResults=10",
    "Z=1&a=1&_=1",
    "tilde=~&dash=-&dot=.",
    "%E2%9C%93=1",
    "a=1&A=2",
    "tagKeys=b&tagKeys=a&tagKeys=a",
];

fn header_set(i: usize) -> Vec<(String, String)> {
    let sets: [&[(&str, &str)]; 10] = [
        &[],
        &[("Content-Type", "application/json")],
        &[("X-Custom", "  a   b  c  ")],
        &[("X-Multi", "one"), ("x-multi", "two  three")],
        &[
            ("User-Agent", "aws-cli/2.0 botocore"),
            ("Expect", "100-continue"),
        ],
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "Svc.Op"),
        ],
        &[("X-Tabs", "a\tb \t c")],
        &[("Content-Length", "17"), ("X-Empty", "")],
        &[("MiXeD-CaSe", "Value With  Spaces"), ("accept", "*/*")],
        &[
            ("Content-Type", "application/json"),
            ("x-amzn-trace-id", "Root=1-abc"),
            ("X-Amz-Meta-Note", "  caf\u{e9}  "),
        ],
    ];
    sets[i % sets.len()]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn body(i: usize) -> Vec<u8> {
    match i % 6 {
        0 => Vec::new(),
        1 => br#"{"maxResults":10}"#.to_vec(),
        2 => r#"{"filterCriteria":{"severity":[{"comparison":"EQUALS","value":"CRITICAL"}]},"note":"caf\u00e9 ✓"}"#
            .as_bytes()
            .to_vec(),
        3 => (0u8..=255).collect(),
        4 => b"{}".to_vec(),
        _ => {
            let mut big = b"{\"accountIds\":[".to_vec();
            for n in 0..200 {
                if n > 0 {
                    big.push(b',');
                }
                big.extend_from_slice(format!("\"{:012}\"", n).as_bytes());
            }
            big.extend_from_slice(b"]}");
            big
        }
    }
}

/// ~60 varied requests; index arithmetic mixes the dimensions.
fn cases() -> Vec<Case> {
    const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "POST", "HEAD"];
    const HOSTS: &[&str] = &[
        "example.amazonaws.com",
        "inspector2.us-east-1.amazonaws.com",
        "localhost:8443",
        "127.0.0.1:9000",
    ];
    const SCOPES: &[(&str, &str)] = &[
        ("us-east-1", "service"),
        ("us-east-1", "inspector2"),
        ("eu-west-1", "inspector2"),
        ("ap-southeast-2", "execute-api"),
    ];
    const TIMES: &[&str] = &["20150830T123600Z", "20240229T235959Z", "20991231T000000Z"];
    let mut out = Vec::new();
    for i in 0..60 {
        let (region, service) = SCOPES[(i / 2) % SCOPES.len()];
        let (access_key, secret) = if i % 5 == 3 {
            (OTHER_AKID, OTHER_SECRET)
        } else {
            (SUITE_AKID, SUITE_SECRET)
        };
        out.push(Case {
            method: METHODS[i % METHODS.len()],
            host: HOSTS[(i / 3) % HOSTS.len()],
            path: PATHS[i % PATHS.len()],
            query: QUERIES[(i * 7) % QUERIES.len()],
            headers: header_set(i * 3),
            explicit_host: i % 4 == 1,
            body: body(i),
            region,
            service,
            timestamp: TIMES[i % TIMES.len()],
            access_key,
            secret,
            token: if i % 3 == 2 { Some(TOKEN) } else { None },
        });
    }
    out
}

// ------------------------------------------------------------------ helpers

fn header_value<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Our canonical request for a signed wire request, for comparison.
fn our_canonical(wire: &Wire, claim: &Claim) -> String {
    let req = wire.request();
    let payload = wire
        .header("x-amz-content-sha256")
        .map_or_else(|| sha256_hex(&wire.body), str::to_owned);
    canonical_request(
        &req,
        &claim.signed_headers,
        &payload,
        claim.expires.is_some(),
    )
}

/// Parses and verifies `wire` at `now`; on failure shows both canonical requests.
fn verify_wire(wire: &Wire, secret: &str, service: &str, now: OffsetDateTime) -> Result<(), Error> {
    let req = wire.request();
    let claim = parse(&req)?;
    let result = verify(&req, &claim, secret, service, now, DEFAULT_SKEW);
    if result.is_err() {
        if let Some(theirs) = &wire.canonical_request {
            eprintln!(
                "--- botocore canonical request\n{theirs}\n--- ours\n{}\n---",
                our_canonical(wire, &claim)
            );
        }
    }
    result
}

// ------------------------------------------------------------------ (1) sign

#[test]
fn sign_matches_botocore_authorization() {
    let cases = cases();
    // Our signer always sends X-Amz-Content-Sha256; botocore signs that
    // header (and uses it as the payload hash) when the request has it.
    let jobs: Vec<Value> = cases
        .iter()
        .map(|c| c.job("sign", &[("X-Amz-Content-SHA256", &sha256_hex(&c.body))]))
        .collect();
    let results = botocore(&jobs);
    let mut mismatches = Vec::new();
    for (i, (case, result)) in cases.iter().zip(&results).enumerate() {
        let theirs = Wire::from_json(result);
        let headers = case.headers_with_host();
        let req = Request {
            method: case.method,
            path: case.path,
            query: case.query,
            headers: &headers,
            body: &case.body,
        };
        let added = sign(&req, &case.creds(), case.region, case.service, case.now());
        let ours_auth = header_value(&added, "authorization").expect("our Authorization");
        let their_auth = theirs
            .header("authorization")
            .expect("botocore Authorization");
        assert_eq!(
            header_value(&added, "x-amz-date"),
            theirs.header("x-amz-date")
        );
        assert_eq!(
            header_value(&added, "x-amz-security-token"),
            theirs.header("x-amz-security-token")
        );
        assert_eq!(
            header_value(&added, "x-amz-content-sha256"),
            Some(sha256_hex(&case.body).as_str())
        );
        if ours_auth != their_auth {
            mismatches.push(format!(
                "case {i} {case:?}\n  ours:     {ours_auth}\n  botocore: {their_auth}\n  botocore canonical request:\n{}",
                theirs.canonical_request.as_deref().unwrap_or("?")
            ));
        }

        // Our own signature verifies too.
        let mut sent = headers.clone();
        sent.extend(added);
        let req = Request {
            headers: &sent,
            ..req
        };
        let claim = parse(&req).expect("parse our own signature");
        verify(
            &req,
            &claim,
            case.secret,
            case.service,
            case.now(),
            DEFAULT_SKEW,
        )
        .unwrap_or_else(|e| panic!("case {i}: our signature does not verify: {e}"));
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} Authorization headers differ from botocore's:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
    eprintln!("{} requests signed identically to botocore", cases.len());
}

// ------------------------------------------------------------------ (2) verify

/// Requests signed by botocore the way the CLI signs inspector2 requests
/// (no X-Amz-Content-Sha256), with UNSIGNED-PAYLOAD, and presigned.
fn botocore_signed() -> Vec<(Case, Wire)> {
    let cases = cases();
    let mut jobs = Vec::new();
    let mut kept = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let mut job = case.job("sign", &[]);
        if i % 10 == 7 {
            job["payload_signing"] = json!(false);
        }
        jobs.push(job);
        kept.push(case.clone());
    }
    for (i, case) in cases.iter().enumerate().filter(|(i, _)| i % 4 == 0) {
        // Presigned URLs: botocore keeps one value per query key and puts
        // the body into the query, so use GET without body or repeats.
        let mut case = case.clone();
        case.method = "GET";
        case.body.clear();
        case.query = ["", "b=2&a=1", "q=hello%20world", "unicode=%E2%9C%93&x=%2F"][i / 4 % 4];
        let mut job = case.job("presign", &[]);
        job["expires"] = json!([60, 3600, 604800][i % 3]);
        jobs.push(job);
        kept.push(case);
    }
    let results = botocore(&jobs);
    kept.into_iter()
        .zip(results.iter().map(Wire::from_json))
        .collect()
}

#[test]
fn verify_accepts_every_botocore_signed_request() {
    let signed = botocore_signed();
    let mut presigned = 0;
    let mut unsigned_payload = 0;
    for (i, (case, wire)) in signed.iter().enumerate() {
        let req = wire.request();
        let claim = parse(&req).unwrap_or_else(|e| panic!("request {i}: parse: {e}\n{wire:?}"));
        assert_eq!(claim.access_key_id, case.access_key);
        assert_eq!(claim.region, case.region);
        assert_eq!(claim.service, case.service);
        assert_eq!(claim.amz_date, case.now());
        assert_eq!(claim.security_token.as_deref(), case.token);
        if claim.expires.is_some() {
            presigned += 1;
        }
        if wire.header("x-amz-content-sha256") == Some("UNSIGNED-PAYLOAD") {
            unsigned_payload += 1;
        }
        assert_eq!(
            Some(our_canonical(wire, &claim).as_str()),
            wire.canonical_request.as_deref(),
            "request {i}: canonical request differs from botocore's"
        );
        verify_wire(wire, case.secret, case.service, case.now())
            .unwrap_or_else(|e| panic!("request {i}: {e} ({})\n{wire:?}", e.code()));
    }
    assert!(presigned >= 10, "{presigned} presigned URLs");
    assert!(
        unsigned_payload >= 5,
        "{unsigned_payload} UNSIGNED-PAYLOAD requests"
    );
    eprintln!(
        "{} botocore-signed requests verified ({presigned} presigned, {unsigned_payload} UNSIGNED-PAYLOAD)",
        signed.len()
    );
}

/// Requests captured from real botocore `inspector2` clients, as `aws
/// inspector2 ...` sends them (User-Agent, amz-sdk-* and Content-Length are
/// added after signing and stay unsigned).
fn client_requests() -> Vec<(Value, Wire)> {
    let arn = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/filter/abc";
    let calls = [
        json!({"operation": "list_findings", "params": {
            "maxResults": 10,
            "filterCriteria": {"severity": [{"comparison": "EQUALS", "value": "CRITICAL"}]},
            "sortCriteria": {"field": "SEVERITY", "sortOrder": "DESC"}}}),
        json!({"operation": "list_coverage", "params": {"maxResults": 5, "nextToken": "a/b+c=="}}),
        json!({"operation": "batch_get_account_status", "params": {"accountIds": ["123456789012"]}}),
        json!({"operation": "list_tags_for_resource", "params": {"resourceArn": arn}}),
        json!({"operation": "tag_resource", "params": {"resourceArn": arn,
            "tags": {"team": "sec ops", "caf\u{e9}": "\u{2713}"}}}),
        json!({"operation": "untag_resource", "params": {"resourceArn": arn,
            "tagKeys": ["b key", "a/key", "\u{fc}", "a/key"]}}),
        json!({"operation": "get_configuration", "params": {}}),
        json!({"operation": "search_vulnerabilities", "params": {
            "filterCriteria": {"vulnerabilityIds": ["CVE-2021-44228"]}}}),
    ];
    let mut jobs = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        for endpoint in [
            None,
            Some("http://localhost:8080"),
            Some("https://vigil.test:8443/"),
        ] {
            let mut job = call.clone();
            job["kind"] = json!("client");
            job["service"] = json!("inspector2");
            job["region"] = json!(if i % 2 == 0 {
                "us-east-1"
            } else {
                "eu-central-1"
            });
            job["timestamp"] = json!("20240229T235959Z");
            job["access_key"] = json!(OTHER_AKID);
            job["secret_key"] = json!(OTHER_SECRET);
            job["token"] = if i % 2 == 1 {
                json!(TOKEN)
            } else {
                Value::Null
            };
            job["endpoint_url"] = endpoint.map_or(Value::Null, |e| json!(e));
            jobs.push(job);
        }
    }
    let results = botocore(&jobs);
    jobs.into_iter()
        .zip(results.iter().map(Wire::from_json))
        .collect()
}

#[test]
fn verify_accepts_real_inspector2_client_requests() {
    let requests = client_requests();
    let now = parse_amz_date("20240229T235959Z").expect("time");
    for (job, wire) in &requests {
        let what = format!("{} via {}", job["operation"], job["endpoint_url"]);
        let claim = parse(&wire.request()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(claim.service, "inspector2");
        assert_eq!(claim.region, job["region"].as_str().expect("region"));
        assert!(claim.signed_headers.iter().any(|h| h == "host"));
        assert!(!claim.signed_headers.iter().any(|h| h == "user-agent"));
        verify_wire(wire, OTHER_SECRET, "inspector2", now)
            .unwrap_or_else(|e| panic!("{what}: {e}\n{wire:?}"));
        // Two minutes of clock skew either way is fine.
        for skewed in [now - Duration::minutes(2), now + Duration::minutes(2)] {
            verify_wire(wire, OTHER_SECRET, "inspector2", skewed).expect("within skew");
        }
    }
    let untag = requests
        .iter()
        .find(|(job, _)| job["operation"] == "untag_resource")
        .expect("untag_resource");
    assert_eq!(untag.1.method, "DELETE");
    assert!(untag.1.query.contains("tagKeys="), "{}", untag.1.query);
    eprintln!(
        "{} real inspector2 client requests verified",
        requests.len()
    );
}

// ------------------------------------------------------------------ (3) tampering

fn expect_refused(wire: &Wire, secret: &str, service: &str, now: OffsetDateTime) -> Error {
    let req = wire.request();
    match parse(&req) {
        Err(e) => e,
        Ok(claim) => verify(&req, &claim, secret, service, now, DEFAULT_SKEW)
            .expect_err("tampered request must be refused"),
    }
}

#[test]
fn tampering_is_refused_with_the_right_error() {
    let requests = client_requests();
    let now = parse_amz_date("20240229T235959Z").expect("time");
    let find = |op: &str, endpoint: Option<&str>| -> Wire {
        requests
            .iter()
            .find(|(job, _)| job["operation"] == op && job["endpoint_url"].as_str() == endpoint)
            .map(|(_, w)| w.clone())
            .expect("captured request")
    };
    let post = find("list_findings", Some("http://localhost:8080"));
    let get = find("list_tags_for_resource", None);
    let delete = find("untag_resource", None);
    let mut checks = 0;
    let mut check = |name: &str,
                     wire: &Wire,
                     secret: &str,
                     service: &str,
                     at,
                     want: &dyn Fn(&Error) -> bool| {
        let err = expect_refused(wire, secret, service, at);
        assert!(want(&err), "{name}: unexpected {err:?}");
        checks += 1;
    };
    let mismatch = |e: &Error| *e == Error::SignatureDoesNotMatch;

    // Sanity: the untampered ones verify, and unsigned headers may change.
    for w in [&post, &get, &delete] {
        verify_wire(w, OTHER_SECRET, "inspector2", now).expect("untampered");
    }
    let mut ua = post.clone();
    ua.set_header("user-agent", "something else");
    ua.headers.push(("X-Not-Signed".to_owned(), "x".to_owned()));
    verify_wire(&ua, OTHER_SECRET, "inspector2", now).expect("unsigned headers are free");

    let mut w = post.clone();
    w.body = br#"{"maxResults": 11}"#.to_vec();
    check("body", &w, OTHER_SECRET, "inspector2", now, &mismatch);

    let mut w = post.clone();
    w.body.push(b' ');
    check(
        "body whitespace",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &mismatch,
    );

    let mut w = post.clone();
    w.path = "/findings/list2".to_owned();
    check("path", &w, OTHER_SECRET, "inspector2", now, &mismatch);

    let mut w = get.clone();
    w.path = w.path.replace("abc", "abd");
    check("path label", &w, OTHER_SECRET, "inspector2", now, &mismatch);

    let mut w = get.clone();
    w.query = "extra=1".to_owned();
    check(
        "query added",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &mismatch,
    );

    let mut w = delete.clone();
    w.query = w.query.replacen("tagKeys=a%2Fkey", "tagKeys=a%2Fkez", 1);
    assert_ne!(w.query, delete.query);
    check(
        "query value",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &mismatch,
    );

    let mut w = delete.clone();
    w.method = "GET".to_owned();
    check("method", &w, OTHER_SECRET, "inspector2", now, &mismatch);

    let mut w = post.clone();
    w.set_header("content-type", "application/xml");
    check(
        "signed header",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &mismatch,
    );

    let mut w = post.clone();
    w.set_header("host", "evil.example:8080");
    check("host", &w, OTHER_SECRET, "inspector2", now, &mismatch);

    let mut w = post.clone();
    w.set_header("x-amz-date", "20240229T235958Z");
    check("x-amz-date", &w, OTHER_SECRET, "inspector2", now, &mismatch);

    let mut w = find("list_coverage", None);
    w.set_header("x-amz-security-token", "another token");
    check(
        "session token",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &mismatch,
    );

    let mut w = post.clone();
    w.headers
        .push(("X-Amz-Content-Sha256".to_owned(), sha256_hex(b"{}")));
    check(
        "content sha256 of another body",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &|e| *e == Error::PayloadHashMismatch,
    );

    check(
        "wrong secret",
        &post,
        SUITE_SECRET,
        "inspector2",
        now,
        &mismatch,
    );

    check(
        "wrong service",
        &post,
        OTHER_SECRET,
        "inspector",
        now,
        &|e| {
            *e == Error::WrongService("inspector".to_owned())
                && e.code() == "InvalidSignatureException"
        },
    );

    for (name, at) in [
        ("late", now + DEFAULT_SKEW + Duration::seconds(1)),
        ("early", now - DEFAULT_SKEW - Duration::seconds(1)),
        ("a day late", now + Duration::days(1)),
    ] {
        check(name, &post, OTHER_SECRET, "inspector2", at, &|e| {
            matches!(e, Error::RequestExpired { expires: None, .. })
                && e.code() == "InvalidSignatureException"
        });
    }

    let auth = post
        .header("authorization")
        .expect("authorization")
        .to_owned();
    let mut w = post.clone();
    w.set_header(
        "authorization",
        &auth.replace("content-type;host;", "content-type;"),
    );
    check(
        "host not signed",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &|e| {
            matches!(e, Error::IncompleteSignature(m) if m.contains("Host"))
                && e.code() == "IncompleteSignatureException"
        },
    );

    let mut w = post.clone();
    w.set_header("authorization", &auth.replace(";x-amz-date", ""));
    check(
        "x-amz-date not signed",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &|e| matches!(e, Error::IncompleteSignature(m) if m.contains("X-Amz-Date")),
    );

    let mut w = post.clone();
    let sig_at = auth.find("Signature=").expect("signature") + "Signature=".len();
    let mut flipped = auth.clone();
    let c = if &auth[sig_at..=sig_at] == "0" {
        "1"
    } else {
        "0"
    };
    flipped.replace_range(sig_at..=sig_at, c);
    w.set_header("authorization", &flipped);
    check(
        "signature flipped",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &mismatch,
    );

    let mut w = post.clone();
    w.set_header(
        "authorization",
        &auth.replace("/inspector2/", "/inspector3/"),
    );
    check(
        "scope service changed",
        &w,
        OTHER_SECRET,
        "inspector3",
        now,
        &mismatch,
    );

    let mut w = post.clone();
    w.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    check(
        "no authorization",
        &w,
        OTHER_SECRET,
        "inspector2",
        now,
        &|e| *e == Error::MissingAuthorization && e.code() == "MissingAuthenticationTokenException",
    );

    let mut w = post.clone();
    w.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-date"));
    check("no x-amz-date", &w, OTHER_SECRET, "inspector2", now, &|e| {
        matches!(e, Error::IncompleteSignature(_))
    });

    eprintln!("{checks} tampered requests refused");
}

#[test]
fn presigned_tampering_and_expiry() {
    let case = Case {
        method: "GET",
        host: "localhost:8443",
        path: "/tags/arn%3Aaws%3Ainspector2%3Aus-east-1%3A1%3Aowner%2F1",
        query: "b=2&a=1",
        headers: Vec::new(),
        explicit_host: false,
        body: Vec::new(),
        region: "us-east-1",
        service: "inspector2",
        timestamp: "20240229T235959Z",
        access_key: OTHER_AKID,
        secret: OTHER_SECRET,
        token: Some(TOKEN),
    };
    let mut job = case.job("presign", &[]);
    job["expires"] = json!(300);
    let wire = Wire::from_json(&botocore(&[job])[0]);
    let now = case.now();
    let claim = parse(&wire.request()).expect("parse");
    assert_eq!(claim.expires, Some(Duration::seconds(300)));
    assert_eq!(claim.signed_headers, ["host"]);
    assert_eq!(claim.security_token.as_deref(), Some(TOKEN));

    for at in [
        now,
        now + Duration::seconds(300),
        now - Duration::minutes(15),
    ] {
        verify_wire(&wire, OTHER_SECRET, "inspector2", at).expect("valid window");
    }
    for at in [
        now + Duration::seconds(301),
        now - Duration::minutes(15) - Duration::seconds(1),
    ] {
        let err = expect_refused(&wire, OTHER_SECRET, "inspector2", at);
        assert!(
            matches!(
                err,
                Error::RequestExpired {
                    expires: Some(_),
                    ..
                }
            ),
            "{err:?}"
        );
    }

    let mut w = wire.clone();
    w.query = w.query.replacen("b=2", "b=3", 1);
    assert_eq!(
        expect_refused(&w, OTHER_SECRET, "inspector2", now),
        Error::SignatureDoesNotMatch
    );
    let mut w = wire.clone();
    w.query = w
        .query
        .replacen("X-Amz-Expires=300", "X-Amz-Expires=3000", 1);
    assert_eq!(
        expect_refused(&w, OTHER_SECRET, "inspector2", now),
        Error::SignatureDoesNotMatch
    );
    let mut w = wire.clone();
    w.headers.push((
        "Authorization".to_owned(),
        "AWS4-HMAC-SHA256 Credential=x".to_owned(),
    ));
    assert!(matches!(
        expect_refused(&w, OTHER_SECRET, "inspector2", now),
        Error::Malformed(_)
    ));
}
