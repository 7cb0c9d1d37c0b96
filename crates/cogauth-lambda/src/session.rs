//! Is the caller's session still alive? Cognito's `GetUser`, called with the caller's access
//! token, fails for a revoked refresh token (RevokeToken, and so `cogauth logout`), after a
//! global sign-out, and for a disabled or deleted user, while the tokens themselves still
//! verify until they expire. The proxy asks before it issues anything.
//!
//! `GetUser` is a public, unsigned call: a POST of `{"AccessToken": ...}` with an
//! `X-Amz-Target` header. It is made here with the proxy's HTTP client in a few lines instead
//! of with `aws-sdk-cognitoidentityprovider`. Measured with `cargo xtask package-lambda`: the
//! SDK crate would add 0.60 MB (+6 %) to the bootstrap binary (10.33 MB instead of 9.73 MB;
//! 4.04 MB zipped instead of 3.88 MB) and one of the slowest crates of the workspace to the
//! function's release build, for one operation whose request and error shapes (`__type`,
//! `x-amzn-ErrorType`) are stable parts of the AWS JSON 1.1 protocol.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::http::{BodyError, read_capped};

/// GetUser answers with the user's attributes, a few kilobytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Error codes that say Cognito could not answer now, rather than that the session is dead.
const TRANSIENT_CODES: &[&str] = &[
    "TooManyRequestsException",
    "ThrottlingException",
    "InternalErrorException",
    "ServiceUnavailableException",
];

/// Why the session check did not pass.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Cognito refused the access token: revoked, signed out, user disabled or deleted.
    #[error(
        "Cognito refused the access token ({code}): the session was revoked or signed out, or the user is disabled"
    )]
    Refused { code: String },
    /// GetUser answered for another user than the tokens name.
    #[error("GetUser answered for another user than the token's `sub`")]
    OtherUser,
    /// Cognito could not be asked, or answered something unreadable.
    #[error("cannot check the session with Cognito at `{endpoint}`: {detail}")]
    Unavailable { endpoint: String, detail: String },
}

impl SessionError {
    /// The check could not be made: a server-side problem, not the caller's.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// Checks that the session behind an access token is still alive.
#[async_trait::async_trait]
pub trait SessionCheck: Send + Sync + fmt::Debug {
    /// `Ok` when Cognito still accepts `access_token` and it belongs to `sub`.
    async fn check(&self, access_token: &SecretString, sub: &str) -> Result<(), SessionError>;
}

/// The check through Cognito's GetUser.
#[derive(Debug)]
pub struct CognitoGetUser {
    client: reqwest::Client,
    endpoint: String,
}

impl CognitoGetUser {
    /// GetUser at `endpoint` (e.g. `https://cognito-idp.us-east-1.amazonaws.com`).
    pub fn new(endpoint: impl Into<String>) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: crate::http::client()?,
            endpoint: endpoint.into().trim_end_matches('/').to_owned(),
        })
    }

    fn unavailable(&self, detail: impl Into<String>) -> SessionError {
        SessionError::Unavailable {
            endpoint: self.endpoint.clone(),
            detail: detail.into(),
        }
    }
}

#[derive(Deserialize)]
struct GetUserAnswer {
    #[serde(rename = "UserAttributes", default)]
    attributes: Vec<Attribute>,
}

#[derive(Deserialize)]
struct Attribute {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

#[async_trait::async_trait]
impl SessionCheck for CognitoGetUser {
    async fn check(&self, access_token: &SecretString, sub: &str) -> Result<(), SessionError> {
        let body = SecretString::from(
            serde_json::json!({ "AccessToken": access_token.expose_secret() }).to_string(),
        );
        let response = self
            .client
            .post(format!("{}/", self.endpoint))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser")
            .body(body.expose_secret().to_owned())
            .send()
            .await
            .map_err(|e| self.unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let header_code = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let answer = read_capped(response, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { .. } | BodyError::Read(_) => self.unavailable(e.to_string()),
            })?;
        if !status.is_success() {
            let code = header_code
                .as_deref()
                .and_then(error_code)
                .or_else(|| body_error_code(&answer));
            return Err(match code {
                Some(code) if !TRANSIENT_CODES.contains(&code.as_str()) => {
                    SessionError::Refused { code }
                }
                Some(code) => self.unavailable(format!("HTTP {status}: {code}")),
                None => self.unavailable(format!("HTTP {status} without an error code")),
            });
        }
        let answer: GetUserAnswer = serde_json::from_slice(&answer)
            .map_err(|e| self.unavailable(format!("the answer is not GetUser's: {e}")))?;
        let answered_sub = answer
            .attributes
            .iter()
            .find(|a| a.name == "sub")
            .and_then(|a| a.value.as_deref());
        match answered_sub {
            Some(answered) if answered == sub => Ok(()),
            _ => Err(SessionError::OtherUser),
        }
    }
}

/// `NotAuthorizedException:http://internal.amazon.com/...` or
/// `aws.protocoljson#NotAuthorizedException` -> `NotAuthorizedException`.
fn error_code(raw: &str) -> Option<String> {
    let code = raw.split(':').next()?.rsplit('#').next()?.trim();
    (!code.is_empty()).then(|| code.chars().take(100).collect())
}

/// The code of a JSON error body (`__type`, or `code`).
fn body_error_code(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["__type", "code"]
        .iter()
        .find_map(|k| value.get(*k).and_then(|v| v.as_str()))
        .and_then(error_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_from_header_and_body() {
        assert_eq!(
            error_code("NotAuthorizedException:http://internal.amazon.com/coral/x/").as_deref(),
            Some("NotAuthorizedException")
        );
        assert_eq!(
            error_code("com.amazonaws.cognito#UserNotFoundException").as_deref(),
            Some("UserNotFoundException")
        );
        assert_eq!(error_code(""), None);
        assert_eq!(
            body_error_code(br#"{"__type": "NotAuthorizedException", "message": "x"}"#).as_deref(),
            Some("NotAuthorizedException")
        );
        assert_eq!(
            body_error_code(br#"{"code": "a#TooManyRequestsException"}"#).as_deref(),
            Some("TooManyRequestsException")
        );
        assert_eq!(body_error_code(b"<html>"), None);
    }
}
