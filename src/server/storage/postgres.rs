//! The PostgreSQL storage backend, for several stateless server instances sharing one
//! database.
//!
//! Connections come from an r2d2 pool. Migrations run at connect inside one transaction that
//! first takes a database-wide advisory lock, so instances starting together apply each step
//! once. Every write transaction first takes a per-GUN advisory lock (writers of one
//! repository queue; the version check then sees the winner's rows), and a changefeed insert
//! takes a global one held to commit, so feed IDs become visible in increasing order and a
//! cursor never skips an entry. A unique violation or serialisation failure that still slips
//! through is reported as `VersionConflict`. Calls block: run them off the async executor.
//! This module owns the SQL for PostgreSQL and nothing above the storage contract.

mod config;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ::postgres::error::SqlState;
use ::postgres::{NoTls, Row, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use self::config::PgTarget;
use super::common::{
    category_from_db, gun_from_db, role_from_db, sha256_hex, version_from_db, version_to_db,
    ChangesPlan,
};
use super::{
    Change, ChangeCategory, Lookup, MetaRecord, MetaRef, NewRecord, ServerKey, Storage,
    StorageError,
};
use crate::clock::{Clock, SystemClock};
use crate::tuf::{Gun, RoleName};

const BACKEND: &str = "postgres";

/// Advisory lock keys (arbitrary constants; "trst" in ASCII as the lock class).
const LOCK_MIGRATIONS: i64 = 0x7472_7374_6d69_6772;
const LOCK_CLASS_GUN: i32 = 0x7472_7374;
const LOCK_CLASS_FEED: i32 = 0x7472_7375;

const POOL_SIZE: u32 = 10;
const POOL_TIMEOUT: Duration = Duration::from_secs(15);

/// One schema step. Versions are consecutive from 1; a released step is never changed.
struct Migration {
    version: i64,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sql: "
        CREATE TABLE tuf_files (
            id          BIGSERIAL   PRIMARY KEY,
            gun         TEXT        NOT NULL,
            role        TEXT        NOT NULL,
            version     BIGINT      NOT NULL,
            sha256      TEXT        NOT NULL,
            data        BYTEA       NOT NULL,
            created_at  TIMESTAMPTZ NOT NULL,
            UNIQUE (gun, role, version)
        );
        CREATE INDEX tuf_files_checksum ON tuf_files (gun, role, sha256);
        CREATE TABLE changefeed (
            id          BIGSERIAL   PRIMARY KEY,
            created_at  TIMESTAMPTZ NOT NULL,
            gun         TEXT        NOT NULL,
            version     BIGINT      NOT NULL,
            sha256      TEXT        NOT NULL,
            category    TEXT        NOT NULL CHECK (category IN ('update', 'deletion'))
        );
        CREATE INDEX changefeed_gun ON changefeed (gun, id);
        CREATE TABLE server_keys (
            id                BIGSERIAL   PRIMARY KEY,
            gun               TEXT        NOT NULL,
            role              TEXT        NOT NULL,
            key_id            TEXT        NOT NULL,
            algorithm         TEXT        NOT NULL,
            public            BYTEA       NOT NULL,
            encrypted_private BYTEA       NOT NULL,
            created_at        TIMESTAMPTZ NOT NULL,
            UNIQUE (gun, role, key_id)
        );
    ",
}];

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// Trust metadata in a PostgreSQL database (optionally in one schema of it).
pub struct PostgresStorage {
    target: PgTarget,
    pool: Pool,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("target", &self.target.display)
            .finish_non_exhaustive()
    }
}

impl PostgresStorage {
    /// Connect to `url` (`postgres://user[:pass]@host:port/db[?schema=name&...]` or the
    /// key=value form), apply pending migrations and build the pool. `schema=<name>` (our
    /// extension) keeps the tables in that schema, created if missing.
    pub fn connect(url: &str) -> Result<PostgresStorage, StorageError> {
        Self::open(PgTarget::parse(url, None)?)
    }

    /// As `connect`, with the tables in `schema` (overrides a `schema` in the URL).
    pub fn connect_with_schema(url: &str, schema: &str) -> Result<PostgresStorage, StorageError> {
        Self::open(PgTarget::parse(url, Some(schema))?)
    }

    fn open(target: PgTarget) -> Result<PostgresStorage, StorageError> {
        let mut client = target
            .config
            .connect(NoTls)
            .map_err(|e| target.error("connecting", &e))?;
        migrate(&target, &mut client)?;
        drop(client);
        let manager = PostgresConnectionManager::new(target.config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(POOL_TIMEOUT)
            .build(manager)
            .map_err(|e| target.message(&format!("connection pool: {e}")))?;
        Ok(PostgresStorage {
            target,
            pool,
            clock: Arc::new(SystemClock),
        })
    }

    /// Use `clock` for `created_at` of new rows (tests pass a fixed clock). PostgreSQL keeps
    /// microseconds: finer parts of the clock's time are dropped.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> PostgresStorage {
        self.clock = clock;
        self
    }

