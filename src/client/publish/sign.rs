//! Turning a `WorkingRepo`'s dirty roles into the files of one publish: bump version and
//! expiry, sign with the keys the parent role lists (root: the new and the previous root
//! keys), and, when the user holds the snapshot key, a new snapshot over the exact bytes.
//! Pure apart from asking a `KeyLookup` for private keys; no network.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Local, Utc};

use super::error::PublishError;
use super::working::WorkingRepo;
use crate::crypto::PrivateKey;
use crate::error::Result;
use crate::tuf::editor::{Bump, Editor};
use crate::tuf::wire::{Expires, Root, Snapshot, Targets};
use crate::tuf::{KeyId, RoleName, SignedFile, SigningKey};

/// Notary's default lifetimes (notary-v1.md §1).
pub const ROOT_DAYS: i64 = 10 * 365;
pub const TARGETS_DAYS: i64 = 3 * 365;
pub const SNAPSHOT_DAYS: i64 = 3 * 365;

/// `now + days` in the local time zone, as the Go client writes `expires`.
pub fn expiry(now: DateTime<Utc>, days: i64) -> Expires {
    Expires::new(
        (now + Duration::days(days))
            .with_timezone(&Local)
            .fixed_offset(),
    )
}

/// Where private keys come from during one run; each key is decrypted at most once.
pub trait KeyLookup {
    /// The private key whose canonical key ID is `id`, if the user holds it.
    fn key(&mut self, id: &KeyId) -> Result<Option<Arc<PrivateKey>>>;
    /// Whether the user holds `id`, without decrypting it.
    fn holds(&self, id: &KeyId) -> bool;
}

/// The signed files of one publish, in upload order (delegations, targets, root, snapshot),
/// with the version each was signed at (known when signing; the files are not parsed again).
#[derive(Debug, Default)]
pub struct Signed {
    pub files: Vec<(RoleName, SignedFile)>,
    versions: BTreeMap<RoleName, i64>,
}

impl Signed {
    pub fn get(&self, role: &RoleName) -> Option<&SignedFile> {
        self.files.iter().find(|(r, _)| r == role).map(|(_, f)| f)
    }

    /// The version `role` was signed at, if this publish signed it.
    pub fn version(&self, role: &RoleName) -> Option<i64> {
        self.versions.get(role).copied()
    }

    /// Versions of every file signed.
    pub fn versions(&self) -> &BTreeMap<RoleName, i64> {
        &self.versions
    }

    fn push(&mut self, role: RoleName, file: SignedFile, version: i64) {
        self.versions.insert(role.clone(), version);
        self.files.push((role, file));
    }
}

/// Sign every dirty role of `repo` (consumed: signing ends the edit).
pub fn sign_dirty(
    mut repo: WorkingRepo,
    keys: &mut dyn KeyLookup,
    now: DateTime<Utc>,
) -> Result<Signed> {
    let mut out = Signed::default();
    let targets_exp = expiry(now, TARGETS_DAYS);
    // 1. Delegations, deepest first (a parent's file does not embed child hashes, but this is
    //    the order the Go client uses).
    let mut dirty: Vec<RoleName> = repo
        .dirty()
        .iter()
        .filter(|r| r.is_delegation())
        .cloned()
        .collect();
    dirty.sort_by_key(|r| std::cmp::Reverse(r.as_str().matches('/').count()));
    for role in dirty {
        let Some(mut doc) = repo.delegations.remove(&role) else {
            continue;
        };
        doc.bump(targets_exp);
        let ids = delegation_keys(&repo, &role);
        let version = doc.version;
        let file = sign_plain(&repo, &role, doc, &ids, keys)?;
        out.push(role, file, version);
    }
    // 2. targets, with the targets keys root lists. Nothing after this step reads
    //    `repo.targets`, so it is moved out rather than cloned (large repositories).
    if repo.dirty().contains(&RoleName::targets()) {
        let mut doc = std::mem::replace(&mut repo.targets, Targets::new(0, targets_exp));
        doc.bump(targets_exp);
        let ids = repo.base_role_keys(&RoleName::targets());
        let version = doc.version;
        let file = sign_plain(&repo, &RoleName::targets(), doc, &ids, keys)?;
        out.push(RoleName::targets(), file, version);
    }
    // 3. root (already versioned by whoever changed it), by the new and the previous root keys.
    if repo.dirty().contains(&RoleName::root()) {
        let file = sign_root(&repo, keys)?;
        out.push(RoleName::root(), file, repo.root.version);
    }
    // 4. snapshot, only when the user holds its key (repos made by `notary init`).
    let snap_ids = repo.base_role_keys(&RoleName::snapshot());
    if snap_ids.iter().any(|id| keys.holds(id)) && !out.files.is_empty() {
        let (file, version) = sign_snapshot(&repo, &out, &snap_ids, keys, now)?;
        out.push(RoleName::snapshot(), file, version);
    }
    Ok(out)
}

