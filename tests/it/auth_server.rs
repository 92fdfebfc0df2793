//! `trustctl server --auth …` against real clients: htpasswd files made by the real
//! `htpasswd -B`, the real `docker` CLI with credentials in its config.json as `docker login`
//! stores them, the real `notary` client; token mode with the test issuer of
//! `token_issuer.rs` (a JWT issuer signing with an rcgen CA, standing in for docker_auth).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::token_issuer::{claims, grant_all, pull_only, TokenCa, TokenIssuer};
use crate::util::{
    htpasswd_file, http_request, require_peers, write_file, DockerCli, HttpResponse, NotaryClient,
    NotaryServer, TestDir, Trustctl, TrustctlServer,
};

const GUN: &str = "example.com/auth/app";

fn unauthorized_body(gun_or_catalog: &str, kind: &str, actions: &[&str]) -> String {
    let records: Vec<String> = actions
        .iter()
        .map(|a| {
            format!(r#"{{"Type":"{kind}","Class":"","Name":"{gun_or_catalog}","Action":"{a}"}}"#)
        })
        .collect();
    format!(
        "{{\"errors\":[{{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":[{}]}}]}}\n",
        records.join(",")
    )
}

fn get(server: &TrustctlServer, path: &str, basic: Option<(&str, &str)>) -> HttpResponse {
    let url = format!("{}{path}", server.url());
    http_request("GET", &url, server.ca().as_deref(), basic, &[]).unwrap()
}

/// Docker's config.json with `auths` as `docker login` writes it (base64 `user:pass`).
pub fn docker_login_config(docker: &DockerCli, registry: &str, user: &str, password: &str) {
    let auth = STANDARD.encode(format!("{user}:{password}"));
    let config = serde_json::json!({ "auths": { registry: { "auth": auth } } });
    write_file(
        &docker.config_dir().join("config.json"),
        serde_json::to_string_pretty(&config).unwrap().as_bytes(),
    );
}

#[test]
fn htpasswd_challenges_anonymous_and_checks_credentials() {
    if !require_peers(&["htpasswd"]) {
        return;
    }
    let dir = TestDir::new("auth-htpasswd-wire");
    let h = htpasswd_file(&dir, "alice", "s3cret-pw");
    let flag = format!("htpasswd:{}", h.path.display());
    let server = TrustctlServer::start(&dir, &["--auth", &flag]);

    let r = get(&server, "/v2/", None);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"trustctl\"")
    );
    assert_eq!(r.text(), unauthorized_body("catalog", "registry", &["*"]));
    let r = get(&server, &format!("/v2/{GUN}/_trust/tuf/root.json"), None);
    assert_eq!(r.status, 401);
    assert_eq!(r.text(), unauthorized_body(GUN, "repository", &["pull"]));
    let r = get(&server, "/v2/", Some(("alice", "badpass-xyz")));
    assert_eq!(r.status, 401);
    let r = get(&server, "/v2/", Some(("mallory", "s3cret-pw")));
    assert_eq!(r.status, 401);

    let r = get(&server, "/v2/", Some(("alice", "s3cret-pw")));
    assert_eq!((r.status, r.text().as_str()), (200, "{}"));
    let r = get(
        &server,
        &format!("/v2/{GUN}/_trust/tuf/root.json"),
        Some(("alice", "s3cret-pw")),
    );
    assert_eq!(r.status, 404);
    // Health and metrics stay open.
    assert_eq!(get(&server, "/_notary_server/health", None).status, 200);
    assert_eq!(get(&server, "/metrics", None).status, 200);

    // The file is re-read when it changes: bob replaces alice.
    let bob = htpasswd_file(&dir, "bob", "other-pw");
    std::fs::copy(&bob.path, &h.path).unwrap();
    assert_eq!(get(&server, "/v2/", Some(("bob", "other-pw"))).status, 200);
    assert_eq!(
        get(&server, "/v2/", Some(("alice", "s3cret-pw"))).status,
        401
    );

    let log = server.log();
    assert!(log.contains("authentication failed"), "{log}");
    assert!(
        !log.contains("s3cret-pw") && !log.contains("badpass-xyz"),
        "{log}"
    );
}

