//! The client update walk (Notary v1 semantics) and the trusted state it yields.
//!
//! `update` fetches and verifies, in order: root (bootstrap with pinning/TOFU, then every
//! rotation by version; with a cached root, rotations are looked for as notary does, only when
//! the chain does not verify under it, the snapshot lists another root, or it expired),
//! timestamp, snapshot (hash and length from the timestamp), targets and
//! every delegation the snapshot lists (hashes and lengths from the snapshot; keys, thresholds
//! and path restrictions from the parent). It rejects expired metadata (freeze), versions
//! lower than the cached ones (rollback), files that do not match their parent's hash or
//! length (mix-and-match), and files larger than declared (endless data). Everything is
//! computed into locals; the cache is written and a `TrustedRepo` returned only after the
//! whole chain verified, so a failed update leaves the previous trusted state intact.
//!
//! This module decides trust; it does no HTTP (a `MetadataSource` fetches) and never reads
//! the wall clock (`now` is an argument).

// TrustError carries repository, role, versions and times by design (one-line, actionable
// errors); it is the cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::cache::MetadataCache;
use super::pinning::{Bootstrap, Pinning};
use super::update::error::TrustError;
use super::update::rotation::{self, map_fetch, map_tuf, CheckedRoot};
pub use super::update::source::{FetchError, MetadataSource, RemoteFile};
use crate::tuf::verify::Expiry;
use crate::tuf::wire::{FileMeta, Role, Snapshot, Targets, Timestamp};
use crate::tuf::{Gun, RoleName};
use crate::tuf::{RawSigned, Verified};

/// Largest timestamp accepted (notary: 1 MiB).
pub const MAX_TIMESTAMP: u64 = 1 << 20;
/// Most delegations walked (bounds a hostile delegation graph; notary allows far fewer roles
/// in practice).
const MAX_DELEGATIONS: usize = 10_000;

/// How to run an update.
#[derive(Debug, Clone, Copy)]
pub struct UpdateOptions<'a> {
    pub pinning: &'a Pinning,
    pub now: DateTime<Utc>,
    /// Expect the repository to have moved since the cache was written (a publisher's run):
    /// ask for the current snapshot and targets together with the timestamp even when copies
    /// are cached, one round trip instead of three. See `early_fetch`.
    pub expect_changes: bool,
}

/// Current files (`<role>.json`) asked for together with the timestamp are read up to this.
const EARLY_MAX: u64 = 16 << 20;
/// Whether to ask for the current `role` together with the timestamp. Its bytes are used only
/// if they are exactly what the verified parent lists (else it is fetched by hash as usual),
/// so this trades bandwidth for round trips: always when nothing is cached (the file must be
/// downloaded anyway), and when the repository is expected to have moved. A publisher's
/// cache holds the state before its last publish, so after its own publish the snapshot and
/// targets it has are always out of date; only a cache refreshed since (a `verify` in between)
/// makes the early copy a wasted download.
fn early_fetch(cached: Option<&Vec<u8>>, expect_changes: bool) -> bool {
    cached.is_none() || expect_changes
}

/// Files fetched by name with the timestamp, by role; each still checked against its parent.
type Early = BTreeMap<RoleName, Vec<u8>>;

/// Where the walk reads files: a live source, or only the cache (`--offline`).
enum Mode<'a, S> {
    Online(&'a S),
    Offline,
}

struct Walk<'a, S> {
    mode: Mode<'a, S>,
    cache: &'a MetadataCache,
    gun: &'a Gun,
    now: DateTime<Utc>,
    expect_changes: bool,
}

/// Update the trusted state of `gun` from `source`, starting from the cache, and commit the
/// new state to the cache only if the whole chain verified.
pub async fn update<S: MetadataSource>(
    source: &S,
    cache: &MetadataCache,
    gun: &Gun,
    opts: &UpdateOptions<'_>,
) -> Result<TrustedRepo, TrustError> {
    let (repo, pending) = update_pending(source, cache, gun, opts).await?;
    pending.write()?;
    Ok(repo)
}

