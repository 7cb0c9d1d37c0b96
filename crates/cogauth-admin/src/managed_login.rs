//! `cogadmin setup --managed-login PREFIX`: what browser sign-in (`auth_flow = "browser"`)
//! needs on the AWS side, made where missing.
//!
//! 1. the user pool's domain `https://PREFIX.auth.<region>.amazoncognito.com`, where Cognito
//!    serves the managed login pages and the OAuth endpoints;
//! 2. on the app client: the authorization code flow, the scopes browser sign-in asks for,
//!    cogauth's callback among its callback URLs (exactly: Cognito matches the port too) and its
//!    sign-out URLs (for `cogauth logout --browser`), the identity providers, and token
//!    revocation (for `cogauth logout`).
//!
//! Only additions: no URL, scope, flow or provider the client has is ever removed, and a pool
//! that has another domain is reported, never changed. The administrator asked for these
//! settings by giving `--managed-login`, so a client given by id is updated too (setup
//! otherwise only checks such a client).

use aws_sdk_cognitoidentityprovider as idp;
use aws_sdk_cognitoidentityprovider::types::{OAuthFlowType, UserPoolClientType};
use serde::Serialize;

use crate::plan::{Action, Plan, Resource, Step};
use crate::{AdminError, aws_error};
use cogauth_core::aws::{Service, error_code};
use cogauth_core::config::{DEFAULT_OAUTH_SCOPES, DEFAULT_REDIRECT_URI, ids};

/// The users of the pool itself, as app clients list them among their identity providers.
pub const COGNITO_PROVIDER: &str = "COGNITO";

/// What `--managed-login` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedLoginRequest {
    /// The domain prefix: `PREFIX.auth.<region>.amazoncognito.com`.
    pub domain_prefix: String,
    /// Identity providers of the pool (Google, a SAML or OIDC provider's name) the app client
    /// offers, besides the ones it lists already.
    pub identity_providers: Vec<String>,
    /// cogauth's callback (default [`DEFAULT_REDIRECT_URI`]).
    pub redirect_uri: String,
    /// Default: [`DEFAULT_OAUTH_SCOPES`].
    pub scopes: Vec<String>,
}

impl ManagedLoginRequest {
    /// The request with cogauth's default callback and scopes.
    pub fn new(domain_prefix: impl Into<String>, identity_providers: Vec<String>) -> Self {
        Self {
            domain_prefix: domain_prefix.into(),
            identity_providers,
            redirect_uri: DEFAULT_REDIRECT_URI.to_owned(),
            scopes: DEFAULT_OAUTH_SCOPES.split(' ').map(str::to_owned).collect(),
        }
    }
}

/// What a user's profile needs for browser sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedLoginOutcome {
    pub managed_login_url: String,
    pub redirect_uri: String,
}

/// The base URL of a prefix domain.
pub fn domain_url(prefix: &str, region: &str) -> String {
    format!("https://{prefix}.auth.{region}.amazoncognito.com")
}

/// Cognito's rule for domain prefixes: lower-case letters, digits and hyphens, 1 to 63,
/// neither starting nor ending with a hyphen, and without the reserved words.
pub fn validate_prefix(prefix: &str) -> Result<(), AdminError> {
    let shape = (1..=63).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !prefix.starts_with('-')
        && !prefix.ends_with('-');
    let reserved = ["aws", "amazon", "cognito"]
        .iter()
        .any(|word| prefix.contains(word));
    if shape && !reserved {
        return Ok(());
    }
    Err(AdminError::InvalidInput {
        what: "domain prefix",
        value: prefix.to_owned(),
        expected: "1 to 63 lower-case letters, digits and hyphens, not starting or ending with a \
                   hyphen, without `aws`, `amazon` or `cognito`"
            .to_owned(),
    })
}