#[test]
fn htpasswd_with_other_hash_kinds_is_refused_at_start() {
    if !require_peers(&["htpasswd"]) {
        return;
    }
    let dir = TestDir::new("auth-htpasswd-md5");
    let good = htpasswd_file(&dir, "alice", "pw");
    let md5 = std::process::Command::new("htpasswd")
        .args(["-mbn", "bob", "pw"])
        .output()
        .unwrap();
    let mut text = std::fs::read(&good.path).unwrap();
    text.extend_from_slice(&md5.stdout);
    let path = dir.write("htpasswd-mixed", text);
    let out = Trustctl::new(&dir, "srv").run(&[
        "server",
        "--addr",
        "127.0.0.1:0",
        "--storage",
        "memory",
        "--auth",
        &format!("htpasswd:{}", path.display()),
    ]);
    out.assert_exit(1).assert_stderr_contains(&format!(
        "htpasswd file {} line 2 (user \"bob\"): MD5 (apr1) hashes are not accepted",
        path.display()
    ));
}

#[test]
fn htpasswd_docker_cli_authenticates_with_config_json_credentials() {
    if !require_peers(&["htpasswd", "docker"]) {
        return;
    }
    let dir = TestDir::new("auth-htpasswd-docker");
    let h = htpasswd_file(&dir, "alice", "s3cret-pw");
    let flag = format!("htpasswd:{}", h.path.display());
    let server = TrustctlServer::start(&dir, &["--auth", &flag]);
    let ca = server.ca().unwrap();

    let docker = DockerCli::for_server(&dir, "dockercfg", &server.url(), &ca);
    docker_login_config(&docker, "example.com", "alice", "s3cret-pw");
    let keys = dir.mkdir("keys");
    let alice_pub = docker.key_generate("alice", &keys);
    docker.signer_add("alice", &alice_pub, &[GUN]);
    let inspect = docker.trust_inspect(&[GUN]);
    inspect.assert_success();
    let json = inspect.json();
    assert_eq!(json[0]["Name"], GUN);
    assert_eq!(json[0]["Signers"][0]["Name"], "alice");

    // Without credentials docker cannot read the (existing) repository.
    let anon = DockerCli::for_server(&dir, "anon", &server.url(), &ca);
    anon.trust_inspect(&[GUN])
        .assert_exit(1)
        .assert_stderr_contains("no signatures or cannot access example.com/auth/app");

    // Wrong password in config.json: refused.
    let bad = DockerCli::for_server(&dir, "badcfg", &server.url(), &ca);
    docker_login_config(&bad, "example.com", "alice", "nope");
    bad.trust_inspect(&[GUN])
        .assert_exit(1)
        .assert_stderr_contains("cannot access example.com/auth/app");
    assert!(!server.log().contains("s3cret-pw"));
}

#[test]
fn htpasswd_notary_client_authenticates() {
    if !require_peers(&["htpasswd", "notary"]) {
        return;
    }
    let dir = TestDir::new("auth-htpasswd-notary");
    let h = htpasswd_file(&dir, "alice", "s3cret-pw");
    let flag = format!("htpasswd:{}", h.path.display());
    let server = TrustctlServer::start(&dir, &["--auth", &flag]);
    let ca = server.ca().unwrap();
    let gun = "example.com/auth/notary";
    let notary = NotaryClient::new(&dir, "n", &server.url(), &ca)
        .env("NOTARY_AUTH", STANDARD.encode("alice:s3cret-pw"));
    notary.init(gun).assert_success();
    notary
        .addhash(gun, "v1", 3, &"ab".repeat(32), &[])
        .assert_success();
    // What notary published is there for an authenticated reader.
    let targets = get(
        &server,
        &format!("/v2/{gun}/_trust/tuf/targets.json"),
        Some(("alice", "s3cret-pw")),
    );
    assert_eq!(targets.status, 200);
    assert!(targets.text().contains("\"v1\""), "{}", targets.text());
    // notary 0.7 sends no credentials for read-only commands (list, lookup): it treats them
    // as anonymous even with NOTARY_AUTH set, so they are refused by a server requiring auth.
    let reader = NotaryClient::new(&dir, "r", &server.url(), &ca)
        .env("NOTARY_AUTH", STANDARD.encode("alice:s3cret-pw"));
    reader
        .run(&["list", gun])
        .assert_exit(1)
        .assert_stdout_contains("no basic auth credentials");
}

