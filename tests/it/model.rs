//! The Notary v1 model against the real samples (notary 0.7 / docker 28.2.2 output): every
//! file parses, verifies and re-serialises to identical bytes; attacks on signatures, hashes,
//! rotation and thresholds fail with exact errors; what we sign passes the independent Python
//! verifier (tests/tools/verify.py).
// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use trustctl::crypto::{root_certificate, PrivateKey};
use trustctl::tuf::limits::{ROOT_MAX, TIMESTAMP_MAX};
use trustctl::tuf::wire::{
    Base64, DelegationRole, Expires, FileMeta, Key, Role, Root, Snapshot, Targets, Timestamp,
};
use trustctl::tuf::{
    check_file_meta, check_threshold, sign_role, verify_root, Error, Expiry, Gun, KeepSignatures,
    KeyId, KeySet, RawSigned, RoleName, SigningKey, TargetName, Verified,
};

fn metadata_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples/metadata")
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(metadata_dir().join(name)).unwrap()
}

/// The day after the samples were captured: everything in them is still valid.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}

fn role(name: &str) -> RoleName {
    RoleName::new(name).unwrap()
}

fn raw<R: Role>(role_name: &str, file: &str) -> RawSigned<R> {
    RawSigned::from_bytes(&role(role_name), &sample(file), ROOT_MAX).unwrap()
}

fn root_of(file: &str, gun: &str) -> Verified<Root> {
    verify_root(
        raw(RoleName::root().as_str(), file),
        &Gun::new(gun).unwrap(),
        None,
        Expiry::At(now()),
    )
    .unwrap()
}

#[test]
fn every_sample_reserialises_to_identical_bytes() {
    let mut count = 0;
    for entry in std::fs::read_dir(metadata_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let again = match name.split('.').nth(name.split('.').count() - 2).unwrap() {
            "root" => RawSigned::<Root>::from_bytes(&RoleName::root(), &bytes, ROOT_MAX)
                .unwrap()
                .go_reserialised(),
            "snapshot" => {
                RawSigned::<Snapshot>::from_bytes(&RoleName::snapshot(), &bytes, ROOT_MAX)
                    .unwrap()
                    .go_reserialised()
            }
            "timestamp" => {
                RawSigned::<Timestamp>::from_bytes(&RoleName::timestamp(), &bytes, TIMESTAMP_MAX)
                    .unwrap()
                    .go_reserialised()
            }
            _ => RawSigned::<Targets>::from_bytes(&RoleName::targets(), &bytes, ROOT_MAX)
                .unwrap()
                .go_reserialised(),
        }
        .unwrap();
        assert!(again == bytes, "{name}: re-serialisation differs");
        trustctl::tuf::fuzz_bodies::parse_metadata(&bytes);
        trustctl::tuf::fuzz_bodies::canonical_roundtrip(&bytes);
        count += 1;
    }
    assert_eq!(count, 21);
}

