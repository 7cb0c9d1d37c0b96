//! Browser sign-in: the user pool's managed login pages, through the OAuth 2.0 authorization
//! code flow with PKCE, as a [`UserPoolStage`].
//!
//! [`ManagedLogin`] obtains the user-pool tokens that a password login obtains with SRP, so
//! they enter the same pipeline: identity stage, optional upgrade, cache, AWS files. This is
//! how federated users (Google, SAML, OIDC), passkeys and anything else a terminal cannot do
//! sign in.
//!
//! 1. The endpoints come from `managed_login_url` (`<base>/oauth2/authorize`, `/oauth2/token`,
//!    `/logout`), else from the pool's OpenID discovery document (`endpoints.rs`).
//! 2. An authorization request with a fresh `state`, PKCE S256 verifier and `nonce`
//!    (`request.rs`); `-u` becomes `login_hint`, `identity_provider` skips the sign-in page.
//! 3. The user's browser opens it, through the [`Prompter`] (the core never starts programs),
//!    and comes back to a one-shot loopback listener on `redirect_uri` (`loopback.rs`) with a
//!    bounded wait (`COGAUTH_CALLBACK_TIMEOUT`). With no browser on this machine
//!    ([`BrowserAccess::Remote`], `--no-browser`), the URL is shown and the URL the browser
//!    ends at is pasted back instead.
//! 4. The code and the verifier go to the token endpoint, with HTTP Basic client
//!    authentication when the profile has a client secret (`token.rs`). The page the browser
//!    shows says how that went.
//! 5. A refresh uses the token endpoint's `refresh_token` grant, which needs no SECRET_HASH
//!    (the user name a federated user would hash it with is Cognito's business).
//!
//! [`BrowserFallback`] wraps the terminal stage of a profile that has `managed_login_url`: when
//! the pool asks for a challenge the terminal cannot answer (WEB_AUTHN, ...), it offers to
//! finish in the browser. [`ManagedLogin::sign_out`] ends the managed login session in the
//! browser (`<base>/logout`).
//!
//! Codes, verifiers and tokens are `SecretString`s or zeroized buffers, never logged.

mod endpoints;
mod fallback;
mod http;
mod loopback;
mod probe;
mod request;
mod token;

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

pub use endpoints::Endpoints;
pub use fallback::BrowserFallback;
pub use probe::Probe;

use self::http::Http;
use self::loopback::{Loopback, Page};
use self::request::{AuthorizationRequest, Parameters};
use self::token::{TokenEndpoint, TokenFailure};
use crate::aws::{self, Service};
use crate::clock::Clock;
use crate::config::{AuthFlow, ConfigError, Settings};
use crate::credentials::Tokens;
use crate::env::{Env, vars};
use crate::prompt::{BrowserAccess, PromptError, Prompter};
use crate::userpool::{
    CognitoUserPool, LoginRequest, RefreshGrant, UserPoolConfig, UserPoolError, UserPoolSession,
    UserPoolStage, claim,
};

/// How long the browser has to come back, unless `COGAUTH_CALLBACK_TIMEOUT` says.
pub const DEFAULT_BROWSER_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest wait for the browser to come back from `/logout`: the local session is gone
/// already, the user only watches.
const SIGN_OUT_WAIT: Duration = Duration::from_secs(60);

/// What browser sign-in needs to know about the app client.
#[derive(Debug, Clone)]
pub struct ManagedLoginConfig {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// The domain's base URL; `None` reads the endpoints from the discovery document.
    pub managed_login_url: Option<String>,
    pub redirect_uri: String,
    /// Separated by spaces.
    pub scopes: String,
    pub identity_provider: Option<String>,
}

impl ManagedLoginConfig {
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            region: settings.require_region()?.to_owned(),
            user_pool_id: settings.require_user_pool_id()?.to_owned(),
            client_id: settings.require_client_id()?.to_owned(),
            client_secret: settings.client_secret.as_ref().map(|s| s.value.clone()),
            managed_login_url: settings.managed_login_url.as_ref().map(|u| u.value.clone()),
            redirect_uri: settings.redirect_uri.value.clone(),
            scopes: settings.oauth_scopes.value.clone(),
            identity_provider: settings.identity_provider.as_ref().map(|p| p.value.clone()),
        })
    }
}

