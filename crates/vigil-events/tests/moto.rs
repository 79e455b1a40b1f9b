//! Differential test of the event-pattern matcher against moto's EventBridge (moto 5.2.5,
//! `moto.events.models.EventPattern`: the matcher moto's `PutEvents` routes rules with; its
//! `TestEventPattern` operation is not implemented in 5.2.5). Thousands of generated
//! pattern/event pairs, zero disagreements expected.
//!
//! The generator stays inside what EventBridge defines and moto implements the same way. It
//! leaves out, as moto's known deviations: arrays of objects in events (moto does not flatten
//! them), booleans compared with numbers (Python's `True == 1`), empty arrays in events (moto
//! says such a field exists), and strings with newlines (moto's wildcard regex has no DOTALL).

use std::process::Command;

use serde_json::{Value, json};
use vigil_events::Pattern;

/// xorshift64*: deterministic, seeded.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, l: &'a [T]) -> &'a T {
        &l[self.below(l.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const SEVERITIES: &[&str] = &["LOW", "MEDIUM", "HIGH", "CRITICAL", "high", "UNTRIAGED"];
const TITLES: &[&str] = &[
    "CVE-2024-1234 - openssl",
    "CVE-2023-0001 - requests",
    "GHSA-8q59-q68h-6hv4 - PyYAML",
    "cve-2022-9 - zlib",
    "a*b literal star",
    "",
];
const TAGS: &[&str] = &["prod", "Prod", "dev", "team-a", "team-b", "pci"];
const TYPES: &[&str] = &[
    "AWS_EC2_INSTANCE",
    "AWS_ECR_CONTAINER_IMAGE",
    "AWS_LAMBDA_FUNCTION",
];
const SCORES: &[f64] = &[0.0, 1.5, 4.0, 5.0, 6.9, 7.0, 7.5, 9.8, 10.0, -1.0, 300.0];

/// The fields an event may have: (path, kind).
const FIELDS: &[(&[&str], &str)] = &[
    (&["source"], "str"),
    (&["detail-type"], "str"),
    (&["detail", "severity"], "str"),
    (&["detail", "title"], "str"),
    (&["detail", "inspectorScore"], "num"),
    (&["detail", "tags"], "strs"),
    (&["detail", "fixAvailable"], "nullable"),
    (&["detail", "exploit"], "bool"),
    (&["detail", "resource", "type"], "str"),
    (&["detail", "resource", "id"], "str"),
    (&["detail", "resource"], "obj"),
    (&["detail", "missing"], "str"),
];

fn event(r: &mut Rng) -> Value {
    let mut d = serde_json::Map::new();
    if r.chance(90) {
        d.insert("severity".into(), json!(r.pick(SEVERITIES)));
    }
    if r.chance(85) {
        d.insert("title".into(), json!(r.pick(TITLES)));
    }
    if r.chance(85) {
        let s = *r.pick(SCORES);
        // integers travel as integers sometimes
        let v = if s.fract() == 0.0 && r.chance(50) {
            json!(s as i64)
        } else {
            json!(s)
        };
        d.insert("inspectorScore".into(), v);
    }
    if r.chance(70) {
        let n = 1 + r.below(3);
        let tags: Vec<&str> = (0..n).map(|_| *r.pick(TAGS)).collect();
        d.insert("tags".into(), json!(tags));
    }
    if r.chance(70) {
        d.insert(
            "fixAvailable".into(),
            match r.below(3) {
                0 => Value::Null,
                1 => json!("YES"),
                _ => json!("NO"),
            },
        );
    }
    if r.chance(60) {
        d.insert("exploit".into(), json!(r.chance(50)));
    }
    if r.chance(80) {
        d.insert(
            "resource".into(),
            json!({"type": r.pick(TYPES), "id": format!("i-{:x}", r.below(4))}),
        );
    }
    json!({
        "version": "0",
        "id": "00000000-0000-4000-8000-000000000000",
        "source": if r.chance(85) { "aws.inspector2" } else { "aws.ec2" },
        "detail-type": r.pick(&["Inspector2 Finding", "Inspector2 Scan", "Inspector2 Coverage"]),
        "account": "111122223333",
        "region": "us-east-1",
        "time": "2024-01-01T00:00:00Z",
        "resources": ["i-1"],
        "detail": Value::Object(d),
    })
}

fn string_value(r: &mut Rng, path: &[&str]) -> String {
    let pool: &[&str] = match path.last().copied() {
        Some("source") => &["aws.inspector2", "aws.ec2", "aws"],
        Some("detail-type") => &[
            "Inspector2 Finding",
            "Inspector2 Scan",
            "inspector2 finding",
        ],
        Some("severity") => SEVERITIES,
        Some("title") => TITLES,
        Some("type") => TYPES,
        Some("id") => &["i-0", "i-1", "i-2", "i-9"],
        _ => TAGS,
    };
    (*r.pick(pool)).to_owned()
}

fn affix(r: &mut Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = r.below(chars.len() + 1).min(chars.len());
    if r.chance(50) {
        chars[..n].iter().collect()
    } else {
        chars[chars.len() - n..].iter().collect()
    }
}

fn wildcard_of(r: &mut Rng, s: &str) -> String {
    let mut out = String::new();
    let mut last_star = false;
    for c in s.chars() {
        if r.chance(25) {
            if !last_star {
                out.push('*');
                last_star = true;
            }
        } else {
            if c == '*' {
                out.push_str("\\*");
            } else {
                out.push(c);
            }
            last_star = false;
        }
    }
    if r.chance(30) && !last_star {
        out.push('*');
    }
    out
}

fn matcher(r: &mut Rng, path: &[&str], kind: &str) -> Value {
    let s = string_value(r, path);
    let num = *r.pick(SCORES);
    match (kind, r.below(12)) {
        ("obj", _) => json!({"exists": r.chance(50)}),
        ("bool", 0..=5) => json!(r.chance(50)),
        ("bool", _) => json!({"exists": r.chance(50)}),
        ("num", 0..=2) => json!(num),
        ("num", 3..=6) => {
            let lo = *r.pick(SCORES);
            let hi = lo + r.below(6) as f64;
            match r.below(3) {
                0 => json!({"numeric": [r.pick(&["<", "<=", "=", ">=", ">"]), num]}),
                1 => json!({"numeric": [r.pick(&[">", ">="]), lo, r.pick(&["<", "<="]), hi]}),
                _ => json!({"numeric": ["=", num]}),
            }
        }
        ("num", 7..=8) => json!({"anything-but": [num, *r.pick(SCORES)]}),
        ("num", 9) => json!({"anything-but": num}),
        ("num", _) => json!({"exists": r.chance(50)}),
        ("nullable", 0..=3) => Value::Null,
        ("nullable", 4..=6) => json!(r.pick(&["YES", "NO"])),
        ("nullable", 7..=8) => json!({"anything-but": r.pick(&["YES", "NO"])}),
        ("nullable", _) => json!({"exists": r.chance(50)}),
        (_, 0..=2) => json!(s),
        (_, 3) => json!({"prefix": affix(r, &s)}),
        (_, 4) => json!({"suffix": affix(r, &s)}),
        (_, 5) => {
            let a = affix(r, &s).to_uppercase();
            let op = *r.pick(&["prefix", "suffix"]);
            json!({op: {"equals-ignore-case": a}})
        }
        (_, 6) => {
            json!({"equals-ignore-case": if r.chance(50) { s.to_lowercase() } else { s.to_uppercase() }})
        }
        (_, 7) => json!({"wildcard": wildcard_of(r, &s)}),
        (_, 8) => {
            let other = string_value(r, path);
            json!({"anything-but": [s, other]})
        }
        (_, 9) => match r.below(4) {
            0 => json!({"anything-but": s}),
            1 => json!({"anything-but": {"prefix": affix(r, &s)}}),
            2 => json!({"anything-but": {"suffix": affix(r, &s)}}),
            _ => json!({"anything-but": {"equals-ignore-case": s.to_uppercase()}}),
        },
        (_, 10) => json!({"exists": r.chance(50)}),
        (_, _) => json!(num),
    }
}

fn insert(obj: &mut serde_json::Map<String, Value>, path: &[&str], leaf: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        obj.insert((*first).to_owned(), leaf);
        return;
    }
    let child = obj.entry((*first).to_owned()).or_insert_with(|| json!({}));
    if !child.is_object() {
        // a leaf list already sits here: a nested condition cannot also
        return;
    }
    if let Some(c) = child.as_object_mut() {
        insert(c, rest, leaf);
    }
}

fn conditions(r: &mut Rng, n: usize) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    for _ in 0..n {
        let (path, kind) = *r.pick(FIELDS);
        // a nested object and a leaf list cannot share a key: skip clashes
        let clash = (kind == "obj"
            && p.get("detail")
                .and_then(|d| d.get("resource"))
                .is_some_and(Value::is_object))
            || (path.len() == 3
                && p.get("detail")
                    .and_then(|d| d.get("resource"))
                    .is_some_and(Value::is_array));
        if clash {
            continue;
        }
        let k = 1 + r.below(3);
        let list: Vec<Value> = (0..k).map(|_| matcher(r, path, kind)).collect();
        insert(&mut p, path, Value::Array(list));
    }
    p
}

