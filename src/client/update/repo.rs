//! The trusted state an update walk yields (`TrustedRepo`) and the views of it the commands
//! use: versions, verified roles, docker's key IDs, targets per role restricted to delegated
//! paths, expiry warnings. Built only by the walk in `client::trusted` (its fields are private
//! to it), after the whole chain verified.
//!
//! Must not: fetch, verify or write anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::client::pinning::Bootstrap;
use crate::client::released::{RoleTargets, TargetInfo};
use crate::client::update::rotation::CheckedRoot;
use crate::tuf::wire::{FileMeta, Role, Root, Snapshot, Targets, Timestamp};
use crate::tuf::{Gun, KeyId, RoleName, TargetName, Verified};

/// A verified delegation, in walk order, with what its parent granted it.
#[derive(Debug, Clone)]
pub struct TrustedDelegation {
    pub role: RoleName,
    /// Key IDs the parent lists for this role (its signers' keys).
    pub keyids: Vec<KeyId>,
    /// Paths after restricting to the parent's paths.
    pub paths: Vec<String>,
    pub doc: Verified<Targets>,
}

/// Something the walk skipped without failing, as notary does; printed as warnings.
#[derive(Debug, Clone, PartialEq)]
pub enum WalkWarning {
    /// A delegation that failed its own checks (threshold, expiry, malformed) was ignored.
    DelegationSkipped { role: RoleName, reason: String },
    /// A role listed target names outside its delegated paths; they were ignored.
    OutsidePaths {
        role: RoleName,
        targets: Vec<String>,
        paths: Vec<String>,
    },
}

impl std::fmt::Display for WalkWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalkWarning::DelegationSkipped { role, reason } => {
                write!(f, "ignoring {role}: {reason}")
            }
            WalkWarning::OutsidePaths {
                role,
                targets,
                paths,
            } => write!(
                f,
                "ignoring {} target(s) of {role} outside its delegated paths {paths:?}: {}",
                targets.len(),
                targets.join(", ")
            ),
        }
    }
}

/// A `TrustedRepo` taken apart for editing (see `TrustedRepo::into_parts`).
#[derive(Debug)]
pub struct TrustedParts {
    pub gun: Gun,
    pub root: Root,
    pub snapshot: Snapshot,
    pub targets: Targets,
    /// Verified delegations, in walk order.
    pub delegations: Vec<(RoleName, Targets)>,
    /// Exact bytes of every trusted file, by role.
    pub raw: BTreeMap<RoleName, Vec<u8>>,
}

/// The trusted state of one repository after a successful update.
#[derive(Debug, Clone)]
pub struct TrustedRepo {
    pub(super) gun: Gun,
    pub(super) root: CheckedRoot,
    pub(super) timestamp: Verified<Timestamp>,
    pub(super) snapshot: Verified<Snapshot>,
    pub(super) targets: Verified<Targets>,
    pub(super) delegations: Vec<TrustedDelegation>,
    pub(super) raw: BTreeMap<RoleName, Vec<u8>>,
    pub(super) bootstrap: Option<Bootstrap>,
    pub(super) warnings: Vec<WalkWarning>,
}

impl TrustedRepo {
    pub fn gun(&self) -> &Gun {
        &self.gun
    }
    /// How the root was first trusted in this run (`None` when it came from the cache).
    pub fn bootstrap(&self) -> Option<&Bootstrap> {
        self.bootstrap.as_ref()
    }
    pub fn warnings(&self) -> &[WalkWarning] {
        &self.warnings
    }
    /// The exact bytes of a trusted file (root, timestamp, snapshot, targets, delegations),
    /// as the server served them; what a publisher needs to build on.
    pub fn raw(&self, role: &RoleName) -> Option<&[u8]> {
        self.raw.get(role).map(Vec::as_slice)
    }
    pub fn root_version(&self) -> u64 {
        self.root.version()
    }
    pub fn version(&self, role: &RoleName) -> Option<u64> {
        match role.as_str() {
            "root" => Some(self.root.version()),
            "timestamp" => Some(ver(&self.timestamp)),
            "snapshot" => Some(ver(&self.snapshot)),
            "targets" => Some(ver(&self.targets)),
            _ => self
                .delegations
                .iter()
                .find(|d| d.role == *role)
                .map(|d| ver(&d.doc)),
        }
    }
    /// The verified root.
    pub fn root(&self) -> &Verified<Root> {
        &self.root.verified
    }
    pub fn timestamp(&self) -> &Verified<Timestamp> {
        &self.timestamp
    }
    pub fn snapshot(&self) -> &Verified<Snapshot> {
        &self.snapshot
    }
    /// The verified top-level targets.
    pub fn targets(&self) -> &Verified<Targets> {
        &self.targets
    }
    /// Verified delegations in walk order.
    pub fn delegations(&self) -> &[TrustedDelegation] {
        &self.delegations
    }

