//! Errors of trusting remote metadata: the update walk, pinning, the cache, policy, the trust
//! lock and the registry digest check. One variant per kind of failure (and per attack), each
//! carrying the repository, role, versions and times a user needs to act on it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::super::pinning::PinSource;
use crate::error::Fault;
use crate::tuf::{Gun, KeyId, RoleName};

/// A failure to establish or use trusted state for a repository.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrustError {
    #[error("cannot read {}: {kind}", path.display())]
    ConfigRead {
        path: PathBuf,
        kind: std::io::ErrorKind,
    },
    #[error("cannot parse {} (line {line}): {reason}", path.display())]
    ConfigParse {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("trust_pinning.certs[{gun_pattern:?}]: {value:?} is not a key ID (64 hex characters)")]
    BadPinnedKeyId { gun_pattern: String, value: String },
    #[error("no trusted root for {gun} and trust on first use is disabled (trust_pinning.disable_tofu): invalid trust pinning specified")]
    TofuDisabled { gun: Gun },
    #[error(
        "root of {gun} does not match the pinned root keys ({}): pinned {}, server presents {}",
        pin_source(pin),
        ids(pinned),
        ids(presented)
    )]
    RootNotPinned {
        gun: Gun,
        pin: PinSource,
        pinned: Vec<KeyId>,
        presented: Vec<KeyId>,
    },
    #[error("root certificate of {gun} does not chain to a CA in {}", bundle.display())]
    RootNotUnderCa { gun: Gun, bundle: PathBuf },
    #[error("{server} does not have trust data for {gun}")]
    NoTrustData { gun: Gun, server: String },
    #[error("No valid trust data for {tag}")]
    TagNotSigned { gun: Gun, tag: String },
    #[error("No valid trust data for {tag}: {role} of {gun} could not be verified ({reason})")]
    TagUnverifiable {
        gun: Gun,
        tag: String,
        role: RoleName,
        reason: String,
    },
    #[error("rollback of {role} for {gun}: server version {served} is lower than trusted version {trusted}")]
    Rollback {
        gun: Gun,
        role: RoleName,
        trusted: u64,
        served: u64,
    },
    #[error("{role} of {gun} expired at {} (now {})", expires.to_rfc3339(), now.to_rfc3339())]
    Expired {
        gun: Gun,
        role: RoleName,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error(
        "{role} of {gun} does not match {parent}: {what} is {actual}, {parent} says {expected}"
    )]
    Mismatch {
        gun: Gun,
        role: RoleName,
        parent: RoleName,
        what: &'static str,
        expected: String,
        actual: String,
    },
    #[error("{role} of {gun} is missing from {parent}")]
    NotListed {
        gun: Gun,
        role: RoleName,
        parent: RoleName,
    },
    #[error("{role} of {gun} is larger than its limit of {limit} bytes")]
    Oversized {
        gun: Gun,
        role: RoleName,
        limit: u64,
    },
    #[error("{role} of {gun}: {source}")]
    Metadata {
        gun: Gun,
        role: RoleName,
        #[source]
        source: crate::tuf::Error,
    },
    #[error("root rotation of {gun} from version {from} to {to} rejected: {valid} valid signatures from the {which} root keys, threshold {threshold}")]
    RotationNotSigned {
        gun: Gun,
        from: u64,
        to: u64,
        /// "previous" or "new".
        which: &'static str,
        valid: usize,
        threshold: i64,
    },
    #[error("{role} of {gun} (version {version}): valid signatures did not meet threshold ({valid} of {threshold})")]
    Threshold {
        gun: Gun,
        role: RoleName,
        version: u64,
        valid: usize,
        threshold: i64,
    },
    #[error("{role} of {gun}: no signatures")]
    NoSignatures { gun: Gun, role: RoleName },
    #[error("{role} of {gun} is malformed: {reason}")]
    Malformed {
        gun: Gun,
        role: RoleName,
        reason: String,
    },
    #[error("{role} of {gun} has type {found:?}, expected {expected:?}")]
    WrongType {
        gun: Gun,
        role: RoleName,
        expected: &'static str,
        found: String,
    },
    #[error("root of {gun} (version {version}) is invalid: {reason}")]
    BadRoot {
        gun: Gun,
        version: u64,
        reason: &'static str,
    },
    #[error(
        "server returned root version {served} for {gun} where version {expected} was requested"
    )]
    RootVersionMismatch {
        gun: Gun,
        expected: u64,
        served: u64,
    },
    #[error("fetching {file} of {gun}: {message}")]
    Fetch {
        gun: Gun,
        file: String,
        /// The transport error rendered; its kind is kept in `not_found`.
        message: String,
        not_found: bool,
    },
    #[error("no cached trust data for {gun} in {} (run without --offline first)", dir.display())]
    NoCache { gun: Gun, dir: PathBuf },
    #[error("cannot {action} trust cache {}: {kind}", path.display())]
    Cache {
        action: &'static str,
        path: PathBuf,
        kind: std::io::ErrorKind,
    },
    #[error("policy not met for {reference}: {reason}")]
    Policy {
        reference: String,
        reason: PolicyFailure,
    },
    #[error("trust lock {}: {reason}", path.display())]
    Lock { path: PathBuf, reason: LockFailure },
    #[error("registry serves {served} for {reference}, but the trusted digest is {trusted}")]
    RegistryDigestMismatch {
        reference: String,
        trusted: String,
        served: String,
    },
    #[error("registry {url}: {message}")]
    Registry { url: String, message: String },
    #[error("{0}")]
    Usage(UsageFailure),
}

