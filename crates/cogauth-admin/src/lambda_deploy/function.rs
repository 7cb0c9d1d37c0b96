//! The Lambda side of the deploy: create the function, or update its code and configuration
//! where they differ, and wait until Lambda has applied the change.
//!
//! The function's environment holds no secret: the IAM user's key is in a Secrets Manager
//! secret, and the function gets its ARN (`IAM_USER_SECRET_ARN`). A function deployed before
//! that still carries the key in `IAM_USER_ACCESS_KEY_ID` / `IAM_USER_SECRET_ACCESS_KEY`; the
//! deploy migrates it: its code is updated first (the new proxy reads either), then, once the
//! secret is written and the execution role may read it, its configuration (the ARN set, the two
//! variables removed). The contract is docs/lambda-proxy.md's "The function's settings".

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, LastUpdateStatus, Runtime, State};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use secrecy::SecretString;

use super::bundle::Architecture;
use super::retry::{Backoff, retry};
use super::{DeployError, DeployOptions, RUNTIME};
use crate::AdminError;
use crate::ownership::{self, Found, Marker};
use crate::plan::{Action, Resource, Step};
use cogauth_core::aws::{Service, error_code};

/// The environment variables the deploy owns; any other variable already on the function
/// (`ALLOWED_ROLE_ARNS`, `RUST_LOG`...) is kept as the administrator set it.
pub(super) mod vars {
    pub const USER_POOL_ID: &str = "USER_POOL_ID";
    pub const CLIENT_IDS: &str = "CLIENT_IDS";
    pub const DEFAULT_ROLE_ARN: &str = "DEFAULT_ROLE_ARN";
    pub const MAX_DURATION_SECONDS: &str = "MAX_DURATION_SECONDS";
    pub const IAM_USER_SECRET_ARN: &str = "IAM_USER_SECRET_ARN";
    /// Set to `true` on a new function; an existing function's value is kept.
    pub const REQUIRE_ACCESS_TOKEN: &str = "REQUIRE_ACCESS_TOKEN";
    /// Kept only when `https://` or `http://` to a loopback address (the proxy refuses others).
    pub const COGAUTH_JWKS_URL: &str = "COGAUTH_JWKS_URL";
    /// The key in plain sight, before the secret: removed by the migration.
    pub const IAM_USER_ACCESS_KEY_ID: &str = "IAM_USER_ACCESS_KEY_ID";
    pub const IAM_USER_SECRET_ACCESS_KEY: &str = "IAM_USER_SECRET_ACCESS_KEY";
}

const HANDLER: &str = "bootstrap";
const DESCRIPTION: &str =
    "cogauth credential proxy: verifies Cognito ID tokens and returns long-lived-role credentials";

/// The function as it is now.
pub(super) struct Existing {
    pub arn: String,
    pub description: Option<String>,
    pub tags: HashMap<String, String>,
    pub env: BTreeMap<String, String>,
    pub code_sha256: String,
    pub architecture: Option<String>,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub role: Option<String>,
    pub timeout: Option<i32>,
    pub memory: Option<i32>,
}

impl fmt::Debug for Existing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Before the migration the environment holds the IAM user's secret key: names only.
        f.debug_struct("Existing")
            .field("arn", &self.arn)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("code_sha256", &self.code_sha256)
            .finish_non_exhaustive()
    }
}

fn lambda_error<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    move |err| DeployError::Admin(AdminError::from_sdk(Service::Lambda, operation, &err))
}

/// Whether Lambda's answer means "not yet" rather than "no", decided on the error code and on
/// what this deploy just did, never on the message: `ResourceConflictException` while a
/// previous update is still being applied; `InvalidParameterValueException` only while the
/// execution role is fresh (created or changed by this run), which is how Lambda says it cannot
/// assume a role that IAM has not propagated yet.
fn is_transient(e: &DeployError, fresh_role: bool) -> bool {
    let DeployError::Admin(admin) = e else {
        return false;
    };
    match admin.code() {
        Some("ResourceConflictException") => true,
        Some("InvalidParameterValueException") => fresh_role,
        _ => false,
    }
}

fn not_ready(function: &str, fresh_role: bool, (e, attempts): (DeployError, u32)) -> DeployError {
    if is_transient(&e, fresh_role) {
        DeployError::NotPropagated {
            what: format!("Lambda function `{function}`"),
            attempts,
            last: e.to_string(),
        }
    } else {
        e
    }
}

