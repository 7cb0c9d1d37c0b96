//! The admin side of the managed login checks, for profiles that sign in through the browser
//! or may finish there: from the pool and its app client, that the pool has a domain, that the
//! client lists `redirect_uri` exactly among its callback URLs, allows the code flow and the
//! profile's scopes, and offers the profile's identity provider. Each problem comes with its
//! fix. (`cogauth_core::doctor` asks the domain itself, without AWS credentials.)

use aws_sdk_cognitoidentityprovider::types::{OAuthFlowType, UserPoolClientType};
use aws_types::SdkConfig;
use cogauth_core::aws::in_region;
use cogauth_core::config::{AuthFlow, DEFAULT_OAUTH_SCOPES, ids};
use cogauth_core::doctor::{Outcome, Target, fail, shell_word};

use super::{Facts, ReadError, read_error};
use crate::managed_login::COGNITO_PROVIDER;

/// An app client's hosted UI settings.
#[derive(Debug, Default)]
pub(super) struct OAuthFacts {
    enabled: bool,
    code_flow: bool,
    scopes: Vec<String>,
    callback_urls: Vec<String>,
    providers: Vec<String>,
}

impl OAuthFacts {
    pub(super) fn of(client: Option<&UserPoolClientType>) -> Self {
        let Some(c) = client else {
            return Self::default();
        };
        Self {
            enabled: c.allowed_o_auth_flows_user_pool_client() == Some(true),
            code_flow: c.allowed_o_auth_flows().contains(&OAuthFlowType::Code),
            scopes: c.allowed_o_auth_scopes().to_vec(),
            callback_urls: c.callback_urls().to_vec(),
            providers: c.supported_identity_providers().to_vec(),
        }
    }
}

/// True when the profile uses managed login.
pub(super) fn applies(t: &Target) -> bool {
    t.settings.auth_flow.value == AuthFlow::Browser || t.settings.managed_login_url.is_some()
}

pub(super) async fn check(sdk: &SdkConfig, facts: &Facts, t: &Target) -> Outcome {
    let client = match &facts.client {
        Ok(c) => c,
        Err(ReadError::NotFound) => {
            return fail(
                format!(
                    "app client `{}` is not in user pool `{}` (see the auth flows check)",
                    t.client_id, t.user_pool_id
                ),
                "correct `client_id` and `user_pool_id` first",
            );
        }
        Err(ReadError::Outcome(o)) => return o.clone(),
    };
    let region = ids::region_of_user_pool(&t.user_pool_id).unwrap_or(&t.region);
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&in_region(sdk, region));
    let pool = match idp
        .describe_user_pool()
        .user_pool_id(&t.user_pool_id)
        .send()
        .await
        .map_err(|e| read_error("DescribeUserPool", &e))
    {
        Ok(out) => out,
        Err(ReadError::NotFound) => {
            return fail(
                format!("user pool `{}` does not exist", t.user_pool_id),
                "correct `user_pool_id` first",
            );
        }
        Err(ReadError::Outcome(o)) => return o,
    };
    let domains: Vec<&str> = pool
        .user_pool()
        .map(|p| [p.domain(), p.custom_domain()])
        .into_iter()
        .flatten()
        .flatten()
        .filter(|d| !d.is_empty())
        .collect();

    let setup = format!(
        "`cogadmin setup --user-pool-id {} --client-id {} --managed-login {}{}`",
        t.user_pool_id,
        t.client_id,
        domains.first().copied().unwrap_or("PREFIX"),
        t.settings
            .identity_provider
            .as_ref()
            .map(|p| format!(" --identity-provider {}", p.value))
            .unwrap_or_default()
    );
    let oauth = &client.oauth;
    let redirect_uri = &t.settings.redirect_uri.value;
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    let mut needs_setup = false;
    if domains.is_empty() {
        needs_setup = true;
        problems.push(format!(
            "user pool `{}` has no domain, so it serves no managed login",
            t.user_pool_id
        ));
    }
    if !oauth.callback_urls.contains(redirect_uri) {
        needs_setup = true;
        if let Some(listed) = oauth.callback_urls.first() {
            fixes.push(format!(
                "or use a callback it lists: `cogauth configure --profile {} --redirect-uri {}`",
                t.profile,
                shell_word(listed)
            ));
        }
        problems.push(format!(
            "app client `{}` does not list `redirect_uri` {redirect_uri} among its callback \
             URLs ({}); Cognito matches it exactly, port included",
            client.name,
            match oauth.callback_urls.is_empty() {
                true => "it lists none".to_owned(),
                false => format!("it lists {}", oauth.callback_urls.join(", ")),
            }
        ));
    }
    if !oauth.enabled || !oauth.code_flow {
        needs_setup = true;
        problems.push(format!(
            "app client `{}` does not allow the authorization code flow (OAuth {}, flows {})",
            client.name,
            if oauth.enabled { "on" } else { "off" },
            if oauth.code_flow {
                "include code"
            } else {
                "lack code"
            }
        ));
    }
    let missing_scopes: Vec<&str> = t
        .settings
        .oauth_scopes
        .value
        .split(' ')
        .filter(|s| !s.is_empty() && !oauth.scopes.iter().any(|have| have == s))
        .collect();
    if !missing_scopes.is_empty() {
        let defaults: Vec<&str> = DEFAULT_OAUTH_SCOPES.split(' ').collect();
        if missing_scopes.iter().all(|s| defaults.contains(s)) {
            needs_setup = true;
        } else {
            let allowed: Vec<&str> = t
                .settings
                .oauth_scopes
                .value
                .split(' ')
                .filter(|s| !s.is_empty() && !missing_scopes.contains(s))
                .collect();
            fixes.push(format!(
                "allow {} on the app client in the Cognito console (App integration > App \
                 client > Login pages), or ask only for what it allows: `cogauth configure \
                 --profile {} --oauth-scopes {}`",
                missing_scopes.join(" "),
                t.profile,
                shell_word(&allowed.join(" "))
            ));
        }
        problems.push(format!(
            "app client `{}` does not allow the scopes {} that `oauth_scopes` asks for",
            client.name,
            missing_scopes.join(" ")
        ));
    }
    match &t.settings.identity_provider {
        Some(wanted) if !oauth.providers.contains(&wanted.value) => {
            needs_setup = true;
            fixes.push(format!(
                "or sign in through one it offers: `cogauth configure --profile {} \
                 --identity-provider NAME`",
                t.profile
            ));
            problems.push(format!(
                "app client `{}` does not offer the identity provider `{}` that \
                 `identity_provider` names ({})",
                client.name,
                wanted.value,
                match oauth.providers.is_empty() {
                    true => "it offers none".to_owned(),
                    false => format!("it offers {}", oauth.providers.join(", ")),
                }
            ));
        }
        // Without one, the sign-in page offers what the client lists: it must list something.
        None if oauth.providers.is_empty() => {
            needs_setup = true;
            problems.push(format!(
                "app client `{}` offers no identity provider, not even the pool's own users \
                 ({COGNITO_PROVIDER})",
                client.name
            ));
        }
        _ => {}
    }
    if problems.is_empty() {
        return Outcome::Pass;
    }
    if needs_setup {
        fixes.insert(
            0,
            format!(
                "run {setup}: it creates the domain if there is none and adds the callback URL, \
                 the code flow, cogauth's scopes and the identity provider to the app client, \
                 removing nothing (or set them in the Cognito console: App integration)"
            ),
        );
    }
    fail(problems.join("; "), fixes.join("; "))
}
