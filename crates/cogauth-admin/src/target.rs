//! What an admin command works on, resolved once, the same way for every cogadmin command and
//! for `cargo xtask deploy-lambda`.
//!
//! An id comes from the first of these sources that has it:
//! 1. the flags (`--user-pool-id`, `--client-id`, `--identity-pool-id`);
//! 2. the cogauth profile named with `--profile`, which must then have it;
//! 3. what the last `cogadmin setup` recorded in admin.toml;
//! 4. the default cogauth profile (a convenience: when it does not load, it is passed over).
//!
//! Ids that belong together come from one source: the app client and the identity pool of a
//! source below the one that gave the user pool are used only when that source names the same
//! user pool, so a `--user-pool-id` is never paired with another pool's client. The work happens
//! in the user pool's region, which its id names.

use std::fmt;
use std::path::PathBuf;

use cogauth_core::config::{ConfigError, Overrides, Settings, ids};
use cogauth_core::env::Env;

use crate::config::LoadedAdminConfig;

/// Where an id came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Profile(String),
    LastSetup(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag => f.write_str("command line"),
            Self::LastSetup(path) => write!(f, "last setup in {}", path.display()),
            Self::Profile(name) => write!(f, "profile `{name}`"),
        }
    }
}

/// A resolved value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// What the command line says about the target; `None` (or empty) leaves it to the sources
/// below the flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetFlags {
    pub user_pool_id: Option<String>,
    pub client_ids: Vec<String>,
    pub identity_pool_id: Option<String>,
    /// `--profile`: take the ids from this cogauth profile.
    pub profile: Option<String>,
}

/// Why no target could be found.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(
        "no {what} given: pass {flag}, or --profile P for the {what} of a cogauth profile, or run `cogadmin setup` first"
    )]
    Missing {
        what: &'static str,
        flag: &'static str,
    },
    #[error(
        "profile `{profile}` has no {what} id: pass {flag}, or run `cogauth configure --profile {profile}`"
    )]
    ProfileLacks {
        profile: String,
        what: &'static str,
        flag: &'static str,
    },
    /// The cause is part of the message (not a `source`), so a chain prints it once.
    #[error("cannot read profile `{profile}` for the admin target: {error}")]
    Profile {
        profile: String,
        error: Box<ConfigError>,
    },
}

/// The ids one source gives.
#[derive(Debug, Clone)]
struct Candidate {
    source: Source,
    user_pool_id: Option<String>,
    client_ids: Vec<String>,
    identity_pool_id: Option<String>,
    /// The `--profile` source must have what is asked of it.
    required: bool,
}

/// The Cognito resources the credential proxy serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTargets {
    pub user_pool_id: Sourced<String>,
    pub client_ids: Vec<String>,
    /// Its authenticated role gets the invoke permission.
    pub identity_pool_id: Option<String>,
}

impl ProxyTargets {
    /// The region the proxy belongs in: the user pool's, where cogauth's login invokes it.
    pub fn region(&self) -> Option<&str> {
        ids::region_of_user_pool(&self.user_pool_id.value)
    }
}

/// The sources of an admin command's target, in precedence order.
#[derive(Debug, Clone)]
pub struct Resolver {
    candidates: Vec<Candidate>,
}

