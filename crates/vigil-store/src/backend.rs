//! The store as the findings service sees it.
//!
//! The server holds a `Box<dyn FindingsStore>`: SQLite ([`crate::Store`]) implements it today;
//! a PostgreSQL backend implements the same trait and the API layer does not change. The
//! contract every implementation keeps is the one `tests/lifecycle.rs` checks: one submission
//! is one transaction (all or nothing), finding identity is the ARN, every status change is
//! recorded in the history, and suppression rules apply to present and future findings.

use std::collections::HashMap;

use serde_json::Value;
use time::OffsetDateTime;

use crate::{
    DeepInspection, FilterRecord, FilterSpec, FindingQuery, IngestReport, Matcher, ResourceRecord,
    Result, StoredResource, Submission, Transition, keys,
};

pub trait FindingsStore: Send + Sync {
    /// Creates an access key for `account` (creating the account), returning the secret once.
    fn create_key(&self, account: &str, now: OffsetDateTime) -> Result<keys::AccessKey>;
    /// The secret and account of an active access key.
    fn secret_for(&self, access_key_id: &str) -> Result<Option<(String, String)>>;
    fn accounts(&self) -> Result<Vec<String>>;
    /// Counts for monitoring: findings and resources by their labels.
    fn counts(&self) -> Result<crate::Counts>;
    /// Records a scan and applies the finding lifecycle (see [`crate::Store::ingest`]).
    fn ingest(&self, sub: Submission<'_>, matches: Matcher<'_>) -> Result<IngestReport>;
    fn findings(&self, q: &FindingQuery, keep: &dyn Fn(&Value) -> bool) -> Result<Vec<Value>>;
    /// The console dashboard's counts (see [`crate::Store::dashboard`]).
    fn dashboard(
        &self,
        scope: &crate::dashboard::Scope,
        since: &str,
        per_type: usize,
    ) -> Result<crate::dashboard::Dashboard>;
    /// Open findings by title (see [`crate::Store::open_by_title`]).
    fn open_by_title(
        &self,
        scope: &crate::dashboard::Scope,
    ) -> Result<Vec<crate::dashboard::TitleCounts>>;
    /// A page of findings in a store-side order (see [`crate::Store::findings_ordered`]).
    fn findings_ordered(
        &self,
        q: &FindingQuery,
        order: crate::FindingOrder,
        descending: bool,
        keep: Option<&crate::Compiled>,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<Value>, bool)>;
    fn history(&self, account: &str, arn: &str) -> Result<Vec<Transition>>;
    fn resources(&self, account: &str, region: Option<&str>) -> Result<Vec<StoredResource>>;
    fn advisory_digests(&self) -> Result<HashMap<(String, String), Vec<u8>>>;
    fn set_advisory_digests(
        &self,
        digests: &mut dyn Iterator<Item = ((String, String), Vec<u8>)>,
    ) -> Result<()>;
    fn resources_with_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<(String, String, String)>>;
    fn resource_inventory(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Result<Option<(ResourceRecord, Vec<u8>)>>;
    fn delete_resource(
        &self,
        account: &str,
        region: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<u64>;
    fn create_filter(
        &self,
        account: &str,
        region: &str,
        spec: FilterSpec,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<String>;
    fn update_filter(
        &self,
        account: &str,
        arn: &str,
        update: &dyn Fn(&mut FilterRecord),
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<FilterRecord>;
    fn delete_filter(
        &self,
        account: &str,
        arn: &str,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<()>;
    /// Creates or updates filters by name in one transaction (see
    /// [`crate::Store::upsert_filters`]).
    fn upsert_filters(
        &self,
        account: &str,
        region: &str,
        specs: Vec<FilterSpec>,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<Vec<(String, crate::Upsert)>>;
    fn filters(&self, account: &str) -> Result<Vec<FilterRecord>>;
    /// How many findings each suppression rule of an account suppresses now.
    fn suppressed_counts(&self, account: &str) -> Result<HashMap<String, u64>>;
    fn expire_rules(&self, account: &str, now: OffsetDateTime, matches: Matcher<'_>)
    -> Result<u64>;
    fn scan_types(&self, account: &str, region: &str) -> Result<Vec<(String, String)>>;
    fn set_scan_types(
        &self,
        account: &str,
        region: &str,
        types: &[&str],
        status: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, String)>>;
    fn configuration(&self, account: &str) -> Result<Option<Value>>;
    fn set_configuration(&self, account: &str, body: &Value, now: OffsetDateTime) -> Result<()>;
    /// Records a host agent's heartbeat on a resource; answers the recorded time.
    fn heartbeat(
        &self,
        account: &str,
        region: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<String>;
    fn deep_inspection(&self, account: &str) -> Result<Option<DeepInspection>>;
    fn set_deep_inspection(
        &self,
        account: &str,
        config: &DeepInspection,
        now: OffsetDateTime,
    ) -> Result<()>;
    /// Registries, followed images and the image scan queue.
    fn registry_store(&self) -> &dyn crate::registry::RegistryStore;
    /// Agentless host roots.
    fn host_store(&self) -> &dyn crate::hosts::HostStore;
    /// Function versions and layer versions.
    fn function_store(&self) -> &dyn crate::functions::FunctionStore;
    /// Principals, access keys and the audit trail.
    fn access_store(&self) -> &dyn crate::access::AccessStore;
    /// The organization: delegated administrator, members, auto-enable.
    fn org_store(&self) -> &dyn crate::org::OrgStore;
    /// Usage totals of accounts in a month (see [`crate::usage`]).
    fn usage_totals(
        &self,
        accounts: &[String],
        month: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::usage::UsageTotal>>;
    /// Findings reports and SBOM exports.
    fn report_store(&self) -> &dyn crate::reports::ReportStore;
    /// The event outbox, destinations and deliveries.
    fn event_store(&self) -> &dyn crate::events::EventStore;
}

impl FindingsStore for crate::Store {
    fn create_key(&self, account: &str, now: OffsetDateTime) -> Result<keys::AccessKey> {
        crate::Store::create_key(self, account, now)
    }
    fn secret_for(&self, access_key_id: &str) -> Result<Option<(String, String)>> {
        crate::Store::secret_for(self, access_key_id)
    }
    fn counts(&self) -> Result<crate::Counts> {
        crate::Store::counts(self)
    }
    fn accounts(&self) -> Result<Vec<String>> {
        crate::Store::accounts(self)
    }
    fn ingest(&self, sub: Submission<'_>, matches: Matcher<'_>) -> Result<IngestReport> {
        crate::Store::ingest(self, sub, matches)
    }
    fn findings(&self, q: &FindingQuery, keep: &dyn Fn(&Value) -> bool) -> Result<Vec<Value>> {
        crate::Store::findings(self, q, keep)
    }
    fn dashboard(
        &self,
        scope: &crate::dashboard::Scope,
        since: &str,
        per_type: usize,
    ) -> Result<crate::dashboard::Dashboard> {
        crate::Store::dashboard(self, scope, since, per_type)
    }
    fn open_by_title(
        &self,
        scope: &crate::dashboard::Scope,
    ) -> Result<Vec<crate::dashboard::TitleCounts>> {
        crate::Store::open_by_title(self, scope)
    }
    fn findings_ordered(
        &self,
        q: &FindingQuery,
        order: crate::FindingOrder,
        descending: bool,
        keep: Option<&crate::Compiled>,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<Value>, bool)> {
        crate::Store::findings_ordered(self, q, order, descending, keep, skip, take)
    }
    fn history(&self, account: &str, arn: &str) -> Result<Vec<Transition>> {
        crate::Store::history(self, account, arn)
    }
    fn advisory_digests(&self) -> Result<HashMap<(String, String), Vec<u8>>> {
        crate::Store::advisory_digests(self)
    }
    fn set_advisory_digests(
        &self,
        digests: &mut dyn Iterator<Item = ((String, String), Vec<u8>)>,
    ) -> Result<()> {
        crate::Store::set_advisory_digests(self, digests)
    }
    fn resources_with_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<(String, String, String)>> {
        crate::Store::resources_with_keys(self, keys)
    }
    fn resource_inventory(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Result<Option<(ResourceRecord, Vec<u8>)>> {
        crate::Store::resource_inventory(self, account, region, id)
    }
    fn delete_resource(
        &self,
        account: &str,
        region: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<u64> {
        crate::Store::delete_resource(self, account, region, id, now)
    }
    fn resources(&self, account: &str, region: Option<&str>) -> Result<Vec<StoredResource>> {
        crate::Store::resources(self, account, region)
    }
    fn create_filter(
        &self,
        account: &str,
        region: &str,
        spec: FilterSpec,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<String> {
        crate::Store::create_filter(self, account, region, spec, now, matches)
    }
    fn update_filter(
        &self,
        account: &str,
        arn: &str,
        update: &dyn Fn(&mut FilterRecord),
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<FilterRecord> {
        crate::Store::update_filter(self, account, arn, update, now, matches)
    }
    fn delete_filter(
        &self,
        account: &str,
        arn: &str,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<()> {
        crate::Store::delete_filter(self, account, arn, now, matches)
    }
    fn upsert_filters(
        &self,
        account: &str,
        region: &str,
        specs: Vec<FilterSpec>,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<Vec<(String, crate::Upsert)>> {
        crate::Store::upsert_filters(self, account, region, specs, now, matches)
    }
    fn filters(&self, account: &str) -> Result<Vec<FilterRecord>> {
        crate::Store::filters(self, account)
    }
    fn suppressed_counts(&self, account: &str) -> Result<HashMap<String, u64>> {
        crate::Store::suppressed_counts(self, account)
    }
    fn expire_rules(
        &self,
        account: &str,
        now: OffsetDateTime,
        matches: Matcher<'_>,
    ) -> Result<u64> {
        crate::Store::expire_rules(self, account, now, matches)
    }
    fn scan_types(&self, account: &str, region: &str) -> Result<Vec<(String, String)>> {
        crate::Store::scan_types(self, account, region)
    }
    fn set_scan_types(
        &self,
        account: &str,
        region: &str,
        types: &[&str],
        status: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, String)>> {
        crate::Store::set_scan_types(self, account, region, types, status, now)
    }
    fn configuration(&self, account: &str) -> Result<Option<Value>> {
        crate::Store::configuration(self, account)
    }
    fn set_configuration(&self, account: &str, body: &Value, now: OffsetDateTime) -> Result<()> {
        crate::Store::set_configuration(self, account, body, now)
    }
    fn heartbeat(
        &self,
        account: &str,
        region: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<String> {
        crate::Store::heartbeat(self, account, region, id, now)
    }
    fn deep_inspection(&self, account: &str) -> Result<Option<DeepInspection>> {
        crate::Store::deep_inspection(self, account)
    }
    fn set_deep_inspection(
        &self,
        account: &str,
        config: &DeepInspection,
        now: OffsetDateTime,
    ) -> Result<()> {
        crate::Store::set_deep_inspection(self, account, config, now)
    }
    fn registry_store(&self) -> &dyn crate::registry::RegistryStore {
        self
    }
    fn event_store(&self) -> &dyn crate::events::EventStore {
        self
    }
    fn host_store(&self) -> &dyn crate::hosts::HostStore {
        self
    }
    fn function_store(&self) -> &dyn crate::functions::FunctionStore {
        self
    }
    fn access_store(&self) -> &dyn crate::access::AccessStore {
        self
    }
    fn report_store(&self) -> &dyn crate::reports::ReportStore {
        self
    }
    fn org_store(&self) -> &dyn crate::org::OrgStore {
        self
    }
    fn usage_totals(
        &self,
        accounts: &[String],
        month: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::usage::UsageTotal>> {
        crate::Store::usage_totals(self, accounts, month, now)
    }
}
