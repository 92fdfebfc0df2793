//! The SQLite storage backend: one database file (WAL mode) for a single-host server.
//!
//! Writes go through one connection behind a mutex (threads of this process queue there) and
//! always run as `BEGIN IMMEDIATE` transactions, so a second process on the same file is
//! serialised by SQLite's own lock (waiting up to `BUSY_TIMEOUT`). Reads use a small pool of
//! separate connections and never block on writers (WAL). Schema changes are numbered steps in
//! `schema.rs`, applied at open and recorded in `schema_migrations`; append, never edit.
//! This module owns the SQL for SQLite and nothing above the storage contract.

mod rows;
mod schema;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use self::rows::{RawChange, RawKey, RawMeta, RawRef};
use self::schema::{create_file, migrate, MIGRATIONS};
use super::common::{sha256_hex, time_to_nanos, version_to_db, ChangesPlan};
use super::{
    Change, ChangeCategory, Lookup, MetaRecord, MetaRef, NewRecord, ServerKey, Storage,
    StorageError,
};
use crate::clock::{Clock, SystemClock};
use crate::tuf::{Gun, RoleName};

const BACKEND: &str = "sqlite";

/// How long a write waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Idle read connections kept for reuse (more are opened under load, then closed).
const MAX_IDLE_READERS: usize = 8;

/// Trust metadata in one SQLite file. Cheap to share: wrap in an `Arc`.
pub struct SqliteStorage {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStorage {
    /// Open (creating if needed) the database at `path`: missing parent directories are
    /// created 0700 and a new file 0600; WAL mode; pending migrations are applied.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStorage, StorageError> {
        let path = path.as_ref().to_path_buf();
        create_file(&path)?;
        let mut writer = connect(&path)?;
        writer
            .query_row("PRAGMA journal_mode = WAL", [], |row| {
                row.get::<_, String>(0)
            })
            .map_err(|e| backend(&path, e))?;
        migrate(&path, &mut writer)?;
        Ok(SqliteStorage {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            clock: Arc::new(SystemClock),
        })
    }

    /// Use `clock` for `created_at` of new rows (tests pass a fixed clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> SqliteStorage {
        self.clock = clock;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database (the last applied migration).
    pub fn schema_version(&self) -> Result<i64, StorageError> {
        self.read(|c| {
            c.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
        })
    }

    /// The newest schema version this build knows.
    pub fn latest_schema_version() -> i64 {
        MIGRATIONS.last().map_or(0, |m| m.version)
    }

    fn err(&self, e: rusqlite::Error) -> StorageError {
        backend(&self.path, e)
    }

    /// Run `f` on a pooled read connection.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StorageError> {
        let conn = match lock(&self.readers).pop() {
            Some(c) => c,
            None => {
                let c = connect(&self.path)?;
                c.pragma_update(None, "query_only", true)
                    .map_err(|e| self.err(e))?;
                c
            }
        };
        let result = f(&conn).map_err(|e| self.err(e));
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    /// Run `f` in a `BEGIN IMMEDIATE` transaction on the write connection; commit if it
    /// returns Ok, roll back otherwise.
    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let value = f(&tx)?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(value)
    }

    fn insert_record(
        &self,
        tx: &rusqlite::Transaction<'_>,
        gun: &Gun,
        record: &NewRecord,
        now: i64,
    ) -> Result<(), StorageError> {
        let conflict = || StorageError::VersionConflict {
            role: record.role.to_string(),
            version: record.version,
        };
        let version = version_to_db(BACKEND, &record.role, record.version)?;
        let max: Option<i64> = tx
            .prepare_cached("SELECT MAX(version) FROM tuf_files WHERE gun = ?1 AND role = ?2")
            .and_then(|mut s| {
                s.query_row(params![gun.as_str(), record.role.as_str()], |r| r.get(0))
            })
            .map_err(|e| self.err(e))?;
        if max.is_some_and(|m| version <= m) {
            return Err(conflict());
        }
        let sha256 = sha256_hex(&record.data);
        tx.prepare_cached(
            "INSERT INTO tuf_files (gun, role, version, sha256, data, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                gun.as_str(),
                record.role.as_str(),
                version,
                sha256,
                record.data,
                now
            ])
        })
        .map_err(|e| {
            if is_constraint(&e) {
                conflict()
            } else {
                self.err(e)
            }
        })?;
        if record.role == RoleName::timestamp() {
            insert_change(tx, gun, version, &sha256, ChangeCategory::Update, now)
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn get_one(&self, sql: &str, args: impl rusqlite::Params) -> Result<MetaRecord, StorageError> {
        let raw = self.read(|c| {
            c.prepare_cached(sql)?
                .query_row(args, RawMeta::from_row)
                .optional()
        })?;
        raw.ok_or(StorageError::NotFound)?.into_record()
    }
}

