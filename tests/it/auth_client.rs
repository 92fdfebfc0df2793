//! trustctl as an authenticating client: the real `docker-registry` behind htpasswd (images
//! pushed with the real `skopeo`), `trustctl server --auth htpasswd:…` with htpasswd files from
//! the real `htpasswd`, token auth through the test issuer, credentials from docker's
//! config.json, from a credential helper on PATH (speaking docker's helper protocol), from
//! `TRUSTCTL_USERNAME`/`TRUSTCTL_PASSWORD`, and `trustctl login`/`logout`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::auth_server::{token_server, ISSUER, SERVICE};
use crate::token_issuer::{claims, grant_all, writable_while, TokenCa, TokenIssuer};
use crate::util::{
    htpasswd_file, require_peers, run_command, set_mode, write_file, CmdOutput, DockerCli,
    NotaryServer, Registry, TestDir, TokenAuth, Trustctl, TrustctlServer, DEFAULT_CMD_TIMEOUT,
};

const PASSWORD: &str = "s3cret-Pw-9f2";

/// A docker credential helper (`docker-credential-testhelper`) keeping its records in a JSON
/// file and logging each call (`action key`, never the secret).
struct Helper {
    bin: PathBuf,
    store: PathBuf,
    log: PathBuf,
}

impl Helper {
    fn install(dir: &TestDir) -> Helper {
        let bin = dir.mkdir("helper-bin");
        let store = dir.join("helper-store.json");
        let log = dir.join("helper-calls.log");
        let script = format!(
            r#"#!/usr/bin/env python3
import json, os, sys
store, log = {store:?}, {log:?}
action = sys.argv[1]
data = json.load(open(store)) if os.path.exists(store) else {{}}
raw = sys.stdin.read()
key = json.loads(raw)["ServerURL"] if action == "store" else raw.strip()
open(log, "a").write(action + " " + key + "\n")
if action == "store":
    r = json.loads(raw)
    data[key] = {{"Username": r["Username"], "Secret": r["Secret"]}}
elif action == "erase" and os.environ.get("HELPER_ERASE_FAILS"):
    # As docker-credential-pass answers an erase it cannot do: an error of its own.
    print("exit status 1: Error: cannot remove " + key); sys.exit(1)
elif action in ("get", "erase"):
    if key not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    if action == "get":
        print(json.dumps({{"ServerURL": key, **data[key]}}))
    else:
        del data[key]
else:
    print("unknown action"); sys.exit(2)
json.dump(data, open(store, "w"))
"#,
            store = store.to_string_lossy(),
            log = log.to_string_lossy(),
        );
        let path = bin.join("docker-credential-testhelper");
        write_file(&path, script.as_bytes());
        set_mode(&path, 0o755);
        Helper { bin, store, log }
    }

    /// A trustctl (`name`) for `server` whose docker config (`dockercfg` under `dir`) names
    /// this helper as its store, and that docker config directory.
    fn client(&self, dir: &TestDir, name: &str, server: &TrustctlServer) -> (Trustctl, PathBuf) {
        let docker_dir = dir.mkdir("dockercfg");
        write_file(
            &docker_dir.join("config.json"),
            br#"{"credsStore":"testhelper"}"#,
        );
        let t = Trustctl::new(dir, name)
            .server(&server.url(), Some(&server.ca().unwrap()))
            .env("DOCKER_CONFIG", &docker_dir)
            .env("PATH", self.path_env());
        (t, docker_dir)
    }

