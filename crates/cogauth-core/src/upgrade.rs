//! The optional upgrade stage: trade the 1-hour identity-pool credentials for 12-hour ones
//! from the cogauth credential-proxy Lambda.
//!
//! The Lambda is invoked with the 1-hour credentials and
//! `{"id_token", "access_token", "duration_seconds"}`. The access token lets the proxy ask
//! Cognito whether the session is still alive (GetUser), so a revoked or signed-out session, or
//! a disabled user, gets nothing; the original proxy ignores the field. It answers in the original tool's shape, `{"statusCode", "body"}`, where `body` (a JSON
//! string or object) holds `access_key_id`, `secret_access_key`, `session_token` and
//! `expiration`. Any failure is an [`UpgradeError`]; the [`crate::authenticator`] then keeps
//! the 1-hour credentials and reports why.

use std::time::Instant;

use aws_sdk_lambda::primitives::Blob;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::aws::{self, Failure, Service};
use crate::credentials::Credentials;
use crate::env::Env;

/// Upgrades credentials.
#[async_trait::async_trait]
pub trait UpgradeStage: Send + Sync {
    /// Trades `base` for longer credentials, proving the session with both of its tokens.
    async fn upgrade(
        &self,
        id_token: &SecretString,
        access_token: &SecretString,
        base: &Credentials,
        duration_hours: u32,
    ) -> Result<Credentials, UpgradeError>;
}

/// What is sent to the proxy. Holds both tokens: kept secret, and built in one place so the
/// unit tests see exactly what goes over the wire.
pub fn request_payload(
    id_token: &SecretString,
    access_token: &SecretString,
    duration_hours: u32,
) -> SecretString {
    SecretString::from(
        serde_json::json!({
            "id_token": id_token.expose_secret(),
            "access_token": access_token.expose_secret(),
            "duration_seconds": duration_hours * 3600,
        })
        .to_string(),
    )
}

/// Why the upgrade did not happen.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(
        "the Lambda proxy `{function}` does not exist or may not be invoked with these credentials ({failure})"
    )]
    NotInvocable { function: String, failure: Failure },
    #[error("cannot reach {endpoint}: {failure}")]
    Unreachable { endpoint: String, failure: Failure },
    #[error("invoking the Lambda proxy `{function}` failed: {failure}")]
    Invoke { function: String, failure: Failure },
    #[error("the Lambda proxy `{function}` failed: {detail}")]
    FunctionError { function: String, detail: String },
    #[error("the Lambda proxy `{function}` refused the request (HTTP {status}): {detail}")]
    Refused {
        function: String,
        status: u16,
        detail: String,
    },
    #[error("the Lambda proxy `{function}` gave an answer cogauth cannot read: {detail}")]
    Malformed { function: String, detail: String },
}

/// The Lambda credential proxy.
#[derive(Debug)]
pub struct LambdaProxy {
    function: String,
    region: String,
    endpoint_override: Option<String>,
    endpoint: String,
    timeouts: aws_config::timeout::TimeoutConfig,
}

impl LambdaProxy {
    pub fn new(function: impl Into<String>, region: impl Into<String>, env: &dyn Env) -> Self {
        let region = region.into();
        Self {
            function: function.into(),
            endpoint_override: aws::endpoint_override(env, Service::Lambda),
            endpoint: aws::effective_endpoint(env, Service::Lambda, &region),
            timeouts: aws::timeouts_for(env),
            region,
        }
    }

    fn client(&self, creds: &Credentials) -> aws_sdk_lambda::Client {
        let mut b = aws_sdk_lambda::config::Builder::from(&aws::sdk_config(
            &self.region,
            Some(creds),
            self.timeouts.clone(),
        ));
        if let Some(url) = &self.endpoint_override {
            b = b.endpoint_url(url);
        }
        aws_sdk_lambda::Client::from_conf(b.build())
    }
}