impl Resolver {
    /// The sources for `flags`: a `--profile` that does not load is an error; a default
    /// profile that does not load is passed over.
    pub fn new(
        flags: TargetFlags,
        admin: &LoadedAdminConfig,
        env: &dyn Env,
    ) -> Result<Self, TargetError> {
        let non_empty = |s: &String| !s.is_empty();
        let mut candidates = vec![Candidate {
            source: Source::Flag,
            user_pool_id: flags.user_pool_id,
            client_ids: flags.client_ids,
            identity_pool_id: flags.identity_pool_id,
            required: false,
        }];
        let profile = |name: Option<&str>| -> Result<Candidate, TargetError> {
            let overrides = Overrides {
                profile: name.map(str::to_owned),
                ..Overrides::default()
            };
            let settings =
                Settings::load(env, &overrides).map_err(|error| TargetError::Profile {
                    profile: name.unwrap_or("default").to_owned(),
                    error: Box::new(error),
                })?;
            let value = |v: &Option<cogauth_core::config::Sourced<String>>| {
                v.as_ref().map(|v| v.value.clone())
            };
            Ok(Candidate {
                source: Source::Profile(settings.profile.value.clone()),
                user_pool_id: value(&settings.user_pool_id),
                client_ids: value(&settings.client_id).into_iter().collect(),
                identity_pool_id: value(&settings.identity_pool_id),
                required: name.is_some(),
            })
        };
        if let Some(name) = flags.profile.as_deref() {
            candidates.push(profile(Some(name))?);
        }
        if let Some(setup) = &admin.config.last_setup {
            candidates.push(Candidate {
                source: Source::LastSetup(admin.path.clone()),
                user_pool_id: Some(setup.user_pool_id.clone()).filter(non_empty),
                client_ids: Some(setup.client_id.clone())
                    .filter(non_empty)
                    .into_iter()
                    .collect(),
                identity_pool_id: Some(setup.identity_pool_id.clone()).filter(non_empty),
                required: false,
            });
        }
        if flags.profile.is_none()
            && let Ok(default) = profile(None)
        {
            candidates.push(default);
        }
        Ok(Self { candidates })
    }

    /// The first source's value of `get`; a `--profile` that lacks it stops the search.
    fn first(
        &self,
        what: &'static str,
        flag: &'static str,
        get: impl Fn(&Candidate) -> Option<String>,
    ) -> Result<Sourced<String>, TargetError> {
        for candidate in &self.candidates {
            if let Some(value) = get(candidate) {
                return Ok(Sourced {
                    value,
                    source: candidate.source.clone(),
                });
            }
            if candidate.required
                && let Source::Profile(profile) = &candidate.source
            {
                return Err(TargetError::ProfileLacks {
                    profile: profile.clone(),
                    what,
                    flag,
                });
            }
        }
        Err(TargetError::Missing { what, flag })
    }

    /// The user pool a command works on.
    pub fn user_pool_id(&self) -> Result<Sourced<String>, TargetError> {
        self.first("user pool", "--user-pool-id", |c| c.user_pool_id.clone())
    }

    /// The identity pool a role or policy command works on.
    pub fn identity_pool_id(&self) -> Result<Sourced<String>, TargetError> {
        self.first("identity pool", "--identity-pool-id", |c| {
            c.identity_pool_id.clone()
        })
    }