    /// `PATH` with the helper first.
    fn path_env(&self) -> String {
        format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    fn records(&self) -> serde_json::Value {
        match std::fs::read(&self.store) {
            Ok(b) => serde_json::from_slice(&b).unwrap(),
            Err(_) => serde_json::json!({}),
        }
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A real `pass` password store for the real `docker-credential-pass`: a GnuPG home with a
/// key made for the test (no passphrase) and a store initialised for it. Its gpg-agent is
/// stopped when the store is dropped.
struct PassStore {
    gnupg: PathBuf,
    store: PathBuf,
}

impl PassStore {
    fn init(dir: &TestDir) -> PassStore {
        let gnupg = dir.mkdir("gnupg");
        set_mode(&gnupg, 0o700);
        let store = PassStore {
            gnupg,
            store: dir.join("password-store"),
        };
        let uid = "trustctl test <test@trustctl.invalid>";
        store
            .run(
                "gpg",
                &[
                    "--batch",
                    "--pinentry-mode",
                    "loopback",
                    "--passphrase",
                    "",
                    "--quick-gen-key",
                    uid,
                    "future-default",
                    "default",
                    "never",
                ],
                None,
            )
            .assert_success();
        store.run("pass", &["init", uid], None).assert_success();
        store
    }

    /// The variables `pass` (and through it the helper) needs.
    fn env(&self) -> [(&'static str, &Path); 2] {
        [
            ("GNUPGHOME", self.gnupg.as_path()),
            ("PASSWORD_STORE_DIR", self.store.as_path()),
        ]
    }

    /// A docker CLI and a trustctl (`name`) for the trust server at `url`, sharing docker's
    /// config directory and this store.
    fn clients(&self, dir: &TestDir, name: &str, url: &str, ca: &Path) -> (DockerCli, Trustctl) {
        let mut docker = DockerCli::for_server(dir, "dockercfg", url, ca);
        let mut t = Trustctl::new(dir, name)
            .server(url, Some(ca))
            .env("DOCKER_CONFIG", docker.config_dir());
        for (k, v) in self.env() {
            docker = docker.env(k, v);
            t = t.env(k, v);
        }
        (docker, t)
    }

    fn run(&self, program: &str, args: &[&str], stdin: Option<&[u8]>) -> CmdOutput {
        let mut cmd = std::process::Command::new(program);
        cmd.args(args).envs(self.env());
        run_command(&mut cmd, stdin, std::time::Duration::from_secs(60))
    }

    /// `docker-credential-pass list`: server key -> user name, read from the store's names.
    fn list(&self) -> serde_json::Value {
        let out = self.run("docker-credential-pass", &["list"], None);
        out.assert_success();
        out.json()
    }
}

impl Drop for PassStore {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", &self.gnupg)
            .status();
    }
}

/// Logged in: trustctl signs and verifies `GUN:v1` with the stored login, and the docker CLI
/// reads the same login and sees the tag.
fn sign_verify_and_docker_inspect(t: &Trustctl, docker: &DockerCli, gun: &str) {
    let image = format!("{gun}:v1");
    t.sign(&image, &digest_arg(), 3).assert_success();
    let v = t.run(&["verify", &image]);
    v.assert_success();
    assert_eq!(v.stdout.trim(), digest_arg());
    let inspect = docker.trust_inspect(&[gun]);
    inspect.assert_success();
    assert_eq!(inspect.json()[0]["SignedTags"][0]["SignedTag"], "v1");
}

/// Logout erases the login of `key` (`stored` is empty after), the server asks for
/// authentication again, and a second logout finds nothing to erase.
fn logout_twice(t: &Trustctl, key: &str, gun: &str, stored: impl Fn() -> serde_json::Value) {
    t.run(&["logout", key])
        .assert_success()
        .assert_stdout_contains(&format!("Removing login credentials for {key}"));
    assert_eq!(stored(), serde_json::json!({}));
    t.run(&["verify", &format!("{gun}:v1")])
        .assert_exit(1)
        .assert_stderr_contains("requires authentication");
    t.run(&["logout", key])
        .assert_success()
        .assert_stdout_contains(&format!("Not logged in to {key}"));
}

/// Docker's config.json with `auths` as `docker login` writes it without a helper.
fn docker_config_auths(dir: &Path, host: &str, user: &str, password: &str) {
    let auth = STANDARD.encode(format!("{user}:{password}"));
    let config = serde_json::json!({ "auths": { host: { "auth": auth } } });
    write_file(&dir.join("config.json"), config.to_string().as_bytes());
}

/// Every file under `root` whose bytes contain `needle`.
fn files_containing(root: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p)
                .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
            {
                hits.push(p);
            }
        }
    }
    hits
}

fn digest_arg() -> String {
    format!("sha256:{}", "ab".repeat(32))
}

