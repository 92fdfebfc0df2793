//! Public and private keys as Notary v1 sees them: key types, TUF key IDs (§6.2), canonical key
//! IDs of x509 keys, signature verification by method (§6.3) and signing.
//!
//! Must not: read files or know about the keystore layout; private keys never leave this type
//! except through the explicit `*_scalar` / `*_seed` / `*_der` exports used by PKCS#8 encoding.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use zeroize::Zeroizing;

use super::spki::{self, SpkiKey};
use super::{ecdsa, ed25519, rsa, x509, Error};
use crate::tuf::KeyId;

/// The `keytype` of a Notary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    Ecdsa,
    EcdsaX509,
    Ed25519,
    Rsa,
    RsaX509,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Ecdsa => "ecdsa",
            KeyType::EcdsaX509 => "ecdsa-x509",
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa => "rsa",
            KeyType::RsaX509 => "rsa-x509",
        }
    }

    /// True for the certificate-carrying types.
    pub fn is_x509(self) -> bool {
        matches!(self, KeyType::EcdsaX509 | KeyType::RsaX509)
    }

    /// The method notary writes for signatures made with this key type.
    pub fn signature_method(self) -> &'static str {
        match self {
            KeyType::Ecdsa | KeyType::EcdsaX509 => "ecdsa",
            KeyType::Ed25519 => "eddsa",
            KeyType::Rsa | KeyType::RsaX509 => "rsapss",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "ecdsa" => KeyType::Ecdsa,
            "ecdsa-x509" => KeyType::EcdsaX509,
            "ed25519" => KeyType::Ed25519,
            "rsa" => KeyType::Rsa,
            "rsa-x509" => KeyType::RsaX509,
            other => return Err(Error::UnsupportedKeyType(other.to_string())),
        })
    }
}

/// A public key: its type and the decoded bytes that base64 into `keyval.public`
/// (SPKI DER for ecdsa/rsa, raw 32 bytes for ed25519, PEM certificate text for x509 types).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    keytype: KeyType,
    public: Vec<u8>,
}

/// The TUF key ID of a (keytype, public) pair: SHA-256 of the canonical key JSON with
/// `"private":null`. Base64 never contains `"` or `\`, so the JSON is written directly.
fn tuf_key_id(keytype: &str, public: &[u8]) -> KeyId {
    let b64 = base64::engine::general_purpose::STANDARD.encode(public);
    let json = format!(
        "{{\"keytype\":\"{keytype}\",\"keyval\":{{\"private\":null,\"public\":\"{b64}\"}}}}"
    );
    KeyId::from_digest(&super::digest::sha256(json.as_bytes()))
}

impl PublicKey {
    pub fn new(keytype: KeyType, public: Vec<u8>) -> PublicKey {
        PublicKey { keytype, public }
    }

    pub fn keytype(&self) -> KeyType {
        self.keytype
    }

    /// TUF key ID of any (keytype string, public bytes) pair, also for key types this program
    /// cannot use: metadata may carry them and their IDs must still be checked.
    pub fn key_id_of(keytype: &str, public: &[u8]) -> KeyId {
        tuf_key_id(keytype, public)
    }

    /// The bytes whose base64 goes into `keyval.public`.
    pub fn public_bytes(&self) -> &[u8] {
        &self.public
    }

    /// TUF key ID (notary-v1.md §6.2): what metadata uses.
    pub fn key_id(&self) -> KeyId {
        tuf_key_id(self.keytype.as_str(), &self.public)
    }

    /// Canonical key ID: for x509 keys the ID of the plain key built from the leaf certificate's
    /// SPKI (what names the private key file); for other keys the TUF ID.
    pub fn canonical_key_id(&self) -> Result<KeyId, Error> {
        if !self.keytype.is_x509() {
            return Ok(self.key_id());
        }
        Ok(self.plain_key()?.key_id())
    }

    /// The equivalent non-certificate key (`ecdsa` / `rsa` from the leaf SPKI); itself otherwise.
    pub fn plain_key(&self) -> Result<PublicKey, Error> {
        if !self.keytype.is_x509() {
            return Ok(self.clone());
        }
        let spki_der = x509::leaf_spki(&self.public)?;
        let decoded = spki::decode(&spki_der, self.keytype)?;
        Ok(PublicKey::new(decoded.keytype(), spki_der))
    }

    /// The SPKI key behind an ecdsa/rsa (or x509) key.
    fn spki_key(&self) -> Result<SpkiKey, Error> {
        let plain = self.plain_key()?;
        spki::decode(&plain.public, self.keytype)
    }

