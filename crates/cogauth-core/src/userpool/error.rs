//! Errors of the user-pool stage, and how a failed Cognito call becomes one.
//!
//! No variant carries a password, a token, a code or a secret: only names (user, app client,
//! pool, endpoint), Cognito's error code and Cognito's message.

use crate::aws::Failure;
use crate::prompt::PromptError;
use crate::srp::SrpError;

/// Why a login or a refresh failed; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum UserPoolError {
    /// Wrong password or unknown user: deliberately one error, so as not to tell which.
    #[error("incorrect username or password")]
    IncorrectCredentials,
    #[error("user `{username}` is disabled: ask an administrator to enable the account")]
    UserDisabled { username: String },
    #[error(
        "too many failed sign-in attempts for `{username}`: wait a few minutes before trying again"
    )]
    TooManyFailedAttempts { username: String },
    #[error(
        "user `{username}` is not confirmed: confirm the account with the code sent at sign-up \
         (or have an administrator confirm it), then log in again"
    )]
    UserNotConfirmed { username: String },
    #[error(
        "user `{username}` must reset their password: reset it (forgot password, or an \
         administrator sets a new one), then log in again"
    )]
    PasswordResetRequired { username: String },
    #[error(
        "the {flow} auth flow is not enabled on app client `{client_id}`: add \
         {explicit_auth_flow} to the app client's ExplicitAuthFlows"
    )]
    FlowNotEnabled {
        flow: &'static str,
        explicit_auth_flow: &'static str,
        client_id: String,
    },
    #[error(
        "app client `{client_id}` was not found in user pool `{user_pool_id}`: check `client_id`, \
         `user_pool_id` and `region`"
    )]
    ClientNotFound {
        client_id: String,
        user_pool_id: String,
    },
    #[error(
        "app client `{client_id}` rejected the SECRET_HASH: set `client_secret` to the app \
         client's secret (or remove it if the client has none)"
    )]
    ClientSecretRejected { client_id: String },
    #[error(
        "the MFA code was not accepted (wrong or expired): enter the current code, and check that \
         the clocks of this machine and of the authenticator are right"
    )]
    WrongMfaCode,
    #[error(
        "the login session expired before the challenge was answered: log in again (Cognito \
         allows about 3 minutes per login)"
    )]
    SessionExpired,
    /// The refresh token is expired, revoked or unknown. Callers tell the user which
    /// `cogauth login --profile P` to run.
    #[error(
        "the refresh token was rejected (expired or revoked): log in again with `cogauth login`"
    )]
    RefreshTokenRejected,
    /// RefreshTokenReuseException: the app client rotates refresh tokens, and this one was
    /// already exchanged for a successor that this machine does not have (another copy of the
    /// session used it, or a process ended between the refresh and saving its answer).
    #[error(
        "the refresh token was already replaced by refresh-token rotation, and its successor was not saved here: log in again with `cogauth login`"
    )]
    RefreshTokenReused,
    /// REFRESH_TOKEN_AUTH refused, on an endpoint without GetTokensFromRefreshToken.
    #[error(
        "app client `{client_id}` does not allow REFRESH_TOKEN_AUTH, and {endpoint} does not offer GetTokensFromRefreshToken: add ALLOW_REFRESH_TOKEN_AUTH to the app client's ExplicitAuthFlows (a client that rotates refresh tokens must leave it out, and needs an endpoint that offers GetTokensFromRefreshToken), or log in again when the credentials expire"
    )]
    RefreshFlowNotEnabled { client_id: String, endpoint: String },
    #[error(
        "the user pool asks for a passkey (WEB_AUTHN), and passkeys need the browser: sign in with the browser (the profile needs the pool's `managed_login_url`), or choose another way to sign in (`--preferred-challenge`, e.g. EMAIL_OTP or PASSWORD_SRP)"
    )]
    PasskeyNeedsBrowser,
    #[error(
        "the user pool offers several ways to sign in ({offered}) and there is no terminal to choose on: set `preferred_challenge` in the profile or pass `--preferred-challenge`"
    )]
    ChoiceNeeded { offered: String },
    /// DEVICE_PASSWORD_VERIFIER refused: the device was forgotten at the pool, or the secret
    /// kept here does not match. The broker forgets the device here.
    #[error(
        "the user pool did not accept this machine's remembered device `{device_key}` (it was \
         forgotten there, or the secret kept here does not match): cogauth has forgotten it \
         here; log in again to sign in without it"
    )]
    DeviceRejected { device_key: String },
    #[error("the one-time code was not accepted {attempts} times: log in again to get a new code")]
    WrongOneTimeCode { attempts: usize },
    /// A custom sign-in ended by the pool's DefineAuthChallenge trigger (failAuthentication,
    /// usually after wrong answers).
    #[error(
        "the custom sign-in was refused (a wrong answer, or the user pool's challenge triggers decided so): log in again"
    )]
    CustomAuthRefused,
    /// A Lambda trigger of the pool failed (UserLambdaValidationException,
    /// InvalidLambdaResponseException, UnexpectedLambdaException).
    #[error(
        "a Lambda trigger of user pool `{user_pool_id}` failed ({failure}): ask an administrator to check the pool's triggers"
    )]
    TriggerFailed {
        user_pool_id: String,
        failure: Failure,
    },
    #[error("the new password was rejected: {message}")]
    NewPasswordRejected { message: String },
    #[error("the new password and its confirmation did not match {attempts} times: log in again")]
    NewPasswordMismatch { attempts: usize },
    #[error(
        "the user pool asked for the {0} challenge, which cogauth cannot answer on the terminal: \
         sign in with the browser (`cogauth login --auth-flow browser`; the profile needs the \
         pool's `managed_login_url`), or ask an administrator to change the pool's sign-in \
         settings"
    )]
    UnsupportedChallenge(String),
    #[error(
        "the user pool wants MFA to be set up with {offered}, but cogauth can only enrol an \
         authenticator app (SOFTWARE_TOKEN_MFA): ask an administrator to enable it on the pool"
    )]
    MfaSetupUnsupported { offered: String },
    #[error(
        "the user pool wants this user to set up an authenticator app (MFA), which needs a \
         terminal to show its secret and read the first code: run `cogauth login` once in a \
         terminal; later logins can pass --mfa-code"
    )]
    MfaSetupNeedsTerminal,
    #[error("the login did not finish after {0} challenges: log in again")]
    TooManyChallenges(usize),
    #[error("cognito user pools are throttling requests ({failure}): wait a moment and try again")]
    Throttled { failure: Failure },
    #[error(
        "cannot reach cognito user pools at {endpoint} ({failure}): check the network, any proxy \
         settings and `region`"
    )]
    Unreachable { endpoint: String, failure: Failure },
    #[error("{operation} failed: {failure}")]
    Aws {
        operation: &'static str,
        failure: Failure,
    },
    #[error("{operation} returned no {field}")]
    Incomplete {
        operation: &'static str,
        field: &'static str,
    },
    #[error("the {challenge} challenge is malformed: {detail}")]
    MalformedChallenge { challenge: String, detail: String },
    /// The SRP error is part of the message, not a `source`: a chain printed whole would
    /// show it twice.
    #[error("cannot complete the SRP exchange: {0}")]
    Srp(SrpError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// Browser sign-in (also when a terminal login finishes in the browser).
    #[error(transparent)]
    ManagedLogin(Box<crate::managed_login::ManagedLoginError>),
}

