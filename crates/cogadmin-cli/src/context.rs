//! What every cogadmin command needs: the environment, the working directory, the admin config,
//! the AWS SDK config ([`cogauth_admin::sdk`]) and the target resolution
//! ([`cogauth_admin::target`]), each built the one way the library defines.

use std::path::PathBuf;

use aws_types::SdkConfig;
use cogauth_admin::config::{self, LoadedAdminConfig};
use cogauth_admin::sdk::{self, RegionChoice};
use cogauth_admin::target::{Resolver, TargetFlags};
use cogauth_core::env::ProcessEnv;

#[derive(Debug)]
pub struct Context {
    pub env: ProcessEnv,
    pub region: Option<String>,
    /// Where `./admin-config.json` is looked for.
    pub cwd: PathBuf,
}

impl Context {
    pub fn new(region: Option<String>) -> Self {
        Self {
            env: ProcessEnv,
            region,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// The admin config in effect (admin.toml, or the legacy files, then ./admin-config.json).
    pub fn admin_config(&self) -> anyhow::Result<LoadedAdminConfig> {
        Ok(config::load(&self.env, &self.cwd)?)
    }

    /// The admin config and the SDK config for administrative calls: `--region`, else the AWS
    /// config chain, else the admin config's `default_region`.
    pub async fn admin(&self) -> anyhow::Result<(LoadedAdminConfig, SdkConfig)> {
        let admin = self.admin_config()?;
        let sdk = sdk::load(
            &self.env,
            RegionChoice {
                flag: self.region.as_deref(),
                fallback: Some(&admin.config.aws_configuration.default_region),
            },
        )
        .await;
        Ok((admin, sdk))
    }

    /// What a command works on: its flags, else `--profile`, else the last setup, else the
    /// default cogauth profile.
    pub fn targets(
        &self,
        flags: TargetFlags,
        admin: &LoadedAdminConfig,
    ) -> anyhow::Result<Resolver> {
        Ok(Resolver::new(flags, admin, &self.env)?)
    }
}
