//! The IAM user's access key, which AssumeRole is signed with.
//!
//! It lives in a Secrets Manager secret (`IAM_USER_SECRET_ARN`) whose value is the JSON
//! `{"AccessKeyId": "AKIA...", "SecretAccessKey": "..."}`, read with the execution role's
//! credentials at start-up and kept for the life of the execution environment. When STS rejects
//! the key, [`crate::sts`] reads the secret once more: that is how a rotated key is picked up
//! (`cogadmin lambda rotate-key` writes the new key to the secret, then deletes the old one).
//! The deprecated plaintext variables are still honoured (see [`crate::config`]).
//!
//! The secret access key is held in a [`SecretString`] (zeroized on drop, redacted in `Debug`);
//! the secret's raw JSON is zeroized once parsed. Errors never include the secret's value.

use std::fmt;
use std::time::Duration;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::config::{Config, IamKeyConfig, vars};

/// An IAM access key.
#[derive(Clone)]
pub struct IamKey {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl IamKey {
    /// The same key id and secret.
    pub fn same_as(&self, other: &Self) -> bool {
        self.access_key_id == other.access_key_id
            && self.secret_access_key.expose_secret() == other.secret_access_key.expose_secret()
    }
}

impl fmt::Debug for IamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .finish()
    }
}

/// The key could not be had. Each names the secret and what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the execution role may not read the secret `{arn}` ({code}): allow it \
         secretsmanager:GetSecretValue on that ARN (`cogadmin lambda deploy` does)"
    )]
    AccessDenied { arn: String, code: String },
    #[error(
        "the secret `{arn}` does not exist ({code}): set {var} to the secret that \
         `cogadmin lambda deploy` writes, or run it again",
        var = vars::IAM_USER_SECRET_ARN
    )]
    NotFound { arn: String, code: String },
    #[error(
        "cannot decrypt the secret `{arn}` ({code}): the execution role needs kms:Decrypt on \
         the secret's KMS key"
    )]
    Decrypt { arn: String, code: String },
    #[error("cannot read the secret `{arn}`: {detail}")]
    Failed { arn: String, detail: String },
    #[error(
        "the secret `{arn}` is not the JSON {{\"AccessKeyId\": ..., \"SecretAccessKey\": ...}}: \
         {problem}; write it again with `cogadmin lambda deploy`"
    )]
    Shape { arn: String, problem: String },
}

/// Where the key comes from.
#[async_trait::async_trait]
pub trait KeyLoader: Send + Sync + fmt::Debug {
    /// Reads the key.
    async fn load(&self) -> Result<IamKey, KeyError>;
    /// Whether reading again may give another key: a secret can be rotated, an environment
    /// variable cannot change under a running function.
    fn reloadable(&self) -> bool;
    /// What the operator should do when STS rejects the key and no other key can be had.
    fn fix_for_rejected_key(&self) -> &'static str;
}

/// The key from a Secrets Manager secret.
#[derive(Debug)]
pub struct SecretsManagerKey {
    client: aws_sdk_secretsmanager::Client,
    arn: String,
}

impl SecretsManagerKey {
    /// A reader of `arn` with `sdk_config`'s credentials (the execution role's in Lambda).
    pub fn new(sdk_config: &aws_config::SdkConfig, arn: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_secretsmanager::Client::new(sdk_config),
            arn: arn.into(),
        }
    }
}

/// The secret's value. Zeroized when dropped; never shown.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct SecretValue {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: String,
}

#[async_trait::async_trait]
impl KeyLoader for SecretsManagerKey {
    async fn load(&self) -> Result<IamKey, KeyError> {
        let arn = || self.arn.clone();
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.arn)
            .send()
            .await
            .map_err(|e| match e.as_service_error().and_then(|s| s.code()) {
                Some(code @ "AccessDeniedException") => KeyError::AccessDenied {
                    arn: arn(),
                    code: code.to_owned(),
                },
                Some(code @ "ResourceNotFoundException") => KeyError::NotFound {
                    arn: arn(),
                    code: code.to_owned(),
                },
                Some(code @ "DecryptionFailure") => KeyError::Decrypt {
                    arn: arn(),
                    code: code.to_owned(),
                },
                Some(code) => KeyError::Failed {
                    arn: arn(),
                    detail: code.to_owned(),
                },
                None => KeyError::Failed {
                    arn: arn(),
                    detail: DisplayErrorContext(&e).to_string(),
                },
            })?;
        let mut output = output;
        let raw = Zeroizing::new(output.secret_string.take().ok_or_else(|| KeyError::Shape {
            arn: arn(),
            problem: "it has no SecretString (a binary secret?)".into(),
        })?);
        parse_secret(&self.arn, &raw)
    }

    fn reloadable(&self) -> bool {
        true
    }

    fn fix_for_rejected_key(&self) -> &'static str {
        "the secret holds no other key: rotate it with `cogadmin lambda rotate-key`"
    }
}

