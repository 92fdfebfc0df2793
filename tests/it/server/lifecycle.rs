//! Restart keeps data and server keys; a wrong passphrase fails closed; the real listener with
//! TLS answers and shuts down gracefully.

use std::sync::Arc;

use trustctl::server::config::TlsFiles;
use trustctl::server::storage::SqliteStorage;
use trustctl::server::{
    router, serve_listener, tls_acceptor, AppState, KeyAlgorithm, KeyVault, Settings,
};

use super::repo::TestRepo;
use super::{App, PASSPHRASE};
use crate::util::{http_request, TestDir};

#[tokio::test]
async fn restart_keeps_metadata_and_keys() {
    let app = App::new("server-restart");
    let gun = "example.com/restart";
    let repo = TestRepo::init_server_snapshot(&app, gun).await;
    let (root, _) = repo.publish_initial(&app).await;
    let app = app.restart(PASSPHRASE);
    assert_eq!(app.tuf(gun, "root.json").await.body, root);
    app.publish(gun, &[("targets", &repo.targets_bytes(2))])
        .await
        .assert(200, "");
    assert_eq!(app.tuf(gun, "3.timestamp.json").await.status, 404);
    assert_eq!(app.tuf(gun, "2.timestamp.json").await.status, 200);
    // With the wrong passphrase the server cannot sign: UNKNOWN, nothing stored.
    let app = app.restart("not-the-passphrase");
    app.publish(gun, &[("targets", &repo.targets_bytes(3))])
        .await
        .assert(
            500,
            "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"unknown error\"}]}\n",
        );
    assert_eq!(app.changes(gun), 2);
}

#[tokio::test]
async fn tls_listener_serves_and_stops() {
    let dir = TestDir::new("server-tls");
    let tls = dir.tls();
    let storage = Arc::new(SqliteStorage::open(dir.join("trust.db")).unwrap());
    let vault = KeyVault::new(PASSPHRASE, KeyAlgorithm::Ed25519).unwrap();
    let clock = Arc::new(trustctl::clock::SystemClock);
    let app = router(AppState::new(storage, vault, clock, Settings::default()));
    let acceptor = tls_acceptor(&TlsFiles {
        cert: tls.cert.clone(),
        key: tls.key.clone(),
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_listener(listener, Some(acceptor), app, async {
        let _ = stop_rx.await;
    }));
    let ca = tls.ca.clone();
    let resp = tokio::task::spawn_blocking(move || {
        http_request(
            "GET",
            &format!("https://localhost:{port}/v2/"),
            Some(&ca),
            None,
            &[],
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(resp.status, 200);
    stop_tx.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err());
}
