//! Schema migrations: each entry upgrades `PRAGMA user_version` by one, in a transaction.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: accounts, keys, resources, findings with history, filters
    "CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'ENABLED'
     );
     CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts(id),
        nonce BLOB NOT NULL,
        sealed BLOB NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'Active'
     );
     CREATE TABLE resources (
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        tags TEXT NOT NULL,
        details TEXT,
        inventory BLOB,
        scanned_at TEXT,
        scan_status TEXT,
        PRIMARY KEY (account, region, id)
     );
     CREATE TABLE findings (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        score REAL,
        type TEXT NOT NULL,
        vulnerability_id TEXT,
        title TEXT,
        first_observed_at TEXT NOT NULL,
        last_observed_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        suppressed_by TEXT,
        body TEXT NOT NULL
     );
     CREATE INDEX findings_by_status ON findings(account, status, severity);
     CREATE INDEX findings_by_resource ON findings(account, region, resource_id);
     CREATE TABLE finding_history (
        id INTEGER PRIMARY KEY,
        arn TEXT NOT NULL,
        at TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        reason TEXT NOT NULL
     );
     CREATE INDEX history_by_arn ON finding_history(arn);
     CREATE TABLE filters (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL,
        action TEXT NOT NULL,
        criteria TEXT NOT NULL,
        description TEXT,
        reason TEXT,
        expires_at TEXT,
        tags TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (account, name)
     );",
    // 2: pages of an account's findings in ARN order without sorting them all
    "CREATE INDEX findings_by_arn ON findings(account, region, arn);",
    // 3: the findings a rule suppresses (rule deletion and expiry touch only those)
    "CREATE INDEX findings_by_suppressor ON findings(account, suppressed_by);",
    // 4: per-account scan enablement (one row per resource type once changed) and the
    //    account's scan configuration (ECR rescan duration, EC2 scan mode) as JSON
    "CREATE TABLE account_scan_types (
        account TEXT NOT NULL REFERENCES accounts(id),
        resource_type TEXT NOT NULL,
        status TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, resource_type)
     );
     CREATE TABLE account_configuration (
        account TEXT PRIMARY KEY REFERENCES accounts(id),
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL
     );",
    // 5: each resource's key set (the advisory-database keys, ecosystem and normalised
    //    package name, its inventory was looked up under, as sorted 64-bit hashes), and the
    //    digest of each key in the advisory database the findings were last derived from: an
    //    update re-matches only the resources holding a changed key
    "ALTER TABLE resources ADD COLUMN key_hashes BLOB;
     CREATE TABLE advisory_keys (
        ecosystem TEXT NOT NULL,
        name TEXT NOT NULL,
        digest BLOB NOT NULL,
        PRIMARY KEY (ecosystem, name)
     ) WITHOUT ROWID;",
    // 6: host agents: the last heartbeat of a resource (NULL: never sent one), and the
    //    account's EC2 deep-inspection configuration (status and custom package paths)
    "ALTER TABLE resources ADD COLUMN heartbeat_at TEXT;
     CREATE TABLE deep_inspection (
        account TEXT PRIMARY KEY REFERENCES accounts(id),
        status TEXT NOT NULL,
        package_paths TEXT NOT NULL,
        updated_at TEXT NOT NULL
     );",
    // 7: registries (notification token as a hash, pull credentials sealed), the images Vigil
    //    follows in them (tags, push and pull times, monitoring state), and the durable queue
    //    of images to scan
    "CREATE TABLE registries (
        name TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        url TEXT NOT NULL,
        insecure_http INTEGER NOT NULL,
        token_hash BLOB NOT NULL,
        cred_nonce BLOB,
        cred_sealed BLOB,
        created_at TEXT NOT NULL
     );
     CREATE TABLE images (
        registry TEXT NOT NULL REFERENCES registries(name),
        repository TEXT NOT NULL,
        digest TEXT NOT NULL,
        tags TEXT NOT NULL,
        pushed_at TEXT,
        last_pulled_at TEXT,
        resource_id TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (registry, repository, digest)
     );
     CREATE TABLE image_queue (
        id INTEGER PRIMARY KEY,
        registry TEXT NOT NULL,
        repository TEXT NOT NULL,
        reference TEXT NOT NULL,
        tag TEXT,
        cause TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        not_before TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        UNIQUE (registry, repository, reference)
     );",
    // 8: hosts without an agent: root filesystems mounted on the server, inventoried on an
    //    interval
    "CREATE TABLE agentless_roots (
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        root_path TEXT NOT NULL,
        scan_interval_seconds INTEGER NOT NULL,
        tags TEXT NOT NULL,
        next_scan_at TEXT NOT NULL,
        last_scan_at TEXT,
        last_error TEXT,
        PRIMARY KEY (account, region, resource_id)
     );",
    // 9: function packages (Lambda-style): every published version with its configuration,
    //    code digest, layers (JSON: name, version, ARN, digest) and tags, the resource its
    //    findings hang on, and when it was deleted (version numbers are never reused); and the
    //    layer versions (a layer name's content digests, numbered in publication order)
    "CREATE TABLE functions (
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        runtime TEXT NOT NULL,
        handler TEXT NOT NULL,
        role TEXT NOT NULL,
        architectures TEXT NOT NULL,
        code_sha256 TEXT NOT NULL,
        code_size INTEGER NOT NULL,
        layers TEXT NOT NULL,
        tags TEXT NOT NULL,
        source TEXT NOT NULL,
        published_at TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        deleted_at TEXT,
        PRIMARY KEY (account, region, name, version)
     );
     CREATE TABLE function_layers (
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (account, region, name, version)
     );",
    // 10: the last network reachability analysis of each account and region: the hosts it
    //     covered (their network findings close when a later analysis no longer has them) and
    //     its summary (exposures, problems)
    "CREATE TABLE network_analyses (
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        hosts TEXT NOT NULL,
        summary TEXT NOT NULL,
        analyzed_at TEXT NOT NULL,
        PRIMARY KEY (account, region)
     );",
    // 11: principals (users, roles, agents) with identity policies; keys belong to one
    //     (NULL: the account's root key); the append-only audit trail
    "CREATE TABLE principals (
        account TEXT NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        region TEXT,
        policies TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (account, name)
     );
     ALTER TABLE access_keys ADD COLUMN principal TEXT;
     CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        event_name TEXT NOT NULL,
        event_source TEXT NOT NULL,
        read_only INTEGER NOT NULL,
        access_key_id TEXT,
        username TEXT,
        error_code TEXT,
        record TEXT NOT NULL
     );
     CREATE INDEX audit_by_account ON audit_events(account, seq);
     CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
     CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    // 12: usage metering per account, resource and month (ListUsageTotals)
    "CREATE TABLE usage_meter (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        month TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        scans INTEGER NOT NULL,
        rescans INTEGER NOT NULL,
        PRIMARY KEY (account, region, resource_id, month)
     );
     CREATE INDEX usage_by_month ON usage_meter(account, month);",
    // 13: enablement per region (region '*': every region without a row of its own; earlier
    //     rows become '*'); the organization: its delegated administrator, members, auto-enable
    //     settings, and the trigger that enrols a new account in the same transaction that
    //     creates it
    "CREATE TABLE account_scan_types_by_region (
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        status TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, region, resource_type)
     );
     INSERT INTO account_scan_types_by_region(account, region, resource_type, status, updated_at)
       SELECT account, '*', resource_type, status, updated_at FROM account_scan_types;
     DROP TABLE account_scan_types;
     ALTER TABLE account_scan_types_by_region RENAME TO account_scan_types;
     CREATE TABLE org_admin (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        admin_account TEXT NOT NULL,
        updated_at TEXT NOT NULL
     );
     CREATE TABLE org_members (
        account TEXT PRIMARY KEY,
        admin_account TEXT NOT NULL,
        relationship_status TEXT NOT NULL,
        updated_at TEXT NOT NULL
     );
     CREATE TABLE org_configuration (
        admin_account TEXT PRIMARY KEY,
        ec2 INTEGER NOT NULL,
        ecr INTEGER NOT NULL,
        lambda INTEGER NOT NULL,
        lambda_code INTEGER NOT NULL,
        code_repository INTEGER NOT NULL,
        updated_at TEXT NOT NULL
     );
     CREATE TRIGGER org_enrol_new_account AFTER INSERT ON accounts
     WHEN EXISTS (SELECT 1 FROM org_admin WHERE admin_account != NEW.id)
     BEGIN
        INSERT OR IGNORE INTO org_members(account, admin_account, relationship_status, updated_at)
          SELECT NEW.id, a.admin_account,
                 CASE WHEN c.ec2 OR c.ecr OR c.lambda OR c.lambda_code OR c.code_repository
                      THEN 'ENABLED' ELSE 'CREATED' END,
                 NEW.created_at
          FROM org_admin a JOIN org_configuration c ON c.admin_account = a.admin_account;
        INSERT OR REPLACE INTO account_scan_types(account, region, resource_type, status, updated_at)
          SELECT NEW.id, '*', t.type,
                 CASE WHEN (CASE t.type WHEN 'EC2' THEN c.ec2 WHEN 'ECR' THEN c.ecr
                                        WHEN 'LAMBDA' THEN c.lambda WHEN 'LAMBDA_CODE' THEN c.lambda_code
                                        ELSE c.code_repository END)
                      THEN 'ENABLED' ELSE 'DISABLED' END,
                 NEW.created_at
          FROM org_admin a JOIN org_configuration c ON c.admin_account = a.admin_account
          CROSS JOIN (SELECT 'EC2' AS type UNION ALL SELECT 'ECR' UNION ALL SELECT 'LAMBDA'
                      UNION ALL SELECT 'LAMBDA_CODE' UNION ALL SELECT 'CODE_REPOSITORY') t;
     END;",
    // 14: findings reports and SBOM exports (CreateFindingsReport, CreateSbomExport): one row
    //     per request with its state; rows IN_PROGRESS when a server starts are marked FAILED
    "CREATE TABLE IF NOT EXISTS reports (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        kind TEXT NOT NULL,
        format TEXT NOT NULL,
        status TEXT NOT NULL,
        error_code TEXT,
        error_message TEXT,
        destination TEXT NOT NULL,
        criteria TEXT,
        objects INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
     );
     CREATE INDEX IF NOT EXISTS reports_by_account ON reports (account, kind, status, created_at);",
    // 15: console passwords (argon2id hashes, never the password)
    "ALTER TABLE principals ADD COLUMN password_hash TEXT;
     ALTER TABLE principals ADD COLUMN password_changed_at TEXT;",
    // 16: finding events. The outbox is written by triggers in the transaction that changes
    //     a finding (created, or its status, severity, score, suppression or body changed: a
    //     rescan that only moves lastObservedAt writes nothing) or a resource (it appears,
    //     its scan status changes, it is deleted), plus one row per completed scan (written
    //     by ingest). Each row is a snapshot; its event id (the idempotency key) is a UUID
    //     made of the store's random id prefix and the row's sequence number (never reused:
    //     AUTOINCREMENT), so the triggers write no random key and no second index.
    //     Destinations (per account, pattern, sealed signing secret) read the outbox from
    //     their cursor into their own delivery rows (pending, delivered, dead).
    "CREATE TABLE event_ids (prefix TEXT NOT NULL);
     INSERT INTO event_ids(prefix) VALUES (substr(lower(hex(randomblob(8))), 1, 15));
     CREATE TABLE event_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        at TEXT NOT NULL,
        status TEXT,
        first_observed_at TEXT,
        last_observed_at TEXT,
        updated_at TEXT,
        suppressed_by TEXT,
        reason TEXT,
        body TEXT NOT NULL
     );
     CREATE TRIGGER findings_event_insert AFTER INSERT ON findings BEGIN
        INSERT INTO event_outbox(account, region, kind, subject, at, status, first_observed_at,
            last_observed_at, updated_at, suppressed_by, reason, body)
        VALUES (NEW.account, NEW.region, 'FINDING', NEW.arn, NEW.updated_at, NEW.status,
            NEW.first_observed_at, NEW.last_observed_at, NEW.updated_at, NEW.suppressed_by,
            (SELECT reason FROM filters WHERE arn = NEW.suppressed_by), NEW.body);
     END;
     CREATE TRIGGER findings_event_update AFTER UPDATE ON findings
     WHEN NEW.status IS NOT OLD.status OR NEW.severity IS NOT OLD.severity
       OR NEW.score IS NOT OLD.score OR NEW.suppressed_by IS NOT OLD.suppressed_by
       OR NEW.body IS NOT OLD.body
     BEGIN
        INSERT INTO event_outbox(account, region, kind, subject, at, status, first_observed_at,
            last_observed_at, updated_at, suppressed_by, reason, body)
        VALUES (NEW.account, NEW.region, 'FINDING', NEW.arn, NEW.updated_at, NEW.status,
            NEW.first_observed_at, NEW.last_observed_at, NEW.updated_at, NEW.suppressed_by,
            (SELECT reason FROM filters WHERE arn = NEW.suppressed_by), NEW.body);
     END;
     CREATE TRIGGER resources_event_insert AFTER INSERT ON resources BEGIN
        INSERT INTO event_outbox(account, region, kind, subject, at, status, last_observed_at, body)
        VALUES (NEW.account, NEW.region, 'COVERAGE', NEW.id, EVENT_NOW, NEW.scan_status,
            NEW.scanned_at, json_object('resourceType', NEW.type));
     END;
     CREATE TRIGGER resources_event_update AFTER UPDATE OF scan_status ON resources
     WHEN NEW.scan_status IS NOT OLD.scan_status BEGIN
        INSERT INTO event_outbox(account, region, kind, subject, at, status, last_observed_at, body)
        VALUES (NEW.account, NEW.region, 'COVERAGE', NEW.id, EVENT_NOW, NEW.scan_status,
            NEW.scanned_at, json_object('resourceType', NEW.type));
     END;
     CREATE TRIGGER resources_event_delete AFTER DELETE ON resources BEGIN
        INSERT INTO event_outbox(account, region, kind, subject, at, status, last_observed_at, body)
        VALUES (OLD.account, OLD.region, 'COVERAGE', OLD.id, EVENT_NOW, 'RESOURCE_TERMINATED',
            OLD.scanned_at, json_object('resourceType', OLD.type));
     END;
     CREATE TABLE event_destinations (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        config TEXT NOT NULL,
        pattern TEXT NOT NULL,
        secret_nonce BLOB,
        secret_sealed BLOB,
        enabled INTEGER NOT NULL DEFAULT 1,
        cursor INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (account, name)
     );
     CREATE TABLE event_deliveries (
        destination TEXT NOT NULL,
        seq INTEGER NOT NULL,
        subject TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at TEXT NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        done_at TEXT,
        PRIMARY KEY (destination, seq)
     ) WITHOUT ROWID;
     CREATE INDEX deliveries_pending ON event_deliveries(destination, subject, seq) WHERE state = 'PENDING';
     CREATE INDEX deliveries_by_state ON event_deliveries(destination, state, done_at);
     CREATE INDEX deliveries_by_seq ON event_deliveries(seq);",
    // 17: the console. Findings in Vigil-score order (a first page walks the index and
    //     stops, whatever the account's size); by vulnerability id and title (one index for
    //     the CVE filter and the "by vulnerability" view's counts, covering the latter); by
    //     status, resource and severity (covering the dashboard's counts); and the daily
    //     roll-up of the findings' lifecycle, kept by triggers on updates and deletions of
    //     the findings table itself (so every code path counts; the one INSERT path, ingest,
    //     adds its new findings once per transaction): per account, region, UTC day and
    //     severity, how many
    //     findings became ACTIVE and stopped being ACTIVE (a re-scored ACTIVE finding moves
    //     from its old severity to its new one), were created, and were closed (with the sum
    //     of their days from first seen to closed). Stores from before are backfilled from
    //     the lifecycle history, with the findings' current severities.
    "CREATE INDEX findings_by_score ON findings(account, region, score DESC, arn);
     CREATE INDEX findings_by_vulnerability ON findings(account, region, vulnerability_id, title, status, severity, score);
     CREATE INDEX findings_for_dashboard ON findings(account, region, status, resource_id, severity, score);
     CREATE TABLE finding_daily (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        day TEXT NOT NULL,
        severity TEXT NOT NULL,
        to_active INTEGER NOT NULL DEFAULT 0,
        from_active INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL DEFAULT 0,
        closed INTEGER NOT NULL DEFAULT 0,
        days_to_close REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (account, region, day, severity)
     ) WITHOUT ROWID;
     INSERT INTO finding_daily(account, region, day, severity, to_active, from_active, created, closed, days_to_close)
        SELECT f.account, f.region, substr(h.at, 1, 10), f.severity,
               sum(h.to_status = 'ACTIVE' AND coalesce(h.from_status, '') != 'ACTIVE'),
               sum(coalesce(h.from_status, '') = 'ACTIVE' AND h.to_status != 'ACTIVE'),
               sum(h.from_status IS NULL),
               sum(h.to_status = 'CLOSED' AND coalesce(h.from_status, '') != 'CLOSED'),
               coalesce(sum(CASE WHEN h.to_status = 'CLOSED' AND coalesce(h.from_status, '') != 'CLOSED'
                                 THEN julianday(h.at) - julianday(f.first_observed_at) END), 0)
        FROM finding_history h JOIN findings f ON f.arn = h.arn
        GROUP BY 1, 2, 3, 4;
     CREATE TRIGGER finding_daily_leave AFTER UPDATE OF status, severity ON findings
     WHEN OLD.status = 'ACTIVE' AND (NEW.status != 'ACTIVE' OR NEW.severity != OLD.severity) BEGIN
        INSERT INTO finding_daily(account, region, day, severity, from_active)
        VALUES (OLD.account, OLD.region, substr(NEW.updated_at, 1, 10), OLD.severity, 1)
        ON CONFLICT (account, region, day, severity) DO UPDATE SET from_active = from_active + 1;
     END;
     CREATE TRIGGER finding_daily_enter AFTER UPDATE OF status, severity ON findings
     WHEN NEW.status = 'ACTIVE' AND (OLD.status != 'ACTIVE' OR NEW.severity != OLD.severity) BEGIN
        INSERT INTO finding_daily(account, region, day, severity, to_active)
        VALUES (NEW.account, NEW.region, substr(NEW.updated_at, 1, 10), NEW.severity, 1)
        ON CONFLICT (account, region, day, severity) DO UPDATE SET to_active = to_active + 1;
     END;
     CREATE TRIGGER finding_daily_close AFTER UPDATE OF status ON findings
     WHEN NEW.status = 'CLOSED' AND OLD.status != 'CLOSED' BEGIN
        INSERT INTO finding_daily(account, region, day, severity, closed, days_to_close)
        VALUES (NEW.account, NEW.region, substr(NEW.updated_at, 1, 10), NEW.severity, 1,
                julianday(NEW.updated_at) - julianday(NEW.first_observed_at))
        ON CONFLICT (account, region, day, severity) DO UPDATE SET
            closed = closed + 1, days_to_close = days_to_close + excluded.days_to_close;
     END;
     CREATE TRIGGER finding_daily_delete AFTER DELETE ON findings WHEN OLD.status = 'ACTIVE' BEGIN
        INSERT INTO finding_daily(account, region, day, severity, from_active)
        VALUES (OLD.account, OLD.region, strftime('%Y-%m-%d', 'now'), OLD.severity, 1)
        ON CONFLICT (account, region, day, severity) DO UPDATE SET from_active = from_active + 1;
     END;",
];

/// The current time in the store's timestamp format, in SQL.
pub(crate) const EVENT_NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// The schema version this build writes.
pub const VERSION: usize = MIGRATIONS.len();

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if current > VERSION {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "the store has schema version {current}, newer than this build's {VERSION}; upgrade vigil"
        )));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        // the event triggers share the clock expression
        let m = m.replace("EVENT_NOW", EVENT_NOW);
        tx.execute_batch(&m)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
