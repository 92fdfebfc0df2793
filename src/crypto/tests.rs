//! Crypto tests against the real notary/docker samples and independent verifiers.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use chrono::{TimeZone, Utc};
use serde_json::Value;

use super::*;
use crate::tuf::canonical::to_canonical;
use crate::tuf::{Gun, KeyId};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn samples() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples/metadata");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        out.push((name, serde_json::from_slice(&bytes).unwrap()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn wire_key(k: &Value) -> PublicKey {
    let keytype: KeyType = k["keytype"].as_str().unwrap().parse().unwrap();
    let public = B64.decode(k["keyval"]["public"].as_str().unwrap()).unwrap();
    PublicKey::new(keytype, public)
}

/// Every key of every sample (root keys and delegation keys), by claimed ID.
fn key_pool() -> BTreeMap<String, PublicKey> {
    let mut pool = BTreeMap::new();
    for (_, doc) in samples() {
        let signed = &doc["signed"];
        for map in [&signed["keys"], &signed["delegations"]["keys"]] {
            if let Some(keys) = map.as_object() {
                for (id, k) in keys {
                    pool.insert(id.clone(), wire_key(k));
                }
            }
        }
    }
    pool
}

#[test]
fn sample_key_ids_recompute() {
    let pool = key_pool();
    assert!(
        pool.len() > 15,
        "expected many sample keys, got {}",
        pool.len()
    );
    for (id, key) in &pool {
        assert_eq!(key.key_id().as_str(), id, "{}", key.keytype());
    }
}

#[test]
fn docker_root_cert_canonical_id_names_the_key_file() {
    let (_, doc) = samples()
        .into_iter()
        .find(|(n, _)| n == "docker-repo.root.json")
        .unwrap();
    let root_ids = doc["signed"]["roles"]["root"]["keyids"].as_array().unwrap();
    let key = wire_key(&doc["signed"]["keys"][root_ids[0].as_str().unwrap()]);
    assert_eq!(key.keytype(), KeyType::EcdsaX509);
    assert_eq!(
        key.canonical_key_id().unwrap().as_str(),
        "87cc5cd3cfe31ce86f67e4a72d9b3ce04146796e1f60e77367116e122c052176"
    );
    assert_eq!(key.plain_key().unwrap().keytype(), KeyType::Ecdsa);
    // plain keys: canonical ID == TUF ID
    let targets = wire_key(
        &doc["signed"]["keys"]["427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9"],
    );
    assert_eq!(targets.canonical_key_id().unwrap(), targets.key_id());
}

#[test]
fn every_sample_signature_verifies() {
    let pool = key_pool();
    let mut checked = 0;
    for (name, doc) in samples() {
        let msg = to_canonical(&doc["signed"]).unwrap();
        for sig in doc["signatures"].as_array().unwrap() {
            let Some(key) = pool.get(sig["keyid"].as_str().unwrap()) else {
                // keyids-null-after-signer-remove: its targets key is in no other sample
                assert_eq!(name, "keyids-null-after-signer-remove.targets.json");
                continue;
            };
            let bytes = B64.decode(sig["sig"].as_str().unwrap()).unwrap();
            let method = sig["method"].as_str().unwrap();
            key.verify(method, &msg, &bytes)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // method is case-insensitive
            key.verify(&method.to_uppercase(), &msg, &bytes).unwrap();
            checked += 1;
        }
    }
    assert_eq!(checked, 22);
}

fn ecdsa_sample() -> (PublicKey, Vec<u8>, Vec<u8>) {
    let (_, doc) = samples()
        .into_iter()
        .find(|(n, _)| n == "docker-repo.targets.json")
        .unwrap();
    let pool = key_pool();
    let sig = &doc["signatures"][0];
    let key = pool[sig["keyid"].as_str().unwrap()].clone();
    let msg = to_canonical(&doc["signed"]).unwrap();
    (key, msg, B64.decode(sig["sig"].as_str().unwrap()).unwrap())
}

