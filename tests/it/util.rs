//! Shared test helpers: temp dirs, running `trustctl` and the real peers (`notary`,
//! `notary-server`, `docker`, `docker-registry`, `skopeo`, `htpasswd`) with isolated
//! environments, a test CA, servers on 127.0.0.1, bounded waits. Owned by the `peers` area;
//! other areas may add small helpers in their own test modules. Nothing here mocks a peer:
//! every helper runs the real binary. Every wait has a deadline and every child process is
//! killed on Drop (also when a test panics), with its log printed on failure.
//!
//! Typical use:
//! ```ignore
//! if !require_peers(&["notary-server", "notary"]) { return; }
//! let dir = TestDir::new("my-test");
//! let server = NotaryServer::start(&dir);
//! let notary = NotaryClient::new(&dir, "n1", &server.url(), &server.ca());
//! notary.init("example.com/a/b");
//! ```
#![allow(dead_code)]
// Test helpers fail the calling test by panicking with a message naming what broke.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod docker;
mod notary;
mod postgres;
mod process;
mod registry;
mod tls;
mod trustctl_server;

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

// The helpers are the API for every area's tests; not all are used by every build.
#[allow(unused_imports)]
pub use docker::DockerCli;
#[allow(unused_imports)]
pub use notary::{NotaryClient, NotaryServer, NotaryTarget};
#[allow(unused_imports)]
pub use postgres::PgDatabase;
#[allow(unused_imports)]
pub use process::{run_command, ChildServer, DEFAULT_CMD_TIMEOUT};
#[allow(unused_imports)]
pub use registry::{
    htpasswd_file, oci_image_layout, Htpasswd, OciImage, PushedImage, Registry, TokenAuth,
};
#[allow(unused_imports)]
pub use tls::{http_request, HttpResponse, TestCerts, TlsFiles};
#[allow(unused_imports)]
pub use trustctl_server::TrustctlServer;

/// Passphrases used by the helpers' default environments (same values as in
/// `fixtures/samples/README.md`, so sample keys can be dropped into a test trust dir).
pub mod pass {
    pub const ROOT: &str = "rootpass123";
    pub const TARGETS: &str = "targetspass123";
    pub const SNAPSHOT: &str = "snapshotpass123";
    pub const DELEGATION: &str = "delegpass123";
    pub const DOCKER_ROOT: &str = "dockerroot123";
    pub const DOCKER_REPOSITORY: &str = "dockerrepo123";
    pub const TRUSTCTL_SERVER: &str = "serverpass123";
}

/// Environment variable prefixes removed from every child process, so the user's own
/// configuration never leaks into a test.
const SCRUBBED_PREFIXES: &[&str] = &["DOCKER_", "NOTARY_", "TRUSTCTL_"];

/// Repository root (for `fixtures/`, `tests/tools/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a file under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

/// Contents of a file under `fixtures/` (bytes exactly as stored).
pub fn fixture_bytes(rel: &str) -> Vec<u8> {
    let p = fixture(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", p.display()))
}

// ---------------------------------------------------------------------------------------------
// Temp dirs
// ---------------------------------------------------------------------------------------------

/// A temporary directory for one test. Removed on Drop, except when `TRUSTCTL_KEEP_TMP` is set
/// and the test failed (or `TRUSTCTL_KEEP_TMP=all`): then it is kept and its path printed.
pub struct TestDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    name: String,
}

