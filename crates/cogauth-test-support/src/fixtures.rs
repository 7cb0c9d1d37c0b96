//! Cognito and IAM resources on the emulator, created through the real SDK.
//!
//! Creating a user pool takes ~0.4 s on moto: share pools between the tests of one binary
//! where the tests do not interfere, and give every resource a unique name.

use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_cognitoidentity as identity;
use aws_sdk_cognitoidentityprovider as idp;
use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, UserPoolMfaType};

use crate::{ACCOUNT_ID, emulator};

/// A name unique within this test process (and across processes, by pid).
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// What a test needs to log in.
#[derive(Debug, Clone)]
pub struct Pool {
    pub user_pool_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub identity_pool_id: String,
    pub role_arn: String,
}

/// Options for [`create_pool`].
#[derive(Debug, Clone, Default)]
pub struct PoolOptions {
    pub with_client_secret: bool,
    /// Require software-token MFA for every user.
    pub mfa_required: bool,
    pub allow_classic_flow: bool,
    /// Refresh-token rotation on the app client, with this retry grace period in seconds
    /// (0-60). The client then leaves out ALLOW_REFRESH_TOKEN_AUTH, as Cognito requires.
    pub refresh_rotation_grace: Option<i32>,
    /// Choice-based sign-in: the pool's `AllowedFirstAuthFactors` (`PASSWORD`, `EMAIL_OTP`,
    /// `SMS_OTP`, `WEB_AUTHN`), and ALLOW_USER_AUTH on the client.
    pub first_auth_factors: Option<Vec<&'static str>>,
    /// Custom auth: the ARNs of the DefineAuthChallenge, CreateAuthChallenge and
    /// VerifyAuthChallengeResponse triggers, and ALLOW_CUSTOM_AUTH on the client.
    pub custom_auth_triggers: Option<[String; 3]>,
    /// Device tracking: `ChallengeRequiredOnNewDevice`, `DeviceOnlyRememberedOnUserPrompt`.
    pub device_tracking: Option<(bool, bool)>,
    /// The lifetime of the identity pool's credentials in seconds (15 to 3600), through the
    /// emulator's own tag (docs/emulator.md); the emulator's default is 90 s. For tests that
    /// must outlive several expiries without waiting for 90 s ones.
    pub credential_seconds: Option<u32>,
}

pub async fn idp_client() -> idp::Client {
    idp::Client::new(&emulator().sdk_config().await)
}

pub async fn identity_client() -> identity::Client {
    identity::Client::new(&emulator().sdk_config().await)
}

pub async fn iam_client() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&emulator().sdk_config().await)
}

/// A user pool with an app client (SRP, password and refresh flows, and those the options
/// need), an identity pool linked to it, and an authenticated role attached to the identity
/// pool.
pub async fn create_pool(opts: PoolOptions) -> Pool {
    let idp = idp_client().await;
    let mut create = idp.create_user_pool().pool_name(unique("pool"));
    if opts.mfa_required {
        create = create.mfa_configuration(UserPoolMfaType::On);
    }
    if let Some(factors) = &opts.first_auth_factors {
        let mut policy = idp::types::SignInPolicyType::builder();
        for factor in factors {
            policy = policy.allowed_first_auth_factors(idp::types::AuthFactorType::from(*factor));
        }
        create = create.policies(
            idp::types::UserPoolPolicyType::builder()
                .sign_in_policy(policy.build())
                .build(),
        );
    }
    if let Some([define, create_challenge, verify]) = &opts.custom_auth_triggers {
        create = create.lambda_config(
            idp::types::LambdaConfigType::builder()
                .define_auth_challenge(define)
                .create_auth_challenge(create_challenge)
                .verify_auth_challenge_response(verify)
                .build(),
        );
    }
    if let Some((challenge_required, on_prompt)) = opts.device_tracking {
        create = create.device_configuration(
            idp::types::DeviceConfigurationType::builder()
                .challenge_required_on_new_device(challenge_required)
                .device_only_remembered_on_user_prompt(on_prompt)
                .build(),
        );
    }
    let pool = create.send().await.expect("CreateUserPool");
    let user_pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .expect("pool id")
        .to_owned();
    if opts.mfa_required {
        idp.set_user_pool_mfa_config()
            .user_pool_id(&user_pool_id)
            .software_token_mfa_configuration(
                idp::types::SoftwareTokenMfaConfigType::builder()
                    .enabled(true)
                    .build(),
            )
            .mfa_configuration(UserPoolMfaType::On)
            .send()
            .await
            .expect("SetUserPoolMfaConfig");
    }
    let mut client = idp
        .create_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_name(unique("client"))
        .generate_secret(opts.with_client_secret)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth);
    match opts.refresh_rotation_grace {
        // Cognito refuses rotation on a client that allows REFRESH_TOKEN_AUTH.
        Some(grace) => {
            client = client.refresh_token_rotation(
                idp::types::RefreshTokenRotationType::builder()
                    .feature(idp::types::FeatureType::Enabled)
                    .retry_grace_period_seconds(grace)
                    .build()
                    .expect("RefreshTokenRotation"),
            );
        }
        None => client = client.explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth),
    }
    if opts.first_auth_factors.is_some() {
        client = client.explicit_auth_flows(ExplicitAuthFlowsType::AllowUserAuth);
    }
    if opts.custom_auth_triggers.is_some() {
        client = client.explicit_auth_flows(ExplicitAuthFlowsType::AllowCustomAuth);
    }
    let client = client.send().await.expect("CreateUserPoolClient");
    let client = client.user_pool_client().expect("client");
    let client_id = client.client_id().expect("client id").to_owned();
    let client_secret = client.client_secret().map(str::to_owned);

    let identity_pool_id = create_identity_pool_tagged(
        &user_pool_id,
        &client_id,
        opts.allow_classic_flow,
        opts.credential_seconds,
    )
    .await;
    let role_arn = create_authenticated_role(&identity_pool_id).await;
    identity_client()
        .await
        .set_identity_pool_roles()
        .identity_pool_id(&identity_pool_id)
        .roles("authenticated", &role_arn)
        .send()
        .await
        .expect("SetIdentityPoolRoles");
    Pool {
        user_pool_id,
        client_id,
        client_secret,
        identity_pool_id,
        role_arn,
    }
}

