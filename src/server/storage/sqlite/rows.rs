//! Row values read from SQLite before validation into the contract's types (a hand-edited or
//! corrupt row becomes a `Backend` error, never a panic).

use rusqlite::Row;

use super::super::common::{
    category_from_db, gun_from_db, role_from_db, time_from_nanos, version_from_db,
};
use super::super::{Change, MetaRecord, MetaRef, ServerKey, StorageError};
use super::BACKEND;

/// Row values before validation into the contract's types.
pub(super) struct RawMeta {
    gun: String,
    role: String,
    version: i64,
    sha256: String,
    data: Vec<u8>,
    created_at: i64,
}

impl RawMeta {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<RawMeta> {
        Ok(RawMeta {
            gun: r.get(0)?,
            role: r.get(1)?,
            version: r.get(2)?,
            sha256: r.get(3)?,
            data: r.get(4)?,
            created_at: r.get(5)?,
        })
    }

    pub(super) fn into_record(self) -> Result<MetaRecord, StorageError> {
        Ok(MetaRecord {
            gun: gun_from_db(BACKEND, self.gun)?,
            role: role_from_db(BACKEND, self.role)?,
            version: version_from_db(BACKEND, self.version)?,
            sha256: self.sha256,
            data: self.data,
            created_at: time_from_nanos(self.created_at),
        })
    }
}

pub(super) struct RawChange {
    id: i64,
    created_at: i64,
    gun: String,
    version: i64,
    sha256: String,
    category: String,
}

impl RawChange {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<RawChange> {
        Ok(RawChange {
            id: r.get(0)?,
            created_at: r.get(1)?,
            gun: r.get(2)?,
            version: r.get(3)?,
            sha256: r.get(4)?,
            category: r.get(5)?,
        })
    }

    pub(super) fn into_change(self) -> Result<Change, StorageError> {
        Ok(Change {
            id: self.id,
            created_at: time_from_nanos(self.created_at),
            gun: gun_from_db(BACKEND, self.gun)?,
            version: version_from_db(BACKEND, self.version)?,
            sha256: self.sha256,
            category: category_from_db(BACKEND, &self.category)?,
        })
    }
}

pub(super) struct RawKey {
    gun: String,
    role: String,
    key_id: String,
    algorithm: String,
    public: Vec<u8>,
    encrypted_private: Vec<u8>,
    created_at: i64,
}

impl RawKey {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<RawKey> {
        Ok(RawKey {
            gun: r.get(0)?,
            role: r.get(1)?,
            key_id: r.get(2)?,
            algorithm: r.get(3)?,
            public: r.get(4)?,
            encrypted_private: r.get(5)?,
            created_at: r.get(6)?,
        })
    }

    pub(super) fn into_key(self) -> Result<ServerKey, StorageError> {
        Ok(ServerKey {
            gun: gun_from_db(BACKEND, self.gun)?,
            role: role_from_db(BACKEND, self.role)?,
            key_id: self.key_id,
            algorithm: self.algorithm,
            public: self.public,
            encrypted_private: self.encrypted_private,
            created_at: time_from_nanos(self.created_at),
        })
    }
}

/// `version, sha256, created_at` of a metadata row (what `locate` answers).
pub(super) struct RawRef {
    version: i64,
    sha256: String,
    created_at: i64,
}

impl RawRef {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<RawRef> {
        Ok(RawRef {
            version: r.get(0)?,
            sha256: r.get(1)?,
            created_at: r.get(2)?,
        })
    }

    pub(super) fn into_ref(self) -> Result<MetaRef, StorageError> {
        Ok(MetaRef {
            version: version_from_db(BACKEND, self.version)?,
            sha256: self.sha256,
            created_at: time_from_nanos(self.created_at),
        })
    }
}