/// Why browser sign-in failed; each names the thing and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ManagedLoginError {
    #[error(
        "user pool `{user_pool_id}` has no domain, so it has no managed login: set \
         `managed_login_url` to its domain, or have an administrator create one (`cogadmin \
         setup --managed-login PREFIX`)"
    )]
    NoDomain { user_pool_id: String },
    #[error(
        "cannot read the user pool's OpenID configuration at {url} ({detail}): set \
         `managed_login_url` to the base URL of the user pool's domain"
    )]
    Discovery { url: String, detail: String },
    #[error("`managed_login_url` = `{url}` is not usable: {detail}")]
    BadManagedLoginUrl { url: String, detail: String },
    #[error(
        "`redirect_uri` = `{redirect_uri}` is not a loopback URL (http://localhost:PORT/PATH), \
         so the browser cannot come back to cogauth: use `--no-browser` and paste the URL the \
         browser ends at, or register http://localhost:PORT/callback on the app client and set \
         `redirect_uri` to it"
    )]
    NotLoopback { redirect_uri: String },
    #[error(
        "cannot listen for the browser on {address} (redirect_uri {redirect_uri}): the port is \
         in use by another program; stop that program, or register another \
         http://localhost:PORT/callback on the app client and set `redirect_uri` to it"
    )]
    PortInUse {
        address: String,
        redirect_uri: String,
    },
    /// The cause is in the message, not a `source`, so that it is printed once.
    #[error("cannot listen for the browser on {address} (redirect_uri {redirect_uri}): {cause}")]
    Listen {
        address: String,
        redirect_uri: String,
        cause: std::io::Error,
    },
    #[error(
        "the browser did not come back to {redirect_uri} within {seconds} s: run the command \
         again and finish signing in (set {var} for longer); if the browser shows \
         `redirect_mismatch`, the app client does not list `redirect_uri` among its callback \
         URLs",
        var = vars::COGAUTH_CALLBACK_TIMEOUT
    )]
    Timeout { seconds: u64, redirect_uri: String },
    #[error(
        "the browser did not come back from signing out to {redirect_uri} within {seconds} s \
         (the local session is removed): add `redirect_uri` to the app client's sign-out URLs \
         (LogoutURLs) so that the managed login session can end"
    )]
    SignOutTimeout { seconds: u64, redirect_uri: String },
    #[error(
        "refused the sign-in callback: {} (a stale or forged redirect, possibly cross-site \
         request forgery); run `cogauth login` again",
        if *missing { "it carries no `state`" } else { "its `state` is not this sign-in's" }
    )]
    StateMismatch { missing: bool },
    #[error("{}", authorization_message(error, description))]
    Authorization { error: String, description: String },
    #[error("the sign-in callback carried neither a code nor an error: run `cogauth login` again")]
    NoCode,
    #[error(
        "that is not the address the browser was sent to ({reason}): paste the whole address \
         from the browser's address bar, starting with {redirect_uri}?code="
    )]
    PastedUrl {
        reason: String,
        redirect_uri: String,
    },
    #[error("{}", token_message(error, description))]
    TokenRefused { error: String, description: String },
    #[error("the managed login at {url} does not answer ({detail}): check `managed_login_url`")]
    Unreachable { url: String, detail: String },
    #[error("cannot exchange the sign-in code at the token endpoint: {detail}")]
    TokenEndpoint { detail: String },
    #[error(
        "the token endpoint returned no ID token, which the identity pool needs: add `openid` \
         to `oauth_scopes` (and to the app client's allowed scopes)"
    )]
    MissingIdToken,
    #[error(
        "the ID token was not issued for this sign-in (its nonce differs): run `cogauth login` \
         again"
    )]
    NonceMismatch,
    #[error(
        "the user pool asks for {what}, which cogauth cannot answer on the terminal: run \
         `cogauth login` in a terminal to finish in the browser, or sign in with the browser \
         right away (`cogauth login --auth-flow browser`)"
    )]
    NeedsBrowser { what: String },
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

