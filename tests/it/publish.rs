//! `trustctl sign`, `signer add/remove`, `revoke` and `key rotate` against real servers, read
//! back with the real `docker trust inspect` and `notary list`, and mixed with real
//! `docker trust signer add` on shared key files. Every scenario is written once over a
//! server kind and run against both the real notary-server and `trustctl server`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{
    pass, require_peers, DockerCli, NotaryClient, NotaryServer, TestDir, Trustctl, TrustctlServer,
};

const DIGEST: &str = "sha256:9c2f5f5b2b0d1b6f5fe3d0e8f0f4e3a0c5a7f4f0b1f4f3d7e9c0b7a6d5e4f3a2";
const HEX: &str = "9c2f5f5b2b0d1b6f5fe3d0e8f0f4e3a0c5a7f4f0b1f4f3d7e9c0b7a6d5e4f3a2";
const DIGEST2: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

#[derive(Clone, Copy, Debug)]
enum Kind {
    Notary,
    Trustctl,
}

/// A running trust server of either kind.
enum Running {
    Notary(NotaryServer),
    Trustctl(TrustctlServer),
}

struct Srv {
    running: Running,
}

impl Srv {
    fn start(kind: Kind, dir: &TestDir) -> Srv {
        let running = match kind {
            Kind::Notary => Running::Notary(NotaryServer::start(dir)),
            Kind::Trustctl => Running::Trustctl(TrustctlServer::start(dir, &[])),
        };
        Srv { running }
    }
    fn url(&self) -> String {
        match &self.running {
            Running::Notary(s) => s.url(),
            Running::Trustctl(s) => s.url(),
        }
    }
    fn ca(&self) -> PathBuf {
        match &self.running {
            Running::Notary(s) => s.ca(),
            Running::Trustctl(s) => s.ca().expect("TLS server"),
        }
    }
    fn trustctl(&self, dir: &TestDir, name: &str) -> Trustctl {
        Trustctl::new(dir, name).server(&self.url(), Some(&self.ca()))
    }
    fn docker(&self, dir: &TestDir, name: &str) -> DockerCli {
        DockerCli::for_server(dir, name, &self.url(), &self.ca())
    }
    fn notary(&self, dir: &TestDir, name: &str) -> NotaryClient {
        NotaryClient::new(dir, name, &self.url(), &self.ca())
    }
}

fn peers() -> bool {
    require_peers(&["notary-server", "notary", "docker"])
}

/// A test directory and a server of `kind` in it, when the peers are installed.
fn live(kind: Kind, name: &str) -> Option<(TestDir, Srv)> {
    if !peers() {
        return None;
    }
    let dir = TestDir::new(name);
    let srv = Srv::start(kind, &dir);
    Some((dir, srv))
}

