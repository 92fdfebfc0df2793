//! Library-level tests of the update walk over the real docker-repo sample set (made by
//! notary-server 0.7 + docker 28.2.2), served from memory with named mutations. Time is fixed
//! (samples were made 2026-11-22; their timestamp expires 2026-12-06).

use std::collections::BTreeMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::cached::version_of;
use super::listed::OVERLAP_MIN;
use super::*;
use crate::client::pinning::{Bootstrap, Pinning};
use crate::client::released;
use crate::tuf::KeyId;

const GUN: &str = "localhost:5000/wire/sample2";
const ROOT_KEY: &str = "0a757f9e"; // prefix only, checked via root_key_ids()

fn sample(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/fixtures/samples/metadata/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(p).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// An in-memory server: file name -> bytes, with a request log and a limit check.
struct Mem {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    fail: Mutex<Option<(String, FetchError)>>,
    /// A file whose request never completes.
    hang: Mutex<Option<String>>,
    log: Mutex<Vec<String>>,
}

impl Mem {
    fn docker_repo() -> Mem {
        let m = Mem {
            files: Mutex::new(BTreeMap::new()),
            fail: Mutex::new(None),
            hang: Mutex::new(None),
            log: Mutex::new(Vec::new()),
        };
        m.put_current("root", sample("docker-repo.root.json"));
        m.put("1.root.json", sample("docker-repo.root.json"));
        m.put("timestamp.json", sample("docker-repo.timestamp.json"));
        for (role, f) in [
            ("snapshot", "docker-repo.snapshot.json"),
            ("targets", "docker-repo.targets.json"),
            ("targets/releases", "docker-repo.targets_releases.json"),
            ("targets/alice", "docker-repo.targets_alice.json"),
        ] {
            m.put_current(role, sample(f));
        }
        m
    }
    fn put(&self, name: &str, b: Vec<u8>) {
        self.files.lock().unwrap().insert(name.into(), b);
    }
    /// Serve under `role.json` and `role.<sha256>.json` (the hash of the genuine bytes).
    fn put_current(&self, role: &str, b: Vec<u8>) {
        self.put(
            &format!("{role}.{}.json", hex::encode(Sha256::digest(&b))),
            b.clone(),
        );
        self.put(&format!("{role}.json"), b);
    }
    /// Replace what is served for `role` by hash (keeping the URL the genuine parent names)
    /// and by name, as a tampering server would.
    fn swap(&self, role: &str, genuine: &[u8], served: Vec<u8>) {
        self.put(
            &format!("{role}.{}.json", hex::encode(Sha256::digest(genuine))),
            served.clone(),
        );
        self.put(&format!("{role}.json"), served);
    }
    fn fail(&self, name: &str, e: FetchError) {
        *self.fail.lock().unwrap() = Some((name.into(), e));
    }
    fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

impl MetadataSource for Mem {
    async fn fetch(&self, _: &Gun, file: &RemoteFile, limit: u64) -> Result<Vec<u8>, FetchError> {
        let name = file.file_name();
        self.log.lock().unwrap().push(name.clone());
        if let Some((n, e)) = self.fail.lock().unwrap().clone() {
            if n == name {
                return Err(e);
            }
        }
        if self.hang.lock().unwrap().as_deref() == Some(name.as_str()) {
            std::future::pending::<()>().await;
        }
        match self.files.lock().unwrap().get(&name) {
            Some(b) if b.len() as u64 > limit => Err(FetchError::TooLarge),
            Some(b) => Ok(b.clone()),
            None => Err(FetchError::NotFound),
        }
    }
    fn server(&self) -> String {
        "mem".into()
    }
}

struct Env {
    _dir: tempfile::TempDir,
    cache: MetadataCache,
    gun: Gun,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let gun = Gun::new(GUN).unwrap();
    let cache = MetadataCache::new(dir.path(), &gun);
    Env {
        _dir: dir,
        cache,
        gun,
    }
}

/// The current-thread runtime a client command runs on.
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// A verifier's options (`expect_changes` false) at NOW.
fn verifier(pinning: &Pinning) -> UpdateOptions<'_> {
    UpdateOptions {
        pinning,
        now: at(NOW),
        expect_changes: false,
    }
}

/// A verifier's update of `gun` polled once, at NOW with no pin: `None` while it waits for
/// an answer (a file `src` hangs on).
fn update_once(
    src: &Mem,
    cache: &MetadataCache,
    gun: &Gun,
) -> Option<Result<TrustedRepo, TrustError>> {
    let p = Pinning::default();
    let opts = verifier(&p);
    rt().block_on(async { futures_util::FutureExt::now_or_never(update(src, cache, gun, &opts)) })
}

fn run(src: &Mem, e: &Env, pinning: &Pinning, now: &str) -> Result<TrustedRepo, TrustError> {
    run_as(src, e, pinning, now, false)
}

/// [`run`] as a verifier (`expect_changes` false) or a publisher (true) runs it.
fn run_as(
    src: &Mem,
    e: &Env,
    pinning: &Pinning,
    now: &str,
    expect_changes: bool,
) -> Result<TrustedRepo, TrustError> {
    let opts = UpdateOptions {
        pinning,
        now: at(now),
        expect_changes,
    };
    rt().block_on(update(src, &e.cache, &e.gun, &opts))
}

const NOW: &str = "2026-11-22T12:00:00Z";

fn cache_snapshot(e: &Env) -> Vec<Option<Vec<u8>>> {
    [
        "root",
        "timestamp",
        "snapshot",
        "targets",
        "targets/releases",
        "targets/alice",
    ]
    .iter()
    .map(|r| e.cache.read(&RoleName::new(*r).unwrap()).unwrap())
    .collect()
}

#[test]
fn cold_then_warm_update_matches_docker_view() {
    let src = Mem::docker_repo();
    let e = env();
    let repo = run(&src, &e, &Pinning::default(), NOW).unwrap();
    assert_eq!(repo.bootstrap(), Some(&Bootstrap::Tofu));
    assert!(repo.root_key_ids()[0].as_str().starts_with(ROOT_KEY));
    assert_eq!(
        repo.targets_key_ids()[0].as_str(),
        "427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9"
    );
    let roles = repo.role_targets();
    let (role, t) = released::released_target(&roles, "1.0").unwrap();
    assert_eq!(role.as_str(), "targets/releases");
    assert_eq!(
        t.sha256_hex,
        "c512d672400a70f985a0b560012538262a2d5803ecde325dcf0162d3616cddeb"
    );
    assert_eq!(
        released::signers_of(&roles, "1.0", &t.sha256_hex),
        vec!["alice"]
    );
    assert!(repo.warnings().is_empty());
    // One tag's view is every role's view narrowed to that tag (absent tags: empty maps).
    for tag in ["1.0", "nope"] {
        let mut narrowed = repo.role_targets();
        for r in &mut narrowed {
            r.targets.retain(|name, _| name == tag);
        }
        assert_eq!(repo.role_targets_for(tag), narrowed);
    }
    // Cold: the timestamp with the current snapshot and targets by name (nothing cached: they
    // are needed anyway) asked for beside the root and its rotation probe, all at once; then
    // the delegations by hash. The probe's answer serves the walk: it is not asked again.
    let cold = src.take_log();
    assert_eq!(
        cold[..5],
        [
            "timestamp.json",
            "snapshot.json",
            "targets.json",
            "2.root.json",
            "root.json"
        ]
    );
    assert_eq!(cold.len(), 7, "{cold:?}");
    // Warm: only the timestamp; the cached root verifies the chain and is the one the
    // snapshot lists, so there is no probe for a newer root (notary's order).
    let repo2 = run(&src, &e, &Pinning::default(), NOW).unwrap();
    assert_eq!(repo2.bootstrap(), None);
    assert_eq!(src.take_log(), vec!["timestamp.json"]);
}

#[test]
fn an_early_copy_is_used_only_when_the_parent_lists_it() {
    let src = Mem::docker_repo();
    let e = env();
    // The server's current snapshot moved on (or lies): the timestamp names the genuine one,
    // which is then fetched by hash.
    src.put("snapshot.json", sample("docker-repo.targets.json"));
    run(&src, &e, &Pinning::default(), NOW).unwrap();
    let log = src.take_log();
    let snap = format!(
        "snapshot.{}.json",
        hex::encode(Sha256::digest(sample("docker-repo.snapshot.json")))
    );
    assert!(log.contains(&"snapshot.json".to_string()), "{log:?}");
    assert!(log.contains(&snap), "{log:?}");
    assert!(
        !log.iter()
            .any(|f| f.starts_with("targets.") && f != "targets.json"),
        "{log:?}"
    );
    assert_eq!(
        e.cache.read(&RoleName::snapshot()).unwrap(),
        Some(sample("docker-repo.snapshot.json"))
    );
    // An early answer over its cap (or any failed one) is dropped: the file comes by hash.
    let e2 = env();
    src.fail("targets.json", FetchError::TooLarge);
    run(&src, &e2, &Pinning::default(), NOW).unwrap();
    let log = src.take_log();
    let targets = format!(
        "targets.{}.json",
        hex::encode(Sha256::digest(sample("docker-repo.targets.json")))
    );
    assert!(log.contains(&targets), "{log:?}");
    src.fail("none", FetchError::NotFound);
    // A publisher's run asks for small cached files early too; a verifier's does not.
    let p = Pinning::default();
    let opts = |expect_changes| UpdateOptions {
        pinning: &p,
        now: at(NOW),
        expect_changes,
    };
    let rt = rt();
    rt.block_on(update(&src, &e.cache, &e.gun, &opts(true)))
        .unwrap();
    assert_eq!(
        src.take_log(),
        vec!["timestamp.json", "snapshot.json", "targets.json"]
    );
    rt.block_on(update(&src, &e.cache, &e.gun, &opts(false)))
        .unwrap();
    assert_eq!(src.take_log(), vec!["timestamp.json"]);
}

#[test]
fn offline_uses_only_the_cache_and_fails_when_expired_or_empty() {
    let src = Mem::docker_repo();
    let e = env();
    let p = Pinning::default();
    let rt = rt();
    let opts = verifier(&p);
    assert!(matches!(
        rt.block_on(load_offline(&e.cache, &e.gun, &opts)),
        Err(TrustError::NoCache { .. })
    ));
    run(&src, &e, &p, NOW).unwrap();
    let repo = rt.block_on(load_offline(&e.cache, &e.gun, &opts)).unwrap();
    assert_eq!(repo.version(&RoleName::timestamp()), Some(2));
    let late = UpdateOptions {
        pinning: &p,
        now: at("2026-12-07T00:00:00Z"),
        expect_changes: false,
    };
    assert!(matches!(
        rt.block_on(load_offline(&e.cache, &e.gun, &late)),
        Err(TrustError::Expired { role, .. }) if role == RoleName::timestamp()
    ));
}

#[test]
fn freeze_expired_timestamp_is_rejected_with_both_times() {
    let src = Mem::docker_repo();
    let e = env();
    let err = run(&src, &e, &Pinning::default(), "2026-12-07T00:00:00Z").unwrap_err();
    assert_eq!(
        err,
        TrustError::Expired {
            gun: e.gun.clone(),
            role: RoleName::timestamp(),
            expires: at("2026-12-06T11:53:08.900430607Z"),
            now: at("2026-12-07T00:00:00Z"),
        }
    );
    // Nothing was cached from the failed bootstrap.
    assert!(cache_snapshot(&e).iter().all(Option::is_none));
}

#[test]
fn rollback_below_cached_version_then_honest_update_succeeds() {
    for publisher in [false, true] {
        rollback_refused(publisher);
    }
}

fn rollback_refused(publisher: bool) {
    let src = Mem::docker_repo();
    let e = env();
    run(&src, &e, &Pinning::default(), NOW).unwrap();
    // The cache saw timestamp version 7 earlier; the server now serves version 2.
    let mut v: serde_json::Value =
        serde_json::from_slice(&sample("docker-repo.timestamp.json")).unwrap();
    v["signed"]["version"] = serde_json::json!(7);
    e.cache
        .commit(&[(RoleName::timestamp(), &serde_json::to_vec(&v).unwrap())])
        .unwrap();
    let before = cache_snapshot(&e);
    assert_eq!(
        run_as(&src, &e, &Pinning::default(), NOW, publisher).unwrap_err(),
        TrustError::Rollback {
            gun: e.gun.clone(),
            role: RoleName::timestamp(),
            trusted: 7,
            served: 2
        }
    );
    assert_eq!(
        cache_snapshot(&e),
        before,
        "failed update must not touch the cache"
    );
}

#[test]
fn mix_and_match_is_fatal_and_does_not_poison_the_cache() {
    let src = Mem::docker_repo();
    let e = env();
    run(&src, &e, &Pinning::default(), NOW).unwrap();
    let before = cache_snapshot(&e);
    // Serve alice's file where the snapshot names targets/releases.
    let genuine = sample("docker-repo.targets_releases.json");
    src.swap(
        "targets/releases",
        &genuine,
        sample("docker-repo.targets_alice.json"),
    );
    // Drop the cached copy so the walk must fetch.
    e.cache.remove(&RoleName::releases()).unwrap();
    let err = run(&src, &e, &Pinning::default(), NOW).unwrap_err();
    assert!(
        matches!(&err, TrustError::Mismatch { role, parent, what: "sha256", .. }
            if *role == RoleName::releases() && *parent == RoleName::snapshot()),
        "{err:?}"
    );
    // Honest server again: the update succeeds and restores the cache.
    src.put_current("targets/releases", genuine);
    run(&src, &e, &Pinning::default(), NOW).unwrap();
    assert_eq!(cache_snapshot(&e), before);
}

#[test]
fn oversized_and_malformed_files_are_refused() {
    let src = Mem::docker_repo();
    let e = env();
    let mut padded = sample("docker-repo.snapshot.json");
    padded.extend(b"          ");
    src.swap("snapshot", &sample("docker-repo.snapshot.json"), padded);
    assert!(matches!(
        run(&src, &e, &Pinning::default(), NOW),
        Err(TrustError::Oversized { role, .. }) if role == RoleName::snapshot()
    ));
    let src = Mem::docker_repo();
    src.put("timestamp.json", b"{\"signed\":{\"_type\":\"Times".to_vec());
    assert!(matches!(
        run(&src, &e, &Pinning::default(), NOW),
        Err(TrustError::Malformed { role, .. }) if role == RoleName::timestamp()
    ));
}

#[test]
fn tampered_timestamp_fails_threshold() {
    let src = Mem::docker_repo();
    let e = env();
    let mut v: serde_json::Value =
        serde_json::from_slice(&sample("docker-repo.timestamp.json")).unwrap();
    v["signed"]["version"] = serde_json::json!(3);
    src.put("timestamp.json", serde_json::to_vec(&v).unwrap());
    assert_eq!(
        run(&src, &e, &Pinning::default(), NOW).unwrap_err(),
        TrustError::Threshold {
            gun: e.gun.clone(),
            role: RoleName::timestamp(),
            version: 3,
            valid: 0,
            threshold: 1
        }
    );
    v["signatures"] = serde_json::json!([]);
    src.put("timestamp.json", serde_json::to_vec(&v).unwrap());
    assert_eq!(
        run(&src, &e, &Pinning::default(), NOW).unwrap_err(),
        TrustError::NoSignatures {
            gun: e.gun.clone(),
            role: RoleName::timestamp()
        }
    );
}

#[test]
fn network_errors_are_never_nothing_newer() {
    let src = Mem::docker_repo();
    let e = env();
    run(&src, &e, &Pinning::default(), NOW).unwrap();
    src.take_log();
    // The chain no longer verifies under the cached root, so newer roots are looked for;
    // a failed lookup is that failure, not "no newer root" (nor the timestamp's error).
    let mut v: serde_json::Value =
        serde_json::from_slice(&sample("docker-repo.timestamp.json")).unwrap();
    v["signatures"] = serde_json::json!([]);
    src.put("timestamp.json", serde_json::to_vec(&v).unwrap());
    src.fail("2.root.json", FetchError::Other("connection reset".into()));
    let err = run(&src, &e, &Pinning::default(), NOW).unwrap_err();
    assert_eq!(src.take_log(), vec!["timestamp.json", "2.root.json"]);
    assert_eq!(
        err,
        TrustError::Fetch {
            gun: e.gun.clone(),
            file: "2.root.json".into(),
            message: "connection reset".into(),
            not_found: false
        }
    );
    assert_eq!(
        crate::client::Error::from(err).fault(),
        crate::Fault::Environment
    );
}

#[test]
fn pinning_refuses_a_different_root_and_accepts_the_pinned_one() {
    let src = Mem::docker_repo();
    let e = env();
    let wrong = Pinning {
        root_keys: vec![KeyId::new("ab".repeat(32)).unwrap()],
        ..Default::default()
    };
    assert!(matches!(
        run(&src, &e, &wrong, NOW),
        Err(TrustError::RootNotPinned { .. })
    ));
    assert!(cache_snapshot(&e).iter().all(Option::is_none));
    let repo = run(&src, &e, &Pinning::default(), NOW).unwrap();
    let right = Pinning {
        root_keys: repo.root_key_ids(),
        ..Default::default()
    };
    let e2 = env();
    let repo = run(&src, &e2, &right, NOW).unwrap();
    assert!(matches!(repo.bootstrap(), Some(Bootstrap::PinnedKey(_))));
}

#[test]
fn missing_repository_is_no_trust_data() {
    let src = Mem::docker_repo();
    src.files.lock().unwrap().clear();
    let e = env();
    let err = run(&src, &e, &Pinning::default(), NOW).unwrap_err();
    assert_eq!(
        err,
        TrustError::NoTrustData {
            gun: e.gun.clone(),
            server: "mem".into()
        }
    );
    assert_eq!(err.fault(), crate::Fault::NoTrustData);
}

mod rotation_walk {
    use super::*;
    use crate::client::update::rotation::{self_checked, walk_rotations, Probed};

    fn gun() -> Gun {
        Gun::new("example.com/wire/alpha").unwrap()
    }

    fn walk(src: &Mem) -> Result<u64, TrustError> {
        walk_probed(src, None)
    }

    fn walk_probed(src: &Mem, probed: Option<Probed>) -> Result<u64, TrustError> {
        let root = self_checked(&gun(), sample("rotation.1.root.json")).unwrap();
        rt().block_on(walk_rotations(src, &gun(), root, probed))
            .map(|r| r.version())
    }

    fn mem() -> Mem {
        let m = Mem {
            files: Mutex::new(BTreeMap::new()),
            fail: Mutex::new(None),
            hang: Mutex::new(None),
            log: Mutex::new(Vec::new()),
        };
        m.put("2.root.json", sample("rotation.2.root.json"));
        m.put("3.root.json", sample("rotation.3.root.json"));
        m
    }

    #[test]
    fn follows_every_rotation() {
        let src = mem();
        assert_eq!(walk(&src), Ok(3));
        assert_eq!(
            src.take_log(),
            vec!["2.root.json", "3.root.json", "4.root.json"]
        );
    }

    #[test]
    fn a_probed_answer_stands_in_for_its_request_and_is_checked_as_one() {
        let probe = |version, answer| Some(Probed { version, answer });
        // The answer for the first version needed is used, not asked for again.
        let src = mem();
        assert_eq!(
            walk_probed(&src, probe(2, Ok(sample("rotation.2.root.json")))),
            Ok(3)
        );
        assert_eq!(src.take_log(), vec!["3.root.json", "4.root.json"]);
        // "Not found" there ends the walk with no request at all.
        let src = mem();
        assert_eq!(
            walk_probed(&src, probe(2, Err(FetchError::NotFound))),
            Ok(1)
        );
        assert!(src.take_log().is_empty());
        // An answer for another version is dropped (the root turned out newer or older).
        let src = mem();
        assert_eq!(
            walk_probed(&src, probe(5, Err(FetchError::NotFound))),
            Ok(3)
        );
        assert_eq!(
            src.take_log(),
            vec!["2.root.json", "3.root.json", "4.root.json"]
        );
        // It is checked as a fetched file: the wrong version, a failure that is not "not
        // found", are errors, never "nothing newer".
        let src = mem();
        assert_eq!(
            walk_probed(&src, probe(2, Ok(sample("rotation.3.root.json")))),
            Err(TrustError::RootVersionMismatch {
                gun: gun(),
                expected: 2,
                served: 3
            })
        );
        let failed = walk_probed(&src, probe(2, Err(FetchError::Other("reset".into()))));
        assert!(
            matches!(
                failed,
                Err(TrustError::Fetch {
                    not_found: false,
                    ..
                })
            ),
            "{failed:?}"
        );
    }

    #[test]
    fn a_cold_walk_to_a_rotated_root_does_not_wait_for_the_probe() {
        // The server's root is version 3: the answer to `2.root.json`, asked for beside it,
        // is of no use, and a probe that never answers does not hold the walk up.
        let src = mem();
        src.put("root.json", sample("rotation.3.root.json"));
        *src.hang.lock().unwrap() = Some("2.root.json".into());
        let dir = tempfile::tempdir().unwrap();
        let walked = update_once(&src, &MetadataCache::new(dir.path(), &gun()), &gun());
        // It went on to the next version; the rest of this repository is not served, so the
        // walk then fails on its timestamp.
        assert!(walked.is_some_and(|r| r.is_err()));
        assert!(src.take_log().contains(&"4.root.json".to_string()));
    }

    #[test]
    fn rotation_not_signed_by_the_previous_root_is_refused() {
        let src = mem();
        // Keep only the new key's signature on version 2.
        let old = self_checked(&gun(), sample("rotation.1.root.json")).unwrap();
        let old_id = old.role_keyids("root").0[0].clone();
        let mut v: serde_json::Value =
            serde_json::from_slice(&sample("rotation.2.root.json")).unwrap();
        let sigs: Vec<serde_json::Value> = v["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["keyid"] != old_id.as_str())
            .cloned()
            .collect();
        v["signatures"] = serde_json::Value::Array(sigs);
        src.put("2.root.json", serde_json::to_vec(&v).unwrap());
        assert_eq!(
            walk(&src),
            Err(TrustError::RotationNotSigned {
                gun: gun(),
                from: 1,
                to: 2,
                which: "previous",
                valid: 0,
                threshold: 1
            })
        );
    }

    #[test]
    fn skipping_a_version_or_failing_is_an_error() {
        let src = mem();
        src.put("2.root.json", sample("rotation.3.root.json"));
        assert_eq!(
            walk(&src),
            Err(TrustError::RootVersionMismatch {
                gun: gun(),
                expected: 2,
                served: 3
            })
        );
        let src = mem();
        src.fail("3.root.json", FetchError::Other("timeout".into()));
        assert!(matches!(
            walk(&src),
            Err(TrustError::Fetch {
                not_found: false,
                ..
            })
        ));
    }
}

#[test]
fn pending_commit_writes_only_when_asked_and_only_changed_files() {
    let src = Mem::docker_repo();
    let e = env();
    let p = Pinning::default();
    let opts = verifier(&p);
    let rt = rt();
    let (repo, pending) = rt
        .block_on(update_pending(&src, &e.cache, &e.gun, &opts))
        .unwrap();
    // Verified, but nothing cached until the commit is written.
    assert!(cache_snapshot(&e).iter().all(Option::is_none));
    // Root first, delegations in walk order, timestamp last.
    let order: Vec<&str> = pending.files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        order,
        vec![
            "root",
            "targets/alice",
            "targets/releases",
            "targets",
            "snapshot",
            "timestamp"
        ]
    );
    pending.write().unwrap();
    let cached = cache_snapshot(&e);
    assert!(cached.iter().all(Option::is_some));
    assert_eq!(
        cached[2].as_deref(),
        repo.raw(&RoleName::snapshot()),
        "the cache holds the verified bytes"
    );
    // Warm, with nothing new on the server: nothing to write (delegations included).
    let (_, pending) = rt
        .block_on(update_pending(&src, &e.cache, &e.gun, &opts))
        .unwrap();
    assert!(pending.files.is_empty(), "{:?}", pending.files.len());
    pending.write().unwrap();
    assert_eq!(cache_snapshot(&e), cached);
}

#[test]
fn rollback_floor_is_signed_version_whatever_sits_beside_it() {
    for name in [
        "docker-repo.root.json",
        "docker-repo.timestamp.json",
        "docker-repo.snapshot.json",
        "docker-repo.targets.json",
        "docker-repo.targets_releases.json",
    ] {
        let bytes = sample(name);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            version_of(&bytes),
            v["signed"]["version"].as_u64(),
            "{name}"
        );
    }
    // A server can add unsigned members to the envelope (the signatures cover `signed`
    // only); one shaped like the end of `signed` must not lower or raise the floor.
    let planted =
        br#"{"signed":{"_type":"Targets","version":9},"x":{"version":1},"signatures":[]}"#;
    assert_eq!(version_of(planted), Some(9));
    let reordered = br#"{"signatures":[],"signed":{"version":7,"_type":"Targets"}}"#;
    assert_eq!(version_of(reordered), Some(7));
}

