//! Token verification: RS256 only, against the user pool's JWKS; issuer, client (`aud` for ID
//! tokens, `client_id` for access tokens), `token_use` and lifetime checked.
//!
//! The key set is cached for the life of the execution environment and fetched again when a
//! token names an unknown `kid` (Cognito rotates keys that way), at most once per
//! [`VerifierSettings::min_fetch_interval_seconds`], so tokens with made-up `kid`s cannot make
//! the proxy hammer the JWKS endpoint.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;

use crate::clock::Clock;

/// Keys older than this are fetched again on next use (a failed refresh keeps the old ones).
const MAX_KEY_AGE_SECONDS: i64 = 3600;
/// A JWKS document larger than this is not a Cognito key set (Cognito's has two keys, about
/// 1 KiB). The body is cut off at this size while it streams.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Where the pool's public keys come from.
#[async_trait::async_trait]
pub trait JwksSource: Send + Sync + fmt::Debug {
    async fn fetch(&self) -> Result<JwkSet, JwksError>;
}

/// The key set could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot fetch the JWKS from `{url}`: {message}")]
    Fetch { url: String, message: String },
    #[error("the JWKS at `{url}` is not a valid key set: {message}")]
    Invalid { url: String, message: String },
    #[error("the JWKS at `{url}` is larger than {limit} bytes: not a user pool's key set")]
    TooLarge { url: String, limit: usize },
}

/// Fetches the key set over HTTP(S), with short timeouts.
#[derive(Debug)]
pub struct HttpJwks {
    client: reqwest::Client,
    url: String,
}

impl HttpJwks {
    pub fn new(url: impl Into<String>) -> Result<Self, JwksError> {
        let url = url.into();
        let client = crate::http::client().map_err(|e| JwksError::Fetch {
            url: url.clone(),
            message: format!("cannot build the HTTP client: {e}"),
        })?;
        Ok(Self { client, url })
    }
}

#[async_trait::async_trait]
impl JwksSource for HttpJwks {
    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        let fetch_err = |message: String| JwksError::Fetch {
            url: self.url.clone(),
            message,
        };
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| fetch_err(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fetch_err(format!("HTTP {status}")));
        }
        let body = crate::http::read_capped(response, MAX_JWKS_BYTES)
            .await
            .map_err(|e| match e {
                crate::http::BodyError::TooLarge { limit } => JwksError::TooLarge {
                    url: self.url.clone(),
                    limit,
                },
                crate::http::BodyError::Read(message) => fetch_err(message),
            })?;
        serde_json::from_slice(&body).map_err(|e| JwksError::Invalid {
            url: self.url.clone(),
            message: e.to_string(),
        })
    }
}

/// What a token must match.
#[derive(Debug, Clone)]
pub struct VerifierSettings {
    pub issuer: String,
    pub client_ids: Vec<String>,
    /// Clock skew allowed on `exp`, `nbf` and `iat` (at most 60 s).
    pub leeway_seconds: i64,
    /// The shortest time between two JWKS fetches.
    pub min_fetch_interval_seconds: i64,
}

impl VerifierSettings {
    pub fn new(issuer: impl Into<String>, client_ids: Vec<String>) -> Self {
        Self {
            issuer: issuer.into(),
            client_ids,
            leeway_seconds: 60,
            min_fetch_interval_seconds: 10,
        }
    }
}

/// Which of Cognito's tokens is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    /// The `token_use` claim's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Access => "access",
        }
    }
}

/// Who the token says the caller is, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub sub: String,
    pub username: String,
    /// The app client the token was issued to (`aud` of an ID token, `client_id` of an access
    /// token).
    pub client_id: String,
    /// The `jti` of the refresh token this session's tokens came from (`origin_jti`), where
    /// the pool puts it.
    pub origin_jti: Option<String>,
}

/// Why a token was refused. Logged (it never contains the token); the caller only sees a
/// generic 401, or 503 when the keys cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("token is not a well-formed JWT: {0}")]
    Malformed(String),
    #[error("token algorithm {0:?} is not allowed (only RS256)")]
    Algorithm(String),
    #[error("token header has no `kid`")]
    MissingKid,
    #[error("token `kid` {0:?} is not in the pool's key set")]
    UnknownKid(String),
    #[error("token signature does not verify")]
    Signature,
    #[error("token issuer is not the configured user pool")]
    Issuer,
    #[error("token's app client (`aud` or `client_id`) is not one of the configured client ids")]
    Audience,
    #[error("token has no usable `{0}` claim")]
    MissingClaim(String),
    #[error("token_use is {found:?}, not {expected:?}")]
    TokenUse {
        found: String,
        expected: &'static str,
    },
    #[error("token expired at {exp} (now {now})")]
    Expired { exp: i64, now: i64 },
    #[error("token is not valid before {nbf} (now {now})")]
    NotYetValid { nbf: i64, now: i64 },
    #[error("token was issued in the future, at {iat} (now {now})")]
    IssuedInFuture { iat: i64, now: i64 },
    #[error("token rejected: {0}")]
    Other(String),
    #[error(transparent)]
    Keys(#[from] JwksError),
}