/// Verify one whole repository the way a client walks it, checking every hash link.
fn walk(prefix: &str, gun: &str, delegations: &[&str]) {
    let root = root_of(&format!("{prefix}.root.json"), gun);
    let ts_bytes = sample(&format!("{prefix}.timestamp.json"));
    let ts = RawSigned::<Timestamp>::from_bytes(&RoleName::timestamp(), &ts_bytes, TIMESTAMP_MAX)
        .unwrap()
        .verify_with_root(&root, Expiry::At(now()))
        .unwrap();
    let sn_bytes = sample(&format!("{prefix}.snapshot.json"));
    check_file_meta(
        &RoleName::snapshot(),
        ts.signed().snapshot_meta().unwrap(),
        &sn_bytes,
        true,
    )
    .unwrap();
    let sn = RawSigned::<Snapshot>::from_bytes(&RoleName::snapshot(), &sn_bytes, ROOT_MAX)
        .unwrap()
        .verify_with_root(&root, Expiry::At(now()))
        .unwrap();
    let meta = |r: &RoleName| sn.signed().meta.get(r).unwrap().clone();
    let root_bytes = sample(&format!("{prefix}.root.json"));
    check_file_meta(
        &RoleName::root(),
        &meta(&RoleName::root()),
        &root_bytes,
        true,
    )
    .unwrap();
    let tg_bytes = sample(&format!("{prefix}.targets.json"));
    check_file_meta(
        &RoleName::targets(),
        &meta(&RoleName::targets()),
        &tg_bytes,
        true,
    )
    .unwrap();
    let targets = RawSigned::<Targets>::from_bytes(&RoleName::targets(), &tg_bytes, ROOT_MAX)
        .unwrap()
        .verify_with_root(&root, Expiry::At(now()))
        .unwrap();
    for d in delegations {
        let name = role(&format!("targets/{d}"));
        let bytes = sample(&format!("{prefix}.targets_{d}.json"));
        check_file_meta(&name, &meta(&name), &bytes, true).unwrap();
        let v = RawSigned::<Targets>::from_bytes(&name, &bytes, ROOT_MAX)
            .unwrap()
            .verify_delegated(&targets, Expiry::At(now()))
            .unwrap();
        assert_eq!(v.valid_keys().len(), 1);
        assert_eq!(v.go_bytes().unwrap(), bytes);
    }
}

#[test]
fn sample_repositories_verify_end_to_end() {
    walk(
        "docker-repo",
        "localhost:5000/wire/sample2",
        &["releases", "alice"],
    );
    walk("notary-cli-repo", "example.com/wire/sample1", &[]);
    walk("remote-signer-ecdsa", "example.com/wire/ecsrv", &[]);
    root_of("ca-issued-root-cert.root.json", "example.com/wire/capin2");
}

#[test]
fn special_chars_and_custom_verify_with_their_root() {
    let root = root_of("rotation.3.root.json", "example.com/wire/alpha");
    for file in ["special-chars.targets.json", "custom-field.targets.json"] {
        let v = raw::<Targets>("targets", file)
            .verify_with_root(&root, Expiry::At(now()))
            .unwrap();
        assert_eq!(v.go_bytes().unwrap(), sample(file));
    }
    let v = raw::<Targets>("targets", "special-chars.targets.json");
    let name = TargetName::new("tag<x>&yé\u{2028}z\"q\\").unwrap();
    assert!(v.signed_untrusted().targets.contains_key(&name));
}

#[test]
fn keyids_null_round_trips() {
    let raw = raw::<Targets>("targets", "keyids-null-after-signer-remove.targets.json");
    let releases = raw
        .signed_untrusted()
        .delegation(&RoleName::releases())
        .unwrap();
    assert_eq!(releases.keyids, None);
    assert_eq!(
        raw.go_reserialised().unwrap(),
        sample("keyids-null-after-signer-remove.targets.json")
    );
}

#[test]
fn rotation_chain_verifies_and_needs_the_previous_keys() {
    let gun = Gun::new("example.com/wire/alpha").unwrap();
    let r1 = root_of("rotation.1.root.json", gun.as_str());
    let r2 = verify_root(
        raw("root", "rotation.2.root.json"),
        &gun,
        Some(&r1),
        Expiry::At(now()),
    )
    .unwrap();
    let r3 = verify_root(
        raw("root", "rotation.3.root.json"),
        &gun,
        Some(&r2),
        Expiry::At(now()),
    )
    .unwrap();
    assert_eq!(r3.version(), 3);
    // skipping version 2: v3 carries no signature of v1's root key
    assert_eq!(
        verify_root(
            raw("root", "rotation.3.root.json"),
            &gun,
            Some(&r1),
            Expiry::At(now())
        )
        .unwrap_err(),
        Error::RotationThreshold {
            valid: 0,
            threshold: 1
        }
    );
    // rollback to an older root
    assert_eq!(
        verify_root(
            raw("root", "rotation.2.root.json"),
            &gun,
            Some(&r3),
            Expiry::At(now())
        )
        .unwrap_err(),
        Error::Rollback {
            role: RoleName::root(),
            current: 3,
            new: 2
        }
    );
}

