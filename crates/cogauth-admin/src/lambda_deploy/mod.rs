//! Deploying the credential-proxy Lambda, shared by `cogadmin lambda deploy` and
//! `cargo xtask deploy-lambda`, and rotating its key (`cogadmin lambda rotate-key`).
//!
//! [`deploy`] makes the account look like this, creating or updating only what differs, so a
//! second run with the same inputs changes nothing:
//!
//! - the **IAM user** (`CognitoCredentialProxyUser`) whose key the function uses: its only
//!   permission is `sts:AssumeRole`, `sts:TagSession` and `sts:SetSourceIdentity` on the
//!   long-lived role. A role assuming a role is role chaining, capped at one hour; a user is not.
//! - its **access key**: at most one active key created by cogauth (marked with a user tag named
//!   after the key). It is reused while the secret holds it; `--rotate-key`, [`rotate_key`] (or
//!   a lost key, or a key found in plain sight) creates a new one, writes it to the secret,
//!   checks it against STS, then deletes the old one. Never more than two keys.
//! - the **secret** (`cogauth/<function>/iam-user-key`, [`secret`]): the key as
//!   `{"AccessKeyId", "SecretAccessKey"}`. The key's secret goes only there: it is never in the
//!   function's configuration, returned, printed or logged.
//! - the **long-lived role** (`CognitoLongLivedRole`): MaxSessionDuration 43200, trusting the
//!   user for the three STS actions. Its permissions are the administrator's to attach.
//! - the **execution role** (`CognitoCredentialProxyRole`): trusted by Lambda, allowed to write
//!   the function's own logs and to read that one secret, nothing else.
//! - the **function** (`cognito-credential-proxy`): `provided.al2023`, handler `bootstrap`, the
//!   zip's architecture, and the environment the proxy reads (`USER_POOL_ID`, `CLIENT_IDS`,
//!   `DEFAULT_ROLE_ARN`, `MAX_DURATION_SECONDS`, `IAM_USER_SECRET_ARN`, and
//!   `REQUIRE_ACCESS_TOKEN=true` when it creates the function; other variables already set,
//!   such as `ALLOWED_ROLE_ARNS` or an existing `REQUIRE_ACCESS_TOKEN`, are kept). A function
//!   that still holds the key in `IAM_USER_ACCESS_KEY_ID` / `IAM_USER_SECRET_ACCESS_KEY` is
//!   migrated, and a step of the plan says so.
//! - the **invoke permission**: an inline policy on the identity pool's authenticated role
//!   allowing `lambda:InvokeFunction` on the function.
//!
//! Each of these carries `cogauth:managed = true` when the deploy creates it; one found by name
//! without it stops the deploy before any change, unless `--adopt` ([`crate::ownership`]).
//!
//! IAM is eventually consistent: calls that fail only because something created a moment ago
//! is not visible yet are retried with bounded exponential backoff ([`retry`]). A dry run reads
//! the current state and reports what would change, changing nothing.

pub mod bundle;
pub mod documents;
mod function;
mod iam;
pub mod retry;
mod rotate;
pub mod secret;

#[cfg(feature = "cli")]
pub mod cli;

use aws_types::SdkConfig;
use secrecy::SecretString;
use serde::Serialize;

use crate::AdminError;
use crate::config::{AdminConfig, LoadedAdminConfig, ServiceNames};
use crate::ownership::Ownership;
use crate::plan::{Action, Plan, Resource, Step};
use crate::target::{ProxyTargets, Resolver, TargetFlags};
pub use bundle::{Architecture, BundleError, BundleInfo};
use cogauth_core::aws::in_region;
use cogauth_core::config::ids;
use cogauth_core::env::Env;
pub use rotate::{RotateOptions, RotateOutcome, rotate_key};
use secret::StoredKey;

/// The user tag value that marks an access key (the tag's key is the key id) as created by
/// cogauth for the proxy, so rotation deletes only keys cogauth made.
pub const KEY_TAG_VALUE: &str = "cogauth credential proxy";

