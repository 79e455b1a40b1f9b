//! Timestamp parsing/serialisation and finding-path extraction.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use vigil_api::{Timestamp, json as vjson};

#[test]
fn timestamp_forms() {
    let want = Timestamp::from_epoch_secs_i64(1_700_000_000).unwrap();
    for v in [
        json!(1_700_000_000),
        json!(1_700_000_000.0),
        json!("2023-11-14T22:13:20Z"),
        json!("2023-11-14T22:13:20.000Z"),
        json!("2023-11-14T23:13:20+01:00"),
        json!("2023-11-14T22:13:20"),
        json!("2023-11-14 22:13:20+00:00"),
        json!("1700000000"),
    ] {
        assert_eq!(Timestamp::from_json(&v), Some(want), "{v}");
    }
    assert_eq!(
        Timestamp::from_json(&json!("2023-11-14")),
        Timestamp::from_epoch_secs_i64(1_699_920_000)
    );
    for bad in [
        json!("yesterday"),
        json!(""),
        json!(true),
        json!(null),
        json!({"s": 1}),
    ] {
        assert_eq!(Timestamp::from_json(&bad), None, "{bad}");
    }
}

#[test]
fn fractional_epoch_is_exact() {
    let t = Timestamp::from_json(&json!(1704874530.123)).unwrap();
    assert_eq!(t, Timestamp::parse_str("2024-01-10T08:15:30.123Z").unwrap());
    assert_eq!(t.as_offset_date_time().nanosecond(), 123_000_000);
    assert_eq!(t.to_json(), json!(1704874530.123));
    let neg = Timestamp::from_epoch_seconds(-1.5).unwrap();
    assert_eq!(neg.to_rfc3339(), "1969-12-31T23:59:58.5Z");
    assert_eq!(neg.epoch_seconds(), -1.5);
    assert!(Timestamp::from_epoch_seconds(f64::NAN).is_none());
    assert!(Timestamp::from_epoch_seconds(1e300).is_none());
}

#[test]
fn timestamp_serialises_as_epoch_seconds() {
    let t = Timestamp::parse_str("2023-11-14T22:13:20Z").unwrap();
    assert_eq!(serde_json::to_value(t).unwrap(), json!(1_700_000_000));
    let t: Timestamp = serde_json::from_value(json!("2023-11-14T22:13:20.25Z")).unwrap();
    assert_eq!(serde_json::to_value(t).unwrap(), json!(1_700_000_000.25));
    assert_eq!(t.to_string(), "2023-11-14T22:13:20.25Z");
}

#[test]
fn collect_flattens_lists() {
    let f = json!({
        "resources": [
            {"details": {"awsEcrContainerImage": {"imageTags": ["a", "b"]}}},
            {"details": {"awsEcrContainerImage": {"imageTags": ["c"]}}},
            {"details": {}},
            {"details": null}
        ],
        "epss": {"score": 0.5},
        "title": null
    });
    let tags: Vec<_> = vjson::collect(&f, "resources[].details.awsEcrContainerImage.imageTags[]")
        .into_iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(tags, ["a", "b", "c"]);
    // Unmarked arrays are flattened too.
    assert_eq!(
        vjson::collect(&f, "resources.details.awsEcrContainerImage.imageTags").len(),
        3
    );
    assert_eq!(vjson::first(&f, "epss.score"), Some(&json!(0.5)));
    assert!(vjson::collect(&f, "title").is_empty());
    assert!(vjson::collect(&f, "nope.deeper").is_empty());
}
