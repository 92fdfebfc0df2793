//! Command-line types (clap derive) and the entry point that runs a command and turns its
//! error into an exit code. One file per command group holds that group's `run`.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};

pub mod context;
pub mod inspect;
pub mod key;
pub mod lock;
pub mod login;
pub mod pull;
pub mod revoke;
pub mod rotate;
pub mod server;
pub mod sign;
pub mod signer;
pub mod verify;

pub use context::Context;

#[derive(Debug, Parser)]
#[command(
    name = "trustctl",
    version,
    about = "Sign, publish and verify Docker Content Trust (Notary v1) data; run a trust server"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Trust directory holding keys, cached metadata and config (default ~/.trust).
    #[arg(long, global = true, env = "TRUSTCTL_DIR", value_name = "DIR")]
    pub trust_dir: Option<PathBuf>,
    /// Trust server URL (overrides TRUSTCTL_SERVER, config.json and docker's default rule).
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Extra CA certificate (PEM) to trust for the trust server and registries.
    #[arg(long, global = true, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Log more (repeat for more detail); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage signing keys in the trust directory.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Sign tags and publish the trust data.
    Sign(SignArgs),
    /// Add or remove delegated signers.
    #[command(subcommand)]
    Signer(SignerCommand),
    /// Remove the signature of a tag, or of all tags.
    Revoke(RevokeArgs),
    /// Show signed tags, signers and keys (docker trust inspect format).
    Inspect(InspectArgs),
    /// Verify that a tag is validly signed and meets a policy; exit code for CI gates.
    Verify(VerifyArgs),
    /// Verify, check the registry, then pull by digest.
    Pull(PullArgs),
    /// Maintain a trust lock file for CI.
    #[command(subcommand)]
    Lock(LockCommand),
    /// Run a Notary v1 compatible trust server.
    Server(ServerArgs),
    /// Store credentials for a trust server or registry through a credential helper.
    Login(LoginArgs),
    /// Erase stored credentials for a server.
    Logout(LogoutArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate an ECDSA P-256 delegation key; writes NAME.pub and the encrypted private key.
    Generate {
        name: String,
        /// Directory for NAME.pub (default: current directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Import a PEM private key (encrypted or not), re-encrypted under the delegation passphrase.
    Load {
        file: PathBuf,
        /// Signer name to record in the key's role header (default: "signer").
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write a private key unencrypted (PKCS#8 PEM, mode 0600) for `docker trust key load`,
    /// which silently ignores encrypted key files.
    Export {
        /// Key ID (as `trustctl key list` shows it).
        key_id: String,
        /// Output file (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// List private keys in the trust directory.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Rotate a repository key (root, targets, snapshot or timestamp).
    Rotate {
        image: String,
        #[arg(value_enum)]
        role: RotateRole,
        /// Let the server manage the new key (snapshot, timestamp).
        #[arg(long)]
        server_managed: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RotateRole {
    Root,
    Targets,
    Snapshot,
    Timestamp,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// IMAGE:TAG to sign (several are published together).
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Manifest digest (sha256:HEX); without it the registry is asked.
    #[arg(long)]
    pub digest: Option<String>,
    /// Manifest size in bytes (with --digest).
    #[arg(long)]
    pub size: Option<u64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SignerCommand {
    /// Add a delegated signer to repositories.
    Add {
        /// Public key file(s) (PEM PUBLIC KEY or CERTIFICATE).
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        name: String,
        #[arg(required = true)]
        images: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a delegated signer from repositories.
    Remove {
        name: String,
        #[arg(required = true)]
        images: Vec<String>,
        /// Do not ask when the removal leaves no signer able to sign releases.
        #[arg(short, long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// IMAGE:TAG, or IMAGE to revoke every tag.
    pub image: String,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct TrustArgs {
    /// Pin the root key ID (as in root.json); repeatable.
    #[arg(long = "root-key", value_name = "ID")]
    pub root_keys: Vec<String>,
    /// Warn when a role expires within this many days.
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    pub expiry_warning: u32,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Human-readable table output (docker trust inspect --pretty).
    #[arg(long)]
    pub pretty: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum VerifyFormat {
    #[default]
    Digest,
    Ref,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct PolicyArgs {
    /// Signer that must have signed the tag; repeatable (all of them unless --threshold).
    #[arg(long = "signer", value_name = "NAME")]
    pub signers: Vec<String>,
    /// How many of the --signer names must have signed.
    #[arg(long)]
    pub threshold: Option<usize>,
    /// Policy file (see docs/cli.md).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Use only cached trust data.
    #[arg(long)]
    pub offline: bool,
    /// Trust lock file to verify against.
    #[arg(long)]
    pub lock: Option<PathBuf>,
    /// With --lock: accept a new digest if it is validly signed.
    #[arg(long)]
    pub allow_update: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    pub image: String,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[arg(long, value_enum, default_value_t = VerifyFormat::Digest)]
    pub format: VerifyFormat,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    pub image: String,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Verify tags and record them in the lock file.
    Add {
        #[arg(required = true)]
        images: Vec<String>,
        #[arg(long, default_value = "trust.lock")]
        file: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Re-verify every entry; rewrite the file only if all pass.
    Update {
        #[arg(long, default_value = "trust.lock")]
        file: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct ServerArgs {
    /// Config file (trustctl or notary-server JSON).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Listen address (default 127.0.0.1:4443).
    #[arg(long)]
    pub addr: Option<String>,
    /// Storage URL: sqlite:PATH or postgres://...
    #[arg(long)]
    pub storage: Option<String>,
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Authentication: htpasswd:FILE or token (token options come from the config file).
    #[arg(long)]
    pub auth: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Trust server or registry: `host[:port]` or `https://host[:port]`.
    pub server: String,
    /// Username (else TRUSTCTL_USERNAME, else asked on the terminal).
    #[arg(short, long)]
    pub username: Option<String>,
    /// Read the password from stdin (else it is asked on the terminal, never echoed).
    #[arg(long)]
    pub password_stdin: bool,
    /// Allow storing the credentials in plaintext when no credential helper is configured.
    #[arg(long)]
    pub insecure_store: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Trust server or registry: `host[:port]` or `https://host[:port]`.
    pub server: String,
}

/// Parse, run, and map the outcome to an exit code. The only caller of `Error::exit_code`.
pub fn main_entry<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    init_logging(cli.global.verbose);
    // Client commands are a handful of requests: one thread is enough and starts faster
    // (no worker threads to spawn, wake and join). The server keeps the multi-thread runtime.
    let built = if matches!(cli.command, Command::Server(_)) {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match built {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "trustctl: cannot start runtime: {e}");
            return 1;
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(()) => 0,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "trustctl: {}", one_line(&e));
            e.exit_code()
        }
    };
    // Idle pooled connections and the blocking pool are torn down by the exit itself.
    std::mem::forget(runtime);
    code
}

fn one_line(e: &Error) -> String {
    e.to_string().replace('\n', " ")
}

fn is_broken_pipe(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}

fn init_logging(verbose: u8) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false);
    // `TRUSTCTL_LOG` takes directives (`trustctl=debug,hyper=info`); without it a plain level
    // filter does, which costs nothing to build.
    let _ = match std::env::var("TRUSTCTL_LOG") {
        Ok(directives) if !directives.is_empty() => builder
            .with_env_filter(tracing_subscriber::EnvFilter::new(directives))
            .try_init(),
        _ => builder
            .with_max_level(match verbose {
                0 => tracing::Level::WARN,
                1 => tracing::Level::INFO,
                _ => tracing::Level::DEBUG,
            })
            .try_init(),
    };
}

/// Run one parsed command.
pub async fn run(cli: Cli) -> Result<()> {
    let ctx = Context::resolve(&cli.global)?;
    match cli.command {
        Command::Key(cmd) => key::run(&ctx, cmd).await,
        Command::Sign(args) => sign::run(&ctx, args).await,
        Command::Signer(cmd) => signer::run(&ctx, cmd).await,
        Command::Revoke(args) => revoke::run(&ctx, args).await,
        Command::Inspect(args) => inspect::run(&ctx, args).await,
        Command::Verify(args) => verify::run(&ctx, args).await,
        Command::Pull(args) => pull::run(&ctx, args).await,
        Command::Lock(cmd) => lock::run(&ctx, cmd).await,
        Command::Server(args) => server::run(&ctx, args).await,
        Command::Login(args) => login::login(&ctx, args).await,
        Command::Logout(args) => login::logout(&ctx, args).await,
    }
}