/// Checks the request before anything is read or changed.
pub fn validate(request: &ManagedLoginRequest) -> Result<(), AdminError> {
    validate_prefix(&request.domain_prefix)?;
    if !ids::is_redirect_uri(&request.redirect_uri) {
        return Err(AdminError::InvalidInput {
            what: "redirect URI",
            value: request.redirect_uri.clone(),
            expected: "an http(s) URL without a fragment, e.g. http://localhost:28435/callback"
                .to_owned(),
        });
    }
    for name in &request.identity_providers {
        if !ids::is_identity_provider(name) {
            return Err(AdminError::InvalidInput {
                what: "identity provider name",
                value: name.clone(),
                expected: "1 to 32 characters without spaces, e.g. Google".to_owned(),
            });
        }
    }
    Ok(())
}

/// Makes the domain and the app client's OAuth settings; `user_pool_id` and `client_id` are
/// `None` only in a dry run that would create them.
pub(crate) async fn ensure(
    client: &idp::Client,
    region: &str,
    user_pool_id: Option<&str>,
    client_id: Option<&str>,
    request: &ManagedLoginRequest,
    dry_run: bool,
    plan: &mut Plan,
) -> Result<ManagedLoginOutcome, AdminError> {
    let url = domain_url(&request.domain_prefix, region);
    let outcome = ManagedLoginOutcome {
        managed_login_url: url.clone(),
        redirect_uri: request.redirect_uri.clone(),
    };
    let Some(user_pool_id) = user_pool_id else {
        plan.push(
            Step::new(
                Resource::UserPoolDomain,
                &request.domain_prefix,
                Action::WouldCreate,
            )
            .with_id(&url),
        );
        plan.push(
            Step::new(
                Resource::OAuthSettings,
                "the new app client",
                Action::WouldUpdate,
            )
            .with_details(wanted_details(request)),
        );
        return Ok(outcome);
    };
    // Refusals first: nothing is made for a request that cannot be finished.
    check_providers(client, user_pool_id, request).await?;
    ensure_domain(client, user_pool_id, request, &url, dry_run, plan).await?;
    match client_id {
        Some(client_id) => {
            ensure_client_settings(client, user_pool_id, client_id, request, dry_run, plan).await?
        }
        None => plan.push(
            Step::new(
                Resource::OAuthSettings,
                "the new app client",
                Action::WouldUpdate,
            )
            .with_details(wanted_details(request)),
        ),
    }
    Ok(outcome)
}

async fn ensure_domain(
    client: &idp::Client,
    user_pool_id: &str,
    request: &ManagedLoginRequest,
    url: &str,
    dry_run: bool,
    plan: &mut Plan,
) -> Result<(), AdminError> {
    let prefix = &request.domain_prefix;
    let pool = client
        .describe_user_pool()
        .user_pool_id(user_pool_id)
        .send()
        .await
        .map_err(aws_error(
            Service::CognitoIdentityProvider,
            "DescribeUserPool",
        ))?;
    let current = pool
        .user_pool()
        .and_then(|p| p.domain())
        .filter(|d| !d.is_empty());
    match current {
        Some(domain) if domain == prefix => {
            plan.push(Step::new(Resource::UserPoolDomain, prefix, Action::Unchanged).with_id(url));
            return Ok(());
        }
        Some(domain) => {
            return Err(AdminError::PoolHasDomain {
                user_pool_id: user_pool_id.to_owned(),
                domain: domain.to_owned(),
                wanted: prefix.clone(),
            });
        }
        None => {}
    }
    // Domain prefixes are unique in a region: another pool's is not ours to take.
    let described = client
        .describe_user_pool_domain()
        .domain(prefix)
        .send()
        .await
        .map_err(aws_error(
            Service::CognitoIdentityProvider,
            "DescribeUserPoolDomain",
        ))?;
    if let Some(owner) = described
        .domain_description()
        .and_then(|d| d.user_pool_id())
        .filter(|owner| !owner.is_empty() && *owner != user_pool_id)
    {
        return Err(AdminError::DomainTaken {
            domain: prefix.clone(),
            owner: format!("user pool `{owner}`"),
        });
    }
    if !dry_run {
        client
            .create_user_pool_domain()
            .user_pool_id(user_pool_id)
            .domain(prefix)
            .send()
            .await
            .map_err(|e| match error_code(&e) {
                // Taken between the read and the write, or by another account.
                Some("InvalidParameterException" | "ResourceInUseException") => {
                    AdminError::DomainTaken {
                        domain: prefix.clone(),
                        owner: "another user pool, maybe of another account".to_owned(),
                    }
                }
                _ => aws_error(Service::CognitoIdentityProvider, "CreateUserPoolDomain")(e),
            })?;
    }
    plan.push(Step::new(Resource::UserPoolDomain, prefix, Action::create(dry_run)).with_id(url));
    Ok(())
}

