//! The Secrets Manager secret that holds the proxy's IAM user key, so that the key is never in
//! the function's configuration (where anyone allowed `lambda:GetFunctionConfiguration` could
//! read it). Its value is exactly what the proxy reads (docs/lambda-proxy.md):
//! `{"AccessKeyId": "AKIA...", "SecretAccessKey": "..."}`. The deploy creates it, tagged as
//! cogadmin's, and writes a new version whenever the key changes; `rotate-key` writes the new
//! key before it deletes the old one.
//!
//! The key's secret is held in [`SecretString`]s and never logged or shown; the plan names only
//! the key's id.

use std::fmt;

use aws_sdk_secretsmanager::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::DeployError;
use crate::AdminError;
use crate::ownership::{self, Marker};
use crate::plan::{Action, Resource, Step};
use cogauth_core::aws::{Service, error_code};

/// The secret's name for a function: one secret per function.
pub fn secret_name(function: &str) -> String {
    format!("cogauth/{function}/iam-user-key")
}

/// An IAM access key: the value of the secret.
#[derive(Clone)]
pub struct StoredKey {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .finish()
    }
}

impl StoredKey {
    /// The same id and secret.
    pub fn same_as(&self, other: &Self) -> bool {
        self.access_key_id == other.access_key_id
            && self.secret_access_key.expose_secret() == other.secret_access_key.expose_secret()
    }

    /// The secret's value, in the shape the proxy reads.
    fn value(&self) -> SecretString {
        SecretString::from(
            serde_json::json!({
                "AccessKeyId": self.access_key_id,
                "SecretAccessKey": self.secret_access_key.expose_secret(),
            })
            .to_string(),
        )
    }

    /// Parses a secret's value as the proxy does; `None` when it is not that shape.
    fn parse(raw: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct Value {
            #[serde(rename = "AccessKeyId")]
            access_key_id: String,
            #[serde(rename = "SecretAccessKey")]
            secret_access_key: String,
        }
        if !raw.trim_start().starts_with('{') {
            return None;
        }
        let value: Value = serde_json::from_str(raw).ok()?;
        let secret_access_key = SecretString::from(value.secret_access_key);
        (!value.access_key_id.is_empty() && !secret_access_key.expose_secret().is_empty())
            .then_some(Self {
                access_key_id: value.access_key_id,
                secret_access_key,
            })
    }
}

fn secrets_error<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    move |err| {
        DeployError::Admin(AdminError::from_sdk(
            Service::SecretsManager,
            operation,
            &err,
        ))
    }
}

/// The secret as it is now (no value: [`read`] reads that).
#[derive(Debug, Clone)]
pub(super) struct ExistingSecret {
    pub arn: String,
    pub name: String,
    pub managed: bool,
    /// Scheduled for deletion: restored before it is written.
    pub deleted: bool,
    /// It has a resource policy. cogadmin never writes one, so someone else did, and it may
    /// let other principals read the key: [`Self::check_no_resource_policy`].
    pub resource_policy: bool,
}

impl ExistingSecret {
    /// The secret named (or with the ARN) `id`, if it exists.
    pub async fn find(client: &Client, id: &str) -> Result<Option<Self>, DeployError> {
        let answer = match client.describe_secret().secret_id(id).send().await {
            Ok(answer) => answer,
            Err(e) if error_code(&e) == Some("ResourceNotFoundException") => return Ok(None),
            Err(e) => return Err(secrets_error("DescribeSecret")(e)),
        };
        let arn = answer.arn().unwrap_or(id).to_owned();
        let policy = client
            .get_resource_policy()
            .secret_id(&arn)
            .send()
            .await
            .map_err(secrets_error("GetResourcePolicy"))?;
        Ok(Some(Self {
            resource_policy: policy
                .resource_policy()
                .is_some_and(|p| !p.trim().is_empty()),
            arn,
            name: answer.name().unwrap_or(id).to_owned(),
            managed: ownership::is_managed(
                answer
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value()?))),
            ),
            deleted: answer.deleted_date().is_some(),
        }))
    }

    /// Refuses a secret with a resource policy before the key is written into it: the tag
    /// says cogadmin made the secret, not that nobody added readers since (or planted it,
    /// tagged, with a policy of their own before the first deploy).
    pub fn check_no_resource_policy(&self) -> Result<(), DeployError> {
        match self.resource_policy {
            true => Err(DeployError::SecretHasResourcePolicy {
                name: self.name.clone(),
                arn: self.arn.clone(),
            }),
            false => Ok(()),
        }
    }

    /// The ownership record of the secret, for [`crate::ownership`].
    pub fn found(&self, purpose: impl Into<String>) -> ownership::Found {
        ownership::Found {
            resource: Resource::Secret,
            name: self.name.clone(),
            id: Some(self.arn.clone()),
            purpose: purpose.into(),
            managed: self.managed,
            earlier: None,
            marker: Marker::Secret {
                arn: self.arn.clone(),
            },
        }
    }
}

