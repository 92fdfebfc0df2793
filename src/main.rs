//! Parse arguments, run the command, map the error to an exit code and print one line on
//! stderr. Nothing else lives here.
//!
//! On Linux with glibc the process enters at a C `main` of ours instead of Rust's runtime
//! start (`no_main`), which skips start-up work a short-lived command does not use: reading
//! `/proc/self/maps` to find the main thread's stack and installing the stack-overflow
//! handler (0.1-0.2 ms of every run; docs/performance.md). What that start did and trustctl
//! relies on is done here: SIGPIPE is ignored (a closed pipe or socket is an error to handle,
//! not a kill), a panic exits 101, and `std::process::exit` flushes stdout. A stack overflow
//! is then a plain SIGSEGV instead of a message first. Arguments still come from
//! `std::env::args_os`, which glibc fills before any `main` runs.
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]
// The entry point (`no_mangle`) and its `signal` call are the only unsafe code: the library
// forbids it (lib.rs).
#![allow(unsafe_code)]

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[no_mangle]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler and runs before
    // any other thread exists; it is what Rust's own start does.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    std::process::exit(i32::from(guarded(run)))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(guarded(run))
}

fn run() -> u8 {
    trustctl::cli::main_entry(std::env::args_os())
}

/// The exit code of `f`; 101 when it panics, as Rust's start exits after a panic (the panic
/// hook has printed it by then).
fn guarded(f: impl FnOnce() -> u8 + std::panic::UnwindSafe) -> u8 {
    std::panic::catch_unwind(f).unwrap_or(101)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_exits_101_and_a_return_with_its_code() {
        assert_eq!(super::guarded(|| 3), 3);
        // The only test in this binary: the silenced hook affects no other.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let code = super::guarded(|| panic!("boom"));
        std::panic::set_hook(hook);
        assert_eq!(code, 101);
    }
}
