//! The token endpoint (`/oauth2/token`): the authorization code for tokens (with the PKCE
//! verifier), and the refresh token for new ID and access tokens. A client with a secret
//! authenticates with HTTP Basic (`client_secret_basic`, RFC 6749 §2.3.1: both parts
//! form-encoded), which every Cognito domain accepts.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;
use url::form_urlencoded::{Serializer, byte_serialize};
use zeroize::Zeroizing;

use super::ManagedLoginError;
use super::http::{Http, HttpFailure, Request};

/// A successful answer of the token endpoint.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    #[serde(with = "crate::credentials::optional_secret_string", default)]
    pub id_token: Option<SecretString>,
    #[serde(with = "crate::credentials::secret_string")]
    pub access_token: SecretString,
    #[serde(with = "crate::credentials::optional_secret_string", default)]
    pub refresh_token: Option<SecretString>,
    /// Seconds the ID and access tokens live.
    pub expires_in: i64,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// An OAuth error answer (`{"error": ..., "error_description": ...}`).
#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Why the token endpoint gave no tokens.
#[derive(Debug)]
pub(crate) enum TokenFailure {
    /// It answered with an OAuth error.
    Refused { error: String, description: String },
    /// It could not be reached, or its answer could not be read.
    Transport(String),
}

/// The token endpoint of one app client.
#[derive(Debug)]
pub(crate) struct TokenEndpoint<'a> {
    pub http: &'a Http,
    pub url: &'a Url,
    pub client_id: &'a str,
    pub client_secret: Option<&'a SecretString>,
}

impl TokenEndpoint<'_> {
    /// `grant_type=authorization_code`.
    pub async fn exchange(
        &self,
        code: &SecretString,
        verifier: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenAnswer, TokenFailure> {
        self.post(&[
            ("grant_type", "authorization_code"),
            ("client_id", self.client_id),
            ("code", code.expose_secret()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.expose_secret()),
        ])
        .await
    }

    /// `grant_type=refresh_token`.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenAnswer, TokenFailure> {
        self.post(&[
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id),
            ("refresh_token", refresh_token.expose_secret()),
        ])
        .await
    }

    async fn post(&self, form: &[(&str, &str)]) -> Result<TokenAnswer, TokenFailure> {
        let answer = self
            .http
            .send(Request {
                url: self.url.as_str(),
                form: Some(encode_form(form)),
                authorization: self.client_secret.map(|s| basic(self.client_id, s)),
            })
            .await
            .map_err(|e| {
                TokenFailure::Transport(match e {
                    HttpFailure::TimedOut => "timed out".to_owned(),
                    other => other.to_string(),
                })
            })?;
        if answer.status == 200 {
            return serde_json::from_slice(&answer.body).map_err(|e| {
                TokenFailure::Transport(format!("its answer is not a token response: {e}"))
            });
        }
        match serde_json::from_slice::<OAuthError>(&answer.body) {
            Ok(e) => Err(TokenFailure::Refused {
                error: e.error,
                description: e.error_description,
            }),
            Err(_) => Err(TokenFailure::Transport(format!(
                "HTTP {} without an OAuth error",
                answer.status
            ))),
        }
    }
}

/// `application/x-www-form-urlencoded`, in a buffer zeroized when dropped.
pub(crate) fn encode_form(form: &[(&str, &str)]) -> Zeroizing<String> {
    let mut serializer = Serializer::new(String::new());
    serializer.extend_pairs(form);
    Zeroizing::new(serializer.finish())
}

/// `Basic base64(urlencode(id):urlencode(secret))`.
pub(crate) fn basic(client_id: &str, secret: &SecretString) -> Zeroizing<String> {
    let mut pair = Zeroizing::new(String::new());
    pair.extend(byte_serialize(client_id.as_bytes()));
    pair.push(':');
    pair.extend(byte_serialize(secret.expose_secret().as_bytes()));
    Zeroizing::new(format!("Basic {}", STANDARD.encode(pair.as_bytes())))
}

impl From<TokenFailure> for ManagedLoginError {
    fn from(failure: TokenFailure) -> Self {
        match failure {
            TokenFailure::Refused { error, description } => {
                ManagedLoginError::TokenRefused { error, description }
            }
            TokenFailure::Transport(detail) => ManagedLoginError::TokenEndpoint { detail },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_authentication_form_encodes_both_parts() {
        let secret = SecretString::from("s3cr+t/=".to_owned());
        let header = basic("client:1", &secret);
        let encoded = header.strip_prefix("Basic ").unwrap();
        let decoded = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
        assert_eq!(decoded, "client%3A1:s3cr%2Bt%2F%3D");
    }

    #[test]
    fn answers_parse_and_hide_their_tokens() {
        let answer: TokenAnswer = serde_json::from_str(
            r#"{"access_token":"canary-a","id_token":"canary-i","refresh_token":"canary-r",
                "token_type":"Bearer","expires_in":3600}"#,
        )
        .unwrap();
        assert_eq!(answer.expires_in, 3600);
        assert!(!format!("{answer:?}").contains("canary"));
        let refreshed: TokenAnswer = serde_json::from_str(
            r#"{"access_token":"a","id_token":"i","token_type":"Bearer","expires_in":3600}"#,
        )
        .unwrap();
        assert!(refreshed.refresh_token.is_none());
        assert_eq!(
            encode_form(&[("code", "a b&c"), ("x", "é")]).as_str(),
            "code=a+b%26c&x=%C3%A9"
        );
    }
}
