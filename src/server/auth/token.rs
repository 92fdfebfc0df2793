//! Bearer JWTs per the Docker registry token authentication spec (what docker_auth and
//! Keycloak's docker-v2 protocol issue): RS256 or ES256, signed by the key of the `x5c` leaf
//! whose chain reaches a certificate of the root bundle, or by a bundle key named by `kid`
//! (libtrust key ID). Claims checked: `iss`, `aud` (the service), `exp`, `nbf`, and `access`.
//!
//! Must not: log tokens; read the wall clock (the caller passes `now`).

use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde::Deserialize;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;

use super::ConfigError;

/// Leeway for `exp`/`nbf` and certificate validity, like distribution's.
const LEEWAY_SECS: i64 = 60;
/// Longest accepted `x5c` chain.
const MAX_CHAIN: usize = 5;
/// Largest accepted token (bytes).
pub const MAX_TOKEN: usize = 64 << 10;

/// `auth.options` of type `token` (notary-server's keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOptions {
    pub realm: String,
    pub service: String,
    pub issuer: String,
}

/// Why a token was refused (logged; never sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    Malformed(&'static str),
    UnsupportedAlgorithm(String),
    UntrustedChain(&'static str),
    UnknownKeyId(String),
    BadSignature,
    Expired { exp: i64, now: i64 },
    NotYetValid { nbf: i64, now: i64 },
    WrongIssuer(String),
    WrongAudience,
}

impl std::fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenRejection::Malformed(what) => write!(f, "malformed token: {what}"),
            TokenRejection::UnsupportedAlgorithm(a) => write!(f, "unsupported algorithm {a:?}"),
            TokenRejection::UntrustedChain(why) => write!(f, "untrusted x5c chain: {why}"),
            TokenRejection::UnknownKeyId(k) => write!(f, "unknown kid {k:?}"),
            TokenRejection::BadSignature => write!(f, "bad signature"),
            TokenRejection::Expired { exp, now } => write!(f, "expired at {exp} (now {now})"),
            TokenRejection::NotYetValid { nbf, now } => {
                write!(f, "not valid before {nbf} (now {now})")
            }
            TokenRejection::WrongIssuer(i) => write!(f, "issuer {i:?} is not trusted"),
            TokenRejection::WrongAudience => write!(f, "audience does not name this service"),
        }
    }
}

/// One `access` entry: `{"type":"repository","name":GUN,"actions":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceActions {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub actions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    #[serde(default)]
    access: Vec<ResourceActions>,
}

/// A verified token's useful content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub subject: String,
    pub access: Vec<ResourceActions>,
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Vec<String>,
    #[serde(default)]
    kid: Option<String>,
}

struct BundleCert {
    der: Vec<u8>,
    kid: String,
}

pub struct TokenVerifier {
    pub options: TokenOptions,
    bundle: Vec<BundleCert>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("options", &self.options)
            .field("bundle_certs", &self.bundle.len())
            .finish()
    }
}

/// libtrust key ID: the first 240 bits of SHA-256(SPKI DER), base32, in groups of 4 by `:`.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = crate::crypto::digest::sha256(spki_der);
    let mut out = String::with_capacity(59);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &byte in &digest[..30] {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let c = ALPHABET[((acc >> bits) & 31) as usize];
            if !out.is_empty() && (out.len() + 1) % 5 == 0 {
                out.push(':');
            }
            out.push(c as char);
        }
    }
    out
}

fn parse_cert(der: &[u8]) -> Option<X509Certificate<'_>> {
    X509Certificate::from_der(der).ok().map(|(_, c)| c)
}

const OID_EC: &str = "1.2.840.10045.2.1";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    P256,
    P384,
    Rsa,
}