    /// Verify `sig` over `msg` (the canonical bytes) with `method` (case-insensitive):
    /// `ecdsa` (raw r||s), `eddsa`, `rsapss`, `pycrypto-pkcs#1 pss`, `rsapkcs1v15`.
    pub fn verify(&self, method: &str, msg: &[u8], sig: &[u8]) -> Result<(), Error> {
        let lowered = method.to_ascii_lowercase();
        let mismatch = || Error::MethodKeyMismatch {
            method: lowered.clone(),
            keytype: self.keytype,
        };
        let (name, ok): (&'static str, bool) = match lowered.as_str() {
            "ecdsa" => {
                if !matches!(self.keytype, KeyType::Ecdsa | KeyType::EcdsaX509) {
                    return Err(mismatch());
                }
                let SpkiKey::EcP256(point) = self.spki_key()? else {
                    return Err(mismatch());
                };
                ("ecdsa", ecdsa::verify(&point, msg, sig)?)
            }
            "eddsa" => {
                if self.keytype != KeyType::Ed25519 {
                    return Err(mismatch());
                }
                ("eddsa", ed25519::verify(&self.public, msg, sig)?)
            }
            "rsapss" | "pycrypto-pkcs#1 pss" | "rsapkcs1v15" => {
                if !matches!(self.keytype, KeyType::Rsa | KeyType::RsaX509) {
                    return Err(mismatch());
                }
                let SpkiKey::Rsa(pkcs1) = self.spki_key()? else {
                    return Err(mismatch());
                };
                let (name, padding) = match lowered.as_str() {
                    "rsapkcs1v15" => ("rsapkcs1v15", rsa::Padding::Pkcs1v15),
                    "rsapss" => ("rsapss", rsa::Padding::Pss),
                    _ => ("pycrypto-pkcs#1 pss", rsa::Padding::Pss),
                };
                (name, rsa::verify(&pkcs1, padding, msg, sig)?)
            }
            _ => return Err(Error::UnsupportedSignatureMethod { method: lowered }),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::BadSignature {
                method: name,
                key_id: self.key_id(),
            })
        }
    }

    /// A public key from PEM: a `PUBLIC KEY` block (docker `.pub` files; headers such as
    /// `role: alice` allowed) gives `ecdsa`/`rsa`; a `CERTIFICATE` gives `ecdsa-x509`/`rsa-x509`
    /// whose public is the Go-style PEM of that certificate.
    pub fn from_spki_pem(pem_bytes: &[u8]) -> Result<PublicKey, Error> {
        let block = pem::parse(pem_bytes).map_err(|_| Error::Pem {
            reason: "no valid PEM block",
        })?;
        match block.tag() {
            "PUBLIC KEY" => {
                let der_bytes = block.contents().to_vec();
                let decoded = spki::decode(&der_bytes, KeyType::Ecdsa)?;
                Ok(PublicKey::new(decoded.keytype(), der_bytes))
            }
            "CERTIFICATE" => x509::cert_to_key(block.contents()),
            other => Err(Error::UnexpectedPemLabel {
                label: other.to_string(),
            }),
        }
    }
}

/// A signature as produced by `PrivateKey::sign`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub method: &'static str,
    pub bytes: Vec<u8>,
}

enum Secret {
    Ecdsa {
        scalar: Zeroizing<Vec<u8>>,
        point: Vec<u8>,
        /// Built once: checking the pair costs a scalar multiplication.
        pair: Box<ring::signature::EcdsaKeyPair>,
    },
    Ed25519 {
        seed: Zeroizing<Vec<u8>>,
        public: Vec<u8>,
    },
    Rsa {
        der: Zeroizing<Vec<u8>>,
        pkcs1_public: Vec<u8>,
    },
}

/// A private key. No `Clone`, no `Serialize`; `Debug` shows only type and key ID; the secret
/// bytes are zeroized on drop.
pub struct PrivateKey {
    secret: Secret,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("keytype", &self.keytype())
            .field("key_id", &self.key_id().as_str())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    pub fn generate_ecdsa_p256() -> Result<PrivateKey, Error> {
        PrivateKey::from_ecdsa_p256_scalar(&ecdsa::generate_scalar())
    }

    pub fn generate_ed25519() -> Result<PrivateKey, Error> {
        PrivateKey::from_ed25519_seed(&ed25519::generate_seed()?)
    }

    /// From a P-256 private scalar (big-endian; shorter encodings are left-padded).
    pub fn from_ecdsa_p256_scalar(scalar: &[u8]) -> Result<PrivateKey, Error> {
        let (scalar, point) = ecdsa::point_of_scalar(scalar)?;
        PrivateKey::ecdsa(scalar, point)
    }

