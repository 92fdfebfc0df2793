//! An in-memory cache of stored metadata bodies, keyed by the SHA-256 of their bytes.
//!
//! A body with a given checksum never changes, so caching it is safe even when several server
//! instances share one database: storage always decides *which* file to serve (`locate` is a
//! cheap, index-only query that returns version, checksum and write time); the cache only
//! saves reading and copying the bytes, and parsing them again. A cached body is never served
//! unless storage has just named its checksum for the request's GUN and role. Bodies are
//! `Bytes`: a response shares them, nothing is copied per request. The typed timestamp or
//! snapshot of a body is parsed once, on first use.
//!
//! Bounded: two generations of at most half the budget each; when the young one is full, the
//! old one is dropped and the young one becomes old (an entry read from the old generation
//! moves back into the young one). A body larger than half the budget is not kept.
//!
//! Must not: decide what is current, or hold anything not derived from the bytes themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;

use super::generate::stored_role;
use super::storage::sha256_hex;
use crate::tuf::wire::{Snapshot, Timestamp};
use crate::tuf::RoleName;

/// Default size of the cache (sum of cached body lengths).
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// One stored file's exact bytes, and its typed form once someone needed it.
#[derive(Debug)]
pub struct Body {
    bytes: Bytes,
    timestamp: OnceLock<Result<Timestamp, String>>,
    snapshot: OnceLock<Result<Snapshot, String>>,
}

impl Body {
    fn new(bytes: Bytes) -> Body {
        Body {
            bytes,
            timestamp: OnceLock::new(),
            snapshot: OnceLock::new(),
        }
    }

    /// The exact stored bytes (cloning shares them).
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The body read as a stored timestamp (parsed on first call; the error is the reason).
    pub fn timestamp(&self) -> Result<&Timestamp, &str> {
        self.timestamp
            .get_or_init(|| {
                stored_role(&RoleName::timestamp(), &self.bytes).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The body read as a stored snapshot (parsed on first call; the error is the reason).
    pub fn snapshot(&self) -> Result<&Snapshot, &str> {
        self.snapshot
            .get_or_init(|| {
                stored_role(&RoleName::snapshot(), &self.bytes).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

#[derive(Debug, Default)]
struct Generations {
    young: HashMap<Box<str>, Arc<Body>>,
    young_bytes: usize,
    old: HashMap<Box<str>, Arc<Body>>,
}

/// Bodies by lowercase hex SHA-256. Shared by all requests of one server.
#[derive(Debug)]
pub struct BodyCache {
    generations: Mutex<Generations>,
    /// Size limit of one generation.
    half: usize,
}

impl BodyCache {
    /// A cache holding at most about `budget` bytes of bodies (0 disables it).
    pub fn new(budget: usize) -> BodyCache {
        BodyCache {
            generations: Mutex::new(Generations::default()),
            half: budget / 2,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        // Every critical section leaves the maps consistent, so a poisoned lock is usable.
        self.generations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The body whose SHA-256 is `sha256`, if cached.
    pub fn get(&self, sha256: &str) -> Option<Arc<Body>> {
        let mut g = self.lock();
        if let Some(body) = g.young.get(sha256) {
            return Some(body.clone());
        }
        let (key, body) = g.old.remove_entry(sha256)?;
        self.keep(&mut g, key, body.clone());
        Some(body)
    }

    /// Cache `bytes` under the SHA-256 computed here from them; returns that checksum and the
    /// shared body (also when it is too large to keep).
    pub fn insert(&self, bytes: Bytes) -> (String, Arc<Body>) {
        let sha256 = sha256_hex(&bytes);
        let body = Arc::new(Body::new(bytes));
        if body.bytes.len() <= self.half {
            let mut g = self.lock();
            self.keep(&mut g, sha256.clone().into_boxed_str(), body.clone());
        }
        (sha256, body)
    }

    fn keep(&self, g: &mut Generations, key: Box<str>, body: Arc<Body>) {
        let len = body.bytes.len();
        if len > self.half {
            return;
        }
        if g.young_bytes + len > self.half {
            g.old = std::mem::take(&mut g.young);
            g.young_bytes = 0;
        }
        g.young_bytes += len;
        if let Some(previous) = g.young.insert(key, body) {
            g.young_bytes -= previous.bytes.len();
        }
    }

    /// Number of cached bodies and their total size (for tests and metrics).
    pub fn usage(&self) -> (usize, usize) {
        let g = self.lock();
        let bytes: usize = g
            .young
            .values()
            .chain(g.old.values())
            .map(|b| b.bytes.len())
            .sum();
        (g.young.len() + g.old.len(), bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(n: u8, len: usize) -> Bytes {
        Bytes::from(vec![n; len])
    }

    #[test]
    fn keyed_by_the_checksum_of_the_bytes() {
        let cache = BodyCache::new(1000);
        let (sum, b) = cache.insert(body(1, 10));
        assert_eq!(sum, sha256_hex(&[1u8; 10]));
        assert_eq!(b.bytes(), &body(1, 10));
        let again = cache.get(&sum).unwrap();
        assert!(Arc::ptr_eq(&b, &again), "the same shared body");
        assert!(cache.get(&sha256_hex(b"other")).is_none());
    }

    #[test]
    fn bounded_by_two_generations() {
        let cache = BodyCache::new(100); // generations of 50 bytes
        let sums: Vec<String> = (0..10).map(|n| cache.insert(body(n, 20)).0).collect();
        let (count, bytes) = cache.usage();
        assert!(bytes <= 100, "{bytes} bytes cached");
        assert!(count <= 5, "{count} bodies cached");
        // The newest stays; the oldest went.
        assert!(cache.get(&sums[9]).is_some());
        assert!(cache.get(&sums[0]).is_none());
        // Too large for a generation: returned, not kept.
        let (big, _) = cache.insert(body(99, 51));
        assert!(cache.get(&big).is_none());
    }

    #[test]
    fn reading_an_old_entry_keeps_it() {
        let cache = BodyCache::new(100);
        let first = cache.insert(body(1, 20)).0;
        cache.insert(body(2, 20));
        cache.insert(body(3, 20)); // generation turned: 1 and 2 are old
        assert!(cache.get(&first).is_some()); // moved back into the young generation
        cache.insert(body(4, 20)); // turns again: 3 and 1 survive in the old one
        assert!(cache.get(&first).is_some());
    }

    #[test]
    fn zero_budget_caches_nothing() {
        let cache = BodyCache::new(0);
        let (sum, b) = cache.insert(body(1, 1));
        assert_eq!(b.bytes().len(), 1);
        assert!(cache.get(&sum).is_none());
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn unreadable_bodies_say_why_once_parsed() {
        let cache = BodyCache::new(1000);
        let (_, b) = cache.insert(Bytes::from_static(b"not json"));
        assert!(b.timestamp().is_err());
        assert!(b.snapshot().is_err());
    }
}