#[test]
fn sign_without_digest_resolves_through_an_htpasswd_registry_and_pull_checks_it() {
    if !require_peers(&["docker-registry", "skopeo", "htpasswd"]) {
        return;
    }
    let dir = TestDir::new("authc-registry");
    let h = htpasswd_file(&dir, "reguser", PASSWORD);
    let registry = Registry::start_tls(&dir, Some(&h));
    let pushed = registry.push_image(&dir, "team/app", "v1", "first");
    let server = TrustctlServer::start(&dir, &[]);
    let image = format!("{}/team/app:v1", registry.host_port());

    // CAs per host: the trust server's in the trust dir, the registry's in docker's certs.d.
    let docker_dir = dir.mkdir("docker-config");
    let t = Trustctl::new(&dir, "signer")
        .env("TRUSTCTL_SERVER", server.url())
        .env("DOCKER_CONFIG", &docker_dir);
    let ca = server.ca().unwrap();
    let tls_dir = dir.mkdir(t.trust_dir().join("tls").join(server.host_port()));
    std::fs::copy(&ca, tls_dir.join("ca.crt")).unwrap();
    let certs_d = dir.mkdir(docker_dir.join("certs.d").join(registry.host_port()));
    std::fs::copy(registry.ca().unwrap(), certs_d.join("ca.crt")).unwrap();

    // No credentials: the registry's challenge cannot be answered.
    t.run(&["sign", &image])
        .assert_exit(1)
        .assert_stderr_contains(&format!("{} requires authentication", registry.host_port()));
    // --size alone is a usage error.
    t.run(&["sign", &image, "--size", "3"]).assert_exit(2);

    // With docker's plaintext auths entry, sign asks the registry for digest and size.
    docker_config_auths(&docker_dir, &registry.host_port(), "reguser", PASSWORD);
    let out = t.run(&["sign", &image, "--json"]);
    out.assert_success();
    let report = out.json();
    assert_eq!(report[0]["digest"], pushed.digest.as_str());
    assert_eq!(report[0]["size"], pushed.size);

    let v = t.run(&["verify", &image]);
    v.assert_success();
    assert_eq!(v.stdout.trim(), pushed.digest);

    // pull: the registry serves the trusted manifest.
    let p = t.run(&["pull", &image]);
    p.assert_success();
    assert_eq!(
        p.stdout.trim(),
        format!("{}/team/app@{}", registry.host_port(), pushed.digest)
    );

    // The tag is moved in the registry: pull refuses (verification failure, exit 4).
    let moved = registry.push_image(&dir, "team/app", "v1", "second");
    assert_ne!(moved.digest, pushed.digest);
    t.run(&["pull", &image])
        .assert_exit(4)
        .assert_stderr_contains(&moved.digest);

    // A tag the registry does not have: one line naming it, exit 1.
    t.run(&["sign", &format!("{}/team/app:nope", registry.host_port())])
        .assert_exit(1)
        .assert_stderr_contains("not found in the registry");
}

#[test]
fn token_auth_registry_answers_sign_and_pull_with_bearer_tokens() {
    if !require_peers(&["docker-registry", "skopeo"]) {
        return;
    }
    let dir = TestDir::new("authc-registry-token");
    let service = "registry-test";
    let ca = TokenCa::new("registry");
    let bundle = ca.write_bundle(&dir, "registry-token-ca.pem");
    let access = serde_json::json!([
        {"type": "repository", "name": "team/app", "actions": ["pull", "push"]}
    ]);
    let harness_token = ca.mint(&claims(ISSUER, service, access, 3600));
    let issuer =
        TokenIssuer::start_with_login(ca, ISSUER, service, grant_all(), ("dave", PASSWORD));
    let registry = Registry::start_token(
        &dir,
        &TokenAuth {
            realm: issuer.realm(),
            service: service.into(),
            issuer: ISSUER.into(),
            rootcertbundle: bundle,
            harness_token,
            login: Some(("dave".into(), PASSWORD.into())),
        },
    );
    let pushed = registry.push_image(&dir, "team/app", "v1", "token");
    let server = TrustctlServer::start(&dir, &[]);
    let image = format!("{}/team/app:v1", registry.host_port());
    let t = Trustctl::new(&dir, "dave")
        .server(&server.url(), server.ca().as_deref())
        .env("DOCKER_CONFIG", dir.mkdir("docker-dave"));

    // The realm refuses anonymous token requests.
    t.run(&["sign", &image])
        .assert_exit(1)
        .assert_stderr_contains(&format!("{} requires authentication", registry.host_port()));

    let t = t
        .env("TRUSTCTL_USERNAME", "dave")
        .env("TRUSTCTL_PASSWORD", PASSWORD);
    let out = t.run(&["sign", &image, "--json"]);
    out.assert_success();
    assert_eq!(out.json()[0]["digest"], pushed.digest.as_str());
    assert_eq!(out.json()[0]["size"], pushed.size);
    t.run(&["pull", &image])
        .assert_success()
        .assert_stdout_contains(&pushed.digest);
    assert!(!registry.log().contains(PASSWORD));
}