/// [`update`] without the final cache write: the whole chain verified, and the files to
/// cache are handed back as a [`PendingCommit`] the caller must `write` (a publisher writes
/// it while it signs, instead of waiting for the disk first).
pub async fn update_pending<S: MetadataSource>(
    source: &S,
    cache: &MetadataCache,
    gun: &Gun,
    opts: &UpdateOptions<'_>,
) -> Result<(TrustedRepo, PendingCommit), TrustError> {
    let walk = Walk {
        mode: Mode::Online(source),
        cache,
        gun,
        now: opts.now,
        expect_changes: opts.expect_changes,
    };
    walk.run(opts.pinning).await
}

/// The cache write that ends a successful update: the files that changed, in commit order
/// (root first, timestamp last). Exists only for a fully verified chain.
#[derive(Debug)]
#[must_use = "the verified state is cached only when the commit is written"]
pub struct PendingCommit {
    cache: MetadataCache,
    files: Vec<(RoleName, Vec<u8>)>,
}

impl PendingCommit {
    /// Write the files (see `MetadataCache::commit`); nothing to do after an offline load or
    /// when nothing changed.
    pub fn write(self) -> Result<(), TrustError> {
        if self.files.is_empty() {
            return Ok(());
        }
        let files: Vec<(RoleName, &[u8])> = self
            .files
            .iter()
            .map(|(r, b)| (r.clone(), b.as_slice()))
            .collect();
        self.cache.commit(&files)?;
        tracing::debug!(files = files.len(), "update: cache committed");
        Ok(())
    }
}

/// Build the trusted state from the cache alone (`--offline`): same checks, no network;
/// fails on expired data and when nothing is cached.
pub async fn load_offline(
    cache: &MetadataCache,
    gun: &Gun,
    opts: &UpdateOptions<'_>,
) -> Result<TrustedRepo, TrustError> {
    let walk: Walk<'_, NoSource> = Walk {
        mode: Mode::Offline,
        cache,
        gun,
        now: opts.now,
        expect_changes: false,
    };
    // Offline, nothing is fetched, so there is nothing to commit.
    let (repo, _nothing) = walk.run(opts.pinning).await?;
    Ok(repo)
}

/// The source used offline: never called.
struct NoSource;

impl MetadataSource for NoSource {
    async fn fetch(&self, _: &Gun, _: &RemoteFile, _: u64) -> Result<Vec<u8>, FetchError> {
        Err(FetchError::Other("offline".into()))
    }
    fn server(&self) -> String {
        "(offline)".into()
    }
}

