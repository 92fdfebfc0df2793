//! `trustctl verify`, `lock` and `--offline` against the real notary-server 0.7, with
//! repositories published by the real notary 0.7 CLI. A minimal notary harness lives here
//! until the peers branch's `util.rs` lands (then these helpers switch to it).
// Test helpers outside #[test] fns: failing loudly is the point.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const GUN: &str = "localhost:5000/wire/img";

/// Skip (or fail under CI) when a peer binary is missing.
pub fn have(bin: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()));
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{bin} is required under CI"
        );
        eprintln!("note: {bin} not installed; skipping");
    }
    found
}

/// A real notary-server (memory storage, local signer) on 127.0.0.1, killed on drop.
pub struct NotaryServer {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl NotaryServer {
    pub fn start() -> NotaryServer {
        let dir = tempfile::tempdir().unwrap();
        // notary-server cannot take port 0; pick a free port, bounded retries on a race.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let cfg = dir.path().join("server.json");
            std::fs::File::create(&cfg)
                .and_then(|mut f| {
                    std::io::Write::write_all(
                        &mut f,
                        format!(
                            r#"{{"server":{{"http_addr":"127.0.0.1:{port}"}},"trust_service":{{"type":"local","hostname":"","port":"","key_algorithm":"ed25519"}},"storage":{{"backend":"memory"}},"logging":{{"level":"error"}}}}"#
                        )
                        .as_bytes(),
                    )
                })
                .unwrap();
            let mut child = Command::new("notary-server")
                .arg("-config")
                .arg(&cfg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start notary-server");
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return NotaryServer {
                        child,
                        url: format!("http://127.0.0.1:{port}"),
                        _dir: dir,
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("notary-server did not start");
    }
}

impl Drop for NotaryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real notary CLI with its own trust dir and test passphrases.
pub struct Notary {
    pub dir: tempfile::TempDir,
    pub server: String,
}

impl Notary {
    pub fn new(server: &str) -> Notary {
        Notary {
            dir: tempfile::tempdir().unwrap(),
            server: server.to_string(),
        }
    }
    pub fn run(&self, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new("notary")
            .arg("-s")
            .arg(&self.server)
            .arg("-d")
            .arg(self.dir.path())
            .args(args)
            .env("NOTARY_ROOT_PASSPHRASE", "rootpass123")
            .env("NOTARY_TARGETS_PASSPHRASE", "targetspass123")
            .env("NOTARY_SNAPSHOT_PASSPHRASE", "snapshotpass123")
            .env("NOTARY_DELEGATION_PASSPHRASE", "delegpass123")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run notary");
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "notary {args:?} failed: {text}");
        text
    }
    pub fn init(&self, gun: &str) {
        self.run(&["init", gun, "-p"], "");
    }
    /// Add `content` as target `tag` and publish; returns its sha256 hex.
    pub fn add(&self, gun: &str, tag: &str, content: &str) -> String {
        let f = self.dir.path().join(format!("payload-{tag}"));
        std::fs::File::create(&f)
            .and_then(|mut h| std::io::Write::write_all(&mut h, content.as_bytes()))
            .unwrap();
        self.run(&["add", gun, tag, f.to_str().unwrap(), "-p"], "");
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(content.as_bytes()))
    }
    pub fn rotate_root(&self, gun: &str) {
        self.run(&["key", "rotate", gun, "root"], "yes\n");
    }
}

/// Output of one trustctl run.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run trustctl with `trust_dir` and `server`.
pub fn trustctl(trust_dir: &Path, server: &str, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_trustctl"))
        .arg("--trust-dir")
        .arg(trust_dir)
        .arg("--server")
        .arg(server)
        .args(args)
        .env_remove("TRUSTCTL_SERVER")
        .output()
        .expect("run trustctl");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A server with one notary-published repo holding `v1`.
pub struct Fixture {
    pub server: NotaryServer,
    pub notary: Notary,
    pub digest_v1: String,
}

pub fn fixture() -> Option<Fixture> {
    if !have("notary-server") || !have("notary") {
        return None;
    }
    let server = NotaryServer::start();
    let notary = Notary::new(&server.url);
    notary.init(GUN);
    let digest_v1 = notary.add(GUN, "v1", "hello v1\n");
    Some(Fixture {
        server,
        notary,
        digest_v1,
    })
}

pub fn img(tag: &str) -> String {
    format!("{GUN}:{tag}")
}

fn root_keys(dir: &Path, url: &str) -> Vec<String> {
    let o = trustctl(dir, url, &["verify", &img("v1"), "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    v["root_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn verify_prints_the_signed_digest_and_exit_codes_follow_the_contract() {
    let Some(f) = fixture() else { return };
    let td = tempfile::tempdir().unwrap();
    let url = &f.server.url;
    let o = trustctl(td.path(), url, &["verify", &img("v1")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, format!("sha256:{}\n", f.digest_v1));
    assert!(o.stderr.contains("on first use"), "{}", o.stderr);
    // Cached now: no TOFU note; --format ref prints the pinned reference.
    let o = trustctl(td.path(), url, &["verify", &img("v1"), "--format", "ref"]);
    assert_eq!(o.code, 0);
    assert_eq!(o.stdout, format!("{GUN}@sha256:{}\n", f.digest_v1));
    assert!(!o.stderr.contains("first use"));
    // Unsigned tag: 3 with docker's text; unknown repository: 3; no tag: 2.
    let o = trustctl(td.path(), url, &["verify", &img("v2")]);
    assert_eq!((o.code, o.stdout.as_str()), (3, ""));
    assert_eq!(o.stderr, "trustctl: No valid trust data for v2\n");
    let o = trustctl(td.path(), url, &["verify", "localhost:5000/wire/nope:v1"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o
        .stderr
        .contains("does not have trust data for localhost:5000/wire/nope"));
    assert_eq!(trustctl(td.path(), url, &["verify", GUN]).code, 2);
    // Unreachable server: 1.
    let o = trustctl(
        tempfile::tempdir().unwrap().path(),
        "http://127.0.0.1:9",
        &["verify", &img("v1")],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
}

#[test]
fn json_report_and_policy_flags() {
    let Some(f) = fixture() else { return };
    let td = tempfile::tempdir().unwrap();
    let url = &f.server.url;
    let o = trustctl(td.path(), url, &["verify", &img("v1"), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["digest"], format!("sha256:{}", f.digest_v1));
    assert_eq!(v["size"], 9);
    assert_eq!(v["role"], "targets");
    assert_eq!(v["signers"], serde_json::json!(["Repo Admin"]));
    assert_eq!(v["repository"], GUN);
    // notary add signs into `targets`: Repo Admin satisfies, alice does not.
    let ok = trustctl(
        td.path(),
        url,
        &["verify", &img("v1"), "--signer", "Repo Admin"],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let o = trustctl(td.path(), url, &["verify", &img("v1"), "--signer", "alice"]);
    assert_eq!(o.code, 4);
    assert!(o.stderr.contains("policy not met"), "{}", o.stderr);
    let o = trustctl(
        td.path(),
        url,
        &[
            "verify",
            &img("v1"),
            "--signer",
            "alice",
            "--signer",
            "Repo Admin",
            "--threshold",
            "1",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = trustctl(
        td.path(),
        url,
        &["verify", &img("v1"), "--signer", "a", "--threshold", "2"],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    // A policy file works the same way.
    let pf = td.path().join("policy.json");
    std::fs::File::create(&pf)
        .and_then(|mut h| {
            std::io::Write::write_all(
                &mut h,
                br#"{"repositories":{"localhost:5000/wire/*":{"signers":["bob"]}}}"#,
            )
        })
        .unwrap();
    let o = trustctl(
        td.path(),
        url,
        &["verify", &img("v1"), "--policy", pf.to_str().unwrap()],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
}

#[test]
fn root_pins_refuse_a_different_root_on_a_fresh_runner() {
    let Some(f) = fixture() else { return };
    let url = &f.server.url;
    let keys = root_keys(tempfile::tempdir().unwrap().path(), url);
    let fresh = tempfile::tempdir().unwrap();
    let wrong = "ab".repeat(32);
    let o = trustctl(
        fresh.path(),
        url,
        &["verify", &img("v1"), "--root-key", &wrong],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("does not match the pinned root keys"),
        "{}",
        o.stderr
    );
    assert!(
        !fresh.path().join("tuf").exists(),
        "a refused root must not be cached"
    );
    let o = trustctl(
        fresh.path(),
        url,
        &["verify", &img("v1"), "--root-key", &keys[0]],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("first use"));
    // notary's trust_pinning format in <trust dir>/config.json.
    for (cfg, code) in [
        (
            format!(r#"{{"trust_pinning":{{"certs":{{"{GUN}":["{wrong}"]}}}}}}"#),
            4,
        ),
        (
            format!(
                r#"{{"trust_pinning":{{"certs":{{"localhost:5000/*":["{}"]}}}}}}"#,
                keys[0]
            ),
            0,
        ),
        (r#"{"trust_pinning":{"disable_tofu":true}}"#.to_string(), 4),
    ] {
        let d = tempfile::tempdir().unwrap();
        std::fs::File::create(d.path().join("config.json"))
            .and_then(|mut h| std::io::Write::write_all(&mut h, cfg.as_bytes()))
            .unwrap();
        let o = trustctl(d.path(), url, &["verify", &img("v1")]);
        assert_eq!(o.code, code, "{cfg}: {}", o.stderr);
    }
}

#[test]
fn root_rotation_is_followed_from_the_cache() {
    let Some(f) = fixture() else { return };
    let td = tempfile::tempdir().unwrap();
    let url = &f.server.url;
    let before = root_keys(td.path(), url);
    f.notary.rotate_root(GUN);
    let after = root_keys(td.path(), url);
    assert_ne!(before, after);
    // A pin on the old key no longer matches the current root.
    let o = trustctl(
        td.path(),
        url,
        &["verify", &img("v1"), "--root-key", &before[0]],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
}

#[test]
fn offline_uses_only_the_cache() {
    let Some(f) = fixture() else { return };
    let td = tempfile::tempdir().unwrap();
    let url = &f.server.url;
    let o = trustctl(td.path(), url, &["verify", &img("v1"), "--offline"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert_eq!(trustctl(td.path(), url, &["verify", &img("v1")]).code, 0);
    let o = trustctl(
        td.path(),
        "http://127.0.0.1:9",
        &["verify", &img("v1"), "--offline"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, format!("sha256:{}\n", f.digest_v1));
}

#[test]
fn trust_lock_add_verify_and_update() {
    let Some(f) = fixture() else { return };
    let td = tempfile::tempdir().unwrap();
    let url = &f.server.url;
    let lock = td.path().join("trust.lock");
    let l = lock.to_str().unwrap();
    let o = trustctl(td.path(), url, &["lock", "add", &img("v1"), "--file", l]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains(&format!("\"digest\": \"sha256:{}\"", f.digest_v1)),
        "{text}"
    );
    assert!(text.contains(&format!("\"server\": \"{url}\"")), "{text}");
    // A fresh runner with only the lock verifies.
    let fresh = tempfile::tempdir().unwrap();
    let o = trustctl(fresh.path(), url, &["verify", &img("v1"), "--lock", l]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The tag moves to a new (validly signed) digest: refused unless --allow-update.
    let d2 = f.notary.add(GUN, "v1", "hello again\n");
    let o = trustctl(fresh.path(), url, &["verify", &img("v1"), "--lock", l]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("differs from the locked digest"),
        "{}",
        o.stderr
    );
    let o = trustctl(
        fresh.path(),
        url,
        &["verify", &img("v1"), "--lock", l, "--allow-update"],
    );
    assert_eq!(
        (o.code, o.stdout.clone()),
        (0, format!("sha256:{d2}\n")),
        "{}",
        o.stderr
    );
    // Not in the lock: policy failure.
    f.notary.add(GUN, "v3", "three\n");
    assert_eq!(
        trustctl(fresh.path(), url, &["verify", &img("v3"), "--lock", l]).code,
        4
    );
    // lock update re-verifies and rewrites.
    let o = trustctl(td.path(), url, &["lock", "update", "--file", l]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(std::fs::read_to_string(&lock).unwrap().contains(&d2));
    assert_eq!(
        trustctl(fresh.path(), url, &["verify", &img("v1"), "--lock", l]).code,
        0
    );
    // A lock pinned to another root is refused on a fresh runner.
    let forged = std::fs::read_to_string(&lock).unwrap();
    let keys = root_keys(td.path(), url);
    let forged = forged.replace(&keys[0], &"cd".repeat(32));
    let lf = td.path().join("forged.lock");
    std::fs::File::create(&lf)
        .and_then(|mut h| std::io::Write::write_all(&mut h, forged.as_bytes()))
        .unwrap();
    let o = trustctl(
        tempfile::tempdir().unwrap().path(),
        url,
        &["verify", &img("v1"), "--lock", lf.to_str().unwrap()],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
}

pub fn path_of(p: &Path) -> PathBuf {
    p.to_path_buf()
}

mod side_by_side {
    //! `trustctl inspect` next to the real `docker trust inspect` (28.2.2) on the same
    //! notary-server and repositories, byte for byte; and the delegation cases (released
    //! tags, revoked signer) that only docker-made repositories have.
    use crate::util::{
        pass, require_peers, DockerCli, NotaryClient, NotaryServer, TestDir, Trustctl,
    };

    const REPO: &str = "localhost:5000/wire/img";

    struct World {
        dir: TestDir,
        server: NotaryServer,
        docker: DockerCli,
        notary: NotaryClient,
        t: Trustctl,
    }

    /// v0 in targets (Repo Admin), v1 alice, v2 alice+bob, v10 bob: the state of the
    /// captured samples, made the same way (docker signer add + notary addhash on docker's
    /// trust dir, as `docker trust sign` writes).
    fn world(name: &str) -> Option<World> {
        if !require_peers(&["notary-server", "notary", "docker"]) {
            return None;
        }
        let dir = TestDir::new(name);
        let server = NotaryServer::start(&dir);
        let docker = DockerCli::for_server(&dir, "docker", &server.url(), &server.ca());
        let keys = dir.mkdir("keys");
        let alice = docker.key_generate("alice", &keys);
        let bob = docker.key_generate("bob", &keys);
        docker.signer_add("alice", &alice, &[REPO]);
        docker.signer_add("bob", &bob, &[REPO]);
        let notary = NotaryClient::with_trust_dir(
            &dir,
            "n",
            &server.url(),
            &server.ca(),
            &docker.trust_dir(),
        )
        .env("NOTARY_TARGETS_PASSPHRASE", pass::DOCKER_REPOSITORY)
        .env("NOTARY_DELEGATION_PASSPHRASE", pass::DOCKER_REPOSITORY)
        .env("NOTARY_ROOT_PASSPHRASE", pass::DOCKER_ROOT);
        let c5 = "c512d672400a70f985a0b560012538262a2d5803ecde325dcf0162d3616cddeb";
        let d1 = format!("{}1", "0".repeat(63));
        let d2 = format!("{}2", "0".repeat(63));
        notary.addhash(REPO, "v0", 262, c5, &[]);
        notary.addhash(REPO, "v1", 262, c5, &["targets/releases", "targets/alice"]);
        notary.addhash(
            REPO,
            "v2",
            10,
            &d1,
            &["targets/releases", "targets/alice", "targets/bob"],
        );
        notary.addhash(REPO, "v10", 10, &d2, &["targets/releases", "targets/bob"]);
        let t = Trustctl::new(&dir, "t").server(&server.url(), Some(&server.ca()));
        Some(World {
            dir,
            server,
            docker,
            notary,
            t,
        })
    }

    fn same(w: &World, args: &[&str]) {
        let d = w.docker.trust_inspect(args);
        let mut targs = vec!["inspect"];
        targs.extend(args);
        let o = w.t.run(&targs);
        assert_eq!(
            o.stdout,
            d.stdout,
            "inspect {args:?}\ntrustctl: {}\ndocker: {}",
            o.describe(),
            d.describe()
        );
        assert_eq!(o.code(), 0, "{}", o.describe());
    }

    #[test]
    fn inspect_is_byte_identical_to_docker() {
        let Some(w) = world("inspect-side-by-side") else {
            return;
        };
        for args in [
            vec![REPO],
            vec!["--pretty", REPO],
            vec!["localhost:5000/wire/img:v1"],
            vec!["--pretty", "localhost:5000/wire/img:v2"],
            vec!["localhost:5000/wire/img:nosuch"],
            vec!["--pretty", "localhost:5000/wire/img:nosuch"],
            vec![REPO, "localhost:5000/wire/img:v10"],
            vec!["--pretty", REPO, "localhost:5000/wire/img:v10"],
        ] {
            same(&w, &args);
        }
        // Missing repository: docker's stdout and stderr line, our exit code 3.
        let d = w.docker.trust_inspect(&["localhost:5000/wire/none"]);
        let o = w.t.run(&["inspect", "localhost:5000/wire/none"]);
        assert_eq!(
            (o.stdout.as_str(), o.code()),
            (d.stdout.as_str(), 3),
            "{}",
            o.describe()
        );
        assert!(o
            .stderr
            .contains("no signatures or cannot access localhost:5000/wire/none"));
        let _ = (&w.dir, &w.server);
    }

    #[test]
    fn verify_follows_docker_release_rules_and_signers() {
        let Some(w) = world("verify-docker-rules") else {
            return;
        };
        let o =
            w.t.run(&["verify", "localhost:5000/wire/img:v2", "--format", "json"]);
        assert_eq!(o.code(), 0, "{}", o.describe());
        let v = o.json();
        assert_eq!(v["role"], "targets/releases");
        assert_eq!(v["signers"], serde_json::json!(["alice", "bob"]));
        assert_eq!(v["digest"], format!("sha256:{}1", "0".repeat(63)));
        // v0 lives only in targets: Repo Admin.
        let o = w.t.run(&[
            "verify",
            "localhost:5000/wire/img:v0",
            "--signer",
            "Repo Admin",
        ]);
        assert_eq!(o.code(), 0, "{}", o.describe());
        // Policy: bob did not sign v1.
        let o = w.t.run(&[
            "verify",
            "localhost:5000/wire/img:v1",
            "--signer",
            "alice",
            "--signer",
            "bob",
        ]);
        assert_eq!(o.code(), 4, "{}", o.describe());
        let o = w.t.run(&[
            "verify",
            "localhost:5000/wire/img:v1",
            "--signer",
            "alice",
            "--signer",
            "bob",
            "--threshold",
            "1",
        ]);
        assert_eq!(o.code(), 0, "{}", o.describe());
        // A tag signed only into a non-release role is not released: exit 3.
        w.notary
            .addhash(REPO, "only-alice", 5, &"ab".repeat(32), &["targets/alice"]);
        let o = w.t.run(&["verify", "localhost:5000/wire/img:only-alice"]);
        assert_eq!(o.code(), 3, "{}", o.describe());
        assert_eq!(o.stderr, "trustctl: No valid trust data for only-alice\n");
    }

    #[test]
    fn revoked_signer_role_removed_is_not_signed_exit_3() {
        let Some(w) = world("verify-revoked-role") else {
            return;
        };
        assert_eq!(
            w.t.run(&["verify", "localhost:5000/wire/img:v10"]).code(),
            0
        );
        // Drop targets/releases entirely: v10 remains only in bob's own role, which is not
        // a release role, so it is not signed (docker: "No valid trust data").
        let out = w
            .notary
            .run(&["delegation", "remove", REPO, "targets/releases", "-p", "-y"]);
        assert_eq!(out.code(), 0, "{}", out.describe());
        let o = w.t.run(&["verify", "localhost:5000/wire/img:v10"]);
        assert_eq!(o.code(), 3, "{}", o.describe());
        assert_eq!(o.stderr, "trustctl: No valid trust data for v10\n");
        // v0 in targets is still valid.
        assert_eq!(w.t.run(&["verify", "localhost:5000/wire/img:v0"]).code(), 0);
    }

    #[test]
    fn revoked_signer_keys_removed_is_verification_failure_exit_4() {
        let Some(w) = world("verify-revoked-keys") else {
            return;
        };
        let ids: Vec<String> = w.t.run(&["inspect", REPO]).json()[0]["Signers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Keys"][0]["ID"].as_str().unwrap().to_string())
            .collect();
        // Revoke every signer key from targets/releases, keeping the role: the file's
        // signatures no longer meet its threshold, the role is skipped with a warning, and a
        // tag only it released fails verification.
        let mut args = vec!["delegation", "remove", REPO, "targets/releases"];
        args.extend(ids.iter().map(String::as_str));
        args.push("-p");
        let out = w.notary.run(&args);
        assert_eq!(out.code(), 0, "{}", out.describe());
        let o = w.t.run(&["verify", "localhost:5000/wire/img:v10"]);
        assert_eq!(o.code(), 4, "{}", o.describe());
        assert!(o.stderr.contains("No valid trust data for v10: targets/releases of localhost:5000/wire/img could not be verified"), "{}", o.describe());
        assert!(o.stderr.contains("warning"), "{}", o.describe());
        // inspect still matches docker (which skips the role with a warning too).
        same(&w, &[REPO]);
    }

    /// Delegation signing outside its paths, made live with the real notary: while
    /// `targets/releases` may sign any name it signs `v1` and `x1`; then its parent narrows
    /// its paths to `v` (notary rewrites only targets.json, so the delegation still lists
    /// `x1`). notary list shows only `v1`; trustctl verifies `v1` and refuses `x1` with exit
    /// 3 ("No valid trust data") and a warning naming the role and its paths.
    #[test]
    fn delegation_signing_outside_its_paths_is_not_signed() {
        if !require_peers(&["notary-server", "notary", "openssl"]) {
            return;
        }
        let dir = TestDir::new("verify-outside-paths");
        let server = NotaryServer::start(&dir);
        let notary = NotaryClient::for_server(&dir, "n", &server);
        let gun = "localhost:5000/wire/paths";
        notary.init(gun);
        let key = dir.join("alice.key");
        let cert = dir.join("alice.crt");
        let made = std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "30"])
            .args(["-subj", "/CN=alice", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(made.status.success(), "{made:?}");
        notary.delegation_add(gun, "targets/releases", &[&cert], &[]);
        notary
            .run(&[
                "key".as_ref(),
                "import".as_ref(),
                key.as_os_str(),
                "--role".as_ref(),
                "targets/releases".as_ref(),
            ])
            .assert_success();
        let payload = dir.write("payload.txt", "signed\n");
        notary.add(gun, "v1", &payload, &["targets/releases"]);
        notary.add(gun, "x1", &payload, &["targets/releases"]);
        notary
            .run(&[
                "delegation",
                "remove",
                gun,
                "targets/releases",
                "--all-paths",
                "-p",
            ])
            .assert_success();
        notary.delegation_add(gun, "targets/releases", &[], &["v"]);
        let listed: Vec<String> = notary.list(gun).into_iter().map(|t| t.name).collect();
        assert_eq!(listed, vec!["v1"]);

        let t = Trustctl::new(&dir, "t").server(&server.url(), Some(&server.ca()));
        t.run(&["verify", &format!("{gun}:v1")]).assert_success();
        let out = t.run(&["verify", &format!("{gun}:x1")]);
        out.assert_exit(3)
            .assert_stderr_contains("No valid trust data for x1")
            .assert_stderr_contains("targets/releases outside its delegated paths [\"v\"]: x1");
        assert_eq!(out.stdout, "");
    }
}

mod pull {
    //! `trustctl pull` against the real docker-registry (images pushed with skopeo) and the
    //! real notary-server, trust data published with the real notary CLI.
    use crate::util::{require_peers, NotaryClient, NotaryServer, Registry, TestDir, Trustctl};

    #[test]
    fn pull_checks_the_registry_digest_against_the_trusted_one() {
        if !require_peers(&["notary-server", "notary", "docker-registry", "skopeo"]) {
            return;
        }
        let dir = TestDir::new("pull-registry");
        let server = NotaryServer::start(&dir);
        let registry = Registry::start(&dir, None);
        let a = registry.push_image(&dir, "wire/app", "v1", "seed-a");
        let b = registry.push_image(&dir, "wire/app", "v2", "seed-b");
        let gun = format!("{}/wire/app", registry.host_port());
        let notary = NotaryClient::for_server(&dir, "n", &server);
        notary.init(&gun);
        let hex = |d: &str| d.trim_start_matches("sha256:").to_string();
        notary.addhash(&gun, "v1", a.size, &hex(&a.digest), &[]);
        // v2 is signed with v1's digest: the registry serves something else for v2.
        notary.addhash(&gun, "v2", a.size, &hex(&a.digest), &[]);
        let t = Trustctl::new(&dir, "t").server(&server.url(), Some(&server.ca()));
        let o = t.run(&["pull", &format!("{gun}:v1")]);
        assert_eq!(o.code(), 0, "{}", o.describe());
        assert!(
            o.stdout.ends_with(&format!("{gun}@{}\n", a.digest)),
            "{}",
            o.describe()
        );
        let o = t.run(&["pull", &format!("{gun}:v2")]);
        assert_eq!(o.code(), 4, "{}", o.describe());
        assert!(
            o.stderr.contains(&format!(
                "registry serves {} for {gun}:v2, but the trusted digest is {}",
                b.digest, a.digest
            )),
            "{}",
            o.describe()
        );
        // Policy failures stop the pull before the registry is asked.
        let o = t.run(&["pull", &format!("{gun}:v1"), "--signer", "alice"]);
        assert_eq!(o.code(), 4, "{}", o.describe());
        assert_eq!(o.stdout, "");
        // Unsigned tag: 3.
        assert_eq!(t.run(&["pull", &format!("{gun}:v3")]).code(), 3);
    }
}
