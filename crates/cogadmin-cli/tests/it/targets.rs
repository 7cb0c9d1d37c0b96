//! Every cogadmin command works on the same target, resolved one way (flags, then --profile,
//! then the last setup, then the default cogauth profile), in the user pool's region: `setup`
//! records it; `user`, `role` and `lambda deploy` find it, even when the credential chain's
//! region is another. Ids that belong together are never mixed from two sources.

use cogauth_test_support::{ACCOUNT_ID, fixtures};

use crate::{Admin, fake_package, setup_from_zero, unique_name};

/// Unique names for a dry-run deploy, so it never meets another test's resources.
fn deploy_names() -> Vec<String> {
    [
        ("--function-name", fixtures::unique("tgt-proxy")),
        ("--iam-user-name", fixtures::unique("TgtUser")),
        ("--execution-role-name", fixtures::unique("TgtExec")),
        ("--long-lived-role-name", fixtures::unique("TgtLongLived")),
    ]
    .into_iter()
    .flat_map(|(flag, value)| [flag.to_owned(), value])
    .collect()
}

#[test]
fn every_command_works_on_the_last_setup_in_its_pools_region() {
    // The credential chain's region is us-east-1 (AWS_REGION); the pool is made in eu-west-1.
    let admin = Admin::new();
    let pool_name = unique_name("eupool");
    admin.ok(&[
        "--region",
        "eu-west-1",
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &unique_name("EuIdp"),
    ]);
    let user_pool_id = admin.recorded("user_pool_id");
    let identity_pool_id = admin.recorded("identity_pool_id");
    assert!(user_pool_id.starts_with("eu-west-1_"), "{user_pool_id}");

    admin.ok_with_stdin(
        &["user", "create", "alice", "--password-stdin"],
        "Correct-Horse-9-Battery\n",
    );
    let listed = admin.ok(&["user", "list"]).stdout;
    assert!(
        listed.contains(&format!("users of {user_pool_id} (1)")) && listed.contains("alice"),
        "{listed}"
    );
    let info = admin.ok(&["role", "info"]).stdout;
    assert!(
        info.contains(&format!("identity pool {identity_pool_id}")),
        "{info}"
    );

    // The proxy serves that pool, lives in its region (where cogauth's login invokes it), and
    // its identity pool's role gets the invoke permission.
    let zip = admin.home.join("proxy.zip");
    std::fs::write(&zip, fake_package()).unwrap();
    let names = deploy_names();
    let mut args = vec![
        "lambda",
        "deploy",
        "--dry-run",
        "--create-user",
        "--zip",
        zip.to_str().unwrap(),
    ];
    args.extend(names.iter().map(String::as_str));
    let dry = admin.ok(&args);
    let function = &names[1];
    assert!(
        dry.stdout.contains(&format!(
            "function: arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:function:{function} (eu-west-1, x86_64)"
        )),
        "{}",
        dry.stdout
    );
    assert_eq!(
        dry.action_of("invoke permission"),
        "would create",
        "{}",
        dry.stdout
    );
}

#[tokio::test]
async fn a_user_pool_flag_is_never_paired_with_another_pools_client() {
    let admin = Admin::new();
    setup_from_zero(&admin, &[]);
    let other = fixtures::create_pool(Default::default()).await;
    let zip = admin.home.join("proxy.zip");
    std::fs::write(&zip, fake_package()).unwrap();
    let names = deploy_names();
    let mut args = vec![
        "lambda",
        "deploy",
        "--dry-run",
        "--create-user",
        "--zip",
        zip.to_str().unwrap(),
        "--user-pool-id",
        &other.user_pool_id,
    ];
    args.extend(names.iter().map(String::as_str));
    // The last setup's app client belongs to another pool: not taken.
    let err = admin.fails(&args);
    assert!(
        err.stderr.contains("no app client given: pass --client-id"),
        "{}",
        err.stderr
    );

    // With the client given, the pool's own identity pool is not guessed either.
    args.extend(["--client-id", &other.client_id]);
    let dry = admin.ok(&args);
    assert!(
        dry.stderr.contains("no identity pool given"),
        "{}",
        dry.stderr
    );
}

#[tokio::test]
async fn a_bare_setup_without_a_recorded_one_checks_the_default_profiles_pool() {
    let admin = Admin::new();
    let pool = fixtures::create_pool(Default::default()).await;
    admin.home.write(
        ".config/cogauth/config.toml",
        &format!(
            "[profiles.default]\nuser_pool_id = \"{}\"\nclient_id = \"{}\"\n",
            pool.user_pool_id, pool.client_id
        ),
    );
    let dry = admin.ok(&[
        "setup",
        "--dry-run",
        "--identity-pool-name",
        &unique_name("ProfileIdp"),
    ]);
    assert!(
        dry.stderr.contains(&format!(
            "user pool `{}` from profile `default`",
            pool.user_pool_id
        )),
        "{}",
        dry.stderr
    );
    assert_eq!(dry.action_of("user pool"), "unchanged", "{}", dry.stdout);
    assert!(
        dry.stdout
            .lines()
            .any(|l| l.contains(&format!("({})", pool.client_id)) && l.ends_with(": unchanged")),
        "the profile's app client is checked: {}",
        dry.stdout
    );
}
