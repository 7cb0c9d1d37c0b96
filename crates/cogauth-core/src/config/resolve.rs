//! Settings resolved in one place: flags, then environment, then the config file (or the
//! legacy JSON file), then defaults. Every value remembers where it came from, for
//! `cogauth status`, and every value is validated here, before any request is made.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::file::{ConfigFile, ProfileConfig};
use super::{
    AuthFlow, AwsIntegration, ConfigError, DEFAULT_DURATION_HOURS, DEFAULT_OAUTH_SCOPES,
    DEFAULT_PROFILE, DEFAULT_REDIRECT_URI, IdentityFlow, PreferredChallenge, ids, legacy,
};
use crate::env::{Env, vars};
use crate::paths;

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env(&'static str),
    File(PathBuf),
    Legacy(PathBuf),
    /// The admin config (`admin.toml`, or the original's `~/.cognito-admin-config.json`).
    AdminConfig(PathBuf),
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag => f.write_str("flag"),
            Self::Env(name) => write!(f, "env {name}"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::Legacy(path) => write!(f, "legacy file {}", path.display()),
            Self::AdminConfig(path) => write!(f, "admin config {}", path.display()),
            Self::Default => f.write_str("default"),
        }
    }
}

impl Origin {
    /// One word for tables and JSON: flag, env, file, legacy, admin or default.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Flag => "flag",
            Self::Env(_) => "env",
            Self::File(_) => "file",
            Self::Legacy(_) => "legacy",
            Self::AdminConfig(_) => "admin",
            Self::Default => "default",
        }
    }
}

/// A value and its origin.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

/// What the command line says; `None` means "not given".
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub profile: Option<String>,
    pub values: ProfileConfig,
}

/// The resolved settings of one profile.
#[derive(Debug, Clone)]
pub struct Settings {
    pub profile: Sourced<String>,
    /// The TOML file consulted (it may not exist).
    pub config_path: PathBuf,
    pub user_pool_id: Option<Sourced<String>>,
    pub client_id: Option<Sourced<String>>,
    pub client_secret: Option<Sourced<SecretString>>,
    pub identity_pool_id: Option<Sourced<String>>,
    pub region: Option<Sourced<String>>,
    pub username: Option<Sourced<String>>,
    pub auth_flow: Sourced<AuthFlow>,
    pub identity_flow: Sourced<IdentityFlow>,
    pub role_arn: Option<Sourced<String>>,
    pub duration_hours: Sourced<u32>,
    pub lambda_function: Option<Sourced<String>>,
    pub aws_integration: Sourced<AwsIntegration>,
    pub managed_login_url: Option<Sourced<String>>,
    /// The first factor a choice-based sign-in asks for, when the pool offers it.
    pub preferred_challenge: Option<Sourced<PreferredChallenge>>,
    /// Whether a custom sign-in proves the password by SRP first.
    pub custom_with_srp: Sourced<bool>,
    /// The browser flow's callback URL.
    pub redirect_uri: Sourced<String>,
    pub identity_provider: Option<Sourced<String>>,
    /// Space-separated OAuth scopes for the browser flow.
    pub oauth_scopes: Sourced<String>,
    /// The profiles of the config file, when it exists but lacks this one (most likely a
    /// typo): a missing value is then reported as the missing profile.
    other_profiles: Option<Vec<String>>,
}

