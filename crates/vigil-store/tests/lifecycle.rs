//! The finding lifecycle, suppression rules and keys, on a real store in a temp directory.
//! The criteria language is the API's; here a minimal matcher (`{"severity": "HIGH"}` means
//! severity equals HIGH) stands in for it.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use vigil_store::{FilterSpec, FindingQuery, ResourceRecord, Store, Submission};

fn matcher(criteria: &Value) -> vigil_store::Compiled {
    let criteria = criteria.clone();
    vigil_store::Compiled {
        // every value must appear in the stored text (a valid pre-test for this language)
        needles: criteria
            .as_object()
            .and_then(|c| c.values().next())
            .map(|v| vec![v.to_string()]),
        test: Box::new(move |finding| {
            criteria
                .as_object()
                .is_some_and(|c| c.iter().all(|(k, v)| finding.get(k) == Some(v)))
        }),
    }
}

fn finding(arn: &str, severity: &str) -> Value {
    json!({
        "findingArn": arn, "type": "PACKAGE_VULNERABILITY", "severity": severity,
        "title": format!("CVE-1 - {arn}"), "status": "ACTIVE", "inspectorScore": 7.5,
        "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-1"},
        "vigil": {"aliases": []}
    })
}

fn submit(
    store: &dyn vigil_store::FindingsStore,
    findings: Vec<Value>,
    now: OffsetDateTime,
) -> vigil_store::IngestReport {
    store
        .ingest(
            Submission {
                account: "111122223333",
                region: "us-east-1",
                resource: ResourceRecord {
                    kind: "AWS_EC2_INSTANCE".into(),
                    id: "i-0001".into(),
                    region: "us-east-1".into(),
                    tags: Default::default(),
                    details: None,
                },
                inventory: b"{}",
                findings,
                now,
                keys: Vec::new(),
                origin: vigil_store::Origin::Scan,
                scope: None,
            },
            &matcher,
        )
        .expect("ingest")
}

