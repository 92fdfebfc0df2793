//! The real `notary` client and `docker trust` against `trustctl server` over TLS.

use crate::util::{require_peers, NotaryClient, NotaryTarget, TestDir, TrustctlServer};

const DIGEST: &str = "c5d2d672400a70f985a0b56001253826122d5803ecde32c976cf0162d36cdeb0";

#[test]
fn notary_client_round_trip() {
    if !require_peers(&["notary"]) {
        return;
    }
    let dir = TestDir::new("server-notary");
    let server = TrustctlServer::start(&dir, &[]);
    let ca = server.ca().unwrap();
    let gun = "example.com/interop/notary";
    let notary = NotaryClient::new(&dir, "n", &server.url(), &ca);
    notary.init(gun).assert_success();
    notary.addhash(gun, "v1", 262, DIGEST, &[]).assert_success();
    let target = |name: &str| NotaryTarget {
        name: name.into(),
        digest: DIGEST.into(),
        size: 262,
        role: "targets".into(),
    };
    let fresh = NotaryClient::new(&dir, "fresh", &server.url(), &ca);
    assert_eq!(fresh.list(gun), vec![target("v1")]);
    fresh
        .lookup(gun, "v1")
        .assert_success()
        .assert_stdout_contains(DIGEST);
    // Server-managed snapshot after rotation, then more publishes.
    notary.key_rotate(gun, "snapshot", true).assert_success();
    notary.addhash(gun, "v2", 262, DIGEST, &[]).assert_success();
    assert_eq!(fresh.list(gun), vec![target("v1"), target("v2")]);
    notary.remove(gun, "v1", &[]).assert_success();
    assert_eq!(fresh.list(gun), vec![target("v2")]);
}
