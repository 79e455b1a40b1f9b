//! The provider-neutral model written as YAML: the [`Model`]'s own serde shape, one list per
//! section (`networks`, `subnets`, `route_tables`, `gateways`, `security_groups`,
//! `prefix_lists`, `acls`, `hosts`, `load_balancers`, `target_groups`, `listening`; every
//! section may be left out).
//!
//! Reading is forgiving below the top level: an entry that does not have the section's shape
//! (a missing field, a bad CIDR, an unknown enum value) is reported as a [`Problem`] and
//! ignored, and so is a malformed element of an entry's lists (a rule, a route, an interface, a
//! listener, a target, a CIDR: the rest of the entry is kept), as are unknown sections and
//! unknown fields; then [`crate::validate()`]'s
//! consistency checks run (dangling ids, overlapping subnets, …), with paths into the file
//! (`subnets[2]`, `security_groups[0].inbound[1].peers[0]`; indices count the entries as
//! written, except that a list element's index does not count malformed elements before it in
//! the same list). Only text that is not YAML, or
//! whose top level is not a mapping, is an [`Error`].
//!
//! A complete example (`testdata/example.yaml`):
//!
#![doc = concat!("```yaml\n", include_str!("../testdata/example.yaml"), "```")]

use std::collections::HashMap;

use ipnet::Ipv4Net;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;

use crate::model::{AclRule, Interface, Listener, Route, SgRule, Target};
use crate::validate::{Problem, check};
use crate::{Error, Model};

/// Reads a YAML model; `origin` names the input in problems and errors.
pub fn parse(text: &str, origin: &str) -> Result<(Model, Vec<Problem>), Error> {
    let root: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::Yaml {
        origin: origin.to_owned(),
        message: e.to_string(),
    })?;
    let mut model = Model::default();
    let mut problems = Vec::new();
    let mapping = match root {
        Value::Null => return Ok((model, problems)),
        Value::Mapping(m) => m,
        _ => {
            return Err(Error::NotAMapping {
                origin: origin.to_owned(),
            });
        }
    };
    let mut reader = Reader {
        origin,
        problems: &mut problems,
        original: HashMap::new(),
    };
    for (key, value) in &mapping {
        let Some(name) = key.as_str() else {
            reader.problem(
                String::new(),
                format!(
                    "top-level key `{}` is not a section name; ignored",
                    short(key)
                ),
            );
            continue;
        };
        match name {
            "networks" => model.networks = reader.section("networks", value),
            "subnets" => model.subnets = reader.section("subnets", value),
            "route_tables" => model.route_tables = reader.section("route_tables", value),
            "gateways" => model.gateways = reader.section("gateways", value),
            "security_groups" => model.security_groups = reader.section("security_groups", value),
            "prefix_lists" => model.prefix_lists = reader.section("prefix_lists", value),
            "acls" => model.acls = reader.section("acls", value),
            "hosts" => model.hosts = reader.section("hosts", value),
            "load_balancers" => model.load_balancers = reader.section("load_balancers", value),
            "target_groups" => model.target_groups = reader.section("target_groups", value),
            "listening" => model.listening = reader.section("listening", value),
            other => reader.problem(
                other.to_owned(),
                format!("unknown section `{other}`; ignored"),
            ),
        }
    }
    let original = reader.original;
    for n in check(&mut model) {
        // Paths count the entries as written, including those dropped while reading.
        let index = original
            .get(n.collection)
            .and_then(|v| v.get(n.index))
            .copied()
            .unwrap_or(n.index);
        problems.push(Problem {
            origin: origin.to_owned(),
            path: format!("{}[{index}]{}", n.collection, n.sub),
            message: n.message,
        });
    }
    Ok((model, problems))
}

struct Reader<'a> {
    origin: &'a str,
    problems: &'a mut Vec<Problem>,
    /// Per section: the index as written of each entry kept.
    original: HashMap<&'static str, Vec<usize>>,
}

impl Reader<'_> {
    fn problem(&mut self, path: String, message: String) {
        self.problems.push(Problem {
            origin: self.origin.to_owned(),
            path,
            message,
        });
    }

    fn section<T: DeserializeOwned + Serialize>(
        &mut self,
        name: &'static str,
        value: &Value,
    ) -> Vec<T> {
        let items = match value {
            Value::Null => return Vec::new(),
            Value::Sequence(items) => items,
            _ => {
                self.problem(
                    name.to_owned(),
                    format!("section `{name}` is not a list; ignored"),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{name}[{i}]");
            let item = &self.prune(name, item, &path);
            match serde_yaml_ng::from_value::<T>(item.clone()) {
                Ok(t) => {
                    if let Ok(back) = serde_yaml_ng::to_value(&t) {
                        self.unknown_fields(item, &back, &path);
                    }
                    out.push(t);
                    kept.push(i);
                }
                Err(e) => self.problem(
                    path,
                    format!("not a valid entry of `{name}` ({e}); entry ignored"),
                ),
            }
        }
        self.original.insert(name, kept);
        out
    }

    /// The entry without the elements of its lists (rules, routes, interfaces, …) that do not
    /// have their shape, each reported: one bad rule does not cost the whole ACL.
    fn prune(&mut self, section: &str, item: &Value, path: &str) -> Value {
        let mut item = item.clone();
        match section {
            "networks" | "prefix_lists" => self.keep_valid::<Ipv4Net>(&mut item, "cidrs", path),
            "route_tables" => self.keep_valid::<Route>(&mut item, "routes", path),
            "acls" => {
                self.keep_valid::<AclRule>(&mut item, "inbound", path);
                self.keep_valid::<AclRule>(&mut item, "outbound", path);
            }
            "security_groups" => {
                self.keep_valid::<SgRule>(&mut item, "inbound", path);
                self.keep_valid::<SgRule>(&mut item, "outbound", path);
            }
            "hosts" => self.keep_valid::<Interface>(&mut item, "interfaces", path),
            "load_balancers" => {
                self.keep_valid::<Interface>(&mut item, "interfaces", path);
                self.keep_valid::<Listener>(&mut item, "listeners", path);
            }
            "target_groups" => self.keep_valid::<Target>(&mut item, "targets", path),
            _ => {}
        }
        item
    }

    fn keep_valid<T: DeserializeOwned>(&mut self, item: &mut Value, key: &str, path: &str) {
        let Some(Value::Sequence(elements)) = item.get_mut(key) else {
            return;
        };
        let mut kept = Vec::new();
        for (j, e) in std::mem::take(elements).into_iter().enumerate() {
            match serde_yaml_ng::from_value::<T>(e.clone()) {
                Ok(_) => kept.push(e),
                Err(err) => self.problem(
                    format!("{path}.{key}[{j}]"),
                    format!("not a valid element of `{key}` ({err}); ignored"),
                ),
            }
        }
        *elements = kept;
    }

    /// Reports fields of `written` that reading ignored (absent from what the entry
    /// serializes back to).
    fn unknown_fields(&mut self, written: &Value, back: &Value, path: &str) {
        match (written, back) {
            (Value::Mapping(w), Value::Mapping(b)) => {
                for (k, v) in w {
                    let name = short(k);
                    match b.get(k) {
                        None => self.problem(
                            format!("{path}.{name}"),
                            format!("unknown field `{name}`; ignored"),
                        ),
                        Some(bv) => self.unknown_fields(v, bv, &format!("{path}.{name}")),
                    }
                }
            }
            (Value::Sequence(w), Value::Sequence(b)) if w.len() == b.len() => {
                for (i, (x, y)) in w.iter().zip(b).enumerate() {
                    self.unknown_fields(x, y, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "?".to_owned()),
    }
}
