//! `trustctl server`: resolve the configuration, then run the trust server until SIGTERM or
//! SIGINT (Ctrl-C), finishing in-flight requests before exiting.

use crate::error::Result;
use crate::server::config::PASSPHRASE_ENV;
use crate::server::ServerConfig;

use super::{Context, ServerArgs};

pub async fn run(ctx: &Context, args: ServerArgs) -> Result<()> {
    let passphrase = std::env::var(PASSPHRASE_ENV).ok();
    let config = ServerConfig::resolve(&args, &ctx.trust_dir, passphrase)?;
    tracing::info!(config = ?config, "starting trust server");
    crate::server::serve(config, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