fn with_description(error: &str, description: &str) -> String {
    match description.trim() {
        "" => error.to_owned(),
        d => format!("{error}: {d}"),
    }
}

/// The message of an `error=` redirect, with what to do about the common ones.
fn authorization_message(error: &str, description: &str) -> String {
    let what = with_description(error, description);
    match error {
        "access_denied" => {
            format!("sign-in was cancelled or denied in the browser ({what})")
        }
        "invalid_scope" => format!(
            "the managed login refused the scopes ({what}): set `oauth_scopes` to scopes the app \
             client allows"
        ),
        "unauthorized_client" => format!(
            "the app client may not use the authorization code flow ({what}): allow the `code` \
             flow on the app client (`cogadmin setup --managed-login`)"
        ),
        "unsupported_response_type" => format!(
            "the app client does not allow the authorization code flow ({what}): allow the \
             `code` flow on the app client"
        ),
        "login_required" | "interaction_required" => {
            format!("the managed login wants the user to sign in ({what}): run `cogauth login`")
        }
        _ => format!("the managed login refused the sign-in ({what})"),
    }
}

/// The message of a token endpoint refusal, with what to do about it.
fn token_message(error: &str, description: &str) -> String {
    let what = with_description(error, description);
    match error {
        "invalid_grant" => format!(
            "the token endpoint refused the sign-in code ({what}): it expired, was already used, \
             or does not match this sign-in's PKCE verifier; run `cogauth login` again"
        ),
        "invalid_client" => format!(
            "the token endpoint refused the app client ({what}): set `client_secret` to the app \
             client's secret (`cogauth configure --client-secret-stdin`), or remove it if the \
             client has none"
        ),
        "unauthorized_client" => format!(
            "the token endpoint refused the app client ({what}): allow the `code` flow on the \
             app client and list `redirect_uri` among its callback URLs"
        ),
        _ => format!("the token endpoint refused the sign-in code ({what})"),
    }
}

/// What [`ManagedLogin::sign_out`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOut {
    /// The browser went through `/logout` and came back: the session has ended.
    Ended,
    /// The URL was shown for the user to open (no browser on this machine).
    Shown,
}

