//! `GET|POST /v2/{gun}/_trust/tuf/{snapshot|timestamp}.key` (notary-v1.md §2.5).
//!
//! GET returns the key the stored root lists for the role when the server holds it, otherwise
//! creates (and stores, encrypted) a new key; POST always creates one. Neither changes
//! metadata. Divergence from notary: for a GUN without a matching key, at most
//! `MAX_UNUSED_KEYS` keys are created per role; after that GET returns the newest one (a bound on
//! what unauthenticated callers can make the server store).

use super::super::errors::ApiError;
use super::super::signing::{held_key, key_response_body, public_key_of};
use super::super::validate::stored_root;
use super::super::Inner;
use crate::tuf::{Gun, RoleName};

/// Keys created by GET for a role no stored root references, before GET starts re-using them.
pub const MAX_UNUSED_KEYS: usize = 32;

fn internal(gun: &Gun, e: impl std::fmt::Display) -> ApiError {
    tracing::error!(gun = %gun, error = %e, "server key operation failed");
    ApiError::internal()
}

fn create(inner: &Inner, gun: &Gun, role: &RoleName) -> Result<Vec<u8>, ApiError> {
    let (stored, public) = inner
        .vault
        .generate(gun, role, inner.clock.now())
        .map_err(|e| internal(gun, e))?;
    inner
        .storage
        .put_key(&stored)
        .map_err(|e| internal(gun, e))?;
    tracing::info!(gun = %gun, role = %role, key_id = %stored.key_id, "created server key");
    Ok(key_response_body(&public))
}

/// `GET {role}.key`.
pub fn get_key(inner: &Inner, gun: &Gun, role: &RoleName) -> Result<Vec<u8>, ApiError> {
    let root = stored_root(&*inner.storage, gun).map_err(|e| internal(gun, e))?;
    if let Some((root, _)) = &root {
        let authorised = root
            .signed()
            .role(role)
            .map(|r| r.keyids.clone())
            .unwrap_or_default();
        let held =
            held_key(&*inner.storage, gun, role, &authorised).map_err(|e| internal(gun, e))?;
        if let Some(stored) = held {
            let public = public_key_of(&stored).map_err(|e| internal(gun, e))?;
            return Ok(key_response_body(&public));
        }
    }
    let existing = inner
        .storage
        .keys(gun, role)
        .map_err(|e| internal(gun, e))?;
    if existing.len() >= MAX_UNUSED_KEYS {
        if let Some(newest) = existing.last() {
            let public = public_key_of(newest).map_err(|e| internal(gun, e))?;
            return Ok(key_response_body(&public));
        }
    }
    create(inner, gun, role)
}

/// `POST {role}.key`: a new key; published metadata is untouched until a root lists it.
pub fn rotate_key(inner: &Inner, gun: &Gun, role: &RoleName) -> Result<Vec<u8>, ApiError> {
    create(inner, gun, role)
}
