//! Publishing: notary's per-part checks and validation order, answered with the exact bodies
//! the real notary-server gave (`fixtures/samples/server/publish-validation-errors.txt`,
//! `root-validation.txt`, `versions-and-delegations.txt`), and attack cases that must leave
//! nothing stored.

use axum::http::Method;
use chrono::Duration;
use sha2::{Digest, Sha256};

use trustctl::crypto::{root_certificate, PrivateKey};
use trustctl::server::Settings;
use trustctl::tuf::wire::{DelegationRole, Key, Snapshot, Targets};
use trustctl::tuf::{Gun, KeyId, RawSigned, RoleName};

use super::repo::{sign, TestRepo};
use super::{captured, App};

/// The state a rejected publish must leave untouched.
async fn state_of(app: &App, gun: &str) -> (Vec<u8>, usize) {
    (app.tuf(gun, "timestamp.json").await.body, app.changes(gun))
}

#[track_caller]
fn expect(resp: &super::Resp, file: &str, desc: &str) {
    let (status, body) = captured(file, desc);
    assert_eq!((resp.status, resp.text()), (status, body), "{desc}");
}

fn with_envelope(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

/// Raw `r||s` → ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let int = |b: &[u8]| {
        let mut v: Vec<u8> = b.iter().skip_while(|x| **x == 0).copied().collect();
        if v.first().is_some_and(|x| x & 0x80 != 0) {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let body = [int(&raw[..32]), int(&raw[32..])].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[tokio::test]
async fn part_checks_in_notary_order() {
    let app = App::new("server-parts");
    let gun = "example.com/wire/parts";
    let repo = TestRepo::init(&app, gun).await;
    repo.publish_initial(&app).await;
    let before = state_of(&app, gun).await;
    let file = "publish-validation-errors.txt";
    let post = |ct: Option<&'static str>, body: &'static [u8]| {
        app.call(
            Method::POST,
            "/v2/example.com/wire/parts/_trust/tuf/",
            ct,
            body.to_vec(),
        )
    };
    expect(
        &post(Some("application/json"), b"{}").await,
        file,
        "non-multipart body",
    );
    expect(&post(None, b"").await, file, "non-multipart body");
    let no_name = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"files\"\r\n\r\n{{}}\r\n--{b}--\r\n",
        b = super::BOUNDARY
    );
    let ct = format!("multipart/form-data; boundary={}", super::BOUNDARY);
    let r = app
        .call(
            Method::POST,
            &format!("/v2/{gun}/_trust/tuf/"),
            Some(&ct),
            no_name.into_bytes(),
        )
        .await;
    expect(&r, file, "part without filename");
    let targets = repo.targets_bytes(2);
    expect(
        &app.publish(gun, &[("foo", &targets)]).await,
        file,
        "invalid role name foo",
    );
    expect(
        &app.publish(gun, &[("targets/Bob", &targets)]).await,
        file,
        "uppercase delegation",
    );
    expect(
        &app.publish(gun, &[("targets", b"{not json")]).await,
        file,
        "malformed json",
    );
    // A later part's name error wins only after earlier parts passed their checks.
    expect(
        &app.publish(gun, &[("targets", b"[]"), ("foo", &targets)])
            .await,
        file,
        "malformed json",
    );
    // Truncated multipart framing.
    let (ct, mut body) = super::multipart(&[("targets", &targets)]);
    body.truncate(body.len() - 10);
    let r = app
        .call(
            Method::POST,
            &format!("/v2/{gun}/_trust/tuf/"),
            Some(&ct),
            body,
        )
        .await;
    expect(&r, file, "non-multipart body");
    assert_eq!(state_of(&app, gun).await, before);
    // `targets.json` names the targets role.
    let other = PrivateKey::generate_ecdsa_p256().unwrap();
    let forged = sign("targets", &repo.targets(2), &[(&other, &other.key_id())]);
    expect(
        &app.publish(gun, &[("targets.json", &forged)]).await,
        file,
        "role name with .json suffix (targets.json), bad sig",
    );
    assert_eq!(state_of(&app, gun).await, before);
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let settings = Settings {
        max_body: 4096,
        ..Settings::default()
    };
    let app = App::with_settings("server-oversized", settings);
    let big = vec![b' '; 8192];
    let r = app.publish("example.com/big", &[("targets", &big)]).await;
    expect(&r, "publish-validation-errors.txt", "non-multipart body");
}

#[tokio::test]
async fn targets_attacks_store_nothing() {
    let app = App::new("server-targets-attacks");
    let gun = "example.com/wire/targets";
    let repo = TestRepo::init_server_snapshot(&app, gun).await;
    repo.publish_initial(&app).await;
    let before = state_of(&app, gun).await;
    let file = "publish-validation-errors.txt";

    let other = PrivateKey::generate_ecdsa_p256().unwrap();
    let forged = sign("targets", &repo.targets(2), &[(&other, &other.key_id())]);
    expect(
        &app.publish(gun, &[("targets", &forged)]).await,
        file,
        "targets signed by wrong key",
    );
    expect(
        &app.publish(gun, &[("targets", &repo.targets_bytes(1))])
            .await,
        file,
        "targets same version (1)",
    );
    let lower = with_envelope(&repo.targets_bytes(2), |v| {
        v["signed"]["_type"] = "targets".into()
    });
    expect(
        &app.publish(gun, &[("targets", &lower)]).await,
        file,
        "lowercase _type",
    );
    expect(
        &app.publish(gun, &[("targets", &repo.targets_bytes(0))])
            .await,
        file,
        "version 0",
    );
    let releases = repo.targets_bytes(1);
    expect(
        &app.publish(gun, &[("targets/releases", &releases)]).await,
        file,
        "delegation not in parent",
    );
    let mut expired = repo.targets(2);
    expired.expires = trustctl::tuf::wire::Expires::utc(repo.now - Duration::days(1));
    let r = app
        .publish(gun, &[("targets", &repo.sign_targets(&expired))])
        .await;
    assert_eq!(r.status, 400);
    let when = (repo.now - Duration::days(1)).format("%a %b %-d %H:%M:%S UTC %Y");
    assert_eq!(
        r.text(),
        format!("{{\"errors\":[{{\"code\":\"INVALID_UPDATE\",\"message\":\"Update sent by the client is invalid.\",\"detail\":{{\"Name\":\"ErrBadTargets\",\"Error\":{{\"Msg\":\"targets expired at {when}\"}}}}}}]}}\n")
    );
    assert_eq!(state_of(&app, gun).await, before);

    // Gaps are fine; the uploaded timestamp is ignored; unknown fields are accepted.
    app.publish(gun, &[("targets", &repo.targets_bytes(5))])
        .await
        .assert(200, "");
    app.publish(gun, &[("targets", &repo.targets_bytes(3))])
        .await
        .assert(400, &captured(file, "targets same version (1)").1);
    let garbage = with_envelope(&repo.targets_bytes(9), |v| {
        v["signed"]["_type"] = "Timestamp".into();
    });
    expect(
        &app.publish(gun, &[("timestamp", &garbage)]).await,
        file,
        "upload timestamp garbage-signed",
    );
    let extra = with_envelope(&repo.targets_bytes(6), |v| {
        v["signed"]["custom_field"] = "x".into()
    });
    let extra = sign_value(&repo, extra);
    expect(
        &app.publish(gun, &[("targets", &extra)]).await,
        file,
        "targets with extra field",
    );
    // We serve (and hash) the exact bytes we accepted, so the repository stays readable.
    assert_eq!(app.tuf(gun, "targets.json").await.body, extra);
}

/// Re-sign an edited targets envelope (its `signed` as given, extra fields included).
fn sign_value(repo: &TestRepo, envelope: Vec<u8>) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_slice(&envelope).unwrap();
    let canonical = trustctl::tuf::canonical::to_canonical(&v["signed"]).unwrap();
    let sig = repo.targets_key.sign(&canonical).unwrap();
    let sigs = vec![trustctl::tuf::wire::WireSignature {
        keyid: repo.targets_key.key_id(),
        method: sig.method.to_string(),
        sig: trustctl::tuf::wire::Base64(sig.bytes),
    }];
    trustctl::tuf::wire::envelope_bytes(&canonical, &sigs).unwrap()
}

