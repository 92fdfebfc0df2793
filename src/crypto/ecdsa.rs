//! ECDSA P-256 with SHA-256, signatures as raw `r || s` (64 bytes), as Notary writes them.
//! Signing and verifying go through ring; p256 only derives the public point of a scalar
//! stored without one (key files carry the point: ring checks the pair instead).

use p256::elliptic_curve::sec1::ToEncodedPoint;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use super::{Error, KeyType};

/// Length of a raw P-256 signature.
pub(crate) const SIG_LEN: usize = 64;
/// Length of a P-256 scalar.
pub(crate) const SCALAR_LEN: usize = 32;

/// Verify a raw `r || s` signature over SHA-256(msg) with an uncompressed P-256 point.
/// Returns `Ok(false)` when the signature does not verify.
pub(crate) fn verify(point: &[u8], msg: &[u8], sig: &[u8]) -> Result<bool, Error> {
    if sig.len() != SIG_LEN {
        return Err(Error::SignatureLength {
            method: "ecdsa",
            expected: SIG_LEN,
            actual: sig.len(),
        });
    }
    let key = UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point);
    Ok(key.verify(msg, sig).is_ok())
}

fn malformed(reason: &'static str) -> Error {
    Error::MalformedPrivateKey {
        keytype: KeyType::Ecdsa,
        reason,
    }
}

/// A scalar normalised to 32 bytes (short encodings left-padded).
pub(crate) fn padded_scalar(scalar: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    if scalar.is_empty() || scalar.len() > SCALAR_LEN {
        return Err(malformed("P-256 scalar must be 1 to 32 bytes"));
    }
    let mut padded = Zeroizing::new(vec![0u8; SCALAR_LEN]);
    padded[SCALAR_LEN - scalar.len()..].copy_from_slice(scalar);
    Ok(padded)
}

/// Normalise a scalar to 32 bytes (left-padding short encodings) and derive its public point.
pub(crate) fn point_of_scalar(scalar: &[u8]) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), Error> {
    let padded = padded_scalar(scalar)?;
    let secret = p256::SecretKey::from_slice(&padded)
        .map_err(|_| malformed("scalar is zero or not below the curve order"))?;
    let point = secret
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    Ok((padded, point))
}

/// A fresh random scalar.
pub(crate) fn generate_scalar() -> Zeroizing<Vec<u8>> {
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    Zeroizing::new(secret.to_bytes().to_vec())
}

/// The signing pair of a 32-byte `scalar` and its uncompressed `point`. ring checks that
/// the scalar is in range and that the point is its public point.
pub(crate) fn key_pair(scalar: &[u8], point: &[u8]) -> Result<EcdsaKeyPair, Error> {
    EcdsaKeyPair::from_private_key_and_public_key(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        scalar,
        point,
        &SystemRandom::new(),
    )
    .map_err(|_| malformed("scalar and public point do not match"))
}

/// Sign SHA-256(msg), producing raw `r || s`.
pub(crate) fn sign(pair: &EcdsaKeyPair, msg: &[u8]) -> Result<Vec<u8>, Error> {
    let sig = pair
        .sign(&SystemRandom::new(), msg)
        .map_err(|_| Error::Signing {
            keytype: KeyType::Ecdsa,
        })?;
    Ok(sig.as_ref().to_vec())
}
