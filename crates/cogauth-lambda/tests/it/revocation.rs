//! The proxy honours revocation: a session that was revoked (RevokeToken, which `cogauth
//! logout` calls), signed out everywhere (AdminUserGlobalSignOut) or whose user was disabled
//! (AdminDisableUser) is refused, although its tokens still verify until they expire. Real
//! logins on the emulator, the real handler, GetUser on the emulator (whose RevokeToken the
//! harness extends to kill the access tokens of the refresh token, as AWS does).

use cogauth_lambda::Deps;
use cogauth_test_support::fixtures;
use serde_json::json;

use crate::common::moto::{self, LoggedIn};
use crate::common::split_answer;

async fn global_sign_out(user: &LoggedIn) {
    fixtures::idp_client()
        .await
        .admin_user_global_sign_out()
        .user_pool_id(&user.pool.user_pool_id)
        .username(&user.username)
        .send()
        .await
        .expect("AdminUserGlobalSignOut");
}

async fn status(deps: &Deps, request: serde_json::Value) -> (u64, serde_json::Value) {
    split_answer(&cogauth_lambda::handle_json(request, deps).await)
}

/// A logged-in user and a proxy for their pool, with `extra` proxy settings.
async fn setup(extra: &[(&str, &str)]) -> (LoggedIn, Deps) {
    let user = moto::login().await;
    let key = moto::proxy_key().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let config = moto::config_for(&user, &role_arn, &key.secret_arn, extra);
    let deps = moto::deps(config, cogauth_test_support::emulator().endpoint()).await;
    (user, deps)
}

#[tokio::test]
async fn a_revoked_refresh_token_takes_its_session_with_it() {
    let (user, deps) = setup(&[]).await;
    // Another sign-in of the same user: a session of its own, which must survive.
    let other = user.sign_in_again().await;
    assert_eq!(status(&deps, user.request()).await.0, 200, "before");
    assert_eq!(status(&deps, other.request()).await.0, 200, "before");

    fixtures::idp_client()
        .await
        .revoke_token()
        .token(&user.refresh_token)
        .client_id(&user.pool.client_id)
        .send()
        .await
        .expect("RevokeToken");

    let (code, body) = status(&deps, user.request()).await;
    assert_eq!(
        (code, body),
        (401, json!({"error": "unauthorized"})),
        "the same tokens after RevokeToken"
    );
    assert_eq!(
        status(&deps, other.request()).await.0,
        200,
        "the user's other session is not revoked"
    );
}

#[tokio::test]
async fn a_global_sign_out_is_honoured() {
    let (user, deps) = setup(&[]).await;
    assert_eq!(status(&deps, user.request()).await.0, 200);
    global_sign_out(&user).await;
    assert_eq!(status(&deps, user.request()).await.0, 401);
}

#[tokio::test]
async fn a_disabled_user_is_refused() {
    let (user, deps) = setup(&[]).await;
    assert_eq!(status(&deps, user.request()).await.0, 200);
    fixtures::idp_client()
        .await
        .admin_disable_user()
        .user_pool_id(&user.pool.user_pool_id)
        .username(&user.username)
        .send()
        .await
        .expect("AdminDisableUser");
    assert_eq!(status(&deps, user.request()).await.0, 401);
}

#[tokio::test]
async fn the_id_token_alone_is_refused_when_the_access_token_is_required() {
    let (user, deps) = setup(&[("REQUIRE_ACCESS_TOKEN", "true")]).await;
    let (code, body) = status(&deps, json!({"id_token": user.id_token})).await;
    assert_eq!(code, 401);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("requires `access_token`"),
        "{body}"
    );
}

#[tokio::test]
async fn with_the_setting_off_old_clients_still_work_and_new_ones_are_checked() {
    let (user, deps) = setup(&[("REQUIRE_ACCESS_TOKEN", "false")]).await;
    let old_client = json!({"id_token": user.id_token});
    assert_eq!(status(&deps, old_client.clone()).await.0, 200);
    global_sign_out(&user).await;
    // The access token is checked whenever it is sent...
    assert_eq!(status(&deps, user.request()).await.0, 401);
    // ...and the ID token alone cannot be: the reason to turn the setting on.
    assert_eq!(status(&deps, old_client).await.0, 200);
}

#[tokio::test]
async fn tokens_of_different_sessions_are_refused() {
    let (user, deps) = setup(&[]).await;
    let again = user.sign_in_again().await;
    let stranger = moto::login_to(user.pool.clone()).await;
    // A second app client of the same pool, also allowed by the proxy.
    let second_client = fixtures::idp_client()
        .await
        .create_user_pool_client()
        .user_pool_id(&user.pool.user_pool_id)
        .client_name(fixtures::unique("second"))
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth,
        )
        .send()
        .await
        .expect("CreateUserPoolClient")
        .user_pool_client()
        .and_then(|c| c.client_id())
        .expect("client id")
        .to_owned();
    let (_, other_client_access, _) = moto::password_auth(&second_client, &user.username).await;
    let key = moto::proxy_key().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let clients = format!("{},{second_client}", user.pool.client_id);
    let config = moto::config_for(
        &user,
        &role_arn,
        &key.secret_arn,
        &[("CLIENT_IDS", &clients)],
    );
    let both_clients = moto::deps(config, cogauth_test_support::emulator().endpoint()).await;

    for (name, deps, access_token) in [
        ("another user's access token", &deps, &stranger.access_token),
        ("another sign-in's access token", &deps, &again.access_token),
        (
            "another app client's access token",
            &both_clients,
            &other_client_access,
        ),
    ] {
        let request = json!({"id_token": user.id_token, "access_token": access_token});
        let (code, body) = status(deps, request).await;
        assert_eq!(code, 401, "{name}: {body}");
    }
    // Each session's own pair still works.
    for session in [&user, &again, &stranger] {
        assert_eq!(status(&deps, session.request()).await.0, 200);
    }
}
