//! Serde structs for Notary v1 metadata exactly as Go writes them (notary-v1.md §4).
//!
//! The `signed` part is always written canonically (sorted keys) from these types, so field
//! declaration order does not matter; what matters is which fields exist, when they are omitted
//! and how values are encoded (base64 byte slices, RFC3339Nano `expires`, capitalised `_type`).
//! Must not: verify anything (see `tuf::verify`) or read the clock.

mod common;
mod envelope;
mod expires;
mod hashes;
mod root;
mod snapshot;
mod targets;
mod targets_read;

pub use common::{Base64, FileMeta, Key, KeyVal, RoleKeys, WireSignature};
pub use envelope::{envelope_bytes, signatures_json};
pub use expires::{format_expires, parse_expires, Expires};
pub use hashes::Hashes;
pub use root::Root;
pub use snapshot::{Snapshot, Timestamp};
pub use targets::{DelegationRole, Delegations, Targets};
pub use targets_read::TargetEntries;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A metadata role type: the typed `signed` object of one `_type`.
pub trait Role: Serialize + DeserializeOwned + Clone + std::fmt::Debug {
    /// The exact `_type` string (`Root`, `Targets`, `Snapshot`, `Timestamp`).
    const TYPE: &'static str;
    fn version(&self) -> i64;
    fn expires(&self) -> &Expires;
    /// This role as targets, when it is one (signing checks targets' `custom` data).
    fn as_targets(&self) -> Option<&Targets> {
        None
    }
    /// The typed role from its canonical bytes; `entries` (where a `targets` object's entries
    /// start, when known) lets a large targets file be read in halves side by side.
    fn from_canonical(bytes: &[u8], entries: Option<&TargetEntries>) -> serde_json::Result<Self> {
        let _ = entries;
        crate::tuf::json_from_bytes(bytes)
    }
}

/// The four `_type` values notary knows.
pub const ROLE_TYPES: [&str; 4] = ["Root", "Targets", "Snapshot", "Timestamp"];

/// A unit type that (de)serialises as one exact `_type` string.
macro_rules! type_tag {
    ($name:ident, $text:literal) => {
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($text)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = String::deserialize(d)?;
                if v == $text {
                    Ok($name)
                } else {
                    Err(serde::de::Error::custom(format!(
                        "expected _type {:?}, found {:?}",
                        $text, v
                    )))
                }
            }
        }
    };
}
type_tag!(RootType, "Root");
type_tag!(TargetsType, "Targets");
type_tag!(SnapshotType, "Snapshot");
type_tag!(TimestampType, "Timestamp");
