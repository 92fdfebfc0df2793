//! Staged edits of one role: start from a verified (or new) role, change it, then `sign`, which
//! consumes the editor, bumps nothing implicitly, and yields the Go-exact `SignedFile`.
//!
//! Also the helpers that keep `snapshot`/`timestamp` `meta` built only from `SignedFile`s and
//! targets/delegation edits consistent (keys added with the roles that use them, unused
//! delegation keys pruned).

use super::sign::{sign_role, KeepSignatures, SigningKey};
use super::signed_file::SignedFile;
use super::verified::Verified;
use super::verify::KeySet;
use super::wire::{
    DelegationRole, Expires, FileMeta, Key, Role, Snapshot, Targets, Timestamp, WireSignature,
};
use super::{Error, RoleName, TargetName};

/// An editable role plus the signatures of the version it started from.
#[derive(Debug, Clone)]
pub struct Editor<R> {
    role: RoleName,
    signed: R,
    previous: Vec<WireSignature>,
}

impl<R: Role> Editor<R> {
    /// Edit a brand-new role.
    pub fn new(role: RoleName, signed: R) -> Editor<R> {
        Editor {
            role,
            signed,
            previous: Vec::new(),
        }
    }

    /// Edit the next version of verified metadata (its signatures can be kept when re-signing
    /// unchanged content).
    pub fn from_verified(verified: &Verified<R>) -> Editor<R> {
        Editor {
            role: verified.role().clone(),
            signed: verified.signed().clone(),
            previous: verified.signatures().to_vec(),
        }
    }

    pub fn role(&self) -> &RoleName {
        &self.role
    }

    pub fn signed(&self) -> &R {
        &self.signed
    }

    pub fn signed_mut(&mut self) -> &mut R {
        &mut self.signed
    }

    /// Sign with `signers`; with `keep`, previous signatures of other authorised keys that still
    /// verify over the new bytes are kept.
    pub fn sign(
        self,
        signers: &[SigningKey<'_>],
        keep: Option<KeySet<'_>>,
    ) -> Result<SignedFile, Error> {
        let keep = keep.map(|keys| KeepSignatures {
            signatures: &self.previous,
            keys,
        });
        sign_role(&self.role, &self.signed, signers, keep)
    }
}

/// Version and expiry bumps, the edit every re-signed role needs.
pub trait Bump {
    fn bump(&mut self, expires: Expires);
}

macro_rules! bump {
    ($t:ty) => {
        impl Bump for $t {
            fn bump(&mut self, expires: Expires) {
                self.version += 1;
                self.expires = expires;
            }
        }
    };
}
bump!(super::wire::Root);
bump!(Targets);
bump!(Snapshot);
bump!(Timestamp);

impl Snapshot {
    /// Record the exact bytes of `role`'s file (sha256 + sha512 + length).
    pub fn set_meta(&mut self, role: &RoleName, file: &SignedFile) {
        self.meta.insert(role.clone(), file.file_meta());
    }
}

impl Timestamp {
    /// Record the exact bytes of the snapshot file.
    pub fn set_snapshot(&mut self, file: &SignedFile) {
        self.meta.insert(RoleName::snapshot(), file.file_meta());
    }
}

impl Targets {
    pub fn add_target(&mut self, name: TargetName, meta: FileMeta) {
        self.targets.insert(name, meta);
    }

    /// Remove a target; true if it was there.
    pub fn remove_target(&mut self, name: &TargetName) -> bool {
        self.targets.remove(name).is_some()
    }

    /// Create or update the delegation `role` (a direct child of `parent`, the role this file is
    /// signed as): adds `keys` (to the role and to `delegations.keys`), replaces paths when given,
    /// sets the threshold. New roles are appended (walk order = creation order).
    pub fn upsert_delegation(
        &mut self,
        parent: &RoleName,
        role: &RoleName,
        keys: &[Key],
        paths: Option<Vec<String>>,
        threshold: i64,
    ) -> Result<(), Error> {
        if role.parent().as_ref() != Some(parent) {
            return Err(Error::InvalidDelegation {
                parent: parent.clone(),
                role: role.clone(),
                reason: "not a direct child of this role",
            });
        }
        if threshold < 1 {
            return Err(Error::InvalidThreshold {
                role: role.clone(),
                threshold,
            });
        }
        let ids: Vec<_> = keys.iter().map(Key::key_id).collect();
        for (id, key) in ids.iter().zip(keys) {
            self.delegations.keys.insert(id.clone(), key.clone());
        }
        let roles = &mut self.delegations.roles;
        let index = match roles.iter().position(|r| &r.name == role) {
            Some(i) => i,
            None => {
                roles.push(DelegationRole {
                    keyids: Some(Vec::new()),
                    name: role.clone(),
                    paths: None,
                    threshold,
                });
                roles.len() - 1
            }
        };
        let entry = &mut roles[index];
        let list = entry.keyids.get_or_insert_with(Vec::new);
        for id in ids {
            if !list.contains(&id) {
                list.push(id);
            }
        }
        if paths.is_some() {
            entry.paths = paths;
        }
        entry.threshold = threshold;
        Ok(())
    }

