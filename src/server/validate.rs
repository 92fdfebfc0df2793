//! Publish validation in notary's order (notary-v1.md §3.1–§3.5): root (version rule, rotation
//! signed by both the previous and the new root keys), targets and delegations shallow-first
//! against their parents' keys, the uploaded snapshot's signatures and hashes against the exact
//! bytes, or a server-generated snapshot, and always a new timestamp. The result is the list of
//! records for ONE `update_many`; nothing is written here.
//!
//! Errors render as notary's `{"Name":…,"Error":{…}}` so the Go client prints the same text.
//! Must not: write to storage, read the clock (time is an argument), or accept a role it did not
//! verify.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::generate::{next_snapshot, next_timestamp, stored_role};
use super::signing::{signing_key, KeyVault};
use super::storage::{MetaRecord, NewRecord, Storage, StorageError};
use super::Error;
use crate::crypto::PrivateKey;
use crate::tuf::limits::{ROOT_MAX, UPLOAD_PART_MAX};
use crate::tuf::wire::{Role, Root, Snapshot, Targets, Timestamp};
use crate::tuf::{
    check_file_meta, check_snapshot_meta, delegation::check_delegations, verify_root, Expiry, Gun,
    KeyId, RawSigned, RoleName, SignedFile, Verified,
};

/// Why an update is invalid (`400 INVALID_UPDATE`). Each variant is one of notary's
/// validation error types; the cause keeps the typed model error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishError {
    /// `ErrValidation`: a new repository needs a root.
    NoRoot,
    /// `ErrBadHierarchy` (snapshot): no snapshot uploaded and the server lacks the key.
    SnapshotKeyMissing,
    /// `ErrBadHierarchy` (targets): a first snapshot cannot be generated without targets.
    TargetsMissing,
    /// `ErrBadRoot`: the root version is neither current nor current + 1.
    RootVersion { current: i64, new: i64 },
    /// `ErrBadRoot`: the root failed parsing or validation.
    Root(crate::tuf::Error),
    /// `ErrBadRoot`: the root names a timestamp key the server does not hold.
    TimestampKeyMissing,
    /// `ErrBadTargets`: a targets or delegation file failed.
    Targets {
        role: RoleName,
        cause: crate::tuf::Error,
    },
    /// `ErrBadSnapshot`: the uploaded snapshot failed.
    Snapshot(crate::tuf::Error),
}

