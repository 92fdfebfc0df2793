//! Metadata reads (notary-v1.md §2.4): current (`{role}.json`), by version (`{n}.{role}.json`)
//! and by checksum (`{role}.{sha256}.json`), with `Cache-Control`/`Last-Modified` (§2.2).
//!
//! "Current" follows the SQL backends: the latest timestamp names the snapshot (by sha256), the
//! snapshot names every other role (by sha256). A GET of `timestamp.json` or `snapshot.json`
//! re-signs an expired snapshot (when the server holds its key) and an expired timestamp, and
//! stores both atomically before answering. Must not: serve bytes other than those stored.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::super::config::CacheConfig;
use super::super::errors::ApiError;
use super::super::generate::{next_snapshot, next_timestamp, stored_role};
use super::super::signing::signing_key;
use super::super::storage::{MetaRecord, NewRecord, StorageError};
use super::super::validate::stored_root;
use super::super::{Error, Inner};
use crate::tuf::wire::{FileMeta, Snapshot, Timestamp};
use crate::tuf::{Gun, RoleName, SignedFile};

/// Which `Cache-Control` policy a response gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    Current,
    Consistent,
}

/// A 200 response with the stored bytes verbatim and notary's cache headers.
/// Takes the record by value so the (possibly large) body moves into the response uncopied.
pub fn metadata_response(record: MetaRecord, kind: CacheKind, cache: CacheConfig) -> Response {
    let modified = last_modified(record.created_at);
    let mut response = (StatusCode::OK, record.data).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    let max_age = match kind {
        CacheKind::Current => cache.current,
        CacheKind::Consistent => cache.consistent,
    };
    let control = match (max_age, kind) {
        (0, _) => "max-age=0, no-cache, no-store".to_string(),
        (n, CacheKind::Current) => format!("public, max-age={n}, s-maxage={n}, must-revalidate"),
        (n, CacheKind::Consistent) => format!("public, max-age={n}, s-maxage={n}"),
    };
    if let Ok(v) = HeaderValue::from_str(&control) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    if max_age == 0 {
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    if let Ok(v) = HeaderValue::from_str(&modified) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    response
}

/// Go's `time.RFC1123` of a UTC time: `Sun, 22 Nov 2026 11:42:47 UTC`.
pub fn last_modified(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S UTC").to_string()
}

fn lookup(
    gun: &Gun,
    what: &str,
    r: Result<MetaRecord, StorageError>,
) -> Result<MetaRecord, ApiError> {
    match r {
        Ok(record) => Ok(record),
        Err(StorageError::NotFound) => Err(ApiError::not_found()),
        Err(e) => {
            tracing::error!(gun = %gun, what, error = %e, "metadata lookup failed");
            Err(ApiError::internal())
        }
    }
}

fn stored<R: crate::tuf::wire::Role>(gun: &Gun, record: &MetaRecord) -> Result<R, ApiError> {
    stored_role::<R>(&record.role, &record.data).map_err(|e| {
        tracing::error!(gun = %gun, role = %record.role, version = record.version, error = %e, "stored metadata unreadable");
        ApiError::internal()
    })
}

fn sha256_of(gun: &Gun, role: &RoleName, meta: Option<&FileMeta>) -> Result<String, ApiError> {
    match meta.and_then(FileMeta::sha256_hex) {
        Some(hex) => Ok(hex),
        None => {
            tracing::debug!(gun = %gun, role = %role, "role not listed in the current metadata");
            Err(ApiError::not_found())
        }
    }
}

/// `GET {n}.{role}.json`.
pub fn by_version(
    inner: &Inner,
    gun: &Gun,
    role: &str,
    version: &str,
) -> Result<MetaRecord, ApiError> {
    let role = RoleName::new(role).map_err(|_| ApiError::not_found())?;
    let version: u64 = version.parse().map_err(|_| ApiError::not_found())?;
    lookup(
        gun,
        "version",
        inner.storage.get_version(gun, &role, version),
    )
}

/// `GET {role}.{checksum}.json`: only sha256 (64 hex) can match a stored file.
pub fn by_checksum(
    inner: &Inner,
    gun: &Gun,
    role: &str,
    checksum: &str,
) -> Result<MetaRecord, ApiError> {
    let role = RoleName::new(role).map_err(|_| ApiError::not_found())?;
    if checksum.len() != 64 {
        return Err(ApiError::not_found());
    }
    lookup(
        gun,
        "checksum",
        inner.storage.get_checksum(gun, &role, checksum),
    )
}

/// `GET {role}.json`.
pub fn current(inner: &Inner, gun: &Gun, role: &str) -> Result<MetaRecord, ApiError> {
    let role = RoleName::new(role).map_err(|_| ApiError::not_found())?;
    if role == RoleName::timestamp() {
        return fresh_timestamp(inner, gun);
    }
    let ts_record = if role == RoleName::snapshot() {
        fresh_timestamp(inner, gun)?
    } else {
        lookup(
            gun,
            "timestamp",
            inner.storage.get_latest(gun, &RoleName::timestamp()),
        )?
    };
    let (_, sn_record) = snapshot_named_by(inner, gun, &ts_record)?;
    if role == RoleName::snapshot() {
        return Ok(sn_record);
    }
    let snapshot: Snapshot = stored(gun, &sn_record)?;
    let hex = sha256_of(gun, &role, snapshot.meta.get(&role))?;
    lookup(gun, "role", inner.storage.get_checksum(gun, &role, &hex))
}

/// The stored timestamp of `ts_record` and the snapshot it names (looked up by its sha256).
fn snapshot_named_by(
    inner: &Inner,
    gun: &Gun,
    ts_record: &MetaRecord,
) -> Result<(Timestamp, MetaRecord), ApiError> {
    let timestamp: Timestamp = stored(gun, ts_record)?;
    let snapshot_hex = sha256_of(gun, &RoleName::snapshot(), timestamp.snapshot_meta())?;
    let sn_record = lookup(
        gun,
        "snapshot",
        inner
            .storage
            .get_checksum(gun, &RoleName::snapshot(), &snapshot_hex),
    )?;
    Ok((timestamp, sn_record))
}

/// The current timestamp, re-signed first if it (or the snapshot it names) expired.
fn fresh_timestamp(inner: &Inner, gun: &Gun) -> Result<MetaRecord, ApiError> {
    let ts_role = RoleName::timestamp();
    for attempt in 0..2 {
        let ts_record = lookup(gun, "timestamp", inner.storage.get_latest(gun, &ts_role))?;
        let (timestamp, sn_record) = snapshot_named_by(inner, gun, &ts_record)?;
        let snapshot: Snapshot = stored(gun, &sn_record)?;
        let now = inner.clock.now();
        let snapshot_expired = snapshot.expires.is_expired_at(now);
        if !snapshot_expired && !timestamp.expires.is_expired_at(now) {
            return Ok(ts_record);
        }
        match refresh(
            inner,
            gun,
            &ts_record,
            &sn_record,
            &snapshot,
            snapshot_expired,
            now,
        ) {
            Ok(record) => return Ok(record),
            Err(Error::Storage(StorageError::VersionConflict { .. })) if attempt == 0 => continue,
            Err(e) => {
                tracing::error!(gun = %gun, error = %e, "cannot re-sign expired timestamp/snapshot");
                return Err(ApiError::internal());
            }
        }
    }
    Err(ApiError::internal())
}

fn refresh(
    inner: &Inner,
    gun: &Gun,
    ts_record: &MetaRecord,
    sn_record: &MetaRecord,
    snapshot: &Snapshot,
    snapshot_expired: bool,
    now: DateTime<Utc>,
) -> Result<MetaRecord, Error> {
    let storage = &*inner.storage;
    let (root, _) = stored_root(storage, gun)?.ok_or(Error::Storage(StorageError::NotFound))?;
    let key_ids = |role: &RoleName| {
        root.signed()
            .role(role)
            .map(|r| r.keyids.clone())
            .unwrap_or_default()
    };
    let mut records = Vec::new();
    let snapshot_file = if snapshot_expired {
        let role = RoleName::snapshot();
        let (key, key_id) = signing_key(storage, &inner.vault, gun, &role, &key_ids(&role))?
            .ok_or(Error::NoServerKey {
                gun: gun.clone(),
                role: role.clone(),
            })?;
        let latest = storage.get_latest(gun, &role)?;
        let mut previous = snapshot.clone();
        previous.version = previous.version.max(latest.version as i64);
        let file = next_snapshot(Some(&previous), &Default::default(), now, &key, &key_id)?;
        records.push(NewRecord {
            role,
            version: previous.version as u64 + 1,
            data: file.bytes().to_vec(),
        });
        file
    } else {
        SignedFile::new(sn_record.data.clone())
    };
    let role = RoleName::timestamp();
    let (key, key_id) = signing_key(storage, &inner.vault, gun, &role, &key_ids(&role))?.ok_or(
        Error::NoServerKey {
            gun: gun.clone(),
            role: role.clone(),
        },
    )?;
    let version = ts_record.version as i64;
    let file = next_timestamp(version, &snapshot_file, now, &key, &key_id)?;
    let file = SignedFile::new(file.into_bytes());
    records.push(NewRecord {
        role: role.clone(),
        version: version as u64 + 1,
        data: file.bytes().to_vec(),
    });
    storage.update_many(gun, &records)?;
    tracing::info!(gun = %gun, version = version + 1, resigned_snapshot = snapshot_expired, "re-signed expired metadata");
    Ok(MetaRecord {
        gun: gun.clone(),
        role,
        version: version as u64 + 1,
        sha256: file.sha256_hex(),
        data: file.into_bytes(),
        created_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_modified_is_go_rfc1123_utc() {
        let at: DateTime<Utc> = "2026-11-22T11:53:08.9Z".parse().unwrap();
        assert_eq!(last_modified(at), "Sun, 22 Nov 2026 11:53:08 UTC");
        let at: DateTime<Utc> = "2026-11-02T01:03:08Z".parse().unwrap();
        assert_eq!(last_modified(at), "Mon, 02 Nov 2026 01:03:08 UTC");
    }
}