#[test]
fn root_for_another_gun_or_expired_is_refused() {
    let bytes = sample("docker-repo.root.json");
    let load = || RawSigned::<Root>::from_bytes(&RoleName::root(), &bytes, ROOT_MAX).unwrap();
    let other = Gun::new("localhost:5000/wire/other").unwrap();
    assert_eq!(
        verify_root(load(), &other, None, Expiry::At(now())).unwrap_err(),
        Error::NoValidRootCertificates { gun: other }
    );
    let wildcard = Gun::new("localhost:5000/wire/sample2").unwrap();
    let later = Utc.with_ymd_and_hms(2037, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(
        verify_root(load(), &wildcard, None, Expiry::At(later)).unwrap_err(),
        Error::NoValidRootCertificates {
            gun: wildcard.clone()
        }
    );
    // with expiry ignored (stored history), the same root loads
    assert!(verify_root(load(), &wildcard, None, Expiry::Ignore).is_ok());
}

#[test]
fn expired_timestamp_is_refused_with_both_times() {
    let root = root_of("docker-repo.root.json", "localhost:5000/wire/sample2");
    let later = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
    let err = raw::<Timestamp>("timestamp", "docker-repo.timestamp.json")
        .verify_with_root(&root, Expiry::At(later))
        .unwrap_err();
    assert_eq!(
        err,
        Error::Expired {
            role: RoleName::timestamp(),
            expires: DateTime::parse_from_rfc3339("2026-12-06T11:53:08.900430607Z")
                .unwrap()
                .with_timezone(&Utc),
            now: later
        }
    );
}

/// Replace the `signatures` array of a sample (the signed part stays byte-identical).
fn with_signatures(bytes: &[u8], f: impl FnOnce(&mut Vec<serde_json::Value>)) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let at = text.rfind(",\"signatures\":").unwrap();
    let mut sigs: Vec<serde_json::Value> =
        serde_json::from_str(&text[at + 14..text.len() - 1]).unwrap();
    f(&mut sigs);
    format!(
        "{},\"signatures\":{}}}",
        &text[..at],
        serde_json::to_string(&sigs).unwrap()
    )
    .into_bytes()
}

#[test]
fn duplicate_signatures_count_once_for_targets_and_delegation() {
    let root = root_of("docker-repo.root.json", "localhost:5000/wire/sample2");
    for (role_name, file, keys, authorised) in [
        (
            "targets",
            "docker-repo.targets.json",
            root.signed().keys.clone(),
            root.signed().roles["targets"].keyids.clone(),
        ),
        (
            "targets/releases",
            "docker-repo.targets_releases.json",
            BTreeMap::new(),
            vec![],
        ),
    ] {
        let targets = raw::<Targets>("targets", "docker-repo.targets.json")
            .verify_with_root(&root, Expiry::At(now()))
            .unwrap();
        let (keys, authorised) = if keys.is_empty() {
            let d = targets.signed().delegation(&RoleName::releases()).unwrap();
            (
                targets.signed().delegations.keys.clone(),
                d.key_ids().to_vec(),
            )
        } else {
            (keys, authorised)
        };
        let doubled = with_signatures(&sample(file), |s| s.push(s[0].clone()));
        let r = RawSigned::<Targets>::from_bytes(&role(role_name), &doubled, ROOT_MAX).unwrap();
        assert_eq!(r.signatures().len(), 2);
        let ks = KeySet {
            keys: &keys,
            authorised: &authorised,
            threshold: 2,
        };
        assert_eq!(
            r.verify(ks, Expiry::At(now())).unwrap_err(),
            Error::Threshold {
                role: role(role_name),
                valid: 1,
                threshold: 2
            },
            "{file}"
        );
    }
}

