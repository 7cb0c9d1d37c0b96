//! The Lambda side of the deploy: create the function, or update its code and configuration
//! where they differ, and wait until Lambda has applied the change.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, LastUpdateStatus, Runtime, State};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use secrecy::{ExposeSecret, SecretString};

use super::bundle::Architecture;
use super::retry::{Backoff, retry};
use super::{DeployError, DeployKey, DeployOptions, RUNTIME};
use crate::AdminError;
use crate::plan::{Action, Resource, Step};
use cogauth_core::aws::{Service, error_code};

/// The environment variables the deploy owns; any other variable already on the function
/// (`ALLOWED_ROLE_ARNS`, `COGAUTH_JWKS_URL`, `RUST_LOG`...) is kept as the administrator set it.
pub(super) mod vars {
    pub const USER_POOL_ID: &str = "USER_POOL_ID";
    pub const CLIENT_IDS: &str = "CLIENT_IDS";
    pub const DEFAULT_ROLE_ARN: &str = "DEFAULT_ROLE_ARN";
    pub const MAX_DURATION_SECONDS: &str = "MAX_DURATION_SECONDS";
    pub const IAM_USER_ACCESS_KEY_ID: &str = "IAM_USER_ACCESS_KEY_ID";
    pub const IAM_USER_SECRET_ACCESS_KEY: &str = "IAM_USER_SECRET_ACCESS_KEY";
}

const HANDLER: &str = "bootstrap";
const DESCRIPTION: &str =
    "cogauth credential proxy: verifies Cognito ID tokens and returns long-lived-role credentials";

/// The function as it is now.
pub(super) struct Existing {
    pub arn: String,
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
        // The environment holds the IAM user's secret key: names only.
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

    /// The IAM user key id the function holds.
    pub fn key_id(&self) -> Option<&str> {
        self.env
            .get(vars::IAM_USER_ACCESS_KEY_ID)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The secret of that key, as deployed.
    pub fn key_secret(&self) -> Option<SecretString> {
        self.env
            .get(vars::IAM_USER_SECRET_ACCESS_KEY)
            .filter(|v| !v.is_empty())
            .map(|v| SecretString::from(v.clone()))
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
    pub key: &'a DeployKey,
    pub region: &'a str,
    pub account: &'a str,
    pub partition: &'a str,
}

impl Desired<'_> {
    /// The environment: what the function has, with the deploy's variables set.
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
        // In a dry run that would create a key, these stand for "changed"; never sent.
        set(
            vars::IAM_USER_ACCESS_KEY_ID,
            self.key
                .id
                .clone()
                .unwrap_or_else(|| "(new key)".to_owned()),
        );
        set(
            vars::IAM_USER_SECRET_ACCESS_KEY,
            self.key
                .secret
                .as_ref()
                .map_or_else(|| "(new key)".to_owned(), |s| s.expose_secret().to_owned()),
        );
        env
    }
}

/// The names of the variables whose values differ (values are never reported).
pub(super) fn changed_vars(
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Vec<String> {
    desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Creates or updates the function; its ARN.
pub(super) async fn ensure(
    lambda: &aws_sdk_lambda::Client,
    desired: Desired<'_>,
    existing: Option<&Existing>,
    steps: &mut Vec<Step>,
) -> Result<String, DeployError> {
    let options = desired.options;
    let name = &options.names.function;
    let dry_run = options.dry_run;
    let env = desired.environment(existing);

    let Some(existing) = existing else {
        let planned = format!(
            "arn:{}:lambda:{}:{}:function:{name}",
            desired.partition, desired.region, desired.account
        );
        let details = vec![format!("architecture {}", desired.architecture)];
        if dry_run {
            steps.push(
                Step::new(Resource::Function, name, Action::WouldCreate).with_details(details),
            );
            return Ok(planned);
        }
        let variables: HashMap<String, String> = env.into_iter().collect();
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
        return Ok(created.function_arn().map_or(planned, str::to_owned));
    };

    let mut details = Vec::new();
    let architecture_differs =
        existing.architecture.as_deref() != Some(desired.architecture.as_str());
    let code_differs = existing.code_sha256 != desired.code_sha256 || architecture_differs;
    if code_differs {
        details.push("code".to_owned());
    }
    if architecture_differs {
        details.push(format!(
            "architecture {} -> {}",
            existing.architecture.as_deref().unwrap_or("?"),
            desired.architecture
        ));
    }
    let mut config_changes = Vec::new();
    if existing.runtime.as_deref() != Some(RUNTIME) {
        config_changes.push(format!("runtime -> {RUNTIME}"));
    }
    if existing.handler.as_deref() != Some(HANDLER) {
        config_changes.push(format!("handler -> {HANDLER}"));
    }
    if existing.role.as_deref() != Some(desired.role_arn) {
        config_changes.push("execution role".to_owned());
    }
    if existing.timeout != Some(options.timeout_seconds) {
        config_changes.push(format!("timeout -> {} s", options.timeout_seconds));
    }
    if existing.memory != Some(options.memory_mb) {
        config_changes.push(format!("memory -> {} MB", options.memory_mb));
    }
    let vars = changed_vars(&existing.env, &env);
    if !vars.is_empty() {
        config_changes.push(format!("environment: {}", vars.join(", ")));
    }
    details.extend(config_changes.iter().cloned());

    if details.is_empty() {
        steps.push(Step::new(Resource::Function, name, Action::Unchanged));
        return Ok(existing.arn.clone());
    }
    if !dry_run {
        if code_differs {
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
            wait_until_applied(lambda, name).await?;
        }
        if !config_changes.is_empty() {
            let variables: HashMap<String, String> = env.into_iter().collect();
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
    }
    steps.push(Step::new(Resource::Function, name, Action::update(dry_run)).with_details(details));
    Ok(existing.arn.clone())
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
        let changed = changed_vars(&current, &desired);
        assert_eq!(changed, ["CLIENT_IDS", "IAM_USER_SECRET_ACCESS_KEY"]);
        assert!(!format!("{changed:?}").contains("secret\""));
        assert!(changed_vars(&current, &current).is_empty());
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
