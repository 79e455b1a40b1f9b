//! The advisory model: the OSV schema 1.6 (<https://ossf.github.io/osv-schema/>).
//!
//! Records are deserialised into a permissive raw form and then checked ([`Advisory::from_json`],
//! [`Advisory::from_yaml`]), so that an invalid range (an event with no key, two keys, an unknown
//! range type, no `introduced`) never exists as a value. Fields Vigil does not interpret
//! (`credits`, `ecosystem_specific`, `database_specific`) are kept verbatim.
//!
//! Vigil's own conventions on top of OSV, used by the native importers (Debian, Alpine):
//! `affected[].database_specific.distro_status` names the distribution's triage status for that
//! package (see [`DistroStatus`]), with an optional `distro_status_note`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;

/// One advisory (an OSV record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    pub id: String,
    /// RFC 3339; may be the zero time in some feeds (Go).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// A severity entry: `type` is `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...; `score` is the
/// vector (or the distribution's word for `Ubuntu`/`Debian`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageId {
    pub ecosystem: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// One `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

impl Affected {
    /// The distribution's triage status for this package, when the feed states one.
    pub fn distro_status(&self) -> Option<DistroStatus> {
        let s = self
            .database_specific
            .as_ref()?
            .get("distro_status")?
            .as_str()?;
        DistroStatus::from_name(s)
    }

    /// The distribution's note for its status (e.g. `Minor issue`), if any.
    pub fn distro_status_note(&self) -> Option<&str> {
        self.database_specific
            .as_ref()?
            .get("distro_status_note")?
            .as_str()
    }
}

/// A distribution's triage status for a package (Debian security tracker vocabulary; other
/// distributions map to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DistroStatus {
    /// Fixed in the version given by the range's `fixed` event.
    Fixed,
    /// The package in this release was never affected.
    NotAffected,
    /// Affected; no fix exists yet.
    Unfixed,
    /// Affected; the distribution decided not to fix it (`<ignored>`, Red Hat "Will not fix").
    WillNotFix,
    /// Affected; fix deferred to a later point release.
    Postponed,
    /// Affected; minor issue not warranting a security advisory (`<no-dsa>`).
    NoDsa,
    /// The release is out of security support for this package.
    EndOfLife,
}

impl DistroStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DistroStatus::Fixed => "fixed",
            DistroStatus::NotAffected => "not-affected",
            DistroStatus::Unfixed => "unfixed",
            DistroStatus::WillNotFix => "will-not-fix",
            DistroStatus::Postponed => "postponed",
            DistroStatus::NoDsa => "no-dsa",
            DistroStatus::EndOfLife => "end-of-life",
        }
    }

    pub fn from_name(s: &str) -> Option<DistroStatus> {
        Some(match s {
            "fixed" => DistroStatus::Fixed,
            "not-affected" => DistroStatus::NotAffected,
            "unfixed" => DistroStatus::Unfixed,
            "will-not-fix" | "ignored" => DistroStatus::WillNotFix,
            "postponed" => DistroStatus::Postponed,
            "no-dsa" => DistroStatus::NoDsa,
            "end-of-life" => DistroStatus::EndOfLife,
            _ => return None,
        })
    }
}

/// A range's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeType {
    #[serde(rename = "SEMVER")]
    Semver,
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    #[serde(rename = "GIT")]
    Git,
}

/// One range: events in the order the record lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// A range event. Exactly one of the four keys, as the schema requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    #[serde(rename = "introduced")]
    Introduced(String),
    #[serde(rename = "fixed")]
    Fixed(String),
    #[serde(rename = "last_affected")]
    LastAffected(String),
    #[serde(rename = "limit")]
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Event::Introduced(_) => "introduced",
            Event::Fixed(_) => "fixed",
            Event::LastAffected(_) => "last_affected",
            Event::Limit(_) => "limit",
        }
    }
}

impl Advisory {
    /// Parse one OSV JSON record and check it.
    pub fn from_json(bytes: &[u8]) -> Result<Advisory, Error> {
        let raw: raw::Advisory =
            serde_json::from_slice(bytes).map_err(|e| Error::Record(format!("bad JSON: {e}")))?;
        raw.check()
    }

