//! Pieces of the client update walk that `client::trusted` splits out: the error type (and,
//! as the walk grows, the root rotation walk).

pub mod error;
pub mod http;
pub mod rotation;
pub mod source;