/// Every provider named must exist in the pool: the client cannot list one that does not.
async fn check_providers(
    client: &idp::Client,
    user_pool_id: &str,
    request: &ManagedLoginRequest,
) -> Result<(), AdminError> {
    for name in &request.identity_providers {
        if name == COGNITO_PROVIDER {
            continue;
        }
        client
            .describe_identity_provider()
            .user_pool_id(user_pool_id)
            .provider_name(name)
            .send()
            .await
            .map_err(|e| match error_code(&e) {
                Some("ResourceNotFoundException") => AdminError::NotFound {
                    what: "identity provider",
                    name: name.clone(),
                    hint: format!(
                        " in user pool `{user_pool_id}`: create it first (Cognito console: Sign-in \
                         > Federated identity provider sign-in; or `aws cognito-idp \
                         create-identity-provider`), with the pool's domain as its redirect \
                         (`<managed login URL>/oauth2/idpresponse`)"
                    ),
                },
                _ => aws_error(Service::CognitoIdentityProvider, "DescribeIdentityProvider")(e),
            })?;
    }
    Ok(())
}

fn wanted_details(request: &ManagedLoginRequest) -> Vec<String> {
    let mut providers = vec![COGNITO_PROVIDER.to_owned()];
    providers.extend(request.identity_providers.iter().cloned());
    vec![
        "allow the authorization code flow".to_owned(),
        format!("allow scopes {}", request.scopes.join(" ")),
        format!("add callback and sign-out URL {}", request.redirect_uri),
        format!("offer identity providers {}", providers.join(", ")),
    ]
}

/// `have` with every item of `wanted` it lacks appended, and the ones that were added.
fn merged(have: &[String], wanted: &[String]) -> (Vec<String>, Vec<String>) {
    let added: Vec<String> = wanted
        .iter()
        .filter(|w| !have.contains(w))
        .cloned()
        .collect();
    let mut all = have.to_vec();
    all.extend(added.iter().cloned());
    (all, added)
}

async fn ensure_client_settings(
    client: &idp::Client,
    user_pool_id: &str,
    client_id: &str,
    request: &ManagedLoginRequest,
    dry_run: bool,
    plan: &mut Plan,
) -> Result<(), AdminError> {
    let described = client
        .describe_user_pool_client()
        .user_pool_id(user_pool_id)
        .client_id(client_id)
        .send()
        .await
        .map_err(aws_error(
            Service::CognitoIdentityProvider,
            "DescribeUserPoolClient",
        ))?;
    let current = described.user_pool_client().ok_or_else(|| {
        AdminError::bad_answer(
            Service::CognitoIdentityProvider,
            "DescribeUserPoolClient",
            "the answer has no app client",
        )
    })?;
    let name = current.client_name().unwrap_or(client_id).to_owned();
    let mut details = Vec::new();

    let oauth_on = current.allowed_o_auth_flows_user_pool_client() == Some(true);
    if !oauth_on {
        details.push("turn on OAuth for the app client".to_owned());
    }
    let mut flows = current.allowed_o_auth_flows().to_vec();
    if !flows.contains(&OAuthFlowType::Code) {
        flows.push(OAuthFlowType::Code);
        details.push("allow the authorization code flow".to_owned());
    }
    let (scopes, added) = merged(current.allowed_o_auth_scopes(), &request.scopes);
    if !added.is_empty() {
        details.push(format!("allow scopes {}", added.join(" ")));
    }
    let wanted_uri = [request.redirect_uri.clone()];
    let (callbacks, added) = merged(current.callback_urls(), &wanted_uri);
    if !added.is_empty() {
        details.push(format!("add callback URL {}", request.redirect_uri));
    }
    let (logouts, added) = merged(current.logout_urls(), &wanted_uri);
    if !added.is_empty() {
        details.push(format!("add sign-out URL {}", request.redirect_uri));
    }
    // A client that lists no provider yet gets the pool's own users too.
    let mut wanted_providers = Vec::new();
    if current.supported_identity_providers().is_empty() {
        wanted_providers.push(COGNITO_PROVIDER.to_owned());
    }
    wanted_providers.extend(request.identity_providers.iter().cloned());
    let (providers, added) = merged(current.supported_identity_providers(), &wanted_providers);
    if !added.is_empty() {
        details.push(format!("offer identity providers {}", added.join(", ")));
    }
    if current.enable_token_revocation() == Some(false) {
        details.push("turn on token revocation".to_owned());
    }

    if details.is_empty() {
        plan.push(Step::new(Resource::OAuthSettings, name, Action::Unchanged).with_id(client_id));
        return Ok(());
    }
    if !dry_run {
        update_oauth(
            client,
            user_pool_id,
            current,
            OAuth {
                flows,
                scopes,
                callbacks,
                logouts,
                providers,
            },
        )
        .await?;
    }
    plan.push(
        Step::new(Resource::OAuthSettings, name, Action::update(dry_run))
            .with_id(client_id)
            .with_details(details),
    );
    Ok(())
}

