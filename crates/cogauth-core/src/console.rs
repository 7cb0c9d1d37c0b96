//! Console sign-in: temporary credentials exchanged at the AWS federation endpoint for a
//! sign-in token, then a login URL that opens the AWS Management Console (IAM User Guide,
//! "Enable custom identity broker access to the AWS console").
//!
//! 1. `GET <federation>?Action=getSigninToken&Session=<JSON>[&SessionDuration=<s>]`, where the
//!    JSON is `{"sessionId", "sessionKey", "sessionToken"}`, answers `{"SigninToken": ...}`.
//! 2. `<federation>?Action=login&Destination=<console URL>&SigninToken=<token>` signs the
//!    browser in (the token is good for 15 minutes).
//!
//! The federation endpoint and the console belong to the credentials' partition:
//! `signin.aws.amazon.com` and `console.aws.amazon.com` (aws), `signin.amazonaws.cn` and
//! `console.amazonaws.cn` (aws-cn), `signin.amazonaws-us-gov.com` and
//! `console.amazonaws-us-gov.com` (aws-us-gov). `COGAUTH_FEDERATION_ENDPOINT` replaces the
//! endpoint (both steps), for tests and proxies.
//!
//! Whether the real endpoint accepts Cognito identity-pool credentials, and for how long, can
//! only be seen on AWS (see docs/usage.md). The sign-in token and the login URL are secrets: they
//! sign anyone in who holds them, so they are [`SecretString`]s and never logged.

use std::time::Duration;

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::credentials::Credentials;
use crate::env::{Env, vars};

/// The console session AWS allows for role credentials with `SessionDuration`, in seconds.
pub const SESSION_DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;

/// Why no login URL could be made.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(
        "--destination `{0}` is not a console URL: give an absolute https URL, e.g. https://console.aws.amazon.com/s3/"
    )]
    BadDestination(String),
    #[error("{what} `{url}` is not an absolute https URL (http only to 127.0.0.1 or localhost)")]
    BadEndpoint { what: &'static str, url: String },
    #[error("the console session must last 900 to 43200 seconds (15 min to 12 h), not {0}")]
    BadDuration(u32),
    #[error("cannot reach the federation endpoint `{endpoint}`: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error(
        "the federation endpoint `{endpoint}` refused the credentials (HTTP {status}{detail}): it signs in role-session and federation-token credentials; check that the profile's role may be used for console sign-in"
    )]
    Refused {
        endpoint: String,
        status: u16,
        detail: String,
    },
    #[error(
        "the federation endpoint `{endpoint}` answered without a sign-in token (HTTP {status})"
    )]
    Malformed { endpoint: String, status: u16 },
}

/// The AWS partition of `region`: `aws`, `aws-cn` or `aws-us-gov`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The federation endpoint for `region`, or `COGAUTH_FEDERATION_ENDPOINT`.
pub fn federation_endpoint(env: &dyn Env, region: &str) -> Result<String, ConsoleError> {
    if let Some(url) = env.var(vars::COGAUTH_FEDERATION_ENDPOINT) {
        if !is_https_or_loopback(&url) {
            return Err(ConsoleError::BadEndpoint {
                what: "COGAUTH_FEDERATION_ENDPOINT",
                url,
            });
        }
        return Ok(url);
    }
    Ok(match partition(region) {
        "aws-cn" => "https://signin.amazonaws.cn/federation",
        "aws-us-gov" => "https://signin.amazonaws-us-gov.com/federation",
        _ => "https://signin.aws.amazon.com/federation",
    }
    .to_owned())
}

/// The console's home page in `region`.
pub fn default_destination(region: &str) -> String {
    let console = match partition(region) {
        "aws-cn" => "https://console.amazonaws.cn",
        "aws-us-gov" => "https://console.amazonaws-us-gov.com",
        _ => "https://console.aws.amazon.com",
    };
    format!(
        "{console}/console/home?region={}",
        urlencoding::encode(region)
    )
}

/// `https://...`, or `http://` to a loopback host (a local endpoint or proxy).
fn is_https_or_loopback(url: &str) -> bool {
    let host_of = |rest: &str| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = match authority.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => authority,
        };
        host.to_owned()
    };
    let valid_chars = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if let Some(rest) = url.strip_prefix("https://") {
        let host = host_of(rest);
        return valid_chars && !host.is_empty() && !host.contains('@');
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = host_of(rest);
        return valid_chars && matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    }
    false
}

/// Checks a `--destination`.
pub fn check_destination(url: &str) -> Result<(), ConsoleError> {
    match is_https_or_loopback(url) {
        true => Ok(()),
        false => Err(ConsoleError::BadDestination(url.to_owned())),
    }
}

/// What to ask of the federation endpoint.
#[derive(Debug, Clone)]
pub struct SigninRequest {
    pub region: String,
    /// Where the console opens (default: its home page in the region).
    pub destination: Option<String>,
    /// `SessionDuration` in seconds; `None`: as long as the credentials last.
    pub session_duration: Option<u32>,
}