impl VerifyError {
    /// The keys could not be fetched: a server-side problem, not the caller's.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Keys(_))
    }
}

/// The claims the proxy uses; every other claim is ignored, whatever its type (moto sends
/// `email_verified` as a string, Cognito as a boolean).
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    token_use: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    /// ID tokens: the app client. Cognito sends one string; a list is refused.
    aud: Option<serde_json::Value>,
    /// Access tokens: the app client.
    client_id: Option<String>,
    /// ID tokens name the user here...
    #[serde(rename = "cognito:username")]
    id_username: Option<String>,
    /// ...access tokens here.
    username: Option<String>,
    origin_jti: Option<String>,
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, Arc<DecodingKey>>,
    fetched_at: Option<i64>,
    last_attempt: Option<i64>,
}

/// Verifies ID tokens; one per execution environment, shared by every invocation.
pub struct Verifier {
    settings: VerifierSettings,
    source: Arc<dyn JwksSource>,
    clock: Arc<dyn Clock>,
    cache: tokio::sync::Mutex<KeyCache>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("settings", &self.settings)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    pub fn new(
        settings: VerifierSettings,
        source: Arc<dyn JwksSource>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            settings,
            source,
            clock,
            cache: tokio::sync::Mutex::new(KeyCache::default()),
        }
    }

    /// Verifies an ID token and returns who it identifies.
    pub async fn verify(&self, token: &str) -> Result<Identity, VerifyError> {
        self.verify_as(token, TokenUse::Id).await
    }

    /// Verifies an access token and returns who it identifies.
    pub async fn verify_access(&self, token: &str) -> Result<Identity, VerifyError> {
        self.verify_as(token, TokenUse::Access).await
    }

    /// Verifies `token` as a `use` token of the pool and returns who it identifies.
    pub async fn verify_as(&self, token: &str, use_: TokenUse) -> Result<Identity, VerifyError> {
        let kid = check_header(token)?;
        let key = self.key_for(&kid).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.settings.issuer]);
        match use_ {
            TokenUse::Id => {
                validation.set_audience(&self.settings.client_ids);
                validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            }
            // Access tokens carry `client_id` instead of `aud`: checked below.
            TokenUse::Access => {
                validation.validate_aud = false;
                validation.set_required_spec_claims(&["exp", "iss", "sub"]);
            }
        }
        // Lifetimes are checked below against the injected clock, with the same leeway.
        validation.validate_exp = false;
        validation.validate_nbf = false;

        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e
            .into_kind()
        {
            ErrorKind::InvalidSignature => VerifyError::Signature,
            ErrorKind::InvalidIssuer => VerifyError::Issuer,
            ErrorKind::InvalidAudience => VerifyError::Audience,
            ErrorKind::MissingRequiredClaim(c) => VerifyError::MissingClaim(c),
            ErrorKind::InvalidAlgorithm => VerifyError::Algorithm("RS256 key mismatch".into()),
            ErrorKind::Json(e) => VerifyError::Malformed(format!("claims: {e}")),
            ErrorKind::Base64(e) => VerifyError::Malformed(format!("base64: {e}")),
            ErrorKind::Utf8(e) => VerifyError::Malformed(format!("utf-8: {e}")),
            ErrorKind::InvalidToken => VerifyError::Malformed("not three segments".into()),
            other => VerifyError::Other(format!("{other:?}")),
        })?;
        self.check_claims(data.claims, use_)
    }

    fn check_claims(&self, claims: Claims, use_: TokenUse) -> Result<Identity, VerifyError> {
        let now = self.clock.now_unix();
        let leeway = self.settings.leeway_seconds.clamp(0, 60);
        let missing = |name: &str| VerifyError::MissingClaim(name.to_owned());

        let token_use = claims.token_use.ok_or_else(|| missing("token_use"))?;
        if token_use != use_.as_str() {
            return Err(VerifyError::TokenUse {
                found: printable(&token_use),
                expected: use_.as_str(),
            });
        }
        let exp = claims.exp.ok_or_else(|| missing("exp"))?;
        if now > exp.saturating_add(leeway) {
            return Err(VerifyError::Expired { exp, now });
        }
        if let Some(nbf) = claims.nbf
            && now.saturating_add(leeway) < nbf
        {
            return Err(VerifyError::NotYetValid { nbf, now });
        }
        let iat = claims.iat.ok_or_else(|| missing("iat"))?;
        if now.saturating_add(leeway) < iat {
            return Err(VerifyError::IssuedInFuture { iat, now });
        }
        let sub = claims
            .sub
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("sub"))?;
        let (client_id, username, username_claim) = match use_ {
            TokenUse::Id => {
                // jsonwebtoken checked that `aud` is (or contains) a configured client; the
                // session's client must be a single one.
                let aud = match claims.aud {
                    Some(serde_json::Value::String(aud)) => aud,
                    _ => return Err(VerifyError::Audience),
                };
                (aud, claims.id_username, "cognito:username")
            }
            TokenUse::Access => {
                let client_id = claims.client_id.ok_or_else(|| missing("client_id"))?;
                if !self.settings.client_ids.contains(&client_id) {
                    return Err(VerifyError::Audience);
                }
                (client_id, claims.username, "username")
            }
        };
        let username = username
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing(username_claim))?;
        Ok(Identity {
            sub,
            username,
            client_id,
            origin_jti: claims.origin_jti.filter(|j| !j.is_empty()),
        })
    }

    /// The key for `kid`: from the cache, or from a fresh fetch when the cache misses it (or is
    /// old) and the last fetch is far enough in the past.
    async fn key_for(&self, kid: &str) -> Result<Arc<DecodingKey>, VerifyError> {
        let mut cache = self.cache.lock().await;
        let now = self.clock.now_unix();
        let stale = cache
            .fetched_at
            .is_none_or(|t| now - t >= MAX_KEY_AGE_SECONDS);
        if let Some(key) = cache.keys.get(kid)
            && !stale
        {
            return Ok(key.clone());
        }
        let may_fetch = cache
            .last_attempt
            .is_none_or(|t| now - t >= self.settings.min_fetch_interval_seconds);
        if may_fetch {
            cache.last_attempt = Some(now);
            match self.source.fetch().await {
                Ok(set) => {
                    cache.keys = usable_keys(&set);
                    cache.fetched_at = Some(now);
                    tracing::info!(keys = cache.keys.len(), "fetched the user pool's JWKS");
                }
                // With keys in hand a failed refresh is not fatal: keep using them.
                Err(e) if !cache.keys.is_empty() => {
                    tracing::warn!(error = %e, "cannot refresh the JWKS; keeping the cached keys");
                }
                Err(e) => return Err(e.into()),
            }
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| VerifyError::UnknownKid(printable(kid)))
    }
}

