//! `~/.aws/config`: `[default]` for the default profile, `[profile <name>]` for the others.

use super::AwsFilesError;
use super::locked_ini::LockedIni;

/// The keys cogauth writes in a config-file section.
pub(super) const KEYS: &[&str] = &["credential_process", "region"];

/// The header cogauth writes for `profile`.
pub(super) fn section_name(profile: &str) -> String {
    if profile == "default" {
        profile.to_owned()
    } else {
        format!("profile {profile}")
    }
}

/// Whether the header `name` is `profile`'s section as the AWS CLI reads it: `[profile P]`
/// with any spacing, and for the default profile also `[default]`. A bare `[P]` is not
/// profile P in the config file, so it is left alone.
pub(super) fn names_profile(name: &str, profile: &str) -> bool {
    let mut words = name.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("profile"), Some(p), None) => p == profile,
        (Some("default"), None, None) => profile == "default",
        _ => false,
    }
}

/// The section of `profile`, by its exact header name (which may be spelled `profile  P`).
pub(super) fn find(file: &LockedIni, profile: &str) -> Result<Option<String>, AwsFilesError> {
    file.unique_section(&section_name(profile), |name| names_profile(name, profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_headers_are_read_as_the_aws_cli_does() {
        assert!(names_profile("default", "default"));
        assert!(names_profile("profile default", "default"));
        assert!(names_profile("profile   dev", "dev"));
        assert!(!names_profile("dev", "dev"));
        assert!(!names_profile("profile dev extra", "dev"));
        assert!(!names_profile("sso-session dev", "dev"));
        assert_eq!(section_name("default"), "default");
        assert_eq!(section_name("dev"), "profile dev");
    }
}