#[tokio::test]
async fn root_rules_match_notary() {
    let app = App::new("server-root-rules");
    let file = "root-validation.txt";
    let gun = "example.com/wire/root";
    let repo = TestRepo::init_server_snapshot(&app, gun).await;
    let targets = repo.targets_bytes(1);

    // Plain ecdsa root key.
    let mut plain = repo.root(1);
    let key = Key::from_public(&repo.root_key.public_key());
    plain.set_role(&RoleName::root(), std::slice::from_ref(&key), 1);
    let bytes = sign("root", &plain, &[(&repo.root_key, &key.key_id())]);
    expect(
        &app.publish(gun, &[("root", &bytes), ("targets", &targets)])
            .await,
        file,
        "root key is plain ecdsa (no cert)",
    );
    // Certificate for another GUN.
    let other_gun = Gun::new("example.com/other").unwrap();
    let cert = root_certificate(
        &repo.root_key,
        &other_gun,
        repo.now,
        repo.now + Duration::days(9),
    )
    .unwrap();
    let mut wrong_cn = repo.root(1);
    let key = Key::from_public(&cert);
    wrong_cn.set_role(&RoleName::root(), std::slice::from_ref(&key), 1);
    let bytes = sign("root", &wrong_cn, &[(&repo.root_key, &key.key_id())]);
    expect(
        &app.publish(gun, &[("root", &bytes), ("targets", &targets)])
            .await,
        file,
        "root cert CN != GUN",
    );
    // DER instead of raw r||s.
    let der = with_envelope(&repo.root_bytes(1), |v| {
        let sig = &mut v["signatures"][0]["sig"];
        let raw = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            sig.as_str().unwrap(),
        )
        .unwrap();
        *sig = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            der_signature(&raw),
        )
        .into();
    });
    expect(
        &app.publish(gun, &[("root", &der), ("targets", &targets)])
            .await,
        file,
        "ASN.1/DER ecdsa signature",
    );
    // Threshold 2 with one signature.
    let mut two = repo.root(1);
    two.roles.get_mut("root").unwrap().threshold = 2;
    expect(
        &app.publish(
            gun,
            &[("root", &repo.sign_root(&two)), ("targets", &targets)],
        )
        .await,
        file,
        "root threshold 2 with one signature",
    );
    // A role key ID without a key.
    let mut missing = repo.root(1);
    missing.roles.get_mut("targets").unwrap().keyids = vec![KeyId::new("0".repeat(64)).unwrap()];
    expect(
        &app.publish(
            gun,
            &[("root", &repo.sign_root(&missing)), ("targets", &targets)],
        )
        .await,
        file,
        "targets keyid not in keys",
    );
    // No root at all for a new GUN.
    expect(
        &app.publish(gun, &[("targets", &targets)]).await,
        "publish-validation-errors.txt",
        "new gun, targets only",
    );
    assert_eq!(app.changes(gun), 0);
    assert_eq!(app.tuf(gun, "1.root.json").await.status, 404);

    // Accepted variants: uppercase method, consistent_snapshot, extra role.
    let upper = with_envelope(&repo.root_bytes(1), |v| {
        v["signatures"][0]["method"] = "ECDSA".into()
    });
    expect(
        &app.publish(gun, &[("root", &upper), ("targets", &targets)])
            .await,
        file,
        "method \"ECDSA\" uppercase",
    );
    let mut extra = repo.root(2);
    extra.consistent_snapshot = true;
    extra
        .roles
        .insert("mirror".into(), extra.roles["targets"].clone());
    let r = app.publish(gun, &[("root", &repo.sign_root(&extra))]).await;
    expect(&r, file, "consistent_snapshot true");
    // (Wildcard CNs such as `mini/wild/*` are covered by the model's root tests.)
}

