//! RSA: verification of `rsapss` / `pycrypto-pkcs#1 pss` (PSS, SHA-256, salt = 32) and
//! `rsapkcs1v15`, and PSS signing with imported PKCS#1 keys. Moduli below 2048 bits are refused.

use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};

use super::{Error, KeyType};

/// Which RSA padding a signature uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Padding {
    Pss,
    Pkcs1v15,
}

/// Verify; `Ok(false)` when the signature does not verify. `pkcs1` is an `RSAPublicKey`.
pub(crate) fn verify(
    pkcs1: &[u8],
    padding: Padding,
    msg: &[u8],
    sig: &[u8],
) -> Result<bool, Error> {
    let bits = modulus_bits(pkcs1)?;
    if bits < 2048 {
        return Err(Error::RsaKeyTooSmall { bits });
    }
    let alg: &dyn signature::VerificationAlgorithm = match padding {
        Padding::Pss => &signature::RSA_PSS_2048_8192_SHA256,
        Padding::Pkcs1v15 => &signature::RSA_PKCS1_2048_8192_SHA256,
    };
    Ok(UnparsedPublicKey::new(alg, pkcs1).verify(msg, sig).is_ok())
}

/// Modulus size in bits of a PKCS#1 `RSAPublicKey`.
fn modulus_bits(pkcs1: &[u8]) -> Result<usize, Error> {
    use der::asn1::UintRef;
    use der::{Decode, Reader, SliceReader};
    let bad = |_| Error::MalformedPublicKey {
        keytype: KeyType::Rsa,
        reason: "not a PKCS#1 RSAPublicKey",
    };
    let mut reader = SliceReader::new(pkcs1).map_err(bad)?;
    let modulus = reader
        .sequence(|r| {
            let n = UintRef::decode(r)?;
            let _e = UintRef::decode(r)?;
            Ok(n.as_bytes().to_vec())
        })
        .map_err(bad)?;
    reader.finish(()).map_err(bad)?;
    let lead = modulus.first().copied().unwrap_or(0);
    Ok(modulus.len() * 8 - lead.leading_zeros() as usize)
}

fn pair(der: &[u8]) -> Result<RsaKeyPair, Error> {
    RsaKeyPair::from_der(der).map_err(|_| Error::MalformedPrivateKey {
        keytype: KeyType::Rsa,
        reason: "not a valid PKCS#1 RSAPrivateKey of 2048 to 8192 bits",
    })
}

/// The PKCS#1 `RSAPublicKey` of a PKCS#1 private key.
pub(crate) fn public_of(der: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(pair(der)?.public_key().as_ref().to_vec())
}

/// PSS / SHA-256 signature (salt length 32, what Go's `PSSSaltLengthEqualsHash` expects).
pub(crate) fn sign(der: &[u8], msg: &[u8]) -> Result<Vec<u8>, Error> {
    let pair = pair(der)?;
    let mut sig = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        &signature::RSA_PSS_SHA256,
        &SystemRandom::new(),
        msg,
        &mut sig,
    )
    .map_err(|_| Error::Signing {
        keytype: KeyType::Rsa,
    })?;
    Ok(sig)
}
