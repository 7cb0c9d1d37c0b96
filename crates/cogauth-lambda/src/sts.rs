//! AssumeRole, behind a trait, and the STS implementation that calls it as the proxy's IAM
//! user.
//!
//! The IAM user's long-term keys are used, not the execution role's credentials: a role that
//! assumes another role is role chaining, which AWS caps at one hour.

use std::fmt;
use std::time::Duration;

use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;

/// IAM's limit on RoleSessionName and SourceIdentity.
const MAX_SESSION_NAME_LEN: usize = 64;
/// IAM's limit on a session tag value.
const MAX_TAG_VALUE_LEN: usize = 256;
/// Session tag carrying the caller's Cognito `sub` (the original proxy's key, kept).
pub const TAG_SUBJECT: &str = "CognitoSubject";
/// Session tag carrying the caller's Cognito username (the original proxy's key, kept).
pub const TAG_USERNAME: &str = "CognitoUsername";

/// One AssumeRole call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub duration_seconds: i32,
    pub tags: Vec<(String, String)>,
    pub source_identity: String,
}

impl AssumeRoleRequest {
    /// The request for a verified caller: session name, tags and source identity derived from
    /// the Cognito identity and sanitized to what IAM accepts.
    pub fn for_user(role_arn: &str, duration_seconds: i32, sub: &str, username: &str) -> Self {
        Self {
            role_arn: role_arn.to_owned(),
            session_name: session_name(username),
            duration_seconds,
            tags: vec![
                (TAG_SUBJECT.to_owned(), tag_value(sub)),
                (TAG_USERNAME.to_owned(), tag_value(username)),
            ],
            source_identity: source_identity(username),
        }
    }
}

/// Temporary credentials issued by STS. Secrets stay in [`SecretString`].
pub struct IssuedCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: SecretString,
    pub expiration: DateTime<Utc>,
}

impl fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &"** redacted **")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// AssumeRole failed.
#[derive(Debug, thiserror::Error)]
pub enum StsError {
    /// STS refused (access denied, tags or source identity not allowed by the trust policy...).
    #[error("STS refused to assume `{role_arn}`: {code}: {message}")]
    Refused {
        role_arn: String,
        code: String,
        message: String,
    },
    /// STS could not be reached or answered unexpectedly.
    #[error("AssumeRole of `{role_arn}` failed: {detail}")]
    Failed { role_arn: String, detail: String },
}

/// Something that can assume a role (STS, or a recording fake in tests).
#[async_trait::async_trait]
pub trait RoleAssumer: Send + Sync + fmt::Debug {
    async fn assume_role(&self, request: &AssumeRoleRequest)
    -> Result<IssuedCredentials, StsError>;
}

/// AssumeRole through the AWS SDK, signed with the IAM user's keys.
#[derive(Debug, Clone)]
pub struct StsRoleAssumer {
    client: aws_sdk_sts::Client,
}

impl StsRoleAssumer {
    /// The STS client for `config`. The endpoint follows the SDK's usual settings
    /// (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`), unless `endpoint_url` is given.
    pub async fn new(config: &Config, endpoint_url: Option<&str>) -> Self {
        let credentials = aws_credential_types::Credentials::new(
            config.iam_user_access_key_id.clone(),
            config.iam_user_secret_access_key.expose_secret().to_owned(),
            None,
            None,
            "cogauth-proxy-iam-user",
        );
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(8))
            .operation_timeout(Duration::from_secs(20))
            .build();
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(config.sts_region.clone()))
            .credentials_provider(credentials)
            .timeout_config(timeouts)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        Self {
            client: aws_sdk_sts::Client::new(&loader.load().await),
        }
    }
}

