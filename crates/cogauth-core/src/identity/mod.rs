//! The identity stage: an ID token in, AWS credentials out.
//!
//! - Enhanced flow (default): GetId, then GetCredentialsForIdentity. Always 1 hour; the
//!   identity pool picks the role (or honours `role_arn` as `CustomRoleArn`).
//! - Basic flow: GetId, then GetOpenIdToken, then STS AssumeRoleWithWebIdentity with the
//!   requested duration, up to the role's MaxSessionDuration (12 h), with no Lambda and no
//!   IAM-user keys. The identity pool must allow the classic flow.
//!
//! The identity id is cached per profile by the caller and passed back in, so a login does
//! not create a new identity every time.

mod cognito;

use secrecy::SecretString;

pub use cognito::CognitoIdentity;

use crate::aws::Failure;
use crate::config::IdentityFlow;
use crate::credentials::{CredentialSource, Credentials};

/// What the identity stage needs to know.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    pub region: String,
    pub user_pool_id: String,
    pub identity_pool_id: String,
    pub flow: IdentityFlow,
    /// The role to take when the caller of [`IdentityStage::credentials`] names none: the one
    /// assumed in the basic flow, `CustomRoleArn` in the enhanced flow. The pipeline names the
    /// role itself (see [`crate::authenticator`]), so it leaves this `None`.
    pub role_arn: Option<String>,
    /// Requested duration for the basic flow.
    pub duration_hours: u32,
}

impl IdentityConfig {
    /// `cognito-idp.<region>.amazonaws.com/<user_pool_id>`: the key of the `Logins` map.
    pub fn provider_name(&self) -> String {
        let pool_region =
            crate::config::ids::region_of_user_pool(&self.user_pool_id).unwrap_or(&self.region);
        format!(
            "cognito-idp.{pool_region}.amazonaws.com/{}",
            self.user_pool_id
        )
    }
}

/// The stage's result.
#[derive(Debug, Clone)]
pub struct IdentityCredentials {
    pub identity_id: String,
    pub credentials: Credentials,
    pub source: CredentialSource,
}

/// Turns an ID token into AWS credentials.
#[async_trait::async_trait]
pub trait IdentityStage: Send + Sync {
    /// `known_identity_id` is the identity id cached from an earlier login, if any. `role` is
    /// the role to take (`CustomRoleArn` in the enhanced flow, the role assumed in the basic
    /// flow); `None` lets the identity pool choose in the enhanced flow, and takes the
    /// configured role, else the token's `cognito:preferred_role`, in the basic flow.
    async fn credentials(
        &self,
        id_token: &SecretString,
        known_identity_id: Option<&str>,
        role: Option<&str>,
    ) -> Result<IdentityCredentials, IdentityError>;
}

/// Errors of the identity stage; each says what to check.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "identity pool `{pool}` does not exist in {region}: check `identity_pool_id` and `region`"
    )]
    PoolNotFound { pool: String, region: String },
    #[error(
        "identity pool `{pool}` refused the login ({message}): link user pool `{user_pool}` and its app client to the identity pool (`cogadmin setup` does this)"
    )]
    NotTrusted {
        pool: String,
        user_pool: String,
        message: String,
    },
    #[error(
        "identity pool `{pool}` refused role `{role}` ({message}): the pool's role mapping for the user pool must be token-based (`cogadmin setup --role-mapping token`) and the role one of the user's group roles"
    )]
    RoleNotMapped {
        pool: String,
        role: String,
        message: String,
    },
    #[error(
        "identity pool `{pool}` has no usable authenticated role ({message}): attach one with `cogadmin setup`"
    )]
    NoRole { pool: String, message: String },
    #[error(
        "the basic (classic) flow is not enabled on identity pool `{pool}`: run `cogadmin setup --basic-flow`, or set identity_flow = \"enhanced\""
    )]
    ClassicFlowDisabled { pool: String },
    #[error(
        "identity_flow = \"basic\" needs a role to assume: set `role_arn` in the profile, pass `--role`, or give your user-pool group a role"
    )]
    BasicFlowNeedsRole,
    #[error(
        "role `{role}` refused AssumeRoleWithWebIdentity ({message}): its trust policy must allow cognito-identity.amazonaws.com with aud = the identity pool id and amr = authenticated"
    )]
    RoleRefused { role: String, message: String },
    #[error(
        "role `{role}` does not allow {hours} h sessions ({message}): raise its MaxSessionDuration or pass a smaller --duration"
    )]
    DurationTooLong {
        role: String,
        hours: u32,
        message: String,
    },
    #[error("cognito identity is throttling requests ({message}): wait a moment and try again")]
    Throttled { message: String },
    #[error("cannot reach {endpoint}: {failure}")]
    Unreachable { endpoint: String, failure: Failure },
    #[error("{operation} failed: {failure}")]
    Other {
        operation: &'static str,
        failure: Failure,
    },
    #[error("{operation} returned no {field}")]
    Incomplete {
        operation: &'static str,
        field: &'static str,
    },
}
