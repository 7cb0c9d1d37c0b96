//! The user-pool stage against moto_server, through the real SDK over HTTP.
//!
//! What moto cannot check is covered elsewhere: it never verifies the SRP proof (a wrong
//! password gets tokens in the SRP flow; `srp_vectors.rs` checks the math), it does not check
//! SECRET_HASH in USER_PASSWORD_AUTH, and it never sends SELECT_MFA_TYPE (unit-tested in
//! `userpool::challenge`).

use crate::common;

use std::sync::Arc;

use base64::Engine as _;
use chrono::Duration;
use cogauth_core::clock::{Clock, SystemClock};
use cogauth_core::config::AuthFlow;
use cogauth_core::env::MapEnv;
use cogauth_core::userpool::{
    CognitoUserPool, LoginRequest, RefreshGrant, UserPoolConfig, UserPoolError, UserPoolSession,
    UserPoolStage,
};
use cogauth_test_support::fixtures::{self, Pool, PoolOptions};
use cogauth_test_support::{REGION, emulator};
use common::{Answer, Event, ScriptedPrompter, current_totp_code, wrong_totp_code};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

const PASSWORD: &str = "Corr3ct-Horse-Battery!";

static PLAIN_POOL: OnceCell<Pool> = OnceCell::const_new();
static SECRET_POOL: OnceCell<Pool> = OnceCell::const_new();
static MFA_POOL: OnceCell<Pool> = OnceCell::const_new();

/// No client secret, no MFA.
async fn plain_pool() -> &'static Pool {
    PLAIN_POOL
        .get_or_init(|| fixtures::create_pool(PoolOptions::default()))
        .await
}

/// An app client with a secret: moto checks SECRET_HASH for SRP, challenges and refresh.
async fn secret_pool() -> &'static Pool {
    SECRET_POOL
        .get_or_init(|| {
            fixtures::create_pool(PoolOptions {
                with_client_secret: true,
                ..PoolOptions::default()
            })
        })
        .await
}

/// MFA required (software token): a new user must enrol at first login.
async fn mfa_pool() -> &'static Pool {
    MFA_POOL
        .get_or_init(|| {
            fixtures::create_pool(PoolOptions {
                mfa_required: true,
                ..PoolOptions::default()
            })
        })
        .await
}

fn emulator_env() -> MapEnv {
    MapEnv::new().with("AWS_ENDPOINT_URL", emulator().endpoint())
}

fn config(pool: &Pool, auth_flow: AuthFlow) -> UserPoolConfig {
    UserPoolConfig {
        region: REGION.to_owned(),
        user_pool_id: pool.user_pool_id.clone(),
        client_id: pool.client_id.clone(),
        client_secret: pool.client_secret.clone().map(SecretString::from),
        auth_flow,
        preferred_challenge: None,
        custom_with_srp: false,
    }
}

fn stage(pool: &Pool, auth_flow: AuthFlow) -> CognitoUserPool {
    CognitoUserPool::new(
        config(pool, auth_flow),
        &emulator_env(),
        Arc::new(SystemClock),
    )
}

fn request(username: &str, password: &str, mfa_code: Option<String>) -> LoginRequest {
    LoginRequest {
        username: username.to_owned(),
        password: Some(SecretString::from(password.to_owned())),
        mfa_code,
        ..Default::default()
    }
}

async fn new_user(pool: &Pool) -> String {
    let username = fixtures::unique("user");
    fixtures::create_user(pool, &username, PASSWORD).await;
    username
}