#[derive(Deserialize)]
struct ProxyResponse {
    #[serde(rename = "statusCode")]
    status_code: Option<u16>,
    body: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ProxyBody {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

/// Parses the proxy's answer. Pure, so every malformed shape is unit-tested.
pub fn parse_response(function: &str, payload: &[u8]) -> Result<Credentials, UpgradeError> {
    let malformed = |detail: String| UpgradeError::Malformed {
        function: function.to_owned(),
        detail,
    };
    let response: ProxyResponse =
        serde_json::from_slice(payload).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let body = match response.body {
        Some(serde_json::Value::String(s)) => {
            serde_json::from_str(&s).map_err(|e| malformed(format!("`body` is not JSON: {e}")))?
        }
        Some(v @ serde_json::Value::Object(_)) => v,
        Some(_) => {
            return Err(malformed(
                "`body` is neither a JSON string nor an object".to_owned(),
            ));
        }
        None => return Err(malformed("no `body`".to_owned())),
    };
    let status = response.status_code.unwrap_or(200);
    if status != 200 {
        let detail = ["error", "message"]
            .iter()
            .find_map(|k| body.get(*k).and_then(|v| v.as_str()))
            .unwrap_or("no detail given")
            .to_owned();
        return Err(UpgradeError::Refused {
            function: function.to_owned(),
            status,
            detail,
        });
    }
    let body: ProxyBody = serde_json::from_value(body)
        .map_err(|e| malformed(format!("`body` lacks credentials: {e}")))?;
    let expiration = parse_expiration(&body.expiration).ok_or_else(|| {
        malformed(format!(
            "`expiration` = `{}` is not a date",
            body.expiration
        ))
    })?;
    Ok(Credentials::new(
        body.access_key_id,
        body.secret_access_key,
        body.session_token,
        expiration,
    ))
}

/// RFC 3339, or Python's `str(datetime)` (a space instead of `T`), as the original proxy sent.
fn parse_expiration(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

#[async_trait::async_trait]
impl UpgradeStage for LambdaProxy {
    async fn upgrade(
        &self,
        id_token: &SecretString,
        access_token: &SecretString,
        base: &Credentials,
        duration_hours: u32,
    ) -> Result<Credentials, UpgradeError> {
        let payload = request_payload(id_token, access_token, duration_hours);
        let started = Instant::now();
        let out = self
            .client(base)
            .invoke()
            .function_name(&self.function)
            .payload(Blob::new(payload.expose_secret().as_bytes()))
            .send()
            .await;
        tracing::debug!(operation = "Invoke", endpoint = %self.endpoint, elapsed_ms = started.elapsed().as_millis() as u64, ok = out.is_ok(), "lambda call");
        let out = out.map_err(|e| {
            let failure = aws::classify(&e);
            match failure.code() {
                _ if matches!(failure, Failure::Unreachable { .. } | Failure::TimedOut) => {
                    UpgradeError::Unreachable {
                        endpoint: self.endpoint.clone(),
                        failure,
                    }
                }
                Some("ResourceNotFoundException" | "AccessDeniedException" | "AccessDenied") => {
                    UpgradeError::NotInvocable {
                        function: self.function.clone(),
                        failure,
                    }
                }
                _ => UpgradeError::Invoke {
                    function: self.function.clone(),
                    failure,
                },
            }
        })?;
        let body = out.payload.map(Blob::into_inner).unwrap_or_default();
        if let Some(kind) = out.function_error {
            let detail = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("errorMessage")
                        .and_then(|m| m.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or(kind);
            return Err(UpgradeError::FunctionError {
                function: self.function.clone(),
                detail,
            });
        }
        parse_response(&self.function, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_carries_both_tokens_and_the_duration() {
        let payload = request_payload(
            &SecretString::from("the-id-token"),
            &SecretString::from("the-access-token"),
            12,
        );
        let sent: serde_json::Value = serde_json::from_str(payload.expose_secret()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({
                "id_token": "the-id-token",
                "access_token": "the-access-token",
                "duration_seconds": 43200,
            })
        );
        assert!(!format!("{payload:?}").contains("the-access-token"));
    }

    #[test]
    fn accepts_the_original_shape_with_a_string_body() {
        let payload = br#"{"statusCode":200,"body":"{\"access_key_id\":\"AK\",\"secret_access_key\":\"SK\",\"session_token\":\"ST\",\"expiration\":\"2026-11-26 22:00:00+00:00\",\"user_id\":\"sub\",\"username\":\"alice\"}"}"#;
        let c = parse_response("f", payload).unwrap();
        assert_eq!(c.access_key_id, "AK");
        assert_eq!(c.expiration.to_rfc3339(), "2026-11-26T22:00:00+00:00");
    }

    #[test]
    fn accepts_an_object_body() {
        let payload = br#"{"statusCode":200,"body":{"access_key_id":"AK","secret_access_key":"SK","session_token":"ST","expiration":"2026-11-26T22:00:00Z"}}"#;
        assert_eq!(parse_response("f", payload).unwrap().session_token(), "ST");
    }

    #[test]
    fn error_statuses_carry_the_detail() {
        let payload = br#"{"statusCode":401,"body":"{\"error\":\"invalid token\"}"}"#;
        let err = parse_response("f", payload).unwrap_err().to_string();
        assert!(
            err.contains("401") && err.contains("invalid token"),
            "{err}"
        );
    }

    #[test]
    fn malformed_answers_are_named() {
        for payload in [
            &b"nope"[..],
            br#"{"statusCode":200}"#,
            br#"{"statusCode":200,"body":"{}"}"#,
            br#"{"statusCode":200,"body":42}"#,
        ] {
            let err = parse_response("f", payload).unwrap_err();
            assert!(matches!(err, UpgradeError::Malformed { .. }), "{err}");
        }
    }
}