#[test]
fn tampering_fails_with_bad_signature() {
    let (key, mut msg, sig) = ecdsa_sample();
    let bad = Err(Error::BadSignature {
        method: "ecdsa",
        key_id: key.key_id(),
    });
    let mut sig2 = sig.clone();
    sig2[10] ^= 1;
    assert_eq!(key.verify("ecdsa", &msg, &sig2), bad);
    msg[20] ^= 1;
    assert_eq!(key.verify("ecdsa", &msg, &sig), bad);
}

#[test]
fn der_ecdsa_signature_is_refused() {
    let (key, msg, sig) = ecdsa_sample();
    // re-encode r||s as DER
    let int = |b: &[u8]| {
        let mut v = b.to_vec();
        while v.len() > 1 && v[0] == 0 && v[1] < 0x80 {
            v.remove(0);
        }
        if v[0] >= 0x80 {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let mut body = int(&sig[..32]);
    body.extend(int(&sig[32..]));
    let mut der = vec![0x30, body.len() as u8];
    der.extend(body);
    assert_eq!(
        key.verify("ecdsa", &msg, &der),
        Err(Error::SignatureLength {
            method: "ecdsa",
            expected: 64,
            actual: der.len()
        })
    );
}

#[test]
fn method_and_key_must_match() {
    let (key, msg, sig) = ecdsa_sample();
    assert_eq!(
        key.verify("eddsa", &msg, &sig),
        Err(Error::MethodKeyMismatch {
            method: "eddsa".into(),
            keytype: KeyType::Ecdsa
        })
    );
    assert_eq!(
        key.verify("hmac", &msg, &sig),
        Err(Error::UnsupportedSignatureMethod {
            method: "hmac".into()
        })
    );
}

#[test]
fn sign_verify_round_trips() {
    let msg = b"{\"signed\":1}";
    for key in [
        PrivateKey::generate_ecdsa_p256().unwrap(),
        PrivateKey::generate_ed25519().unwrap(),
    ] {
        let sig = key.sign(msg).unwrap();
        let public = key.public_key();
        public.verify(sig.method, msg, &sig.bytes).unwrap();
        assert_eq!(
            public.verify(sig.method, b"other", &sig.bytes),
            Err(Error::BadSignature {
                method: sig.method,
                key_id: key.key_id()
            })
        );
    }
}

#[test]
fn private_key_exports_rebuild_the_same_key() {
    let ec = PrivateKey::generate_ecdsa_p256().unwrap();
    let again = PrivateKey::from_ecdsa_p256_scalar(&ec.ecdsa_p256_scalar().unwrap()).unwrap();
    assert_eq!(again.key_id(), ec.key_id());
    assert_eq!(ec.public_key().public_bytes().len(), 91);
    let ed = PrivateKey::generate_ed25519().unwrap();
    let again = PrivateKey::from_ed25519_seed(&ed.ed25519_seed().unwrap()).unwrap();
    assert_eq!(again.public_key(), ed.public_key());
    assert_eq!(ed.public_key().public_bytes().len(), 32);
    assert!(ec.ed25519_seed().is_none() && ed.ecdsa_p256_scalar().is_none());
    let debug = format!("{ec:?}");
    assert!(debug.contains(ec.key_id().as_str()));
    let scalar_hex = hex::encode(ec.ecdsa_p256_scalar().unwrap().as_slice());
    assert!(!debug.contains(&scalar_hex));
    assert_eq!(
        PrivateKey::from_ed25519_seed(&[1; 31]).unwrap_err(),
        Error::MalformedPrivateKey {
            keytype: KeyType::Ed25519,
            reason: "ed25519 seed must be 32 bytes"
        }
    );
    assert_eq!(
        PrivateKey::from_ecdsa_p256_scalar(&[0xff; 32]).unwrap_err(),
        Error::MalformedPrivateKey {
            keytype: KeyType::Ecdsa,
            reason: "scalar is zero or not below the curve order"
        }
    );
}

#[test]
fn docker_pub_file_gives_alice_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples/keys/alice.pub");
    let key = PublicKey::from_spki_pem(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(key.keytype(), KeyType::Ecdsa);
    assert_eq!(
        key.key_id().as_str(),
        "6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c"
    );
    assert_eq!(
        PublicKey::from_spki_pem(b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n"),
        Err(Error::UnexpectedPemLabel {
            label: "FOO".into()
        })
    );
    assert_eq!(
        PublicKey::from_spki_pem(b"not pem"),
        Err(Error::Pem {
            reason: "no valid PEM block"
        })
    );
}

fn run_ok(cmd: &mut Command) -> Option<String> {
    match cmd.output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{cmd:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "{cmd:?}: {e}");
            eprintln!("skipping: cannot run {cmd:?}: {e}");
            None
        }
    }
}

#[test]
fn root_certificate_has_notarys_profile() {
    let key = PrivateKey::generate_ecdsa_p256().unwrap();
    let gun = Gun::new("localhost:5000/wire/img").unwrap();
    let nb = Utc.with_ymd_and_hms(2026, 11, 22, 11, 53, 8).unwrap();
    let na = nb + chrono::Duration::days(3650);
    let cert_key = root_certificate(&key, &gun, nb, na).unwrap();
    assert_eq!(cert_key.keytype(), KeyType::EcdsaX509);
    // canonical ID = the plain key's ID, so the private key file name is the key's own ID
    assert_eq!(cert_key.canonical_key_id().unwrap(), key.key_id());
    assert_ne!(cert_key.key_id(), key.key_id());
    let pem_text = String::from_utf8(cert_key.public_bytes().to_vec()).unwrap();
    assert!(pem_text.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(pem_text.ends_with("\n-----END CERTIFICATE-----\n"));
    assert!(!pem_text.contains('\r'));
    let certs = parse_cert_bundle(cert_key.public_bytes()).unwrap();
    assert_eq!(certs.len(), 1);
    let c = &certs[0];
    assert_eq!(c.common_name, gun.as_str());
    assert_eq!((c.not_before, c.not_after), (nb, na));
    assert!(!c.is_ca && !c.sha1_signature && c.rsa_bits.is_none());
    assert_eq!(c.public_key, key.public_key());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cert.pem");
    std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(
        &mut std::fs::File::create(&path).unwrap(),
        cert_key.public_bytes(),
    )
    .unwrap();
    let Some(text) = run_ok(
        Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&path),
    ) else {
        return;
    };
    for needle in [
        "Version: 3 (0x2)",
        "Signature Algorithm: ecdsa-with-SHA256",
        "Issuer: CN = localhost:5000/wire/img",
        "Subject: CN = localhost:5000/wire/img",
        "Not Before: Nov 22 11:53:08 2026 GMT",
        "Not After : Nov 19 11:53:08 2036 GMT",
        "ASN1 OID: prime256v1",
        "X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment",
        "X509v3 Extended Key Usage: \n                Code Signing",
        "X509v3 Basic Constraints: critical\n                CA:FALSE",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
    assert!(!text.contains("Subject Key Identifier"), "{text}");
    // the certificate verifies its own signature (self-signed)
    run_ok(
        Command::new("openssl")
            .args(["verify", "-check_ss_sig", "-partial_chain", "-CAfile"])
            .arg(&path)
            .arg("-attime")
            .arg((nb.timestamp() + 60).to_string())
            .arg(&path),
    );
}

/// An independent verifier (python `cryptography`) accepts what we sign.
#[test]
fn python_cryptography_verifies_our_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let msg = "{\"_type\":\"Targets\",\"x\":\"<é>\"}".as_bytes();
    let ec = PrivateKey::generate_ecdsa_p256().unwrap();
    let ed = PrivateKey::generate_ed25519().unwrap();
    let (es, eds) = (ec.sign(msg).unwrap(), ed.sign(msg).unwrap());
    let write = |name: &str, bytes: &[u8]| {
        std::io::Write::write_all(
            &mut std::fs::File::create(dir.path().join(name)).unwrap(),
            bytes,
        )
        .unwrap();
    };
    write("msg", msg);
    write("ec.pub", ec.public_key().public_bytes());
    write("ec.sig", &es.bytes);
    write("ed.pub", ed.public_key().public_bytes());
    write("ed.sig", &eds.bytes);
    let script = r#"
import sys
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
from cryptography.hazmat.primitives import hashes, serialization
d = sys.argv[1]
r = lambda n: open(d + '/' + n, 'rb').read()
msg = r('msg'); sig = r('ec.sig')
der = utils.encode_dss_signature(int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:], 'big'))
serialization.load_der_public_key(r('ec.pub')).verify(der, msg, ec.ECDSA(hashes.SHA256()))
ed25519.Ed25519PublicKey.from_public_bytes(r('ed.pub')).verify(r('ed.sig'), msg)
print('ok')
"#;
    if let Some(out) = run_ok(
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(dir.path()),
    ) {
        assert_eq!(out.trim(), "ok");
    }
}

