//! `POST /vigil/v1/dashboard` (`vigil:GetDashboard`): the console dashboard's figures for the
//! caller's account (and the members it administers) in the request's region, counted by the
//! store in SQL:
//!
//! - `findings`: counts by status and severity;
//! - `mostVulnerable`: hosts, images, repositories and functions with the most open findings
//!   (critical first, then high, medium, low, total);
//! - `openBySeverity`: open (ACTIVE) findings by severity at the end of each of the last
//!   `days` days (default 90), replayed backwards from today's counts through the findings'
//!   lifecycle history;
//! - `meanTimeToRemediate`: by severity, the mean days from first seen to closed of the
//!   findings closed in that window;
//! - `weekly`: findings new and closed per week (weeks start on Monday, UTC).
//!
//! Severities over time are the findings' current ones (a re-scored finding counts in its
//! new severity on every day).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime};
use vigil_store::dashboard::{Dashboard, ResourceCounts, Scope};

use crate::wire::ApiError;
use crate::{App, Principal};

const SEVERITIES: [&str; 6] = [
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNTRIAGED",
];
const PER_TYPE: usize = 10;

pub fn dashboard(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    crate::ops::check_members(input, &["days"])?;
    let days = match input.get("days") {
        None | Some(Value::Null) => 90,
        Some(v) => v
            .as_i64()
            .filter(|n| (7..=365).contains(n))
            .ok_or_else(|| ApiError::field("days", "must be an integer from 7 to 365"))?,
    };
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    let first_day = today - Duration::days(days - 1);
    // the weekly chart covers whole weeks: from the Monday on or before the first day
    let first_week =
        first_day - Duration::days(i64::from(first_day.weekday().number_days_from_monday()));
    let since = vigil_store::timestamp(first_week.midnight().assume_utc());
    let scope = Scope {
        account: p.account.clone(),
        member_accounts: crate::org::member_accounts(app, p)?,
        region: p.region.clone(),
    };
    let d = app.store.dashboard(&scope, &since, PER_TYPE)?;
    let mut out = figures(&d, today, days);
    out["generatedAt"] = json!(now.unix_timestamp());
    out["region"] = json!(p.region);
    out["accounts"] = json!(
        std::iter::once(&scope.account)
            .chain(&scope.member_accounts)
            .collect::<Vec<_>>()
    );
    Ok(out)
}

