//! The request handler: read the request, verify the ID token and (when sent) the access token,
//! check with Cognito that the session is still alive, pick the role and duration, assume the
//! role, answer in the original proxy's shape.
//!
//! `{statusCode, headers, body}` where `body` is a JSON string: on success
//! `{access_key_id, secret_access_key, session_token, expiration, user_id, username}`, otherwise
//! `{"error": "..."}`. Failure details go to the log, never to the caller, and neither the
//! token nor any secret is ever logged.

use std::sync::Arc;

use chrono::SecondsFormat;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::config::{Config, STS_MIN_DURATION_SECONDS};
use crate::event::Request;
use crate::session::SessionCheck;
use crate::sts::{AssumeRoleRequest, IssuedCredentials, RoleAssumer};
use crate::verify::{Identity, Verifier};

/// What the handler needs; built once per execution environment.
#[derive(Debug)]
pub struct Deps {
    pub config: Config,
    pub verifier: Verifier,
    pub sessions: Arc<dyn SessionCheck>,
    pub assumer: Arc<dyn RoleAssumer>,
}

/// Answers to the caller when a request is refused; details go to the log.
const UNAUTHORIZED: &str = "unauthorized";
const ACCESS_TOKEN_REQUIRED: &str =
    "this proxy requires `access_token` next to `id_token`: update the client (cogauth sends both)";

/// The handler's answer, before serialization.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub outcome: Outcome,
}

/// What the body carries.
#[derive(Debug)]
pub enum Outcome {
    Issued {
        identity: Identity,
        credentials: IssuedCredentials,
    },
    /// A message safe to show the caller.
    Error(String),
}

impl Response {
    fn error(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            outcome: Outcome::Error(message.into()),
        }
    }

    /// The Lambda result: `{statusCode, headers, body}` with `body` a JSON string, which both
    /// direct invocation (the original client) and API Gateway / function URLs understand.
    pub fn to_json(&self) -> Value {
        let body = match &self.outcome {
            Outcome::Issued {
                identity,
                credentials,
            } => json!({
                "access_key_id": credentials.access_key_id,
                "secret_access_key": credentials.secret_access_key.expose_secret(),
                "session_token": credentials.session_token.expose_secret(),
                "expiration": credentials.expiration.to_rfc3339_opts(SecondsFormat::Secs, true),
                "user_id": identity.sub,
                "username": identity.username,
            }),
            Outcome::Error(message) => json!({ "error": message }),
        };
        json!({
            "statusCode": self.status,
            "headers": {
                "Content-Type": "application/json",
                "Cache-Control": "no-store",
            },
            "body": body.to_string(),
        })
    }
}