impl Existing {
    /// The function named `name`, if it exists.
    pub async fn get(
        lambda: &aws_sdk_lambda::Client,
        name: &str,
    ) -> Result<Option<Self>, DeployError> {
        let answer = match lambda.get_function().function_name(name).send().await {
            Ok(answer) => answer,
            Err(e) if error_code(&e) == Some("ResourceNotFoundException") => return Ok(None),
            Err(e) => return Err(lambda_error("GetFunction")(e)),
        };
        let Some(config) = answer.configuration() else {
            return Ok(None);
        };
        Ok(Some(Self {
            arn: config.function_arn().unwrap_or_default().to_owned(),
            description: config.description().map(str::to_owned),
            tags: answer.tags().cloned().unwrap_or_default(),
            env: config
                .environment()
                .and_then(|e| e.variables())
                .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            code_sha256: config.code_sha256().unwrap_or_default().to_owned(),
            architecture: config
                .architectures()
                .first()
                .map(|a| a.as_str().to_owned()),
            runtime: config.runtime().map(|r| r.as_str().to_owned()),
            handler: config.handler().map(str::to_owned),
            role: config.role().map(str::to_owned),
            timeout: config.timeout(),
            memory: config.memory_size(),
        }))
    }

    /// The key in plain sight in the environment (a deployment from before the secret), if
    /// any: its id and secret.
    pub fn plaintext_key(&self) -> Option<(String, SecretString)> {
        let id = self
            .env
            .get(vars::IAM_USER_ACCESS_KEY_ID)
            .filter(|v| !v.is_empty())?;
        let secret = self
            .env
            .get(vars::IAM_USER_SECRET_ACCESS_KEY)
            .filter(|v| !v.is_empty())?;
        Some((id.clone(), SecretString::from(secret.clone())))
    }

    /// True when either variable of the key in plain sight is set: a migration removes both.
    pub fn needs_migration(&self) -> bool {
        [
            vars::IAM_USER_ACCESS_KEY_ID,
            vars::IAM_USER_SECRET_ACCESS_KEY,
        ]
        .iter()
        .any(|v| self.env.contains_key(*v))
    }

