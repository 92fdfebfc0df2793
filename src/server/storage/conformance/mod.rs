//! The storage conformance suite: one set of cases every backend must pass, run by
//! `tests/it/storage.rs` against SQLite and PostgreSQL. It lives in the library (compiled
//! always, hidden from docs) so each backend's test only supplies a constructor.
//!
//! Each case gets a fresh, empty store from `make` (given the clock to use for `created_at`)
//! and fails by panicking with a message naming what differed. The cases touch only the
//! `Storage` trait, never a backend's SQL.

// A test suite reports failure by panicking; `unwrap` on setup steps keeps cases readable.
#![allow(clippy::unwrap_used, clippy::panic)]

mod changes;
mod concurrency;
mod locate;
mod records;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use super::{NewRecord, ServerKey, Storage, StorageError};
use crate::clock::{Clock, FixedClock};
use crate::tuf::{Gun, RoleName};

/// Builds a fresh, empty store that stamps new rows with the given clock.
pub type Make<'a> = &'a dyn Fn(Arc<dyn Clock>) -> Box<dyn Storage>;

/// A named case.
pub type Case = (&'static str, fn(Make<'_>));

/// Every case, in a stable order.
pub const CASES: &[Case] = &[
    ("missing_is_not_found", records::missing_is_not_found),
    (
        "records_round_trip_exact_bytes",
        records::records_round_trip_exact_bytes,
    ),
    (
        "versions_must_increase_gaps_allowed",
        records::versions_must_increase_gaps_allowed,
    ),
    (
        "batch_with_one_conflict_writes_nothing",
        records::batch_with_one_conflict_writes_nothing,
    ),
    (
        "empty_batch_writes_nothing",
        records::empty_batch_writes_nothing,
    ),
    (
        "checksum_returns_exact_version",
        records::checksum_returns_exact_version,
    ),
    (
        "delete_gun_and_changefeed",
        records::delete_gun_and_changefeed,
    ),
    (
        "delete_is_exact_not_prefix",
        records::delete_is_exact_not_prefix,
    ),
    (
        "locate_names_the_same_row",
        locate::locate_names_the_same_row,
    ),
    ("server_keys_round_trip", records::server_keys_round_trip),
    ("check_succeeds", records::check_succeeds),
    (
        "timestamps_feed_the_changefeed",
        changes::timestamps_feed_the_changefeed,
    ),
    (
        "changefeed_pages_forward",
        changes::changefeed_pages_forward,
    ),
    (
        "changefeed_pages_backward",
        changes::changefeed_pages_backward,
    ),
    (
        "changefeed_filters_by_gun",
        changes::changefeed_filters_by_gun,
    ),
    (
        "racing_publishers_one_winner_per_version",
        concurrency::racing_publishers_one_winner_per_version,
    ),
    (
        "parallel_repositories_and_feed_reader",
        concurrency::parallel_repositories_and_feed_reader,
    ),
];

/// Run every case against fresh stores from `make`, naming each on stderr as it starts.
pub fn run_all(make: Make<'_>) {
    for (name, case) in CASES {
        eprintln!("storage conformance: {name}");
        case(make);
    }
}

/// The time the suite's fixed clock reports (whole microseconds: PostgreSQL's precision).
pub fn fixed_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::microseconds(123_456)
}

pub fn fixed_clock() -> Arc<dyn Clock> {
    Arc::new(FixedClock(fixed_time()))
}

pub fn gun(s: &str) -> Gun {
    Gun::new(s).unwrap()
}

pub fn role(s: &str) -> RoleName {
    RoleName::new(s).unwrap()
}

pub fn rec(role_name: &str, version: u64, data: &[u8]) -> NewRecord {
    NewRecord {
        role: role(role_name),
        version,
        data: data.to_vec(),
    }
}