/// Handles one event.
pub async fn handle(event: &Value, deps: &Deps) -> Response {
    let config = &deps.config;
    let request = match Request::from_event(event) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(reason = %e, "bad request");
            return Response::error(400, e.to_string());
        }
    };

    let max = i64::from(config.max_duration_seconds);
    let duration_seconds = match request.duration_seconds {
        None => config.max_duration_seconds,
        Some(d) if (i64::from(STS_MIN_DURATION_SECONDS)..=max).contains(&d) => d as i32,
        Some(d) => {
            tracing::warn!(duration_seconds = d, "bad request: duration out of range");
            return Response::error(
                400,
                format!(
                    "`duration_seconds` must be from {STS_MIN_DURATION_SECONDS} to {max} seconds"
                ),
            );
        }
    };

    let identity = match deps.verifier.verify(request.id_token.expose_secret()).await {
        Ok(identity) => identity,
        Err(e) if e.is_unavailable() => {
            tracing::error!(reason = %e, "cannot verify tokens");
            return Response::error(503, "cannot verify the token right now; try again later");
        }
        Err(e) => {
            tracing::warn!(reason = %e, "token rejected");
            return Response::error(401, UNAUTHORIZED);
        }
    };

    let revocation_checked = match &request.access_token {
        Some(access_token) => {
            if let Err(response) = check_session(deps, &identity, access_token).await {
                return response;
            }
            true
        }
        None if config.require_access_token => {
            tracing::warn!(sub = %identity.sub, "refused: no access token, and REQUIRE_ACCESS_TOKEN is on");
            return Response::error(401, ACCESS_TOKEN_REQUIRED);
        }
        None => false,
    };

    let role_arn = match request.role_arn.as_deref() {
        None => config.default_role_arn.as_str(),
        Some(arn) if config.default_role_arn == arn => arn,
        Some(arn) if config.allowed_role_arns.iter().any(|a| a == arn) => arn,
        Some(arn) => {
            tracing::warn!(
                sub = %identity.sub,
                requested_role = %arn.chars().take(200).collect::<String>(),
                "role not allowed"
            );
            return Response::error(403, "`role_arn` is not allowed");
        }
    };

    let sts_request = match AssumeRoleRequest::for_user(
        role_arn,
        duration_seconds,
        &identity.sub,
        &identity.username,
    ) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(reason = %e, "token rejected");
            return Response::error(401, UNAUTHORIZED);
        }
    };
    match deps.assumer.assume_role(&sts_request).await {
        Ok(credentials) => {
            tracing::info!(
                sub = %identity.sub,
                username = %identity.username,
                client_id = %identity.client_id,
                role_arn,
                duration_seconds,
                revocation_checked,
                access_key_id = %credentials.access_key_id,
                "issued credentials"
            );
            Response {
                status: 200,
                outcome: Outcome::Issued {
                    identity,
                    credentials,
                },
            }
        }
        Err(e) if e.is_server_side() => {
            tracing::error!(sub = %identity.sub, reason = %e, "AssumeRole failed");
            Response::error(500, "cannot issue credentials")
        }
        Err(e) => {
            tracing::error!(sub = %identity.sub, reason = %e, "AssumeRole refused");
            Response::error(403, "the role cannot be assumed")
        }
    }
}

/// The access token must be a valid access token of the same session as the ID token (same
/// `sub`, same app client, same `origin_jti` where both carry one), and Cognito must still
/// accept it (GetUser): a revoked, signed-out or disabled session is refused here although its
/// tokens still verify.
async fn check_session(
    deps: &Deps,
    identity: &Identity,
    access_token: &secrecy::SecretString,
) -> Result<(), Response> {
    let access = match deps
        .verifier
        .verify_access(access_token.expose_secret())
        .await
    {
        Ok(access) => access,
        Err(e) if e.is_unavailable() => {
            tracing::error!(reason = %e, "cannot verify tokens");
            return Err(Response::error(
                503,
                "cannot verify the token right now; try again later",
            ));
        }
        Err(e) => {
            tracing::warn!(sub = %identity.sub, reason = %e, "access token rejected");
            return Err(Response::error(401, UNAUTHORIZED));
        }
    };
    let mismatch = if access.sub != identity.sub {
        Some("the tokens name different users (`sub`)")
    } else if access.client_id != identity.client_id {
        Some("the tokens were issued to different app clients")
    } else if matches!((&access.origin_jti, &identity.origin_jti), (Some(a), Some(i)) if a != i) {
        Some("the tokens come from different sign-ins (`origin_jti`)")
    } else {
        None
    };
    if let Some(reason) = mismatch {
        tracing::warn!(sub = %identity.sub, reason, "tokens of different sessions");
        return Err(Response::error(401, UNAUTHORIZED));
    }
    match deps.sessions.check(access_token, &identity.sub).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_unavailable() => {
            tracing::error!(sub = %identity.sub, reason = %e, "cannot check the session");
            Err(Response::error(
                503,
                "cannot check the session right now; try again later",
            ))
        }
        Err(e) => {
            tracing::warn!(sub = %identity.sub, reason = %e, "session refused");
            Err(Response::error(401, UNAUTHORIZED))
        }
    }
}

/// [`handle`] from and to JSON: exactly what the deployed function answers, for tests that
/// need the real handler's response (e.g. to queue it in an emulator that runs no code).
pub async fn handle_json(event: Value, deps: &Deps) -> Value {
    handle(&event, deps).await.to_json()
}
