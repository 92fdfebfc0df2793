//! Cases with many threads writing at once: exactly one winner per version, no lost or
//! duplicated writes, and a changefeed reader that never skips an entry. Every loop is bounded.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;

use super::{body, fixed_clock, gun, rec, role, Make};
use crate::server::storage::{Change, StorageError};

const THREADS: usize = 8;
const ROUNDS: u64 = 20;

/// Each round, every thread tries to publish the same next timestamp version with its own
/// bytes. Exactly one must win; the others get `VersionConflict` for that version.
pub fn racing_publishers_one_winner_per_version(make: Make<'_>) {
    let store = make(fixed_clock());
    let g = gun("example.com/race/one");
    let barrier = Barrier::new(THREADS);
    let outcomes: Vec<Vec<(u64, bool)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, g, barrier) = (&store, &g, &barrier);
                s.spawn(move || {
                    (1..=ROUNDS)
                        .map(|v| {
                            barrier.wait();
                            let data = body("timestamp", v, &format!("thread-{t}"));
                            match store.update_many(
                                g,
                                &[rec("timestamp", v, &data), rec("snapshot", v, &data)],
                            ) {
                                Ok(()) => (v, true),
                                Err(StorageError::VersionConflict { role, version })
                                    if version == v
                                        && (role == "timestamp" || role == "snapshot") =>
                                {
                                    (v, false)
                                }
                                Err(e) => panic!("thread {t} version {v}: unexpected {e:?}"),
                            }
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for v in 1..=ROUNDS {
        let winners: Vec<usize> = outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.contains(&(v, true)))
            .map(|(t, _)| t)
            .collect();
        assert_eq!(winners.len(), 1, "version {v}: winners {winners:?}");
        let stored = store.get_version(&g, &role("timestamp"), v).unwrap();
        let want = body("timestamp", v, &format!("thread-{}", winners[0]));
        assert_eq!(stored.data, want, "version {v} holds the winner's bytes");
        // Both records of the winning batch, never a mix of two batches.
        assert_eq!(
            store.get_version(&g, &role("snapshot"), v).unwrap().data,
            want
        );
    }
    let feed = store.changes(Some(&g), 0, 1000).unwrap();
    let versions: Vec<u64> = feed.iter().map(|c| c.version).collect();
    assert_eq!(
        versions,
        (1..=ROUNDS).collect::<Vec<_>>(),
        "one feed entry per stored version"
    );
}

/// Every thread publishes its own repository while a reader pages the feed with a cursor;
/// the reader must end up with exactly the full feed (IDs become visible in order).
pub fn parallel_repositories_and_feed_reader(make: Make<'_>) {
    let store = make(fixed_clock());
    let done = AtomicBool::new(false);
    let seen: Vec<Change> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = &store;
                s.spawn(move || {
                    let g = gun(&format!("example.com/par/{t}"));
                    for v in 1..=ROUNDS {
                        let data = body("timestamp", v, &format!("par-{t}"));
                        store
                            .update_many(&g, &[rec("timestamp", v, &data)])
                            .unwrap();
                    }
                })
            })
            .collect();
        let reader = {
            let (store, done) = (&store, &done);
            s.spawn(move || {
                let mut seen: Vec<Change> = Vec::new();
                let mut cursor = 0;
                // Bounded: each pass either advances or sleeps; stop after writers finish
                // and a final drain.
                for _ in 0..100_000 {
                    let finished = done.load(Ordering::SeqCst);
                    let page = store.changes(None, cursor, 7).unwrap();
                    if let Some(last) = page.last() {
                        cursor = last.id;
                    }
                    let empty = page.is_empty();
                    seen.extend(page);
                    if empty && finished {
                        break;
                    }
                    if empty {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
                seen
            })
        };
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        reader.join().unwrap()
    });
    let all = store.changes(None, 0, 10_000).unwrap();
    assert_eq!(all.len(), THREADS * ROUNDS as usize);
    assert_eq!(seen, all, "the paging reader skipped or repeated entries");
    let unique: BTreeSet<i64> = all.iter().map(|c| c.id).collect();
    assert_eq!(unique.len(), all.len(), "duplicate IDs");
    for t in 0..THREADS {
        let g = gun(&format!("example.com/par/{t}"));
        let versions: Vec<u64> = all
            .iter()
            .filter(|c| c.gun == g)
            .map(|c| c.version)
            .collect();
        assert_eq!(versions, (1..=ROUNDS).collect::<Vec<_>>(), "repository {t}");
        assert_eq!(
            store.get_latest(&g, &role("timestamp")).unwrap().version,
            ROUNDS
        );
    }
}
