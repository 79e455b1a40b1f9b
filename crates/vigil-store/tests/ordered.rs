//! `Store::findings_ordered` (the SQL sort behind ListFindings' sortCriteria) against the
//! API's in-memory sort (`vigil_api::sort::SortCriteria::compare`, Inspector's semantics:
//! missing values last in either direction, ties by ARN): every supported field, both
//! directions, with and without residual criteria, page by page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use vigil_api::sort::{SortCriteria, SortField, SortOrder};
use vigil_store::{FindingOrder, FindingQuery, ResourceRecord, Store, Submission};

const ACCOUNT: &str = "111122223333";
const SEVERITIES: [&str; 7] = [
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNTRIAGED",
    "WEIRD",
];

fn finding(r: usize, i: usize) -> Value {
    let mut f = json!({
        "findingArn": format!("arn:aws:inspector2:us-east-1:{ACCOUNT}:finding/{:02}{:03}", (i * 37) % 97, r * 100 + i),
        "type": "PACKAGE_VULNERABILITY",
        "severity": SEVERITIES[(i * 5 + r) % SEVERITIES.len()],
        "title": format!("finding {r}/{i}"),
        "vigil": {"aliases": []}
    });
    // a third without a score, many ties among the others
    if i % 3 != 0 {
        f["inspectorScore"] = json!(((i * 7 + r) % 11) as f64 / 2.0);
    }
    // some without a vulnerability id (network reachability findings have none)
    if i % 4 != 1 {
        f["packageVulnerabilityDetails"] =
            json!({"vulnerabilityId": format!("CVE-2024-{:04}", (i * 13) % 9)});
    }
    f
}

fn submit(store: &Store, r: usize, findings: Vec<Value>, now: OffsetDateTime) {
    let never = |_: &Value| vigil_store::Compiled::never();
    store
        .ingest(
            Submission {
                account: ACCOUNT,
                region: "us-east-1",
                resource: ResourceRecord {
                    kind: "AWS_EC2_INSTANCE".into(),
                    id: format!("i-{r:04}"),
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
            &never,
        )
        .expect("ingest");
}

#[test]
fn sql_order_equals_the_api_sort_for_every_supported_field() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .create_key(ACCOUNT, OffsetDateTime::now_utc())
        .unwrap();
    let t0 = OffsetDateTime::now_utc() - Duration::days(3);
    // 4 resources x 60 findings, first seen at different times; a rescan drops a third of
    // each resource's findings (CLOSED) and moves lastObservedAt of the rest
    for r in 0..4 {
        submit(
            &store,
            r,
            (0..60).map(|i| finding(r, i)).collect(),
            t0 + Duration::minutes(r as i64),
        );
    }
    for r in 0..4 {
        let kept = (0..60)
            .filter(|i| i % 3 != 2)
            .map(|i| finding(r, i))
            .collect();
        submit(&store, r, kept, t0 + Duration::hours(1 + r as i64));
    }
    let q = FindingQuery {
        account: ACCOUNT.into(),
        ..Default::default()
    };
    let all = store.findings(&q, &|_| true).unwrap();
    assert_eq!(all.len(), 240);
    assert!(
        all.iter().any(|f| f["status"] == "CLOSED") && all.iter().any(|f| f["status"] == "ACTIVE")
    );

    let residual = |f: &Value| {
        f["title"]
            .as_str()
            .is_some_and(|t| t.ends_with('1') || t.ends_with('4'))
    };
    let fields = [
        ("INSPECTOR_SCORE", FindingOrder::Score),
        ("SEVERITY", FindingOrder::Severity),
        ("FIRST_OBSERVED_AT", FindingOrder::FirstObserved),
        ("LAST_OBSERVED_AT", FindingOrder::LastObserved),
        ("FINDING_STATUS", FindingOrder::Status),
        ("VULNERABILITY_ID", FindingOrder::VulnerabilityId),
    ];
    let arns = |v: &[Value]| {
        v.iter()
            .map(|f| f["findingArn"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let mut compared = 0;
    for (field, order) in fields {
        assert_eq!(FindingOrder::for_field(field), Some(order));
        for (descending, sort_order) in [(true, SortOrder::Desc), (false, SortOrder::Asc)] {
            let criteria = SortCriteria::new(SortField::parse(field), sort_order);
            for with_residual in [false, true] {
                let mut expected: Vec<Value> = all
                    .iter()
                    .filter(|f| !with_residual || residual(f))
                    .cloned()
                    .collect();
                criteria.sort(&mut expected);
                // the needles are a pre-test on the stored text (every title ending in 1
                // or 4 has `1"` or `4"` in it; so do other findings, which the test drops)
                let compiled = vigil_store::Compiled {
                    test: Box::new(residual),
                    needles: Some(vec!["1\"".into(), "4\"".into()]),
                };
                let keep = with_residual.then_some(&compiled);
                // pages of 17, as ListFindings walks them with its tokens
                let mut got = Vec::new();
                loop {
                    let (page, more) = store
                        .findings_ordered(&q, order, descending, keep, got.len(), 17)
                        .unwrap();
                    assert!(page.len() <= 17);
                    let done = !more;
                    got.extend(page);
                    if done {
                        break;
                    }
                }
                assert_eq!(
                    arns(&got),
                    arns(&expected),
                    "{field} {} residual={with_residual}",
                    if descending { "DESC" } else { "ASC" }
                );
                compared += got.len();
            }
        }
    }
    assert!(compared > 2000, "{compared}");

    // the pre-filters narrow the same way ListFindings' EQUALS lists do
    let q = FindingQuery {
        account: ACCOUNT.into(),
        statuses: vec!["ACTIVE".into()],
        vulnerability_ids: vec!["CVE-2024-0004".into()],
        ..Default::default()
    };
    let (page, more) = store
        .findings_ordered(&q, FindingOrder::Score, true, None, 0, 1000)
        .unwrap();
    assert!(!more && !page.is_empty());
    let expected = all
        .iter()
        .filter(|f| {
            f["status"] == "ACTIVE"
                && f["packageVulnerabilityDetails"]["vulnerabilityId"] == "CVE-2024-0004"
        })
        .count();
    assert_eq!(page.len(), expected);
}
