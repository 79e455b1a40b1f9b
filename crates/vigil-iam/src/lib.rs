//! IAM identity policies for Vigil's principals: the part of IAM's JSON policy language that
//! access to a findings service needs, evaluated as IAM evaluates it.
//!
//! - Elements: `Version`, `Id`, `Statement` (one or a list) with `Sid`, `Effect`,
//!   `Action`/`NotAction`, `Resource`/`NotResource`, `Condition`. `Principal` is refused (these
//!   are identity policies). Errors name the element: `Statement[1].Action[0]: ...`.
//! - Wildcards: actions case-insensitively (`inspector2:List*`), resource ARNs segment by
//!   segment (see [`glob`]).
//! - Conditions: the string, numeric, date, Bool, IP address, ARN and Null operators, with
//!   `IfExists` and the `ForAllValues:`/`ForAnyValue:` set qualifiers (see [`condition`]).
//! - Policy variables (`${aws:PrincipalAccount}`, with defaults) under version 2012-10-17.
//! - Evaluation: an explicit `Deny` in any policy wins; otherwise an `Allow` allows; otherwise
//!   the request is implicitly denied. [`Decision`] says which statement decided.

use std::collections::BTreeMap;

pub mod condition;
pub mod glob;
pub mod policy;
pub mod variables;

pub use policy::{Effect, Policy, PolicyError, Statement, Version};

use policy::ResourcePattern;

/// A request's condition keys (`aws:PrincipalAccount`, `aws:ResourceTag/team`, ...); key names
/// are case-insensitive, values are kept as given; a key may have several values
/// (`aws:TagKeys`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Adds a single-valued key.
    pub fn with(mut self, key: &str, value: &str) -> Context {
        self.set(key, value);
        self
    }

    /// Sets a single-valued key (replacing any value).
    pub fn set(&mut self, key: &str, value: &str) {
        self.values
            .insert(key.to_ascii_lowercase(), vec![value.to_owned()]);
    }

    /// Sets a multi-valued key.
    pub fn set_all(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_ascii_lowercase(), values);
    }

    /// The values of a key (any case).
    pub fn get(&self, key: &str) -> Option<&[String]> {
        let found = match self.values.get(key) {
            Some(v) => Some(v),
            None => self.values.get(&key.to_ascii_lowercase()),
        };
        found.map(Vec::as_slice)
    }
}

/// What is asked: an action (`inspector2:ListFindings`) on a resource ARN (or `*` for
/// actions without a resource), with its context.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context,
}

/// The outcome, and which statement decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed by this statement (policy index, statement index, Sid).
    Allow(StatementRef),
    /// Denied by an explicit Deny.
    ExplicitDeny(StatementRef),
    /// No statement allows it.
    ImplicitDeny,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}

/// A statement of a policy set: which policy, which statement, its Sid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    pub policy: usize,
    pub statement: usize,
    pub sid: Option<String>,
}

impl std::fmt::Display for StatementRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sid {
            Some(sid) => write!(f, "policy {} statement `{sid}`", self.policy),
            None => write!(f, "policy {} statement {}", self.policy, self.statement),
        }
    }
}

impl Statement {
    /// Does this statement apply to the request (action, resource and conditions)?
    pub fn applies(&self, req: &Request<'_>) -> bool {
        let action_listed = self.actions.items.iter().any(|g| g.matches(req.action));
        if action_listed == self.actions.negated {
            return false;
        }
        let resource_listed = self.resources.items.iter().any(|r| match r {
            ResourcePattern::Any => true,
            ResourcePattern::Fixed(g) => g.matches(req.resource),
            ResourcePattern::Template(t) => t.render(req.context).is_some_and(|chars| {
                glob::Glob::compile_marked(&chars, false, true).matches(req.resource)
            }),
        });
        if resource_listed == self.resources.negated {
            return false;
        }
        self.conditions.iter().all(|c| c.holds(req.context))
    }
}

/// Evaluates a request against a principal's policies: explicit deny wins, then allow,
/// otherwise implicit deny.
pub fn evaluate(policies: &[&Policy], req: &Request<'_>) -> Decision {
    let mut allow = None;
    for (pi, p) in policies.iter().enumerate() {
        for (si, s) in p.statements.iter().enumerate() {
            if !s.applies(req) {
                continue;
            }
            let at = StatementRef {
                policy: pi,
                statement: si,
                sid: s.sid.clone(),
            };
            match s.effect {
                Effect::Deny => return Decision::ExplicitDeny(at),
                Effect::Allow => {
                    if allow.is_none() {
                        allow = Some(at);
                    }
                }
            }
        }
    }
    allow.map_or(Decision::ImplicitDeny, Decision::Allow)
}