impl From<SrpError> for UserPoolError {
    fn from(e: SrpError) -> Self {
        Self::Srp(e)
    }
}

/// Where in the stage a call failed: the same Cognito code means different things at
/// different points (NotAuthorizedException is a wrong password at InitiateAuth and an
/// expired refresh token at refresh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    InitiateSrp,
    InitiatePassword,
    /// USER_AUTH, choice-based sign-in.
    InitiateChoice,
    /// CUSTOM_AUTH.
    InitiateCustom,
    /// Answering a challenge, or the software-token calls of MFA setup.
    Challenge,
    Refresh,
}

impl Step {
    /// The flow's name and the ExplicitAuthFlows value that enables it.
    fn flow(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::InitiateSrp => Some(("USER_SRP_AUTH", "ALLOW_USER_SRP_AUTH")),
            Self::InitiatePassword => Some(("USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH")),
            Self::InitiateChoice => Some(("USER_AUTH", "ALLOW_USER_AUTH")),
            Self::InitiateCustom => Some(("CUSTOM_AUTH", "ALLOW_CUSTOM_AUTH")),
            Self::Refresh => Some(("REFRESH_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")),
            Self::Challenge => None,
        }
    }
}

/// The names an error message may mention.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorContext<'a> {
    pub endpoint: &'a str,
    pub client_id: &'a str,
    pub user_pool_id: &'a str,
    pub username: &'a str,
}