#[test]
fn htpasswd_server_login_through_a_credential_helper_then_sign_verify_and_docker() {
    if !require_peers(&["htpasswd", "docker", "python3"]) {
        return;
    }
    let dir = TestDir::new("authc-login-helper");
    let h = htpasswd_file(&dir, "alice", PASSWORD);
    let flag = format!("htpasswd:{}", h.path.display());
    let server = TrustctlServer::start(&dir, &["--auth", &flag]);
    let ca = server.ca().unwrap();
    let helper = Helper::install(&dir);
    // docker's config names the helper, as `docker login` with credsStore would use it.
    let docker =
        DockerCli::for_server(&dir, "dockercfg", &server.url(), &ca).env("PATH", helper.path_env());
    write_file(
        &docker.config_dir().join("config.json"),
        br#"{"credsStore":"testhelper"}"#,
    );
    let t = Trustctl::new(&dir, "alice")
        .server(&server.url(), Some(&ca))
        .env("DOCKER_CONFIG", docker.config_dir())
        .env("PATH", helper.path_env());
    // The registry host serves the trust data too, so docker's login for the image's registry
    // is the trust server's.
    let gun = format!("{}/authc/app", server.host_port());
    let image = format!("{gun}:v1");

    // Anonymous: the server's 401 is reported with what to do.
    t.run(&["verify", &image])
        .assert_exit(1)
        .assert_stderr_contains(&format!(
            "{} requires authentication: run `trustctl login {}`",
            server.host_port(),
            server.host_port()
        ));

    // A wrong password is refused and nothing is stored.
    t.run_stdin(
        &[
            "login",
            &server.host_port(),
            "-u",
            "alice",
            "--password-stdin",
        ],
        b"wrong-password\n",
    )
    .assert_exit(1)
    .assert_stderr_contains("rejected");
    assert_eq!(helper.records(), serde_json::json!({}));

    // Login stores through the helper (trustctl writes no secret itself).
    let login = t.run_stdin(
        &["login", &server.url(), "-u", "alice", "--password-stdin"],
        format!("{PASSWORD}\n").as_bytes(),
    );
    login
        .assert_success()
        .assert_stdout_contains("Login Succeeded");
    let key = server.host_port();
    assert_eq!(
        helper.records()[&key],
        serde_json::json!({"Username": "alice", "Secret": PASSWORD})
    );
    assert!(helper.calls().contains(&format!("store {key}")));

    sign_verify_and_docker_inspect(&t, &docker, &gun);
    assert!(helper.calls().contains(&format!("get {key}")));

    // No file trustctl or docker wrote holds the password; the server never logged it.
    for root in [t.trust_dir(), docker.config_dir()] {
        assert_eq!(files_containing(root, PASSWORD), Vec::<PathBuf>::new());
    }
    assert!(!server.log().contains(PASSWORD));

    // Logout erases through the helper; the server is closed again.
    logout_twice(&t, &key, &gun, || helper.records());
}

#[test]
fn the_real_pass_helper_keeps_the_login_for_trustctl_and_docker() {
    // Real helpers differ from the protocol's happy path: docker-credential-pass answers `get`
    // for an unknown server with an empty record and exit 0, and `erase` with its own error.
    if !require_peers(&[
        "htpasswd",
        "docker",
        "docker-credential-pass",
        "pass",
        "gpg",
        "gpgconf",
    ]) {
        return;
    }
    let dir = TestDir::new("authc-pass");
    let h = htpasswd_file(&dir, "alice", PASSWORD);
    let flag = format!("htpasswd:{}", h.path.display());
    let server = TrustctlServer::start(&dir, &["--auth", &flag]);
    let ca = server.ca().unwrap();
    let store = PassStore::init(&dir);
    let (docker, t) = store.clients(&dir, "alice", &server.url(), &ca);
    write_file(
        &docker.config_dir().join("config.json"),
        br#"{"credsStore":"pass"}"#,
    );
    let key = server.host_port();
    let gun = format!("{key}/authc/pass");
    let image = format!("{gun}:v1");

    // Nothing stored yet: the helper's empty answer means anonymous, and logout says so.
    t.run(&["verify", &image])
        .assert_exit(1)
        .assert_stderr_contains("requires authentication");
    t.run(&["logout", &key])
        .assert_success()
        .assert_stdout_contains(&format!("Not logged in to {key}"));

    t.run_stdin(
        &["login", &key, "-u", "alice", "--password-stdin"],
        format!("{PASSWORD}\n").as_bytes(),
    )
    .assert_success()
    .assert_stdout_contains("Login Succeeded");
    assert_eq!(store.list(), serde_json::json!({ key.as_str(): "alice" }));
    // The store holds it encrypted: no file under it, docker's or trustctl's has the password.
    for root in [store.store.as_path(), t.trust_dir(), docker.config_dir()] {
        assert_eq!(files_containing(root, PASSWORD), Vec::<PathBuf>::new());
    }

    sign_verify_and_docker_inspect(&t, &docker, &gun);
    logout_twice(&t, &key, &gun, || store.list());

    // The real `docker login` (client side: there is no daemon) stores through the same
    // helper, and trustctl uses that login; `docker logout` takes it away again.
    docker
        .run_stdin(
            &["login", &key, "-u", "alice", "--password-stdin"],
            format!("{PASSWORD}\n").as_bytes(),
        )
        .assert_success()
        .assert_stdout_contains("Login Succeeded");
    assert_eq!(store.list(), serde_json::json!({ key.as_str(): "alice" }));
    let image = format!("{gun}:v1");
    t.run(&["verify", &image]).assert_success();
    docker.run(&["logout", &key]).assert_success();
    assert_eq!(store.list(), serde_json::json!({}));
    t.run(&["verify", &image])
        .assert_exit(1)
        .assert_stderr_contains("requires authentication");
}

