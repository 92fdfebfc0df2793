//! Talking to trust servers and registries: typed Notary v1 endpoints with bounded reads,
//! TLS roots, auth challenges, and the trusted metadata cache and update walk.

mod error;

pub use error::Error;
