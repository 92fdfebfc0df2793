//! Attack tests: a tampering proxy (`tamper.rs`) between trustctl and the real notary-server
//! mutates genuine responses by named case. Each attack must be refused with a precise
//! one-line message and exit code 4 (1 for an unreachable/failed transport, 3 for a tag that
//! is not validly signed), and must not poison the cache: the next honest update succeeds.
//! Freeze (expired timestamp) needs a clock and is covered at library level
//! (`client::trusted` walk tests).
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use crate::tamper::{Case, TamperProxy};
use crate::verify::{fixture, img, trustctl, Fixture, Out, GUN};

struct Setup {
    f: Fixture,
    proxy: TamperProxy,
    dir: tempfile::TempDir,
}

fn setup() -> Option<Setup> {
    let f = fixture()?;
    let proxy = TamperProxy::start(&f.server.url);
    Some(Setup {
        f,
        proxy,
        dir: tempfile::tempdir().unwrap(),
    })
}

impl Setup {
    fn verify(&self, tag: &str) -> Out {
        trustctl(self.dir.path(), &self.proxy.url, &["verify", &img(tag)])
    }
    fn cached(&self, role: &str) -> Option<Vec<u8>> {
        std::fs::read(self.cache_dir().join(format!("{role}.json"))).ok()
    }
    fn cache_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("tuf").join(GUN).join("metadata")
    }
    fn cache_files(&self) -> Vec<Option<Vec<u8>>> {
        ["root", "timestamp", "snapshot", "targets"]
            .iter()
            .map(|r| self.cached(r))
            .collect()
    }
    /// Refused with exit `code` and a stderr line containing `needle`; cache untouched; the
    /// honest server then verifies again.
    fn refused(&self, case: Case, tag: &str, code: i32, needle: &str) {
        let before = self.cache_files();
        self.proxy.set(case);
        let o = self.verify(tag);
        assert_eq!(o.code, code, "stderr: {}", o.stderr);
        assert_eq!(o.stdout, "");
        assert_eq!(
            o.stderr.lines().filter(|l| !l.contains("warning")).count(),
            1,
            "{}",
            o.stderr
        );
        assert!(
            o.stderr.contains(needle),
            "expected {needle:?} in {}",
            o.stderr
        );
        assert_eq!(
            self.cache_files(),
            before,
            "a refused update must not touch the cache"
        );
        self.proxy.set(Case::Honest);
        let o = self.verify(tag);
        assert_eq!(o.code, 0, "honest update after the attack: {}", o.stderr);
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn rollback_replay_of_an_older_timestamp() {
    let Some(s) = setup() else { return };
    assert_eq!(s.verify("v1").code, 0);
    let old_ts = s.cached("timestamp").unwrap();
    s.f.notary.add(GUN, "v2", "two\n");
    assert_eq!(s.verify("v2").code, 0);
    s.refused(
        Case::Replace {
            file: "timestamp.json".into(),
            body: old_ts,
        },
        "v2",
        4,
        "rollback of timestamp",
    );
}

#[test]
fn rollback_replay_of_a_whole_older_state() {
    let Some(s) = setup() else { return };
    assert_eq!(s.verify("v1").code, 0);
    let old: Vec<(String, Vec<u8>)> = ["timestamp", "snapshot", "targets"]
        .iter()
        .map(|r| (format!("{r}.json"), s.cached(r).unwrap()))
        .collect();
    s.f.notary.add(GUN, "v2", "two\n");
    assert_eq!(s.verify("v2").code, 0);
    s.refused(Case::ReplaceAll(old), "v1", 4, "rollback of timestamp");
}

#[test]
fn mix_and_match_old_targets_under_the_new_hash() {
    let Some(s) = setup() else { return };
    assert_eq!(s.verify("v1").code, 0);
    let old_targets = s.cached("targets").unwrap();
    s.f.notary.add(GUN, "v2", "two\n");
    s.refused(
        Case::Replace {
            file: "targets.json".into(),
            body: old_targets,
        },
        "v2",
        4,
        "targets of localhost:5000/wire/img does not match snapshot",
    );
}

#[test]
fn arbitrary_target_digest_without_a_signature() {
    let Some(s) = setup() else { return };
    s.refused(
        Case::Mutate {
            file: "targets.json".into(),
            f: |v| {
                v["signed"]["targets"]["v1"]["hashes"]["sha256"] =
                    serde_json::json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
            },
        },
        "v1",
        4,
        "does not match snapshot",
    );
    assert!(
        s.cached("root").is_some(),
        "the honest update cached the chain"
    );
}

#[test]
fn timestamp_without_valid_signatures() {
    let Some(s) = setup() else { return };
    assert_eq!(s.verify("v1").code, 0);
    s.refused(
        Case::Mutate {
            file: "timestamp.json".into(),
            f: |v| v["signatures"] = serde_json::json!([]),
        },
        "v1",
        4,
        "timestamp of localhost:5000/wire/img: no signatures",
    );
    s.refused(
        Case::Mutate {
            file: "timestamp.json".into(),
            f: |v| {
                let n = v["signed"]["version"].as_u64().unwrap();
                v["signed"]["version"] = serde_json::json!(n + 10);
            },
        },
        "v1",
        4,
        "valid signatures did not meet threshold",
    );
}

#[test]
fn oversized_and_malformed_files() {
    let Some(s) = setup() else { return };
    assert_eq!(s.verify("v1").code, 0);
    s.f.notary.add(GUN, "v2", "two\n");
    s.refused(
        Case::Pad {
            file: "snapshot.json".into(),
            extra: 64,
        },
        "v2",
        4,
        "snapshot of localhost:5000/wire/img is larger than its limit",
    );
    s.refused(
        Case::Pad {
            file: "timestamp.json".into(),
            extra: 2 << 20,
        },
        "v1",
        4,
        "timestamp of localhost:5000/wire/img is larger than its limit of 1048576 bytes",
    );
    s.refused(
        Case::Malformed {
            file: "timestamp.json".into(),
        },
        "v1",
        4,
        "timestamp of localhost:5000/wire/img is malformed",
    );
}

#[test]
fn transport_failures_are_errors_not_nothing_newer() {
    let Some(s) = setup() else { return };
    assert_eq!(s.verify("v1").code, 0);
    // After a rotation the snapshot lists a root other than the cached one, so newer roots
    // are looked for (notary's order); that lookup (2.root.json) failing must not read as
    // "no newer root".
    s.f.notary.rotate_root(GUN);
    s.refused(
        Case::Unavailable {
            file: "root.json".into(),
        },
        "v1",
        1,
        "2.root.json",
    );
    s.refused(
        Case::Unavailable {
            file: "timestamp.json".into(),
        },
        "v1",
        1,
        "HTTP 503",
    );
}

#[test]
fn bad_rotation_not_signed_by_the_old_root() {
    let Some(s) = setup() else { return };
    assert_eq!(s.verify("v1").code, 0);
    s.f.notary.rotate_root(GUN);
    // Keep only the signatures of the new root's own keys.
    s.refused(
        Case::Mutate {
            file: "root.json".into(),
            f: |v| {
                let ids = v["signed"]["roles"]["root"]["keyids"].clone();
                let kept: Vec<serde_json::Value> = v["signatures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|s| ids.as_array().unwrap().contains(&s["keyid"]))
                    .cloned()
                    .collect();
                v["signatures"] = serde_json::Value::Array(kept);
            },
        },
        "v1",
        4,
        "root rotation of localhost:5000/wire/img from version 1 to 2 rejected",
    );
}

#[test]
fn root_swap_on_a_pinned_or_cached_repository() {
    let Some(s) = setup() else { return };
    // Another repository on the same server, with its own root.
    let other = "localhost:5000/wire/other";
    s.f.notary.init(other);
    s.f.notary.add(other, "v1", "other\n");
    let o = trustctl(
        s.dir.path(),
        &s.proxy.url,
        &["verify", &format!("{other}:v1")],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let other_root = read(
        &s.dir
            .path()
            .join("tuf")
            .join(other)
            .join("metadata/root.json"),
    );
    // Fresh runner pinned to the genuine root: the swapped root is refused.
    let o = trustctl(
        tempfile::tempdir().unwrap().path(),
        &s.f.server.url,
        &["verify", &img("v1"), "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let key = v["root_keys"][0].as_str().unwrap().to_string();
    s.proxy.set(Case::Replace {
        file: "root.json".into(),
        body: other_root.clone(),
    });
    let fresh = tempfile::tempdir().unwrap();
    let o = trustctl(
        fresh.path(),
        &s.proxy.url,
        &["verify", &img("v1"), "--root-key", &key],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("root of localhost:5000/wire/img"),
        "{}",
        o.stderr
    );
    assert!(!fresh.path().join("tuf").exists());
    // With a cached root, once a rotation makes the client look for the next version: the
    // swapped file offered as that version is refused.
    s.proxy.set(Case::Honest);
    assert_eq!(s.verify("v1").code, 0);
    s.f.notary.rotate_root(GUN);
    s.refused(
        Case::Replace {
            file: "root.json".into(),
            body: other_root,
        },
        "v1",
        4,
        "server returned root version 1 for localhost:5000/wire/img where version 2 was requested",
    );
}

/// Freeze from a live server: `trustctl server` whose clock runs 20 days behind hands out a
/// timestamp that expired 6 days ago (notary's 14-day lifetime). The real binary refuses it
/// with exit 4 naming the role and both times, keeps its cache, and verifies again once the
/// server's clock is right (the server then re-signs the expired timestamp on read).
#[test]
fn freeze_by_a_live_server_is_refused_and_recovers() {
    let app = crate::server::App::new("attacks-freeze");
    let url = crate::util::serve_router(app.router.clone());
    let dir = tempfile::tempdir().unwrap();
    let image = "localhost:5000/freeze/app";
    let sign = |tag: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_trustctl"))
            .args([
                "--trust-dir",
                dir.path().to_str().unwrap(),
                "--server",
                &url,
            ])
            .args(["sign", &format!("{image}:{tag}"), "--digest"])
            .arg(format!("sha256:{}", "ab".repeat(32)))
            .args(["--size", "10"])
            .env("TRUSTCTL_ROOT_PASSPHRASE", "freeze-root-pass")
            .env("TRUSTCTL_REPOSITORY_PASSPHRASE", "freeze-repo-pass")
            .env_remove("TRUSTCTL_SERVER")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let verify = || trustctl(dir.path(), &url, &["verify", &format!("{image}:v1")]);
    sign("v1");
    assert_eq!(verify().code, 0);
    let cache = dir.path().join("tuf").join(image).join("metadata");
    let cached_ts = std::fs::read(cache.join("timestamp.json")).unwrap();

    // The server's clock goes 20 days back; the next publish gets a timestamp signed then.
    app.clock.advance(chrono::Duration::days(-20));
    sign("v2");
    let o = verify();
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("timestamp") && o.stderr.contains("expired"),
        "{}",
        o.stderr
    );
    assert_eq!(
        std::fs::read(cache.join("timestamp.json")).unwrap(),
        cached_ts,
        "a refused update must not touch the cache"
    );

    app.clock.advance(chrono::Duration::days(20));
    let o = trustctl(dir.path(), &url, &["verify", &format!("{image}:v2")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

/// Against the real notary-server: a cold walk asks for the current snapshot and targets by
/// name together with the timestamp and uses them (nothing is fetched again by hash), and a
/// warm walk of an unchanged repository makes one request, the timestamp (notary's order).
#[test]
fn cold_walk_uses_the_servers_current_files_and_a_warm_one_asks_once() {
    let Some(s) = setup() else { return };
    s.proxy.take_log();
    assert_eq!(s.verify("v1").code, 0);
    let cold = s.proxy.take_log();
    let tuf = format!("GET /v2/{GUN}/_trust/tuf/");
    let names: Vec<&str> = cold.iter().filter_map(|l| l.strip_prefix(&tuf)).collect();
    assert_eq!(names.len(), cold.len(), "{cold:?}");
    for current in ["timestamp.json", "snapshot.json", "targets.json"] {
        assert!(names.contains(&current), "{cold:?}");
    }
    let by_hash = |n: &&str| {
        (n.starts_with("snapshot.") || n.starts_with("targets.")) && n.matches('.').count() > 1
    };
    assert!(!names.iter().any(by_hash), "{cold:?}");
    assert_eq!(s.verify("v1").code, 0);
    assert_eq!(s.proxy.take_log(), vec![format!("{tuf}timestamp.json")]);
}
