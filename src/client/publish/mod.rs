//! Publishing (`sign`, `signer add/remove`, `revoke`, `key rotate`): start from the verified
//! remote state (the update walk in `client::trusted`), or initialise a repository as docker
//! does, apply docker's rules for what changes (`working`), sign the changed roles (`sign`),
//! and upload them in one POST, retrying once after a version conflict (`flow`).
//!
//! Must not: walk or verify remote metadata itself (that is `client::trusted`), print (that is
//! `output::publish`), or read the clock (time comes in `flow::Target::now`).

mod background;
pub mod error;
pub mod flow;
pub mod keyring;
pub mod remote;
pub mod sign;
pub mod working;

#[cfg(test)]
mod tests;

pub use error::PublishError;
pub use flow::{publish, Change, Outcome, Target};
pub use keyring::DirKeyring;