#[test]
fn listed_digests_gate_what_verify_found_small_and_large() {
    use crate::tuf::wire::Base64;
    use sha2::Sha512;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    for size in [1000, OVERLAP_MIN + 1] {
        let bytes = vec![b'x'; size];
        let meta = |sha512: Vec<u8>| {
            let mut h = BTreeMap::new();
            h.insert(
                "sha256".to_string(),
                Base64(Sha256::digest(&bytes).to_vec()),
            );
            h.insert("sha512".to_string(), Base64(sha512));
            FileMeta::new(h, size as i64)
        };
        let calls = AtomicUsize::new(0);
        let verify = |b: &[u8]| {
            calls.fetch_add(1, SeqCst);
            b.len()
        };
        let good = meta(Sha512::digest(&bytes).to_vec());
        let bad = meta(vec![0; 64]);
        let mut other = bytes.clone();
        other[0] = b'y';
        for expect in [Expect::MaybeStale, Expect::Current] {
            assert_eq!(verify_listed(&bytes, &good, expect, verify), Ok(size));
            // A wrong sha512 or sha256 wins over what verify found, small or large.
            let err = verify_listed(&bytes, &bad, expect, verify).unwrap_err();
            assert_eq!(err.0, "sha512", "{size}");
            let err = verify_listed(&other, &good, expect, verify).unwrap_err();
            assert_eq!(err.0, "sha256", "{size}");
            // A wrong length: verify never runs.
            let before = calls.load(SeqCst);
            let err = verify_listed(&bytes[1..], &good, expect, verify).unwrap_err();
            assert_eq!(err.0, "length");
            assert_eq!(calls.load(SeqCst), before);
        }
        // A possibly stale copy whose sha256 differs is not parsed at all.
        let before = calls.load(SeqCst);
        verify_listed(&other, &good, Expect::MaybeStale, verify).unwrap_err();
        assert_eq!(calls.load(SeqCst), before);
    }
}

