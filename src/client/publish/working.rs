//! The working copy of a repository a publish edits: the verified remote state (or a fresh
//! one at initialisation) plus the changes the user asked for, with every edited role marked
//! dirty. Pure and synchronous: no keys are loaded, nothing is signed, no I/O. Docker's rules
//! live here: which roles a tag is signed into, what adding/removing a signer changes, which
//! roles a revocation touches.

use std::collections::{BTreeMap, BTreeSet};

use super::error::PublishError;
use crate::client::trusted::TrustedRepo;
use crate::tuf::delegation::path_allowed;
use crate::tuf::wire::{Expires, FileMeta, Key, Root, Snapshot, Targets};
use crate::tuf::{Gun, KeyId, RoleName, TargetName};

/// A repository being edited. Roles whose content changed are in `dirty`; only those are
/// re-signed and uploaded.
#[derive(Debug, Clone)]
pub struct WorkingRepo {
    pub gun: Gun,
    pub root: Root,
    /// The root the server currently has (`None` for a repository being initialised): its
    /// root keys must also sign a rotated root.
    pub previous_root: Option<Root>,
    pub targets: Targets,
    /// Delegation files that exist (verified) or are being created, by role.
    pub delegations: BTreeMap<RoleName, Targets>,
    /// The current snapshot, when one was verified (needed only when the client signs it).
    pub snapshot: Option<Snapshot>,
    /// Exact bytes of the verified files, for snapshot entries of unchanged roles.
    pub raw: BTreeMap<RoleName, Vec<u8>>,
    dirty: BTreeSet<RoleName>,
}

impl WorkingRepo {
    /// Start from verified remote state (a copy; see [`WorkingRepo::from_owned`]).
    pub fn from_trusted(repo: &TrustedRepo) -> WorkingRepo {
        WorkingRepo::from_owned(repo.clone())
    }

    /// Start from verified remote state, taking it over (no copy of large targets files).
    pub fn from_owned(repo: TrustedRepo) -> WorkingRepo {
        let mut parts = repo.into_parts();
        let delegations: BTreeMap<RoleName, Targets> = parts.delegations.into_iter().collect();
        let mut raw = BTreeMap::new();
        let mut roles: Vec<RoleName> = vec![RoleName::root(), RoleName::targets()];
        roles.extend(delegations.keys().cloned());
        for role in roles {
            if let Some(bytes) = parts.raw.remove(&role) {
                raw.insert(role, bytes);
            }
        }
        WorkingRepo {
            gun: parts.gun,
            previous_root: Some(parts.root.clone()),
            root: parts.root,
            targets: parts.targets,
            delegations,
            snapshot: Some(parts.snapshot),
            raw,
            dirty: BTreeSet::new(),
        }
    }

    /// A repository being initialised: `root` (version 1, not yet signed) and an empty
    /// targets role; both are dirty. Targets starts at version 1 and is published as version 2,
    /// as the notary client does (it signs it once while initialising).
    pub fn new_repo(gun: Gun, root: Root, expires: Expires) -> WorkingRepo {
        let mut dirty = BTreeSet::new();
        dirty.insert(RoleName::root());
        dirty.insert(RoleName::targets());
        WorkingRepo {
            gun,
            root,
            previous_root: None,
            targets: Targets::new(1, expires),
            delegations: BTreeMap::new(),
            snapshot: None,
            raw: BTreeMap::new(),
            dirty,
        }
    }

    pub fn is_new(&self) -> bool {
        self.previous_root.is_none()
    }

    pub fn dirty(&self) -> &BTreeSet<RoleName> {
        &self.dirty
    }

    /// Forget the edits (tests: treat a freshly built repository as published).
    #[cfg(test)]
    pub fn clear_dirty(&mut self) {
        self.dirty.clear();
    }

    pub fn mark_dirty(&mut self, role: RoleName) {
        self.dirty.insert(role);
    }

    /// Key IDs of a base role in root.
    pub fn base_role_keys(&self, role: &RoleName) -> Vec<KeyId> {
        self.root
            .role(role)
            .map(|r| r.keyids.clone())
            .unwrap_or_default()
    }

    /// Every delegation declared anywhere in the tree, with its keys and paths, parents first.
    pub fn declared_delegations(&self) -> Vec<(RoleName, Vec<KeyId>, Vec<String>)> {
        let mut out = Vec::new();
        let mut queue: Vec<&Targets> = vec![&self.targets];
        while let Some(t) = queue.pop() {
            for d in &t.delegations.roles {
                out.push((d.name.clone(), d.key_ids().to_vec(), d.path_list().to_vec()));
                if let Some(child) = self.delegations.get(&d.name) {
                    queue.push(child);
                }
            }
        }
        out
    }

    /// Docker's role choice for signing `tag`: every direct child of `targets` whose paths
    /// allow the tag and one of whose keys the user holds; when the repository has no
    /// delegations at all (or the user holds none of theirs but holds the targets key),
    /// `targets` itself.
    pub fn signable_roles(
        &self,
        tag: &str,
        holds: &dyn Fn(&KeyId) -> bool,
    ) -> Result<Vec<RoleName>, PublishError> {
        let targets = RoleName::targets();
        let mut roles = Vec::new();
        for d in &self.targets.delegations.roles {
            if path_allowed(d.path_list(), tag) && d.key_ids().iter().any(holds) {
                roles.push(d.name.clone());
            }
        }
        if roles.is_empty() && self.base_role_keys(&targets).iter().any(holds) {
            roles.push(targets);
        }
        if roles.is_empty() {
            return Err(PublishError::NoSigningRole {
                gun: self.gun.clone(),
                tag: tag.to_string(),
            });
        }
        Ok(roles)
    }

