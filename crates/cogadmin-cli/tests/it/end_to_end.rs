//! From nothing to a working AWS identity: `cogadmin setup --create-user-pool --write-profile`,
//! `cogadmin user create`, a login as that user with the written profile, and
//! `aws sts get-caller-identity` with the credentials it gave.

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use cogauth_test_support::{ACCOUNT_ID, emulator, fixtures};

use crate::{Admin, unique_name};

const PASSWORD: &str = "Alice-Passw0rd!";

/// The ids of a cogauth profile, read from the user config `cogadmin` wrote.
struct Profile {
    user_pool_id: String,
    client_id: String,
    identity_pool_id: String,
    region: String,
}

fn written_profile(admin: &Admin, name: &str) -> Profile {
    let config: toml::Table = admin
        .home
        .read(".config/cogauth/config.toml")
        .parse()
        .expect("the written config is TOML");
    let profile = &config["profiles"][name];
    let get = |key: &str| {
        profile[key]
            .as_str()
            .unwrap_or_else(|| panic!("profile `{name}` has no {key}"))
            .to_owned()
    };
    Profile {
        user_pool_id: get("user_pool_id"),
        client_id: get("client_id"),
        identity_pool_id: get("identity_pool_id"),
        region: get("region"),
    }
}

/// STAND-IN for `cogauth login --profile P` (being built elsewhere): the same three public
/// calls, made through the SDK with the profile's ids. Replace the call site with the real
/// binary once it exists; the assertions around it stay.
async fn login_through_the_sdk_standin_for_cogauth_login(
    profile: &Profile,
    username: &str,
    password: &str,
) -> (String, String, String) {
    let tokens = fixtures::idp_client()
        .await
        .initiate_auth()
        .client_id(&profile.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .expect("InitiateAuth as the new user");
    let id_token = tokens
        .authentication_result()
        .and_then(|r| r.id_token())
        .expect("an ID token, no challenge")
        .to_owned();
    let provider = format!(
        "cognito-idp.{}.amazonaws.com/{}",
        profile.region, profile.user_pool_id
    );
    let identity = fixtures::identity_client().await;
    let id = identity
        .get_id()
        .identity_pool_id(&profile.identity_pool_id)
        .logins(&provider, &id_token)
        .send()
        .await
        .expect("GetId");
    let credentials = identity
        .get_credentials_for_identity()
        .identity_id(id.identity_id().expect("identity id"))
        .logins(&provider, &id_token)
        .send()
        .await
        .expect("GetCredentialsForIdentity");
    let c = credentials.credentials().expect("credentials");
    (
        c.access_key_id().expect("key id").to_owned(),
        c.secret_key().expect("secret").to_owned(),
        c.session_token().expect("token").to_owned(),
    )
}

#[tokio::test]
async fn setup_then_create_a_user_then_log_in_and_call_aws() {
    let admin = Admin::new();
    let pool_name = unique_name("e2e");
    let identity_pool_name = unique_name("E2eIdp");
    let setup = admin.ok(&[
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &identity_pool_name,
        "--write-profile",
        "team",
    ]);
    assert!(
        setup.stdout.contains("wrote profile `team`"),
        "{}",
        setup.stdout
    );

    // The user goes into the pool setup recorded: no --user-pool-id needed.
    let created = admin.ok_with_stdin(
        &["user", "create", "alice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(created.action_of("user"), "created", "{}", created.stdout);

    let profile = written_profile(&admin, "team");
    assert_eq!(profile.user_pool_id, admin.recorded("user_pool_id"));
    assert_eq!(profile.identity_pool_id, admin.recorded("identity_pool_id"));
    let (key, secret, token) =
        login_through_the_sdk_standin_for_cogauth_login(&profile, "alice", PASSWORD).await;

    // The pinned AWS CLI, with only the login's credentials.
    let out = admin
        .home
        .command(emulator().aws_cli())
        .env("AWS_ACCESS_KEY_ID", &key)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env("AWS_SESSION_TOKEN", &token)
        .env("AWS_DEFAULT_REGION", &profile.region)
        .args(["sts", "get-caller-identity", "--output", "json"])
        .output()
        .expect("run the AWS CLI");
    assert!(
        out.status.success(),
        "aws sts get-caller-identity failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON from the AWS CLI");
    assert_eq!(me["Account"], ACCOUNT_ID);
    assert!(
        me["Arn"]
            .as_str()
            .is_some_and(|a| a.starts_with("arn:aws:")),
        "{me}"
    );
}