pub async fn create_identity_pool(
    user_pool_id: &str,
    client_id: &str,
    allow_classic_flow: bool,
) -> String {
    create_identity_pool_tagged(user_pool_id, client_id, allow_classic_flow, None).await
}

/// The emulator's tag that sets the lifetime of an identity pool's credentials.
pub const CREDENTIAL_SECONDS_TAG: &str = "cogauth-emulator:credential-seconds";

async fn create_identity_pool_tagged(
    user_pool_id: &str,
    client_id: &str,
    allow_classic_flow: bool,
    credential_seconds: Option<u32>,
) -> String {
    let provider = identity::types::CognitoIdentityProvider::builder()
        .provider_name(format!(
            "cognito-idp.{}.amazonaws.com/{user_pool_id}",
            crate::REGION
        ))
        .client_id(client_id)
        .build();
    identity_client()
        .await
        .create_identity_pool()
        .identity_pool_name(unique("idpool").replace('-', "_"))
        .allow_unauthenticated_identities(false)
        .allow_classic_flow(allow_classic_flow)
        .cognito_identity_providers(provider)
        .set_identity_pool_tags(
            credential_seconds.map(|s| [(CREDENTIAL_SECONDS_TAG.to_owned(), s.to_string())].into()),
        )
        .send()
        .await
        .expect("CreateIdentityPool")
        .identity_pool_id
}

/// An IAM role trusted by cognito-identity for `identity_pool_id`, with a 12 h session cap.
pub async fn create_authenticated_role(identity_pool_id: &str) -> String {
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}
            }
        }]
    });
    let name = unique("authrole");
    iam_client()
        .await
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(trust.to_string())
        .max_session_duration(43200)
        .send()
        .await
        .expect("CreateRole");
    format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
}

/// A confirmed user with a permanent password.
pub async fn create_user(pool: &Pool, username: &str, password: &str) {
    create_user_with_attributes(pool, username, password, &[]).await;
}

/// [`create_user`] with attributes, e.g. `("email", "a@example.com")` for email one-time codes.
pub async fn create_user_with_attributes(
    pool: &Pool,
    username: &str,
    password: &str,
    attributes: &[(&str, &str)],
) {
    let idp = idp_client().await;
    let mut create = idp
        .admin_create_user()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .message_action(idp::types::MessageActionType::Suppress);
    for (name, value) in attributes {
        create = create.user_attributes(
            idp::types::AttributeType::builder()
                .name(*name)
                .value(*value)
                .build()
                .expect("attribute"),
        );
    }
    create.send().await.expect("AdminCreateUser");
    idp.admin_set_user_password()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .password(password)
        .permanent(true)
        .send()
        .await
        .expect("AdminSetUserPassword");
}

