//! `cogauth doctor`: the checks that tell a user why a login would fail, as data.
//!
//! Each check returns a [`Check`]: it passed, it failed with the problem and a concrete fix, or
//! it was skipped and why. Nothing here prints; the CLI renders the [`Report`].
//!
//! The checks, in order:
//! 1. **config**: the profile loads, the keys a login needs are set, the ids are valid;
//! 2. **endpoints**: cognito-idp, cognito-identity and STS answer (one unsigned request each);
//! 3. **managed login**, for profiles that sign in through the browser: the domain answers and
//!    accepts the app client's authorization request (no AWS credentials needed);
//! 4. the **admin checks**, given as an [`AdminChecks`]: the checks that read the pools and the
//!    role with administrative AWS rights (`cogauth_admin::doctor` implements them, so this
//!    crate needs no IAM SDK);
//! 5. **clock skew**: the local clock against the `Date` of an AWS answer;
//! 6. **file permissions**: the files holding secrets are private.

mod files;
mod managed_login;
mod probe;

use serde::Serialize;

use crate::clock::Clock;
use crate::config::{ConfigError, IdentityFlow, Origin, Overrides, Settings};
use crate::env::Env;
/// A shell word, quoted when it needs to be (for the fixes the checks suggest).
pub use crate::shell::word as shell_word;

/// One check and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// How a check went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    /// Nothing wrong, and what the check read is worth showing (a setting of the pool or the
    /// app client that changes how cogauth behaves).
    Info {
        detail: String,
    },
    /// `problem` says what is wrong, `fix` what to do about it.
    Fail {
        problem: String,
        fix: String,
    },
    /// The check could not run; `why` starts with "needs admin rights" when that is the reason.
    Skipped {
        why: String,
    },
}

impl Check {
    pub fn new(name: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            name: name.into(),
            outcome,
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Fail { .. })
    }
}