#[test]
fn logout_reports_a_failed_erase_only_when_the_helper_still_holds_the_login() {
    if !require_peers(&["htpasswd", "python3", "docker"]) {
        return;
    }
    let dir = TestDir::new("authc-logout-fails");
    let h = htpasswd_file(&dir, "alice", PASSWORD);
    let flag = format!("htpasswd:{}", h.path.display());
    let server = TrustctlServer::start(&dir, &["--auth", &flag]);
    let helper = Helper::install(&dir);
    let (t, docker_dir) = helper.client(&dir, "alice", &server);
    let key = server.host_port();
    let failing = t.clone().env("HELPER_ERASE_FAILS", "1");

    // Nothing stored: the helper's own error on erase means "not logged in".
    failing
        .run(&["logout", &key])
        .assert_success()
        .assert_stdout_contains(&format!("Not logged in to {key}"));

    // Stored, and the erase fails: that is the error, and the login is still there.
    t.run_stdin(
        &["login", &key, "-u", "alice", "--password-stdin"],
        format!("{PASSWORD}\n").as_bytes(),
    )
    .assert_success();
    failing
        .run(&["logout", &key])
        .assert_exit(1)
        .assert_stderr_contains(&format!(
            "docker-credential-testhelper erase: exit status 1: Error: cannot remove {key}"
        ));
    assert_eq!(helper.records()[&key]["Username"], "alice");

    // The real `docker logout` on the same store only ever erases (trustctl erases first, as
    // docker does), and says nothing when that fails: exit 0, the login left in place.
    let before = helper.calls().lines().count();
    let mut docker_logout = std::process::Command::new("docker");
    docker_logout
        .args(["logout", &key])
        .env("DOCKER_CONFIG", &docker_dir)
        .env("PATH", helper.path_env())
        .env("HELPER_ERASE_FAILS", "1");
    run_command(&mut docker_logout, None, DEFAULT_CMD_TIMEOUT).assert_success();
    let calls: Vec<String> = helper
        .calls()
        .lines()
        .skip(before)
        .map(str::to_string)
        .collect();
    assert!(
        !calls.is_empty() && calls.iter().all(|c| c.starts_with("erase ")),
        "{calls:?}"
    );
    assert_eq!(helper.records()[&key]["Username"], "alice");

    // Every store is tried even when one fails: a plaintext entry is erased all the same.
    t.clone()
        .env("DOCKER_CONFIG", dir.mkdir("no-helper"))
        .run_stdin(
            &[
                "login",
                &key,
                "-u",
                "alice",
                "--password-stdin",
                "--insecure-store",
            ],
            format!("{PASSWORD}\n").as_bytes(),
        )
        .assert_success();
    let plaintext = t.trust_dir().join("credentials.json");
    assert_eq!(
        files_containing(t.trust_dir(), PASSWORD).len(),
        0,
        "base64 only"
    );
    assert!(std::fs::read_to_string(&plaintext).unwrap().contains(&key));
    failing.run(&["logout", &key]).assert_exit(1);
    assert!(!std::fs::read_to_string(&plaintext).unwrap().contains(&key));

    t.run(&["logout", &key])
        .assert_success()
        .assert_stdout_contains(&format!("Removing login credentials for {key}"));
}

#[test]
fn login_refuses_plaintext_unless_insecure_store_and_env_credentials_work() {
    if !require_peers(&["htpasswd"]) {
        return;
    }
    let dir = TestDir::new("authc-login-plain");
    let h = htpasswd_file(&dir, "bob", PASSWORD);
    let flag = format!("htpasswd:{}", h.path.display());
    let server = TrustctlServer::start(&dir, &["--auth", &flag]);
    let ca = server.ca().unwrap();
    let t = Trustctl::new(&dir, "bob")
        .server(&server.url(), Some(&ca))
        .env("DOCKER_CONFIG", dir.mkdir("empty-docker"));
    let key = server.host_port();
    let gun = "example.com/authc/plain";
    let plaintext = t.trust_dir().join("credentials.json");

    // No helper configured anywhere: refused, with the way out named; nothing written.
    t.run_stdin(
        &["login", &key, "-u", "bob", "--password-stdin"],
        PASSWORD.as_bytes(),
    )
    .assert_exit(1)
    .assert_stderr_contains("credsStore")
    .assert_stderr_contains("--insecure-store");
    assert!(!plaintext.exists());

    // Explicitly accepted plaintext: 0600, warned about, and used.
    t.run_stdin(
        &[
            "login",
            &key,
            "-u",
            "bob",
            "--password-stdin",
            "--insecure-store",
        ],
        PASSWORD.as_bytes(),
    )
    .assert_success()
    .assert_stderr_contains("WARNING");
    assert_eq!(crate::util::mode_of(&plaintext), 0o600);
    // Authenticated, the server answers that the repository has no trust data (exit 3).
    t.run(&["verify", &format!("{gun}:v1")])
        .assert_exit(3)
        .assert_stderr_contains("does not have trust data");
    t.run(&["logout", &key]).assert_success();
    t.run(&["verify", &format!("{gun}:v1")]).assert_exit(1);

    // CI: credentials from the environment, no login at all.
    let ci = t
        .clone()
        .env("TRUSTCTL_USERNAME", "bob")
        .env("TRUSTCTL_PASSWORD", PASSWORD);
    ci.sign(&format!("{gun}:v1"), &digest_arg(), 3)
        .assert_success();
    ci.run(&["verify", &format!("{gun}:v1")]).assert_success();
    let wrong = t
        .env("TRUSTCTL_USERNAME", "bob")
        .env("TRUSTCTL_PASSWORD", "not-it");
    wrong
        .run(&["verify", &format!("{gun}:v1")])
        .assert_exit(1)
        .assert_stderr_contains(
            "rejected the credentials from TRUSTCTL_USERNAME/TRUSTCTL_PASSWORD",
        );
}

