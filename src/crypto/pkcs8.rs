//! Notary's PKCS#8 private key encoding, read and written exactly (notary-v1.md §7.2-7.3,
//! §0 rule 19).
//!
//! Owns: `EncryptedPrivateKeyInfo` with PBES2 / PBKDF2 (HMAC-SHA1 written by omitting the
//! PRF; the PRF honoured when reading) / AES-CBC, and the inner `PrivateKeyInfo` in notary's
//! non-standard shapes (EC with version 1 and a full SEC1 key, RSA without the NULL
//! parameter, ed25519 under OID 1.3.6.1.4.1.11591.15.1 with a 96-byte blob), plus standard
//! PKCS#8, SEC1 (`EC PRIVATE KEY`) and PKCS#1 (`RSA PRIVATE KEY`) on read. DER is parsed by
//! hand on top of `der`'s strict TLV reader because strict PKCS#8 parsers refuse notary's
//! form. Decrypted secrets live in `Zeroizing` buffers.
//! Must not: touch files, PEM armour (see `pem.rs`) or passphrase sources (see `keystore`).

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Encode, Reader as _, SliceReader, Tag, TagNumber, Tagged as _};
use rand::RngCore;
use zeroize::Zeroizing;

use super::{Error, KeyType, PrivateKey};

/// PBKDF2 rounds notary writes.
pub const PBKDF2_ITERATIONS: u32 = 2048;
/// Refuse files asking for more rounds than this (a hostile file must not pin the CPU).
const MAX_ITERATIONS: u64 = 10_000_000;

const OID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const OID_PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
const OID_HMAC_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.7");
const OID_HMAC_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.9");
const OID_AES128_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2");
const OID_AES192_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.22");
const OID_AES256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519_NOTARY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.15.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

fn malformed(what: &'static str) -> Error {
    Error::Malformed { what }
}

// ------------------------------------------------------------------------------------------
// Encrypting and decrypting
// ------------------------------------------------------------------------------------------

/// Encrypt `key` as notary does: random 8-byte salt and 16-byte IV.
pub fn encrypt(key: &PrivateKey, passphrase: &[u8]) -> Result<Vec<u8>, Error> {
    let mut salt = [0u8; 8];
    let mut iv = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt)
        .and_then(|_| rand::rngs::OsRng.try_fill_bytes(&mut iv))
        .map_err(|_| Error::Random)?;
    encrypt_with(key, passphrase, &salt, &iv)
}

/// Encrypt with a given salt and IV (deterministic, for tests and golden files).
pub fn encrypt_with(
    key: &PrivateKey,
    passphrase: &[u8],
    salt: &[u8; 8],
    iv: &[u8; 16],
) -> Result<Vec<u8>, Error> {
    let inner = encode_private_key_info(key)?;
    let mut aes_key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase, salt, PBKDF2_ITERATIONS, aes_key.as_mut());
    let ciphertext = cbc::Encryptor::<aes::Aes256>::new_from_slices(aes_key.as_ref(), iv)
        .map_err(|_| malformed("AES key or IV length"))?
        .encrypt_padded_vec_mut::<Pkcs7>(&inner);
    // PBKDF2-params: salt, iteration count; no keyLength, no PRF (= HMAC-SHA1), as notary.
    let pbkdf2_params = seq(&[
        &tlv(Tag::OctetString, salt)?,
        &tlv(Tag::Integer, &PBKDF2_ITERATIONS.to_be_bytes()[2..])?,
    ])?;
    let alg = seq(&[
        &OID_PBES2.to_der().map_err(der_err)?,
        &seq(&[
            &seq(&[&OID_PBKDF2.to_der().map_err(der_err)?, &pbkdf2_params])?,
            &seq(&[
                &OID_AES256_CBC.to_der().map_err(der_err)?,
                &tlv(Tag::OctetString, iv)?,
            ])?,
        ])?,
    ])?;
    seq(&[&alg, &tlv(Tag::OctetString, &ciphertext)?])
}