    /// Parse one OSV YAML record and check it.
    pub fn from_yaml(bytes: &[u8]) -> Result<Advisory, Error> {
        let raw: raw::Advisory = serde_yaml_ng::from_slice(bytes)
            .map_err(|e| Error::Record(format!("bad YAML: {e}")))?;
        raw.check()
    }

    /// Every CVE id this record is known by (its id, aliases and upstream ids).
    pub fn cve_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .chain(self.upstream.iter().map(String::as_str))
            .filter(|s| s.starts_with("CVE-"))
    }

    /// Whether the record is withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.as_deref().is_some_and(|w| !w.is_empty())
    }
}

/// The permissive wire form, checked into [`Advisory`].
mod raw {
    use super::*;
    use serde_json::Map;

    fn string_or_default<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<String>, D::Error> {
        // Timestamps arrive as strings in JSON and (unquoted) as YAML timestamps that serde_yaml
        // hands over as strings too; numbers or other shapes are rejected by `check`.
        let v = Option::<Value>::deserialize(d)?;
        Ok(match v {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => Some(other.to_string()),
        })
    }

    #[derive(Deserialize)]
    pub struct Advisory {
        #[serde(default)]
        schema_version: Option<String>,
        #[serde(default)]
        id: Option<String>,
        #[serde(default, deserialize_with = "string_or_default")]
        modified: Option<String>,
        #[serde(default, deserialize_with = "string_or_default")]
        published: Option<String>,
        #[serde(default, deserialize_with = "string_or_default")]
        withdrawn: Option<String>,
        #[serde(default)]
        aliases: Option<Vec<String>>,
        #[serde(default)]
        upstream: Option<Vec<String>>,
        #[serde(default)]
        related: Option<Vec<String>>,
        #[serde(default)]
        summary: Option<String>,
        #[serde(default)]
        details: Option<String>,
        #[serde(default)]
        severity: Option<Vec<super::Severity>>,
        #[serde(default)]
        affected: Option<Vec<Affected>>,
        #[serde(default)]
        references: Option<Vec<super::Reference>>,
        #[serde(default)]
        credits: Option<Value>,
        #[serde(default)]
        database_specific: Option<Value>,
    }

    #[derive(Deserialize)]
    struct Affected {
        #[serde(default)]
        package: Option<super::PackageId>,
        #[serde(default)]
        severity: Option<Vec<super::Severity>>,
        #[serde(default)]
        ranges: Option<Vec<Range>>,
        #[serde(default)]
        versions: Option<Vec<Value>>,
        #[serde(default)]
        ecosystem_specific: Option<Value>,
        #[serde(default)]
        database_specific: Option<Value>,
    }

    #[derive(Deserialize)]
    struct Range {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        repo: Option<String>,
        #[serde(default)]
        events: Vec<Map<String, Value>>,
        #[serde(default)]
        database_specific: Option<Value>,
    }

