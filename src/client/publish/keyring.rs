//! STAND-IN key store for publishing, until the `keys` branch's `keystore` lands (then this
//! file is replaced by calls to it). Reads and writes notary/docker private key files
//! (`<trust dir>/private/<canonical key id>.key`, PEM with `gun:`/`role:` headers, notary's
//! PKCS#8: PBES2 + PBKDF2-HMAC-SHA1 (2048 rounds, 8-byte salt) + AES-256-CBC, EC keys with
//! inner version 1), so docker, notary and trustctl can share key files.
//!
//! Owns: finding keys by canonical ID, decrypting each at most once per run (cached), the
//! passphrase sources (`TRUSTCTL_{ROOT,REPOSITORY,DELEGATION}_PASSPHRASE`, else a prompt on a
//! terminal), generating and saving new keys (0600 files in a 0700 directory, atomically).
//! Must not: decide which keys sign what (see `sign.rs`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use rand::RngCore;
use zeroize::Zeroizing;

use super::sign::KeyLookup;
use crate::crypto::PrivateKey;
use crate::error::{Error, Result};
use crate::tuf::{Gun, KeyId};

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// Failures of the stand-in key store.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KeyFileError {
    #[error("{}: not a private key file notary can read: {reason}", path.display())]
    Malformed { path: PathBuf, reason: &'static str },
    #[error("{}: wrong passphrase for {role} key {key_id} (from {source_name})", path.display())]
    WrongPassphrase {
        path: PathBuf,
        role: String,
        key_id: String,
        source_name: String,
    },
    #[error("no passphrase for {role} key {key_id}: set {env} (no terminal to ask on)")]
    NoPassphrase {
        role: String,
        key_id: String,
        env: &'static str,
    },
    #[error("Passphrase is too short. Please use a password manager to generate and store a good random passphrase.")]
    PassphraseTooShort,
    #[error("passphrases do not match")]
    PassphraseMismatch,
    #[error("{}: key file names key {file_id} but holds key {actual_id}", path.display())]
    IdMismatch {
        path: PathBuf,
        file_id: String,
        actual_id: String,
    },
}

impl From<KeyFileError> for Error {
    fn from(e: KeyFileError) -> Error {
        Error::from(crate::client::Error::KeyFile(Box::new(e)))
    }
}

/// Which passphrase a key uses, by its `role` header.
fn passphrase_env(role: &str) -> &'static str {
    match role {
        "root" => "TRUSTCTL_ROOT_PASSPHRASE",
        "targets" | "snapshot" | "timestamp" => "TRUSTCTL_REPOSITORY_PASSPHRASE",
        _ => "TRUSTCTL_DELEGATION_PASSPHRASE",
    }
}

/// Docker's variable for the same key class (docker uses its repository passphrase for
/// every non-root key, signer keys included).
fn docker_env(role: &str) -> &'static str {
    match role {
        "root" => "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE",
        _ => "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
    }
}

fn alias(role: &str) -> &str {
    match role {
        "targets" | "snapshot" => "repository",
        other => other,
    }
}

/// One key file found in the trust directory (not yet decrypted).
#[derive(Debug, Clone)]
struct Entry {
    path: PathBuf,
    role: String,
    gun: Option<String>,
}

/// A key file in the trust directory, as `trustctl key list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub id: KeyId,
    pub role: String,
    pub gun: Option<String>,
    pub path: PathBuf,
}

/// The private keys of a trust directory, decrypted lazily and once.
pub struct DirKeyring {
    dir: PathBuf,
    entries: BTreeMap<KeyId, Entry>,
    loaded: BTreeMap<KeyId, Arc<PrivateKey>>,
    /// Passphrases typed at a prompt in this run, by env name (asked once per class).
    typed: BTreeMap<&'static str, Zeroizing<String>>,
}

