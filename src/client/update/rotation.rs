//! Step 1 of the update walk: establish the trusted root. Bootstrap (pinning or trust on
//! first use) when nothing is cached, then follow every root rotation by version: each
//! `<n>.root.json` must be signed by a threshold of the previous root's root keys and of its
//! own (core's `tuf::verify_root`). Only a 404 ends the walk; any other failure is an error,
//! never "nothing newer".

// TrustError carries repository, role, versions and times by design; cold path.
#![allow(clippy::result_large_err)]

use super::error::TrustError;
use super::source::{FetchError, MetadataSource, RemoteFile};
use crate::client::pinning::{check_bootstrap, Bootstrap, Pinning, RootKeyInfo};
use crate::tuf::verify::Expiry;
use crate::tuf::wire::{Role, Root};
use crate::tuf::{verify_root, Gun, KeyId, RawSigned, RoleName, Verified};

/// Largest root file accepted (notary: 100 MiB for roots of unknown size).
pub const MAX_ROOT: u64 = 100 << 20;
/// Most rotations followed in one update (bounds the walk against an endless server).
const MAX_ROTATIONS: u64 = 1024;

/// A verified root with the exact bytes it was read from.
#[derive(Debug, Clone)]
pub struct CheckedRoot {
    pub verified: Verified<Root>,
    pub bytes: Vec<u8>,
}

impl CheckedRoot {
    pub fn signed(&self) -> &Root {
        self.verified.signed()
    }
    pub fn version(&self) -> u64 {
        self.verified.version().max(0) as u64
    }
    /// Key IDs and threshold the root lists for a base role.
    pub fn role_keyids(&self, role: &str) -> (Vec<KeyId>, i64) {
        RoleName::new(role)
            .ok()
            .and_then(|r| self.signed().role(&r).cloned())
            .map(|r| (r.keyids, r.threshold))
            .unwrap_or_default()
    }
    /// Root key IDs with their certificates, for pinning.
    pub fn root_key_info(&self) -> Vec<RootKeyInfo> {
        let (ids, _) = self.role_keyids("root");
        ids.iter()
            .filter_map(|id| {
                let key = self.signed().keys.get(id)?;
                Some(RootKeyInfo {
                    id: id.clone(),
                    cert_pem: key
                        .keytype
                        .ends_with("-x509")
                        .then(|| key.keyval.public.0.clone()),
                })
            })
            .collect()
    }
}

/// Map a metadata-model error for `role` (at `version`, 0 when unknown) to the walk's error.
pub(crate) fn map_tuf(
    gun: &Gun,
    role: &RoleName,
    version: i64,
    e: crate::tuf::Error,
) -> TrustError {
    use crate::tuf::Error as E;
    let gun = gun.clone();
    let role = role.clone();
    match e {
        E::NoSignatures { .. } => TrustError::NoSignatures { gun, role },
        E::Threshold {
            valid, threshold, ..
        } => TrustError::Threshold {
            gun,
            role,
            version: version.max(0) as u64,
            valid,
            threshold,
        },
        E::Malformed { detail, .. } => TrustError::Malformed {
            gun,
            role,
            reason: detail,
        },
        E::WrongType {
            expected, found, ..
        } => TrustError::WrongType {
            gun,
            role,
            expected,
            found,
        },
        E::Expired { expires, now, .. } => TrustError::Expired {
            gun,
            role,
            expires,
            now,
        },
        E::TooLarge { limit, .. } => TrustError::Oversized { gun, role, limit },
        source => TrustError::Metadata { gun, role, source },
    }
}

pub(crate) fn map_fetch(
    gun: &Gun,
    role: &RoleName,
    file: &RemoteFile,
    limit: u64,
    e: FetchError,
) -> TrustError {
    match e {
        FetchError::TooLarge => TrustError::Oversized {
            gun: gun.clone(),
            role: role.clone(),
            limit,
        },
        FetchError::NotFound => TrustError::Fetch {
            gun: gun.clone(),
            file: file.file_name(),
            message: "not found (404)".into(),
            not_found: true,
        },
        FetchError::Other(message) => TrustError::Fetch {
            gun: gun.clone(),
            file: file.file_name(),
            message,
            not_found: false,
        },
    }
}

