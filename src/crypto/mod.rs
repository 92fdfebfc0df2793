//! Keys, key IDs, signatures and X.509 root certificates, as Notary v1 uses them.
//!
//! Owns: public key types and their TUF/canonical key IDs, signing and verifying (ring),
//! root certificate generation and parsing, notary's PKCS#8 private key encoding.
//! Must not: touch the file system or the network (the keystore does that).

pub mod digest;
mod ecdsa;
mod ed25519;
mod error;
pub mod keys;
pub mod pem;
pub mod pkcs8;
mod rsa;
mod spki;
pub mod x509;

pub use error::Error;
pub use keys::{KeyType, PrivateKey, PublicKey, Signature};
pub use x509::{parse_cert_bundle, root_certificate, CertInfo};

#[cfg(test)]
mod tests;
