//! Unit tests of the publish rules: docker's role choice, signer add/remove, revocation, and
//! the signed output of a new repository and of a root rotation (checked with core's
//! verifier, as a client would).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};

use super::error::PublishError;
use super::flow::{apply, Change};
use super::sign::{expiry, sign_dirty, KeyLookup, ROOT_DAYS};
use super::working::WorkingRepo;
use crate::crypto::{root_certificate, PrivateKey};
use crate::error::Result;
use crate::tuf::verify::Expiry;
use crate::tuf::wire::{Base64, FileMeta, Key, Root, Targets};
use crate::tuf::{verify_root, Gun, KeyId, RawSigned, RoleName, TargetName};

struct Keys(BTreeMap<KeyId, Arc<PrivateKey>>);

impl Keys {
    fn new() -> Keys {
        Keys(BTreeMap::new())
    }
    fn add(&mut self) -> Arc<PrivateKey> {
        let k = Arc::new(PrivateKey::generate_ecdsa_p256().unwrap());
        self.0.insert(k.key_id(), k.clone());
        k
    }
}

impl KeyLookup for Keys {
    fn key(&mut self, id: &KeyId) -> Result<Option<Arc<PrivateKey>>> {
        Ok(self.0.get(id).cloned())
    }
    fn holds(&self, id: &KeyId) -> bool {
        self.0.contains_key(id)
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn gun() -> Gun {
    Gun::new("localhost:5000/unit/app").unwrap()
}

fn tag(t: &str) -> TargetName {
    TargetName::new(t).unwrap()
}

fn meta(byte: u8) -> FileMeta {
    let mut h = BTreeMap::new();
    h.insert("sha256".to_string(), Base64(vec![byte; 32]));
    FileMeta::new(h, 42)
}

/// A new repository as `init_repo` builds it (server keys replaced by local ed25519 keys).
fn new_repo(keys: &mut Keys) -> (WorkingRepo, Key) {
    let root_key = keys.add();
    let cert = root_certificate(
        &root_key,
        &gun(),
        now(),
        now() + chrono::Duration::days(3650),
    )
    .unwrap();
    let targets = keys.add();
    let server = Key::from_public(&PrivateKey::generate_ed25519().unwrap().public_key());
    let mut root = Root::new(1, expiry(now(), ROOT_DAYS));
    let cert_key = Key::from_public(&cert);
    root.set_role(&RoleName::root(), std::slice::from_ref(&cert_key), 1);
    root.set_role(
        &RoleName::targets(),
        &[Key::from_public(&targets.public_key())],
        1,
    );
    root.set_role(&RoleName::snapshot(), std::slice::from_ref(&server), 1);
    root.set_role(&RoleName::timestamp(), &[server], 1);
    let repo = WorkingRepo::new_repo(gun(), root, expiry(now(), 1095));
    (repo, cert_key)
}

fn version(bytes: &[u8]) -> i64 {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    v["signed"]["version"].as_i64().unwrap()
}

#[test]
fn new_repo_publishes_root_v1_and_targets_v2_signed_by_the_certificate_key() {
    let mut keys = Keys::new();
    let (mut repo, cert) = new_repo(&mut keys);
    let roles = apply(
        &mut repo,
        &[Change::Sign {
            tag: tag("v1"),
            meta: meta(1),
        }],
        &keys,
        now(),
    )
    .unwrap();
    assert_eq!(roles, vec![vec![RoleName::targets()]]);
    let signed = sign_dirty(repo, &mut keys, now()).unwrap();
    let names: Vec<&str> = signed.files.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(names, vec!["targets", "root"]);
    let root_file = signed.get(&RoleName::root()).unwrap();
    assert_eq!(version(root_file.bytes()), 1);
    assert_eq!(
        version(signed.get(&RoleName::targets()).unwrap().bytes()),
        2
    );
    let raw = RawSigned::<Root>::from_bytes(&RoleName::root(), root_file.bytes(), 1 << 20).unwrap();
    let verified = verify_root(raw, &gun(), None, Expiry::At(now())).unwrap();
    assert_eq!(verified.signatures().len(), 1);
    assert_eq!(verified.signatures()[0].keyid, cert.key_id());
    let raw_t = RawSigned::<Targets>::from_bytes(
        &RoleName::targets(),
        signed.get(&RoleName::targets()).unwrap().bytes(),
        1 << 20,
    )
    .unwrap();
    let t = raw_t
        .verify_with_root(&verified, Expiry::At(now()))
        .unwrap();
    assert_eq!(t.signed().targets.get(&tag("v1")), Some(&meta(1)));
}

#[test]
fn role_choice_follows_docker() {
    let mut keys = Keys::new();
    let (mut repo, _) = new_repo(&mut keys);
    let holds = |k: &Keys| {
        let ids: Vec<KeyId> = k.0.keys().cloned().collect();
        move |id: &KeyId| ids.contains(id)
    };
    // No delegations: targets.
    assert_eq!(
        repo.signable_roles("v1", &holds(&keys)).unwrap(),
        vec![RoleName::targets()]
    );
    // A signer whose key we hold: its role and releases, in creation order.
    let alice = keys.add();
    repo.add_signer("alice", &[Key::from_public(&alice.public_key())])
        .unwrap();
    assert_eq!(
        repo.signable_roles("v1", &holds(&keys)).unwrap(),
        vec![
            RoleName::new("targets/alice").unwrap(),
            RoleName::releases()
        ]
    );
    // A signer whose key we do not hold is not chosen; holding nothing at all fails.
    let mut other = Keys::new();
    let bob = other.add();
    repo.add_signer("bob", &[Key::from_public(&bob.public_key())])
        .unwrap();
    assert_eq!(
        repo.signable_roles("v1", &holds(&other)).unwrap(),
        vec![RoleName::releases(), RoleName::new("targets/bob").unwrap()]
    );
    assert_eq!(
        repo.signable_roles("v1", &|_: &KeyId| false),
        Err(PublishError::NoSigningRole {
            gun: gun(),
            tag: "v1".into()
        })
    );
}

#[test]
fn signer_rules() {
    let mut keys = Keys::new();
    let (mut repo, _) = new_repo(&mut keys);
    assert_eq!(
        repo.add_signer("releases", &[]),
        Err(PublishError::ReservedSigner)
    );
    assert_eq!(
        repo.add_signer("Bad", &[]),
        Err(PublishError::BadSignerName { name: "Bad".into() })
    );
    assert_eq!(
        repo.remove_signer("carol"),
        Err(PublishError::UnknownSigner {
            gun: gun(),
            name: "carol".into()
        })
    );
    let alice = keys.add();
    repo.add_signer("alice", &[Key::from_public(&alice.public_key())])
        .unwrap();
    assert!(!repo.releases_unsignable());
    repo.remove_signer("alice").unwrap();
    assert!(repo.releases_unsignable());
    assert_eq!(
        repo.targets
            .delegation(&RoleName::releases())
            .unwrap()
            .keyids,
        None
    );
    assert!(repo.targets.delegations.keys.is_empty());
}

#[test]
fn revoke_rules() {
    let mut keys = Keys::new();
    let (mut repo, _) = new_repo(&mut keys);
    let holds = |id: &KeyId| keys.holds(id);
    assert_eq!(
        repo.revoke_tag(&tag("v1"), &holds),
        Err(PublishError::TagNotSigned {
            gun: gun(),
            tag: "v1".into()
        })
    );
    repo.add_target(
        &[RoleName::targets()],
        &tag("v1"),
        &meta(1),
        expiry(now(), 1),
    );
    assert_eq!(
        repo.revoke_tag(&tag("v1"), &holds).unwrap(),
        vec![RoleName::targets()]
    );
    assert!(repo.released_tags().is_empty());
}

#[test]
fn root_rotation_is_signed_by_old_and_new_root_keys() {
    let mut keys = Keys::new();
    let (repo, old_cert) = new_repo(&mut keys);
    let first = sign_dirty(repo.clone(), &mut keys, now()).unwrap();
    let raw = RawSigned::<Root>::from_bytes(
        &RoleName::root(),
        first.get(&RoleName::root()).unwrap().bytes(),
        1 << 20,
    )
    .unwrap();
    let v1 = verify_root(raw, &gun(), None, Expiry::At(now())).unwrap();

    // The repository as published: root v1 is the previous root.
    let mut repo = repo;
    repo.previous_root = Some(repo.root.clone());
    let new_key = keys.add();
    let cert = root_certificate(
        &new_key,
        &gun(),
        now(),
        now() + chrono::Duration::days(3650),
    )
    .unwrap();
    let mut fresh = repo;
    fresh.clear_dirty();
    let roles = apply(
        &mut fresh,
        &[Change::RotateRoot {
            cert: Key::from_public(&cert),
        }],
        &keys,
        now(),
    )
    .unwrap();
    assert_eq!(roles, vec![vec![RoleName::root()]]);
    let signed = sign_dirty(fresh, &mut keys, now()).unwrap();
    let bytes = signed.get(&RoleName::root()).unwrap().bytes();
    assert_eq!(version(bytes), 2);
    let raw = RawSigned::<Root>::from_bytes(&RoleName::root(), bytes, 1 << 20).unwrap();
    let v2 = verify_root(raw, &gun(), Some(&v1), Expiry::At(now())).unwrap();
    let mut signers: Vec<KeyId> = v2.signatures().iter().map(|s| s.keyid.clone()).collect();
    signers.sort();
    let mut expected = vec![old_cert.key_id(), Key::from_public(&cert).key_id()];
    expected.sort();
    assert_eq!(signers, expected);
    assert!(
        v2.signed().keys.contains_key(&old_cert.key_id()),
        "old certificate kept"
    );
}
