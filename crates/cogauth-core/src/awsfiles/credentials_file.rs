//! `~/.aws/credentials`: one `[<profile>]` section per profile, no `profile ` prefix.

use chrono::SecondsFormat;

use super::AwsFilesError;
use super::locked_ini::{LockedIni, MANAGED_MARKER};
use crate::Credentials;

/// The keys cogauth writes in a credentials-file section.
pub(super) const KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
];

/// Keys that give a profile static credentials, which the AWS tools use before (and so
/// instead of) the config file's `credential_process`.
pub(super) const SHADOWING_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

/// The section of `profile`, by its exact name.
pub(super) fn find(file: &LockedIni, profile: &str) -> Result<Option<String>, AwsFilesError> {
    file.unique_section(profile, |name| name == profile)
}

/// Writes `creds` in `[section]`, creating it if needed.
pub(super) fn set_credentials(
    file: &mut LockedIni,
    section: &str,
    creds: &Credentials,
) -> Result<(), AwsFilesError> {
    let expires = creds.expiration.to_rfc3339_opts(SecondsFormat::Secs, true);
    for (key, value) in [
        (MANAGED_MARKER, "true"),
        ("aws_access_key_id", creds.access_key_id.as_str()),
        ("aws_secret_access_key", creds.secret_access_key()),
        ("aws_session_token", creds.session_token()),
        ("x_security_token_expires", &expires),
    ] {
        file.set(section, key, value)?;
    }
    Ok(())
}
