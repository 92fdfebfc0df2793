//! Cases for stored records, deletion and server keys.

use super::{
    assert_err, body, conflict, fixed_clock, fixed_time, gun, rec, role, server_key, Make,
};
use crate::server::storage::common::sha256_hex;
use crate::server::storage::{ChangeCategory, MetaRecord, StorageError};

pub fn missing_is_not_found(make: Make<'_>) {
    let store = make(fixed_clock());
    let a = gun("example.com/a");
    assert_err(store.get_latest(&a, &role("root")), StorageError::NotFound);
    assert_err(
        store.get_version(&a, &role("root"), 1),
        StorageError::NotFound,
    );
    assert_err(
        store.get_checksum(&a, &role("root"), &sha256_hex(b"x")),
        StorageError::NotFound,
    );

    store
        .update_many(&a, &[rec("root", 1, b"root one")])
        .unwrap();
    let other = gun("example.com/b");
    assert_err(
        store.get_latest(&other, &role("root")),
        StorageError::NotFound,
    );
    assert_err(
        store.get_latest(&a, &role("targets")),
        StorageError::NotFound,
    );
    assert_err(
        store.get_latest(&a, &role("targets/releases")),
        StorageError::NotFound,
    );
    assert_err(
        store.get_version(&a, &role("root"), 2),
        StorageError::NotFound,
    );
    assert_err(
        store.get_version(&a, &role("root"), 0),
        StorageError::NotFound,
    );
    assert_err(
        store.get_version(&a, &role("root"), u64::MAX),
        StorageError::NotFound,
    );
    assert_err(
        store.get_checksum(&a, &role("root"), &sha256_hex(b"root two")),
        StorageError::NotFound,
    );
    assert_err(
        store.get_checksum(&a, &role("root"), "not-hex"),
        StorageError::NotFound,
    );
    // The checksum of root's bytes does not find them under another role or repository.
    let sum = sha256_hex(b"root one");
    assert_err(
        store.get_checksum(&a, &role("targets"), &sum),
        StorageError::NotFound,
    );
    assert_err(
        store.get_checksum(&other, &role("root"), &sum),
        StorageError::NotFound,
    );
}

