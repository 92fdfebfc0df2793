//! The one integration test binary. Each module covers one area; `util` holds temp dirs,
//! command runners, servers on 127.0.0.1:0 and helpers for the real peers.
// Test code fails by panicking: unwrap/panic in helpers are the assertion mechanism.
#![allow(clippy::unwrap_used, clippy::panic)]

mod attacks;
mod auth_client;
mod auth_server;
mod config;
mod keys;
mod model;
mod peers;
mod process;
mod publish;
mod server;
mod server_peers;
mod storage;
mod tamper;
mod token_issuer;
mod util;
mod verify;
