//! Condition operators and their evaluation against a request's context.
//!
//! Semantics, as IAM documents them:
//! - several operators in one `Condition`, and several keys under one operator, must all
//!   hold; several values for one key are alternatives;
//! - a key missing from the request: positive operators are false, negated ones
//!   (`StringNotEquals`, `ArnNotLike`, ...) are true; `...IfExists` makes any operator true;
//! - a multi-valued key needs `ForAllValues:` (every request value matches one of the
//!   policy's; true when the request has none) or `ForAnyValue:` (at least one does);
//!   without a qualifier the request's values are tried as alternatives.

use std::net::IpAddr;

use ipnet::IpNet;
use time::OffsetDateTime;

use crate::Context;
use crate::glob::Glob;
use crate::policy::Version;
use crate::variables::Template;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl Operator {
    pub fn parse(name: &str) -> Option<Operator> {
        use Operator::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => return None,
        })
    }

    /// The negated operators: they hold when no policy value matches (and when the key is
    /// missing).
    fn negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// A policy value, prepared for its operator.
#[derive(Debug, Clone)]
enum Expected {
    Text(String),
    /// A value with policy variables, rendered per request.
    Template(Template),
    Number(f64),
    Date(OffsetDateTime),
    Bool(bool),
    Net(IpNet),
}

/// One condition: an operator applied to one key with its values.
#[derive(Debug, Clone)]
pub struct Condition {
    pub(crate) op: Operator,
    pub(crate) set: Option<SetQualifier>,
    pub(crate) if_exists: bool,
    /// The key, lower case (condition keys are case-insensitive).
    pub(crate) key: String,
    values: Vec<Expected>,
}

impl Condition {
    pub(crate) fn new(
        op: Operator,
        set: Option<SetQualifier>,
        if_exists: bool,
        key: &str,
        values: Vec<String>,
        version: Version,
    ) -> Result<Condition, String> {
        use Operator::*;
        if key.is_empty() || key.chars().any(char::is_whitespace) {
            return Err("a condition key must be a non-empty name without spaces".into());
        }
        let values = values
            .into_iter()
            .map(|v| -> Result<Expected, String> {
                Ok(match op {
                    NumericEquals
                    | NumericNotEquals
                    | NumericLessThan
                    | NumericLessThanEquals
                    | NumericGreaterThan
                    | NumericGreaterThanEquals => Expected::Number(
                        number(&v).ok_or_else(|| format!("`{v}` is not a number"))?,
                    ),
                    DateEquals
                    | DateNotEquals
                    | DateLessThan
                    | DateLessThanEquals
                    | DateGreaterThan
                    | DateGreaterThanEquals => Expected::Date(date(&v).ok_or_else(|| {
                        format!("`{v}` is not a date (ISO 8601 or epoch seconds)")
                    })?),
                    Bool | Null => Expected::Bool(match v.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(format!("`{v}` is not true or false")),
                    }),
                    IpAddress | NotIpAddress => Expected::Net(
                        net(&v)
                            .ok_or_else(|| format!("`{v}` is not an IP address or CIDR block"))?,
                    ),
                    _ if version == Version::V2012 && v.contains("${") => {
                        Expected::Template(Template::parse(&v)?)
                    }
                    _ => Expected::Text(v),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Condition {
            op,
            set,
            if_exists,
            key: key.to_ascii_lowercase(),
            values,
        })
    }

    /// Does the condition hold for the request context?
    pub(crate) fn holds(&self, ctx: &Context) -> bool {
        let actual = ctx.get(&self.key).unwrap_or(&[]);
        if self.op == Operator::Null {
            // Null: true means "the key is absent"
            let absent = actual.is_empty();
            return self
                .values
                .iter()
                .any(|v| matches!(v, Expected::Bool(b) if *b == absent));
        }
        match self.set {
            Some(SetQualifier::ForAllValues) => {
                // each request value must satisfy the operator (for a negated operator:
                // match none of the policy's values); vacuously true with no values
                actual.iter().all(|a| self.one(a, ctx))
            }
            Some(SetQualifier::ForAnyValue) => actual.iter().any(|a| self.one(a, ctx)),
            None => {
                if actual.is_empty() {
                    return self.if_exists || self.op.negated();
                }
                if self.op.negated() {
                    actual.iter().all(|a| self.one(a, ctx))
                } else {
                    actual.iter().any(|a| self.one(a, ctx))
                }
            }
        }
    }

    /// The operator on one request value: positive operators hold when a policy value
    /// matches, negated ones when none does.
    fn one(&self, actual: &str, ctx: &Context) -> bool {
        let any = self.values.iter().any(|e| self.matches(e, actual, ctx));
        if self.op.negated() { !any } else { any }
    }

    /// Does `actual` match the expected value (in the operator's positive sense)?
    fn matches(&self, expected: &Expected, actual: &str, ctx: &Context) -> bool {
        use Operator::*;
        match (self.op, expected) {
            (NumericEquals | NumericNotEquals, Expected::Number(n)) => {
                number(actual).is_some_and(|a| a == *n)
            }
            (NumericLessThan, Expected::Number(n)) => number(actual).is_some_and(|a| a < *n),
            (NumericLessThanEquals, Expected::Number(n)) => number(actual).is_some_and(|a| a <= *n),
            (NumericGreaterThan, Expected::Number(n)) => number(actual).is_some_and(|a| a > *n),
            (NumericGreaterThanEquals, Expected::Number(n)) => {
                number(actual).is_some_and(|a| a >= *n)
            }
            (DateEquals | DateNotEquals, Expected::Date(d)) => {
                date(actual).is_some_and(|a| a == *d)
            }
            (DateLessThan, Expected::Date(d)) => date(actual).is_some_and(|a| a < *d),
            (DateLessThanEquals, Expected::Date(d)) => date(actual).is_some_and(|a| a <= *d),
            (DateGreaterThan, Expected::Date(d)) => date(actual).is_some_and(|a| a > *d),
            (DateGreaterThanEquals, Expected::Date(d)) => date(actual).is_some_and(|a| a >= *d),
            (Bool, Expected::Bool(b)) => {
                actual.eq_ignore_ascii_case(if *b { "true" } else { "false" })
            }
            (IpAddress | NotIpAddress, Expected::Net(n)) => {
                actual.parse::<IpAddr>().is_ok_and(|ip| n.contains(&ip))
            }
            (op, Expected::Text(t)) => {
                text_matches(op, t.chars().map(|c| (c, false)).collect(), actual)
            }
            (op, Expected::Template(t)) => match t.render(ctx) {
                Some(chars) => text_matches(op, chars, actual),
                None => false,
            },
            _ => false,
        }
    }
}

/// The string and ARN operators (positive sense).
fn text_matches(op: Operator, expected: Vec<(char, bool)>, actual: &str) -> bool {
    use Operator::*;
    let text = || expected.iter().map(|(c, _)| *c).collect::<String>();
    match op {
        StringEquals | StringNotEquals => text() == actual,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            text().to_lowercase() == actual.to_lowercase()
        }
        StringLike | StringNotLike => Glob::compile_marked(&expected, false, false).matches(actual),
        // ArnEquals behaves as ArnLike in IAM (both take wildcards)
        ArnEquals | ArnNotEquals | ArnLike | ArnNotLike => {
            actual.starts_with("arn:")
                && Glob::compile_marked(&expected, false, true).matches(actual)
        }
        _ => false,
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn date(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(secs).ok();
    }
    if let Ok(d) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(d);
    }
    // a bare date (2026-12-01) is midnight UTC
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

fn net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}