pub fn records_round_trip_exact_bytes(make: Make<'_>) {
    let store = make(fixed_clock());
    let g = gun("registry.example.com:5000/org/app");
    // Binary, non-UTF-8, NUL and a large body must come back byte for byte.
    let binary: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let batch = [
        rec("root", 1, &body("root", 1, "rt")),
        rec("targets", 1, &binary),
        rec("targets/releases", 3, b"\x00\xff\xfe not utf-8 \r\n"),
        rec("snapshot", 1, b""),
        rec("timestamp", 1, &body("timestamp", 1, "rt")),
    ];
    store.update_many(&g, &batch).unwrap();
    for r in &batch {
        let want = MetaRecord {
            gun: g.clone(),
            role: r.role.clone(),
            version: r.version,
            sha256: sha256_hex(&r.data),
            data: r.data.clone(),
            created_at: fixed_time(),
        };
        assert_eq!(
            store.get_latest(&g, &r.role).unwrap(),
            want,
            "latest {}",
            r.role
        );
        assert_eq!(
            store.get_version(&g, &r.role, r.version).unwrap(),
            want,
            "version {}",
            r.role
        );
        assert_eq!(
            store.get_checksum(&g, &r.role, &want.sha256).unwrap(),
            want,
            "sum {}",
            r.role
        );
    }
    let empty_sum = store.get_latest(&g, &role("snapshot")).unwrap().sha256;
    assert_eq!(
        empty_sum,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

pub fn versions_must_increase_gaps_allowed(make: Make<'_>) {
    let store = make(fixed_clock());
    let g = gun("example.com/versions");
    store.update_many(&g, &[rec("targets", 2, b"t2")]).unwrap();
    assert_err(
        store.update_many(&g, &[rec("targets", 2, b"t2 again")]),
        conflict("targets", 2),
    );
    assert_err(
        store.update_many(&g, &[rec("targets", 1, b"t1")]),
        conflict("targets", 1),
    );
    store.update_many(&g, &[rec("targets", 7, b"t7")]).unwrap();
    assert_err(
        store.update_many(&g, &[rec("targets", 5, b"t5")]),
        conflict("targets", 5),
    );
    assert_eq!(store.get_latest(&g, &role("targets")).unwrap().version, 7);
    // History stays readable by version and checksum.
    assert_eq!(
        store.get_version(&g, &role("targets"), 2).unwrap().data,
        b"t2"
    );
    assert_eq!(
        store
            .get_checksum(&g, &role("targets"), &sha256_hex(b"t2"))
            .unwrap()
            .version,
        2
    );
    assert_err(
        store.get_version(&g, &role("targets"), 5),
        StorageError::NotFound,
    );
    // Roles and repositories are independent sequences.
    store
        .update_many(&g, &[rec("targets/releases", 1, b"d1")])
        .unwrap();
    store
        .update_many(&gun("example.com/other"), &[rec("targets", 1, b"o1")])
        .unwrap();
    // Version 0 is a version like any other for the first write.
    store.update_many(&g, &[rec("snapshot", 0, b"s0")]).unwrap();
    assert_err(
        store.update_many(&g, &[rec("snapshot", 0, b"s0")]),
        conflict("snapshot", 0),
    );
    // Two records of one role in one batch must also increase.
    assert_err(
        store.update_many(&g, &[rec("root", 1, b"a"), rec("root", 1, b"b")]),
        conflict("root", 1),
    );
    assert_err(store.get_latest(&g, &role("root")), StorageError::NotFound);
    // Versions beyond what the database can hold are refused, not wrapped.
    match store.update_many(&g, &[rec("root", u64::MAX, b"huge")]) {
        Err(StorageError::Backend { .. }) => {}
        other => panic!("expected a backend error for version u64::MAX, got {other:?}"),
    }
}

pub fn batch_with_one_conflict_writes_nothing(make: Make<'_>) {
    let store = make(fixed_clock());
    let g = gun("example.com/atomic");
    store
        .update_many(
            &g,
            &[
                rec("root", 1, b"r1"),
                rec("targets", 1, b"t1"),
                rec("timestamp", 1, b"ts1"),
            ],
        )
        .unwrap();
    let feed_before = store.changes(None, 0, 100).unwrap();
    // The conflicting record is last: the earlier ones (incl. a timestamp) must roll back.
    let batch = [
        rec("targets", 2, b"t2"),
        rec("timestamp", 2, b"ts2"),
        rec("snapshot", 1, b"s1"),
        rec("root", 1, b"r1 again"),
    ];
    assert_err(store.update_many(&g, &batch), conflict("root", 1));
    assert_eq!(store.get_latest(&g, &role("targets")).unwrap().version, 1);
    assert_eq!(store.get_latest(&g, &role("timestamp")).unwrap().version, 1);
    assert_err(
        store.get_latest(&g, &role("snapshot")),
        StorageError::NotFound,
    );
    assert_err(
        store.get_version(&g, &role("targets"), 2),
        StorageError::NotFound,
    );
    assert_eq!(store.changes(None, 0, 100).unwrap(), feed_before);
    // The same batch without the conflict then succeeds in full.
    store.update_many(&g, &batch[..3]).unwrap();
    assert_eq!(store.get_latest(&g, &role("targets")).unwrap().version, 2);
}

pub fn empty_batch_writes_nothing(make: Make<'_>) {
    let store = make(fixed_clock());
    let g = gun("example.com/empty");
    store.update_many(&g, &[]).unwrap();
    assert_err(
        store.get_latest(&g, &role("timestamp")),
        StorageError::NotFound,
    );
    assert_eq!(store.changes(None, 0, 100).unwrap(), []);
    assert!(!store.delete_gun(&g).unwrap());
}

pub fn checksum_returns_exact_version(make: Make<'_>) {
    let store = make(fixed_clock());
    let g = gun("example.com/sums");
    let snaps: Vec<Vec<u8>> = (1..=4).map(|v| body("snapshot", v, "sum")).collect();
    for (i, data) in snaps.iter().enumerate() {
        store
            .update_many(&g, &[rec("snapshot", i as u64 + 1, data)])
            .unwrap();
    }
    for (i, data) in snaps.iter().enumerate() {
        let got = store
            .get_checksum(&g, &role("snapshot"), &sha256_hex(data))
            .unwrap();
        assert_eq!((got.version, &got.data), (i as u64 + 1, data));
    }
    // Uppercase hex is a different string: lookups are exact.
    let upper = sha256_hex(&snaps[0]).to_uppercase();
    assert_err(
        store.get_checksum(&g, &role("snapshot"), &upper),
        StorageError::NotFound,
    );
}

pub fn delete_gun_and_changefeed(make: Make<'_>) {
    let store = make(fixed_clock());
    let a = gun("example.com/del/a");
    let b = gun("example.com/del/b");
    store
        .update_many(&a, &[rec("root", 1, b"ra"), rec("timestamp", 1, b"tsa")])
        .unwrap();
    store.update_many(&b, &[rec("root", 1, b"rb")]).unwrap();
    store
        .put_key(&server_key("example.com/del/a", "timestamp", 4))
        .unwrap();

    assert!(store.delete_gun(&a).unwrap());
    assert_err(store.get_latest(&a, &role("root")), StorageError::NotFound);
    assert_err(
        store.get_version(&a, &role("timestamp"), 1),
        StorageError::NotFound,
    );
    assert_err(
        store.get_checksum(&a, &role("root"), &sha256_hex(b"ra")),
        StorageError::NotFound,
    );
    assert_eq!(store.get_latest(&b, &role("root")).unwrap().data, b"rb");
    // Keys stay: the repository may be re-published with the same server keys.
    assert_eq!(store.keys(&a, &role("timestamp")).unwrap().len(), 1);

    let feed = store.changes(None, 0, 100).unwrap();
    assert_eq!(feed.len(), 2, "{feed:?}");
    let del = &feed[1];
    assert_eq!(
        (
            &del.gun,
            del.version,
            del.sha256.as_str(),
            del.category,
            del.created_at
        ),
        (&a, 0, "", ChangeCategory::Deletion, fixed_time())
    );
    // Nothing left to delete, or never existed: false and no entry.
    assert!(!store.delete_gun(&a).unwrap());
    assert!(!store.delete_gun(&gun("example.com/never")).unwrap());
    assert_eq!(store.changes(None, 0, 100).unwrap(), feed);
    // Re-publishing after a delete starts the sequence again.
    store.update_many(&a, &[rec("root", 1, b"ra new")]).unwrap();
    assert_eq!(store.get_latest(&a, &role("root")).unwrap().data, b"ra new");
}

pub fn delete_is_exact_not_prefix(make: Make<'_>) {
    let store = make(fixed_clock());
    let names = [
        "example.com/p/app",
        "example.com/p/app2",
        "example.com/p/app/sub",
        "example.com/p",
    ];
    for n in names {
        store
            .update_many(&gun(n), &[rec("root", 1, n.as_bytes())])
            .unwrap();
    }
    assert!(store.delete_gun(&gun("example.com/p/app")).unwrap());
    assert_err(
        store.get_latest(&gun(names[0]), &role("root")),
        StorageError::NotFound,
    );
    for n in &names[1..] {
        assert_eq!(
            store.get_latest(&gun(n), &role("root")).unwrap().data,
            n.as_bytes(),
            "{n}"
        );
    }
}

pub fn server_keys_round_trip(make: Make<'_>) {
    let store = make(fixed_clock());
    let a = gun("example.com/keys/a");
    assert_eq!(store.keys(&a, &role("timestamp")).unwrap(), []);
    let k1 = server_key("example.com/keys/a", "timestamp", 1);
    let k2 = server_key("example.com/keys/a", "timestamp", 2);
    let k3 = server_key("example.com/keys/a", "snapshot", 3);
    let k4 = server_key("example.com/keys/b", "timestamp", 4);
    for k in [&k2, &k1, &k3, &k4] {
        store.put_key(k).unwrap();
    }
    // Oldest first means in the order stored, whatever the created_at says.
    assert_eq!(store.keys(&a, &role("timestamp")).unwrap(), [k2, k1]);
    assert_eq!(store.keys(&a, &role("snapshot")).unwrap(), [k3]);
    assert_eq!(
        store
            .keys(&gun("example.com/keys/b"), &role("timestamp"))
            .unwrap(),
        [k4]
    );
    assert_eq!(
        store
            .keys(&gun("example.com/keys/c"), &role("timestamp"))
            .unwrap(),
        []
    );
    // Storing a key does not create metadata or changefeed entries.
    assert_err(
        store.get_latest(&a, &role("timestamp")),
        StorageError::NotFound,
    );
    assert_eq!(store.changes(None, 0, 100).unwrap(), []);
}

pub fn check_succeeds(make: Make<'_>) {
    let store = make(fixed_clock());
    store.check().unwrap();
}
