//! Golden tests of notary's PKCS#8 against the key files real notary 0.7 / docker 28 wrote.

use super::*;
use crate::crypto::pem::PemBlock;

/// (file, passphrase, key type) from fixtures/samples/README.md.
const SAMPLES: &[(&str, &str, KeyType)] = &[
    (
        "6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c.key",
        "dockerrepo123",
        KeyType::Ecdsa,
    ),
    (
        "87cc5cd3cfe31ce86f67e4a72d9b3ce04146796e1f60e77367116e122c052176.key",
        "dockerroot123",
        KeyType::Ecdsa,
    ),
    (
        "427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9.key",
        "dockerrepo123",
        KeyType::Ecdsa,
    ),
    (
        "31790dbdd14816d3a0d72d3d229617aa9b11f5a4a157b211372558449748eb59.key",
        "targetspass123",
        KeyType::Ed25519,
    ),
    (
        "65f190b80bedd4ffedb67a2c94eab919c9d0b0d9477f7798bea72ca88fad5d8d.key",
        "delegpass123",
        KeyType::Rsa,
    ),
];

fn sample_block(name: &str) -> PemBlock {
    let bytes = std::fs::read(format!(
        "{}/fixtures/samples/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    PemBlock::parse(&bytes).unwrap()
}

/// Each sample decrypts, its key ID is its file name, and re-encrypting it with the file's
/// own salt and IV gives the file's bytes exactly: outer structure, inner notary form
/// (EC version 1 + SEC1, RSA without NULL, ed25519 96-byte blob) and padding all match.
#[test]
fn samples_decrypt_and_reencrypt_byte_exact() {
    for (file, pass, keytype) in SAMPLES {
        let block = sample_block(file);
        let key = decrypt(&block.body, pass.as_bytes()).unwrap();
        assert_eq!(key.keytype(), *keytype, "{file}");
        assert_eq!(format!("{}.key", key.key_id()), *file);
        let e = parse_encrypted(&block.body).unwrap();
        assert_eq!((e.salt.len(), e.iterations), (8, 2048), "{file}");
        let salt: [u8; 8] = e.salt.try_into().unwrap();
        let iv: [u8; 16] = e.iv.try_into().unwrap();
        let again = encrypt_with(&key, pass.as_bytes(), &salt, &iv).unwrap();
        assert_eq!(again, *block.body, "{file}");
    }
}

#[test]
fn notary_generated_delegation_key_decrypts() {
    let block = sample_block("notary-key-generate-ecout-key.pem");
    let key = decrypt(&block.body, b"delegpass123").unwrap();
    let public = sample_block("notary-key-generate-ecout.pem");
    assert_eq!(key.public_key().public_bytes(), &public.body[..]);
}

#[test]
fn unencrypted_notary_ed25519_decodes_and_round_trips() {
    let block = sample_block("ed25519-unencrypted-notary-format.pem");
    let key = decode_private_key_info(&block.body).unwrap();
    assert_eq!(key.keytype(), KeyType::Ed25519);
    assert_eq!(*encode_private_key_info(&key).unwrap(), *block.body);
}

#[test]
fn wrong_passphrase_is_its_own_error() {
    for (file, _, _) in SAMPLES {
        let block = sample_block(file);
        assert_eq!(
            decrypt(&block.body, b"not-the-passphrase").unwrap_err(),
            Error::WrongPassphrase,
            "{file}"
        );
    }
}

#[test]
fn fresh_keys_round_trip_every_type() {
    let rsa = sample_block(SAMPLES[4].0);
    for key in [
        PrivateKey::generate_ecdsa_p256().unwrap(),
        PrivateKey::generate_ed25519().unwrap(),
        decrypt(&rsa.body, b"delegpass123").unwrap(),
    ] {
        let enc = encrypt(&key, b"pw").unwrap();
        assert_eq!(decrypt(&enc, b"pw").unwrap().key_id(), key.key_id());
        assert_eq!(decrypt(&enc, b"pW").unwrap_err(), Error::WrongPassphrase);
    }
}

/// Standard (non-notary) encodings read too: PKCS#8 v0 EC with a SEC1 key lacking the
/// optional fields, standard ed25519, RSA with the NULL parameter.
#[test]
fn standard_pkcs8_reads() {
    let ec = PrivateKey::generate_ecdsa_p256().unwrap();
    let scalar = ec.ecdsa_p256_scalar().unwrap();
    let sec1 = seq(&[
        &tlv(Tag::Integer, &[1]).unwrap(),
        &tlv(Tag::OctetString, &scalar).unwrap(),
    ])
    .unwrap();
    let info = seq(&[
        &tlv(Tag::Integer, &[0]).unwrap(),
        &seq(&[
            &OID_EC_PUBLIC_KEY.to_der().unwrap(),
            &OID_P256.to_der().unwrap(),
        ])
        .unwrap(),
        &tlv(Tag::OctetString, &sec1).unwrap(),
    ])
    .unwrap();
    assert_eq!(
        decode_private_key_info(&info).unwrap().key_id(),
        ec.key_id()
    );
    assert_eq!(decode_sec1(&sec1).unwrap().key_id(), ec.key_id());

    let ed = PrivateKey::generate_ed25519().unwrap();
    let info = seq(&[
        &tlv(Tag::Integer, &[0]).unwrap(),
        &seq(&[&OID_ED25519.to_der().unwrap()]).unwrap(),
        &tlv(
            Tag::OctetString,
            &tlv(Tag::OctetString, &ed.ed25519_seed().unwrap()).unwrap(),
        )
        .unwrap(),
    ])
    .unwrap();
    assert_eq!(
        decode_private_key_info(&info).unwrap().key_id(),
        ed.key_id()
    );

    let rsa = decrypt(&sample_block(SAMPLES[4].0).body, b"delegpass123").unwrap();
    let info = seq(&[
        &tlv(Tag::Integer, &[0]).unwrap(),
        &seq(&[&OID_RSA.to_der().unwrap(), &tlv(Tag::Null, &[]).unwrap()]).unwrap(),
        &tlv(Tag::OctetString, &rsa.rsa_pkcs1_der().unwrap()).unwrap(),
    ])
    .unwrap();
    assert_eq!(
        decode_private_key_info(&info).unwrap().key_id(),
        rsa.key_id()
    );
}

#[test]
fn unsupported_algorithms_are_named() {
    let p384 = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    let info = seq(&[
        &tlv(Tag::Integer, &[0]).unwrap(),
        &seq(&[
            &OID_EC_PUBLIC_KEY.to_der().unwrap(),
            &p384.to_der().unwrap(),
        ])
        .unwrap(),
        &tlv(Tag::OctetString, &[0x30, 0]).unwrap(),
    ])
    .unwrap();
    assert_eq!(
        decode_private_key_info(&info).unwrap_err(),
        Error::UnsupportedKeyType("ecdsa on curve 1.3.132.0.34 (only P-256)".into())
    );
    let dsa = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
    let info = seq(&[
        &tlv(Tag::Integer, &[0]).unwrap(),
        &seq(&[&dsa.to_der().unwrap()]).unwrap(),
        &tlv(Tag::OctetString, &[2, 1, 1]).unwrap(),
    ])
    .unwrap();
    assert_eq!(
        decode_private_key_info(&info).unwrap_err(),
        Error::UnsupportedKeyType("algorithm 1.2.840.10040.4.1".into())
    );
}

/// An EncryptedPrivateKeyInfo built from parts (iteration count bytes, optional PRF).
fn encrypted_with_params(iterations: &[u8], prf: Option<ObjectIdentifier>) -> Vec<u8> {
    let mut kdf_parts = vec![
        tlv(Tag::OctetString, &[1; 8]).unwrap(),
        tlv(Tag::Integer, iterations).unwrap(),
    ];
    if let Some(prf) = prf {
        kdf_parts.push(seq(&[&prf.to_der().unwrap(), &tlv(Tag::Null, &[]).unwrap()]).unwrap());
    }
    let kdf_refs: Vec<&[u8]> = kdf_parts.iter().map(Vec::as_slice).collect();
    let alg = seq(&[
        &OID_PBES2.to_der().unwrap(),
        &seq(&[
            &seq(&[&OID_PBKDF2.to_der().unwrap(), &seq(&kdf_refs).unwrap()]).unwrap(),
            &seq(&[
                &OID_AES256_CBC.to_der().unwrap(),
                &tlv(Tag::OctetString, &[2; 16]).unwrap(),
            ])
            .unwrap(),
        ])
        .unwrap(),
    ])
    .unwrap();
    seq(&[&alg, &tlv(Tag::OctetString, &[0; 32]).unwrap()]).unwrap()
}

#[test]
fn hostile_parameters_are_refused_before_any_work() {
    assert_eq!(
        decrypt(
            &encrypted_with_params(&[0x7f, 0xff, 0xff, 0xff], None),
            b"pw"
        )
        .unwrap_err(),
        Error::Malformed {
            what: "PBKDF2 iteration count out of range"
        }
    );
    let md5 = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
    assert_eq!(
        decrypt(&encrypted_with_params(&[8, 0], Some(md5)), b"pw").unwrap_err(),
        Error::UnsupportedEncryption {
            what: "PBKDF2 PRF 1.2.840.113549.2.5 (only hmacWithSHA1, hmacWithSHA256)".into()
        }
    );
    // An explicit SHA-1 PRF parses; the zero ciphertext is then a wrong passphrase.
    assert_eq!(
        decrypt(&encrypted_with_params(&[8, 0], Some(OID_HMAC_SHA1)), b"pw").unwrap_err(),
        Error::WrongPassphrase
    );
}

/// Truncations and bit flips of real files give an error, never a panic.
#[test]
fn mutations_never_panic() {
    for (file, pass, _) in SAMPLES {
        let block = sample_block(file);
        let body = &block.body;
        for cut in 0..body.len().min(80) {
            assert!(decrypt(&body[..cut], pass.as_bytes()).is_err());
        }
        for i in (0..body.len()).step_by(7) {
            let mut m = body.to_vec();
            m[i] ^= 0x41;
            let _ = decrypt(&m, pass.as_bytes());
        }
    }
    assert_eq!(
        decrypt(&[], b"x").unwrap_err(),
        Error::Malformed {
            what: "EncryptedPrivateKeyInfo"
        }
    );
}

/// A SEC1 key's stored public point is checked against its scalar (by ring, instead of
/// deriving the point): the right point reads as the same key, which signs verifiably; a
/// point of another key, or a scalar out of range, is refused.
#[test]
fn sec1_public_point_must_be_the_scalars() {
    let ec = PrivateKey::generate_ecdsa_p256().unwrap();
    let other = PrivateKey::generate_ecdsa_p256().unwrap();
    let sec1 = |scalar: &[u8], point: &[u8]| {
        let mut bits = vec![0u8];
        bits.extend_from_slice(point);
        seq(&[
            &tlv(Tag::Integer, &[1]).unwrap(),
            &tlv(Tag::OctetString, scalar).unwrap(),
            &tlv(context(1), &tlv(Tag::BitString, &bits).unwrap()).unwrap(),
        ])
        .unwrap()
    };
    let scalar = ec.ecdsa_p256_scalar().unwrap();
    let read = decode_sec1(&sec1(&scalar, ec.ecdsa_p256_point().unwrap())).unwrap();
    assert_eq!(read.key_id(), ec.key_id());
    let sig = read.sign(b"msg").unwrap();
    ec.public_key()
        .verify(sig.method, b"msg", &sig.bytes)
        .unwrap();

    let wrong = decode_sec1(&sec1(&scalar, other.ecdsa_p256_point().unwrap())).unwrap_err();
    assert!(
        matches!(wrong, Error::MalformedPrivateKey { .. }),
        "{wrong}"
    );
    let order_n =
        hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551").unwrap();
    let out_of_range = decode_sec1(&sec1(&order_n, ec.ecdsa_p256_point().unwrap())).unwrap_err();
    assert!(matches!(out_of_range, Error::MalformedPrivateKey { .. }));
}