    /// The user pool, its app clients and its identity pool, for the credential proxy: the
    /// clients and the identity pool come from a source that names the same user pool (or from
    /// the flags).
    pub fn proxy(&self) -> Result<ProxyTargets, TargetError> {
        let user_pool_id = self.user_pool_id()?;
        let same_pool = |c: &&Candidate| {
            c.source == Source::Flag || c.user_pool_id.as_deref() == Some(&user_pool_id.value)
        };
        let client_ids = self
            .candidates
            .iter()
            .filter(same_pool)
            .map(|c| c.client_ids.clone())
            .find(|ids| !ids.is_empty())
            .ok_or(TargetError::Missing {
                what: "app client",
                flag: "--client-id",
            })?;
        let identity_pool_id = self
            .candidates
            .iter()
            .filter(same_pool)
            .find_map(|c| c.identity_pool_id.clone());
        Ok(ProxyTargets {
            user_pool_id,
            client_ids,
            identity_pool_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AdminConfig, RecordedSetup};
    use cogauth_core::env::MapEnv;

    const POOL_A: &str = "eu-west-1_PoolA";
    const POOL_B: &str = "us-east-1_PoolB";
    const IDP_A: &str = "eu-west-1:8f1c2a3b-1234-4abc-9def-0123456789ab";

    fn home(profiles: &str) -> (tempfile::TempDir, MapEnv) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".config/cogauth/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, profiles).unwrap();
        let env = MapEnv::new().with("HOME", dir.path().to_str().unwrap());
        (dir, env)
    }

    fn admin(last_setup: Option<RecordedSetup>) -> LoadedAdminConfig {
        let config = AdminConfig {
            last_setup,
            ..AdminConfig::default()
        };
        LoadedAdminConfig {
            own: config.clone(),
            config,
            path: PathBuf::from("/h/admin.toml"),
            sources: Vec::new(),
            local: None,
        }
    }

    fn setup_a() -> RecordedSetup {
        RecordedSetup {
            region: "eu-west-1".into(),
            user_pool_id: POOL_A.into(),
            client_id: "clientA".into(),
            identity_pool_id: IDP_A.into(),
            ..RecordedSetup::default()
        }
    }

    const PROFILE_B: &str = "[profiles.default]\nuser_pool_id = \"us-east-1_PoolB\"\nclient_id = \"clientB\"\n\n[profiles.work]\nuser_pool_id = \"us-east-1_PoolB\"\nclient_id = \"clientW\"\n";

    #[test]
    fn flags_then_profile_then_last_setup_then_default_profile() {
        let (_dir, env) = home(PROFILE_B);
        let with_setup = admin(Some(setup_a()));
        let resolve = |flags: TargetFlags, admin: &LoadedAdminConfig| {
            Resolver::new(flags, admin, &env)
                .unwrap()
                .user_pool_id()
                .unwrap()
        };
        let flag = TargetFlags {
            user_pool_id: Some("us-west-2_Flag".into()),
            ..TargetFlags::default()
        };
        assert_eq!(resolve(flag, &with_setup).source, Source::Flag);
        let profile = TargetFlags {
            profile: Some("work".into()),
            ..TargetFlags::default()
        };
        let got = resolve(profile, &with_setup);
        assert_eq!(
            (got.value.as_str(), got.source),
            (POOL_B, Source::Profile("work".into()))
        );
        let got = resolve(TargetFlags::default(), &with_setup);
        assert_eq!(got.value, POOL_A);
        assert!(matches!(got.source, Source::LastSetup(_)));
        let got = resolve(TargetFlags::default(), &admin(None));
        assert_eq!(
            (got.value.as_str(), got.source),
            (POOL_B, Source::Profile("default".into()))
        );
    }

    #[test]
    fn a_flag_pool_is_never_paired_with_another_pools_client() {
        let (_dir, env) = home(PROFILE_B);
        let flags = TargetFlags {
            user_pool_id: Some(POOL_B.into()),
            ..TargetFlags::default()
        };
        let proxy = Resolver::new(flags, &admin(Some(setup_a())), &env)
            .unwrap()
            .proxy()
            .unwrap();
        // Not last setup's clientA (pool A): the default profile's client of pool B.
        assert_eq!(proxy.client_ids, ["clientB"]);
        assert_eq!(proxy.identity_pool_id, None);
        assert_eq!(proxy.region(), Some("us-east-1"));

        let proxy = Resolver::new(TargetFlags::default(), &admin(Some(setup_a())), &env)
            .unwrap()
            .proxy()
            .unwrap();
        assert_eq!(proxy.user_pool_id.value, POOL_A);
        assert_eq!(proxy.client_ids, ["clientA"]);
        assert_eq!(proxy.identity_pool_id.as_deref(), Some(IDP_A));
        assert_eq!(proxy.region(), Some("eu-west-1"));
    }

    #[test]
    fn missing_ids_name_the_flag() {
        let (_dir, env) = home("");
        let resolver = Resolver::new(TargetFlags::default(), &admin(None), &env).unwrap();
        let err = resolver.user_pool_id().unwrap_err().to_string();
        assert!(
            err.starts_with("no user pool given: pass --user-pool-id"),
            "{err}"
        );
        let flags = TargetFlags {
            user_pool_id: Some(POOL_A.into()),
            ..TargetFlags::default()
        };
        let err = Resolver::new(flags, &admin(None), &env)
            .unwrap()
            .proxy()
            .unwrap_err()
            .to_string();
        assert!(err.contains("pass --client-id"), "{err}");

        let (_dir, env) = home("[profiles.work]\nregion = \"eu-west-1\"\n");
        let flags = TargetFlags {
            profile: Some("work".into()),
            ..TargetFlags::default()
        };
        let err = Resolver::new(flags, &admin(Some(setup_a())), &env)
            .unwrap()
            .identity_pool_id()
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "profile `work` has no identity pool id: pass --identity-pool-id, or run `cogauth configure --profile work`"
        );
    }
}
