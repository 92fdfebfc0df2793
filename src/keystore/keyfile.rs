//! One private key file as notary/docker write it: a PEM block (`ENCRYPTED PRIVATE KEY`, or
//! `PRIVATE KEY` / legacy `EC PRIVATE KEY` / `RSA PRIVATE KEY` on read) with `role:` and
//! optional `gun:` headers, and the `.pub` file docker writes next to a generated key.
//!
//! Owns: turning bytes into a key given a passphrase, and a key into file bytes. Must not:
//! touch the file system or decide where a passphrase comes from.

use zeroize::Zeroizing;

use crate::crypto::pem::PemBlock;
use crate::crypto::{pkcs8, Error as CryptoError, PrivateKey, PublicKey};

pub const LABEL_ENCRYPTED: &str = "ENCRYPTED PRIVATE KEY";
pub const LABEL_PLAIN: &str = "PRIVATE KEY";
const LABEL_SEC1: &str = "EC PRIVATE KEY";
const LABEL_PKCS1: &str = "RSA PRIVATE KEY";

/// A parsed (not yet decrypted) private key file.
#[derive(Debug)]
pub struct KeyFile {
    block: PemBlock,
}

impl KeyFile {
    /// Parse a key file; refuses PEM blocks that are not private keys.
    pub fn parse(bytes: &[u8]) -> Result<KeyFile, CryptoError> {
        let block = PemBlock::parse(bytes)?;
        if block.headers.contains_key("DEK-Info") || block.get("Proc-Type").is_some() {
            return Err(CryptoError::UnsupportedEncryption {
                what: "legacy PEM encryption (Proc-Type/DEK-Info); convert with openssl pkcs8"
                    .into(),
            });
        }
        match block.label.as_str() {
            LABEL_ENCRYPTED | LABEL_PLAIN | LABEL_SEC1 | LABEL_PKCS1 => Ok(KeyFile { block }),
            l if l.ends_with("PRIVATE KEY") => {
                Err(CryptoError::UnsupportedKeyType(format!("PEM block {l:?}")))
            }
            _ => Err(CryptoError::Malformed {
                what: "not a private key (the PEM block is no PRIVATE KEY)",
            }),
        }
    }

    pub fn role(&self) -> Option<&str> {
        self.block.get("role")
    }

    pub fn gun(&self) -> Option<&str> {
        self.block.get("gun")
    }

    pub fn is_encrypted(&self) -> bool {
        self.block.label == LABEL_ENCRYPTED
    }

    /// Decode the key; `passphrase` is used only if the file is encrypted (`None` then gives
    /// [`CryptoError::WrongPassphrase`]).
    pub fn decode(&self, passphrase: Option<&[u8]>) -> Result<PrivateKey, CryptoError> {
        let body = &self.block.body;
        match self.block.label.as_str() {
            LABEL_ENCRYPTED => {
                pkcs8::decrypt(body, passphrase.ok_or(CryptoError::WrongPassphrase)?)
            }
            LABEL_PLAIN => pkcs8::decode_private_key_info(body),
            LABEL_SEC1 => pkcs8::decode_sec1(body),
            _ => pkcs8::decode_pkcs1(body),
        }
    }

    /// The encrypted file notary writes for `key` (`gun` only for repository keys).
    pub fn encode(
        key: &PrivateKey,
        role: &str,
        gun: Option<&str>,
        passphrase: &[u8],
    ) -> Result<Zeroizing<String>, CryptoError> {
        let body = pkcs8::encrypt(key, passphrase)?;
        Ok(with_headers(PemBlock::new(LABEL_ENCRYPTED, &body), Some(role), gun).encode())
    }

    /// The unencrypted `PRIVATE KEY` file (notary's inner PKCS#8), for export.
    pub fn encode_unencrypted(
        key: &PrivateKey,
        role: Option<&str>,
        gun: Option<&str>,
    ) -> Result<Zeroizing<String>, CryptoError> {
        let body = pkcs8::encode_private_key_info(key)?;
        Ok(with_headers(PemBlock::new(LABEL_PLAIN, &body), role, gun).encode())
    }
}

fn with_headers(mut block: PemBlock, role: Option<&str>, gun: Option<&str>) -> PemBlock {
    if let Some(g) = gun {
        block = block.header("gun", g);
    }
    if let Some(r) = role {
        block = block.header("role", r);
    }
    block
}