/// The claims of a JWT, unverified (the identity stage verifies; here we only look).
fn claims(token: &SecretString) -> serde_json::Value {
    let payload = token
        .expose_secret()
        .split('.')
        .nth(1)
        .expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// Real ID and access tokens for `username` from `pool`, expiring in about an hour.
fn assert_tokens_for(session: &UserPoolSession, pool: &Pool, username: &str) {
    let id = claims(&session.tokens.id_token);
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["aud"], pool.client_id.as_str());
    assert_eq!(id["cognito:username"], username);
    assert!(
        id["iss"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{}", pool.user_pool_id))
    );
    assert_eq!(claims(&session.tokens.access_token)["token_use"], "access");
    assert!(session.tokens.refresh_token.is_some());
    assert_eq!(session.username, username);
    let left = session.tokens.expires_at - SystemClock.now();
    assert!(
        left > Duration::minutes(55) && left <= Duration::minutes(60),
        "{left}"
    );
}

async fn login(
    pool: &Pool,
    flow: AuthFlow,
    req: &LoginRequest,
    prompter: &ScriptedPrompter,
) -> Result<UserPoolSession, UserPoolError> {
    stage(pool, flow).login(req, prompter).await
}

#[tokio::test]
async fn srp_login_without_a_client_secret() {
    let pool = plain_pool().await;
    let user = new_user(pool).await;
    let prompter = ScriptedPrompter::silent();
    let session = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, None),
        &prompter,
    )
    .await
    .unwrap();
    assert_tokens_for(&session, pool, &user);
    assert_eq!(session.device_key, None);
    assert!(prompter.events().is_empty(), "{:?}", prompter.events());
}