fn statuses(store: &Store) -> Vec<(String, String)> {
    store
        .findings(
            &FindingQuery {
                account: "111122223333".into(),
                ..Default::default()
            },
            &|_| true,
        )
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["findingArn"].as_str().unwrap_or("").to_owned(),
                f["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn findings_open_suppress_close_and_reopen() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("open");
    let t0 = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    let r = submit(
        &store,
        vec![
            finding("a", "HIGH"),
            finding("b", "LOW"),
            finding("c", "HIGH"),
        ],
        t0,
    );
    assert_eq!((r.new, r.active, r.closed), (3, 3, 0));

    // a suppression rule applies to existing findings at once, and records why
    let rule = store
        .create_filter(
            "111122223333",
            "us-east-1",
            FilterSpec {
                name: "accept-high".into(),
                action: "SUPPRESS".into(),
                criteria: json!({"severity": "HIGH"}),
                description: None,
                reason: Some("accepted risk: isolated host".into()),
                expires_at: None,
                tags: Default::default(),
            },
            t0 + Duration::minutes(1),
            &matcher,
        )
        .expect("filter");
    assert_eq!(
        statuses(&store),
        vec![
            ("a".into(), "SUPPRESSED".into()),
            ("b".into(), "ACTIVE".into()),
            ("c".into(), "SUPPRESSED".into())
        ]
    );
    let a = &store
        .findings(
            &FindingQuery {
                account: "111122223333".into(),
                arns: vec!["a".into()],
                ..Default::default()
            },
            &|_| true,
        )
        .expect("a")[0];
    assert_eq!(a["vigil"]["suppression"]["filterArn"], rule.as_str());
    assert_eq!(
        a["vigil"]["suppression"]["reason"],
        "accepted risk: isolated host"
    );

    // a rescan without `c` closes it; `b` stays; a new HIGH finding `d` is suppressed at birth
    let t1 = t0 + Duration::hours(1);
    let r = submit(
        &store,
        vec![
            finding("a", "HIGH"),
            finding("b", "LOW"),
            finding("d", "HIGH"),
        ],
        t1,
    );
    assert_eq!(
        (r.new, r.updated, r.closed, r.suppressed, r.active),
        (1, 2, 1, 2, 1)
    );
    assert_eq!(
        statuses(&store),
        vec![
            ("a".into(), "SUPPRESSED".into()),
            ("b".into(), "ACTIVE".into()),
            ("c".into(), "CLOSED".into()),
            ("d".into(), "SUPPRESSED".into())
        ]
    );
    // `c` reappears: reopened (and suppressed again by the rule)
    let t2 = t1 + Duration::hours(1);
    let r = submit(
        &store,
        vec![
            finding("a", "HIGH"),
            finding("b", "LOW"),
            finding("c", "HIGH"),
            finding("d", "HIGH"),
        ],
        t2,
    );
    assert_eq!(r.reopened, 1);
    let h = store.history("111122223333", "c").expect("history");
    let path: Vec<&str> = h.iter().map(|t| t.to.as_str()).collect();
    assert_eq!(path, vec!["ACTIVE", "SUPPRESSED", "CLOSED", "SUPPRESSED"]);

    // deleting the rule restores ACTIVE
    store
        .delete_filter("111122223333", &rule, t2 + Duration::minutes(1), &matcher)
        .expect("delete");
    assert!(statuses(&store).iter().all(|(_, s)| s == "ACTIVE"));
    // firstObservedAt is kept across rescans; lastObservedAt moves
    let all = store
        .findings(
            &FindingQuery {
                account: "111122223333".into(),
                ..Default::default()
            },
            &|_| true,
        )
        .expect("all");
    let a = all.iter().find(|f| f["findingArn"] == "a").expect("a");
    assert!(
        a["firstObservedAt"].as_str() < a["lastObservedAt"].as_str(),
        "{a}"
    );
    // another account sees nothing
    assert!(
        store
            .findings(
                &FindingQuery {
                    account: "444455556666".into(),
                    ..Default::default()
                },
                &|_| true
            )
            .expect("other")
            .is_empty()
    );
}

#[test]
fn expiring_rules_release_their_findings() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("open");
    let t0 = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    submit(&store, vec![finding("a", "HIGH")], t0);
    store
        .create_filter(
            "111122223333",
            "us-east-1",
            FilterSpec {
                name: "until-patch-day".into(),
                action: "SUPPRESS".into(),
                criteria: json!({"severity": "HIGH"}),
                description: None,
                reason: Some("patch window".into()),
                expires_at: Some(vigil_store::timestamp(t0 + Duration::days(7))),
                tags: Default::default(),
            },
            t0,
            &matcher,
        )
        .expect("filter");
    assert_eq!(statuses(&store)[0].1, "SUPPRESSED");
    assert_eq!(
        store
            .expire_rules("111122223333", t0 + Duration::days(6), &matcher)
            .expect("x"),
        0
    );
    assert_eq!(
        store
            .expire_rules("111122223333", t0 + Duration::days(8), &matcher)
            .expect("x"),
        1
    );
    assert_eq!(statuses(&store)[0].1, "ACTIVE");
    let h = store.history("111122223333", "a").expect("h");
    assert_eq!(
        h.last().map(|t| t.reason.as_str()),
        Some("suppression rule expired")
    );
}