/// The dashboard's answer from the store's counts, for the `days` days ending `today`.
fn figures(d: &Dashboard, today: Date, days: i64) -> Value {
    let first_day = today - Duration::days(days - 1);
    let first_week =
        first_day - Duration::days(i64::from(first_day.weekday().number_days_from_monday()));

    // counts by status, then severity
    let mut findings = serde_json::Map::new();
    for status in ["ACTIVE", "SUPPRESSED", "CLOSED"] {
        let mut m = serde_json::Map::new();
        let mut total = 0;
        for sev in SEVERITIES {
            let n = d
                .by_status_severity
                .get(&(status.to_owned(), sev.to_owned()))
                .copied()
                .unwrap_or(0);
            total += n;
            m.insert(sev.into(), json!(n));
        }
        m.insert("total".into(), json!(total));
        findings.insert(status.into(), Value::Object(m));
    }

    // open by severity per day: today's counts, then each earlier day's end is the next
    // day's end minus what changed on that next day
    let mut open: BTreeMap<&str, i64> = SEVERITIES
        .iter()
        .map(|s| {
            let n = d
                .by_status_severity
                .get(&("ACTIVE".to_owned(), (*s).to_owned()))
                .copied()
                .unwrap_or(0);
            (*s, n as i64)
        })
        .collect();
    let mut series = Vec::new();
    let mut day = today;
    while day >= first_day {
        let mut point = serde_json::Map::new();
        point.insert("date".into(), json!(date_text(day)));
        for s in SEVERITIES {
            point.insert(s.into(), json!(open[s].max(0)));
        }
        series.push(Value::Object(point));
        let key = date_text(day);
        for s in SEVERITIES {
            if let Some(c) = d.days.get(&(key.clone(), s.to_owned()))
                && let Some(n) = open.get_mut(s)
            {
                *n -= c.to_active as i64 - c.from_active as i64;
            }
        }
        day -= Duration::days(1);
    }
    series.reverse();

    // mean time to remediate, over the findings closed within the window
    let first_text = date_text(first_day);
    let mttr: Vec<Value> = SEVERITIES
        .iter()
        .map(|s| {
            let (closed, total_days) = d
                .days
                .iter()
                .filter(|((date, sev), _)| sev == s && *date >= first_text)
                .fold((0u64, 0f64), |(n, t), (_, c)| (n + c.closed, t + c.days_to_close));
            json!({
                "severity": s,
                "closed": closed,
                "meanDays": (closed > 0).then(|| (total_days / closed as f64 * 10.0).round() / 10.0),
            })
        })
        .collect();

    // new and closed per week
    let mut weekly = Vec::new();
    let mut week = first_week;
    while week <= today {
        let end = week + Duration::days(7);
        let (from, to) = (date_text(week), date_text(end));
        let (new, closed) = d
            .days
            .iter()
            .filter(|((date, _), _)| *date >= from && *date < to)
            .fold((0u64, 0u64), |(n, c), (_, x)| (n + x.created, c + x.closed));
        weekly.push(json!({"weekStart": from, "new": new, "closed": closed}));
        week = end;
    }

    // most vulnerable resources by type, and repositories (their images' open findings)
    let summary = |r: &ResourceCounts| {
        json!({
            "resourceId": r.resource_id, "accountId": r.account, "resourceType": r.resource_type,
            "critical": r.critical, "high": r.high, "medium": r.medium, "low": r.low,
            "total": r.total, "maxScore": r.max_score,
        })
    };
    let of_type = |t: &str| -> Vec<Value> {
        d.resources
            .iter()
            .filter(|r| r.resource_type == t)
            .map(summary)
            .collect()
    };
    let mut images = Vec::new();
    let mut repositories: BTreeMap<(String, String), [u64; 6]> = BTreeMap::new();
    let all_images = &d.images;
    for r in all_images {
        let Some(repo) = repository(r.details.as_ref()) else {
            continue;
        };
        let c = repositories.entry((r.account.clone(), repo)).or_default();
        for (i, n) in [r.critical, r.high, r.medium, r.low, r.total, 1]
            .iter()
            .enumerate()
        {
            c[i] += n;
        }
    }
    for r in all_images.iter().take(PER_TYPE) {
        let mut v = summary(r);
        let img = r
            .details
            .as_ref()
            .and_then(|d| d.get("awsEcrContainerImage"));
        v["repository"] = json!(img.and_then(|i| i.get("repositoryName")));
        v["imageTags"] = json!(img.and_then(|i| i.get("imageTags")));
        images.push(v);
    }
    let mut repos: Vec<(&(String, String), &[u64; 6])> = repositories.iter().collect();
    repos.sort_by(|a, b| b.1[..5].cmp(&a.1[..5]).then_with(|| a.0.cmp(b.0)));
    let repositories: Vec<Value> = repos
        .into_iter()
        .take(PER_TYPE)
        .map(|((account, repo), c)| {
            json!({"repository": repo, "accountId": account, "critical": c[0], "high": c[1],
                   "medium": c[2], "low": c[3], "total": c[4], "images": c[5]})
        })
        .collect();

    json!({
        "days": days,
        "findings": findings,
        "mostVulnerable": {
            "hosts": of_type("AWS_EC2_INSTANCE"),
            "images": images,
            "repositories": repositories,
            "functions": of_type("AWS_LAMBDA_FUNCTION"),
        },
        "openBySeverity": series,
        "meanTimeToRemediate": mttr,
        "weekly": weekly,
    })
}

fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn repository(details: Option<&Value>) -> Option<String> {
    details?
        .pointer("/awsEcrContainerImage/repositoryName")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use vigil_store::{ResourceRecord, Store, Submission};

    const ACCOUNT: &str = "111122223333";

    fn finding(resource: &str, i: usize, severity: &str) -> Value {
        json!({
            "findingArn": format!("arn:aws:inspector2:us-east-1:{ACCOUNT}:finding/{resource}-{i}"),
            "type": "PACKAGE_VULNERABILITY", "severity": severity, "inspectorScore": 7.0,
            "title": format!("CVE-{i}"), "vigil": {"aliases": []}
        })
    }

    fn submit(store: &Store, resource: &str, kind: &str, findings: Vec<Value>, at: OffsetDateTime) {
        let never = |_: &Value| vigil_store::Compiled::never();
        let details = (kind == "AWS_ECR_CONTAINER_IMAGE").then(|| {
            json!({"awsEcrContainerImage": {"repositoryName": "shop/web", "imageTags": [resource]}})
        });
        store
            .ingest(
                Submission {
                    account: ACCOUNT,
                    region: "us-east-1",
                    resource: ResourceRecord {
                        kind: kind.into(),
                        id: resource.into(),
                        region: "us-east-1".into(),
                        tags: Default::default(),
                        details,
                    },
                    inventory: b"{}",
                    findings,
                    now: at,
                    keys: Vec::new(),
                    origin: vigil_store::Origin::Scan,
                    scope: None,
                },
                &never,
            )
            .expect("ingest");
    }

    /// Findings opened 20 and 10 days ago, some closed 5 days ago: the replayed series, the
    /// mean time to remediate, the weekly counts and the most vulnerable resources.
    #[test]
    fn history_replays_into_daily_counts_mttr_and_weeks() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .create_key(ACCOUNT, OffsetDateTime::now_utc())
            .unwrap();
        let now = OffsetDateTime::now_utc();
        let today = now.date();
        let ago = |d: i64| now - Duration::days(d);
        // host: 3 HIGH + 1 CRITICAL, 20 days ago; 2 of the HIGH close 5 days ago
        let host: Vec<Value> = (0..3)
            .map(|i| finding("i-1", i, "HIGH"))
            .chain([finding("i-1", 3, "CRITICAL")])
            .collect();
        submit(&store, "i-1", "AWS_EC2_INSTANCE", host.clone(), ago(20));
        submit(
            &store,
            "i-1",
            "AWS_EC2_INSTANCE",
            vec![host[0].clone(), host[3].clone()],
            ago(5),
        );
        // 2 days ago the remaining HIGH one is re-scored CRITICAL (still open)
        let mut rescored = host[0].clone();
        rescored["severity"] = json!("CRITICAL");
        submit(
            &store,
            "i-1",
            "AWS_EC2_INSTANCE",
            vec![rescored, host[3].clone()],
            ago(2),
        );
        // two images of one repository, 10 days ago: 2 MEDIUM and 1 LOW
        submit(
            &store,
            "sha256:aa",
            "AWS_ECR_CONTAINER_IMAGE",
            vec![finding("aa", 0, "MEDIUM"), finding("aa", 1, "LOW")],
            ago(10),
        );
        submit(
            &store,
            "sha256:bb",
            "AWS_ECR_CONTAINER_IMAGE",
            vec![finding("bb", 0, "MEDIUM")],
            ago(10),
        );

        let days = 30;
        let first_day = today - Duration::days(days - 1);
        let since = vigil_store::timestamp((first_day - Duration::days(7)).midnight().assume_utc());
        let scope = Scope {
            account: ACCOUNT.into(),
            member_accounts: vec![],
            region: "us-east-1".into(),
        };
        let d = store.dashboard(&scope, &since, 10).unwrap();
        let v = figures(&d, today, days);

        assert_eq!(v["findings"]["ACTIVE"]["total"], 5);
        assert_eq!(v["findings"]["ACTIVE"]["HIGH"], 0);
        assert_eq!(v["findings"]["ACTIVE"]["CRITICAL"], 2);
        assert_eq!(v["findings"]["CLOSED"]["HIGH"], 2);
        let series = v["openBySeverity"].as_array().unwrap();
        assert_eq!(series.len(), 30);
        assert_eq!(series[29]["date"], date_text(today));
        let on = |days_ago: usize, sev: &str| series[29 - days_ago][sev].as_i64().unwrap();
        // before anything was seen: nothing open
        assert_eq!(
            (on(25, "HIGH"), on(25, "CRITICAL"), on(25, "MEDIUM")),
            (0, 0, 0)
        );
        // from 20 days ago: the host's 3 HIGH and 1 CRITICAL
        assert_eq!((on(20, "HIGH"), on(20, "CRITICAL")), (3, 1));
        assert_eq!(
            (on(11, "MEDIUM"), on(10, "MEDIUM"), on(10, "LOW")),
            (0, 2, 1)
        );
        // 5 days ago two HIGH closed
        assert_eq!((on(6, "HIGH"), on(5, "HIGH"), on(3, "HIGH")), (3, 1, 1));
        // the re-scored one moved from HIGH to CRITICAL 2 days ago
        assert_eq!(
            (
                on(2, "HIGH"),
                on(3, "CRITICAL"),
                on(2, "CRITICAL"),
                on(0, "CRITICAL")
            ),
            (0, 1, 2, 2)
        );
        // mean time to remediate: 15 days, for the 2 HIGH
        let high = v["meanTimeToRemediate"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["severity"] == "HIGH")
            .unwrap();
        assert_eq!(high["closed"], 2);
        assert_eq!(high["meanDays"], 15.0);
        let crit = v["meanTimeToRemediate"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["severity"] == "CRITICAL")
            .unwrap();
        assert!(crit["meanDays"].is_null());
        // weeks: 7 findings new, 2 closed in all; every week starts on a Monday
        let weekly = v["weekly"].as_array().unwrap();
        let sum = |k: &str| weekly.iter().map(|w| w[k].as_u64().unwrap()).sum::<u64>();
        assert_eq!((sum("new"), sum("closed")), (7, 2));
        for w in weekly {
            let date = Date::parse(
                w["weekStart"].as_str().unwrap(),
                &time::macros::format_description!("[year]-[month]-[day]"),
            )
            .unwrap();
            assert_eq!(date.weekday(), time::Weekday::Monday);
        }
        // most vulnerable: the host (1 critical) first; the repository sums its two images
        assert_eq!(v["mostVulnerable"]["hosts"][0]["resourceId"], "i-1");
        assert_eq!(v["mostVulnerable"]["hosts"][0]["critical"], 2);
        assert_eq!(v["mostVulnerable"]["images"][0]["resourceId"], "sha256:aa");
        assert_eq!(v["mostVulnerable"]["images"][0]["repository"], "shop/web");
        let repo = &v["mostVulnerable"]["repositories"][0];
        assert_eq!(
            (
                repo["repository"].as_str(),
                repo["medium"].as_u64(),
                repo["images"].as_u64()
            ),
            (Some("shop/web"), Some(2), Some(2))
        );
    }
}
