//! Errors of key handling, signatures and certificates. One variant per kind of failure;
//! verification failures are `Fault::Verification`, unreadable local input is environmental.

use crate::error::Fault;
use crate::tuf::KeyId;

use super::KeyType;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("unsupported key type {0:?}")]
    UnsupportedKeyType(String),
    #[error("unsupported signature method {method:?}")]
    UnsupportedSignatureMethod { method: String },
    #[error("signature method {method:?} cannot be used with a {keytype} key")]
    MethodKeyMismatch { method: String, keytype: KeyType },
    #[error(
        "{method} signature is {actual} bytes, expected {expected} (raw r||s; DER is refused)"
    )]
    SignatureLength {
        method: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("{method} signature does not verify with key {key_id}")]
    BadSignature { method: &'static str, key_id: KeyId },
    #[error("malformed {keytype} public key: {reason}")]
    MalformedPublicKey {
        keytype: KeyType,
        reason: &'static str,
    },
    #[error("RSA key of {bits} bits is too small (at least 2048 required)")]
    RsaKeyTooSmall { bits: usize },
    #[error("malformed {keytype} private key: {reason}")]
    MalformedPrivateKey {
        keytype: KeyType,
        reason: &'static str,
    },
    #[error("malformed PEM: {reason}")]
    Pem { reason: &'static str },
    #[error("unexpected PEM block {label:?} (expected PUBLIC KEY or CERTIFICATE)")]
    UnexpectedPemLabel { label: String },
    #[error("malformed certificate: {reason}")]
    Certificate { reason: &'static str },
    #[error("cannot create certificate: {reason}")]
    CertificateGeneration { reason: &'static str },
    #[error("the system random number generator failed")]
    Random,
    #[error("signing with a {keytype} key failed")]
    Signing { keytype: KeyType },
    /// A private key file could not be decrypted with the passphrase given (pkcs8.rs).
    #[error("wrong passphrase (the key does not decrypt)")]
    WrongPassphrase,
    /// A private key file or its DER structure is corrupt (pkcs8.rs, pem.rs).
    #[error("malformed private key file: {what}")]
    Malformed { what: &'static str },
    /// A private key encryption scheme notary cannot have written (pkcs8.rs).
    #[error("unsupported private key encryption: {what}")]
    UnsupportedEncryption { what: String },
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::UnsupportedSignatureMethod { .. }
            | Error::MethodKeyMismatch { .. }
            | Error::SignatureLength { .. }
            | Error::BadSignature { .. }
            | Error::MalformedPublicKey { .. }
            | Error::RsaKeyTooSmall { .. }
            | Error::Certificate { .. } => Fault::Verification,
            Error::UnsupportedKeyType(_)
            | Error::MalformedPrivateKey { .. }
            | Error::Pem { .. }
            | Error::UnexpectedPemLabel { .. }
            | Error::CertificateGeneration { .. }
            | Error::Random
            | Error::Signing { .. }
            | Error::WrongPassphrase
            | Error::Malformed { .. }
            | Error::UnsupportedEncryption { .. } => Fault::Environment,
        }
    }
}