impl DirKeyring {
    /// Index `<trust dir>/private` (a missing directory is an empty key store).
    pub fn open(trust_dir: &Path) -> Result<DirKeyring> {
        let dir = trust_dir.join("private");
        let mut entries = BTreeMap::new();
        let read = match std::fs::read_dir(&dir) {
            Ok(r) => Some(r),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("reading", &dir, e)),
        };
        for item in read.into_iter().flatten() {
            let item = item.map_err(|e| Error::io("reading", &dir, e))?;
            let path = item.path();
            let name = item.file_name().to_string_lossy().to_string();
            let Some(stem) = name.strip_suffix(".key") else {
                continue;
            };
            let Ok(id) = KeyId::new(stem) else {
                continue;
            };
            let text = std::fs::read(&path).map_err(|e| Error::io("reading", &path, e))?;
            let block = pem::parse(&text).ok();
            let header = |h: &str| {
                block
                    .as_ref()
                    .and_then(|p| p.headers().get(h).map(str::to_string))
            };
            let role = header("role").unwrap_or_default();
            let gun = header("gun");
            entries.insert(id, Entry { path, role, gun });
        }
        Ok(DirKeyring {
            dir,
            entries,
            loaded: BTreeMap::new(),
            typed: BTreeMap::new(),
        })
    }

    /// IDs of the root keys held, sorted (docker reuses the first).
    pub fn root_key_ids(&self) -> Vec<KeyId> {
        self.entries
            .iter()
            .filter(|(_, e)| e.role == "root")
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Generate an ECDSA P-256 key, save it under `role` (with `gun` for repository keys)
    /// encrypted with that role's passphrase, and keep it decrypted for this run.
    pub fn generate(&mut self, role: &str, gun: Option<&Gun>) -> Result<Arc<PrivateKey>> {
        self.save(PrivateKey::generate_ecdsa_p256()?, role, gun)
    }

    /// Save `key` under `role` (with `gun` for repository keys), encrypted with that role's
    /// passphrase (a new key: asked twice at a prompt), and keep it decrypted for this run.
    pub fn save(
        &mut self,
        key: PrivateKey,
        role: &str,
        gun: Option<&Gun>,
    ) -> Result<Arc<PrivateKey>> {
        let id = key.key_id();
        let pass = self.passphrase(role, &id, true)?;
        let pem = encode_key_file(&key, role, gun, &pass)?;
        let path = self.dir.join(format!("{id}.key"));
        write_private(&self.dir, &path, &pem)?;
        let key = Arc::new(key);
        self.entries.insert(
            id.clone(),
            Entry {
                path,
                role: role.to_string(),
                gun: gun.map(|g| g.to_string()),
            },
        );
        self.loaded.insert(id, key.clone());
        Ok(key)
    }

    /// Every key file found, sorted by key ID.
    pub fn list(&self) -> Vec<KeyInfo> {
        self.entries
            .iter()
            .map(|(id, e)| KeyInfo {
                id: id.clone(),
                role: e.role.clone(),
                gun: e.gun.clone(),
                path: e.path.clone(),
            })
            .collect()
    }

    fn passphrase(&mut self, role: &str, id: &KeyId, new: bool) -> Result<Zeroizing<String>> {
        let env = passphrase_env(role);
        if let Some(v) = std::env::var_os(env).or_else(|| std::env::var_os(docker_env(role))) {
            return Ok(Zeroizing::new(v.to_string_lossy().to_string()));
        }
        if let Some(p) = self.typed.get(env) {
            return Ok(p.clone());
        }
        let no_tty = || KeyFileError::NoPassphrase {
            role: role.to_string(),
            key_id: id.to_string(),
            env,
        };
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(no_tty().into());
        }
        let what = if new { "new " } else { "" };
        let prompt = format!(
            "Enter passphrase for {what}{} key with ID {}: ",
            alias(role),
            &id.as_str()[..7]
        );
        let pass = Zeroizing::new(rpassword::prompt_password(prompt).map_err(|_| no_tty())?);
        if new {
            if pass.chars().count() < 8 {
                return Err(KeyFileError::PassphraseTooShort.into());
            }
            let again = format!(
                "Repeat passphrase for new {} key with ID {}: ",
                alias(role),
                &id.as_str()[..7]
            );
            let repeat = Zeroizing::new(rpassword::prompt_password(again).map_err(|_| no_tty())?);
            if *repeat != *pass {
                return Err(KeyFileError::PassphraseMismatch.into());
            }
        }
        self.typed.insert(env, pass.clone());
        Ok(pass)
    }
}

