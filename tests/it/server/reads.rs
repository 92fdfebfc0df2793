//! Routes, headers and error bodies of reads, keys, change feeds and deletes, compared with
//! the real notary-server's answers in `fixtures/samples/server/endpoint-probe.txt`.

use axum::http::Method;
use chrono::Duration;
use sha2::{Digest, Sha256};

use trustctl::server::config::CacheConfig;
use trustctl::server::Settings;
use trustctl::tuf::wire::{Snapshot, Timestamp};
use trustctl::tuf::{RawSigned, RoleName};

use super::repo::{key_from_body, TestRepo};
use super::{App, Resp};

pub(super) const NOT_FOUND_DETAIL: &str = "{\"errors\":[{\"code\":\"METADATA_NOT_FOUND\",\"message\":\"You have requested metadata that does not exist.\",\"detail\":{}}]}\n";
const NOT_FOUND_BARE: &str = "{\"errors\":[{\"code\":\"METADATA_NOT_FOUND\",\"message\":\"You have requested metadata that does not exist.\"}]}\n";

/// The body of one `### <request>` block of endpoint-probe.txt.
fn probe(request: &str) -> (u16, String) {
    let text = String::from_utf8(crate::util::fixture_bytes(
        "samples/server/endpoint-probe.txt",
    ))
    .unwrap();
    let block = text
        .split("### ")
        .find(|b| b.lines().next() == Some(request))
        .unwrap_or_else(|| panic!("no probe {request:?}"));
    let mut lines = block.lines().skip(1);
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let body = block.split("\n\n").nth(1).unwrap_or("").to_string();
    let body = if body.is_empty() {
        body
    } else {
        format!("{}\n", body.trim_end_matches('\n'))
    };
    (status, body)
}

fn assert_probe(resp: &Resp, request: &str) {
    let (status, body) = probe(request);
    assert_eq!(resp.status, status, "{request}");
    if resp.status != 200 {
        assert_eq!(resp.text(), body, "{request}");
        assert_eq!(
            resp.header("content-type").as_deref(),
            Some("application/json; charset=utf-8")
        );
    }
}

