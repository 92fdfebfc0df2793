//! Trust pinning: how a client decides to trust the first root it sees for a repository.
//!
//! Reads notary's `trust_pinning` section of `config.json` (`certs`, `ca`, `disable_tofu`) so
//! an existing notary client config carries over, plus `--root-key ID` pins from the command
//! line, and decides, for one GUN, which check applies (certs for the exact GUN, then the
//! longest `prefix*` wildcard, then the longest CA prefix, then trust on first use). It checks
//! only the bootstrap root; once a root is cached, the cached root is the pin and rotations are
//! checked by the update walk. This module does no network I/O and never writes files.

// TrustError carries repository, role, versions and times by design (one-line, actionable
// errors); it is the cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::update::error::TrustError;
use crate::tuf::{Gun, KeyId};

/// The `trust_pinning` section of a notary client `config.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TrustPinningConfig {
    /// GUN (or `prefix*`) -> root key IDs as they appear in `root.json`.
    pub certs: BTreeMap<String, Vec<String>>,
    /// GUN prefix -> path of a PEM CA bundle the root certificate must chain to.
    pub ca: BTreeMap<String, PathBuf>,
    /// Refuse trust on first use when no pin applies.
    pub disable_tofu: bool,
}

#[derive(Debug, Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    trust_pinning: TrustPinningConfig,
}

impl TrustPinningConfig {
    /// Load `trust_pinning` from a notary-style `config.json`; a missing file means no pinning.
    /// Other sections of the file are ignored.
    pub fn load(path: &Path) -> Result<TrustPinningConfig, TrustError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(TrustPinningConfig::default())
            }
            Err(e) => {
                return Err(TrustError::ConfigRead {
                    path: path.to_path_buf(),
                    kind: e.kind(),
                })
            }
        };
        let file: ConfigFile =
            serde_json::from_slice(&bytes).map_err(|e| TrustError::ConfigParse {
                path: path.to_path_buf(),
                line: e.line(),
                reason: e.to_string(),
            })?;
        Ok(file.trust_pinning)
    }
}

/// The check that applies to one repository's bootstrap root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// The root must list one of these key IDs among its root keys.
    Keys { source: PinSource, ids: Vec<KeyId> },
    /// The root certificate must chain to a CA in this PEM bundle.
    Ca { prefix: String, bundle: PathBuf },
    /// Trust on first use (the notary and docker default).
    Tofu,
    /// No pin applies and `disable_tofu` is set.
    Refuse,
}

/// Where a key pin came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSource {
    CommandLine,
    Config { gun_pattern: String },
    LockFile,
}

/// The pinning rules in force for a run: the config plus command-line `--root-key` IDs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pinning {
    pub config: TrustPinningConfig,
    /// `--root-key` IDs; they apply to every repository of the run and take precedence.
    pub root_keys: Vec<KeyId>,
    /// Root key IDs from a trust lock (precedence after `--root-key`).
    pub lock_keys: Vec<KeyId>,
}

