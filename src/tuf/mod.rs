//! The Notary v1 dialect of TUF: wire types, canonical JSON, verification and signing.
//!
//! Pure and synchronous: no I/O, no clock (time is an argument), no async. Bytes from the
//! network or disk enter as `RawSigned<R>`; the only way to obtain trusted metadata is
//! `verify`, which yields `Verified<R>`.

pub mod canonical;
pub mod names;

mod error;

pub use error::Error;
pub use names::{Gun, KeyId, RoleName, TargetName};