// ---- token auth ----------------------------------------------------------------------------

pub const ISSUER: &str = "test-token-issuer";
pub const SERVICE: &str = "trustctl-test";
const TGUN: &str = "example.com/tok/app";

/// A trustctl server with `auth: {type: token, …}` in a notary-server style config file.
pub fn token_server(dir: &TestDir, realm: &str, bundle: &std::path::Path) -> TrustctlServer {
    let config = serde_json::json!({
        "auth": {"type": "token", "options": {
            "realm": realm, "service": SERVICE, "issuer": ISSUER,
            "rootcertbundle": bundle.to_string_lossy(),
        }}
    });
    let path = dir.write("server-token.json", config.to_string());
    TrustctlServer::start(dir, &["--config", &path.to_string_lossy()])
}

fn get_bearer(server: &TrustctlServer, method: &str, path: &str, token: &str) -> HttpResponse {
    let url = format!("{}{path}", server.url());
    let auth = format!("Bearer {token}");
    http_request(
        method,
        &url,
        server.ca().as_deref(),
        None,
        &[("authorization", &auth)],
    )
    .unwrap()
}

fn access(name: &str, actions: &[&str]) -> serde_json::Value {
    serde_json::json!([{"type": "repository", "name": name, "actions": actions}])
}

#[test]
fn token_challenge_and_refusals_on_the_wire() {
    let dir = TestDir::new("auth-token-wire");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    let realm = "https://auth.example.test/token";
    let server = token_server(&dir, realm, &bundle);
    let root = format!("/v2/{TGUN}/_trust/tuf/root.json");

    let r = get(&server, &root, None);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some(format!(
            "Bearer realm=\"{realm}\",service=\"{SERVICE}\",scope=\"repository:{TGUN}:pull\""
        ))
        .as_deref()
    );
    assert_eq!(r.text(), unauthorized_body(TGUN, "repository", &["pull"]));
    let r = get(&server, "/v2/", None);
    assert_eq!(
        r.header("www-authenticate"),
        Some(format!(
            "Bearer realm=\"{realm}\",service=\"{SERVICE}\",scope=\"registry:catalog:*\""
        ))
        .as_deref()
    );
    assert_eq!(get(&server, "/_notary_server/health", None).status, 200);

    // A good pull token reads (404: nothing published yet, but past auth).
    let good = ca.mint(&claims(ISSUER, SERVICE, access(TGUN, &["pull"]), 300));
    assert_eq!(get_bearer(&server, "GET", &root, &good).status, 404);

    // Token for another repository: a valid token lacking the scope is answered as
    // notary-server answers it (token_answers_match_notary_server): 401, and a challenge
    // for the scope with error="insufficient_scope".
    let other = ca.mint(&claims(
        ISSUER,
        SERVICE,
        access("example.com/tok/other", &["pull", "push"]),
        300,
    ));
    let r = get_bearer(&server, "GET", &root, &other);
    assert_eq!(
        (r.status, r.text()),
        (401, unauthorized_body(TGUN, "repository", &["pull"]))
    );
    assert_eq!(
        r.header("www-authenticate"),
        Some(format!(
            "Bearer realm=\"{realm}\",service=\"{SERVICE}\",scope=\"repository:{TGUN}:pull\",error=\"insufficient_scope\""
        ))
        .as_deref()
    );

    // Pull-only token trying to push: 401 with the push,pull records.
    let r = get_bearer(&server, "POST", &format!("/v2/{TGUN}/_trust/tuf/"), &good);
    assert_eq!(
        (r.status, r.text()),
        (
            401,
            unauthorized_body(TGUN, "repository", &["push", "pull"])
        )
    );
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .ends_with(",error=\"insufficient_scope\""));
    let r = get_bearer(
        &server,
        "GET",
        &format!("/v2/{TGUN}/_trust/tuf/timestamp.key"),
        &good,
    );
    assert_eq!(r.status, 401);

    // Expired token: 401 with the challenge.
    let expired = ca.mint(&claims(ISSUER, SERVICE, access(TGUN, &["pull"]), -3600));
    let r = get_bearer(&server, "GET", &root, &expired);
    assert_eq!(
        (r.status, r.text()),
        (401, unauthorized_body(TGUN, "repository", &["pull"]))
    );
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer realm="));

    // Another issuer name, signed by the right CA: 401.
    let wrong_iss = ca.mint(&claims(
        "someone-else",
        SERVICE,
        access(TGUN, &["pull"]),
        300,
    ));
    assert_eq!(get_bearer(&server, "GET", &root, &wrong_iss).status, 401);
    // Right claims, signed by another CA: 401.
    let rogue = TokenCa::new("rogue").mint(&claims(ISSUER, SERVICE, access(TGUN, &["pull"]), 300));
    assert_eq!(get_bearer(&server, "GET", &root, &rogue).status, 401);
    // Another audience: 401. Tampered claims: 401.
    let wrong_aud = ca.mint(&claims(
        ISSUER,
        "other-service",
        access(TGUN, &["pull"]),
        300,
    ));
    assert_eq!(get_bearer(&server, "GET", &root, &wrong_aud).status, 401);
    let mut parts: Vec<String> = other.split('.').map(str::to_string).collect();
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(claims(ISSUER, SERVICE, access(TGUN, &["*"]), 300).to_string());
    assert_eq!(
        get_bearer(&server, "GET", &root, &parts.join(".")).status,
        401
    );

    let log = server.log();
    assert!(log.contains("token refused"), "{log}");
    assert!(
        !log.contains(&good) && !log.contains(&expired),
        "tokens must not be logged"
    );
}

