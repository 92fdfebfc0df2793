//! The trust directory (`~/.trust`): layout and permissions, encrypted private key files in
//! notary's PEM format, passphrase sources, and the one `atomic_write()`.
//!
//! Owns: every file write of trust material (`atomic_write`, 0600 files, 0700 directories),
//! `private/<canonical key id>.key` files readable by notary and docker, and where
//! passphrases come from. Must not: sign, choose keys for roles, or talk to the network.

mod atomic;
mod error;
pub mod keyfile;
pub mod passphrase;
mod store;

pub use atomic::{
    atomic_write, atomic_write_all, atomic_write_new, ensure_dir, Durability, DIR_MODE, FILE_MODE,
};
pub use error::Error;
pub use keyfile::{fuzz_key_file, public_pem, KeyFile};
pub use passphrase::{EnvOrPrompt, Fixed, KeyClass, PassphraseSource};
pub use store::{decode_file, KeyEntry, KeyStore, PreparedKey};

#[cfg(test)]
mod tests;
