//! `cogauth-admin`: the administrator's side of cogauth, used by `cogadmin`, `cargo xtask` and,
//! for the checks of `cogauth doctor` that need administrative rights, by `cogauth`.
//!
//! Every operation takes an [`aws_types::SdkConfig`] built by [`sdk::load`] from the normal AWS
//! credential chain (so `AWS_PROFILE`, `AWS_ENDPOINT_URL` and friends apply), does its work,
//! and returns a structured result: a [`plan::Plan`] of steps for the mutating operations, data
//! for the reads. Nothing here prints. Every mutating operation has a dry run that makes no
//! change and reports what it would do.
//!
//! - [`sdk`] builds that SDK config, once for every caller;
//! - [`config`] reads and writes `admin.toml` (the original's names and defaults, the last setup);
//! - [`target`] resolves what a command works on (flags > last setup > user config);
//! - [`setup`] makes the user pool, app client, identity pool, role and role attachment, and
//!   with [`managed_login`] the domain and the app client's OAuth settings of browser sign-in;
//! - [`roles`] reads an identity pool's roles and policies, and applies inline policies;
//! - [`policies`] builds and validates IAM policy documents (pure);
//! - [`users`] manages user-pool users;
//! - [`groups`] manages user-pool groups with roles, and their members;
//! - [`doctor`] holds the doctor's checks that read the pools and the role;
//! - [`ownership`] decides what cogadmin may change: what carries its tag, or what `--adopt`
//!   hands over;
//! - [`lambda_deploy`] deploys the credential-proxy Lambda (feature `lambda-deploy`, on by
//!   default; `cogauth` builds without it, and so without `zip`).
//!
//! Errors keep what a caller can act on: [`AdminError::Aws`] holds the service, the operation
//! and the AWS error code.

pub mod app_client;
pub mod config;
pub mod doctor;
mod error;
pub mod groups;
mod iam;
#[cfg(feature = "lambda-deploy")]
pub mod lambda_deploy;
pub mod managed_login;
pub mod ownership;
pub mod plan;
pub mod policies;
pub mod roles;
pub mod sdk;
pub mod setup;
pub mod target;
pub mod users;

pub use error::{AdminError, CredentialsProblem};
pub use ownership::{Found, Ownership};
pub use plan::{Action, Plan, Resource, Step};

pub(crate) use error::aws_error;

/// [`cogauth_core::aws::collect_pages`] for the admin operations' error type.
pub(crate) async fn collect_pages<T, F, Fut>(fetch: F) -> Result<Vec<T>, AdminError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AdminError>>,
{
    cogauth_core::aws::collect_pages(fetch).await
}

/// The region the SDK config targets, or the error that says how to give one.
pub(crate) fn region_of(sdk: &aws_types::SdkConfig) -> Result<String, AdminError> {
    cogauth_core::aws::region_of(sdk).ok_or(AdminError::NoRegion)
}

/// The partition and account of the administrator's credentials (STS GetCallerIdentity).
pub(crate) async fn caller(sdk: &aws_types::SdkConfig) -> Result<(String, String), AdminError> {
    use cogauth_core::aws::Service;
    let me = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(aws_error(Service::Sts, "GetCallerIdentity"))?;
    let account = me.account().unwrap_or_default().to_owned();
    let partition = me
        .arn()
        .and_then(|arn| arn.split(':').nth(1))
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_owned();
    if account.is_empty() {
        return Err(AdminError::bad_answer(
            Service::Sts,
            "GetCallerIdentity",
            "the answer names no account",
        ));
    }
    Ok((partition, account))
}
