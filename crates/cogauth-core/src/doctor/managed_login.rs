//! The managed login check, for profiles that sign in through the browser (`auth_flow =
//! "browser"`) or may finish there (`managed_login_url` set): the domain exists and answers,
//! and accepts this app client's authorization request (callback URL, code flow, scopes,
//! identity provider), asked the way a login asks it. It needs no AWS credentials; the admin
//! checks read the same settings from the app client.

use std::sync::Arc;

use super::{Outcome, Target, fail, shell_word};
use crate::clock::SystemClock;
use crate::config::{AuthFlow, Settings};
use crate::env::Env;
use crate::managed_login::{ManagedLogin, ManagedLoginConfig, ManagedLoginError, Probe};

/// True when the profile uses managed login.
pub(crate) fn applies(settings: &Settings) -> bool {
    settings.auth_flow.value == AuthFlow::Browser || settings.managed_login_url.is_some()
}

pub(crate) async fn check(env: &dyn Env, t: &Target) -> Outcome {
    let config = match ManagedLoginConfig::from_settings(&t.settings) {
        Ok(config) => config,
        Err(e) => return fail(e.to_string(), "correct the profile (see the config check)"),
    };
    let setup = format!(
        "`cogadmin setup --user-pool-id {} --client-id {} --managed-login PREFIX`",
        t.user_pool_id, t.client_id
    );
    let profile = &t.profile;
    let redirect_uri = config.redirect_uri.clone();
    let scopes = config.scopes.clone();
    // The clock only stamps tokens, and this check gets none.
    let login = ManagedLogin::new(config, env, Arc::new(SystemClock));
    match login.probe().await {
        Ok(Probe::Accepted) => Outcome::Pass,
        Ok(Probe::Refused { error, description }) => {
            let what = match description.trim() {
                "" => error.clone(),
                d => format!("{error}: {d}"),
            };
            let (problem, fix) = match error.as_str() {
                "redirect_mismatch" => (
                    format!(
                        "app client `{}` does not list `redirect_uri` {redirect_uri} among its \
                         callback URLs ({what}); Cognito matches it exactly, port included",
                        t.client_id
                    ),
                    format!(
                        "register it: {setup} (or add it in the Cognito console), or set \
                         `redirect_uri` to a callback the client lists: `cogauth configure \
                         --profile {profile} --redirect-uri URL`"
                    ),
                ),
                "invalid_scope" => (
                    format!(
                        "app client `{}` does not allow the scopes `{scopes}` ({what})",
                        t.client_id
                    ),
                    format!(
                        "allow them: {setup}; or ask for fewer (keep `openid`): `cogauth \
                         configure --profile {profile} --oauth-scopes {}`",
                        shell_word("openid email")
                    ),
                ),
                "unauthorized_client" | "unsupported_response_type" => (
                    format!(
                        "app client `{}` may not use the authorization code flow ({what})",
                        t.client_id
                    ),
                    format!("allow the `code` flow and OAuth on the app client: {setup}"),
                ),
                _ => (
                    format!("the managed login refuses this app client's sign-in ({what})"),
                    format!(
                        "check the app client's hosted UI settings (callback URL, flows, scopes, \
                         identity providers): {setup}"
                    ),
                ),
            };
            fail(problem, fix)
        }
        Ok(Probe::Unexpected { status, location }) => fail(
            format!(
                "the managed login answered HTTP {status}{} to an authorization request",
                location.map(|l| format!(" (to {l})")).unwrap_or_default()
            ),
            format!(
                "check `managed_login_url`: it must be the base URL of the user pool's domain \
                 (`cogauth configure --profile {profile} --managed-login-url URL`)"
            ),
        ),
        Err(ManagedLoginError::NoDomain { user_pool_id }) => fail(
            format!("user pool `{user_pool_id}` has no domain, so it has no managed login"),
            format!("create one: {setup}; or set `managed_login_url`"),
        ),
        Err(e @ ManagedLoginError::Unreachable { .. }) => fail(
            e.to_string(),
            format!(
                "check the network and `managed_login_url` (`cogauth configure --profile \
                 {profile} --managed-login-url https://PREFIX.auth.REGION.amazoncognito.com`)"
            ),
        ),
        Err(e) => fail(
            e.to_string(),
            format!(
                "set `managed_login_url`: `cogauth configure --profile {profile} --managed-login-url URL`"
            ),
        ),
    }
}
