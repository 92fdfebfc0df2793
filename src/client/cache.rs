//! The trusted metadata cache: `<trust dir>/tuf/<gun>/metadata/<role>.json`, notary's layout
//! (delegations in subdirectories: `targets/releases.json`).
//!
//! Holds exactly the bytes the server sent, so hashes from a newer snapshot can be compared
//! with the cached file and the file reused without a download. This module only reads and
//! writes files; it never decides trust. The update walk calls `commit` once, after the whole
//! chain verified; all files of a commit go through `keystore::atomic_write_all` (each
//! replaced atomically, renames in the walk's order). A commit that changes the root, the
//! trust anchor, is durable (data and directory synced); any other is not synced, since every
//! cached file below the root is re-checked against its parent on each read and refetched
//! when it does not match.

// TrustError carries repository, role, versions and times by design (one-line, actionable
// errors); it is the cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use super::update::error::TrustError;
use crate::keystore::{self, Durability};
use crate::tuf::{Gun, RoleName};

/// Largest cached file we read back (root files grow ~1 KiB per rotation; 100 MiB as notary).
const MAX_CACHED_FILE: u64 = 100 << 20;
/// Cached metadata is public (notary writes it world-readable too); its directories are 0700.
const CACHE_FILE_MODE: u32 = 0o644;

/// The metadata cache of one repository.
#[derive(Debug, Clone)]
pub struct MetadataCache {
    dir: PathBuf,
}

impl MetadataCache {
    /// The cache of `gun` under `trust_dir`.
    pub fn new(trust_dir: &Path, gun: &Gun) -> MetadataCache {
        let mut dir = trust_dir.join("tuf");
        for part in gun.as_str().split('/') {
            dir.push(part);
        }
        dir.push("metadata");
        MetadataCache { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, role: &RoleName) -> PathBuf {
        let mut p = self.dir.clone();
        for part in role.as_str().split('/') {
            p.push(part);
        }
        p.set_extension("json");
        p
    }

    /// The cached bytes of `role`, or `None` when not cached.
    pub fn read(&self, role: &RoleName) -> Result<Option<Vec<u8>>, TrustError> {
        use std::io::Read;
        let path = self.path(role);
        let err = |e: std::io::Error| TrustError::Cache {
            action: "read",
            path: path.clone(),
            kind: e.kind(),
        };
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        // Sized from the file's length (a hint only: the read stays bounded by the limit).
        let hint = file.metadata().map_or(0, |m| m.len()).min(MAX_CACHED_FILE) as usize;
        let mut bytes = Vec::with_capacity(hint + 1);
        file.take(MAX_CACHED_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(err)?;
        if bytes.len() as u64 > MAX_CACHED_FILE {
            return Err(TrustError::Cache {
                action: "read (too large)",
                path,
                kind: std::io::ErrorKind::InvalidData,
            });
        }
        Ok(Some(bytes))
    }

    /// Replace cached files, in the order given (the walk passes root first, timestamp last,
    /// so a crash leaves a cache the next walk re-verifies and repairs, never a newer
    /// timestamp pointing at files that are not there). Directories are 0700, files 0644.
    /// A commit that includes the root is durable (directories synced); otherwise a crash
    /// may leave the previous version of some files, which the next walk refreshes.
    pub fn commit(&self, files: &[(RoleName, &[u8])]) -> Result<(), TrustError> {
        let paths: Vec<PathBuf> = files.iter().map(|(role, _)| self.path(role)).collect();
        for path in &paths {
            let parent = path.parent().unwrap_or(&self.dir);
            keystore::ensure_dir(parent, keystore::DIR_MODE)
                .map_err(|e| cache_error("create directory for", &self.dir, e))?;
        }
        let batch: Vec<(&Path, &[u8])> = paths
            .iter()
            .zip(files)
            .map(|(p, (_, bytes))| (p.as_path(), *bytes))
            .collect();
        // The root is the trust anchor: durable. Everything else is checked against its
        // parent's hash (or only sets a rollback floor) on every read and refetched when it
        // does not match, so a file torn by a power loss costs a download, not trust.
        let durability = if files.iter().any(|(r, _)| *r == RoleName::root()) {
            Durability::Durable
        } else {
            Durability::Unsynced
        };
        keystore::atomic_write_all(&batch, CACHE_FILE_MODE, durability)
            .map_err(|e| cache_error("write", &self.dir, e))
    }

    /// Remove a cached delegation that is no longer in the snapshot.
    pub fn remove(&self, role: &RoleName) -> Result<(), TrustError> {
        let path = self.path(role);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(TrustError::Cache {
                action: "remove",
                path,
                kind: e.kind(),
            }),
        }
    }
}

/// The keystore's error as a cache error naming the file (the writers used here fail only
/// with `Io`; anything else is reported against the cache directory).
fn cache_error(action: &'static str, dir: &Path, e: keystore::Error) -> TrustError {
    let (path, kind) = match e {
        keystore::Error::Io { path, source, .. } => (path, source.kind()),
        _ => (dir.to_path_buf(), std::io::ErrorKind::Other),
    };
    TrustError::Cache { action, path, kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_notary_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let gun = Gun::new("localhost:5000/wire/img").unwrap();
        let cache = MetadataCache::new(dir.path(), &gun);
        let rel = RoleName::releases();
        assert_eq!(cache.read(&rel).unwrap(), None);
        cache
            .commit(&[(RoleName::root(), b"r"), (rel.clone(), b"x")])
            .unwrap();
        let p = dir
            .path()
            .join("tuf/localhost:5000/wire/img/metadata/targets/releases.json");
        assert_eq!(std::fs::read(&p).unwrap(), b"x");
        assert_eq!(cache.read(&RoleName::root()).unwrap(), Some(b"r".to_vec()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = std::fs::metadata(p.parent().unwrap())
                .unwrap()
                .permissions();
            assert_eq!(m.mode() & 0o777, 0o700);
        }
        cache.remove(&rel).unwrap();
        assert_eq!(cache.read(&rel).unwrap(), None);
    }
}