/// A user who must choose a new password at first login (NEW_PASSWORD_REQUIRED).
pub async fn create_user_with_temporary_password(pool: &Pool, username: &str, temporary: &str) {
    idp_client()
        .await
        .admin_create_user()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .temporary_password(temporary)
        .message_action(idp::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("AdminCreateUser");
}

/// moto's fixed TOTP secret for every software token (base32 of `asdfasdfasdf`-like 60 bits).
pub const MOTO_TOTP_SECRET: &str = "asdfasdfasdf";

/// An empty but valid zip archive: moto stores Lambda code without running it.
const EMPTY_ZIP: &[u8] = &[
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// A Lambda function on the emulator (with `use_docker: false` moto runs no code: Invoke
/// returns what [`crate::Emulator::queue_lambda_result`] queued). Returns its name.
pub async fn create_lambda_function(name: &str) -> String {
    create_lambda_function_with_env(name, &[]).await
}

/// The ARN of the function `name` on the emulator.
pub fn lambda_arn(name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{ACCOUNT_ID}:function:{name}",
        crate::REGION
    )
}

/// [`create_lambda_function`] with environment variables (e.g. `COGAUTH_TEST_FORWARD_URL`,
/// which makes the emulator forward Invoke payloads to a test's server).
pub async fn create_lambda_function_with_env(name: &str, env: &[(&str, &str)]) -> String {
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    });
    let role_name = unique("lambdarole");
    iam_client()
        .await
        .create_role()
        .role_name(&role_name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("CreateRole for the function");
    let lambda = aws_sdk_lambda::Client::new(&emulator().sdk_config().await);
    lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(format!("arn:aws:iam::{ACCOUNT_ID}:role/{role_name}"))
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP))
                .build(),
        )
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .set_variables(Some(
                    env.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    name.to_owned()
}

/// Turns on software-token MFA for `user` (who must be able to log in with `password` in the
/// password flow, on a client without a secret): associate, verify with the current code, and
/// make it preferred.
pub async fn enable_software_token(pool: &Pool, user: &str, password: &str) {
    assert!(
        pool.client_secret.is_none(),
        "enable_software_token needs a client without a secret"
    );
    let idp = idp_client().await;
    let auth = idp
        .initiate_auth()
        .client_id(&pool.client_id)
        .auth_flow(idp::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", user)
        .auth_parameters("PASSWORD", password);
    let out = auth.send().await.expect("InitiateAuth to enable MFA");
    let access_token = out
        .authentication_result()
        .and_then(|r| r.access_token())
        .expect("access token")
        .to_owned();
    idp.associate_software_token()
        .access_token(&access_token)
        .send()
        .await
        .expect("AssociateSoftwareToken");
    idp.verify_software_token()
        .access_token(&access_token)
        .user_code(crate::totp::current_code())
        .send()
        .await
        .expect("VerifySoftwareToken");
    idp.admin_set_user_mfa_preference()
        .user_pool_id(&pool.user_pool_id)
        .username(user)
        .software_token_mfa_settings(
            idp::types::SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("AdminSetUserMFAPreference");
}

/// An IAM role named `<prefix>-<unique>` that trusts the identity pool as a group role must
/// (aud = the pool, amr = authenticated). Returns its ARN.
pub async fn create_group_role(identity_pool_id: &str, prefix: &str) -> String {
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}
            }
        }]
    });
    let name = unique(prefix);
    iam_client()
        .await
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(trust.to_string())
        .max_session_duration(43200)
        .send()
        .await
        .expect("CreateRole for a group");
    format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
}

/// A user-pool group with a role and a precedence (lower wins `cognito:preferred_role`).
pub async fn create_group(pool: &Pool, group: &str, role_arn: &str, precedence: Option<i32>) {
    idp_client()
        .await
        .create_group()
        .user_pool_id(&pool.user_pool_id)
        .group_name(group)
        .role_arn(role_arn)
        .set_precedence(precedence)
        .send()
        .await
        .expect("CreateGroup");
}

pub async fn add_user_to_group(pool: &Pool, user: &str, group: &str) {
    idp_client()
        .await
        .admin_add_user_to_group()
        .user_pool_id(&pool.user_pool_id)
        .username(user)
        .group_name(group)
        .send()
        .await
        .expect("AdminAddUserToGroup");
}

pub async fn remove_user_from_group(pool: &Pool, user: &str, group: &str) {
    idp_client()
        .await
        .admin_remove_user_from_group()
        .user_pool_id(&pool.user_pool_id)
        .username(user)
        .group_name(group)
        .send()
        .await
        .expect("AdminRemoveUserFromGroup");
}

/// Token-based role mapping for the pool's user pool and client, with `ambiguous`
/// (`AuthenticatedRole` or `Deny`) when the token decides no role.
pub async fn set_token_role_mapping(pool: &Pool, ambiguous: &str) {
    let key = format!(
        "cognito-idp.{}.amazonaws.com/{}:{}",
        crate::REGION,
        pool.user_pool_id,
        pool.client_id
    );
    let mapping = identity::types::RoleMapping::builder()
        .r#type(identity::types::RoleMappingType::Token)
        .ambiguous_role_resolution(ambiguous.into())
        .build()
        .expect("a role mapping");
    identity_client()
        .await
        .set_identity_pool_roles()
        .identity_pool_id(&pool.identity_pool_id)
        .roles("authenticated", &pool.role_arn)
        .role_mappings(key, mapping)
        .send()
        .await
        .expect("SetIdentityPoolRoles with a token role mapping");
}
