//! `trustctl server` against the real peers over TLS: the notary 0.7 client (init, add,
//! publish, list, lookup, delegation add/remove, key rotate snapshot -r, remove, delete
//! --remote) and the docker 28 CLI (signer add, inspect, revoke, signer remove), on SQLite and
//! on PostgreSQL.
#![allow(clippy::unwrap_used)]

use crate::util::{
    pass, require_peers, DockerCli, NotaryClient, NotaryTarget, PgDatabase, TestDir, TrustctlServer,
};

const GUN: &str = "example.com/trustctl/interop";
const IMG: &str = "localhost:5000/trustctl/img";
const D1: &str = "c512d672400a70f985a0b560012538262a2d5803ecde325dcf0162d3616cddeb";
const D2: &str = "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b";

fn t(name: &str, digest: &str, size: u64, role: &str) -> NotaryTarget {
    NotaryTarget {
        name: name.into(),
        digest: digest.into(),
        size,
        role: role.into(),
    }
}

fn notary_flow(dir: &TestDir, storage: &str) {
    let server = TrustctlServer::start(dir, &["--storage", storage]);
    let ca = server.ca().unwrap();
    let n = NotaryClient::new(dir, "n", &server.url(), &ca);
    // client-managed snapshot first
    n.init(GUN);
    n.addhash(GUN, "v1", 262, D1, &[]);
    let fresh = || NotaryClient::new(dir, &format!("fresh{}", rand_suffix()), &server.url(), &ca);
    assert_eq!(fresh().list(GUN), vec![t("v1", D1, 262, "targets")]);
    // hand the snapshot key to the server, then keep publishing
    n.key_rotate(GUN, "snapshot", true);
    n.addhash(GUN, "v2", 10, D2, &[]);
    assert_eq!(
        fresh().list(GUN),
        vec![t("v1", D1, 262, "targets"), t("v2", D2, 10, "targets")]
    );
    let found = n.lookup(GUN, "v2");
    found.assert_success();
    assert!(found.stdout.contains(D2), "{}", found.stdout);
    // a delegation: add with a docker-style public key, publish a target into it, remove it
    let keys = dir.mkdir("keys");
    let (cert, _) = n.key_generate("targets/releases", &keys.join("rel"));
    n.delegation_add(GUN, "targets/releases", &[&cert], &[]);
    n.publish(GUN);
    let roles = n.run(&["delegation", "list", GUN]);
    roles.assert_success();
    assert!(
        roles.stdout.contains("targets/releases"),
        "{}",
        roles.stdout
    );
    let removed = n.run_stdin(
        &["delegation", "remove", GUN, "targets/releases", "-p"],
        b"yes\n",
    );
    removed.assert_success();
    let roles = fresh().run(&["delegation", "list", GUN]);
    assert!(
        !roles.stdout.contains("targets/releases"),
        "{}",
        roles.stdout
    );
    // remove a target
    n.remove(GUN, "v1", &[]);
    assert_eq!(fresh().list(GUN), vec![t("v2", D2, 10, "targets")]);
    // delete everything on the server
    n.run(&["delete", GUN, "--remote"]).assert_success();
    let gone = fresh().run(&["list", GUN]);
    assert_eq!(gone.status.code(), Some(1), "{}", gone.stdout);
}

fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

#[test]
fn notary_client_against_trustctl_server_sqlite() {
    if !require_peers(&["notary"]) {
        return;
    }
    let dir = TestDir::new("server-peers-notary");
    let storage = format!("sqlite:{}", dir.join("trust.db").display());
    notary_flow(&dir, &storage);
}

#[test]
fn notary_client_against_trustctl_server_postgres() {
    if !require_peers(&["notary"]) {
        return;
    }
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let dir = TestDir::new("server-peers-notary-pg");
    notary_flow(&dir, &db.url());
}

#[test]
fn docker_trust_against_trustctl_server() {
    if !require_peers(&["notary", "docker"]) {
        return;
    }
    let dir = TestDir::new("server-peers-docker");
    let server = TrustctlServer::start(&dir, &[]);
    let ca = server.ca().unwrap();
    let docker = DockerCli::for_server(&dir, "d", &server.url(), &ca);
    let alice = docker.key_generate("alice", &dir.mkdir("keys"));
    docker.signer_add("alice", &alice, &[IMG]).assert_success();
    let notary = NotaryClient::with_trust_dir(&dir, "n", &server.url(), &ca, &docker.trust_dir())
        .env("NOTARY_TARGETS_PASSPHRASE", pass::DOCKER_REPOSITORY)
        .env("NOTARY_DELEGATION_PASSPHRASE", pass::DOCKER_REPOSITORY);
    notary.addhash(IMG, "v1", 262, D1, &["targets/releases", "targets/alice"]);
    let inspect = docker.trust_inspect(&[IMG]);
    inspect.assert_success();
    let json = inspect.json();
    assert_eq!(json[0]["Name"], IMG);
    assert_eq!(json[0]["SignedTags"][0]["SignedTag"], "v1");
    assert_eq!(json[0]["SignedTags"][0]["Digest"], D1);
    assert_eq!(
        json[0]["SignedTags"][0]["Signers"],
        serde_json::json!(["alice"])
    );
    assert_eq!(json[0]["Signers"][0]["Name"], "alice");
    // revoke the tag
    docker.revoke(&format!("{IMG}:v1"), true).assert_success();
    let after = docker.trust_inspect(&[IMG]).json();
    assert_eq!(after[0]["SignedTags"], serde_json::json!([]));
    // remove the last releases signer (answer y)
    docker.signer_remove("alice", IMG, "y").assert_success();
    let after = docker.trust_inspect(&[IMG]).json();
    assert_eq!(after[0]["Signers"], serde_json::json!([]));
}
