//! User-pool users: create, set a password, reset MFA, list.
//!
//! Passwords arrive as [`SecretString`] and go only into the request that needs them.

use aws_sdk_cognitoidentityprovider as idp;
use aws_types::SdkConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::plan::{Action, Resource, Step};
use crate::{AdminError, aws_error, collect_pages};
use cogauth_core::aws::{Service, error_code, in_region};
use cogauth_core::config::ids;

/// The password a new user starts with.
#[derive(Debug)]
pub enum InitialPassword {
    /// None given: Cognito generates a temporary one and sends the invitation (needs an email).
    Generated,
    /// A temporary password: the user must choose a new one at first login.
    Temporary(SecretString),
    /// A permanent password: the user can log in with it at once.
    Permanent(SecretString),
}

/// `cogadmin user create`.
#[derive(Debug)]
pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub password: InitialPassword,
}

/// The region in a user pool id, after checking the id's shape.
pub fn user_pool_region(user_pool_id: &str) -> Result<&str, AdminError> {
    ids::region_of_user_pool(user_pool_id)
        .filter(|_| ids::is_user_pool_id(user_pool_id))
        .ok_or_else(|| AdminError::InvalidInput {
            what: "user pool id",
            value: user_pool_id.to_owned(),
            expected: "<region>_<letters and digits>, e.g. us-east-1_AbC123".to_owned(),
        })
}

fn client(sdk: &SdkConfig, user_pool_id: &str) -> Result<idp::Client, AdminError> {
    let region = user_pool_region(user_pool_id)?;
    Ok(idp::Client::new(&in_region(sdk, region)))
}

fn validate_username(username: &str) -> Result<(), AdminError> {
    // Cognito: 1 to 128 characters, no whitespace-only names, no control characters.
    if (1..=128).contains(&username.chars().count())
        && !username.trim().is_empty()
        && !username.chars().any(char::is_control)
    {
        Ok(())
    } else {
        Err(AdminError::InvalidInput {
            what: "username",
            value: username.to_owned(),
            expected: "1 to 128 printable characters".to_owned(),
        })
    }
}

fn validate_email(email: &str) -> Result<(), AdminError> {
    let ok = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
    }) && !email.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(AdminError::InvalidInput {
            what: "email address",
            value: email.to_owned(),
            expected: "name@example.com".to_owned(),
        })
    }
}

/// Maps the errors every user operation shares.
fn user_error<E, R>(
    operation: &'static str,
    user_pool_id: &str,
    username: &str,
) -> impl FnOnce(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> AdminError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let user_pool_id = user_pool_id.to_owned();
    let username = username.to_owned();
    move |e| {
        let message = || {
            e.as_service_error()
                .and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::message)
                .unwrap_or("no reason given")
                .trim_end_matches('.')
                .to_owned()
        };
        match error_code(&e) {
            Some("UserNotFoundException") => AdminError::UserNotFound {
                username,
                user_pool_id,
            },
            Some("UsernameExistsException") => AdminError::UserExists {
                username,
                user_pool_id,
            },
            Some("InvalidPasswordException") => AdminError::PasswordRefused {
                message: message(),
                user_pool_id,
            },
            Some("ResourceNotFoundException") => AdminError::NotFound {
                what: "user pool",
                name: user_pool_id,
                hint: ": check the id, or run `cogadmin setup`".to_owned(),
            },
            _ => aws_error(Service::CognitoIdentityProvider, operation)(e),
        }
    }
}

async fn user_exists(
    client: &idp::Client,
    user_pool_id: &str,
    username: &str,
) -> Result<bool, AdminError> {
    match client
        .admin_get_user()
        .user_pool_id(user_pool_id)
        .username(username)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if error_code(&e) == Some("UserNotFoundException") => Ok(false),
        Err(e) => Err(user_error("AdminGetUser", user_pool_id, username)(e)),
    }
}

