//! AssumeRole, behind a trait, and the STS implementation that calls it as the proxy's IAM
//! user.
//!
//! The IAM user's long-term key is used, not the execution role's credentials: a role that
//! assumes another role is role chaining, which AWS caps at one hour. The key comes from a
//! [`KeyLoader`] (the Secrets Manager secret) and is kept for the life of the execution
//! environment. When STS rejects it (`InvalidClientTokenId`: deleted or inactive;
//! `SignatureDoesNotMatch`: wrong secret), the secret is read once more and, if it holds another
//! key, the call is retried once with it: a rotation needs no redeploy and no cold start.
//!
//! Audit identity: SourceIdentity and the session name carry the caller's Cognito `sub`, which
//! is immutable and never reused, so two users can never share them (usernames, once
//! sanitized to IAM's alphabet and truncated, could: `bob!smith` and `bob_smith`). The username
//! is kept, for people reading CloudTrail, in the `CognitoUsername` session tag.

use std::fmt;
use std::sync::Arc;

use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::keys::{IamKey, KeyError, KeyLoader};

/// IAM's limit on RoleSessionName and SourceIdentity.
const MAX_SESSION_NAME_LEN: usize = 64;
/// IAM's limit on a session tag value.
const MAX_TAG_VALUE_LEN: usize = 256;
/// The session name's prefix: says which tool issued the session.
const SESSION_PREFIX: &str = "cogauth-";
/// Session tag carrying the caller's Cognito `sub` (the original proxy's key, kept).
pub const TAG_SUBJECT: &str = "CognitoSubject";
/// Session tag carrying the caller's Cognito username (the original proxy's key, kept).
pub const TAG_USERNAME: &str = "CognitoUsername";
/// STS's error codes for a key it does not accept: deleted or inactive, or a wrong secret.
pub const KEY_REJECTED_CODES: &[&str] = &["InvalidClientTokenId", "SignatureDoesNotMatch"];

/// One AssumeRole call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub duration_seconds: i32,
    pub tags: Vec<(String, String)>,
    pub source_identity: String,
}

/// The caller's `sub` cannot name an IAM session.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "the token's `sub` is not usable as an IAM SourceIdentity (1 to 56 of the characters \
     A-Z a-z 0-9 + = , . @ _ -): not a Cognito subject"
)]
pub struct UnusableSubject;

impl AssumeRoleRequest {
    /// The request for a verified caller: SourceIdentity = the `sub`, session name =
    /// `cogauth-<sub>`, and the `sub` and username as session tags. The `sub` is used as is,
    /// never sanitized (sanitizing is what made names collide); Cognito's are UUIDs, and
    /// anything else is refused.
    pub fn for_user(
        role_arn: &str,
        duration_seconds: i32,
        sub: &str,
        username: &str,
    ) -> Result<Self, UnusableSubject> {
        let usable = (1..=MAX_SESSION_NAME_LEN - SESSION_PREFIX.len()).contains(&sub.len())
            && sub.bytes().all(is_iam_name_byte)
            && !sub.to_ascii_lowercase().starts_with("aws:");
        if !usable {
            return Err(UnusableSubject);
        }
        let source_identity = if sub.len() < 2 {
            // IAM's minimum; a one-character `sub` is no Cognito subject, but stays unique.
            format!("{sub}{sub}")
        } else {
            sub.to_owned()
        };
        Ok(Self {
            role_arn: role_arn.to_owned(),
            session_name: format!("{SESSION_PREFIX}{sub}"),
            duration_seconds,
            tags: vec![
                (TAG_SUBJECT.to_owned(), tag_value(sub)),
                (TAG_USERNAME.to_owned(), tag_value(username)),
            ],
            source_identity,
        })
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
    /// STS rejected the proxy's own key, and no other key could be had.
    #[error("STS rejected the proxy's IAM access key `{access_key_id}` ({code}): {fix}")]
    KeyRejected {
        access_key_id: String,
        code: String,
        fix: &'static str,
    },
    /// The key could not be read again after STS rejected it. The cause is part of the
    /// message, not a `source`: a chain printed whole would show it twice.
    #[error("STS rejected the proxy's IAM access key, and reading it again failed: {0}")]
    Key(KeyError),
    /// STS could not be reached or answered unexpectedly.
    #[error("AssumeRole of `{role_arn}` failed: {detail}")]
    Failed { role_arn: String, detail: String },
}

impl StsError {
    /// The proxy's own configuration is at fault, not the caller's request.
    pub fn is_server_side(&self) -> bool {
        !matches!(self, Self::Refused { .. })
    }
}

/// Something that can assume a role (STS, or a recording fake in tests).
#[async_trait::async_trait]
pub trait RoleAssumer: Send + Sync + fmt::Debug {
    async fn assume_role(&self, request: &AssumeRoleRequest)
    -> Result<IssuedCredentials, StsError>;
}

/// The STS client for one key.
struct Signer {
    /// Bumped at every key change, so concurrent invocations re-read the secret only once.
    generation: u64,
    key: IamKey,
    client: aws_sdk_sts::Client,
}

impl Signer {
    fn new(base: &aws_config::SdkConfig, key: IamKey, generation: u64) -> Self {
        let credentials = aws_credential_types::Credentials::new(
            key.access_key_id.clone(),
            key.secret_access_key.expose_secret().to_owned(),
            None,
            None,
            "cogauth-proxy-iam-user",
        );
        let client = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(base)
                .credentials_provider(credentials)
                .build(),
        );
        Self {
            generation,
            key,
            client,
        }
    }
}