#[test]
fn keys_are_sealed_and_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = {
        let store = Store::open(dir.path()).expect("open");
        store
            .create_key("111122223333", OffsetDateTime::now_utc())
            .expect("key")
    };
    assert!(key.access_key_id.starts_with("AKIA") && key.access_key_id.len() == 20);
    assert_eq!(key.secret_access_key.len(), 40);
    // the secret is not in the database file in clear
    let raw = std::fs::read(dir.path().join("vigil.sqlite")).expect("db");
    let wal = std::fs::read(dir.path().join("vigil.sqlite-wal")).unwrap_or_default();
    let needle = key.secret_access_key.as_bytes();
    for bytes in [&raw, &wal] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "secret stored in clear"
        );
    }
    let store = Store::open(dir.path()).expect("reopen");
    let (secret, account) = store
        .secret_for(&key.access_key_id)
        .expect("lookup")
        .expect("known");
    assert_eq!(
        (secret.as_str(), account.as_str()),
        (key.secret_access_key.as_str(), "111122223333")
    );
    assert!(store.secret_for("AKIANOPE").expect("lookup").is_none());
    assert!(
        store
            .create_key("bad account!", OffsetDateTime::now_utc())
            .is_err()
    );
    // a different master key cannot open the secrets
    std::fs::write(dir.path().join("master.key"), [7u8; 32]).expect("swap key");
    let store = Store::open(dir.path()).expect("reopen with another key");
    assert!(store.secret_for(&key.access_key_id).is_err());
}

#[test]
fn the_api_layer_sees_the_store_through_its_trait() {
    use vigil_store::FindingsStore;
    let dir = tempfile::tempdir().expect("tmp");
    let store: Box<dyn FindingsStore> = Box::new(Store::open(dir.path()).expect("open"));
    let t0 = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    let key = store.create_key("111122223333", t0).expect("key");
    assert_eq!(
        store
            .secret_for(&key.access_key_id)
            .expect("lookup")
            .map(|(_, a)| a),
        Some("111122223333".to_owned())
    );
    let r = submit(store.as_ref(), vec![finding("a", "HIGH")], t0);
    assert_eq!(r.new, 1);
    assert_eq!(
        store
            .resources("111122223333", None)
            .expect("resources")
            .len(),
        1
    );
}

/// Network findings (a reachability analysis) and package findings (scans) live side by side
/// on one resource: neither closes the other's, each closes its own when no longer seen.
#[test]
fn network_and_package_findings_keep_separate_lifecycles() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("store");
    let t0 = OffsetDateTime::now_utc();
    let net = |arn: &str| {
        json!({
            "findingArn": arn, "type": "NETWORK_REACHABILITY", "severity": "HIGH",
            "title": "Port 22 is reachable from an Internet Gateway", "status": "ACTIVE",
            "networkReachabilityDetails": {"protocol": "TCP", "openPortRange": {"begin": 22, "end": 22}},
            "vigil": {"aliases": []}
        })
    };
    let submit_as = |findings: Vec<Value>, origin: vigil_store::Origin, now: OffsetDateTime| {
        store
            .ingest(
                Submission {
                    account: "111122223333",
                    region: "us-east-1",
                    resource: ResourceRecord {
                        kind: "AWS_EC2_INSTANCE".into(),
                        id: "i-0001".into(),
                        region: "us-east-1".into(),
                        tags: Default::default(),
                        details: None,
                    },
                    inventory: b"{}",
                    findings,
                    now,
                    keys: Vec::new(),
                    origin,
                    scope: None,
                },
                &matcher,
            )
            .expect("ingest")
    };
    submit_as(
        vec![finding("arn:p1", "HIGH")],
        vigil_store::Origin::Scan,
        t0,
    );
    let r = submit_as(
        vec![net("arn:n1")],
        vigil_store::Origin::NetworkAnalysis,
        t0 + Duration::seconds(1),
    );
    assert_eq!(
        (r.new, r.closed),
        (1, 0),
        "the analysis leaves the package finding"
    );
    let r = submit_as(
        vec![finding("arn:p1", "HIGH")],
        vigil_store::Origin::Scan,
        t0 + Duration::seconds(2),
    );
    assert_eq!(
        (r.updated, r.closed),
        (1, 0),
        "the scan leaves the network finding"
    );
    let r = submit_as(
        Vec::new(),
        vigil_store::Origin::NetworkAnalysis,
        t0 + Duration::seconds(3),
    );
    assert_eq!(r.closed, 1, "the rule went away");
    let mut s = statuses(&store);
    s.sort();
    assert_eq!(
        s,
        vec![
            ("arn:n1".to_owned(), "CLOSED".to_owned()),
            ("arn:p1".to_owned(), "ACTIVE".to_owned())
        ]
    );
    let h = store.history("111122223333", "arn:n1").expect("history");
    assert_eq!(
        h.last().map(|t| t.reason.as_str()),
        Some("no longer reachable from the internet (network analysis)")
    );
}