/// Only RSA signing keys for RS256 are usable; anything else in the set is skipped.
fn usable_keys(set: &JwkSet) -> HashMap<String, Arc<DecodingKey>> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
                return None;
            };
            if jwk
                .common
                .key_algorithm
                .is_some_and(|a| a != KeyAlgorithm::RS256)
                || jwk
                    .common
                    .public_key_use
                    .as_ref()
                    .is_some_and(|u| *u != PublicKeyUse::Signature)
            {
                return None;
            }
            let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?;
            Some((kid, Arc::new(key)))
        })
        .collect()
}

/// Reads the header before anything else: the algorithm is pinned to RS256 (no `none`, no
/// HMAC with the public key as secret) and a `kid` is required.
fn check_header(token: &str) -> Result<String, VerifyError> {
    let mut segments = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(VerifyError::Malformed("not three segments".into()));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|e| VerifyError::Malformed(format!("header base64: {e}")))?;
    let header: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| VerifyError::Malformed(format!("header: {e}")))?;
    match header.get("alg").and_then(|a| a.as_str()) {
        Some("RS256") => {}
        Some(other) => return Err(VerifyError::Algorithm(printable(other))),
        None => return Err(VerifyError::Algorithm("(missing)".into())),
    }
    match header.get("kid").and_then(|k| k.as_str()) {
        Some(kid) if !kid.is_empty() => Ok(kid.to_owned()),
        _ => Err(VerifyError::MissingKid),
    }
}

/// Attacker-chosen text in log lines: bounded.
fn printable(s: &str) -> String {
    s.chars().take(64).collect()
}
