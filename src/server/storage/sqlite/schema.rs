//! The SQLite schema: numbered migration steps (append, never edit; each applied once and
//! recorded in `schema_migrations`) and creating the database file with private permissions.
//! Must not: hold queries of the storage contract (those live in `mod.rs`).

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use rusqlite::{params, Connection, TransactionBehavior};

use super::super::common::time_to_nanos;
use super::super::StorageError;
use super::{backend, SqliteStorage, BACKEND};
use crate::clock::{Clock, SystemClock};

/// One schema step. Versions are consecutive from 1; a released step is never changed.
pub(super) struct Migration {
    pub(super) version: i64,
    sql: &'static str,
}

pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: "
        CREATE TABLE tuf_files (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            gun         TEXT    NOT NULL,
            role        TEXT    NOT NULL,
            version     INTEGER NOT NULL,
            sha256      TEXT    NOT NULL,
            data        BLOB    NOT NULL,
            created_at  INTEGER NOT NULL,
            UNIQUE (gun, role, version)
        );
        CREATE INDEX tuf_files_checksum ON tuf_files (gun, role, sha256);
        CREATE TABLE changefeed (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at  INTEGER NOT NULL,
            gun         TEXT    NOT NULL,
            version     INTEGER NOT NULL,
            sha256      TEXT    NOT NULL,
            category    TEXT    NOT NULL CHECK (category IN ('update', 'deletion'))
        );
        CREATE INDEX changefeed_gun ON changefeed (gun, id);
        CREATE TABLE server_keys (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            gun               TEXT    NOT NULL,
            role              TEXT    NOT NULL,
            key_id            TEXT    NOT NULL,
            algorithm         TEXT    NOT NULL,
            public            BLOB    NOT NULL,
            encrypted_private BLOB    NOT NULL,
            created_at        INTEGER NOT NULL,
            UNIQUE (gun, role, key_id)
        );
    ",
    },
    // Covering indexes: "which file is current / has this checksum" (version, sha256,
    // created_at) is answered from the index alone, without reading the row, whose `data`
    // may span many overflow pages. The first subsumes `tuf_files_checksum`.
    Migration {
        version: 2,
        sql: "
        CREATE INDEX tuf_files_checksum_ref ON tuf_files (gun, role, sha256, version, created_at);
        DROP INDEX tuf_files_checksum;
        CREATE INDEX tuf_files_version_ref ON tuf_files (gun, role, version, sha256, created_at);
    ",
    },
];

/// Create missing parent directories (0700) and the database file (0600) if absent.
pub(super) fn create_file(path: &Path) -> Result<(), StorageError> {
    let io = |action: &str, p: &Path, e: std::io::Error| StorageError::Backend {
        backend: BACKEND,
        message: format!("{action} {}: {e}", p.display()),
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|e| io("creating directory", parent, e))?;
        }
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| io("creating", path, e))?;
    Ok(())
}

/// Apply pending migrations in one `BEGIN IMMEDIATE` transaction (safe against another
/// process opening the same file at the same time).
pub(super) fn migrate(path: &Path, conn: &mut Connection) -> Result<(), StorageError> {
    let err = |e| backend(path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL
        )",
    )
    .map_err(err)?;
    let current: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    let latest = SqliteStorage::latest_schema_version();
    if current > latest {
        return Err(StorageError::Backend {
            backend: BACKEND,
            message: format!(
                "{}: database schema version {current} is newer than this trustctl supports ({latest})",
                path.display()
            ),
        });
    }
    let now = time_to_nanos(BACKEND, SystemClock.now())?;
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(m.sql).map_err(err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![m.version, now],
        )
        .map_err(err)?;
    }
    tx.commit().map_err(err)
}
