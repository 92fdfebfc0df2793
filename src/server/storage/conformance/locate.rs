//! Cases for `locate`: the cheap lookup must name exactly the row the full lookups return
//! (version, checksum and write time), for every kind of lookup, and agree on absence.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::{assert_err, body, fixed_time, gun, rec, role, Make};
use crate::clock::Clock;
use crate::server::storage::common::sha256_hex;
use crate::server::storage::{Lookup, MetaRecord, StorageError};

/// A clock the case moves between writes, so each row has its own `created_at`.
struct StepClock(Mutex<DateTime<Utc>>);

impl Clock for StepClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub fn locate_names_the_same_row(make: Make<'_>) {
    let clock = Arc::new(StepClock(Mutex::new(fixed_time())));
    let store = make(clock.clone());
    let g = gun("example.com/locate");
    let targets = role("targets");
    assert_err(
        store.locate(&g, &targets, Lookup::Latest),
        StorageError::NotFound,
    );
    // Three versions written at different times; a big body like a 10,000-target file.
    let big: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    let datas = [body("targets", 1, "loc"), big, body("targets", 5, "loc")];
    for (v, data) in [1u64, 3, 5].into_iter().zip(&datas) {
        *clock.0.lock().unwrap() += Duration::seconds(10);
        store.update_many(&g, &[rec("targets", v, data)]).unwrap();
    }
    let same = |what: &str, full: MetaRecord, which: Lookup<'_>| {
        let located = store.locate(&g, &targets, which).unwrap();
        assert_eq!(located, full.to_ref(), "{what}");
        assert_eq!(located.sha256, sha256_hex(&full.data), "{what}");
    };
    same(
        "latest",
        store.get_latest(&g, &targets).unwrap(),
        Lookup::Latest,
    );
    for v in [1, 3, 5] {
        let full = store.get_version(&g, &targets, v).unwrap();
        same("version", full.clone(), Lookup::Version(v));
        same("checksum", full.clone(), Lookup::Checksum(&full.sha256));
    }
    let latest = store.locate(&g, &targets, Lookup::Latest).unwrap();
    assert_eq!(latest.version, 5);
    assert_eq!(latest.created_at, fixed_time() + Duration::seconds(30));
    // Absent exactly where the full lookups are.
    let other = gun("example.com/locate-other");
    assert_err(
        store.locate(&other, &targets, Lookup::Latest),
        StorageError::NotFound,
    );
    assert_err(
        store.locate(&g, &role("root"), Lookup::Latest),
        StorageError::NotFound,
    );
    for v in [0, 2, u64::MAX] {
        assert_err(
            store.locate(&g, &targets, Lookup::Version(v)),
            StorageError::NotFound,
        );
    }
    let sum = sha256_hex(&datas[0]);
    assert_err(
        store.locate(&g, &role("snapshot"), Lookup::Checksum(&sum)),
        StorageError::NotFound,
    );
    assert_err(
        store.locate(&other, &targets, Lookup::Checksum(&sum)),
        StorageError::NotFound,
    );
    assert_err(
        store.locate(&g, &targets, Lookup::Checksum(&sum.to_uppercase())),
        StorageError::NotFound,
    );
    // After a deletion nothing is located.
    assert!(store.delete_gun(&g).unwrap());
    assert_err(
        store.locate(&g, &targets, Lookup::Latest),
        StorageError::NotFound,
    );
    assert_err(
        store.locate(&g, &targets, Lookup::Checksum(&sum)),
        StorageError::NotFound,
    );
}
