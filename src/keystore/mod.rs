//! The trust directory (`~/.trust`): layout and permissions, encrypted private key files in
//! notary's PEM format, passphrase sources, and the one `atomic_write()`.

mod error;

pub use error::Error;
