//! Talking to trust servers and registries: typed Notary v1 endpoints with bounded reads,
//! TLS roots, auth challenges, and the trusted metadata cache and update walk.

mod error;

pub mod auth;
pub mod cache;
pub mod http;
pub mod lock;
pub mod pinning;
pub mod policy;
pub mod publish;
pub mod registry;
pub mod released;
pub mod trusted;
pub mod update;

pub use error::Error;
pub use update::error::TrustError;