/// Bytes that look like a signed file of `role` at `version` (distinct per call site `tag`).
pub fn body(role_name: &str, version: u64, tag: &str) -> Vec<u8> {
    format!(r#"{{"signed":{{"_type":"{role_name}","version":{version}}},"tag":"{tag}"}}"#)
        .into_bytes()
}

pub fn conflict(role_name: &str, version: u64) -> StorageError {
    StorageError::VersionConflict {
        role: role_name.to_string(),
        version,
    }
}

/// Assert two storage results are the same variant with the same fields.
#[track_caller]
pub fn assert_err(got: Result<impl std::fmt::Debug, StorageError>, want: StorageError) {
    match (&got, &want) {
        (Err(StorageError::NotFound), StorageError::NotFound) => {}
        (
            Err(StorageError::VersionConflict {
                role: r1,
                version: v1,
            }),
            StorageError::VersionConflict {
                role: r2,
                version: v2,
            },
        ) if r1 == r2 && v1 == v2 => {}
        _ => panic!("expected Err({want:?}), got {got:?}"),
    }
}

pub fn server_key(gun_name: &str, role_name: &str, n: u8) -> ServerKey {
    ServerKey {
        gun: gun(gun_name),
        role: role(role_name),
        key_id: format!("{n:02x}").repeat(32),
        algorithm: if n % 2 == 0 { "ed25519" } else { "ecdsa" }.to_string(),
        public: vec![n; 32],
        encrypted_private: (0..=255u8).map(|b| b ^ n).collect(),
        created_at: fixed_time() + chrono::Duration::seconds(i64::from(n)),
    }
}

/// Write a small repository history with keys, for restart tests: `assert_populated` on a
/// reopened store must find all of it.
pub fn populate(store: &dyn Storage) {
    let g = gun("example.com/restart/app");
    store
        .update_many(
            &g,
            &[
                rec("root", 1, &body("root", 1, "r")),
                rec("targets", 1, &body("targets", 1, "r")),
                rec("snapshot", 1, &body("snapshot", 1, "r")),
                rec("timestamp", 1, &body("timestamp", 1, "r")),
            ],
        )
        .unwrap();
    store
        .update_many(
            &g,
            &[
                rec("root", 2, &body("root", 2, "r")),
                rec("timestamp", 2, &body("timestamp", 2, "r")),
            ],
        )
        .unwrap();
    let gone = gun("example.com/restart/gone");
    store
        .update_many(&gone, &[rec("timestamp", 1, &body("timestamp", 1, "g"))])
        .unwrap();
    assert!(store.delete_gun(&gone).unwrap());
    store
        .put_key(&server_key("example.com/restart/app", "timestamp", 1))
        .unwrap();
}

pub fn assert_populated(store: &dyn Storage) {
    let g = gun("example.com/restart/app");
    for (r, v) in [
        ("root", 2),
        ("targets", 1),
        ("snapshot", 1),
        ("timestamp", 2),
    ] {
        let got = store.get_latest(&g, &role(r)).unwrap();
        assert_eq!((got.version, got.data), (v, body(r, v, "r")), "latest {r}");
    }
    let root1 = store.get_version(&g, &role("root"), 1).unwrap();
    assert_eq!(root1.data, body("root", 1, "r"));
    let by_sum = store
        .get_checksum(&g, &role("root"), &root1.sha256)
        .unwrap();
    assert_eq!(by_sum, root1);
    let feed = store.changes(None, 0, 100).unwrap();
    let summary: Vec<_> = feed
        .iter()
        .map(|c| (c.gun.to_string(), c.version, c.category))
        .collect();
    use super::ChangeCategory::{Deletion, Update};
    assert_eq!(
        summary,
        [
            ("example.com/restart/app".to_string(), 1, Update),
            ("example.com/restart/app".to_string(), 2, Update),
            ("example.com/restart/gone".to_string(), 1, Update),
            ("example.com/restart/gone".to_string(), 0, Deletion),
        ]
    );
    let keys = store.keys(&g, &role("timestamp")).unwrap();
    assert_eq!(
        keys,
        [server_key("example.com/restart/app", "timestamp", 1)]
    );
    // New writes after a restart continue the sequences.
    store
        .update_many(&g, &[rec("timestamp", 3, &body("timestamp", 3, "r"))])
        .unwrap();
    let last = store.changes(None, -1, 1).unwrap();
    assert_eq!(last.len(), 1);
    assert!(
        last[0].id > feed[3].id,
        "feed IDs continue after reopen: {last:?}"
    );
    assert_err(
        store.update_many(&g, &[rec("root", 2, b"again")]),
        conflict("root", 2),
    );
}
