//! The access-key API (`/vigil/v1/keys/...`, `/vigil/v1/principals/list`) against a real
//! server with requests signed by botocore: a new key signs calls, an Inactive one is refused,
//! nobody deactivates the key it signs with, other accounts' keys are unknown, read-only
//! principals may list but not create, and the audit trail never holds a secret.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const OTHER: &str = "444455556666";

fn call(server: &Server, key: &Value, path: &str, body: Value) -> Value {
    signed_calls(server, &[(key, "us-east-1", path, body)])
        .pop()
        .expect("one answer")
}

fn keys_of(list: &Value) -> Vec<Value> {
    list["accessKeys"].as_array().expect("accessKeys").clone()
}

#[test]
fn access_keys_are_listed_created_and_deactivated_under_iam_rules() {
    tools_present();
    let server = start();
    let root = server.key.clone();
    let root_id = root["accessKeyId"].as_str().unwrap().to_owned();
    let ops = create_principal(
        &server,
        ACCOUNT,
        "ops",
        "user",
        &["--policy", "full-access"],
    );
    let reader = create_principal(
        &server,
        ACCOUNT,
        "reader",
        "user",
        &["--policy", "read-only"],
    );

    // the list: every key of the account, with its principal, never a secret
    let listed = call(&server, &root, "/vigil/v1/keys/list", json!({}));
    let keys = keys_of(&listed);
    assert_eq!(keys.len(), 3, "{listed}");
    let text = listed.to_string();
    for k in [&root, &ops, &reader] {
        let secret = k["secretAccessKey"].as_str().unwrap();
        assert!(!text.contains(secret), "a secret is listed: {listed}");
    }
    for k in &keys {
        let mut members: Vec<&str> = k.as_object().unwrap().keys().map(String::as_str).collect();
        members.sort_unstable();
        assert_eq!(
            members,
            ["accessKeyId", "createdAt", "principal", "status"],
            "{k}"
        );
        assert_eq!(k["status"], "Active");
        assert!(k["createdAt"].as_f64().unwrap() > 1.7e9, "{k}");
    }
    let of = |id: &str| keys.iter().find(|k| k["accessKeyId"] == id).cloned();
    assert_eq!(of(&root_id).unwrap()["principal"], Value::Null);
    assert_eq!(
        of(ops["accessKeyId"].as_str().unwrap()).unwrap()["principal"],
        "ops"
    );

    // create: for a named principal, for the caller itself (root: a root key; a principal: its
    // own key), and never for a principal that does not exist
    let made = call(
        &server,
        &root,
        "/vigil/v1/keys/create",
        json!({"principal": "ops"}),
    );
    assert_eq!(made["principal"], "ops", "{made}");
    let new_id = made["accessKeyId"].as_str().unwrap().to_owned();
    assert!(new_id.starts_with("AKIA") && new_id.len() == 20, "{made}");
    assert_eq!(made["secretAccessKey"].as_str().map(str::len), Some(40));
    let root2 = call(&server, &root, "/vigil/v1/keys/create", json!({}));
    assert_eq!(root2["principal"], Value::Null, "{root2}");
    let own = call(&server, &ops, "/vigil/v1/keys/create", json!({}));
    assert_eq!(own["principal"], "ops", "{own}");
    let ghost = call(
        &server,
        &root,
        "/vigil/v1/keys/create",
        json!({"principal": "ghost"}),
    );
    assert_eq!(ghost["type"], "ResourceNotFoundException", "{ghost}");
    let bad = call(
        &server,
        &root,
        "/vigil/v1/keys/create",
        json!({"principal": "no spaces"}),
    );
    assert_eq!(bad["type"], "ValidationException", "{bad}");

    // the new key signs calls, as its principal
    let signed = call(&server, &made, "/findings/list", json!({"maxResults": 1}));
    assert!(signed["findings"].is_array(), "{signed}");
    let listed = call(&server, &made, "/vigil/v1/keys/list", json!({}));
    assert_eq!(keys_of(&listed).len(), 6, "{listed}");

    // Inactive: refused like an unknown key; Active again: accepted again
    let r = call(
        &server,
        &root,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": new_id, "status": "Inactive"}),
    );
    assert_eq!(r, json!({}));
    let refused = call(&server, &made, "/findings/list", json!({}));
    assert_eq!(refused["status"], 403, "{refused}");
    assert_eq!(refused["type"], "UnrecognizedClientException", "{refused}");
    let listed = call(&server, &root, "/vigil/v1/keys/list", json!({}));
    let status_of = |list: &Value, id: &str| {
        keys_of(list)
            .iter()
            .find(|k| k["accessKeyId"] == id)
            .map(|k| k["status"].clone())
    };
    assert_eq!(status_of(&listed, &new_id), Some(json!("Inactive")));
    call(
        &server,
        &root,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": new_id, "status": "Active"}),
    );
    let again = call(&server, &made, "/findings/list", json!({"maxResults": 1}));
    assert!(again["findings"].is_array(), "{again}");

    // nobody deactivates the key it signs with (another caller may)
    let own_key = call(
        &server,
        &made,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": new_id, "status": "Inactive"}),
    );
    assert_eq!(own_key["status"], 400, "{own_key}");
    assert_eq!(own_key["type"], "ValidationException");
    assert!(
        own_key["message"]
            .as_str()
            .unwrap()
            .contains("cannot deactivate the key it is using"),
        "{own_key}"
    );
    let self_root = call(
        &server,
        &root,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": root_id, "status": "Inactive"}),
    );
    assert_eq!(self_root["type"], "ValidationException", "{self_root}");
    let still = call(&server, &root, "/vigil/v1/keys/list", json!({}));
    assert_eq!(status_of(&still, &root_id), Some(json!("Active")));
    assert_eq!(status_of(&still, &new_id), Some(json!("Active")));
    let by_other = call(
        &server,
        &root2,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": root_id, "status": "Inactive"}),
    );
    assert_eq!(by_other, json!({}));
    let locked = call(&server, &root, "/findings/list", json!({}));
    assert_eq!(locked["type"], "UnrecognizedClientException", "{locked}");
    call(
        &server,
        &root2,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": root_id, "status": "Active"}),
    );

    // only the root changes a root key (a full-access principal may not)
    let by_principal = call(
        &server,
        &ops,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": root_id, "status": "Inactive"}),
    );
    assert_eq!(
        by_principal["type"], "AccessDeniedException",
        "{by_principal}"
    );
    assert!(
        by_principal["message"]
            .as_str()
            .unwrap()
            .contains("only the root may change"),
        "{by_principal}"
    );
    let ok = call(&server, &root, "/findings/list", json!({"maxResults": 1}));
    assert!(ok["findings"].is_array(), "{ok}");

    // bad input answers the field
    let bad = call(
        &server,
        &root,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": new_id, "status": "Disabled"}),
    );
    assert_eq!(bad["type"], "ValidationException", "{bad}");
    assert!(bad["message"].as_str().unwrap().contains("status"), "{bad}");

    // another account's keys are unknown, both ways
    let other_home = server.second_account(OTHER);
    let other_creds = std::fs::read_to_string(other_home.join(".aws/credentials")).unwrap();
    let other_id = other_creds
        .lines()
        .find_map(|l| l.strip_prefix("aws_access_key_id = "))
        .unwrap()
        .to_owned();
    let foreign = call(
        &server,
        &root,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": other_id, "status": "Inactive"}),
    );
    assert_eq!(foreign["status"], 404, "{foreign}");
    assert_eq!(foreign["type"], "ResourceNotFoundException", "{foreign}");
    let theirs: Value = server.native_as(&other_home, "/vigil/v1/keys/list", b"{}");
    let their_keys = keys_of(&theirs);
    assert_eq!(their_keys.len(), 1, "{theirs}");
    assert_eq!(their_keys[0]["accessKeyId"], other_id.as_str());
    let reach = server.native_as(
        &other_home,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": new_id, "status": "Inactive"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reach["type"], "ResourceNotFoundException", "{reach}");
    let back = call(&server, &made, "/findings/list", json!({"maxResults": 1}));
    assert!(back["findings"].is_array(), "still active: {back}");

    // a read-only principal lists, but may not create, in IAM's words
    let r = call(&server, &reader, "/vigil/v1/keys/list", json!({}));
    assert!(r["accessKeys"].is_array(), "{r}");
    let r = call(&server, &reader, "/vigil/v1/keys/create", json!({}));
    assert_eq!(r["status"], 403, "{r}");
    assert_eq!(r["type"], "AccessDeniedException");
    assert_eq!(
        r["message"],
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/reader is not authorized to perform: vigil:CreateAccessKey on resource: * because no identity-based policy allows the vigil:CreateAccessKey action"
        )
    );
    let r = call(
        &server,
        &reader,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": new_id, "status": "Inactive"}),
    );
    assert_eq!(r["type"], "AccessDeniedException", "{r}");

    // principals of the account, with their policies as given
    let p = call(&server, &reader, "/vigil/v1/principals/list", json!({}));
    let names: Vec<&str> = p["principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ops", "reader"], "{p}");
    assert_eq!(p["principals"][0]["kind"], "USER");
    assert_eq!(p["principals"][0]["region"], Value::Null);
    assert_eq!(
        p["principals"][0]["policies"],
        json!(["builtin:full-access"])
    );
    assert!(p["principals"][1]["createdAt"].as_f64().unwrap() > 1.7e9);

    // the audit trail: each creation, with the secret hidden; the refusal too
    let audit = call(
        &server,
        &root,
        "/vigil/v1/audit/lookup",
        json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateAccessKey"}]}),
    );
    let events: Vec<Value> = audit["Events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap())
        .collect();
    let whole = audit.to_string();
    for k in [&made, &root2, &own] {
        assert!(
            !whole.contains(k["secretAccessKey"].as_str().unwrap()),
            "a secret is in the audit trail"
        );
    }
    let created: Vec<&Value> = events
        .iter()
        .filter(|e| e["errorCode"].is_null() && e["responseElements"]["accessKeyId"].is_string())
        .collect();
    assert_eq!(created.len(), 3, "{events:?}");
    for e in &created {
        assert_eq!(
            e["responseElements"]["secretAccessKey"], "HIDDEN_DUE_TO_SECURITY_REASONS",
            "{e}"
        );
        assert_eq!(e["eventSource"], "vigil.local");
        assert_eq!(e["readOnly"], false);
    }
    assert!(
        created
            .iter()
            .any(|e| e["responseElements"]["accessKeyId"] == new_id.as_str()
                && e["requestParameters"]["principal"] == "ops"
                && e["userIdentity"]["type"] == "Root"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["errorCode"] == "AccessDeniedException"
                && e["userIdentity"]["userName"] == "reader"),
        "{events:?}"
    );
    let updates = call(
        &server,
        &root,
        "/vigil/v1/audit/lookup",
        json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "UpdateAccessKey"}]}),
    );
    let n = updates["Events"].as_array().map(Vec::len).unwrap_or(0);
    // inactive, active, self (refused), by another, back, bad status, foreign, reader refused
    assert!(n >= 7, "{updates}");
}

