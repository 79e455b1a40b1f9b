//! EventBridge event patterns: compiled once (every malformed part rejected with its path),
//! then matched against many events.
//!
//! Supported (as in EventBridge's "Creating event patterns" and "Content filtering"):
//! - nested objects: a key whose value is an object matches members below it;
//! - a list of alternatives at a leaf: exact strings, numbers (compared numerically), `true`,
//!   `false`, `null`; `{"prefix": s}`, `{"prefix": {"equals-ignore-case": s}}`, `{"suffix": s}`,
//!   `{"suffix": {"equals-ignore-case": s}}`, `{"equals-ignore-case": s}`, `{"wildcard": s}`,
//!   `{"anything-but": value | [values] | {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": …}}`,
//!   `{"numeric": [op, n]}` / `{"numeric": [">"|">=", n, "<"|"<=", m]}`, `{"exists": bool}`;
//! - `"$or": [pattern, pattern, …]` at any level.
//!
//! Matching follows EventBridge's flattening: the values at a path are every leaf reached by
//! following the path's keys, through arrays at any level (an array of scalars is a set of
//! values; an array of objects spreads the path over its elements). A leaf list matches when
//! any value matches any alternative; `{"exists": true}` needs at least one leaf value at the
//! path (objects are not leaves), `{"exists": false}` none.

use serde_json::{Map, Value};

/// A pattern that could not be compiled: where (a path below the pattern's root, such as
/// `detail.severity[1]`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PatternError {
    pub path: String,
    pub message: String,
}

/// The largest pattern accepted (JSON text), and its deepest nesting.
pub const MAX_PATTERN_BYTES: usize = 8192;
pub const MAX_DEPTH: usize = 16;
/// EventBridge's numeric range bounds.
const NUMERIC_LIMIT: f64 = 5.0e9;

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    fields: Vec<(String, Field)>,
    /// Each `$or` group: at least one alternative must match.
    ors: Vec<Vec<Node>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Nested(Node),
    Leaf(Vec<Matcher>),
}

#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

impl Scalar {
    fn of(v: &Value) -> Option<Scalar> {
        match v {
            Value::String(s) => Some(Scalar::Str(s.clone())),
            Value::Number(n) => n.as_f64().map(Scalar::Num),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            Value::Null => Some(Scalar::Null),
            _ => None,
        }
    }

