//! `cogadmin user create | set-password | reset-mfa | list`, and how the user pool is chosen.

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, SmsMfaSettingsType, UserStatusType};
use cogauth_test_support::fixtures::{self, Pool, PoolOptions};
use serde_json::Value;

use crate::Admin;

const PASSWORD: &str = "Corr3ct-Horse!";
const NEW_PASSWORD: &str = "Batt3ry-Staple!";

async fn password_login_works(pool: &Pool, username: &str, password: &str) -> bool {
    fixtures::idp_client()
        .await
        .initiate_auth()
        .client_id(&pool.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .is_ok_and(|a| a.authentication_result().is_some())
}

async fn status(pool: &Pool, username: &str) -> Option<UserStatusType> {
    fixtures::idp_client()
        .await
        .admin_get_user()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .send()
        .await
        .ok()
        .and_then(|u| u.user_status().cloned())
}

fn assert_no_secret(run: &crate::Run) {
    for secret in [PASSWORD, NEW_PASSWORD] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a password was printed: {run:#?}"
        );
    }
}

#[tokio::test]
async fn create_set_password_reset_mfa_and_list() {
    let admin = Admin::new();
    let pool = fixtures::create_pool(PoolOptions::default()).await;
    let id = pool.user_pool_id.as_str();

    // Dry run: checked, not created.
    let dry = admin.ok_with_stdin(
        &[
            "user",
            "create",
            "alice",
            "--password-stdin",
            "--user-pool-id",
            id,
            "--dry-run",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(dry.action_of("user"), "would create", "{}", dry.stdout);
    assert_eq!(status(&pool, "alice").await, None);

    // Permanent password from stdin: alice can log in at once.
    let created = admin.ok_with_stdin(
        &[
            "user",
            "create",
            "alice",
            "--email",
            "alice@example.com",
            "--password-stdin",
            "--user-pool-id",
            id,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(created.action_of("user"), "created", "{}", created.stdout);
    assert_no_secret(&created);
    assert_eq!(
        status(&pool, "alice").await,
        Some(UserStatusType::Confirmed)
    );
    assert!(password_login_works(&pool, "alice", PASSWORD).await);

    // Creating her again is an error that says what to do instead.
    let err = admin.fails_with(
        admin.command(&[
            "user",
            "create",
            "alice",
            "--password-stdin",
            "--user-pool-id",
            id,
        ]),
        &format!("{PASSWORD}\n"),
    );
    assert!(err.stderr.contains("already exists"), "{}", err.stderr);
    assert!(
        err.stderr.contains("cogadmin user set-password alice"),
        "{}",
        err.stderr
    );

    // A temporary password: the user must change it at first login.
    let bob = admin.ok_with_stdin(
        &[
            "user",
            "create",
            "bob",
            "--temporary-password-stdin",
            "--user-pool-id",
            id,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(bob.action_of("user"), "created");
    assert_eq!(
        status(&pool, "bob").await,
        Some(UserStatusType::ForceChangePassword)
    );

    // No password and no email: refused before anything is created.
    let err = admin.fails(&["user", "create", "carol", "--user-pool-id", id]);
    assert!(err.stderr.contains("needs a password"), "{}", err.stderr);
    assert_eq!(status(&pool, "carol").await, None);
    // An empty stdin is not a password.
    let err = admin.fails(&[
        "user",
        "create",
        "carol",
        "--password-stdin",
        "--user-pool-id",
        id,
    ]);
    assert!(
        err.stderr.contains("no password on stdin"),
        "{}",
        err.stderr
    );

    // set-password: permanent, then temporary; a weak one is refused with Cognito's reason.
    let set = admin.ok_with_stdin(
        &[
            "user",
            "set-password",
            "bob",
            "--password-stdin",
            "--user-pool-id",
            id,
        ],
        &format!("{NEW_PASSWORD}\n"),
    );
    assert_eq!(set.action_of("password"), "updated", "{}", set.stdout);
    assert_no_secret(&set);
    assert_eq!(status(&pool, "bob").await, Some(UserStatusType::Confirmed));
    assert!(password_login_works(&pool, "bob", NEW_PASSWORD).await);
    let err = admin.fails_with(
        admin.command(&[
            "user",
            "set-password",
            "bob",
            "--password-stdin",
            "--user-pool-id",
            id,
        ]),
        "weak\n",
    );
    assert!(
        err.stderr.contains("refused the password"),
        "{}",
        err.stderr
    );
    admin.ok_with_stdin(
        &[
            "user",
            "set-password",
            "bob",
            "--password-stdin",
            "--temporary",
            "--user-pool-id",
            id,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(
        status(&pool, "bob").await,
        Some(UserStatusType::ForceChangePassword)
    );
    let err = admin.fails(&[
        "user",
        "set-password",
        "nobody",
        "--dry-run",
        "--user-pool-id",
        id,
    ]);
    assert!(
        err.stderr.contains("user `nobody` does not exist"),
        "{}",
        err.stderr
    );

    // reset-mfa: SMS MFA turned on for alice, then off again; a second reset is a no-op.
    let idp = fixtures::idp_client().await;
    idp.admin_set_user_mfa_preference()
        .user_pool_id(id)
        .username("alice")
        .sms_mfa_settings(
            SmsMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let dry = admin.ok(&[
        "user",
        "reset-mfa",
        "alice",
        "--user-pool-id",
        id,
        "--dry-run",
    ]);
    assert_eq!(
        dry.action_of("MFA preferences"),
        "would update",
        "{}",
        dry.stdout
    );
    let reset = admin.ok(&["user", "reset-mfa", "alice", "--user-pool-id", id]);
    assert_eq!(
        reset.action_of("MFA preferences"),
        "updated",
        "{}",
        reset.stdout
    );
    assert!(
        reset.stdout.contains("turned off: SMS_MFA"),
        "{}",
        reset.stdout
    );
    let after = idp
        .admin_get_user()
        .user_pool_id(id)
        .username("alice")
        .send()
        .await
        .unwrap();
    assert!(after.user_mfa_setting_list().is_empty());
    assert!(after.preferred_mfa_setting().is_none_or(str::is_empty));
    let again = admin.ok(&["user", "reset-mfa", "alice", "--user-pool-id", id]);
    assert_eq!(
        again.action_of("MFA preferences"),
        "unchanged",
        "{}",
        again.stdout
    );

    // list, as text and JSON.
    let text = admin.ok(&["user", "list", "--user-pool-id", id]).stdout;
    assert!(text.contains(&format!("users of {id} (2):")), "{text}");
    assert!(
        text.contains("alice") && text.contains("alice@example.com"),
        "{text}"
    );
    assert!(text.contains("FORCE_CHANGE_PASSWORD"), "{text}");
    let json: Value = serde_json::from_str(
        &admin
            .ok(&["user", "list", "--json", "--user-pool-id", id])
            .stdout,
    )
    .unwrap();
    let users = json.as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["username"], "alice");
    assert_eq!(users[0]["status"], "CONFIRMED");
    assert_eq!(users[0]["email"], "alice@example.com");
    assert_eq!(users[1]["username"], "bob");
    assert_eq!(users[1]["status"], "FORCE_CHANGE_PASSWORD");
}

#[tokio::test]
async fn the_user_pool_defaults_to_the_profile_then_the_last_setup() {
    let admin = Admin::new();
    let from_profile = fixtures::create_pool(PoolOptions::default()).await;
    let from_setup = fixtures::create_pool(PoolOptions::default()).await;
    fixtures::create_user(&from_profile, "in-profile-pool", PASSWORD).await;
    fixtures::create_user(&from_setup, "in-setup-pool", PASSWORD).await;

    // Nothing to go on: a clear error.
    let err = admin.fails(&["user", "list"]);
    assert!(err.stderr.contains("pass --user-pool-id"), "{}", err.stderr);

    admin.home.write(
        ".config/cogauth/config.toml",
        &format!(
            "[profiles.work]\nuser_pool_id = \"{}\"\nclient_id = \"{}\"\n",
            from_profile.user_pool_id, from_profile.client_id
        ),
    );
    let listed = admin.ok(&["user", "list", "--profile", "work"]).stdout;
    assert!(listed.contains("in-profile-pool"), "{listed}");

    admin.ok(&[
        "setup",
        "--user-pool-id",
        &from_setup.user_pool_id,
        "--client-id",
        &from_setup.client_id,
        "--identity-pool-name",
        &crate::unique_name("UsersIdp"),
    ]);
    let listed = admin.ok(&["user", "list"]).stdout;
    assert!(listed.contains("in-setup-pool"), "{listed}");
    // An explicit --profile still wins over the recorded setup.
    let listed = admin.ok(&["user", "list", "--profile", "work"]).stdout;
    assert!(listed.contains("in-profile-pool"), "{listed}");
}

#[test]
fn aws_failures_say_what_to_do() {
    let admin = Admin::new();
    let mut cmd = admin.command(&["user", "list", "--user-pool-id", "us-east-1_Abc123"]);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let err = admin.fails_with(cmd, "");
    assert!(
        err.stderr
            .contains("ListUsers failed: no AWS credentials found"),
        "{}",
        err.stderr
    );
    assert!(err.stderr.contains("AWS_PROFILE"), "{}", err.stderr);
    assert_eq!(err.stderr.lines().count(), 1, "{}", err.stderr);

    let err = admin.fails(&["user", "list", "--user-pool-id", "us-east-1_Abc123"]);
    assert!(
        err.stderr
            .contains("user pool `us-east-1_Abc123` does not exist"),
        "{}",
        err.stderr
    );
}