    /// From a P-256 private scalar and the uncompressed public point stored with it (SEC1
    /// `publicKey`); an error unless the point is the scalar's. Cheaper than deriving it.
    pub fn from_ecdsa_p256_pair(scalar: &[u8], point: &[u8]) -> Result<PrivateKey, Error> {
        PrivateKey::ecdsa(ecdsa::padded_scalar(scalar)?, point.to_vec())
    }

    fn ecdsa(scalar: Zeroizing<Vec<u8>>, point: Vec<u8>) -> Result<PrivateKey, Error> {
        let pair = Box::new(ecdsa::key_pair(&scalar, &point)?);
        let spki_der = spki::encode(&SpkiKey::EcP256(point.clone()))?;
        Ok(PrivateKey {
            secret: Secret::Ecdsa {
                scalar,
                point,
                pair,
            },
            public: PublicKey::new(KeyType::Ecdsa, spki_der),
        })
    }

    pub fn from_ed25519_seed(seed: &[u8]) -> Result<PrivateKey, Error> {
        let public = ed25519::public_of_seed(seed)?;
        Ok(PrivateKey {
            secret: Secret::Ed25519 {
                seed: Zeroizing::new(seed.to_vec()),
                public: public.clone(),
            },
            public: PublicKey::new(KeyType::Ed25519, public),
        })
    }

    /// From a PKCS#1 `RSAPrivateKey` DER (2048 to 8192 bits).
    pub fn from_rsa_pkcs1_der(der_bytes: &[u8]) -> Result<PrivateKey, Error> {
        let pkcs1_public = rsa::public_of(der_bytes)?;
        let spki_der = spki::encode(&SpkiKey::Rsa(pkcs1_public.clone()))?;
        Ok(PrivateKey {
            secret: Secret::Rsa {
                der: Zeroizing::new(der_bytes.to_vec()),
                pkcs1_public,
            },
            public: PublicKey::new(KeyType::Rsa, spki_der),
        })
    }

    /// `Ecdsa`, `Ed25519` or `Rsa`.
    pub fn keytype(&self) -> KeyType {
        self.public.keytype
    }

    /// The plain public key (ecdsa/rsa: SPKI DER, ed25519: raw 32 bytes).
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    pub fn key_id(&self) -> KeyId {
        self.public.key_id()
    }

    /// Sign `msg` (canonical bytes): ECDSA P-256/SHA-256 raw r||s, ed25519, or RSA-PSS/SHA-256.
    pub fn sign(&self, msg: &[u8]) -> Result<Signature, Error> {
        let bytes = match &self.secret {
            Secret::Ecdsa { pair, .. } => ecdsa::sign(pair, msg)?,
            Secret::Ed25519 { seed, .. } => ed25519::sign(seed, msg)?,
            Secret::Rsa { der, .. } => rsa::sign(der, msg)?,
        };
        Ok(Signature {
            method: self.keytype().signature_method(),
            bytes,
        })
    }

    /// The 32-byte P-256 scalar (for PKCS#8 encoding), `None` for other key types.
    pub fn ecdsa_p256_scalar(&self) -> Option<Zeroizing<Vec<u8>>> {
        match &self.secret {
            Secret::Ecdsa { scalar, .. } => Some(scalar.clone()),
            _ => None,
        }
    }

    /// The uncompressed P-256 public point (for SEC1 encoding), `None` for other key types.
    pub fn ecdsa_p256_point(&self) -> Option<&[u8]> {
        match &self.secret {
            Secret::Ecdsa { point, .. } => Some(point),
            _ => None,
        }
    }

    /// The 32-byte ed25519 seed, `None` for other key types.
    pub fn ed25519_seed(&self) -> Option<Zeroizing<Vec<u8>>> {
        match &self.secret {
            Secret::Ed25519 { seed, .. } => Some(seed.clone()),
            _ => None,
        }
    }

    /// The raw 32-byte ed25519 public key, `None` for other key types.
    pub fn ed25519_public(&self) -> Option<&[u8]> {
        match &self.secret {
            Secret::Ed25519 { public, .. } => Some(public),
            _ => None,
        }
    }

    /// The PKCS#1 `RSAPrivateKey` DER, `None` for other key types.
    pub fn rsa_pkcs1_der(&self) -> Option<Zeroizing<Vec<u8>>> {
        match &self.secret {
            Secret::Rsa { der, .. } => Some(der.clone()),
            _ => None,
        }
    }

    /// The PKCS#1 `RSAPublicKey` DER, `None` for other key types.
    pub fn rsa_pkcs1_public(&self) -> Option<&[u8]> {
        match &self.secret {
            Secret::Rsa { pkcs1_public, .. } => Some(pkcs1_public),
            _ => None,
        }
    }
}
