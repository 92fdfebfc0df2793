//! The one writer of trust material: `atomic_write` (temp file in the same directory, mode set
//! before any byte is written, fsync, rename, fsync of the directory), `atomic_write_all` (the
//! same for several files with one round of syncs) and `ensure_dir`.
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

/// Whether [`atomic_write_all`] makes its writes survive a power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every file's data is synced before any rename and each parent directory once at the
    /// end: the new files survive a crash, never torn (trust anchors, keys).
    Durable,
    /// No sync at all: each rename is atomic for running readers, but after a power loss a
    /// file may be empty or torn. Only for files that readers re-verify and refetch when
    /// they do not check out (the metadata cache below its root), where a sync per update
    /// would cost more than all the rest of a warm command.
    Unsynced,
}

/// Write several files, each replaced atomically: all temporary files are written, then
/// (with [`Durability::Durable`]) their data synced concurrently (the file system commits
/// them together instead of once per file), then every file is renamed into place in the
/// order given, then (durable again) each parent directory is synced once. On error, files
/// not yet renamed are left unchanged and no temporary file remains.
pub fn atomic_write_all(
    files: &[(&Path, &[u8])],
    mode: u32,
    durability: Durability,
) -> Result<(), Error> {
    let mut temps = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let mut tmp = temp_for(path, mode)?;
        tmp.write_all(bytes)
            .map_err(|e| Error::io("writing", path, e))?;
        temps.push(tmp);
    }
    if durability == Durability::Durable {
        sync_concurrently(&temps, files)?;
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (tmp, (path, _)) in temps.into_iter().zip(files) {
        tmp.persist(path)
            .map_err(|e| Error::io("renaming into", path, e.error))?;
        let dir = parent_of(path);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    if durability == Durability::Durable {
        for dir in &dirs {
            sync_dir(dir)?;
        }
    }
    Ok(())
}

/// `sync_all` every temporary file, the first on this thread and the others on their own.
fn sync_concurrently(
    temps: &[tempfile::NamedTempFile],
    files: &[(&Path, &[u8])],
) -> Result<(), Error> {
    let sync = |i: usize| {
        temps[i]
            .as_file()
            .sync_all()
            .map_err(|e| Error::io("writing", files[i].0, e))
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..temps.len())
            .map(|i| scope.spawn(move || sync(i)))
            .collect();
        let first = if temps.is_empty() { Ok(()) } else { sync(0) };
        let mut result = first;
        for handle in others {
            let r = handle.join().unwrap_or_else(|_| {
                Err(Error::io(
                    "writing",
                    files[0].0,
                    std::io::Error::other("sync thread failed"),
                ))
            });
            result = result.and(r);
        }
        result
    })
}

/// A temporary file next to `path` with `mode` set before any byte is written.
fn temp_for(path: &Path, mode: u32) -> Result<tempfile::NamedTempFile, Error> {
    let dir = parent_of(path);
    // tempfile creates the file 0600 with O_EXCL; the mode is set before any byte is written.
    let tmp = tempfile::Builder::new()
        .prefix(".trustctl-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| Error::io("creating a temporary file in", &dir, e))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("setting permissions of", tmp.path(), e))?;
    Ok(tmp)
}

fn sync_dir(dir: &Path) -> Result<(), Error> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("syncing directory", dir, e))
}

fn write_with(path: &Path, bytes: &[u8], mode: u32, no_clobber: bool) -> Result<(), Error> {
    let dir = parent_of(path);
    let mut tmp = temp_for(path, mode)?;
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
    sync_dir(&dir)
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
    fn write_all_replaces_in_order_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("targets");
        ensure_dir(&sub, DIR_MODE).unwrap();
        let (a, b, c) = (dir.path().join("a"), sub.join("b"), dir.path().join("c"));
        atomic_write(&a, b"old", 0o600).unwrap();
        for durability in [Durability::Unsynced, Durability::Durable] {
            atomic_write_all(
                &[(&a, b"new a"), (&b, b"new b"), (&c, b"new c")],
                0o644,
                durability,
            )
            .unwrap();
            assert_eq!(std::fs::read(&a).unwrap(), b"new a");
            assert_eq!(std::fs::read(&b).unwrap(), b"new b");
            assert_eq!(std::fs::read(&c).unwrap(), b"new c");
            assert_eq!(mode(&a), 0o644);
            assert_eq!(names(dir.path()), vec!["a", "c", "targets"]);
            assert_eq!(names(&sub), vec!["b"]);
        }
        atomic_write_all(&[], 0o644, Durability::Durable).unwrap();
    }

    #[test]
    fn write_all_stops_at_a_missing_directory_with_nothing_changed() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        atomic_write(&a, b"old", 0o600).unwrap();
        let missing = dir.path().join("nope/b");
        let err = atomic_write_all(
            &[(&a, b"new"), (&missing, b"x")],
            0o600,
            Durability::Unsynced,
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if path == &dir.path().join("nope")),
            "{err:?}"
        );
        assert_eq!(std::fs::read(&a).unwrap(), b"old");
        assert_eq!(names(dir.path()), vec!["a"]);
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