#[tokio::test]
async fn catch_all_and_not_found_match_notary() {
    let app = App::new("server-routes");
    let base = "http://127.0.0.1:5602";
    let gun = "example.com/wire/alpha";
    let repo = TestRepo::init(&app, gun).await;
    repo.publish_initial(&app).await;
    let cases: &[(Method, &str)] = &[
        (
            Method::GET,
            "/v2/example.com/wire/alpha/_trust/tuf/0.root.json",
        ),
        (
            Method::GET,
            "/v2/example.com/wire/alpha/_trust/tuf/99.root.json",
        ),
        (
            Method::GET,
            "/v2/example.com/wire/alpha/_trust/tuf/root.key",
        ),
        (
            Method::GET,
            "/v2/example.com/wire/alpha/_trust/tuf/targets.key",
        ),
        (
            Method::GET,
            "/v2/example.com/wire/alpha/_trust/tuf/foo.json",
        ),
        (
            Method::GET,
            "/v2/example.com/wire/alpha/_trust/tuf/targets/Releases.json",
        ),
        (
            Method::GET,
            "/v2/example.com/wire/alpha/_trust/tuf/targets/releases.json",
        ),
        (Method::GET, "/v2/a*b/_trust/tuf/root.json"),
        (Method::GET, "/v2/"),
        (Method::GET, "/v1/"),
        (Method::GET, "/"),
        (Method::GET, "/v2/_trust/changefeed"),
        (
            Method::GET,
            "/v2/_trust/changefeed?records=10&change_id=abc",
        ),
        (Method::GET, "/v2/_trust/changefeed?records=abc"),
        (Method::GET, "/_notary_server/health"),
    ];
    for (method, path) in cases {
        let resp = app.call(method.clone(), path, None, Vec::new()).await;
        assert_probe(&resp, &format!("{base}{path}"));
    }
    let put = app
        .call(
            Method::PUT,
            "/v2/example.com/wire/alpha/_trust/tuf/root.json",
            None,
            Vec::new(),
        )
        .await;
    assert_probe(
        &put,
        &format!("-X PUT {base}/v2/example.com/wire/alpha/_trust/tuf/root.json"),
    );
    let post = app.call(Method::POST, "/v2/", None, Vec::new()).await;
    assert_probe(&post, &format!("-X POST {base}/v2/"));
    let head = app
        .call(
            Method::HEAD,
            "/v2/example.com/wire/alpha/_trust/tuf/root.json",
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(head.status, 404);
    // sha512 and 96-hex checksums are routed but never found.
    let long = "ab".repeat(64);
    app.tuf(gun, &format!("snapshot.{long}.json"))
        .await
        .assert(404, NOT_FOUND_DETAIL);
    app.tuf(gun, "snapshot.abc.json")
        .await
        .assert(404, NOT_FOUND_BARE);
    app.get("/v2/").await.assert(200, "{}");
    let health = app.get("/_notary_server/health").await;
    health.assert(200, "{}");
    assert_eq!(
        health.header("content-type").as_deref(),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn reads_serve_stored_bytes_with_notary_headers() {
    let app = App::new("server-reads");
    let gun = "example.com/wire/reads";
    let repo = TestRepo::init(&app, gun).await;
    let (root, targets) = repo.publish_initial(&app).await;

    let current = app.tuf(gun, "root.json").await;
    assert_eq!((current.status, &current.body), (200, &root));
    assert_eq!(
        current.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        current.header("cache-control").as_deref(),
        Some("public, max-age=300, s-maxage=300, must-revalidate")
    );
    let modified = trustctl::server::routes::last_modified(app.clock.0.lock().unwrap().to_owned());
    assert_eq!(current.header("last-modified"), Some(modified));
    assert_eq!(current.header("etag"), None);

    let by_version = app.tuf(gun, "01.root.json").await;
    assert_eq!(by_version.body, root);
    assert_eq!(
        by_version.header("cache-control").as_deref(),
        Some("public, max-age=2592000, s-maxage=2592000")
    );
    let hex = hex::encode(Sha256::digest(&targets));
    assert_eq!(
        app.tuf(gun, &format!("targets.{hex}.json")).await.body,
        targets
    );
    // Lookups by checksum are per role.
    app.tuf(gun, &format!("root.{hex}.json"))
        .await
        .assert(404, NOT_FOUND_DETAIL);

    // timestamp -> snapshot -> targets, all by the hashes of the exact stored bytes.
    let ts = app.tuf(gun, "timestamp.json").await;
    let timestamp =
        RawSigned::<Timestamp>::from_bytes(&RoleName::timestamp(), &ts.body, 1 << 20).unwrap();
    let sn_hex = timestamp
        .signed_untrusted()
        .snapshot_meta()
        .unwrap()
        .sha256_hex()
        .unwrap();
    let sn = app.tuf(gun, "snapshot.json").await;
    assert_eq!(hex::encode(Sha256::digest(&sn.body)), sn_hex);
    assert_eq!(
        app.tuf(gun, &format!("snapshot.{sn_hex}.json")).await.body,
        sn.body
    );
    let snapshot =
        RawSigned::<Snapshot>::from_bytes(&RoleName::snapshot(), &sn.body, 1 << 20).unwrap();
    let listed = snapshot.signed_untrusted().meta[&RoleName::targets()]
        .sha256_hex()
        .unwrap();
    assert_eq!(listed, hex);
    assert_eq!(app.tuf(gun, "1.timestamp.json").await.body, ts.body);
    // The timestamp is signed by the key timestamp.key returned.
    let key = key_from_body(&app.tuf(gun, "timestamp.key").await.body);
    assert_eq!(key, repo.timestamp_pub);
    assert_eq!(timestamp.signatures()[0].keyid, key.key_id());
}

#[tokio::test]
async fn cache_max_age_zero_disables_caching() {
    let settings = Settings {
        cache: CacheConfig {
            current: 0,
            consistent: 0,
        },
        ..Settings::default()
    };
    let app = App::with_settings("server-nocache", settings);
    let gun = "example.com/nocache";
    TestRepo::init(&app, gun).await.publish_initial(&app).await;
    for file in ["root.json", "1.root.json"] {
        let r = app.tuf(gun, file).await;
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("max-age=0, no-cache, no-store")
        );
        assert_eq!(r.header("pragma").as_deref(), Some("no-cache"));
    }
    let missing = app.tuf(gun, "9.root.json").await;
    assert_eq!(missing.header("cache-control"), None);
}

#[tokio::test]
async fn key_endpoints_get_or_create_and_rotate() {
    let app = App::new("server-keys");
    let gun = "example.com/keys";
    // No root yet: every GET mints a new key.
    let a = app.tuf(gun, "timestamp.key").await;
    let b = app.tuf(gun, "timestamp.key").await;
    assert_eq!((a.status, b.status), (200, 200));
    assert_ne!(a.body, b.body);
    assert!(a
        .text()
        .starts_with("{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\""));
    assert!(a.text().ends_with("\",\"private\":null}}"));
    // Once a root lists a key the server holds, GET returns that key.
    let repo = TestRepo::init_server_snapshot(&app, gun).await;
    repo.publish_initial(&app).await;
    for role in ["timestamp", "snapshot"] {
        let r = app.tuf(gun, &format!("{role}.key")).await;
        let expected = if role == "timestamp" {
            &repo.timestamp_pub
        } else {
            &repo.snapshot_pub
        };
        assert_eq!(&key_from_body(&r.body), expected);
    }
    // POST creates a new key without changing the published root.
    let rotated = app
        .call(
            Method::POST,
            &format!("/v2/{gun}/_trust/tuf/snapshot.key"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(rotated.status, 200);
    assert_ne!(&key_from_body(&rotated.body), &repo.snapshot_pub);
    assert_eq!(
        &key_from_body(&app.tuf(gun, "snapshot.key").await.body),
        &repo.snapshot_pub
    );
}

#[tokio::test]
async fn changefeed_and_delete() {
    let app = App::new("server-changefeed");
    let one = "example.com/feed/one";
    let two = "localhost:5000/feed/two";
    TestRepo::init(&app, one).await.publish_initial(&app).await;
    let repo_two = TestRepo::init_server_snapshot(&app, two).await;
    repo_two.publish_initial(&app).await;
    app.publish(two, &[]).await.assert(200, "");

    let all = app.get("/v2/_trust/changefeed?records=0").await;
    assert_eq!(all.status, 200);
    let page: serde_json::Value = serde_json::from_slice(&all.body).unwrap();
    assert_eq!(page["count"], 3);
    let records = page["records"].as_array().unwrap();
    assert_eq!(records[0]["ID"], "1");
    assert_eq!(records[0]["GUN"], one);
    assert_eq!(records[2]["Version"], 2);
    assert_eq!(records[2]["Category"], "update");
    let ts = app.tuf(two, "timestamp.json").await;
    assert_eq!(records[2]["SHA256"], hex::encode(Sha256::digest(&ts.body)));
    assert!(all
        .text()
        .starts_with("{\"count\":3,\"records\":[{\"ID\":\"1\",\"CreatedAt\":\""));

    let latest = app
        .get("/v2/_trust/changefeed?records=-2&change_id=-1")
        .await;
    let page: serde_json::Value = serde_json::from_slice(&latest.body).unwrap();
    assert_eq!(page["count"], 2);
    assert_eq!(page["records"][0]["ID"], "2");
    let after = app.get("/v2/_trust/changefeed?records=2&change_id=2").await;
    let page: serde_json::Value = serde_json::from_slice(&after.body).unwrap();
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
    let per_gun = app
        .get(&format!("/v2/{two}/_trust/changefeed?records=10"))
        .await;
    let page: serde_json::Value = serde_json::from_slice(&per_gun.body).unwrap();
    assert_eq!(page["count"], 2);

    // DELETE removes every version; a deletion record only when something was deleted.
    let del = app
        .call(
            Method::DELETE,
            &format!("/v2/{two}/_trust/tuf/"),
            None,
            Vec::new(),
        )
        .await;
    del.assert(200, "");
    assert_eq!(del.header("content-type"), None);
    app.tuf(two, "1.root.json")
        .await
        .assert(404, NOT_FOUND_DETAIL);
    app.tuf(two, "timestamp.json")
        .await
        .assert(404, NOT_FOUND_DETAIL);
    app.call(
        Method::DELETE,
        "/v2/example.com/unknown/_trust/tuf/",
        None,
        Vec::new(),
    )
    .await
    .assert(200, "");
    let feed = app.get("/v2/_trust/changefeed?records=100").await;
    let page: serde_json::Value = serde_json::from_slice(&feed.body).unwrap();
    assert_eq!(page["count"], 4);
    assert_eq!(page["records"][3]["Category"], "deletion");
    assert_eq!(page["records"][3]["Version"], 0);
    assert_eq!(page["records"][3]["SHA256"], "");
    // The other repository is untouched.
    assert_eq!(app.tuf(one, "timestamp.json").await.status, 200);
}

#[tokio::test]
async fn gun_prefixes_filter_every_route() {
    let settings = Settings {
        gun_prefixes: vec!["example.com/".into()],
        ..Settings::default()
    };
    let app = App::with_settings("server-prefixes", settings);
    let r = app.publish("other.org/x", &[]).await;
    r.assert(400, "{\"errors\":[{\"code\":\"INVALID_GUN\",\"message\":\"The server does not support actions on images of this name.\",\"detail\":\"Require GUNs with prefix: [example.com/]\"}]}\n");
    app.tuf("other.org/x", "timestamp.key")
        .await
        .assert(404, NOT_FOUND_BARE);
    app.tuf("other.org/x", "root.json")
        .await
        .assert(404, NOT_FOUND_BARE);
    assert_eq!(app.tuf("example.com/x", "timestamp.key").await.status, 200);
}

#[tokio::test]
async fn expired_timestamp_and_snapshot_are_resigned_on_get() {
    let app = App::new("server-refresh");
    let gun = "example.com/refresh";
    let repo = TestRepo::init_server_snapshot(&app, gun).await;
    repo.publish_initial(&app).await;
    let before = app.tuf(gun, "timestamp.json").await;
    assert_eq!(app.tuf(gun, "timestamp.json").await.body, before.body);
    app.clock.advance(Duration::days(15));
    let after = app.tuf(gun, "timestamp.json").await;
    assert_ne!(after.body, before.body);
    let ts =
        RawSigned::<Timestamp>::from_bytes(&RoleName::timestamp(), &after.body, 1 << 20).unwrap();
    assert_eq!(ts.signed_untrusted().version, 2);
    assert_eq!(app.tuf(gun, "2.timestamp.json").await.body, after.body);
    assert_eq!(app.changes(gun), 2);
    // The server-managed snapshot expires after three years: both are re-signed.
    app.clock.advance(Duration::days(3 * 365));
    let sn_before = app.tuf(gun, "1.snapshot.json").await;
    let sn = app.tuf(gun, "snapshot.json").await;
    assert_ne!(sn.body, sn_before.body);
    let snapshot =
        RawSigned::<Snapshot>::from_bytes(&RoleName::snapshot(), &sn.body, 1 << 20).unwrap();
    assert_eq!(snapshot.signed_untrusted().version, 2);
    assert_eq!(
        snapshot.signed_untrusted().meta,
        RawSigned::<Snapshot>::from_bytes(&RoleName::snapshot(), &sn_before.body, 1 << 20)
            .unwrap()
            .signed_untrusted()
            .meta
    );
    assert_eq!(app.changes(gun), 3);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = App::new("server-metrics");
    app.get("/v2/").await;
    app.get("/nope").await;
    let text = app.get("/metrics").await.text();
    assert!(
        text.contains("trustctl_server_http_requests_total{route=\"ping\",status=\"200\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "trustctl_server_http_requests_total{route=\"not_found\",status=\"404\"} 1\n"
        ),
        "{text}"
    );
    assert!(text.contains(
        "trustctl_server_http_request_duration_seconds_count{route=\"ping\",status=\"200\"} 1\n"
    ));
}
