//! Where cogauth's files live, resolved through the [`Env`] seam.
//!
//! | file | location |
//! |---|---|
//! | user config | `$COGAUTH_CONFIG`, else `$XDG_CONFIG_HOME/cogauth/config.toml`, else `~/.config/cogauth/config.toml` |
//! | admin config | `admin.toml` beside the user config |
//! | session cache | `$XDG_CACHE_HOME/cogauth`, else `~/.cache/cogauth` |
//! | AWS credentials | `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials` |
//! | AWS config | `$AWS_CONFIG_FILE`, else `~/.aws/config` |
//! | legacy config | `~/.cognito-cli-config.json` (the original tool's) |

use std::path::PathBuf;

use crate::env::{Env, vars};

/// A path could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("HOME is not set: set HOME, or set {0} to an absolute path")]
    NoHome(&'static str),
}

fn home(env: &dyn Env, needed_for: &'static str) -> Result<PathBuf, PathError> {
    env.var(vars::HOME)
        .map(PathBuf::from)
        .ok_or(PathError::NoHome(needed_for))
}

/// Expands a leading `~/` the way the AWS tools do for their file variables.
fn expand_tilde(
    env: &dyn Env,
    value: String,
    needed_for: &'static str,
) -> Result<PathBuf, PathError> {
    match value.strip_prefix("~/") {
        Some(rest) => Ok(home(env, needed_for)?.join(rest)),
        None => Ok(PathBuf::from(value)),
    }
}

pub fn config_file(env: &dyn Env) -> Result<PathBuf, PathError> {
    if let Some(path) = env.var(vars::COGAUTH_CONFIG) {
        return expand_tilde(env, path, vars::COGAUTH_CONFIG);
    }
    if let Some(base) = env.var(vars::XDG_CONFIG_HOME) {
        return Ok(PathBuf::from(base).join("cogauth/config.toml"));
    }
    Ok(home(env, vars::COGAUTH_CONFIG)?.join(".config/cogauth/config.toml"))
}

/// The directories that are cogauth's own, created at mode 0700: the config directory (unless
/// `COGAUTH_CONFIG` puts the config elsewhere, in a directory that is the user's) and the
/// session cache.
pub fn owned_dirs(env: &dyn Env) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if env.var(vars::COGAUTH_CONFIG).is_none()
        && let Some(dir) = config_file(env)
            .ok()
            .and_then(|f| f.parent().map(PathBuf::from))
    {
        dirs.push(dir);
    }
    dirs.extend(cache_dir(env).ok());
    dirs
}

pub fn admin_config_file(env: &dyn Env) -> Result<PathBuf, PathError> {
    Ok(config_file(env)?.with_file_name("admin.toml"))
}

pub fn cache_dir(env: &dyn Env) -> Result<PathBuf, PathError> {
    if let Some(base) = env.var(vars::XDG_CACHE_HOME) {
        return Ok(PathBuf::from(base).join("cogauth"));
    }
    Ok(home(env, vars::XDG_CACHE_HOME)?.join(".cache/cogauth"))
}

pub fn aws_credentials_file(env: &dyn Env) -> Result<PathBuf, PathError> {
    match env.var(vars::AWS_SHARED_CREDENTIALS_FILE) {
        Some(path) => expand_tilde(env, path, vars::AWS_SHARED_CREDENTIALS_FILE),
        None => Ok(home(env, vars::AWS_SHARED_CREDENTIALS_FILE)?.join(".aws/credentials")),
    }
}

pub fn aws_config_file(env: &dyn Env) -> Result<PathBuf, PathError> {
    match env.var(vars::AWS_CONFIG_FILE) {
        Some(path) => expand_tilde(env, path, vars::AWS_CONFIG_FILE),
        None => Ok(home(env, vars::AWS_CONFIG_FILE)?.join(".aws/config")),
    }
}

/// The original tool's user config, `~/.cognito-cli-config.json`; `None` without a HOME.
pub fn legacy_config_file(env: &dyn Env) -> Option<PathBuf> {
    env.var(vars::HOME)
        .map(|h| PathBuf::from(h).join(".cognito-cli-config.json"))
}

/// The original tool's admin config, `~/.cognito-admin-config.json`; `None` without a HOME.
pub fn legacy_admin_config_file(env: &dyn Env) -> Option<PathBuf> {
    env.var(vars::HOME)
        .map(|h| PathBuf::from(h).join(".cognito-admin-config.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn config_precedence() {
        let env = MapEnv::new().with("HOME", "/h");
        assert_eq!(
            config_file(&env).unwrap(),
            PathBuf::from("/h/.config/cogauth/config.toml")
        );
        let env = env.with("XDG_CONFIG_HOME", "/x");
        assert_eq!(
            config_file(&env).unwrap(),
            PathBuf::from("/x/cogauth/config.toml")
        );
        let env = env.with("COGAUTH_CONFIG", "~/c.toml");
        assert_eq!(config_file(&env).unwrap(), PathBuf::from("/h/c.toml"));
        assert_eq!(
            admin_config_file(&env).unwrap(),
            PathBuf::from("/h/admin.toml")
        );
    }

    #[test]
    fn owned_dirs_are_the_config_and_cache_dirs_unless_the_config_is_elsewhere() {
        let env = MapEnv::new().with("HOME", "/h");
        assert_eq!(
            owned_dirs(&env),
            vec![
                PathBuf::from("/h/.config/cogauth"),
                PathBuf::from("/h/.cache/cogauth")
            ]
        );
        let env = env.with("COGAUTH_CONFIG", "/h/c.toml");
        assert_eq!(owned_dirs(&env), vec![PathBuf::from("/h/.cache/cogauth")]);
    }

    #[test]
    fn aws_files_honour_their_variables() {
        let env = MapEnv::new().with("HOME", "/h");
        assert_eq!(
            aws_credentials_file(&env).unwrap(),
            PathBuf::from("/h/.aws/credentials")
        );
        let env = env.with("AWS_CONFIG_FILE", "/elsewhere/config");
        assert_eq!(
            aws_config_file(&env).unwrap(),
            PathBuf::from("/elsewhere/config")
        );
    }

    #[test]
    fn missing_home_is_a_clear_error() {
        let err = cache_dir(&MapEnv::new()).unwrap_err();
        assert!(err.to_string().contains("HOME is not set"), "{err}");
    }
}
