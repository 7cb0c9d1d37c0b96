//! `cogadmin setup --managed-login PREFIX`: the user pool domain and the app client's OAuth
//! settings for browser sign-in, with a dry run, idempotence, an existing client's settings
//! kept, the refusals, and a browser sign-in through what it set up.

use aws_sdk_cognitoidentityprovider::types::{IdentityProviderTypeType, OAuthFlowType};
use cogauth_test_support::{emulator, fixtures, managed_login};

use crate::{Admin, setup_from_zero, unique_name};

const PASSWORD: &str = "Browser-Passw0rd!";

/// A domain prefix unique to this run (lower case, no underscores).
pub(crate) fn unique_prefix() -> String {
    fixtures::unique("ml").to_lowercase()
}

async fn client_of(
    user_pool_id: &str,
    client_id: &str,
) -> aws_sdk_cognitoidentityprovider::types::UserPoolClientType {
    fixtures::idp_client()
        .await
        .describe_user_pool_client()
        .user_pool_id(user_pool_id)
        .client_id(client_id)
        .send()
        .await
        .expect("DescribeUserPoolClient")
        .user_pool_client()
        .cloned()
        .expect("client")
}

async fn domain_of(user_pool_id: &str) -> Option<String> {
    fixtures::idp_client()
        .await
        .describe_user_pool()
        .user_pool_id(user_pool_id)
        .send()
        .await
        .expect("DescribeUserPool")
        .user_pool()
        .and_then(|p| p.domain())
        .map(str::to_owned)
}

async fn add_oidc_provider(user_pool_id: &str, name: &str) {
    fixtures::idp_client()
        .await
        .create_identity_provider()
        .user_pool_id(user_pool_id)
        .provider_name(name)
        .provider_type(IdentityProviderTypeType::Oidc)
        .provider_details("client_id", "corp-client")
        .provider_details("client_secret", "corp-secret")
        .provider_details("authorize_scopes", "openid email")
        .provider_details("oidc_issuer", "https://idp.example.com")
        .provider_details("attributes_request_method", "GET")
        .attribute_mapping("username", "sub")
        .send()
        .await
        .expect("CreateIdentityProvider");
}