#[test]
fn token_rs256_and_kid_signed_tokens_are_accepted() {
    if !require_peers(&["openssl"]) {
        return;
    }
    let dir = TestDir::new("auth-token-rs256");
    let rsa = TokenCa::new_rsa("rsa");
    let ec = TokenCa::new("ec");
    // A bundle with both CAs.
    let bundle = dir.write("bundle.pem", format!("{}{}", rsa.ca_pem, ec.ca_pem));
    let server = token_server(&dir, "https://auth.example.test/token", &bundle);
    let root = format!("/v2/{TGUN}/_trust/tuf/root.json");
    let c = claims(ISSUER, SERVICE, access(TGUN, &["pull"]), 300);
    for (what, token) in [
        ("RS256 x5c", rsa.mint(&c)),
        ("RS256 kid", rsa.mint_kid(&c)),
        ("ES256 kid", ec.mint_kid(&c)),
    ] {
        assert_eq!(
            get_bearer(&server, "GET", &root, &token).status,
            404,
            "{what}"
        );
    }
    // A kid that names no bundle key, with a valid signature: 401.
    let stranger = TokenCa::new("stranger").mint_kid(&c);
    assert_eq!(get_bearer(&server, "GET", &root, &stranger).status, 401);
}

#[test]
fn token_docker_cli_and_notary_client_get_tokens_and_work() {
    if !require_peers(&["docker", "notary"]) {
        return;
    }
    let dir = TestDir::new("auth-token-clients");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    let issuer = TokenIssuer::start(ca, ISSUER, SERVICE, grant_all());
    let server = token_server(&dir, &issuer.realm(), &bundle);
    let server_ca = server.ca().unwrap();

    let docker = DockerCli::for_server(&dir, "dockercfg", &server.url(), &server_ca);
    docker_login_config(&docker, "example.com", "alice", "any-pw");
    let keys = dir.mkdir("keys");
    let alice_pub = docker.key_generate("alice", &keys);
    docker.signer_add("alice", &alice_pub, &[TGUN]);
    let inspect = docker.trust_inspect(&[TGUN]);
    inspect.assert_success();
    assert_eq!(inspect.json()[0]["Signers"][0]["Name"], "alice");

    let gun = "example.com/tok/notary";
    let notary = NotaryClient::new(&dir, "n", &server.url(), &server_ca)
        .env("NOTARY_AUTH", STANDARD.encode("alice:any-pw"));
    notary.init(gun).assert_success();
    notary
        .addhash(gun, "v1", 3, &"ab".repeat(32), &[])
        .assert_success();
    let reader = NotaryClient::new(&dir, "r", &server.url(), &server_ca);
    assert_eq!(reader.list(gun).len(), 1);
}

