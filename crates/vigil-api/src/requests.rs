//! The request and resource shapes that carry `FilterCriteria` and
//! `SortCriteria`: `CreateFilterRequest`, `UpdateFilterRequest`,
//! `ListFindingsRequest` and the `Filter` resource.
//!
//! `from_json` parses (unknown members, wrong JSON types and missing required
//! members are `CANNOT_PARSE`), then validates the model's constraints
//! (`FIELD_VALIDATION_FAILED`); every error names the member path.

use crate::criteria::{FilterCriteria, check_len};
use crate::error::{Errors, ValidationError, ValidationReason};
use crate::model_enum::model_enum;
use crate::sort::SortCriteria;
use crate::timestamp::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

model_enum! {
    /// `FilterAction`.
    FilterAction {
        /// Findings matching the filter are left alone (a saved view).
        None = "NONE",
        /// Findings matching the filter are suppressed (a suppression rule).
        Suppress = "SUPPRESS",
    }
}

/// `FilterName`: 1..=128.
pub const FILTER_NAME_MAX: usize = 128;
/// `FilterDescription` / `FilterReason`: 1..=512.
pub const FILTER_TEXT_MAX: usize = 512;
/// `FilterArn`: 1..=128.
pub const FILTER_ARN_MAX: usize = 128;
/// `ListFindingsMaxResults`: 1..=100.
pub const LIST_FINDINGS_MAX_RESULTS: i64 = 100;
/// `NextToken`: 0..=1000000.
pub const NEXT_TOKEN_MAX: usize = 1_000_000;

/// `CreateFilterRequest` (`POST /filters/create`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateFilterRequest {
    /// `action` (required).
    pub action: FilterAction,
    /// `description`: 1..=512.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `filterCriteria` (required).
    pub filter_criteria: FilterCriteria,
    /// `name` (required): 1..=128.
    pub name: String,
    /// `tags`: `TagMap` (keys 1..=128, values 0..=256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// `reason`: 1..=512.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CreateFilterRequest {
    /// Parses and validates a request body.
    pub fn from_json(value: &Value) -> Result<Self, ValidationError> {
        let mut r = Reader::new(value, "", "CreateFilterRequest")?;
        let action = r.required::<FilterAction>("action");
        let description = r.optional::<String>("description");
        let filter_criteria = r.criteria("filterCriteria", true);
        let name = r.required::<String>("name");
        let tags = r.optional::<BTreeMap<String, String>>("tags");
        let reason = r.optional::<String>("reason");
        r.finish()?;
        let (Some(action), Some(filter_criteria), Some(name)) = (action, filter_criteria, name)
        else {
            return Err(ValidationError::single(
                ValidationReason::CannotParse,
                "",
                "Missing required members",
            ));
        };
        let request = Self {
            action,
            description: description.flatten(),
            filter_criteria,
            name,
            tags: tags.flatten(),
            reason: reason.flatten(),
        };
        request.validate()?;
        Ok(request)
    }

    /// Checks the model's constraints.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = Errors::default();
        check_enum_action(&self.action, "action", &mut errs);
        check_opt_len(
            self.description.as_deref(),
            1,
            FILTER_TEXT_MAX,
            "description",
            &mut errs,
        );
        check_len(&self.name, 1, FILTER_NAME_MAX, "name", &mut errs);
        check_opt_len(
            self.reason.as_deref(),
            1,
            FILTER_TEXT_MAX,
            "reason",
            &mut errs,
        );
        check_tags(self.tags.as_ref(), "tags", &mut errs);
        merge(
            &mut errs,
            self.filter_criteria
                .validate_at(FilterCriteria::DEFAULT_PATH),
        );
        errs.into_result(ValidationReason::FieldValidationFailed)
    }
}

