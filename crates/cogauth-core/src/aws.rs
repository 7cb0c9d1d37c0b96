//! Building AWS SDK clients: endpoints from the [`Env`] seam, bounded timeouts and retries,
//! and unsigned requests for the public Cognito APIs.
//!
//! Login needs no AWS credentials: InitiateAuth, RespondToAuthChallenge, GetId,
//! GetCredentialsForIdentity and GetOpenIdToken are public APIs. Those clients are built with no
//! credentials provider and never read `~/.aws`, so a broken credentials file cannot break a
//! login.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::credentials::Credentials;
use crate::env::{Env, vars};

/// The AWS services cogauth calls (cogauth-admin's errors name them too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    CognitoIdentityProvider,
    CognitoIdentity,
    Sts,
    Lambda,
    Iam,
    /// The credential proxy's key (cogauth-admin's deploy and rotation).
    SecretsManager,
}

impl Service {
    fn endpoint_var(self) -> &'static str {
        match self {
            Self::CognitoIdentityProvider => vars::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
            Self::CognitoIdentity => vars::AWS_ENDPOINT_URL_COGNITO_IDENTITY,
            Self::Sts => vars::AWS_ENDPOINT_URL_STS,
            Self::Lambda => vars::AWS_ENDPOINT_URL_LAMBDA,
            Self::Iam => vars::AWS_ENDPOINT_URL_IAM,
            Self::SecretsManager => vars::AWS_ENDPOINT_URL_SECRETS_MANAGER,
        }
    }

    /// The service's name in messages ("IAM GetRole failed: ...").
    pub fn name(self) -> &'static str {
        match self {
            Self::CognitoIdentityProvider => "Cognito user pools",
            Self::CognitoIdentity => "Cognito identity pools",
            Self::Sts => "STS",
            Self::Lambda => "Lambda",
            Self::Iam => "IAM",
            Self::SecretsManager => "Secrets Manager",
        }
    }

    /// The public endpoint, named in "cannot reach" errors.
    pub fn default_endpoint(self, region: &str) -> String {
        match self {
            Self::CognitoIdentityProvider => format!("https://cognito-idp.{region}.amazonaws.com"),
            Self::CognitoIdentity => format!("https://cognito-identity.{region}.amazonaws.com"),
            Self::Sts => format!("https://sts.{region}.amazonaws.com"),
            Self::Lambda => format!("https://lambda.{region}.amazonaws.com"),
            Self::Iam => "https://iam.amazonaws.com".to_owned(),
            Self::SecretsManager => format!("https://secretsmanager.{region}.amazonaws.com"),
        }
    }
}

/// The endpoint override for `service`, with the AWS SDKs' precedence: the per-service
/// variable, then `AWS_ENDPOINT_URL`; none when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
pub fn endpoint_override(env: &dyn Env, service: Service) -> Option<String> {
    if env
        .var(vars::AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return None;
    }
    env.var(service.endpoint_var())
        .or_else(|| env.var(vars::AWS_ENDPOINT_URL))
}

/// The endpoint requests to `service` go to, for error messages.
pub fn effective_endpoint(env: &dyn Env, service: Service, region: &str) -> String {
    endpoint_override(env, service).unwrap_or_else(|| service.default_endpoint(region))
}

/// The longest one AWS call may take, retries included, unless `COGAUTH_AWS_TIMEOUT` says.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(60);

/// Bounded time for every call: a black-holed endpoint fails in a minute, not never.
pub fn timeouts() -> TimeoutConfig {
    timeouts_within(DEFAULT_OPERATION_TIMEOUT)
}

/// [`timeouts`], with the bound of a whole call set by `COGAUTH_AWS_TIMEOUT` (whole seconds,
/// 1 to 3600) when it is set; the bounds of each attempt shrink with it. A value that is not
/// such a number is ignored with a warning.
pub fn timeouts_for(env: &dyn Env) -> TimeoutConfig {
    let Some(value) = env.var(vars::COGAUTH_AWS_TIMEOUT) else {
        return timeouts();
    };
    match value.trim().parse::<u64>() {
        Ok(seconds @ 1..=3600) => timeouts_within(Duration::from_secs(seconds)),
        _ => {
            tracing::warn!(
                "{}=`{}` is not a whole number of seconds from 1 to 3600: using {} s",
                vars::COGAUTH_AWS_TIMEOUT,
                value.escape_debug(),
                DEFAULT_OPERATION_TIMEOUT.as_secs()
            );
            timeouts()
        }
    }
}