/// Turns a failed call into the error that tells the user what to do.
pub(crate) fn map_failure(
    ctx: ErrorContext<'_>,
    step: Step,
    operation: &'static str,
    failure: Failure,
) -> UserPoolError {
    let username = || ctx.username.to_owned();
    let (code, message) = match &failure {
        Failure::Unreachable { .. } | Failure::TimedOut => {
            return UserPoolError::Unreachable {
                endpoint: ctx.endpoint.to_owned(),
                failure,
            };
        }
        _ if failure.is_throttling() => return UserPoolError::Throttled { failure },
        Failure::Service { code, message } => (code.as_str(), message.to_ascii_lowercase()),
        Failure::BadResponse { .. } => return UserPoolError::Aws { operation, failure },
    };
    if step == Step::Refresh && says_flow_not_enabled(&message) {
        // Only REFRESH_TOKEN_AUTH gets here (GetTokensFromRefreshToken has no flow to enable):
        // "add ALLOW_REFRESH_TOKEN_AUTH" alone would be wrong for a rotating client.
        return UserPoolError::RefreshFlowNotEnabled {
            client_id: ctx.client_id.to_owned(),
            endpoint: ctx.endpoint.to_owned(),
        };
    }
    if let Some((flow, explicit_auth_flow)) = step.flow()
        && says_flow_not_enabled(&message)
    {
        return UserPoolError::FlowNotEnabled {
            flow,
            explicit_auth_flow,
            client_id: ctx.client_id.to_owned(),
        };
    }
    match code {
        "NotAuthorizedException" if says_secret_hash_problem(&message) => {
            UserPoolError::ClientSecretRejected {
                client_id: ctx.client_id.to_owned(),
            }
        }
        // The API reference's error for a token that rotation invalidated; by its code only.
        "RefreshTokenReuseException" => UserPoolError::RefreshTokenReused,
        "NotAuthorizedException" | "UserNotFoundException" if step == Step::Refresh => {
            UserPoolError::RefreshTokenRejected
        }
        "NotAuthorizedException" if message.contains("disabled") => UserPoolError::UserDisabled {
            username: username(),
        },
        "NotAuthorizedException" if message.contains("attempts exceeded") => {
            UserPoolError::TooManyFailedAttempts {
                username: username(),
            }
        }
        "NotAuthorizedException" if step == Step::Challenge && message.contains("session") => {
            UserPoolError::SessionExpired
        }
        "NotAuthorizedException" | "UserNotFoundException" => UserPoolError::IncorrectCredentials,
        "UserNotConfirmedException" => UserPoolError::UserNotConfirmed {
            username: username(),
        },
        "PasswordResetRequiredException" => UserPoolError::PasswordResetRequired {
            username: username(),
        },
        "CodeMismatchException" | "ExpiredCodeException" | "EnableSoftwareTokenMFAException" => {
            UserPoolError::WrongMfaCode
        }
        "InvalidPasswordException" => UserPoolError::NewPasswordRejected {
            message: match failure {
                Failure::Service { message, .. } => message,
                _ => String::new(),
            },
        },
        "UserLambdaValidationException"
        | "InvalidLambdaResponseException"
        | "UnexpectedLambdaException" => UserPoolError::TriggerFailed {
            user_pool_id: ctx.user_pool_id.to_owned(),
            failure,
        },
        "ResourceNotFoundException" if step != Step::Challenge => UserPoolError::ClientNotFound {
            client_id: ctx.client_id.to_owned(),
            user_pool_id: ctx.user_pool_id.to_owned(),
        },
        _ => UserPoolError::Aws { operation, failure },
    }
}