/// Go's `time.Time.Format("Mon Jan 2 15:04:05 MST 2006")` for UTC times.
fn go_time(at: DateTime<Utc>) -> String {
    at.format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

/// notary's message text for a model error found while validating `role`.
fn go_message(role: &RoleName, e: &crate::tuf::Error) -> String {
    use crate::tuf::Error as E;
    match e {
        E::Threshold { role, .. } | E::KeyIdMismatch { role, .. } => {
            format!("valid signatures did not meet threshold for {role}")
        }
        E::NoSignatures { .. } => "tuf: data has no signatures".into(),
        E::Expired { role, expires, .. } => format!("{role} expired at {}", go_time(*expires)),
        E::WrongType {
            role,
            expected,
            found,
        } => format!("{role} type metadata invalid: expected type {expected}, not {found}"),
        E::InvalidVersion { role, .. } => {
            format!("{role} type metadata invalid: version cannot be less than one")
        }
        E::DelegationNotFound { role, .. } => {
            format!("tuf: invalid role {role}. delegation does not exist")
        }
        E::InvalidDelegation { role: child, .. } => {
            format!("{role} type metadata invalid: delegation role {child} invalid")
        }
        E::UnknownRoleKey { role: listed, key_id } => format!(
            "{role} type metadata invalid: key ID {key_id} specified in {listed} without corresponding key"
        ),
        E::HashMismatch {
            role,
            algorithm,
            expected,
            ..
        } => format!("{algorithm} checksum for {role} did not match: expected {expected}"),
        E::MissingMeta { role, .. } | E::MissingHash { role } => {
            format!("tuf: sha256 checksum required for {role}")
        }
        other => format!("{role} type metadata invalid: {other}"),
    }
}

fn go_root_message(e: &crate::tuf::Error) -> String {
    use crate::tuf::Error as E;
    match e {
        E::NoValidRootCertificates { .. } => {
            "could not validate the path to a trusted root: unable to retrieve valid leaf certificates".into()
        }
        E::Threshold { .. } | E::NoSignatures { .. } | E::KeyIdMismatch { .. } => {
            "could not validate the path to a trusted root: failed to validate integrity of roots"
                .into()
        }
        E::RotationThreshold { .. } => "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates".into(),
        other => go_message(&RoleName::root(), other),
    }
}

impl PublishError {
    /// notary's error type name (`Name` in the detail).
    pub fn name(&self) -> &'static str {
        match self {
            PublishError::NoRoot => "ErrValidation",
            PublishError::SnapshotKeyMissing | PublishError::TargetsMissing => "ErrBadHierarchy",
            PublishError::RootVersion { .. }
            | PublishError::Root(_)
            | PublishError::TimestampKeyMissing => "ErrBadRoot",
            PublishError::Targets { .. } => "ErrBadTargets",
            PublishError::Snapshot(_) => "ErrBadSnapshot",
        }
    }

    /// The `Msg` notary sends for this error.
    pub fn message(&self) -> String {
        match self {
            PublishError::NoRoot => "no pre-existing root and no root provided in update.".into(),
            PublishError::SnapshotKeyMissing => "no snapshot was included in update and server does not hold current snapshot key for repository".into(),
            PublishError::TargetsMissing => "no targets was included in update and the repository has none".into(),
            PublishError::RootVersion { current, new } => format!(
                "Root modifications must increment the version. Current {current}, new {new}"
            ),
            PublishError::Root(e) => go_root_message(e),
            PublishError::TimestampKeyMissing => "no  timestamp keys exist on the server".into(),
            PublishError::Targets { role, cause } => go_message(role, cause),
            PublishError::Snapshot(e) => go_message(&RoleName::snapshot(), e),
        }
    }

    /// `{"Name":…,"Error":{…}}` as notary serialises it.
    pub fn detail_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Inner {
            Msg {
                #[serde(rename = "Msg")]
                msg: String,
            },
            Hierarchy {
                #[serde(rename = "Missing")]
                missing: &'static str,
                #[serde(rename = "Msg")]
                msg: String,
            },
        }
        #[derive(Serialize)]
        struct Outer {
            #[serde(rename = "Name")]
            name: &'static str,
            #[serde(rename = "Error")]
            error: Inner,
        }
        let msg = self.message();
        let error = match self {
            PublishError::SnapshotKeyMissing => Inner::Hierarchy {
                missing: "snapshot",
                msg,
            },
            PublishError::TargetsMissing => Inner::Hierarchy {
                missing: "targets",
                msg,
            },
            _ => Inner::Msg { msg },
        };
        super::errors::json_bytes(&Outer {
            name: self.name(),
            error,
        })
    }
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

/// Why a publish did not produce records.
#[derive(Debug)]
pub enum Rejection {
    Invalid(PublishError),
    /// A server-side failure (storage, keys, signing); logged, answered as `UNKNOWN`.
    Internal(Error),
}

impl From<Error> for Rejection {
    fn from(e: Error) -> Self {
        Rejection::Internal(e)
    }
}

impl From<StorageError> for Rejection {
    fn from(e: StorageError) -> Self {
        Rejection::Internal(Error::Storage(e))
    }
}

impl From<PublishError> for Rejection {
    fn from(e: PublishError) -> Self {
        Rejection::Invalid(e)
    }
}