fn generated_root(gun: &Gun, root_key: &PrivateKey, threshold: i64) -> (Root, Key) {
    let cert = root_certificate(
        root_key,
        gun,
        now() - Duration::hours(1),
        now() + Duration::days(3650),
    )
    .unwrap();
    let cert_key = Key::from_public(&cert);
    let mut r = Root::new(1, Expires::utc(now() + Duration::days(3650)));
    r.set_role(
        &RoleName::root(),
        std::slice::from_ref(&cert_key),
        threshold,
    );
    for name in [
        RoleName::targets(),
        RoleName::snapshot(),
        RoleName::timestamp(),
    ] {
        let k = PrivateKey::generate_ed25519().unwrap();
        r.set_role(&name, &[Key::from_public(&k.public_key())], 1);
    }
    (r, cert_key)
}

#[test]
fn duplicate_root_signature_counts_once() {
    let gun = Gun::new("example.com/dup/root").unwrap();
    let key = PrivateKey::generate_ecdsa_p256().unwrap();
    let (root, cert_key) = generated_root(&gun, &key, 2);
    let id = cert_key.key_id();
    let file = sign_role(
        &RoleName::root(),
        &root,
        &[SigningKey::new(&key, &id)],
        None,
    )
    .unwrap();
    let doubled = with_signatures(file.bytes(), |s| s.push(s[0].clone()));
    let raw = RawSigned::<Root>::from_bytes(&RoleName::root(), &doubled, ROOT_MAX).unwrap();
    assert_eq!(
        verify_root(raw, &gun, None, Expiry::At(now())).unwrap_err(),
        Error::Threshold {
            role: RoleName::root(),
            valid: 1,
            threshold: 2
        }
    );
}

#[test]
fn tampering_with_signed_content_or_key_ids_fails() {
    let root = root_of("docker-repo.root.json", "localhost:5000/wire/sample2");
    // change one tag's length inside `signed`
    let bytes = sample("docker-repo.targets_releases.json");
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\"length\":262"));
    let tampered = text.replace("\"length\":262", "\"length\":263");
    let targets = raw::<Targets>("targets", "docker-repo.targets.json")
        .verify_with_root(&root, Expiry::At(now()))
        .unwrap();
    let err =
        RawSigned::<Targets>::from_bytes(&RoleName::releases(), tampered.as_bytes(), ROOT_MAX)
            .unwrap()
            .verify_delegated(&targets, Expiry::At(now()))
            .unwrap_err();
    assert_eq!(
        err,
        Error::Threshold {
            role: RoleName::releases(),
            valid: 0,
            threshold: 1
        }
    );
    // hash link: the snapshot no longer matches the tampered file
    let sn = raw::<Snapshot>("snapshot", "docker-repo.snapshot.json");
    let err = check_file_meta(
        &RoleName::releases(),
        &sn.signed_untrusted().meta[&RoleName::releases()],
        tampered.as_bytes(),
        true,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::HashMismatch {
                algorithm: "sha256",
                ..
            }
        ),
        "{err}"
    );
    // a key filed under another key's ID is not counted
    let mut keys = root.signed().keys.clone();
    let targets_id = root.signed().roles["targets"].keyids[0].clone();
    let snapshot_id = root.signed().roles["snapshot"].keyids[0].clone();
    let swapped = keys[&snapshot_id].clone();
    keys.insert(targets_id.clone(), swapped);
    let r = raw::<Targets>("targets", "docker-repo.targets.json");
    assert_eq!(
        check_threshold(
            &RoleName::targets(),
            r.canonical_bytes(),
            r.signatures(),
            KeySet {
                keys: &keys,
                authorised: std::slice::from_ref(&targets_id),
                threshold: 1
            }
        )
        .unwrap_err(),
        Error::KeyIdMismatch {
            role: RoleName::targets(),
            claimed: targets_id,
            computed: snapshot_id
        }
    );
}