impl TestDir {
    /// A fresh directory named after the test (`name` is only a readable prefix).
    pub fn new(name: &str) -> TestDir {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = tempfile::Builder::new()
            .prefix(&format!("trustctl-{safe}-"))
            .tempdir()
            .expect("create temp dir");
        let path = dir.path().to_path_buf();
        set_mode(&path, 0o700);
        TestDir {
            dir: Some(dir),
            path,
            name: name.to_string(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }

    /// Create `rel` (and parents) with mode 0700; returns its path.
    pub fn mkdir(&self, rel: impl AsRef<Path>) -> PathBuf {
        let p = self.path.join(rel);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
        set_mode(&p, 0o700);
        p
    }

    /// Write `contents` to `rel` (parents created); returns its path.
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(rel);
        write_file(&p, contents.as_ref());
        p
    }

    /// Read `rel` as UTF-8 text.
    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        let p = self.path.join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// The test CA and a `localhost`/`127.0.0.1` server certificate, written once per TestDir
    /// under `tls/` (the key material itself is generated once per test process).
    pub fn tls(&self) -> TlsFiles {
        tls::write_tls_files(&self.path.join("tls"))
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let keep = match std::env::var("TRUSTCTL_KEEP_TMP") {
            Ok(v) => v == "all" || std::thread::panicking(),
            Err(_) => false,
        };
        if keep {
            if let Some(d) = self.dir.take() {
                let p = d.keep();
                eprintln!("[{}] kept test dir {}", self.name, p.display());
            }
        }
    }
}

/// Write a whole file (parents created). `std::fs::write` is banned crate-wide; tests use this.
pub fn write_file(path: &Path, contents: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    let mut f =
        std::fs::File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    f.write_all(contents)
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// chmod (unix permissions).
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// The unix permission bits of `path` (e.g. `0o600`).
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let md = std::fs::metadata(path).unwrap_or_else(|e| panic!("stat {}: {e}", path.display()));
    md.permissions().mode() & 0o7777
}

// ---------------------------------------------------------------------------------------------
// Command output
// ---------------------------------------------------------------------------------------------

/// What a finished command produced.
#[derive(Debug, Clone)]
pub struct CmdOutput {
    /// The command line, for messages.
    pub cmdline: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CmdOutput {
    /// Exit code; `-1` when killed by a signal.
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Panics, showing the command, stdout and stderr, unless the exit code is `code`.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &CmdOutput {
        if self.code() != code {
            panic!(
                "expected exit code {code}, got {}\n{}",
                self.code(),
                self.describe()
            );
        }
        self
    }

    #[track_caller]
    pub fn assert_success(&self) -> &CmdOutput {
        self.assert_exit(0)
    }

    /// Panics (with the full output) unless stderr contains `needle`.
    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) -> &CmdOutput {
        if !self.stderr.contains(needle) {
            panic!("stderr does not contain {needle:?}\n{}", self.describe());
        }
        self
    }

    /// Panics (with the full output) unless stdout contains `needle`.
    #[track_caller]
    pub fn assert_stdout_contains(&self, needle: &str) -> &CmdOutput {
        if !self.stdout.contains(needle) {
            panic!("stdout does not contain {needle:?}\n{}", self.describe());
        }
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.describe()))
    }

    /// Multi-line description: command, status, stdout, stderr.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "--- command: {}", self.cmdline);
        let _ = writeln!(s, "--- status: {}", self.status);
        let _ = writeln!(s, "--- stdout:\n{}", self.stdout);
        let _ = write!(s, "--- stderr:\n{}", self.stderr);
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Environment, peers, ports, waits
// ---------------------------------------------------------------------------------------------

/// Remove every inherited `DOCKER_*`, `NOTARY_*`, `TRUSTCTL_*` variable from `cmd`.
pub fn scrub_env(cmd: &mut Command) -> &mut Command {
    scrub_env_from(cmd, std::env::vars_os().map(|(k, _)| k))
}

/// [`scrub_env`] for an explicit list of inherited variable names (testable).
pub fn scrub_env_from(
    cmd: &mut Command,
    inherited: impl IntoIterator<Item = OsString>,
) -> &mut Command {
    for k in inherited {
        let ks = k.to_string_lossy();
        if SCRUBBED_PREFIXES.iter().any(|p| ks.starts_with(p)) {
            cmd.env_remove(&k);
        }
    }
    cmd
}

/// Full path of an executable on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The path of peer binary `name`. Missing: panics when `CI` is set, else prints a skip note
/// and returns None (the test should then return early).
#[track_caller]
pub fn require_peer(name: &str) -> Option<PathBuf> {
    match which(name) {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => {
            panic!("peer binary `{name}` is not installed (CI is set, so this is a failure)")
        }
        None => {
            eprintln!("SKIP: peer binary `{name}` is not installed; skipping this test");
            None
        }
    }
}

/// True when every named peer is installed (see [`require_peer`]).
#[track_caller]
pub fn require_peers(names: &[&str]) -> bool {
    names.iter().all(|n| require_peer(n).is_some())
}

/// `python3` with the `cryptography` package (needed by `tests/tools/verify.py`)? Missing:
/// panics with `CI` set, else prints a skip note.
#[track_caller]
pub fn require_python_cryptography() -> bool {
    if require_peer("python3").is_none() {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import cryptography"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("python3 cannot import `cryptography` (CI is set)");
        }
        eprintln!("SKIP: python3 cannot import `cryptography`; skipping this test");
    }
    ok
}

/// PostgreSQL on 127.0.0.1:5432 reachable? Missing: panics with `CI` set, else skip note.
#[track_caller]
pub fn require_postgres() -> bool {
    let ok = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], 5432)),
        Duration::from_secs(2),
    )
    .is_ok();
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("PostgreSQL is not reachable on 127.0.0.1:5432 (CI is set)");
        }
        eprintln!("SKIP: PostgreSQL is not reachable on 127.0.0.1:5432; skipping this test");
    }
    ok
}

