//! The resolved run context: trust directory, server override, extra TLS roots, clock.
//! Arguments are parsed without I/O in `cli/mod.rs`; this resolves them once.

use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};

use super::GlobalArgs;

/// Everything a command needs from the environment, resolved once.
pub struct Context {
    /// The trust directory (`--trust-dir`, `TRUSTCTL_DIR`, else `~/.trust`).
    pub trust_dir: PathBuf,
    /// `--server` from the command line, if given (env/config/docker rule are resolved later).
    pub server_flag: Option<String>,
    /// `--tls-ca` from the command line (or `TRUSTCTL_TLS_CA`).
    pub tls_ca: Option<PathBuf>,
    pub clock: Arc<dyn Clock>,
}

impl Context {
    pub fn resolve(global: &GlobalArgs) -> Result<Context> {
        let trust_dir = match &global.trust_dir {
            Some(d) => d.clone(),
            None => default_trust_dir()?,
        };
        let tls_ca = global
            .tls_ca
            .clone()
            .or_else(|| std::env::var_os("TRUSTCTL_TLS_CA").map(PathBuf::from));
        Ok(Context {
            trust_dir,
            server_flag: global.server.clone(),
            tls_ca,
            clock: Arc::new(SystemClock),
        })
    }
}

fn default_trust_dir() -> Result<PathBuf> {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(PathBuf::from(home).join(".trust")),
        _ => Err(Error::Usage(
            "cannot find the trust directory: HOME is not set; pass --trust-dir or set TRUSTCTL_DIR"
                .into(),
        )),
    }
}
