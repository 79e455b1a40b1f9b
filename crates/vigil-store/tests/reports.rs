//! Findings report and SBOM export records: the in-progress limit, conditional transitions
//! (a cancel racing completion has one winner), and what a restart does, on a real store.

use serde_json::json;
use time::OffsetDateTime;
use vigil_store::reports::{FINDINGS, ReportRecord, ReportStore, SBOM};
use vigil_store::{Error, Store, keys};

const ACCOUNT: &str = "111122223333";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("open");
    let _: keys::AccessKey = store
        .create_key(ACCOUNT, OffsetDateTime::now_utc())
        .expect("key");
    (dir, store)
}

fn report(id: &str, kind: &str) -> ReportRecord {
    ReportRecord {
        id: id.into(),
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        kind: kind.into(),
        format: "JSON".into(),
        status: "IN_PROGRESS".into(),
        error_code: None,
        error_message: None,
        destination: json!({"bucketName": "b", "kmsKeyArn": "k"}),
        criteria: Some(json!({"severity": [{"comparison": "EQUALS", "value": "HIGH"}]})),
        objects: 0,
        created_at: "2026-12-01T00:00:00.000Z".into(),
        updated_at: "2026-12-01T00:00:00.000Z".into(),
    }
}

#[test]
fn one_report_in_progress_per_account_and_kind() {
    let (_d, s) = store();
    s.create_report(&report("r1", FINDINGS), 1).expect("first");
    let err = s
        .create_report(&report("r2", FINDINGS), 1)
        .expect_err("second in progress");
    assert!(
        matches!(err, Error::Invalid(m) if m.contains("Cannot have multiple reports in-progress"))
    );
    // another kind has its own slot
    s.create_report(&report("s1", SBOM), 1).expect("sbom");
    assert!(s.report(ACCOUNT, "r2").expect("read").is_none());
    let r1 = s.report(ACCOUNT, "r1").expect("read").expect("r1");
    assert_eq!(r1.destination["bucketName"], "b");
    assert_eq!(r1.criteria, report("r1", FINDINGS).criteria);
    assert!(
        s.report("999999999999", "r1").expect("read").is_none(),
        "other accounts do not see it"
    );
    // finishing frees the slot
    assert!(
        s.finish_report("r1", "SUCCEEDED", None, 1, OffsetDateTime::now_utc())
            .expect("finish")
    );
    s.create_report(&report("r2", FINDINGS), 1)
        .expect("now allowed");
    assert_eq!(
        s.latest_report(ACCOUNT, FINDINGS)
            .expect("latest")
            .expect("some")
            .id,
        "r2"
    );
}

#[test]
fn transitions_leave_in_progress_once() {
    let (_d, s) = store();
    s.create_report(&report("r1", FINDINGS), 1).expect("create");
    let now = OffsetDateTime::now_utc();
    assert!(
        s.finish_report("r1", "CANCELLED", None, 0, now)
            .expect("cancel")
    );
    // the worker finishing afterwards does not overwrite the cancel
    assert!(
        !s.finish_report("r1", "SUCCEEDED", None, 1, now)
            .expect("late")
    );
    assert_eq!(
        s.report(ACCOUNT, "r1").expect("read").expect("r1").status,
        "CANCELLED"
    );
    s.create_report(&report("r2", FINDINGS), 1).expect("create");
    assert!(
        s.finish_report(
            "r2",
            "FAILED",
            Some(("BUCKET_NOT_FOUND", "no bucket `b`")),
            0,
            now
        )
        .expect("fail")
    );
    let r2 = s.report(ACCOUNT, "r2").expect("read").expect("r2");
    assert_eq!(r2.error_code.as_deref(), Some("BUCKET_NOT_FOUND"));
    assert_eq!(r2.error_message.as_deref(), Some("no bucket `b`"));
}

#[test]
fn a_restart_fails_what_was_in_progress() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        let s = Store::open(dir.path()).expect("open");
        s.create_key(ACCOUNT, OffsetDateTime::now_utc())
            .expect("key");
        s.create_report(&report("r1", FINDINGS), 1).expect("create");
        s.create_report(&report("s1", SBOM), 1).expect("create");
        assert!(
            s.finish_report("s1", "SUCCEEDED", None, 2, OffsetDateTime::now_utc())
                .expect("done")
        );
    }
    let s = Store::open(dir.path()).expect("reopen");
    assert_eq!(s.reports_in_progress().expect("list").len(), 1);
    assert_eq!(
        s.fail_interrupted_reports("restarted", OffsetDateTime::now_utc())
            .expect("fail"),
        1
    );
    let r1 = s.report(ACCOUNT, "r1").expect("read").expect("r1");
    assert_eq!(
        (r1.status.as_str(), r1.error_code.as_deref()),
        ("FAILED", Some("INTERNAL_ERROR"))
    );
    let s1 = s.report(ACCOUNT, "s1").expect("read").expect("s1");
    assert_eq!((s1.status.as_str(), s1.objects), ("SUCCEEDED", 2));
    assert!(s.reports_in_progress().expect("list").is_empty());
}
