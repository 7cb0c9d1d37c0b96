//! Silent refresh: GetTokensFromRefreshToken first, REFRESH_TOKEN_AUTH where it is not offered.
//!
//! # Which operation
//! Cognito offers two ways to trade a refresh token for new tokens. `REFRESH_TOKEN_AUTH`
//! (InitiateAuth) is the old one, and an app client that rotates refresh tokens refuses it.
//! `GetTokensFromRefreshToken` (2025) works on every app client: without rotation it answers ID
//! and access tokens only, with rotation also a new refresh token (the old one then dies after
//! the client's `RetryGracePeriodSeconds`). So cogauth always asks GetTokensFromRefreshToken
//! first, and learns from the answer whether the client rotates: a `RefreshToken` in it *is* a
//! rotation, and the caller must store it before anything else can fail.
//!
//! It falls back to REFRESH_TOKEN_AUTH only on evidence that the endpoint never ran the
//! operation, read from the error code and the HTTP status, never from the message
//! ([`not_offered`]): `UnknownOperationException` (what AWS's JSON protocol answers for an
//! operation the endpoint does not know), `OperationNotEnabledException` (Cognito: not available
//! in this region, e.g. a replica, or for this pool's configuration), `InvalidAction` and
//! `NotImplemented` (emulators), or HTTP 404 / 501 whatever the body. The fallback is safe: an
//! operation that did not run consumed no token. Anything else (a rejected token, a throttle,
//! a 500) is the answer, and is reported as it is: retrying it with REFRESH_TOKEN_AUTH would
//! only hide it. Nothing is remembered between refreshes: the one extra round trip per hour on
//! such an endpoint is cheaper than a cache that could go stale when the endpoint gains it.
//!
//! # A process that dies mid-refresh
//! When Cognito rotates the token and the process ends (or the answer is lost on the network)
//! before the new token is on disk, the cache still holds the old token. With a grace period
//! (`RetryGracePeriodSeconds` > 0), the next refresh within that window presents the old token
//! and gets a new one: nothing is lost. Past the window, or with a grace period of 0, the old
//! token is dead: Cognito answers `RefreshTokenReuseException`
//! ([`UserPoolError::RefreshTokenReused`]) and the user logs in again. The window is kept as
//! small as it can be: the broker stores the rotated token under the profile's lock as soon as
//! this stage returns it, before the identity pool is asked for credentials
//! ([`crate::broker::Broker::refresh`]). The SDK retries only throttling and 5xx answers, which
//! Cognito gives before it rotates.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use secrecy::ExposeSecret;

use super::cognito::{CognitoUserPool, Reply};
use super::error::Step;
use super::{RefreshGrant, UserPoolError, UserPoolSession};
use crate::aws;

/// Error codes that mean the endpoint did not run the operation at all.
const NOT_OFFERED_CODES: &[&str] = &[
    "UnknownOperationException",
    "OperationNotEnabledException",
    "InvalidAction",
    "NotImplemented",
];

/// Whether a failed GetTokensFromRefreshToken shows that the endpoint does not offer the
/// operation (see the module documentation): by error code and HTTP status only.
pub fn not_offered(code: Option<&str>, http_status: Option<u16>) -> bool {
    code.is_some_and(|c| NOT_OFFERED_CODES.contains(&c)) || matches!(http_status, Some(404 | 501))
}

impl CognitoUserPool {
    /// See the module documentation.
    pub(super) async fn refresh_grant(
        &self,
        grant: &RefreshGrant,
    ) -> Result<UserPoolSession, UserPoolError> {
        match self.get_tokens_from_refresh_token(grant).await? {
            Ok(session) => Ok(session),
            Err(evidence) => {
                tracing::debug!(
                    %evidence,
                    "GetTokensFromRefreshToken is not offered here; refreshing with REFRESH_TOKEN_AUTH"
                );
                self.refresh_token_auth(grant).await
            }
        }
    }

    /// `Ok(Err(evidence))` when the endpoint does not offer the operation.
    async fn get_tokens_from_refresh_token(
        &self,
        grant: &RefreshGrant,
    ) -> Result<Result<UserPoolSession, String>, UserPoolError> {
        let username = grant.username.as_str();
        let config = self.config();
        let started = Instant::now();
        let out = self
            .client()
            .get_tokens_from_refresh_token()
            .client_id(&config.client_id)
            .refresh_token(grant.refresh_token.expose_secret())
            .set_client_secret(
                config
                    .client_secret
                    .as_ref()
                    .map(|s| s.expose_secret().to_owned()),
            )
            .set_device_key(grant.device_key.clone())
            .send()
            .await;
        self.log_call("GetTokensFromRefreshToken", started, out.is_ok());
        match out {
            Ok(out) => {
                let result = out.authentication_result.ok_or(UserPoolError::Incomplete {
                    operation: "GetTokensFromRefreshToken",
                    field: "AuthenticationResult",
                })?;
                if result.refresh_token.is_some() {
                    tracing::debug!("the refresh token was rotated");
                }
                self.session_from("GetTokensFromRefreshToken", result, username)
                    .map(Ok)
            }
            Err(e) => {
                let failure = aws::classify(&e);
                let status = aws::http_status(&e);
                if not_offered(failure.code(), status) {
                    let status = status.map_or_else(String::new, |s| format!("HTTP {s}: "));
                    return Ok(Err(format!("{status}{failure}")));
                }
                Err(self.fail(
                    Step::Refresh,
                    "GetTokensFromRefreshToken",
                    username,
                    failure,
                ))
            }
        }
    }

    /// InitiateAuth REFRESH_TOKEN_AUTH, for endpoints without GetTokensFromRefreshToken.
    async fn refresh_token_auth(
        &self,
        grant: &RefreshGrant,
    ) -> Result<UserPoolSession, UserPoolError> {
        let username = grant.username.as_str();
        let mut parameters = HashMap::from([(
            "REFRESH_TOKEN".to_owned(),
            grant.refresh_token.expose_secret().to_owned(),
        )]);
        self.add_secret_hash(&mut parameters, username);
        if let Some(device_key) = &grant.device_key {
            parameters.insert("DEVICE_KEY".to_owned(), device_key.clone());
        }
        let reply = self
            .initiate(
                Step::Refresh,
                AuthFlowType::RefreshTokenAuth,
                parameters,
                username,
            )
            .await?;
        match reply {
            Reply::Tokens { operation, result } => self.session_from(operation, *result, username),
            Reply::Challenge(challenge) => Err(UserPoolError::UnsupportedChallenge(challenge.name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_codes_and_statuses_that_mean_not_offered_fall_back() {
        for code in NOT_OFFERED_CODES {
            assert!(not_offered(Some(code), Some(400)), "{code}");
        }
        // An endpoint without the route, or without the implementation, whatever the body.
        assert!(not_offered(None, Some(404)));
        assert!(not_offered(Some("InternalFailure"), Some(501)));
        // Answers about the token, the client or the service are answers, not absence.
        for code in [
            "NotAuthorizedException",
            "RefreshTokenReuseException",
            "InvalidParameterException",
            "ResourceNotFoundException",
            "TooManyRequestsException",
            "InternalErrorException",
        ] {
            assert!(!not_offered(Some(code), Some(400)), "{code}");
        }
        // A server failure (moto without the operation answers a bare 500) is not evidence.
        assert!(!not_offered(None, Some(500)));
        assert!(!not_offered(None, None));
    }
}