    /// The schema version of the database (the last applied migration).
    pub fn schema_version(&self) -> Result<i64, StorageError> {
        let mut c = self.conn()?;
        let row = c
            .query_one("SELECT MAX(version) FROM schema_migrations", &[])
            .map_err(|e| self.err("reading schema version", &e))?;
        Ok(row.get::<_, Option<i64>>(0).unwrap_or(0))
    }

    /// The newest schema version this build knows.
    pub fn latest_schema_version() -> i64 {
        MIGRATIONS.last().map_or(0, |m| m.version)
    }

    fn conn(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, StorageError> {
        self.pool
            .get()
            .map_err(|e| self.target.message(&format!("connection pool: {e}")))
    }

    fn err(&self, what: &str, e: &::postgres::Error) -> StorageError {
        self.target.error(what, e)
    }

    /// Run `f` in a transaction that holds the advisory lock of `gun`; commit if Ok.
    fn write_gun<T>(
        &self,
        gun: &Gun,
        conflict: impl Fn() -> Option<StorageError>,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn
            .transaction()
            .map_err(|e| self.err("beginning transaction", &e))?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&LOCK_CLASS_GUN, &gun.as_str()],
        )
        .map_err(|e| self.err("locking repository", &e))?;
        let value = f(&mut tx)?;
        tx.commit().map_err(|e| match conflict() {
            Some(c) if is_race(&e) => c,
            _ => self.err("committing", &e),
        })?;
        Ok(value)
    }

    fn insert_record(
        &self,
        tx: &mut Transaction<'_>,
        gun: &Gun,
        record: &NewRecord,
        now: SystemTime,
    ) -> Result<(), StorageError> {
        let conflict = || StorageError::VersionConflict {
            role: record.role.to_string(),
            version: record.version,
        };
        let version = version_to_db(BACKEND, &record.role, record.version)?;
        let max: Option<i64> = tx
            .query_one(
                "SELECT MAX(version) FROM tuf_files WHERE gun = $1 AND role = $2",
                &[&gun.as_str(), &record.role.as_str()],
            )
            .map_err(|e| self.err("reading latest version", &e))?
            .get(0);
        if max.is_some_and(|m| version <= m) {
            return Err(conflict());
        }
        let sha256 = sha256_hex(&record.data);
        tx.execute(
            "INSERT INTO tuf_files (gun, role, version, sha256, data, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &gun.as_str(),
                &record.role.as_str(),
                &version,
                &sha256,
                &record.data,
                &now,
            ],
        )
        .map_err(|e| {
            if is_race(&e) {
                conflict()
            } else {
                self.err("storing metadata", &e)
            }
        })?;
        if record.role == RoleName::timestamp() {
            self.insert_change(tx, gun, version, &sha256, ChangeCategory::Update, now)?;
        }
        Ok(())
    }

    fn insert_change(
        &self,
        tx: &mut Transaction<'_>,
        gun: &Gun,
        version: i64,
        sha256: &str,
        category: ChangeCategory,
        now: SystemTime,
    ) -> Result<(), StorageError> {
        tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&LOCK_CLASS_FEED])
            .map_err(|e| self.err("locking changefeed", &e))?;
        tx.execute(
            "INSERT INTO changefeed (created_at, gun, version, sha256, category)
             VALUES ($1, $2, $3, $4, $5)",
            &[&now, &gun.as_str(), &version, &sha256, &category.as_str()],
        )
        .map_err(|e| self.err("writing changefeed", &e))?;
        Ok(())
    }

    fn get_one(
        &self,
        sql: &str,
        args: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<MetaRecord, StorageError> {
        let mut c = self.conn()?;
        let row = c
            .query_opt(sql, args)
            .map_err(|e| self.err("reading metadata", &e))?
            .ok_or(StorageError::NotFound)?;
        meta_from_row(&row).map_err(|e| self.err("decoding metadata", &e))?
    }
}

