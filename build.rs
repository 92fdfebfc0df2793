//! Link the unwinder statically on Linux/glibc (libgcc_eh.a instead of libgcc_s.so).
//!
//! Rust's standard library asks for `-lgcc_s` there. Loading that shared object, and running
//! its constructor (which probes the CPU with `cpuid`, an instruction that traps to the
//! hypervisor on virtual machines), costs every `trustctl` process about 0.2 ms: a few
//! percent of a whole `sign` against a local server. Nothing here needs the shared unwinder
//! (no C++ and no other shared object throws through Rust frames), so a one-line linker
//! script named `libgcc_s.so`, found first on the search path, points `-lgcc_s` at the
//! static archive the C compiler ships. When the archive cannot be found, nothing changes.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    // Native builds only: a cross build's C compiler is not the one `cc` names.
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || static_crt
        || var("HOST") != var("TARGET")
    {
        return;
    }
    let Some(archive) = libgcc_eh() else {
        return;
    };
    let dir = PathBuf::from(var("OUT_DIR")).join("static-unwinder");
    let script = format!("INPUT({})\n", archive.display());
    #[expect(
        clippy::disallowed_methods,
        reason = "a build artefact under OUT_DIR, not trust material"
    )]
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("libgcc_s.so"), script))
        .is_ok();
    if !written {
        return;
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
}

/// The C compiler's `libgcc_eh.a`, as an absolute path, if it has one.
fn libgcc_eh() -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && path.is_absolute() && path.is_file()).then_some(path)
}