/// Storage lookup where "not found" is an answer, not a failure.
pub fn optional(r: Result<MetaRecord, StorageError>) -> Result<Option<MetaRecord>, StorageError> {
    match r {
        Ok(record) => Ok(Some(record)),
        Err(StorageError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The stored current root of `gun`, re-verified (expiry ignored).
pub fn stored_root(
    storage: &dyn Storage,
    gun: &Gun,
) -> Result<Option<(Verified<Root>, MetaRecord)>, Error> {
    let role = RoleName::root();
    let Some(record) = optional(storage.get_latest(gun, &role))? else {
        return Ok(None);
    };
    let stored = |source| Error::StoredMetadata {
        gun: gun.clone(),
        role: role.clone(),
        source: Box::new(source),
    };
    let raw = RawSigned::<Root>::from_bytes(&role, &record.data, ROOT_MAX).map_err(stored)?;
    let verified = verify_root(raw, gun, None, Expiry::Ignore).map_err(stored)?;
    Ok(Some((verified, record)))
}

/// One publish being validated: the inputs, and the roles verified so far.
struct Update<'a> {
    storage: &'a dyn Storage,
    vault: &'a KeyVault,
    gun: &'a Gun,
    now: DateTime<Utc>,
    root: Verified<Root>,
    /// Every targets/delegation role loaded (uploaded or stored parent), with its exact bytes.
    loaded: BTreeMap<RoleName, (Verified<Targets>, SignedFile)>,
}

/// Validate the uploaded `parts` (role → exact bytes, already free of duplicates) of `gun` at
/// `now` and return the records to store atomically: the uploaded root/targets/delegations, the
/// uploaded or generated snapshot, and a new timestamp.
pub fn validate_update(
    storage: &dyn Storage,
    vault: &KeyVault,
    gun: &Gun,
    mut parts: BTreeMap<RoleName, Vec<u8>>,
    now: DateTime<Utc>,
) -> Result<Vec<NewRecord>, Rejection> {
    // Step 1: the stored current root, expired allowed.
    let previous = stored_root(storage, gun)?;
    let mut records = Vec::new();

    // Step 2: an uploaded root must be current or current + 1 and rotate validly.
    let (root, root_file) = match parts.remove(&RoleName::root()) {
        Some(bytes) => {
            let role = RoleName::root();
            let raw = RawSigned::<Root>::from_bytes(&role, &bytes, ROOT_MAX)
                .map_err(PublishError::Root)?;
            let current = previous.as_ref().map_or(1, |(r, _)| r.version());
            let new = raw.signed_untrusted().version;
            if new != current && new != current + 1 {
                return Err(PublishError::RootVersion { current, new }.into());
            }
            let verified =
                verify_root(raw, gun, previous.as_ref().map(|(r, _)| r), Expiry::At(now))
                    .map_err(PublishError::Root)?;
            records.push(NewRecord {
                role,
                version: new as u64,
                data: bytes.clone(),
            });
            (verified, SignedFile::new(bytes))
        }
        None => match previous {
            Some((verified, record)) => (verified, SignedFile::new(record.data)),
            None => return Err(PublishError::NoRoot.into()),
        },
    };
    let mut update = Update {
        storage,
        vault,
        gun,
        now,
        root,
        loaded: BTreeMap::new(),
    };

    // Step 3: targets and delegations, shallow first, each against its parent's keys.
    let mut targets_roles: Vec<RoleName> = parts
        .keys()
        .filter(|r| **r == RoleName::targets() || r.is_delegation())
        .cloned()
        .collect();
    targets_roles.sort_by_key(|r| (r.as_str().matches('/').count(), r.clone()));
    for role in targets_roles {
        let Some(bytes) = parts.remove(&role) else {
            continue;
        };
        let file = update.verify_uploaded_targets(&role, bytes)?;
        records.push(NewRecord {
            role: role.clone(),
            version: update.loaded[&role].0.version() as u64,
            data: file,
        });
    }

    // Step 4: the uploaded snapshot, or one generated with the server's key.
    let snapshot = match parts.remove(&RoleName::snapshot()) {
        Some(bytes) => update.check_uploaded_snapshot(&root_file, bytes)?,
        None => update.generate_snapshot(&root_file)?,
    };
    let snapshot_version = stored_role::<Snapshot>(&RoleName::snapshot(), snapshot.bytes())
        .map_err(|e| Rejection::Invalid(PublishError::Snapshot(e)))?
        .version;

    // Step 5: always a new timestamp (an uploaded one is ignored).
    let timestamp = update.generate_timestamp(&snapshot)?;
    let timestamp_version = stored_role::<Timestamp>(&RoleName::timestamp(), timestamp.bytes())
        .map_err(Error::from)?
        .version;
    records.push(NewRecord {
        role: RoleName::snapshot(),
        version: snapshot_version as u64,
        data: snapshot.into_bytes(),
    });
    records.push(NewRecord {
        role: RoleName::timestamp(),
        version: timestamp_version as u64,
        data: timestamp.into_bytes(),
    });
    Ok(records)
}

impl Update<'_> {
    fn verify_uploaded_targets(
        &mut self,
        role: &RoleName,
        bytes: Vec<u8>,
    ) -> Result<Vec<u8>, Rejection> {
        let bad = |cause| {
            Rejection::Invalid(PublishError::Targets {
                role: role.clone(),
                cause,
            })
        };
        let raw = RawSigned::<Targets>::from_bytes(role, &bytes, UPLOAD_PART_MAX).map_err(bad)?;
        let verified = match role.parent() {
            None => raw.verify_with_root(&self.root, Expiry::At(self.now)),
            Some(parent) => {
                self.load_stored(&parent, role)?;
                raw.verify_delegated(&self.loaded[&parent].0, Expiry::At(self.now))
            }
        }
        .map_err(bad)?;
        check_delegations(role, verified.signed()).map_err(bad)?;
        let file = SignedFile::new(bytes);
        self.loaded.insert(role.clone(), (verified, file.clone()));
        Ok(file.into_bytes())
    }

    /// Make sure `role` (a parent of `child`) is loaded: from this update, or from storage,
    /// verified along its stored chain with expiry ignored.
    fn load_stored(&mut self, role: &RoleName, child: &RoleName) -> Result<(), Rejection> {
        if self.loaded.contains_key(role) {
            return Ok(());
        }
        let missing = || {
            Rejection::Invalid(PublishError::Targets {
                role: child.clone(),
                cause: crate::tuf::Error::DelegationNotFound {
                    parent: role.clone(),
                    role: child.clone(),
                },
            })
        };
        if let Some(parent) = role.parent() {
            self.load_stored(&parent, role).map_err(|_| missing())?;
        }
        let Some(record) = optional(self.storage.get_latest(self.gun, role))? else {
            return Err(missing());
        };
        let bad = |cause| {
            Rejection::Invalid(PublishError::Targets {
                role: role.clone(),
                cause,
            })
        };
        let raw =
            RawSigned::<Targets>::from_bytes(role, &record.data, UPLOAD_PART_MAX).map_err(bad)?;
        let verified = match role.parent() {
            None => raw.verify_with_root(&self.root, Expiry::Ignore),
            Some(parent) => raw.verify_delegated(&self.loaded[&parent].0, Expiry::Ignore),
        }
        .map_err(bad)?;
        self.loaded
            .insert(role.clone(), (verified, SignedFile::new(record.data)));
        Ok(())
    }

    fn check_uploaded_snapshot(
        &self,
        root_file: &SignedFile,
        bytes: Vec<u8>,
    ) -> Result<SignedFile, Rejection> {
        let role = RoleName::snapshot();
        let bad = |e| Rejection::Invalid(PublishError::Snapshot(e));
        let raw = RawSigned::<Snapshot>::from_bytes(&role, &bytes, UPLOAD_PART_MAX).map_err(bad)?;
        let verified = raw
            .verify_with_root(&self.root, Expiry::At(self.now))
            .map_err(bad)?;
        check_snapshot_meta(verified.signed()).map_err(bad)?;
        let files = std::iter::once((RoleName::root(), root_file))
            .chain(self.loaded.iter().map(|(r, (_, f))| (r.clone(), f)));
        for (name, file) in files {
            let Some(meta) = verified.signed().meta.get(&name) else {
                return Err(bad(crate::tuf::Error::MissingMeta {
                    parent: role.clone(),
                    role: name,
                }));
            };
            check_file_meta(&name, meta, file.bytes(), false).map_err(bad)?;
        }
        Ok(SignedFile::new(bytes))
    }

    /// The server's key for `role` (one the root authorises; else `missing`) and the
    /// current stored file of `role`, if any: what a generated snapshot or timestamp needs.
    fn server_role<R: Role>(
        &self,
        role: &RoleName,
        missing: PublishError,
    ) -> Result<(Arc<PrivateKey>, KeyId, Option<R>), Rejection> {
        let authorised = self
            .root
            .signed()
            .role(role)
            .map(|r| r.keyids.clone())
            .unwrap_or_default();
        let Some((key, key_id)) =
            signing_key(self.storage, self.vault, self.gun, role, &authorised)?
        else {
            return Err(missing.into());
        };
        let previous = match optional(self.storage.get_latest(self.gun, role))? {
            Some(record) => Some(stored_role::<R>(role, &record.data).map_err(|source| {
                Error::StoredMetadata {
                    gun: self.gun.clone(),
                    role: role.clone(),
                    source: Box::new(source),
                }
            })?),
            None => None,
        };
        Ok((key, key_id, previous))
    }

    fn generate_snapshot(&mut self, root_file: &SignedFile) -> Result<SignedFile, Rejection> {
        let (key, key_id, previous) =
            self.server_role::<Snapshot>(&RoleName::snapshot(), PublishError::SnapshotKeyMissing)?;
        if previous.is_none() && !self.loaded.contains_key(&RoleName::targets()) {
            let targets = RoleName::targets();
            self.load_stored(&targets, &targets)
                .map_err(|_| PublishError::TargetsMissing)?;
        }
        let mut files: BTreeMap<RoleName, SignedFile> = self
            .loaded
            .iter()
            .map(|(r, (_, f))| (r.clone(), f.clone()))
            .collect();
        files.insert(RoleName::root(), root_file.clone());
        Ok(
            next_snapshot(previous.as_ref(), &files, self.now, &key, &key_id)
                .map_err(Error::from)?,
        )
    }

    fn generate_timestamp(&self, snapshot: &SignedFile) -> Result<SignedFile, Rejection> {
        let (key, key_id, previous) = self
            .server_role::<Timestamp>(&RoleName::timestamp(), PublishError::TimestampKeyMissing)?;
        let previous = previous.map_or(0, |t| t.version);
        Ok(next_timestamp(previous, snapshot, self.now, &key, &key_id).map_err(Error::from)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_render_like_notary() {
        assert_eq!(
            String::from_utf8(PublishError::SnapshotKeyMissing.detail_json()).unwrap(),
            r#"{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":"no snapshot was included in update and server does not hold current snapshot key for repository"}}"#
        );
        assert_eq!(
            String::from_utf8(PublishError::RootVersion { current: 1, new: 3 }.detail_json())
                .unwrap(),
            r#"{"Name":"ErrBadRoot","Error":{"Msg":"Root modifications must increment the version. Current 1, new 3"}}"#
        );
        let expired = PublishError::Targets {
            role: RoleName::targets(),
            cause: crate::tuf::Error::Expired {
                role: RoleName::targets(),
                expires: "2026-11-21T11:53:37Z".parse().unwrap(),
                now: "2026-11-22T00:00:00Z".parse().unwrap(),
            },
        };
        assert_eq!(
            expired.message(),
            "targets expired at Sat Nov 21 11:53:37 UTC 2026"
        );
    }
}