impl<S: MetadataSource> Walk<'_, S> {
    async fn run(&self, pinning: &Pinning) -> Result<(TrustedRepo, PendingCommit), TrustError> {
        let gun = self.gun;
        // 0. The cached state: the trusted root and the rollback floors. A publisher with a
        //    cached root asks for the current files at once (it asks for the same ones
        //    whatever it has cached) and reads the rest of its cache, and re-checks its root,
        //    while they are on their way.
        if let (Mode::Online(src), true) = (&self.mode, self.expect_changes) {
            if let Some(bytes) = self.cache.read(&RoleName::root())? {
                let (fetched, (cached, root)) =
                    beside(self.fetch_timestamp_with_early(*src, None), async {
                        in_flight().await;
                        let cached = Cached::load_beside(self.cache, Some(bytes.clone()), true)?;
                        let root = rotation::self_checked(gun, bytes)?;
                        Ok((cached, root))
                    })
                    .await?;
                tracing::debug!(%gun, "update: cache read, cached root checked");
                return self.under_cached_root(*src, root, fetched, &cached).await;
            }
        }
        let cached = Cached::load(self.cache, self.expect_changes)?;
        tracing::debug!(%gun, "update: cache read");

        // 1. Root: the cached root (re-checked: the cache is not blindly trusted) or a
        //    bootstrap under the pinning rules; then rotations, by version. As notary does,
        //    a current cached root is used as is while the chain verifies under it and the
        //    snapshot lists exactly it; otherwise newer roots are looked for and, when there
        //    are any, the chain is verified once more under the newest.
        let ts_role = RoleName::timestamp();
        match (&cached.root, &self.mode) {
            (Some(bytes), Mode::Online(src)) => {
                // The cached root is re-checked while the timestamp (and the early copies)
                // are on their way; a bad root is reported before any fetch failure.
                let (fetched, root) = beside(
                    self.fetch_timestamp_with_early(*src, Some(&cached)),
                    async {
                        in_flight().await;
                        rotation::self_checked(gun, bytes.clone())
                    },
                )
                .await?;
                tracing::debug!(%gun, "update: cached root checked");
                self.under_cached_root(*src, root, fetched, &cached).await
            }
            (Some(bytes), Mode::Offline) => {
                let root = rotation::self_checked(gun, bytes.clone())?;
                let ts = cached
                    .file(&ts_role)
                    .cloned()
                    .ok_or_else(|| TrustError::NoCache {
                        gun: gun.clone(),
                        dir: self.cache.dir().to_path_buf(),
                    })?;
                self.chain(root, None, ts, &Early::new(), &cached).await
            }
            (None, Mode::Offline) => Err(TrustError::NoCache {
                gun: gun.clone(),
                dir: self.cache.dir().to_path_buf(),
            }),
            (None, Mode::Online(src)) => {
                // Cold: the root is bootstrapped and its rotations walked while the timestamp
                // and the early copies are on their way (nothing of theirs is trusted before
                // the chain verifies them under that root). A root failure is reported first,
                // without waiting for them.
                // The first rotation probe, `2.root.json`, goes with them: most roots are
                // version 1, and its answer is checked only once the root is.
                let (fetched, (root, how)) = beside(
                    self.fetch_timestamp_with_early(*src, Some(&cached)),
                    async {
                        let (root, how, probed) = self.bootstrap_with_probe(*src, pinning).await?;
                        Ok((
                            rotation::walk_rotations(*src, gun, root, probed).await?,
                            how,
                        ))
                    },
                )
                .await?;
                let (ts, early) = fetched?;
                self.chain(root, Some(how), ts, &early, &cached).await
            }
        }
    }

    /// The root bootstrapped, with the answer to `2.root.json` asked for beside it: waited
    /// for only when the root is version 1 (otherwise the walk needs another version and
    /// the request is dropped). A root failure is reported without waiting for the probe.
    async fn bootstrap_with_probe(
        &self,
        src: &S,
        pinning: &Pinning,
    ) -> Result<(CheckedRoot, Bootstrap, Option<rotation::Probed>), TrustError> {
        use futures_util::future::{select, Either};
        const FIRST: u64 = 2;
        let probe = src.fetch(
            self.gun,
            &RemoteFile::RootVersion(FIRST),
            rotation::MAX_ROOT,
        );
        let boot = rotation::bootstrap(src, self.gun, pinning, self.now);
        let (probe, boot) = (std::pin::pin!(probe), std::pin::pin!(boot));
        let (root, how, answer) = match select(probe, boot).await {
            Either::Left((answer, boot)) => {
                let (root, how) = boot.await?;
                (root, how, Some(answer))
            }
            Either::Right((booted, probe)) => {
                let (root, how) = booted?;
                let answer = if root.version() == FIRST - 1 {
                    Some(probe.await)
                } else {
                    None
                };
                (root, how, answer)
            }
        };
        let probed = answer.map(|answer| rotation::Probed {
            version: FIRST,
            answer,
        });
        Ok((root, how, probed))
    }

    /// Steps 2-6 from a re-checked cached root and the timestamp fetched (with the early
    /// copies): rotations first when the root expired; otherwise the chain under it, and once
    /// more under the newest root if it fails and newer roots exist.
    async fn under_cached_root(
        &self,
        src: &S,
        root: CheckedRoot,
        fetched: Result<(Vec<u8>, Early), TrustError>,
        cached: &Cached,
    ) -> Result<(TrustedRepo, PendingCommit), TrustError> {
        let gun = self.gun;
        if root.signed().expires().to_utc() <= self.now {
            let root = rotation::walk_rotations(src, gun, root, None).await?;
            let (ts, early) = fetched?;
            return self.chain(root, None, ts, &early, cached).await;
        }
        let (ts, early) = fetched?;
        let first = self
            .chain(root.clone(), None, ts.clone(), &early, cached)
            .await;
        let Err(first_error) = first else {
            return first;
        };
        let version = root.version();
        let newest = rotation::walk_rotations(src, gun, root, None).await?;
        if newest.version() == version {
            return Err(first_error);
        }
        tracing::debug!(%gun, from = version, to = newest.version(), "update: root rotated; verifying again");
        self.chain(newest, None, ts, &early, cached).await
    }

    /// `timestamp.json`, always fresh online; with it, concurrently, the current snapshot
    /// and targets where [`early_fetch`] says so (a failure there only means no early copy).
    /// `cached` may be left out only when changes are expected (then it decides nothing).
    async fn fetch_timestamp_with_early(
        &self,
        src: &S,
        cached: Option<&Cached>,
    ) -> Result<(Vec<u8>, Early), TrustError> {
        let gun = self.gun;
        let early_one = |role: RoleName| async move {
            if !early_fetch(cached.and_then(|c| c.file(&role)), self.expect_changes) {
                return None;
            }
            let file = RemoteFile::Current(role.clone());
            match src.fetch(gun, &file, EARLY_MAX).await {
                Ok(bytes) => Some((role, bytes)),
                Err(e) => {
                    tracing::debug!(%gun, %role, ?e, "update: no early copy");
                    None
                }
            }
        };
        let file = RemoteFile::Current(RoleName::timestamp());
        let (ts, snap, targets) = futures_util::join!(
            src.fetch(gun, &file, MAX_TIMESTAMP),
            early_one(RoleName::snapshot()),
            early_one(RoleName::targets()),
        );
        let ts = ts.map_err(|e| map_fetch(gun, &RoleName::timestamp(), &file, MAX_TIMESTAMP, e))?;
        Ok((ts, snap.into_iter().chain(targets).collect()))
    }

    /// Steps 2-6 under a trusted `root`, from the timestamp's bytes: everything verified,
    /// the new state and its cache write handed back.
    async fn chain(
        &self,
        root: CheckedRoot,
        bootstrap: Option<Bootstrap>,
        ts_bytes: Vec<u8>,
        early: &Early,
        cached: &Cached,
    ) -> Result<(TrustedRepo, PendingCommit), TrustError> {
        let gun = self.gun;
        let ts_role = RoleName::timestamp();
        tracing::debug!(%gun, version = root.version(), "update: root trusted");
        let root_changed = cached.root.as_deref() != Some(root.bytes.as_slice());
        self.check_expiry(&RoleName::root(), root.signed().expires().to_utc())?;

        // 2. Timestamp: always fresh online; signed by the root's timestamp keys; not older
        //    than the cached one; not expired.
        let timestamp: Verified<Timestamp> =
            self.verify_base(&ts_bytes, MAX_TIMESTAMP, &ts_role, &root, cached)?;
        tracing::debug!(%gun, version = ver(&timestamp), "update: timestamp verified");

        // 3. Snapshot: exactly the file the timestamp names (hash and length), reused from
        //    the cache when it matches; signed by the snapshot keys; no rollback; not expired.
        let snap_role = RoleName::snapshot();
        let (snap_bytes, snapshot) = self
            .base_file::<Snapshot>(&snap_role, &timestamp, &root, early, cached)
            .await?;
        tracing::debug!(%gun, version = ver(&snapshot), "update: snapshot verified");
        // The snapshot must describe the root we trust (mix-and-match of root).
        if let Some(m) = snapshot.signed().meta.get(&RoleName::root()) {
            check_listed(&root.bytes, m)
                .map_err(|u| mismatch(gun, &RoleName::root(), &snap_role, u))?;
        }

        // 4. Targets: the file the snapshot names, signed by the root's targets keys.
        let t_role = RoleName::targets();
        let (t_bytes, targets) = self
            .base_file::<Targets>(&t_role, &snapshot, &root, early, cached)
            .await?;
        tracing::debug!(%gun, version = ver(&targets), "update: targets verified");

        // 5. Delegations, pre-order in each parent's `delegations.roles` order.
        let walked = self.walk_delegations(snapshot.signed(), &targets).await?;

        // 6. Commit: the whole chain verified. Hand out the new state with the cache write
        //    (changed files only; root first, timestamp last).
        let mut raw: BTreeMap<RoleName, Vec<u8>> = BTreeMap::new();
        raw.insert(RoleName::root(), root.bytes.clone());
        raw.insert(t_role, t_bytes);
        raw.insert(snap_role, snap_bytes);
        raw.insert(ts_role, ts_bytes);
        raw.extend(walked.raw);
        let mut files: Vec<(RoleName, Vec<u8>)> = Vec::new();
        if matches!(self.mode, Mode::Online(_)) {
            if root_changed {
                files.push((RoleName::root(), root.bytes.clone()));
            }
            for d in &walked.delegations {
                if walked.unchanged.contains(&d.role) {
                    continue;
                }
                if let Some(b) = raw.get(&d.role) {
                    files.push((d.role.clone(), b.clone()));
                }
            }
            for r in [
                RoleName::targets(),
                RoleName::snapshot(),
                RoleName::timestamp(),
            ] {
                if let Some(b) = raw.get(&r) {
                    if cached.file(&r) != Some(b) {
                        files.push((r, b.clone()));
                    }
                }
            }
        }
        let pending = PendingCommit {
            cache: self.cache.clone(),
            files,
        };
        let repo = TrustedRepo {
            gun: gun.clone(),
            root,
            timestamp,
            snapshot,
            targets,
            delegations: walked.delegations,
            raw,
            bootstrap,
            warnings: walked.warnings,
        };
        Ok((repo, pending))
    }

    fn check_expiry(&self, role: &RoleName, expires: DateTime<Utc>) -> Result<(), TrustError> {
        if expires <= self.now {
            return Err(TrustError::Expired {
                gun: self.gun.clone(),
                role: role.clone(),
                expires,
                now: self.now,
            });
        }
        Ok(())
    }

    /// Parse (at most `limit` bytes), verify signatures against the root's keys for `role`
    /// and expiry (core's `verify_with_root`), then refuse a version below the cached one.
    fn verify_base<R: Role>(
        &self,
        bytes: &[u8],
        limit: u64,
        role: &RoleName,
        root: &CheckedRoot,
        cached: &Cached,
    ) -> Result<Verified<R>, TrustError> {
        let gun = self.gun;
        let raw =
            RawSigned::<R>::from_bytes(role, bytes, limit).map_err(|e| map_tuf(gun, role, 0, e))?;
        tracing::debug!(%gun, %role, "update: parsed");
        let version = raw.signed_untrusted().version();
        let doc = raw
            .verify_with_root(&root.verified, Expiry::At(self.now))
            .map_err(|e| map_tuf(gun, role, version, e))?;
        if let Some(floor) = cached.floor(role, bytes) {
            if ver(&doc) < floor {
                return Err(TrustError::Rollback {
                    gun: gun.clone(),
                    role: role.clone(),
                    trusted: floor,
                    served: ver(&doc),
                });
            }
        }
        Ok(doc)
    }

    /// Snapshot or targets: the file `parent` lists for `role` (a copy at hand or fetched by
    /// hash), verified under the root's keys for it, with its bytes.
    async fn base_file<R: Role>(
        &self,
        role: &RoleName,
        parent: &Verified<impl Listing>,
        root: &CheckedRoot,
        early: &Early,
        cached: &Cached,
    ) -> Result<(Vec<u8>, Verified<R>), TrustError> {
        let meta = listed(self.gun, parent.signed().meta(), role, parent.role())?;
        let (bytes, verified) = self
            .file_by_meta(
                role,
                parent.role(),
                meta,
                [cached.file(role), early.get(role)],
                |b| self.verify_base::<R>(b, u64::MAX, role, root, cached),
            )
            .await?;
        Ok((bytes, verified?))
    }

    /// The bytes of `role` as `parent` describes them, and `verify` run on them
    /// ([`verify_listed`]): a copy at hand (`[cached, fetched early by name]`) when it
    /// matches, else the file fetched by hash with the declared length as the read limit.
    async fn file_by_meta<T>(
        &self,
        role: &RoleName,
        parent: &RoleName,
        meta: &FileMeta,
        [cached, early]: [Option<&Vec<u8>>; 2],
        verify: impl Fn(&[u8]) -> T,
    ) -> Result<(Vec<u8>, T), TrustError> {
        let gun = self.gun;
        // The copy more likely to be current is tried first: a mismatch still costs a sha256.
        let at_hand = if self.expect_changes {
            [(early, Expect::Current), (cached, Expect::MaybeStale)]
        } else {
            [(cached, Expect::MaybeStale), (early, Expect::Current)]
        };
        for (copy, expect) in at_hand {
            let Some(c) = copy else { continue };
            if let Ok(v) = verify_listed(c, meta, expect, &verify) {
                return Ok((c.clone(), v));
            }
        }
        let src = match &self.mode {
            Mode::Online(src) => *src,
            Mode::Offline => {
                return Err(TrustError::NoCache {
                    gun: gun.clone(),
                    dir: self.cache.dir().to_path_buf(),
                })
            }
        };
        let Some(hex) = meta.sha256_hex() else {
            let none = ("sha256", "(none listed)".into(), String::new());
            return Err(mismatch(gun, role, parent, none));
        };
        let file = RemoteFile::ByHash {
            role: role.clone(),
            sha256_hex: hex,
        };
        let limit = crate::tuf::limits::listed_length(meta.length);
        let bytes = src
            .fetch(gun, &file, limit)
            .await
            .map_err(|e| map_fetch(gun, role, &file, limit, e))?;
        tracing::debug!(%gun, %role, bytes = bytes.len(), "update: fetched");
        let verified = verify_listed(&bytes, meta, Expect::Current, &verify)
            .map_err(|u| mismatch(gun, role, parent, u))?;
        Ok((bytes, verified))
    }
}