/// The symmetric cipher named in PBES2's encryption scheme.
#[derive(Clone, Copy)]
enum Cipher {
    Aes128,
    Aes192,
    Aes256,
}

impl Cipher {
    fn key_len(self) -> usize {
        match self {
            Cipher::Aes128 => 16,
            Cipher::Aes192 => 24,
            Cipher::Aes256 => 32,
        }
    }
}

#[derive(Clone, Copy)]
enum Prf {
    Sha1,
    Sha256,
}

/// The parsed `EncryptedPrivateKeyInfo`.
struct Encrypted<'a> {
    salt: &'a [u8],
    iterations: u32,
    prf: Prf,
    cipher: Cipher,
    iv: &'a [u8],
    ciphertext: &'a [u8],
}

fn parse_encrypted(input: &[u8]) -> Result<Encrypted<'_>, Error> {
    let mut outer = Der::new(input)?.seq("EncryptedPrivateKeyInfo")?;
    let mut alg = outer.seq("encryption AlgorithmIdentifier")?;
    let ciphertext = outer.octets("encrypted data")?;
    outer.finish("EncryptedPrivateKeyInfo")?;
    let scheme = alg.oid("encryption algorithm")?;
    if scheme != OID_PBES2 {
        return Err(Error::UnsupportedEncryption {
            what: format!("scheme {scheme} (only PBES2)"),
        });
    }
    let mut params = alg.seq("PBES2 parameters")?;
    let mut kdf = params.seq("PBES2 key derivation")?;
    let mut enc = params.seq("PBES2 encryption scheme")?;
    let kdf_oid = kdf.oid("key derivation algorithm")?;
    if kdf_oid != OID_PBKDF2 {
        return Err(Error::UnsupportedEncryption {
            what: format!("key derivation {kdf_oid} (only PBKDF2)"),
        });
    }
    let mut kdf_params = kdf.seq("PBKDF2 parameters")?;
    let salt = kdf_params.octets("PBKDF2 salt")?;
    let iterations = kdf_params.small_uint("PBKDF2 iteration count")?;
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(malformed("PBKDF2 iteration count out of range"));
    }
    let mut key_len = None;
    if kdf_params.peek() == Some(Tag::Integer) {
        key_len = Some(kdf_params.small_uint("PBKDF2 key length")?);
    }
    let mut prf = Prf::Sha1;
    if !kdf_params.is_empty() {
        let mut prf_alg = kdf_params.seq("PBKDF2 PRF")?;
        prf = match prf_alg.oid("PBKDF2 PRF")? {
            o if o == OID_HMAC_SHA1 => Prf::Sha1,
            o if o == OID_HMAC_SHA256 => Prf::Sha256,
            o => {
                return Err(Error::UnsupportedEncryption {
                    what: format!("PBKDF2 PRF {o} (only hmacWithSHA1, hmacWithSHA256)"),
                })
            }
        };
    }
    kdf_params.finish("PBKDF2 parameters")?;
    let cipher = match enc.oid("encryption scheme")? {
        o if o == OID_AES128_CBC => Cipher::Aes128,
        o if o == OID_AES192_CBC => Cipher::Aes192,
        o if o == OID_AES256_CBC => Cipher::Aes256,
        o => {
            return Err(Error::UnsupportedEncryption {
                what: format!("cipher {o} (only AES-CBC)"),
            })
        }
    };
    if key_len.is_some_and(|n| n != cipher.key_len() as u64) {
        return Err(malformed("PBKDF2 key length does not fit the cipher"));
    }
    let iv = enc.octets("AES IV")?;
    if iv.len() != 16 {
        return Err(malformed("AES IV is not 16 bytes"));
    }
    Ok(Encrypted {
        salt,
        iterations: iterations as u32,
        prf,
        cipher,
        iv,
        ciphertext,
    })
}

