//! Reading values out of finding JSON by dotted path.

use serde_json::Value;

/// Every value at `path` in `root`.
///
/// `path` is dot-separated member names; a `[]` suffix on a segment marks an
/// array in the model (`resources[].details.awsEcrContainerImage.imageTags[]`).
/// Arrays met along the way are flattened whether marked or not, so the result
/// holds one entry per leaf. Missing members and JSON `null`s contribute
/// nothing.
pub fn collect<'a>(root: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current: Vec<&'a Value> = Vec::new();
    push_flat(Some(root), &mut current);
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let name = segment.strip_suffix("[]").unwrap_or(segment);
        let mut next = Vec::new();
        for v in current {
            push_flat(v.get(name), &mut next);
        }
        current = next;
        if current.is_empty() {
            break;
        }
    }
    current
}

fn push_flat<'a>(v: Option<&'a Value>, out: &mut Vec<&'a Value>) {
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                push_flat(Some(item), out);
            }
        }
        Some(other) => out.push(other),
    }
}

/// The first value at `path` ([`collect`] order), if any.
pub fn first<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    collect(root, path).into_iter().next()
}

/// A scalar as the string a `StringFilter` compares against: strings as is,
/// numbers and booleans in their JSON spelling; objects and arrays have none.
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number, also accepting a numeric string.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}
