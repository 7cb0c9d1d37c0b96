//! What every cogadmin command needs: the environment, the working directory, the admin config,
//! and the AWS SDK config from the normal credential chain (profiles, env), honouring
//! `AWS_ENDPOINT_URL`.

use std::path::PathBuf;

use anyhow::Context as _;
use cogauth_core::admin::config::{self, LoadedAdminConfig};
use cogauth_core::config::{Overrides, Settings};
use cogauth_core::env::ProcessEnv;

#[derive(Debug)]
pub struct Context {
    pub env: ProcessEnv,
    pub region: Option<String>,
    /// Where `./admin-config.json` is looked for.
    pub cwd: PathBuf,
}

/// Where a defaulted id came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    Flag,
    LastSetup(PathBuf),
    Profile(String),
}

impl std::fmt::Display for IdSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Flag => f.write_str("command line"),
            Self::LastSetup(path) => write!(f, "last setup in {}", path.display()),
            Self::Profile(name) => write!(f, "profile `{name}`"),
        }
    }
}

impl Context {
    pub fn new(region: Option<String>) -> Self {
        Self {
            env: ProcessEnv,
            region,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// The SDK config for administrative calls. `fallback_region` (e.g. from admin.toml) is
    /// used when neither `--region` nor the AWS config chain gives one.
    pub async fn sdk_config(&self, fallback_region: Option<&str>) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(cogauth_core::aws::timeouts_for(&self.env))
            .retry_config(cogauth_core::aws::retries());
        if let Some(region) = &self.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let config = loader.load().await;
        if config.region().is_none()
            && let Some(region) = fallback_region
        {
            return config
                .into_builder()
                .region(aws_config::Region::new(region.to_owned()))
                .build();
        }
        config
    }

    /// The admin config in effect (admin.toml, or the legacy files, then ./admin-config.json).
    pub fn admin_config(&self) -> anyhow::Result<LoadedAdminConfig> {
        Ok(config::load(&self.env, &self.cwd)?)
    }

    /// The admin config and an SDK config whose fallback region is the admin config's.
    pub async fn admin(&self) -> anyhow::Result<(LoadedAdminConfig, aws_config::SdkConfig)> {
        let admin = self.admin_config()?;
        let sdk = self
            .sdk_config(Some(&admin.config.aws_configuration.default_region))
            .await;
        Ok((admin, sdk))
    }

    /// The user pool a user command works on: `--user-pool-id`, else the user profile given
    /// with `--profile`, else the pool of the last `cogadmin setup`, else the default user
    /// profile.
    pub fn user_pool_id(
        &self,
        flag: Option<String>,
        profile: Option<&str>,
        admin: &LoadedAdminConfig,
    ) -> anyhow::Result<(String, IdSource)> {
        self.pick_id(
            flag,
            profile,
            admin,
            "user pool",
            "--user-pool-id",
            |r| r.user_pool_id.clone(),
            |s| s.user_pool_id.as_ref().map(|v| v.value.clone()),
        )
    }

    /// The identity pool a role or policy command works on, found like [`Self::user_pool_id`].
    pub fn identity_pool_id(
        &self,
        flag: Option<String>,
        profile: Option<&str>,
        admin: &LoadedAdminConfig,
    ) -> anyhow::Result<(String, IdSource)> {
        self.pick_id(
            flag,
            profile,
            admin,
            "identity pool",
            "--identity-pool-id",
            |r| r.identity_pool_id.clone(),
            |s| s.identity_pool_id.as_ref().map(|v| v.value.clone()),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn pick_id(
        &self,
        flag: Option<String>,
        profile: Option<&str>,
        admin: &LoadedAdminConfig,
        what: &str,
        flag_name: &str,
        from_setup: impl Fn(&config::RecordedSetup) -> String,
        from_profile: impl Fn(&Settings) -> Option<String>,
    ) -> anyhow::Result<(String, IdSource)> {
        if let Some(id) = flag {
            return Ok((id, IdSource::Flag));
        }
        let from_named_profile =
            |name: Option<&str>| -> anyhow::Result<Option<(String, IdSource)>> {
                let overrides = Overrides {
                    profile: name.map(str::to_owned),
                    ..Overrides::default()
                };
                let settings = Settings::load(&self.env, &overrides)
                    .with_context(|| format!("cannot read the {what} from the user profile"))?;
                Ok(from_profile(&settings)
                    .map(|id| (id, IdSource::Profile(settings.profile.value))))
            };
        if let Some(name) = profile {
            return from_named_profile(Some(name))?.ok_or_else(|| {
                anyhow::anyhow!(
                    "profile `{name}` has no {what} id: pass {flag_name}, or run \
                     `cogauth configure --profile {name}`"
                )
            });
        }
        if let Some(recorded) = &admin.config.last_setup {
            return Ok((
                from_setup(recorded),
                IdSource::LastSetup(admin.path.clone()),
            ));
        }
        // The default profile is a convenience: a broken user config must not hide the hint.
        if let Ok(Some(found)) = from_named_profile(None) {
            return Ok(found);
        }
        anyhow::bail!(
            "no {what} given: pass {flag_name}, or --profile P for the {what} of a cogauth \
             profile, or run `cogadmin setup` first"
        )
    }
}