    /// The targets file of `role` for editing (a delegation without a file yet starts empty
    /// at version 0, so its first signed version is 1).
    fn file_mut(&mut self, role: &RoleName, expires: Expires) -> &mut Targets {
        self.dirty.insert(role.clone());
        if *role == RoleName::targets() {
            return &mut self.targets;
        }
        self.delegations
            .entry(role.clone())
            .or_insert_with(|| Targets::new(0, expires))
    }

    /// Put `name -> meta` into each of `roles`.
    pub fn add_target(
        &mut self,
        roles: &[RoleName],
        name: &TargetName,
        meta: &FileMeta,
        expires: Expires,
    ) {
        for role in roles {
            // Re-signing an unchanged target still publishes a new version, as docker does.
            self.file_mut(role, expires)
                .add_target(name.clone(), meta.clone());
        }
    }

    /// Docker's `trust revoke IMAGE:TAG`: remove `tag` from every direct child of `targets`
    /// whose key the user holds and whose paths allow it, or from `targets` when the repository
    /// has no delegations. Returns the roles changed. The tag must be released (in
    /// `targets/releases` or `targets`), else "No valid trust data for TAG".
    pub fn revoke_tag(
        &mut self,
        tag: &TargetName,
        holds: &dyn Fn(&KeyId) -> bool,
    ) -> Result<Vec<RoleName>, PublishError> {
        let released = self
            .delegations
            .get(&RoleName::releases())
            .is_some_and(|t| t.targets.contains_key(tag))
            || self.targets.targets.contains_key(tag);
        if !released {
            return Err(PublishError::TagNotSigned {
                gun: self.gun.clone(),
                tag: tag.to_string(),
            });
        }
        let candidates: Vec<RoleName> = if self.targets.delegations.roles.is_empty() {
            vec![RoleName::targets()]
        } else {
            self.targets
                .delegations
                .roles
                .iter()
                .filter(|d| path_allowed(d.path_list(), tag.as_str()))
                .filter(|d| d.key_ids().iter().any(holds))
                .map(|d| d.name.clone())
                .collect()
        };
        let mut changed = Vec::new();
        for role in candidates {
            let has = if role == RoleName::targets() {
                self.targets.targets.contains_key(tag)
            } else {
                self.delegations
                    .get(&role)
                    .is_some_and(|t| t.targets.contains_key(tag))
            };
            if has {
                self.dirty.insert(role.clone());
                if role == RoleName::targets() {
                    self.targets.remove_target(tag);
                } else if let Some(t) = self.delegations.get_mut(&role) {
                    t.remove_target(tag);
                }
                changed.push(role);
            }
        }
        Ok(changed)
    }

    /// Every released tag name (`targets/releases` and `targets`), sorted.
    pub fn released_tags(&self) -> Vec<TargetName> {
        let mut tags: BTreeSet<TargetName> = self.targets.targets.keys().cloned().collect();
        if let Some(r) = self.delegations.get(&RoleName::releases()) {
            tags.extend(r.targets.keys().cloned());
        }
        tags.into_iter().collect()
    }

    /// Docker's `trust signer add`: `targets/NAME` and `targets/releases` both get the keys,
    /// paths `[""]`, threshold 1.
    pub fn add_signer(&mut self, name: &str, keys: &[Key]) -> Result<(), PublishError> {
        let role = signer_role(name)?;
        let targets = RoleName::targets();
        let all = Some(vec![String::new()]);
        for r in [&role, &RoleName::releases()] {
            self.targets
                .upsert_delegation(&targets, r, keys, all.clone(), 1)
                .map_err(|_| PublishError::BadSignerName {
                    name: name.to_string(),
                })?;
        }
        self.dirty.insert(targets);
        Ok(())
    }

    /// Docker's signer removal: the signer's keys leave `targets/releases` (possibly leaving
    /// `keyids: null`) and `targets/NAME` is deleted from `targets`.
    pub fn remove_signer(&mut self, name: &str) -> Result<(), PublishError> {
        if name == "releases" {
            return Err(PublishError::ReservedSigner);
        }
        let role = signer_role(name)?;
        let Some(entry) = self.targets.delegation(&role) else {
            return Err(PublishError::UnknownSigner {
                gun: self.gun.clone(),
                name: name.to_string(),
            });
        };
        let ids = entry.key_ids().to_vec();
        self.targets
            .remove_delegation_keys(&RoleName::releases(), &ids);
        self.targets.remove_delegation(&role);
        self.delegations.remove(&role);
        self.dirty.insert(RoleName::targets());
        self.dirty.remove(&role);
        Ok(())
    }

    /// True when `targets/releases` has no key left that could sign new releases.
    pub fn releases_unsignable(&self) -> bool {
        self.targets
            .delegation(&RoleName::releases())
            .is_some_and(|d| d.key_ids().len() < d.threshold as usize)
    }
}

/// `targets/NAME` for a docker signer name (`^[a-z0-9][a-z0-9_-]*$`, not `releases`).
pub fn signer_role(name: &str) -> Result<RoleName, PublishError> {
    if name == "releases" {
        return Err(PublishError::ReservedSigner);
    }
    let ok = name.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && (b == b'-' || b == b'_'))
    }) && !name.is_empty();
    let bad = || PublishError::BadSignerName {
        name: name.to_string(),
    };
    if !ok {
        return Err(bad());
    }
    RoleName::new(format!("targets/{name}")).map_err(|_| bad())
}
