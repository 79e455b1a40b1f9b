//! Console sessions against the real server: sign-in with a password or a key pair, the
//! cookie's attributes, CSRF, the same authorisation as the API, lockout, sign-out, and the
//! ConsoleLogin audit records.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

#[test]
fn sessions_sign_in_guard_csrf_and_keep_the_api_s_authorisation() {
    tools_present();
    let s = start();
    create_principal(&s, ACCOUNT, "viewer", "user", &["--policy", "read-only"]);
    assert!(
        set_password_cmd(&s, ACCOUNT, "viewer", "a very long passphrase")
            .status
            .success()
    );
    let out = s.python(&format!(
        r#"
import http.cookiejar, json, os, urllib.request, urllib.error
base = os.environ["VIGIL_URL"]
def session():
    jar = http.cookiejar.CookieJar()
    return jar, urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def call(opener, method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={{"content-type": "application/json", **(headers or {{}})}}, method=method)
    try:
        r = opener.open(req, timeout=60)
        return r.status, json.load(r), r.headers.get_all("set-cookie") or []
    except urllib.error.HTTPError as e:
        return e.code, {{"type": e.headers.get("x-amzn-ErrorType")}}, []
out = {{}}
jar, o = session()
out["wrong"] = call(o, "POST", "/console/api/signin", {{"account": "{ACCOUNT}", "name": "viewer", "password": "nope"}})[:2]
out["unknown"] = call(o, "POST", "/console/api/signin", {{"account": "{ACCOUNT}", "name": "ghost", "password": "a very long passphrase"}})[:2]
st, body, cookies = call(o, "POST", "/console/api/signin", {{"account": "{ACCOUNT}", "name": "viewer", "password": "a very long passphrase"}})
out["signin"] = [st, body, cookies]
csrf = body.get("csrfToken", "")
out["no_csrf"] = call(o, "POST", "/console/api/call/findings/list", {{}})[:2]
out["bad_csrf"] = call(o, "POST", "/console/api/call/findings/list", {{}}, {{"x-csrf-token": "x" * 64}})[:2]
out["list"] = call(o, "POST", "/console/api/call/findings/list", {{"maxResults": 5}}, {{"x-csrf-token": csrf}})[:2]
out["create"] = call(o, "POST", "/console/api/call/filters/create",
                     {{"name": "f", "action": "NONE", "filterCriteria": {{"severity": [{{"comparison": "EQUALS", "value": "HIGH"}}]}}}},
                     {{"x-csrf-token": csrf}})[:2]
out["session"] = call(o, "GET", "/console/api/session")[:2]
out["signout"] = call(o, "POST", "/console/api/signout", {{}})[:2]
out["after"] = call(o, "POST", "/console/api/call/findings/list", {{}}, {{"x-csrf-token": csrf}})[:2]
# the root key pair signs in too, and may create the filter the viewer may not
jar2, o2 = session()
st, body, _ = call(o2, "POST", "/console/api/signin", {{"accessKeyId": {key:?}, "secretAccessKey": {secret:?}}})
out["key"] = call(o2, "POST", "/console/api/call/filters/create",
                  {{"name": "f", "action": "NONE", "filterCriteria": {{"severity": [{{"comparison": "EQUALS", "value": "HIGH"}}]}}}},
                  {{"x-csrf-token": body.get("csrfToken", "")}})[:2]
out["audit"] = call(o2, "POST", "/console/api/call/vigil/v1/audit/lookup",
                    {{"LookupAttributes": [{{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}}]}},
                    {{"x-csrf-token": body.get("csrfToken", "")}})[:2]
# five failures lock the identity out, even for the right password
jar3, o3 = session()
for _ in range(5):
    call(o3, "POST", "/console/api/signin", {{"account": "{ACCOUNT}", "name": "viewer", "password": "wrong guess"}})
out["locked"] = call(o3, "POST", "/console/api/signin", {{"account": "{ACCOUNT}", "name": "viewer", "password": "a very long passphrase"}})[:2]
print(json.dumps(out))
"#,
        key = s.key["accessKeyId"].as_str().unwrap(),
        secret = s.key["secretAccessKey"].as_str().unwrap(),
    ));
    // one answer for every wrong credential
    assert_eq!(
        out["wrong"],
        json!([401, {"type": "UnauthorizedException"}])
    );
    assert_eq!(
        out["unknown"],
        json!([401, {"type": "UnauthorizedException"}])
    );
    let signin = &out["signin"];
    assert_eq!(signin[0], 200, "{out}");
    assert_eq!(signin[1]["principal"], "viewer");
    assert_eq!(
        signin[1]["arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/viewer")
    );
    let cookie = signin[2][0].as_str().expect("a session cookie");
    assert!(cookie.starts_with("vigil_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    // CSRF: the cookie alone is not enough
    assert_eq!(
        out["no_csrf"],
        json!([403, {"type": "InvalidCsrfTokenException"}])
    );
    assert_eq!(
        out["bad_csrf"],
        json!([403, {"type": "InvalidCsrfTokenException"}])
    );
    assert_eq!(out["list"][0], 200, "{out}");
    assert!(out["list"][1]["findings"].is_array());
    // the API's authorisation: a read-only viewer may not create filters
    assert_eq!(
        out["create"],
        json!([403, {"type": "AccessDeniedException"}])
    );
    assert_eq!(out["session"][0], 200);
    assert_eq!(out["session"][1]["csrfToken"], signin[1]["csrfToken"]);
    assert_eq!(out["signout"][0], 200);
    assert_eq!(
        out["after"],
        json!([401, {"type": "UnauthorizedException"}])
    );
    assert_eq!(out["key"][0], 200, "{out}");
    assert!(out["key"][1]["arn"].is_string());
    let events: Vec<Value> = out["audit"][1]["Events"]
        .as_array()
        .expect("events")
        .clone();
    let outcomes: Vec<String> = events
        .iter()
        .map(|e| {
            let r: Value = serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap();
            r["responseElements"]["ConsoleLogin"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // both successful sign-ins and the failed password attempts are ConsoleLogin events
    assert!(
        outcomes.iter().filter(|o| *o == "Success").count() >= 2,
        "{outcomes:?}"
    );
    assert!(outcomes.iter().any(|o| o == "Failure"), "{outcomes:?}");
    assert_eq!(out["locked"], json!([429, {"type": "ThrottlingException"}]));
}

/// The console in real headless Chromium: sign in, filter findings by severity and by CVE,
/// open a finding, create a suppression rule from the filter and see the count change.
#[test]
fn the_console_in_a_real_browser() {
    tools_present();
    let modules = node_modules();
    let s = start();
    let sbom = demo_sbom(s.dir.path());
    s.scan(&sbom.display().to_string(), "i-0123456789abcdef0");
    // a host with the same packages (the SBOM without its image facts), and the network
    // reachability findings of a two-tier network
    scan_demo_as_host(&s, &sbom);
    let net = s.native(
        "/vigil/v1/network/analyze",
        &json!({"format": "aws", "files": network_fixtures()}),
    );
    assert!(net["findings"]["new"].as_u64().unwrap() > 0, "{net}");
    let resources = s.aws(&["list-coverage"])["coveredResources"]
        .as_array()
        .unwrap()
        .len();
    create_principal(&s, ACCOUNT, "analyst", "user", &["--policy", "full-access"]);
    assert!(
        set_password_cmd(&s, ACCOUNT, "analyst", "correct horse battery staple")
            .status
            .success()
    );
    // a CVE with an ACTIVE HIGH finding, to filter by
    let high = s.aws(&[
        "list-findings",
        "--filter-criteria",
        r#"{"severity":[{"comparison":"EQUALS","value":"HIGH"}]}"#,
    ]);
    let highs = high["findings"].as_array().unwrap().len();
    assert!(highs > 0);
    let cve = high["findings"][0]["packageVulnerabilityDetails"]["vulnerabilityId"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_cve = s.aws(&[
        "list-findings",
        "--filter-criteria",
        &format!(r#"{{"vulnerabilityId":[{{"comparison":"EQUALS","value":"{cve}"}}]}}"#),
    ]);
    let cve_count = with_cve["findings"].as_array().unwrap().len();
    let shots = std::env::var_os("VIGIL_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| s.dir.path().join("shots"));
    std::fs::create_dir_all(&shots).unwrap();
    let script = repo().join("crates/vigil/tests/console_browser.js");
    let mut node = std::process::Command::new("node");
    node.arg(&script)
        .args([s.url.as_str(), ACCOUNT, cve.as_str()])
        .arg(&shots)
        .env("NODE_PATH", &modules);
    let out: serde_json::Value =
        serde_json::from_str(run_ok(&mut node).trim()).expect("browser json");
    assert_eq!(out["wrong"], "The credentials are not valid.", "{out}");
    assert!(out["who"].as_str().unwrap().starts_with("analyst"), "{out}");
    // the dashboard: its HIGH card counts the open HIGH findings and opens exactly them
    assert!(
        out["cards"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str() == Some(&format!("{highs}high open"))),
        "{out}"
    );
    assert_eq!(out["cardRows"].as_u64(), Some(highs as u64), "{out}");
    let top = s.native("/vigil/v1/findings/top-risks", &json!({"maxResults": 10}));
    assert_eq!(
        out["topRisks"].as_u64(),
        top["topRisks"].as_array().map(|t| t.len() as u64),
        "{out}"
    );
    assert!(
        out["topWhy"].as_array().is_some_and(|w| !w.is_empty()),
        "{out}"
    );
    // the demo resource is an image of the repository vigil-demo, tagged 1.0
    assert_eq!(out["images"], json!(["vigil-demo:1.0"]), "{out}");
    assert_eq!(out["repositories"], json!(["vigil-demo"]), "{out}");
    assert!(
        out["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "i-0web0000000000001"),
        "{out}"
    );
    // a reachability finding shows its path, from the internet to the host
    let steps = out["networkPath"].as_array().unwrap();
    assert!(steps.len() >= 2 && steps[0] == "Internet", "{out}");
    assert!(
        out["networkSections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "Network path"),
        "{out}"
    );
    assert_eq!(out["charts"], 3, "{out}");
    assert!(
        out["coverage"].as_str().unwrap().starts_with(&format!(
            "{resources} resources: {resources} monitored, 0 not monitored"
        )),
        "{out}"
    );
    assert!(out["all"].as_u64().unwrap() >= highs as u64);
    assert_eq!(out["highRows"].as_u64(), Some(highs as u64), "{out}");
    assert!(
        out["highSeverities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s == "HIGH"),
        "{out}"
    );
    // sorted by score from the header: ascending, findings without a score last (as
    // inspector2 sorts), and the header says so
    let asc: Vec<Option<f64>> = out["ascScores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().parse::<f64>().ok())
        .collect();
    let scored: Vec<f64> = asc.iter().map_while(|s| *s).collect();
    assert!(
        asc.len() == highs
            && scored.windows(2).all(|w| w[0] <= w[1])
            && asc[scored.len()..].iter().all(Option::is_none),
        "{out}"
    );
    assert_eq!(out["ariaSort"], "ascending", "{out}");
    assert_eq!(out["cveRows"].as_u64(), Some(cve_count as u64), "{out}");
    assert_eq!(out["detailVuln"], cve.as_str(), "{out}");
    for section in [
        "Summary",
        "Score",
        "Package and remediation",
        "Resource",
        "History",
    ] {
        assert!(
            out["detailSections"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == section),
            "{section}: {out}"
        );
    }
    assert_eq!(out["history"][0], "ACTIVE", "{out}");
    assert!(
        out["afterSuppress"]
            .as_str()
            .unwrap()
            .starts_with("0 findings"),
        "{out}"
    );
    assert_eq!(out["errors"], json!([]), "page errors: {out}");
    assert_eq!(out["ruleCounts"], json!([cve_count.to_string()]), "{out}");
    assert_eq!(out["savedFilters"], json!(["high-findings"]), "{out}");
    assert_eq!(out["rulesAfterEdit"], json!(["renamed-rule"]), "{out}");
    assert!(
        out["savedOpens"]
            .as_array()
            .is_some_and(|s| !s.is_empty() && s.iter().all(|s| s == "HIGH")),
        "{out}"
    );
    assert!(
        out["groups"].as_array().is_some_and(|g| !g.is_empty()),
        "{out}"
    );
    assert!(
        out["resourceHeadings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "Container images"),
        "{out}"
    );
    assert_eq!(out["imageTags"], json!(["1.0"]), "{out}");
    assert_eq!(
        out["sbomButton"], "Download the CycloneDX SBOM of i-0123456789abcdef0",
        "{out}"
    );
    assert_eq!(out["sbomName"], "i-0123456789abcdef0.cdx.json", "{out}");
    assert_eq!(out["focusAfterLoad"], "main", "{out}");
    assert_eq!(out["focusAfterTabs"], "f-cve", "{out}");
    assert_eq!(
        out["keyboardRows"].as_u64(),
        Some(cve_count as u64),
        "{out}"
    );
    assert_eq!(out["skipLink"], "#main", "{out}");
    assert_eq!(
        out["afterRace"], "Suppression rules and saved filters",
        "{out}"
    );
    assert_eq!(
        out["otherRegion"],
        json!(["analyst · 111122223333 · eu-west-1", "0 findings"]),
        "{out}"
    );
    assert_eq!(out["backRegion"].as_u64(), Some(cve_count as u64), "{out}");
    assert_eq!(out["sharedRows"].as_u64(), Some(highs as u64), "{out}");
    // axe-core finds no WCAG 2.1 A/AA violation on any page
    for (page, violations) in out["axe"].as_object().unwrap() {
        assert_eq!(violations, &json!([]), "{page}: {out}");
    }
    assert_eq!(out["axe"].as_object().map(|o| o.len()), Some(7), "{out}");
    let sbom: Value =
        serde_json::from_slice(&std::fs::read(out["sbomPath"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    assert_eq!(sbom["specVersion"], "1.6");
    assert!(sbom["components"].as_array().is_some_and(|c| !c.is_empty()));
    assert_eq!(out["searchKnown"], format!("Vigil knows {cve}."), "{out}");
    assert_eq!(
        out["searchUnknown"], "Vigil does not know CVE-1999-99999.",
        "{out}"
    );
    // and the rule is a real suppression rule, seen through the API, renamed
    let rules = s.aws(&["list-filters", "--action", "SUPPRESS"]);
    assert_eq!(
        rules["filters"].as_array().map(Vec::len),
        Some(1),
        "{rules}"
    );
    assert_eq!(rules["filters"][0]["name"], "renamed-rule", "{rules}");
    let suppressed = s.aws(&["list-findings", "--filter-criteria", &format!(r#"{{"vulnerabilityId":[{{"comparison":"EQUALS","value":"{cve}"}}],"findingStatus":[{{"comparison":"EQUALS","value":"SUPPRESSED"}}]}}"#)]);
    assert_eq!(
        suppressed["findings"].as_array().map(Vec::len),
        Some(cve_count)
    );
    for shot in ["dashboard.png", "findings.png", "finding.png"] {
        assert!(shots.join(shot).is_file(), "{shot}");
    }
}
