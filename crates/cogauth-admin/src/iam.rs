//! Finding the IAM resources cogadmin creates and changes, in one place: `setup` (the
//! authenticated role) and the Lambda deploy (the proxy's user and roles) look a resource up
//! here before they create it or repair it.
//!
//! A role or user that an operation will change is looked up with [`claim_role`] /
//! [`claim_user`], which register it with the run's [`Ownership`]: unless it carries cogauth's
//! tag, the run stops before any change, naming it, or adopts it with `--adopt`. The plain
//! finders are for reads.

use aws_sdk_iam::types::Role;
#[cfg(feature = "lambda-deploy")]
use aws_sdk_iam::types::User;
use cogauth_core::aws::{Service, error_code};

use crate::ownership::{Found, Ownership};
use crate::{AdminError, aws_error};

/// The role named `name`, registered with `owner` for what the run would do with it
/// (`purpose`, for the refusal); `None` when there is none.
pub(crate) async fn claim_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    owner: &mut Ownership,
    purpose: impl Into<String>,
) -> Result<Option<Role>, AdminError> {
    let role = find_role(iam, name).await?;
    if let Some(role) = &role {
        owner.register(Found::role(role, purpose));
    }
    Ok(role)
}

/// The user named `name`, registered with `owner` (see [`claim_role`]).
#[cfg(feature = "lambda-deploy")]
pub(crate) async fn claim_user(
    iam: &aws_sdk_iam::Client,
    name: &str,
    owner: &mut Ownership,
    purpose: impl Into<String>,
) -> Result<Option<User>, AdminError> {
    let user = find_user(iam, name).await?;
    if let Some(user) = &user {
        owner.register(Found::user(user, purpose));
    }
    Ok(user)
}

/// The role named `name`, or `None` when there is none.
pub(crate) async fn find_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<Option<Role>, AdminError> {
    match iam.get_role().role_name(name).send().await {
        Ok(answer) => Ok(answer.role),
        Err(e) if error_code(&e) == Some("NoSuchEntity") => Ok(None),
        Err(e) => Err(aws_error(Service::Iam, "GetRole")(e)),
    }
}

/// The user named `name`, or `None` when there is none. (Only the proxy's deploy has an IAM
/// user.)
#[cfg(feature = "lambda-deploy")]
pub(crate) async fn find_user(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<Option<User>, AdminError> {
    match iam.get_user().user_name(name).send().await {
        Ok(answer) => Ok(answer.user),
        Err(e) if error_code(&e) == Some("NoSuchEntity") => Ok(None),
        Err(e) => Err(aws_error(Service::Iam, "GetUser")(e)),
    }
}