/// RSA: a PKCS#1 key made by openssl signs (PSS) and verifies, and openssl verifies our PSS
/// signature with salt length 32.
#[test]
fn rsa_pss_round_trip_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let keyfile = dir.path().join("rsa.pem");
    if run_ok(
        Command::new("openssl")
            .args(["genrsa", "-traditional", "-out"])
            .arg(&keyfile)
            .arg("2048"),
    )
    .is_none()
    {
        return;
    }
    let block = ::pem::parse(std::fs::read(&keyfile).unwrap()).unwrap();
    assert_eq!(block.tag(), "RSA PRIVATE KEY");
    let key = PrivateKey::from_rsa_pkcs1_der(block.contents()).unwrap();
    assert_eq!(key.keytype(), KeyType::Rsa);
    let msg = b"signed bytes";
    let sig = key.sign(msg).unwrap();
    assert_eq!(sig.method, "rsapss");
    let public = key.public_key();
    public.verify("rsapss", msg, &sig.bytes).unwrap();
    public
        .verify("pycrypto-pkcs#1 pss", msg, &sig.bytes)
        .unwrap();
    assert_eq!(
        public.verify("rsapkcs1v15", msg, &sig.bytes),
        Err(Error::BadSignature {
            method: "rsapkcs1v15",
            key_id: key.key_id()
        })
    );
    // openssl checks our SPKI encoding and PSS parameters
    let w = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::io::Write::write_all(&mut std::fs::File::create(&p).unwrap(), bytes).unwrap();
        p
    };
    let pubf = w("pub.der", public.public_bytes());
    let msgf = w("msg", msg);
    let sigf = w("sig", &sig.bytes);
    let out = run_ok(
        Command::new("openssl")
            .args([
                "dgst",
                "-sha256",
                "-keyform",
                "DER",
                "-sigopt",
                "rsa_padding_mode:pss",
            ])
            .args(["-sigopt", "rsa_pss_saltlen:32", "-verify"])
            .arg(&pubf)
            .arg("-signature")
            .arg(&sigf)
            .arg(&msgf),
    );
    if let Some(out) = out {
        assert_eq!(out.trim(), "Verified OK");
    }
}

#[test]
fn key_type_names() {
    for t in [
        KeyType::Ecdsa,
        KeyType::EcdsaX509,
        KeyType::Ed25519,
        KeyType::Rsa,
        KeyType::RsaX509,
    ] {
        assert_eq!(t.as_str().parse::<KeyType>().unwrap(), t);
    }
    assert_eq!(
        "ECDSA".parse::<KeyType>(),
        Err(Error::UnsupportedKeyType("ECDSA".into()))
    );
    // §6.2 example
    let k = PublicKey::new(
        KeyType::Ed25519,
        B64.decode("vjnxRf6+tbuwO4ipR9p1iYYCeO/92MiV3VLb69kkqLw=")
            .unwrap(),
    );
    assert_eq!(
        k.key_id(),
        KeyId::new("28574c63e8494e8a7380ffda4674bb9530279e6d12cc777f95a715a476729691").unwrap()
    );
}
