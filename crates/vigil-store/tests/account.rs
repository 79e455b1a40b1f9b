//! Per-account scan enablement and scan configuration, on a real store in a temp directory.

use serde_json::json;
use time::OffsetDateTime;
use vigil_store::{Store, keys};

const ACCOUNT: &str = "111122223333";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("open");
    let _: keys::AccessKey = store
        .create_key(ACCOUNT, OffsetDateTime::now_utc())
        .expect("key");
    (dir, store)
}

fn status(v: &[(String, String)], t: &str) -> String {
    v.iter()
        .find(|(k, _)| k == t)
        .map(|(_, s)| s.clone())
        .unwrap_or_default()
}

#[test]
fn new_accounts_scan_ec2_ecr_and_lambda() {
    let (_d, s) = store();
    let v = s.scan_types(ACCOUNT, "us-east-1").expect("types");
    assert_eq!(
        v.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        vigil_store::SCAN_TYPES
    );
    assert_eq!(status(&v, "EC2"), "ENABLED");
    assert_eq!(status(&v, "ECR"), "ENABLED");
    assert_eq!(status(&v, "LAMBDA"), "ENABLED");
    assert_eq!(status(&v, "LAMBDA_CODE"), "DISABLED");
    assert_eq!(status(&v, "CODE_REPOSITORY"), "DISABLED");
}

#[test]
fn enablement_persists_across_reopen() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        let s = Store::open(dir.path()).expect("open");
        s.create_key(ACCOUNT, OffsetDateTime::now_utc())
            .expect("key");
        let v = s
            .set_scan_types(
                ACCOUNT,
                "us-east-1",
                &["ECR", "EC2"],
                "DISABLED",
                OffsetDateTime::now_utc(),
            )
            .expect("disable");
        assert_eq!(status(&v, "ECR"), "DISABLED");
        assert_eq!(status(&v, "EC2"), "DISABLED");
        assert_eq!(status(&v, "LAMBDA"), "ENABLED");
        let v = s
            .set_scan_types(
                ACCOUNT,
                "us-east-1",
                &["LAMBDA_CODE"],
                "ENABLED",
                OffsetDateTime::now_utc(),
            )
            .expect("enable");
        assert_eq!(status(&v, "LAMBDA_CODE"), "ENABLED");
        // enablement is per region: another region keeps the defaults
        let other = s.scan_types(ACCOUNT, "eu-west-1").expect("types");
        assert_eq!(status(&other, "ECR"), "ENABLED");
        assert_eq!(status(&other, "LAMBDA_CODE"), "DISABLED");
    }
    let s = Store::open(dir.path()).expect("reopen");
    let v = s.scan_types(ACCOUNT, "us-east-1").expect("types");
    assert_eq!(status(&v, "ECR"), "DISABLED");
    assert_eq!(status(&v, "LAMBDA_CODE"), "ENABLED");
    assert_eq!(status(&v, "CODE_REPOSITORY"), "DISABLED");
}

#[test]
fn bad_types_statuses_and_accounts_are_refused() {
    let (_d, s) = store();
    let now = OffsetDateTime::now_utc();
    assert!(matches!(
        s.set_scan_types(ACCOUNT, "us-east-1", &["S3"], "ENABLED", now),
        Err(vigil_store::Error::Invalid(_))
    ));
    assert!(matches!(
        s.set_scan_types(ACCOUNT, "us-east-1", &["EC2"], "SUSPENDED", now),
        Err(vigil_store::Error::Invalid(_))
    ));
    assert!(matches!(
        s.set_scan_types("999999999999", "us-east-1", &["EC2"], "ENABLED", now),
        Err(vigil_store::Error::NotFound(_))
    ));
    assert!(matches!(
        s.set_configuration("999999999999", &json!({}), now),
        Err(vigil_store::Error::NotFound(_))
    ));
    assert!(matches!(
        s.set_configuration(ACCOUNT, &json!([1]), now),
        Err(vigil_store::Error::Invalid(_))
    ));
}

#[test]
fn configuration_round_trips() {
    let (_d, s) = store();
    assert_eq!(s.configuration(ACCOUNT).expect("get"), None);
    let c = json!({"ecr": {"rescanDuration": "DAYS_30"}, "ec2": {"scanMode": "EC2_HYBRID"}});
    s.set_configuration(ACCOUNT, &c, OffsetDateTime::now_utc())
        .expect("set");
    assert_eq!(s.configuration(ACCOUNT).expect("get"), Some(c));
    let c2 = json!({"ecr": {"rescanDuration": "LIFETIME"}});
    s.set_configuration(ACCOUNT, &c2, OffsetDateTime::now_utc())
        .expect("replace");
    assert_eq!(s.configuration(ACCOUNT).expect("get"), Some(c2));
    assert_eq!(s.configuration("999999999999").expect("get"), None);
}

#[test]
fn deep_inspection_configuration_persists_and_heartbeats_need_a_host() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = vigil_store::DeepInspection {
        status: "ACTIVATED".into(),
        package_paths: vec!["/srv/app".into(), "/opt/tools".into()],
    };
    {
        let s = Store::open(dir.path()).expect("open");
        s.create_key(ACCOUNT, OffsetDateTime::now_utc())
            .expect("key");
        assert_eq!(s.deep_inspection(ACCOUNT).expect("read"), None);
        s.set_deep_inspection(ACCOUNT, &config, OffsetDateTime::now_utc())
            .expect("set");
        assert!(matches!(
            s.set_deep_inspection("999999999999", &config, OffsetDateTime::now_utc()),
            Err(vigil_store::Error::NotFound(_))
        ));
        // no such host: a heartbeat cannot register one
        assert!(matches!(
            s.heartbeat(
                ACCOUNT,
                "us-east-1",
                "i-0123456789abcdef0",
                OffsetDateTime::now_utc()
            ),
            Err(vigil_store::Error::NotFound(_))
        ));
    }
    let s = Store::open(dir.path()).expect("reopen");
    assert_eq!(s.deep_inspection(ACCOUNT).expect("read"), Some(config));
    assert_eq!(s.deep_inspection("999999999999").expect("read"), None);
}