/// Decrypt an `EncryptedPrivateKeyInfo` to the inner `PrivateKeyInfo` DER.
///
/// A wrong passphrase shows as bad padding or as plaintext that is not a `PrivateKeyInfo`;
/// both give [`Error::WrongPassphrase`].
pub fn decrypt_to_info(input: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let e = parse_encrypted(input)?;
    let mut key = Zeroizing::new(vec![0u8; e.cipher.key_len()]);
    match e.prf {
        Prf::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase, e.salt, e.iterations, &mut key),
        Prf::Sha256 => {
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(passphrase, e.salt, e.iterations, &mut key)
        }
    }
    let plain = match e.cipher {
        Cipher::Aes128 => cbc_decrypt::<aes::Aes128>(&key, e.iv, e.ciphertext),
        Cipher::Aes192 => cbc_decrypt::<aes::Aes192>(&key, e.iv, e.ciphertext),
        Cipher::Aes256 => cbc_decrypt::<aes::Aes256>(&key, e.iv, e.ciphertext),
    }?;
    if info_shape(&plain).is_err() {
        return Err(Error::WrongPassphrase);
    }
    Ok(plain)
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error>
where
    C: aes::cipher::BlockCipher + aes::cipher::BlockDecrypt + aes::cipher::KeyInit,
{
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return Err(malformed("ciphertext is not a whole number of AES blocks"));
    }
    cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| malformed("AES key or IV length"))?
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| Error::WrongPassphrase)
}

/// Decrypt an `EncryptedPrivateKeyInfo` (notary's or standard) to a private key.
pub fn decrypt(input: &[u8], passphrase: &[u8]) -> Result<PrivateKey, Error> {
    let info = decrypt_to_info(input, passphrase)?;
    decode_private_key_info(&info)
}

// ------------------------------------------------------------------------------------------
// PrivateKeyInfo
// ------------------------------------------------------------------------------------------

/// The outer shape of a `PrivateKeyInfo`: (algorithm OID, algorithm parameters, key bytes).
fn info_shape(input: &[u8]) -> Result<(ObjectIdentifier, Option<AnyRef<'_>>, &[u8]), Error> {
    let mut info = Der::new(input)?.seq("PrivateKeyInfo")?;
    let version = info.small_uint("PrivateKeyInfo version")?;
    if version > 1 {
        return Err(malformed("PrivateKeyInfo version is not 0 or 1"));
    }
    let mut alg = info.seq("PrivateKeyInfo algorithm")?;
    let oid = alg.oid("PrivateKeyInfo algorithm")?;
    let params = if alg.is_empty() {
        None
    } else {
        Some(alg.any("algorithm parameters")?)
    };
    alg.finish("PrivateKeyInfo algorithm")?;
    let key = info.octets("PrivateKeyInfo key")?;
    // [0] attributes and [1] publicKey (RFC 5958) may follow; they are not needed.
    Ok((oid, params, key))
}

/// Decode a `PrivateKeyInfo` in notary's form or the standard one.
pub fn decode_private_key_info(input: &[u8]) -> Result<PrivateKey, Error> {
    let (oid, params, key) = info_shape(input)?;
    match oid {
        o if o == OID_EC_PUBLIC_KEY => {
            let curve = params
                .ok_or(malformed("EC key without a curve"))
                .and_then(|p| {
                    if p.tag() != Tag::ObjectIdentifier {
                        return Err(malformed("EC curve is not a named curve"));
                    }
                    ObjectIdentifier::from_bytes(p.value()).map_err(|_| malformed("EC curve OID"))
                })?;
            check_curve(curve)?;
            decode_sec1(key)
        }
        o if o == OID_RSA => {
            if params.is_some_and(|p| p.tag() != Tag::Null) {
                return Err(malformed("RSA algorithm parameters are not NULL"));
            }
            decode_pkcs1(key)
        }
        o if o == OID_ED25519_NOTARY => {
            // public(32) || seed(32) || public(32)
            if key.len() != 96 {
                return Err(malformed("notary ed25519 key is not 96 bytes"));
            }
            let k = PrivateKey::from_ed25519_seed(&key[32..64])?;
            let public = k.public_key();
            if public.public_bytes() != &key[..32] || public.public_bytes() != &key[64..] {
                return Err(malformed("ed25519 public key does not match the seed"));
            }
            Ok(k)
        }
        o if o == OID_ED25519 => {
            let seed = Zeroizing::new(Der::new(key)?.octets("ed25519 seed")?.to_vec());
            PrivateKey::from_ed25519_seed(&seed)
        }
        o => Err(Error::UnsupportedKeyType(format!("algorithm {o}"))),
    }
}

