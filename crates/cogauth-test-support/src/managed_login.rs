//! Browser sign-in fixtures: a user pool with a domain (which the emulator serves as managed
//! login, see docs/emulator.md), an app client set up for the authorization code flow with a
//! loopback callback, an optional federated identity provider; and the browser drivers of
//! `browsers/` with their result files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider as idp;
use idp::types::{ExplicitAuthFlowsType, IdentityProviderTypeType, OAuthFlowType};

use crate::fixtures::{self, Pool, identity_client, idp_client, unique};
use crate::{emulator, harness};

/// The scopes test clients allow (the browser flow's default asks for all of them).
pub const SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// Options for [`create`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub with_client_secret: bool,
    /// An OIDC identity provider of this name, listed on the client next to COGNITO.
    pub identity_provider: Option<String>,
}

/// A pool served as managed login, and what a profile needs to sign in to it.
#[derive(Debug, Clone)]
pub struct ManagedLoginPool {
    pub pool: Pool,
    /// The user pool domain (its prefix).
    pub domain: String,
    /// `managed_login_url` for a profile: the emulator's base URL of the domain.
    pub base_url: String,
    /// `http://localhost:<port>/callback`, the client's one callback and sign-out URL.
    pub redirect_uri: String,
    pub port: u16,
}

/// A loopback port that was free a moment ago (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A pool with a domain, an app client allowed the code flow with `SCOPES` and a callback on a
/// free loopback port, an identity pool linked to it and an authenticated role.
pub async fn create(opts: Options) -> ManagedLoginPool {
    let idp = idp_client().await;
    let user_pool_id = idp
        .create_user_pool()
        .pool_name(unique("mlpool"))
        .send()
        .await
        .expect("CreateUserPool")
        .user_pool()
        .and_then(|p| p.id())
        .expect("pool id")
        .to_owned();
    let domain = unique("cogauth").to_lowercase();
    idp.create_user_pool_domain()
        .user_pool_id(&user_pool_id)
        .domain(&domain)
        .send()
        .await
        .expect("CreateUserPoolDomain");
    let mut providers = vec!["COGNITO".to_owned()];
    if let Some(name) = &opts.identity_provider {
        idp.create_identity_provider()
            .user_pool_id(&user_pool_id)
            .provider_name(name)
            .provider_type(IdentityProviderTypeType::Oidc)
            .provider_details("client_id", "corp-client")
            .provider_details("client_secret", "corp-secret")
            .provider_details("authorize_scopes", "openid email")
            .provider_details("oidc_issuer", "https://idp.example.com")
            .provider_details("attributes_request_method", "GET")
            .attribute_mapping("email", "email")
            .attribute_mapping("name", "name")
            .attribute_mapping("username", "sub")
            .send()
            .await
            .expect("CreateIdentityProvider");
        providers.push(name.clone());
    }
    let port = free_port();
    let redirect_uri = format!("http://localhost:{port}/callback");
    let mut client = idp
        .create_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_name(unique("mlclient"))
        .generate_secret(opts.with_client_secret)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .callback_urls(&redirect_uri)
        .logout_urls(&redirect_uri)
        .enable_token_revocation(true)
        .set_supported_identity_providers(Some(providers));
    for scope in SCOPES {
        client = client.allowed_o_auth_scopes(*scope);
    }
    let client = client.send().await.expect("CreateUserPoolClient");
    let client = client.user_pool_client().expect("client");
    let client_id = client.client_id().expect("client id").to_owned();
    let client_secret = client.client_secret().map(str::to_owned);

    let identity_pool_id = fixtures::create_identity_pool(&user_pool_id, &client_id, false).await;
    let role_arn = fixtures::create_authenticated_role(&identity_pool_id).await;
    identity_client()
        .await
        .set_identity_pool_roles()
        .identity_pool_id(&identity_pool_id)
        .roles("authenticated", &role_arn)
        .send()
        .await
        .expect("SetIdentityPoolRoles");
    ManagedLoginPool {
        base_url: format!("{}/managed-login/{domain}", emulator().endpoint()),
        pool: Pool {
            user_pool_id,
            client_id,
            client_secret,
            identity_pool_id,
            role_arn,
        },
        domain,
        redirect_uri,
        port,
    }
}

/// What the domain's endpoints received and answered (`GET /cogauth-test/managed-login/log`):
/// `authorize`, `login`, `token`, `revoke`, `logout`, `userinfo`, each a list of entries.
pub fn log(domain: &str) -> serde_json::Value {
    let url = format!(
        "{}/cogauth-test/managed-login/log?domain={domain}",
        emulator().endpoint()
    );
    std::thread::spawn(move || {
        reqwest::blocking::get(&url)
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    })
    .join()
    .expect("read the managed login log")
}

fn browsers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browsers")
}

/// `$BROWSER` for the scripted driver (python3, standard library).
pub fn scripted_browser() -> String {
    browsers_dir()
        .join("scripted_browser.py")
        .display()
        .to_string()
}

/// `$BROWSER` for the real headless chromium, driven by selenium from the emulator's venv.
pub fn chromium_browser() -> String {
    format!(
        "{} {}",
        harness::venv_dir().join("bin/python").display(),
        browsers_dir().join("chromium_browser.py").display()
    )
}

/// Waits for a driver's result file (`COGAUTH_BROWSER_RESULT`), at most `limit`: the drivers
/// work on after cogauth has returned, so the file may come a moment later.
pub fn wait_for_result(path: &Path, limit: Duration) -> serde_json::Value {
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(value) = serde_json::from_str(&text)
        {
            return value;
        }
        assert!(
            started.elapsed() < limit,
            "the browser driver wrote no result to {} within {limit:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Makes the terminal sign-ins of `username` through app client `client_id` end with the
/// challenge `name` (e.g. WEB_AUTHN) instead of tokens: see `unanswerable_challenges.py`.
pub fn require_challenge(client_id: &str, username: &str, name: &str) {
    let url = format!(
        "{}/cogauth-test/challenge?client_id={client_id}&username={username}&challenge={name}",
        emulator().endpoint()
    );
    std::thread::spawn(move || {
        reqwest::blocking::Client::new()
            .post(&url)
            .send()
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    })
    .join()
    .expect("mark the challenge");
}
