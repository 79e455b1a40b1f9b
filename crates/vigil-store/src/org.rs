//! The organization: one per server, run by its management account (named in the server's
//! configuration). The management account designates one delegated administrator; the
//! administrator associates member accounts, whose data it then sees and whose scanning it
//! manages, and sets which scan types new accounts get. An account created while an
//! administrator is in office is enrolled at once, in the same transaction that creates it
//! (a trigger), with the auto-enabled scan types: no window in which a new account is
//! unmanaged.
//!
//! Member rows are never deleted: a disassociated member stays listed as REMOVED, and its
//! data stays its own.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Error, Result, Store, db_err, keys, timestamp};

/// A member as inspector2 shows it (`Member`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgMember {
    pub account_id: String,
    /// CREATED (in the organization, not associated), ENABLED (associated) or REMOVED
    /// (disassociated).
    pub relationship_status: String,
    pub delegated_admin_account_id: String,
    pub updated_at: String,
}

/// The organization's state (implemented by [`Store`]).
pub trait OrgStore: Send + Sync {
    /// The delegated administrator and when it was enabled.
    fn delegated_admin(&self) -> Result<Option<(String, String)>>;
    /// Designates the delegated administrator (ConflictException when another one is).
    fn enable_delegated_admin(&self, admin: &str, now: OffsetDateTime) -> Result<()>;
    /// Removes the delegated administrator; its members become REMOVED.
    fn disable_delegated_admin(&self, admin: &str, now: OffsetDateTime) -> Result<()>;
    /// The organization's accounts as the administrator sees them (associated only, or every
    /// account of the server but the administrator's own).
    fn members(&self, admin: &str, only_associated: bool) -> Result<Vec<OrgMember>>;
    fn member(&self, admin: &str, account: &str) -> Result<Option<OrgMember>>;
    fn associate(&self, admin: &str, account: &str, now: OffsetDateTime) -> Result<()>;
    fn disassociate(&self, admin: &str, account: &str, now: OffsetDateTime) -> Result<()>;
    /// The administrator's auto-enable settings (inspector2 `AutoEnable`).
    fn auto_enable(&self, admin: &str) -> Result<Value>;
    fn set_auto_enable(&self, admin: &str, auto: &AutoEnable, now: OffsetDateTime) -> Result<()>;
    /// The accounts whose data `account` may see and manage: itself, plus its associated
    /// members when it is the delegated administrator.
    fn managed_accounts(&self, account: &str) -> Result<Vec<String>>;
}

/// Which scan types new members get.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AutoEnable {
    pub ec2: bool,
    pub ecr: bool,
    pub lambda: bool,
    pub lambda_code: bool,
    pub code_repository: bool,
}

