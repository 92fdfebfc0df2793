//! trustctl: a Notary v1 (Docker Content Trust) client and trust server.
//!
//! The library holds everything; `main.rs` only parses arguments, runs a command and maps the
//! error to an exit code. See `docs/architecture.md` for how data flows between the modules.

#![forbid(unsafe_code)]

pub mod cli;
pub mod client;
pub mod clock;
pub mod credentials;
pub mod crypto;
pub mod error;
pub mod keystore;
pub mod output;
pub mod reference;
pub mod server;
pub mod tuf;

pub use error::{Error, Fault};
