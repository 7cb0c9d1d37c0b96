//! The identity stage on Cognito identity pools (and STS for the basic flow).

use std::time::Instant;

use aws_sdk_cognitoidentity::Client as IdentityClient;
use secrecy::{ExposeSecret, SecretString};

use super::{IdentityConfig, IdentityCredentials, IdentityError, IdentityStage};
use crate::aws::{self, Failure, Service};
use crate::config::IdentityFlow;
use crate::credentials::{CredentialSource, Credentials};
use crate::env::Env;
use crate::roles::TokenRoles;

/// [`IdentityStage`] over the real Cognito identity and STS APIs (unsigned requests).
#[derive(Debug)]
pub struct CognitoIdentity {
    config: IdentityConfig,
    identity: IdentityClient,
    sts: aws_sdk_sts::Client,
    identity_endpoint: String,
    sts_endpoint: String,
}

impl CognitoIdentity {
    pub fn new(config: IdentityConfig, env: &dyn Env) -> Self {
        let region = config.region.clone();
        Self {
            identity: aws::cognito_identity(env, &region),
            sts: aws::sts(env, &region, None),
            identity_endpoint: aws::effective_endpoint(env, Service::CognitoIdentity, &region),
            sts_endpoint: aws::effective_endpoint(env, Service::Sts, &region),
            config,
        }
    }

    fn logins(&self, id_token: &SecretString) -> std::collections::HashMap<String, String> {
        [(
            self.config.provider_name(),
            id_token.expose_secret().to_owned(),
        )]
        .into()
    }

    /// Maps a Cognito identity failure to an error that says what to fix.
    fn identity_error(&self, operation: &'static str, failure: Failure) -> IdentityError {
        let pool = self.config.identity_pool_id.clone();
        match (&failure, failure.code()) {
            (Failure::Unreachable { .. } | Failure::TimedOut, _) => IdentityError::Unreachable {
                endpoint: self.identity_endpoint.clone(),
                failure,
            },
            _ if failure.is_throttling() => IdentityError::Throttled {
                message: failure.to_string(),
            },
            (_, Some("ResourceNotFoundException")) if operation == "GetId" => {
                IdentityError::PoolNotFound {
                    pool,
                    region: self.config.region.clone(),
                }
            }
            (Failure::Service { message, .. }, Some("NotAuthorizedException")) => {
                IdentityError::NotTrusted {
                    pool,
                    user_pool: self.config.user_pool_id.clone(),
                    message: message.clone(),
                }
            }
            (
                Failure::Service { message, .. },
                Some("InvalidIdentityPoolConfigurationException"),
            ) => IdentityError::NoRole {
                pool,
                message: message.clone(),
            },
            (Failure::Service { message, .. }, Some("InvalidParameterException"))
                if message.to_ascii_lowercase().contains("classic")
                    || message.to_ascii_lowercase().contains("basic") =>
            {
                IdentityError::ClassicFlowDisabled { pool }
            }
            _ => IdentityError::Other { operation, failure },
        }
    }

    async fn get_id(&self, id_token: &SecretString) -> Result<String, IdentityError> {
        let started = Instant::now();
        let out = self
            .identity
            .get_id()
            .identity_pool_id(&self.config.identity_pool_id)
            .set_logins(Some(self.logins(id_token)))
            .send()
            .await;
        tracing::debug!(operation = "GetId", endpoint = %self.identity_endpoint, elapsed_ms = started.elapsed().as_millis() as u64, ok = out.is_ok(), "cognito-identity call");
        let out = out.map_err(|e| self.identity_error("GetId", aws::classify(&e)))?;
        out.identity_id.ok_or(IdentityError::Incomplete {
            operation: "GetId",
            field: "IdentityId",
        })
    }

    async fn enhanced(
        &self,
        identity_id: &str,
        id_token: &SecretString,
        role: Option<&str>,
    ) -> Result<Credentials, IdentityError> {
        let started = Instant::now();
        let out = self
            .identity
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .set_logins(Some(self.logins(id_token)))
            .set_custom_role_arn(role.map(str::to_owned))
            .send()
            .await;
        tracing::debug!(operation = "GetCredentialsForIdentity", endpoint = %self.identity_endpoint, elapsed_ms = started.elapsed().as_millis() as u64, ok = out.is_ok(), "cognito-identity call");
        let out = out.map_err(|e| {
            match (
                self.identity_error("GetCredentialsForIdentity", aws::classify(&e)),
                role,
            ) {
                // With a role asked for, a refusal is about that role far more often than
                // about the pool's trust in the user pool, which GetId has just passed.
                (IdentityError::NotTrusted { pool, message, .. }, Some(role)) => {
                    IdentityError::RoleNotMapped {
                        pool,
                        role: role.to_owned(),
                        message,
                    }
                }
                (other, _) => other,
            }
        })?;
        let c = out.credentials.ok_or(IdentityError::Incomplete {
            operation: "GetCredentialsForIdentity",
            field: "Credentials",
        })?;
        let missing = |field| IdentityError::Incomplete {
            operation: "GetCredentialsForIdentity",
            field,
        };
        Ok(Credentials::new(
            c.access_key_id.ok_or_else(|| missing("AccessKeyId"))?,
            c.secret_key.ok_or_else(|| missing("SecretKey"))?,
            c.session_token.ok_or_else(|| missing("SessionToken"))?,
            smithy_to_chrono(c.expiration.ok_or_else(|| missing("Expiration"))?),
        ))
    }

