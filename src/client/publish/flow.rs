//! One publish, start to end: verified remote state (the `verify` engineer's update walk) or
//! docker-style initialisation, the requested changes, signatures, ONE multipart POST. On a
//! `VERSION` conflict the state is fetched again, the same changes re-applied and re-signed
//! once; a second conflict is reported. Nothing local changes unless the POST returned 200
//! (keys aside: they are created before the first attempt; and the verified remote state is
//! cached as any update caches it, written while the changes are signed), then the published
//! root is cached as the trust anchor.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use super::error::PublishError;
use super::keyring::DirKeyring;
use super::remote::{PublishRefusal, Remote};
use super::sign::{expiry, sign_dirty, KeyLookup, Signed, ROOT_DAYS, TARGETS_DAYS};
use super::working::WorkingRepo;
use crate::client::cache::MetadataCache;
use crate::client::http::Transport;
use crate::client::pinning::Pinning;
use crate::client::trusted::{self, PendingCommit, TrustedRepo, UpdateOptions};
use crate::client::update::http::HttpSource;
use crate::client::TrustError;
use crate::crypto::root_certificate;
use crate::error::{Error, Result};
use crate::tuf::editor::Bump;
use crate::tuf::wire::{FileMeta, Key, Root};
use crate::tuf::{Gun, RoleName, TargetName};

/// One change the user asked for, fully resolved (keys already created) so that it can be
/// re-applied unchanged after a conflict.
#[derive(Debug, Clone)]
pub enum Change {
    /// Sign `tag -> meta` into the roles docker would choose.
    Sign { tag: TargetName, meta: FileMeta },
    /// Add docker signer `name` with these public keys.
    AddSigner { name: String, keys: Vec<Key> },
    /// Remove docker signer `name`.
    RemoveSigner { name: String },
    /// Remove one tag, or every released tag, from the roles the user can sign.
    Revoke { tag: Option<TargetName> },
    /// Replace the root key (new certificate key); old root keys co-sign.
    RotateRoot { cert: Key },
    /// Replace the key of targets, snapshot or timestamp in root.
    RotateKey { role: RoleName, key: Key },
}

/// Where and how to publish.
pub struct Target<'a> {
    pub server: &'a str,
    /// The run's HTTP client (TLS roots, credentials, tokens).
    pub http: &'a Transport,
    pub trust_dir: &'a Path,
    pub pinning: &'a Pinning,
    pub now: DateTime<Utc>,
}

/// What one publish did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub gun: Gun,
    pub initialised: bool,
    /// For each change, in order, the roles it edited.
    pub roles: Vec<Vec<RoleName>>,
    /// Versions of the files uploaded.
    pub versions: BTreeMap<RoleName, i64>,
    /// Attempts made (2 after one conflict).
    pub attempts: u32,
    /// True when the removal of a signer left `targets/releases` without enough keys.
    pub releases_unsignable: bool,
}

/// The verified state of `gun` (cached), or `None` when the server has no trust data for it.
pub async fn load_verified_repo(t: &Target<'_>, gun: &Gun) -> Result<Option<TrustedRepo>> {
    match load_pending(t, gun).await? {
        Some((repo, pending)) => {
            pending.write()?;
            Ok(Some(repo))
        }
        None => Ok(None),
    }
}