/// Picks the first present value: flag, env, file.
fn pick<T: Clone>(
    flag: &Option<T>,
    env: Option<(T, &'static str)>,
    file: &Option<T>,
    file_origin: &Origin,
) -> Option<Sourced<T>> {
    if let Some(v) = flag {
        return Some(Sourced {
            value: v.clone(),
            origin: Origin::Flag,
        });
    }
    if let Some((v, name)) = env {
        return Some(Sourced {
            value: v,
            origin: Origin::Env(name),
        });
    }
    file.as_ref().map(|v| Sourced {
        value: v.clone(),
        origin: file_origin.clone(),
    })
}

/// The profile to use: `--profile`, else `COGAUTH_PROFILE`, else the file's `default_profile`,
/// else "default". `cogauth configure` and every command that reads a profile agree on it.
pub fn profile_name(
    env: &dyn Env,
    flag: Option<&str>,
    file: Option<&ConfigFile>,
    config_path: &Path,
) -> Result<Sourced<String>, ConfigError> {
    let profile = match (flag, env.var(vars::COGAUTH_PROFILE)) {
        (Some(p), _) => Sourced {
            value: p.to_owned(),
            origin: Origin::Flag,
        },
        (None, Some(p)) => Sourced {
            value: p,
            origin: Origin::Env(vars::COGAUTH_PROFILE),
        },
        (None, None) => match file.and_then(|f| f.default_profile.clone()) {
            Some(p) => Sourced {
                value: p,
                origin: Origin::File(config_path.to_path_buf()),
            },
            None => Sourced {
                value: DEFAULT_PROFILE.to_owned(),
                origin: Origin::Default,
            },
        },
    };
    if !super::is_valid_profile_name(&profile.value) {
        return Err(ConfigError::BadProfileName(profile.value));
    }
    Ok(profile)
}

impl Settings {
    /// Resolves the settings of the selected profile. A profile that nothing defines is an
    /// error that lists the profiles there are: it is most likely a typo, and going on would
    /// only fail later with a vaguer message (or, in `status`, not at all).
    ///
    /// A profile is defined by the config file; by the original's JSON config while no config
    /// file exists (it served every profile); or by the flags or the environment when they
    /// give the user pool id (the original's environment-only setup).
    pub fn load(env: &dyn Env, overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::resolve(env, overrides, true)
    }

    /// [`Settings::load`] for a profile that may exist only in the session cache, for
    /// `logout` and for `configure`'s current values: an unknown profile resolves to nothing
    /// set rather than an error.
    pub fn load_allowing_unknown_profile(
        env: &dyn Env,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        Self::resolve(env, overrides, false)
    }

    fn resolve(env: &dyn Env, overrides: &Overrides, strict: bool) -> Result<Self, ConfigError> {
        let config_path = paths::config_file(env)?;
        let file = ConfigFile::load(&config_path)?;
        let profile = profile_name(
            env,
            overrides.profile.as_deref(),
            file.as_ref(),
            &config_path,
        )?;

        let other_profiles = file
            .as_ref()
            .filter(|f| !f.profiles.contains_key(&profile.value))
            .map(|f| f.profiles.keys().cloned().collect());
        let (stored, file_origin) = match &file {
            Some(f) => (
                f.profiles.get(&profile.value).cloned().unwrap_or_default(),
                Origin::File(config_path.clone()),
            ),
            None => match paths::legacy_config_file(env) {
                Some(legacy_path) => match legacy::load(&legacy_path)? {
                    Some(p) => (p, Origin::Legacy(legacy_path)),
                    None => (ProfileConfig::default(), Origin::Default),
                },
                None => (ProfileConfig::default(), Origin::Default),
            },
        };
        let flags = &overrides.values;
        let from_env = |name: &'static str| env.var(name).map(|v| (v, name));

        let user_pool_id = pick(
            &flags.user_pool_id,
            from_env(vars::COGNITO_USER_POOL_ID),
            &stored.user_pool_id,
            &file_origin,
        );
        let defined_here = match &file {
            Some(f) => f.profiles.contains_key(&profile.value),
            None => matches!(file_origin, Origin::Legacy(_)),
        };
        if strict && !defined_here && user_pool_id.is_none() {
            return Err(match &file {
                Some(f) => ConfigError::ProfileNotFound {
                    profile: profile.value,
                    path: config_path,
                    available: f.profiles.keys().cloned().collect(),
                    legacy: paths::legacy_config_file(env).filter(|p| p.exists()),
                },
                None => ConfigError::NotConfigured {
                    profile: profile.value,
                    path: config_path,
                },
            });
        }
        let region = pick(
            &flags.region,
            from_env(vars::AWS_REGION),
            &stored.region,
            &file_origin,
        )
        .or_else(|| {
            let pool = user_pool_id.as_ref()?;
            let region = ids::region_of_user_pool(&pool.value)?;
            Some(Sourced {
                value: region.to_owned(),
                origin: Origin::Default,
            })
        });
        let settings = Self {
            user_pool_id,
            client_id: pick(
                &flags.client_id,
                from_env(vars::COGNITO_CLIENT_ID),
                &stored.client_id,
                &file_origin,
            ),
            client_secret: pick(
                &flags.client_secret,
                None,
                &stored.client_secret,
                &file_origin,
            ),
            identity_pool_id: pick(
                &flags.identity_pool_id,
                from_env(vars::COGNITO_IDENTITY_POOL_ID),
                &stored.identity_pool_id,
                &file_origin,
            ),
            region,
            username: pick(&flags.username, None, &stored.username, &file_origin),
            auth_flow: pick(&flags.auth_flow, None, &stored.auth_flow, &file_origin).unwrap_or(
                Sourced {
                    value: AuthFlow::default(),
                    origin: Origin::Default,
                },
            ),
            identity_flow: pick(
                &flags.identity_flow,
                None,
                &stored.identity_flow,
                &file_origin,
            )
            .unwrap_or(Sourced {
                value: IdentityFlow::default(),
                origin: Origin::Default,
            }),
            role_arn: pick(&flags.role_arn, None, &stored.role_arn, &file_origin),
            duration_hours: pick(
                &flags.duration_hours,
                None,
                &stored.duration_hours,
                &file_origin,
            )
            .unwrap_or(Sourced {
                value: DEFAULT_DURATION_HOURS,
                origin: Origin::Default,
            }),
            lambda_function: match pick(
                &flags.lambda_function,
                None,
                &stored.lambda_function,
                &file_origin,
            ) {
                // The original's login always tried the proxy its admin config named.
                None if matches!(file_origin, Origin::Legacy(_)) => {
                    Some(super::admin_names::lambda_function_for_legacy(env)?)
                }
                found => found,
            },
            aws_integration: pick(
                &flags.aws_integration,
                None,
                &stored.aws_integration,
                &file_origin,
            )
            .unwrap_or(Sourced {
                value: AwsIntegration::default(),
                origin: Origin::Default,
            }),
            managed_login_url: pick(
                &flags.managed_login_url,
                None,
                &stored.managed_login_url,
                &file_origin,
            ),
            preferred_challenge: pick(
                &flags.preferred_challenge,
                None,
                &stored.preferred_challenge,
                &file_origin,
            ),
            custom_with_srp: pick(
                &flags.custom_with_srp,
                None,
                &stored.custom_with_srp,
                &file_origin,
            )
            .unwrap_or(Sourced {
                value: false,
                origin: Origin::Default,
            }),
            redirect_uri: pick(
                &flags.redirect_uri,
                None,
                &stored.redirect_uri,
                &file_origin,
            )
            .unwrap_or(Sourced {
                value: DEFAULT_REDIRECT_URI.to_owned(),
                origin: Origin::Default,
            }),
            identity_provider: pick(
                &flags.identity_provider,
                None,
                &stored.identity_provider,
                &file_origin,
            ),
            oauth_scopes: pick(
                &flags.oauth_scopes,
                None,
                &stored.oauth_scopes,
                &file_origin,
            )
            .unwrap_or(Sourced {
                value: DEFAULT_OAUTH_SCOPES.to_owned(),
                origin: Origin::Default,
            }),
            profile,
            config_path,
            other_profiles,
        };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let strings = [
            ("user_pool_id", &self.user_pool_id),
            ("client_id", &self.client_id),
            ("identity_pool_id", &self.identity_pool_id),
            ("region", &self.region),
            ("role_arn", &self.role_arn),
            ("managed_login_url", &self.managed_login_url),
            ("identity_provider", &self.identity_provider),
        ];
        for (key, value) in strings {
            if let Some(v) = value {
                super::check_value(key, &v.value, &v.origin)?;
            }
        }
        for (key, v) in [
            ("redirect_uri", &self.redirect_uri),
            ("oauth_scopes", &self.oauth_scopes),
        ] {
            super::check_value(key, &v.value, &v.origin)?;
        }
        super::check_duration(self.duration_hours.value, &self.duration_hours.origin)
    }

    fn missing(&self, key: &'static str, env_var: Option<&str>) -> ConfigError {
        if let Some(others) = &self.other_profiles {
            return ConfigError::ProfileNotFound {
                profile: self.profile.value.clone(),
                path: self.config_path.clone(),
                available: others.clone(),
                legacy: None,
            };
        }
        ConfigError::Missing {
            key,
            profile: self.profile.value.clone(),
            hint: env_var.map(|v| format!(" or set {v}")).unwrap_or_default(),
        }
    }

    pub fn require_user_pool_id(&self) -> Result<&str, ConfigError> {
        self.user_pool_id
            .as_ref()
            .map(|v| v.value.as_str())
            .ok_or_else(|| self.missing("user_pool_id", Some(vars::COGNITO_USER_POOL_ID)))
    }

    pub fn require_client_id(&self) -> Result<&str, ConfigError> {
        self.client_id
            .as_ref()
            .map(|v| v.value.as_str())
            .ok_or_else(|| self.missing("client_id", Some(vars::COGNITO_CLIENT_ID)))
    }

    pub fn require_identity_pool_id(&self) -> Result<&str, ConfigError> {
        self.identity_pool_id
            .as_ref()
            .map(|v| v.value.as_str())
            .ok_or_else(|| self.missing("identity_pool_id", Some(vars::COGNITO_IDENTITY_POOL_ID)))
    }

    pub fn require_region(&self) -> Result<&str, ConfigError> {
        match &self.region {
            Some(v) => Ok(v.value.as_str()),
            // The region defaults from the user pool id: without one, that is what is missing.
            None if self.user_pool_id.is_none() => {
                Err(self.missing("user_pool_id", Some(vars::COGNITO_USER_POOL_ID)))
            }
            None => Err(self.missing("region", Some(vars::AWS_REGION))),
        }
    }

    pub fn require_role_arn(&self) -> Result<&str, ConfigError> {
        self.role_arn
            .as_ref()
            .map(|v| v.value.as_str())
            .ok_or_else(|| self.missing("role_arn", None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    fn home_with(config: &str) -> (tempfile::TempDir, MapEnv) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".config/cogauth/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, config).unwrap();
        let env = MapEnv::new().with("HOME", dir.path().to_str().unwrap());
        (dir, env)
    }

    const FILE: &str = r#"
[profiles.default]
user_pool_id = "eu-west-1_FilePool"
client_id = "fileclient"
identity_pool_id = "eu-west-1:8f1c2a3b-1234-4abc-9def-0123456789ab"

[profiles.work]
user_pool_id = "us-east-2_Work"
client_id = "workclient"
duration_hours = 8
"#;

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let (_dir, env) = home_with(FILE);
        let s = Settings::load(&env, &Overrides::default()).unwrap();
        assert_eq!(s.profile.value, "default");
        assert_eq!(s.user_pool_id.as_ref().unwrap().origin.kind(), "file");
        assert_eq!(s.region.as_ref().unwrap().value, "eu-west-1");
        assert_eq!(s.region.as_ref().unwrap().origin, Origin::Default);

        let env = env
            .with("COGNITO_CLIENT_ID", "envclient")
            .with("AWS_REGION", "eu-west-2");
        let mut overrides = Overrides::default();
        overrides.values.client_id = Some("flagclient".into());
        let s = Settings::load(&env, &overrides).unwrap();
        assert_eq!(s.client_id.as_ref().unwrap().value, "flagclient");
        assert_eq!(s.client_id.as_ref().unwrap().origin, Origin::Flag);
        assert_eq!(s.region.as_ref().unwrap().value, "eu-west-2");
        assert_eq!(s.region.as_ref().unwrap().origin, Origin::Env("AWS_REGION"));
    }

    #[test]
    fn profile_from_env_and_flag() {
        let (_dir, env) = home_with(FILE);
        let env = env.with("COGAUTH_PROFILE", "work");
        let s = Settings::load(&env, &Overrides::default()).unwrap();
        assert_eq!(s.profile.value, "work");
        assert_eq!(s.duration_hours.value, 8);
        assert_eq!(s.require_client_id().unwrap(), "workclient");
        let err = s.require_identity_pool_id().unwrap_err().to_string();
        assert!(err.contains("cogauth configure --profile work"), "{err}");
        assert!(err.contains("COGNITO_IDENTITY_POOL_ID"), "{err}");
    }

    #[test]
    fn invalid_values_name_their_origin() {
        let (_dir, env) = home_with(FILE);
        let env = env.with("COGNITO_USER_POOL_ID", "not-a-pool");
        let err = Settings::load(&env, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("user_pool_id") && err.contains("env COGNITO_USER_POOL_ID"),
            "{err}"
        );
    }

    #[test]
    fn legacy_json_is_used_when_no_toml_exists() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".cognito-cli-config.json"),
            r#"{"user_pool_id":"us-west-2_Legacy","client_id":"legacyclient","identity_pool_id":"us-west-2:8f1c2a3b-1234-4abc-9def-0123456789ab"}"#,
        )
        .unwrap();
        let env = MapEnv::new().with("HOME", dir.path().to_str().unwrap());
        let s = Settings::load(&env, &Overrides::default()).unwrap();
        assert_eq!(s.require_user_pool_id().unwrap(), "us-west-2_Legacy");
        assert_eq!(s.user_pool_id.unwrap().origin.kind(), "legacy");
    }

    #[test]
    fn an_unknown_profile_is_an_error_that_lists_the_known_ones() {
        let (dir, env) = home_with(FILE);
        let typo = Overrides {
            profile: Some("wrok".into()),
            ..Default::default()
        };
        let err = Settings::load(&env, &typo).unwrap_err().to_string();
        assert!(
            err.contains("profile `wrok` is not in")
                && err.contains("profiles there: default, work")
                && err.contains("did you mean `work`?"),
            "{err}"
        );
        // With the original's JSON beside it, the error names the import.
        std::fs::write(dir.path().join(".cognito-cli-config.json"), "{}").unwrap();
        let err = Settings::load(&env, &typo).unwrap_err().to_string();
        assert!(
            err.contains(".cognito-cli-config.json")
                && err.contains("cogauth configure --profile wrok --import-legacy"),
            "{err}"
        );
        // The environment can define a profile, as in the original.
        let env = env.with("COGNITO_USER_POOL_ID", "us-east-1_FromEnv");
        assert_eq!(Settings::load(&env, &typo).unwrap().profile.value, "wrok");
        // logout and configure may look at a profile that is not there.
        let (_dir, env) = home_with(FILE);
        let s = Settings::load_allowing_unknown_profile(&env, &typo).unwrap();
        assert!(s.user_pool_id.is_none());
    }

    #[test]
    fn with_nothing_configured_the_error_says_how_to_configure() {
        let dir = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with("HOME", dir.path().to_str().unwrap());
        let err = Settings::load(&env, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("profile `default` is not configured")
                && err.contains("cogauth configure --profile default")
                && err.contains("COGNITO_USER_POOL_ID"),
            "{err}"
        );
    }

    #[test]
    fn the_legacy_profile_takes_the_proxy_name_from_the_admin_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".cognito-cli-config.json"),
            r#"{"user_pool_id":"us-west-2_Legacy","client_id":"legacyclient"}"#,
        )
        .unwrap();
        let env = MapEnv::new().with("HOME", dir.path().to_str().unwrap());
        let s = Settings::load(&env, &Overrides::default()).unwrap();
        let lambda = s.lambda_function.unwrap();
        assert_eq!(lambda.value, crate::config::DEFAULT_LAMBDA_FUNCTION);
        assert_eq!(lambda.origin, Origin::Default);

        let admin = dir.path().join(".cognito-admin-config.json");
        std::fs::write(
            &admin,
            r#"{"aws_service_names": {"lambda_function_name": "team-proxy"}}"#,
        )
        .unwrap();
        let s = Settings::load(&env, &Overrides::default()).unwrap();
        let lambda = s.lambda_function.unwrap();
        assert_eq!(lambda.value, "team-proxy");
        assert_eq!(lambda.origin, Origin::AdminConfig(admin));
        assert_eq!(lambda.origin.kind(), "admin");
    }

    #[test]
    fn profile_names_resolve_flag_env_file_default() {
        let path = Path::new("/c.toml");
        let file = ConfigFile {
            default_profile: Some("work".into()),
            ..Default::default()
        };
        let env = MapEnv::new();
        let name = |flag, env: &MapEnv, file| profile_name(env, flag, file, path).unwrap();
        assert_eq!(name(None, &env, None).value, "default");
        assert_eq!(name(None, &env, Some(&file)).value, "work");
        let env = env.with("COGAUTH_PROFILE", "team");
        assert_eq!(name(None, &env, Some(&file)).value, "team");
        assert_eq!(name(Some("cli"), &env, Some(&file)).origin, Origin::Flag);
    }

    #[test]
    fn bad_profile_names_are_refused() {
        let (_dir, env) = home_with(FILE);
        let overrides = Overrides {
            profile: Some("a]b".into()),
            ..Default::default()
        };
        assert!(Settings::load(&env, &overrides).is_err());
    }
}
