//! Validated newtypes for the names that cross the trust boundary: repository names (GUNs),
//! role names, key IDs and target names. Construction is the validation; serde goes through
//! `TryFrom<String>` so a parsed document cannot hold an invalid name.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Error;

macro_rules! string_newtype {
    ($name:ident, $check:ident) => {
        impl $name {
            pub fn new(value: impl Into<String>) -> Result<Self, Error> {
                let value = value.into();
                $check(&value)?;
                Ok(Self(value))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(value: String) -> Result<Self, Error> {
                Self::new(value)
            }
        }
        // Written as the plain string (no clone, unlike `serde(into = "String")`).
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        // Eq, Ord and Hash are derived from the one `String` field, so they agree with
        // `str`'s: maps keyed by the newtype can be searched with a `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }
    };
}

/// A Globally Unique Name: the repository identifier, e.g. `docker.io/library/alpine`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Gun(String);
string_newtype!(Gun, check_gun);

fn check_gun(v: &str) -> Result<(), Error> {
    let bad = |reason| {
        Err(Error::InvalidName {
            what: "repository name",
            value: v.to_string(),
            reason,
        })
    };
    if v.is_empty() {
        return bad("it is empty");
    }
    if v.len() > 255 {
        return bad("it is longer than 255 characters");
    }
    if v.contains('*') {
        return bad("it contains '*'");
    }
    if v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad("it contains whitespace or control characters");
    }
    if v.starts_with('/') || v.ends_with('/') || v.contains("//") || v.contains("..") {
        return bad("it is not a clean path");
    }
    Ok(())
}

/// A role: `root`, `targets`, `snapshot`, `timestamp`, or a delegation `targets/<name>[/...]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct RoleName(String);
string_newtype!(RoleName, check_role);

impl RoleName {
    pub fn root() -> Self {
        Self("root".into())
    }
    pub fn targets() -> Self {
        Self("targets".into())
    }
    pub fn snapshot() -> Self {
        Self("snapshot".into())
    }
    pub fn timestamp() -> Self {
        Self("timestamp".into())
    }
    /// `targets/releases`, where docker keeps released tags.
    pub fn releases() -> Self {
        Self("targets/releases".into())
    }
    /// The `_type` its metadata must carry (`Targets` for every delegation).
    pub fn metadata_type(&self) -> &'static str {
        match self.0.as_str() {
            "root" => "Root",
            "snapshot" => "Snapshot",
            "timestamp" => "Timestamp",
            _ => "Targets",
        }
    }
    /// True for `targets/...` roles.
    pub fn is_delegation(&self) -> bool {
        self.0.starts_with("targets/")
    }
    /// The parent of a delegation (`targets/a/b` -> `targets/a`), `None` for base roles.
    pub fn parent(&self) -> Option<RoleName> {
        if !self.is_delegation() {
            return None;
        }
        self.0.rfind('/').map(|i| RoleName(self.0[..i].to_string()))
    }
}

/// Longest role name notary accepts.
const MAX_ROLE_LEN: usize = 255;

fn check_role(v: &str) -> Result<(), Error> {
    if matches!(v, "root" | "targets" | "snapshot" | "timestamp") {
        return Ok(());
    }
    let bad = |reason| {
        Err(Error::InvalidName {
            what: "role",
            value: v.to_string(),
            reason,
        })
    };
    let Some(rest) = v.strip_prefix("targets/") else {
        return bad("roles are root, targets, snapshot, timestamp or targets/<name>");
    };
    if v.len() > MAX_ROLE_LEN {
        return bad("it is longer than 255 characters");
    }
    for seg in rest.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return bad("it is not a clean path");
        }
        if !seg
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return bad("delegation names use only a-z, 0-9, '-', '_' and '/'");
        }
    }
    Ok(())
}

/// A TUF key ID: 64 lowercase hex characters (SHA-256 of the canonical public key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct KeyId(String);
string_newtype!(KeyId, check_key_id);

impl KeyId {
    /// Key ID from a SHA-256 digest.
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        Self(hex::encode(digest))
    }
    /// The 12-character prefix docker shows in tables.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

fn check_key_id(v: &str) -> Result<(), Error> {
    if v.len() == 64
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Error::InvalidName {
            what: "key ID",
            value: v.to_string(),
            reason: "a key ID is 64 lowercase hex characters",
        })
    }
}

/// A target (tag) name. Notary cannot publish names with control characters, so they are
/// refused here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct TargetName(String);
string_newtype!(TargetName, check_target);

fn check_target(v: &str) -> Result<(), Error> {
    let bad = |reason| {
        Err(Error::InvalidName {
            what: "target name",
            value: v.to_string(),
            reason,
        })
    };
    if v.is_empty() {
        return bad("it is empty");
    }
    if v.chars().any(|c| c.is_control()) {
        return bad("it contains control characters, which notary cannot publish");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names() {
        for ok in ["root", "targets", "targets/releases", "targets/a-b_c/d1"] {
            assert!(RoleName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "foo",
            "targets/Bob",
            "targets/",
            "targets//a",
            "targets/../x",
            "Targets",
        ] {
            assert!(
                matches!(
                    RoleName::new(bad),
                    Err(Error::InvalidName { what: "role", .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            RoleName::new("targets/a/b").unwrap().parent(),
            Some(RoleName::new("targets/a").unwrap())
        );
        assert_eq!(RoleName::releases().parent(), Some(RoleName::targets()));
        assert_eq!(RoleName::targets().parent(), None);
        assert_eq!(RoleName::releases().metadata_type(), "Targets");
        assert_eq!(RoleName::root().metadata_type(), "Root");
    }

    #[test]
    fn gun_and_key_id() {
        assert!(Gun::new("docker.io/library/alpine").is_ok());
        assert!(Gun::new("localhost:5000/wire/img").is_ok());
        assert!(matches!(Gun::new("a*b"), Err(Error::InvalidName { .. })));
        assert!(matches!(Gun::new(""), Err(Error::InvalidName { .. })));
        let id = "6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c";
        assert_eq!(KeyId::new(id).unwrap().short(), "6b420ce8fc0d");
        assert!(KeyId::new(id.to_uppercase()).is_err());
    }

    #[test]
    fn target_names_refuse_control_chars() {
        assert!(TargetName::new("tag<x>&yé\u{2028}z\"q\\").is_ok());
        assert!(TargetName::new("a\nb").is_err());
    }
}