/// A failed check's outcome: what is wrong, and what to do about it.
pub fn fail(problem: impl Into<String>, fix: impl Into<String>) -> Outcome {
    Outcome::Fail {
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// A passed check's outcome that reports what it read.
pub fn info(detail: impl Into<String>) -> Outcome {
    Outcome::Info {
        detail: detail.into(),
    }
}

/// A skipped check's outcome, and why it could not run.
pub fn skipped(why: impl Into<String>) -> Outcome {
    Outcome::Skipped { why: why.into() }
}

/// Every check, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The profile checked; `None` when even its name could not be resolved.
    pub profile: Option<String>,
    pub checks: Vec<Check>,
}

impl Report {
    /// True when no check failed (skipped checks do not count).
    pub fn healthy(&self) -> bool {
        !self.checks.iter().any(Check::failed)
    }

    pub fn failures(&self) -> usize {
        self.checks.iter().filter(|c| c.failed()).count()
    }

    /// The check named `name`, for callers and tests.
    pub fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// The names of the checks, stable for scripts reading `--json`.
pub mod names {
    pub const CONFIG: &str = "config";
    pub const COGNITO_IDP_ENDPOINT: &str = "cognito-idp endpoint";
    pub const COGNITO_IDENTITY_ENDPOINT: &str = "cognito-identity endpoint";
    pub const STS_ENDPOINT: &str = "sts endpoint";
    /// Only for profiles that sign in through the browser or may finish there.
    pub const MANAGED_LOGIN: &str = "managed login";
    pub const CLOCK_SKEW: &str = "clock skew";
    pub const FILE_PERMISSIONS: &str = "file permissions";
}

/// What the doctor works from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub env: &'a dyn Env,
    pub clock: &'a dyn Clock,
    /// The profile to check (`--profile`), as for every other command.
    pub overrides: &'a Overrides,
    /// The checks that read the pools and the role with administrative rights, run after the
    /// endpoint checks; `None` runs none.
    pub admin: Option<&'a dyn AdminChecks>,
}

/// Checks of a profile's AWS resources that need more than the login's public APIs. The doctor
/// runs them once the config check has passed, and reports them skipped (with their names)
/// when it has not.
#[async_trait::async_trait]
pub trait AdminChecks: Send + Sync + std::fmt::Debug {
    /// The names of the checks [`AdminChecks::check`] returns, in order.
    fn names(&self) -> Vec<&'static str>;
    /// Runs the checks. Never fails: what goes wrong is a failed or skipped check.
    async fn check(&self, target: &Target) -> Vec<Check>;
}

/// The ids a login needs, once the config check passed.
#[derive(Debug, Clone)]
pub struct Target {
    pub profile: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub has_client_secret: bool,
    pub identity_pool_id: String,
    pub region: String,
    pub settings: Settings,
}

/// Runs every check. Never fails: what goes wrong is what the report is for.
pub async fn diagnose(inputs: Inputs<'_>) -> Report {
    let loaded = Settings::load(inputs.env, inputs.overrides);
    let profile = match &loaded {
        Ok(s) => Some(s.profile.value.clone()),
        Err(_) => inputs.overrides.profile.clone(),
    };
    let mut checks = Vec::new();
    let (config_check, target) = check_config(loaded, inputs.overrides);
    checks.push(config_check);

    let probes = match &target {
        Some(t) => Some(probe::probe_endpoints(inputs.env, &t.region).await),
        None => None,
    };
    match &probes {
        Some(p) => checks.extend(p.checks.iter().cloned()),
        None => {
            for name in [
                names::COGNITO_IDP_ENDPOINT,
                names::COGNITO_IDENTITY_ENDPOINT,
                names::STS_ENDPOINT,
            ] {
                checks.push(Check::new(name, skipped(NEEDS_CONFIG)));
            }
        }
    }

    if let Some(t) = target
        .as_ref()
        .filter(|t| managed_login::applies(&t.settings))
    {
        checks.push(Check::new(
            names::MANAGED_LOGIN,
            managed_login::check(inputs.env, t).await,
        ));
    }

    match (&target, inputs.admin) {
        (Some(t), Some(admin)) => checks.extend(admin.check(t).await),
        (None, Some(admin)) => {
            for name in admin.names() {
                checks.push(Check::new(name, skipped(NEEDS_CONFIG)));
            }
        }
        (_, None) => {}
    }

    checks.push(Check::new(
        names::CLOCK_SKEW,
        match &probes {
            Some(p) => probe::clock_skew(p.server_date.as_ref(), inputs.clock.now()),
            None => skipped("no AWS endpoint was asked for the time: the config did not load"),
        },
    ));
    let config_path = target.as_ref().map(|t| t.settings.config_path.clone());
    checks.push(Check::new(
        names::FILE_PERMISSIONS,
        files::check(inputs.env, config_path),
    ));
    Report { profile, checks }
}

const NEEDS_CONFIG: &str = "needs a valid config (see the config check)";

fn check_config(
    loaded: Result<Settings, ConfigError>,
    overrides: &Overrides,
) -> (Check, Option<Target>) {
    let settings = match loaded {
        Ok(s) => s,
        Err(e) => {
            let profile = overrides.profile.as_deref().unwrap_or("<profile>");
            let fix = config_error_fix(&e, profile);
            return (Check::new(names::CONFIG, fail(e.to_string(), fix)), None);
        }
    };
    let profile = settings.profile.value.clone();
    let mut missing = Vec::new();
    let mut flags = Vec::new();
    let mut take = |value: Option<&str>, key: &'static str, flag: &'static str| {
        if value.is_none() {
            missing.push(format!("`{key}`"));
            flags.push(format!("{flag} ..."));
        }
        value.map(str::to_owned)
    };
    let user_pool_id = take(
        settings.user_pool_id.as_ref().map(|v| v.value.as_str()),
        "user_pool_id",
        "--user-pool-id",
    );
    let client_id = take(
        settings.client_id.as_ref().map(|v| v.value.as_str()),
        "client_id",
        "--client-id",
    );
    let identity_pool_id = take(
        settings.identity_pool_id.as_ref().map(|v| v.value.as_str()),
        "identity_pool_id",
        "--identity-pool-id",
    );
    let region = take(
        settings.region.as_ref().map(|v| v.value.as_str()),
        "region",
        "--region",
    );
    if settings.identity_flow.value == IdentityFlow::Basic {
        take(
            settings.role_arn.as_ref().map(|v| v.value.as_str()),
            "role_arn",
            "--role-arn",
        );
    }
    if !missing.is_empty() {
        let nothing_set = user_pool_id.is_none() && client_id.is_none();
        let problem = if nothing_set {
            format!(
                "profile `{profile}` is not configured in `{}` (missing {})",
                settings.config_path.display(),
                missing.join(", ")
            )
        } else {
            format!("profile `{profile}` lacks {}", missing.join(", "))
        };
        let fix = format!(
            "run `cogauth configure --profile {profile} {}` (your administrator has the ids; \
             `cogadmin setup --write-profile {profile}` writes them)",
            flags.join(" ")
        );
        return (Check::new(names::CONFIG, fail(problem, fix)), None);
    }
    if let Some(region_check) = check_region(&settings) {
        return (region_check, None);
    }
    let target = Target {
        profile,
        user_pool_id: user_pool_id.unwrap_or_default(),
        client_id: client_id.unwrap_or_default(),
        has_client_secret: settings.client_secret.is_some(),
        identity_pool_id: identity_pool_id.unwrap_or_default(),
        region: region.unwrap_or_default(),
        settings,
    };
    (Check::new(names::CONFIG, Outcome::Pass), Some(target))
}

/// A region that contradicts the pool ids sends every Cognito call to a region where the
/// pools do not exist: AWS answers "not found", which reads like a wrong id.
fn check_region(settings: &Settings) -> Option<Check> {
    let region = settings.region.as_ref()?;
    let conflicts = crate::config::region_conflicts(
        &region.value,
        settings.user_pool_id.as_ref().map(|v| v.value.as_str()),
        settings.identity_pool_id.as_ref().map(|v| v.value.as_str()),
    );
    if conflicts.is_empty() {
        return None;
    }
    let profile = &settings.profile.value;
    let wanted = settings
        .user_pool_id
        .as_ref()
        .and_then(|p| crate::config::ids::region_of_user_pool(&p.value))
        .unwrap_or_default();
    let (problem, fix) = match &region.origin {
        // No region set: it is the user pool's, so the identity pool is in another one.
        Origin::Default => (
            format!(
                "the pools are in different regions ({}, the user pool in {}), but cogauth calls \
                 both in one region",
                conflicts.join(", "),
                region.value
            ),
            format!(
                "run `cogauth configure --profile {profile} --identity-pool-id ID` with an \
                 identity pool in {wanted}"
            ),
        ),
        origin => (
            format!(
                "region `{}` (from {origin}) contradicts the pools: {}; every Cognito call would \
                 go to {} and find no pool",
                region.value,
                conflicts.join(", "),
                region.value
            ),
            match origin {
                Origin::Env(name) => format!(
                    "unset {name} (it overrides the profile's region), or set it to {wanted}"
                ),
                Origin::Legacy(path) => format!("correct `region` in `{}`", path.display()),
                _ => format!("run `cogauth configure --profile {profile} --region {wanted}`"),
            },
        ),
    };
    Some(Check::new(names::CONFIG, fail(problem, fix)))
}

/// The fix for a config that does not load: where to correct it.
fn config_error_fix(err: &ConfigError, profile: &str) -> String {
    match err {
        ConfigError::Parse { path, .. } | ConfigError::NotUtf8 { path } => format!(
            "correct `{}` at the place named (docs/configuration.md lists every key), or move \
             it aside and run `cogauth configure --profile {profile}`",
            path.display()
        ),
        ConfigError::LegacyParse { path, .. } => format!(
            "correct or remove `{}`, then run `cogauth configure --profile {profile}` to write \
             a TOML profile",
            path.display()
        ),
        ConfigError::InvalidValue { key, origin, .. } => match origin {
            Origin::Env(name) => format!("correct or unset the environment variable {name}"),
            Origin::Flag => format!("pass a valid value for `{key}`"),
            Origin::File(_) | Origin::Default => format!(
                "run `cogauth configure --profile {profile} --{} <value>`",
                key.replace('_', "-")
            ),
            Origin::Legacy(path) | Origin::AdminConfig(path) => format!(
                "correct `{key}` in `{}`, or run `cogauth configure --profile {profile}` to \
                 write a TOML profile",
                path.display()
            ),
        },
        ConfigError::ProfileNotFound {
            profile,
            legacy: Some(_),
            ..
        } => format!("run `cogauth configure --profile {profile} --import-legacy`"),
        ConfigError::ProfileNotFound { profile, .. }
        | ConfigError::NotConfigured { profile, .. } => {
            format!("run `cogauth configure --profile {profile}`")
        }
        ConfigError::Missing { .. } => format!("run `cogauth configure --profile {profile}`"),
        ConfigError::BadProfileName(_) => {
            "name the profile with letters, digits, `-`, `_` and `.` only".to_owned()
        }
        ConfigError::Path(_) => {
            "set HOME (or COGAUTH_CONFIG) so cogauth can find its config".to_owned()
        }
        ConfigError::Fs(_) => {
            "make the config file readable by you (`ls -l` it), or set COGAUTH_CONFIG to \
             another file"
                .to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    fn load(config: &str) -> (tempfile::TempDir, Result<Settings, ConfigError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".config/cogauth/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, config).unwrap();
        let env = MapEnv::new().with("HOME", dir.path().to_str().unwrap());
        let loaded = Settings::load(&env, &Overrides::default());
        (dir, loaded)
    }

    #[test]
    fn a_complete_profile_passes() {
        let (_dir, loaded) = load(
            "[profiles.default]\nuser_pool_id = \"eu-west-1_Pool\"\nclient_id = \"c1\"\n\
             identity_pool_id = \"eu-west-1:8f1c2a3b-1234-4abc-9def-0123456789ab\"\n",
        );
        let (check, target) = check_config(loaded, &Overrides::default());
        assert_eq!(check.outcome, Outcome::Pass);
        let target = target.unwrap();
        assert_eq!(target.region, "eu-west-1");
        assert_eq!(target.client_id, "c1");
    }

    #[test]
    fn missing_keys_are_named_with_the_configure_flags() {
        let (_dir, loaded) = load(
            "[profiles.default]\nuser_pool_id = \"eu-west-1_Pool\"\nidentity_flow = \"basic\"\n",
        );
        let (check, target) = check_config(loaded, &Overrides::default());
        assert!(target.is_none());
        let Outcome::Fail { problem, fix } = check.outcome else {
            panic!("{check:?}")
        };
        assert!(problem.contains("`client_id`"), "{problem}");
        assert!(problem.contains("`identity_pool_id`"), "{problem}");
        assert!(
            problem.contains("`role_arn`"),
            "basic flow needs a role: {problem}"
        );
        assert!(
            fix.contains("cogauth configure --profile default --client-id"),
            "{fix}"
        );
        assert!(fix.contains("--role-arn"), "{fix}");
    }

    #[test]
    fn a_region_that_contradicts_the_pools_fails_with_the_region_to_use() {
        let (_dir, loaded) = load(
            "[profiles.default]\nuser_pool_id = \"us-east-1_Pool\"\nclient_id = \"c1\"\n\
             identity_pool_id = \"us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab\"\n\
             region = \"eu-west-1\"\n",
        );
        let (check, target) = check_config(loaded, &Overrides::default());
        assert!(target.is_none());
        let Outcome::Fail { problem, fix } = check.outcome else {
            panic!("{check:?}")
        };
        assert!(
            problem.contains("region `eu-west-1`")
                && problem.contains("user pool `us-east-1_Pool` is in us-east-1"),
            "{problem}"
        );
        assert_eq!(
            fix,
            "run `cogauth configure --profile default --region us-east-1`"
        );

        // Without a region, the identity pool in another region is the problem.
        let (_dir, loaded) = load(
            "[profiles.default]\nuser_pool_id = \"us-east-1_Pool\"\nclient_id = \"c1\"\n\
             identity_pool_id = \"eu-west-1:8f1c2a3b-1234-4abc-9def-0123456789ab\"\n",
        );
        let (check, _) = check_config(loaded, &Overrides::default());
        let Outcome::Fail { problem, fix } = check.outcome else {
            panic!("{check:?}")
        };
        assert!(
            problem.starts_with("the pools are in different regions"),
            "{problem}"
        );
        assert!(
            fix.contains("--identity-pool-id ID` with an identity pool in us-east-1"),
            "{fix}"
        );
    }

    #[test]
    fn an_unknown_profile_names_the_known_ones() {
        let (_dir, loaded) = load("[profiles.other]\nclient_id = \"c\"\n");
        let (check, _) = check_config(loaded, &Overrides::default());
        let Outcome::Fail { problem, fix } = check.outcome else {
            panic!("{check:?}")
        };
        assert!(
            problem.contains("profile `default` is not in")
                && problem.contains("profiles there: other"),
            "{problem}"
        );
        assert_eq!(fix, "run `cogauth configure --profile default`");
    }

    #[test]
    fn a_broken_file_names_the_place_and_the_fix() {
        let (_dir, loaded) = load("[profiles.default\n");
        let (check, target) = check_config(loaded, &Overrides::default());
        assert!(target.is_none());
        let Outcome::Fail { problem, fix } = check.outcome else {
            panic!("{check:?}")
        };
        assert!(problem.contains("line 1"), "{problem}");
        assert!(fix.contains("correct `"), "{fix}");
    }

    #[test]
    fn a_bad_env_value_points_at_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let env = MapEnv::new()
            .with("HOME", dir.path().to_str().unwrap())
            .with("COGNITO_USER_POOL_ID", "nonsense");
        let loaded = Settings::load(&env, &Overrides::default());
        let (check, _) = check_config(loaded, &Overrides::default());
        let Outcome::Fail { fix, .. } = check.outcome else {
            panic!("{check:?}")
        };
        assert!(fix.contains("COGNITO_USER_POOL_ID"), "{fix}");
    }

    #[test]
    fn the_json_shape_is_flat() {
        let check = Check::new("x", fail("p", "f"));
        assert_eq!(
            serde_json::to_value(&check).unwrap(),
            serde_json::json!({"name": "x", "status": "fail", "problem": "p", "fix": "f"})
        );
        let check = Check::new("y", Outcome::Pass);
        assert_eq!(
            serde_json::to_value(&check).unwrap(),
            serde_json::json!({"name": "y", "status": "pass"})
        );
    }
}