fn timeouts_within(operation: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(operation.min(Duration::from_secs(5)))
        .read_timeout(operation.min(Duration::from_secs(20)))
        .operation_attempt_timeout(operation.min(Duration::from_secs(25)))
        .operation_timeout(operation)
        .build()
}

/// Throttling and 5xx are retried a bounded number of times, with backoff.
pub fn retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3)
}

/// The shared part of every client config: region, timeouts, retries, and optionally static
/// credentials. Without credentials, requests go out unsigned.
pub fn sdk_config(
    region: &str,
    credentials: Option<&Credentials>,
    timeouts: TimeoutConfig,
) -> aws_types::SdkConfig {
    let mut builder = aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .timeout_config(timeouts)
        .retry_config(retries());
    if let Some(creds) = credentials {
        builder =
            builder.credentials_provider(SharedCredentialsProvider::new(creds.to_aws("cogauth")));
    }
    builder.build()
}

/// The Cognito user pools client (unsigned).
pub fn cognito_idp(env: &dyn Env, region: &str) -> aws_sdk_cognitoidentityprovider::Client {
    let mut b = aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk_config(
        region,
        None,
        timeouts_for(env),
    ));
    if let Some(url) = endpoint_override(env, Service::CognitoIdentityProvider) {
        b = b.endpoint_url(url);
    }
    aws_sdk_cognitoidentityprovider::Client::from_conf(b.build())
}

/// The Cognito identity pools client (unsigned).
pub fn cognito_identity(env: &dyn Env, region: &str) -> aws_sdk_cognitoidentity::Client {
    let mut b = aws_sdk_cognitoidentity::config::Builder::from(&sdk_config(
        region,
        None,
        timeouts_for(env),
    ));
    if let Some(url) = endpoint_override(env, Service::CognitoIdentity) {
        b = b.endpoint_url(url);
    }
    aws_sdk_cognitoidentity::Client::from_conf(b.build())
}

/// The SDK config with its region replaced: user-pool and identity-pool calls go to the region
/// in the pool's id, whatever the credential chain's default region is.
pub fn in_region(sdk: &aws_types::SdkConfig, region: &str) -> aws_types::SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_owned()))
        .build()
}

/// The region the SDK config targets, if it has one.
pub fn region_of(sdk: &aws_types::SdkConfig) -> Option<String> {
    sdk.region().map(|r| r.as_ref().to_owned())
}

/// Fetches every page of a paginated list. `fetch` gets the previous page's token and returns
/// the items of one page and the next token; an empty token ends the list, as in every AWS API.
pub async fn collect_pages<T, E, F, Fut>(mut fetch: F) -> Result<Vec<T>, E>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), E>>,
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

/// An STS client; unsigned without credentials (AssumeRoleWithWebIdentity needs none).
pub fn sts(env: &dyn Env, region: &str, credentials: Option<&Credentials>) -> aws_sdk_sts::Client {
    let mut b =
        aws_sdk_sts::config::Builder::from(&sdk_config(region, credentials, timeouts_for(env)));
    if let Some(url) = endpoint_override(env, Service::Sts) {
        b = b.endpoint_url(url);
    }
    aws_sdk_sts::Client::from_conf(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn per_service_endpoint_beats_the_global_one() {
        let env = MapEnv::new()
            .with("AWS_ENDPOINT_URL", "http://all")
            .with("AWS_ENDPOINT_URL_STS", "http://sts");
        assert_eq!(
            endpoint_override(&env, Service::Sts).as_deref(),
            Some("http://sts")
        );
        assert_eq!(
            endpoint_override(&env, Service::Lambda).as_deref(),
            Some("http://all")
        );
        let env = env.with("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
        assert_eq!(endpoint_override(&env, Service::Sts), None);
        assert_eq!(
            effective_endpoint(&env, Service::CognitoIdentity, "eu-west-1"),
            "https://cognito-identity.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn every_call_is_bounded_and_the_bound_can_be_lowered() {
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs());
        let default = timeouts_for(&MapEnv::new());
        assert_eq!(secs(default.operation_timeout()), Some(60));
        assert_eq!(secs(default.operation_attempt_timeout()), Some(25));
        assert_eq!(secs(default.read_timeout()), Some(20));
        assert_eq!(secs(default.connect_timeout()), Some(5));
        let lowered = timeouts_for(&MapEnv::new().with(vars::COGAUTH_AWS_TIMEOUT, "3"));
        for bound in [
            lowered.operation_timeout(),
            lowered.operation_attempt_timeout(),
            lowered.read_timeout(),
            lowered.connect_timeout(),
        ] {
            assert!(secs(bound).is_some_and(|s| s <= 3), "{lowered:?}");
        }
        for ignored in ["0", "abc", "-1", "3601"] {
            let t = timeouts_for(&MapEnv::new().with(vars::COGAUTH_AWS_TIMEOUT, ignored));
            assert_eq!(secs(t.operation_timeout()), Some(60), "{ignored}");
        }
    }
}

/// What went wrong with one AWS call, in terms a message can be built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The endpoint could not be reached (DNS, refused, TLS).
    Unreachable { detail: String },
    /// The endpoint did not answer in time.
    TimedOut,
    /// The service answered with an error code.
    Service { code: String, message: String },
    /// The answer could not be understood (malformed body).
    BadResponse { detail: String },
}

impl Failure {
    /// True for the throttling codes of the services cogauth calls.
    pub fn is_throttling(&self) -> bool {
        matches!(self, Self::Service { code, .. } if matches!(code.as_str(),
            "TooManyRequestsException" | "ThrottlingException" | "Throttling" | "LimitExceededException"))
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable { detail } => write!(f, "cannot connect: {detail}"),
            Self::TimedOut => f.write_str("timed out"),
            Self::Service { code, message } if message.is_empty() => f.write_str(code),
            Self::Service { code, message } => write!(f, "{code}: {message}"),
            Self::BadResponse { detail } => write!(f, "malformed response: {detail}"),
        }
    }
}

