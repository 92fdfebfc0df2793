//! Step 1 of the update walk: establish the trusted root. Bootstrap (pinning or trust on
//! first use) when nothing is cached, then follow every root rotation by version: each
//! `<n>.root.json` must be signed by a threshold of the previous root's root keys and of its
//! own. Only a 404 ends the walk; any other failure is an error, never "nothing newer".

// TrustError carries repository, role, versions and times by design (one-line, actionable
// errors); it is the cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

use super::error::TrustError;
use super::model::{self, ModelError, RootSigned, Untrusted};
use super::source::{FetchError, MetadataSource, RemoteFile};
use crate::client::pinning::{check_bootstrap, Bootstrap, Pinning, RootKeyInfo};
use crate::tuf::{Gun, KeyId, RoleName};

/// Largest root file accepted (notary: 100 MiB for roots of unknown size).
pub const MAX_ROOT: u64 = 100 << 20;
/// Most rotations followed in one update (bounds the walk against an endless server).
const MAX_ROTATIONS: u64 = 1024;

/// A root that passed every check, with its exact bytes.
#[derive(Debug, Clone)]
pub struct CheckedRoot {
    pub doc: Untrusted<RootSigned>,
    pub bytes: Vec<u8>,
}

impl CheckedRoot {
    pub fn signed(&self) -> &RootSigned {
        &self.doc.signed
    }
    pub fn role_keyids(&self, role: &str) -> (Vec<String>, u32) {
        self.doc
            .signed
            .roles
            .get(role)
            .map(|r| (r.keyids.clone().unwrap_or_default(), r.threshold))
            .unwrap_or_default()
    }
    /// Root key IDs with their certificates, for pinning.
    pub fn root_key_info(&self) -> Vec<RootKeyInfo> {
        let (ids, _) = self.role_keyids("root");
        ids.iter()
            .filter_map(|id| {
                let key = self.doc.signed.keys.get(id)?;
                Some(RootKeyInfo {
                    id: KeyId::new(id.clone()).ok()?,
                    cert_pem: model::cert_pem(key),
                })
            })
            .collect()
    }
}

pub(crate) fn map_model(gun: &Gun, role: &RoleName, version: u64, e: ModelError) -> TrustError {
    match e {
        ModelError::Malformed(reason) => TrustError::Malformed {
            gun: gun.clone(),
            role: role.clone(),
            reason,
        },
        ModelError::WrongType { expected, found } => TrustError::WrongType {
            gun: gun.clone(),
            role: role.clone(),
            expected,
            found,
        },
        ModelError::Threshold { valid, threshold } => TrustError::Threshold {
            gun: gun.clone(),
            role: role.clone(),
            version,
            valid,
            threshold,
        },
        ModelError::NoSignatures => TrustError::NoSignatures {
            gun: gun.clone(),
            role: role.clone(),
        },
        ModelError::BadRoot(reason) => TrustError::BadRoot {
            gun: gun.clone(),
            version,
            reason,
        },
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

/// Parse a root and check it is self-consistent: shape, CN, and signed by a threshold of its
/// own root keys.
pub fn self_checked(gun: &Gun, bytes: Vec<u8>) -> Result<CheckedRoot, TrustError> {
    let role = RoleName::root();
    let doc: Untrusted<RootSigned> =
        model::parse_untrusted(&bytes, "Root").map_err(|e| map_model(gun, &role, 0, e))?;
    let v = doc.signed.version;
    model::check_root_shape(&doc.signed, gun.as_str()).map_err(|e| map_model(gun, &role, v, e))?;
    let root = CheckedRoot { doc, bytes };
    let (ids, threshold) = root.role_keyids("root");
    root.doc
        .check_threshold(&root.doc.signed.keys, &ids, threshold)
        .map_err(|e| map_model(gun, &role, v, e))?;
    Ok(root)
}

/// Bootstrap: fetch the newest root, check it is self-consistent and satisfies the pin.
pub async fn bootstrap<S: MetadataSource>(
    source: &S,
    gun: &Gun,
    pinning: &Pinning,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(CheckedRoot, Bootstrap), TrustError> {
    let pin = pinning.pin_for(gun)?;
    let bytes = match source.fetch(gun, &RemoteFile::Root, MAX_ROOT).await {
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
                &RemoteFile::Root,
                MAX_ROOT,
                e,
            ))
        }
    };
    let root = self_checked(gun, bytes)?;
    let how = check_bootstrap(gun, &pin, &root.root_key_info(), now)?;
    Ok((root, how))
}

/// Follow rotations from `trusted`: fetch `<v+1>.root.json` until 404, each checked against
/// its predecessor and itself. Returns the newest root (or `trusted` when none is newer).
pub async fn walk_rotations<S: MetadataSource>(
    source: &S,
    gun: &Gun,
    mut trusted: CheckedRoot,
) -> Result<CheckedRoot, TrustError> {
    let role = RoleName::root();
    for _ in 0..MAX_ROTATIONS {
        let from = trusted.signed().version;
        let next = from + 1;
        let file = RemoteFile::RootVersion(next);
        let bytes = match source.fetch(gun, &file, MAX_ROOT).await {
            Ok(b) => b,
            // 1. Only "not found" means there is no newer root.
            Err(FetchError::NotFound) => return Ok(trusted),
            Err(e) => return Err(map_fetch(gun, &role, &file, MAX_ROOT, e)),
        };
        // 2. Parse; the version must be the one requested.
        let doc: Untrusted<RootSigned> =
            model::parse_untrusted(&bytes, "Root").map_err(|e| map_model(gun, &role, next, e))?;
        if doc.signed.version != next {
            return Err(TrustError::RootVersionMismatch {
                gun: gun.clone(),
                expected: next,
                served: doc.signed.version,
            });
        }
        // 3. Signed by a threshold of the previous root's root keys.
        let (old_ids, old_threshold) = trusted.role_keyids("root");
        doc.check_threshold(&trusted.signed().keys, &old_ids, old_threshold)
            .map_err(|e| rotation_err(gun, from, next, "previous", old_threshold, e))?;
        // 4. Self-consistent: shape, CN, and a threshold of its own root keys.
        model::check_root_shape(&doc.signed, gun.as_str())
            .map_err(|e| map_model(gun, &role, next, e))?;
        let candidate = CheckedRoot { doc, bytes };
        let (new_ids, new_threshold) = candidate.role_keyids("root");
        candidate
            .doc
            .check_threshold(&candidate.signed().keys, &new_ids, new_threshold)
            .map_err(|e| rotation_err(gun, from, next, "new", new_threshold, e))?;
        // 5. Advance (local only; the caller commits after the whole chain verified).
        trusted = candidate;
    }
    Err(TrustError::BadRoot {
        gun: gun.clone(),
        version: trusted.signed().version,
        reason: "more than 1024 root rotations in one update",
    })
}

fn rotation_err(
    gun: &Gun,
    from: u64,
    to: u64,
    which: &'static str,
    threshold: u32,
    e: ModelError,
) -> TrustError {
    match e {
        ModelError::Threshold { valid, .. } => TrustError::RotationNotSigned {
            gun: gun.clone(),
            from,
            to,
            which,
            valid,
            threshold,
        },
        ModelError::NoSignatures => TrustError::RotationNotSigned {
            gun: gun.clone(),
            from,
            to,
            which,
            valid: 0,
            threshold,
        },
        other => map_model(gun, &RoleName::root(), to, other),
    }
}