impl KeyLookup for DirKeyring {
    fn holds(&self, id: &KeyId) -> bool {
        self.entries.contains_key(id)
    }

    fn key(&mut self, id: &KeyId) -> Result<Option<Arc<PrivateKey>>> {
        if let Some(k) = self.loaded.get(id) {
            return Ok(Some(k.clone()));
        }
        let Some(entry) = self.entries.get(id).cloned() else {
            return Ok(None);
        };
        let text = std::fs::read(&entry.path).map_err(|e| Error::io("reading", &entry.path, e))?;
        let block = pem::parse(&text).map_err(|_| KeyFileError::Malformed {
            path: entry.path.clone(),
            reason: "no PEM block",
        })?;
        let key = match block.tag() {
            "PRIVATE KEY" => decode_private_key_info(block.contents(), &entry.path)?,
            "ENCRYPTED PRIVATE KEY" => {
                let pass = self.passphrase(&entry.role, id, false)?;
                match decrypt(block.contents(), pass.as_bytes(), &entry.path)? {
                    Some(inner) => decode_private_key_info(&inner, &entry.path)
                        .map_err(|_| wrong_pass(&entry, id))?,
                    None => return Err(wrong_pass(&entry, id)),
                }
            }
            _ => {
                return Err(KeyFileError::Malformed {
                    path: entry.path.clone(),
                    reason: "unsupported PEM type",
                }
                .into())
            }
        };
        if key.key_id() != *id {
            return Err(KeyFileError::IdMismatch {
                path: entry.path.clone(),
                file_id: id.to_string(),
                actual_id: key.key_id().to_string(),
            }
            .into());
        }
        let key = Arc::new(key);
        self.loaded.insert(id.clone(), key.clone());
        Ok(Some(key))
    }
}

/// Read a PEM private key to import (`trustctl key load`): notary/docker `ENCRYPTED PRIVATE
/// KEY` (asks `passphrase` once), unencrypted `PRIVATE KEY`, or legacy SEC1 `EC PRIVATE KEY`.
pub fn read_key_file(
    path: &Path,
    passphrase: impl FnOnce() -> Result<Zeroizing<String>>,
) -> Result<PrivateKey> {
    let text = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    parse_key_pem(&text, path, passphrase)
}

/// Parse the bytes of a PEM private key file (`path` only names it in errors).
pub fn parse_key_pem(
    text: &[u8],
    path: &Path,
    passphrase: impl FnOnce() -> Result<Zeroizing<String>>,
) -> Result<PrivateKey> {
    let malformed = |reason| KeyFileError::Malformed {
        path: path.to_path_buf(),
        reason,
    };
    let block = pem::parse(text).map_err(|_| malformed("no PEM block"))?;
    match block.tag() {
        "PRIVATE KEY" => decode_private_key_info(block.contents(), path),
        "ENCRYPTED PRIVATE KEY" => {
            let pass = passphrase()?;
            let wrong = || KeyFileError::WrongPassphrase {
                path: path.to_path_buf(),
                role: block
                    .headers()
                    .get("role")
                    .unwrap_or("imported")
                    .to_string(),
                key_id: "(encrypted)".to_string(),
                source_name: "TRUSTCTL_IMPORT_PASSPHRASE".to_string(),
            };
            match decrypt(block.contents(), pass.as_bytes(), path)? {
                Some(inner) => decode_private_key_info(&inner, path).map_err(|_| wrong().into()),
                None => Err(wrong().into()),
            }
        }
        "EC PRIVATE KEY" => {
            let (ec, _) =
                expect(block.contents(), 0x30).ok_or_else(|| malformed("bad SEC1 key"))?;
            let (_v, rest) = expect(ec, 0x02).ok_or_else(|| malformed("bad SEC1 key"))?;
            let (scalar, _) = expect(rest, 0x04).ok_or_else(|| malformed("bad SEC1 key"))?;
            Ok(PrivateKey::from_ecdsa_p256_scalar(scalar)?)
        }
        _ => Err(malformed("unsupported PEM type (expected a private key)").into()),
    }
}