/// An agent's listening sockets: a scan stores them in the host's details, a heartbeat's
/// update replaces only that member (the findings and the rest of the details stay), the
/// network analysis reads them per host; hosts without sockets and other resources are left
/// out, and a host that does not exist is refused.
#[test]
fn listening_sockets_live_in_the_host_details() {
    use vigil_store::hosts::HostStore;
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("store");
    let t0 = OffsetDateTime::now_utc();
    let ssh = json!([{"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"}]);
    let ingest = |id: &str, kind: &str, details: Option<Value>| {
        store
            .ingest(
                Submission {
                    account: "111122223333",
                    region: "us-east-1",
                    resource: ResourceRecord {
                        kind: kind.into(),
                        id: id.into(),
                        region: "us-east-1".into(),
                        tags: Default::default(),
                        details,
                    },
                    inventory: b"{}",
                    findings: vec![finding(&format!("arn:{id}"), "HIGH")],
                    now: t0,
                    keys: Vec::new(),
                    origin: vigil_store::Origin::Scan,
                    scope: None,
                },
                &matcher,
            )
            .expect("ingest")
    };
    ingest(
        "i-agent",
        "AWS_EC2_INSTANCE",
        Some(json!({"awsEc2Instance": {"platform": "DEBIAN_12"},
                    "vigil": {"hostname": "web-1", "agent": true, "listening": ssh}})),
    );
    ingest(
        "i-plain",
        "AWS_EC2_INSTANCE",
        Some(json!({"awsEc2Instance": {"platform": "DEBIAN_12"}})),
    );
    ingest("img", "AWS_ECR_CONTAINER_IMAGE", None);
    assert_eq!(
        store
            .listening("111122223333", "us-east-1")
            .expect("listening"),
        vec![("i-agent".to_owned(), ssh.clone())]
    );
    let before = store
        .findings(
            &FindingQuery {
                account: "111122223333".into(),
                ..Default::default()
            },
            &|_| true,
        )
        .expect("findings");

    // a heartbeat's sockets replace the member; a host without details gets one
    let two = json!([
        {"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"},
        {"protocol": "udp", "address": "127.0.0.53", "port": 53}
    ]);
    store
        .set_listening("111122223333", "us-east-1", "i-agent", &two)
        .expect("set");
    store
        .set_listening("111122223333", "us-east-1", "i-plain", &json!([]))
        .expect("set empty");
    assert_eq!(
        store
            .listening("111122223333", "us-east-1")
            .expect("listening"),
        vec![
            ("i-agent".to_owned(), two.clone()),
            ("i-plain".to_owned(), json!([]))
        ]
    );
    let (record, _) = store
        .resource_inventory("111122223333", "us-east-1", "i-agent")
        .expect("read")
        .expect("resource");
    let details = record.details.expect("details");
    assert_eq!(details["vigil"]["hostname"], "web-1");
    assert_eq!(details["awsEc2Instance"]["platform"], "DEBIAN_12");
    assert_eq!(details["vigil"]["listening"], two);
    let after = store
        .findings(
            &FindingQuery {
                account: "111122223333".into(),
                ..Default::default()
            },
            &|_| true,
        )
        .expect("findings");
    assert_eq!(before, after, "findings are not touched");

    // not a host, or no such host; another region has none
    for id in ["img", "i-missing"] {
        assert!(matches!(
            store.set_listening("111122223333", "us-east-1", id, &two),
            Err(vigil_store::Error::NotFound(_))
        ));
    }
    assert_eq!(
        store
            .listening("111122223333", "eu-west-1")
            .expect("listening"),
        Vec::new()
    );
}

