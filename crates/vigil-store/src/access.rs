//! Principals, their access keys and policies, and the audit trail.
//!
//! - A principal is a user, a role or a host agent of one account, with identity policies
//!   (IAM JSON documents, or the names of built-in ones). An agent principal is also scoped to
//!   one region. Access keys belong to a principal; a key without one is the account's root key
//!   (all of the account, as AWS's root user).
//! - The audit trail is append-only: triggers refuse every UPDATE and DELETE of its rows, so
//!   not even a bug in Vigil can rewrite history. Each row keeps the whole record (CloudTrail's
//!   event shape, built by the server) plus the columns lookups filter on.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::{Error, Result, Store, db_err, keys, timestamp};

/// The kinds of principal.
pub const PRINCIPAL_KINDS: [&str; 3] = ["USER", "ROLE", "AGENT"];

/// A principal as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalRecord {
    pub account: String,
    pub name: String,
    /// USER, ROLE or AGENT.
    pub kind: String,
    /// The one region an AGENT principal may act in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Policy documents (JSON text) or built-in policy names (`builtin:read-only`, ...).
    pub policies: Vec<String>,
    pub created_at: String,
}

/// Who holds an access key: its secret, account and principal (`None`: the account's root).
#[derive(Debug, Clone)]
pub struct KeyHolder {
    pub secret: String,
    pub account: String,
    pub principal: Option<PrincipalRecord>,
}

/// An access key as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub access_key_id: String,
    pub account: String,
    pub principal: Option<String>,
    pub status: String,
    pub created_at: String,
}

/// One audit record: the CloudTrail-shaped event and the columns lookups use.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub event_id: String,
    pub at: String,
    pub account: String,
    pub region: String,
    pub event_name: String,
    pub event_source: String,
    pub read_only: bool,
    pub access_key_id: Option<String>,
    pub username: Option<String>,
    pub error_code: Option<String>,
    /// The whole event (CloudTrail's record shape).
    pub record: Value,
}

/// What to look up in the audit trail (all given conditions hold).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub account: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub event_name: Option<String>,
    pub username: Option<String>,
    pub access_key_id: Option<String>,
    pub read_only: Option<bool>,
    pub event_id: Option<String>,
    /// Only records after this sequence number (paging), newest first below it otherwise.
    pub before_seq: Option<i64>,
    pub limit: usize,
}

/// Principals, keys and the audit trail (implemented by [`Store`]).
pub trait AccessStore: Send + Sync {
    fn create_principal(&self, p: &PrincipalRecord) -> Result<()>;
    fn principal(&self, account: &str, name: &str) -> Result<Option<PrincipalRecord>>;
    fn principals(&self, account: &str) -> Result<Vec<PrincipalRecord>>;
    fn set_policies(&self, account: &str, name: &str, policies: &[String]) -> Result<()>;
    /// Deletes a principal and deactivates its keys; answers whether it existed.
    fn delete_principal(&self, account: &str, name: &str) -> Result<bool>;
    /// A new access key for a principal (the secret is shown once).
    fn create_principal_key(
        &self,
        account: &str,
        principal: &str,
        now: OffsetDateTime,
    ) -> Result<keys::AccessKey>;
    /// Who holds an active key.
    fn key_holder(&self, access_key_id: &str) -> Result<Option<KeyHolder>>;
    fn keys(&self, account: &str) -> Result<Vec<KeyInfo>>;
    /// Sets a key's status (Active or Inactive): rotation is a new key, then the old one
    /// made Inactive.
    fn set_key_status(&self, account: &str, access_key_id: &str, status: &str) -> Result<()>;
    /// Appends an audit record; answers its sequence number.
    fn append_audit(&self, r: &AuditRecord) -> Result<i64>;
    /// Audit records, newest first, with their sequence numbers.
    fn audit(&self, q: &AuditQuery) -> Result<Vec<(i64, AuditRecord)>>;
}

const PRINCIPAL_COLUMNS: &str = "account, name, kind, region, policies, created_at";

