//! Hands credentials to the AWS tools through `~/.aws/credentials` and `~/.aws/config`.
//!
//! These are the user's files, shared with every AWS tool and often edited by hand, so:
//! - every edit keeps each byte it does not change: comments, blank lines, order, key case,
//!   other sections, CRLF line endings, a missing final newline ([`ini`]);
//! - every write holds the file's lock ([`crate::fsutil::FileLock`]) from the read to the
//!   atomic replace, so concurrent cogauth processes writing different profiles all land; when
//!   both files are involved they are locked in a fixed order (credentials, then config);
//! - a file that is not valid INI is an error naming the file and line, and is left untouched;
//! - the credentials file is written with mode 0600, the config file keeps its mode (0600 when
//!   new), a missing directory is created 0700, and a symlinked file is written through the link.
//!
//! ## Ownership
//!
//! Every section cogauth writes carries `x_cogauth_managed = true` ([`MANAGED_MARKER`]), a key
//! the AWS tools ignore. A section that exists, has keys and lacks the marker is **foreign**
//! (long-term keys in `[default]`, SSO settings, someone else's `credential_process`...):
//! cogauth refuses to write into it unless forced ([`AwsFilesError::ForeignSection`]), and never
//! removes anything from it. An empty section is taken over. Removing a profile removes only
//! the keys cogauth writes and the marker, then the section if no key is left in it, so keys a
//! user added by hand to a cogauth section stay.

mod config_file;
mod credentials_file;
pub mod ini;
mod locked_ini;

use std::path::{Path, PathBuf};

pub use locked_ini::MANAGED_MARKER;
use locked_ini::{LockedIni, Mode, Ownership};

use crate::Credentials;
use crate::env::Env;
use crate::fsutil::FsError;
use crate::paths::{self, PathError};

/// Errors from the AWS files; each names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AwsFilesError {
    #[error(
        "`{path}` is not a valid AWS INI file: line {line}: {kind}; cogauth left the file unchanged: fix that line or move the file away"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        kind: ini::ParseErrorKind,
    },
    #[error(
        "`{path}` already has a section `[{section}]` that cogauth did not write (it sets {keys}): use another profile name, or pass `--force` to let cogauth overwrite it"
    )]
    ForeignSection {
        path: PathBuf,
        section: String,
        keys: String,
    },
    #[error(
        "`{path}` has the section `[{section}]` twice (lines {first} and {second}): merge them by hand, then run cogauth again"
    )]
    DuplicateSection {
        path: PathBuf,
        section: String,
        first: usize,
        second: usize,
    },
    #[error("invalid profile name `{0}`: use letters, digits, `-`, `_` and `.`")]
    BadProfileName(String),
    #[error("cannot write to `{path}`: {error}")]
    Edit {
        path: PathBuf,
        error: ini::EditError,
    },
    #[error(
        "the AWS credentials file and config file are the same file `{0}`: point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE at different files"
    )]
    SameFile(PathBuf),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Fs(#[from] FsError),
}

/// A source of credentials in the default AWS profile, found by
/// [`AwsFiles::default_profile_credentials`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultProfileCredentials {
    /// The credentials or config file.
    pub file: PathBuf,
    /// The section's name as written (`default` or `profile default`).
    pub section: String,
    /// The first key found that gives credentials.
    pub key: &'static str,
}

