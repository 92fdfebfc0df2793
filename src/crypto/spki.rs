//! SubjectPublicKeyInfo decoding and encoding: the DER form of `ecdsa` and `rsa` public keys in
//! Notary metadata (Go's `x509.MarshalPKIXPublicKey`). Pure byte handling, no key operations.

use der::asn1::{AnyRef, BitString, ObjectIdentifier};
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};

use super::{Error, KeyType};

pub(crate) const OID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The algorithm and key material of a decoded SPKI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpkiKey {
    /// Uncompressed P-256 point (65 bytes, `04 || x || y`).
    EcP256(Vec<u8>),
    /// PKCS#1 `RSAPublicKey` DER, as ring wants it.
    Rsa(Vec<u8>),
}

impl SpkiKey {
    pub(crate) fn keytype(&self) -> KeyType {
        match self {
            SpkiKey::EcP256(_) => KeyType::Ecdsa,
            SpkiKey::Rsa(_) => KeyType::Rsa,
        }
    }
}

/// Decode an SPKI; `keytype` only names the key in errors.
pub(crate) fn decode(der_bytes: &[u8], keytype: KeyType) -> Result<SpkiKey, Error> {
    let bad = |reason| Error::MalformedPublicKey { keytype, reason };
    let info = SubjectPublicKeyInfoRef::from_der(der_bytes)
        .map_err(|_| bad("not a DER SubjectPublicKeyInfo"))?;
    let bits = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| bad("public key bit string has unused bits"))?;
    let oid = info.algorithm.oid;
    if oid == OID_EC_PUBLIC_KEY {
        let curve: ObjectIdentifier = info
            .algorithm
            .parameters
            .ok_or_else(|| bad("EC key without curve parameters"))?
            .decode_as()
            .map_err(|_| bad("EC curve parameter is not a named curve"))?;
        if curve != OID_P256 {
            return Err(bad("only the P-256 curve is supported"));
        }
        if bits.len() != 65 || bits[0] != 4 {
            return Err(bad("P-256 point is not 65 bytes uncompressed"));
        }
        Ok(SpkiKey::EcP256(bits.to_vec()))
    } else if oid == OID_RSA {
        Ok(SpkiKey::Rsa(bits.to_vec()))
    } else {
        Err(bad("unsupported public key algorithm"))
    }
}

/// Encode an SPKI the way Go does: EC keys name their curve, RSA keys carry a NULL parameter.
pub(crate) fn encode(key: &SpkiKey) -> Result<Vec<u8>, Error> {
    let (oid, params, bits) = match key {
        SpkiKey::EcP256(point) => (
            OID_EC_PUBLIC_KEY,
            Some(der::Any::from(AnyRef::from(&OID_P256))),
            point,
        ),
        SpkiKey::Rsa(pkcs1) => (OID_RSA, Some(der::Any::null()), pkcs1),
    };
    let bad = |_| Error::MalformedPublicKey {
        keytype: key.keytype(),
        reason: "cannot encode SubjectPublicKeyInfo",
    };
    let info = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid,
            parameters: params,
        },
        subject_public_key: BitString::from_bytes(bits).map_err(bad)?,
    };
    info.to_der().map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_round_trip() {
        // alice.pub from docker (fixtures/samples/keys/alice.pub)
        let b64 = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEa4hBcGPjLzdFumiLYwylG150r6e/nSEtjKqPaX8cPU/lBlAEYqLj8/IvKm0kh6+Q0P6Ce7sIKFZK7TQcU1tp6w==";
        use base64::Engine;
        let der_bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let key = decode(&der_bytes, KeyType::Ecdsa).unwrap();
        assert!(matches!(key, SpkiKey::EcP256(ref p) if p.len() == 65));
        assert_eq!(encode(&key).unwrap(), der_bytes);
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(
            decode(b"\x30\x03abc", KeyType::Ecdsa),
            Err(Error::MalformedPublicKey {
                keytype: KeyType::Ecdsa,
                reason: "not a DER SubjectPublicKeyInfo"
            })
        );
    }
}