#[tokio::test]
async fn root_versions_and_rotation() {
    let app = App::new("server-rotation");
    let file = "publish-validation-errors.txt";
    let gun = "example.com/wire/rotate";
    let mut repo = TestRepo::init_server_snapshot(&app, gun).await;
    repo.publish_initial(&app).await;
    let before = state_of(&app, gun).await;
    expect(
        &app.publish(gun, &[("root", &repo.root_bytes(3))]).await,
        file,
        "root version jump 1->3 (bad sig too)",
    );
    app.publish(gun, &[("root", &repo.root_bytes(1))])
        .await
        .assert(400, &captured(file, "targets same version (1)").1);
    // Rotation signed only by the new key: refused.
    let old_key = std::mem::replace(
        &mut repo.root_key,
        PrivateKey::generate_ecdsa_p256().unwrap(),
    );
    let old_pub = repo.root_pub.clone();
    let cert = root_certificate(
        &repo.root_key,
        &repo.gun,
        repo.now,
        repo.now + Duration::days(3650),
    )
    .unwrap();
    repo.root_pub = Key::from_public(&cert);
    let rotated = repo.root(2);
    expect(
        &app.publish(gun, &[("root", &repo.sign_root(&rotated))])
            .await,
        file,
        "root v2 signed by unknown key",
    );
    assert_eq!(state_of(&app, gun).await, before);
    // Signed by old and new: accepted, both versions stay fetchable.
    let mut rotated = rotated;
    rotated.keys.insert(old_pub.key_id(), old_pub.clone());
    let both = sign(
        "root",
        &rotated,
        &[
            (&repo.root_key, &repo.root_id()),
            (&old_key, &old_pub.key_id()),
        ],
    );
    app.publish(gun, &[("root", &both)]).await.assert(200, "");
    assert_eq!(app.tuf(gun, "2.root.json").await.body, both);
    assert_eq!(app.tuf(gun, "root.json").await.body, both);
    assert_eq!(app.tuf(gun, "1.root.json").await.status, 200);
    // Only the new root key can sign the next one.
    let mut next = rotated.clone();
    next.version = 3;
    let old_only = sign("root", &next, &[(&old_key, &old_pub.key_id())]);
    expect(
        &app.publish(gun, &[("root", &old_only)]).await,
        file,
        "root v2 signed by unknown key",
    );
}

