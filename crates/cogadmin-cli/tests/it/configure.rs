//! `cogadmin configure`: the original's prompts and defaults, admin.toml written 0600, the
//! legacy JSON files read.

use std::os::unix::fs::PermissionsExt;

use crate::Admin;

#[test]
fn prompts_with_the_originals_names_and_writes_admin_toml() {
    let admin = Admin::new();
    // Enter keeps a default; the identity pool name, region and duration are changed.
    let answers = "\n\n\n\nTeamPool\neu-west-1\n7200\n\n";
    let run = admin.ok_with_stdin(&["configure"], answers);
    for prompt in [
        "IAM User name for Lambda proxy [CognitoCredentialProxyUser]: ",
        "Lambda execution role name [CognitoCredentialProxyRole]: ",
        "Long-lived role name [CognitoLongLivedRole]: ",
        "Lambda function name [cognito-credential-proxy]: ",
        "Identity Pool name [CognitoAuthIdentityPool]: ",
        "Default AWS region [us-east-1]: ",
        "Maximum session duration (seconds) [43200]: ",
        "Default S3 bucket name [my-s3-bucket]: ",
    ] {
        assert!(
            run.stderr.contains(prompt),
            "missing prompt {prompt:?}:\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stdout.contains("IAM User name"),
        "prompts belong on stderr"
    );
    assert!(
        run.stdout.contains("admin configuration saved to"),
        "{}",
        run.stdout
    );

    let path = admin.home.join(".config/cogauth/admin.toml");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let toml = admin.admin_toml();
    assert_eq!(
        toml["aws_service_names"]["identity_pool_name"].as_str(),
        Some("TeamPool")
    );
    assert_eq!(
        toml["aws_service_names"]["iam_user_name"].as_str(),
        Some("CognitoCredentialProxyUser")
    );
    assert_eq!(
        toml["aws_configuration"]["default_region"].as_str(),
        Some("eu-west-1")
    );
    assert_eq!(
        toml["aws_configuration"]["max_session_duration"].as_integer(),
        Some(7200)
    );

    // Current values become the defaults of the next run.
    let run = admin.ok_with_stdin(&["configure"], "\n\n\n\n\n\n\n\n");
    assert!(
        run.stderr.contains("Identity Pool name [TeamPool]: "),
        "{}",
        run.stderr
    );
}

#[test]
fn flags_without_prompts_and_invalid_values_refused() {
    let admin = Admin::new();
    admin.ok(&[
        "configure",
        "--no-input",
        "--identity-pool-name",
        "FlagPool",
    ]);
    assert_eq!(
        admin.admin_toml()["aws_service_names"]["identity_pool_name"].as_str(),
        Some("FlagPool")
    );
    let before = admin.home.read(".config/cogauth/admin.toml");
    let err = admin.fails(&["configure", "--no-input", "--max-session-duration", "60"]);
    assert!(err.stderr.contains("3600 to 43200"), "{}", err.stderr);
    assert!(err.stderr.contains("nothing was saved"), "{}", err.stderr);
    let dry = admin.ok(&[
        "configure",
        "--no-input",
        "--default-region",
        "eu-north-1",
        "--dry-run",
    ]);
    assert!(
        dry.stdout.contains("default_region = \"eu-north-1\""),
        "{}",
        dry.stdout
    );
    assert_eq!(admin.home.read(".config/cogauth/admin.toml"), before);
}

#[test]
fn the_legacy_json_files_are_read() {
    let admin = Admin::new();
    admin.home.write(
        ".cognito-admin-config.json",
        r#"{"aws_service_names": {"identity_pool_name": "LegacyPool"},
            "aws_configuration": {"default_region": "ap-southeast-1", "lambda_runtime": "python3.9"}}"#,
    );
    let shown = admin.ok(&["configure", "--show"]).stdout;
    assert!(
        shown.contains("identity_pool_name = \"LegacyPool\""),
        "{shown}"
    );
    assert!(shown.contains(".cognito-admin-config.json"), "{shown}");

    // ./admin-config.json (the working directory is HOME here) overrides it, key by key.
    admin.home.write(
        "admin-config.json",
        r#"{"aws_configuration": {"default_region": "eu-central-1"}}"#,
    );
    let shown = admin.ok(&["configure", "--show"]).stdout;
    assert!(
        shown.contains("default_region = \"eu-central-1\""),
        "{shown}"
    );
    assert!(
        shown.contains("identity_pool_name = \"LegacyPool\""),
        "{shown}"
    );

    // Saving carries the legacy values over into admin.toml.
    admin.ok(&["configure", "--no-input"]);
    assert_eq!(
        admin.admin_toml()["aws_service_names"]["identity_pool_name"].as_str(),
        Some("LegacyPool")
    );

    admin
        .home
        .write("admin-config.json", "{\"aws_configuration\": ");
    let err = admin.fails(&["configure", "--show"]);
    assert!(
        err.stderr.contains("admin-config.json") && err.stderr.contains("line 1"),
        "{}",
        err.stderr
    );
}