/// The Lambda runtime of the proxy. The package holds a native `bootstrap`, which only an
/// OS-only runtime runs, and it is built for Amazon Linux 2023's glibc: the runtime follows
/// from the package, whatever a configuration says.
pub const RUNTIME: &str = "provided.al2023";

/// The names of the resources the deploy manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployNames {
    pub iam_user: String,
    pub execution_role: String,
    pub long_lived_role: String,
    pub function: String,
    /// Inline policy of the IAM user.
    pub user_policy: String,
    /// Inline policy of the execution role.
    pub execution_policy: String,
}

impl From<&ServiceNames> for DeployNames {
    fn from(names: &ServiceNames) -> Self {
        Self {
            iam_user: names.iam_user_name.clone(),
            execution_role: names.lambda_execution_role_name.clone(),
            long_lived_role: names.long_lived_role_name.clone(),
            function: names.lambda_function_name.clone(),
            user_policy: names.policy_names.lambda_user_policy.clone(),
            execution_policy: names.policy_names.lambda_execution_policy.clone(),
        }
    }
}

impl DeployNames {
    /// The inline policy on the identity pool's authenticated role.
    pub fn invoke_policy(&self) -> String {
        format!("cogauth-invoke-{}", self.function)
    }

    /// The secret that holds the IAM user's key.
    pub fn secret(&self) -> String {
        secret::secret_name(&self.function)
    }
}

/// Where the function's IAM user key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// cogauth manages the key of the named IAM user: reuses the deployed one, or creates one.
    Managed {
        /// Create the IAM user when it does not exist (`--create-user`).
        create_user: bool,
        /// Replace the deployed key even though it still works (`--rotate-key`).
        rotate: bool,
    },
    /// A key the administrator gives (`--access-key-id` and the secret on stdin); its owner
    /// becomes the user the long-lived role trusts.
    Provided {
        access_key_id: String,
        secret_access_key: SecretString,
    },
}

impl KeySource {
    /// The key the command-line flags ask for: `--access-key-id` with its secret (`secret` is
    /// called only then, so stdin is read only when that flag is given), else a key cogauth
    /// manages (`--create-user`, `--rotate-key`).
    pub fn from_flags<E>(
        access_key_id: Option<&str>,
        create_user: bool,
        rotate: bool,
        secret: impl FnOnce() -> Result<SecretString, E>,
    ) -> Result<Self, E> {
        Ok(match access_key_id {
            Some(id) => Self::Provided {
                access_key_id: id.to_owned(),
                secret_access_key: secret()?,
            },
            None => Self::Managed {
                create_user,
                rotate,
            },
        })
    }
}

/// Everything [`deploy`] needs besides the SDK config and the zip.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub names: DeployNames,
    pub user_pool_id: String,
    pub client_ids: Vec<String>,
    /// Its authenticated role gets the invoke permission; without it, a warning says what to do.
    pub identity_pool_id: Option<String>,
    /// Where the function goes: the user pool's region, where cogauth's login invokes it,
    /// unless `--region` says otherwise.
    pub region: String,
    pub keys: KeySource,
    /// MaxSessionDuration of the long-lived role and `MAX_DURATION_SECONDS` of the function.
    pub max_session_duration: i32,
    pub timeout_seconds: i32,
    pub memory_mb: i32,
    /// Take over (tag, then change) what the deploy finds by name but did not create.
    pub adopt: bool,
    pub dry_run: bool,
    /// What the administrator should know about the options (a setting that is ignored).
    pub warnings: Vec<String>,
}

impl DeployOptions {
    /// Options with the names and parameters of the admin config, in the user pool's region.
    pub fn new(
        admin: &AdminConfig,
        targets: ProxyTargets,
        keys: KeySource,
        adopt: bool,
        dry_run: bool,
    ) -> Self {
        let aws = &admin.aws_configuration;
        let mut warnings = Vec::new();
        if aws.lambda_runtime != RUNTIME {
            warnings.push(format!(
                "ignoring `aws_configuration.lambda_runtime = \"{}\"` of the admin config: the \
                 proxy is a native `bootstrap`, which runs on {RUNTIME}",
                aws.lambda_runtime.escape_debug()
            ));
        }
        Self {
            names: DeployNames::from(&admin.aws_service_names),
            region: targets.region().unwrap_or_default().to_owned(),
            user_pool_id: targets.user_pool_id.value,
            client_ids: targets.client_ids,
            identity_pool_id: targets.identity_pool_id,
            keys,
            max_session_duration: i32::try_from(aws.max_session_duration).unwrap_or(43_200),
            timeout_seconds: i32::try_from(aws.lambda_timeout).unwrap_or(30),
            memory_mb: 128,
            adopt,
            dry_run,
            warnings,
        }
    }
}

