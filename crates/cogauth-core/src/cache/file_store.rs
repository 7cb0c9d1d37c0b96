//! The session cache as files: `<cache dir>/<profile>.json`, mode 0600, in a 0700 directory,
//! each written atomically under `<profile>.json.lock`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{CacheError, Session, SessionLock, SessionStore};
use crate::env::Env;
use crate::fsutil::{self, FileLock};
use crate::paths;

const EXTENSION: &str = "json";

/// Sessions in a directory; see the module documentation.
#[derive(Debug, Clone)]
pub struct FileSessionStore {
    dir: PathBuf,
}

impl FileSessionStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/cogauth`, else `~/.cache/cogauth`.
    pub fn from_env(env: &dyn Env) -> Result<Self, CacheError> {
        Ok(Self::new(paths::cache_dir(env)?))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_for(&self, profile: &str) -> Result<PathBuf, CacheError> {
        // The name becomes a file name: nothing that could leave the directory.
        if !crate::config::is_valid_profile_name(profile) {
            return Err(CacheError::BadProfileName(
                profile.escape_debug().to_string(),
            ));
        }
        Ok(self.dir.join(format!("{profile}.{EXTENSION}")))
    }

    /// Creates the directory 0700, and tightens it to 0700 if it is open to others: the files
    /// are 0600, but a readable directory still shows who is logged in where.
    fn ensure_private_dir(&self) -> Result<(), CacheError> {
        fsutil::ensure_dir(&self.dir, Some(0o700))?;
        let denied = |error| CacheError::Permissions {
            path: self.dir.clone(),
            error,
        };
        let mode = fs::metadata(&self.dir)
            .map_err(denied)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700)).map_err(denied)?;
        }
        Ok(())
    }

    fn check_lock(&self, lock: &SessionLock, profile: &str) -> Result<PathBuf, CacheError> {
        let wanted = self.path_for(profile)?;
        if lock.path != wanted {
            return Err(CacheError::WrongLock {
                held: lock.path.clone(),
                wanted,
            });
        }
        Ok(wanted)
    }
}

impl SessionStore for FileSessionStore {
    fn lock(&self, profile: &str) -> Result<SessionLock, CacheError> {
        let path = self.path_for(profile)?;
        self.ensure_private_dir()?;
        let file_lock = FileLock::acquire(&path)?;
        Ok(SessionLock {
            profile: profile.to_owned(),
            path,
            file_lock,
        })
    }

    fn load(&self, profile: &str) -> Result<Option<Session>, CacheError> {
        let path = self.path_for(profile)?;
        let Some(bytes) = fsutil::read_optional(&path)? else {
            return Ok(None);
        };
        let corrupt = |detail| CacheError::Corrupt {
            path: path.clone(),
            profile: profile.to_owned(),
            detail,
        };
        let session: Session =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(describe_json_error(&e)))?;
        if session.profile != profile {
            return Err(corrupt(format!(
                "it holds the session of profile `{}`",
                session.profile.escape_debug()
            )));
        }
        Ok(Some(session))
    }

    fn save(&self, lock: &SessionLock, session: &Session) -> Result<(), CacheError> {
        self.check_lock(lock, &session.profile)?;
        let mut bytes = serde_json::to_vec_pretty(session).map_err(|e| CacheError::Encode {
            profile: session.profile.clone(),
            message: describe_json_error(&e),
        })?;
        bytes.push(b'\n');
        self.ensure_private_dir()?;
        fsutil::write_atomic(&lock.file_lock, &bytes, 0o600)?;
        Ok(())
    }

    fn delete(&self, lock: &SessionLock) -> Result<bool, CacheError> {
        let path = self.check_lock(lock, &lock.profile)?;
        // The `.lock` sidecar stays: removing it while another process waits on it would let
        // a third one lock a new file and run beside the waiter.
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(CacheError::Remove { path, error }),
        }
    }

    fn profiles(&self) -> Result<Vec<String>, CacheError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => {
                return Err(CacheError::List {
                    path: self.dir.clone(),
                    error,
                });
            }
        };
        let mut profiles = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| CacheError::List {
                path: self.dir.clone(),
                error,
            })?;
            let name = entry.file_name();
            let Some(profile) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .filter(|p| crate::config::is_valid_profile_name(p))
            else {
                continue;
            };
            profiles.push(profile.to_owned());
        }
        profiles.sort();
        Ok(profiles)
    }
}

/// Where and what kind of problem, never the text around it: serde_json quotes the offending
/// value in some messages, and here that value may be a refresh token.
fn describe_json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "JSON of the wrong shape",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{what} at line {}, column {}", e.line(), e.column())
}