impl Pinning {
    /// Which check applies to `gun`, in notary's precedence order (command line and lock
    /// file first, then certs exact, certs wildcard, CA, TOFU).
    pub fn pin_for(&self, gun: &Gun) -> Result<Pin, TrustError> {
        if !self.root_keys.is_empty() {
            return Ok(Pin::Keys {
                source: PinSource::CommandLine,
                ids: self.root_keys.clone(),
            });
        }
        if !self.lock_keys.is_empty() {
            return Ok(Pin::Keys {
                source: PinSource::LockFile,
                ids: self.lock_keys.clone(),
            });
        }
        let g = gun.as_str();
        let certs = &self.config.certs;
        let chosen = certs.get_key_value(g).or_else(|| {
            certs
                .iter()
                .filter(|(p, _)| p.strip_suffix('*').is_some_and(|pre| g.starts_with(pre)))
                .max_by_key(|(p, _)| p.len())
        });
        if let Some((pattern, ids)) = chosen {
            let ids = ids
                .iter()
                .map(|id| {
                    KeyId::new(id.to_ascii_lowercase()).map_err(|_| TrustError::BadPinnedKeyId {
                        gun_pattern: pattern.clone(),
                        value: id.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Pin::Keys {
                source: PinSource::Config {
                    gun_pattern: pattern.clone(),
                },
                ids,
            });
        }
        if let Some((prefix, bundle)) = self
            .config
            .ca
            .iter()
            .filter(|(p, _)| g.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
        {
            return Ok(Pin::Ca {
                prefix: prefix.clone(),
                bundle: bundle.clone(),
            });
        }
        if self.config.disable_tofu {
            return Ok(Pin::Refuse);
        }
        Ok(Pin::Tofu)
    }
}

/// A root key as the pinning check sees it: its TUF ID and, for x509 keys, the PEM bundle.
#[derive(Debug, Clone)]
pub struct RootKeyInfo {
    pub id: KeyId,
    /// PEM certificate(s), leaf first, for `ecdsa-x509`/`rsa-x509` keys.
    pub cert_pem: Option<Vec<u8>>,
}

/// How a bootstrap root was accepted; the CLI says so on stderr for TOFU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrap {
    /// Trusted on first use.
    Tofu,
    /// Matched a pinned key ID.
    PinnedKey(KeyId),
    /// Chained to a pinned CA.
    PinnedCa(PathBuf),
}

/// Check a bootstrap root's root keys (`roles.root.keyids` with their key objects) against
/// the pin. `now` is used for certificate validity under CA pinning.
pub fn check_bootstrap(
    gun: &Gun,
    pin: &Pin,
    root_keys: &[RootKeyInfo],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Bootstrap, TrustError> {
    match pin {
        Pin::Tofu => Ok(Bootstrap::Tofu),
        Pin::Refuse => Err(TrustError::TofuDisabled { gun: gun.clone() }),
        Pin::Keys { source, ids } => root_keys
            .iter()
            .find(|k| ids.contains(&k.id))
            .map(|k| Bootstrap::PinnedKey(k.id.clone()))
            .ok_or_else(|| TrustError::RootNotPinned {
                gun: gun.clone(),
                pin: source.clone(),
                pinned: ids.clone(),
                presented: root_keys.iter().map(|k| k.id.clone()).collect(),
            }),
        Pin::Ca { bundle, .. } => {
            let cas = read_pem_certs(bundle)?;
            for key in root_keys {
                let Some(pem) = &key.cert_pem else { continue };
                if chains_to(pem, &cas, now) {
                    return Ok(Bootstrap::PinnedCa(bundle.clone()));
                }
            }
            Err(TrustError::RootNotUnderCa {
                gun: gun.clone(),
                bundle: bundle.clone(),
            })
        }
    }
}

fn read_pem_certs(path: &Path) -> Result<Vec<Vec<u8>>, TrustError> {
    let bytes = std::fs::read(path).map_err(|e| TrustError::ConfigRead {
        path: path.to_path_buf(),
        kind: e.kind(),
    })?;
    let certs = parse_pem_certs(&bytes);
    if certs.is_empty() {
        return Err(TrustError::ConfigParse {
            path: path.to_path_buf(),
            line: 0,
            reason: "no CERTIFICATE blocks".into(),
        });
    }
    Ok(certs)
}

fn parse_pem_certs(bytes: &[u8]) -> Vec<Vec<u8>> {
    pem::parse_many(bytes)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.tag() == "CERTIFICATE")
        .map(|p| p.into_contents())
        .collect()
}

/// True when the leaf of `bundle_pem` (intermediates following it) chains to one of `cas`,
/// every certificate valid at `now`. Extended key usage is not checked (see docs/interop.md:
/// notary's Go verifier demands serverAuth, which its own root certificates never carry).
fn chains_to(bundle_pem: &[u8], cas: &[Vec<u8>], now: chrono::DateTime<chrono::Utc>) -> bool {
    let chain = parse_pem_certs(bundle_pem);
    let Some(leaf) = chain.first() else {
        return false;
    };
    let mut current = leaf.clone();
    // Bounded walk: at most one step per certificate we hold.
    for _ in 0..=chain.len() {
        let Ok((_, cert)) = X509Certificate::from_der(&current) else {
            return false;
        };
        if !valid_at(&cert, now) {
            return false;
        }
        if cas
            .iter()
            .any(|ca| issued_by(&cert, ca) && ca_valid(ca, now))
        {
            return true;
        }
        match chain[1..].iter().find(|i| issued_by(&cert, i)) {
            Some(next) if *next != current => current = next.clone(),
            _ => return false,
        }
    }
    false
}

fn valid_at(cert: &X509Certificate<'_>, now: chrono::DateTime<chrono::Utc>) -> bool {
    let t = now.timestamp();
    cert.validity().not_before.timestamp() <= t && t <= cert.validity().not_after.timestamp()
}

fn ca_valid(ca_der: &[u8], now: chrono::DateTime<chrono::Utc>) -> bool {
    X509Certificate::from_der(ca_der).is_ok_and(|(_, ca)| valid_at(&ca, now))
}

/// True when `issuer_der`'s subject is `cert`'s issuer and its key verifies `cert`'s signature.
fn issued_by(cert: &X509Certificate<'_>, issuer_der: &[u8]) -> bool {
    let Ok((_, issuer)) = X509Certificate::from_der(issuer_der) else {
        return false;
    };
    if issuer.subject().as_raw() != cert.issuer().as_raw() {
        return false;
    }
    let alg = cert.signature_algorithm.algorithm.to_id_string();
    let spki = issuer.public_key();
    let key = spki.subject_public_key.data.as_ref();
    let verifier: &dyn ring::signature::VerificationAlgorithm = match alg.as_str() {
        "1.2.840.10045.4.3.2" => match spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
        {
            Some(curve) if curve.to_id_string() == "1.3.132.0.34" => {
                &ring::signature::ECDSA_P384_SHA256_ASN1
            }
            _ => &ring::signature::ECDSA_P256_SHA256_ASN1,
        },
        "1.2.840.10045.4.3.3" => &ring::signature::ECDSA_P384_SHA384_ASN1,
        "1.2.840.113549.1.1.11" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        "1.2.840.113549.1.1.12" => &ring::signature::RSA_PKCS1_2048_8192_SHA384,
        _ => return false,
    };
    ring::signature::UnparsedPublicKey::new(verifier, key)
        .verify(
            cert.tbs_certificate.as_ref(),
            cert.signature_value.data.as_ref(),
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_now() -> chrono::DateTime<chrono::Utc> {
        "2026-11-22T12:00:00Z".parse().unwrap()
    }

    fn id(c: char) -> KeyId {
        KeyId::new(c.to_string().repeat(64)).unwrap()
    }

    fn config(json: &str) -> TrustPinningConfig {
        serde_json::from_str::<ConfigFile>(json)
            .unwrap()
            .trust_pinning
    }

    #[test]
    fn precedence_certs_exact_then_wildcard_then_ca_then_tofu() {
        let cfg = config(&format!(
            r#"{{"remote_server":{{"url":"https://x"}},"trust_pinning":{{
              "certs":{{"example.com/wire/img":["{a}"],"example.com/*":["{b}"],"example.com/wire/*":["{c}"]}},
              "ca":{{"example.com/":"/ca.pem","other.io/x":"/x.pem"}}}}}}"#,
            a = "a".repeat(64),
            b = "b".repeat(64),
            c = "c".repeat(64)
        ));
        let p = Pinning {
            config: cfg,
            ..Default::default()
        };
        let pin = |g: &str| p.pin_for(&Gun::new(g).unwrap()).unwrap();
        assert_eq!(
            pin("example.com/wire/img"),
            Pin::Keys {
                source: PinSource::Config {
                    gun_pattern: "example.com/wire/img".into()
                },
                ids: vec![id('a')]
            }
        );
        assert_eq!(
            pin("example.com/wire/other"),
            Pin::Keys {
                source: PinSource::Config {
                    gun_pattern: "example.com/wire/*".into()
                },
                ids: vec![id('c')]
            }
        );
        assert!(matches!(pin("example.com/y"), Pin::Keys { ids, .. } if ids == vec![id('b')]));
        assert_eq!(
            pin("other.io/x/y"),
            Pin::Ca {
                prefix: "other.io/x".into(),
                bundle: "/x.pem".into()
            }
        );
        assert_eq!(pin("docker.io/library/alpine"), Pin::Tofu);
    }