/// AssumeRole through the AWS SDK, signed with the IAM user's key.
pub struct StsRoleAssumer {
    base: aws_config::SdkConfig,
    keys: Box<dyn KeyLoader>,
    current: tokio::sync::RwLock<Arc<Signer>>,
    reloading: tokio::sync::Mutex<()>,
}

impl fmt::Debug for StsRoleAssumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self
            .current
            .try_read()
            .ok()
            .map(|s| (s.generation, s.key.access_key_id.clone()));
        f.debug_struct("StsRoleAssumer")
            .field("keys", &self.keys)
            .field("current_key", &current)
            .finish_non_exhaustive()
    }
}

impl StsRoleAssumer {
    /// Reads the key (the cold start's one GetSecretValue) and builds the STS client for
    /// `config`'s region over `sdk_config` (endpoints, timeouts, retries; its credentials are
    /// replaced by the key's).
    pub async fn new(
        config: &Config,
        sdk_config: &aws_config::SdkConfig,
        keys: Box<dyn KeyLoader>,
    ) -> Result<Self, KeyError> {
        let base = sdk_config
            .to_builder()
            .region(aws_config::Region::new(config.sts_region.clone()))
            .build();
        let key = keys.load().await?;
        Ok(Self {
            current: tokio::sync::RwLock::new(Arc::new(Signer::new(&base, key, 0))),
            base,
            keys,
            reloading: tokio::sync::Mutex::new(()),
        })
    }

    /// The access key id in use.
    pub async fn access_key_id(&self) -> String {
        self.current.read().await.key.access_key_id.clone()
    }

    /// Reads the key again after `seen` was rejected: the new signer, or `None` when the
    /// source holds the same key. Only one re-read at a time; a caller that waited for
    /// another's re-read uses its result.
    async fn reload(&self, seen: &Signer) -> Result<Option<Arc<Signer>>, KeyError> {
        if !self.keys.reloadable() {
            return Ok(None);
        }
        let _one_at_a_time = self.reloading.lock().await;
        let current = self.current.read().await.clone();
        if current.generation != seen.generation {
            return Ok(Some(current));
        }
        let key = self.keys.load().await?;
        if key.same_as(&current.key) {
            return Ok(None);
        }
        tracing::info!(
            old_access_key_id = %current.key.access_key_id,
            new_access_key_id = %key.access_key_id,
            "read a new IAM access key from the secret"
        );
        let signer = Arc::new(Signer::new(&self.base, key, current.generation + 1));
        *self.current.write().await = signer.clone();
        Ok(Some(signer))
    }
}

/// One AssumeRole, and whether STS rejected the key itself.
enum Attempt {
    Done(Result<IssuedCredentials, StsError>),
    KeyRejected(String),
}

async fn attempt(client: &aws_sdk_sts::Client, request: &AssumeRoleRequest) -> Attempt {
    let mut call = client
        .assume_role()
        .role_arn(&request.role_arn)
        .role_session_name(&request.session_name)
        .duration_seconds(request.duration_seconds)
        .source_identity(&request.source_identity);
    for (key, value) in &request.tags {
        let tag = aws_sdk_sts::types::Tag::builder()
            .key(key)
            .value(value)
            .build();
        match tag {
            Ok(tag) => call = call.tags(tag),
            Err(e) => {
                return Attempt::Done(Err(StsError::Failed {
                    role_arn: request.role_arn.clone(),
                    detail: e.to_string(),
                }));
            }
        }
    }
    let output = match call.send().await {
        Ok(output) => output,
        Err(e) => {
            let role_arn = request.role_arn.clone();
            let code = e.as_service_error().and_then(|s| s.code());
            return match code {
                Some(code) if KEY_REJECTED_CODES.contains(&code) => {
                    Attempt::KeyRejected(code.to_owned())
                }
                Some(code) => Attempt::Done(Err(StsError::Refused {
                    role_arn,
                    code: code.to_owned(),
                    message: e
                        .as_service_error()
                        .and_then(|s| s.message())
                        .unwrap_or_default()
                        .to_owned(),
                })),
                None => Attempt::Done(Err(StsError::Failed {
                    role_arn,
                    detail: DisplayErrorContext(&e).to_string(),
                })),
            };
        }
    };
    let failed = |detail: &str| StsError::Failed {
        role_arn: request.role_arn.clone(),
        detail: detail.to_owned(),
    };
    let Some(creds) = output.credentials() else {
        return Attempt::Done(Err(failed("the answer has no credentials")));
    };
    let Some(expiration) = DateTime::<Utc>::from_timestamp(creds.expiration().secs(), 0) else {
        return Attempt::Done(Err(failed("the answer's expiration is out of range")));
    };
    Attempt::Done(Ok(IssuedCredentials {
        access_key_id: creds.access_key_id().to_owned(),
        secret_access_key: SecretString::from(creds.secret_access_key().to_owned()),
        session_token: SecretString::from(creds.session_token().to_owned()),
        expiration,
    }))
}