/// Why a policy was not met.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyFailure {
    #[error("{} of the required signers [{}] signed (need {need}); signers: [{}]", have.len(), required.join(", "), have.join(", "))]
    Signers {
        required: Vec<String>,
        have: Vec<String>,
        need: usize,
    },
    #[error("digest {actual} differs from the locked digest {locked}")]
    LockedDigest { locked: String, actual: String },
    #[error("signers [{}] recorded in the lock did not sign (signers now: [{}])", missing.join(", "), have.join(", "))]
    LockedSigners {
        missing: Vec<String>,
        have: Vec<String>,
    },
    #[error("{0} is not in the trust lock")]
    NotLocked(String),
}

/// Why a trust lock could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockFailure {
    #[error("cannot read it: {0}")]
    Read(std::io::ErrorKind),
    #[error("cannot write it: {0}")]
    Write(std::io::ErrorKind),
    #[error("malformed at line {line}: {reason}")]
    Parse { line: usize, reason: String },
    #[error("unsupported version {0} (this trustctl writes version 1)")]
    Version(u64),
}

/// Arguments that do not make sense together (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageFailure {
    #[error("--threshold {threshold} needs at least that many --signer names (got {signers})")]
    Threshold { threshold: usize, signers: usize },
    #[error("--threshold must be at least 1")]
    ZeroThreshold,
    #[error("{reference}: a tag is required (IMAGE:TAG)")]
    TagRequired { reference: String },
    #[error("--root-key {0:?} is not a key ID (64 hex characters)")]
    RootKey(String),
    #[error("policy file {}: {reason}", path.display())]
    PolicyFile { path: PathBuf, reason: String },
}

fn ids(v: &[KeyId]) -> String {
    let v: Vec<&str> = v.iter().map(|k| k.as_str()).collect();
    format!("[{}]", v.join(", "))
}

fn pin_source(s: &PinSource) -> String {
    match s {
        PinSource::CommandLine => "--root-key".into(),
        PinSource::Config { gun_pattern } => format!("trust_pinning.certs[{gun_pattern:?}]"),
        PinSource::LockFile => "trust lock".into(),
    }
}

impl TrustError {
    /// The fault class, which decides the exit code.
    pub fn fault(&self) -> Fault {
        use TrustError::*;
        match self {
            ConfigRead { .. }
            | ConfigParse { .. }
            | BadPinnedKeyId { .. }
            | Cache { .. }
            | Registry { .. }
            | Lock { .. } => Fault::Environment,
            Fetch { not_found, .. } => {
                if *not_found {
                    // A file the signed metadata promised is missing: the repository is broken.
                    Fault::Verification
                } else {
                    Fault::Environment
                }
            }
            NoTrustData { .. } | TagNotSigned { .. } | NoCache { .. } => Fault::NoTrustData,
            Usage(_) => Fault::Usage,
            TofuDisabled { .. }
            | RootNotPinned { .. }
            | RootNotUnderCa { .. }
            | TagUnverifiable { .. }
            | Rollback { .. }
            | Expired { .. }
            | Mismatch { .. }
            | NotListed { .. }
            | Oversized { .. }
            | Metadata { .. }
            | RotationNotSigned { .. }
            | Threshold { .. }
            | NoSignatures { .. }
            | Malformed { .. }
            | WrongType { .. }
            | BadRoot { .. }
            | RootVersionMismatch { .. }
            | Policy { .. }
            | RegistryDigestMismatch { .. } => Fault::Verification,
        }
    }
}

impl From<TrustError> for crate::client::Error {
    fn from(e: TrustError) -> Self {
        crate::client::Error::Trust(Box::new(e))
    }
}

impl From<TrustError> for crate::Error {
    fn from(e: TrustError) -> Self {
        crate::Error::Client(e.into())
    }
}
