//! Key store tests on temp trust dirs with real notary/docker key files.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use zeroize::Zeroizing;

use super::passphrase::{Origin, Passphrase, Request};
use super::*;
use crate::crypto::PrivateKey;
use crate::tuf::{Gun, KeyId};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/samples/keys")
        .join(name)
}

/// A source that plays back typed passphrases and counts the asks.
struct Typed {
    answers: Vec<&'static str>,
    asked: u32,
}

impl PassphraseSource for Typed {
    fn passphrase(&mut self, _req: &Request<'_>) -> Result<Passphrase, Error> {
        let a = self.answers[self.asked as usize % self.answers.len()];
        self.asked += 1;
        Ok(Passphrase {
            secret: Zeroizing::new(a.into()),
            origin: Origin::Prompt,
        })
    }
}

#[test]
fn save_list_find_load() {
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("trust");
    let store = KeyStore::new(&trust);
    assert_eq!(store.list().unwrap(), vec![]);
    let gun = Gun::new("example.com/a").unwrap();
    let k1 = PrivateKey::generate_ecdsa_p256().unwrap();
    let k2 = PrivateKey::generate_ed25519().unwrap();
    let e1 = store
        .save(&k1, "targets", Some(&gun), &mut Fixed::new("pw1", "X"))
        .unwrap();
    let e2 = store
        .save(&k2, "targets/releases", None, &mut Fixed::new("pw2", "X"))
        .unwrap();
    assert_eq!(e1.path, trust.join(format!("private/{}.key", k1.key_id())));
    assert_eq!(mode(&trust), 0o700);
    assert_eq!(mode(&trust.join("private")), 0o700);
    assert_eq!(mode(&e1.path), 0o600);
    let mut all = vec![e1.clone(), e2.clone()];
    all.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(store.list().unwrap(), all);
    assert_eq!(store.find("targets", Some(&gun)).unwrap(), vec![e1.clone()]);
    assert_eq!(
        store
            .find("targets", Some(&Gun::new("example.com/b").unwrap()))
            .unwrap(),
        vec![]
    );
    assert_eq!(store.find("targets/releases", None).unwrap(), vec![e2]);
    let loaded = store
        .load(&k1.key_id(), &mut Fixed::new("pw1", "X"))
        .unwrap();
    assert_eq!(loaded.key_id(), k1.key_id());
}

#[test]
fn prepare_writes_nothing_until_commit() {
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("trust");
    let store = KeyStore::new(&trust);
    let key = PrivateKey::generate_ecdsa_p256().unwrap();
    let prepared = store
        .prepare(&key, "alice", None, &mut Fixed::new("pw", "X"))
        .unwrap();
    assert!(!trust.exists());
    let entry = prepared.commit().unwrap();
    assert!(entry.path.exists());
}

#[test]
fn env_passphrase_is_tried_once_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let key = PrivateKey::generate_ecdsa_p256().unwrap();
    let entry = store
        .save(&key, "alice", None, &mut Fixed::new("right", "X"))
        .unwrap();
    let err = store
        .load(
            &key.key_id(),
            &mut Fixed::new("wrong", "TRUSTCTL_DELEGATION_PASSPHRASE"),
        )
        .unwrap_err();
    match err {
        Error::WrongPassphrase { what, path, origin } => {
            assert_eq!(what, format!("key {}", key.key_id()));
            assert_eq!(path, entry.path);
            assert_eq!(origin, "$TRUSTCTL_DELEGATION_PASSPHRASE");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn typed_passphrase_gets_three_tries() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let key = PrivateKey::generate_ecdsa_p256().unwrap();
    store
        .save(&key, "alice", None, &mut Fixed::new("right", "X"))
        .unwrap();
    let mut src = Typed {
        answers: vec!["a", "b", "right"],
        asked: 0,
    };
    assert!(store.load(&key.key_id(), &mut src).is_ok());
    assert_eq!(src.asked, 3);
    let mut src = Typed {
        answers: vec!["nope"],
        asked: 0,
    };
    assert!(matches!(
        store.load(&key.key_id(), &mut src),
        Err(Error::WrongPassphrase { .. })
    ));
    assert_eq!(src.asked, 3);
}

#[test]
fn real_docker_key_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let name = "427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9.key";
    std::fs::create_dir_all(store.private_dir()).unwrap();
    std::fs::copy(sample(name), store.private_dir().join(name)).unwrap();
    let id = KeyId::new(name.trim_end_matches(".key")).unwrap();
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].role, "targets");
    assert_eq!(list[0].gun.as_deref(), Some("localhost:5000/wire/sample2"));
    let key = store
        .load(&id, &mut Fixed::new("dockerrepo123", "X"))
        .unwrap();
    assert_eq!(key.key_id(), id);
}

#[test]
fn file_holding_another_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let key = PrivateKey::generate_ecdsa_p256().unwrap();
    let entry = store
        .save(&key, "alice", None, &mut Fixed::new("pw", "X"))
        .unwrap();
    let other = KeyId::new("ab".repeat(32)).unwrap();
    std::fs::rename(&entry.path, store.key_path(&other)).unwrap();
    assert!(matches!(
        store.load(&other, &mut Fixed::new("pw", "X")),
        Err(Error::IdMismatch { file_id, actual_id, .. })
            if file_id == other.as_str() && actual_id == key.key_id().as_str()
    ));
    assert!(matches!(
        store.load(&key.key_id(), &mut Fixed::new("pw", "X")),
        Err(Error::KeyNotFound { .. })
    ));
}

#[test]
fn corrupt_key_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let id = KeyId::new("cd".repeat(32)).unwrap();
    std::fs::create_dir_all(store.private_dir()).unwrap();
    let path = store.key_path(&id);
    let mut f = std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(&mut f, b"garbage").unwrap();
    let listed = store.list().unwrap();
    assert_eq!(listed[0].role, "");
    assert!(matches!(
        store.load(&id, &mut Fixed::new("pw", "X")),
        Err(Error::KeyFile { path: p, source: crate::crypto::Error::Malformed { what: "no PEM block" } })
            if p == path
    ));
}

#[test]
fn roles_that_break_headers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(dir.path());
    let key = PrivateKey::generate_ecdsa_p256().unwrap();
    assert!(matches!(
        store.prepare(&key, "a\nrole: root", None, &mut Fixed::new("pw", "X")),
        Err(Error::BadHeader { what: "role", .. })
    ));
}