impl std::fmt::Display for DefaultProfileCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` in [{}] of {}",
            self.key,
            self.section,
            self.file.display()
        )
    }
}

/// The AWS credentials and config files of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFiles {
    pub credentials: PathBuf,
    pub config: PathBuf,
}

impl AwsFiles {
    /// The files the AWS tools would use: `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`,
    /// else `~/.aws/credentials` and `~/.aws/config`.
    pub fn from_env(env: &dyn Env) -> Result<Self, AwsFilesError> {
        Ok(Self {
            credentials: paths::aws_credentials_file(env)?,
            config: paths::aws_config_file(env)?,
        })
    }

    /// What, in the `default` AWS profile, the SDKs take before a container-credentials server
    /// (their chains read the shared files first): keys in `[default]` of the credentials file,
    /// or keys, `credential_process`, `role_arn`, `web_identity_token_file` or SSO settings in
    /// `[default]` (or `[profile default]`) of the config file. `None` when there is none, or
    /// when a file cannot be read or parsed: this is advice, not a check that may fail.
    pub fn default_profile_credentials(&self) -> Option<DefaultProfileCredentials> {
        let find = |path: &Path, is_default: &dyn Fn(&str) -> bool, keys: &[&'static str]| {
            let bytes = crate::fsutil::read_optional(path).ok()??;
            let ini = ini::Ini::parse_bytes(&bytes).ok()?;
            ini.sections()
                .filter(|s| is_default(s.name))
                .find_map(|section| {
                    let key = keys
                        .iter()
                        .find(|k| section.get(k).is_some_and(|v| !v.trim().is_empty()))?;
                    Some(DefaultProfileCredentials {
                        file: path.to_path_buf(),
                        section: section.name.to_owned(),
                        key,
                    })
                })
        };
        find(
            &self.credentials,
            &|name| name == "default",
            &["aws_access_key_id"],
        )
        .or_else(|| {
            find(
                &self.config,
                &|name| config_file::names_profile(name, "default"),
                &[
                    "aws_access_key_id",
                    "credential_process",
                    "role_arn",
                    "web_identity_token_file",
                    "sso_session",
                    "sso_start_url",
                ],
            )
        })
    }

    /// Writes `creds` in the credentials file's `[profile]` section (`aws_access_key_id`,
    /// `aws_secret_access_key`, `aws_session_token`, `x_security_token_expires` in RFC 3339)
    /// and `region`, if given, in the config file's section for the profile. A
    /// `credential_process` cogauth wrote earlier for the profile is removed, since the
    /// profile now has static credentials.
    ///
    /// Refuses with [`AwsFilesError::ForeignSection`] if either section is foreign, unless
    /// `force`. A foreign config section that already has the same region needs no change and
    /// is not a reason to refuse.
    pub fn write_credentials(
        &self,
        profile: &str,
        creds: &Credentials,
        region: Option<&str>,
        force: bool,
    ) -> Result<(), AwsFilesError> {
        self.check(profile)?;
        let mut credentials = LockedIni::open(&self.credentials, Mode::Private)?;
        let mut config = if region.is_some() {
            Some(LockedIni::open(&self.config, Mode::KeepExisting)?)
        } else {
            LockedIni::open_existing(&self.config, Mode::KeepExisting)?
        };

        let section = credentials_file::find(&credentials, profile)?;
        if let Ownership::Foreign(keys) = credentials.ownership(section.as_deref())
            && !force
        {
            return Err(credentials.foreign_error(profile, &keys));
        }
        let section = section.unwrap_or_else(|| profile.to_owned());
        credentials_file::set_credentials(&mut credentials, &section, creds)?;

        if let Some(config) = &mut config {
            let found = config_file::find(config, profile)?;
            let ownership = config.ownership(found.as_deref());
            let section = found.unwrap_or_else(|| config_file::section_name(profile));
            match (&ownership, region) {
                (Ownership::Foreign(keys), Some(region)) if !force => {
                    let same = config
                        .doc
                        .section(&section)
                        .and_then(|s| s.get("region"))
                        .is_some_and(|r| r == region);
                    if !same {
                        return Err(config.foreign_error(&section, keys));
                    }
                }
                (_, Some(region)) => {
                    config.set(&section, MANAGED_MARKER, "true")?;
                    config.set(&section, "region", region)?;
                }
                (_, None) => {}
            }
            if ownership == Ownership::Owned {
                config.doc.remove_key(&section, "credential_process");
            }
        }

        credentials.commit()?;
        if let Some(config) = config {
            config.commit()?;
        }
        Ok(())
    }

    /// Writes `credential_process = <command>` (and `region`, if given) in the config file's
    /// section for the profile, and removes from the credentials file the keys cogauth wrote
    /// for it: static keys there would be used instead of the process and go stale.
    ///
    /// Refuses with [`AwsFilesError::ForeignSection`] if the config section is foreign, or if
    /// a foreign credentials section has static keys that would shadow the process, unless
    /// `force` (which then removes those keys).
    pub fn write_credential_process(
        &self,
        profile: &str,
        command: &str,
        region: Option<&str>,
        force: bool,
    ) -> Result<(), AwsFilesError> {
        self.check(profile)?;
        let mut credentials = LockedIni::open_existing(&self.credentials, Mode::Private)?;
        let mut config = LockedIni::open(&self.config, Mode::KeepExisting)?;

        let found = config_file::find(&config, profile)?;
        if let Ownership::Foreign(keys) = config.ownership(found.as_deref())
            && !force
        {
            return Err(config.foreign_error(found.as_deref().unwrap_or(profile), &keys));
        }
        let section = found.unwrap_or_else(|| config_file::section_name(profile));

        if let Some(credentials) = &mut credentials
            && let Some(found) = credentials_file::find(credentials, profile)?
        {
            match credentials.ownership(Some(&found)) {
                Ownership::Owned => credentials.release(&found, credentials_file::KEYS),
                Ownership::Foreign(keys) => {
                    let shadowing = keys.iter().any(|k| {
                        credentials_file::SHADOWING_KEYS
                            .iter()
                            .any(|s| k.eq_ignore_ascii_case(s))
                    });
                    if shadowing && !force {
                        return Err(credentials.foreign_error(&found, &keys));
                    }
                    if shadowing {
                        for key in credentials_file::SHADOWING_KEYS {
                            credentials.doc.remove_key(&found, key);
                        }
                        if credentials
                            .doc
                            .section(&found)
                            .is_some_and(|s| !s.has_keys())
                        {
                            credentials.doc.remove_section(&found);
                        }
                    }
                }
                Ownership::Absent | Ownership::Empty => {}
            }
        }

        config.set(&section, MANAGED_MARKER, "true")?;
        config.set(&section, "credential_process", command)?;
        if let Some(region) = region {
            config.set(&section, "region", region)?;
        }

        if let Some(credentials) = credentials {
            credentials.commit()?;
        }
        config.commit()?;
        Ok(())
    }

    /// Replaces the keys in `profile`'s credentials-file section with `creds`, only if that
    /// section is cogauth's and holds cogauth's keys; anything else is left as it is, and the
    /// config file is not even opened. Returns whether the file was rewritten.
    ///
    /// This is the only write a silent refresh makes: a refresh keeps a credentials-file
    /// hand-over current, and can never turn a `credential_process` profile into one with
    /// plaintext keys, nor take over a section, nor remove `credential_process`.
    pub fn refresh_credentials(
        &self,
        profile: &str,
        creds: &Credentials,
    ) -> Result<bool, AwsFilesError> {
        self.check(profile)?;
        let Some(mut credentials) = LockedIni::open_existing(&self.credentials, Mode::Private)?
        else {
            return Ok(false);
        };
        let Some(section) = credentials_file::find(&credentials, profile)? else {
            return Ok(false);
        };
        let holds_our_keys = credentials.ownership(Some(&section)) == Ownership::Owned
            && credentials
                .doc
                .section(&section)
                .is_some_and(|s| s.get("aws_access_key_id").is_some());
        if !holds_our_keys {
            return Ok(false);
        }
        credentials_file::set_credentials(&mut credentials, &section, creds)?;
        credentials.commit()
    }

    /// Removes what cogauth wrote for `profile` from both files: its keys and marker, and each
    /// section if nothing else is left in it. Foreign sections are left alone. Missing files
    /// are not created. Returns whether anything was removed.
    pub fn remove_profile(&self, profile: &str) -> Result<bool, AwsFilesError> {
        self.check(profile)?;
        let mut credentials = LockedIni::open_existing(&self.credentials, Mode::Private)?;
        let mut config = LockedIni::open_existing(&self.config, Mode::KeepExisting)?;
        let mut removed = false;
        if let Some(file) = &mut credentials
            && let Some(section) = credentials_file::find(file, profile)?
            && file.ownership(Some(&section)) == Ownership::Owned
        {
            file.release(&section, credentials_file::KEYS);
            removed = true;
        }
        if let Some(file) = &mut config
            && let Some(section) = config_file::find(file, profile)?
            && file.ownership(Some(&section)) == Ownership::Owned
        {
            file.release(&section, config_file::KEYS);
            removed = true;
        }
        if let Some(file) = credentials {
            file.commit()?;
        }
        if let Some(file) = config {
            file.commit()?;
        }
        Ok(removed)
    }

    fn check(&self, profile: &str) -> Result<(), AwsFilesError> {
        // Profile names become section headers: nothing that could break out of `[...]`.
        if !crate::config::is_valid_profile_name(profile) {
            return Err(AwsFilesError::BadProfileName(
                profile.escape_debug().to_string(),
            ));
        }
        if same_file(&self.credentials, &self.config) {
            return Err(AwsFilesError::SameFile(self.config.clone()));
        }
        Ok(())
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}