type HttpResponse = aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// The error code of a service error (`NoSuchEntity`, `UserNotFoundException`, ...), for the
/// codes a caller handles itself; `None` for errors that never reached the service.
pub fn error_code<E, R>(
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> Option<&str>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    match err {
        aws_smithy_runtime_api::client::result::SdkError::ServiceError(s) => s.err().code(),
        _ => None,
    }
}

/// Classifies an SDK error. The service's message is kept: AWS messages never contain the
/// caller's secrets.
pub fn classify<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Failure
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    // A body that is not the service's JSON (a proxy's HTML page, an empty 503) says little:
    // the HTTP status says more.
    let status = http_status(err);
    let with_status = |detail: String| match status {
        Some(status) => format!("HTTP {status}: {detail}"),
        None => detail,
    };
    match err {
        SdkError::TimeoutError(_) => Failure::TimedOut,
        SdkError::DispatchFailure(d) if d.is_timeout() => Failure::TimedOut,
        SdkError::DispatchFailure(d) => Failure::Unreachable {
            detail: error_chain(d.as_connector_error().map(|c| c as &dyn std::error::Error)),
        },
        SdkError::ResponseError(_) => Failure::BadResponse {
            detail: match status {
                // An error status whose body the SDK could not read: the parser's complaint
                // about the body is noise.
                Some(status @ 400..) => format!("HTTP {status} with no AWS error in the body"),
                _ => with_status(error_chain(Some(err as &dyn std::error::Error))),
            },
        },
        SdkError::ServiceError(s) => {
            let e = s.err();
            match (e.code(), e.message()) {
                (Some(code), message) => Failure::Service {
                    code: code.to_owned(),
                    message: message.unwrap_or_default().to_owned(),
                },
                (None, Some(message)) => Failure::BadResponse {
                    detail: with_status(format!("no error code: {message}")),
                },
                (None, None) => Failure::BadResponse {
                    detail: with_status("no error code or message".to_owned()),
                },
            }
        }
        SdkError::ConstructionFailure(_) => Failure::BadResponse {
            detail: "the request could not be built".to_owned(),
        },
        _ => Failure::BadResponse {
            detail: error_chain(Some(err as &dyn std::error::Error)),
        },
    }
}

/// The HTTP status of the answer that made `err`, when there was an answer.
pub fn http_status<E, R>(
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> Option<u16>
where
    R: std::fmt::Debug + 'static,
{
    err.raw_response()
        .and_then(|r| (r as &dyn std::any::Any).downcast_ref::<HttpResponse>())
        .map(|r| r.status().as_u16())
}

/// The messages of an error and its sources, each once ("dispatch failure: connection refused").
pub fn error_chain(err: Option<&dyn std::error::Error>) -> String {
    let Some(mut e) = err else {
        return "unknown error".to_owned();
    };
    let mut parts = vec![e.to_string()];
    while let Some(src) = e.source() {
        let s = src.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        e = src;
    }
    parts.join(": ")
}