/// `docker trust inspect IMAGE` parsed: (tag, digest hex, signers) of every signed tag.
fn docker_tags(docker: &DockerCli, image: &str) -> Vec<(String, String, Vec<String>)> {
    let out = docker.trust_inspect(&[image]);
    out.assert_success();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    v[0]["SignedTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["SignedTag"].as_str().unwrap().to_string(),
                t["Digest"].as_str().unwrap().to_string(),
                t["Signers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// Copy every private key file of `from` into `to` (what `trustctl key load` / `docker trust
/// key load` would import; the file format is shared).
fn share_keys(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "key") {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn notary_server() {
                super::$body(super::Kind::Notary);
            }
            #[test]
            fn trustctl_server() {
                super::$body(super::Kind::Trustctl);
            }
        }
    };
}

both!(sign_is_seen_by_docker_and_notary, sign_is_seen);
fn sign_is_seen(kind: Kind) {
    let Some((dir, srv)) = live(kind, "publish-sign") else {
        return;
    };
    let t = srv.trustctl(&dir, "t1");
    let image = "localhost:5000/pub/app";
    let out = t.run(&[
        "sign",
        &format!("{image}:v1"),
        "--digest",
        DIGEST,
        "--size",
        "1234",
        "--json",
    ]);
    out.assert_success();
    let report = out.json();
    assert_eq!(report[0]["repository"], image);
    assert_eq!(report[0]["tag"], "v1");
    assert_eq!(report[0]["digest"], DIGEST);
    assert_eq!(report[0]["size"], 1234);
    assert_eq!(report[0]["roles"], serde_json::json!(["targets"]));
    assert_eq!(report[0]["initialized"], true);
    assert_eq!(report[0]["versions"]["root"], 1);
    assert_eq!(report[0]["versions"]["targets"], 2);

    let docker = srv.docker(&dir, "d1");
    assert_eq!(
        docker_tags(&docker, image),
        vec![("v1".into(), HEX.into(), vec!["Repo Admin".into()])]
    );
    let notary = srv.notary(&dir, "n1");
    let list = notary.list(image);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "v1");
    assert_eq!(list[0].digest, HEX);
    assert_eq!(list[0].size, 1234);
    assert_eq!(list[0].role, "targets");

    // A second sign (existing repo, no init) of two tags in one publish; re-running is fine.
    for _ in 0..2 {
        t.run(&[
            "sign",
            &format!("{image}:v2"),
            &format!("{image}:v3"),
            "--digest",
            DIGEST2,
            "--size",
            "10",
        ])
        .assert_success();
    }
    let names: Vec<String> = notary.list(image).into_iter().map(|t| t.name).collect();
    assert_eq!(names, vec!["v1", "v2", "v3"]);

    // A wrong repository passphrase (the key is decrypted while the state is fetched): the
    // ordinary one-line error naming the variable, and nothing published.
    let out = t
        .clone()
        .env("TRUSTCTL_REPOSITORY_PASSPHRASE", "not-the-one")
        .sign(&format!("{image}:v4"), DIGEST, 1);
    out.assert_exit(1)
        .assert_stderr_contains("wrong passphrase for key")
        .assert_stderr_contains("$TRUSTCTL_REPOSITORY_PASSPHRASE");
    assert!(!out.stderr.contains("not-the-one"));
    let names: Vec<String> = notary.list(image).into_iter().map(|t| t.name).collect();
    assert_eq!(names, vec!["v1", "v2", "v3"]);
}

both!(signer_add_then_delegated_sign, delegated_sign);
fn delegated_sign(kind: Kind) {
    let Some((dir, srv)) = live(kind, "publish-signer") else {
        return;
    };
    // alice's key: generated by docker, imported into trustctl's trust dir.
    let docker = srv.docker(&dir, "d1");
    let pubkey = docker.key_generate("alice", &dir.mkdir("keys"));
    let t = srv
        .trustctl(&dir, "t1")
        .env("TRUSTCTL_DELEGATION_PASSPHRASE", pass::DOCKER_REPOSITORY);
    share_keys(
        &docker.trust_dir().join("private"),
        &t.trust_dir().join("private"),
    );
    let image = "localhost:5000/pub/deleg";
    let out = t.run(&[
        "signer",
        "add",
        "--key",
        pubkey.to_str().unwrap(),
        "alice",
        image,
    ]);
    out.assert_success();
    assert!(
        out.stdout.contains("Successfully added signer: alice to"),
        "{}",
        out.stdout
    );
    let out = t.run(&[
        "sign",
        &format!("{image}:v1"),
        "--digest",
        DIGEST,
        "--size",
        "99",
        "--json",
    ]);
    out.assert_success();
    assert_eq!(
        out.json()[0]["roles"],
        serde_json::json!(["targets/alice", "targets/releases"])
    );
    assert_eq!(
        docker_tags(&docker, image),
        vec![("v1".into(), HEX.into(), vec!["alice".into()])]
    );
    let notary = srv.notary(&dir, "n1");
    let list = notary.list(image);
    assert_eq!(list.len(), 1);
    // notary lists a target from the first role in walk order; docker's signer add creates
    // targets/alice before targets/releases.
    assert_eq!(list[0].role, "targets/alice");
    assert_eq!(notary.list_role(image, "targets/releases").len(), 1);

    // Removing the only releases signer needs --force without a terminal.
    t.run(&["signer", "remove", "alice", image]).assert_exit(2);
    t.run(&["signer", "remove", "alice", image, "--force"])
        .assert_success();
    let out = docker.trust_inspect(&["--pretty", image]);
    assert!(!out.stdout.contains("alice"), "{}", out.stdout);
}