    /// Remove key IDs from a delegation (leaving `keyids: null` when none remain, like docker)
    /// and prune keys no role uses any more.
    pub fn remove_delegation_keys(&mut self, role: &RoleName, ids: &[super::KeyId]) {
        if let Some(entry) = self.delegations.roles.iter_mut().find(|r| &r.name == role) {
            let left: Vec<_> = entry
                .key_ids()
                .iter()
                .filter(|id| !ids.contains(id))
                .cloned()
                .collect();
            entry.keyids = if left.is_empty() { None } else { Some(left) };
        }
        self.prune_delegation_keys();
    }

    /// Remove a delegation entry; true if it existed. Unused keys are pruned.
    pub fn remove_delegation(&mut self, role: &RoleName) -> bool {
        let before = self.delegations.roles.len();
        self.delegations.roles.retain(|r| &r.name != role);
        self.prune_delegation_keys();
        before != self.delegations.roles.len()
    }

    fn prune_delegation_keys(&mut self) {
        let roles = &self.delegations.roles;
        self.delegations
            .keys
            .retain(|id, _| roles.iter().any(|r| r.key_ids().contains(id)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PrivateKey;
    use chrono::{TimeZone, Utc};

    fn expires() -> Expires {
        Expires::utc(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap())
    }

    #[test]
    fn delegation_edits() {
        let mut t = Targets::new(1, expires());
        let k = Key::from_public(&PrivateKey::generate_ecdsa_p256().unwrap().public_key());
        let alice = RoleName::new("targets/alice").unwrap();
        t.upsert_delegation(
            &RoleName::targets(),
            &alice,
            std::slice::from_ref(&k),
            Some(vec![String::new()]),
            1,
        )
        .unwrap();
        t.upsert_delegation(
            &RoleName::targets(),
            &RoleName::releases(),
            std::slice::from_ref(&k),
            Some(vec![String::new()]),
            1,
        )
        .unwrap();
        assert_eq!(t.delegations.roles[0].name, alice);
        assert_eq!(t.delegations.keys.len(), 1);
        assert_eq!(
            t.upsert_delegation(
                &RoleName::targets(),
                &RoleName::new("targets/a/b").unwrap(),
                &[],
                None,
                1
            ),
            Err(Error::InvalidDelegation {
                parent: RoleName::targets(),
                role: RoleName::new("targets/a/b").unwrap(),
                reason: "not a direct child of this role"
            })
        );
        t.remove_delegation_keys(&RoleName::releases(), &[k.key_id()]);
        assert_eq!(t.delegation(&RoleName::releases()).unwrap().keyids, None);
        assert_eq!(t.delegations.keys.len(), 1, "alice still uses the key");
        assert!(t.remove_delegation(&alice));
        assert!(t.delegations.keys.is_empty());
        super::super::delegation::check_delegations(&RoleName::targets(), &t).unwrap();
    }

    #[test]
    fn editor_signs_and_bumps() {
        let key = PrivateKey::generate_ed25519().unwrap();
        let id = key.key_id();
        let mut ed = Editor::new(RoleName::timestamp(), Timestamp::new(1, expires()));
        ed.signed_mut()
            .set_snapshot(&SignedFile::new(b"snap".to_vec()));
        ed.signed_mut().bump(expires());
        assert_eq!(ed.signed().version, 2);
        let file = ed.sign(&[SigningKey::new(&key, &id)], None).unwrap();
        let text = std::str::from_utf8(file.bytes()).unwrap();
        assert!(text.starts_with("{\"signed\":{\"_type\":\"Timestamp\",\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":{\"snapshot\":{\"hashes\":{\"sha256\":"), "{text}");
        assert!(
            text.contains("\"length\":4}},\"version\":2},\"signatures\":[{\"keyid\":\""),
            "{text}"
        );
        assert!(text.ends_with("\"}]}"));
    }
}