#[test]
fn floors_read_ahead_equal_the_floors_read_in_place() {
    let e = env();
    let big = format!(
        r#"{{"signed":{{"_type":"Targets","pad":"{}","version":9}},"signatures":[]}}"#,
        "p".repeat(OVERLAP_MIN)
    );
    e.cache
        .commit(&[(RoleName::targets(), big.as_bytes())])
        .unwrap();
    for ahead in [false, true] {
        let cached = Cached::load(&e.cache, ahead).unwrap();
        assert_eq!(cached.reading.lock().unwrap().len(), usize::from(ahead));
        // The same bytes set no floor (and leave a reading thread unjoined: harmless).
        assert_eq!(cached.floor(&RoleName::targets(), big.as_bytes()), None);
        assert_eq!(cached.floor(&RoleName::targets(), b"other"), Some(9));
        // Asked again (the read-ahead result is used once), the floor is read in place.
        assert_eq!(cached.floor(&RoleName::targets(), b"other"), Some(9));
        assert!(cached.reading.lock().unwrap().is_empty());
    }
}

#[test]
fn a_cold_walk_fetches_the_timestamp_beside_the_root_and_reports_the_root_first() {
    // Polled once with no answer ever to the rotation probe, a cold walk has already asked
    // for the timestamp and the current snapshot and targets: they do not wait for the root.
    let e = env();
    // What a cold walk has asked for when polled once with `hung` never answering.
    let asked_before = |hung: &str| {
        let src = Mem::docker_repo();
        *src.hang.lock().unwrap() = Some(hung.into());
        let once = update_once(&src, &e.cache, &e.gun).is_none();
        assert!(once, "the walk waits for {hung}");
        let mut asked = src.take_log();
        asked.sort();
        asked
    };
    let all = [
        "2.root.json",
        "root.json",
        "snapshot.json",
        "targets.json",
        "timestamp.json",
    ];
    assert_eq!(asked_before("2.root.json"), all);
    // The rotation probe does not wait for the root either.
    assert_eq!(asked_before("root.json"), all);
    // A root that cannot be had is the error, at once, while the timestamp never answers.
    let src = Mem::docker_repo();
    src.fail("root.json", FetchError::NotFound);
    *src.hang.lock().unwrap() = Some("timestamp.json".into());
    let err = update_once(&src, &e.cache, &e.gun)
        .expect("the root's failure does not wait for the timestamp")
        .unwrap_err();
    assert!(matches!(err, TrustError::NoTrustData { .. }), "{err:?}");
}