/// Key IDs the parent of a delegation lists for it.
fn delegation_keys(repo: &WorkingRepo, role: &RoleName) -> Vec<KeyId> {
    let parent = role.parent().unwrap_or_else(RoleName::targets);
    let parent_doc = if parent == RoleName::targets() {
        Some(&repo.targets)
    } else {
        repo.delegations.get(&parent)
    };
    parent_doc
        .and_then(|p| p.delegation(role))
        .map(|d| d.key_ids().to_vec())
        .unwrap_or_default()
}

/// Load every held key among `ids` (plain keys: the key ID is the canonical ID).
fn held_keys(
    repo: &WorkingRepo,
    role: &RoleName,
    ids: &[KeyId],
    keys: &mut dyn KeyLookup,
) -> Result<Vec<(KeyId, Arc<PrivateKey>)>> {
    let mut held = Vec::new();
    for id in ids {
        if let Some(k) = keys.key(id)? {
            held.push((id.clone(), k));
        }
    }
    if held.is_empty() {
        return Err(PublishError::MissingKey {
            gun: repo.gun.clone(),
            role: role.clone(),
            key_ids: ids.to_vec(),
        }
        .into());
    }
    Ok(held)
}

fn sign_plain<R>(
    repo: &WorkingRepo,
    role: &RoleName,
    doc: R,
    ids: &[KeyId],
    keys: &mut dyn KeyLookup,
) -> Result<SignedFile>
where
    R: crate::tuf::wire::Role,
{
    let held = held_keys(repo, role, ids, keys)?;
    let signers: Vec<SigningKey<'_>> = held.iter().map(|(id, k)| SigningKey::new(k, id)).collect();
    Ok(Editor::new(role.clone(), doc).sign(&signers, None)?)
}

/// Root signing keys: for each root key ID (a certificate key) of `root`, the held private
/// key whose canonical ID matches, filed under the certificate key's ID.
fn root_signers(root: &Root, keys: &mut dyn KeyLookup) -> Result<Vec<(KeyId, Arc<PrivateKey>)>> {
    let mut out = Vec::new();
    for id in root
        .role(&RoleName::root())
        .map(|r| r.keyids.clone())
        .unwrap_or_default()
    {
        let Some(key) = root.keys.get(&id) else {
            continue;
        };
        let Ok(public) = key.to_public() else {
            continue;
        };
        let Ok(canonical) = public.canonical_key_id() else {
            continue;
        };
        if let Some(private) = keys.key(&canonical)? {
            out.push((id, private));
        }
    }
    Ok(out)
}

fn sign_root(repo: &WorkingRepo, keys: &mut dyn KeyLookup) -> Result<SignedFile> {
    let mut held = root_signers(&repo.root, keys)?;
    if let Some(prev) = &repo.previous_root {
        for (id, k) in root_signers(prev, keys)? {
            if !held.iter().any(|(h, _)| *h == id) {
                held.push((id, k));
            }
        }
    }
    if held.is_empty() {
        return Err(PublishError::MissingKey {
            gun: repo.gun.clone(),
            role: RoleName::root(),
            key_ids: repo.base_role_keys(&RoleName::root()),
        }
        .into());
    }
    let signers: Vec<SigningKey<'_>> = held.iter().map(|(id, k)| SigningKey::new(k, id)).collect();
    Ok(Editor::new(RoleName::root(), repo.root.clone()).sign(&signers, None)?)
}

fn sign_snapshot(
    repo: &WorkingRepo,
    signed: &Signed,
    ids: &[KeyId],
    keys: &mut dyn KeyLookup,
    now: DateTime<Utc>,
) -> Result<(SignedFile, i64)> {
    let mut snap = match &repo.snapshot {
        Some(s) => s.clone(),
        None => Snapshot::new(0, expiry(now, SNAPSHOT_DAYS)),
    };
    for (role, file) in &signed.files {
        snap.set_meta(role, file);
    }
    // Unchanged roles keep their entries; a new repository needs root and targets at least.
    for (role, bytes) in &repo.raw {
        if !snap.meta.contains_key(role) {
            snap.set_meta(role, &SignedFile::new(bytes.clone()));
        }
    }
    snap.bump(expiry(now, SNAPSHOT_DAYS));
    let version = snap.version;
    Ok((
        sign_plain(repo, &RoleName::snapshot(), snap, ids, keys)?,
        version,
    ))
}

/// A new empty delegation file (used by tests and by callers creating roles explicitly).
pub fn empty_targets(now: DateTime<Utc>) -> Targets {
    Targets::new(0, expiry(now, TARGETS_DAYS))
}
