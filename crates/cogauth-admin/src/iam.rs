//! Finding the IAM resources cogadmin creates and changes, in one place: `setup` (the
//! authenticated role) and the Lambda deploy (the proxy's user and roles) look a resource up
//! here before they create it or repair it.
//!
//! This is where "is this cogadmin's to change?" will be decided: a resource found here that
//! does not carry cogauth's tag is refused, naming it, unless the administrator adopts it.

use aws_sdk_iam::types::{Role, User};
use cogauth_core::aws::{Service, error_code};

use crate::{AdminError, aws_error};

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

/// The user named `name`, or `None` when there is none.
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
