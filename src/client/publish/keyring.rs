//! The private keys a publish run signs with: an adapter from the `keystore` (notary-format
//! key files under `<trust dir>/private`, passphrase sources) to `sign::KeyLookup`.
//!
//! Owns: decrypting each key at most once per run (cached), remembering what was typed at a
//! prompt for the rest of the run, generating and saving new repository keys. Must not:
//! decide which keys sign what (see `sign.rs`), or read/write key files itself (the keystore
//! does, through `atomic_write`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::sign::KeyLookup;
use crate::crypto::PrivateKey;
use crate::error::Result;
use crate::keystore::{EnvOrPrompt, KeyEntry, KeyStore};
use crate::tuf::{Gun, KeyId};

/// A key file in the trust directory, as `trustctl key list` shows it.
pub type KeyInfo = KeyEntry;

/// The private keys of a trust directory, decrypted lazily and once.
pub struct DirKeyring {
    store: KeyStore,
    entries: BTreeMap<KeyId, KeyEntry>,
    loaded: BTreeMap<KeyId, Arc<PrivateKey>>,
    source: EnvOrPrompt,
    /// Keys being decrypted ahead of use (see [`DirKeyring::prefetch_repository_keys`]).
    prefetch: Option<std::thread::JoinHandle<Vec<(KeyId, PrivateKey)>>>,
}

impl DirKeyring {
    /// Index `<trust dir>/private` (a missing directory is an empty key store).
    pub fn open(trust_dir: &Path) -> Result<DirKeyring> {
        let store = KeyStore::new(trust_dir);
        let entries = store
            .list()?
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect();
        Ok(DirKeyring {
            store,
            entries,
            loaded: BTreeMap::new(),
            source: EnvOrPrompt::new(),
            prefetch: None,
        })
    }

    /// IDs of the root keys held, sorted (docker reuses the first).
    pub fn root_key_ids(&self) -> Vec<KeyId> {
        self.entries
            .values()
            .filter(|e| e.role == "root")
            .map(|e| e.id.clone())
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
        let entry = self.store.save(&key, role, gun, &mut self.source)?;
        let key = Arc::new(key);
        self.loaded.insert(entry.id.clone(), key.clone());
        self.entries.insert(entry.id.clone(), entry);
        Ok(key)
    }

    /// Start decrypting, on another thread, the repository (`targets`) keys of `gun` whose
    /// passphrase is in the environment, so the key derivation overlaps the network. Never
    /// prompts; a key that fails here is loaded (and its error reported) the ordinary way
    /// when needed. Other keys of the repository (a client-held snapshot key) are left to be
    /// decrypted only if signing needs them.
    pub fn prefetch_repository_keys(&mut self, gun: &Gun) {
        if self.prefetch.is_some() {
            return;
        }
        let ids: Vec<KeyId> = self
            .entries
            .values()
            .filter(|e| {
                e.role == "targets"
                    && e.gun.as_deref() == Some(gun.as_str())
                    && !self.loaded.contains_key(&e.id)
            })
            .map(|e| e.id.clone())
            .collect();
        if ids.is_empty() {
            return;
        }
        let store = self.store.clone();
        self.prefetch = Some(super::background::spawn(move || {
            let mut env_only = EnvOrPrompt::new().non_interactive();
            ids.into_iter()
                .filter_map(|id| store.load(&id, &mut env_only).ok().map(|k| (id, k)))
                .collect()
        }));
    }

    /// Take in what the prefetch decrypted (waiting for it if still running).
    fn collect_prefetched(&mut self) {
        let Some(handle) = self.prefetch.take() else {
            return;
        };
        if let Ok(keys) = handle.join() {
            for (id, key) in keys {
                self.loaded.entry(id).or_insert_with(|| Arc::new(key));
            }
        }
    }

    /// Every key file found, sorted by key ID.
    pub fn list(&self) -> Vec<KeyInfo> {
        self.entries.values().cloned().collect()
    }
}

impl KeyLookup for DirKeyring {
    fn holds(&self, id: &KeyId) -> bool {
        self.entries.contains_key(id)
    }

    fn key(&mut self, id: &KeyId) -> Result<Option<Arc<PrivateKey>>> {
        self.collect_prefetched();
        if let Some(k) = self.loaded.get(id) {
            return Ok(Some(k.clone()));
        }
        if !self.entries.contains_key(id) {
            return Ok(None);
        }
        let key = Arc::new(self.store.load(id, &mut self.source)?);
        self.loaded.insert(id.clone(), key.clone());
        Ok(Some(key))
    }
}
