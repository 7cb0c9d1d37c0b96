//! `cogadmin lambda rotate-key`: replaces the proxy's IAM user key without an outage, and the
//! check of a newly installed key that the deploy shares.
//!
//! 0. check that the secret the function names is the one the deploy made for it
//!    ([`secret::secret_name`], in the function's account and region), and that the function,
//!    the secret and the user are cogadmin's;
//! 1. create a second access key for the user (deleting first an unused one cogauth left
//!    behind, so there are never more than two);
//! 2. write it to the secret as its new current version;
//! 3. read the secret back as the proxy does and call STS `GetCallerIdentity` signed with the
//!    key it holds: it must answer with the user's ARN (a new key can take a few seconds to be
//!    accepted: `InvalidClientTokenId` is retried, boundedly);
//! 4. delete the old key.
//!
//! Running functions keep the old key until STS rejects it, then read the secret once more
//! (docs/lambda-proxy.md), so no request fails. If the check fails, the secret is set back to
//! the old key and the new key deleted: the deployment is as it was.

use aws_credential_types::Credentials;
use aws_types::SdkConfig;
use serde::Serialize;

use super::iam::Iam;
use super::retry::{Backoff, retry};
use super::secret::{self, ExistingSecret, StoredKey};
use super::{DeployError, function};
use crate::AdminError;
use crate::ownership::Ownership;
use crate::plan::{Action, Plan, Resource, Step};
use cogauth_core::aws::{Service, in_region};

/// What `rotate-key` is asked to do.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// The function whose key is rotated; its `IAM_USER_SECRET_ARN` names the secret.
    pub function: String,
    /// The user whose key it is, used when IAM no longer knows the key in the secret (the
    /// owner of that key otherwise).
    pub iam_user: String,
    /// The function's region.
    pub region: String,
    /// Take over a secret or user that cogadmin did not create.
    pub adopt: bool,
    pub dry_run: bool,
}

/// What a rotation did. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotateOutcome {
    pub plan: Plan,
    pub region: String,
    pub function_arn: String,
    pub secret_arn: String,
    pub iam_user: String,
    /// The key the secret held before (its id).
    pub old_key: Option<String>,
    /// The key it holds now; `None` in a dry run.
    pub new_key: Option<String>,
}

impl RotateOutcome {
    /// The outcome for people, one line each. Never a secret.
    pub fn report_lines(&self) -> Vec<String> {
        let mut lines = self.plan.lines();
        lines.push(format!("function: {} ({})", self.function_arn, self.region));
        lines.push(format!("secret: {}", self.secret_arn));
        lines.push(format!("IAM user: {}", self.iam_user));
        lines.push(match (&self.old_key, &self.new_key) {
            (Some(old), Some(new)) => format!("access key: {old} -> {new}"),
            (None, Some(new)) => format!("access key: {new}"),
            (_, None) => "access key: a new one would be created".to_owned(),
        });
        lines.push(
            self.plan
                .conclusion("")
                .unwrap_or_else(|| "rotated".to_owned()),
        );
        lines
    }
}