both!(revoke_removes_signature, revoke);
fn revoke(kind: Kind) {
    let Some((dir, srv)) = live(kind, "publish-revoke") else {
        return;
    };
    let t = srv.trustctl(&dir, "t1");
    let image = "localhost:5000/pub/rev";
    t.sign(&format!("{image}:v1"), DIGEST, 5).assert_success();
    let out = t.run(&["revoke", &format!("{image}:nosuch")]);
    out.assert_exit(3)
        .assert_stderr_contains("No valid trust data for nosuch");
    t.run(&["revoke", &format!("{image}:v1")]).assert_success();
    let docker = srv.docker(&dir, "d1");
    let out = docker.trust_inspect(&["--pretty", image]);
    out.assert_success()
        .assert_stdout_contains(&format!("No signatures for {image}"));
    // Unknown repository: exit 3.
    t.run(&["revoke", "localhost:5000/pub/none:v1"])
        .assert_exit(3);
}

both!(
    docker_initialised_repo_signed_by_trustctl,
    docker_init_then_trustctl
);
fn docker_init_then_trustctl(kind: Kind) {
    let Some((dir, srv)) = live(kind, "publish-docker-init") else {
        return;
    };
    let docker = srv.docker(&dir, "d1");
    let image = "localhost:5000/pub/dock";
    let pubkey = docker.key_generate("alice", &dir.mkdir("keys"));
    docker.signer_add("alice", &pubkey, &[image]);
    // Same keys, same passphrases.
    let t = srv
        .trustctl(&dir, "t1")
        .env("TRUSTCTL_ROOT_PASSPHRASE", pass::DOCKER_ROOT)
        .env("TRUSTCTL_REPOSITORY_PASSPHRASE", pass::DOCKER_REPOSITORY)
        .env("TRUSTCTL_DELEGATION_PASSPHRASE", pass::DOCKER_REPOSITORY);
    share_keys(
        &docker.trust_dir().join("private"),
        &t.trust_dir().join("private"),
    );
    t.sign(&format!("{image}:v1"), DIGEST, 7).assert_success();
    assert_eq!(
        docker_tags(&docker, image),
        vec![("v1".into(), HEX.into(), vec!["alice".into()])]
    );
}

both!(
    trustctl_initialised_repo_accepts_docker_signer,
    trustctl_init_then_docker
);
fn trustctl_init_then_docker(kind: Kind) {
    let Some((dir, srv)) = live(kind, "publish-trustctl-init") else {
        return;
    };
    let t = srv.trustctl(&dir, "t1");
    let image = "localhost:5000/pub/mine";
    t.sign(&format!("{image}:v1"), DIGEST, 7).assert_success();
    let docker = srv
        .docker(&dir, "d1")
        .env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", pass::ROOT)
        .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", pass::TARGETS);
    share_keys(
        &t.trust_dir().join("private"),
        &docker.trust_dir().join("private"),
    );
    let pubkey = docker.key_generate("bob", &dir.mkdir("keys"));
    docker.signer_add("bob", &pubkey, &[image]);
    let out = docker.trust_inspect(&["--pretty", image]);
    out.assert_success().assert_stdout_contains("bob");
    // trustctl still signs (now into... nothing it holds but targets: bob's key is docker's).
    let tags = docker_tags(&docker, image);
    assert_eq!(
        tags,
        vec![("v1".into(), HEX.into(), vec!["Repo Admin".into()])]
    );
}

