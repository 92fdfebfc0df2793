//! The one integration test binary. Each module covers one area; `util` holds temp dirs,
//! command runners, servers on 127.0.0.1:0 and helpers for the real peers.

mod attacks;
mod model;
mod peers;
mod publish;
mod server;
mod storage;
mod tamper;
mod util;
mod verify;
