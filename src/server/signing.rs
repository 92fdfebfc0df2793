//! Server-managed keys (snapshot and timestamp): generation, encryption at rest, lookup of the
//! key a root authorises, and signing of server-generated roles.
//!
//! Keys are sealed with AES-256-GCM under a key derived from the server passphrase with
//! PBKDF2-HMAC-SHA256 (random 16-byte salt, `KDF_ROUNDS` rounds); the associated data binds
//! each sealed key to its GUN, role and key ID so rows cannot be swapped between repositories.
//! Layout of `ServerKey::encrypted_private`: `TCSK1` | salt(16) | nonce(12) | ciphertext+tag,
//! plaintext = algorithm byte (1 = ed25519 seed, 2 = P-256 scalar) | 32 secret bytes.
//! Must not: log or return private key material; store anything unencrypted.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::storage::{ServerKey, Storage};
use super::Error;
use crate::crypto::{KeyType, PrivateKey, PublicKey};
use crate::tuf::{Gun, KeyId, RoleName};

const MAGIC: &[u8] = b"TCSK1";
const SALT_LEN: usize = 16;
const KDF_ROUNDS: u32 = 100_000;
const ALG_ED25519: u8 = 1;
const ALG_ECDSA: u8 = 2;

/// The algorithm of newly created server keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlgorithm {
    #[default]
    Ed25519,
    Ecdsa,
}

impl KeyAlgorithm {
    pub fn parse(value: &str) -> Option<KeyAlgorithm> {
        match value {
            "ed25519" => Some(KeyAlgorithm::Ed25519),
            "ecdsa" => Some(KeyAlgorithm::Ecdsa),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Ecdsa => "ecdsa",
        }
    }
}

/// Seals and opens server keys. Derived keys are cached per salt, so the slow KDF runs once
/// per salt per process.
pub struct KeyVault {
    passphrase: Zeroizing<Vec<u8>>,
    salt: [u8; SALT_LEN],
    derived: Mutex<HashMap<[u8; SALT_LEN], Zeroizing<[u8; 32]>>>,
    /// Keys opened before, by their row and sealed bytes (a stored key never changes; other
    /// bytes under the same row are opened and checked afresh). Opening an ECDSA key derives
    /// its public point, which costs more than the rest of a small publish's signing.
    opened: Mutex<HashMap<SealedRow, Arc<PrivateKey>>>,
    algorithm: KeyAlgorithm,
    rng: SystemRandom,
}

/// (GUN, role, key ID, sealed bytes) of a stored key.
type SealedRow = (String, String, String, Vec<u8>);

/// Opened keys kept at most (one snapshot and one timestamp key per repository); the cache
/// starts over when full.
const OPENED_MAX: usize = 4096;

impl std::fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVault")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn aad(gun: &Gun, role: &RoleName, key_id: &str) -> Vec<u8> {
    let mut out = b"trustctl-server-key\0".to_vec();
    for part in [gun.as_str(), role.as_str(), key_id] {
        out.extend_from_slice(part.as_bytes());
        out.push(0);
    }
    out
}

impl KeyVault {
    pub fn new(passphrase: &str, algorithm: KeyAlgorithm) -> Result<KeyVault, Error> {
        if passphrase.is_empty() {
            return Err(Error::MissingPassphrase);
        }
        let rng = SystemRandom::new();
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt).map_err(|_| Error::Random)?;
        Ok(KeyVault {
            passphrase: Zeroizing::new(passphrase.as_bytes().to_vec()),
            salt,
            derived: Mutex::new(HashMap::new()),
            opened: Mutex::new(HashMap::new()),
            algorithm,
            rng,
        })
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn cipher(&self, salt: &[u8; SALT_LEN]) -> Result<LessSafeKey, Error> {
        let mut cache = self.derived.lock().map_err(|_| Error::Poisoned)?;
        let key = cache.entry(*salt).or_insert_with(|| {
            let mut out = Zeroizing::new([0u8; 32]);
            let rounds = NonZeroU32::new(KDF_ROUNDS).unwrap_or(NonZeroU32::MIN);
            ring::pbkdf2::derive(
                ring::pbkdf2::PBKDF2_HMAC_SHA256,
                rounds,
                salt,
                &self.passphrase,
                out.as_mut(),
            );
            out
        });
        let unbound = UnboundKey::new(&AES_256_GCM, key.as_ref()).map_err(|_| Error::Random)?;
        Ok(LessSafeKey::new(unbound))
    }