#[tokio::test]
async fn srp_login_with_a_client_secret() {
    let pool = secret_pool().await;
    let user = new_user(pool).await;
    let session = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, None),
        &ScriptedPrompter::silent(),
    )
    .await
    .unwrap();
    assert_tokens_for(&session, pool, &user);

    // moto checks SECRET_HASH here, so the success above means it was right: a wrong
    // secret is refused.
    let mut wrong = config(pool, AuthFlow::Srp);
    wrong.client_secret = Some(SecretString::from("not-the-secret".to_owned()));
    let err = CognitoUserPool::new(wrong, &emulator_env(), Arc::new(SystemClock))
        .login(&request(&user, PASSWORD, None), &ScriptedPrompter::silent())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            UserPoolError::IncorrectCredentials | UserPoolError::ClientSecretRejected { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn password_flow_login() {
    for pool in [plain_pool().await, secret_pool().await] {
        let user = new_user(pool).await;
        let session = login(
            pool,
            AuthFlow::Password,
            &request(&user, PASSWORD, None),
            &ScriptedPrompter::silent(),
        )
        .await
        .unwrap();
        assert_tokens_for(&session, pool, &user);
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_give_the_same_error() {
    let pool = plain_pool().await;
    let user = new_user(pool).await;
    let wrong = login(
        pool,
        AuthFlow::Password,
        &request(&user, "Wr0ng-password!", None),
        &ScriptedPrompter::silent(),
    )
    .await
    .unwrap_err();
    let mut messages = vec![wrong.to_string()];
    assert!(
        matches!(wrong, UserPoolError::IncorrectCredentials),
        "{wrong:?}"
    );
    for flow in [AuthFlow::Password, AuthFlow::Srp] {
        let unknown = login(
            pool,
            flow,
            &request("nobody-by-this-name", PASSWORD, None),
            &ScriptedPrompter::silent(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(unknown, UserPoolError::IncorrectCredentials),
            "{unknown:?}"
        );
        messages.push(unknown.to_string());
    }
    assert!(
        messages
            .iter()
            .all(|m| m == "incorrect username or password"),
        "{messages:?}"
    );
    assert!(!messages.iter().any(|m| m.contains("Wr0ng")));
}

#[tokio::test]
async fn new_password_required_is_answered_and_the_new_password_works() {
    let pool = plain_pool().await;
    let user = fixtures::unique("newpw");
    fixtures::create_user_with_temporary_password(pool, &user, "Temp0rary-Pass!").await;
    let new_password = "Brand-N3w-Password!";
    let prompter = ScriptedPrompter::new([
        Answer::Text(new_password.to_owned()),
        Answer::Text("a typo".to_owned()),
        Answer::Text(new_password.to_owned()),
        Answer::Text(new_password.to_owned()),
    ]);
    let session = login(
        pool,
        AuthFlow::Srp,
        &request(&user, "Temp0rary-Pass!", None),
        &prompter,
    )
    .await
    .unwrap();
    assert_tokens_for(&session, pool, &user);
    assert_eq!(prompter.remaining(), 0);
    let secrets_asked = prompter
        .events()
        .iter()
        .filter(|e| matches!(e, Event::AskedSecret(_)))
        .count();
    assert_eq!(secrets_asked, 4, "{:?}", prompter.events());
    assert!(
        prompter
            .events()
            .iter()
            .any(|e| matches!(e, Event::Shown(m) if m.contains("do not match")))
    );

    // The password flow checks passwords on moto: the new one works, the old one does not.
    let again = login(
        pool,
        AuthFlow::Password,
        &request(&user, new_password, None),
        &ScriptedPrompter::silent(),
    )
    .await
    .unwrap();
    assert_tokens_for(&again, pool, &user);
    let old = login(
        pool,
        AuthFlow::Password,
        &request(&user, "Temp0rary-Pass!", None),
        &ScriptedPrompter::silent(),
    )
    .await
    .unwrap_err();
    assert!(matches!(old, UserPoolError::IncorrectCredentials));
}

#[tokio::test]
async fn a_new_password_the_policy_refuses_is_reported() {
    let pool = plain_pool().await;
    let user = fixtures::unique("weakpw");
    fixtures::create_user_with_temporary_password(pool, &user, "Temp0rary-Pass!").await;
    let prompter = ScriptedPrompter::new([
        Answer::Text("weak".to_owned()),
        Answer::Text("weak".to_owned()),
    ]);
    let err = login(
        pool,
        AuthFlow::Password,
        &request(&user, "Temp0rary-Pass!", None),
        &prompter,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, UserPoolError::NewPasswordRejected { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("weak"), "{err}");
}

async fn refresh_round_trip(pool: &Pool) {
    let user = new_user(pool).await;
    let stage = stage(pool, AuthFlow::Srp);
    let first = stage
        .login(&request(&user, PASSWORD, None), &ScriptedPrompter::silent())
        .await
        .unwrap();
    let refresh_token = first.tokens.refresh_token.clone().unwrap();
    let grant = RefreshGrant {
        username: first.username.clone(),
        refresh_token: refresh_token.clone(),
        device_key: None,
    };
    let answer = stage.refresh(&grant).await.unwrap();
    // The client does not rotate refresh tokens: the stage reports no new one, and the grant's
    // is the one to keep.
    assert!(answer.tokens.refresh_token.is_none());
    let refreshed = grant.renewed_by(answer);
    assert_tokens_for(&refreshed, pool, &user);
    assert_ne!(
        refreshed.tokens.id_token.expose_secret(),
        first.tokens.id_token.expose_secret()
    );
    assert!(first.sub.is_some(), "the ID token's sub is read");
    assert_eq!(refreshed.sub, first.sub, "the same user");
    assert_eq!(
        refreshed.tokens.refresh_token.unwrap().expose_secret(),
        refresh_token.expose_secret()
    );
}

#[tokio::test]
async fn refresh_without_a_client_secret() {
    refresh_round_trip(plain_pool().await).await;
}

#[tokio::test]
async fn refresh_with_a_client_secret() {
    let pool = secret_pool().await;
    refresh_round_trip(pool).await;

    // The client secret is checked on refresh: a wrong one is refused, and named.
    let user = new_user(pool).await;
    let session = stage(pool, AuthFlow::Srp)
        .login(&request(&user, PASSWORD, None), &ScriptedPrompter::silent())
        .await
        .unwrap();
    let mut wrong = config(pool, AuthFlow::Srp);
    wrong.client_secret = Some(SecretString::from("not-the-secret".to_owned()));
    let err = CognitoUserPool::new(wrong, &emulator_env(), Arc::new(SystemClock))
        .refresh(&RefreshGrant {
            username: session.username.clone(),
            refresh_token: session.tokens.refresh_token.clone().unwrap(),
            device_key: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, UserPoolError::ClientSecretRejected { .. }),
        "{err:?}"
    );
}

/// A pool whose app client rotates refresh tokens with no grace period.
async fn rotating_pool() -> &'static Pool {
    static ROTATING_POOL: OnceCell<Pool> = OnceCell::const_new();
    ROTATING_POOL
        .get_or_init(|| {
            fixtures::create_pool(PoolOptions {
                refresh_rotation_grace: Some(0),
                ..PoolOptions::default()
            })
        })
        .await
}

#[tokio::test]
async fn a_rotating_client_refreshes_with_get_tokens_and_the_old_token_dies() {
    let pool = rotating_pool().await;
    let user = new_user(pool).await;
    let stage = stage(pool, AuthFlow::Srp);
    let first = stage
        .login(&request(&user, PASSWORD, None), &ScriptedPrompter::silent())
        .await
        .unwrap();
    let grant = RefreshGrant {
        username: first.username.clone(),
        refresh_token: first.tokens.refresh_token.clone().unwrap(),
        device_key: None,
    };
    let before = emulator().get_tokens_calls(&pool.client_id);
    let answer = stage.refresh(&grant).await.unwrap();
    assert_eq!(emulator().get_tokens_calls(&pool.client_id), before + 1);
    assert_eq!(
        emulator().initiate_auth_calls(&pool.client_id, "REFRESH_TOKEN_AUTH"),
        0,
        "a rotating client is never asked for REFRESH_TOKEN_AUTH"
    );
    let rotated = answer
        .tokens
        .refresh_token
        .clone()
        .expect("a new refresh token");
    assert_ne!(rotated.expose_secret(), grant.refresh_token.expose_secret());
    assert_tokens_for(&answer, pool, &user);

    // Grace period 0: the old token is dead at once, by the error made for it.
    let err = stage.refresh(&grant).await.unwrap_err();
    assert!(matches!(err, UserPoolError::RefreshTokenReused), "{err:?}");
    assert!(err.to_string().contains("cogauth login"), "{err}");
    // The new one works, and rotates again.
    let again = stage
        .refresh(&RefreshGrant {
            refresh_token: rotated.clone(),
            ..grant.clone()
        })
        .await
        .unwrap();
    assert!(again.tokens.refresh_token.is_some());
}

#[tokio::test]
async fn without_get_tokens_the_refresh_falls_back_to_refresh_token_auth() {
    // A client that does not rotate, on an endpoint that does not offer the operation.
    let pool = fixtures::create_pool(PoolOptions::default()).await;
    emulator().offer_get_tokens(&pool.client_id, false);
    let user = new_user(&pool).await;
    let stage = stage(&pool, AuthFlow::Srp);
    let first = stage
        .login(&request(&user, PASSWORD, None), &ScriptedPrompter::silent())
        .await
        .unwrap();
    let grant = RefreshGrant {
        username: first.username.clone(),
        refresh_token: first.tokens.refresh_token.clone().unwrap(),
        device_key: None,
    };
    let answer = stage.refresh(&grant).await.unwrap();
    assert!(answer.tokens.refresh_token.is_none());
    assert_tokens_for(&grant.renewed_by(answer), &pool, &user);
    assert_eq!(
        emulator().get_tokens_calls(&pool.client_id),
        1,
        "tried first"
    );
    assert_eq!(
        emulator().initiate_auth_calls(&pool.client_id, "REFRESH_TOKEN_AUTH"),
        1,
        "then REFRESH_TOKEN_AUTH"
    );

    // A rejected token is an answer, not a missing operation: no second try.
    let err = stage
        .refresh(&RefreshGrant {
            refresh_token: SecretString::from("garbage".to_owned()),
            ..grant.clone()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, UserPoolError::RefreshTokenRejected),
        "{err:?}"
    );
    emulator().offer_get_tokens(&pool.client_id, true);
    let err = stage
        .refresh(&RefreshGrant {
            refresh_token: SecretString::from("garbage".to_owned()),
            ..grant
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, UserPoolError::RefreshTokenRejected),
        "{err:?}"
    );
    assert_eq!(
        emulator().initiate_auth_calls(&pool.client_id, "REFRESH_TOKEN_AUTH"),
        2,
        "only the unoffered endpoint fell back"
    );
}

#[tokio::test]
async fn a_rotating_client_without_get_tokens_says_what_to_change() {
    let pool = fixtures::create_pool(PoolOptions {
        refresh_rotation_grace: Some(10),
        ..PoolOptions::default()
    })
    .await;
    emulator().offer_get_tokens(&pool.client_id, false);
    let user = new_user(&pool).await;
    let stage = stage(&pool, AuthFlow::Srp);
    let first = stage
        .login(&request(&user, PASSWORD, None), &ScriptedPrompter::silent())
        .await
        .unwrap();
    let err = stage
        .refresh(&RefreshGrant {
            username: first.username.clone(),
            refresh_token: first.tokens.refresh_token.clone().unwrap(),
            device_key: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, UserPoolError::RefreshFlowNotEnabled { .. }),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(shown.contains(&pool.client_id), "{shown}");
    assert!(shown.contains("GetTokensFromRefreshToken"), "{shown}");
}

#[tokio::test]
async fn a_garbage_refresh_token_is_the_distinct_error() {
    let pool = plain_pool().await;
    let err = stage(pool, AuthFlow::Srp)
        .refresh(&RefreshGrant {
            username: "anyone".to_owned(),
            refresh_token: SecretString::from("garbage-refresh-token".to_owned()),
            device_key: Some("us-east-1_device".to_owned()),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, UserPoolError::RefreshTokenRejected),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(shown.contains("cogauth login"), "{shown}");
    assert!(!shown.contains("garbage"), "{shown}");
}

/// Enrols a software token for `user` with its access token and makes it the preferred MFA.
async fn enable_software_token(pool: &Pool, user: &str) {
    let session = login(
        pool,
        AuthFlow::Password,
        &request(user, PASSWORD, None),
        &ScriptedPrompter::silent(),
    )
    .await
    .unwrap();
    let access_token = session.tokens.access_token.expose_secret();
    let idp = fixtures::idp_client().await;
    let associated = idp
        .associate_software_token()
        .access_token(access_token)
        .send()
        .await
        .expect("AssociateSoftwareToken");
    assert_eq!(
        associated
            .secret_code()
            .map(str::to_ascii_uppercase)
            .as_deref(),
        Some(common::MOTO_TOTP_SECRET)
    );
    idp.verify_software_token()
        .access_token(access_token)
        .user_code(current_totp_code())
        .send()
        .await
        .expect("VerifySoftwareToken");
    idp.admin_set_user_mfa_preference()
        .user_pool_id(&pool.user_pool_id)
        .username(user)
        .software_token_mfa_settings(
            aws_sdk_cognitoidentityprovider::types::SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("AdminSetUserMFAPreference");
}

#[tokio::test]
async fn software_token_mfa_with_a_correct_and_a_wrong_code() {
    let pool = plain_pool().await;
    let user = new_user(pool).await;
    enable_software_token(pool, &user).await;

    // The code from --mfa-code: nothing is asked.
    let prompter = ScriptedPrompter::silent();
    let session = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, Some(current_totp_code())),
        &prompter,
    )
    .await
    .unwrap();
    assert_tokens_for(&session, pool, &user);
    assert!(prompter.events().is_empty(), "{:?}", prompter.events());

    // No code given: the prompter is asked.
    let prompter = ScriptedPrompter::new([Answer::CurrentTotp]);
    let session = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, None),
        &prompter,
    )
    .await
    .unwrap();
    assert_tokens_for(&session, pool, &user);
    assert!(matches!(
        prompter.events().as_slice(),
        [Event::Asked(q)] if q.contains("authenticator app")
    ));

    // A wrong code (moto checks codes, with no skew).
    let err = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, Some(wrong_totp_code())),
        &ScriptedPrompter::silent(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, UserPoolError::WrongMfaCode), "{err:?}");
}

#[tokio::test]
async fn software_token_mfa_with_a_client_secret() {
    // moto checks SECRET_HASH in the MFA answer, for the name the answers carry.
    let pool = secret_pool().await;
    let user = new_user(pool).await;
    enable_software_token(pool, &user).await;
    let session = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, Some(current_totp_code())),
        &ScriptedPrompter::silent(),
    )
    .await
    .unwrap();
    assert_tokens_for(&session, pool, &user);
}