    /// The verified roles and bytes, moved out (no copy of large targets files) for a
    /// publisher building the next versions.
    pub fn into_parts(self) -> TrustedParts {
        TrustedParts {
            gun: self.gun,
            root: self.root.verified.into_signed(),
            snapshot: self.snapshot.into_signed(),
            targets: self.targets.into_signed(),
            delegations: self
                .delegations
                .into_iter()
                .map(|d| (d.role, d.doc.into_signed()))
                .collect(),
            raw: self.raw,
        }
    }

    /// Root key IDs (TUF IDs of the root certificates, as in root.json): docker's "Root Key".
    pub fn root_key_ids(&self) -> Vec<KeyId> {
        self.root.role_keyids("root").0
    }

    /// Targets key IDs as docker shows them ("Repository Key": canonical IDs).
    pub fn targets_key_ids(&self) -> Vec<KeyId> {
        let (list, _) = self.root.role_keyids("targets");
        canonical_ids(&list, &self.root.signed().keys)
    }

    /// Every declared delegation (from verified parents) with its keys as docker shows them,
    /// whether or not its own file exists or verified.
    pub fn declared_delegations(&self) -> Vec<(RoleName, Vec<KeyId>)> {
        let mut out: Vec<(RoleName, Vec<KeyId>)> = Vec::new();
        let parents = std::iter::once(self.targets.signed())
            .chain(self.delegations.iter().map(|d| d.doc.signed()));
        for parent in parents {
            let d = &parent.delegations;
            for r in &d.roles {
                if out.iter().any(|(n, _)| *n == r.name) {
                    continue;
                }
                out.push((r.name.clone(), canonical_ids(r.key_ids(), &d.keys)));
            }
        }
        out
    }

    /// Targets per role in walk order (targets first), restricted to delegated paths: the
    /// input of docker's released-tag logic (`client::released`).
    pub fn role_targets(&self) -> Vec<RoleTargets> {
        self.role_targets_of(None)
    }

    /// [`TrustedRepo::role_targets`] with only the entries named `name`: all that resolving
    /// one tag needs, without copying every role's targets.
    pub fn role_targets_for(&self, name: &str) -> Vec<RoleTargets> {
        self.role_targets_of(Some(name))
    }

    fn role_targets_of(&self, only: Option<&str>) -> Vec<RoleTargets> {
        let mut out = vec![role_targets(
            RoleName::targets(),
            self.root.role_keyids("targets").0,
            self.targets.signed(),
            &[String::new()],
            only,
        )];
        for d in &self.delegations {
            out.push(role_targets(
                d.role.clone(),
                d.keyids.clone(),
                d.doc.signed(),
                &d.paths,
                only,
            ));
        }
        out
    }

    /// Roles the answer depends on that expire before `deadline`, with their expiry.
    pub fn expiring_before(&self, deadline: DateTime<Utc>) -> Vec<(RoleName, DateTime<Utc>)> {
        let mut all = vec![
            (RoleName::root(), self.root.signed().expires().to_utc()),
            (
                RoleName::targets(),
                self.targets.signed().expires().to_utc(),
            ),
            (
                RoleName::snapshot(),
                self.snapshot.signed().expires().to_utc(),
            ),
            (
                RoleName::timestamp(),
                self.timestamp.signed().expires().to_utc(),
            ),
        ];
        for d in &self.delegations {
            all.push((d.role.clone(), d.doc.signed().expires().to_utc()));
        }
        all.retain(|(_, e)| *e < deadline);
        all
    }
}

/// A verified role's version as an unsigned number (versions verify as >= 1).
pub(super) fn ver<R: Role>(v: &Verified<R>) -> u64 {
    v.version().max(0) as u64
}

/// Key IDs as docker shows them: canonical IDs for x509 keys, TUF IDs otherwise.
fn canonical_ids(list: &[KeyId], keys: &BTreeMap<KeyId, crate::tuf::wire::Key>) -> Vec<KeyId> {
    list.iter()
        .map(|id| {
            keys.get(id)
                .and_then(|k| k.to_public().ok())
                .and_then(|p| p.canonical_key_id().ok())
                .unwrap_or_else(|| id.clone())
        })
        .collect()
}

fn role_targets(
    role: RoleName,
    keyids: Vec<KeyId>,
    doc: &Targets,
    paths: &[String],
    only: Option<&str>,
) -> RoleTargets {
    // `""` allows every name: no per-target prefix test then (the common case).
    let everything = paths.iter().any(String::is_empty);
    let entries: Box<dyn Iterator<Item = (&TargetName, &FileMeta)>> = match only {
        Some(name) => Box::new(doc.targets.get_key_value(name).into_iter()),
        None => Box::new(doc.targets.iter()),
    };
    let targets = entries
        .filter(|(name, _)| {
            everything || crate::tuf::delegation::path_allowed(paths, name.as_str())
        })
        .map(|(name, meta)| {
            (
                name.to_string(),
                TargetInfo {
                    sha256_hex: meta.sha256_hex().unwrap_or_default(),
                    length: meta.length.max(0) as u64,
                },
            )
        })
        .collect();
    RoleTargets {
        role,
        keyids,
        targets,
    }
}