fn principal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PrincipalRecord> {
    let policies: String = r.get(4)?;
    Ok(PrincipalRecord {
        account: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        region: r.get(3)?,
        policies: serde_json::from_str(&policies).unwrap_or_default(),
        created_at: r.get(5)?,
    })
}

/// Principal names: IAM's user-name characters, up to 64.
pub fn validate_principal_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "`{name}` is not a principal name (1 to 64 of letters, digits and +=,.@_-)"
        )))
    }
}

impl AccessStore for Store {
    fn create_principal(&self, p: &PrincipalRecord) -> Result<()> {
        keys::validate_account(&p.account)?;
        validate_principal_name(&p.name)?;
        if !PRINCIPAL_KINDS.contains(&p.kind.as_str()) {
            return Err(Error::Invalid(format!(
                "`{}` is not a principal kind (USER, ROLE or AGENT)",
                p.kind
            )));
        }
        if (p.kind == "AGENT") != p.region.is_some() {
            return Err(Error::Invalid(
                "an AGENT principal is scoped to exactly one region; other kinds to none".into(),
            ));
        }
        let policies = serde_json::to_string(&p.policies).unwrap_or_else(|_| "[]".into());
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![p.account, p.created_at],
            )
            .map_err(e)?;
            let n = tx
                .execute(
                    &format!(
                        "INSERT INTO principals({PRINCIPAL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT(account, name) DO NOTHING"
                    ),
                    params![p.account, p.name, p.kind, p.region, policies, p.created_at],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::Conflict(format!(
                    "principal `{}` already exists in account {}",
                    p.name, p.account
                )));
            }
            Ok(())
        })
    }

    fn principal(&self, account: &str, name: &str) -> Result<Option<PrincipalRecord>> {
        self.with(|c| {
            c.prepare_cached(&format!(
                "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account = ?1 AND name = ?2"
            ))?
            .query_row(params![account, name], principal_row)
            .optional()
        })
    }

    fn principals(&self, account: &str) -> Result<Vec<PrincipalRecord>> {
        self.with(|c| {
            c.prepare_cached(&format!(
                "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account = ?1 ORDER BY name"
            ))?
            .query_map([account], principal_row)?
            .collect()
        })
    }

    fn set_policies(&self, account: &str, name: &str, policies: &[String]) -> Result<()> {
        let text = serde_json::to_string(policies).unwrap_or_else(|_| "[]".into());
        let n = self.with(|c| {
            c.prepare_cached(
                "UPDATE principals SET policies = ?3 WHERE account = ?1 AND name = ?2",
            )?
            .execute(params![account, name, text])
        })?;
        if n == 0 {
            return Err(Error::NotFound(format!(
                "no principal `{name}` in account {account}"
            )));
        }
        Ok(())
    }

    fn delete_principal(&self, account: &str, name: &str) -> Result<bool> {
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            tx.execute(
                "UPDATE access_keys SET status = 'Inactive' WHERE account = ?1 AND principal = ?2",
                params![account, name],
            )
            .map_err(e)?;
            let n = tx
                .execute(
                    "DELETE FROM principals WHERE account = ?1 AND name = ?2",
                    params![account, name],
                )
                .map_err(e)?;
            Ok(n > 0)
        })
    }

    fn create_principal_key(
        &self,
        account: &str,
        principal: &str,
        now: OffsetDateTime,
    ) -> Result<keys::AccessKey> {
        if self.principal(account, principal)?.is_none() {
            return Err(Error::NotFound(format!(
                "no principal `{principal}` in account {account}"
            )));
        }
        let key = keys::AccessKey::generate(account)?;
        let (nonce, sealed) = self.master.seal(key.secret_access_key.as_bytes())?;
        let at = timestamp(now);
        self.with(|c| {
            c.execute(
                "INSERT INTO access_keys(access_key_id, account, nonce, sealed, created_at, principal)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![key.access_key_id, account, nonce, sealed, at, principal],
            )
        })?;
        Ok(key)
    }

    fn key_holder(&self, access_key_id: &str) -> Result<Option<KeyHolder>> {
        #[allow(clippy::type_complexity)]
        let row: Option<(String, Vec<u8>, Vec<u8>, Option<String>)> = self.with(|c| {
            c.prepare_cached(
                "SELECT account, nonce, sealed, principal FROM access_keys
                 WHERE access_key_id = ?1 AND status = 'Active'",
            )?
            .query_row([access_key_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
        })?;
        let Some((account, nonce, sealed, principal)) = row else {
            return Ok(None);
        };
        let principal = match principal {
            None => None,
            // a key whose principal is gone holds nothing
            Some(name) => match self.principal(&account, &name)? {
                Some(p) => Some(p),
                None => return Ok(None),
            },
        };
        let secret = self.master.open(&nonce, &sealed)?;
        let secret = String::from_utf8(secret)
            .map_err(|_| Error::Invalid("sealed secret is not UTF-8".into()))?;
        Ok(Some(KeyHolder {
            secret,
            account,
            principal,
        }))
    }

    fn keys(&self, account: &str) -> Result<Vec<KeyInfo>> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT access_key_id, account, principal, status, created_at FROM access_keys
                 WHERE account = ?1 ORDER BY created_at, access_key_id",
            )?
            .query_map([account], |r| {
                Ok(KeyInfo {
                    access_key_id: r.get(0)?,
                    account: r.get(1)?,
                    principal: r.get(2)?,
                    status: r.get(3)?,
                    created_at: r.get(4)?,
                })
            })?
            .collect()
        })
    }

    fn set_key_status(&self, account: &str, access_key_id: &str, status: &str) -> Result<()> {
        if status != "Active" && status != "Inactive" {
            return Err(Error::Invalid(format!(
                "`{status}` is not a key status (Active or Inactive)"
            )));
        }
        let n = self.with(|c| {
            c.prepare_cached(
                "UPDATE access_keys SET status = ?3 WHERE account = ?1 AND access_key_id = ?2",
            )?
            .execute(params![account, access_key_id, status])
        })?;
        if n == 0 {
            return Err(Error::NotFound(format!(
                "no access key {access_key_id} in account {account}"
            )));
        }
        Ok(())
    }

    fn append_audit(&self, r: &AuditRecord) -> Result<i64> {
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO audit_events(event_id, at, account, region, event_name, event_source,
                   read_only, access_key_id, username, error_code, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                r.event_id,
                r.at,
                r.account,
                r.region,
                r.event_name,
                r.event_source,
                r.read_only,
                r.access_key_id,
                r.username,
                r.error_code,
                r.record.to_string()
            ])?;
            Ok(c.last_insert_rowid())
        })
    }

    fn audit(&self, q: &AuditQuery) -> Result<Vec<(i64, AuditRecord)>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq, event_id, at, account, region, event_name, event_source, read_only,
                        access_key_id, username, error_code, record
                 FROM audit_events
                 WHERE account = ?1
                   AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at <= ?3)
                   AND (?4 IS NULL OR event_name = ?4) AND (?5 IS NULL OR username = ?5)
                   AND (?6 IS NULL OR access_key_id = ?6) AND (?7 IS NULL OR read_only = ?7)
                   AND (?8 IS NULL OR event_id = ?8) AND (?9 IS NULL OR seq < ?9)
                 ORDER BY seq DESC LIMIT ?10",
            )?;
            let rows = st.query_map(
                params![
                    q.account,
                    q.start,
                    q.end,
                    q.event_name,
                    q.username,
                    q.access_key_id,
                    q.read_only,
                    q.event_id,
                    q.before_seq,
                    q.limit as i64
                ],
                |r| {
                    let record: String = r.get(11)?;
                    Ok((
                        r.get::<_, i64>(0)?,
                        AuditRecord {
                            event_id: r.get(1)?,
                            at: r.get(2)?,
                            account: r.get(3)?,
                            region: r.get(4)?,
                            event_name: r.get(5)?,
                            event_source: r.get(6)?,
                            read_only: r.get(7)?,
                            access_key_id: r.get(8)?,
                            username: r.get(9)?,
                            error_code: r.get(10)?,
                            record: serde_json::from_str(&record).unwrap_or(Value::Null),
                        },
                    ))
                },
            )?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        (dir, s)
    }

    fn principal(kind: &str, region: Option<&str>) -> PrincipalRecord {
        PrincipalRecord {
            account: "111122223333".into(),
            name: "alice".into(),
            kind: kind.into(),
            region: region.map(str::to_owned),
            policies: vec!["builtin:read-only".into()],
            created_at: "2026-12-02T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn principals_keys_and_rotation() {
        let (_d, s) = store();
        let now = OffsetDateTime::now_utc();
        s.create_principal(&principal("USER", None)).unwrap();
        assert!(matches!(
            s.create_principal(&principal("USER", None)),
            Err(Error::Conflict(_))
        ));
        assert!(s.create_principal(&principal("AGENT", None)).is_err());
        assert!(s.create_principal(&principal("ADMIN", None)).is_err());
        let k1 = s
            .create_principal_key("111122223333", "alice", now)
            .unwrap();
        let holder = s.key_holder(&k1.access_key_id).unwrap().unwrap();
        assert_eq!(holder.secret, k1.secret_access_key);
        assert_eq!(holder.principal.unwrap().name, "alice");
        // rotation: a second key, then the first made inactive
        let k2 = s
            .create_principal_key("111122223333", "alice", now)
            .unwrap();
        s.set_key_status("111122223333", &k1.access_key_id, "Inactive")
            .unwrap();
        assert!(s.key_holder(&k1.access_key_id).unwrap().is_none());
        assert!(s.key_holder(&k2.access_key_id).unwrap().is_some());
        // another account cannot touch the key
        assert!(
            s.set_key_status("444455556666", &k2.access_key_id, "Inactive")
                .is_err()
        );
        // deleting the principal deactivates its keys
        assert!(s.delete_principal("111122223333", "alice").unwrap());
        assert!(s.key_holder(&k2.access_key_id).unwrap().is_none());
        // a root key has no principal
        let root = s.create_key("111122223333", now).unwrap();
        assert!(
            s.key_holder(&root.access_key_id)
                .unwrap()
                .unwrap()
                .principal
                .is_none()
        );
    }

    #[test]
    fn the_audit_trail_is_append_only() {
        let (_d, s) = store();
        let rec = |i: u32, name: &str| AuditRecord {
            event_id: format!("e{i}"),
            at: format!("2026-12-02T00:00:0{i}.000Z"),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            event_name: name.into(),
            event_source: "inspector2.amazonaws.com".into(),
            read_only: false,
            access_key_id: Some("AKIA1".into()),
            username: Some("alice".into()),
            error_code: None,
            record: serde_json::json!({"eventName": name}),
        };
        s.append_audit(&rec(1, "CreateFilter")).unwrap();
        s.append_audit(&rec(2, "DeleteFilter")).unwrap();
        let all = s
            .audit(&AuditQuery {
                account: "111122223333".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            all.iter()
                .map(|(_, r)| r.event_name.as_str())
                .collect::<Vec<_>>(),
            ["DeleteFilter", "CreateFilter"]
        );
        let one = s
            .audit(&AuditQuery {
                account: "111122223333".into(),
                event_name: Some("CreateFilter".into()),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(one.len(), 1);
        let other = s
            .audit(&AuditQuery {
                account: "444455556666".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert!(other.is_empty());
        // no update, no delete
        let tamper = s.with(|c| c.execute("UPDATE audit_events SET event_name = 'x'", []));
        assert!(tamper.unwrap_err().to_string().contains("append-only"));
        let tamper = s.with(|c| c.execute("DELETE FROM audit_events", []));
        assert!(tamper.unwrap_err().to_string().contains("append-only"));
    }
}
