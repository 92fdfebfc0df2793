//! Pieces both SQL backends share: hashing stored bytes, version and time conversions, the
//! changefeed cursor rules (notary-v1.md §2.7) turned into a query plan, and row decoding into
//! the contract's types. No SQL and no I/O here: each backend writes its own statements.

use chrono::{DateTime, TimeZone, Utc};

use super::{ChangeCategory, StorageError};
use crate::tuf::{Gun, RoleName};

/// Page size when a changefeed request asks for `records = 0` (notary's default).
pub const DEFAULT_CHANGES_PAGE: i64 = 100;

/// Lowercase hex SHA-256 of exactly these bytes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(crate::crypto::digest::sha256(data))
}

/// A TUF version as the database stores it (signed 64-bit, like Go's `int`).
pub fn version_to_db(
    backend: &'static str,
    role: &RoleName,
    version: u64,
) -> Result<i64, StorageError> {
    i64::try_from(version).map_err(|_| StorageError::Backend {
        backend,
        message: format!("version {version} of {role} does not fit a 64-bit signed integer"),
    })
}

/// A stored version back to the contract's type; negative values mean a corrupt row.
pub fn version_from_db(backend: &'static str, version: i64) -> Result<u64, StorageError> {
    u64::try_from(version).map_err(|_| corrupt(backend, format!("negative version {version}")))
}

pub fn gun_from_db(backend: &'static str, value: String) -> Result<Gun, StorageError> {
    Gun::new(value).map_err(|e| corrupt(backend, format!("stored repository name: {e}")))
}

pub fn role_from_db(backend: &'static str, value: String) -> Result<RoleName, StorageError> {
    RoleName::new(value).map_err(|e| corrupt(backend, format!("stored role name: {e}")))
}

pub fn category_from_db(
    backend: &'static str,
    value: &str,
) -> Result<ChangeCategory, StorageError> {
    match value {
        "update" => Ok(ChangeCategory::Update),
        "deletion" => Ok(ChangeCategory::Deletion),
        other => Err(corrupt(backend, format!("changefeed category {other:?}"))),
    }
}

/// A stored row that the contract's types reject (hand-edited or corrupt database).
pub fn corrupt(backend: &'static str, what: String) -> StorageError {
    StorageError::Backend {
        backend,
        message: format!("corrupt row: {what}"),
    }
}

/// Nanoseconds since the Unix epoch (SQLite's representation; exact for 1677..2262).
pub fn time_to_nanos(backend: &'static str, t: DateTime<Utc>) -> Result<i64, StorageError> {
    t.timestamp_nanos_opt()
        .ok_or_else(|| StorageError::Backend {
            backend,
            message: format!("time {t} is outside the storable range"),
        })
}

pub fn time_from_nanos(nanos: i64) -> DateTime<Utc> {
    Utc.timestamp_nanos(nanos)
}

/// How to read one changefeed page, following notary's SQL store: a negative cursor or a
/// negative count reads backwards (newest first, then reversed to oldest first); reading
/// backwards from cursor 0 or -1 starts at the newest entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangesPlan {
    /// Read newest first (`id < before`), then reverse.
    pub reversed: bool,
    /// Forward: entries with `id > after`.
    pub after: i64,
    /// Backward: entries with `id < before` (None: from the newest).
    pub before: Option<i64>,
    /// At most this many entries.
    pub limit: i64,
}

impl ChangesPlan {
    pub fn new(change_id: i64, records: i64) -> ChangesPlan {
        let limit = match records {
            0 => DEFAULT_CHANGES_PAGE,
            n => i64::try_from(n.unsigned_abs()).unwrap_or(i64::MAX),
        };
        let reversed = change_id < 0 || records < 0;
        ChangesPlan {
            reversed,
            after: change_id.max(0),
            before: (reversed && change_id > 0).then_some(change_id),
            limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_plan_follows_notary_cursor_rules() {
        let forward = ChangesPlan::new(0, 10);
        assert_eq!(
            forward,
            ChangesPlan {
                reversed: false,
                after: 0,
                before: None,
                limit: 10
            }
        );
        let latest = ChangesPlan::new(-1, 5);
        assert_eq!(
            latest,
            ChangesPlan {
                reversed: true,
                after: 0,
                before: None,
                limit: 5
            }
        );
        let before = ChangesPlan::new(12, -3);
        assert_eq!(
            before,
            ChangesPlan {
                reversed: true,
                after: 12,
                before: Some(12),
                limit: 3
            }
        );
        let latest_from_zero = ChangesPlan::new(0, -3);
        assert_eq!(latest_from_zero.before, None);
        assert!(latest_from_zero.reversed);
        assert_eq!(ChangesPlan::new(7, 0).limit, DEFAULT_CHANGES_PAGE);
        assert_eq!(ChangesPlan::new(7, i64::MIN).limit, i64::MAX);
    }

    #[test]
    fn sha256_is_lowercase_hex_of_exact_bytes() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn nanosecond_times_round_trip() {
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(time_from_nanos(time_to_nanos("sqlite", t).unwrap()), t);
    }

    #[test]
    fn out_of_range_versions_are_backend_errors() {
        let err = version_to_db("sqlite", &RoleName::root(), u64::MAX).unwrap_err();
        assert!(matches!(
            err,
            StorageError::Backend {
                backend: "sqlite",
                ..
            }
        ));
        assert!(matches!(
            version_from_db("sqlite", -1),
            Err(StorageError::Backend {
                backend: "sqlite",
                ..
            })
        ));
    }
}
