//! The one writer of trust material: `atomic_write` (temp file in the same directory, mode set
//! before any byte is written, fsync, rename, fsync of the directory) and `ensure_dir`.
//!
//! Owns: how files of the trust directory reach the disk. Must not: decide what is written.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::Error;

/// Mode of private key files, `.pub` files and cached metadata.
pub const FILE_MODE: u32 = 0o600;
/// Mode of directories created in the trust directory.
pub const DIR_MODE: u32 = 0o700;

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Create `dir` and its missing parents with `mode` (existing directories are left alone).
pub fn ensure_dir(dir: &Path, mode: u32) -> Result<(), Error> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .map_err(|e| Error::io("creating directory", dir, e))
}

/// Write `bytes` to `path` atomically with `mode`, replacing any existing file. The parent
/// directory must exist (see [`ensure_dir`]). Readers see the old file or the new one, never
/// a partial one; on error nothing is left behind.
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    write_with(path, bytes, mode, false)
}

/// Like [`atomic_write`] but fails with [`Error::Exists`] if `path` exists (checked at the
/// rename, so two writers cannot both succeed).
pub fn atomic_write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    write_with(path, bytes, mode, true)
}

fn write_with(path: &Path, bytes: &[u8], mode: u32, no_clobber: bool) -> Result<(), Error> {
    let dir = parent_of(path);
    // tempfile creates the file 0600 with O_EXCL; the mode is set before any byte is written.
    let mut tmp = tempfile::Builder::new()
        .prefix(".trustctl-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| Error::io("creating a temporary file in", &dir, e))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("setting permissions of", tmp.path(), e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io("writing", path, e))?;
    if no_clobber {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                Error::io("renaming into", path, e.error)
            }
        })?;
    } else {
        tmp.persist(path)
            .map_err(|e| Error::io("renaming into", path, e.error))?;
    }
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("syncing directory", &dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_replaces_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        atomic_write(&p, b"one", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert_eq!(mode(&p), 0o600);
        atomic_write(&p, b"two", 0o640).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(mode(&p), 0o640);
        assert_eq!(names(dir.path()), vec!["a"]);
    }

    #[test]
    fn no_clobber_refuses_existing_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.pub");
        atomic_write_new(&p, b"one", 0o600).unwrap();
        let err = atomic_write_new(&p, b"two", 0o600).unwrap_err();
        assert!(matches!(err, Error::Exists { path } if path == p));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert_eq!(names(dir.path()), vec!["a.pub"]);
    }

    #[test]
    fn missing_parent_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope/a");
        let err = atomic_write(&p, b"x", 0o600).unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if path == &dir.path().join("nope")),
            "{err:?}"
        );
    }

    #[test]
    fn ensure_dir_uses_0700() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t/private");
        ensure_dir(&p, DIR_MODE).unwrap();
        assert_eq!(mode(&p), 0o700);
        assert_eq!(mode(&dir.path().join("t")), 0o700);
    }
}