/// What the command line asks for (`None`: the admin config's default); shared by
/// `cogadmin lambda deploy` and `cargo xtask deploy-lambda`.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    /// The Cognito resources the proxy serves, resolved as for every cogadmin command.
    pub targets: TargetFlags,
    /// `--region`: the function's region, instead of the user pool's.
    pub region: Option<String>,
    pub function_name: Option<String>,
    pub iam_user_name: Option<String>,
    pub execution_role_name: Option<String>,
    pub long_lived_role_name: Option<String>,
    pub keys: KeySource,
    pub adopt: bool,
    pub dry_run: bool,
}

impl DeployRequest {
    /// The options: the flags, then the admin config (names, parameters), with the targets
    /// from [`crate::target`] (flags > last setup > user config).
    pub fn resolve(
        self,
        admin: &LoadedAdminConfig,
        env: &dyn Env,
    ) -> Result<DeployOptions, DeployError> {
        let targets = Resolver::new(self.targets, admin, env)
            .and_then(|r| r.proxy())
            .map_err(AdminError::from)?;
        let mut options =
            DeployOptions::new(&admin.config, targets, self.keys, self.adopt, self.dry_run);
        if let Some(region) = self.region {
            options.region = region;
        }
        let names = &mut options.names;
        for (flag, name) in [
            (self.function_name, &mut names.function),
            (self.iam_user_name, &mut names.iam_user),
            (self.execution_role_name, &mut names.execution_role),
            (self.long_lived_role_name, &mut names.long_lived_role),
        ] {
            if let Some(value) = flag {
                *name = value;
            }
        }
        Ok(options)
    }
}

/// What a deploy did. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeployOutcome {
    /// One step per resource, and the warnings.
    pub plan: Plan,
    pub region: String,
    pub architecture: String,
    pub function_arn: String,
    pub long_lived_role_arn: String,
    pub iam_user_arn: String,
    /// The key the function uses (the id only); `None` in a dry run that would create one.
    pub access_key_id: Option<String>,
    /// The secret that holds the key (planned, ending in `-??????`, in a dry run that would
    /// create it).
    pub secret_arn: String,
}

impl DeployOutcome {
    /// True when any step changed something (or would have, in a dry run).
    pub fn changed(&self) -> bool {
        self.plan.changed()
    }

    /// The outcome for people, one line each: every resource and what happened to it, then
    /// the function, the role and the key id. Never a secret.
    pub fn report_lines(&self) -> Vec<String> {
        let mut lines = self.plan.lines();
        lines.push(format!(
            "function: {} ({}, {})",
            self.function_arn, self.region, self.architecture
        ));
        lines.push(format!("long-lived role: {}", self.long_lived_role_arn));
        lines.push(format!("IAM user: {}", self.iam_user_arn));
        lines.push(match &self.access_key_id {
            Some(id) => format!(
                "access key: {id} (its secret is stored only in secret {})",
                self.secret_arn
            ),
            None => "access key: a new one would be created".to_owned(),
        });
        lines.push(
            self.plan
                .conclusion("the proxy is already deployed as asked")
                .unwrap_or_else(|| "deployed".to_owned()),
        );
        lines
    }
}