    /// Create a new key for `role` of `gun` (not stored yet).
    pub fn generate(
        &self,
        gun: &Gun,
        role: &RoleName,
        now: DateTime<Utc>,
    ) -> Result<(ServerKey, PublicKey), Error> {
        let key = match self.algorithm {
            KeyAlgorithm::Ed25519 => PrivateKey::generate_ed25519(),
            KeyAlgorithm::Ecdsa => PrivateKey::generate_ecdsa_p256(),
        }
        .map_err(Error::Crypto)?;
        let public = key.public_key();
        let key_id = key.key_id().to_string();
        let (tag, secret) = match self.algorithm {
            KeyAlgorithm::Ed25519 => (ALG_ED25519, key.ed25519_seed()),
            KeyAlgorithm::Ecdsa => (ALG_ECDSA, key.ecdsa_p256_scalar()),
        };
        let secret = secret.ok_or(Error::Random)?;
        let mut plain = Zeroizing::new(Vec::with_capacity(33));
        plain.push(tag);
        plain.extend_from_slice(&secret);
        let sealed = self.seal(&aad(gun, role, &key_id), &plain)?;
        let stored = ServerKey {
            gun: gun.clone(),
            role: role.clone(),
            key_id,
            algorithm: self.algorithm.as_str().to_string(),
            public: public.public_bytes().to_vec(),
            encrypted_private: sealed,
            created_at: now,
        };
        Ok((stored, public))
    }

    fn seal(&self, aad_bytes: &[u8], plain: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| Error::Random)?;
        let cipher = self.cipher(&self.salt)?;
        let mut buf = plain.to_vec();
        cipher
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad_bytes),
                &mut buf,
            )
            .map_err(|_| Error::Random)?;
        let mut out = Vec::with_capacity(MAGIC.len() + SALT_LEN + NONCE_LEN + buf.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Decrypt a stored key and check it is the key its row claims (once per row and sealed
    /// bytes; later calls share the key).
    pub fn open(&self, stored: &ServerKey) -> Result<Arc<PrivateKey>, Error> {
        let row: SealedRow = (
            stored.gun.to_string(),
            stored.role.to_string(),
            stored.key_id.clone(),
            stored.encrypted_private.clone(),
        );
        if let Some(key) = self.opened.lock().map_err(|_| Error::Poisoned)?.get(&row) {
            return Ok(Arc::clone(key));
        }
        let key = Arc::new(self.open_sealed(stored)?);
        let mut opened = self.opened.lock().map_err(|_| Error::Poisoned)?;
        if opened.len() >= OPENED_MAX {
            opened.clear();
        }
        opened.insert(row, Arc::clone(&key));
        Ok(key)
    }

    fn open_sealed(&self, stored: &ServerKey) -> Result<PrivateKey, Error> {
        let corrupt = |reason| Error::KeyCorrupt {
            gun: stored.gun.clone(),
            role: stored.role.clone(),
            key_id: stored.key_id.clone(),
            reason,
        };
        let data = &stored.encrypted_private;
        let header = MAGIC.len() + SALT_LEN + NONCE_LEN;
        if data.len() < header || &data[..MAGIC.len()] != MAGIC {
            return Err(corrupt("unknown encryption format"));
        }
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&data[MAGIC.len()..MAGIC.len() + SALT_LEN]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&data[MAGIC.len() + SALT_LEN..header]);
        let cipher = self.cipher(&salt)?;
        let mut buf = Zeroizing::new(data[header..].to_vec());
        let plain = cipher
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(&stored.gun, &stored.role, &stored.key_id)),
                &mut buf,
            )
            .map_err(|_| Error::KeyDecrypt {
                gun: stored.gun.clone(),
                role: stored.role.clone(),
                key_id: stored.key_id.clone(),
            })?;
        let key = match plain.split_first() {
            Some((&ALG_ED25519, seed)) => PrivateKey::from_ed25519_seed(seed),
            Some((&ALG_ECDSA, scalar)) => PrivateKey::from_ecdsa_p256_scalar(scalar),
            _ => return Err(corrupt("unknown key algorithm")),
        }
        .map_err(|_| corrupt("invalid key bytes"))?;
        if key.key_id().as_str() != stored.key_id {
            return Err(corrupt("key ID does not match the key"));
        }
        Ok(key)
    }
}

