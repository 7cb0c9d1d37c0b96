//! Atomic, locked writes of files that hold secrets.
//!
//! Every file cogauth writes that may hold a secret goes through [`write_atomic`], called with a
//! [`FileLock`] as proof that the caller holds the cross-process lock for that file. The write is
//! temp file in the same directory (mode 0600 from creation), fsync, rename, fsync of the
//! directory, so a reader sees either the old file or the new one, never a torn one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Errors from the file helpers; each names the file involved. The io error is part of the
/// message, not a `source`: a chain printed whole would show it twice.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("cannot create directory `{path}`: {error}")]
    CreateDir { path: PathBuf, error: io::Error },
    #[error("cannot lock `{path}`: {error}")]
    Lock { path: PathBuf, error: io::Error },
    #[error("cannot read `{path}`: {error}")]
    Read { path: PathBuf, error: io::Error },
    #[error("cannot write `{path}`: {error}")]
    Write { path: PathBuf, error: io::Error },
    #[error("`{path}` has no parent directory")]
    NoParent { path: PathBuf },
}

/// An exclusive cross-process lock on `<file>.lock`, held until dropped.
///
/// The lock is an advisory `flock` on a sidecar file, never on the data file itself: the data
/// file is replaced by rename on every write, and a lock on a replaced inode protects nothing.
/// The kernel drops the lock when its holder dies, so a crashed writer never leaves a stale
/// lock behind (the sidecar file may stay; it is empty and harmless).
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    target: PathBuf,
}

impl FileLock {
    /// Blocks until the lock for `target` is held.
    pub fn acquire(target: &Path) -> Result<Self, FsError> {
        // Lock beside the real file, so a symlink and its target share one lock.
        let target = resolve_symlink(target);
        let target = target.as_path();
        let lock_path = lock_path_for(target);
        let parent = parent_of(target)?;
        // The first thing to touch a new directory creates it, so it must create it private:
        // a later `ensure_dir(.., 0o700)` finds it existing and changes nothing.
        ensure_dir(parent, Some(PRIVATE_DIR_MODE))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|source| FsError::Lock {
                path: lock_path.clone(),
                error: source,
            })?;
        file.lock().map_err(|source| FsError::Lock {
            path: lock_path,
            error: source,
        })?;
        Ok(Self {
            _file: file,
            target: resolve_symlink(target),
        })
    }

    /// The data file this lock protects.
    pub fn target(&self) -> &Path {
        &self.target
    }
}

fn lock_path_for(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    target.with_file_name(name)
}

fn parent_of(path: &Path) -> Result<&Path, FsError> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => Ok(p),
        Some(_) => Ok(Path::new(".")),
        None => Err(FsError::NoParent {
            path: path.to_path_buf(),
        }),
    }
}

/// A symlinked file (dotfiles managers do this) is written through the link: the rename
/// replaces the link's target, not the link. A dangling link is followed too, so the first
/// write creates the file it points at.
fn resolve_symlink(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    // Bounded, like the kernel's own limit, so a link loop cannot hang us.
    for _ in 0..40 {
        match fs::read_link(&current) {
            Ok(next) => {
                current = match current.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            Err(_) => break,
        }
    }
    current
}

/// The mode of every directory cogauth creates: its files hold secrets, and even their names
/// say who is logged in where.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// Creates `dir` and its parents if missing. New directories get `mode` (else the umask's
/// default) from the `mkdir` call itself, so there is no moment at which a wider mode shows:
/// nothing is tightened after the fact. The umask can only narrow it.
pub fn ensure_dir(dir: &Path, mode: Option<u32>) -> Result<(), FsError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    if let Some(mode) = mode {
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
    }
    builder.create(dir).or_else(|error| {
        // Another process may have created it meanwhile.
        if dir.is_dir() {
            return Ok(());
        }
        // A file in the way fails with "File exists", which reads as if all were well.
        let error = match dir.exists() {
            true => io::Error::new(
                io::ErrorKind::AlreadyExists,
                "it exists and is not a directory",
            ),
            false => error,
        };
        Err(FsError::CreateDir {
            path: dir.to_path_buf(),
            error,
        })
    })
}

/// Reads `path`, mapping "not found" to `None`.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, FsError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FsError::Read {
            path: path.to_path_buf(),
            error: source,
        }),
    }
}

/// Replaces the locked file with `contents`, atomically, with the given mode.
pub fn write_atomic(lock: &FileLock, contents: &[u8], mode: u32) -> Result<(), FsError> {
    let path = lock.target();
    let parent = parent_of(path)?;
    let err = |source| FsError::Write {
        path: path.to_path_buf(),
        error: source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(parent)
        .map_err(err)?;
    tmp.write_all(contents).map_err(err)?;
    // tempfile applies the mode through the umask; set it exactly.
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    // The rename is durable only once the directory entry is on disk.
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
    remove_stale_temp_files(parent, path);
    Ok(())
}

/// The name prefix of [`write_atomic`]'s temporary files.
const TEMP_PREFIX: &str = ".cogauth-tmp-";

/// A write takes milliseconds: a temporary file this old was left by a writer that died before
/// its rename.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes the temporary files that writers killed mid-write left in `dir` (they may hold part
/// of a secret), judging their age by the file just written, so by the file system's own clock.
/// Best effort: a file that cannot be removed stays.
fn remove_stale_temp_files(dir: &Path, written: &Path) {
    let Ok(now) = fs::metadata(written).and_then(|m| m.modified()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        let stale = entry.metadata().is_ok_and(|m| {
            m.is_file()
                && m.modified()
                    .ok()
                    .and_then(|at| now.duration_since(at).ok())
                    .is_some_and(|age| age > STALE_TEMP_AGE)
        });
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_contents_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/creds");
        let lock = FileLock::acquire(&path).unwrap();
        write_atomic(&lock, b"one", 0o600).unwrap();
        write_atomic(&lock, b"two", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn write_follows_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let lock = FileLock::acquire(&link).unwrap();
        write_atomic(&lock, b"new", 0o600).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn a_dangling_symlink_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        let lock = FileLock::acquire(&link).unwrap();
        write_atomic(&lock, b"new", 0o600).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(dir.path().join("real")).unwrap(), b"new");
    }

    #[test]
    fn a_link_and_its_target_share_one_lock() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, b"x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let held = FileLock::acquire(&real).unwrap();
        let lock_file = File::open(dir.path().join("real.lock")).unwrap();
        assert!(lock_file.try_lock().is_err(), "the target's lock is held");
        drop(held);
        let via_link = FileLock::acquire(&link).unwrap();
        assert_eq!(via_link.target(), real.as_path());
        assert!(
            File::open(dir.path().join("real.lock"))
                .unwrap()
                .try_lock()
                .is_err()
        );
    }

    #[test]
    fn missing_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_optional(&dir.path().join("nope")).unwrap(), None);
    }
}