/// `UpdateFilterRequest` (`POST /filters/update`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateFilterRequest {
    /// `action`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<FilterAction>,
    /// `description`: 1..=512.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `filterCriteria`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_criteria: Option<FilterCriteria>,
    /// `name`: 1..=128.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `filterArn` (required): 1..=128.
    pub filter_arn: String,
    /// `reason`: 1..=512.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl UpdateFilterRequest {
    /// Parses and validates a request body.
    pub fn from_json(value: &Value) -> Result<Self, ValidationError> {
        let mut r = Reader::new(value, "", "UpdateFilterRequest")?;
        let action = r.optional::<FilterAction>("action");
        let description = r.optional::<String>("description");
        let filter_criteria = r.criteria("filterCriteria", false);
        let name = r.optional::<String>("name");
        let filter_arn = r.required::<String>("filterArn");
        let reason = r.optional::<String>("reason");
        r.finish()?;
        let Some(filter_arn) = filter_arn else {
            return Err(ValidationError::single(
                ValidationReason::CannotParse,
                "filterArn",
                "Member must not be null",
            ));
        };
        let request = Self {
            action: action.flatten(),
            description: description.flatten(),
            filter_criteria,
            name: name.flatten(),
            filter_arn,
            reason: reason.flatten(),
        };
        request.validate()?;
        Ok(request)
    }

    /// Checks the model's constraints.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = Errors::default();
        if let Some(action) = &self.action {
            check_enum_action(action, "action", &mut errs);
        }
        check_opt_len(
            self.description.as_deref(),
            1,
            FILTER_TEXT_MAX,
            "description",
            &mut errs,
        );
        check_opt_len(self.name.as_deref(), 1, FILTER_NAME_MAX, "name", &mut errs);
        check_len(&self.filter_arn, 1, FILTER_ARN_MAX, "filterArn", &mut errs);
        check_opt_len(
            self.reason.as_deref(),
            1,
            FILTER_TEXT_MAX,
            "reason",
            &mut errs,
        );
        if let Some(c) = &self.filter_criteria {
            merge(&mut errs, c.validate_at(FilterCriteria::DEFAULT_PATH));
        }
        errs.into_result(ValidationReason::FieldValidationFailed)
    }
}

/// `ListFindingsRequest` (`POST /findings/list`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListFindingsRequest {
    /// `maxResults`: 1..=100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// `nextToken`: 0..=1000000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// `filterCriteria`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_criteria: Option<FilterCriteria>,
    /// `sortCriteria`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_criteria: Option<SortCriteria>,
}

impl ListFindingsRequest {
    /// Parses and validates a request body (an empty body is `{}`).
    pub fn from_json(value: &Value) -> Result<Self, ValidationError> {
        let mut r = Reader::new(value, "", "ListFindingsRequest")?;
        let max_results = r.optional::<i64>("maxResults");
        let next_token = r.optional::<String>("nextToken");
        let filter_criteria = r.criteria("filterCriteria", false);
        let sort_criteria = r.sort_criteria("sortCriteria");
        r.finish()?;
        let request = Self {
            max_results: max_results.flatten(),
            next_token: next_token.flatten(),
            filter_criteria,
            sort_criteria,
        };
        request.validate()?;
        Ok(request)
    }

    /// Checks the model's constraints.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = Errors::default();
        if let Some(n) = self.max_results
            && !(1..=LIST_FINDINGS_MAX_RESULTS).contains(&n)
        {
            errs.push(
                "maxResults",
                format!(
                    "Value '{n}' failed to satisfy constraint: Member must have value between 1 and {LIST_FINDINGS_MAX_RESULTS}"
                ),
            );
        }
        check_opt_len(
            self.next_token.as_deref(),
            0,
            NEXT_TOKEN_MAX,
            "nextToken",
            &mut errs,
        );
        if let Some(c) = &self.filter_criteria {
            merge(&mut errs, c.validate_at(FilterCriteria::DEFAULT_PATH));
        }
        if let Some(s) = &self.sort_criteria {
            merge(&mut errs, s.validate_at("sortCriteria"));
        }
        errs.into_result(ValidationReason::FieldValidationFailed)
    }
}