/// Why a deploy stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(
        "IAM user `{user}` does not exist: pass --create-user to create it, or give an existing user's key with --access-key-id and --secret-access-key-stdin"
    )]
    NoUser { user: String },
    #[error(
        "access key `{access_key_id}` is not known to IAM: check the id, or let cogadmin create a key with --create-user"
    )]
    UnknownKey { access_key_id: String },
    #[error(
        "IAM user `{user}` already has two access keys ({keys}), the most IAM allows: delete one that cogauth did not create, or give one with --access-key-id and --secret-access-key-stdin"
    )]
    TooManyKeys { user: String, keys: String },
    #[error(
        "{what} was still not usable after {attempts} attempts ({last}): IAM changes can take a minute to propagate; run the deploy again"
    )]
    NotPropagated {
        what: String,
        attempts: u32,
        last: String,
    },
    #[error(
        "Lambda function `{function}` did not finish updating: {reason}; see its state with `aws lambda get-function --function-name {function}`"
    )]
    FunctionUpdate { function: String, reason: String },
    #[error(
        "Lambda function `{function}` has COGAUTH_JWKS_URL `{url}`, which the proxy refuses at start-up: it must be https://, or http:// to a loopback address such as an emulator on the same host (over plain HTTP from anywhere else the token keys can be swapped on the way, and with them any token forged); correct or remove the variable (`aws lambda update-function-configuration --function-name {function} --environment ...`), then deploy again"
    )]
    InsecureJwksUrl { function: String, url: String },
    #[error(
        "access key `{access_key_id}` of IAM user `{user}` did not work from the secret ({reason}){undone}; run again in a minute (IAM can take that long to accept a new key), or check the key given with --access-key-id"
    )]
    KeyCheck {
        access_key_id: String,
        user: String,
        reason: String,
        /// What was undone, `: ...`, or nothing.
        undone: String,
    },
    #[error(
        "Lambda function `{function}` does not exist in {region}: deploy it with `cogadmin lambda deploy`, or give its name with --function-name and its region with --region"
    )]
    NoFunction { function: String, region: String },
    #[error(
        "Lambda function `{function}` still holds its IAM user key in its environment (IAM_USER_ACCESS_KEY_ID, IAM_USER_SECRET_ACCESS_KEY), where anyone allowed lambda:GetFunctionConfiguration can read it: run `cogadmin lambda deploy` first, which moves it into Secrets Manager and replaces it"
    )]
    NotMigrated { function: String },
    #[error(
        "Lambda function `{function}` reads its key from no secret (it has no IAM_USER_SECRET_ARN): it is not a credential proxy deployed by `cogadmin lambda deploy`"
    )]
    NoSecret { function: String },
    #[error(
        "the secret `{arn}` that Lambda function `{function}` reads its key from does not exist: run `cogadmin lambda deploy` to write it again"
    )]
    MissingSecret { function: String, arn: String },
    #[error(
        "Lambda function `{function}` reads its key from secret `{arn}`, which is not the one `cogadmin lambda deploy` made for it (`{expected}`, in the function's account and region): a rotation would write the new key where whoever set IAM_USER_SECRET_ARN may read it, so nothing was changed; find out who changed the function's configuration (CloudTrail: UpdateFunctionConfiguration), then run `cogadmin lambda deploy`, which points it back at its own secret"
    )]
    NotTheDeploymentsSecret {
        function: String,
        arn: String,
        expected: String,
    },
    #[error(
        "secret `{name}` ({arn}) has a resource policy, which cogadmin never writes: it may let other principals read the proxy's IAM user key, so nothing was changed; read it with `aws secretsmanager get-resource-policy --secret-id {arn}`, and if nobody but the proxy should read the key, remove it (`aws secretsmanager delete-resource-policy --secret-id {arn}`) and run again"
    )]
    SecretHasResourcePolicy { name: String, arn: String },
}

