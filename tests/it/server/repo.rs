//! A minimal publishing client for the server tests, built on the library's model: root key
//! with a notary-profile certificate, targets key, client or server snapshot key, and the
//! server's timestamp key fetched from `timestamp.key`.

use chrono::{DateTime, Duration, Utc};

use trustctl::crypto::{root_certificate, PrivateKey};
use trustctl::tuf::wire::{Expires, Key, Root, Snapshot, Targets};
use trustctl::tuf::{sign_role, Gun, KeyId, RoleName, SignedFile, SigningKey};

use super::App;

pub fn key_from_body(body: &[u8]) -> Key {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("key body {body:?}: {e}"))
}

pub fn sign<R: trustctl::tuf::wire::Role>(
    role: &str,
    signed: &R,
    keys: &[(&PrivateKey, &KeyId)],
) -> Vec<u8> {
    let signers: Vec<SigningKey<'_>> = keys.iter().map(|(k, id)| SigningKey::new(k, id)).collect();
    sign_role(&RoleName::new(role).unwrap(), signed, &signers, None)
        .unwrap()
        .into_bytes()
}

pub struct TestRepo {
    pub gun: Gun,
    pub root_key: PrivateKey,
    pub root_pub: Key,
    pub targets_key: PrivateKey,
    /// Client-held snapshot key (`None` when the server manages the snapshot).
    pub snapshot_key: Option<PrivateKey>,
    pub snapshot_pub: Key,
    pub timestamp_pub: Key,
    pub now: DateTime<Utc>,
}

impl TestRepo {
    /// Keys like `notary init` (client snapshot key); the timestamp key comes from the server.
    pub async fn init(app: &App, gun: &str) -> TestRepo {
        let snapshot = PrivateKey::generate_ecdsa_p256().unwrap();
        let snapshot_pub = Key::from_public(&snapshot.public_key());
        TestRepo::build(app, gun, Some(snapshot), snapshot_pub).await
    }

    /// Keys like docker (snapshot key held by the server).
    pub async fn init_server_snapshot(app: &App, gun: &str) -> TestRepo {
        let r = app.tuf(gun, "snapshot.key").await;
        assert_eq!(r.status, 200);
        TestRepo::build(app, gun, None, key_from_body(&r.body)).await
    }

    async fn build(
        app: &App,
        gun: &str,
        snapshot_key: Option<PrivateKey>,
        snapshot_pub: Key,
    ) -> TestRepo {
        let r = app.tuf(gun, "timestamp.key").await;
        assert_eq!(r.status, 200, "{}", r.text());
        let now = app.clock.0.lock().unwrap().to_owned();
        TestRepo::with_keys(gun, snapshot_key, snapshot_pub, key_from_body(&r.body), now)
    }

    /// New root and targets keys for `gun`, with the given snapshot and timestamp keys (for
    /// a server reached over the network, whose keys the caller fetched).
    pub fn with_keys(
        gun: &str,
        snapshot_key: Option<PrivateKey>,
        snapshot_pub: Key,
        timestamp_pub: Key,
        now: DateTime<Utc>,
    ) -> TestRepo {
        let gun = Gun::new(gun).unwrap();
        let root_key = PrivateKey::generate_ecdsa_p256().unwrap();
        let cert = root_certificate(&root_key, &gun, now, now + Duration::days(3650)).unwrap();
        TestRepo {
            gun,
            root_key,
            root_pub: Key::from_public(&cert),
            targets_key: PrivateKey::generate_ecdsa_p256().unwrap(),
            snapshot_key,
            snapshot_pub,
            timestamp_pub,
            now,
        }
    }

    pub fn expires(&self, days: i64) -> Expires {
        Expires::utc(self.now + Duration::days(days))
    }

    pub fn root(&self, version: i64) -> Root {
        let mut root = Root::new(version, self.expires(3650));
        root.set_role(&RoleName::root(), std::slice::from_ref(&self.root_pub), 1);
        root.set_role(
            &RoleName::targets(),
            &[Key::from_public(&self.targets_key.public_key())],
            1,
        );
        root.set_role(
            &RoleName::snapshot(),
            std::slice::from_ref(&self.snapshot_pub),
            1,
        );
        root.set_role(
            &RoleName::timestamp(),
            std::slice::from_ref(&self.timestamp_pub),
            1,
        );
        root
    }

    pub fn root_id(&self) -> KeyId {
        self.root_pub.key_id()
    }

    pub fn sign_root(&self, root: &Root) -> Vec<u8> {
        sign("root", root, &[(&self.root_key, &self.root_id())])
    }

    pub fn root_bytes(&self, version: i64) -> Vec<u8> {
        self.sign_root(&self.root(version))
    }

    pub fn targets(&self, version: i64) -> Targets {
        Targets::new(version, self.expires(1095))
    }

    pub fn sign_targets(&self, targets: &Targets) -> Vec<u8> {
        let id = self.targets_key.key_id();
        sign("targets", targets, &[(&self.targets_key, &id)])
    }

    pub fn targets_bytes(&self, version: i64) -> Vec<u8> {
        self.sign_targets(&self.targets(version))
    }

    /// A client snapshot listing the exact bytes of `files`.
    pub fn snapshot_bytes(&self, version: i64, files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut snapshot = Snapshot::new(version, self.expires(1095));
        for (role, bytes) in files {
            snapshot.set_meta(
                &RoleName::new(*role).unwrap(),
                &SignedFile::new(bytes.to_vec()),
            );
        }
        let key = self.snapshot_key.as_ref().expect("client snapshot key");
        let id = key.key_id();
        sign("snapshot", &snapshot, &[(key, &id)])
    }

    /// Publish root v1 + targets v1 (+ client snapshot v1); returns (root, targets) bytes.
    pub async fn publish_initial(&self, app: &App) -> (Vec<u8>, Vec<u8>) {
        let root = self.root_bytes(1);
        let targets = self.targets_bytes(1);
        let resp = match &self.snapshot_key {
            Some(_) => {
                let snapshot = self.snapshot_bytes(1, &[("root", &root), ("targets", &targets)]);
                app.publish(
                    self.gun.as_str(),
                    &[
                        ("root", &root),
                        ("targets", &targets),
                        ("snapshot", &snapshot),
                    ],
                )
                .await
            }
            None => {
                app.publish(self.gun.as_str(), &[("root", &root), ("targets", &targets)])
                    .await
            }
        };
        resp.assert(200, "");
        (root, targets)
    }
}
