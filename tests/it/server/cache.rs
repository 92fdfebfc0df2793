//! The metadata body cache (`server::cache`): instances sharing one database agree at once on
//! what is current, metadata deleted through another instance is not served from a cache,
//! stored bytes that no longer match their checksum are refused, and every answer is the same
//! with the cache switched off.

use axum::http::Method;
use chrono::Duration;

use trustctl::server::storage::sha256_hex;
use trustctl::server::Settings;

use super::reads::NOT_FOUND_DETAIL;
use super::repo::TestRepo;
use super::App;

const UNKNOWN: &str = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"unknown error\"}]}\n";

#[tokio::test]
async fn instances_sharing_a_database_serve_what_storage_names() {
    let a = App::new("server-cache-shared-a");
    let b = a.sibling("server-cache-shared-b", Settings::default());
    let gun = "example.com/cache/shared";
    let repo = TestRepo::init_server_snapshot(&a, gun).await;
    let (_, targets1) = repo.publish_initial(&a).await;
    // A reads (and caches) the current files.
    assert_eq!(a.tuf(gun, "targets.json").await.body, targets1);
    let ts1 = a.tuf(gun, "timestamp.json").await;
    let sn1 = a.tuf(gun, "snapshot.json").await.body;
    // B publishes targets v2 later: A answers with B's files at once, with their times.
    a.clock.advance(Duration::seconds(90));
    let targets2 = repo.targets_bytes(2);
    b.publish(gun, &[("targets", &targets2)])
        .await
        .assert(200, "");
    let now = a.tuf(gun, "targets.json").await;
    assert_eq!(now.body, targets2);
    assert_ne!(now.header("last-modified"), ts1.header("last-modified"));
    for file in ["timestamp.json", "snapshot.json", "targets.json"] {
        let (from_a, from_b) = (a.tuf(gun, file).await, b.tuf(gun, file).await);
        assert_eq!(
            (from_a.status, &from_a.body, from_a.header("last-modified")),
            (from_b.status, &from_b.body, from_b.header("last-modified")),
            "{file}"
        );
    }
    assert_ne!(a.tuf(gun, "timestamp.json").await.body, ts1.body);
    // History stays readable through A by version and checksum.
    let sum1 = sha256_hex(&targets1);
    assert_eq!(a.tuf(gun, "1.targets.json").await.body, targets1);
    assert_eq!(
        a.tuf(gun, &format!("targets.{sum1}.json")).await.body,
        targets1
    );
    // B deletes the repository: A has every body cached, and serves none of them.
    let deleted = b
        .call(
            Method::DELETE,
            &format!("/v2/{gun}/_trust/tuf/"),
            None,
            vec![],
        )
        .await;
    assert_eq!(deleted.status, 200);
    let sn_sum = sha256_hex(&sn1);
    let files = [
        "timestamp.json".to_string(),
        "snapshot.json".to_string(),
        "targets.json".to_string(),
        "1.targets.json".to_string(),
        "2.targets.json".to_string(),
        format!("targets.{sum1}.json"),
        format!("snapshot.{sn_sum}.json"),
    ];
    for file in &files {
        a.tuf(gun, file).await.assert(404, NOT_FOUND_DETAIL);
    }
}

#[tokio::test]
async fn stored_bytes_not_matching_their_checksum_are_not_served() {
    let app = App::new("server-cache-corrupt");
    let gun = "example.com/cache/corrupt";
    let repo = TestRepo::init_server_snapshot(&app, gun).await;
    let (_, targets) = repo.publish_initial(&app).await;
    // Someone edits the stored targets file behind the server's back.
    let conn = rusqlite::Connection::open(app.dir.join("db/trust.db")).unwrap();
    let mut edited = targets.clone();
    edited.extend_from_slice(b" ");
    let changed = conn
        .execute(
            "UPDATE tuf_files SET data = ?1 WHERE gun = ?2 AND role = 'targets'",
            rusqlite::params![edited, gun],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    // A fresh instance (empty cache) reads the row, finds it does not hash to its checksum.
    let app = app.restart(super::PASSPHRASE);
    app.tuf(gun, "targets.json").await.assert(500, UNKNOWN);
    app.tuf(gun, "1.targets.json").await.assert(500, UNKNOWN);
    let sum = sha256_hex(&targets);
    app.tuf(gun, &format!("targets.{sum}.json"))
        .await
        .assert(500, UNKNOWN);
    // Untouched files are still served.
    assert_eq!(app.tuf(gun, "timestamp.json").await.status, 200);
}

#[tokio::test]
async fn answers_are_the_same_with_the_cache_off() {
    let cached = App::new("server-cache-on");
    let uncached = cached.sibling(
        "server-cache-off",
        Settings {
            body_cache: 0,
            ..Settings::default()
        },
    );
    let gun = "example.com/cache/off";
    let repo = TestRepo::init_server_snapshot(&cached, gun).await;
    let (root, targets) = repo.publish_initial(&cached).await;
    let mut files = vec![
        "timestamp.json".to_string(),
        "snapshot.json".to_string(),
        "targets.json".to_string(),
        "root.json".to_string(),
        "1.root.json".to_string(),
        "1.snapshot.json".to_string(),
        "2.targets.json".to_string(),
        format!("root.{}.json", sha256_hex(&root)),
        format!("targets.{}.json", sha256_hex(&targets)),
        format!("targets.{}.json", sha256_hex(b"nothing")),
        "targets/releases.json".to_string(),
    ];
    files.push(format!(
        "snapshot.{}.json",
        sha256_hex(&cached.tuf(gun, "snapshot.json").await.body)
    ));
    // Twice: the second round is answered from the warm cache.
    for round in 0..2 {
        for file in &files {
            let (on, off) = (cached.tuf(gun, file).await, uncached.tuf(gun, file).await);
            assert_eq!(
                (on.status, &on.headers, &on.body),
                (off.status, &off.headers, &off.body),
                "{file}, round {round}"
            );
        }
    }
    assert_eq!(cached.tuf(gun, "targets.json").await.body, targets);
}
