//! `hashes` of a file entry: hash algorithm name -> digest, a JSON object on the wire.
//!
//! Held as a small vector sorted by name rather than a map: an entry lists one or two
//! digests, and a large targets file has one such object per target, so a map node per entry
//! (about half a kilobyte each) dominated the memory and parse time of large repositories.
//! Behaves as the map it replaces: sorted by name, one digest per name (a repeated name keeps
//! its last digest, on insert and when read from JSON).
//!
//! Must not: check digests (see `signed_file::check_file_meta` and the update walk).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Base64;

/// Hash algorithm name -> digest, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hashes(Vec<(Cow<'static, str>, Base64)>);

/// The names notary writes, shared instead of allocated per entry.
fn name(alg: &str) -> Cow<'static, str> {
    match alg {
        "sha256" => Cow::Borrowed("sha256"),
        "sha512" => Cow::Borrowed("sha512"),
        other => Cow::Owned(other.to_string()),
    }
}

impl Hashes {
    pub fn new() -> Hashes {
        Hashes(Vec::new())
    }

    fn position(&self, alg: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_ref().cmp(alg))
    }

    /// Set the digest of `alg`, returning the one it replaces (as `BTreeMap::insert`).
    pub fn insert(&mut self, alg: String, digest: Base64) -> Option<Base64> {
        self.set(&alg, digest)
    }

    fn set(&mut self, alg: &str, digest: Base64) -> Option<Base64> {
        match self.position(alg) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, digest)),
            Err(i) => {
                self.0.insert(i, (name(alg), digest));
                None
            }
        }
    }

    pub fn get(&self, alg: &str) -> Option<&Base64> {
        self.position(alg).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, alg: &str) -> bool {
        self.position(alg).is_ok()
    }

    pub fn remove(&mut self, alg: &str) -> Option<Base64> {
        self.position(alg).ok().map(|i| self.0.remove(i).1)
    }

    /// (name, digest) pairs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Base64)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<BTreeMap<String, Base64>> for Hashes {
    fn from(map: BTreeMap<String, Base64>) -> Hashes {
        // A BTreeMap iterates sorted and without repeats: already in this type's order.
        Hashes(map.into_iter().map(|(k, v)| (name(&k), v)).collect())
    }
}

impl FromIterator<(String, Base64)> for Hashes {
    fn from_iter<I: IntoIterator<Item = (String, Base64)>>(iter: I) -> Hashes {
        let mut out = Hashes::new();
        for (k, v) in iter {
            out.set(&k, v);
        }
        out
    }
}

impl Serialize for Hashes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Hashes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Hashes, D::Error> {
        struct HashesVisitor;
        impl<'de> Visitor<'de> for HashesVisitor {
            type Value = Hashes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Hashes, A::Error> {
                let mut out = Hashes(Vec::with_capacity(map.size_hint().unwrap_or(2).min(8)));
                while let Some(alg) = map.next_key_seed(AlgName)? {
                    let digest: Base64 = map.next_value()?;
                    out.set(&alg, digest);
                }
                Ok(out)
            }
        }
        d.deserialize_map(HashesVisitor)
    }
}

/// Reads an algorithm name without allocating for the names notary writes.
struct AlgName;

impl<'de> serde::de::DeserializeSeed<'de> for AlgName {
    type Value = Cow<'static, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for AlgName {
    type Value = Cow<'static, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a hash algorithm name")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(name(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_sorted_map_on_the_wire_and_in_code() {
        let mut h = Hashes::new();
        assert!(h.insert("sha512".into(), Base64(vec![2])).is_none());
        assert!(h.insert("md5".into(), Base64(vec![0])).is_none());
        assert!(h.insert("sha256".into(), Base64(vec![1])).is_none());
        assert_eq!(
            h.insert("sha256".into(), Base64(vec![9])),
            Some(Base64(vec![1]))
        );
        let names: Vec<&str> = h.iter().map(|(k, _)| k).collect();
        assert_eq!(names, vec!["md5", "sha256", "sha512"]);
        assert_eq!(h.get("sha256"), Some(&Base64(vec![9])));
        assert!(h.contains_key("md5") && !h.contains_key("sha1"));
        assert_eq!(h.remove("md5"), Some(Base64(vec![0])));
        assert_eq!(h.len(), 2);

        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, r#"{"sha256":"CQ==","sha512":"Ag=="}"#);
        let as_map: BTreeMap<String, Base64> = serde_json::from_str(&json).unwrap();
        assert_eq!(Hashes::from(as_map), h);
        // Unsorted input is sorted; a repeated name keeps its last digest (as a map would).
        let back: Hashes =
            serde_json::from_str(r#"{"sha512":"Ag==","sha256":"AQ==","sha256":"CQ=="}"#).unwrap();
        assert_eq!(back, h);
        assert!(serde_json::from_str::<Hashes>("[]").is_err());
    }
}