#[test]
fn a_bad_cached_root_is_reported_before_a_failed_fetch() {
    // The cached root is re-checked while the timestamp is on its way (a publisher also reads
    // the rest of its cache meanwhile); when both fail, the root is what the error names, as
    // when it was checked first. And a bad root does not wait for a server that never answers.
    for (publisher, hang) in [(false, false), (true, false), (false, true), (true, true)] {
        let src = Mem::docker_repo();
        let e = env();
        run(&src, &e, &Pinning::default(), NOW).unwrap();
        let mut root: serde_json::Value =
            serde_json::from_slice(&sample("docker-repo.root.json")).unwrap();
        root["signatures"] = serde_json::json!([]);
        e.cache
            .commit(&[(RoleName::root(), &serde_json::to_vec(&root).unwrap())])
            .unwrap();
        if hang {
            *src.hang.lock().unwrap() = Some("timestamp.json".into());
        } else {
            src.fail(
                "timestamp.json",
                FetchError::Other("connection reset".into()),
            );
        }
        let p = Pinning::default();
        let opts = UpdateOptions {
            pinning: &p,
            now: at(NOW),
            expect_changes: publisher,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        // The bound only keeps a regression from hanging the suite.
        let bound = std::time::Duration::from_secs(30);
        let err = rt
            .block_on(async {
                tokio::time::timeout(bound, update(&src, &e.cache, &e.gun, &opts)).await
            })
            .expect("a bad cached root is reported without waiting for the server")
            .unwrap_err();
        assert!(
            !matches!(err, TrustError::Fetch { .. }),
            "the root's error, not the fetch's: {err:?}"
        );
        assert!(err.to_string().contains("root"), "{err}");
    }
}
