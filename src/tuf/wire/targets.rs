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
    #[serde(default, deserialize_with = "map_or_null")]
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

/// `null` (empty) or an object, built in bulk: entries are collected, then the map is built
/// from them at once (linear for sorted input, which canonical JSON is) instead of one search
/// per insert. A repeated key keeps its last value, as inserting would.
fn map_or_null<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    Ok(Entries::deserialize(d)?.0.into_iter().collect())
}

/// An object's members as (key, value) pairs in the order read; `null` reads as none.
pub(super) struct Entries<K, V>(pub Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, Visitor};
        use std::marker::PhantomData;

        struct Members<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Members<K, V> {
            type Value = Entries<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_map(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        d.deserialize_option(Members(PhantomData))
    }
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
    fn from_canonical(
        bytes: &[u8],
        entries: Option<&super::TargetEntries>,
    ) -> serde_json::Result<Self> {
        super::targets_read::read(bytes, entries)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn targets_of(json: &str) -> Result<BTreeMap<TargetName, FileMeta>, String> {
        let doc =
            format!(r#"{{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":1{json}}}"#);
        serde_json::from_str::<Targets>(&doc)
            .map(|t| t.targets)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn targets_map_null_absent_unsorted_and_repeated() {
        assert!(targets_of("").unwrap().is_empty());
        assert!(targets_of(r#","targets":null"#).unwrap().is_empty());
        let m = targets_of(
            r#","targets":{"b":{"hashes":{},"length":2},"a":{"hashes":{},"length":1},"b":{"hashes":{},"length":3}}"#,
        )
        .unwrap();
        let got: Vec<(&str, i64)> = m.iter().map(|(k, v)| (k.as_str(), v.length)).collect();
        // Sorted, and a repeated name keeps its last value (as serde's own map would).
        assert_eq!(got, vec![("a", 1), ("b", 3)]);
        let e = targets_of(r#","targets":"x""#).unwrap_err();
        assert!(
            e.starts_with("invalid type: string \"x\", expected a map"),
            "{e}"
        );
    }
}