fn pattern(r: &mut Rng) -> Value {
    let n = 1 + r.below(3);
    let mut p = conditions(r, n);
    if r.chance(25) {
        let alts: Vec<Value> = (0..2 + r.below(2))
            .map(|_| {
                let n = 1 + r.below(2);
                Value::Object(conditions(r, n))
            })
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
            .collect();
        if alts.len() >= 2 {
            if r.chance(50) {
                p.insert("$or".into(), Value::Array(alts));
            } else if let Some(d) = p.get_mut("detail").and_then(Value::as_object_mut) {
                // $or below a key: alternatives relative to `detail`
                let rel: Vec<Value> = alts
                    .into_iter()
                    .filter_map(|a| a.get("detail").cloned())
                    .filter(Value::is_object)
                    .collect();
                if rel.len() >= 2 {
                    d.insert("$or".into(), Value::Array(rel));
                }
            }
        }
    }
    if p.is_empty() {
        p.insert("source".into(), json!(["aws.inspector2"]));
    }
    Value::Object(p)
}

const MOTO: &str = r#"
import json, sys
from moto.events.models import EventPattern
cases = json.load(open(sys.argv[1]))
print(json.dumps([EventPattern.load(json.dumps(c["pattern"])).matches_event(c["event"]) for c in cases]))
"#;