impl Storage for PostgresStorage {
    fn update_many(&self, gun: &Gun, records: &[NewRecord]) -> Result<(), StorageError> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        let now = SystemTime::from(self.clock.now());
        let conflict = || {
            Some(StorageError::VersionConflict {
                role: first.role.to_string(),
                version: first.version,
            })
        };
        self.write_gun(gun, conflict, |tx| {
            records
                .iter()
                .try_for_each(|r| self.insert_record(tx, gun, r, now))
        })
    }

    fn get_latest(&self, gun: &Gun, role: &RoleName) -> Result<MetaRecord, StorageError> {
        self.get_one(
            "SELECT gun, role, version, sha256, data, created_at FROM tuf_files
             WHERE gun = $1 AND role = $2 ORDER BY version DESC LIMIT 1",
            &[&gun.as_str(), &role.as_str()],
        )
    }

    fn get_version(
        &self,
        gun: &Gun,
        role: &RoleName,
        version: u64,
    ) -> Result<MetaRecord, StorageError> {
        let Ok(version) = i64::try_from(version) else {
            return Err(StorageError::NotFound);
        };
        self.get_one(
            "SELECT gun, role, version, sha256, data, created_at FROM tuf_files
             WHERE gun = $1 AND role = $2 AND version = $3",
            &[&gun.as_str(), &role.as_str(), &version],
        )
    }

    fn get_checksum(
        &self,
        gun: &Gun,
        role: &RoleName,
        sha256: &str,
    ) -> Result<MetaRecord, StorageError> {
        self.get_one(
            "SELECT gun, role, version, sha256, data, created_at FROM tuf_files
             WHERE gun = $1 AND role = $2 AND sha256 = $3 ORDER BY version DESC LIMIT 1",
            &[&gun.as_str(), &role.as_str(), &sha256],
        )
    }

    fn locate(
        &self,
        gun: &Gun,
        role: &RoleName,
        which: Lookup<'_>,
    ) -> Result<MetaRef, StorageError> {
        // `data` is TOASTed out of line, so these never read the file's bytes.
        let (gun, role) = (gun.as_str(), role.as_str());
        let mut c = self.conn()?;
        let row = match which {
            Lookup::Latest => c.query_opt(
                "SELECT version, sha256, created_at FROM tuf_files
                 WHERE gun = $1 AND role = $2 ORDER BY version DESC LIMIT 1",
                &[&gun, &role],
            ),
            Lookup::Version(version) => {
                let Ok(version) = i64::try_from(version) else {
                    return Err(StorageError::NotFound);
                };
                c.query_opt(
                    "SELECT version, sha256, created_at FROM tuf_files
                     WHERE gun = $1 AND role = $2 AND version = $3",
                    &[&gun, &role, &version],
                )
            }
            Lookup::Checksum(sha256) => c.query_opt(
                "SELECT version, sha256, created_at FROM tuf_files
                 WHERE gun = $1 AND role = $2 AND sha256 = $3 ORDER BY version DESC LIMIT 1",
                &[&gun, &role, &sha256],
            ),
        }
        .map_err(|e| self.err("locating metadata", &e))?
        .ok_or(StorageError::NotFound)?;
        ref_from_row(&row).map_err(|e| self.err("decoding metadata", &e))?
    }

    fn delete_gun(&self, gun: &Gun) -> Result<bool, StorageError> {
        let now = SystemTime::from(self.clock.now());
        self.write_gun(
            gun,
            || None,
            |tx| {
                let deleted = tx
                    .execute("DELETE FROM tuf_files WHERE gun = $1", &[&gun.as_str()])
                    .map_err(|e| self.err("deleting repository", &e))?;
                if deleted > 0 {
                    self.insert_change(tx, gun, 0, "", ChangeCategory::Deletion, now)?;
                }
                Ok(deleted > 0)
            },
        )
    }

    fn changes(
        &self,
        gun: Option<&Gun>,
        change_id: i64,
        records: i64,
    ) -> Result<Vec<Change>, StorageError> {
        let plan = ChangesPlan::new(change_id, records);
        let gun = gun.map(Gun::as_str);
        let (sql, cursor) = if plan.reversed {
            (
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed
                 WHERE ($1::text IS NULL OR gun = $1) AND ($2::bigint IS NULL OR id < $2)
                 ORDER BY id DESC LIMIT $3",
                plan.before,
            )
        } else {
            (
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed
                 WHERE ($1::text IS NULL OR gun = $1) AND id > $2::bigint
                 ORDER BY id ASC LIMIT $3",
                Some(plan.after),
            )
        };
        let mut c = self.conn()?;
        let rows = c
            .query(sql, &[&gun, &cursor, &plan.limit])
            .map_err(|e| self.err("reading changefeed", &e))?;
        let mut changes = rows
            .iter()
            .map(|r| change_from_row(r).map_err(|e| self.err("decoding changefeed", &e))?)
            .collect::<Result<Vec<_>, _>>()?;
        if plan.reversed {
            changes.reverse();
        }
        Ok(changes)
    }

    fn put_key(&self, key: &ServerKey) -> Result<(), StorageError> {
        let created = SystemTime::from(key.created_at);
        let mut c = self.conn()?;
        c.execute(
            "INSERT INTO server_keys
             (gun, role, key_id, algorithm, public, encrypted_private, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &key.gun.as_str(),
                &key.role.as_str(),
                &key.key_id,
                &key.algorithm,
                &key.public,
                &key.encrypted_private,
                &created,
            ],
        )
        .map_err(|e| self.err("storing server key", &e))?;
        Ok(())
    }

    fn keys(&self, gun: &Gun, role: &RoleName) -> Result<Vec<ServerKey>, StorageError> {
        let mut c = self.conn()?;
        let rows = c
            .query(
                "SELECT gun, role, key_id, algorithm, public, encrypted_private, created_at
                 FROM server_keys WHERE gun = $1 AND role = $2 ORDER BY id ASC",
                &[&gun.as_str(), &role.as_str()],
            )
            .map_err(|e| self.err("reading server keys", &e))?;
        rows.iter()
            .map(|r| key_from_row(r).map_err(|e| self.err("decoding server key", &e))?)
            .collect()
    }

    fn check(&self) -> Result<(), StorageError> {
        let mut c = self.conn()?;
        c.simple_query("SELECT 1")
            .map_err(|e| self.err("health check", &e))?;
        Ok(())
    }
}

