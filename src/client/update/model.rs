//! STAND-IN for the `core` branch's tuf model (wire structs, `RawSigned` -> `verify` ->
//! `Verified`). Core's tuf model had not landed when the update walk was written, so this
//! holds the smallest read-only subset the walk needs: tolerant wire structs for reading and
//! one threshold function counting distinct keys over the canonical `signed` value. Key IDs
//! and signature checks are core's (`crypto::PublicKey`). To be replaced by `crate::tuf` once
//! core's model lands (see the report).
//!
//! Pure: no I/O, no clock.

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256, Sha512};

use crate::tuf::canonical::to_canonical;

/// Why a document failed the model's checks (mapped to `TrustError` by the walk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    Malformed(String),
    WrongType {
        expected: &'static str,
        found: String,
    },
    Threshold {
        valid: usize,
        threshold: u32,
    },
    NoSignatures,
    BadRoot(&'static str),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Signature {
    pub keyid: String,
    pub method: String,
    pub sig: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Envelope {
    signed: serde_json::Value,
    signatures: Option<Vec<Signature>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct KeyVal {
    pub public: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PublicKey {
    pub keytype: String,
    pub keyval: KeyVal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoleKeys {
    pub keyids: Option<Vec<String>>,
    pub threshold: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileMeta {
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
    pub length: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RootSigned {
    pub _type: String,
    pub version: u64,
    pub expires: DateTime<FixedOffset>,
    pub keys: BTreeMap<String, PublicKey>,
    pub roles: BTreeMap<String, RoleKeys>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetaSigned {
    pub _type: String,
    pub version: u64,
    pub expires: DateTime<FixedOffset>,
    pub meta: BTreeMap<String, FileMeta>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DelegationRole {
    pub name: String,
    pub keyids: Option<Vec<String>>,
    pub threshold: u32,
    #[serde(default)]
    pub paths: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Delegations {
    #[serde(default)]
    pub keys: BTreeMap<String, PublicKey>,
    #[serde(default)]
    pub roles: Option<Vec<DelegationRole>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TargetsSigned {
    pub _type: String,
    pub version: u64,
    pub expires: DateTime<FixedOffset>,
    #[serde(default)]
    pub targets: Option<BTreeMap<String, FileMeta>>,
    #[serde(default)]
    pub delegations: Option<Delegations>,
}

/// The common header every role has.
pub trait Header {
    fn kind(&self) -> &str;
    fn version(&self) -> u64;
    fn expires(&self) -> DateTime<Utc>;
}

macro_rules! header {
    ($t:ty) => {
        impl Header for $t {
            fn kind(&self) -> &str {
                &self._type
            }
            fn version(&self) -> u64 {
                self.version
            }
            fn expires(&self) -> DateTime<Utc> {
                self.expires.with_timezone(&Utc)
            }
        }
    };
}
header!(RootSigned);
header!(MetaSigned);
header!(TargetsSigned);

/// A parsed but NOT yet trusted document: the typed `signed` part, its canonical bytes (what
/// signatures cover) and the signatures.
#[derive(Debug, Clone)]
pub struct Untrusted<T> {
    pub signed: T,
    canonical: Vec<u8>,
    signatures: Vec<Signature>,
}

/// Parse bytes as an envelope whose `signed` part is `T` with `_type == expected`.
pub fn parse_untrusted<T: serde::de::DeserializeOwned + Header>(
    bytes: &[u8],
    expected: &'static str,
) -> Result<Untrusted<T>, ModelError> {
    let env: Envelope =
        serde_json::from_slice(bytes).map_err(|e| ModelError::Malformed(e.to_string()))?;
    let canonical = to_canonical(&env.signed).map_err(|e| ModelError::Malformed(e.to_string()))?;
    let signed: T =
        serde_json::from_value(env.signed).map_err(|e| ModelError::Malformed(e.to_string()))?;
    if signed.kind() != expected {
        return Err(ModelError::WrongType {
            expected,
            found: signed.kind().to_string(),
        });
    }
    Ok(Untrusted {
        signed,
        canonical,
        signatures: env.signatures.unwrap_or_default(),
    })
}

impl<T> Untrusted<T> {
    /// The one threshold check: count distinct listed key IDs whose key hashes to that ID and
    /// whose signature verifies over the canonical bytes.
    pub fn check_threshold(
        &self,
        keys: &BTreeMap<String, PublicKey>,
        keyids: &[String],
        threshold: u32,
    ) -> Result<(), ModelError> {
        if self.signatures.is_empty() {
            return Err(ModelError::NoSignatures);
        }
        let mut valid: Vec<&str> = Vec::new();
        for s in &self.signatures {
            if valid.contains(&s.keyid.as_str()) || !keyids.contains(&s.keyid) {
                continue;
            }
            let Some(key) = keys.get(&s.keyid) else {
                continue;
            };
            if key_id(key) != s.keyid {
                continue;
            }
            if verify_sig(key, s, &self.canonical) {
                valid.push(&s.keyid);
            }
        }
        if threshold == 0 || valid.len() < threshold as usize {
            return Err(ModelError::Threshold {
                valid: valid.len(),
                threshold,
            });
        }
        Ok(())
    }
}

/// The crypto key behind a wire key (core's `crypto::PublicKey`), `None` for unknown types
/// or bad base64.
fn crypto_key(key: &PublicKey) -> Option<crate::crypto::PublicKey> {
    let t: crate::crypto::KeyType = key.keytype.parse().ok()?;
    Some(crate::crypto::PublicKey::new(t, b64(&key.keyval.public)?))
}

/// TUF key ID: sha256 of canonical `{"keytype":T,"keyval":{"private":null,"public":B64}}`.
pub fn key_id(key: &PublicKey) -> String {
    match crypto_key(key) {
        Some(k) => k.key_id().to_string(),
        None => String::new(),
    }
}

/// The key ID docker shows for a key: for x509 keys, the ID of the plain key built from the
/// leaf certificate's SubjectPublicKeyInfo; otherwise the TUF ID.
pub fn canonical_key_id(key: &PublicKey) -> String {
    crypto_key(key)
        .and_then(|k| k.canonical_key_id().ok())
        .map(|id| id.to_string())
        .unwrap_or_else(|| key_id(key))
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// PEM bytes of an x509 key's certificate bundle.
pub fn cert_pem(key: &PublicKey) -> Option<Vec<u8>> {
    if key.keytype.ends_with("-x509") {
        b64(&key.keyval.public)
    } else {
        None
    }
}

fn leaf_der(key: &PublicKey) -> Option<Vec<u8>> {
    let pem = cert_pem(key)?;
    pem::parse_many(pem)
        .ok()?
        .into_iter()
        .find(|p| p.tag() == "CERTIFICATE")
        .map(|p| p.into_contents())
}

fn verify_sig(key: &PublicKey, sig: &Signature, msg: &[u8]) -> bool {
    let (Some(k), Some(sig_bytes)) = (crypto_key(key), b64(&sig.sig)) else {
        return false;
    };
    k.verify(&sig.method, msg, &sig_bytes).is_ok()
}

/// Root-specific checks (§3.2): the four base roles present with threshold >= 1 and their
/// keys present; root keys are x509 certificates whose leaf CN is the GUN (or a `prefix*`
/// covering it).
pub fn check_root_shape(root: &RootSigned, gun: &str) -> Result<(), ModelError> {
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let Some(r) = root.roles.get(role) else {
            return Err(ModelError::BadRoot("a base role is missing"));
        };
        if r.threshold < 1 {
            return Err(ModelError::BadRoot("a base role has threshold 0"));
        }
        if r.keyids
            .iter()
            .flatten()
            .any(|id| !root.keys.contains_key(id))
        {
            return Err(ModelError::BadRoot(
                "a role lists a key that is not in keys",
            ));
        }
    }
    let root_ids = root
        .roles
        .get("root")
        .and_then(|r| r.keyids.clone())
        .unwrap_or_default();
    let cn_ok = root_ids.iter().any(|id| {
        root.keys
            .get(id)
            .and_then(leaf_der)
            .is_some_and(|der| leaf_cn_matches(&der, gun))
    });
    if !cn_ok {
        return Err(ModelError::BadRoot(
            "unable to retrieve valid leaf certificates (root keys must be certificates whose CN is the repository)",
        ));
    }
    Ok(())
}

fn leaf_cn_matches(der: &[u8], gun: &str) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return false;
    };
    let matched = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .any(|cn| {
            cn == gun
                || cn
                    .strip_suffix('*')
                    .is_some_and(|prefix| gun.starts_with(prefix))
        });
    matched
}

/// Check `bytes` against a parent's `FileMeta`: exact length, then sha256 (and sha512 when
/// listed). Returns which check failed with expected/actual renderings.
pub fn check_file_meta(
    bytes: &[u8],
    meta: &FileMeta,
) -> Result<(), (&'static str, String, String)> {
    if bytes.len() as u64 != meta.length {
        return Err(("length", meta.length.to_string(), bytes.len().to_string()));
    }
    let engine = &base64::engine::general_purpose::STANDARD;
    let Some(want) = meta.hashes.get("sha256") else {
        return Err(("sha256", "(none listed)".into(), String::new()));
    };
    let got = engine.encode(Sha256::digest(bytes));
    if *want != got {
        return Err(("sha256", want.clone(), got));
    }
    if let Some(want) = meta.hashes.get("sha512") {
        let got = engine.encode(Sha512::digest(bytes));
        if *want != got {
            return Err(("sha512", want.clone(), got));
        }
    }
    Ok(())
}

/// Lowercase hex of a FileMeta's sha256 (for `role.<hex>.json` URLs and docker digests).
pub fn sha256_hex(meta: &FileMeta) -> Option<String> {
    meta.hashes
        .get("sha256")
        .and_then(|h| b64(h))
        .filter(|d| d.len() == 32)
        .map(hex::encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        let p = format!(
            "{}/fixtures/samples/metadata/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(p).unwrap()
    }

    fn root(name: &str) -> Untrusted<RootSigned> {
        parse_untrusted(&sample(name), "Root").unwrap()
    }

    fn role_check<T>(doc: &Untrusted<T>, keys: &RootSigned, role: &str) -> Result<(), ModelError> {
        let r = &keys.roles[role];
        doc.check_threshold(&keys.keys, r.keyids.as_deref().unwrap_or(&[]), r.threshold)
    }

    #[test]
    fn real_docker_repo_chain_verifies() {
        let r = root("docker-repo.root.json");
        role_check(&r, &r.signed, "root").unwrap();
        check_root_shape(&r.signed, "localhost:5000/wire/sample2").unwrap();
        assert_eq!(
            check_root_shape(&r.signed, "localhost:5000/other"),
            Err(ModelError::BadRoot("unable to retrieve valid leaf certificates (root keys must be certificates whose CN is the repository)"))
        );
        let ts: Untrusted<MetaSigned> =
            parse_untrusted(&sample("docker-repo.timestamp.json"), "Timestamp").unwrap();
        role_check(&ts, &r.signed, "timestamp").unwrap();
        let snap_bytes = sample("docker-repo.snapshot.json");
        check_file_meta(&snap_bytes, &ts.signed.meta["snapshot"]).unwrap();
        let snap: Untrusted<MetaSigned> = parse_untrusted(&snap_bytes, "Snapshot").unwrap();
        role_check(&snap, &r.signed, "snapshot").unwrap();
        let t_bytes = sample("docker-repo.targets.json");
        check_file_meta(&t_bytes, &snap.signed.meta["targets"]).unwrap();
        let t: Untrusted<TargetsSigned> = parse_untrusted(&t_bytes, "Targets").unwrap();
        role_check(&t, &r.signed, "targets").unwrap();
        let rel_bytes = sample("docker-repo.targets_releases.json");
        check_file_meta(&rel_bytes, &snap.signed.meta["targets/releases"]).unwrap();
        let rel: Untrusted<TargetsSigned> = parse_untrusted(&rel_bytes, "Targets").unwrap();
        let d = t.signed.delegations.clone().unwrap();
        let role = d
            .roles
            .unwrap()
            .into_iter()
            .find(|r| r.name == "targets/releases")
            .unwrap();
        rel.check_threshold(&d.keys, &role.keyids.unwrap(), role.threshold)
            .unwrap();
        // Targets bytes under the snapshot's entry for releases: mix-and-match.
        assert_eq!(
            check_file_meta(&t_bytes, &snap.signed.meta["targets/releases"]).map_err(|e| e.0),
            Err("length")
        );
    }

    #[test]
    fn wrong_keys_type_and_tampering_are_refused() {
        let r = root("docker-repo.root.json");
        // Timestamp checked against the targets role: no listed key signed it.
        let ts: Untrusted<MetaSigned> =
            parse_untrusted(&sample("docker-repo.timestamp.json"), "Timestamp").unwrap();
        assert_eq!(
            role_check(&ts, &r.signed, "targets"),
            Err(ModelError::Threshold {
                valid: 0,
                threshold: 1
            })
        );
        assert!(matches!(
            parse_untrusted::<MetaSigned>(&sample("docker-repo.timestamp.json"), "Snapshot"),
            Err(ModelError::WrongType { .. })
        ));
        // Change the version inside `signed`: the signature no longer covers it.
        let mut v: serde_json::Value =
            serde_json::from_slice(&sample("docker-repo.timestamp.json")).unwrap();
        v["signed"]["version"] = serde_json::json!(99);
        let forged: Untrusted<MetaSigned> =
            parse_untrusted(&serde_json::to_vec(&v).unwrap(), "Timestamp").unwrap();
        assert_eq!(
            role_check(&forged, &r.signed, "timestamp"),
            Err(ModelError::Threshold {
                valid: 0,
                threshold: 1
            })
        );
        // A repeated signature counts once.
        let mut v: serde_json::Value =
            serde_json::from_slice(&sample("docker-repo.timestamp.json")).unwrap();
        let s = v["signatures"][0].clone();
        v["signatures"] = serde_json::json!([s.clone(), s]);
        let dup: Untrusted<MetaSigned> =
            parse_untrusted(&serde_json::to_vec(&v).unwrap(), "Timestamp").unwrap();
        let mut keys = r.signed.clone();
        keys.roles.get_mut("timestamp").unwrap().threshold = 2;
        assert_eq!(
            role_check(&dup, &keys, "timestamp"),
            Err(ModelError::Threshold {
                valid: 1,
                threshold: 2
            })
        );
    }

    #[test]
    fn rotation_roots_and_special_chars_verify() {
        let r1 = root("rotation.1.root.json");
        let r2 = root("rotation.2.root.json");
        role_check(&r2, &r1.signed, "root").unwrap();
        role_check(&r2, &r2.signed, "root").unwrap();
        let r3 = root("rotation.3.root.json");
        // v3 is not signed by v1's root key.
        assert!(matches!(
            role_check(&r3, &r1.signed, "root"),
            Err(ModelError::Threshold { valid: 0, .. })
        ));
        let t: Untrusted<TargetsSigned> =
            parse_untrusted(&sample("special-chars.targets.json"), "Targets").unwrap();
        assert!(t
            .signed
            .targets
            .unwrap()
            .contains_key("tag<x>&yé\u{2028}z\"q\\"));
        let nr = root("notary-cli-repo.root.json");
        role_check(&nr, &nr.signed, "root").unwrap();
    }
}