#[test]
fn token_pull_only_issuer_lets_docker_read_but_not_write() {
    if !require_peers(&["docker"]) {
        return;
    }
    let dir = TestDir::new("auth-token-pull-only");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    let issuer = TokenIssuer::start(ca, ISSUER, SERVICE, pull_only());
    let server = token_server(&dir, &issuer.realm(), &bundle);
    let server_ca = server.ca().unwrap();
    let docker = DockerCli::for_server(&dir, "dockercfg", &server.url(), &server_ca);
    let keys = dir.mkdir("keys");
    let alice_pub = docker.key_generate("alice", &keys);
    let pubkey = alice_pub.to_string_lossy();
    let out = docker.run(&["trust", "signer", "add", "--key", &pubkey, "alice", TGUN]);
    assert_ne!(out.code(), 0, "{}", out.describe());
    assert!(
        server.log().contains("token lacks the scope"),
        "{}",
        server.log()
    );
}

/// The real notary-server and `trustctl server`, both with token auth against the same
/// certificate bundle, answer the same tokens alike (status, body and challenge) for `/v2/`
/// and a repository's files: valid tokens granting nothing, the catalog, pull, another
/// repository; expired, foreign and malformed tokens.
#[test]
fn token_answers_match_notary_server() {
    if !require_peers(&["notary-server"]) {
        return;
    }
    let dir = TestDir::new("auth-token-vs-notary");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    let realm = "https://auth.example.test/token";
    let ours = token_server(&dir, realm, &bundle);
    let notary = NotaryServer::start_with_token_auth(&dir, realm, SERVICE, ISSUER, &bundle);
    let catalog = serde_json::json!([{"type": "registry", "name": "catalog", "actions": ["*"]}]);
    let pull = access(TGUN, &["pull"]);
    let tokens = [
        (
            "no access",
            ca.mint(&claims(ISSUER, SERVICE, serde_json::json!([]), 300)),
        ),
        (
            "the catalog",
            ca.mint(&claims(ISSUER, SERVICE, catalog, 300)),
        ),
        ("pull", ca.mint(&claims(ISSUER, SERVICE, pull.clone(), 300))),
        (
            "another repository",
            ca.mint(&claims(
                ISSUER,
                SERVICE,
                access("example.com/tok/other", &["*"]),
                300,
            )),
        ),
        (
            "pull, expired",
            ca.mint(&claims(ISSUER, SERVICE, pull.clone(), -3600)),
        ),
        (
            "pull, another CA",
            TokenCa::new("rogue").mint(&claims(ISSUER, SERVICE, pull, 300)),
        ),
        ("pull, malformed", "not.a.token".to_string()),
    ];
    let root = format!("/v2/{TGUN}/_trust/tuf/root.json");
    for (what, token) in tokens {
        for path in ["/v2/", root.as_str()] {
            let bearer = format!("Bearer {token}");
            let theirs = http_request(
                "GET",
                &format!("{}{path}", notary.url()),
                Some(&notary.ca()),
                None,
                &[("authorization", &bearer)],
            )
            .unwrap();
            let mine = get_bearer(&ours, "GET", path, &token);
            let seen = |r: &HttpResponse| {
                let challenge = r.header("www-authenticate").map(str::to_string);
                (r.status, r.text(), challenge)
            };
            assert_eq!(seen(&mine), seen(&theirs), "GET {path}, token: {what}");
        }
    }
}