/// The `.pub` file docker writes: `PUBLIC KEY` with a `role` header, SPKI DER body.
pub fn public_pem(role: &str, public: &PublicKey) -> String {
    PemBlock::new("PUBLIC KEY", public.public_bytes())
        .header("role", role)
        .encode()
        .to_string()
}

/// Whether `value` can be a PEM header value that reads back unchanged.
pub fn header_safe(value: &str) -> bool {
    !value.is_empty() && value.trim() == value && !value.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fixtures/samples/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn pub_file_matches_docker_byte_for_byte() {
        let key_file = KeyFile::parse(&sample(
            "6b420ce8fc0d5be4c05a68f97b084e5f1add1639f6e87a0757580ad7154ec86c.key",
        ))
        .unwrap();
        assert_eq!(key_file.role(), Some("alice"));
        assert_eq!(key_file.gun(), None);
        let key = key_file.decode(Some(b"dockerrepo123")).unwrap();
        let expected = String::from_utf8(sample("alice.pub")).unwrap();
        assert_eq!(public_pem("alice", &key.public_key()), expected);
    }

    #[test]
    fn encoded_file_has_notary_headers_and_reads_back() {
        let key = PrivateKey::generate_ecdsa_p256().unwrap();
        let text = KeyFile::encode(&key, "targets", Some("example.com/a"), b"pw").unwrap();
        assert!(text.starts_with(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com/a\nrole: targets\n\n"
        ));
        assert!(text
            .lines()
            .all(|l| l.len() <= 64 || l.starts_with("-----")));
        let parsed = KeyFile::parse(text.as_bytes()).unwrap();
        assert!(parsed.is_encrypted());
        assert_eq!(parsed.decode(Some(b"pw")).unwrap().key_id(), key.key_id());
        assert_eq!(
            parsed.decode(None).unwrap_err(),
            CryptoError::WrongPassphrase
        );
        let plain = KeyFile::encode_unencrypted(&key, None, None).unwrap();
        let parsed = KeyFile::parse(plain.as_bytes()).unwrap();
        assert_eq!(parsed.decode(None).unwrap().key_id(), key.key_id());
    }

    #[test]
    fn other_blocks_are_refused_with_their_reason() {
        assert_eq!(
            KeyFile::parse(&sample("alice.pub")).unwrap_err(),
            CryptoError::Malformed {
                what: "not a private key (the PEM block is no PRIVATE KEY)"
            }
        );
        assert_eq!(
            KeyFile::parse(
                b"-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n"
            )
            .unwrap_err(),
            CryptoError::UnsupportedKeyType("PEM block \"DSA PRIVATE KEY\"".into())
        );
        let legacy = b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(matches!(
            KeyFile::parse(legacy).unwrap_err(),
            CryptoError::UnsupportedEncryption { .. }
        ));
    }

    #[test]
    fn header_values() {
        assert!(header_safe("targets/releases"));
        assert!(header_safe("docker.io/library/alpine"));
        for bad in ["", "a\nb", " a", "a\r"] {
            assert!(!header_safe(bad), "{bad:?}");
        }
    }
}

/// Body of the `parse_key_file` fuzz target: arbitrary bytes as a key file never panic, and
/// a key that parses survives notary's encrypted and unencrypted encodings.
#[doc(hidden)]
pub fn fuzz_key_file(data: &[u8]) {
    let Ok(file) = KeyFile::parse(data) else {
        return;
    };
    let _ = (file.role(), file.gun());
    let Ok(key) = file.decode(Some(b"fuzz-passphrase")) else {
        return;
    };
    let plain = KeyFile::encode_unencrypted(&key, file.role(), file.gun());
    let again = plain.map(|p| KeyFile::parse(p.as_bytes()).and_then(|f| f.decode(None)));
    assert!(matches!(again, Ok(Ok(k)) if k.key_id() == key.key_id()));
}

#[cfg(test)]
mod fuzz_tests {
    /// The fuzz body on real key files and on truncations and bit flips of them: no panic.
    #[test]
    fn fuzz_body_runs_on_samples_and_mutations() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/samples/keys");
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            super::fuzz_key_file(&bytes);
            for cut in (0..bytes.len()).step_by(13) {
                super::fuzz_key_file(&bytes[..cut]);
            }
            for i in (0..bytes.len()).step_by(11) {
                let mut flipped = bytes.clone();
                flipped[i] ^= 0x20;
                super::fuzz_key_file(&flipped);
            }
        }
        super::fuzz_key_file(
            b"-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
        );
    }
}
