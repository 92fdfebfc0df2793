//! Storage of trust metadata and server-managed keys: one contract, two backends (SQLite and
//! PostgreSQL) that pass the same conformance suite (`conformance.rs`).
//!
//! The storage layer stores and returns exact bytes; it hashes what it stores (the bytes you
//! hash are the bytes you serve). It knows nothing about TUF beyond role names and versions.
//! Calls are synchronous; the HTTP layer runs them on the blocking thread pool.

use chrono::{DateTime, Utc};

mod common;
#[doc(hidden)]
pub mod conformance;
mod postgres;
mod sqlite;

pub use self::postgres::PostgresStorage;
pub use common::{sha256_hex, DEFAULT_CHANGES_PAGE};
pub use sqlite::SqliteStorage;

use crate::tuf::{Gun, RoleName};

/// One stored metadata file (a version of a role of a repository).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaRecord {
    pub gun: Gun,
    pub role: RoleName,
    pub version: u64,
    /// Lowercase hex SHA-256 of `data`, computed by the storage layer.
    pub sha256: String,
    /// The exact bytes accepted from the client (or signed by the server).
    pub data: Vec<u8>,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
}

/// Which stored file of a role a metadata row is, without its bytes: enough to decide what to
/// serve and to find the bytes in a cache keyed by checksum (`locate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaRef {
    pub version: u64,
    /// Lowercase hex SHA-256 of the row's `data`.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl MetaRecord {
    /// The record's `MetaRef` (what `locate` answers for it).
    pub fn to_ref(&self) -> MetaRef {
        MetaRef {
            version: self.version,
            sha256: self.sha256.clone(),
            created_at: self.created_at,
        }
    }
}

/// Which row of a role `locate` finds: the same one `get_latest`, `get_version` or
/// `get_checksum` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    Latest,
    Version(u64),
    Checksum(&'a str),
}

/// A file to store in an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub role: RoleName,
    pub version: u64,
    pub data: Vec<u8>,
}

/// One changefeed entry: written for every stored timestamp and every non-empty delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Monotonic ID (notary serialises it as a string).
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub gun: Gun,
    /// Version of the timestamp written (0 for deletions).
    pub version: u64,
    /// Hex SHA-256 of the timestamp written ("" for deletions).
    pub sha256: String,
    pub category: ChangeCategory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeCategory {
    Update,
    Deletion,
}

impl ChangeCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeCategory::Update => "update",
            ChangeCategory::Deletion => "deletion",
        }
    }
}

/// A server-managed private key (snapshot or timestamp) of one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKey {
    pub gun: Gun,
    pub role: RoleName,
    /// TUF key ID of the public key.
    pub key_id: String,
    /// `ed25519` or `ecdsa`.
    pub algorithm: String,
    /// Public key bytes as they go into `keyval.public` (decoded from base64).
    pub public: Vec<u8>,
    /// The private key, encrypted by the server layer; storage never sees it in clear.
    pub encrypted_private: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No such GUN/role/version/checksum.
    #[error("not found")]
    NotFound,
    /// A record's version is not greater than every stored version of that role (another
    /// publisher got in first, or the client re-sent an old version). Nothing was written.
    #[error("version {version} of {role} is not newer than the stored version")]
    VersionConflict { role: String, version: u64 },
    /// The backend failed (connection, I/O, corrupt database). Carries the backend's message.
    #[error("{backend}: {message}")]
    Backend {
        backend: &'static str,
        message: String,
    },
}

/// The storage contract. Every method is atomic.
pub trait Storage: Send + Sync + 'static {
    /// Store all `records` for `gun` in one transaction: either all are written or none.
    /// Each record's version must be greater than every stored version of its role (else
    /// `VersionConflict`, nothing written). For a `timestamp` record in the batch, a changefeed
    /// `Update` entry with its version and sha256 is written in the same transaction.
    fn update_many(&self, gun: &Gun, records: &[NewRecord]) -> Result<(), StorageError>;

    /// The highest stored version of `role`.
    fn get_latest(&self, gun: &Gun, role: &RoleName) -> Result<MetaRecord, StorageError>;

    /// A given version of `role`.
    fn get_version(
        &self,
        gun: &Gun,
        role: &RoleName,
        version: u64,
    ) -> Result<MetaRecord, StorageError>;

    /// The stored file of `role` whose SHA-256 (lowercase hex) is `sha256`.
    fn get_checksum(
        &self,
        gun: &Gun,
        role: &RoleName,
        sha256: &str,
    ) -> Result<MetaRecord, StorageError>;

    /// The row `get_latest` / `get_version` / `get_checksum` would return, without its bytes
    /// (cheap: no blob is read). `NotFound` exactly when the full lookup is.
    fn locate(
        &self,
        gun: &Gun,
        role: &RoleName,
        which: Lookup<'_>,
    ) -> Result<MetaRef, StorageError>;

    /// Delete every version of every role of `gun` (keys stay). Returns whether anything was
    /// deleted; if so a changefeed `Deletion` entry is written in the same transaction.
    fn delete_gun(&self, gun: &Gun) -> Result<bool, StorageError>;

    /// Changefeed page. `gun` filters to one repository. `change_id` is an exclusive cursor:
    /// 0 = from the beginning, -1 = from the end. `records > 0` returns up to that many entries
    /// after the cursor; `records < 0` returns up to `|records|` entries before it. Entries are
    /// always oldest first.
    fn changes(
        &self,
        gun: Option<&Gun>,
        change_id: i64,
        records: i64,
    ) -> Result<Vec<Change>, StorageError>;

    /// Store a new server-managed key.
    fn put_key(&self, key: &ServerKey) -> Result<(), StorageError>;

    /// All server-managed keys of `gun` for `role`, oldest first.
    fn keys(&self, gun: &Gun, role: &RoleName) -> Result<Vec<ServerKey>, StorageError>;

    /// A cheap round trip to the backend, for health checks.
    fn check(&self) -> Result<(), StorageError>;
}