/// A currently free TCP port on 127.0.0.1 (bind :0, read, release). Another process may grab
/// it before use: server helpers retry start-up with a new port a bounded number of times.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Serve `router` on 127.0.0.1 (an ephemeral port) from a background thread with its own
/// runtime, for the life of the test process; its `http://` URL.
pub fn serve_router(router: axum::Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            tx.send(listener.local_addr().expect("local addr"))
                .expect("send addr");
            let _ = axum::serve(listener, router).await;
        });
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("server started");
    format!("http://{addr}")
}

/// Poll `f` every 50-200 ms until it returns Some, or `timeout` passes (None).
pub fn wait_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(50);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Environment shared by every peer/trustctl invocation in a test: HOME inside the test dir,
/// inherited DOCKER_/NOTARY_/TRUSTCTL_ variables removed, plus extra pairs.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub vars: Vec<(OsString, OsString)>,
}

impl Env {
    pub fn set(&mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) {
        let k = k.as_ref().to_os_string();
        self.vars.retain(|(ek, _)| *ek != k);
        self.vars.push((k, v.as_ref().to_os_string()));
    }

    pub fn remove(&mut self, k: impl AsRef<OsStr>) {
        let k = k.as_ref();
        self.vars.retain(|(ek, _)| ek != k);
    }

    /// A command for `program` with this environment (after scrubbing the inherited one).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        scrub_env(&mut cmd);
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }
}

// ---------------------------------------------------------------------------------------------
// trustctl runner
// ---------------------------------------------------------------------------------------------

/// Runs the `trustctl` binary under test with its own trust dir (`TRUSTCTL_DIR`), HOME inside
/// the test dir, and passphrases from [`pass`] in `TRUSTCTL_{ROOT,REPOSITORY,DELEGATION}_PASSPHRASE`.
#[derive(Debug, Clone)]
pub struct Trustctl {
    trust_dir: PathBuf,
    cwd: PathBuf,
    env: Env,
}

impl Trustctl {
    /// A runner whose trust dir is `<dir>/<name>` (several runners = several users).
    pub fn new(dir: &TestDir, name: &str) -> Trustctl {
        let trust_dir = dir.join(name);
        let home = dir.mkdir(format!("{name}-home"));
        let mut env = Env::default();
        env.set("HOME", &home);
        env.set("TRUSTCTL_DIR", &trust_dir);
        env.set("TRUSTCTL_ROOT_PASSPHRASE", pass::ROOT);
        env.set("TRUSTCTL_REPOSITORY_PASSPHRASE", pass::TARGETS);
        env.set("TRUSTCTL_DELEGATION_PASSPHRASE", pass::DELEGATION);
        env.set("TRUSTCTL_SERVER_PASSPHRASE", pass::TRUSTCTL_SERVER);
        Trustctl {
            trust_dir,
            cwd: dir.path().to_path_buf(),
            env,
        }
    }

    pub fn bin() -> PathBuf {
        PathBuf::from(env!("CARGO_BIN_EXE_trustctl"))
    }

    pub fn trust_dir(&self) -> &Path {
        &self.trust_dir
    }

    /// Set (or override) an environment variable for every later run.
    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Trustctl {
        self.env.set(k, v);
        self
    }

    /// Remove an environment variable (e.g. a passphrase, to test the prompt/error path).
    pub fn env_remove(mut self, k: impl AsRef<OsStr>) -> Trustctl {
        self.env.remove(k);
        self
    }

    /// Point at a trust server (`TRUSTCTL_SERVER`) trusting `ca` (`TRUSTCTL_TLS_CA`) if given.
    pub fn server(self, url: &str, ca: Option<&Path>) -> Trustctl {
        let t = self.env("TRUSTCTL_SERVER", url);
        match ca {
            Some(ca) => t.env("TRUSTCTL_TLS_CA", ca),
            None => t,
        }
    }

    /// Working directory for later runs (default: the test dir).
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Trustctl {
        self.cwd = dir.as_ref().to_path_buf();
        self
    }

    /// The configured command, for callers that need more control (e.g. spawning).
    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = self.env.command(Self::bin());
        cmd.args(args).current_dir(&self.cwd);
        cmd
    }

    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> CmdOutput {
        run_command(&mut self.command(args), None, DEFAULT_CMD_TIMEOUT)
    }

    /// `trustctl sign REFERENCE --digest DIGEST --size SIZE`: a tag -> digest target, no
    /// registry asked.
    pub fn sign(&self, reference: &str, digest: &str, size: u64) -> CmdOutput {
        self.run(&[
            "sign",
            reference,
            "--digest",
            digest,
            "--size",
            &size.to_string(),
        ])
    }

    pub fn run_stdin<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> CmdOutput {
        run_command(&mut self.command(args), Some(stdin), DEFAULT_CMD_TIMEOUT)
    }
}