#[test]
fn filters_upsert_by_name_in_one_transaction() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("open");
    let t0 = OffsetDateTime::now_utc();
    submit(
        &store,
        vec![finding("arn:f1", "HIGH"), finding("arn:f2", "LOW")],
        t0,
    );
    let spec = |name: &str, severity: &str, reason: &str| FilterSpec {
        name: name.into(),
        action: "SUPPRESS".into(),
        criteria: json!({"severity": severity}),
        description: None,
        reason: Some(reason.into()),
        expires_at: None,
        tags: [("vigil:vexFormat".to_owned(), "OPENVEX".to_owned())].into(),
    };
    let first = store
        .upsert_filters(
            "111122223333",
            "us-east-1",
            vec![spec("vex:a", "HIGH", "r")],
            t0,
            &matcher,
        )
        .expect("upsert");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].1, vigil_store::Upsert::Created);
    assert_eq!(
        statuses(&store),
        vec![
            ("arn:f1".into(), "SUPPRESSED".into()),
            ("arn:f2".into(), "ACTIVE".into())
        ]
    );
    // the same specs again: nothing changes; a changed one is updated in place (same ARN) and
    // re-applied; a new one is created
    let again = store
        .upsert_filters(
            "111122223333",
            "us-east-1",
            vec![spec("vex:a", "HIGH", "r"), spec("vex:b", "LOW", "r")],
            t0 + Duration::seconds(1),
            &matcher,
        )
        .expect("upsert");
    assert_eq!(
        again[0],
        (first[0].0.clone(), vigil_store::Upsert::Unchanged)
    );
    assert_eq!(again[1].1, vigil_store::Upsert::Created);
    let changed = store
        .upsert_filters(
            "111122223333",
            "us-east-1",
            vec![spec("vex:a", "CRITICAL", "r2")],
            t0 + Duration::seconds(2),
            &matcher,
        )
        .expect("upsert");
    assert_eq!(
        changed[0],
        (first[0].0.clone(), vigil_store::Upsert::Updated)
    );
    assert_eq!(
        statuses(&store),
        vec![
            ("arn:f1".into(), "ACTIVE".into()),
            ("arn:f2".into(), "SUPPRESSED".into())
        ]
    );
    let filters = store.filters("111122223333").expect("filters");
    assert_eq!(filters.len(), 2);
    assert_eq!(filters[0].reason.as_deref(), Some("r2"));
    assert_eq!(filters[0].tags["vigil:vexFormat"], "OPENVEX");
}

#[test]
fn usage_is_metered_by_scans_and_heartbeats() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("open");
    let t0 = time::macros::datetime!(2026-12-01 10:00 UTC);
    // host i-0001: scanned at 10:00, heartbeats until 13:30 -> 4 started hours
    submit(&store, vec![finding("arn:a", "HIGH")], t0);
    store
        .heartbeat(
            "111122223333",
            "us-east-1",
            "i-0001",
            t0 + time::Duration::minutes(210),
        )
        .expect("heartbeat");
    let totals = store
        .usage_totals(
            &["111122223333".into()],
            "2026-12",
            t0 + time::Duration::hours(5),
        )
        .expect("totals");
    let of = |k: &str| totals.iter().find(|t| t.kind == k).map(|t| t.total);
    assert_eq!(of("EC2_INSTANCE_HOURS"), Some(4.0));
    assert_eq!(of("ECR_INITIAL_SCAN"), Some(0.0));
    // nothing metered in another month, or for another account
    let nov = store
        .usage_totals(&["111122223333".into()], "2026-11", t0)
        .expect("totals");
    assert!(nov.iter().all(|t| t.total == 0.0));
    let other = store
        .usage_totals(&["444455556666".into()], "2026-12", t0)
        .expect("totals");
    assert!(other.iter().all(|t| t.total == 0.0));
    assert!(store.usage_totals(&[], "2026-13x", t0).is_err());
}