/// Creates a user. With a password given, Cognito sends no invitation (the administrator hands
/// the password over); a permanent password is set with AdminSetUserPassword right after. An
/// email given by the administrator is marked verified, so the user can reset a forgotten
/// password. A user that already exists is an error, never overwritten.
pub async fn create_user(
    sdk: &SdkConfig,
    user_pool_id: &str,
    user: &NewUser,
    dry_run: bool,
) -> Result<Step, AdminError> {
    validate_username(&user.username)?;
    if let Some(email) = &user.email {
        validate_email(email)?;
    }
    if matches!(user.password, InitialPassword::Generated) && user.email.is_none() {
        return Err(AdminError::NoInitialPassword {
            username: user.username.clone(),
        });
    }
    let client = client(sdk, user_pool_id)?;
    let step = |action| Step::new(Resource::User, &user.username, action).with_id(user_pool_id);
    if user_exists(&client, user_pool_id, &user.username).await? {
        return Err(AdminError::UserExists {
            username: user.username.clone(),
            user_pool_id: user_pool_id.to_owned(),
        });
    }
    if dry_run {
        return Ok(step(Action::WouldCreate));
    }
    let mut request = client
        .admin_create_user()
        .user_pool_id(user_pool_id)
        .username(&user.username);
    if let Some(email) = &user.email {
        request = request
            .user_attributes(attribute("email", email))
            .user_attributes(attribute("email_verified", "true"))
            .desired_delivery_mediums(idp::types::DeliveryMediumType::Email);
    }
    match &user.password {
        InitialPassword::Generated => {}
        InitialPassword::Temporary(password) => {
            request = request
                .temporary_password(password.expose_secret())
                .message_action(idp::types::MessageActionType::Suppress);
        }
        InitialPassword::Permanent(_) => {
            request = request.message_action(idp::types::MessageActionType::Suppress);
        }
    }
    request
        .send()
        .await
        .map_err(user_error("AdminCreateUser", user_pool_id, &user.username))?;
    if let InitialPassword::Permanent(password) = &user.password {
        set_password_with(&client, user_pool_id, &user.username, password, true).await?;
    }
    let mut details = Vec::new();
    details.push(match &user.password {
        InitialPassword::Generated => "Cognito emails a temporary password".to_owned(),
        InitialPassword::Temporary(_) => {
            "temporary password: a new one is chosen at first login".to_owned()
        }
        InitialPassword::Permanent(_) => "permanent password".to_owned(),
    });
    Ok(step(Action::Created).with_details(details))
}

fn attribute(name: &str, value: &str) -> idp::types::AttributeType {
    idp::types::AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("name is set")
}

async fn set_password_with(
    client: &idp::Client,
    user_pool_id: &str,
    username: &str,
    password: &SecretString,
    permanent: bool,
) -> Result<(), AdminError> {
    client
        .admin_set_user_password()
        .user_pool_id(user_pool_id)
        .username(username)
        .password(password.expose_secret())
        .permanent(permanent)
        .send()
        .await
        .map_err(user_error("AdminSetUserPassword", user_pool_id, username))?;
    Ok(())
}

/// Sets a user's password: permanent, or temporary (a new one is required at next login).
/// A dry run checks that the user exists and needs no password.
pub async fn set_password(
    sdk: &SdkConfig,
    user_pool_id: &str,
    username: &str,
    password: Option<&SecretString>,
    permanent: bool,
    dry_run: bool,
) -> Result<Step, AdminError> {
    validate_username(username)?;
    let client = client(sdk, user_pool_id)?;
    let kind = if permanent { "permanent" } else { "temporary" };
    let step = |action| {
        Step::new(Resource::Password, username, action)
            .with_id(user_pool_id)
            .with_details(vec![format!("{kind} password")])
    };
    if !user_exists(&client, user_pool_id, username).await? {
        return Err(AdminError::UserNotFound {
            username: username.to_owned(),
            user_pool_id: user_pool_id.to_owned(),
        });
    }
    if dry_run {
        return Ok(step(Action::WouldUpdate));
    }
    let password = password.ok_or_else(|| AdminError::InvalidInput {
        what: "password",
        value: String::new(),
        expected: "a password (from stdin or the prompt)".to_owned(),
    })?;
    set_password_with(&client, user_pool_id, username, password, permanent).await?;
    Ok(step(Action::Updated))
}