/// Unencrypted PKCS#8 PEM (`PRIVATE KEY`, notary's inner format) of a key, for export.
pub fn unencrypted_pem(key: &PrivateKey) -> Result<Zeroizing<String>> {
    let inner = encode_private_key_info(key)?;
    let b64 = Zeroizing::new(B64.encode(&*inner));
    let mut out = Zeroizing::new(String::from("-----BEGIN PRIVATE KEY-----\n"));
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END PRIVATE KEY-----\n");
    Ok(out)
}

/// Body of the `parse_key_file` fuzz target: arbitrary bytes as a key file must never panic,
/// and a key that parses must survive notary's unencrypted encoding round trip.
#[doc(hidden)]
pub fn fuzz_key_file(data: &[u8]) {
    let path = Path::new("fuzz-input.key");
    let Ok(key) = parse_key_pem(data, path, || Ok(Zeroizing::new("fuzz-passphrase".into()))) else {
        return;
    };
    if let Ok(pem) = unencrypted_pem(&key) {
        let again = parse_key_pem(pem.as_bytes(), path, || Ok(Zeroizing::new(String::new())));
        assert!(matches!(again, Ok(k) if k.key_id() == key.key_id()));
    }
}

/// Write a file of trust material (0600, in a 0700 directory, atomically); used for `.pub`
/// files too, as docker writes them 0600.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    write_private(&dir, path, bytes)
}

fn wrong_pass(entry: &Entry, id: &KeyId) -> Error {
    KeyFileError::WrongPassphrase {
        path: entry.path.clone(),
        role: entry.role.clone(),
        key_id: id.to_string(),
        source_name: passphrase_env(&entry.role).to_string(),
    }
    .into()
}

/// Write a private file atomically: 0700 directory, 0600 file, rename into place.
/// (`keystore::atomic_write` replaces this once the keys branch lands.)
fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io("creating", dir, e))?;
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("creating", dir, e))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io("chmod", path, e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io("writing", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("renaming into", path, e.error))?;
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Notary's PKCS#8 (notary-v1.md §7.3): a minimal DER reader/writer for exactly these shapes.
// ------------------------------------------------------------------------------------------

const OID_PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const OID_PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
const OID_HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_ED25519_NOTARY: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// One DER TLV: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// Read a TLV with the expected tag.
fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    let (tag, body, rest) = tlv(input)?;
    (tag == want).then_some((body, rest))
}

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(body);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

/// Decrypt an EncryptedPrivateKeyInfo; `None` when the passphrase is wrong (bad padding).
fn decrypt(input: &[u8], pass: &[u8], path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let bad = |reason| KeyFileError::Malformed {
        path: path.to_path_buf(),
        reason,
    };
    let parsed = (|| {
        let (outer, _) = expect(input, 0x30)?;
        let (alg, rest) = expect(outer, 0x30)?;
        let (ciphertext, _) = expect(rest, 0x04)?;
        let (oid, params) = expect(alg, 0x06)?;
        if oid != OID_PBES2 {
            return None;
        }
        let (params, _) = expect(params, 0x30)?;
        let (kdf, rest) = expect(params, 0x30)?;
        let (enc, _) = expect(rest, 0x30)?;
        let (kdf_oid, kdf_params) = expect(kdf, 0x06)?;
        let (kdf_params, _) = expect(kdf_params, 0x30)?;
        let (salt, rest) = expect(kdf_params, 0x04)?;
        let (iter, mut rest) = expect(rest, 0x02)?;
        let iterations = iter.iter().fold(0u32, |a, b| (a << 8) | *b as u32);
        let mut sha256 = false;
        if let Some((0x02, _, r)) = tlv(rest) {
            rest = r; // keyLength
        }
        if let Some((prf, _)) = expect(rest, 0x30) {
            sha256 = expect(prf, 0x06).is_some_and(|(o, _)| o == OID_HMAC_SHA256);
        }
        let (enc_oid, iv) = expect(enc, 0x06)?;
        let (iv, _) = expect(iv, 0x04)?;
        (kdf_oid == OID_PBKDF2 && enc_oid == OID_AES256_CBC && iv.len() == 16)
            .then_some((salt, iterations, sha256, iv, ciphertext))
    })();
    let (salt, iterations, sha256, iv, ciphertext) =
        parsed.ok_or_else(|| bad("not PBES2/PBKDF2/AES-256-CBC"))?;
    if iterations == 0 || iterations > 10_000_000 {
        return Err(bad("unreasonable PBKDF2 iteration count").into());
    }
    let mut key = Zeroizing::new([0u8; 32]);
    if sha256 {
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pass, salt, iterations, key.as_mut());
    } else {
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pass, salt, iterations, key.as_mut());
    }
    let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(key.as_ref(), iv)
        .map_err(|_| bad("bad AES key or IV length"))?;
    Ok(dec
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .ok()
        .map(Zeroizing::new))
}

