//! The real `docker` CLI (no daemon) with its own `DOCKER_CONFIG`, the trust server in
//! `DOCKER_CONTENT_TRUST_SERVER`, the test CA at `$DOCKER_CONFIG/tls/<host:port>/ca.crt`
//! and passphrases in `DOCKER_CONTENT_TRUST_{ROOT,REPOSITORY}_PASSPHRASE`.
//!
//! Docker skips certificate verification for "insecure" registries (localhost, 127.0.0.0/8)
//! even for the trust server; images named `localhost:5000/...` therefore work without the
//! CA. The CA is configured anyway so that other names behave like production.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{pass, run_command, CmdOutput, Env, TestDir, DEFAULT_CMD_TIMEOUT};

#[derive(Debug, Clone)]
pub struct DockerCli {
    config_dir: PathBuf,
    cwd: PathBuf,
    env: Env,
}

impl DockerCli {
    /// A docker CLI with `DOCKER_CONFIG=<dir>/<name>`, talking to the trust server `server_url`
    /// (https) whose certificate is signed by `ca` (copied to `tls/<host:port>/ca.crt`).
    pub fn new(dir: &TestDir, name: &str, server_url: &str, ca: Option<&Path>) -> DockerCli {
        let config_dir = dir.mkdir(name);
        if let Some(ca) = ca {
            let host_port = server_url
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/');
            let tls_dir = dir.mkdir(Path::new(name).join("tls").join(host_port));
            std::fs::copy(ca, tls_dir.join("ca.crt"))
                .unwrap_or_else(|e| panic!("copy CA {}: {e}", ca.display()));
        }
        let home = dir.mkdir(format!("{name}-home"));
        let mut env = Env::default();
        env.set("HOME", &home);
        env.set("DOCKER_CONFIG", &config_dir);
        // No daemon: any attempt to reach one fails fast on a socket that does not exist.
        env.set(
            "DOCKER_HOST",
            format!("unix://{}", dir.join("no-docker-daemon.sock").display()),
        );
        env.set("DOCKER_CONTENT_TRUST_SERVER", server_url);
        env.set("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", pass::DOCKER_ROOT);
        env.set(
            "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
            pass::DOCKER_REPOSITORY,
        );
        env.set("DOCKER_CLI_HINTS", "false");
        DockerCli {
            config_dir,
            cwd: dir.path().to_path_buf(),
            env,
        }
    }

    /// A docker CLI for a running notary-server (or anything with `url()` and `ca()`).
    pub fn for_server(dir: &TestDir, name: &str, url: &str, ca: &Path) -> DockerCli {
        Self::new(dir, name, url, Some(ca))
    }

    /// `$DOCKER_CONFIG`.
    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    /// `$DOCKER_CONFIG/trust` (private keys and cached metadata).
    pub fn trust_dir(&self) -> PathBuf {
        self.config_dir.join("trust")
    }

    /// Set or override an environment variable.
    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> DockerCli {
        self.env.set(k, v);
        self
    }

    pub fn env_remove(mut self, k: impl AsRef<OsStr>) -> DockerCli {
        self.env.remove(k);
        self
    }

    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = self.env.command("docker");
        cmd.args(args).current_dir(&self.cwd);
        cmd
    }

    /// `docker ARGS…`, whatever the outcome.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> CmdOutput {
        run_command(&mut self.command(args), None, DEFAULT_CMD_TIMEOUT)
    }

    /// `docker ARGS…` with `stdin` (answers to `[y/N]` prompts).
    pub fn run_stdin<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> CmdOutput {
        run_command(&mut self.command(args), Some(stdin), DEFAULT_CMD_TIMEOUT)
    }

    /// `docker trust inspect ARGS…` (not asserted: a missing repository exits 1).
    pub fn trust_inspect(&self, args: &[&str]) -> CmdOutput {
        let mut a = vec!["trust", "inspect"];
        a.extend_from_slice(args);
        self.run(&a)
    }

    /// `docker trust key generate NAME --dir DIR`; returns the `.pub` path (asserts success).
    #[track_caller]
    pub fn key_generate(&self, name: &str, dir: &Path) -> PathBuf {
        let d = dir.to_string_lossy();
        self.run(&["trust", "key", "generate", name, "--dir", &d])
            .assert_success();
        dir.join(format!("{name}.pub"))
    }

    /// `docker trust key load FILE --name NAME` (asserts success).
    #[track_caller]
    pub fn key_load(&self, file: &Path, name: &str) -> CmdOutput {
        let f = file.to_string_lossy();
        let out = self.run(&["trust", "key", "load", &f, "--name", name]);
        out.assert_success();
        out
    }

    /// `docker trust signer add --key PUB NAME REPO…` (asserts success).
    #[track_caller]
    pub fn signer_add(&self, name: &str, pubkey: &Path, repos: &[&str]) -> CmdOutput {
        let k = pubkey.to_string_lossy();
        let mut a = vec!["trust", "signer", "add", "--key", &k, name];
        a.extend_from_slice(repos);
        let out = self.run(&a);
        out.assert_success();
        out
    }

    /// `docker trust signer remove NAME REPO` answering the confirmation with `answer`
    /// (e.g. `"y\n"`); not asserted.
    pub fn signer_remove(&self, name: &str, repo: &str, answer: &str) -> CmdOutput {
        self.run_stdin(
            &["trust", "signer", "remove", name, repo],
            answer.as_bytes(),
        )
    }

    /// `docker trust revoke [-y] TARGET`; not asserted.
    pub fn revoke(&self, target: &str, yes: bool) -> CmdOutput {
        if yes {
            self.run(&["trust", "revoke", "-y", target])
        } else {
            self.run(&["trust", "revoke", target])
        }
    }

    /// `docker trust revoke TARGET` answering the prompt with `answer`; not asserted.
    pub fn revoke_answer(&self, target: &str, answer: &str) -> CmdOutput {
        self.run_stdin(&["trust", "revoke", target], answer.as_bytes())
    }
}