#[test]
fn token_server_trustctl_fetches_tokens_with_its_login() {
    let dir = TestDir::new("authc-token");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    let issuer =
        TokenIssuer::start_with_login(ca, ISSUER, SERVICE, grant_all(), ("carol", PASSWORD));
    let server = token_server(&dir, &issuer.realm(), &bundle);
    let ca = server.ca().unwrap();
    let gun = "example.com/authc/tok";
    let image = format!("{gun}:v1");
    let t = Trustctl::new(&dir, "carol")
        .server(&server.url(), Some(&ca))
        .env("DOCKER_CONFIG", dir.mkdir("docker-carol"));

    // The token service refuses anonymous requests.
    t.run(&["verify", &image])
        .assert_exit(1)
        .assert_stderr_contains("requires authentication");

    // Docker-style credentials for the registry (example.com) serve the trust server too.
    docker_config_auths(&dir.join("docker-carol"), "example.com", "carol", PASSWORD);
    t.sign(&image, &digest_arg(), 3).assert_success();
    // One verify run reads several files of the repository with one cached pull token.
    let before = issuer.requests();
    let v = t.run(&["verify", &image]);
    v.assert_success();
    assert_eq!(v.stdout.trim(), digest_arg());
    assert_eq!(
        issuer.requests() - before,
        1,
        "token requests of one verify"
    );

    // Wrong password at the token service: rejected.
    docker_config_auths(&dir.join("docker-carol"), "example.com", "carol", "nope");
    t.run(&["verify", &image])
        .assert_exit(1)
        .assert_stderr_contains("rejected the credentials");
}