#[tokio::test]
async fn client_snapshot_rules() {
    let app = App::new("server-client-snapshot");
    let file = "publish-validation-errors.txt";
    let gun = "example.com/wire/sample1";
    let repo = TestRepo::init(&app, gun).await;
    let (root, targets) = repo.publish_initial(&app).await;
    let before = state_of(&app, gun).await;
    expect(
        &app.publish(gun, &[]).await,
        file,
        "sample1 empty post (client-managed snapshot)",
    );
    // A snapshot listing a stale targets hash.
    let t2 = repo.targets_bytes(2);
    let stale = repo.snapshot_bytes(2, &[("root", &root), ("targets", &targets)]);
    let r = app
        .publish(gun, &[("targets", &t2), ("snapshot", &stale)])
        .await;
    let listed = hex::encode(Sha256::digest(&targets));
    assert_eq!(r.status, 400);
    assert_eq!(r.text(), format!("{{\"errors\":[{{\"code\":\"INVALID_UPDATE\",\"message\":\"Update sent by the client is invalid.\",\"detail\":{{\"Name\":\"ErrBadSnapshot\",\"Error\":{{\"Msg\":\"sha256 checksum for targets did not match: expected {listed}\"}}}}}}]}}\n"));
    // A wrong root hash.
    let bad_root = repo.snapshot_bytes(2, &[("root", &t2), ("targets", &t2)]);
    let r = app
        .publish(gun, &[("targets", &t2), ("snapshot", &bad_root)])
        .await;
    assert!(
        r.text()
            .contains("\"Msg\":\"sha256 checksum for root did not match: expected "),
        "{}",
        r.text()
    );
    // Snapshot signed by another key.
    let other = PrivateKey::generate_ecdsa_p256().unwrap();
    let mut sn = Snapshot::new(2, repo.expires(30));
    sn.set_meta(
        &RoleName::root(),
        &trustctl::tuf::SignedFile::new(root.clone()),
    );
    sn.set_meta(
        &RoleName::targets(),
        &trustctl::tuf::SignedFile::new(t2.clone()),
    );
    let forged = sign("snapshot", &sn, &[(&other, &other.key_id())]);
    expect(
        &app.publish(gun, &[("targets", &t2), ("snapshot", &forged)])
            .await,
        file,
        "snapshot signed by wrong key",
    );
    assert_eq!(state_of(&app, gun).await, before);
    let good = repo.snapshot_bytes(2, &[("root", &root), ("targets", &t2)]);
    app.publish(gun, &[("targets", &t2), ("snapshot", &good)])
        .await
        .assert(200, "");
    assert_eq!(app.tuf(gun, "snapshot.json").await.body, good);
}

