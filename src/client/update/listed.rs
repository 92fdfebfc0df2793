//! Whether bytes are the file a parent lists: exact length, sha256 (required) and sha512 when
//! listed, the digests of a large file computed beside its parse; and the roles whose `meta`
//! lists other files. Part of the update walk (`client::trusted`).

use std::collections::BTreeMap;

use super::TrustError;
use crate::tuf::wire::{FileMeta, Role, Snapshot, Timestamp};
use crate::tuf::{Gun, RoleName};

/// How bytes failed to match their parent's listing: which check, expected, actual.
pub(super) type Unlisted = (&'static str, String, String);

/// The error for `role`'s bytes not matching what `parent` lists.
pub(super) fn mismatch(
    gun: &Gun,
    role: &RoleName,
    parent: &RoleName,
    unlisted: Unlisted,
) -> TrustError {
    let (what, expected, actual) = unlisted;
    TrustError::Mismatch {
        gun: gun.clone(),
        role: role.clone(),
        parent: parent.clone(),
        what,
        expected,
        actual,
    }
}

/// Check bytes against the `FileMeta` a parent lists: exact length, sha256 (required) and
/// sha512 when listed; on failure, which check and the expected/actual renderings.
pub(super) fn check_listed(bytes: &[u8], meta: &FileMeta) -> Result<(), Unlisted> {
    check_length_sha256(bytes, meta)?;
    check_sha512(bytes, meta)
}

/// Length and sha256: what decides whether bytes are the listed file.
pub(super) fn check_length_sha256(bytes: &[u8], meta: &FileMeta) -> Result<(), Unlisted> {
    if meta.length != bytes.len() as i64 {
        return Err(("length", meta.length.to_string(), bytes.len().to_string()));
    }
    let Some(want) = meta.hash("sha256") else {
        return Err(("sha256", "(none listed)".into(), String::new()));
    };
    let got = crate::crypto::digest::sha256(bytes);
    if want != got.as_slice() {
        return Err(("sha256", hex::encode(want), hex::encode(got)));
    }
    Ok(())
}

/// sha512, when listed (checked only once sha256 matched: a cached file that is no longer
/// current costs one digest, not two).
pub(super) fn check_sha512(bytes: &[u8], meta: &FileMeta) -> Result<(), Unlisted> {
    if let Some(want) = meta.hash("sha512") {
        let got = crate::crypto::digest::sha512(bytes);
        if want != got.as_slice() {
            return Err(("sha512", hex::encode(want), hex::encode(got)));
        }
    }
    Ok(())
}

/// Files at least this large have their sha512 computed on another thread while they are
/// parsed and verified (a 10,000-tag targets file: about 1.5 ms).
pub(super) const OVERLAP_MIN: usize = 256 << 10;

/// How likely bytes are to be the file their parent lists, which decides what runs beside
/// the parse of a large file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    /// A cached copy, possibly out of date: length and sha256 first, so a mismatch costs no
    /// parse; then the sha512 beside the parse.
    MaybeStale,
    /// Fetched just now by hash or as the server's current file: every digest beside the
    /// parse (a mismatch here means a race or an attack, and its parse is thrown away).
    Current,
}

/// `verify(bytes)` for bytes that match what their parent lists; for a large file digests
/// run on another thread while `verify` parses (see [`Expect`]). The length is checked first,
/// and a mismatch wins over whatever `verify` found.
pub(super) fn verify_listed<T>(
    bytes: &[u8],
    meta: &FileMeta,
    expect: Expect,
    verify: impl Fn(&[u8]) -> T,
) -> Result<T, Unlisted> {
    if bytes.len() < OVERLAP_MIN || meta.length != bytes.len() as i64 {
        check_listed(bytes, meta)?;
        return Ok(verify(bytes));
    }
    if expect == Expect::MaybeStale {
        check_length_sha256(bytes, meta)?;
    }
    let beside = |bytes: &[u8]| match expect {
        Expect::MaybeStale => check_sha512(bytes, meta),
        Expect::Current => check_listed(bytes, meta),
    };
    std::thread::scope(|scope| {
        let check = scope.spawn(|| beside(bytes));
        let verified = verify(bytes);
        // A check thread that died is redone here rather than trusted.
        let checked = check.join().unwrap_or_else(|_| beside(bytes));
        checked.map(|()| verified)
    })
}

/// A role whose `meta` lists other files (timestamp: the snapshot; snapshot: the rest).
pub(super) trait Listing: Role {
    fn meta(&self) -> &BTreeMap<RoleName, FileMeta>;
}

impl Listing for Timestamp {
    fn meta(&self) -> &BTreeMap<RoleName, FileMeta> {
        &self.meta
    }
}

impl Listing for Snapshot {
    fn meta(&self) -> &BTreeMap<RoleName, FileMeta> {
        &self.meta
    }
}

/// What `meta` lists for `role`; not listed is an error naming the parent.
pub(super) fn listed<'m>(
    gun: &Gun,
    meta: &'m BTreeMap<RoleName, FileMeta>,
    role: &RoleName,
    parent_role: &RoleName,
) -> Result<&'m FileMeta, TrustError> {
    meta.get(role).ok_or_else(|| TrustError::NotListed {
        gun: gun.clone(),
        role: role.clone(),
        parent: parent_role.clone(),
    })
}