#[async_trait::async_trait]
impl RoleAssumer for StsRoleAssumer {
    async fn assume_role(
        &self,
        request: &AssumeRoleRequest,
    ) -> Result<IssuedCredentials, StsError> {
        let mut call = self
            .client
            .assume_role()
            .role_arn(&request.role_arn)
            .role_session_name(&request.session_name)
            .duration_seconds(request.duration_seconds)
            .source_identity(&request.source_identity);
        for (key, value) in &request.tags {
            let tag = aws_sdk_sts::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| StsError::Failed {
                    role_arn: request.role_arn.clone(),
                    detail: e.to_string(),
                })?;
            call = call.tags(tag);
        }
        let output = call.send().await.map_err(|e| {
            let role_arn = request.role_arn.clone();
            match e.as_service_error().and_then(|s| s.code()) {
                Some(code) => StsError::Refused {
                    role_arn,
                    code: code.to_owned(),
                    message: e
                        .as_service_error()
                        .and_then(|s| s.message())
                        .unwrap_or_default()
                        .to_owned(),
                },
                None => StsError::Failed {
                    role_arn,
                    detail: DisplayErrorContext(&e).to_string(),
                },
            }
        })?;
        let failed = |detail: &str| StsError::Failed {
            role_arn: request.role_arn.clone(),
            detail: detail.to_owned(),
        };
        let creds = output
            .credentials()
            .ok_or_else(|| failed("the answer has no credentials"))?;
        let expiration = creds.expiration();
        let expiration = DateTime::<Utc>::from_timestamp(expiration.secs(), 0)
            .ok_or_else(|| failed("the answer's expiration is out of range"))?;
        Ok(IssuedCredentials {
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: SecretString::from(creds.secret_access_key().to_owned()),
            session_token: SecretString::from(creds.session_token().to_owned()),
            expiration,
        })
    }
}

/// `cogauth-<username>`, with every character IAM refuses replaced by `_`, at most 64 long.
pub fn session_name(username: &str) -> String {
    truncate(
        format!("cogauth-{}", iam_name_chars(username)),
        MAX_SESSION_NAME_LEN,
    )
}

/// The username in IAM's SourceIdentity alphabet, 2 to 64 characters.
pub fn source_identity(username: &str) -> String {
    let mut id = truncate(iam_name_chars(username), MAX_SESSION_NAME_LEN);
    while id.len() < 2 {
        id.push('_');
    }
    id
}

/// A session tag value: letters, digits, spaces and `_ . : / = + - @`, at most 256 characters.
pub fn tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(MAX_TAG_VALUE_LEN)
        .collect()
}

/// IAM's `[\w+=,.@-]` (ASCII only).
fn iam_name_chars(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn truncate(mut s: String, max: usize) -> String {
    // Only ASCII reaches here, so byte and character lengths agree.
    s.truncate(max);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_sanitized_and_bounded() {
        assert_eq!(session_name("alice"), "cogauth-alice");
        assert_eq!(session_name("a.b+c=d,e@f-g_h"), "cogauth-a.b+c=d,e@f-g_h");
        assert_eq!(session_name("bad name/ü!"), "cogauth-bad_name___");
        let long = session_name(&"x".repeat(100));
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("cogauth-xxx"));
    }

    #[test]
    fn source_identity_is_two_to_sixty_four_chars() {
        assert_eq!(source_identity("alice@example.com"), "alice@example.com");
        assert_eq!(source_identity("a"), "a_");
        assert_eq!(source_identity("aws:evil"), "aws_evil");
        assert_eq!(source_identity(&"y".repeat(70)).len(), 64);
    }

    #[test]
    fn tag_values_keep_unicode_letters_and_drop_the_rest() {
        assert_eq!(tag_value("Zoë Ünal"), "Zoë Ünal");
        assert_eq!(tag_value("a;b<c>\"d"), "a_b_c__d");
        assert_eq!(
            tag_value("0f3c2a1b-1234-4abc-9def-0123456789ab"),
            "0f3c2a1b-1234-4abc-9def-0123456789ab"
        );
        assert_eq!(tag_value(&"é".repeat(300)).chars().count(), 256);
    }

    #[test]
    fn request_for_user() {
        let r = AssumeRoleRequest::for_user("arn:aws:iam::1:role/R", 3600, "sub-1", "bob smith");
        assert_eq!(r.session_name, "cogauth-bob_smith");
        assert_eq!(r.source_identity, "bob_smith");
        assert_eq!(
            r.tags,
            [
                ("CognitoSubject".to_owned(), "sub-1".to_owned()),
                ("CognitoUsername".to_owned(), "bob smith".to_owned())
            ]
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = IssuedCredentials {
            access_key_id: "ASIA".into(),
            secret_access_key: SecretString::from("s3cr3t".to_owned()),
            session_token: SecretString::from("t0k3n".to_owned()),
            expiration: DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
        };
        let d = format!("{c:?}");
        assert!(!d.contains("s3cr3t") && !d.contains("t0k3n"));
    }
}