/// Deploys (or, with `dry_run`, plans) the proxy. `sdk` is the administrator's SDK config from
/// the normal credential chain, `zip` the package from `cargo xtask package-lambda`.
///
/// Everything is read first, and nothing is changed unless every resource found by name is
/// cogadmin's (or adopted: [`crate::ownership`]) and the function's settings can be kept. The
/// changes then run in the order that keeps the proxy serving: the IAM user, roles and key; the
/// function's new code; the secret (with the key checked against STS); the execution role's
/// permission to read it; the function's configuration; last, the old key's deletion.
pub async fn deploy(
    sdk: &SdkConfig,
    options: &DeployOptions,
    zip: &[u8],
) -> Result<DeployOutcome, DeployError> {
    let bundle = bundle::inspect(zip)?;
    validate(options)?;
    let region = options.region.clone();
    let sdk = &in_region(sdk, &region);
    let (partition, account) = crate::caller(sdk).await?;
    let names = &options.names;
    let dry_run = options.dry_run;
    let mut steps = Vec::new();
    let mut warnings = options.warnings.clone();
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let iam = iam::Iam::new(aws_sdk_iam::Client::new(sdk), dry_run);
    let mut owner = Ownership::new(options.adopt, dry_run);

    // Read-only checks first, so a wrong id or a foreign resource fails before any change.
    let invoke_role = match &options.identity_pool_id {
        Some(id) => match crate::roles::authenticated_role(sdk, id).await {
            Ok(role) => {
                let purpose = format!(
                    "`lambda deploy` would allow it to invoke function `{}` (an inline policy)",
                    names.function
                );
                crate::iam::claim_role(iam.client(), &role.name, &mut owner, purpose).await?;
                Some(role)
            }
            Err(AdminError::NoAuthenticatedRole { .. }) => {
                warnings.push(format!(
                    "identity pool `{id}` has no authenticated role, so no one can invoke the \
                     proxy yet: run `cogadmin setup`, then deploy again"
                ));
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let existing = function::Existing::get(&lambda, &names.function).await?;
    if let Some(existing) = &existing {
        owner.register(existing.found(&names.function));
        existing.check_jwks_url(&names.function)?;
    }
    let user = iam.find_user(options, &mut owner).await?;
    let long_lived_role = crate::iam::claim_role(
        iam.client(),
        &names.long_lived_role,
        &mut owner,
        format!(
            "`lambda deploy` would rewrite its trust policy to trust IAM user `{}` and set its \
             MaxSessionDuration to {} s, so that every user of the pool would get its \
             permissions",
            user.name, options.max_session_duration
        ),
    )
    .await?;
    let execution_role = crate::iam::claim_role(
        iam.client(),
        &names.execution_role,
        &mut owner,
        format!(
            "`lambda deploy` would rewrite its trust policy for Lambda and make it function \
             `{}`'s execution role",
            names.function
        ),
    )
    .await?;
    let secret_name = names.secret();
    let found_secret = secret::ExistingSecret::find(&secrets, &secret_name).await?;
    if let Some(found) = &found_secret {
        found.check_no_resource_policy()?;
        owner.register(found.found(format!(
            "`lambda deploy` would write the proxy's IAM user key into it for function `{}`",
            names.function
        )));
    }
    owner.settle(sdk, &mut steps).await?;

    // The key the deployment uses now: the secret's, or (before the migration) the one in
    // plain sight in the function's environment.
    let stored = match &found_secret {
        Some(found) if !found.deleted => secret::read(&secrets, &found.arn).await?,
        _ => None,
    };
    let plaintext = existing
        .as_ref()
        .and_then(function::Existing::plaintext_key);
    let migrating = existing
        .as_ref()
        .is_some_and(function::Existing::needs_migration);
    let reads_environment = existing.as_ref().is_some_and(|e| e.secret_arn().is_none());
    let deployed = match (plaintext, &stored) {
        (Some((id, secret)), stored) if reads_environment || stored.is_none() => Some(Deployed {
            key: StoredKey {
                access_key_id: id,
                secret_access_key: secret,
            },
            in_plain_sight: true,
        }),
        (plaintext, Some(key)) => Some(Deployed {
            key: key.clone(),
            in_plain_sight: plaintext.is_some_and(|(id, _)| id == key.access_key_id),
        }),
        (_, None) => None,
    };
    if migrating {
        steps.push(
            Step::new(
                Resource::Function,
                &names.function,
                Action::migrate(dry_run),
            )
            .with_details(vec![
                format!(
                    "the IAM user's key moves out of the environment \
                         (IAM_USER_ACCESS_KEY_ID, IAM_USER_SECRET_ACCESS_KEY) into secret \
                         `{secret_name}`"
                ),
                "the code is updated first, then the secret written, then the \
                     configuration (IAM_USER_SECRET_ARN set, the two variables removed)"
                    .to_owned(),
            ]),
        );
    }

    let user = iam
        .ensure_user(options, user, &partition, &account, &mut steps)
        .await?;
    let long_lived_role_arn = iam
        .ensure_role(
            &names.long_lived_role,
            long_lived_role,
            &documents::long_lived_role_trust(&user.arn),
            Some(options.max_session_duration),
            "cogauth: long-lived role the credential proxy assumes for Cognito users",
            &partition,
            &account,
            &mut steps,
        )
        .await?;
    iam.ensure_inline_policy(
        iam::PolicyOwner::User(&user.name),
        &names.user_policy,
        &documents::proxy_user_policy(&long_lived_role_arn),
        Resource::UserPolicy,
        &mut steps,
    )
    .await?;
    let execution_role_arn = iam
        .ensure_role(
            &names.execution_role,
            execution_role,
            &documents::execution_role_trust(),
            None,
            "cogauth: execution role of the credential proxy (its logs and its key's secret)",
            &partition,
            &account,
            &mut steps,
        )
        .await?;
    let fresh_role = steps.last().is_some_and(|s: &Step| s.action.is_change());
    if iam.role_has_no_permissions(&names.long_lived_role).await? {
        warnings.push(format!(
            "role `{}` has no permissions policy yet, so the credentials the proxy issues can do \
             nothing: attach the policies your users need to it",
            names.long_lived_role
        ));
    }

    let key = iam
        .select_key(options, &user, deployed.as_ref(), &mut steps)
        .await?;
    let new_key = key.stored();

    let planned_secret_arn =
        format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{secret_name}-??????");
    let mut desired = function::Desired {
        options,
        role_arn: &execution_role_arn,
        fresh_role,
        long_lived_role_arn: &long_lived_role_arn,
        architecture: bundle.architecture,
        code_sha256: &bundle.code_sha256,
        zip,
        secret_arn: found_secret
            .as_ref()
            .map_or(planned_secret_arn.as_str(), |s| s.arn.as_str()),
        region: &region,
        account: &account,
        partition: &partition,
    };
    // The new code first: it reads the key from the old variables as well as from the secret.
    if let Some(existing) = &existing {
        let changes = function::Changes::of(existing, &desired);
        function::update_code(&lambda, &desired, &changes).await?;
    }
    let found = secret::Found {
        name: &secret_name,
        existing: found_secret.as_ref(),
        current: stored.as_ref(),
        planned_arn: &planned_secret_arn,
    };
    let secret_arn = secret::write(&secrets, found, new_key.as_ref(), dry_run, &mut steps).await?;
    let secret_changed = steps.last().is_some_and(|s| s.action.is_change());
    if secret_changed
        && !dry_run
        && let Some(new) = &new_key
    {
        let checked = rotate::check_installed(sdk, &secrets, &secret_arn, new, &user.arn).await;
        if let Err(e) = checked {
            let created = key.created.then_some(new);
            let previous = stored.as_ref().filter(|_| found_secret.is_some());
            return Err(rotate::roll_back(
                &iam,
                &secrets,
                &secret_arn,
                previous,
                created,
                &user.name,
                e,
            )
            .await);
        }
        if let Some(step) = steps.last_mut() {
            step.details
                .push(format!("checked: STS accepts the key as {}", user.arn));
        }
    }
    iam.ensure_inline_policy(
        iam::PolicyOwner::Role(&names.execution_role),
        &names.execution_policy,
        &documents::execution_policy(&partition, &region, &account, &names.function, &secret_arn),
        Resource::RolePolicy,
        &mut steps,
    )
    .await?;

    // Then the configuration, which points the function at the secret.
    desired.secret_arn = &secret_arn;
    let function_arn = match &existing {
        Some(existing) => {
            let changes = function::Changes::of(existing, &desired);
            function::update_config(&lambda, &desired, changes, &mut steps).await?;
            match existing.env.get(function::vars::REQUIRE_ACCESS_TOKEN) {
                Some(v) if v.eq_ignore_ascii_case("true") => {}
                _ => warnings.push(format!(
                    "function `{}` serves requests without an access token \
                     (REQUIRE_ACCESS_TOKEN is not `true`), so it cannot refuse a revoked \
                     session; the deploy keeps the setting: set it to `true` once every client \
                     sends its access token (cogauth does)",
                    names.function
                )),
            }
            existing.arn.clone()
        }
        None => function::create(&lambda, &desired, &mut steps).await?,
    };

    // Only once the function reads the new key is the old one deleted.
    iam.retire_keys(&user.name, &key.retire).await?;

    match &invoke_role {
        Some(role) => {
            iam.ensure_inline_policy(
                iam::PolicyOwner::Role(&role.name),
                &names.invoke_policy(),
                &documents::invoke_policy(&function_arn),
                Resource::InvokePermission,
                &mut steps,
            )
            .await?;
        }
        None if options.identity_pool_id.is_none() => warnings.push(format!(
            "no identity pool given: the role your users get from it needs \
             `lambda:InvokeFunction` on {function_arn}; pass --identity-pool-id to grant it"
        )),
        None => {}
    }

    Ok(DeployOutcome {
        plan: Plan {
            dry_run,
            steps,
            warnings,
        },
        region,
        architecture: bundle.architecture.to_string(),
        function_arn,
        long_lived_role_arn,
        iam_user_arn: user.arn,
        access_key_id: key.id.clone(),
        secret_arn,
    })
}

fn validate(options: &DeployOptions) -> Result<(), DeployError> {
    let invalid = |what: &'static str, value: &str, expected: &str| AdminError::InvalidInput {
        what,
        value: value.to_owned(),
        expected: expected.to_owned(),
    };
    let names = &options.names;
    for name in [
        &names.iam_user,
        &names.execution_role,
        &names.long_lived_role,
    ] {
        crate::policies::validate_role_name(name)?;
    }
    for name in [&names.user_policy, &names.execution_policy] {
        crate::policies::validate_policy_name(name)?;
    }
    if names.function.is_empty()
        || names.function.len() > 64
        || !names
            .function
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return Err(invalid(
            "function name",
            &names.function,
            "1 to 64 letters, digits, `-` and `_`",
        )
        .into());
    }
    if !ids::is_user_pool_id(&options.user_pool_id) {
        return Err(invalid(
            "user pool id",
            &options.user_pool_id,
            "<region>_<id>, e.g. us-east-1_AbC123",
        )
        .into());
    }
    if !ids::is_region(&options.region) {
        return Err(invalid("region", &options.region, "a region name, e.g. us-east-1").into());
    }
    if let Some(bad) = options.client_ids.iter().find(|c| !ids::is_client_id(c)) {
        return Err(invalid("app client id", bad, "letters and digits").into());
    }
    if let Some(id) = &options.identity_pool_id {
        crate::roles::identity_pool_region(id)?;
    }
    if !(3600..=43_200).contains(&options.max_session_duration) {
        return Err(invalid(
            "max session duration",
            &options.max_session_duration.to_string(),
            "3600 to 43200 seconds",
        )
        .into());
    }
    if let KeySource::Provided { access_key_id, .. } = &options.keys
        && !(16..=128).contains(&access_key_id.len())
    {
        return Err(invalid("access key id", access_key_id, "an IAM access key id").into());
    }
    Ok(())
}

/// The key the function will hold, and the cogauth-created keys to delete once it does.
#[derive(Debug)]
pub(crate) struct DeployKey {
    /// `None` only in a dry run that would create a key.
    pub id: Option<String>,
    pub secret: Option<SecretString>,
    pub retire: Vec<String>,
    /// Created by this run (so a failed check deletes it).
    pub created: bool,
}

impl DeployKey {
    /// The key, when it is known (not in a dry run that would create one).
    fn stored(&self) -> Option<StoredKey> {
        Some(StoredKey {
            access_key_id: self.id.clone()?,
            secret_access_key: self.secret.clone()?,
        })
    }
}

/// The key a deployment uses now.
#[derive(Debug)]
pub(crate) struct Deployed {
    pub key: StoredKey,
    /// Read from the function's environment (before the migration), where anyone allowed
    /// `lambda:GetFunctionConfiguration` could read it.
    pub in_plain_sight: bool,
}