#[tokio::test]
async fn sms_mfa_asks_for_the_code() {
    let pool = plain_pool().await;
    let user = new_user(pool).await;
    fixtures::idp_client()
        .await
        .admin_set_user_mfa_preference()
        .user_pool_id(&pool.user_pool_id)
        .username(&user)
        .sms_mfa_settings(
            aws_sdk_cognitoidentityprovider::types::SmsMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("AdminSetUserMFAPreference");
    // moto accepts any SMS code; the point is that it is asked for and sent.
    let prompter = ScriptedPrompter::new([Answer::Text(" 123 456 ".to_owned())]);
    let session = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, None),
        &prompter,
    )
    .await
    .unwrap();
    assert_tokens_for(&session, pool, &user);
    assert!(matches!(
        prompter.events().as_slice(),
        [Event::Asked(q)] if q.contains("text message")
    ));
}

#[tokio::test]
async fn mfa_setup_enrols_an_authenticator_app() {
    let pool = mfa_pool().await;
    let user = new_user(pool).await;
    let prompter = ScriptedPrompter::new([Answer::CurrentTotp]);
    let session = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, None),
        &prompter,
    )
    .await
    .unwrap();
    assert_tokens_for(&session, pool, &user);
    let events = prompter.events();
    let Some(Event::Otpauth { uri, secret }) = events.first() else {
        panic!("no otpauth URI shown: {events:?}");
    };
    assert_eq!(secret.to_ascii_uppercase(), common::MOTO_TOTP_SECRET);
    assert_eq!(
        uri,
        &format!("otpauth://totp/cogauth:{user}?secret={secret}&issuer=cogauth")
    );
    assert!(matches!(events.get(1), Some(Event::Asked(_))), "{events:?}");

    // Enrolled: the next login asks for a code instead (SOFTWARE_TOKEN_MFA).
    let prompter = ScriptedPrompter::silent();
    let again = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, Some(current_totp_code())),
        &prompter,
    )
    .await
    .unwrap();
    assert_tokens_for(&again, pool, &user);
    assert!(prompter.events().is_empty(), "{:?}", prompter.events());
}