/// Turns off the user's MFA preferences (SMS and software token), so the next login asks for
/// no second factor where the pool's MFA is optional (and enrolment starts over where it is
/// required). Unchanged when nothing was enabled.
pub async fn reset_mfa(
    sdk: &SdkConfig,
    user_pool_id: &str,
    username: &str,
    dry_run: bool,
) -> Result<Step, AdminError> {
    validate_username(username)?;
    let client = client(sdk, user_pool_id)?;
    let user = client
        .admin_get_user()
        .user_pool_id(user_pool_id)
        .username(username)
        .send()
        .await
        .map_err(user_error("AdminGetUser", user_pool_id, username))?;
    let enabled: Vec<String> = user.user_mfa_setting_list().to_vec();
    let step = |action| {
        let details = if enabled.is_empty() {
            vec!["no MFA method was enabled".to_owned()]
        } else {
            vec![format!("turned off: {}", enabled.join(", "))]
        };
        Step::new(Resource::MfaPreferences, username, action)
            .with_id(user_pool_id)
            .with_details(details)
    };
    if enabled.is_empty() && user.preferred_mfa_setting().is_none_or(str::is_empty) {
        return Ok(step(Action::Unchanged));
    }
    if dry_run {
        return Ok(step(Action::WouldUpdate));
    }
    let off = || {
        idp::types::SmsMfaSettingsType::builder()
            .enabled(false)
            .preferred_mfa(false)
            .build()
    };
    client
        .admin_set_user_mfa_preference()
        .user_pool_id(user_pool_id)
        .username(username)
        .sms_mfa_settings(off())
        .software_token_mfa_settings(
            idp::types::SoftwareTokenMfaSettingsType::builder()
                .enabled(false)
                .preferred_mfa(false)
                .build(),
        )
        .send()
        .await
        .map_err(user_error(
            "AdminSetUserMFAPreference",
            user_pool_id,
            username,
        ))?;
    Ok(step(Action::Updated))
}

/// One user, as `cogadmin user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    pub username: String,
    /// CONFIRMED, FORCE_CHANGE_PASSWORD, ...
    pub status: Option<String>,
    pub enabled: bool,
    pub email: Option<String>,
    /// RFC 3339.
    pub created: Option<String>,
}

/// Every user of the pool, sorted by username.
pub async fn list_users(
    sdk: &SdkConfig,
    user_pool_id: &str,
) -> Result<Vec<UserSummary>, AdminError> {
    let client = client(sdk, user_pool_id)?;
    let mut users = collect_pages(|token| {
        let request = client
            .list_users()
            .user_pool_id(user_pool_id)
            .limit(60)
            .set_pagination_token(token);
        async move {
            let page = request
                .send()
                .await
                .map_err(user_error("ListUsers", user_pool_id, ""))?;
            let users = page
                .users()
                .iter()
                .map(|u| UserSummary {
                    username: u.username().unwrap_or_default().to_owned(),
                    status: u.user_status().map(|s| s.as_str().to_owned()),
                    enabled: u.enabled(),
                    email: u
                        .attributes()
                        .iter()
                        .find(|a| a.name() == "email")
                        .and_then(|a| a.value())
                        .map(str::to_owned),
                    created: u
                        .user_create_date()
                        .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
                })
                .collect();
            Ok((users, page.pagination_token().map(str::to_owned)))
        }
    })
    .await?;
    users.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked_before_any_call() {
        assert!(validate_username("alice").is_ok());
        assert!(validate_username("  ").is_err());
        assert!(validate_username("a\nb").is_err());
        assert!(validate_email("a@example.com").is_ok());
        assert!(validate_email("a@b").is_err());
        assert!(validate_email("a b@example.com").is_err());
        assert_eq!(user_pool_region("eu-west-1_Abc").unwrap(), "eu-west-1");
        assert!(user_pool_region("nope").is_err());
    }
}