impl Storage for SqliteStorage {
    fn update_many(&self, gun: &Gun, records: &[NewRecord]) -> Result<(), StorageError> {
        if records.is_empty() {
            return Ok(());
        }
        let now = time_to_nanos(BACKEND, self.clock.now())?;
        self.write(|tx| {
            records
                .iter()
                .try_for_each(|r| self.insert_record(tx, gun, r, now))
        })
    }

    fn get_latest(&self, gun: &Gun, role: &RoleName) -> Result<MetaRecord, StorageError> {
        self.get_one(
            "SELECT gun, role, version, sha256, data, created_at FROM tuf_files
             WHERE gun = ?1 AND role = ?2 ORDER BY version DESC LIMIT 1",
            params![gun.as_str(), role.as_str()],
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
             WHERE gun = ?1 AND role = ?2 AND version = ?3",
            params![gun.as_str(), role.as_str(), version],
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
             WHERE gun = ?1 AND role = ?2 AND sha256 = ?3 ORDER BY version DESC LIMIT 1",
            params![gun.as_str(), role.as_str(), sha256],
        )
    }

    fn locate(
        &self,
        gun: &Gun,
        role: &RoleName,
        which: Lookup<'_>,
    ) -> Result<MetaRef, StorageError> {
        // Each query is answered from a covering index (schema step 2).
        let (gun, role) = (gun.as_str(), role.as_str());
        let query = |c: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]| {
            c.prepare_cached(sql)?
                .query_row(args, RawRef::from_row)
                .optional()
        };
        let raw = self.read(|c| match which {
            Lookup::Latest => query(
                c,
                "SELECT version, sha256, created_at FROM tuf_files
                 WHERE gun = ?1 AND role = ?2 ORDER BY version DESC LIMIT 1",
                params![gun, role],
            ),
            Lookup::Version(version) => match i64::try_from(version) {
                Ok(version) => query(
                    c,
                    "SELECT version, sha256, created_at FROM tuf_files
                     INDEXED BY tuf_files_version_ref
                     WHERE gun = ?1 AND role = ?2 AND version = ?3",
                    params![gun, role, version],
                ),
                Err(_) => Ok(None),
            },
            Lookup::Checksum(sha256) => query(
                c,
                "SELECT version, sha256, created_at FROM tuf_files
                 WHERE gun = ?1 AND role = ?2 AND sha256 = ?3 ORDER BY version DESC LIMIT 1",
                params![gun, role, sha256],
            ),
        })?;
        raw.ok_or(StorageError::NotFound)?.into_ref()
    }

    fn delete_gun(&self, gun: &Gun) -> Result<bool, StorageError> {
        let now = time_to_nanos(BACKEND, self.clock.now())?;
        self.write(|tx| {
            let deleted = tx
                .execute(
                    "DELETE FROM tuf_files WHERE gun = ?1",
                    params![gun.as_str()],
                )
                .map_err(|e| self.err(e))?;
            if deleted > 0 {
                insert_change(tx, gun, 0, "", ChangeCategory::Deletion, now)
                    .map_err(|e| self.err(e))?;
            }
            Ok(deleted > 0)
        })
    }

    fn changes(
        &self,
        gun: Option<&Gun>,
        change_id: i64,
        records: i64,
    ) -> Result<Vec<Change>, StorageError> {
        let plan = ChangesPlan::new(change_id, records);
        let gun = gun.map(Gun::as_str);
        let sql = if plan.reversed {
            "SELECT id, created_at, gun, version, sha256, category FROM changefeed
             WHERE (?1 IS NULL OR gun = ?1) AND (?2 IS NULL OR id < ?2)
             ORDER BY id DESC LIMIT ?3"
        } else {
            "SELECT id, created_at, gun, version, sha256, category FROM changefeed
             WHERE (?1 IS NULL OR gun = ?1) AND id > ?2
             ORDER BY id ASC LIMIT ?3"
        };
        let cursor = if plan.reversed {
            plan.before
        } else {
            Some(plan.after)
        };
        let raws = self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt.query_map(params![gun, cursor, plan.limit], RawChange::from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        let mut changes = raws
            .into_iter()
            .map(RawChange::into_change)
            .collect::<Result<Vec<_>, _>>()?;
        if plan.reversed {
            changes.reverse();
        }
        Ok(changes)
    }

    fn put_key(&self, key: &ServerKey) -> Result<(), StorageError> {
        let created = time_to_nanos(BACKEND, key.created_at)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO server_keys
                 (gun, role, key_id, algorithm, public, encrypted_private, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    key.gun.as_str(),
                    key.role.as_str(),
                    key.key_id,
                    key.algorithm,
                    key.public,
                    key.encrypted_private,
                    created
                ],
            )
            .map_err(|e| self.err(e))?;
            Ok(())
        })
    }

    fn keys(&self, gun: &Gun, role: &RoleName) -> Result<Vec<ServerKey>, StorageError> {
        let raws = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT gun, role, key_id, algorithm, public, encrypted_private, created_at
                 FROM server_keys WHERE gun = ?1 AND role = ?2 ORDER BY id ASC",
            )?;
            let rows = stmt.query_map(params![gun.as_str(), role.as_str()], RawKey::from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        raws.into_iter().map(RawKey::into_key).collect()
    }

    fn check(&self) -> Result<(), StorageError> {
        self.read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)))
            .map(|_| ())
    }
}

