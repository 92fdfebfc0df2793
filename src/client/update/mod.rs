//! Pieces of the client update walk that `client::trusted` splits out: the error type, the
//! root bootstrap and rotation walk, the `MetadataSource` trait the walk fetches through, the
//! delegation walk (`delegations.rs`) and the trusted state it yields (`repo.rs`), both children
//! of `trusted`, and the HTTP source over the run's transport.

pub mod error;
pub mod http;
pub mod rotation;
pub mod source;
