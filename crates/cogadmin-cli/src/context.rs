//! What every cogadmin command needs: the environment, the working directory, the admin config,
//! the AWS SDK config ([`cogauth_admin::sdk`]) and the target resolution
//! ([`cogauth_admin::target`]), each built the one way the library defines.

use std::path::PathBuf;

use aws_types::SdkConfig;
use cogauth_admin::config::{self, LoadedAdminConfig};
use cogauth_admin::sdk::{self, RegionChoice};
use cogauth_admin::target::{Resolver, TargetFlags};
use cogauth_core::env::ProcessEnv;

use crate::{input, output};

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
    /// A ./admin-config.json is announced on stderr, every time.
    pub fn admin_config(&self) -> anyhow::Result<LoadedAdminConfig> {
        let loaded = config::load(&self.env, &self.cwd)?;
        if let Some(local) = &loaded.local {
            output::warning(local.announcement());
        }
        Ok(loaded)
    }

    /// The administrator's consent to the resource names a ./admin-config.json sets that differ
    /// from their own admin config: `--adopt`, or a yes on a terminal; else the refusal.
    pub fn consent_to_local_names(
        &self,
        admin: &LoadedAdminConfig,
        adopt: bool,
    ) -> anyhow::Result<()> {
        let Some(local) = admin.local.as_ref().filter(|l| !l.names().is_empty()) else {
            return Ok(());
        };
        if adopt {
            return Ok(());
        }
        if input::on_terminal() {
            output::note(format!(
                "./{} in this directory sets resource names that differ from your admin \
                 config (above); cogadmin will find, create and change the resources so named.",
                config::LOCAL_OVERRIDE_FILE
            ));
            if input::confirm("Use these names?")? {
                return Ok(());
            }
            anyhow::bail!(
                "not confirmed: nothing was changed; remove ./{} or run cogadmin from another \
                 directory",
                config::LOCAL_OVERRIDE_FILE
            );
        }
        Err(local.refusal().into())
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