/// Browser sign-in for one app client: a [`UserPoolStage`].
pub struct ManagedLogin {
    config: ManagedLoginConfig,
    http: Http,
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`, for discovery.
    issuer: String,
    wait: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ManagedLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedLogin")
            .field("config", &self.config)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

/// The wait `COGAUTH_CALLBACK_TIMEOUT` asks for (whole seconds, 1 to 3600), else the default.
pub fn browser_timeout(env: &dyn Env) -> Duration {
    let Some(value) = env.var(vars::COGAUTH_CALLBACK_TIMEOUT) else {
        return DEFAULT_BROWSER_TIMEOUT;
    };
    match value.trim().parse::<u64>() {
        Ok(seconds @ 1..=3600) => Duration::from_secs(seconds),
        _ => {
            tracing::warn!(
                "{}=`{}` is not a whole number of seconds from 1 to 3600: waiting {} s",
                vars::COGAUTH_CALLBACK_TIMEOUT,
                value.escape_debug(),
                DEFAULT_BROWSER_TIMEOUT.as_secs()
            );
            DEFAULT_BROWSER_TIMEOUT
        }
    }
}

fn shown_duration(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

impl ManagedLogin {
    pub fn new(config: ManagedLoginConfig, env: &dyn Env, clock: Arc<dyn Clock>) -> Self {
        let issuer = format!(
            "{}/{}",
            aws::effective_endpoint(env, Service::CognitoIdentityProvider, &config.region)
                .trim_end_matches('/'),
            config.user_pool_id
        );
        Self {
            http: Http::new(env),
            wait: browser_timeout(env),
            issuer,
            config,
            clock,
        }
    }

    /// The domain's endpoints: below `managed_login_url`, else discovered.
    pub async fn endpoints(&self) -> Result<Endpoints, ManagedLoginError> {
        match &self.config.managed_login_url {
            Some(base) => Endpoints::from_base(base),
            None => Endpoints::discover(&self.http, &self.issuer, &self.config.user_pool_id).await,
        }
    }

    fn redirect_uri(&self) -> Result<Url, ManagedLoginError> {
        // Validated when the settings were loaded; an embedder's config may not have been.
        Url::parse(&self.config.redirect_uri).map_err(|_| ManagedLoginError::NotLoopback {
            redirect_uri: self.config.redirect_uri.clone(),
        })
    }

    fn token_endpoint<'a>(&'a self, url: &'a Url) -> TokenEndpoint<'a> {
        TokenEndpoint {
            http: &self.http,
            url,
            client_id: &self.config.client_id,
            client_secret: self.config.client_secret.as_ref(),
        }
    }

    /// Signs the user in through the browser. `login_hint` prefills the username.
    pub async fn sign_in(
        &self,
        login_hint: Option<&str>,
        prompter: &dyn Prompter,
    ) -> Result<UserPoolSession, ManagedLoginError> {
        let endpoints = self.endpoints().await?;
        let redirect_uri = self.redirect_uri()?;
        let request = AuthorizationRequest::new(
            &endpoints.authorize,
            &Parameters {
                client_id: &self.config.client_id,
                redirect_uri: &self.config.redirect_uri,
                scopes: &self.config.scopes,
                identity_provider: self.config.identity_provider.as_deref(),
                login_hint,
            },
        );
        if prompter.browser_access() == BrowserAccess::Remote {
            prompter.show(&format!(
                "Open this URL in a web browser (on any machine) and sign in:\n\n  {}\n\n\
                 The browser then goes to {redirect_uri}?code=..., which may fail to load \
                 there: that is expected. Copy the whole address from the browser's address \
                 bar and paste it here.",
                request.url
            ));
            let pasted = zeroize::Zeroizing::new(prompter.ask("Address the browser ended at")?);
            let code = request.code_from_pasted(&pasted, &redirect_uri)?;
            return self.redeem(&endpoints, &request, &code).await;
        }

        let listener = Loopback::bind(&redirect_uri).await?;
        match prompter.open_browser(request.url.as_str()) {
            Ok(()) => prompter.show(&format!(
                "Opened the sign-in page in your browser. If it did not open, open this URL:\n\n  \
                 {}\n",
                request.url
            )),
            Err(why) => prompter.show(&format!(
                "Cannot open a browser here ({why}). Open this URL in a browser on this \
                 machine, or run again with --no-browser:\n\n  {}\n",
                request.url
            )),
        }
        prompter.show(&format!(
            "Waiting up to {} for the browser to come back to {redirect_uri} (Ctrl-C cancels)...",
            shown_duration(self.wait)
        ));
        let arrival = listener.wait(self.wait).await?;
        let outcome = match request.code_from_query(&arrival.query) {
            Ok(code) => self.redeem(&endpoints, &request, &code).await,
            Err(e) => Err(e),
        };
        let page = match &outcome {
            Ok(session) => Page::SignedIn {
                username: session.username.clone(),
            },
            Err(e) => Page::Failed {
                message: capitalized(&e.to_string()),
            },
        };
        arrival.answer(page).await;
        outcome
    }

    /// Exchanges the code for tokens: the session of the signed-in user.
    async fn redeem(
        &self,
        endpoints: &Endpoints,
        request: &AuthorizationRequest,
        code: &SecretString,
    ) -> Result<UserPoolSession, ManagedLoginError> {
        let answer = self
            .token_endpoint(&endpoints.token)
            .exchange(code, request.verifier(), &self.config.redirect_uri)
            .await?;
        let id_token = answer.id_token.ok_or(ManagedLoginError::MissingIdToken)?;
        // Read without verifying: the token comes straight from the token endpoint over TLS,
        // and the identity pool verifies it before it is worth anything.
        if claim(id_token.expose_secret(), "nonce").as_deref() != Some(request.nonce.as_str()) {
            return Err(ManagedLoginError::NonceMismatch);
        }
        Ok(UserPoolSession {
            username: username_of(id_token.expose_secret()).unwrap_or_default(),
            sub: claim(id_token.expose_secret(), "sub"),
            tokens: Tokens {
                id_token,
                access_token: answer.access_token,
                refresh_token: answer.refresh_token,
                expires_at: self.clock.now() + chrono::Duration::seconds(answer.expires_in),
            },
            device_key: None,
            signed_in_with: Some("browser".to_owned()),
            device: None,
        })
    }

    /// Ends the managed login session in the browser: `<base>/logout` with `redirect_uri` as
    /// the `logout_uri` (the app client must list it among its sign-out URLs).
    pub async fn sign_out(&self, prompter: &dyn Prompter) -> Result<SignOut, ManagedLoginError> {
        let endpoints = self.endpoints().await?;
        let redirect_uri = self.redirect_uri()?;
        let mut url = endpoints.logout;
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair("logout_uri", &self.config.redirect_uri);
        if prompter.browser_access() == BrowserAccess::Remote {
            prompter.show(&format!(
                "To end the managed login session, open this URL in the browser you signed in \
                 with:\n\n  {url}\n"
            ));
            return Ok(SignOut::Shown);
        }
        let listener = Loopback::bind(&redirect_uri).await?;
        if let Err(why) = prompter.open_browser(url.as_str()) {
            prompter.show(&format!(
                "Cannot open a browser here ({why}). To end the managed login session, open \
                 this URL in the browser you signed in with:\n\n  {url}\n"
            ));
        }
        let wait = self.wait.min(SIGN_OUT_WAIT);
        let arrival = listener.wait(wait).await.map_err(|e| match e {
            ManagedLoginError::Timeout {
                seconds,
                redirect_uri,
            } => ManagedLoginError::SignOutTimeout {
                seconds,
                redirect_uri,
            },
            other => other,
        })?;
        arrival.answer(Page::SignedOut).await;
        Ok(SignOut::Ended)
    }
}

/// The ID token's `cognito:username`, else its `sub`.
fn username_of(id_token: &str) -> Option<String> {
    claim(id_token, "cognito:username").or_else(|| claim(id_token, "sub"))
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl From<ManagedLoginError> for UserPoolError {
    fn from(e: ManagedLoginError) -> Self {
        match e {
            ManagedLoginError::Prompt(p) => UserPoolError::Prompt(p),
            other => UserPoolError::ManagedLogin(Box::new(other)),
        }
    }
}

#[async_trait::async_trait]
impl UserPoolStage for ManagedLogin {
    /// `req.username`, when set, is the `login_hint`; the password is not used.
    async fn login(
        &self,
        req: &LoginRequest,
        prompter: &dyn Prompter,
    ) -> Result<UserPoolSession, UserPoolError> {
        let hint = Some(req.username.as_str()).filter(|u| !u.trim().is_empty());
        Ok(self.sign_in(hint, prompter).await?)
    }

    /// The token endpoint's `refresh_token` grant: it needs no SECRET_HASH (whose user name a
    /// federated user's session would have to get right), only the client's secret in HTTP
    /// Basic. Cognito does not rotate the refresh token there.
    async fn refresh(&self, grant: &RefreshGrant) -> Result<UserPoolSession, UserPoolError> {
        let endpoints = self.endpoints().await?;
        let answer = match self
            .token_endpoint(&endpoints.token)
            .refresh(&grant.refresh_token)
            .await
        {
            Ok(answer) => answer,
            Err(TokenFailure::Refused { error, .. }) if error == "invalid_grant" => {
                return Err(UserPoolError::RefreshTokenRejected);
            }
            Err(other) => return Err(ManagedLoginError::from(other).into()),
        };
        let id_token = answer.id_token.ok_or(ManagedLoginError::MissingIdToken)?;
        Ok(UserPoolSession {
            username: username_of(id_token.expose_secret())
                .unwrap_or_else(|| grant.username.clone()),
            sub: claim(id_token.expose_secret(), "sub"),
            tokens: Tokens {
                id_token,
                access_token: answer.access_token,
                refresh_token: answer.refresh_token,
                expires_at: self.clock.now() + chrono::Duration::seconds(answer.expires_in),
            },
            device_key: None,
            signed_in_with: None,
            device: None,
        })
    }
}

/// The user-pool stage the settings describe: browser sign-in for `auth_flow = "browser"`;
/// else the terminal (SRP or password), which offers to finish in the browser when the pool
/// asks for a challenge the terminal cannot answer and `managed_login_url` is set.
pub fn user_pool_stage(
    settings: &Settings,
    env: &dyn Env,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn UserPoolStage>, ConfigError> {
    if settings.auth_flow.value == AuthFlow::Browser {
        let config = ManagedLoginConfig::from_settings(settings)?;
        return Ok(Arc::new(ManagedLogin::new(config, env, clock)));
    }
    let terminal = CognitoUserPool::new(
        UserPoolConfig {
            region: settings.require_region()?.to_owned(),
            user_pool_id: settings.require_user_pool_id()?.to_owned(),
            client_id: settings.require_client_id()?.to_owned(),
            client_secret: settings.client_secret.as_ref().map(|s| s.value.clone()),
            auth_flow: settings.auth_flow.value,
            preferred_challenge: settings.preferred_challenge.as_ref().map(|p| p.value),
            custom_with_srp: settings.custom_with_srp.value,
        },
        env,
        clock.clone(),
    );
    if settings.managed_login_url.is_none() {
        return Ok(Arc::new(terminal));
    }
    let browser = ManagedLogin::new(ManagedLoginConfig::from_settings(settings)?, env, clock);
    Ok(Arc::new(BrowserFallback::new(Arc::new(terminal), browser)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let denied = ManagedLoginError::Authorization {
            error: "access_denied".into(),
            description: "User cancelled the sign-in".into(),
        };
        assert_eq!(
            denied.to_string(),
            "sign-in was cancelled or denied in the browser (access_denied: User cancelled the \
             sign-in)"
        );
        let grant = ManagedLoginError::TokenRefused {
            error: "invalid_grant".into(),
            description: String::new(),
        };
        assert!(grant.to_string().contains("PKCE verifier"), "{grant}");
        let csrf = ManagedLoginError::StateMismatch { missing: true };
        assert!(csrf.to_string().contains("carries no `state`"), "{csrf}");
        assert!(csrf.to_string().contains("forgery"), "{csrf}");
        assert_eq!(capitalized("sign-in"), "Sign-in");
    }

    #[test]
    fn the_browser_timeout_is_bounded() {
        use crate::env::MapEnv;
        let env = |v: &str| MapEnv::new().with(vars::COGAUTH_CALLBACK_TIMEOUT, v);
        assert_eq!(browser_timeout(&MapEnv::new()), DEFAULT_BROWSER_TIMEOUT);
        assert_eq!(browser_timeout(&env("5")), Duration::from_secs(5));
        for ignored in ["0", "-3", "x", "3601"] {
            assert_eq!(browser_timeout(&env(ignored)), DEFAULT_BROWSER_TIMEOUT);
        }
        assert_eq!(shown_duration(Duration::from_secs(300)), "5 min");
        assert_eq!(shown_duration(Duration::from_secs(45)), "45 s");
    }

    #[test]
    fn the_username_is_cognitos_else_the_sub() {
        use base64::Engine as _;
        let jwt = |claims: &str| {
            let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
            format!("h.{payload}.sig")
        };
        assert_eq!(
            username_of(&jwt(r#"{"cognito:username":"Google_123","sub":"s"}"#)).as_deref(),
            Some("Google_123")
        );
        assert_eq!(username_of(&jwt(r#"{"sub":"s"}"#)).as_deref(), Some("s"));
        assert_eq!(username_of("not-a-jwt"), None);
    }
}
