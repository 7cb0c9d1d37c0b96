//! One AWS INI file held under its lock for a read-modify-write, and the ownership rule.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::AwsFilesError;
use super::ini::{EditError, Ini, Section};
use crate::fsutil::{self, FileLock};

/// The key cogauth adds to every section it writes. The AWS CLI and SDKs ignore keys they do
/// not know (saml2aws's `x_security_token_expires` relies on the same rule).
pub const MANAGED_MARKER: &str = "x_cogauth_managed";

/// The mode of a rewritten file.
#[derive(Debug, Clone, Copy)]
pub(super) enum Mode {
    /// 0600 whatever it was: the file holds secrets.
    Private,
    /// The existing file's mode (a user may have made the config file group-readable); 0600
    /// for a new file.
    KeepExisting,
}

/// Who wrote a section, as far as cogauth can tell.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ownership {
    Absent,
    /// The header alone: cogauth may take it.
    Empty,
    /// It carries [`MANAGED_MARKER`].
    Owned,
    /// Someone else's: these keys are set in it.
    Foreign(Vec<String>),
}

/// A file locked from [`LockedIni::open`] until dropped, with its parsed contents.
#[derive(Debug)]
pub(super) struct LockedIni {
    /// The path as configured, for messages (the lock's target is the resolved one).
    pub path: PathBuf,
    lock: FileLock,
    original: Vec<u8>,
    existed: bool,
    mode: Mode,
    pub doc: Ini,
}

impl LockedIni {
    /// Creates the file's directory if missing (0700), takes the file's lock, then reads and
    /// parses the file (a missing file reads as empty).
    pub fn open(path: &Path, mode: Mode) -> Result<Self, AwsFilesError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fsutil::ensure_dir(parent, Some(0o700))?;
        }
        let lock = FileLock::acquire(path)?;
        let bytes = fsutil::read_optional(lock.target())?;
        let existed = bytes.is_some();
        let original = bytes.unwrap_or_default();
        let doc = Ini::parse_bytes(&original).map_err(|e| AwsFilesError::Parse {
            path: path.to_path_buf(),
            line: e.line,
            kind: e.kind,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            lock,
            original,
            existed,
            mode,
            doc,
        })
    }

    /// Opens the file only if it exists: removing nothing needs no file and no directory.
    pub fn open_existing(path: &Path, mode: Mode) -> Result<Option<Self>, AwsFilesError> {
        if fs::symlink_metadata(path).is_err() {
            return Ok(None);
        }
        Self::open(path, mode).map(Some)
    }

    /// The one section `matches` selects, by its exact header name. Two of them is an error:
    /// the AWS CLI refuses such a file, and editing one would leave the other in force.
    pub fn unique_section(
        &self,
        shown_as: &str,
        matches: impl Fn(&str) -> bool,
    ) -> Result<Option<String>, AwsFilesError> {
        let mut found = self.doc.sections().filter(|s| matches(s.name));
        let Some(first) = found.next() else {
            return Ok(None);
        };
        if let Some(second) = found.next() {
            return Err(AwsFilesError::DuplicateSection {
                path: self.path.clone(),
                section: shown_as.to_owned(),
                first: first.line(),
                second: second.line(),
            });
        }
        Ok(Some(first.name.to_owned()))
    }

    pub fn ownership(&self, section: Option<&str>) -> Ownership {
        match section.and_then(|name| self.doc.section(name)) {
            None => Ownership::Absent,
            Some(s) if is_owned(&s) => Ownership::Owned,
            Some(s) if !s.has_keys() => Ownership::Empty,
            Some(s) => Ownership::Foreign(s.entries().map(|(k, _)| k.to_owned()).collect()),
        }
    }

    pub fn foreign_error(&self, section: &str, keys: &[String]) -> AwsFilesError {
        const SHOWN: usize = 4;
        let mut listed: Vec<String> = keys.iter().take(SHOWN).map(|k| format!("`{k}`")).collect();
        if keys.len() > SHOWN {
            listed.push(format!("and {} more", keys.len() - SHOWN));
        }
        AwsFilesError::ForeignSection {
            path: self.path.clone(),
            section: section.to_owned(),
            keys: listed.join(", "),
        }
    }

    pub fn set(&mut self, section: &str, key: &str, value: &str) -> Result<(), AwsFilesError> {
        self.doc
            .set(section, key, value)
            .map_err(|error| self.edit_error(error))
    }

    /// Removes cogauth's marker and `keys` from `section`, and the section itself if no key is
    /// left in it (keys a user added by hand keep their section).
    pub fn release(&mut self, section: &str, keys: &[&str]) {
        self.doc.remove_key(section, MANAGED_MARKER);
        for key in keys {
            self.doc.remove_key(section, key);
        }
        if self.doc.section(section).is_some_and(|s| !s.has_keys()) {
            self.doc.remove_section(section);
        }
    }

    fn edit_error(&self, error: EditError) -> AwsFilesError {
        AwsFilesError::Edit {
            path: self.path.clone(),
            error,
        }
    }

    /// Writes the edited file atomically under the lock, if the edits changed anything.
    /// Returns whether it wrote.
    pub fn commit(self) -> Result<bool, AwsFilesError> {
        let bytes = self.doc.to_bytes();
        if self.existed && bytes == self.original {
            return Ok(false);
        }
        let mode = match self.mode {
            Mode::Private => 0o600,
            Mode::KeepExisting => fs::metadata(self.lock.target())
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o600),
        };
        fsutil::write_atomic(&self.lock, &bytes, mode)?;
        Ok(true)
    }
}

fn is_owned(section: &Section<'_>) -> bool {
    section
        .get(MANAGED_MARKER)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}