/// Apply pending migrations in one transaction guarded by a database-wide advisory lock.
fn migrate(target: &PgTarget, client: &mut ::postgres::Client) -> Result<(), StorageError> {
    let err = |what: &str, e: ::postgres::Error| target.error(what, &e);
    let mut tx = client
        .transaction()
        .map_err(|e| err("beginning migration", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_MIGRATIONS])
        .map_err(|e| err("locking migrations", e))?;
    if let Some(schema) = &target.schema {
        // The name was checked to be a plain lowercase identifier (config::check_schema).
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .map_err(|e| err("creating schema", e))?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    BIGINT      PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .map_err(|e| err("creating schema_migrations", e))?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::bigint FROM schema_migrations",
            &[],
        )
        .map_err(|e| err("reading schema version", e))?
        .get(0);
    let latest = PostgresStorage::latest_schema_version();
    if current > latest {
        return Err(target.message(&format!(
            "database schema version {current} is newer than this trustctl supports ({latest})"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.sql)
            .map_err(|e| err(&format!("applying migration {}", m.version), e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&m.version],
        )
        .map_err(|e| err("recording migration", e))?;
    }
    tx.commit().map_err(|e| err("committing migration", e))
}

/// A concurrent writer won: unique violation, serialisation failure or deadlock victim.
fn is_race(e: &::postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::UNIQUE_VIOLATION
            || *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// Decode a metadata row. The outer error is the driver's (wrong column type), the inner one
/// a value the contract's types reject.
fn meta_from_row(r: &Row) -> Result<Result<MetaRecord, StorageError>, ::postgres::Error> {
    let (gun, role, version): (String, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
    let (sha256, data, created): (String, Vec<u8>, SystemTime) =
        (r.try_get(3)?, r.try_get(4)?, r.try_get(5)?);
    Ok((|| {
        Ok(MetaRecord {
            gun: gun_from_db(BACKEND, gun)?,
            role: role_from_db(BACKEND, role)?,
            version: version_from_db(BACKEND, version)?,
            sha256,
            data,
            created_at: created.into(),
        })
    })())
}

fn ref_from_row(r: &Row) -> Result<Result<MetaRef, StorageError>, ::postgres::Error> {
    let (version, sha256, created): (i64, String, SystemTime) =
        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
    Ok(version_from_db(BACKEND, version).map(|version| MetaRef {
        version,
        sha256,
        created_at: created.into(),
    }))
}

fn change_from_row(r: &Row) -> Result<Result<Change, StorageError>, ::postgres::Error> {
    let (id, created, gun): (i64, SystemTime, String) =
        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
    let (version, sha256, category): (i64, String, String) =
        (r.try_get(3)?, r.try_get(4)?, r.try_get(5)?);
    Ok((|| {
        Ok(Change {
            id,
            created_at: created.into(),
            gun: gun_from_db(BACKEND, gun)?,
            version: version_from_db(BACKEND, version)?,
            sha256,
            category: category_from_db(BACKEND, &category)?,
        })
    })())
}

fn key_from_row(r: &Row) -> Result<Result<ServerKey, StorageError>, ::postgres::Error> {
    let (gun, role, key_id, algorithm): (String, String, String, String) =
        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
    let (public, encrypted_private, created): (Vec<u8>, Vec<u8>, SystemTime) =
        (r.try_get(4)?, r.try_get(5)?, r.try_get(6)?);
    Ok((|| {
        Ok(ServerKey {
            gun: gun_from_db(BACKEND, gun)?,
            role: role_from_db(BACKEND, role)?,
            key_id,
            algorithm,
            public,
            encrypted_private,
            created_at: created.into(),
        })
    })())
}
