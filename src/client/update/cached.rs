//! The cached state a walk starts from: the cached bytes by role, and the version floors
//! (rollback protection) read from them, large ones on other threads while the network is
//! awaited. Part of the update walk (`client::trusted`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::listed::OVERLAP_MIN;
use super::{MetadataCache, TrustError};
use crate::tuf::RoleName;

/// Cached state read at the start of a walk: bytes by role, and version floors.
pub(super) struct Cached {
    pub(super) root: Option<Vec<u8>>,
    files: BTreeMap<RoleName, Arc<Vec<u8>>>,
    /// Floors of large cached files being read on other threads while the network is awaited
    /// (a publisher's run, which will need them: its cached files are a version behind).
    pub(super) reading: Mutex<BTreeMap<RoleName, JoinHandle<Option<u64>>>>,
}

impl Cached {
    /// The cached state; with `floors_ahead`, the floors of large files are read meanwhile.
    pub(super) fn load(cache: &MetadataCache, floors_ahead: bool) -> Result<Cached, TrustError> {
        let root = cache.read(&RoleName::root())?;
        Cached::load_beside(cache, root, floors_ahead)
    }

    /// [`Cached::load`] with the cached root already read.
    pub(super) fn load_beside(
        cache: &MetadataCache,
        root: Option<Vec<u8>>,
        floors_ahead: bool,
    ) -> Result<Cached, TrustError> {
        let mut files = BTreeMap::new();
        let mut reading = BTreeMap::new();
        for role in [
            RoleName::timestamp(),
            RoleName::snapshot(),
            RoleName::targets(),
        ] {
            let Some(b) = cache.read(&role)? else {
                continue;
            };
            let b = Arc::new(b);
            if floors_ahead && b.len() >= OVERLAP_MIN {
                let copy = Arc::clone(&b);
                // No thread (resources exhausted): the floor is read when needed instead.
                if let Ok(h) = std::thread::Builder::new().spawn(move || version_of(&copy)) {
                    reading.insert(role.clone(), h);
                }
            }
            files.insert(role, b);
        }
        Ok(Cached {
            root,
            files,
            reading: Mutex::new(reading),
        })
    }

    /// The cache state of one file (a delegation's, read as the walk reaches it).
    pub(super) fn one(role: &RoleName, bytes: Option<Vec<u8>>) -> Cached {
        Cached {
            root: None,
            files: bytes
                .map(|b| BTreeMap::from([(role.clone(), Arc::new(b))]))
                .unwrap_or_default(),
            reading: Mutex::default(),
        }
    }

    /// The cached bytes of `role`.
    pub(super) fn file(&self, role: &RoleName) -> Option<&Vec<u8>> {
        self.files.get(role).map(|b| &**b)
    }

    /// The version of the cached file of `role` (the rollback floor) when it differs from
    /// `current`, the bytes just verified (the same bytes are the same version: no floor to
    /// read, nothing to parse). The cache holds only files that verified when written; a
    /// cached file that no longer parses sets no floor.
    pub(super) fn floor(&self, role: &RoleName, current: &[u8]) -> Option<u64> {
        let b = self.file(role)?;
        if b.as_slice() == current {
            return None;
        }
        let ahead = self.reading.lock().ok().and_then(|mut r| r.remove(role));
        match ahead.map(JoinHandle::join) {
            Some(Ok(floor)) => floor,
            // Not read ahead, or the reading thread died: read it here.
            _ => version_of(b),
        }
    }
}

/// `signed.version` of a metadata file, read without building the document (but from a
/// full parse: an unsigned member next to `signed` must not be mistaken for it).
pub(super) fn version_of(bytes: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct V {
        signed: VS,
    }
    #[derive(serde::Deserialize)]
    struct VS {
        version: u64,
    }
    crate::tuf::json_from_bytes::<V>(bytes)
        .ok()
        .map(|v| v.signed.version)
}