/// The verified state of `gun` with its cache write still to do, or `None` when the server
/// has no trust data for it.
async fn load_pending(t: &Target<'_>, gun: &Gun) -> Result<Option<(TrustedRepo, PendingCommit)>> {
    let source = HttpSource::new(t.http, t.server);
    let cache = MetadataCache::new(t.trust_dir, gun);
    let opts = UpdateOptions {
        pinning: t.pinning,
        now: t.now,
        expect_changes: true,
    };
    match trusted::update_pending(&source, &cache, gun, &opts).await {
        Ok(loaded) => Ok(Some(loaded)),
        Err(TrustError::NoTrustData { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The verified state's cache write, running on its own thread while the changes are
/// signed and posted (the disk and the network overlap instead of queueing).
struct Committing(Option<std::thread::JoinHandle<std::result::Result<(), Box<TrustError>>>>);

impl Committing {
    fn start(pending: Option<PendingCommit>) -> Committing {
        Committing(pending.map(|p| super::background::spawn(move || p.write().map_err(Box::new))))
    }

    /// Wait for the write; its error, if any.
    fn finish(self) -> Result<()> {
        match self.0.map(|h| h.join()) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err((*e).into()),
            // The write thread cannot panic short of a bug; do not lose the outcome.
            Some(Err(_)) => {
                tracing::warn!("trust cache write did not finish");
                Ok(())
            }
        }
    }
}

/// Initialise `gun` as docker does: the first root key of the trust dir (or a new one), a
/// fresh root certificate (CN = GUN, 10 years), a new targets key, server-managed snapshot
/// and timestamp keys.
async fn init_repo(
    remote: &Remote,
    gun: &Gun,
    keys: &mut DirKeyring,
    now: DateTime<Utc>,
) -> Result<WorkingRepo> {
    let root_key = match keys.root_key_ids().first() {
        Some(id) => keys
            .key(id)?
            .ok_or_else(|| missing(gun, RoleName::root()))?,
        None => keys.generate("root", None)?,
    };
    let cert = root_certificate(&root_key, gun, now, now + Duration::days(ROOT_DAYS))?;
    let targets_key = keys.generate("targets", Some(gun))?;
    let timestamp = remote
        .server_key(gun, &RoleName::timestamp(), false)
        .await?;
    let snapshot = remote.server_key(gun, &RoleName::snapshot(), false).await?;
    let mut root = Root::new(1, expiry(now, ROOT_DAYS));
    root.set_role(&RoleName::root(), &[Key::from_public(&cert)], 1);
    root.set_role(
        &RoleName::targets(),
        &[Key::from_public(&targets_key.public_key())],
        1,
    );
    root.set_role(&RoleName::snapshot(), &[snapshot], 1);
    root.set_role(&RoleName::timestamp(), &[timestamp], 1);
    Ok(WorkingRepo::new_repo(
        gun.clone(),
        root,
        expiry(now, TARGETS_DAYS),
    ))
}

fn missing(gun: &Gun, role: RoleName) -> Error {
    PublishError::MissingKey {
        gun: gun.clone(),
        role,
        key_ids: Vec::new(),
    }
    .into()
}

/// Apply `changes` to `repo`; returns the roles each change edited.
pub fn apply(
    repo: &mut WorkingRepo,
    changes: &[Change],
    keys: &dyn KeyLookup,
    now: DateTime<Utc>,
) -> Result<Vec<Vec<RoleName>>> {
    let holds = |id: &crate::tuf::KeyId| keys.holds(id);
    let exp = expiry(now, TARGETS_DAYS);
    let mut out = Vec::new();
    for change in changes {
        let roles = match change {
            Change::Sign { tag, meta } => {
                let roles = repo.signable_roles(tag.as_str(), &holds)?;
                repo.add_target(&roles, tag, meta, exp);
                roles
            }
            Change::AddSigner { name, keys } => {
                repo.add_signer(name, keys)?;
                vec![RoleName::targets()]
            }
            Change::RemoveSigner { name } => {
                repo.remove_signer(name)?;
                vec![RoleName::targets()]
            }
            Change::Revoke { tag: Some(tag) } => repo.revoke_tag(tag, &holds)?,
            Change::Revoke { tag: None } => {
                let tags = repo.released_tags();
                if tags.is_empty() {
                    return Err(PublishError::NothingSigned {
                        gun: repo.gun.clone(),
                    }
                    .into());
                }
                let mut changed: Vec<RoleName> = Vec::new();
                for tag in tags {
                    for r in repo.revoke_tag(&tag, &holds)? {
                        if !changed.contains(&r) {
                            changed.push(r);
                        }
                    }
                }
                changed
            }
            Change::RotateRoot { cert } => {
                rotate_root(repo, cert, now);
                vec![RoleName::root()]
            }
            Change::RotateKey { role, key } => {
                rotate_key(repo, role, key, now);
                let mut roles = vec![RoleName::root()];
                if *role == RoleName::targets() {
                    repo.mark_dirty(RoleName::targets());
                    roles.push(RoleName::targets());
                }
                roles
            }
        };
        out.push(roles);
    }
    Ok(out)
}

/// The next root version, once per publish (several rotations in one run bump once).
fn bump_root(repo: &mut WorkingRepo, now: DateTime<Utc>) {
    if !repo.dirty().contains(&RoleName::root()) {
        repo.root.bump(expiry(now, ROOT_DAYS));
        repo.mark_dirty(RoleName::root());
    }
}

/// Root rotation: the new certificate key becomes the only root key; old certificates stay
/// in `keys` (as notary keeps them); the previous root keys co-sign (see `sign.rs`).
fn rotate_root(repo: &mut WorkingRepo, cert: &Key, now: DateTime<Utc>) {
    bump_root(repo, now);
    let threshold = repo.root.role(&RoleName::root()).map_or(1, |r| r.threshold);
    repo.root
        .set_role(&RoleName::root(), std::slice::from_ref(cert), threshold);
}

/// Replace a base role's key; keys no role uses any more leave `keys` (root certificates
/// excepted, which stay as notary keeps them).
fn rotate_key(repo: &mut WorkingRepo, role: &RoleName, key: &Key, now: DateTime<Utc>) {
    bump_root(repo, now);
    let old = repo.base_role_keys(role);
    repo.root.set_role(role, std::slice::from_ref(key), 1);
    let in_use: Vec<_> = repo
        .root
        .roles
        .values()
        .flat_map(|r| r.keyids.clone())
        .collect();
    for id in old {
        if !in_use.contains(&id) {
            repo.root.keys.remove(&id);
        }
    }
}

/// Publish `changes` to `gun`. `may_init`: initialise the repository when the server has
/// no trust data for it (sign, signer add); otherwise that is a "no trust data" error.
/// `preloaded`: the state a caller already fetched (e.g. to ask a question first), used for
/// the first attempt so the update walk runs once.
pub async fn publish(
    t: &Target<'_>,
    gun: &Gun,
    changes: &[Change],
    keys: &mut DirKeyring,
    may_init: bool,
    mut preloaded: Option<Option<TrustedRepo>>,
) -> Result<Outcome> {
    tracing::debug!(%gun, "publish: start");
    // The repository key is usually what signs: decrypt it while the state is fetched.
    keys.prefetch_repository_keys(gun);
    let remote = Remote::new(t.http, t.server);
    let mut conflict: Option<(RoleName, i64)> = None;
    for attempt in 1..=2u32 {
        // 1. Verified remote state (its cache write runs while steps 2-3 do), or a new
        //    repository.
        let (state, pending) = match preloaded.take() {
            Some(state) => (state, None),
            None => match load_pending(t, gun).await? {
                Some((repo, pending)) => (Some(repo), Some(pending)),
                None => (None, None),
            },
        };
        tracing::debug!(%gun, attempt, "publish: state loaded");
        let (mut repo, initialised) = match state {
            Some(trusted) => (WorkingRepo::from_owned(trusted), false),
            None if may_init => (init_repo(&remote, gun, keys, t.now).await?, true),
            None => {
                return Err(TrustError::NoTrustData {
                    gun: gun.clone(),
                    server: host_of(t.server),
                }
                .into())
            }
        };
        // 2. The changes, 3. signatures, while the verified state goes to the cache.
        let committing = Committing::start(pending);
        let work = (|| {
            let roles = apply(&mut repo, changes, keys, t.now)?;
            let releases_unsignable = repo.releases_unsignable();
            let signed: Signed = sign_dirty(repo, keys, t.now)?;
            Ok((roles, releases_unsignable, signed))
        })();
        let (roles, releases_unsignable, signed) = match work {
            Ok(done) => done,
            Err(e) => {
                // A failed cache write is reported first, as it would have been had it run
                // before the signing.
                committing.finish()?;
                return Err(e);
            }
        };
        tracing::debug!(%gun, files = signed.files.len(), "publish: signed");
        // 4. One POST (an empty one when nothing changed, as docker does).
        let posted = remote.publish(gun, &signed.files).await;
        let committed = committing.finish();
        match posted {
            Ok(()) => {
                tracing::debug!(%gun, "publish: accepted");
                // The server has the change: say so if the cache write failed.
                committed.map_err(|e| PublishError::CacheAfterPublish {
                    gun: gun.clone(),
                    reason: e.to_string(),
                })?;
                commit_root(t, gun, &signed)?;
                let versions = signed.versions().clone();
                return Ok(Outcome {
                    gun: gun.clone(),
                    initialised,
                    roles,
                    versions,
                    attempts: attempt,
                    releases_unsignable,
                });
            }
            Err(PublishRefusal::Conflict) => {
                committed?;
                let (role, _) = signed
                    .files
                    .first()
                    .cloned()
                    .unwrap_or((RoleName::targets(), crate::tuf::SignedFile::new(Vec::new())));
                let version = signed.version(&role).unwrap_or(0);
                tracing::info!(%gun, %role, version, "server refused the version; retrying once");
                conflict = Some((role, version));
            }
            Err(PublishRefusal::Failed(e)) => {
                committed?;
                return Err(e.into());
            }
        }
    }
    let (role, version) = conflict.unwrap_or((RoleName::targets(), 0));
    Err(PublishError::Conflict {
        gun: gun.clone(),
        role,
        version,
    }
    .into())
}

/// After a successful publish, the root we uploaded is the trust anchor for the next run.
fn commit_root(t: &Target<'_>, gun: &Gun, signed: &Signed) -> Result<()> {
    if let Some(root) = signed.get(&RoleName::root()) {
        MetadataCache::new(t.trust_dir, gun).commit(&[(RoleName::root(), root.bytes())])?;
    }
    Ok(())
}

fn host_of(server: &str) -> String {
    server
        .split_once("://")
        .map_or(server, |(_, h)| h)
        .trim_end_matches('/')
        .to_string()
}