#[test]
fn matcher_agrees_with_moto_on_generated_patterns() {
    let mut r = Rng(0x5eed_1234_abcd_0001);
    let mut cases = Vec::new();
    while cases.len() < 4000 {
        let p = pattern(&mut r);
        // only patterns both sides accept (ours rejects a few moto takes, such as mixed
        // anything-but lists; none are generated on purpose)
        let Ok(compiled) = Pattern::compile(&p) else {
            panic!("generated pattern refused: {p}");
        };
        for _ in 0..4 {
            let e = event(&mut r);
            let ours = compiled.matches(&e);
            cases.push((p.clone(), e, ours));
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("cases.json");
    let doc: Vec<Value> = cases
        .iter()
        .map(|(p, e, _)| json!({"pattern": p, "event": e}))
        .collect();
    std::fs::write(&file, serde_json::to_vec(&doc).expect("json")).expect("write");
    let out = Command::new("python3")
        .arg("-c")
        .arg(MOTO)
        .arg(&file)
        .output()
        .expect("python3 with moto[server]==5.2.5 (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "moto failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<bool> = serde_json::from_slice(&out.stdout).expect("moto answers");
    assert_eq!(theirs.len(), cases.len());
    let matched = theirs.iter().filter(|m| **m).count();
    // a useful mix of outcomes
    assert!(
        matched > cases.len() / 10 && matched < cases.len() * 9 / 10,
        "{matched} of {}",
        cases.len()
    );
    eprintln!(
        "{} pattern/event pairs, {matched} matched by moto",
        cases.len()
    );
    let disagreements: Vec<String> = cases
        .iter()
        .zip(&theirs)
        .filter(|((_, _, ours), theirs)| ours != *theirs)
        .map(|((p, e, ours), _)| format!("ours={ours} pattern={p} event={}", e["detail"]))
        .collect();
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first: {:#?}",
        disagreements.len(),
        &disagreements[..disagreements.len().min(5)]
    );
}