/// The key the secret holds now; `None` when it has no value of the proxy's shape (it will be
/// written again). The value is never logged.
pub(super) async fn read(client: &Client, arn: &str) -> Result<Option<StoredKey>, DeployError> {
    let mut answer = match client.get_secret_value().secret_id(arn).send().await {
        Ok(answer) => answer,
        // No current version (deleted, or created without a value).
        Err(e)
            if matches!(
                error_code(&e),
                Some("ResourceNotFoundException" | "InvalidRequestException")
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(secrets_error("GetSecretValue")(e)),
    };
    let raw = answer.secret_string.take().map(SecretString::from);
    Ok(raw.and_then(|raw| StoredKey::parse(raw.expose_secret())))
}

/// The secret as a deploy finds it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Found<'a> {
    pub name: &'a str,
    pub existing: Option<&'a ExistingSecret>,
    /// The key it holds now.
    pub current: Option<&'a StoredKey>,
    /// Its ARN in a dry run that would create it (`...:secret:<name>-??????`).
    pub planned_arn: &'a str,
}

/// Makes the secret hold `key`: creates it (tagged as cogadmin's) or writes a new version when
/// it holds something else. Returns its ARN (the planned one in a dry run that would create
/// it). `key` is `None` in a dry run that would create a new access key.
pub(super) async fn write(
    client: &Client,
    found: Found<'_>,
    key: Option<&StoredKey>,
    dry_run: bool,
    steps: &mut Vec<Step>,
) -> Result<String, DeployError> {
    let Found {
        name,
        existing,
        current,
        planned_arn: planned,
    } = found;
    let holds = |key: Option<&StoredKey>| match key {
        Some(key) => format!("holds access key {}", key.access_key_id),
        None => "holds the new access key".to_owned(),
    };
    let Some(existing) = existing else {
        let key = match key {
            Some(key) if !dry_run => key,
            _ => {
                steps.push(
                    Step::new(Resource::Secret, name, Action::WouldCreate)
                        .with_details(vec![holds(key)]),
                );
                return Ok(planned.to_owned());
            }
        };
        let created = client
            .create_secret()
            .name(name)
            .description(
                "cogauth: the IAM user key of the credential proxy (written by cogadmin lambda \
                 deploy and rotate-key)",
            )
            .secret_string(key.value().expose_secret())
            .tags(ownership::secrets_tag())
            .send()
            .await
            .map_err(secrets_error("CreateSecret"))?;
        let arn = created.arn().unwrap_or(planned).to_owned();
        steps.push(
            Step::new(Resource::Secret, name, Action::Created)
                .with_id(&arn)
                .with_details(vec![holds(Some(key))]),
        );
        return Ok(arn);
    };

    let unchanged = !existing.deleted
        && matches!((current, key), (Some(current), Some(key)) if current.same_as(key));
    if unchanged {
        steps.push(
            Step::new(Resource::Secret, name, Action::Unchanged)
                .with_id(&existing.arn)
                .with_details(vec![holds(key)]),
        );
        return Ok(existing.arn.clone());
    }
    let mut details = Vec::new();
    if existing.deleted {
        details.push("restored: it was scheduled for deletion".to_owned());
    }
    details.push(format!("new version: {}", holds(key)));
    if let (Some(key), false) = (key, dry_run) {
        if existing.deleted {
            client
                .restore_secret()
                .secret_id(&existing.arn)
                .send()
                .await
                .map_err(secrets_error("RestoreSecret"))?;
        }
        put(client, &existing.arn, key).await?;
    }
    steps.push(
        Step::new(Resource::Secret, name, Action::update(dry_run))
            .with_id(&existing.arn)
            .with_details(details),
    );
    Ok(existing.arn.clone())
}

/// Writes `key` as the secret's new current version.
pub(super) async fn put(client: &Client, arn: &str, key: &StoredKey) -> Result<(), DeployError> {
    client
        .put_secret_value()
        .secret_id(arn)
        .secret_string(key.value().expose_secret())
        .send()
        .await
        .map_err(secrets_error("PutSecretValue"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_the_shape_the_proxy_reads_and_is_never_shown() {
        let key = StoredKey {
            access_key_id: "AKIAEXAMPLE000000001".into(),
            secret_access_key: SecretString::from("s3cr3t/+x"),
        };
        let value = key.value();
        let parsed: serde_json::Value = serde_json::from_str(value.expose_secret()).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"AccessKeyId": "AKIAEXAMPLE000000001", "SecretAccessKey": "s3cr3t/+x"})
        );
        assert!(
            StoredKey::parse(value.expose_secret())
                .unwrap()
                .same_as(&key)
        );
        assert!(!format!("{key:?} {value:?}").contains("s3cr3t"));
        for bad in [
            "",
            "s3cr3t",
            r#"["AKIAEXAMPLE000000001", "s3cr3t"]"#,
            r#"{"AccessKeyId": "AKIAEXAMPLE000000001"}"#,
            r#"{"AccessKeyId": "", "SecretAccessKey": "s3cr3t"}"#,
        ] {
            assert!(StoredKey::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            secret_name("cognito-credential-proxy"),
            "cogauth/cognito-credential-proxy/iam-user-key"
        );
    }
}
