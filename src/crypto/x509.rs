//! X.509 certificates as Notary uses them: generating the self-signed root certificate of a
//! repository (profile of notary-v1.md §6.4) and parsing certificate bundles found in
//! `ecdsa-x509`/`rsa-x509` keys (for root validation, §3.2).
//!
//! Must not: decide trust (expiry, CN and chain policies live in `tuf::root`); this module only
//! reports what a certificate says.

use base64::Engine;
use chrono::{DateTime, Utc};
use p256::pkcs8::EncodePrivateKey;
use rand::RngCore;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::spki::{self, SpkiKey};
use super::{Error, KeyType, PrivateKey, PublicKey};
use crate::tuf::Gun;

/// Encode DER as PEM exactly like Go's `pem.EncodeToMemory`: LF line ends, 64-column base64,
/// trailing newline.
pub fn go_pem(label: &str, der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so chunking never splits a character
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
}

// DER contents of the three extensions notary's root certificates carry, in Go's order.
const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
/// BIT STRING: digitalSignature | keyEncipherment.
const KEY_USAGE_DER: &[u8] = &[0x03, 0x02, 0x05, 0xa0];
/// SEQUENCE { id-kp-codeSigning }.
const EXT_KEY_USAGE_DER: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03,
];
/// SEQUENCE {} (cA defaults to FALSE).
const BASIC_CONSTRAINTS_DER: &[u8] = &[0x30, 0x00];

fn extension(oid: &[u64], content: &[u8], critical: bool) -> rcgen::CustomExtension {
    let mut ext = rcgen::CustomExtension::from_oid_content(oid, content.to_vec());
    ext.set_criticality(critical);
    ext
}

/// A self-signed root certificate for `gun` with notary's profile, returned as the
/// `ecdsa-x509` key whose public is the certificate's PEM text. `key` must be ECDSA P-256.
pub fn root_certificate(
    key: &PrivateKey,
    gun: &Gun,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<PublicKey, Error> {
    let gen_err = |reason| Error::CertificateGeneration { reason };
    let scalar = key
        .ecdsa_p256_scalar()
        .ok_or(gen_err("root certificates need an ECDSA P-256 key"))?;
    let secret = p256::SecretKey::from_slice(&scalar).map_err(|_| gen_err("bad P-256 scalar"))?;
    let pkcs8 = secret
        .to_pkcs8_der()
        .map_err(|_| gen_err("cannot encode the key as PKCS#8"))?;
    let key_pair = rcgen::KeyPair::try_from(pkcs8.as_bytes())
        .map_err(|_| gen_err("the signing library refused the key"))?;

    let mut params = rcgen::CertificateParams::default();
    let mut dn = rcgen::DistinguishedName::new();
    let cn = match rcgen::PrintableString::try_from(gun.as_str()) {
        Ok(p) => rcgen::DnValue::PrintableString(p),
        Err(_) => rcgen::DnValue::Utf8String(gun.as_str().to_string()),
    };
    dn.push(rcgen::DnType::CommonName, cn);
    params.distinguished_name = dn;
    let mut serial = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut serial);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    params.not_before = std::time::SystemTime::from(not_before).into();
    params.not_after = std::time::SystemTime::from(not_after).into();
    params.is_ca = rcgen::IsCa::NoCa;
    params.custom_extensions = vec![
        extension(OID_KEY_USAGE, KEY_USAGE_DER, true),
        extension(OID_EXT_KEY_USAGE, EXT_KEY_USAGE_DER, false),
        extension(OID_BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_DER, true),
    ];
    let cert = params
        .self_signed(&key_pair)
        .map_err(|_| gen_err("certificate signing failed"))?;
    Ok(PublicKey::new(
        KeyType::EcdsaX509,
        go_pem("CERTIFICATE", cert.der()),
    ))
}