both!(root_rotation_is_followed, rotate_root);
fn rotate_root(kind: Kind) {
    let Some((dir, srv)) = live(kind, "publish-rotate") else {
        return;
    };
    let t = srv.trustctl(&dir, "t1");
    let image = "localhost:5000/pub/rot";
    t.sign(&format!("{image}:v1"), DIGEST, 5).assert_success();
    let early = srv.notary(&dir, "n-early");
    assert_eq!(early.list(image).len(), 1);
    let out = t.run(&["key", "rotate", image, "root", "--json"]);
    out.assert_success();
    assert_eq!(out.json()[0]["versions"]["root"], 2);
    // A fresh client and one that trusted root v1 both follow the rotation.
    assert_eq!(srv.notary(&dir, "n-fresh").list(image).len(), 1);
    assert_eq!(early.list(image).len(), 1);
    // trustctl keeps signing with the new root in place.
    t.sign(&format!("{image}:v2"), DIGEST, 5).assert_success();
    t.run(&["key", "rotate", image, "targets"]).assert_success();
    t.run(&["key", "rotate", image, "snapshot", "--server-managed"])
        .assert_success();
    t.run(&["key", "rotate", image, "timestamp", "--server-managed"])
        .assert_success();
    let names: Vec<String> = early.list(image).into_iter().map(|t| t.name).collect();
    assert_eq!(names, vec!["v1", "v2"]);
}

both!(ten_thousand_tags, big_repo);
fn big_repo(kind: Kind) {
    let Some((dir, srv)) = live(kind, "publish-big") else {
        return;
    };
    let t = srv.trustctl(&dir, "t1");
    let image = "localhost:5000/pub/big";
    // 10,000 tags signed and published together (one POST), then one more.
    let mut args: Vec<String> = vec!["sign".into()];
    args.extend((0..10_000).map(|i| format!("{image}:t{i:05}")));
    args.extend([
        "--digest".into(),
        DIGEST.into(),
        "--size".into(),
        "3".into(),
    ]);
    t.run(&args).assert_success();
    t.sign(&format!("{image}:extra"), DIGEST2, 4)
        .assert_success();
    let notary = srv.notary(&dir, "n1");
    let list = notary.list(image);
    assert_eq!(list.len(), 10_001);
    assert!(list.iter().any(|t| t.name == "extra" && t.size == 4));
}

#[test]
fn sign_usage_errors_and_unreachable_registry() {
    let dir = TestDir::new("publish-usage");
    let t = Trustctl::new(&dir, "t1").server("https://127.0.0.1:9", None);
    // Without --digest the registry is asked; one that does not answer is a network error
    // naming the URL, and nothing was published.
    let port = crate::util::free_port();
    t.run(&["sign", &format!("localhost:{port}/a/b:v1")])
        .assert_exit(1)
        .assert_stderr_contains(&format!("https://localhost:{port}/v2/a/b/manifests/v1"))
        .assert_stderr_contains("cannot connect");
    t.run(&["sign", "localhost:5000/a/b:v1", "--size", "3"])
        .assert_exit(2)
        .assert_stderr_contains("--size needs --digest");
    t.run(&["sign", "localhost:5000/a/b:v1", "--digest", DIGEST])
        .assert_exit(2)
        .assert_stderr_contains("--size");
    t.sign("localhost:5000/a/b:v1", "sha256:zz", 1)
        .assert_exit(2);
    t.sign("localhost:5000/a/b", DIGEST, 1).assert_exit(2);
    // Server unreachable: environment error, nothing written.
    t.sign("localhost:5000/a/b:v1", DIGEST, 1).assert_exit(1);
    assert!(!t.trust_dir().join("private").exists());
}