fn key_kind(spki: &SubjectPublicKeyInfo<'_>) -> Option<KeyKind> {
    match spki.algorithm.algorithm.to_id_string().as_str() {
        OID_RSA => Some(KeyKind::Rsa),
        OID_EC => {
            let curve = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
            match curve.to_id_string().as_str() {
                OID_P256 => Some(KeyKind::P256),
                OID_P384 => Some(KeyKind::P384),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The ring algorithm for a certificate signature made with an issuer key of `kind`.
fn cert_sig_alg(sig_oid: &str, kind: KeyKind) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match (sig_oid, kind) {
        ("1.2.840.10045.4.3.2", KeyKind::P256) => &signature::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", KeyKind::P256) => &signature::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.2", KeyKind::P384) => &signature::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", KeyKind::P384) => &signature::ECDSA_P384_SHA384_ASN1,
        ("1.2.840.113549.1.1.11", KeyKind::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.12", KeyKind::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", KeyKind::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => return None,
    })
}

/// Did `issuer` sign `cert`?
fn signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    if cert.issuer() != issuer.subject() {
        return false;
    }
    let spki = issuer.public_key();
    let Some(kind) = key_kind(spki) else {
        return false;
    };
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let Some(alg) = cert_sig_alg(&oid, kind) else {
        return false;
    };
    UnparsedPublicKey::new(alg, &spki.subject_public_key.data[..])
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .is_ok()
}

fn valid_at(cert: &X509Certificate<'_>, now: i64) -> bool {
    cert.validity().not_before.timestamp() - LEEWAY_SECS <= now
        && now <= cert.validity().not_after.timestamp() + LEEWAY_SECS
}

/// The JWS algorithm for a token signed by a key of `kind`.
fn jws_alg(alg: &str, kind: KeyKind) -> Result<&'static dyn VerificationAlgorithm, TokenRejection> {
    match (alg, kind) {
        ("ES256", KeyKind::P256) => Ok(&signature::ECDSA_P256_SHA256_FIXED),
        ("RS256", KeyKind::Rsa) => Ok(&signature::RSA_PKCS1_2048_8192_SHA256),
        ("ES256" | "RS256", _) => Err(TokenRejection::Malformed("key type does not match alg")),
        (other, _) => Err(TokenRejection::UnsupportedAlgorithm(other.to_string())),
    }
}

impl TokenVerifier {
    /// Load the root certificate bundle (PEM, blocking).
    pub fn load(options: TokenOptions, bundle_path: &Path) -> Result<TokenVerifier, ConfigError> {
        let bad = |reason: String| ConfigError::Bundle {
            path: bundle_path.to_path_buf(),
            reason,
        };
        let pem = std::fs::read(bundle_path).map_err(|e| bad(e.to_string()))?;
        let mut bundle = Vec::new();
        for item in rustls_pemfile::certs(&mut pem.as_slice()) {
            let der = item.map_err(|e| bad(e.to_string()))?.to_vec();
            let cert = parse_cert(&der).ok_or_else(|| bad("unparsable certificate".into()))?;
            if key_kind(cert.public_key()).is_none() {
                return Err(bad(format!(
                    "certificate {} has an unsupported key (use RSA, P-256 or P-384)",
                    cert.subject()
                )));
            }
            let kid = libtrust_key_id(cert.public_key().raw);
            bundle.push(BundleCert { der, kid });
        }
        if bundle.is_empty() {
            return Err(bad("no PEM certificates".into()));
        }
        Ok(TokenVerifier { options, bundle })
    }