#[tokio::test]
async fn mfa_setup_with_a_wrong_first_code_fails() {
    let pool = mfa_pool().await;
    let user = new_user(pool).await;
    let prompter = ScriptedPrompter::silent();
    let err = login(
        pool,
        AuthFlow::Srp,
        &request(&user, PASSWORD, Some(wrong_totp_code())),
        &prompter,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, UserPoolError::WrongMfaCode), "{err:?}");
    assert!(matches!(
        prompter.events().as_slice(),
        [Event::Otpauth { .. }]
    ));
}

#[tokio::test]
async fn an_unconfirmed_user_is_told_to_confirm() {
    let pool = plain_pool().await;
    let user = fixtures::unique("signup");
    fixtures::idp_client()
        .await
        .sign_up()
        .client_id(&pool.client_id)
        .username(&user)
        .password(PASSWORD)
        .send()
        .await
        .expect("SignUp");
    for flow in [AuthFlow::Srp, AuthFlow::Password] {
        let err = login(
            pool,
            flow,
            &request(&user, PASSWORD, None),
            &ScriptedPrompter::silent(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, UserPoolError::UserNotConfirmed { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(&format!("`{user}`")));
    }
}

#[tokio::test]
async fn an_unknown_app_client_is_named() {
    let pool = plain_pool().await;
    let mut config = config(pool, AuthFlow::Srp);
    config.client_id = "nosuchclient0000000000000".to_owned();
    let err = CognitoUserPool::new(config, &emulator_env(), Arc::new(SystemClock))
        .login(
            &request("alice", PASSWORD, None),
            &ScriptedPrompter::silent(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, UserPoolError::ClientNotFound { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("nosuchclient0000000000000"));
}

#[tokio::test]
async fn an_unreachable_endpoint_is_named() {
    // Nothing listens on port 1 of the loopback interface: the connection is refused.
    let env = MapEnv::new().with("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
    let pool = CognitoUserPool::new(
        UserPoolConfig {
            region: REGION.to_owned(),
            user_pool_id: "us-east-1_Unreachable".to_owned(),
            client_id: "client".to_owned(),
            client_secret: None,
            auth_flow: AuthFlow::Srp,
            preferred_challenge: None,
            custom_with_srp: false,
        },
        &env,
        Arc::new(SystemClock),
    );
    let err = pool
        .login(
            &request("alice", PASSWORD, None),
            &ScriptedPrompter::silent(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UserPoolError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("http://127.0.0.1:1"), "{err}");
    let err = pool
        .refresh(&RefreshGrant {
            username: "alice".to_owned(),
            refresh_token: SecretString::from("token".to_owned()),
            device_key: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, UserPoolError::Unreachable { .. }), "{err:?}");
}