/// The `Filter` resource (as returned by `ListFilters`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Filter {
    /// `arn`.
    pub arn: String,
    /// `ownerId`: account (or organization) that owns the filter.
    pub owner_id: String,
    /// `name`.
    pub name: String,
    /// `criteria` (note: not `filterCriteria` here).
    pub criteria: FilterCriteria,
    /// `action`.
    pub action: FilterAction,
    /// `createdAt` (epoch seconds on the wire).
    pub created_at: Timestamp,
    /// `updatedAt` (epoch seconds on the wire).
    pub updated_at: Timestamp,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `reason`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `tags`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

impl Filter {
    /// Whether this is a suppression rule.
    pub fn suppresses(&self) -> bool {
        matches!(self.action, FilterAction::Suppress)
    }

    /// Serialises to the wire JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Reads a request object member by member, collecting parse errors.
struct Reader<'a> {
    object: &'a Map<String, Value>,
    prefix: &'a str,
    seen: Vec<&'static str>,
    errs: Errors,
}

impl<'a> Reader<'a> {
    fn new(value: &'a Value, prefix: &'a str, shape: &str) -> Result<Self, ValidationError> {
        match value.as_object() {
            Some(object) => Ok(Self {
                object,
                prefix,
                seen: Vec::new(),
                errs: Errors::default(),
            }),
            None => Err(ValidationError::single(
                ValidationReason::CannotParse,
                if prefix.is_empty() { shape } else { prefix },
                format!("Expected a {shape} structure (JSON object)"),
            )),
        }
    }

    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// `Some(None)` when absent or null, `None` when present but unparsable.
    fn optional<T: DeserializeOwned>(&mut self, name: &'static str) -> Option<Option<T>> {
        self.seen.push(name);
        match self.object.get(name) {
            None | Some(Value::Null) => Some(None),
            Some(v) => match T::deserialize(v) {
                Ok(t) => Some(Some(t)),
                Err(e) => {
                    let path = self.path(name);
                    self.errs.push(path, e.to_string());
                    None
                }
            },
        }
    }

    fn required<T: DeserializeOwned>(&mut self, name: &'static str) -> Option<T> {
        match self.optional::<T>(name) {
            Some(Some(t)) => Some(t),
            Some(None) => {
                let path = self.path(name);
                self.errs.push(path, "Member must not be null");
                None
            }
            None => None,
        }
    }

    fn criteria(&mut self, name: &'static str, required: bool) -> Option<FilterCriteria> {
        self.seen.push(name);
        let path = self.path(name);
        match self.object.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.errs.push(path, "Member must not be null");
                }
                None
            }
            Some(v) => match FilterCriteria::parse_at(v, &path) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.errs.fields.extend(e.fields);
                    None
                }
            },
        }
    }

    fn sort_criteria(&mut self, name: &'static str) -> Option<SortCriteria> {
        self.seen.push(name);
        let path = self.path(name);
        match self.object.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => match SortCriteria::parse_at(v, &path) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.errs.fields.extend(e.fields);
                    None
                }
            },
        }
    }

    fn finish(mut self) -> Result<(), ValidationError> {
        for key in self.object.keys() {
            if !self.seen.contains(&key.as_str()) {
                let path = self.path(key);
                self.errs.push(path, format!("Unknown member '{key}'"));
            }
        }
        self.errs.into_result(ValidationReason::CannotParse)
    }
}

fn merge(errs: &mut Errors, result: Result<(), ValidationError>) {
    if let Err(e) = result {
        errs.fields.extend(e.fields);
    }
}

fn check_enum_action(action: &FilterAction, path: &str, errs: &mut Errors) {
    if !action.is_known() {
        errs.push(path, action.enum_constraint_message());
    }
}

fn check_opt_len(s: Option<&str>, min: usize, max: usize, path: &str, errs: &mut Errors) {
    if let Some(s) = s {
        check_len(s, min, max, path, errs);
    }
}

fn check_tags(tags: Option<&BTreeMap<String, String>>, path: &str, errs: &mut Errors) {
    for (k, v) in tags.into_iter().flatten() {
        check_len(
            k,
            1,
            crate::criteria::MAP_KEY_MAX,
            &format!("{path}.{k}"),
            errs,
        );
        check_len(
            v,
            0,
            crate::criteria::MAP_VALUE_MAX,
            &format!("{path}.{k}"),
            errs,
        );
    }
}