#[async_trait::async_trait]
impl RoleAssumer for StsRoleAssumer {
    async fn assume_role(
        &self,
        request: &AssumeRoleRequest,
    ) -> Result<IssuedCredentials, StsError> {
        let signer = self.current.read().await.clone();
        let code = match attempt(&signer.client, request).await {
            Attempt::Done(result) => return result,
            Attempt::KeyRejected(code) => code,
        };
        tracing::warn!(
            access_key_id = %signer.key.access_key_id,
            code = %code,
            "STS rejected the IAM user's access key; reading the key again"
        );
        let rejected = |access_key_id: &str, code: String| StsError::KeyRejected {
            access_key_id: access_key_id.to_owned(),
            code,
            fix: self.keys.fix_for_rejected_key(),
        };
        let Some(renewed) = self.reload(&signer).await.map_err(StsError::Key)? else {
            return Err(rejected(&signer.key.access_key_id, code));
        };
        match attempt(&renewed.client, request).await {
            Attempt::Done(result) => result,
            Attempt::KeyRejected(code) => Err(rejected(&renewed.key.access_key_id, code)),
        }
    }
}

/// A session tag value that names `value` exactly: ASCII letters and digits, spaces and
/// `_ . : / + - @` as they are, every other byte of the UTF-8 (`=` included) as `=XX`, so that
/// two different values never give the same tag (replacing with `_` made `bob!smith` and
/// `bob_smith` alike). Only IAM-safe characters come out, whatever Unicode goes in. At most
/// 256 characters, cut before an escape rather than through one.
pub fn tag_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        let mut piece = String::new();
        if c.is_ascii_alphanumeric() || " _.:/+-@".contains(c) {
            piece.push(c);
        } else {
            let mut bytes = [0; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                piece.push_str(&format!("={b:02X}"));
            }
        }
        if out.len() + piece.len() > MAX_TAG_VALUE_LEN {
            break;
        }
        out.push_str(&piece);
    }
    out
}

/// IAM's `[\w+=,.@-]` (ASCII only).
fn is_iam_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "0f3c2a1b-1234-4abc-9def-0123456789ab";

    #[test]
    fn the_sub_names_the_session_as_is() {
        let r = AssumeRoleRequest::for_user("arn:aws:iam::1:role/R", 900, SUB, "alice").unwrap();
        assert_eq!(r.session_name, format!("cogauth-{SUB}"));
        assert_eq!(r.source_identity, SUB);
        let longest = "a".repeat(56);
        let r = AssumeRoleRequest::for_user("r", 900, &longest, "x").unwrap();
        assert_eq!(r.session_name.len(), 64);
        assert_eq!(
            AssumeRoleRequest::for_user("r", 900, "z", "x")
                .unwrap()
                .source_identity,
            "zz"
        );
    }

    #[test]
    fn a_sub_iam_cannot_carry_is_refused_not_sanitized() {
        for sub in [
            "",
            "bob smith",
            "bob!smith",
            "ü",
            "aws:evil",
            "AWS:evil",
            &"a".repeat(57),
        ] {
            assert_eq!(
                AssumeRoleRequest::for_user("r", 900, sub, "x"),
                Err(UnusableSubject),
                "{sub:?}"
            );
        }
    }

    #[test]
    fn tag_values_escape_what_iam_refuses_without_collisions() {
        assert_eq!(tag_value("alice@example.com"), "alice@example.com");
        assert_eq!(tag_value("a;b<c>\"d"), "a=3Bb=3Cc=3E=22d");
        assert_eq!(tag_value("Zoë"), "Zo=C3=AB");
        assert_eq!(tag_value("a=b"), "a=3Db");
        assert_eq!(tag_value(SUB), SUB);
        assert_ne!(tag_value("bob!smith"), tag_value("bob_smith"));
        assert_ne!(tag_value("a=21"), tag_value("a!"));
        let long = tag_value(&"é".repeat(300));
        assert!(long.len() <= 256 && long.ends_with("=A9"), "{long}");
        for c in tag_value("निखिल ☃ \u{0}\n").chars() {
            assert!(
                c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c),
                "{c:?}"
            );
        }
    }

    #[test]
    fn usernames_that_sanitize_alike_get_distinct_sessions() {
        let a = AssumeRoleRequest::for_user("r", 3600, "sub-1", "bob!smith").unwrap();
        let b = AssumeRoleRequest::for_user("r", 3600, "sub-2", "bob_smith").unwrap();
        assert_ne!(a.source_identity, b.source_identity);
        assert_ne!(a.session_name, b.session_name);
        assert_eq!(
            a.tags,
            [
                ("CognitoSubject".to_owned(), "sub-1".to_owned()),
                ("CognitoUsername".to_owned(), "bob=21smith".to_owned())
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
