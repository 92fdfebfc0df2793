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
