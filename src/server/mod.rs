//! `trustctl server`: a Notary v1 compatible trust server.
//!
//! `router(state)` builds the axum app; `serve(config)` binds, serves and shuts down
//! gracefully. Storage backends live in `storage/`.

mod error;
pub mod storage;

pub use error::Error;