    /// The key that signed the token: the `x5c` leaf chained to the bundle, or a bundle key by
    /// `kid`. Returns the SPKI DER.
    fn signing_key(&self, header: &Header, now: i64) -> Result<Vec<u8>, TokenRejection> {
        if header.x5c.is_empty() {
            let kid = header
                .kid
                .as_deref()
                .ok_or(TokenRejection::Malformed("neither x5c nor kid in header"))?;
            let found = self
                .bundle
                .iter()
                .find(|c| c.kid == kid)
                .ok_or_else(|| TokenRejection::UnknownKeyId(kid.to_string()))?;
            let cert = parse_cert(&found.der).ok_or(TokenRejection::UntrustedChain("bundle"))?;
            return Ok(cert.public_key().raw.to_vec());
        }
        if header.x5c.len() > MAX_CHAIN {
            return Err(TokenRejection::UntrustedChain("chain too long"));
        }
        let ders = header
            .x5c
            .iter()
            .map(|b| STANDARD.decode(b))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| TokenRejection::Malformed("x5c is not base64"))?;
        let chain = ders
            .iter()
            .map(|d| parse_cert(d))
            .collect::<Option<Vec<_>>>()
            .ok_or(TokenRejection::Malformed(
                "x5c holds an unparsable certificate",
            ))?;
        if !chain.iter().all(|c| valid_at(c, now)) {
            return Err(TokenRejection::UntrustedChain(
                "certificate outside its validity",
            ));
        }
        for (i, cert) in chain.iter().enumerate() {
            if i > 0 && !signed_by(&chain[i - 1], cert) {
                return Err(TokenRejection::UntrustedChain("x5c is not a chain"));
            }
            let anchored = self.bundle.iter().any(|b| {
                b.der == ders[i]
                    || parse_cert(&b.der)
                        .is_some_and(|root| valid_at(&root, now) && signed_by(cert, &root))
            });
            if anchored {
                return Ok(chain[0].public_key().raw.to_vec());
            }
        }
        Err(TokenRejection::UntrustedChain(
            "no certificate of the root bundle",
        ))
    }

    /// Verify `token` at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Grant, TokenRejection> {
        let now = now.timestamp();
        if token.len() > MAX_TOKEN {
            return Err(TokenRejection::Malformed("too long"));
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenRejection::Malformed("not a compact JWS"));
        };
        let decode = |part: &str, what| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| TokenRejection::Malformed(what))
        };
        let header: Header = serde_json::from_slice(&decode(h, "header is not base64url")?)
            .map_err(|_| TokenRejection::Malformed("header is not JSON"))?;
        let sig = decode(s, "signature is not base64url")?;
        let spki_der = self.signing_key(&header, now)?;
        let (_, spki) = SubjectPublicKeyInfo::from_der(&spki_der)
            .map_err(|_| TokenRejection::Malformed("signing key"))?;
        let kind =
            key_kind(&spki).ok_or(TokenRejection::UnsupportedAlgorithm(header.alg.clone()))?;
        let alg = jws_alg(&header.alg, kind)?;
        let signed = &token[..h.len() + 1 + p.len()];
        UnparsedPublicKey::new(alg, &spki.subject_public_key.data[..])
            .verify(signed.as_bytes(), &sig)
            .map_err(|_| TokenRejection::BadSignature)?;
        let claims: Claims = serde_json::from_slice(&decode(p, "claims are not base64url")?)
            .map_err(|_| TokenRejection::Malformed("claims are not JSON"))?;
        self.check_claims(claims, now)
    }

    fn check_claims(&self, claims: Claims, now: i64) -> Result<Grant, TokenRejection> {
        let iss = claims.iss.unwrap_or_default();
        if iss != self.options.issuer {
            return Err(TokenRejection::WrongIssuer(iss));
        }
        let service = self.options.service.as_str();
        let aud_ok = match &claims.aud {
            Some(Audience::One(a)) => a == service,
            Some(Audience::Many(list)) => list.iter().any(|a| a == service),
            None => false,
        };
        if !aud_ok {
            return Err(TokenRejection::WrongAudience);
        }
        let exp = claims
            .exp
            .ok_or(TokenRejection::Malformed("no exp claim"))?;
        if now > exp + LEEWAY_SECS {
            return Err(TokenRejection::Expired { exp, now });
        }
        if let Some(nbf) = claims.nbf {
            if now + LEEWAY_SECS < nbf {
                return Err(TokenRejection::NotYetValid { nbf, now });
            }
        }
        Ok(Grant {
            subject: claims.sub.unwrap_or_default(),
            access: claims.access,
        })
    }
}

impl Grant {
    /// Does the grant cover every one of `actions` on `kind`/`name`? A granted `*` covers all.
    pub fn allows(&self, kind: &str, name: &str, actions: &[&str]) -> bool {
        actions.iter().all(|want| {
            self.access.iter().any(|r| {
                r.kind == kind && r.name == name && r.actions.iter().any(|a| a == want || a == "*")
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtrust_key_id_shape() {
        // Expected value from Python: base32(sha256(b"anything")[:30]) in groups of 4.
        assert_eq!(
            libtrust_key_id(b"anything"),
            "5YEH:IFYL:P5XT:FOGC:VSKX:HRBI:2NNV:OUTQ:UZVX:K7BM:AGC5:FPIJ"
        );
    }

    #[test]
    fn grant_scopes() {
        let g = Grant {
            subject: "u".into(),
            access: vec![
                ResourceActions {
                    kind: "repository".into(),
                    name: "a/b".into(),
                    actions: vec!["pull".into()],
                },
                ResourceActions {
                    kind: "repository".into(),
                    name: "a/c".into(),
                    actions: vec!["*".into()],
                },
            ],
        };
        assert!(g.allows("repository", "a/b", &["pull"]));
        assert!(!g.allows("repository", "a/b", &["push", "pull"]));
        assert!(!g.allows("repository", "a/bb", &["pull"]));
        assert!(g.allows("repository", "a/c", &["push", "pull"]));
        assert!(!g.allows("registry", "catalog", &["*"]));
    }
}