    fn eq_value(&self, v: &Value) -> bool {
        match (self, v) {
            (Scalar::Str(a), Value::String(b)) => a == b,
            (Scalar::Num(a), Value::Number(b)) => b.as_f64() == Some(*a),
            (Scalar::Bool(a), Value::Bool(b)) => a == b,
            (Scalar::Null, Value::Null) => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

#[derive(Debug, Clone, PartialEq)]
enum Text {
    Prefix(String),
    PrefixIgnoreCase(String),
    Suffix(String),
    SuffixIgnoreCase(String),
    EqualsIgnoreCase(String),
    Wildcard(String),
}

impl Text {
    fn matches(&self, s: &str) -> bool {
        match self {
            Text::Prefix(p) => s.starts_with(p.as_str()),
            Text::Suffix(p) => s.ends_with(p.as_str()),
            Text::PrefixIgnoreCase(p) => s.to_lowercase().starts_with(&p.to_lowercase()),
            Text::SuffixIgnoreCase(p) => s.to_lowercase().ends_with(&p.to_lowercase()),
            Text::EqualsIgnoreCase(p) => s.to_lowercase() == p.to_lowercase(),
            Text::Wildcard(p) => wildcard(p, s),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    Exact(Scalar),
    Text(Text),
    /// Matches a value none of whose alternatives match (the value must exist).
    AnythingBut(Vec<Scalar>),
    AnythingButText(Vec<Text>),
    Numeric(Vec<(Op, f64)>),
    Exists(bool),
}

impl Matcher {
    fn matches_value(&self, v: &Value) -> bool {
        match self {
            Matcher::Exact(s) => s.eq_value(v),
            Matcher::Text(t) => v.as_str().is_some_and(|s| t.matches(s)),
            Matcher::AnythingBut(list) => !list.iter().any(|s| s.eq_value(v)),
            Matcher::AnythingButText(list) => match v.as_str() {
                Some(s) => !list.iter().any(|t| t.matches(s)),
                None => true,
            },
            Matcher::Numeric(conds) => match v {
                Value::Number(n) => n.as_f64().is_some_and(|x| {
                    conds.iter().all(|(op, y)| match op {
                        Op::Lt => x < *y,
                        Op::Le => x <= *y,
                        Op::Eq => x == *y,
                        Op::Ge => x >= *y,
                        Op::Gt => x > *y,
                    })
                }),
                _ => false,
            },
            Matcher::Exists(_) => false,
        }
    }
}

/// `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash.
fn wildcard(pattern: &str, s: &str) -> bool {
    // tokens: Some(c) literal, None a star
    let mut toks: Vec<Option<char>> = Vec::new();
    let mut it = pattern.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' if matches!(it.peek(), Some('*') | Some('\\')) => {
                toks.push(it.next());
            }
            '*' => toks.push(None),
            c => toks.push(Some(c)),
        }
    }
    let chars: Vec<char> = s.chars().collect();
    // greedy with backtracking to the last star: linear in practice
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < chars.len() {
        match toks.get(p) {
            Some(Some(c)) if *c == chars[i] => {
                p += 1;
                i += 1;
            }
            Some(None) => {
                star = Some((p, i));
                p += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(Option::is_none)
}

fn err(path: &str, message: impl Into<String>) -> PatternError {
    PatternError {
        path: if path.is_empty() {
            "(root)".into()
        } else {
            path.to_owned()
        },
        message: message.into(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Pattern {
    /// Compiles a pattern given as JSON text.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        if text.len() > MAX_PATTERN_BYTES {
            return Err(err(
                "",
                format!("pattern is longer than {MAX_PATTERN_BYTES} bytes"),
            ));
        }
        let v: Value =
            serde_json::from_str(text).map_err(|e| err("", format!("not valid JSON: {e}")))?;
        Pattern::compile(&v)
    }

    /// Compiles a pattern given as a JSON value (an object).
    pub fn compile(v: &Value) -> Result<Pattern, PatternError> {
        let Value::Object(o) = v else {
            return Err(err("", "a pattern must be a JSON object"));
        };
        if v.to_string().len() > MAX_PATTERN_BYTES {
            return Err(err(
                "",
                format!("pattern is longer than {MAX_PATTERN_BYTES} bytes"),
            ));
        }
        Ok(Pattern {
            root: node(o, "", 0)?,
        })
    }

    /// Does the event (an EventBridge envelope) match?
    pub fn matches(&self, event: &Value) -> bool {
        self.root.matches(event, &mut Vec::new())
    }
}

fn node(o: &Map<String, Value>, path: &str, depth: usize) -> Result<Node, PatternError> {
    if depth > MAX_DEPTH {
        return Err(err(path, format!("nested deeper than {MAX_DEPTH} levels")));
    }
    let mut n = Node {
        fields: Vec::new(),
        ors: Vec::new(),
    };
    for (k, v) in o {
        let here = join(path, k);
        if k == "$or" {
            let Value::Array(alts) = v else {
                return Err(err(&here, "`$or` needs an array of patterns"));
            };
            if alts.len() < 2 {
                return Err(err(&here, "`$or` needs at least two patterns"));
            }
            let mut group = Vec::new();
            for (i, a) in alts.iter().enumerate() {
                let at = format!("{here}[{i}]");
                let Value::Object(ao) = a else {
                    return Err(err(&at, "each `$or` alternative must be an object"));
                };
                if ao.is_empty() {
                    return Err(err(&at, "an `$or` alternative must not be empty"));
                }
                group.push(node(ao, path, depth + 1).map_err(|mut e| {
                    if !e.path.starts_with(&at) {
                        e.path = format!("{at}: {}", e.path);
                    }
                    e
                })?);
            }
            n.ors.push(group);
            continue;
        }
        match v {
            Value::Object(child) => {
                if child.is_empty() {
                    return Err(err(&here, "an empty object matches nothing; remove it"));
                }
                n.fields
                    .push((k.clone(), Field::Nested(node(child, &here, depth + 1)?)));
            }
            Value::Array(list) => {
                if list.is_empty() {
                    return Err(err(&here, "empty arrays are not allowed"));
                }
                let mut ms = Vec::new();
                for (i, item) in list.iter().enumerate() {
                    ms.push(matcher(item, &format!("{here}[{i}]"))?);
                }
                n.fields.push((k.clone(), Field::Leaf(ms)));
            }
            _ => {
                return Err(err(
                    &here,
                    "must be an object or an array (wrap a single value in [ ])",
                ));
            }
        }
    }
    Ok(n)
}

fn string_of<'a>(v: &'a Value, path: &str, what: &str) -> Result<&'a str, PatternError> {
    v.as_str()
        .ok_or_else(|| err(path, format!("{what} needs a string")))
}

/// `s` or `{"equals-ignore-case": s}` after `prefix`/`suffix`.
fn affix(v: &Value, path: &str, name: &str) -> Result<(String, bool), PatternError> {
    match v {
        Value::String(s) => Ok((s.clone(), false)),
        Value::Object(o) if o.len() == 1 && o.contains_key("equals-ignore-case") => {
            let s = string_of(
                &o["equals-ignore-case"],
                &format!("{path}.{name}.equals-ignore-case"),
                "equals-ignore-case",
            )?;
            Ok((s.to_owned(), true))
        }
        _ => Err(err(
            path,
            format!("{name} needs a string or {{\"equals-ignore-case\": string}}"),
        )),
    }
}

fn wildcard_text(s: &str, path: &str) -> Result<Text, PatternError> {
    if s.contains("**") {
        return Err(err(path, "wildcard must not contain consecutive `*`"));
    }
    Ok(Text::Wildcard(s.to_owned()))
}

fn matcher(item: &Value, path: &str) -> Result<Matcher, PatternError> {
    if let Some(s) = Scalar::of(item) {
        if let Scalar::Num(x) = s
            && !x.is_finite()
        {
            return Err(err(path, "numbers must be finite"));
        }
        return Ok(Matcher::Exact(s));
    }
    let Value::Object(o) = item else {
        return Err(err(
            path,
            "alternatives are strings, numbers, booleans, null or one-operator objects",
        ));
    };
    if o.len() != 1 {
        return Err(err(path, "an operator object must have exactly one member"));
    }
    let Some((op, arg)) = o.iter().next() else {
        return Err(err(path, "an operator object must have exactly one member"));
    };
    let at = format!("{path}.{op}");
    match op.as_str() {
        "prefix" => {
            let (s, ci) = affix(arg, path, "prefix")?;
            Ok(Matcher::Text(if ci {
                Text::PrefixIgnoreCase(s)
            } else {
                Text::Prefix(s)
            }))
        }
        "suffix" => {
            let (s, ci) = affix(arg, path, "suffix")?;
            Ok(Matcher::Text(if ci {
                Text::SuffixIgnoreCase(s)
            } else {
                Text::Suffix(s)
            }))
        }
        "equals-ignore-case" => Ok(Matcher::Text(Text::EqualsIgnoreCase(
            string_of(arg, &at, "equals-ignore-case")?.to_owned(),
        ))),
        "wildcard" => Ok(Matcher::Text(wildcard_text(
            string_of(arg, &at, "wildcard")?,
            &at,
        )?)),
        "exists" => match arg {
            Value::Bool(b) => Ok(Matcher::Exists(*b)),
            _ => Err(err(&at, "exists needs true or false")),
        },
        "numeric" => numeric(arg, &at),
        "anything-but" => anything_but(arg, &at),
        "cidr" => Err(err(&at, "cidr matching is not supported by Vigil")),
        other => Err(err(
            path,
            format!(
                "unknown operator `{other}` (prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists)"
            ),
        )),
    }
}

fn numeric(arg: &Value, path: &str) -> Result<Matcher, PatternError> {
    let Value::Array(list) = arg else {
        return Err(err(
            path,
            "numeric range needs an array: [op, number] or [\">\"|\">=\", number, \"<\"|\"<=\", number]",
        ));
    };
    if list.len() != 2 && list.len() != 4 {
        return Err(err(
            path,
            "numeric range needs [op, number] or [\">\"|\">=\", number, \"<\"|\"<=\", number]",
        ));
    }
    let mut conds = Vec::new();
    for (i, pair) in list.chunks(2).enumerate() {
        let op = match pair[0].as_str() {
            Some("<") => Op::Lt,
            Some("<=") => Op::Le,
            Some("=") => Op::Eq,
            Some(">=") => Op::Ge,
            Some(">") => Op::Gt,
            _ => {
                return Err(err(
                    &format!("{path}[{}]", 2 * i),
                    "numeric range needs an operator: <, <=, =, >=, >",
                ));
            }
        };
        let Some(x) = pair.get(1).and_then(Value::as_f64) else {
            return Err(err(
                &format!("{path}[{}]", 2 * i + 1),
                "numeric range needs a number after its operator",
            ));
        };
        if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&x) {
            return Err(err(
                &format!("{path}[{}]", 2 * i + 1),
                format!("numeric range bounds must lie within ±{NUMERIC_LIMIT:e}"),
            ));
        }
        conds.push((op, x));
    }
    if conds.len() == 2 {
        let lower = matches!(conds[0].0, Op::Gt | Op::Ge);
        let upper = matches!(conds[1].0, Op::Lt | Op::Le);
        if !lower || !upper {
            return Err(err(
                path,
                "numeric range with two conditions needs a lower bound (> or >=) then an upper bound (< or <=)",
            ));
        }
        if conds[0].1 > conds[1].1 {
            return Err(err(
                path,
                "numeric range's lower bound is above its upper bound",
            ));
        }
    }
    Ok(Matcher::Numeric(conds))
}

fn anything_but(arg: &Value, path: &str) -> Result<Matcher, PatternError> {
    match arg {
        Value::String(_) | Value::Number(_) => {
            Ok(Matcher::AnythingBut(Scalar::of(arg).into_iter().collect()))
        }
        Value::Array(list) => {
            if list.is_empty() {
                return Err(err(path, "anything-but needs at least one value"));
            }
            let strings = list.iter().all(Value::is_string);
            let numbers = list.iter().all(Value::is_number);
            if !strings && !numbers {
                return Err(err(
                    path,
                    "anything-but needs a list of strings or a list of numbers",
                ));
            }
            Ok(Matcher::AnythingBut(
                list.iter().filter_map(Scalar::of).collect(),
            ))
        }
        Value::Object(o) if o.len() == 1 => {
            let Some((op, v)) = o.iter().next() else {
                return Err(err(path, "anything-but needs one operator"));
            };
            let at = format!("{path}.{op}");
            let texts: Vec<&Value> = match v {
                Value::Array(l) if matches!(op.as_str(), "equals-ignore-case" | "wildcard") => {
                    if l.is_empty() {
                        return Err(err(&at, "needs at least one string"));
                    }
                    l.iter().collect()
                }
                v => vec![v],
            };
            let mut out = Vec::new();
            for (i, t) in texts.iter().enumerate() {
                let s = t.as_str().ok_or_else(|| {
                    err(
                        &if texts.len() > 1 || v.is_array() {
                            format!("{at}[{i}]")
                        } else {
                            at.clone()
                        },
                        format!("anything-but {op} needs a string"),
                    )
                })?;
                out.push(match op.as_str() {
                    "prefix" => Text::Prefix(s.to_owned()),
                    "suffix" => Text::Suffix(s.to_owned()),
                    "equals-ignore-case" => Text::EqualsIgnoreCase(s.to_owned()),
                    "wildcard" => wildcard_text(s, &at)?,
                    other => {
                        return Err(err(
                            path,
                            format!(
                                "anything-but takes prefix, suffix, equals-ignore-case or wildcard, not `{other}`"
                            ),
                        ));
                    }
                });
            }
            Ok(Matcher::AnythingButText(out))
        }
        _ => Err(err(
            path,
            "anything-but needs a string, a number, a list of them, or one of prefix/suffix/equals-ignore-case/wildcard",
        )),
    }
}

/// Every leaf value reached from `v` along `path`, through arrays at any level.
fn leaves<'a>(v: &'a Value, path: &[&str], out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => {
            for i in items {
                leaves(i, path, out);
            }
        }
        Value::Object(o) => {
            if let Some((first, rest)) = path.split_first()
                && let Some(child) = o.get(*first)
            {
                leaves(child, rest, out);
            }
        }
        scalar => {
            if path.is_empty() {
                out.push(scalar);
            }
        }
    }
}

impl Node {
    fn matches<'p>(&'p self, event: &Value, path: &mut Vec<&'p str>) -> bool {
        for (k, f) in &self.fields {
            path.push(k.as_str());
            let ok = match f {
                Field::Nested(n) => n.matches(event, path),
                Field::Leaf(ms) => {
                    let mut vals = Vec::new();
                    leaves(event, path, &mut vals);
                    ms.iter().any(|m| match m {
                        Matcher::Exists(want) => vals.is_empty() != *want,
                        m => vals.iter().any(|v| m.matches_value(v)),
                    })
                }
            };
            path.pop();
            if !ok {
                return false;
            }
        }
        self.ors
            .iter()
            .all(|group| group.iter().any(|alt| alt.matches(event, path)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(p: Value, e: Value) -> bool {
        Pattern::compile(&p).unwrap().matches(&e)
    }

    fn bad(p: Value) -> String {
        Pattern::compile(&p).unwrap_err().to_string()
    }

    #[test]
    fn exact_and_nested() {
        let e = json!({"source": "aws.inspector2", "detail": {"severity": "HIGH", "inspectorScore": 7.5, "fixAvailable": null, "ok": true}});
        assert!(m(json!({"source": ["aws.inspector2"]}), e.clone()));
        assert!(!m(json!({"source": ["aws.ec2"]}), e.clone()));
        assert!(m(
            json!({"detail": {"severity": ["LOW", "HIGH"]}}),
            e.clone()
        ));
        assert!(m(json!({"detail": {"inspectorScore": [7.50]}}), e.clone()));
        assert!(!m(
            json!({"detail": {"inspectorScore": ["7.5"]}}),
            e.clone()
        ));
        assert!(m(json!({"detail": {"fixAvailable": [null]}}), e.clone()));
        assert!(!m(json!({"detail": {"missing": [null]}}), e.clone()));
        assert!(m(json!({"detail": {"ok": [true]}}), e.clone()));
        assert!(!m(json!({"detail": {"ok": [1]}}), e.clone()));
        // an object is not a leaf
        assert!(!m(json!({"detail": ["x"]}), e));
    }

    #[test]
    fn operators() {
        let e = json!({"detail": {"title": "CVE-2024-1234 - openssl", "score": 9.8, "tags": ["a", "Prod"]}});
        assert!(m(
            json!({"detail": {"title": [{"prefix": "CVE-"}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"title": [{"prefix": {"equals-ignore-case": "cve-2024"}}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"title": [{"suffix": "ssl"}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"title": [{"suffix": {"equals-ignore-case": "OPENSSL"}}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"title": [{"equals-ignore-case": "cve-2024-1234 - OPENSSL"}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"title": [{"wildcard": "CVE-* openssl"}]}}),
            e.clone()
        ));
        assert!(!m(
            json!({"detail": {"title": [{"wildcard": "CVE-*-curl"}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"score": [{"numeric": [">=", 9, "<", 10]}]}}),
            e.clone()
        ));
        assert!(!m(
            json!({"detail": {"score": [{"numeric": ["<", 9]}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"score": [{"numeric": ["=", 9.8]}]}}),
            e.clone()
        ));
        assert!(m(json!({"detail": {"tags": ["Prod"]}}), e.clone()));
        assert!(m(
            json!({"detail": {"tags": [{"anything-but": "a"}]}}),
            e.clone()
        ));
        assert!(!m(
            json!({"detail": {"tags": [{"anything-but": ["a", "Prod"]}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"title": [{"anything-but": {"prefix": "GHSA"}}]}}),
            e.clone()
        ));
        assert!(!m(
            json!({"detail": {"title": [{"anything-but": {"prefix": "CVE"}}]}}),
            e.clone()
        ));
        assert!(!m(
            json!({"detail": {"nope": [{"anything-but": "x"}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"score": [{"exists": true}]}}),
            e.clone()
        ));
        assert!(m(
            json!({"detail": {"nope": [{"exists": false}]}}),
            e.clone()
        ));
        assert!(!m(
            json!({"detail": {"score": [{"exists": false}]}}),
            e.clone()
        ));
        assert!(!m(json!({"detail": [{"exists": true}]}), e));
    }

    #[test]
    fn or_and_arrays_of_objects() {
        let e = json!({"detail": {"severity": "LOW", "resources": [{"type": "AWS_EC2_INSTANCE", "id": "i-1"}, {"type": "AWS_ECR_CONTAINER_IMAGE"}]}});
        assert!(m(
            json!({"detail": {"resources": {"type": ["AWS_ECR_CONTAINER_IMAGE"]}}}),
            e.clone()
        ));
        assert!(m(
            json!({"$or": [{"detail": {"severity": ["HIGH"]}}, {"detail": {"resources": {"id": [{"prefix": "i-"}]}}}]}),
            e.clone()
        ));
        assert!(!m(
            json!({"detail": {"$or": [{"severity": ["HIGH"]}, {"severity": ["CRITICAL"]}]}}),
            e
        ));
    }

    #[test]
    fn wildcard_escapes() {
        assert!(wildcard("a*b", "aXXb"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a\\*b", "a*b"));
        assert!(!wildcard("a\\*b", "aXb"));
        assert!(wildcard("*a*a", "banana"));
        assert!(!wildcard("*a*c", "banana"));
    }

    #[test]
    fn rejections_name_the_field() {
        assert_eq!(
            bad(json!({"detail": {"severity": ["HIGH", {"numeric": [">", "x"]}]}})),
            "detail.severity[1].numeric[1]: numeric range needs a number after its operator"
        );
        assert!(
            bad(json!({"detail": {"severity": "HIGH"}})).starts_with("detail.severity: must be")
        );
        assert!(
            bad(json!({"detail": {"severity": []}})).starts_with("detail.severity: empty arrays")
        );
        assert!(
            bad(json!({"a": [{"numeric": ["<", 5, ">", 1]}]}))
                .starts_with("a[0].numeric: numeric range with two")
        );
        assert!(bad(json!({"a": [{"exists": "yes"}]})).starts_with("a[0].exists: exists needs"));
        assert!(bad(json!({"a": [{"bogus": 1}]})).starts_with("a[0]: unknown operator `bogus`"));
        assert!(bad(json!({"a": [{"prefix": 3}]})).starts_with("a[0]: prefix needs"));
        assert!(bad(json!({"$or": [{"a": ["x"]}]})).starts_with("$or: `$or` needs at least two"));
        assert!(
            bad(json!({"a": [{"anything-but": [1, "x"]}]}))
                .starts_with("a[0].anything-but: anything-but needs a list")
        );
        assert!(bad(json!(["x"])).starts_with("(root): a pattern must be"));
        assert!(
            Pattern::parse("{")
                .unwrap_err()
                .to_string()
                .contains("not valid JSON")
        );
    }
}
