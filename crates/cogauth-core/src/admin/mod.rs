//! Administrator operations shared by `cogadmin` and `xtask`.
//!
//! Every operation takes an [`aws_types::SdkConfig`] built by the caller from the normal AWS
//! credential chain (so `AWS_PROFILE`, `AWS_ENDPOINT_URL` and friends apply), does its work,
//! and returns a structured result: a [`plan::Plan`] of steps for the mutating operations, data
//! for the reads. Nothing here prints. Every mutating operation has a dry run that makes no
//! change and reports what it would do.
//!
//! - [`config`] reads and writes `admin.toml` (the original's names and defaults, the last setup);
//! - [`setup`] makes the user pool, app client, identity pool, role and role attachment;
//! - [`roles`] reads an identity pool's roles and policies, and applies inline policies;
//! - [`policies`] builds and validates IAM policy documents (pure);
//! - [`users`] manages user-pool users;
//! - [`lambda_deploy`] deploys the credential-proxy Lambda.

pub mod config;
mod error;
pub mod lambda_deploy;
pub mod plan;
pub mod policies;
pub mod roles;
pub mod setup;
pub mod users;

pub use error::AdminError;
pub use plan::{Action, Plan, Resource, Step};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The AWS services the admin operations call, named in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    CognitoIdp,
    CognitoIdentity,
    Iam,
    Sts,
}

impl Api {
    fn name(self) -> &'static str {
        match self {
            Self::CognitoIdp => "Cognito user pools",
            Self::CognitoIdentity => "Cognito identity pools",
            Self::Iam => "IAM",
            Self::Sts => "STS",
        }
    }
}

/// The error code of a service error, for the few codes an operation handles itself
/// (`NoSuchEntity`, `UserNotFoundException`, ...).
pub(crate) fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(s) => s.err().code(),
        _ => None,
    }
}

/// Turns an SDK error into an [`AdminError::Aws`] naming the service and operation, with a
/// hint for the two failures an administrator can fix at once: no credentials, no permission.
pub(crate) fn aws_error<E, R>(
    api: Api,
    operation: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> AdminError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |err| {
        let code = error_code(&err).unwrap_or_default().to_owned();
        let mut failure = match &err {
            SdkError::ServiceError(_) => crate::aws::classify(&err).to_string(),
            // Credential and connection problems hide in the source chain.
            _ => crate::aws::error_chain(Some(&err as &dyn std::error::Error)),
        };
        let lower = failure.to_ascii_lowercase();
        let no_credentials = code.is_empty()
            && (lower.contains("no credentials") || lower.contains("credentials not loaded"));
        if no_credentials {
            failure = "no AWS credentials found".to_owned();
        }
        let hint = if code.contains("AccessDenied") || code == "UnauthorizedOperation" {
            format!(
                " (the AWS identity cogadmin runs as may not call {operation}: grant it, or \
                 select another identity with AWS_PROFILE)"
            )
        } else if no_credentials || (code.is_empty() && lower.contains("credential")) {
            " (cogadmin uses the normal AWS credential chain: set AWS_PROFILE, or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`)"
                .to_owned()
        } else {
            String::new()
        };
        AdminError::Aws {
            service: api.name(),
            operation,
            failure,
            hint,
        }
    }
}

/// Fetches every page of a paginated list. `fetch` gets the previous page's token and returns
/// the items of one page and the next token.
pub(crate) async fn collect_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, AdminError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AdminError>>,
{
    let mut items = Vec::new();
    let mut token = None;
    // A bound, so a service that keeps answering with a token cannot loop forever.
    for _ in 0..10_000 {
        let (page, next) = fetch(token).await?;
        items.extend(page);
        match next.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => return Ok(items),
        }
    }
    Ok(items)
}

/// The SDK config with its region replaced: user-pool and identity-pool calls go to the region
/// in the pool's id, whatever the credential chain's default region is.
pub(crate) fn in_region(sdk: &aws_types::SdkConfig, region: &str) -> aws_types::SdkConfig {
    sdk.to_builder()
        .region(aws_types::region::Region::new(region.to_owned()))
        .build()
}

/// The region the SDK config targets.
pub(crate) fn region_of(sdk: &aws_types::SdkConfig) -> Result<String, AdminError> {
    sdk.region()
        .map(|r| r.as_ref().to_owned())
        .ok_or(AdminError::NoRegion)
}
