//! Errors of the metadata model, one variant per kind of failure (and per attack). Each carries
//! the role (and versions, times, key IDs) it concerns.

use chrono::{DateTime, Utc};

use super::{Gun, KeyId, RoleName, TargetName};
use crate::error::Fault;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("cannot write canonical JSON: {0}")]
    Canonical(&'static str),
    #[error("{role} metadata is {actual} bytes, larger than the limit of {limit}")]
    TooLarge {
        role: RoleName,
        limit: u64,
        actual: u64,
    },
    #[error("{role} metadata is malformed: {detail}")]
    Malformed { role: RoleName, detail: String },
    #[error("{role} metadata repeats the object key {key:?}")]
    DuplicateKey { role: RoleName, key: String },
    #[error("{role} metadata has _type {found:?}, expected {expected:?}")]
    WrongType {
        role: RoleName,
        expected: &'static str,
        found: String,
    },
    #[error("invalid expiry time {value:?} (RFC 3339 expected)")]
    BadExpires { value: String },
    #[error("metadata contains the control character 0x{byte:02x}, which notary cannot publish")]
    ControlCharacter { byte: u8 },
    #[error("{role} metadata has no signatures")]
    NoSignatures { role: RoleName },
    #[error("valid signatures did not meet threshold for {role}: {valid} of {threshold}")]
    Threshold {
        role: RoleName,
        valid: usize,
        threshold: i64,
    },
    #[error("{role}: key listed as {claimed} hashes to {computed}")]
    KeyIdMismatch {
        role: RoleName,
        claimed: KeyId,
        computed: KeyId,
    },
    #[error("{role} has invalid threshold {threshold} (must be at least 1)")]
    InvalidThreshold { role: RoleName, threshold: i64 },
    #[error("{role} has invalid version {version} (must be at least 1)")]
    InvalidVersion { role: RoleName, version: i64 },
    #[error("{role} expired at {expires} (now {now})")]
    Expired {
        role: RoleName,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("{role} version {new} is lower than current version {current}")]
    Rollback {
        role: RoleName,
        current: i64,
        new: i64,
    },
    #[error("root is missing the {role} role")]
    MissingRole { role: RoleName },
    #[error("key ID {key_id} specified in {role} without corresponding key")]
    UnknownRoleKey { role: String, key_id: KeyId },
    #[error("root of {gun} has no valid root certificate (x509 leaf first, CN matching, unexpired, not SHA-1, RSA >= 2048)")]
    NoValidRootCertificates { gun: Gun },
    #[error(
        "new root is not signed by the previous root keys: {valid} of {threshold} valid signatures"
    )]
    RotationThreshold { valid: usize, threshold: i64 },
    #[error("{role}: {algorithm} checksum did not match: expected {expected}, got {actual}")]
    HashMismatch {
        role: RoleName,
        algorithm: &'static str,
        expected: String,
        actual: String,
    },
    #[error("{role}: length {actual} does not match expected {expected}")]
    LengthMismatch {
        role: RoleName,
        expected: i64,
        actual: u64,
    },
    #[error("{role}: file metadata has no sha256 or sha512 hash")]
    MissingHash { role: RoleName },
    #[error("{role}: {algorithm} digest is {length} bytes")]
    BadHashLength {
        role: RoleName,
        algorithm: &'static str,
        length: usize,
    },
    #[error("{parent} has no metadata entry for {role}")]
    MissingMeta { parent: RoleName, role: RoleName },
    #[error("tuf: invalid role {role}. delegation does not exist in {parent}")]
    DelegationNotFound { parent: RoleName, role: RoleName },
    #[error("delegation role {role} invalid in {parent}: {reason}")]
    InvalidDelegation {
        parent: RoleName,
        role: RoleName,
        reason: &'static str,
    },
    #[error("target {target:?} is outside the paths delegated to {role}")]
    PathNotDelegated { role: RoleName, target: TargetName },
    #[error(
        "custom data of target {target:?} contains '<', '>' or '&', which notary cannot verify"
    )]
    UnsafeCustom { target: TargetName },
    #[error("signing key {key_id} does not match the certificate it is signed under")]
    SigningKeyMismatch { key_id: KeyId },
    #[error("signing {role} failed: {source}")]
    Signing {
        role: RoleName,
        #[source]
        source: crate::crypto::Error,
    },
}

impl Error {
    pub fn fault(&self) -> Fault {
        match self {
            Error::InvalidName { .. }
            | Error::UnsafeCustom { .. }
            | Error::ControlCharacter { .. } => Fault::Usage,
            Error::Signing { .. } | Error::SigningKeyMismatch { .. } => Fault::Environment,
            Error::Canonical(_)
            | Error::TooLarge { .. }
            | Error::Malformed { .. }
            | Error::DuplicateKey { .. }
            | Error::WrongType { .. }
            | Error::BadExpires { .. }
            | Error::NoSignatures { .. }
            | Error::Threshold { .. }
            | Error::KeyIdMismatch { .. }
            | Error::InvalidThreshold { .. }
            | Error::InvalidVersion { .. }
            | Error::Expired { .. }
            | Error::Rollback { .. }
            | Error::MissingRole { .. }
            | Error::UnknownRoleKey { .. }
            | Error::NoValidRootCertificates { .. }
            | Error::RotationThreshold { .. }
            | Error::HashMismatch { .. }
            | Error::LengthMismatch { .. }
            | Error::MissingHash { .. }
            | Error::BadHashLength { .. }
            | Error::MissingMeta { .. }
            | Error::DelegationNotFound { .. }
            | Error::InvalidDelegation { .. }
            | Error::PathNotDelegated { .. } => Fault::Verification,
        }
    }
}
