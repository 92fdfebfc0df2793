//! Ed25519 (`eddsa` method): 32-byte raw public keys, 32-byte seeds, 64-byte signatures over the
//! message itself. All operations go through ring.

use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use super::{Error, KeyType};

pub(crate) const PUBLIC_LEN: usize = 32;
pub(crate) const SEED_LEN: usize = 32;
pub(crate) const SIG_LEN: usize = 64;

/// Verify; `Ok(false)` when the signature does not verify.
pub(crate) fn verify(public: &[u8], msg: &[u8], sig: &[u8]) -> Result<bool, Error> {
    if public.len() != PUBLIC_LEN {
        return Err(Error::MalformedPublicKey {
            keytype: KeyType::Ed25519,
            reason: "ed25519 public key must be 32 bytes",
        });
    }
    if sig.len() != SIG_LEN {
        return Err(Error::SignatureLength {
            method: "eddsa",
            expected: SIG_LEN,
            actual: sig.len(),
        });
    }
    let key = UnparsedPublicKey::new(&signature::ED25519, public);
    Ok(key.verify(msg, sig).is_ok())
}

fn pair(seed: &[u8]) -> Result<Ed25519KeyPair, Error> {
    if seed.len() != SEED_LEN {
        return Err(Error::MalformedPrivateKey {
            keytype: KeyType::Ed25519,
            reason: "ed25519 seed must be 32 bytes",
        });
    }
    Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| Error::MalformedPrivateKey {
        keytype: KeyType::Ed25519,
        reason: "seed rejected",
    })
}

/// The public key of a seed.
pub(crate) fn public_of_seed(seed: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(pair(seed)?.public_key().as_ref().to_vec())
}

pub(crate) fn generate_seed() -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut seed = Zeroizing::new(vec![0u8; SEED_LEN]);
    SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| Error::Random)?;
    Ok(seed)
}

pub(crate) fn sign(seed: &[u8], msg: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(pair(seed)?.sign(msg).as_ref().to_vec())
}