    fn version_text(v: &Value) -> Option<String> {
        // YAML feeds sometimes leave versions unquoted (`1.10` parses as a float); the JSON
        // number's text is kept only when it is an integer, otherwise the value is ambiguous.
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) if n.is_u64() => Some(n.to_string()),
            _ => None,
        }
    }

    impl Advisory {
        pub fn check(self) -> Result<super::Advisory, Error> {
            let id = self
                .id
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| Error::Record("missing `id`".into()))?;
            let err = |msg: String| Error::Record(format!("`{id}`: {msg}"));
            let mut affected = Vec::new();
            for (ai, a) in self.affected.unwrap_or_default().into_iter().enumerate() {
                if let Some(p) = &a.package
                    && (p.ecosystem.trim().is_empty() || p.name.trim().is_empty())
                {
                    return Err(err(format!(
                        "affected[{ai}]: empty package ecosystem or name"
                    )));
                }
                let mut ranges = Vec::new();
                for (ri, r) in a.ranges.unwrap_or_default().into_iter().enumerate() {
                    let kind = match r.kind.as_str() {
                        "SEMVER" => RangeType::Semver,
                        "ECOSYSTEM" => RangeType::Ecosystem,
                        "GIT" => RangeType::Git,
                        other => {
                            return Err(err(format!(
                                "affected[{ai}].ranges[{ri}]: unknown range type `{other}`"
                            )));
                        }
                    };
                    if kind == RangeType::Git && r.repo.as_deref().is_none_or(str::is_empty) {
                        return Err(err(format!(
                            "affected[{ai}].ranges[{ri}]: GIT range without `repo`"
                        )));
                    }
                    let mut events = Vec::with_capacity(r.events.len());
                    for (ei, e) in r.events.into_iter().enumerate() {
                        let mut it = e.into_iter();
                        let (Some((k, v)), None) = (it.next(), it.next()) else {
                            return Err(err(format!(
                                "affected[{ai}].ranges[{ri}].events[{ei}]: an event has exactly one key"
                            )));
                        };
                        let Some(v) = version_text(&v) else {
                            return Err(err(format!(
                                "affected[{ai}].ranges[{ri}].events[{ei}]: `{k}` is not a version string"
                            )));
                        };
                        events.push(match k.as_str() {
                            "introduced" => Event::Introduced(v),
                            "fixed" => Event::Fixed(v),
                            "last_affected" => Event::LastAffected(v),
                            "limit" => Event::Limit(v),
                            other => {
                                return Err(err(format!(
                                    "affected[{ai}].ranges[{ri}].events[{ei}]: unknown event `{other}`"
                                )));
                            }
                        });
                    }
                    if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
                        return Err(err(format!(
                            "affected[{ai}].ranges[{ri}]: no `introduced` event"
                        )));
                    }
                    ranges.push(super::Range {
                        kind,
                        repo: r.repo,
                        events,
                        database_specific: r.database_specific,
                    });
                }
                let mut versions = Vec::new();
                for v in a.versions.unwrap_or_default() {
                    match version_text(&v) {
                        Some(s) => versions.push(s),
                        None => {
                            return Err(err(format!(
                                "affected[{ai}].versions: `{v}` is not a string"
                            )));
                        }
                    }
                }
                affected.push(super::Affected {
                    package: a.package,
                    severity: a.severity.unwrap_or_default(),
                    ranges,
                    versions,
                    ecosystem_specific: a.ecosystem_specific,
                    database_specific: a.database_specific,
                });
            }
            Ok(super::Advisory {
                schema_version: self.schema_version,
                id,
                modified: self.modified,
                published: self.published,
                withdrawn: self.withdrawn,
                aliases: self.aliases.unwrap_or_default(),
                upstream: self.upstream.unwrap_or_default(),
                related: self.related.unwrap_or_default(),
                summary: self.summary,
                details: self.details,
                severity: self.severity.unwrap_or_default(),
                affected,
                references: self.references.unwrap_or_default(),
                credits: self.credits,
                database_specific: self.database_specific,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_minimal_record_and_checks_events() {
        let a = Advisory::from_json(
            br#"{"id":"X-1","affected":[{"package":{"ecosystem":"PyPI","name":"a"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}]}]}"#,
        )
        .expect("valid");
        assert_eq!(
            a.affected[0].ranges[0].events[1],
            Event::Fixed("1.2".into())
        );
    }

    #[test]
    fn rejects_malformed_events() {
        for (bad, why) in [
            (
                r#"{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}"#,
                "exactly one key",
            ),
            (
                r#"{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":[{"fixed":"1"}]}]}]}"#,
                "no `introduced`",
            ),
            (
                r#"{"id":"X","affected":[{"ranges":[{"type":"FOO","events":[{"introduced":"0"}]}]}]}"#,
                "unknown range type `FOO`",
            ),
            (
                r#"{"id":"X","affected":[{"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}]}"#,
                "without `repo`",
            ),
            (r#"{"affected":[]}"#, "missing `id`"),
            (
                r#"{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":1.5}]}]}]}"#,
                "not a version string",
            ),
        ] {
            let e = Advisory::from_json(bad.as_bytes())
                .expect_err(bad)
                .to_string();
            assert!(e.contains(why), "{e} should mention {why}");
        }
    }
}