/// Parse a root and check it is self-consistent: structure, a certificate for this GUN, and
/// a threshold of its own root keys (expiry is checked by the walk on the final root).
pub fn self_checked(gun: &Gun, bytes: Vec<u8>) -> Result<CheckedRoot, TrustError> {
    let role = RoleName::root();
    let raw = RawSigned::<Root>::from_bytes(&role, &bytes, MAX_ROOT)
        .map_err(|e| map_tuf(gun, &role, 0, e))?;
    let v = raw.signed_untrusted().version();
    let verified =
        verify_root(raw, gun, None, Expiry::Ignore).map_err(|e| map_tuf(gun, &role, v, e))?;
    Ok(CheckedRoot { verified, bytes })
}

/// Bootstrap: fetch the newest root, check it is self-consistent and satisfies the pin.
pub async fn bootstrap<S: MetadataSource>(
    source: &S,
    gun: &Gun,
    pinning: &Pinning,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(CheckedRoot, Bootstrap), TrustError> {
    let pin = pinning.pin_for(gun)?;
    let bytes = match source
        .fetch(gun, &RemoteFile::Current(RoleName::root()), MAX_ROOT)
        .await
    {
        Ok(b) => b,
        Err(FetchError::NotFound) => {
            return Err(TrustError::NoTrustData {
                gun: gun.clone(),
                server: source.server(),
            })
        }
        Err(e) => {
            return Err(map_fetch(
                gun,
                &RoleName::root(),
                &RemoteFile::Current(RoleName::root()),
                MAX_ROOT,
                e,
            ))
        }
    };
    let root = self_checked(gun, bytes)?;
    let how = check_bootstrap(gun, &pin, &root.root_key_info(), now)?;
    Ok((root, how))
}

/// The answer to a request for `<version>.root.json` made before the walk knew it would need
/// it (a cold start asks for `2.root.json` beside `root.json`: most roots never rotated).
pub struct Probed {
    pub version: u64,
    pub answer: Result<Vec<u8>, FetchError>,
}

/// Follow rotations from `trusted`: fetch `<v+1>.root.json` until 404, each checked against
/// its predecessor and itself. Returns the newest root (or `trusted` when none is newer).
/// An answer already `probed` for the first version needed stands in for its request (it is
/// checked as any fetched file); one for another version is dropped.
pub async fn walk_rotations<S: MetadataSource>(
    source: &S,
    gun: &Gun,
    mut trusted: CheckedRoot,
    mut probed: Option<Probed>,
) -> Result<CheckedRoot, TrustError> {
    use crate::tuf::Error as E;
    let role = RoleName::root();
    for _ in 0..MAX_ROTATIONS {
        let from = trusted.version();
        let next = from + 1;
        let file = RemoteFile::RootVersion(next);
        let answer = match probed.take() {
            Some(p) if p.version == next => p.answer,
            _ => source.fetch(gun, &file, MAX_ROOT).await,
        };
        let bytes = match answer {
            Ok(b) => b,
            // 1. Only "not found" means there is no newer root.
            Err(FetchError::NotFound) => return Ok(trusted),
            Err(e) => return Err(map_fetch(gun, &role, &file, MAX_ROOT, e)),
        };
        // 2. Parse; the version must be the one requested.
        let raw = RawSigned::<Root>::from_bytes(&role, &bytes, MAX_ROOT)
            .map_err(|e| map_tuf(gun, &role, next as i64, e))?;
        let served = raw.signed_untrusted().version();
        if served != next as i64 {
            return Err(TrustError::RootVersionMismatch {
                gun: gun.clone(),
                expected: next,
                served: served.max(0) as u64,
            });
        }
        // 3. Signed by a threshold of the previous root's root keys and of its own
        //    certificate keys for this GUN; structure as for any root.
        let (_, prev_threshold) = trusted.role_keyids("root");
        let rotation =
            |which: &'static str, valid: usize, threshold: i64| TrustError::RotationNotSigned {
                gun: gun.clone(),
                from,
                to: next,
                which,
                valid,
                threshold,
            };
        let verified = verify_root(raw, gun, Some(&trusted.verified), Expiry::Ignore).map_err(
            |e| match e {
                E::RotationThreshold { valid, threshold } => rotation("previous", valid, threshold),
                E::NoSignatures { .. } => rotation("previous", 0, prev_threshold),
                E::Threshold {
                    valid, threshold, ..
                } => rotation("new", valid, threshold),
                other => map_tuf(gun, &role, next as i64, other),
            },
        )?;
        // 4. Advance (local only; the caller commits after the whole chain verified).
        trusted = CheckedRoot { verified, bytes };
    }
    Err(TrustError::BadRoot {
        gun: gun.clone(),
        version: trusted.version(),
        reason: "more than 1024 root rotations in one update",
    })
}
