//! Unit tests: AWS's published SigV4 test-suite vectors and the canonical forms.

use super::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_DATE: &str = "20150830T123600Z";

fn suite_time() -> OffsetDateTime {
    parse_amz_date(SUITE_DATE).expect("date")
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn suite_authorization(signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature={signature}"
    )
}

/// Checks one vector of AWS's SigV4 test suite (aws-sig-v4-test-suite) by
/// verifying the suite's signed request.
fn check_suite_vector(method: &str, query: &str, signature: &str) {
    let h = headers(&[
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", SUITE_DATE),
        ("Authorization", &suite_authorization(signature)),
    ]);
    let req = Request {
        method,
        path: "/",
        query,
        headers: &h,
        body: b"",
    };
    let claim = parse(&req).expect("parse");
    assert_eq!(claim.access_key_id, AKID);
    assert_eq!(claim.date, "20150830");
    assert_eq!(claim.region, "us-east-1");
    assert_eq!(claim.service, "service");
    assert_eq!(claim.signed_headers, ["host", "x-amz-date"]);
    assert_eq!(claim.amz_date, suite_time());
    assert_eq!(claim.expires, None);
    verify(&req, &claim, SECRET, "service", suite_time(), DEFAULT_SKEW).expect("verify");
    assert_eq!(
        verify(&req, &claim, "wrong", "service", suite_time(), DEFAULT_SKEW),
        Err(Error::SignatureDoesNotMatch)
    );
}

