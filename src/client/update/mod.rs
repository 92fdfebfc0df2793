//! Pieces of the client update walk that `client::trusted` splits out: the error type, the
//! root bootstrap and rotation walk, the `MetadataSource` trait the walk fetches through, and
//! the HTTP source over the run's transport. Children of `trusted` (they share its private
//! items) also live here: the cached state a walk starts from (`cached.rs`), the checks that
//! bytes are the file a parent lists (`listed.rs`), the delegation walk (`delegations.rs`) and
//! the trusted state it yields (`repo.rs`).

pub mod error;
pub mod http;
pub mod rotation;
pub mod source;