/// Parses the secret's JSON. Errors say what is wrong, never what is there.
pub fn parse_secret(arn: &str, raw: &str) -> Result<IamKey, KeyError> {
    let shape = |problem: String| KeyError::Shape {
        arn: arn.to_owned(),
        problem,
    };
    // serde would also read a struct from a JSON array, by position: only an object is the
    // documented shape.
    if !raw.trim_start().starts_with('{') {
        return Err(shape("it is not a JSON object".into()));
    }
    let value: SecretValue = serde_json::from_str(raw).map_err(|e| {
        // serde's messages can quote the input: keep only the kind and the position.
        let kind = match e.classify() {
            serde_json::error::Category::Data => "a field is missing or not a string",
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "it is not JSON"
            }
            serde_json::error::Category::Io => "it cannot be read",
        };
        shape(format!("{kind} (line {}, column {})", e.line(), e.column()))
    })?;
    let id = value.access_key_id.as_str();
    if !(16..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(shape(
            "`AccessKeyId` is not an access key id (16 to 128 letters and digits)".into(),
        ));
    }
    if value.secret_access_key.is_empty() {
        return Err(shape("`SecretAccessKey` is empty".into()));
    }
    Ok(IamKey {
        access_key_id: value.access_key_id.clone(),
        secret_access_key: SecretString::from(value.secret_access_key.as_str()),
    })
}

/// The deprecated key from the function's environment.
#[derive(Debug)]
pub struct EnvironmentKey(IamKey);

impl EnvironmentKey {
    pub fn new(key: IamKey) -> Self {
        Self(key)
    }
}

#[async_trait::async_trait]
impl KeyLoader for EnvironmentKey {
    async fn load(&self) -> Result<IamKey, KeyError> {
        Ok(self.0.clone())
    }

    fn reloadable(&self) -> bool {
        false
    }

    fn fix_for_rejected_key(&self) -> &'static str {
        "the key comes from IAM_USER_ACCESS_KEY_ID / IAM_USER_SECRET_ACCESS_KEY: migrate the \
         function with `cogadmin lambda deploy`, which puts a working key in Secrets Manager"
    }
}

/// The loader `config` asks for. `sdk_config` gives the execution role's credentials, the
/// endpoints and the retry settings; the secret's region comes from its ARN.
pub fn loader_for(config: &Config, sdk_config: &aws_config::SdkConfig) -> Box<dyn KeyLoader> {
    match &config.iam_key {
        IamKeyConfig::SecretsManager { arn, region } => {
            let sdk_config = sdk_config
                .to_builder()
                .region(aws_config::Region::new(region.clone()))
                .build();
            Box::new(SecretsManagerKey::new(&sdk_config, arn.clone()))
        }
        IamKeyConfig::Environment {
            access_key_id,
            secret_access_key,
        } => Box::new(EnvironmentKey::new(IamKey {
            access_key_id: access_key_id.clone(),
            secret_access_key: secret_access_key.clone(),
        })),
    }
}

/// Timeouts for the proxy's AWS calls: a Lambda invocation must not hang on one.
pub fn timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(8))
        .operation_timeout(Duration::from_secs(20))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:k-AbCdEf";

    #[test]
    fn the_secret_json_is_parsed() {
        let key = parse_secret(
            ARN,
            r#"{"AccessKeyId": "AKIAEXAMPLE000000001", "SecretAccessKey": "s3cr3t/+x"}"#,
        )
        .unwrap();
        assert_eq!(key.access_key_id, "AKIAEXAMPLE000000001");
        assert_eq!(key.secret_access_key.expose_secret(), "s3cr3t/+x");
        assert!(!format!("{key:?}").contains("s3cr3t"));
    }

    #[test]
    fn bad_secrets_are_named_without_their_value() {
        for raw in [
            "s3cr3t-not-json",
            r#"{"AccessKeyId": "AKIAEXAMPLE000000001"}"#,
            r#"{"AccessKeyId": "AKIAEXAMPLE000000001", "SecretAccessKey": 5}"#,
            r#"{"AccessKeyId": "short", "SecretAccessKey": "s3cr3t"}"#,
            r#"{"AccessKeyId": "AKIA EXAMPLE 0000001", "SecretAccessKey": "s3cr3t"}"#,
            r#"{"AccessKeyId": "AKIAEXAMPLE000000001", "SecretAccessKey": ""}"#,
            r#"["AKIAEXAMPLE000000001", "s3cr3t"]"#,
        ] {
            let err = parse_secret(ARN, raw).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(matches!(err, KeyError::Shape { .. }), "{shown}");
            assert!(shown.contains(ARN), "{shown}");
            assert!(!shown.contains("s3cr3t"), "{raw}: {shown}");
        }
    }
}
