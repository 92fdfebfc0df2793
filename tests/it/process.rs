//! The binary as a process, whichever way it starts (main.rs): a reader that goes away is
//! not a kill, and usage errors exit 2.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use crate::util::{TestDir, Trustctl};

/// Run `args` with stdout a socket whose reader is gone before it starts (a write to it fails
/// with EPIPE or raises SIGPIPE, as with a pipe); the exit status.
fn with_stdout_closed(t: &Trustctl, args: &[&str]) -> std::process::ExitStatus {
    let (reader, writer) = UnixStream::pair().unwrap();
    drop(reader);
    t.command(args)
        .stdout(OwnedFd::from(writer))
        .stderr(Stdio::null())
        .status()
        .unwrap()
}

#[test]
fn a_closed_stdout_is_handled_not_a_kill_by_sigpipe() {
    let dir = TestDir::new("process-sigpipe");
    let t = Trustctl::new(&dir, "t");
    t.run(&["key", "generate", "alice", "--dir", "."])
        .assert_success();
    for args in [&["--version"][..], &["key", "list"]] {
        let status = with_stdout_closed(&t, args);
        assert_eq!(status.signal(), None, "{args:?} was killed: {status:?}");
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
    t.run(&["no-such-command"]).assert_exit(2);
}