/// Console sessions run the same operations: one signed in with a key pair may not deactivate
/// that key; one signed in with a password has no key, so it may deactivate any key of the
/// account (its principal's own included).
#[test]
fn console_sessions_deactivate_keys_but_not_their_own() {
    tools_present();
    let server = start();
    let ops = create_principal(
        &server,
        ACCOUNT,
        "ops",
        "user",
        &["--policy", "full-access"],
    );
    assert!(
        set_password_cmd(&server, ACCOUNT, "ops", "a very long passphrase")
            .status
            .success()
    );
    let out = server.python(&format!(
        r#"
import http.cookiejar, json, os, urllib.request, urllib.error
base = os.environ["VIGIL_URL"]
def session(signin):
    o = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    r = o.open(urllib.request.Request(base + "/console/api/signin", data=json.dumps(signin).encode(),
                                      headers={{"content-type": "application/json"}}, method="POST"), timeout=60)
    return o, json.load(r)["csrfToken"]
def call(s, path, body):
    o, csrf = s
    req = urllib.request.Request(base + "/console/api/call" + path, data=json.dumps(body).encode(),
                                 headers={{"content-type": "application/json", "x-csrf-token": csrf}}, method="POST")
    try:
        return json.load(o.open(req, timeout=60))
    except urllib.error.HTTPError as e:
        return {{"status": e.code, "type": e.headers.get("x-amzn-ErrorType"), "message": json.load(e).get("message")}}
by_key = session({{"accessKeyId": {ops_id:?}, "secretAccessKey": {ops_secret:?}}})
by_password = session({{"account": "{ACCOUNT}", "name": "ops", "password": "a very long passphrase"}})
out = {{}}
out["own"] = call(by_key, "/vigil/v1/keys/update", {{"accessKeyId": {ops_id:?}, "status": "Inactive"}})
out["password"] = call(by_password, "/vigil/v1/keys/update", {{"accessKeyId": {ops_id:?}, "status": "Inactive"}})
out["list"] = call(by_password, "/vigil/v1/keys/list", {{}})
print(json.dumps(out))
"#,
        ops_id = ops["accessKeyId"].as_str().unwrap(),
        ops_secret = ops["secretAccessKey"].as_str().unwrap(),
    ));
    assert_eq!(out["own"]["status"], 400, "{out}");
    assert_eq!(out["own"]["type"], "ValidationException", "{out}");
    assert_eq!(out["password"], json!({}), "{out}");
    let ops_key = keys_of(&out["list"])
        .into_iter()
        .find(|k| k["accessKeyId"] == ops["accessKeyId"])
        .expect("listed");
    assert_eq!(ops_key["status"], "Inactive", "{out}");
    let refused = call(&server, &ops, "/findings/list", json!({}));
    assert_eq!(refused["type"], "UnrecognizedClientException", "{refused}");
}
