//! Parsing IAM identity policies, with errors that name the element at fault.

use serde_json::Value;

use crate::condition::{Condition, Operator, SetQualifier};
use crate::glob::Glob;
use crate::variables::Template;

/// The largest policy document accepted, in characters without white space (IAM's limit for a
/// managed policy).
pub const MAX_POLICY_CHARS: usize = 6144;
/// At most this many statements.
pub const MAX_STATEMENTS: usize = 100;

/// Why a policy document was refused: where (`Statement[1].Action[0]`) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PolicyError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.into(),
        message: message.into(),
    }
}

/// The policy language version: `2012-10-17` substitutes policy variables, `2008-10-17`
/// (and no version) does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2008,
    V2012,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction` (and the same for resources): the statement applies to what the
/// list matches, or to everything it does not.
#[derive(Debug, Clone)]
pub(crate) struct Matchers<T> {
    pub(crate) negated: bool,
    pub(crate) items: Vec<T>,
}

/// A `Resource` entry: `*`, or an ARN pattern (with policy variables under 2012-10-17).
#[derive(Debug, Clone)]
pub(crate) enum ResourcePattern {
    Any,
    Fixed(Glob),
    Template(Template),
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub(crate) actions: Matchers<Glob>,
    pub(crate) resources: Matchers<ResourcePattern>,
    pub(crate) conditions: Vec<Condition>,
}

/// A parsed identity policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub version: Version,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Parses a policy document (JSON text).
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let size = text.chars().filter(|c| !c.is_whitespace()).count();
        if size > MAX_POLICY_CHARS {
            return Err(err(
                "(document)",
                format!(
                    "{size} characters (white space aside) exceed the limit of {MAX_POLICY_CHARS}"
                ),
            ));
        }
        let v: Value = serde_json::from_str(text)
            .map_err(|e| err("(document)", format!("not valid JSON: {e}")))?;
        Policy::from_value(&v)
    }

    /// Parses a policy document already read as JSON.
    pub fn from_value(v: &Value) -> Result<Policy, PolicyError> {
        let Some(doc) = v.as_object() else {
            return Err(err("(document)", "must be a JSON object"));
        };
        for key in doc.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(err(key.as_str(), "unknown policy element"));
            }
        }
        let version = match doc.get("Version") {
            None => Version::V2008,
            Some(Value::String(s)) if s == "2012-10-17" => Version::V2012,
            Some(Value::String(s)) if s == "2008-10-17" => Version::V2008,
            Some(_) => return Err(err("Version", "must be \"2012-10-17\" or \"2008-10-17\"")),
        };
        let id = match doc.get("Id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(err("Id", "must be a string")),
        };
        let list: Vec<(String, &Value)> = match doc.get("Statement") {
            None => return Err(err("Statement", "is required")),
            Some(Value::Array(a)) if a.is_empty() => {
                return Err(err("Statement", "must hold at least one statement"));
            }
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("Statement[{i}]"), s))
                .collect(),
            Some(s @ Value::Object(_)) => vec![("Statement".to_owned(), s)],
            Some(_) => return Err(err("Statement", "must be an object or a list of objects")),
        };
        if list.len() > MAX_STATEMENTS {
            return Err(err(
                "Statement",
                format!(
                    "{} statements exceed the limit of {MAX_STATEMENTS}",
                    list.len()
                ),
            ));
        }
        let mut statements = Vec::with_capacity(list.len());
        let mut sids = std::collections::HashSet::new();
        for (path, s) in list {
            let st = statement(&path, s, version)?;
            if let Some(sid) = &st.sid
                && !sids.insert(sid.clone())
            {
                return Err(err(format!("{path}.Sid"), format!("`{sid}` is used twice")));
            }
            statements.push(st);
        }
        Ok(Policy {
            version,
            id,
            statements,
        })
    }
}

fn statement(path: &str, v: &Value, version: Version) -> Result<Statement, PolicyError> {
    let Some(s) = v.as_object() else {
        return Err(err(path, "must be a JSON object"));
    };
    for key in s.keys() {
        match key.as_str() {
            "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource"
            | "Condition" => {}
            "Principal" | "NotPrincipal" => {
                return Err(err(
                    format!("{path}.{key}"),
                    "is not allowed in an identity policy (the principal is whoever holds it)",
                ));
            }
            _ => return Err(err(format!("{path}.{key}"), "unknown statement element")),
        }
    }
    let sid = match s.get("Sid") {
        None => None,
        Some(Value::String(x)) if x.chars().all(|c| c.is_ascii_alphanumeric()) => Some(x.clone()),
        Some(Value::String(_)) => {
            return Err(err(
                format!("{path}.Sid"),
                "may hold only letters and digits",
            ));
        }
        Some(_) => return Err(err(format!("{path}.Sid"), "must be a string")),
    };
    let effect = match s.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        None => return Err(err(format!("{path}.Effect"), "is required")),
        Some(_) => {
            return Err(err(
                format!("{path}.Effect"),
                "must be \"Allow\" or \"Deny\"",
            ));
        }
    };
    let actions = match (s.get("Action"), s.get("NotAction")) {
        (Some(_), Some(_)) => {
            return Err(err(path, "has both Action and NotAction"));
        }
        (None, None) => return Err(err(path, "needs Action or NotAction")),
        (Some(a), None) => Matchers {
            negated: false,
            items: action_list(&format!("{path}.Action"), a)?,
        },
        (None, Some(a)) => Matchers {
            negated: true,
            items: action_list(&format!("{path}.NotAction"), a)?,
        },
    };
    let resources = match (s.get("Resource"), s.get("NotResource")) {
        (Some(_), Some(_)) => return Err(err(path, "has both Resource and NotResource")),
        (None, None) => return Err(err(path, "needs Resource or NotResource")),
        (Some(r), None) => Matchers {
            negated: false,
            items: resource_list(&format!("{path}.Resource"), r, version)?,
        },
        (None, Some(r)) => Matchers {
            negated: true,
            items: resource_list(&format!("{path}.NotResource"), r, version)?,
        },
    };
    let conditions = match s.get("Condition") {
        None => Vec::new(),
        Some(c) => conditions(&format!("{path}.Condition"), c, version)?,
    };
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        conditions,
    })
}

/// A string or a non-empty list of strings.
fn strings<'a>(path: &str, v: &'a Value) -> Result<Vec<(String, &'a str)>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![(path.to_owned(), s.as_str())]),
        Value::Array(a) if a.is_empty() => Err(err(path, "must not be empty")),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let p = format!("{path}[{i}]");
                x.as_str()
                    .map(|s| (p.clone(), s))
                    .ok_or_else(|| err(p, "must be a string"))
            })
            .collect(),
        _ => Err(err(path, "must be a string or a list of strings")),
    }
}

fn action_list(path: &str, v: &Value) -> Result<Vec<Glob>, PolicyError> {
    strings(path, v)?
        .into_iter()
        .map(|(p, a)| {
            if a == "*" {
                return Ok(Glob::action(a));
            }
            let Some((service, name)) = a.split_once(':') else {
                return Err(err(p, format!("`{a}` must be `service:Action` or `*`")));
            };
            let prefix_ok = !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-');
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?');
            if !prefix_ok || !name_ok {
                return Err(err(
                    p,
                    format!(
                        "`{a}`: a service prefix (letters, digits, `-`) and an action name (letters, digits, `*`, `?`)"
                    ),
                ));
            }
            Ok(Glob::action(a))
        })
        .collect()
}

fn resource_list(
    path: &str,
    v: &Value,
    version: Version,
) -> Result<Vec<ResourcePattern>, PolicyError> {
    strings(path, v)?
        .into_iter()
        .map(|(p, r)| {
            if r == "*" {
                return Ok(ResourcePattern::Any);
            }
            if !r.starts_with("arn:") || r.split(':').count() < 6 {
                return Err(err(
                    p,
                    format!("`{r}` is not an ARN (`arn:partition:service:region:account:resource`) or `*`"),
                ));
            }
            if version == Version::V2012 && r.contains("${") {
                return Template::parse(r)
                    .map(ResourcePattern::Template)
                    .map_err(|m| err(p, m));
            }
            Ok(ResourcePattern::Fixed(Glob::arn(r)))
        })
        .collect()
}

fn conditions(path: &str, v: &Value, version: Version) -> Result<Vec<Condition>, PolicyError> {
    let Some(ops) = v.as_object() else {
        return Err(err(path, "must be an object of condition operators"));
    };
    let mut out = Vec::new();
    for (op_name, block) in ops {
        let op_path = format!("{path}.{op_name}");
        let (set, rest) = if let Some(r) = op_name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = op_name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, op_name.as_str())
        };
        let (rest, if_exists) = match rest.strip_suffix("IfExists") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let Some(op) = Operator::parse(rest) else {
            return Err(err(op_path, "unknown condition operator"));
        };
        if if_exists && op == Operator::Null {
            return Err(err(op_path, "Null cannot take IfExists"));
        }
        let Some(keys) = block.as_object() else {
            return Err(err(op_path, "must be an object of condition keys"));
        };
        if keys.is_empty() {
            return Err(err(op_path, "must name at least one condition key"));
        }
        for (key, values) in keys {
            let key_path = format!("{op_path}.{key}");
            let values: Vec<String> = match values {
                Value::Array(a) if a.is_empty() => {
                    return Err(err(key_path, "must hold at least one value"));
                }
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, x)| scalar(&format!("{key_path}[{i}]"), x))
                    .collect::<Result<_, _>>()?,
                x => vec![scalar(&key_path, x)?],
            };
            out.push(
                Condition::new(op, set, if_exists, key, values, version)
                    .map_err(|m| err(key_path, m))?,
            );
        }
    }
    Ok(out)
}

/// Condition values are strings; numbers and booleans are accepted as their text.
fn scalar(path: &str, v: &Value) -> Result<String, PolicyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(err(path, "must be a string, number or boolean")),
    }
}