/// Rotates (or, with `dry_run`, plans the rotation of) the key of a deployed proxy.
pub async fn rotate_key(
    sdk: &SdkConfig,
    options: &RotateOptions,
) -> Result<RotateOutcome, DeployError> {
    let sdk = &in_region(sdk, &options.region);
    let dry_run = options.dry_run;
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let iam = Iam::new(aws_sdk_iam::Client::new(sdk), dry_run);
    let mut owner = Ownership::new(options.adopt, dry_run);
    let mut steps = Vec::new();

    let function = function::Existing::get(&lambda, &options.function)
        .await?
        .ok_or_else(|| DeployError::NoFunction {
            function: options.function.clone(),
            region: options.region.clone(),
        })?;
    let Some(secret_arn) = function.secret_arn().map(str::to_owned) else {
        return Err(if function.needs_migration() {
            DeployError::NotMigrated {
                function: options.function.clone(),
            }
        } else {
            DeployError::NoSecret {
                function: options.function.clone(),
            }
        });
    };
    // The function's configuration names the secret, and more principals may change that
    // (lambda:UpdateFunctionConfiguration) than may read the key. Pointed at a secret of their
    // own, even one carrying the mark, it would receive the new key: only the secret the
    // deploy makes for this function, in its account and region, is written.
    let expected = secret::secret_name(&options.function);
    if !is_deployments_secret(&secret_arn, &function.arn, &expected) {
        return Err(DeployError::NotTheDeploymentsSecret {
            function: options.function.clone(),
            arn: secret_arn,
            expected,
        });
    }
    let found = ExistingSecret::find(&secrets, &secret_arn)
        .await?
        .filter(|s| !s.deleted && s.name == expected)
        .ok_or_else(|| DeployError::MissingSecret {
            function: options.function.clone(),
            arn: secret_arn.clone(),
        })?;
    found.check_no_resource_policy()?;
    let mut acted_for = function.found(&options.function);
    acted_for.purpose = "`lambda rotate-key` would write a new key of its IAM user into the \
                         secret it names"
        .to_owned();
    owner.register(acted_for);
    owner.register(found.found(format!(
        "`lambda rotate-key` would write a new access key into it for function `{}`",
        options.function
    )));
    let current = secret::read(&secrets, &found.arn).await?;
    let user_name = match &current {
        Some(key) => iam.key_owner(&key.access_key_id).await?,
        None => None,
    }
    .unwrap_or_else(|| options.iam_user.clone());
    let user = crate::iam::claim_user(
        iam.client(),
        &user_name,
        &mut owner,
        "`lambda rotate-key` would create a new access key for it and delete the old one",
    )
    .await?
    .ok_or_else(|| DeployError::NoUser {
        user: user_name.clone(),
    })?;
    owner.settle(sdk, &mut steps).await?;

    // Never more than two keys: an unused key cogauth left behind (an interrupted rotation)
    // goes first; any other second key is the administrator's, and stops the rotation.
    let keys = iam.access_keys(&user_name).await?;
    let cogauth = iam.cogauth_key_ids(&user_name).await?;
    let old = current.as_ref().map(|k| k.access_key_id.clone());
    let is_old = |k: &str| old.as_deref() == Some(k);
    let stale: Vec<String> = keys
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| !is_old(k) && cogauth.contains(k))
        .collect();
    let remaining: Vec<&str> = keys
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !stale.iter().any(|s| s == k))
        .collect();
    if remaining.len() >= 2 {
        return Err(DeployError::TooManyKeys {
            user: user_name,
            keys: remaining.join(", "),
        });
    }
    let old_is_cogauths = old.as_deref().is_some_and(|k| cogauth.contains(k));
    let mut details: Vec<String> = stale
        .iter()
        .map(|k| format!("deleted unused cogauth key {k}"))
        .collect();
    match (&old, old_is_cogauths) {
        (Some(old), true) => details.push(format!(
            "replaces {old}, deleted once the secret holds the new key and STS accepts it"
        )),
        (Some(old), false) => details.push(format!(
            "replaces {old}, which cogauth did not create: left in place (delete it once \
             nothing else uses it)"
        )),
        (None, _) => details.push("the secret held no key the proxy could read".to_owned()),
    }

    let new = if dry_run {
        steps.push(
            Step::new(Resource::AccessKey, "(new key)", Action::WouldCreate).with_details(details),
        );
        steps.push(
            Step::new(Resource::Secret, &found.name, Action::WouldUpdate)
                .with_id(&found.arn)
                .with_details(vec!["new version: holds the new access key".to_owned()]),
        );
        None
    } else {
        iam.delete_keys(&user_name, &stale).await?;
        let new = iam.create_key(&user_name).await?;
        steps.push(
            Step::new(Resource::AccessKey, &new.access_key_id, Action::Created)
                .with_details(details),
        );
        secret::put(&secrets, &found.arn, &new).await?;
        if let Err(e) = check_installed(sdk, &secrets, &found.arn, &new, user.arn()).await {
            return Err(roll_back(
                &iam,
                &secrets,
                &found.arn,
                current.as_ref(),
                Some(&new),
                &user_name,
                e,
            )
            .await);
        }
        steps.push(
            Step::new(Resource::Secret, &found.name, Action::Updated)
                .with_id(&found.arn)
                .with_details(vec![
                    format!("new version: holds access key {}", new.access_key_id),
                    format!("checked: STS accepts the key as {}", user.arn()),
                ]),
        );
        if let Some(old) = old.as_ref().filter(|_| old_is_cogauths) {
            iam.delete_keys(&user_name, std::slice::from_ref(old))
                .await?;
        }
        Some(new.access_key_id)
    };

    Ok(RotateOutcome {
        plan: Plan {
            dry_run,
            steps,
            warnings: Vec::new(),
        },
        region: options.region.clone(),
        function_arn: function.arn.clone(),
        secret_arn: found.arn,
        iam_user: user.arn().to_owned(),
        old_key: old,
        new_key: new,
    })
}