fn check_curve(curve: ObjectIdentifier) -> Result<(), Error> {
    if curve == OID_P256 {
        Ok(())
    } else {
        Err(Error::UnsupportedKeyType(format!(
            "ecdsa on curve {curve} (only P-256)"
        )))
    }
}

/// Decode a SEC1 `ECPrivateKey` (`EC PRIVATE KEY`); only P-256.
pub fn decode_sec1(input: &[u8]) -> Result<PrivateKey, Error> {
    let mut ec = Der::new(input)?.seq("ECPrivateKey")?;
    if ec.small_uint("ECPrivateKey version")? != 1 {
        return Err(malformed("ECPrivateKey version is not 1"));
    }
    let scalar = ec.octets("EC private scalar")?;
    let mut public = None;
    while !ec.is_empty() {
        let field = ec.any("ECPrivateKey field")?;
        match field.tag() {
            Tag::ContextSpecific {
                number: TagNumber::N0,
                ..
            } => check_curve(Der::new(field.value())?.oid("EC curve")?)?,
            Tag::ContextSpecific {
                number: TagNumber::N1,
                ..
            } => public = Some(Der::new(field.value())?.bit_string("EC public key")?),
            _ => return Err(malformed("unexpected field in ECPrivateKey")),
        }
    }
    // With the public point at hand, ring checks the pair instead of deriving the point.
    match public {
        Some(point) => PrivateKey::from_ecdsa_p256_pair(scalar, point),
        None => PrivateKey::from_ecdsa_p256_scalar(scalar),
    }
}

/// Decode a PKCS#1 `RSAPrivateKey` (`RSA PRIVATE KEY`).
pub fn decode_pkcs1(input: &[u8]) -> Result<PrivateKey, Error> {
    PrivateKey::from_rsa_pkcs1_der(input)
}

/// The inner `PrivateKeyInfo` exactly as notary writes it (see the module doc).
pub fn encode_private_key_info(key: &PrivateKey) -> Result<Zeroizing<Vec<u8>>, Error> {
    let (version, alg, key_bytes): (u8, Vec<u8>, Zeroizing<Vec<u8>>) = match key.keytype() {
        KeyType::Ecdsa => {
            let (Some(scalar), Some(point)) = (key.ecdsa_p256_scalar(), key.ecdsa_p256_point())
            else {
                return Err(Error::UnsupportedKeyType(key.keytype().to_string()));
            };
            let mut bits = Vec::with_capacity(point.len() + 1);
            bits.push(0u8); // no unused bits
            bits.extend_from_slice(point);
            let p256 = OID_P256.to_der().map_err(der_err)?;
            let sec1 = seq_secret(&[
                &tlv(Tag::Integer, &[1])?,
                &tlv(Tag::OctetString, &scalar)?,
                &tlv(context(0), &p256)?,
                &tlv(context(1), &tlv(Tag::BitString, &bits)?)?,
            ])?;
            let alg = seq(&[&OID_EC_PUBLIC_KEY.to_der().map_err(der_err)?, &p256])?;
            (1, alg, sec1)
        }
        KeyType::Rsa => {
            let der = key
                .rsa_pkcs1_der()
                .ok_or_else(|| Error::UnsupportedKeyType(key.keytype().to_string()))?;
            (0, seq(&[&OID_RSA.to_der().map_err(der_err)?])?, der)
        }
        KeyType::Ed25519 => {
            let (Some(seed), Some(public)) = (key.ed25519_seed(), key.ed25519_public()) else {
                return Err(Error::UnsupportedKeyType(key.keytype().to_string()));
            };
            let mut blob = Zeroizing::new(Vec::with_capacity(96));
            blob.extend_from_slice(public);
            blob.extend_from_slice(&seed);
            blob.extend_from_slice(public);
            let alg = seq(&[&OID_ED25519_NOTARY.to_der().map_err(der_err)?])?;
            (0, alg, blob)
        }
        other => return Err(Error::UnsupportedKeyType(other.to_string())),
    };
    seq_secret(&[
        &tlv(Tag::Integer, &[version])?,
        &alg,
        &Zeroizing::new(tlv(Tag::OctetString, &key_bytes)?),
    ])
}