/// The login URL for `credentials`: a secret (it signs in whoever opens it, for 15 minutes).
pub async fn signin_url(
    env: &dyn Env,
    credentials: &Credentials,
    request: &SigninRequest,
) -> Result<SecretString, ConsoleError> {
    let destination = match &request.destination {
        Some(d) => {
            check_destination(d)?;
            d.clone()
        }
        None => default_destination(&request.region),
    };
    if let Some(seconds) = request.session_duration
        && !SESSION_DURATION_RANGE.contains(&seconds)
    {
        return Err(ConsoleError::BadDuration(seconds));
    }
    let endpoint = federation_endpoint(env, &request.region)?;
    let session = Zeroizing::new(
        serde_json::json!({
            "sessionId": credentials.access_key_id,
            "sessionKey": credentials.secret_access_key(),
            "sessionToken": credentials.session_token(),
        })
        .to_string(),
    );
    let mut url = Zeroizing::new(format!(
        "{endpoint}{}Action=getSigninToken",
        if endpoint.contains('?') { '&' } else { '?' }
    ));
    if let Some(seconds) = request.session_duration {
        url.push_str(&format!("&SessionDuration={seconds}"));
    }
    url.push_str("&Session=");
    url.push_str(&urlencoding::encode(&session));

    let (status, body) = get(env, &url)
        .await
        .map_err(|detail| ConsoleError::Unreachable {
            endpoint: endpoint.clone(),
            detail,
        })?;
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: Option<String>,
        #[serde(rename = "Message")]
        message: Option<String>,
    }
    let answer: Option<Answer> = serde_json::from_slice(&body).ok();
    if status != 200 {
        // Only the fake's documented `Message` is shown, cut short: the body is the
        // endpoint's, and nothing else of it is trusted to be free of secrets or markup.
        let detail = answer
            .and_then(|a| a.message)
            .map(|m| {
                let m: String = m.chars().filter(|c| !c.is_control()).take(200).collect();
                format!(": {m}")
            })
            .unwrap_or_default();
        return Err(ConsoleError::Refused {
            endpoint,
            status,
            detail,
        });
    }
    let token = answer
        .and_then(|a| a.signin_token)
        .filter(|t| !t.is_empty())
        .map(Zeroizing::new)
        .ok_or(ConsoleError::Malformed {
            endpoint: endpoint.clone(),
            status,
        })?;
    Ok(SecretString::from(format!(
        "{endpoint}{}Action=login&Destination={}&SigninToken={}",
        if endpoint.contains('?') { '&' } else { '?' },
        urlencoding::encode(&destination),
        urlencoding::encode(&token),
    )))
}

/// One GET through the HTTP stack the AWS SDK already links in (hyper, rustls with aws-lc, the
/// platform's roots), with the AWS calls' timeouts: no second HTTP and TLS stack in the binary
/// for one request. The URL carries the credentials: it is never logged.
async fn get(env: &dyn Env, url: &str) -> Result<(u16, Zeroizing<Vec<u8>>), String> {
    let timeouts = crate::aws::timeouts_for(env);
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(timeouts.connect_timeout().unwrap_or(Duration::from_secs(5)))
        .read_timeout(timeouts.read_timeout().unwrap_or(Duration::from_secs(20)))
        .build();
    let connector = aws_smithy_http_client::default_connector(
        &settings,
        Some(SharedAsyncSleep::new(TokioSleep::new())),
    )
    .ok_or("the AWS SDK's HTTPS connector is not compiled in")?;
    let mut request = HttpRequest::new(SdkBody::empty());
    request
        .set_uri(url)
        .map_err(|_| "the federation URL is not valid".to_owned())?;
    request
        .headers_mut()
        .insert("user-agent", concat!("cogauth/", env!("CARGO_PKG_VERSION")));
    request.headers_mut().insert("accept", "application/json");
    let exchange = async {
        let response = connector
            .call(request)
            .await
            .map_err(|e| crate::aws::error_chain(Some(&e)))?;
        let status = response.status().as_u16();
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| crate::aws::error_chain(Some(&e)))?;
        Ok((status, Zeroizing::new(body.into_bytes().to_vec())))
    };
    let limit = timeouts
        .operation_timeout()
        .unwrap_or(crate::aws::DEFAULT_OPERATION_TIMEOUT);
    let result = tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", limit.as_secs())));
    tracing::debug!(ok = result.is_ok(), "federation endpoint call");
    result
}

/// What a login URL is, for messages: the endpoint, without the token.
pub fn describe(url: &SecretString) -> String {
    url.expose_secret()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn each_partition_has_its_endpoint_and_console() {
        let env = MapEnv::new();
        for (region, endpoint, console) in [
            (
                "eu-west-1",
                "https://signin.aws.amazon.com/federation",
                "https://console.aws.amazon.com/console/home?region=eu-west-1",
            ),
            (
                "cn-north-1",
                "https://signin.amazonaws.cn/federation",
                "https://console.amazonaws.cn/console/home?region=cn-north-1",
            ),
            (
                "us-gov-west-1",
                "https://signin.amazonaws-us-gov.com/federation",
                "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
            ),
        ] {
            assert_eq!(federation_endpoint(&env, region).unwrap(), endpoint);
            assert_eq!(default_destination(region), console);
        }
        let env = MapEnv::new().with(
            "COGAUTH_FEDERATION_ENDPOINT",
            "http://127.0.0.1:9/federation",
        );
        assert_eq!(
            federation_endpoint(&env, "eu-west-1").unwrap(),
            "http://127.0.0.1:9/federation"
        );
        let env = MapEnv::new().with("COGAUTH_FEDERATION_ENDPOINT", "http://evil.example/f");
        assert!(federation_endpoint(&env, "eu-west-1").is_err());
    }

    #[test]
    fn destinations_must_be_https_or_loopback() {
        for good in [
            "https://console.aws.amazon.com/s3/home?region=eu-west-1",
            "https://eu-west-1.console.aws.amazon.com/",
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
        ] {
            assert!(check_destination(good).is_ok(), "{good}");
        }
        for bad in [
            "http://console.aws.amazon.com/",
            "https://",
            "javascript:alert(1)",
            "console.aws.amazon.com",
            "https://user@evil.example/",
            "https://console.aws.amazon.com/\nx",
            "http://127.0.0.1.evil.example/",
            "",
        ] {
            assert!(check_destination(bad).is_err(), "{bad:?}");
        }
    }
}