/// Built-in policies, as Amazon Inspector's managed policies grant.
pub mod builtin {
    /// Read-only access: every read of findings, coverage, configuration, reports and
    /// Vigil's own read operations.
    pub const READ_ONLY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "ReadOnly",
    "Effect": "Allow",
    "Action": ["inspector2:List*", "inspector2:Get*", "inspector2:BatchGet*",
               "inspector2:Describe*", "inspector2:Search*",
               "vigil:List*", "vigil:Get*", "vigil:Export*"],
    "Resource": "*"
  }]
}"#;

    /// Full access: every inspector2, inspector-scan and Vigil operation.
    pub const FULL_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "FullAccess",
    "Effect": "Allow",
    "Action": ["inspector2:*", "inspector-scan:*", "vigil:*"],
    "Resource": "*"
  }]
}"#;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        Policy::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn decide(p: &[&Policy], action: &str, resource: &str, ctx: &Context) -> Decision {
        evaluate(
            p,
            &Request {
                action,
                resource,
                context: ctx,
            },
        )
    }

    #[test]
    fn built_in_policies_parse_and_grant_what_they_say() {
        let ro = policy(builtin::READ_ONLY);
        let full = policy(builtin::FULL_ACCESS);
        let ctx = Context::new();
        assert!(decide(&[&ro], "inspector2:ListFindings", "*", &ctx).allowed());
        assert!(decide(&[&ro], "inspector2:GetFindingsReportStatus", "*", &ctx).allowed());
        assert!(!decide(&[&ro], "inspector2:CreateFilter", "*", &ctx).allowed());
        assert!(!decide(&[&ro], "inspector2:Enable", "*", &ctx).allowed());
        assert!(decide(&[&full], "inspector2:Enable", "*", &ctx).allowed());
        assert!(decide(&[&full], "inspector-scan:ScanSbom", "*", &ctx).allowed());
    }

    #[test]
    fn explicit_deny_wins_over_any_allow() {
        let full = policy(builtin::FULL_ACCESS);
        let deny = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny",
                "Action":"inspector2:Delete*","Resource":"*"}]}"#,
        );
        let ctx = Context::new();
        let d = decide(&[&full, &deny], "inspector2:DeleteFilter", "*", &ctx);
        assert_eq!(
            d,
            Decision::ExplicitDeny(StatementRef {
                policy: 1,
                statement: 0,
                sid: Some("NoDelete".into())
            })
        );
        assert!(decide(&[&full, &deny], "inspector2:CreateFilter", "*", &ctx).allowed());
        assert_eq!(
            decide(&[], "inspector2:ListFindings", "*", &ctx),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn not_action_and_not_resource() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                "NotAction":["inspector2:Delete*","inspector2:Disable*"],
                "NotResource":"arn:aws:inspector2:*:111122223333:owner/999999999999/*"}]}"#,
        );
        let ctx = Context::new();
        let mine = "arn:aws:inspector2:us-east-1:111122223333:owner/111122223333/filter/x";
        let other = "arn:aws:inspector2:us-east-1:111122223333:owner/999999999999/filter/x";
        assert!(decide(&[&p], "inspector2:CreateFilter", mine, &ctx).allowed());
        assert!(!decide(&[&p], "inspector2:DeleteFilter", mine, &ctx).allowed());
        assert!(!decide(&[&p], "inspector2:CreateFilter", other, &ctx).allowed());
    }

    #[test]
    fn conditions_on_account_tags_and_sets() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"OwnAccount","Effect":"Allow","Action":"inspector2:*","Resource":"*",
                 "Condition":{"StringEquals":{"aws:ResourceAccount":"${aws:PrincipalAccount}"},
                              "StringLikeIfExists":{"aws:ResourceTag/team":["payments-*","core"]}}},
                {"Sid":"OnlyKnownTags","Effect":"Deny","Action":"inspector2:TagResource","Resource":"*",
                 "Condition":{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team","env"]}}}]}"#,
        );
        let mut ctx = Context::new()
            .with("aws:PrincipalAccount", "111122223333")
            .with("aws:ResourceAccount", "111122223333");
        assert!(decide(&[&p], "inspector2:ListFindings", "*", &ctx).allowed());
        ctx.set("aws:ResourceTag/team", "payments-eu");
        assert!(decide(&[&p], "inspector2:ListFindings", "*", &ctx).allowed());
        ctx.set("aws:ResourceTag/team", "marketing");
        assert!(!decide(&[&p], "inspector2:ListFindings", "*", &ctx).allowed());
        ctx.set("aws:ResourceTag/team", "core");
        ctx.set("aws:ResourceAccount", "444455556666");
        assert_eq!(
            decide(&[&p], "inspector2:ListFindings", "*", &ctx),
            Decision::ImplicitDeny
        );
        ctx.set("aws:ResourceAccount", "111122223333");
        ctx.set_all("aws:TagKeys", vec!["team".into(), "env".into()]);
        assert!(decide(&[&p], "inspector2:TagResource", "*", &ctx).allowed());
        ctx.set_all("aws:TagKeys", vec!["team".into(), "owner".into()]);
        assert!(matches!(
            decide(&[&p], "inspector2:TagResource", "*", &ctx),
            Decision::ExplicitDeny(_)
        ));
    }

    #[test]
    fn missing_keys_follow_iam_rules() {
        let ctx = Context::new();
        let cond = |c: &str| {
            let p = policy(&format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{c}}}]}}"#
            ));
            decide(&[&p], "inspector2:ListFindings", "*", &ctx).allowed()
        };
        assert!(!cond(r#"{"StringEquals":{"aws:ResourceTag/x":"a"}}"#));
        assert!(cond(r#"{"StringNotEquals":{"aws:ResourceTag/x":"a"}}"#));
        assert!(cond(
            r#"{"StringEqualsIfExists":{"aws:ResourceTag/x":"a"}}"#
        ));
        assert!(cond(r#"{"Null":{"aws:ResourceTag/x":"true"}}"#));
        assert!(!cond(r#"{"Null":{"aws:ResourceTag/x":"false"}}"#));
        assert!(cond(r#"{"ForAllValues:StringEquals":{"aws:TagKeys":"a"}}"#));
        assert!(!cond(r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}"#));
    }

    #[test]
    fn numeric_date_bool_ip_and_arn_operators() {
        let ctx = Context::new()
            .with("vigil:MaxResults", "50")
            .with("aws:CurrentTime", "2026-12-02T06:00:00Z")
            .with("aws:SecureTransport", "true")
            .with("aws:SourceIp", "10.1.2.3")
            .with(
                "aws:SourceArn",
                "arn:aws:inspector2:us-east-1:111122223333:report/abc",
            );
        let cond = |c: &str| {
            let p = policy(&format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{c}}}]}}"#
            ));
            decide(&[&p], "inspector2:ListFindings", "*", &ctx).allowed()
        };
        assert!(cond(
            r#"{"NumericLessThanEquals":{"vigil:MaxResults":100}}"#
        ));
        assert!(!cond(
            r#"{"NumericGreaterThan":{"vigil:MaxResults":"100"}}"#
        ));
        assert!(cond(r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01"}}"#));
        assert!(!cond(
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#
        ));
        assert!(cond(r#"{"Bool":{"aws:SecureTransport":true}}"#));
        assert!(cond(
            r#"{"IpAddress":{"aws:SourceIp":["192.168.0.0/16","10.0.0.0/8"]}}"#
        ));
        assert!(!cond(r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#));
        assert!(cond(
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:inspector2:*:111122223333:report/*"}}"#
        ));
        assert!(!cond(
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:inspector2:*:444455556666:*"}}"#
        ));
    }

    #[test]
    fn bad_policies_name_the_element() {
        let e = |t: &str| {
            Policy::parse(t)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(e("[]"), "(document): must be a JSON object");
        assert_eq!(e(r#"{"Version":"2012-10-17"}"#), "Statement: is required");
        assert_eq!(
            e(r#"{"Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}"#),
            "Statement[0].Effect: must be \"Allow\" or \"Deny\""
        );
        assert_eq!(
            e(
                r#"{"Statement":[{"Effect":"Allow","Action":["inspector2:List*","ListFindings"],"Resource":"*"}]}"#
            ),
            "Statement[0].Action[1]: `ListFindings` must be `service:Action` or `*`"
        );
        assert_eq!(
            e(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"bucket"}]}"#),
            "Statement[0].Resource: `bucket` is not an ARN (`arn:partition:service:region:account:resource`) or `*`"
        );
        assert_eq!(
            e(
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}]}"#
            ),
            "Statement[0].Condition.StringEqualz: unknown condition operator"
        );
        assert_eq!(
            e(
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"a":"ten"}}}]}"#
            ),
            "Statement[0].Condition.NumericEquals.a: `ten` is not a number"
        );
        assert_eq!(
            e(r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#),
            "Statement.Principal: is not allowed in an identity policy (the principal is whoever holds it)"
        );
        assert!(
            e(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Sid":"{}"}}]}}"#,
                "a".repeat(7000)
            ))
            .contains("exceed the limit of 6144")
        );
    }

    #[test]
    fn variables_are_literal_and_only_in_2012_policies() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*",
                "Resource":"arn:aws:inspector2:*:${aws:PrincipalAccount}:*"}]}"#,
        );
        let ctx = Context::new().with("aws:PrincipalAccount", "1111*");
        // a star in a variable's value is a literal star
        assert!(!decide(&[&p], "x:Y", "arn:aws:inspector2:r:111122223333:f", &ctx).allowed());
        assert!(decide(&[&p], "x:Y", "arn:aws:inspector2:r:1111*:f", &ctx).allowed());
        let old = policy(
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*",
                "Resource":"arn:aws:inspector2:*:${aws:PrincipalAccount}:*"}]}"#,
        );
        let ctx = Context::new().with("aws:PrincipalAccount", "111122223333");
        assert!(!decide(&[&old], "x:Y", "arn:aws:inspector2:r:111122223333:f", &ctx).allowed());
    }
}
