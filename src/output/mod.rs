//! The only code that writes to stdout: docker-compatible inspect JSON and tables, and each
//! command's `--json` documents (documented in docs/cli.md).

pub mod inspect;
pub mod keys;
pub mod publish;
pub mod verify;
