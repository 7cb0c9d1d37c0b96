//! What can go wrong in an admin operation; every message names the thing and says what to do.
//!
//! A failed AWS call stays structured: [`AdminError::Aws`] keeps the service, the operation and
//! the service's error code ([`Failure::Service`]), so that callers, retries and hints decide on
//! the code, never on a message's text. A call that never left the machine because the
//! credential chain had nothing to sign it with is [`AdminError::Credentials`].
//!
//! Resources are named by their [`crate::Resource`] kind and name, and found in one place
//! (`crate::iam`), so a refusal to change what cogadmin did not create can name the resource
//! and offer `--adopt` as its fix, like every other variant here.

use std::fmt;
use std::path::PathBuf;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cogauth_core::aws::{self, Failure, Service};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// An AWS call failed. `failure` keeps the AWS error code when the service answered.
    #[error("{} {operation} failed: {failure}{}", service.name(), access_hint(*service, operation, failure))]
    Aws {
        service: Service,
        operation: &'static str,
        failure: Failure,
    },
    /// The AWS credential chain gave no usable credentials for the call.
    #[error("{} {operation} failed: {problem}", service.name())]
    Credentials {
        service: Service,
        operation: &'static str,
        problem: CredentialsProblem,
    },
    #[error(
        "no AWS region: pass --region, set AWS_REGION, or set `default_region` with `cogadmin configure`"
    )]
    NoRegion,
    #[error("{what} `{value}` is not valid: expected {expected}")]
    InvalidInput {
        what: &'static str,
        value: String,
        expected: String,
    },
    #[error("{what} `{name}` does not exist{hint}")]
    NotFound {
        what: &'static str,
        name: String,
        hint: String,
    },
    #[error(
        "{count} {what}s are named `{name}` ({ids}): give the one to use by id, or rename the others"
    )]
    Ambiguous {
        what: &'static str,
        name: String,
        count: usize,
        ids: String,
    },
    #[error(
        "identity pool `{identity_pool_id}` has no authenticated role: run `cogadmin setup` to create and attach one"
    )]
    NoAuthenticatedRole { identity_pool_id: String },
    #[error(
        "user pool `{user_pool_id}` already has the domain `{domain}` (a pool has one prefix \
         domain): run again with `--managed-login {domain}` to use it, or delete it in the \
         Cognito console (App integration > Domain) to make `{wanted}`"
    )]
    PoolHasDomain {
        user_pool_id: String,
        domain: String,
        wanted: String,
    },
    #[error(
        "the domain prefix `{domain}` belongs to {owner} (prefixes are unique in a region): \
         choose another one for `--managed-login`"
    )]
    DomainTaken { domain: String, owner: String },
    #[error("cannot read policy file `{path}`: {error}")]
    PolicyFileRead {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("policy file `{path}` is not valid JSON at line {line}, column {column}: {message}")]
    PolicyFileJson {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("policy file `{path}` is not an IAM policy document: {problem}")]
    PolicyFileShape { path: PathBuf, problem: String },
    #[error(
        "IAM refused policy `{policy_name}` for role `{role_name}` as malformed: {message}: fix the document and run again"
    )]
    MalformedPolicy {
        policy_name: String,
        role_name: String,
        message: String,
    },
    #[error(
        "IAM returned a policy document that is not JSON (role `{role_name}`, policy `{policy_name}`): {message}"
    )]
    UnreadablePolicy {
        role_name: String,
        policy_name: String,
        message: String,
    },
    #[error(
        "user `{username}` already exists in user pool `{user_pool_id}`: use `cogadmin user set-password {username}` to change the password"
    )]
    UserExists {
        username: String,
        user_pool_id: String,
    },
    #[error(
        "user `{username}` needs a password: give --email (Cognito emails a temporary password), or --password-stdin, or --temporary-password-stdin"
    )]
    NoInitialPassword { username: String },
    #[error(
        "user `{username}` does not exist in user pool `{user_pool_id}`: see `cogadmin user list`"
    )]
    UserNotFound {
        username: String,
        user_pool_id: String,
    },
    #[error("user pool `{user_pool_id}` refused the password: {message}")]
    PasswordRefused {
        user_pool_id: String,
        message: String,
    },
    #[error("admin config `{path}` is invalid at line {line}, column {column}: {message}")]
    ConfigParse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("admin config `{path}` is not valid: {message}")]
    ConfigInvalid { path: PathBuf, message: String },
    #[error(
        "`{path}` sets {names}: a file in the working directory can be planted (a cloned repository), and these names choose which IAM roles, users and functions cogadmin changes; to use them, run again with --adopt or confirm on a terminal; otherwise remove the file, or run cogadmin from another directory (set your own names with `cogadmin configure`)",
        path = path.display()
    )]
    LocalNames { path: PathBuf, names: String },
    /// Resources cogadmin found but did not create (they lack `cogauth:managed = true`), which
    /// the run would have changed; nothing was changed. The fix is `--adopt`.
    #[error("{}", crate::ownership::refusal(foreign))]
    NotManaged {
        foreign: Vec<crate::ownership::Foreign>,
    },
    #[error(transparent)]
    Target(#[from] crate::target::TargetError),
    #[error(transparent)]
    Path(#[from] cogauth_core::paths::PathError),
    #[error(transparent)]
    Fs(#[from] cogauth_core::fsutil::FsError),
}

impl AdminError {
    /// An AWS call's failure, for the few cases an operation builds itself (an answer that
    /// lacks what it must hold).
    pub fn bad_answer(service: Service, operation: &'static str, detail: &str) -> Self {
        Self::Aws {
            service,
            operation,
            failure: Failure::BadResponse {
                detail: detail.to_owned(),
            },
        }
    }

    /// The AWS error code, when an AWS service answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Aws { failure, .. } => failure.code(),
            _ => None,
        }
    }

    /// The AWS error for a failed call of `operation` on `service`.
    pub fn from_sdk<E, R>(service: Service, operation: &'static str, err: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        // Credential problems hide in the source chain of a dispatch failure: the request was
        // never signed, so never sent.
        if !matches!(err, SdkError::ServiceError(_))
            && let Some(problem) = CredentialsProblem::find(err)
        {
            return Self::Credentials {
                service,
                operation,
                problem,
            };
        }
        Self::Aws {
            service,
            operation,
            failure: aws::classify(err),
        }
    }
}