    #[test]
    fn command_line_keys_win_and_disable_tofu_refuses() {
        let mut p = Pinning {
            config: config(r#"{"trust_pinning":{"disable_tofu":true}}"#),
            ..Default::default()
        };
        let gun = Gun::new("localhost:5000/a").unwrap();
        assert_eq!(p.pin_for(&gun).unwrap(), Pin::Refuse);
        assert_eq!(
            check_bootstrap(&gun, &Pin::Refuse, &[], test_now()),
            Err(TrustError::TofuDisabled { gun: gun.clone() })
        );
        p.root_keys = vec![id('d')];
        assert!(matches!(
            p.pin_for(&gun).unwrap(),
            Pin::Keys {
                source: PinSource::CommandLine,
                ..
            }
        ));
    }

    #[test]
    fn key_pin_matches_only_listed_root_ids() {
        let gun = Gun::new("g/x").unwrap();
        let pin = Pin::Keys {
            source: PinSource::CommandLine,
            ids: vec![id('a')],
        };
        let keys = [RootKeyInfo {
            id: id('b'),
            cert_pem: None,
        }];
        assert_eq!(
            check_bootstrap(&gun, &pin, &keys, test_now()),
            Err(TrustError::RootNotPinned {
                gun: gun.clone(),
                pin: PinSource::CommandLine,
                pinned: vec![id('a')],
                presented: vec![id('b')],
            })
        );
        let keys = [RootKeyInfo {
            id: id('a'),
            cert_pem: None,
        }];
        assert_eq!(
            check_bootstrap(&gun, &pin, &keys, test_now()),
            Ok(Bootstrap::PinnedKey(id('a')))
        );
    }

    #[test]
    fn bad_pinned_id_is_a_config_error() {
        let p = Pinning {
            config: config(r#"{"trust_pinning":{"certs":{"g/x":["XYZ"]}}}"#),
            ..Default::default()
        };
        assert_eq!(
            p.pin_for(&Gun::new("g/x").unwrap()),
            Err(TrustError::BadPinnedKeyId {
                gun_pattern: "g/x".into(),
                value: "XYZ".into()
            })
        );
    }

    fn ca_and_leaf(cn: &str) -> (String, String, String) {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let leaf = leaf_params
            .clone()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();
        let other_key = KeyPair::generate().unwrap();
        let other = leaf_params.self_signed(&other_key).unwrap();
        (ca.pem(), leaf.pem(), other.pem())
    }

    #[test]
    fn ca_pin_accepts_issued_leaf_and_refuses_self_signed() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, leaf, other) = ca_and_leaf("example.com/wire/img");
        let bundle = dir.path().join("ca.pem");
        std::fs::File::create(&bundle)
            .and_then(|mut f| std::io::Write::write_all(&mut f, ca.as_bytes()))
            .unwrap();
        let gun = Gun::new("example.com/wire/img").unwrap();
        let pin = Pin::Ca {
            prefix: "example.com/".into(),
            bundle: bundle.clone(),
        };
        let now = test_now();
        let ok = [RootKeyInfo {
            id: id('a'),
            cert_pem: Some(leaf.into_bytes()),
        }];
        assert_eq!(
            check_bootstrap(&gun, &pin, &ok, now),
            Ok(Bootstrap::PinnedCa(bundle.clone()))
        );
        let bad = [RootKeyInfo {
            id: id('a'),
            cert_pem: Some(other.into_bytes()),
        }];
        assert_eq!(
            check_bootstrap(&gun, &pin, &bad, now),
            Err(TrustError::RootNotUnderCa { gun, bundle })
        );
    }
}
