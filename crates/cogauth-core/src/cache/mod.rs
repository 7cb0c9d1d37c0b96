//! The session cache: per profile, the refresh token, the ID and access tokens, the identity
//! id, the chosen role and the current AWS credentials, so that later commands refresh
//! silently instead of asking for a password.
//!
//! The store sits behind [`SessionStore`], so an OS keyring backend can be added later; the
//! one here is [`FileSessionStore`], one 0600 JSON file per profile in a 0700 directory.
//!
//! Refresh-token rotation makes the stored token single-use: two processes that both refresh
//! with it would leave one of them with a dead token. So a refresh runs under
//! [`SessionStore::lock`], and the [`SessionLock`] it returns is the proof that
//! [`SessionStore::save`] and [`SessionStore::delete`] require. Reads need no lock: every
//! write replaces the file atomically. The usual sequence is lock, load again (another process
//! may have refreshed while this one waited), refresh if still needed, save.

mod file_store;
mod session;

use std::fmt;
use std::io;
use std::path::PathBuf;

pub use file_store::FileSessionStore;
pub use session::Session;

use crate::fsutil::{FileLock, FsError};
use crate::paths::PathError;

/// Errors from the session cache; each names the file or directory and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "session cache `{path}` is corrupt ({detail}): remove it with `cogauth logout --profile {profile}`, then log in again"
    )]
    Corrupt {
        path: PathBuf,
        profile: String,
        detail: String,
    },
    #[error("invalid profile name `{0}`: use letters, digits, `-`, `_` and `.`")]
    BadProfileName(String),
    /// A caller passed the lock of another profile or store: a bug, never a user error.
    #[error("the session lock held is for `{held}`, not for `{wanted}`")]
    WrongLock { held: PathBuf, wanted: PathBuf },
    #[error("cannot make the session cache directory `{path}` private (mode 0700): {error}")]
    Permissions { path: PathBuf, error: io::Error },
    #[error("cannot list the session cache directory `{path}`: {error}")]
    List { path: PathBuf, error: io::Error },
    #[error("cannot remove the session cache `{path}`: {error}")]
    Remove { path: PathBuf, error: io::Error },
    #[error("cannot encode the session for profile `{profile}`: {message}")]
    Encode { profile: String, message: String },
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Fs(#[from] FsError),
}

/// Where sessions are kept. Implementations must be safe to use from several processes at once.
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Blocks until this process holds `profile`'s exclusive, cross-process lock.
    fn lock(&self, profile: &str) -> Result<SessionLock, CacheError>;
    /// The stored session, if any. Needs no lock.
    fn load(&self, profile: &str) -> Result<Option<Session>, CacheError>;
    /// Replaces the stored session of `session.profile`, whose lock `lock` must be.
    fn save(&self, lock: &SessionLock, session: &Session) -> Result<(), CacheError>;
    /// Removes the locked profile's session. Returns whether there was one.
    fn delete(&self, lock: &SessionLock) -> Result<bool, CacheError>;
    /// The profiles with a stored session, sorted.
    fn profiles(&self) -> Result<Vec<String>, CacheError>;
}

/// Proof that the holder has a profile's session lock; released when dropped.
#[derive(Debug)]
pub struct SessionLock {
    profile: String,
    /// The session's file, as the store names it (the lock's target may be a resolved link).
    path: PathBuf,
    file_lock: FileLock,
}

impl SessionLock {
    pub fn profile(&self) -> &str {
        &self.profile
    }
}