#[test]
fn suite_get_vanilla() {
    check_suite_vector(
        "GET",
        "",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
}

#[test]
fn suite_post_vanilla() {
    check_suite_vector(
        "POST",
        "",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    );
}

#[test]
fn suite_get_vanilla_query_order_key_case() {
    check_suite_vector(
        "GET",
        "Param2=value2&Param1=value1",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    );
}

#[test]
fn suite_get_vanilla_intermediate_values() {
    let h = headers(&[
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", SUITE_DATE),
    ]);
    let req = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &h,
        body: b"",
    };
    let signed = ["host".to_owned(), "x-amz-date".to_owned()];
    let cr = canonical_request(&req, &signed, EMPTY_SHA256, false);
    assert_eq!(
        cr,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
         host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let sts = string_to_sign(
        SUITE_DATE,
        &credential_scope("20150830", "us-east-1", "service"),
        &cr,
    );
    assert_eq!(
        sts,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
         bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    let key = signing_key(SECRET, "20150830", "us-east-1", "service");
    assert_eq!(
        hex(&hmac_sha256(&key, sts.as_bytes())),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

/// AWS's "derive a signing key" example (IAM, 2012-02-15).
#[test]
fn documented_signing_key() {
    assert_eq!(
        hex(&signing_key(SECRET, "20120215", "us-east-1", "iam")),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
}

#[test]
fn hmac_key_matches_new_from_slice() {
    for len in [0usize, 1, 31, 32, 44, 63, 64, 65, 100, 200] {
        let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let mut reference = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("any length");
        reference.update(b"message");
        assert_eq!(
            hmac_sha256(&key, b"message"),
            <[u8; 32]>::from(reference.finalize().into_bytes()),
            "key length {len}"
        );
    }
}

#[test]
fn canonical_uri_normalises_and_encodes_twice() {
    let cases = [
        ("", "/"),
        ("/", "/"),
        ("//", "/"),
        ("/a//b", "/a/b"),
        ("/a/./b/../c", "/a/c"),
        ("/a/b/", "/a/b/"),
        ("/a/..", "/"),
        ("/a/../", "/"),
        ("/../../a", "/a"),
        ("/findings/list", "/findings/list"),
        ("/a%2Fb", "/a%252Fb"),
        ("/with space", "/with%20space"),
        ("/%20", "/%2520"),
        ("/caf\u{e9}", "/caf%C3%A9"),
        ("/~user/-_.", "/~user/-_."),
        ("/a:b@c", "/a%3Ab%40c"),
        ("relative/x", "relative/x"),
        ("/%2E%2E/x", "/%252E%252E/x"),
    ];
    for (raw, want) in cases {
        assert_eq!(canonical_uri(raw), want, "{raw:?}");
    }
}

#[test]
fn canonical_query_sorts_and_reencodes() {
    let cases = [
        ("", ""),
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1&a=10", "a=1&a=10&a=2"),
        ("flag", "flag="),
        ("a=&b", "a=&b="),
        ("a=1&&b=2&", "a=1&b=2"),
        ("q=hello%20world", "q=hello%20world"),
        ("q=%e2%9c%93", "q=%E2%9C%93"),
        ("q=a+b", "q=a%2Bb"),
        ("q=a b", "q=a%20b"),
        ("q=%7E~", "q=~~"),
        ("k=a=b", "k=a%3Db"),
        ("q=100%", "q=100%25"),
        ("Z=1&a=1&_=1", "Z=1&_=1&a=1"),
    ];
    for (raw, want) in cases {
        assert_eq!(canonical_query_string(raw, false), want, "{raw:?}");
    }
    assert_eq!(
        canonical_query_string("X-Amz-Signature=abc&b=1", true),
        "b=1"
    );
    assert_eq!(
        canonical_query_string("X-Amz-Signature=abc&b=1", false),
        "X-Amz-Signature=abc&b=1"
    );
}

#[test]
fn canonical_header_values_are_trimmed_and_joined() {
    let mut out = String::new();
    push_canonical_header(
        &mut out,
        "x-a",
        ["  a   b\t c  ", "second", "", "\u{1f}x\u{a0}y"].into_iter(),
    );
    assert_eq!(out, "x-a:a b c,second,,x y\n");
}

#[test]
fn amz_dates_round_trip_and_reject_garbage() {
    let t = parse_amz_date("20240229T235959Z").expect("leap day");
    assert_eq!(format_amz_date(t), "20240229T235959Z");
    let offset = t.to_offset(UtcOffset::from_hms(2, 0, 0).expect("offset"));
    assert_eq!(format_amz_date(offset), "20240229T235959Z");
    for bad in [
        "",
        "20230229T000000Z",
        "20240229T240000Z",
        "20240229 235959Z",
        "2024-02-29T23:59Z",
        "20240229T235959",
        "2024022xT235959Z",
        "+0240229T235959Z",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad:?}");
    }
}

fn creds(token: Option<&str>) -> Credentials {
    Credentials {
        access_key_id: AKID.to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: token.map(str::to_owned),
    }
}

fn signed(
    base: &[(&str, &str)],
    body: &[u8],
    creds: &Credentials,
    service: &str,
) -> Vec<(String, String)> {
    let mut h = headers(base);
    let req = Request {
        method: "POST",
        path: "/findings/list",
        query: "",
        headers: &h,
        body,
    };
    let added = sign(&req, creds, "us-east-1", service, suite_time());
    h.extend(added);
    h
}

#[test]
fn sign_adds_the_documented_headers_and_verifies() {
    let body = br#"{"maxResults":10}"#;
    let h = signed(
        &[
            ("Host", "inspector2.us-east-1.amazonaws.com"),
            ("Content-Type", "application/json"),
            ("User-Agent", "vigil/0.1"),
        ],
        body,
        &creds(Some("token")),
        "inspector2",
    );
    let names: Vec<&str> = h.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Host",
            "Content-Type",
            "User-Agent",
            "Authorization",
            "X-Amz-Date",
            "X-Amz-Security-Token",
            "X-Amz-Content-Sha256"
        ]
    );
    let req = Request {
        method: "POST",
        path: "/findings/list",
        query: "",
        headers: &h,
        body,
    };
    let claim = parse(&req).expect("parse");
    assert_eq!(
        claim.signed_headers,
        [
            "content-type",
            "host",
            "x-amz-content-sha256",
            "x-amz-date",
            "x-amz-security-token"
        ]
    );
    assert_eq!(claim.security_token.as_deref(), Some("token"));
    verify(
        &req,
        &claim,
        SECRET,
        "inspector2",
        suite_time(),
        DEFAULT_SKEW,
    )
    .expect("verify");

    let other_body = br#"{"maxResults":11}"#;
    let tampered = Request {
        body: other_body,
        ..req
    };
    assert_eq!(
        verify(
            &tampered,
            &claim,
            SECRET,
            "inspector2",
            suite_time(),
            DEFAULT_SKEW
        ),
        Err(Error::PayloadHashMismatch)
    );
}

#[test]
fn sign_honours_a_given_content_sha256() {
    let h = signed(
        &[
            ("Host", "h"),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
            ("Authorization", "stale"),
            ("X-Amz-Date", "stale"),
        ],
        b"anything",
        &creds(None),
        "svc",
    );
    let h: Vec<(String, String)> = h.into_iter().filter(|(_, v)| v != "stale").collect();
    assert_eq!(
        h.iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
            .count(),
        1
    );
    let req = Request {
        method: "POST",
        path: "/findings/list",
        query: "",
        headers: &h,
        body: b"something else entirely",
    };
    let claim = parse(&req).expect("parse");
    verify(&req, &claim, SECRET, "svc", suite_time(), DEFAULT_SKEW).expect("unsigned payload");
}

#[test]
fn verify_checks_time_window() {
    let h = signed(&[("Host", "h")], b"", &creds(None), "svc");
    let req = Request {
        method: "POST",
        path: "/findings/list",
        query: "",
        headers: &h,
        body: b"",
    };
    let claim = parse(&req).expect("parse");
    let t = suite_time();
    for now in [t + DEFAULT_SKEW, t - DEFAULT_SKEW] {
        verify(&req, &claim, SECRET, "svc", now, DEFAULT_SKEW).expect("edge of skew");
    }
    let late = t + DEFAULT_SKEW + Duration::seconds(1);
    let err = verify(&req, &claim, SECRET, "svc", late, DEFAULT_SKEW).expect_err("late");
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z \
         (20150830T125101Z - 15 min.)"
    );
    let early = t - DEFAULT_SKEW - Duration::seconds(1);
    let err = verify(&req, &claim, SECRET, "svc", early, DEFAULT_SKEW).expect_err("early");
    assert!(matches!(err, Error::RequestExpired { expires: None, .. }));
    assert_eq!(
        err.to_string(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z \
         (20150830T122059Z + 15 min.)"
    );
}

fn parse_with(pairs: &[(&str, &str)], query: &str) -> Result<Claim, Error> {
    let h = headers(pairs);
    parse(&Request {
        method: "GET",
        path: "/",
        query,
        headers: &h,
        body: b"",
    })
}

#[test]
fn parse_refusals() {
    let auth = suite_authorization("00");
    assert_eq!(
        parse_with(&[("Host", "h")], ""),
        Err(Error::MissingAuthorization)
    );
    let err = parse_with(&[("Authorization", "Bearer abc")], "").expect_err("bearer");
    assert!(matches!(err, Error::Malformed(_)));
    assert_eq!(err.code(), "IncompleteSignatureException");

    let err = parse_with(&[("Authorization", "AWS4-HMAC-SHA256 Credential=x")], "")
        .expect_err("incomplete");
    assert_eq!(
        err,
        Error::IncompleteSignature(
            "Authorization header requires 'Signature' parameter. Authorization header \
             requires 'SignedHeaders' parameter. Authorization header requires existence \
             of a 'X-Amz-Date' header."
                .to_owned()
        )
    );
    let err =
        parse_with(&[("Authorization", "AWS4-HMAC-SHA256 Credential")], "").expect_err("no equals");
    assert!(matches!(err, Error::Malformed(_)));

    let err = parse_with(
        &[("Authorization", &auth), ("X-Amz-Date", "2015-08-30")],
        "",
    )
    .expect_err("bad date");
    assert!(matches!(err, Error::Malformed(_)));

    let err = parse_with(
        &[("Authorization", &auth), ("X-Amz-Date", "20150831T000000Z")],
        "",
    )
    .expect_err("scope date");
    assert!(matches!(err, Error::InvalidCredentialScope(_)));
    assert_eq!(err.code(), "InvalidSignatureException");

    let bad_terminator = auth.replace("aws4_request", "aws5_request");
    let err = parse_with(
        &[
            ("Authorization", &bad_terminator),
            ("X-Amz-Date", SUITE_DATE),
        ],
        "",
    )
    .expect_err("terminator");
    assert!(matches!(err, Error::InvalidCredentialScope(_)));

    let short = auth.replace("/service/", "/");
    let err = parse_with(&[("Authorization", &short), ("X-Amz-Date", SUITE_DATE)], "")
        .expect_err("short credential");
    assert!(matches!(err, Error::Malformed(_)));

    let err = parse_with(
        &[
            ("Authorization", &auth),
            ("authorization", &auth),
            ("X-Amz-Date", SUITE_DATE),
        ],
        "",
    )
    .expect_err("two headers");
    assert!(matches!(err, Error::Malformed(_)));

    let err = parse_with(
        &[("Authorization", &auth), ("X-Amz-Date", SUITE_DATE)],
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    )
    .expect_err("both mechanisms");
    assert!(matches!(err, Error::Malformed(_)));

    let err = parse_with(
        &[],
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z",
    )
    .expect_err("incomplete presigned");
    assert!(matches!(err, Error::IncompleteSignature(_)));
}

#[test]
fn parse_accepts_compact_authorization() {
    let claim = parse_with(
        &[
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AK/20150830/eu-west-1/inspector2/aws4_request,SignedHeaders=Host;X-Amz-Date,Signature=ab",
            ),
            ("x-amz-date", SUITE_DATE),
        ],
        "",
    )
    .expect("parse");
    assert_eq!(claim.signed_headers, ["host", "x-amz-date"]);
    assert_eq!(claim.region, "eu-west-1");
    assert_eq!(claim.service, "inspector2");
    assert_eq!(claim.signature, "ab");
}

#[test]
fn error_codes() {
    let expired = Error::RequestExpired {
        amz_date: suite_time(),
        now: suite_time(),
        skew: DEFAULT_SKEW,
        expires: None,
    };
    let cases = [
        (
            Error::MissingAuthorization,
            "MissingAuthenticationTokenException",
        ),
        (
            Error::Malformed(String::new()),
            "IncompleteSignatureException",
        ),
        (
            Error::IncompleteSignature(String::new()),
            "IncompleteSignatureException",
        ),
        (
            Error::InvalidCredentialScope(String::new()),
            "InvalidSignatureException",
        ),
        (
            Error::WrongService("b".to_owned()),
            "InvalidSignatureException",
        ),
        (
            Error::WrongRegion(String::new()),
            "InvalidSignatureException",
        ),
        (Error::SignatureDoesNotMatch, "InvalidSignatureException"),
        (Error::PayloadHashMismatch, "InvalidSignatureException"),
        (expired, "InvalidSignatureException"),
        (Error::UnrecognizedClient, "UnrecognizedClientException"),
        (Error::ExpiredToken, "ExpiredTokenException"),
    ];
    for (err, code) in cases {
        assert_eq!(err.code(), code, "{err:?}");
        assert_eq!(err.status(), 403);
    }
    assert_eq!(
        Error::MissingAuthorization.to_string(),
        "Missing Authentication Token"
    );
    assert_eq!(
        Error::WrongService("inspector2".to_owned()).to_string(),
        "Credential should be scoped to correct service: 'inspector2'."
    );
    assert_eq!(
        Error::SignatureDoesNotMatch.to_string(),
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service \
         documentation for details."
    );
}

#[test]
fn credentials_debug_redacts_secrets() {
    let shown = format!("{:?}", creds(Some("tok")));
    assert!(shown.contains(AKID));
    assert!(!shown.contains(SECRET));
    assert!(!shown.contains("tok\""));
}