#[test]
fn strict_parsing_errors_are_exact() {
    let t = RoleName::targets();
    let bytes = sample("docker-repo.targets.json");
    assert_eq!(
        RawSigned::<Targets>::from_bytes(&t, &bytes, 100).unwrap_err(),
        Error::TooLarge {
            role: t.clone(),
            limit: 100,
            actual: bytes.len() as u64
        }
    );
    assert_eq!(
        RawSigned::<Snapshot>::from_bytes(&RoleName::snapshot(), &bytes, ROOT_MAX).unwrap_err(),
        Error::WrongType {
            role: RoleName::snapshot(),
            expected: "Snapshot",
            found: "Targets".into()
        }
    );
    let dup = String::from_utf8(bytes.clone()).unwrap().replacen(
        "{\"_type\":\"Targets\",",
        "{\"_type\":\"Targets\",\"version\":9,",
        1,
    );
    assert_eq!(
        RawSigned::<Targets>::from_bytes(&t, dup.as_bytes(), ROOT_MAX).unwrap_err(),
        Error::DuplicateKey {
            role: t.clone(),
            key: "version".into()
        }
    );
    let lower = String::from_utf8(bytes.clone())
        .unwrap()
        .replacen("\"Targets\"", "\"targets\"", 1);
    assert!(matches!(
        RawSigned::<Targets>::from_bytes(&t, lower.as_bytes(), ROOT_MAX).unwrap_err(),
        Error::WrongType { .. }
    ));
    assert!(matches!(
        RawSigned::<Targets>::from_bytes(&t, &bytes[..bytes.len() - 1], ROOT_MAX).unwrap_err(),
        Error::Malformed { .. }
    ));
}