/// Cognito's wordings: "USER_PASSWORD_AUTH flow not enabled for this client", "Auth flow not
/// enabled for this client", "USER_SRP_AUTH is not enabled for the client."; moto's: "Initiate
/// Auth method not supported".
fn says_flow_not_enabled(message: &str) -> bool {
    let about_flow =
        message.contains("flow") || message.contains("_auth") || message.contains("auth method");
    about_flow && (message.contains("not enabled") || message.contains("not supported"))
}

/// "Unable to verify secret hash for client ...", "Client ... is configured for secret but
/// secret was not received".
fn says_secret_hash_problem(message: &str) -> bool {
    message.contains("secret hash")
        || message.contains("secret_hash")
        || message.contains("configured for secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: ErrorContext<'static> = ErrorContext {
        endpoint: "https://cognito-idp.eu-west-1.amazonaws.com",
        client_id: "client123",
        user_pool_id: "eu-west-1_Pool",
        username: "alice",
    };

    fn service(code: &str, message: &str) -> Failure {
        Failure::Service {
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    fn map(step: Step, code: &str, message: &str) -> UserPoolError {
        map_failure(CTX, step, "InitiateAuth", service(code, message))
    }

    #[test]
    fn wrong_password_and_unknown_user_are_one_error() {
        let wrong = map(
            Step::InitiatePassword,
            "NotAuthorizedException",
            "Incorrect username or password.",
        );
        let unknown = map(
            Step::InitiateSrp,
            "UserNotFoundException",
            "User does not exist.",
        );
        assert!(matches!(wrong, UserPoolError::IncorrectCredentials));
        assert!(matches!(unknown, UserPoolError::IncorrectCredentials));
        assert_eq!(wrong.to_string(), unknown.to_string());
        assert_eq!(wrong.to_string(), "incorrect username or password");
    }

    #[test]
    fn flow_not_enabled_names_the_setting_to_enable() {
        for (step, message, setting) in [
            (
                Step::InitiatePassword,
                "USER_PASSWORD_AUTH flow not enabled for this client",
                "ALLOW_USER_PASSWORD_AUTH",
            ),
            (
                Step::InitiateSrp,
                "USER_SRP_AUTH is not enabled for the client.",
                "ALLOW_USER_SRP_AUTH",
            ),
            (
                Step::InitiateChoice,
                "USER_AUTH flow not enabled for this client",
                "ALLOW_USER_AUTH",
            ),
            (
                Step::InitiateCustom,
                "CUSTOM_AUTH flow not enabled for this client",
                "ALLOW_CUSTOM_AUTH",
            ),
        ] {
            let err = map(step, "InvalidParameterException", message);
            let shown = err.to_string();
            assert!(
                matches!(err, UserPoolError::FlowNotEnabled { .. }),
                "{shown}"
            );
            assert!(shown.contains(setting), "{shown}");
            assert!(shown.contains("client123"), "{shown}");
        }
        let other = map(
            Step::InitiatePassword,
            "InvalidParameterException",
            "Missing required parameter USERNAME",
        );
        assert!(matches!(other, UserPoolError::Aws { .. }));
    }

    #[test]
    fn refresh_without_the_refresh_flow_names_both_ways_out() {
        // A rotating client refuses REFRESH_TOKEN_AUTH this way too: the advice must not be
        // only "add ALLOW_REFRESH_TOKEN_AUTH", which Cognito refuses on such a client.
        let err = map(
            Step::Refresh,
            "InvalidParameterException",
            "Auth flow not enabled for this client",
        );
        let shown = err.to_string();
        assert!(
            matches!(err, UserPoolError::RefreshFlowNotEnabled { .. }),
            "{shown}"
        );
        assert!(shown.contains("ALLOW_REFRESH_TOKEN_AUTH"), "{shown}");
        assert!(shown.contains("GetTokensFromRefreshToken"), "{shown}");
        assert!(shown.contains("rotates refresh tokens"), "{shown}");
        assert!(shown.contains("client123"), "{shown}");
    }

    #[test]
    fn a_rotated_out_refresh_token_is_known_by_its_code() {
        for message in [
            "",
            "Refresh token has been invalidated by refresh token rotation.",
        ] {
            let err = map(Step::Refresh, "RefreshTokenReuseException", message);
            assert!(matches!(err, UserPoolError::RefreshTokenReused), "{err}");
            assert!(err.to_string().contains("cogauth login"));
        }
    }

    #[test]
    fn trigger_failures_name_the_pool() {
        for code in [
            "UserLambdaValidationException",
            "InvalidLambdaResponseException",
            "UnexpectedLambdaException",
        ] {
            let err = map(
                Step::Challenge,
                code,
                "DefineAuthChallenge failed with error boom.",
            );
            assert!(matches!(err, UserPoolError::TriggerFailed { .. }), "{code}");
            let shown = err.to_string();
            assert!(
                shown.contains("eu-west-1_Pool") && shown.contains(code),
                "{shown}"
            );
        }
    }

    #[test]
    fn refresh_rejections_are_a_distinct_error() {
        let err = map(
            Step::Refresh,
            "NotAuthorizedException",
            "Refresh Token has been revoked",
        );
        assert!(matches!(err, UserPoolError::RefreshTokenRejected));
        assert!(err.to_string().contains("cogauth login"));
        let err = map(
            Step::Refresh,
            "NotAuthorizedException",
            "Unable to verify secret hash for client client123",
        );
        assert!(matches!(err, UserPoolError::ClientSecretRejected { .. }));
    }

    #[test]
    fn account_states_name_the_user() {
        let err = map(
            Step::InitiateSrp,
            "UserNotConfirmedException",
            "User is not confirmed.",
        );
        assert!(matches!(err, UserPoolError::UserNotConfirmed { .. }));
        assert!(err.to_string().contains("`alice`"));
        let err = map(
            Step::InitiateSrp,
            "PasswordResetRequiredException",
            "Password reset required for the user",
        );
        assert!(matches!(err, UserPoolError::PasswordResetRequired { .. }));
        let err = map(
            Step::InitiateSrp,
            "NotAuthorizedException",
            "User is disabled.",
        );
        assert!(matches!(err, UserPoolError::UserDisabled { .. }));
        let err = map(
            Step::InitiateSrp,
            "NotAuthorizedException",
            "Password attempts exceeded",
        );
        assert!(matches!(err, UserPoolError::TooManyFailedAttempts { .. }));
    }

    #[test]
    fn challenge_failures() {
        for code in [
            "CodeMismatchException",
            "ExpiredCodeException",
            "EnableSoftwareTokenMFAException",
        ] {
            let err = map(Step::Challenge, code, "Invalid code received for user");
            assert!(matches!(err, UserPoolError::WrongMfaCode), "{code}");
        }
        let err = map(
            Step::Challenge,
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
        );
        assert!(matches!(err, UserPoolError::SessionExpired));
        let err = map(
            Step::Challenge,
            "InvalidPasswordException",
            "Password does not conform to policy: Password must have symbol characters",
        );
        assert_eq!(
            err.to_string(),
            "the new password was rejected: Password does not conform to policy: Password must \
             have symbol characters"
        );
    }

    #[test]
    fn throttling_network_and_the_rest() {
        let err = map(
            Step::InitiateSrp,
            "TooManyRequestsException",
            "Rate exceeded",
        );
        assert!(matches!(err, UserPoolError::Throttled { .. }));
        assert!(err.to_string().contains("wait a moment"));

        let err = map_failure(
            CTX,
            Step::InitiateSrp,
            "InitiateAuth",
            Failure::Unreachable {
                detail: "connection refused".to_owned(),
            },
        );
        let shown = err.to_string();
        assert!(
            shown.contains("https://cognito-idp.eu-west-1.amazonaws.com"),
            "{shown}"
        );
        assert!(shown.contains("connection refused"), "{shown}");
        let err = map_failure(CTX, Step::Refresh, "InitiateAuth", Failure::TimedOut);
        assert!(matches!(err, UserPoolError::Unreachable { .. }));

        let err = map(
            Step::InitiateSrp,
            "ResourceNotFoundException",
            "User pool client client123 does not exist.",
        );
        assert!(matches!(err, UserPoolError::ClientNotFound { .. }));

        let err = map(Step::InitiateSrp, "InternalErrorException", "boom");
        assert_eq!(
            err.to_string(),
            "InitiateAuth failed: InternalErrorException: boom"
        );
    }
}
