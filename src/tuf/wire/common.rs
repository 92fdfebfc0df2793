//! Wire pieces shared by several roles: keys, role key lists, file metadata, signatures and
//! base64 byte strings (Go `[]byte`: standard alphabet, padded).

use base64::Engine;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Hashes;
use crate::crypto::{self, KeyType, PublicKey};
use crate::tuf::KeyId;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Bytes written as standard padded base64, like Go's `[]byte` in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Base64(pub Vec<u8>);

impl Serialize for Base64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Digests (the common case) are encoded on the stack.
        let mut buf = [0u8; 128];
        match B64.encode_slice(&self.0, &mut buf) {
            Ok(n) => s.serialize_str(std::str::from_utf8(&buf[..n]).map_err(S::Error::custom)?),
            Err(_) => s.serialize_str(&B64.encode(&self.0)),
        }
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Decoded from the text as read (no owned copy of it: one per target in a large
        // targets file).
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Base64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Base64, E> {
                B64.decode(s.as_bytes())
                    .map(Base64)
                    .map_err(|_| E::custom("invalid base64"))
            }
        }
        d.deserialize_str(Text)
    }
}

impl std::ops::Deref for Base64 {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// `keyval`: `private` is always present and `null` for public keys in metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVal {
    pub private: Option<Base64>,
    pub public: Base64,
}

/// A key object as it appears in `keys` maps: `{"keytype":T,"keyval":{"private":null,"public":B64}}`.
/// `keytype` stays a string so keys of types this program cannot use still round-trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub keytype: String,
    pub keyval: KeyVal,
}

impl Key {
    /// The wire form of a public key.
    pub fn from_public(key: &PublicKey) -> Key {
        Key {
            keytype: key.keytype().as_str().to_string(),
            keyval: KeyVal {
                private: None,
                public: Base64(key.public_bytes().to_vec()),
            },
        }
    }

    /// The usable public key (fails for unknown key types).
    pub fn to_public(&self) -> Result<PublicKey, crypto::Error> {
        let keytype: KeyType = self.keytype.parse()?;
        Ok(PublicKey::new(keytype, self.keyval.public.0.clone()))
    }

    /// TUF key ID of this key object as written (also for unknown key types).
    pub fn key_id(&self) -> KeyId {
        PublicKey::key_id_of(&self.keytype, &self.keyval.public)
    }
}

/// `{"keyids":[…],"threshold":n}` of a base role in root.json. A `null` key list reads as empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleKeys {
    #[serde(deserialize_with = "null_as_empty")]
    pub keyids: Vec<KeyId>,
    pub threshold: i64,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<KeyId>, D::Error> {
    Ok(Option::<Vec<KeyId>>::deserialize(d)?.unwrap_or_default())
}

/// File metadata of a target or of a metadata file in snapshot/timestamp `meta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    #[serde(default)]
    pub hashes: Hashes,
    pub length: i64,
    /// Opaque custom JSON (targets only); omitted when absent. Signing requires it to be
    /// canonicalisable and free of `<`, `>`, `&` (§5.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<serde_json::Value>,
}

impl FileMeta {
    /// File metadata with the given hashes (a `Hashes` or a map of them) and length and no
    /// custom data.
    pub fn new(hashes: impl Into<Hashes>, length: i64) -> FileMeta {
        FileMeta {
            hashes: hashes.into(),
            length,
            custom: None,
        }
    }

    /// The digest for `alg` (`sha256`, `sha512`).
    pub fn hash(&self, alg: &str) -> Option<&[u8]> {
        self.hashes.get(alg).map(|b| b.0.as_slice())
    }

    /// Lowercase hex of the sha256 digest (docker's "Digest", consistent-URL checksum).
    pub fn sha256_hex(&self) -> Option<String> {
        self.hash("sha256").map(lower_hex)
    }
}

/// Lowercase hex, as `hex::encode` writes it, without going through `char`s (this runs once
/// per target when a large repository is listed).
fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
    // Only ASCII digits were written.
    String::from_utf8(out).unwrap_or_default()
}

/// One entry of `signatures`: `{"keyid","method","sig"}` (the field order Go writes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSignature {
    pub keyid: KeyId,
    /// Lower-cased on parse, as notary does.
    #[serde(deserialize_with = "lowercase")]
    pub method: String,
    pub sig: Base64,
}

fn lowercase<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(String::deserialize(d)?.to_ascii_lowercase())
}