    /// The secret the function reads its key from, when it is set.
    pub fn secret_arn(&self) -> Option<&str> {
        self.env
            .get(vars::IAM_USER_SECRET_ARN)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The ownership record of the function, for [`crate::ownership`].
    pub fn found(&self, name: &str) -> Found {
        let earlier = self
            .description
            .as_deref()
            .filter(|d| d.starts_with("cogauth credential proxy"))
            .map(|d| format!("its description is \"{d}\""));
        Found {
            resource: Resource::Function,
            name: name.to_owned(),
            id: Some(self.arn.clone()),
            purpose: "`lambda deploy` would replace its code and configuration with the \
                      credential proxy's"
                .to_owned(),
            managed: ownership::is_managed_map(Some(&self.tags)),
            earlier,
            marker: Marker::Function {
                arn: self.arn.clone(),
            },
        }
    }

    /// Refuses a `COGAUTH_JWKS_URL` the proxy would refuse at start-up: the deploy keeps the
    /// administrator's variables, and must not keep one that lets the token keys be swapped.
    pub fn check_jwks_url(&self, function: &str) -> Result<(), DeployError> {
        match self.env.get(vars::COGAUTH_JWKS_URL) {
            Some(url) if !jwks_url_is_safe(url) => Err(DeployError::InsecureJwksUrl {
                function: function.to_owned(),
                url: url.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// `https://` with a host, or `http://` to a loopback IP address (an emulator on the same
/// host): the rule the proxy applies at start-up (`cogauth_lambda::config`), with the same
/// URL parser. `localhost` is refused: a name can resolve elsewhere.
pub(super) fn jwks_url_is_safe(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return false;
    };
    match parsed.scheme() {
        "https" => true,
        "http" => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        _ => false,
    }
}

/// What the function should be.
pub(super) struct Desired<'a> {
    pub options: &'a DeployOptions,
    pub role_arn: &'a str,
    /// The execution role was created or changed by this run, so IAM may not have propagated
    /// it to Lambda yet.
    pub fresh_role: bool,
    pub long_lived_role_arn: &'a str,
    pub architecture: Architecture,
    pub code_sha256: &'a str,
    pub zip: &'a [u8],
    /// The secret holding the IAM user's key (planned, in a dry run that would create it).
    pub secret_arn: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub partition: &'a str,
}

impl Desired<'_> {
    /// The environment: what the function has, with the deploy's variables set and the key in
    /// plain sight removed. No value here is a secret.
    fn environment(&self, existing: Option<&Existing>) -> BTreeMap<String, String> {
        let mut env = existing.map(|e| e.env.clone()).unwrap_or_default();
        let options = self.options;
        let mut set = |k: &str, v: String| {
            env.insert(k.to_owned(), v);
        };
        set(vars::USER_POOL_ID, options.user_pool_id.clone());
        set(vars::CLIENT_IDS, options.client_ids.join(","));
        set(vars::DEFAULT_ROLE_ARN, self.long_lived_role_arn.to_owned());
        set(
            vars::MAX_DURATION_SECONDS,
            options.max_session_duration.to_string(),
        );
        set(vars::IAM_USER_SECRET_ARN, self.secret_arn.to_owned());
        if existing.is_none() {
            // Old clients send only the ID token; a new deployment serves current ones.
            set(vars::REQUIRE_ACCESS_TOKEN, "true".to_owned());
        }
        env.remove(vars::IAM_USER_ACCESS_KEY_ID);
        env.remove(vars::IAM_USER_SECRET_ACCESS_KEY);
        env
    }
}

/// The variables whose values differ, by name (`X`), and those removed (`-X`); values are
/// never reported.
pub(super) fn changed_vars(
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Vec<String> {
    let set = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(v))
        .map(|(k, _)| k.clone());
    let removed = current
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .map(|k| format!("-{k}"));
    set.chain(removed).collect()
}

/// What differs between the function and what it should be.
pub(super) struct Changes {
    code: bool,
    config: Vec<String>,
    details: Vec<String>,
    env: BTreeMap<String, String>,
}

impl Changes {
    /// Compares the existing function with `desired`.
    pub fn of(existing: &Existing, desired: &Desired<'_>) -> Self {
        let options = desired.options;
        let mut details = Vec::new();
        let architecture_differs =
            existing.architecture.as_deref() != Some(desired.architecture.as_str());
        let code = existing.code_sha256 != desired.code_sha256 || architecture_differs;
        if code {
            details.push("code".to_owned());
        }
        if architecture_differs {
            details.push(format!(
                "architecture {} -> {}",
                existing.architecture.as_deref().unwrap_or("?"),
                desired.architecture
            ));
        }
        let mut config = Vec::new();
        if existing.runtime.as_deref() != Some(RUNTIME) {
            config.push(format!("runtime -> {RUNTIME}"));
        }
        if existing.handler.as_deref() != Some(HANDLER) {
            config.push(format!("handler -> {HANDLER}"));
        }
        if existing.role.as_deref() != Some(desired.role_arn) {
            config.push("execution role".to_owned());
        }
        if existing.timeout != Some(options.timeout_seconds) {
            config.push(format!("timeout -> {} s", options.timeout_seconds));
        }
        if existing.memory != Some(options.memory_mb) {
            config.push(format!("memory -> {} MB", options.memory_mb));
        }
        let env = desired.environment(Some(existing));
        let vars = changed_vars(&existing.env, &env);
        if !vars.is_empty() {
            config.push(format!("environment: {}", vars.join(", ")));
        }
        details.extend(config.iter().cloned());
        Self {
            code,
            config,
            details,
            env,
        }
    }
}

/// Creates the function (tagged as cogadmin's); its ARN.
pub(super) async fn create(
    lambda: &aws_sdk_lambda::Client,
    desired: &Desired<'_>,
    steps: &mut Vec<Step>,
) -> Result<String, DeployError> {
    let options = desired.options;
    let name = &options.names.function;
    let planned = format!(
        "arn:{}:lambda:{}:{}:function:{name}",
        desired.partition, desired.region, desired.account
    );
    let details = vec![
        format!("architecture {}", desired.architecture),
        "REQUIRE_ACCESS_TOKEN=true, key read from the secret".to_owned(),
    ];
    if options.dry_run {
        steps.push(Step::new(Resource::Function, name, Action::WouldCreate).with_details(details));
        return Ok(planned);
    }
    let variables: HashMap<String, String> = desired.environment(None).into_iter().collect();
    let created = retry(
        Backoff::PROPAGATION,
        |e| is_transient(e, desired.fresh_role),
        || {
            let call = lambda
                .create_function()
                .function_name(name)
                .description(DESCRIPTION)
                .runtime(Runtime::from(RUNTIME))
                .handler(HANDLER)
                .role(desired.role_arn)
                .architectures(desired.architecture.to_lambda())
                .timeout(options.timeout_seconds)
                .memory_size(options.memory_mb)
                .set_tags(Some(ownership::tag_map()))
                .environment(
                    Environment::builder()
                        .set_variables(Some(variables.clone()))
                        .build(),
                )
                .code(
                    FunctionCode::builder()
                        .zip_file(Blob::new(desired.zip.to_vec()))
                        .build(),
                );
            async move { call.send().await.map_err(lambda_error("CreateFunction")) }
        },
    )
    .await
    .map_err(|e| not_ready(name, desired.fresh_role, e))?;
    wait_until_applied(lambda, name).await?;
    steps.push(Step::new(Resource::Function, name, Action::Created).with_details(details));
    Ok(created.function_arn().map_or(planned, str::to_owned))
}

/// Updates the function's code when it differs. Runs before anything the new code needs
/// (the secret, its read permission, the new configuration), since the new proxy also reads
/// the key from the old variables, while the old code cannot read the secret.
pub(super) async fn update_code(
    lambda: &aws_sdk_lambda::Client,
    desired: &Desired<'_>,
    changes: &Changes,
) -> Result<(), DeployError> {
    let name = &desired.options.names.function;
    if !changes.code || desired.options.dry_run {
        return Ok(());
    }
    retry(
        Backoff::PROPAGATION,
        |e| is_transient(e, desired.fresh_role),
        || {
            let call = lambda
                .update_function_code()
                .function_name(name)
                .architectures(desired.architecture.to_lambda())
                .zip_file(Blob::new(desired.zip.to_vec()));
            async move {
                call.send()
                    .await
                    .map_err(lambda_error("UpdateFunctionCode"))
            }
        },
    )
    .await
    .map_err(|e| not_ready(name, desired.fresh_role, e))?;
    wait_until_applied(lambda, name).await
}

/// Updates the function's configuration when it differs (after [`update_code`]), and reports
/// the function's step.
pub(super) async fn update_config(
    lambda: &aws_sdk_lambda::Client,
    desired: &Desired<'_>,
    changes: Changes,
    steps: &mut Vec<Step>,
) -> Result<(), DeployError> {
    let options = desired.options;
    let name = &options.names.function;
    if changes.details.is_empty() {
        steps.push(Step::new(Resource::Function, name, Action::Unchanged));
        return Ok(());
    }
    if !options.dry_run && !changes.config.is_empty() {
        let variables: HashMap<String, String> = changes.env.into_iter().collect();
        retry(
            Backoff::PROPAGATION,
            |e| is_transient(e, desired.fresh_role),
            || {
                let call = lambda
                    .update_function_configuration()
                    .function_name(name)
                    .runtime(Runtime::from(RUNTIME))
                    .handler(HANDLER)
                    .role(desired.role_arn)
                    .timeout(options.timeout_seconds)
                    .memory_size(options.memory_mb)
                    .environment(
                        Environment::builder()
                            .set_variables(Some(variables.clone()))
                            .build(),
                    );
                async move {
                    call.send()
                        .await
                        .map_err(lambda_error("UpdateFunctionConfiguration"))
                }
            },
        )
        .await
        .map_err(|e| not_ready(name, desired.fresh_role, e))?;
        wait_until_applied(lambda, name).await?;
    }
    steps.push(
        Step::new(Resource::Function, name, Action::update(options.dry_run))
            .with_details(changes.details),
    );
    Ok(())
}

/// Waits (bounded) until Lambda has applied the last create or update, so the next update is
/// accepted and invocations run the new code and environment.
async fn wait_until_applied(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
) -> Result<(), DeployError> {
    /// Why one look at the function did not find it ready.
    enum NotApplied {
        InProgress,
        Failed(DeployError),
    }
    let outcome = retry(
        Backoff::PROPAGATION,
        |e: &NotApplied| matches!(e, NotApplied::InProgress),
        || async move {
            let config = lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
                .map_err(|e| NotApplied::Failed(lambda_error("GetFunctionConfiguration")(e)))?;
            let failed = |reason: Option<&str>| {
                NotApplied::Failed(DeployError::FunctionUpdate {
                    function: name.to_owned(),
                    reason: reason.unwrap_or("failed").to_owned(),
                })
            };
            if config.state() == Some(&State::Failed) {
                return Err(failed(config.state_reason()));
            }
            if config.last_update_status() == Some(&LastUpdateStatus::Failed) {
                return Err(failed(config.last_update_status_reason()));
            }
            if config.state() == Some(&State::Pending)
                || config.last_update_status() == Some(&LastUpdateStatus::InProgress)
            {
                return Err(NotApplied::InProgress);
            }
            Ok(())
        },
    )
    .await;
    outcome.map_err(|(e, attempts)| match e {
        NotApplied::InProgress => DeployError::FunctionUpdate {
            function: name.to_owned(),
            reason: format!("still in progress after {attempts} checks"),
        },
        NotApplied::Failed(e) => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cogauth_core::aws::Failure;

    #[test]
    fn only_names_of_changed_variables_are_reported() {
        let current: BTreeMap<String, String> = [
            ("USER_POOL_ID", "us-east-1_a"),
            ("IAM_USER_SECRET_ACCESS_KEY", "old-secret"),
            ("ALLOWED_ROLE_ARNS", "arn:aws:iam::1:role/x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut desired = current.clone();
        desired.insert("IAM_USER_SECRET_ACCESS_KEY".into(), "new-secret".into());
        desired.insert("CLIENT_IDS".into(), "c1".into());
        desired.remove("ALLOWED_ROLE_ARNS");
        let changed = changed_vars(&current, &desired);
        assert_eq!(
            changed,
            [
                "CLIENT_IDS",
                "IAM_USER_SECRET_ACCESS_KEY",
                "-ALLOWED_ROLE_ARNS"
            ]
        );
        assert!(!format!("{changed:?}").contains("secret\""));
        assert!(changed_vars(&current, &current).is_empty());
    }

    #[test]
    fn the_jwks_url_is_kept_only_where_the_proxy_accepts_it() {
        for url in [
            "https://keys.example.com/jwks.json",
            "http://127.0.0.1:5000/jwks.json",
            "http://127.8.9.10/jwks.json",
            "http://[::1]:8080/jwks.json",
        ] {
            assert!(jwks_url_is_safe(url), "{url}");
        }
        for url in [
            "http://cognito-idp.us-east-1.amazonaws.com/pool/.well-known/jwks.json",
            "http://localhost:5000/jwks.json",
            "http://10.0.0.1/jwks.json",
            "http://0.0.0.0/jwks.json",
            "http://[::ffff:10.0.0.1]/jwks.json",
            "http://127.0.0.1.nip.io/jwks.json",
            "http://127.0.0.1@evil.example/jwks.json",
            "ftp://127.0.0.1/jwks.json",
            "file:///etc/passwd",
            "https://",
            "not a url",
            "",
        ] {
            assert!(!jwks_url_is_safe(url), "{url}");
        }
    }

    #[test]
    fn transient_lambda_errors() {
        let aws = |code: &str, message: &str| {
            DeployError::Admin(AdminError::Aws {
                service: Service::Lambda,
                operation: "CreateFunction",
                failure: Failure::Service {
                    code: code.to_owned(),
                    message: message.to_owned(),
                },
            })
        };
        // A role created a moment ago: Lambda cannot assume it yet.
        assert!(is_transient(
            &aws(
                "InvalidParameterValueException",
                "The role defined for the function cannot be assumed by Lambda."
            ),
            true
        ));
        assert!(is_transient(
            &aws(
                "ResourceConflictException",
                "The operation cannot be performed at this time."
            ),
            false
        ));
        // With a role that was already there, the same code means a bad request.
        assert!(!is_transient(
            &aws(
                "InvalidParameterValueException",
                "Unzipped size must be smaller than 262144000 bytes"
            ),
            false
        ));
        assert!(!is_transient(&aws("AccessDeniedException", "no"), true));
    }
}
