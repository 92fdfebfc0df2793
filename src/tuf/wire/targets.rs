//! `targets.json` and delegated targets files (§4.4). `delegations` and `targets` are always
//! written (as `{}` / `{"keys":{},"roles":[]}` when empty); `paths` is omitted when empty;
//! `keyids` may be `null` (docker signer removal).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::{Expires, FileMeta, Key, Role, TargetsType};
use crate::tuf::{KeyId, RoleName, TargetName};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    #[serde(rename = "_type")]
    pub type_tag: TargetsType,
    #[serde(default, deserialize_with = "null_as_default")]
    pub delegations: Delegations,
    pub expires: Expires,
    #[serde(default, deserialize_with = "null_as_default")]
    pub targets: BTreeMap<TargetName, FileMeta>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegations {
    #[serde(default, deserialize_with = "null_as_default")]
    pub keys: BTreeMap<KeyId, Key>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub roles: Vec<DelegationRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationRole {
    /// `null` after every key was removed (written back as `null`).
    pub keyids: Option<Vec<KeyId>>,
    pub name: RoleName,
    /// Path prefixes; omitted when `None` or empty.
    #[serde(default, skip_serializing_if = "paths_empty")]
    pub paths: Option<Vec<String>>,
    pub threshold: i64,
}

fn paths_empty(p: &Option<Vec<String>>) -> bool {
    p.as_ref().is_none_or(|v| v.is_empty())
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl Role for Targets {
    const TYPE: &'static str = "Targets";
    fn version(&self) -> i64 {
        self.version
    }
    fn expires(&self) -> &Expires {
        &self.expires
    }
    fn as_targets(&self) -> Option<&Targets> {
        Some(self)
    }
}

impl Targets {
    pub fn new(version: i64, expires: Expires) -> Targets {
        Targets {
            type_tag: TargetsType,
            delegations: Delegations::default(),
            expires,
            targets: BTreeMap::new(),
            version,
        }
    }

    /// The delegation entry for a direct child role.
    pub fn delegation(&self, role: &RoleName) -> Option<&DelegationRole> {
        self.delegations.roles.iter().find(|r| &r.name == role)
    }
}

impl DelegationRole {
    /// Key IDs, empty when `null`.
    pub fn key_ids(&self) -> &[KeyId] {
        self.keyids.as_deref().unwrap_or_default()
    }

    /// Path prefixes, empty when absent.
    pub fn path_list(&self) -> &[String] {
        self.paths.as_deref().unwrap_or_default()
    }
}