fn decode_private_key_info(input: &[u8], path: &Path) -> Result<PrivateKey> {
    let bad = || KeyFileError::Malformed {
        path: path.to_path_buf(),
        reason: "unsupported PrivateKeyInfo",
    };
    let (body, _) = expect(input, 0x30).ok_or_else(bad)?;
    let (_version, rest) = expect(body, 0x02).ok_or_else(bad)?;
    let (alg, rest) = expect(rest, 0x30).ok_or_else(bad)?;
    let (key, _) = expect(rest, 0x04).ok_or_else(bad)?;
    let (oid, _) = expect(alg, 0x06).ok_or_else(bad)?;
    let key = match oid {
        o if o == OID_EC_PUBLIC_KEY => {
            let (ec, _) = expect(key, 0x30).ok_or_else(bad)?;
            let (_v, rest) = expect(ec, 0x02).ok_or_else(bad)?;
            let (scalar, _) = expect(rest, 0x04).ok_or_else(bad)?;
            PrivateKey::from_ecdsa_p256_scalar(scalar)?
        }
        o if o == OID_RSA => PrivateKey::from_rsa_pkcs1_der(key)?,
        o if o == OID_ED25519_NOTARY && key.len() == 96 => {
            PrivateKey::from_ed25519_seed(&key[32..64])?
        }
        o if o == OID_ED25519 => {
            let (seed, _) = expect(key, 0x04).ok_or_else(bad)?;
            PrivateKey::from_ed25519_seed(seed)?
        }
        _ => return Err(bad().into()),
    };
    Ok(key)
}

/// Notary's inner PrivateKeyInfo for an ECDSA P-256 key (version 1, SEC1 inside).
fn encode_private_key_info(key: &PrivateKey) -> Result<Zeroizing<Vec<u8>>> {
    let (Some(scalar), Some(point)) = (key.ecdsa_p256_scalar(), key.ecdsa_p256_point()) else {
        return Err(crate::crypto::Error::MalformedPrivateKey {
            keytype: key.keytype(),
            reason: "only ECDSA P-256 keys are written by this key store",
        }
        .into());
    };
    let mut bitstring = vec![0u8];
    bitstring.extend_from_slice(point);
    let sec1 = Zeroizing::new(seq(&[
        &der(0x02, &[1]),
        &der(0x04, &scalar),
        &der(0xa0, &der(0x06, OID_P256)),
        &der(0xa1, &der(0x03, &bitstring)),
    ]));
    Ok(Zeroizing::new(seq(&[
        &der(0x02, &[1]),
        &seq(&[&der(0x06, OID_EC_PUBLIC_KEY), &der(0x06, OID_P256)]),
        &der(0x04, &sec1),
    ])))
}