/// Build, sign and publish-shape a whole repository; our verifier and tests/tools/verify.py
/// must both accept it, and re-parsing gives identical bytes.
#[test]
fn signed_repository_passes_independent_verifier() {
    let gun = Gun::new("example.com/trustctl/model").unwrap();
    let root_key = PrivateKey::generate_ecdsa_p256().unwrap();
    let targets_key = PrivateKey::generate_ecdsa_p256().unwrap();
    let snapshot_key = PrivateKey::generate_ecdsa_p256().unwrap();
    let ts_key = PrivateKey::generate_ed25519().unwrap();
    let alice = PrivateKey::generate_ecdsa_p256().unwrap();
    let expires = Expires::new(
        Utc.with_ymd_and_hms(2029, 11, 21, 6, 43, 36)
            .unwrap()
            .fixed_offset()
            + Duration::nanoseconds(164_283_000),
    );

    let cert = root_certificate(&root_key, &gun, now(), now() + Duration::days(3650)).unwrap();
    let cert_key = Key::from_public(&cert);
    SigningKey::check_cert(&root_key, &cert).unwrap();
    let mut root = Root::new(1, Expires::utc(now() + Duration::days(3650)));
    root.set_role(&RoleName::root(), std::slice::from_ref(&cert_key), 1);
    root.set_role(
        &RoleName::targets(),
        &[Key::from_public(&targets_key.public_key())],
        1,
    );
    root.set_role(
        &RoleName::snapshot(),
        &[Key::from_public(&snapshot_key.public_key())],
        1,
    );
    root.set_role(
        &RoleName::timestamp(),
        &[Key::from_public(&ts_key.public_key())],
        1,
    );
    let root_id = cert_key.key_id();
    let root_file = sign_role(
        &RoleName::root(),
        &root,
        &[SigningKey::new(&root_key, &root_id)],
        None,
    )
    .unwrap();

    let mut targets = Targets::new(2, expires);
    let digest = vec![7u8; 32];
    let mut hashes = BTreeMap::new();
    hashes.insert("sha256".to_string(), Base64(digest));
    targets.targets.insert(
        TargetName::new("v1<&>").unwrap(),
        FileMeta::new(hashes.clone(), 262),
    );
    let alice_key = Key::from_public(&alice.public_key());
    let alice_id = alice_key.key_id();
    targets.delegations.keys.insert(alice_id.clone(), alice_key);
    targets.delegations.roles.push(DelegationRole {
        keyids: Some(vec![alice_id.clone()]),
        name: RoleName::releases(),
        paths: Some(vec![String::new()]),
        threshold: 1,
    });
    let tid = targets_key.key_id();
    let targets_file = sign_role(
        &RoleName::targets(),
        &targets,
        &[SigningKey::new(&targets_key, &tid)],
        None,
    )
    .unwrap();
    let mut releases = Targets::new(1, expires);
    releases
        .targets
        .insert(TargetName::new("v1").unwrap(), FileMeta::new(hashes, 262));
    let releases_file = sign_role(
        &RoleName::releases(),
        &releases,
        &[SigningKey::new(&alice, &alice_id)],
        None,
    )
    .unwrap();

    let mut snapshot = Snapshot::new(2, expires);
    snapshot
        .meta
        .insert(RoleName::root(), root_file.file_meta());
    snapshot
        .meta
        .insert(RoleName::targets(), targets_file.file_meta());
    snapshot
        .meta
        .insert(RoleName::releases(), releases_file.file_meta());
    let sid = snapshot_key.key_id();
    let snapshot_file = sign_role(
        &RoleName::snapshot(),
        &snapshot,
        &[SigningKey::new(&snapshot_key, &sid)],
        None,
    )
    .unwrap();
    let mut ts = Timestamp::new(1, Expires::utc(now() + Duration::days(14)));
    ts.meta
        .insert(RoleName::snapshot(), snapshot_file.file_meta());
    let tsid = ts_key.key_id();
    let ts_file = sign_role(
        &RoleName::timestamp(),
        &ts,
        &[SigningKey::new(&ts_key, &tsid)],
        None,
    )
    .unwrap();

    // our own verifier
    let vroot = verify_root(
        RawSigned::from_bytes(&RoleName::root(), root_file.bytes(), ROOT_MAX).unwrap(),
        &gun,
        None,
        Expiry::At(now()),
    )
    .unwrap();
    let vt = RawSigned::<Targets>::from_bytes(&RoleName::targets(), targets_file.bytes(), ROOT_MAX)
        .unwrap()
        .verify_with_root(&vroot, Expiry::At(now()))
        .unwrap();
    assert_eq!(vt.go_bytes().unwrap(), targets_file.bytes());
    assert!(std::str::from_utf8(targets_file.bytes())
        .unwrap()
        .contains("v1\\u003c\\u0026\\u003e"));
    RawSigned::<Targets>::from_bytes(&RoleName::releases(), releases_file.bytes(), ROOT_MAX)
        .unwrap()
        .verify_delegated(&vt, Expiry::At(now()))
        .unwrap();
    assert!(std::str::from_utf8(snapshot_file.bytes())
        .unwrap()
        .contains("2029-11-21T06:43:36.164283Z"));

    // re-signing keeps the other still-valid signature
    let keys = &vroot.signed().keys;
    let tids = [tid.clone(), snapshot_key.key_id()];
    let mut two = root.clone();
    two.roles
        .get_mut("targets")
        .unwrap()
        .keyids
        .push(snapshot_key.key_id());
    two.keys.insert(
        snapshot_key.key_id(),
        Key::from_public(&snapshot_key.public_key()),
    );
    let first = sign_role(
        &RoleName::targets(),
        &targets,
        &[SigningKey::new(&targets_key, &tid)],
        None,
    )
    .unwrap();
    let first_raw =
        RawSigned::<Targets>::from_bytes(&RoleName::targets(), first.bytes(), ROOT_MAX).unwrap();
    let both = sign_role(
        &RoleName::targets(),
        &targets,
        &[SigningKey::new(&snapshot_key, &sid)],
        Some(KeepSignatures {
            signatures: first_raw.signatures(),
            keys: KeySet {
                keys,
                authorised: &tids,
                threshold: 1,
            },
        }),
    )
    .unwrap();
    let both_raw =
        RawSigned::<Targets>::from_bytes(&RoleName::targets(), both.bytes(), ROOT_MAX).unwrap();
    let ids: Vec<&KeyId> = both_raw.signatures().iter().map(|s| &s.keyid).collect();
    assert_eq!(ids, vec![&sid, &tid]);

    // the independent Python verifier
    let dir = tempfile::tempdir().unwrap();
    for (r, f) in [
        ("root", &root_file),
        ("targets", &targets_file),
        ("snapshot", &snapshot_file),
        ("timestamp", &ts_file),
    ] {
        let mut out = std::fs::File::create(dir.path().join(format!("repo.{r}.json"))).unwrap();
        std::io::Write::write_all(&mut out, f.bytes()).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/verify.py");
    let out = match Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .arg("repo")
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "python3: {e}");
            eprintln!("skipping independent verification: {e}");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("FAIL") && !text.contains("unknown key"),
        "{text}"
    );
    assert_eq!(text.matches("'OK')").count(), 4, "{text}");
    // the wire form differs from the signed bytes only where HTML escaping applies (targets)
    for line in text.lines() {
        let escaped = line.starts_with("targets sha256");
        assert_eq!(line.contains("False"), escaped, "{line}");
    }
    assert_eq!(
        text.matches("length ok True sha256 ok True sha512 ok True")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("timestamp meta snapshot ok True True"),
        "{text}"
    );
}