#[tokio::test]
async fn server_snapshot_and_delegations() {
    let app = App::new("server-delegations");
    let gun = "localhost:5000/wire/img";
    let repo = TestRepo::init_server_snapshot(&app, gun).await;
    let (root, targets) = repo.publish_initial(&app).await;
    // The generated snapshot hashes the exact stored root and targets.
    let sn = app.tuf(gun, "snapshot.json").await;
    let snapshot =
        RawSigned::<Snapshot>::from_bytes(&RoleName::snapshot(), &sn.body, 1 << 20).unwrap();
    let meta = &snapshot.signed_untrusted().meta;
    assert_eq!(
        meta[&RoleName::root()].sha256_hex().unwrap(),
        hex::encode(Sha256::digest(&root))
    );
    assert_eq!(
        meta[&RoleName::targets()].sha256_hex().unwrap(),
        hex::encode(Sha256::digest(&targets))
    );
    assert_eq!(meta[&RoleName::targets()].length, targets.len() as i64);
    // An empty POST bumps snapshot and timestamp.
    app.publish(gun, &[]).await.assert(200, "");
    assert_eq!(app.tuf(gun, "2.snapshot.json").await.status, 200);
    assert_eq!(app.tuf(gun, "2.timestamp.json").await.status, 200);

    // Delegate targets/releases to D, then publish it signed by D.
    let d = PrivateKey::generate_ecdsa_p256().unwrap();
    let d_key = Key::from_public(&d.public_key());
    let mut t2: Targets = repo.targets(2);
    t2.delegations.keys.insert(d_key.key_id(), d_key.clone());
    t2.delegations.roles.push(DelegationRole {
        keyids: Some(vec![d_key.key_id()]),
        name: RoleName::releases(),
        paths: Some(vec![String::new()]),
        threshold: 1,
    });
    let t2 = repo.sign_targets(&t2);
    let rel1 = sign("targets/releases", &repo.targets(1), &[(&d, &d.key_id())]);
    app.publish(gun, &[("targets/releases", &rel1), ("targets", &t2)])
        .await
        .assert(200, "");
    assert_eq!(app.tuf(gun, "targets/releases.json").await.body, rel1);
    assert_eq!(app.tuf(gun, "1.targets/releases.json").await.body, rel1);
    let hex = hex::encode(Sha256::digest(&rel1));
    assert_eq!(
        app.tuf(gun, &format!("targets/releases.{hex}.json"))
            .await
            .body,
        rel1
    );
    // Later: only the delegation, verified against the stored parent.
    let rel2 = sign("targets/releases", &repo.targets(2), &[(&d, &d.key_id())]);
    app.publish(gun, &[("targets/releases", &rel2)])
        .await
        .assert(200, "");
    assert_eq!(app.tuf(gun, "targets/releases.json").await.body, rel2);
    // Signed by the wrong key, or a grandchild the parent does not delegate.
    let forged = sign(
        "targets/releases",
        &repo.targets(3),
        &[(&repo.targets_key, &repo.targets_key.key_id())],
    );
    let r = app.publish(gun, &[("targets/releases", &forged)]).await;
    assert!(
        r.text()
            .contains("\"Msg\":\"valid signatures did not meet threshold for targets/releases\""),
        "{}",
        r.text()
    );
    let nested = sign("targets/releases/x", &repo.targets(1), &[(&d, &d.key_id())]);
    let r = app.publish(gun, &[("targets/releases/x", &nested)]).await;
    assert!(
        r.text().contains(
            "\"Msg\":\"tuf: invalid role targets/releases/x. delegation does not exist\""
        ),
        "{}",
        r.text()
    );
    let mut bad: Targets = repo.targets(3);
    bad.delegations.roles.push(DelegationRole {
        keyids: Some(vec![d_key.key_id()]),
        name: RoleName::new("targets/a/b").unwrap(),
        paths: None,
        threshold: 1,
    });
    bad.delegations.keys.insert(d_key.key_id(), d_key);
    let r = app
        .publish(gun, &[("targets", &repo.sign_targets(&bad))])
        .await;
    assert!(
        r.text().contains(
            "\"Msg\":\"targets type metadata invalid: delegation role targets/a/b invalid\""
        ),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn duplicate_signatures_count_once() {
    let app = App::new("server-duplicate-sigs");
    let gun = "example.com/wire/dup";
    let repo = TestRepo::init_server_snapshot(&app, gun).await;
    let mut root = repo.root(1);
    root.roles.get_mut("targets").unwrap().threshold = 2;
    let root = repo.sign_root(&root);
    let twice = with_envelope(&repo.targets_bytes(1), |v| {
        let sig = v["signatures"][0].clone();
        v["signatures"].as_array_mut().unwrap().push(sig);
    });
    let r = app
        .publish(gun, &[("root", &root), ("targets", &twice)])
        .await;
    expect(
        &r,
        "publish-validation-errors.txt",
        "targets signed by wrong key",
    );
    assert_eq!(app.changes(gun), 0);
}
