//! Storage backends: the library's conformance suite against SQLite (temp files) and the real
//! PostgreSQL on 127.0.0.1:5432 (a fresh database per test, one schema per case), plus
//! restart, two-instances-on-one-store and start-up races. PostgreSQL tests skip with a note
//! when it is unreachable, and fail under `CI`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use trustctl::clock::Clock;
use trustctl::server::storage::conformance::{self, body, gun, rec, role};
use trustctl::server::storage::{PostgresStorage, SqliteStorage, Storage, StorageError};

use crate::util::{free_port, PgDatabase, TestDir};

fn sqlite_maker(dir: &TestDir) -> impl Fn(Arc<dyn Clock>) -> Box<dyn Storage> + '_ {
    let n = AtomicUsize::new(0);
    move |clock| {
        let path = dir.join(format!(
            "case-{}/trust.db",
            n.fetch_add(1, Ordering::SeqCst)
        ));
        Box::new(SqliteStorage::open(path).unwrap().with_clock(clock))
    }
}

fn pg_maker(db: &PgDatabase) -> impl Fn(Arc<dyn Clock>) -> Box<dyn Storage> + '_ {
    let n = AtomicUsize::new(0);
    move |clock| {
        let schema = format!("case_{}", n.fetch_add(1, Ordering::SeqCst));
        Box::new(
            PostgresStorage::connect_with_schema(&db.url(), &schema)
                .unwrap()
                .with_clock(clock),
        )
    }
}

#[test]
fn sqlite_conformance() {
    let dir = TestDir::new("storage-sqlite-conformance");
    conformance::run_all(&sqlite_maker(&dir));
}

#[test]
fn postgres_conformance() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    conformance::run_all(&pg_maker(&db));
}

#[test]
fn sqlite_restart_keeps_everything() {
    let dir = TestDir::new("storage-sqlite-restart");
    let path = dir.join("data/trust.db");
    let store = SqliteStorage::open(&path).unwrap();
    conformance::populate(&store);
    drop(store);
    conformance::assert_populated(&SqliteStorage::open(&path).unwrap());
}

#[test]
fn postgres_restart_keeps_everything() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    // Default schema (public) through the plain URL, as a server would be configured.
    let store = PostgresStorage::connect(&db.url()).unwrap();
    conformance::populate(&store);
    drop(store);
    let reopened = PostgresStorage::connect(&db.url()).unwrap();
    assert_eq!(
        reopened.schema_version().unwrap(),
        PostgresStorage::latest_schema_version()
    );
    conformance::assert_populated(&reopened);
}

#[test]
fn postgres_schema_in_url_isolates_tables() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let in_a = PostgresStorage::connect(&format!("{}?schema=tenant_a", db.url())).unwrap();
    let in_b = PostgresStorage::connect(&format!("{}?schema=tenant_b", db.url())).unwrap();
    let g = gun("example.com/iso");
    in_a.update_many(&g, &[rec("root", 1, b"a")]).unwrap();
    assert!(matches!(
        in_b.get_latest(&g, &role("root")),
        Err(StorageError::NotFound)
    ));
    let tables: i64 = db
        .connect()
        .query_one(
            "SELECT count(*) FROM information_schema.tables
             WHERE table_schema = 'tenant_a' AND table_name = 'tuf_files'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 1);
}

/// Two store instances on one database (two server processes): 4 threads on each race for
/// every version of one role; exactly one publisher wins each round, across instances.
fn race_two_instances(a: &dyn Storage, b: &dyn Storage) {
    const PER_INSTANCE: usize = 4;
    const ROUNDS: u64 = 15;
    let g = gun("example.com/two/instances");
    let barrier = Barrier::new(2 * PER_INSTANCE);
    let wins: Vec<Vec<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2 * PER_INSTANCE)
            .map(|t| {
                let store = if t < PER_INSTANCE { a } else { b };
                let (g, barrier) = (&g, &barrier);
                s.spawn(move || {
                    let mut won = Vec::new();
                    for v in 1..=ROUNDS {
                        barrier.wait();
                        let data = body("timestamp", v, &format!("t{t}"));
                        match store.update_many(g, &[rec("timestamp", v, &data)]) {
                            Ok(()) => won.push(v),
                            Err(StorageError::VersionConflict { version, .. }) if version == v => {}
                            Err(e) => panic!("thread {t} version {v}: {e:?}"),
                        }
                    }
                    won
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<u64> = wins.concat();
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=ROUNDS).collect::<Vec<_>>(),
        "one winner per version: {wins:?}"
    );
    // Both instances see the same history and feed.
    for store in [a, b] {
        assert_eq!(
            store.get_latest(&g, &role("timestamp")).unwrap().version,
            ROUNDS
        );
        let versions: Vec<u64> = store
            .changes(Some(&g), 0, 100)
            .unwrap()
            .iter()
            .map(|c| c.version)
            .collect();
        assert_eq!(versions, (1..=ROUNDS).collect::<Vec<_>>());
    }
}

#[test]
fn sqlite_two_instances_on_one_file() {
    let dir = TestDir::new("storage-sqlite-two");
    let path = dir.join("trust.db");
    let a = SqliteStorage::open(&path).unwrap();
    let b = SqliteStorage::open(&path).unwrap();
    race_two_instances(&a, &b);
}

#[test]
fn postgres_two_instances_on_one_database() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let a = PostgresStorage::connect(&db.url()).unwrap();
    let b = PostgresStorage::connect(&db.url()).unwrap();
    race_two_instances(&a, &b);
}

#[test]
fn postgres_instances_starting_together_migrate_once() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let url = format!("{}?schema=fresh", db.url());
    let barrier = Barrier::new(6);
    let versions: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let (url, barrier) = (&url, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    PostgresStorage::connect(url)
                        .unwrap()
                        .schema_version()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(versions, vec![PostgresStorage::latest_schema_version(); 6]);
    let steps: i64 = db
        .connect()
        .query_one("SELECT count(*) FROM fresh.schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(steps, PostgresStorage::latest_schema_version());
}

#[test]
fn postgres_unreachable_is_a_backend_error_without_password() {
    // Nothing listens on a just-released port; no PostgreSQL needed for this test.
    let url = format!(
        "postgres://trust:hunter2secret@127.0.0.1:{}/trust",
        free_port()
    );
    match PostgresStorage::connect(&url) {
        Err(StorageError::Backend {
            backend: "postgres",
            message,
        }) => {
            assert!(message.contains("127.0.0.1"), "{message}");
            assert!(message.contains("connecting"), "{message}");
            assert!(!message.contains("hunter2secret"), "{message}");
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}