struct OAuth {
    flows: Vec<OAuthFlowType>,
    scopes: Vec<String>,
    callbacks: Vec<String>,
    logouts: Vec<String>,
    providers: Vec<String>,
}

/// The OAuth settings of `current` replaced by `oauth` (merged by the caller), token
/// revocation on, every other setting kept ([`crate::app_client`]).
async fn update_oauth(
    client: &idp::Client,
    user_pool_id: &str,
    current: &UserPoolClientType,
    oauth: OAuth,
) -> Result<(), AdminError> {
    crate::app_client::update_keeping(client, user_pool_id, current)
        .enable_token_revocation(true)
        .allowed_o_auth_flows_user_pool_client(true)
        .set_allowed_o_auth_flows(Some(oauth.flows))
        .set_allowed_o_auth_scopes(Some(oauth.scopes))
        .set_callback_urls(Some(oauth.callbacks))
        .set_logout_urls(Some(oauth.logouts))
        .set_supported_identity_providers(Some(oauth.providers))
        .send()
        .await
        .map_err(aws_error(
            Service::CognitoIdentityProvider,
            "UpdateUserPoolClient",
        ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_follow_cognitos_rule() {
        for good in ["myapp", "my-app-2", "a", &"x".repeat(63)] {
            assert!(validate_prefix(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "MyApp",
            "-app",
            "app-",
            "my_app",
            "my.app",
            "awsome",
            "amazonian",
            "mycognito",
            &"x".repeat(64),
        ] {
            assert!(validate_prefix(bad).is_err(), "{bad}");
        }
        assert_eq!(
            domain_url("myapp", "eu-west-1"),
            "https://myapp.auth.eu-west-1.amazoncognito.com"
        );
    }

    #[test]
    fn merging_only_adds() {
        let have = vec!["openid".to_owned(), "phone".to_owned()];
        let wanted = vec!["openid".to_owned(), "email".to_owned()];
        let (all, added) = merged(&have, &wanted);
        assert_eq!(all, ["openid", "phone", "email"]);
        assert_eq!(added, ["email"]);
        let request = ManagedLoginRequest::new("myapp", vec![]);
        assert_eq!(request.redirect_uri, "http://localhost:28435/callback");
        assert_eq!(
            request.scopes,
            [
                "openid",
                "email",
                "profile",
                "aws.cognito.signin.user.admin"
            ]
        );
        assert!(validate(&request).is_ok());
        let mut bad = request.clone();
        bad.identity_providers = vec!["Corp SSO".into()];
        assert!(validate(&bad).is_err());
    }
}