/// The public key of a stored server key.
pub fn public_key_of(stored: &ServerKey) -> Result<PublicKey, Error> {
    let keytype = match stored.algorithm.as_str() {
        "ed25519" => KeyType::Ed25519,
        "ecdsa" => KeyType::Ecdsa,
        _ => {
            return Err(Error::KeyCorrupt {
                gun: stored.gun.clone(),
                role: stored.role.clone(),
                key_id: stored.key_id.clone(),
                reason: "unknown key algorithm",
            })
        }
    };
    Ok(PublicKey::new(keytype, stored.public.clone()))
}

/// The newest stored key of `role` whose ID is among `authorised` (the root's key IDs for the
/// role), if the server holds one.
pub fn held_key(
    storage: &dyn Storage,
    gun: &Gun,
    role: &RoleName,
    authorised: &[KeyId],
) -> Result<Option<ServerKey>, Error> {
    let keys = storage.keys(gun, role)?;
    Ok(keys
        .into_iter()
        .rev()
        .find(|k| authorised.iter().any(|id| id.as_str() == k.key_id)))
}

/// `held_key`, decrypted, with the key ID to sign under.
pub fn signing_key(
    storage: &dyn Storage,
    vault: &KeyVault,
    gun: &Gun,
    role: &RoleName,
    authorised: &[KeyId],
) -> Result<Option<(Arc<PrivateKey>, KeyId)>, Error> {
    let Some(stored) = held_key(storage, gun, role, authorised)? else {
        return Ok(None);
    };
    let key = vault.open(&stored)?;
    let id = key.key_id();
    Ok(Some((key, id)))
}

/// The `GET/POST {role}.key` body: `{"keytype":…,"keyval":{"public":…,"private":null}}`
/// (`public` before `private`, as notary writes it).
pub fn key_response_body(public: &PublicKey) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(public.public_bytes());
    format!(
        r#"{{"keytype":"{}","keyval":{{"public":"{}","private":null}}}}"#,
        public.keytype().as_str(),
        b64
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gun() -> Gun {
        Gun::new("example.com/vault").unwrap()
    }

    #[test]
    fn sealed_keys_open_only_with_the_passphrase_and_their_row() {
        let now = DateTime::UNIX_EPOCH;
        for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::Ecdsa] {
            let vault = KeyVault::new("right", alg).unwrap();
            let (stored, public) = vault.generate(&gun(), &RoleName::timestamp(), now).unwrap();
            assert_eq!(public_key_of(&stored).unwrap(), public);
            let key = vault.open(&stored).unwrap();
            assert_eq!(key.public_key(), public);
            // Opened once: the same row and bytes share the key.
            assert!(Arc::ptr_eq(&key, &vault.open(&stored).unwrap()));
            // Other bytes under the same row are opened afresh (and fail here).
            let mut tampered = stored.clone();
            let last = tampered.encrypted_private.len() - 1;
            tampered.encrypted_private[last] ^= 1;
            assert!(matches!(
                vault.open(&tampered),
                Err(Error::KeyDecrypt { .. })
            ));
            let wrong = KeyVault::new("wrong", alg).unwrap();
            assert!(matches!(wrong.open(&stored), Err(Error::KeyDecrypt { .. })));
            let mut moved = stored.clone();
            moved.role = RoleName::snapshot();
            assert!(matches!(vault.open(&moved), Err(Error::KeyDecrypt { .. })));
            // The secret never appears in the sealed bytes.
            let secret = key
                .ed25519_seed()
                .or_else(|| key.ecdsa_p256_scalar())
                .unwrap();
            assert!(!stored
                .encrypted_private
                .windows(secret.len())
                .any(|w| w == secret.as_slice()));
        }
    }

    #[test]
    fn key_body_matches_notary_layout() {
        let public = PublicKey::new(KeyType::Ed25519, vec![0u8; 32]);
        assert_eq!(
            key_response_body(&public),
            br#"{"keytype":"ed25519","keyval":{"public":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","private":null}}"#
        );
        assert!(matches!(
            KeyVault::new("", KeyAlgorithm::Ed25519),
            Err(Error::MissingPassphrase)
        ));
    }
}