/// The PEM file notary writes: `ENCRYPTED PRIVATE KEY` with `gun`/`role` headers.
fn encode_key_file(key: &PrivateKey, role: &str, gun: Option<&Gun>, pass: &str) -> Result<Vec<u8>> {
    let inner = encode_private_key_info(key)?;
    let mut salt = [0u8; 8];
    let mut iv = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let mut aes_key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pass.as_bytes(), &salt, 2048, aes_key.as_mut());
    let enc =
        cbc::Encryptor::<aes::Aes256>::new_from_slices(aes_key.as_ref(), &iv).map_err(|_| {
            crate::crypto::Error::MalformedPrivateKey {
                keytype: key.keytype(),
                reason: "AES key setup failed",
            }
        })?;
    let ciphertext = enc.encrypt_padded_vec_mut::<Pkcs7>(&inner);
    let body = seq(&[
        &seq(&[
            &der(0x06, OID_PBES2),
            &seq(&[
                &seq(&[
                    &der(0x06, OID_PBKDF2),
                    &seq(&[&der(0x04, &salt), &der(0x02, &[0x08, 0x00])]),
                ]),
                &seq(&[&der(0x06, OID_AES256_CBC), &der(0x04, &iv)]),
            ]),
        ]),
        &der(0x04, &ciphertext),
    ]);
    let mut out = String::from("-----BEGIN ENCRYPTED PRIVATE KEY-----\n");
    if let Some(g) = gun {
        out.push_str(&format!("gun: {g}\n"));
    }
    out.push_str(&format!("role: {role}\n\n"));
    let b64 = B64.encode(&body);
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END ENCRYPTED PRIVATE KEY-----\n");
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz body on real key files (encrypted with another passphrase, unencrypted, RSA,
    /// ed25519) and on mutations of them: no panic.
    #[test]
    fn fuzz_body_runs_on_samples_and_mutations() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/samples/keys");
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            fuzz_key_file(&bytes);
            for cut in [1, bytes.len() / 2, bytes.len().saturating_sub(40)] {
                fuzz_key_file(&bytes[..cut.min(bytes.len())]);
            }
            let mut flipped = bytes.clone();
            if let Some(b) = flipped.get_mut(bytes.len() / 2) {
                *b ^= 0x20;
            }
            fuzz_key_file(&flipped);
        }
        fuzz_key_file(b"-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n");
    }

    /// A key written by real notary 0.7 (fixtures/samples/keys) decrypts with the sample
    /// passphrase and matches its file name; our own file round-trips.
    #[test]
    fn reads_notary_key_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private");
        std::fs::create_dir_all(&private).unwrap();
        let root = env!("CARGO_MANIFEST_DIR");
        let name = "427180ee4d398643369ad8a15f744e6f4ee8a45056ca386e292cb065140ac5d9.key";
        std::fs::copy(
            format!("{root}/fixtures/samples/keys/{name}"),
            private.join(name),
        )
        .unwrap();
        let text = std::fs::read(private.join(name)).unwrap();
        let block = pem::parse(&text).unwrap();
        let id = KeyId::new(name.trim_end_matches(".key")).unwrap();
        let mut found = None;
        for pass in [
            "dockerrepo123",
            "targetspass123",
            "rootpass123",
            "delegpass123",
        ] {
            if let Ok(Some(inner)) = decrypt(block.contents(), pass.as_bytes(), &private) {
                if let Ok(k) = decode_private_key_info(&inner, &private) {
                    found = Some(k);
                    break;
                }
            }
        }
        let key = found.expect("sample key decrypts with one of the sample passphrases");
        assert_eq!(key.key_id(), id);

        let pem = encode_key_file(&key, "targets", Some(&Gun::new("a/b").unwrap()), "pw").unwrap();
        let text = String::from_utf8(pem.clone()).unwrap();
        assert!(
            text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: a/b\nrole: targets\n\n")
        );
        let block = pem::parse(&pem).unwrap();
        assert!(decrypt(block.contents(), b"wrong", &private)
            .unwrap()
            .is_none_or(|inner| decode_private_key_info(&inner, &private).is_err()));
        let inner = decrypt(block.contents(), b"pw", &private).unwrap().unwrap();
        assert_eq!(
            decode_private_key_info(&inner, &private).unwrap().key_id(),
            id
        );
    }
}