/// True when `secret_arn` is the secret `lambda deploy` makes for the function `function_arn`:
/// named `expected` (with the 6-character suffix Secrets Manager adds), in the same partition,
/// region and account as the function.
fn is_deployments_secret(secret_arn: &str, function_arn: &str, expected: &str) -> bool {
    let secret: Vec<&str> = secret_arn.splitn(7, ':').collect();
    let function: Vec<&str> = function_arn.splitn(7, ':').collect();
    let [
        "arn",
        partition,
        "secretsmanager",
        region,
        account,
        "secret",
        name,
    ] = secret[..]
    else {
        return false;
    };
    let [
        "arn",
        f_partition,
        "lambda",
        f_region,
        f_account,
        "function",
        _,
    ] = function[..]
    else {
        return false;
    };
    let suffix = name
        .strip_prefix(expected)
        .and_then(|rest| rest.strip_prefix('-'));
    (partition, region, account) == (f_partition, f_region, f_account)
        && !account.is_empty()
        && suffix.is_some_and(|s| s.len() == 6 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Checks that the secret at `arn` now holds `key`, read as the proxy reads it, and that STS
/// accepts that key as `user_arn`.
pub(super) async fn check_installed(
    sdk: &SdkConfig,
    secrets: &aws_sdk_secretsmanager::Client,
    arn: &str,
    key: &StoredKey,
    user_arn: &str,
) -> Result<(), DeployError> {
    let failed = |reason: String| DeployError::KeyCheck {
        access_key_id: key.access_key_id.clone(),
        user: user_arn.rsplit('/').next().unwrap_or(user_arn).to_owned(),
        reason,
        undone: String::new(),
    };
    let read = secret::read(secrets, arn).await?;
    let Some(read) = read.filter(|read| read.same_as(key)) else {
        return Err(failed(format!(
            "the secret `{arn}` does not hold it when read back"
        )));
    };
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .credentials_provider(Credentials::new(
                read.access_key_id.clone(),
                secrecy::ExposeSecret::expose_secret(&read.secret_access_key).to_owned(),
                None,
                None,
                "cogadmin-key-check",
            ))
            .build(),
    );
    // A key IAM created a moment ago may not be accepted yet: that is `InvalidClientTokenId`.
    let answer = retry(
        Backoff::PROPAGATION,
        |e: &AdminError| e.code() == Some("InvalidClientTokenId"),
        || {
            let call = sts.get_caller_identity();
            async move {
                call.send()
                    .await
                    .map_err(|e| AdminError::from_sdk(Service::Sts, "GetCallerIdentity", &e))
            }
        },
    )
    .await
    .map_err(|(e, attempts)| failed(format!("{e}, after {attempts} attempts")))?;
    match answer.arn() {
        Some(arn) if arn == user_arn => Ok(()),
        other => Err(failed(format!(
            "STS answered as `{}`, not as the user",
            other.unwrap_or("nobody")
        ))),
    }
}

/// Undoes a key installation whose check failed (`failure`): the secret back to `previous`
/// (when there was one), the key this run created (`created`) deleted. Returns the failure,
/// saying what was undone, or the error of the undoing itself.
pub(super) async fn roll_back(
    iam: &Iam,
    secrets: &aws_sdk_secretsmanager::Client,
    arn: &str,
    previous: Option<&StoredKey>,
    created: Option<&StoredKey>,
    user: &str,
    failure: DeployError,
) -> DeployError {
    let mut undone = Vec::new();
    if let Some(previous) = previous {
        if let Err(e) = secret::put(secrets, arn, previous).await {
            return e;
        }
        undone.push(format!(
            "the secret holds the previous key {} again",
            previous.access_key_id
        ));
    }
    if let Some(created) = created {
        let id = std::slice::from_ref(&created.access_key_id);
        if let Err(e) = iam.delete_keys(user, id).await {
            return e;
        }
        undone.push(format!("the new key {} was deleted", created.access_key_id));
    }
    match failure {
        DeployError::KeyCheck {
            access_key_id,
            user,
            reason,
            ..
        } => DeployError::KeyCheck {
            access_key_id,
            user,
            reason,
            undone: if undone.is_empty() {
                String::new()
            } else {
                format!(": {}", undone.join(", "))
            },
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::is_deployments_secret;

    const FUNCTION: &str = "arn:aws:lambda:eu-west-1:123456789012:function:proxy";
    const NAME: &str = "cogauth/proxy/iam-user-key";

    #[test]
    fn only_the_deployments_own_secret_is_written() {
        let own = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cogauth/proxy/iam-user-key-AbC123";
        assert!(is_deployments_secret(own, FUNCTION, NAME));
        assert!(is_deployments_secret(
            own,
            &format!("{FUNCTION}:live"),
            NAME
        ));
        for other in [
            // Another name, in the same account: a secret its author may read.
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:loot-AbC123",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cogauth/proxy/iam-user-key-extra-AbC123",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cogauth/other/iam-user-key-AbC123",
            // The right name in another account or region (a resource policy can open it).
            "arn:aws:secretsmanager:eu-west-1:210987654321:secret:cogauth/proxy/iam-user-key-AbC123",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:cogauth/proxy/iam-user-key-AbC123",
            "arn:aws-cn:secretsmanager:eu-west-1:123456789012:secret:cogauth/proxy/iam-user-key-AbC123",
            // A name, not an ARN; nothing.
            NAME,
            "",
        ] {
            assert!(!is_deployments_secret(other, FUNCTION, NAME), "{other}");
        }
    }
}