/// What a certificate says, for root validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject common name ("" when absent).
    pub common_name: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// BasicConstraints CA:TRUE.
    pub is_ca: bool,
    /// Signed with a SHA-1 based algorithm (refused by notary).
    pub sha1_signature: bool,
    /// The plain key of the certificate's SPKI (`ecdsa` or `rsa`).
    pub public_key: PublicKey,
    /// RSA modulus size, `None` for EC keys.
    pub rsa_bits: Option<usize>,
    /// The certificate DER.
    pub der: Vec<u8>,
}

/// Parse every `CERTIFICATE` block of a PEM bundle (the decoded `public` of an x509 key).
/// Other block types, trailing DER garbage, or an empty bundle are errors.
pub fn parse_cert_bundle(pem_bytes: &[u8]) -> Result<Vec<CertInfo>, Error> {
    let blocks = pem::parse_many(pem_bytes).map_err(|_| Error::Pem {
        reason: "certificate bundle is not valid PEM",
    })?;
    if blocks.is_empty() {
        return Err(Error::Certificate {
            reason: "no certificate in PEM bundle",
        });
    }
    blocks
        .iter()
        .map(|b| {
            if b.tag() != "CERTIFICATE" {
                return Err(Error::UnexpectedPemLabel {
                    label: b.tag().to_string(),
                });
            }
            cert_info(b.contents())
        })
        .collect()
}

fn to_utc(t: x509_parser::time::ASN1Time) -> Result<DateTime<Utc>, Error> {
    DateTime::from_timestamp(t.timestamp(), 0).ok_or(Error::Certificate {
        reason: "validity time out of range",
    })
}

fn parse_der(der: &[u8]) -> Result<X509Certificate<'_>, Error> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(Error::Certificate {
            reason: "trailing bytes after certificate",
        }),
        Err(_) => Err(Error::Certificate {
            reason: "not a DER X.509 certificate",
        }),
    }
}

fn cert_info(der: &[u8]) -> Result<CertInfo, Error> {
    let cert = parse_der(der)?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_string();
    let spki_der = cert.tbs_certificate.subject_pki.raw.to_vec();
    let decoded = spki::decode(&spki_der, KeyType::EcdsaX509)?;
    let rsa_bits = match &decoded {
        SpkiKey::Rsa(_) => Some(rsa_modulus_bits(&cert)),
        SpkiKey::EcP256(_) => None,
    };
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    // sha1WithRSAEncryption, ecdsa-with-SHA1, dsaWithSHA1
    let sha1_signature = matches!(
        sig_oid.as_str(),
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3"
    );
    Ok(CertInfo {
        common_name,
        not_before: to_utc(cert.validity().not_before)?,
        not_after: to_utc(cert.validity().not_after)?,
        is_ca: cert.is_ca(),
        sha1_signature,
        public_key: PublicKey::new(decoded.keytype(), spki_der),
        rsa_bits,
        der: der.to_vec(),
    })
}

fn rsa_modulus_bits(cert: &X509Certificate<'_>) -> usize {
    use x509_parser::public_key::PublicKey as ParsedKey;
    match cert.public_key().parsed() {
        Ok(ParsedKey::RSA(rsa)) => rsa.key_size(),
        _ => 0,
    }
}

/// The SPKI DER of the first certificate in a PEM bundle (the leaf, by notary's convention).
pub(crate) fn leaf_spki(pem_bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let block = pem::parse(pem_bytes).map_err(|_| Error::Pem {
        reason: "x509 key is not a PEM certificate",
    })?;
    if block.tag() != "CERTIFICATE" {
        return Err(Error::UnexpectedPemLabel {
            label: block.tag().to_string(),
        });
    }
    let cert = parse_der(block.contents())?;
    Ok(cert.tbs_certificate.subject_pki.raw.to_vec())
}

/// An `ecdsa-x509` / `rsa-x509` key for one certificate (DER), public = Go-style PEM.
pub(crate) fn cert_to_key(der: &[u8]) -> Result<PublicKey, Error> {
    let info = cert_info(der)?;
    let keytype = match info.public_key.keytype() {
        KeyType::Rsa => KeyType::RsaX509,
        _ => KeyType::EcdsaX509,
    };
    Ok(PublicKey::new(keytype, go_pem("CERTIFICATE", der)))
}