#[test]
fn unsafe_custom_and_control_characters_are_refused() {
    let key = PrivateKey::generate_ecdsa_p256().unwrap();
    let id = key.key_id();
    let mut t = Targets::new(1, Expires::utc(now()));
    let mut meta = FileMeta::new(BTreeMap::new(), 1);
    meta.custom = Some(serde_json::json!({"a": "<x>"}));
    let name = TargetName::new("v1").unwrap();
    t.targets.insert(name.clone(), meta);
    assert_eq!(
        sign_role(
            &RoleName::targets(),
            &t,
            &[SigningKey::new(&key, &id)],
            None
        )
        .unwrap_err(),
        Error::UnsafeCustom { target: name }
    );
    let mut t = Targets::new(1, Expires::utc(now()));
    t.delegations.roles.push(DelegationRole {
        keyids: None,
        name: RoleName::releases(),
        paths: Some(vec!["a\tb".into()]),
        threshold: 1,
    });
    assert_eq!(
        sign_role(
            &RoleName::targets(),
            &t,
            &[SigningKey::new(&key, &id)],
            None
        )
        .unwrap_err(),
        Error::ControlCharacter { byte: b'\t' }
    );
}

/// §3.7: a pretty-printed upload still verifies, but its Go re-serialisation is the compact
/// original, so a server can detect (or normalise) bytes Go clients would hash differently.
#[test]
fn pretty_printed_upload_is_detectable() {
    let original = sample("docker-repo.targets.json");
    let value: serde_json::Value = serde_json::from_slice(&original).unwrap();
    let mut pretty = Vec::new();
    serde::Serialize::serialize(
        &value,
        &mut serde_json::Serializer::with_formatter(
            &mut pretty,
            serde_json::ser::PrettyFormatter::with_indent(b"  "),
        ),
    )
    .unwrap();
    let root = root_of("docker-repo.root.json", "localhost:5000/wire/sample2");
    let raw = RawSigned::<Targets>::from_bytes(&RoleName::targets(), &pretty, ROOT_MAX).unwrap();
    let go = raw.go_reserialised().unwrap();
    assert_ne!(go, pretty);
    assert_eq!(go, original);
    raw.verify_with_root(&root, Expiry::At(now())).unwrap();
}
