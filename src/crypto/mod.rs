//! Keys, key IDs, signatures and X.509 root certificates, as Notary v1 uses them.
//!
//! Owns: public key types and their TUF/canonical key IDs, signing and verifying (ring),
//! root certificate generation and parsing, notary's PKCS#8 private key encoding.
//! Must not: touch the file system or the network (the keystore does that).

mod error;

pub use error::Error;