impl OrgStore for Store {
    fn delegated_admin(&self) -> Result<Option<(String, String)>> {
        self.with(|c| {
            c.prepare_cached("SELECT admin_account, updated_at FROM org_admin WHERE id = 1")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
    }

    fn enable_delegated_admin(&self, admin: &str, now: OffsetDateTime) -> Result<()> {
        keys::validate_account(admin)?;
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let current: Option<String> = tx
                .query_row("SELECT admin_account FROM org_admin WHERE id = 1", [], |r| r.get(0))
                .optional()
                .map_err(e)?;
            match current {
                Some(a) if a == admin => return Ok(()),
                Some(a) => {
                    return Err(Error::Conflict(format!(
                        "account {a} is the organization's delegated administrator; disable it first"
                    )));
                }
                None => {}
            }
            tx.execute(
                "INSERT OR IGNORE INTO accounts(id, created_at) VALUES (?1, ?2)",
                params![admin, at],
            )
            .map_err(e)?;
            tx.execute(
                "INSERT INTO org_admin(id, admin_account, updated_at) VALUES (1, ?1, ?2)",
                params![admin, at],
            )
            .map_err(e)?;
            tx.execute(
                "INSERT OR IGNORE INTO org_configuration(admin_account, ec2, ecr, lambda, lambda_code, code_repository, updated_at)
                 VALUES (?1, 0, 0, 0, 0, 0, ?2)",
                params![admin, at],
            )
            .map_err(e)?;
            // a member of an earlier administrator is no one's until associated again
            tx.execute(
                "UPDATE org_members SET relationship_status = 'REMOVED', updated_at = ?2
                 WHERE admin_account != ?1 AND relationship_status = 'ENABLED'",
                params![admin, at],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    fn disable_delegated_admin(&self, admin: &str, now: OffsetDateTime) -> Result<()> {
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let n = tx
                .execute(
                    "DELETE FROM org_admin WHERE id = 1 AND admin_account = ?1",
                    params![admin],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::NotFound(format!(
                    "account {admin} is not the organization's delegated administrator"
                )));
            }
            tx.execute(
                "UPDATE org_members SET relationship_status = 'REMOVED', updated_at = ?2
                 WHERE admin_account = ?1 AND relationship_status = 'ENABLED'",
                params![admin, at],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    fn members(&self, admin: &str, only_associated: bool) -> Result<Vec<OrgMember>> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT a.id, COALESCE(m.relationship_status, 'CREATED'), COALESCE(m.updated_at, a.created_at)
                 FROM accounts a LEFT JOIN org_members m ON m.account = a.id AND m.admin_account = ?1
                 WHERE a.id != ?1 AND (NOT ?2 OR m.relationship_status = 'ENABLED')
                 ORDER BY a.id",
            )?
            .query_map(params![admin, only_associated], |r| {
                Ok(OrgMember {
                    account_id: r.get(0)?,
                    relationship_status: r.get(1)?,
                    delegated_admin_account_id: admin.to_owned(),
                    updated_at: r.get(2)?,
                })
            })?
            .collect()
        })
    }

    fn member(&self, admin: &str, account: &str) -> Result<Option<OrgMember>> {
        Ok(self
            .members(admin, false)?
            .into_iter()
            .find(|m| m.account_id == account))
    }

    fn associate(&self, admin: &str, account: &str, now: OffsetDateTime) -> Result<()> {
        keys::validate_account(account)?;
        if account == admin {
            return Err(Error::Invalid(
                "the delegated administrator cannot be its own member".into(),
            ));
        }
        let at = timestamp(now);
        let path = self.path.clone();
        self.with_tx(|tx| {
            let e = |x: rusqlite::Error| db_err(&path, x);
            let exists: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?1)",
                    [account],
                    |r| r.get(0),
                )
                .map_err(e)?;
            if !exists {
                return Err(Error::NotFound(format!(
                    "account {account} is not an account of this organization"
                )));
            }
            tx.execute(
                "INSERT INTO org_members(account, admin_account, relationship_status, updated_at)
                 VALUES (?1, ?2, 'ENABLED', ?3)
                 ON CONFLICT(account) DO UPDATE SET admin_account = excluded.admin_account,
                   relationship_status = 'ENABLED', updated_at = excluded.updated_at",
                params![account, admin, at],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    fn disassociate(&self, admin: &str, account: &str, now: OffsetDateTime) -> Result<()> {
        let at = timestamp(now);
        let n = self.with(|c| {
            c.prepare_cached(
                "UPDATE org_members SET relationship_status = 'REMOVED', updated_at = ?3
                 WHERE account = ?1 AND admin_account = ?2 AND relationship_status = 'ENABLED'",
            )?
            .execute(params![account, admin, at])
        })?;
        if n == 0 {
            return Err(Error::NotFound(format!(
                "account {account} is not an associated member of {admin}"
            )));
        }
        Ok(())
    }

    fn auto_enable(&self, admin: &str) -> Result<Value> {
        let row: Option<(bool, bool, bool, bool, bool)> = self.with(|c| {
            c.prepare_cached(
                "SELECT ec2, ecr, lambda, lambda_code, code_repository FROM org_configuration WHERE admin_account = ?1",
            )?
            .query_row([admin], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .optional()
        })?;
        let (ec2, ecr, lambda, lambda_code, code_repository) = row.unwrap_or_default();
        Ok(
            json!({"ec2": ec2, "ecr": ecr, "lambda": lambda, "lambdaCode": lambda_code,
                  "codeRepository": code_repository}),
        )
    }

    fn set_auto_enable(&self, admin: &str, a: &AutoEnable, now: OffsetDateTime) -> Result<()> {
        let at = timestamp(now);
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO org_configuration(admin_account, ec2, ecr, lambda, lambda_code, code_repository, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(admin_account) DO UPDATE SET ec2 = excluded.ec2, ecr = excluded.ecr,
                   lambda = excluded.lambda, lambda_code = excluded.lambda_code,
                   code_repository = excluded.code_repository, updated_at = excluded.updated_at",
            )?
            .execute(params![admin, a.ec2, a.ecr, a.lambda, a.lambda_code, a.code_repository, at])
        })?;
        Ok(())
    }

    fn managed_accounts(&self, account: &str) -> Result<Vec<String>> {
        let mut out = vec![account.to_owned()];
        let is_admin = self.delegated_admin()?.is_some_and(|(a, _)| a == account);
        if is_admin {
            out.extend(
                self.members(account, true)?
                    .into_iter()
                    .map(|m| m.account_id),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn delegate_associate_auto_enroll_and_disassociate() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let now = OffsetDateTime::now_utc();
        s.create_key("111111111111", now).unwrap(); // management
        s.create_key("333333333333", now).unwrap(); // existing account
        s.enable_delegated_admin("222222222222", now).unwrap();
        s.enable_delegated_admin("222222222222", now).unwrap(); // idempotent
        assert!(matches!(
            s.enable_delegated_admin("444444444444", now),
            Err(Error::Conflict(_))
        ));
        let all = s.members("222222222222", false).unwrap();
        assert_eq!(
            all.iter()
                .map(|m| (m.account_id.as_str(), m.relationship_status.as_str()))
                .collect::<Vec<_>>(),
            [("111111111111", "CREATED"), ("333333333333", "CREATED")]
        );
        assert!(s.members("222222222222", true).unwrap().is_empty());
        s.associate("222222222222", "333333333333", now).unwrap();
        assert!(s.associate("222222222222", "222222222222", now).is_err());
        assert!(matches!(
            s.associate("222222222222", "999999999999", now),
            Err(Error::NotFound(_))
        ));
        // auto-enable: a new account is enrolled with the chosen scan types
        s.set_auto_enable(
            "222222222222",
            &AutoEnable {
                ec2: true,
                ecr: false,
                lambda: true,
                ..Default::default()
            },
            now,
        )
        .unwrap();
        s.create_key("555555555555", now).unwrap();
        let m = s.member("222222222222", "555555555555").unwrap().unwrap();
        assert_eq!(m.relationship_status, "ENABLED");
        let types = s.scan_types("555555555555").unwrap();
        let of = |t: &str| {
            types
                .iter()
                .find(|(k, _)| k == t)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(of("EC2"), "ENABLED");
        assert_eq!(of("ECR"), "DISABLED");
        assert_eq!(of("LAMBDA"), "ENABLED");
        assert_eq!(of("LAMBDA_CODE"), "DISABLED");
        assert_eq!(
            s.managed_accounts("222222222222").unwrap(),
            ["222222222222", "333333333333", "555555555555"]
        );
        // members manage only themselves
        assert_eq!(
            s.managed_accounts("333333333333").unwrap(),
            ["333333333333"]
        );
        s.disassociate("222222222222", "333333333333", now).unwrap();
        assert!(s.disassociate("222222222222", "333333333333", now).is_err());
        assert_eq!(
            s.member("222222222222", "333333333333")
                .unwrap()
                .unwrap()
                .relationship_status,
            "REMOVED"
        );
        // disabling the administrator releases every member
        s.disable_delegated_admin("222222222222", now).unwrap();
        assert_eq!(
            s.managed_accounts("222222222222").unwrap(),
            ["222222222222"]
        );
        assert!(s.delegated_admin().unwrap().is_none());
        // with no administrator, new accounts keep the defaults and join no one
        s.create_key("666666666666", now).unwrap();
        assert!(s.members("222222222222", true).unwrap().is_empty());
    }
}