/// A reverse proxy that, on each of the first `races` publish POSTs, first lets another
/// publisher (`rival`, run to completion against the server directly) publish, then forwards
/// the held POST: a real `VERSION` conflict from the real server, made deterministic.
fn racing_proxy(
    upstream: String,
    races: usize,
    rival: Trustctl,
    rival_tag: &'static str,
) -> String {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::response::IntoResponse;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let count = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |req: Request| {
        let client = client.clone();
        let upstream = upstream.clone();
        let rival = rival.clone();
        let count = count.clone();
        async move {
            let method = req.method().clone();
            let path = req.uri().path().to_string();
            let headers = req.headers().clone();
            let body = axum::body::to_bytes(req.into_body(), 64 << 20)
                .await
                .unwrap();
            if method == axum::http::Method::POST
                && path.ends_with("/_trust/tuf/")
                && count.fetch_add(1, Ordering::SeqCst) < races
            {
                let n = count.load(Ordering::SeqCst);
                tokio::task::spawn_blocking(move || {
                    rival
                        .sign(&format!("{rival_tag}{n}"), DIGEST2, 1)
                        .assert_success();
                })
                .await
                .unwrap();
            }
            let mut h = headers;
            h.remove(axum::http::header::HOST);
            let resp = client
                .request(method, format!("{upstream}{path}"))
                .headers(h)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let bytes = resp.bytes().await.unwrap();
            (status, Body::from(bytes)).into_response()
        }
    });
    crate::util::serve_router(app)
}

/// Another publisher gets in first: trustctl re-fetches, re-applies, re-signs once and
/// succeeds; when it happens twice, a clear conflict (exit 1) and no local state advanced.
#[test]
fn version_conflict_is_retried_once() {
    if !require_peers(&["notary-server", "notary"]) {
        return;
    }
    let dir = TestDir::new("publish-conflict");
    let server = NotaryServer::start_plain(&dir);
    let image = "localhost:5000/pub/race";
    let direct = Trustctl::new(&dir, "t1").server(&server.url(), None);
    direct
        .sign(&format!("{image}:v0"), DIGEST, 1)
        .assert_success();
    // The rival shares the keys (same trust dir) but talks to the server directly.
    let rival_tag: &'static str = "localhost:5000/pub/race:rival";

    let url = racing_proxy(server.url(), 1, direct.clone(), rival_tag);
    let t = Trustctl::new(&dir, "t1").server(&url, None);
    let out = t.sign(&format!("{image}:mine"), DIGEST, 1);
    out.assert_success();

    let url = racing_proxy(server.url(), 2, direct.clone(), rival_tag);
    let t = Trustctl::new(&dir, "t1").server(&url, None);
    let cache = t.trust_dir().join("tuf").join(image).join("metadata");
    let before = std::fs::read(cache.join("root.json")).unwrap();
    let out = t.sign(&format!("{image}:lost"), DIGEST, 1);
    out.assert_exit(1)
        .assert_stderr_contains("conflicted twice with another publisher");
    assert_eq!(std::fs::read(cache.join("root.json")).unwrap(), before);

    let notary = NotaryClient::new(&dir, "n1", &server.url(), &dir.tls().ca);
    let mut names: Vec<String> = notary.list(image).into_iter().map(|t| t.name).collect();
    names.sort();
    assert_eq!(names, vec!["mine", "rival1", "rival2", "v0"]);
}

both!(
    cache_write_failing_after_an_accepted_publish_says_so,
    cache_fails_after_publish
);
/// The cache write runs while the POST is in flight. When it fails (here the repository's
/// cache directory is a link into `/proc`, where not even root can create files) after the
/// server accepted the change, the command exits 1 saying the publish went through, and the
/// server indeed has the new tag.
fn cache_fails_after_publish(kind: Kind) {
    let Some((dir, srv)) = live(kind, "publish-cache-fails") else {
        return;
    };
    let t = srv.trustctl(&dir, "t1");
    let image = "localhost:5000/pub/cachefail";
    let sign = |tag: &str| t.sign(&format!("{image}:{tag}"), DIGEST, 5);
    sign("v1").assert_success();
    let cache = t.trust_dir().join("tuf").join(image).join("metadata");
    std::fs::remove_dir_all(&cache).unwrap();
    std::os::unix::fs::symlink("/proc/self", &cache).unwrap();
    let out = sign("v2");
    out.assert_exit(1).assert_stderr_contains(&format!(
        "{image} was published, but the trust cache could not be written"
    ));
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.stderr);
    let names: Vec<String> = srv
        .notary(&dir, "n1")
        .list(image)
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, vec!["v1", "v2"]);
}