    async fn basic(
        &self,
        identity_id: &str,
        id_token: &SecretString,
        role: Option<&str>,
    ) -> Result<Credentials, IdentityError> {
        let role = role
            .map(str::to_owned)
            .or_else(|| TokenRoles::from_id_token(id_token).preferred)
            .ok_or(IdentityError::BasicFlowNeedsRole)?;
        let started = Instant::now();
        let out = self
            .identity
            .get_open_id_token()
            .identity_id(identity_id)
            .set_logins(Some(self.logins(id_token)))
            .send()
            .await;
        tracing::debug!(operation = "GetOpenIdToken", endpoint = %self.identity_endpoint, elapsed_ms = started.elapsed().as_millis() as u64, ok = out.is_ok(), "cognito-identity call");
        let out = out.map_err(|e| self.identity_error("GetOpenIdToken", aws::classify(&e)))?;
        let web_token = SecretString::from(out.token.ok_or(IdentityError::Incomplete {
            operation: "GetOpenIdToken",
            field: "Token",
        })?);

        let hours = self.config.duration_hours;
        let started = Instant::now();
        let out = self
            .sts
            .assume_role_with_web_identity()
            .role_arn(&role)
            .role_session_name(session_name(identity_id))
            .web_identity_token(web_token.expose_secret())
            .duration_seconds((hours * 3600) as i32)
            .send()
            .await;
        tracing::debug!(operation = "AssumeRoleWithWebIdentity", endpoint = %self.sts_endpoint, elapsed_ms = started.elapsed().as_millis() as u64, ok = out.is_ok(), "sts call");
        let out = out.map_err(|e| {
            let failure = aws::classify(&e);
            match &failure {
                Failure::Unreachable { .. } | Failure::TimedOut => IdentityError::Unreachable {
                    endpoint: self.sts_endpoint.clone(),
                    failure,
                },
                Failure::Service { code, message } if code == "AccessDenied" => {
                    IdentityError::RoleRefused {
                        role: role.clone(),
                        message: message.clone(),
                    }
                }
                Failure::Service { code, message }
                    if code == "ValidationError"
                        && message.to_ascii_lowercase().contains("duration") =>
                {
                    IdentityError::DurationTooLong {
                        role: role.clone(),
                        hours,
                        message: message.clone(),
                    }
                }
                _ if failure.is_throttling() => IdentityError::Throttled {
                    message: failure.to_string(),
                },
                _ => IdentityError::Other {
                    operation: "AssumeRoleWithWebIdentity",
                    failure,
                },
            }
        })?;
        let c = out.credentials.ok_or(IdentityError::Incomplete {
            operation: "AssumeRoleWithWebIdentity",
            field: "Credentials",
        })?;
        Ok(Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            c.session_token,
            smithy_to_chrono(c.expiration),
        ))
    }
}

/// `cogauth-<identity uuid>`: STS allows `[\w+=,.@-]`, at most 64 characters.
fn session_name(identity_id: &str) -> String {
    let id: String = identity_id
        .rsplit(':')
        .next()
        .unwrap_or(identity_id)
        .chars()
        .filter(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '=' | ',' | '.' | '@' | '-' | '_')
        })
        .collect();
    let mut name = format!("cogauth-{id}");
    name.truncate(64);
    name
}

pub(crate) fn smithy_to_chrono(t: aws_smithy_types::DateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

#[async_trait::async_trait]
impl IdentityStage for CognitoIdentity {
    async fn credentials(
        &self,
        id_token: &SecretString,
        known_identity_id: Option<&str>,
        role: Option<&str>,
    ) -> Result<IdentityCredentials, IdentityError> {
        let role = role.or(self.config.role_arn.as_deref());
        let identity_id = match known_identity_id {
            Some(id) => id.to_owned(),
            None => self.get_id(id_token).await?,
        };
        let attempt = match self.config.flow {
            IdentityFlow::Enhanced => self.enhanced(&identity_id, id_token, role).await,
            IdentityFlow::Basic => self.basic(&identity_id, id_token, role).await,
        };
        // A cached identity id can go stale (identity deleted, pool re-created): ask again once.
        let (identity_id, credentials) = match attempt {
            Err(IdentityError::Other {
                failure: Failure::Service { ref code, .. },
                ..
            }) if known_identity_id.is_some() && code == "ResourceNotFoundException" => {
                let fresh = self.get_id(id_token).await?;
                let creds = match self.config.flow {
                    IdentityFlow::Enhanced => self.enhanced(&fresh, id_token, role).await?,
                    IdentityFlow::Basic => self.basic(&fresh, id_token, role).await?,
                };
                (fresh, creds)
            }
            other => (identity_id, other?),
        };
        let source = match self.config.flow {
            IdentityFlow::Enhanced => CredentialSource::IdentityPool,
            IdentityFlow::Basic => CredentialSource::BasicFlow,
        };
        Ok(IdentityCredentials {
            identity_id,
            credentials,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_valid_for_sts() {
        let name = session_name("us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab");
        assert_eq!(name, "cogauth-8f1c2a3b-1234-4abc-9def-0123456789ab");
        assert!(name.len() <= 64);
    }

    #[test]
    fn provider_name_uses_the_pool_region() {
        let c = IdentityConfig {
            region: "eu-west-1".into(),
            user_pool_id: "us-east-1_Abc".into(),
            identity_pool_id: "x".into(),
            flow: IdentityFlow::Enhanced,
            role_arn: None,
            duration_hours: 1,
        };
        assert_eq!(
            c.provider_name(),
            "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc"
        );
    }
}