// ------------------------------------------------------------------------------------------
// DER helpers on top of `der`'s strict TLV reader
// ------------------------------------------------------------------------------------------

fn der_err(_: der::Error) -> Error {
    malformed("DER encoding")
}

fn context(n: u8) -> Tag {
    let number = if n == 0 { TagNumber::N0 } else { TagNumber::N1 };
    Tag::ContextSpecific {
        constructed: true,
        number,
    }
}

fn tlv(tag: Tag, body: &[u8]) -> Result<Vec<u8>, Error> {
    AnyRef::new(tag, body)
        .and_then(|a| a.to_der())
        .map_err(der_err)
}

fn seq(parts: &[&[u8]]) -> Result<Vec<u8>, Error> {
    tlv(Tag::Sequence, &parts.concat())
}

/// A SEQUENCE holding secret parts: every intermediate buffer is zeroized.
fn seq_secret(parts: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let body = Zeroizing::new(parts.concat());
    Ok(Zeroizing::new(tlv(Tag::Sequence, &body)?))
}

/// A cursor over DER contents; every read names what it expected in its error.
struct Der<'a>(SliceReader<'a>);

impl<'a> Der<'a> {
    fn new(input: &'a [u8]) -> Result<Der<'a>, Error> {
        SliceReader::new(input)
            .map(Der)
            .map_err(|_| malformed("DER too long"))
    }

    fn any(&mut self, what: &'static str) -> Result<AnyRef<'a>, Error> {
        self.0.decode::<AnyRef<'a>>().map_err(|_| malformed(what))
    }

    fn tagged(&mut self, tag: Tag, what: &'static str) -> Result<&'a [u8], Error> {
        let any = self.any(what)?;
        if any.tag() == tag {
            Ok(any.value())
        } else {
            Err(malformed(what))
        }
    }

    fn seq(&mut self, what: &'static str) -> Result<Der<'a>, Error> {
        Der::new(self.tagged(Tag::Sequence, what)?)
    }

    fn oid(&mut self, what: &'static str) -> Result<ObjectIdentifier, Error> {
        ObjectIdentifier::from_bytes(self.tagged(Tag::ObjectIdentifier, what)?)
            .map_err(|_| malformed(what))
    }

    fn octets(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        self.tagged(Tag::OctetString, what)
    }

    /// A BIT STRING with no unused bits, without its leading count byte.
    fn bit_string(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        match self.tagged(Tag::BitString, what)?.split_first() {
            Some((0, rest)) => Ok(rest),
            _ => Err(malformed(what)),
        }
    }

    /// A non-negative INTEGER that fits in 32 bits.
    fn small_uint(&mut self, what: &'static str) -> Result<u64, Error> {
        let bytes = self.tagged(Tag::Integer, what)?;
        let bytes = match bytes {
            [0, rest @ ..] if !rest.is_empty() => rest,
            b => b,
        };
        if bytes.is_empty() || bytes.len() > 4 || bytes[0] & 0x80 != 0 {
            return Err(malformed(what));
        }
        Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn peek(&self) -> Option<Tag> {
        self.0.peek_tag().ok()
    }

    fn is_empty(&self) -> bool {
        self.0.is_finished()
    }

    /// Everything was consumed (a parser must consume all input).
    fn finish(&self, what: &'static str) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(malformed(what))
        }
    }
}

#[cfg(test)]
#[path = "pkcs8_tests.rs"]
mod tests;
