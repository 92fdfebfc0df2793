//! Server-generated roles (notary-v1.md §3.4, §3.5): the next snapshot from the previous one
//! plus the exact stored bytes of the roles loaded in an update, and the next timestamp over
//! the exact snapshot bytes. Entries are built only from `SignedFile`s: the bytes hashed are
//! the bytes stored and served.
//!
//! Must not: read storage or the clock (callers pass both in), or verify anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::crypto::PrivateKey;
use crate::tuf::wire::{Expires, Snapshot, Timestamp};
use crate::tuf::{sign_role, Error, KeyId, RawSigned, RoleName, SignedFile, SigningKey};

/// notary's snapshot lifetime (3 × 365 days).
pub fn snapshot_lifetime() -> Duration {
    Duration::days(3 * 365)
}

/// notary's timestamp lifetime (14 days).
pub fn timestamp_lifetime() -> Duration {
    Duration::days(14)
}

/// Read the typed body of a row this server stored itself (it was validated or generated
/// before it was written). Used only to carry `meta` and versions forward, never to decide
/// trust for a client.
pub fn stored_role<R: crate::tuf::wire::Role>(role: &RoleName, bytes: &[u8]) -> Result<R, Error> {
    RawSigned::<R>::from_bytes(role, bytes, u64::MAX).map(|raw| raw.signed_untrusted().clone())
}

/// The next snapshot: `previous` (if any) with `version + 1`, a fresh expiry, and the entries
/// of `files` recomputed from their exact bytes; other entries are kept.
pub fn next_snapshot(
    previous: Option<&Snapshot>,
    files: &BTreeMap<RoleName, SignedFile>,
    now: DateTime<Utc>,
    key: &PrivateKey,
    key_id: &KeyId,
) -> Result<SignedFile, Error> {
    let expires = Expires::utc(now + snapshot_lifetime());
    let mut snapshot = match previous {
        Some(prev) => {
            let mut next = prev.clone();
            next.version = prev.version + 1;
            next.expires = expires;
            next
        }
        None => Snapshot::new(1, expires),
    };
    for (role, file) in files {
        snapshot.set_meta(role, file);
    }
    sign_role(
        &RoleName::snapshot(),
        &snapshot,
        &[SigningKey::new(key, key_id)],
        None,
    )
}

/// The next timestamp (`previous_version + 1`, 14 days) naming the exact `snapshot` bytes.
pub fn next_timestamp(
    previous_version: i64,
    snapshot: &SignedFile,
    now: DateTime<Utc>,
    key: &PrivateKey,
    key_id: &KeyId,
) -> Result<SignedFile, Error> {
    let mut timestamp = Timestamp::new(
        previous_version + 1,
        Expires::utc(now + timestamp_lifetime()),
    );
    timestamp.set_snapshot(snapshot);
    sign_role(
        &RoleName::timestamp(),
        &timestamp,
        &[SigningKey::new(key, key_id)],
        None,
    )
}
