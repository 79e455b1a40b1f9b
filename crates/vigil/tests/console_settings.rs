//! The console's settings page in real headless Chromium (tests/console_settings.js): scan
//! types, ECR rescan duration, deep-inspection paths, event destinations, access keys and
//! organization members changed through the page, each change then checked through the API;
//! a read-only principal's changes are refused on the page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

/// The delegated administrator's account, where the page is used.
const ADMIN: &str = "222222222222";
const MEMBER: &str = "333333333333";

fn key_for(server: &Server, account: &str) -> Value {
    serde_json::from_str(&run_ok(
        vigil()
            .args(["admin", "create-key", "--account", account, "--data-dir"])
            .arg(&server.data),
    ))
    .unwrap()
}

fn signed(server: &Server, key: &Value, path: &str, body: Value) -> Value {
    signed_calls(server, &[(key, "us-east-1", path, body)])
        .pop()
        .unwrap()
}

#[test]
fn the_settings_page_in_a_real_browser() {
    tools_present();
    let modules = node_modules();
    // the default key's account runs the organization; ADMIN is its delegated administrator
    let s = start_full(&[], &[("VIGIL_ORGANIZATION_MANAGEMENT_ACCOUNT", ACCOUNT)]);
    let admin_root = key_for(&s, ADMIN);
    key_for(&s, MEMBER);
    let r = signed(
        &s,
        &s.key,
        "/delegatedadminaccounts/enable",
        json!({"delegatedAdminAccountId": ADMIN}),
    );
    assert_eq!(r["delegatedAdminAccountId"], ADMIN, "{r}");
    for (name, policy) in [("admin", "full-access"), ("viewer", "read-only")] {
        create_principal(&s, ADMIN, name, "user", &["--policy", policy]);
        assert!(
            set_password_cmd(&s, ADMIN, name, "correct horse battery staple")
                .status
                .success()
        );
    }
    create_principal(&s, ADMIN, "ops", "role", &["--policy", "full-access"]);
    let before = signed(&s, &admin_root, "/status/batch/get", json!({}));
    assert_eq!(
        before["accounts"][0]["resourceState"]["lambda"]["status"], "ENABLED",
        "{before}"
    );

    let shots = std::env::var_os("VIGIL_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| s.dir.path().join("shots"));
    std::fs::create_dir_all(&shots).unwrap();
    let script = repo().join("crates/vigil/tests/console_settings.js");
    let mut node = std::process::Command::new("node");
    node.arg(&script)
        .args([s.url.as_str(), ADMIN, MEMBER])
        .arg(&shots)
        .env("NODE_PATH", &modules);
    let out: Value = serde_json::from_str(run_ok(&mut node).trim()).expect("browser json");

    assert_eq!(out["errors"], json!([]), "page errors: {out}");
    assert_eq!(
        out["headings"],
        json!([
            "Scan types",
            "Container image rescan",
            "EC2 deep inspection",
            "Event destinations",
            "Access keys",
            "Organization members"
        ]),
        "{out}"
    );
    assert_eq!(out["navCurrent"], "Settings");
    assert_eq!(out["unlabelled"], json!([]), "{out}");

    // members: associated on the page, then a choice for scan types, and so in the API
    assert_eq!(out["memberBefore"], "CREATED", "{out}");
    assert_eq!(out["memberAfter"], "ENABLED", "{out}");
    assert_eq!(out["scanAccounts"], json!([ADMIN, MEMBER]), "{out}");
    let member_status = signed(
        &s,
        &admin_root,
        "/status/batch/get",
        json!({"accountIds": [MEMBER]}),
    );
    let member_types: Vec<&Value> = ["ec2", "ecr", "lambda", "lambdaCode", "codeRepository"]
        .iter()
        .map(|k| &member_status["accounts"][0]["resourceState"][k]["status"])
        .collect();
    assert_eq!(json!(member_types), out["memberTypes"], "{out}");
    let m = signed(
        &s,
        &admin_root,
        "/members/get",
        json!({"accountId": MEMBER}),
    );
    assert_eq!(m["member"]["relationshipStatus"], "ENABLED", "{m}");

    // scan types
    assert_eq!(out["lambdaBefore"], "ENABLED", "{out}");
    assert_eq!(out["lambdaAfter"], "DISABLED", "{out}");
    assert_eq!(out["lambdaChecked"], false);
    assert_eq!(
        out["scanSaid"],
        format!("Saved for {ADMIN}: disabled LAMBDA."),
        "{out}"
    );
    let status = signed(&s, &admin_root, "/status/batch/get", json!({}));
    let rs = &status["accounts"][0]["resourceState"];
    assert_eq!(rs["lambda"]["status"], "DISABLED", "{status}");
    // the read-only viewer's attempt changed nothing
    assert_eq!(rs["ec2"]["status"], "ENABLED", "{status}");
    assert_eq!(rs["ecr"]["status"], "ENABLED", "{status}");

    // rescan duration
    assert_eq!(out["rescanShown"], "DAYS_30", "{out}");
    let c = signed(&s, &admin_root, "/configuration/get", json!({}));
    let state = &c["ecrConfiguration"]["rescanDurationState"];
    assert_eq!(state["rescanDuration"], "DAYS_30", "{c}");
    assert_eq!(state["pullDateRescanDuration"], "DAYS_14", "{c}");

    // deep inspection: the server's refusal shown, then the paths saved
    let deep_error = out["deepError"].as_str().unwrap();
    assert!(
        deep_error.starts_with("Error: ValidationException: packagePaths[0]:"),
        "{out}"
    );
    assert_eq!(out["deepShown"], "/opt/app/lib\n/srv/venv", "{out}");
    let d = signed(
        &s,
        &admin_root,
        "/ec2deepinspectionconfiguration/get",
        json!({}),
    );
    assert_eq!(
        d["packagePaths"],
        json!(["/opt/app/lib", "/srv/venv"]),
        "{d}"
    );

    // destinations
    assert!(
        out["patternError"]
            .as_str()
            .unwrap()
            .starts_with("Error: the event pattern is not JSON"),
        "{out}"
    );
    assert_eq!(
        out["destSecretShown"], 1,
        "a generated signing secret: {out}"
    );
    assert_eq!(out["destRows"], json!(["hooks-1"]), "{out}");
    assert_eq!(out["destState"], "Disabled", "{out}");
    assert_eq!(out["destRowsAfter"], json!(["hooks-1"]), "{out}");
    let dests = signed(&s, &admin_root, "/vigil/v1/destinations/list", json!({}));
    let list = dests["destinations"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{dests}");
    assert_eq!(list[0]["name"], "hooks-1");
    assert_eq!(list[0]["enabled"], false);
    assert_eq!(list[0]["webhook"]["url"], "http://127.0.0.1:9/hooks-1");
    assert_eq!(
        list[0]["eventPattern"],
        json!({"detail-type": ["Inspector2 Finding"]})
    );

    // access keys: made for ops, shown once, then deactivated, which the API confirms
    let new_key = out["newKey"].as_str().unwrap();
    assert!(new_key.starts_with("AKIA"), "{out}");
    assert_eq!(out["keyPrincipal"], "ops", "{out}");
    assert_eq!(out["keyBefore"], "Active");
    assert_eq!(out["keyAfter"], "Inactive", "{out}");
    assert_eq!(out["secretGone"], true);
    assert_eq!(out["secretInPage"], false, "the secret outlived its box");
    let keys = signed(&s, &admin_root, "/vigil/v1/keys/list", json!({}));
    let k = keys["accessKeys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["accessKeyId"] == new_key)
        .cloned()
        .expect("the page's key is listed");
    assert_eq!(k["status"], "Inactive");
    assert_eq!(k["principal"], "ops");
    let with_new = json!({"accessKeyId": new_key, "secretAccessKey": out["newSecret"]});
    let refused = signed(&s, &with_new, "/findings/list", json!({}));
    assert_eq!(refused["type"], "UnrecognizedClientException", "{refused}");
    // the secret the page showed is the key's: active again, it signs
    signed(
        &s,
        &admin_root,
        "/vigil/v1/keys/update",
        json!({"accessKeyId": new_key, "status": "Active"}),
    );
    let works = signed(&s, &with_new, "/findings/list", json!({"maxResults": 1}));
    assert!(works["findings"].is_array(), "{works}");

    // the read-only viewer: the page reads, every change is refused in IAM's words
    assert_eq!(out["viewerLambda"], "DISABLED", "{out}");
    let refusal = |what: &str, action: &str| {
        let text = out[what].as_str().unwrap();
        assert!(
            text.starts_with(&format!("Error: AccessDeniedException: User: arn:aws:iam::{ADMIN}:user/viewer is not authorized to perform: {action}")),
            "{what}: {text}"
        );
    };
    refusal("viewerScan", "inspector2:Disable");
    refusal("viewerKey", "vigil:CreateAccessKey");
    assert_eq!(out["viewerEc2"], "ENABLED", "{out}");
    assert_eq!(
        out["viewerEc2Checked"], true,
        "the refused change is undone: {out}"
    );
    assert!(out["viewerKeys"].as_u64().unwrap() >= 4, "{out}");
    assert!(shots.join("settings.png").is_file());
    assert!(shots.join("settings-read-only.png").is_file());
}