/// `map_err(aws_error(Service::Iam, "GetRole"))`: an SDK error as an [`AdminError`].
pub(crate) fn aws_error<E, R>(
    service: Service,
    operation: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> AdminError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    move |err| AdminError::from_sdk(service, operation, &err)
}

/// The IAM action prefix of a service, for "may not call iam:GetRole".
fn action_prefix(service: Service) -> &'static str {
    match service {
        Service::CognitoIdentityProvider => "cognito-idp",
        Service::CognitoIdentity => "cognito-identity",
        Service::Sts => "sts",
        Service::Lambda => "lambda",
        Service::Iam => "iam",
        Service::SecretsManager => "secretsmanager",
    }
}

/// The hint for the failure an administrator can fix at once: a permission the identity lacks.
fn access_hint(service: Service, operation: &str, failure: &Failure) -> String {
    match failure.code() {
        Some(code) if code.contains("AccessDenied") || code == "UnauthorizedOperation" => format!(
            " (the AWS identity cogadmin runs as may not call {}:{operation}: grant it, or \
             select another identity with AWS_PROFILE)",
            action_prefix(service)
        ),
        _ => String::new(),
    }
}

/// Why the AWS credential chain gave nothing to sign a request with. Its message is one line
/// that says how to provide credentials; the chain's own account of each source it tried is
/// logged at `-v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsProblem {
    /// No source had credentials. The instance metadata service, which the chain asks last,
    /// counts as having none when it answers with an error: that is what it does off EC2 or
    /// behind a proxy.
    NotFound,
    /// A source was configured but failed (a profile that does not parse, an expired SSO
    /// session, a `credential_process` that fails); `reason` is the chain's message.
    Unusable { reason: String },
}

const HOW_TO_PROVIDE: &str = "cogadmin uses the normal AWS credential chain: set AWS_PROFILE, \
                              or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`";

impl fmt::Display for CredentialsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => write!(f, "no AWS credentials found ({HOW_TO_PROVIDE})"),
            Self::Unusable { reason } => write!(
                f,
                "the AWS credentials could not be loaded: {reason} ({HOW_TO_PROVIDE}; -v shows \
                 each source the chain tried)"
            ),
        }
    }
}

impl CredentialsProblem {
    /// The problem a credentials provider reported.
    pub fn of(err: &CredentialsError) -> Self {
        let from_imds = sources(err).any(|e| {
            e.downcast_ref::<aws_config::imds::client::error::ImdsError>()
                .is_some()
        });
        match err {
            CredentialsError::CredentialsNotLoaded(_) => Self::NotFound,
            _ if from_imds => Self::NotFound,
            _ => Self::Unusable {
                // Display only: the Debug form of these errors dumps whole HTTP responses.
                reason: aws::error_chain(Some(err)).replace('\n', " "),
            },
        }
    }

    /// The credentials problem in `err`'s source chain, if that is why it failed.
    pub fn find(err: &(dyn std::error::Error + 'static)) -> Option<Self> {
        sources(err).find_map(|e| e.downcast_ref::<CredentialsError>().map(Self::of))
    }
}

/// `err` and its sources, outermost first.
fn sources<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| e.source())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_kept_and_drives_the_hint() {
        let denied = AdminError::Aws {
            service: Service::Iam,
            operation: "GetRole",
            failure: Failure::Service {
                code: "AccessDenied".into(),
                message: "not allowed".into(),
            },
        };
        assert_eq!(denied.code(), Some("AccessDenied"));
        assert_eq!(
            denied.to_string(),
            "IAM GetRole failed: AccessDenied: not allowed (the AWS identity cogadmin runs as \
             may not call iam:GetRole: grant it, or select another identity with AWS_PROFILE)"
        );
        let odd = AdminError::bad_answer(Service::Sts, "GetCallerIdentity", "no account");
        assert_eq!(odd.code(), None);
        assert_eq!(
            odd.to_string(),
            "STS GetCallerIdentity failed: malformed response: no account"
        );
    }

    #[test]
    fn credential_problems_are_one_line_that_says_what_to_do() {
        let none = CredentialsProblem::of(&CredentialsError::not_loaded("nothing"));
        assert_eq!(none, CredentialsProblem::NotFound);
        let broken = CredentialsProblem::of(&CredentialsError::invalid_configuration(
            "profile `x` is not defined\nin ~/.aws/config",
        ));
        let text = broken.to_string();
        assert!(
            text.starts_with("the AWS credentials could not be loaded: "),
            "{text}"
        );
        assert!(text.contains("profile `x` is not defined in"), "{text}");
        assert!(
            !text.contains('\n') && text.contains("AWS_PROFILE"),
            "{text}"
        );
        // Found behind the wrappers the SDK puts around it.
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Wrapper(#[source] CredentialsError);
        let wrapped = Wrapper(CredentialsError::not_loaded("nothing"));
        assert_eq!(
            CredentialsProblem::find(&wrapped),
            Some(CredentialsProblem::NotFound)
        );
    }
}