#[test]
fn identity_tokens_are_exchanged_at_the_token_service_as_docker_does() {
    // A registry whose token service hands out an identity (refresh) token on login: the real
    // `docker login` keeps that instead of the password (Azure's `az acr login` writes one
    // too). It is exchanged by OAuth2 POST for access tokens, by the real docker CLI and by
    // trustctl alike.
    if !require_peers(&[
        "docker",
        "docker-registry",
        "docker-credential-pass",
        "pass",
        "gpg",
        "gpgconf",
    ]) {
        return;
    }
    const REFRESH: &str = "rt-5f0c2a9e/identity+token=";
    let dir = TestDir::new("authc-idtoken");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    let harness_token = ca.mint(&claims(ISSUER, SERVICE, serde_json::json!([]), 3600));
    let issuer = TokenIssuer::start_with_identity_token(
        ca,
        ISSUER,
        SERVICE,
        grant_all(),
        ("dave", PASSWORD),
        REFRESH,
    );
    // A registry and its trust server behind one token service, as hosted registries run.
    let registry = Registry::start_token(
        &dir,
        &TokenAuth {
            realm: issuer.realm(),
            service: SERVICE.into(),
            issuer: ISSUER.into(),
            rootcertbundle: bundle.clone(),
            harness_token,
            login: Some(("dave".into(), PASSWORD.into())),
        },
    );
    let server = token_server(&dir, &issuer.realm(), &bundle);
    let store = PassStore::init(&dir);
    let (docker, t) = store.clients(&dir, "dave", &server.url(), &server.ca().unwrap());
    let key = registry.host_port();
    let gun = format!("{key}/authc/idtok");
    let config = docker.config_dir().join("config.json");

    // 1. The real `docker login` to the registry (client side: there is no daemon). With pass
    //    installed it is docker's default store, and the record holds the identity token as
    //    user `<token>`; the password is kept nowhere. Both tools use the registry's login
    //    for its trust server.
    docker
        .run_stdin(
            &["login", &key, "-u", "dave", "--password-stdin"],
            format!("{PASSWORD}\n").as_bytes(),
        )
        .assert_success()
        .assert_stdout_contains("Login Succeeded");
    assert_eq!(store.list(), serde_json::json!({ key.as_str(): "<token>" }));
    for root in [store.store.as_path(), docker.config_dir()] {
        assert_eq!(files_containing(root, PASSWORD), Vec::<PathBuf>::new());
    }
    sign_verify_and_docker_inspect(&t, &docker, &gun);
    let posts = issuer.posts();
    let clients: std::collections::BTreeSet<&str> =
        posts.iter().map(|f| f["client_id"].as_str()).collect();
    assert_eq!(clients, ["docker", "trustctl"].into(), "{posts:?}");
    for form in &posts {
        assert_eq!(form["grant_type"], "refresh_token", "{form:?}");
        assert_eq!(form["service"], SERVICE, "{form:?}");
        assert!(
            form["scope"].starts_with(&format!("repository:{gun}:")),
            "{form:?}"
        );
    }

    // 2. The same token in a plaintext entry, as `docker login` writes one without a helper
    //    (`auth` keeps the user name, the password dropped).
    let plaintext = |token: &str| {
        let entry = serde_json::json!({"auth": STANDARD.encode("dave:"), "identitytoken": token});
        let cfg = serde_json::json!({ "auths": { key.as_str(): entry } });
        write_file(&config, cfg.to_string().as_bytes());
    };
    plaintext(REFRESH);
    let before = issuer.posts().len();
    let v = t.run(&["verify", &format!("{gun}:v1")]);
    v.assert_success();
    assert_eq!(v.stdout.trim(), digest_arg());
    assert!(issuer.posts().len() > before);

    // 3. A token the service no longer honours is a refusal naming where it came from.
    plaintext("rt-revoked");
    t.run(&["verify", &format!("{gun}:v1")])
        .assert_exit(1)
        .assert_stderr_contains(&format!(
            "rejected the credentials from plaintext file {}",
            config.display()
        ));

    // 4. `trustctl login` asks for offline access as `docker login` does, and keeps the
    //    identity token in the helper, not the password; docker reads it from there.
    write_file(&config, br#"{"credsStore":"pass"}"#);
    store
        .run("docker-credential-pass", &["erase"], Some(key.as_bytes()))
        .assert_success();
    t.run_stdin(
        &["login", &key, "-u", "dave", "--password-stdin"],
        format!("{PASSWORD}\n").as_bytes(),
    )
    .assert_success()
    .assert_stdout_contains("Login Succeeded");
    assert_eq!(store.list(), serde_json::json!({ key.as_str(): "<token>" }));
    for root in [store.store.as_path(), docker.config_dir(), t.trust_dir()] {
        assert_eq!(files_containing(root, PASSWORD), Vec::<PathBuf>::new());
    }
    let before = issuer.posts().len();
    t.run(&["verify", &format!("{gun}:v1")]).assert_success();
    docker.trust_inspect(&[&gun]).assert_success();
    let clients: Vec<String> = issuer.posts()[before..]
        .iter()
        .map(|f| f["client_id"].clone())
        .collect();
    assert!(
        clients.contains(&"trustctl".to_string()) && clients.contains(&"docker".to_string()),
        "{clients:?}"
    );
}

#[test]
fn the_real_notary_server_behind_a_token_service_takes_trustctl_logins() {
    // notary-server's own challenges (401, and insufficient_scope for a grant without push)
    // answered by trustctl: it signs and verifies with a login, and a pull-only grant is
    // reported as such.
    if !require_peers(&["notary-server"]) {
        return;
    }
    let dir = TestDir::new("authc-notary-token");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    let writable = Arc::new(AtomicBool::new(true));
    let issuer = TokenIssuer::start_with_login(
        ca,
        ISSUER,
        SERVICE,
        writable_while(writable.clone()),
        ("erin", PASSWORD),
    );
    let notary =
        NotaryServer::start_with_token_auth(&dir, &issuer.realm(), SERVICE, ISSUER, &bundle);
    let gun = "example.com/authc/notary";
    let image = format!("{gun}:v1");
    let t = Trustctl::new(&dir, "erin").server(&notary.url(), Some(&notary.ca()));
    t.sign(&image, &digest_arg(), 3)
        .assert_exit(1)
        .assert_stderr_contains("requires authentication");
    let t = t
        .env("TRUSTCTL_USERNAME", "erin")
        .env("TRUSTCTL_PASSWORD", PASSWORD);
    t.sign(&image, &digest_arg(), 3).assert_success();
    let v = t.run(&["verify", &image]);
    v.assert_success();
    assert_eq!(v.stdout.trim(), digest_arg());

    writable.store(false, Ordering::SeqCst);
    t.run(&["verify", &image]).assert_success();
    // (notary-server names the two actions in either order.)
    let refused = t.sign(&format!("{gun}:v2"), &digest_arg(), 3);
    refused.assert_exit(1).assert_stderr_contains(&format!(
        "refused access: the token service did not grant repository:{gun}:"
    ));
    assert!(refused.stderr.contains("push"), "{}", refused.stderr);
    t.run(&["verify", &format!("{gun}:v2")]).assert_exit(3);
}

#[test]
fn login_to_a_token_auth_trust_server_that_grants_no_catalog() {
    // Token services grant `registry:catalog:*` (what a trust server's `/v2/` asks for, as
    // notary-server's does) to admins only; a user's login is still good for the
    // repositories it may access.
    if !require_peers(&["python3"]) {
        return;
    }
    let dir = TestDir::new("authc-token-login");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    let issuer =
        TokenIssuer::start_with_login(ca, ISSUER, SERVICE, repositories_only(), ("fay", PASSWORD));
    let server = token_server(&dir, &issuer.realm(), &bundle);
    let helper = Helper::install(&dir);
    let (t, docker_dir) = helper.client(&dir, "fay", &server);
    let key = server.host_port();
    let login = |password: &str| {
        t.run_stdin(
            &["login", &key, "-u", "fay", "--password-stdin"],
            format!("{password}\n").as_bytes(),
        )
    };
    login("not-the-password")
        .assert_exit(1)
        .assert_stderr_contains("rejected");
    assert_eq!(helper.records(), serde_json::json!({}));
    login(PASSWORD)
        .assert_success()
        .assert_stdout_contains("Login Succeeded");
    assert_eq!(helper.records()[&key]["Username"], "fay");
    let image = format!("{key}/authc/login:v1");
    t.sign(&image, &digest_arg(), 3).assert_success();
    t.run(&["verify", &image]).assert_success();

    // A token service that answers anyone (a wrong password included) proves nothing: the
    // login is refused rather than a password stored unchecked.
    let open_dir = TestDir::new("authc-token-login-open");
    let open_ca = TokenCa::new("open");
    let open_bundle = open_ca.write_bundle(&open_dir, "token-ca.pem");
    let open = TokenIssuer::start(open_ca, ISSUER, SERVICE, repositories_only());
    let open_server = token_server(&open_dir, &open.realm(), &open_bundle);
    let open_key = open_server.host_port();
    Trustctl::new(&open_dir, "fay")
        .server(&open_server.url(), Some(&open_server.ca().unwrap()))
        .env("DOCKER_CONFIG", &docker_dir)
        .env("PATH", helper.path_env())
        .run_stdin(
            &["login", &open_key, "-u", "fay", "--password-stdin"],
            b"any-password\n",
        )
        .assert_exit(1)
        .assert_stderr_contains("the credentials could not be checked");
    assert!(helper.records().get(&open_key).is_none());
}

/// Grants what is asked of repositories, nothing else (no `registry:catalog:*`).
fn repositories_only() -> Box<crate::token_issuer::Policy> {
    Box::new(|kind, _, wanted| match kind {
        "repository" => wanted.to_vec(),
        _ => Vec::new(),
    })
}

#[test]
fn token_server_pull_only_grant_reads_but_cannot_publish() {
    let dir = TestDir::new("authc-token-pull");
    let ca = TokenCa::new("good");
    let bundle = ca.write_bundle(&dir, "token-ca.pem");
    // Grants everything until `writable` is cleared, then only pull.
    let writable = Arc::new(AtomicBool::new(true));
    let issuer = TokenIssuer::start(ca, ISSUER, SERVICE, writable_while(writable.clone()));
    let server = token_server(&dir, &issuer.realm(), &bundle);
    let gun = "example.com/authc/ro";
    let image = format!("{gun}:v1");
    let t = Trustctl::new(&dir, "writer").server(&server.url(), server.ca().as_deref());
    t.sign(&image, &digest_arg(), 3).assert_success();

    writable.store(false, Ordering::SeqCst);
    t.run(&["verify", &image]).assert_success();
    let out = t.sign(&format!("{gun}:v2"), &digest_arg(), 3);
    // notary-server's answer to a valid token without the scope: 401, insufficient_scope.
    out.assert_exit(1).assert_stderr_contains(&format!(
        "{} refused access: the token service did not grant repository:{gun}:push,pull",
        server.host_port()
    ));
    // Nothing was published: v2 is not signed.
    t.run(&["verify", &format!("{gun}:v2")]).assert_exit(3);
}
