//! Metadata reads (notary-v1.md §2.4): current (`{role}.json`), by version (`{n}.{role}.json`)
//! and by checksum (`{role}.{sha256}.json`), with `Cache-Control`/`Last-Modified` (§2.2).
//!
//! "Current" follows the SQL backends: the latest timestamp names the snapshot (by sha256), the
//! snapshot names every other role (by sha256). A GET of `timestamp.json` or `snapshot.json`
//! re-signs an expired snapshot (when the server holds its key) and an expired timestamp, and
//! stores both atomically before answering.
//!
//! Storage decides which row answers every request (`locate`: version, checksum, write time,
//! no bytes); the bytes, and the parsed timestamp and snapshot, come from the checksum-keyed
//! `BodyCache` (read from storage on a miss). So several instances sharing one database
//! always agree on what is current, and a large file is neither read nor copied per request.
//! Must not: serve bytes other than those stored.

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::super::cache::Body;
use super::super::config::CacheConfig;
use super::super::errors::ApiError;
use super::super::generate::{next_snapshot, next_timestamp};
use super::super::signing::signing_key;
use super::super::storage::{Lookup, NewRecord, StorageError};
use super::super::validate::stored_root;
use super::super::{Error, Inner};
use crate::tuf::wire::{FileMeta, Snapshot};
use crate::tuf::{Gun, RoleName, SignedFile};

/// Which `Cache-Control` policy a response gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    Current,
    Consistent,
}

/// A file to answer with: its exact stored bytes (shared with the cache, never copied) and
/// when its row was written.
#[derive(Debug, Clone)]
pub struct Served {
    pub bytes: Bytes,
    pub created_at: DateTime<Utc>,
}

