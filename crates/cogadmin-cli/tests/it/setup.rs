//! `cogadmin setup` and `setup-identity-pool`: from zero, again (nothing changes), with an
//! existing pool, dry runs, and drift repair.

use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType as Flow;
use cogauth_admin::policies::{authenticated_role_trust, decode_document};
use cogauth_test_support::fixtures;

use crate::{Admin, SETUP_STEPS, setup_from_zero, unique_name};

async fn identity_pool_roles(pool_id: &str) -> std::collections::HashMap<String, String> {
    fixtures::identity_client()
        .await
        .get_identity_pool_roles()
        .identity_pool_id(pool_id)
        .send()
        .await
        .expect("GetIdentityPoolRoles")
        .roles()
        .cloned()
        .unwrap_or_default()
}

async fn role(name: &str) -> aws_sdk_iam::types::Role {
    fixtures::iam_client()
        .await
        .get_role()
        .role_name(name)
        .send()
        .await
        .expect("GetRole")
        .role()
        .cloned()
        .expect("role")
}

#[tokio::test]
async fn setup_from_zero_creates_everything_and_a_second_run_changes_nothing() {
    let admin = Admin::new();
    let (identity_pool_name, pool_name, first) = setup_from_zero(&admin, &[]);
    for step in SETUP_STEPS {
        assert_eq!(first.action_of(step), "created", "{}", first.stdout);
    }
    assert!(
        !first.stdout.contains("nothing changed"),
        "{}",
        first.stdout
    );

    // What was created, read back from the emulator.
    let user_pool_id = admin.recorded("user_pool_id");
    let client_id = admin.recorded("client_id");
    let identity_pool_id = admin.recorded("identity_pool_id");
    let role_arn = admin.recorded("role_arn");
    let role_name = format!("Cognito_{identity_pool_name}Auth_Role");
    assert!(
        role_arn.ends_with(&format!(":role/{role_name}")),
        "{role_arn}"
    );

    let client = fixtures::idp_client()
        .await
        .describe_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap();
    let client = client.user_pool_client().unwrap();
    assert_eq!(client.client_secret(), None, "the client must be public");
    for flow in [
        Flow::AllowUserSrpAuth,
        Flow::AllowUserPasswordAuth,
        Flow::AllowRefreshTokenAuth,
    ] {
        assert!(client.explicit_auth_flows().contains(&flow), "{flow:?}");
    }

    let pool = fixtures::identity_client()
        .await
        .describe_identity_pool()
        .identity_pool_id(&identity_pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(pool.identity_pool_name(), identity_pool_name);
    assert!(!pool.allow_unauthenticated_identities());
    assert_eq!(pool.allow_classic_flow(), Some(false));
    let provider = &pool.cognito_identity_providers()[0];
    assert_eq!(
        provider.provider_name(),
        Some(format!("cognito-idp.us-east-1.amazonaws.com/{user_pool_id}").as_str())
    );
    assert_eq!(provider.client_id(), Some(client_id.as_str()));

    let role = role(&role_name).await;
    assert_eq!(role.max_session_duration(), Some(43200));
    assert_eq!(
        decode_document(role.assume_role_policy_document().unwrap()).unwrap(),
        authenticated_role_trust(&identity_pool_id).to_value()
    );
    assert_eq!(
        identity_pool_roles(&identity_pool_id)
            .await
            .get("authenticated"),
        Some(&role_arn)
    );

    // The printed configure command names exactly what was created.
    assert!(
        first.stdout.contains(&format!(
            "cogauth configure --profile default --user-pool-id {user_pool_id} --client-id \
             {client_id} --identity-pool-id {identity_pool_id} --region us-east-1"
        )),
        "{}",
        first.stdout
    );

    // Second run, same command: every step unchanged, and it says so.
    let second = admin.ok(&[
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &identity_pool_name,
    ]);
    for step in SETUP_STEPS {
        assert_eq!(second.action_of(step), "unchanged", "{}", second.stdout);
    }
    assert!(
        second
            .stdout
            .contains("nothing changed: everything was already set up"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("already recorded in"),
        "{}",
        second.stdout
    );
    assert_eq!(admin.recorded("identity_pool_id"), identity_pool_id);

    // A bare `cogadmin setup` re-checks the recorded setup.
    let bare = admin.ok(&["setup"]);
    for step in SETUP_STEPS {
        assert_eq!(bare.action_of(step), "unchanged", "{}", bare.stdout);
    }
}

#[tokio::test]
async fn a_dry_run_from_zero_creates_nothing() {
    let admin = Admin::new();
    let pool_name = unique_name("drypool");
    let identity_pool_name = unique_name("DryIdp");
    let run = admin.ok(&[
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &identity_pool_name,
        "--write-profile",
        "dry",
        "--dry-run",
    ]);
    for step in SETUP_STEPS {
        assert_eq!(run.action_of(step), "would create", "{}", run.stdout);
    }
    assert!(
        run.stdout.contains("dry run: nothing was changed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("would write profile `dry`"),
        "{}",
        run.stdout
    );

    let pools = fixtures::idp_client()
        .await
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .unwrap();
    assert!(
        !pools
            .user_pools()
            .iter()
            .any(|p| p.name() == Some(&pool_name)),
        "a dry run created the user pool"
    );
    let role = fixtures::iam_client()
        .await
        .get_role()
        .role_name(format!("Cognito_{identity_pool_name}Auth_Role"))
        .send()
        .await;
    assert!(role.is_err(), "a dry run created the role");
    assert!(!admin.home.join(".config/cogauth/admin.toml").exists());
    assert!(!admin.home.config_file().exists());
}

#[tokio::test]
async fn drift_is_reported_by_a_dry_run_then_repaired() {
    let admin = Admin::new();
    let (identity_pool_name, _, _) = setup_from_zero(&admin, &[]);
    let identity_pool_id = admin.recorded("identity_pool_id");
    let role_name = format!("Cognito_{identity_pool_name}Auth_Role");

    // Someone shortens the session, loosens the trust policy and detaches the role.
    let iam = fixtures::iam_client().await;
    iam.update_role()
        .role_name(&role_name)
        .max_session_duration(3600)
        .send()
        .await
        .unwrap();
    iam.update_assume_role_policy()
        .role_name(&role_name)
        .policy_document(
            authenticated_role_trust("us-east-1:00000000-0000-4000-8000-000000000000").to_json(),
        )
        .send()
        .await
        .unwrap();
    fixtures::identity_client()
        .await
        .set_identity_pool_roles()
        .identity_pool_id(&identity_pool_id)
        .set_roles(Some(Default::default()))
        .send()
        .await
        .unwrap();

    let dry = admin.ok(&["setup", "--dry-run"]);
    assert_eq!(dry.action_of("IAM role"), "would update", "{}", dry.stdout);
    assert!(
        dry.stdout.contains("MaxSessionDuration 3600 -> 43200"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("- trust policy"), "{}", dry.stdout);
    assert_eq!(
        dry.action_of("role attachment"),
        "would create",
        "{}",
        dry.stdout
    );
    assert_eq!(
        dry.action_of("identity pool"),
        "unchanged",
        "{}",
        dry.stdout
    );
    assert_eq!(role(&role_name).await.max_session_duration(), Some(3600));
    assert!(identity_pool_roles(&identity_pool_id).await.is_empty());

    let repaired = admin.ok(&["setup"]);
    assert_eq!(
        repaired.action_of("IAM role"),
        "updated",
        "{}",
        repaired.stdout
    );
    assert_eq!(
        repaired.action_of("role attachment"),
        "created",
        "{}",
        repaired.stdout
    );
    let role = role(&role_name).await;
    assert_eq!(role.max_session_duration(), Some(43200));
    assert_eq!(
        decode_document(role.assume_role_policy_document().unwrap()).unwrap(),
        authenticated_role_trust(&identity_pool_id).to_value()
    );
    assert_eq!(
        identity_pool_roles(&identity_pool_id)
            .await
            .get("authenticated"),
        Some(&admin.recorded("role_arn"))
    );

    // Turning on the basic flow updates the pool, writes a basic-flow profile, and shortens
    // the session when asked.
    let basic = admin.ok(&[
        "setup",
        "--basic-flow",
        "--duration-hours",
        "8",
        "--write-profile",
        "basic",
    ]);
    assert_eq!(
        basic.action_of("identity pool"),
        "updated",
        "{}",
        basic.stdout
    );
    assert!(
        basic.stdout.contains("turn on AllowClassicFlow"),
        "{}",
        basic.stdout
    );
    assert!(
        basic.stdout.contains("MaxSessionDuration 43200 -> 28800"),
        "{}",
        basic.stdout
    );
    let described = fixtures::identity_client()
        .await
        .describe_identity_pool()
        .identity_pool_id(&identity_pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(described.allow_classic_flow(), Some(true));
    let config: toml::Table = admin
        .home
        .read(".config/cogauth/config.toml")
        .parse()
        .unwrap();
    let profile = &config["profiles"]["basic"];
    assert_eq!(profile["identity_flow"].as_str(), Some("basic"));
    assert_eq!(
        profile["role_arn"].as_str(),
        Some(admin.recorded("role_arn").as_str())
    );
    assert_eq!(profile["duration_hours"].as_integer(), Some(8));
    assert!(
        basic.stdout.contains("--identity-flow basic --role-arn"),
        "{}",
        basic.stdout
    );
}

#[tokio::test]
async fn setup_with_an_existing_pool_checks_it_and_changes_it_not() {
    let admin = Admin::new();
    let idp = fixtures::idp_client().await;
    let pool = idp
        .create_user_pool()
        .pool_name(unique_name("existing"))
        .send()
        .await
        .unwrap();
    let user_pool_id = pool.user_pool().unwrap().id().unwrap().to_owned();
    let client = idp
        .create_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_name("their-client")
        .explicit_auth_flows(Flow::AllowUserSrpAuth)
        .send()
        .await
        .unwrap();
    let client_id = client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    let identity_pool_name = unique_name("ExistingIdp");

    let run = admin.ok(&[
        "setup",
        "--user-pool-id",
        &user_pool_id,
        "--client-id",
        &client_id,
        "--identity-pool-name",
        &identity_pool_name,
    ]);
    assert_eq!(run.action_of("user pool"), "unchanged", "{}", run.stdout);
    assert_eq!(run.action_of("app client"), "unchanged", "{}", run.stdout);
    for step in ["identity pool", "IAM role", "role attachment"] {
        assert_eq!(run.action_of(step), "created", "{}", run.stdout);
    }
    // The client lacks flows cogauth needs: said, not silently changed.
    assert!(
        run.stderr
            .contains("does not allow ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH"),
        "{}",
        run.stderr
    );
    let flows = idp
        .describe_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap()
        .user_pool_client()
        .unwrap()
        .explicit_auth_flows()
        .to_vec();
    assert_eq!(flows, vec![Flow::AllowUserSrpAuth]);
    assert_eq!(admin.recorded("user_pool_id"), user_pool_id);
    assert_eq!(admin.recorded("client_id"), client_id);

    let again = admin.ok(&[
        "setup",
        "--user-pool-id",
        &user_pool_id,
        "--client-id",
        &client_id,
        "--identity-pool-name",
        &identity_pool_name,
    ]);
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);

    // A client that does not exist is an error, and nothing is created.
    let other_idp = unique_name("NeverIdp");
    let err = admin.fails(&[
        "setup",
        "--user-pool-id",
        &user_pool_id,
        "--client-id",
        "doesnotexist123",
        "--identity-pool-name",
        &other_idp,
    ]);
    assert!(
        err.stderr
            .contains("app client `doesnotexist123` does not exist"),
        "{}",
        err.stderr
    );
}

#[tokio::test]
async fn setup_identity_pool_asks_the_originals_questions() {
    let admin = Admin::new();
    let pool = fixtures::create_pool(fixtures::PoolOptions::default()).await;
    let identity_pool_name = unique_name("AskedIdp");
    let answers = format!(
        "{identity_pool_name}\n{}\n{}\n",
        pool.user_pool_id, pool.client_id
    );
    let run = admin.ok_with_stdin(&["setup-identity-pool"], &answers);
    assert!(
        run.stderr
            .contains("Identity Pool name [CognitoAuthIdentityPool]: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Enter your Cognito User Pool ID: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Enter your User Pool App Client ID: "),
        "{}",
        run.stderr
    );
    for step in ["identity pool", "IAM role", "role attachment"] {
        assert_eq!(run.action_of(step), "created", "{}", run.stdout);
    }
    let identity_pool_id = admin.recorded("identity_pool_id");
    assert_eq!(
        identity_pool_roles(&identity_pool_id)
            .await
            .get("authenticated"),
        Some(&admin.recorded("role_arn")),
        "the original never attached a role; this one must"
    );
}

#[test]
fn setup_without_a_pool_or_a_previous_setup_says_what_to_pass() {
    let admin = Admin::new();
    let err = admin.fails(&["setup"]);
    assert!(
        err.stderr.contains("--create-user-pool NAME"),
        "{}",
        err.stderr
    );
    // Out-of-range numbers are refused by the argument parser (usage errors exit 2).
    let out = admin
        .command(&["setup", "--create-user-pool", "p", "--duration-hours", "13"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("13"));
    let err = admin.fails(&[
        "setup",
        "--create-user-pool",
        "p",
        "--identity-pool-name",
        "bad-name!",
    ]);
    assert!(
        err.stderr
            .contains("identity pool name `bad-name!` is not valid"),
        "{}",
        err.stderr
    );
}

#[tokio::test]
async fn a_client_found_by_name_gets_the_missing_flows_and_keeps_its_settings() {
    let admin = Admin::new();
    let idp = fixtures::idp_client().await;
    let pool_name = unique_name("flows");
    let pool = idp
        .create_user_pool()
        .pool_name(&pool_name)
        .send()
        .await
        .unwrap();
    let user_pool_id = pool.user_pool().unwrap().id().unwrap().to_owned();
    let client = idp
        .create_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_name("cogauth")
        .explicit_auth_flows(Flow::AllowUserSrpAuth)
        .callback_urls("https://example.com/callback")
        .refresh_token_validity(7)
        .send()
        .await
        .unwrap();
    let client_id = client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();

    let identity_pool_name = unique_name("FlowsIdp");
    let args = [
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &identity_pool_name,
    ];
    // Made outside cogadmin: refused until adopted, and left as it was.
    let refused = admin.fails(&args);
    assert!(
        refused.stderr.contains(&format!("user pool `{pool_name}`"))
            && refused.stderr.contains("app client `cogauth`")
            && refused.stderr.contains("--adopt"),
        "{}",
        refused.stderr
    );
    let run = admin.ok(&[&args[..], &["--adopt"]].concat());
    assert_eq!(
        run.actions_of("user pool"),
        ["adopted", "unchanged"],
        "{}",
        run.stdout
    );
    assert_eq!(
        run.actions_of("app client"),
        ["adopted", "updated"],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("allow ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH"),
        "{}",
        run.stdout
    );
    assert_eq!(admin.recorded("client_id"), client_id);
    let after = idp
        .describe_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap();
    let after = after.user_pool_client().unwrap();
    for flow in [
        Flow::AllowUserSrpAuth,
        Flow::AllowUserPasswordAuth,
        Flow::AllowRefreshTokenAuth,
    ] {
        assert!(after.explicit_auth_flows().contains(&flow), "{flow:?}");
    }
    assert_eq!(after.callback_urls(), ["https://example.com/callback"]);
    assert_eq!(after.refresh_token_validity(), 7);

    // A second user pool set up against the same identity pool is linked beside the first.
    let second_pool = unique_name("flows2");
    let run = admin.ok(&[
        "setup",
        "--create-user-pool",
        &second_pool,
        "--identity-pool-name",
        &identity_pool_name,
    ]);
    assert_eq!(run.action_of("identity pool"), "updated", "{}", run.stdout);
    assert!(run.stdout.contains("- link app client"), "{}", run.stdout);
    let described = fixtures::identity_client()
        .await
        .describe_identity_pool()
        .identity_pool_id(admin.recorded("identity_pool_id"))
        .send()
        .await
        .unwrap();
    let linked: Vec<_> = described
        .cognito_identity_providers()
        .iter()
        .filter_map(|p| p.client_id())
        .collect();
    assert_eq!(linked.len(), 2, "{linked:?}");
    assert!(linked.contains(&client_id.as_str()));
}

#[tokio::test]
async fn a_client_that_rotates_refresh_tokens_keeps_rotating_and_never_gets_refresh_token_auth() {
    let admin = Admin::new();
    let idp = fixtures::idp_client().await;
    let pool_name = unique_name("rotating");
    let pool = idp
        .create_user_pool()
        .pool_name(&pool_name)
        .send()
        .await
        .unwrap();
    let user_pool_id = pool.user_pool().unwrap().id().unwrap().to_owned();
    let rotation = aws_sdk_cognitoidentityprovider::types::RefreshTokenRotationType::builder()
        .feature(aws_sdk_cognitoidentityprovider::types::FeatureType::Enabled)
        .retry_grace_period_seconds(10)
        .build()
        .unwrap();
    let client = idp
        .create_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_name("cogauth")
        .explicit_auth_flows(Flow::AllowUserSrpAuth)
        .refresh_token_rotation(rotation.clone())
        .send()
        .await
        .unwrap();
    let client_id = client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();

    // Made outside cogadmin, so adopted.
    let run = admin.ok(&[
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &unique_name("RotatingIdp"),
        "--adopt",
    ]);
    assert_eq!(
        run.actions_of("app client"),
        ["adopted", "updated"],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("allow ALLOW_USER_PASSWORD_AUTH"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("ALLOW_REFRESH_TOKEN_AUTH"),
        "{}",
        run.stdout
    );
    let after = idp
        .describe_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap();
    let after = after.user_pool_client().unwrap();
    assert!(
        !after
            .explicit_auth_flows()
            .contains(&Flow::AllowRefreshTokenAuth)
    );
    assert!(
        after
            .explicit_auth_flows()
            .contains(&Flow::AllowUserPasswordAuth)
    );
    assert_eq!(
        after.refresh_token_rotation(),
        Some(&rotation),
        "rotation kept"
    );

    // Browser sign-in's settings are an UpdateUserPoolClient too, which turns off whatever it
    // is not sent (the emulator does as AWS does): rotation must survive it.
    let run = admin.ok(&[
        "setup",
        "--user-pool-id",
        &user_pool_id,
        "--client-id",
        &client_id,
        "--identity-pool-name",
        &unique_name("RotatingIdp"),
        "--managed-login",
        &crate::managed_login::unique_prefix(),
    ]);
    assert_eq!(run.action_of("OAuth settings"), "updated", "{}", run.stdout);
    let after = idp
        .describe_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.user_pool_client().unwrap().refresh_token_rotation(),
        Some(&rotation),
        "rotation kept by --managed-login"
    );
}

#[tokio::test]
async fn two_pools_with_one_name_are_refused_not_guessed() {
    let admin = Admin::new();
    let idp = fixtures::idp_client().await;
    let name = unique_name("twin");
    for _ in 0..2 {
        idp.create_user_pool()
            .pool_name(&name)
            .send()
            .await
            .unwrap();
    }
    let err = admin.fails(&[
        "setup",
        "--create-user-pool",
        &name,
        "--identity-pool-name",
        &unique_name("TwinIdp"),
    ]);
    assert!(
        err.stderr
            .contains(&format!("2 user pools are named `{name}`")),
        "{}",
        err.stderr
    );
    assert!(!admin.home.join(".config/cogauth/admin.toml").exists());
}