/// `fetch` with `local` work beside it. `local`'s error wins over whatever the fetch gives
/// and is returned at once, without waiting for the network; otherwise both results.
async fn beside<F, T, U>(
    fetch: F,
    local: impl std::future::Future<Output = Result<U, TrustError>>,
) -> Result<(T, U), TrustError>
where
    F: std::future::Future<Output = T>,
{
    use futures_util::future::{select, Either};
    let (fetch, local) = (std::pin::pin!(fetch), std::pin::pin!(local));
    match select(fetch, local).await {
        Either::Left((fetched, local)) => Ok((fetched, local.await?)),
        Either::Right((local, fetch)) => {
            let local = local?;
            Ok((fetch.await, local))
        }
    }
}

/// Let the runtime send the requests just started (connect, hand the request to its
/// connection task, write it) before the caller runs synchronous work beside them: a few
/// turns of the scheduler, each of which also polls the I/O driver.
async fn in_flight() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

#[path = "update/cached.rs"]
mod cached;
#[path = "update/listed.rs"]
mod listed;
use cached::Cached;
use listed::{check_listed, listed, mismatch, verify_listed, Expect, Listing};
#[path = "update/delegations.rs"]
mod delegations;
#[path = "update/repo.rs"]
mod repo;
use repo::ver;
pub use repo::{TrustedDelegation, TrustedParts, TrustedRepo, WalkWarning};

#[cfg(test)]
#[path = "update/walk_tests.rs"]
mod walk_tests;