/// A 200 response with the stored bytes verbatim and notary's cache headers.
pub fn metadata_response(file: Served, kind: CacheKind, cache: CacheConfig) -> Response {
    let modified = last_modified(file.created_at);
    let mut response = (StatusCode::OK, file.bytes).into_response();
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

fn lookup<T>(gun: &Gun, what: &str, r: Result<T, StorageError>) -> Result<T, ApiError> {
    match r {
        Ok(found) => Ok(found),
        Err(StorageError::NotFound) => Err(ApiError::not_found()),
        Err(e) => {
            tracing::error!(gun = %gun, what, error = %e, "metadata lookup failed");
            Err(ApiError::internal())
        }
    }
}

/// The typed form of a stored body, or `500` (the server validated it before storing it).
fn parsed<'a, R>(gun: &Gun, role: &RoleName, r: Result<&'a R, &str>) -> Result<&'a R, ApiError> {
    r.map_err(|e| {
        tracing::error!(gun = %gun, role = %role, error = e, "stored metadata unreadable");
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

/// The stored body of `role` whose checksum is `sha256`: from the cache, else read once from
/// storage (and checked against the checksum storage recorded for it).
fn body(inner: &Inner, gun: &Gun, role: &RoleName, sha256: &str) -> Result<Arc<Body>, ApiError> {
    if let Some(body) = inner.bodies.get(sha256) {
        return Ok(body);
    }
    let record = lookup(
        gun,
        "checksum",
        inner.storage.get_checksum(gun, role, sha256),
    )?;
    let (computed, body) = inner.bodies.insert(Bytes::from(record.data));
    if computed != sha256 {
        tracing::error!(gun = %gun, role = %role, stored = sha256, computed, "stored bytes do not match their checksum");
        return Err(ApiError::internal());
    }
    Ok(body)
}

/// The row storage names for `which`, served from its (cached) bytes.
fn serve(inner: &Inner, gun: &Gun, role: &RoleName, which: Lookup<'_>) -> Result<Served, ApiError> {
    let located = lookup(gun, "metadata", inner.storage.locate(gun, role, which))?;
    let body = body(inner, gun, role, &located.sha256)?;
    Ok(Served {
        bytes: body.bytes().clone(),
        created_at: located.created_at,
    })
}

/// `GET {n}.{role}.json`.
pub fn by_version(inner: &Inner, gun: &Gun, role: &str, version: &str) -> Result<Served, ApiError> {
    let role = RoleName::new(role).map_err(|_| ApiError::not_found())?;
    let version: u64 = version.parse().map_err(|_| ApiError::not_found())?;
    serve(inner, gun, &role, Lookup::Version(version))
}

/// `GET {role}.{checksum}.json`: only sha256 (64 hex) can match a stored file.
pub fn by_checksum(
    inner: &Inner,
    gun: &Gun,
    role: &str,
    checksum: &str,
) -> Result<Served, ApiError> {
    let role = RoleName::new(role).map_err(|_| ApiError::not_found())?;
    if checksum.len() != 64 {
        return Err(ApiError::not_found());
    }
    serve(inner, gun, &role, Lookup::Checksum(checksum))
}

/// `GET {role}.json`.
pub fn current(inner: &Inner, gun: &Gun, role: &str) -> Result<Served, ApiError> {
    let role = RoleName::new(role).map_err(|_| ApiError::not_found())?;
    let (ts_role, sn_role) = (RoleName::timestamp(), RoleName::snapshot());
    if role == ts_role {
        let (body, created_at) = fresh_timestamp(inner, gun)?;
        return Ok(Served {
            bytes: body.bytes().clone(),
            created_at,
        });
    }
    let ts_body = if role == sn_role {
        fresh_timestamp(inner, gun)?.0
    } else {
        let located = lookup(
            gun,
            "timestamp",
            inner.storage.locate(gun, &ts_role, Lookup::Latest),
        )?;
        body(inner, gun, &ts_role, &located.sha256)?
    };
    let timestamp = parsed(gun, &ts_role, ts_body.timestamp())?;
    let sn_sha256 = sha256_of(gun, &sn_role, timestamp.snapshot_meta())?;
    if role == sn_role {
        return serve(inner, gun, &sn_role, Lookup::Checksum(&sn_sha256));
    }
    let sn_body = body(inner, gun, &sn_role, &sn_sha256)?;
    let snapshot = parsed(gun, &sn_role, sn_body.snapshot())?;
    let sha256 = sha256_of(gun, &role, snapshot.meta.get(&role))?;
    serve(inner, gun, &role, Lookup::Checksum(&sha256))
}

/// The current timestamp (body and write time), re-signed first if it (or the snapshot it
/// names) expired.
fn fresh_timestamp(inner: &Inner, gun: &Gun) -> Result<(Arc<Body>, DateTime<Utc>), ApiError> {
    let (ts_role, sn_role) = (RoleName::timestamp(), RoleName::snapshot());
    for attempt in 0..2 {
        let located = lookup(
            gun,
            "timestamp",
            inner.storage.locate(gun, &ts_role, Lookup::Latest),
        )?;
        let ts_body = body(inner, gun, &ts_role, &located.sha256)?;
        let timestamp = parsed(gun, &ts_role, ts_body.timestamp())?;
        let sn_sha256 = sha256_of(gun, &sn_role, timestamp.snapshot_meta())?;
        let sn_body = body(inner, gun, &sn_role, &sn_sha256)?;
        let snapshot = parsed(gun, &sn_role, sn_body.snapshot())?;
        let now = inner.clock.now();
        let snapshot_expired = snapshot.expires.is_expired_at(now);
        if !snapshot_expired && !timestamp.expires.is_expired_at(now) {
            return Ok((ts_body, located.created_at));
        }
        let current = Current {
            ts_version: located.version,
            snapshot_bytes: sn_body.bytes(),
            snapshot,
        };
        match refresh(inner, gun, &current, snapshot_expired, now) {
            Ok(bytes) => return Ok((inner.bodies.insert(bytes).1, now)),
            Err(Error::Storage(StorageError::VersionConflict { .. })) if attempt == 0 => continue,
            Err(e) => {
                tracing::error!(gun = %gun, error = %e, "cannot re-sign expired timestamp/snapshot");
                return Err(ApiError::internal());
            }
        }
    }
    Err(ApiError::internal())
}

/// What a re-signing starts from: the current timestamp's version and the snapshot it names.
struct Current<'a> {
    ts_version: u64,
    snapshot_bytes: &'a Bytes,
    snapshot: &'a Snapshot,
}

/// Re-sign the timestamp (and the snapshot if `snapshot_expired`), store both in one update
/// and return the new timestamp's bytes.
fn refresh(
    inner: &Inner,
    gun: &Gun,
    current: &Current<'_>,
    snapshot_expired: bool,
    now: DateTime<Utc>,
) -> Result<Bytes, Error> {
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
        let mut previous = current.snapshot.clone();
        previous.version = previous.version.max(latest.version as i64);
        let file = next_snapshot(Some(&previous), &Default::default(), now, &key, &key_id)?;
        records.push(NewRecord {
            role,
            version: previous.version as u64 + 1,
            data: file.bytes().to_vec(),
        });
        file
    } else {
        SignedFile::new(current.snapshot_bytes.to_vec())
    };
    let role = RoleName::timestamp();
    let (key, key_id) = signing_key(storage, &inner.vault, gun, &role, &key_ids(&role))?.ok_or(
        Error::NoServerKey {
            gun: gun.clone(),
            role: role.clone(),
        },
    )?;
    let version = current.ts_version as i64;
    let file = next_timestamp(version, &snapshot_file, now, &key, &key_id)?;
    records.push(NewRecord {
        role: role.clone(),
        version: version as u64 + 1,
        data: file.bytes().to_vec(),
    });
    storage.update_many(gun, &records)?;
    tracing::info!(gun = %gun, version = version + 1, resigned_snapshot = snapshot_expired, "re-signed expired metadata");
    Ok(Bytes::from(file.into_bytes()))
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