#[tokio::test]
async fn managed_login_makes_the_domain_and_the_clients_oauth_settings_once() {
    let admin = Admin::new();
    let (_, _, first) = setup_from_zero(&admin, &[]);
    let user_pool_id = admin.recorded("user_pool_id");
    let client_id = admin.recorded("client_id");
    add_oidc_provider(&user_pool_id, "CorpIdP").await;
    let prefix = unique_prefix();
    assert_eq!(first.action_of("app client"), "created");
    assert!(!first.stdout.contains("OAuth settings"), "{}", first.stdout);

    // A dry run says what it would do, and does nothing.
    let dry = admin.ok(&[
        "setup",
        "--managed-login",
        &prefix,
        "--identity-provider",
        "CorpIdP",
        "--dry-run",
    ]);
    assert_eq!(
        dry.action_of("user pool domain"),
        "would create",
        "{}",
        dry.stdout
    );
    assert_eq!(
        dry.action_of("OAuth settings"),
        "would update",
        "{}",
        dry.stdout
    );
    for detail in [
        "allow the authorization code flow",
        "allow scopes openid email profile aws.cognito.signin.user.admin",
        "add callback URL http://localhost:28435/callback",
        "add sign-out URL http://localhost:28435/callback",
        "offer identity providers COGNITO, CorpIdP",
    ] {
        assert!(dry.stdout.contains(detail), "{detail}:\n{}", dry.stdout);
    }
    assert_eq!(
        domain_of(&user_pool_id).await,
        None,
        "a dry run changes nothing"
    );
    assert!(
        client_of(&user_pool_id, &client_id)
            .await
            .callback_urls()
            .is_empty()
    );

    let run = admin.ok(&[
        "setup",
        "--managed-login",
        &prefix,
        "--identity-provider",
        "CorpIdP",
        "--write-profile",
        "work",
    ]);
    assert_eq!(
        run.action_of("user pool domain"),
        "created",
        "{}",
        run.stdout
    );
    assert_eq!(run.action_of("OAuth settings"), "updated", "{}", run.stdout);
    assert_eq!(
        domain_of(&user_pool_id).await.as_deref(),
        Some(prefix.as_str())
    );
    let client = client_of(&user_pool_id, &client_id).await;
    assert_eq!(client.allowed_o_auth_flows_user_pool_client(), Some(true));
    assert_eq!(client.allowed_o_auth_flows(), [OAuthFlowType::Code]);
    assert_eq!(
        client.allowed_o_auth_scopes(),
        [
            "openid",
            "email",
            "profile",
            "aws.cognito.signin.user.admin"
        ]
    );
    assert_eq!(client.callback_urls(), ["http://localhost:28435/callback"]);
    assert_eq!(client.logout_urls(), ["http://localhost:28435/callback"]);
    assert_eq!(
        client.supported_identity_providers(),
        ["COGNITO", "CorpIdP"]
    );
    assert_eq!(client.enable_token_revocation(), Some(true));
    assert!(
        client.explicit_auth_flows().len() >= 3,
        "the auth flows survive the update: {:?}",
        client.explicit_auth_flows()
    );

    // The profile it wrote signs in through the browser, and the command says so.
    let config: toml::Table = admin
        .home
        .read(".config/cogauth/config.toml")
        .parse()
        .unwrap();
    let profile = &config["profiles"]["work"];
    let url = format!("https://{prefix}.auth.us-east-1.amazoncognito.com");
    assert_eq!(profile["managed_login_url"].as_str(), Some(url.as_str()));
    assert_eq!(
        profile["redirect_uri"].as_str(),
        Some("http://localhost:28435/callback")
    );
    assert_eq!(profile["auth_flow"].as_str(), Some("browser"));
    assert!(
        run.stdout
            .contains(&format!("--auth-flow browser --managed-login-url {url}")),
        "{}",
        run.stdout
    );

    // Again: nothing changes.
    let again = admin.ok(&[
        "setup",
        "--managed-login",
        &prefix,
        "--identity-provider",
        "CorpIdP",
        "--write-profile",
        "work",
    ]);
    assert_eq!(
        again.action_of("user pool domain"),
        "unchanged",
        "{}",
        again.stdout
    );
    assert_eq!(
        again.action_of("OAuth settings"),
        "unchanged",
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);
    assert!(
        again.stdout.contains("already up to date"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn an_existing_clients_settings_are_kept_and_refusals_say_why() {
    let pool = fixtures::create_pool(fixtures::PoolOptions::default()).await;
    let idp = fixtures::idp_client().await;
    // The client already has an app's callback, scope and provider: they stay.
    let current = client_of(&pool.user_pool_id, &pool.client_id).await;
    idp.update_user_pool_client()
        .user_pool_id(&pool.user_pool_id)
        .client_id(&pool.client_id)
        .set_client_name(current.client_name().map(str::to_owned))
        .set_explicit_auth_flows(Some(current.explicit_auth_flows().to_vec()))
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("phone")
        .callback_urls("https://app.example.com/callback")
        .supported_identity_providers("COGNITO")
        .send()
        .await
        .expect("UpdateUserPoolClient");
    let admin = Admin::new();
    let prefix = unique_prefix();
    let identity_pool_name = unique_name("MlIdp");
    let given = [
        "--user-pool-id",
        pool.user_pool_id.as_str(),
        "--client-id",
        pool.client_id.as_str(),
        "--identity-pool-name",
        &identity_pool_name,
    ];

    // The pool and client are not cogadmin's: giving them a domain and OAuth settings is a
    // change, refused without --adopt, and nothing changes.
    let mut args = vec!["setup"];
    args.extend_from_slice(&given);
    args.extend(["--managed-login", &prefix]);
    let refused = admin.fails(&args);
    assert!(
        refused
            .stderr
            .contains("cogadmin did not create these resources")
            && refused.stderr.contains("would give it the domain")
            && refused.stderr.contains("--adopt"),
        "{}",
        refused.stderr
    );
    assert_eq!(domain_of(&pool.user_pool_id).await, None);
    assert_eq!(
        client_of(&pool.user_pool_id, &pool.client_id)
            .await
            .callback_urls(),
        ["https://app.example.com/callback"]
    );

    let mut ids = given.to_vec();
    ids.push("--adopt");

    // A provider the pool does not have is refused before anything changes.
    let mut args = vec!["setup"];
    args.extend_from_slice(&ids);
    args.extend([
        "--managed-login",
        &prefix,
        "--identity-provider",
        "NoSuchIdP",
    ]);
    let refused = admin.fails(&args);
    assert!(
        refused
            .stderr
            .contains("identity provider `NoSuchIdP` does not exist"),
        "{}",
        refused.stderr
    );
    assert_eq!(domain_of(&pool.user_pool_id).await, None);
    // So is a prefix Cognito would refuse.
    let mut args = vec!["setup"];
    args.extend_from_slice(&ids);
    args.extend(["--managed-login", "My_App"]);
    let refused = admin.fails(&args);
    assert!(
        refused.stderr.contains("domain prefix `My_App`"),
        "{}",
        refused.stderr
    );

    let mut args = vec!["setup"];
    args.extend_from_slice(&ids);
    args.extend(["--managed-login", &prefix]);
    let run = admin.ok(&args);
    assert_eq!(run.action_of("OAuth settings"), "updated", "{}", run.stdout);
    let client = client_of(&pool.user_pool_id, &pool.client_id).await;
    assert_eq!(
        client.callback_urls(),
        [
            "https://app.example.com/callback",
            "http://localhost:28435/callback"
        ]
    );
    assert_eq!(
        client.allowed_o_auth_scopes(),
        [
            "openid",
            "phone",
            "email",
            "profile",
            "aws.cognito.signin.user.admin"
        ]
    );
    assert_eq!(client.supported_identity_providers(), ["COGNITO"]);

    // The pool has a domain now: another prefix is refused, naming the one it has.
    let mut args = vec!["setup"];
    args.extend_from_slice(&ids);
    let other = unique_prefix();
    args.extend(["--managed-login", &other]);
    let refused = admin.fails(&args);
    assert!(
        refused
            .stderr
            .contains(&format!("already has the domain `{prefix}`")),
        "{}",
        refused.stderr
    );
    // And a prefix that another pool holds is not taken.
    let other_pool = fixtures::create_pool(fixtures::PoolOptions::default()).await;
    let mut args = vec![
        "setup",
        "--user-pool-id",
        &other_pool.user_pool_id,
        "--client-id",
        &other_pool.client_id,
        "--adopt",
        "--identity-pool-name",
    ];
    let name = unique_name("MlIdp");
    args.extend([name.as_str(), "--managed-login", &prefix]);
    let refused = admin.fails(&args);
    assert!(
        refused.stderr.contains(&format!(
            "`{prefix}` belongs to user pool `{}`",
            pool.user_pool_id
        )),
        "{}",
        refused.stderr
    );
}

#[tokio::test]
async fn a_user_signs_in_in_the_browser_through_what_setup_made() {
    let admin = Admin::new();
    let prefix = unique_prefix();
    let port = managed_login::free_port();
    let redirect_uri = format!("http://localhost:{port}/callback");
    let (_, _, run) = setup_from_zero(
        &admin,
        &[
            "--managed-login",
            &prefix,
            "--redirect-uri",
            &redirect_uri,
            "--write-profile",
            "work",
        ],
    );
    assert_eq!(
        run.action_of("user pool domain"),
        "created",
        "{}",
        run.stdout
    );
    let user_pool_id = admin.recorded("user_pool_id");
    let idp = fixtures::idp_client().await;
    idp.admin_create_user()
        .user_pool_id(&user_pool_id)
        .username("bo")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("AdminCreateUser");
    idp.admin_set_user_password()
        .user_pool_id(&user_pool_id)
        .username("bo")
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .expect("AdminSetUserPassword");

    // The profile names Cognito's domain; the emulator serves it under its own URL.
    let base = format!("{}/managed-login/{prefix}", emulator().endpoint());
    let result = admin.home.join("browser-result.json");
    let out = admin
        .home
        .command(crate::end_to_end::cogauth_binary())
        .args([
            "login",
            "--profile",
            "work",
            "-u",
            "bo",
            "--managed-login-url",
            &base,
        ])
        .env("BROWSER", managed_login::scripted_browser())
        .env("COGAUTH_BROWSER_PASSWORD", PASSWORD)
        .env("COGAUTH_BROWSER_RESULT", &result)
        .output()
        .expect("cogauth login");
    assert!(
        out.status.success(),
        "cogauth login failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let browser = managed_login::wait_for_result(&result, std::time::Duration::from_secs(60));
    assert_eq!(browser["outcome"], "called_back", "{browser}");
    assert!(admin.home.read(".aws/credentials").contains("[work]"));
}
