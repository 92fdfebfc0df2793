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

const SAMPLE_IMG: &str = "localhost:5000/wire/img";
const DIGEST_C512: &str = "c512d672400a70f985a0b560012538262a2d5803ecde325dcf0162d3616cddeb";

fn sample(rel: &str) -> String {
    String::from_utf8(crate::util::fixture_bytes(rel)).unwrap()
}

#[test]
fn docker_trust_against_trustctl_server() {
    use crate::util::{pass, DockerCli};
    if !require_peers(&["notary", "docker"]) {
        return;
    }
    let dir = TestDir::new("server-docker");
    let server = TrustctlServer::start(&dir, &[]);
    let ca = server.ca().unwrap();
    let docker = DockerCli::for_server(&dir, "dockercfg", &server.url(), &ca);
    let keys = dir.mkdir("keys");
    let alice_pub = docker.key_generate("alice", &keys);
    let bob_pub = docker.key_generate("bob", &keys);
    // A new repository: root + targets + releases + alice with a server-managed snapshot.
    let out = docker.signer_add("alice", &alice_pub, &[SAMPLE_IMG]);
    assert_eq!(
        out.stdout,
        sample("samples/docker/signer-add-new-repo.stdout.txt")
    );
    docker.signer_add("bob", &bob_pub, &[SAMPLE_IMG]);
    // Sign a tag into releases + alice the way docker does (notary on docker's trust dir).
    let notary = NotaryClient::with_trust_dir(&dir, "n", &server.url(), &ca, &docker.trust_dir())
        .env("NOTARY_ROOT_PASSPHRASE", pass::DOCKER_ROOT)
        .env("NOTARY_TARGETS_PASSPHRASE", pass::DOCKER_REPOSITORY)
        .env("NOTARY_DELEGATION_PASSPHRASE", pass::DOCKER_REPOSITORY);
    notary.addhash(
        SAMPLE_IMG,
        "v1",
        262,
        DIGEST_C512,
        &["targets/releases", "targets/alice"],
    );

    let inspect = docker.trust_inspect(&[SAMPLE_IMG]);
    inspect.assert_success();
    let json = inspect.json();
    assert_eq!(json[0]["SignedTags"][0]["SignedTag"], "v1");
    assert_eq!(json[0]["SignedTags"][0]["Digest"], DIGEST_C512);
    assert_eq!(
        json[0]["SignedTags"][0]["Signers"],
        serde_json::json!(["alice"])
    );
    let mut signers: Vec<&str> = json[0]["Signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    signers.sort_unstable();
    assert_eq!(signers, ["alice", "bob"]);
    docker
        .trust_inspect(&["--pretty", SAMPLE_IMG])
        .assert_success();

    // Removing bob (not the last releases signer) is docker's silent no-op; revoke v1.
    let out = docker.signer_remove("bob", SAMPLE_IMG, "y\n");
    assert_eq!(
        out.stdout,
        sample("samples/docker/signer-remove-not-last-signer-NOOP.txt")
    );
    let out = docker.revoke(&format!("{SAMPLE_IMG}:v1"), false);
    out.assert_success();
    assert_eq!(out.stdout, sample("samples/docker/revoke-tag.txt"));
    let after = docker.trust_inspect(&[SAMPLE_IMG]).json();
    assert_eq!(after[0]["SignedTags"], serde_json::json!([]));
    let fresh = NotaryClient::new(&dir, "fresh", &server.url(), &ca);
    assert_eq!(fresh.list_role(SAMPLE_IMG, "targets/releases"), vec![]);
}

#[test]
fn notary_delegations_and_server_key_rotation() {
    if !require_peers(&["notary"]) {
        return;
    }
    let dir = TestDir::new("server-notary-deleg");
    let server = TrustctlServer::start(&dir, &[]);
    let ca = server.ca().unwrap();
    let gun = "example.com/interop/deleg";
    let notary = NotaryClient::new(&dir, "n", &server.url(), &ca);
    notary.init_server_snapshot(gun).assert_success();
    let (public, _) = notary.key_generate("targets/releases", &dir.join("releases"));
    notary.delegation_add(gun, "targets/releases", &[&public], &[]);
    notary.addhash(gun, "v1", 262, DIGEST, &[]).assert_success();
    let fresh = NotaryClient::new(&dir, "fresh", &server.url(), &ca);
    assert_eq!(
        fresh.list(gun),
        vec![NotaryTarget {
            name: "v1".into(),
            digest: DIGEST.into(),
            size: 262,
            role: "targets".into()
        }]
    );
    notary.key_rotate(gun, "timestamp", true).assert_success();
    assert_eq!(fresh.list(gun).len(), 1);
    let roles = fresh.run(&["delegation", "list", gun]);
    roles
        .assert_success()
        .assert_stdout_contains("targets/releases");
    let out = notary.run(&["delegation", "remove", gun, "targets/releases", "-p", "-y"]);
    out.assert_success();
    let roles = fresh.run(&["delegation", "list", gun]);
    assert!(
        !roles.assert_success().stdout.contains("targets/releases"),
        "{}",
        roles.stdout
    );
    assert_eq!(fresh.list(gun).len(), 1);
}