fn insert_change(
    tx: &rusqlite::Transaction<'_>,
    gun: &Gun,
    version: i64,
    sha256: &str,
    category: ChangeCategory,
    now: i64,
) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO changefeed (created_at, gun, version, sha256, category)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        now,
        gun.as_str(),
        version,
        sha256,
        category.as_str()
    ])
}

fn connect(path: &Path) -> Result<Connection, StorageError> {
    let conn = Connection::open(path).map_err(|e| backend(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| backend(path, e))?;
    Ok(conn)
}

fn backend(path: &Path, e: rusqlite::Error) -> StorageError {
    StorageError::Backend {
        backend: BACKEND,
        message: format!("{}: {e}", path.display()),
    }
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

/// A poisoned lock only means another thread panicked mid-call; its transaction was rolled
/// back when it unwound, so the connection is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn open_creates_private_dir_and_file_and_records_schema() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b/trust.db");
        let store = SqliteStorage::open(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&tmp.path().join("a/b")), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            store.schema_version().unwrap(),
            SqliteStorage::latest_schema_version()
        );
        drop(store);
        // Reopening applies nothing twice.
        let store = SqliteStorage::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            SqliteStorage::latest_schema_version()
        );
    }

    #[test]
    fn newer_schema_is_refused_with_both_versions() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("trust.db");
        drop(SqliteStorage::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (99, 0)", [])
            .unwrap();
        drop(conn);
        match SqliteStorage::open(&path) {
            Err(StorageError::Backend {
                backend: "sqlite",
                message,
            }) => {
                assert!(message.contains("schema version 99 is newer"), "{message}");
                assert!(
                    message.contains(&format!("({})", MIGRATIONS.len())),
                    "{message}"
                );
            }
            other => panic!("expected a schema error, got {other:?}"),
        }
    }

    #[test]
    fn unopenable_path_is_a_backend_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("plain-file");
        std::fs::File::create(&file).unwrap();
        match SqliteStorage::open(file.join("trust.db")) {
            Err(StorageError::Backend {
                backend: "sqlite",
                message,
            }) => {
                assert!(message.contains("plain-file"), "{message}");
            }
            other => panic!("expected a backend error, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_rows_are_backend_errors_not_panics() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("trust.db");
        let store = SqliteStorage::open(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO tuf_files (gun, role, version, sha256, data, created_at)
             VALUES ('ok/gun', 'root', -4, '', x'00', 0)",
            [],
        )
        .unwrap();
        let gun = Gun::new("ok/gun").unwrap();
        assert!(matches!(
            store.get_latest(&gun, &RoleName::root()),
            Err(StorageError::Backend {
                backend: "sqlite",
                ..
            })
        ));
    }
}
