//! The Notary v1 dialect of TUF: wire types, canonical JSON, verification and signing.
//!
//! Pure and synchronous: no I/O, no clock (time is an argument), no async. Bytes from the
//! network or disk enter as `RawSigned<R>`; the only way to obtain trusted metadata is
//! `verify`, which yields `Verified<R>`.

pub mod canonical;
mod canonical_obj;
mod canonical_ser;
pub mod delegation;
pub mod editor;
pub mod fuzz_bodies;
pub mod limits;
pub mod names;
pub mod raw;
pub mod root;
pub mod sign;
pub mod signed_file;
mod strict_json;
pub mod verified;
pub mod verify;
pub mod wire;

#[cfg(test)]
mod canonical_tests;
mod error;
#[cfg(test)]
mod prop_tests;

pub use error::Error;
pub use names::{Gun, KeyId, RoleName, TargetName};
pub use raw::RawSigned;
pub use root::verify_root;
pub use sign::{sign_role, KeepSignatures, SigningKey};
pub use signed_file::{check_file_meta, check_snapshot_meta, SignedFile};
pub use strict_json::from_bytes as json_from_bytes;
pub use verified::Verified;
pub use verify::{check_threshold, Expiry, KeySet};
