//! `cargo xtask deploy-lambda` against the emulator, twice: the first run packages the real
//! function and creates everything (the key in a Secrets Manager secret, not in the function's
//! configuration); the second is an update that changes nothing and creates no access key. The
//! state is read back with the AWS CLI installed beside the emulator.

use std::process::Output;

use cogauth_test_support::{REGION, TestHome, emulator, fixtures};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

/// The xtask binary in a clean HOME, with what it needs to run cargo and reach the emulator.
fn xtask(home: &TestHome, args: &[&str]) -> Output {
    let real_home = std::env::var("HOME").unwrap_or_default();
    let tool_home =
        |var: &str, dir: &str| std::env::var(var).unwrap_or_else(|_| format!("{real_home}/{dir}"));
    let mut cmd = home.command(XTASK);
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("CARGO_HOME", tool_home("CARGO_HOME", ".cargo"))
        .env("RUSTUP_HOME", tool_home("RUSTUP_HOME", ".rustup"))
        .args(args);
    // COGAUTH_LAMBDA_PREBUILT: `cargo xtask test` has the tests package its debug build.
    for var in [
        "CARGO",
        "CARGO_TARGET_DIR",
        "RUSTUP_TOOLCHAIN",
        "COGAUTH_LAMBDA_PREBUILT",
    ] {
        if let Ok(value) = std::env::var(var) {
            cmd.env(var, value);
        }
    }
    cmd.output().expect("run xtask")
}

/// The action reported for `resource` `name` ("created", "unchanged", ...).
fn action(stdout: &str, resource: &str, name: &str) -> String {
    stdout
        .lines()
        .map(str::trim_start)
        .find(|l| l.starts_with(resource) && l.contains(&format!(" {name}: ")))
        .and_then(|l| l.rsplit(": ").next())
        .unwrap_or_else(|| panic!("no `{resource} {name}` step in:\n{stdout}"))
        .to_owned()
}

fn access_keys(user: &str) -> Vec<String> {
    emulator().aws_json(&["iam", "list-access-keys", "--user-name", user])["AccessKeyMetadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["AccessKeyId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn deploy_lambda_twice_creates_then_updates_without_a_new_key() {
    let pool = fixtures::create_pool(Default::default()).await;
    // The pool's authenticated role as `cogadmin setup` makes it: marked as cogadmin's, so the
    // deploy may add its invoke permission.
    fixtures::iam_client()
        .await
        .tag_role()
        .role_name(pool.role_arn.rsplit('/').next().unwrap())
        .tags(cogauth_admin::ownership::iam_tag())
        .send()
        .await
        .expect("TagRole");
    let function = fixtures::unique("xtask-proxy");
    let user = fixtures::unique("XtaskProxyUser");
    let execution_role = fixtures::unique("XtaskProxyExec");
    let long_lived_role = fixtures::unique("XtaskLongLived");
    let home = TestHome::new();
    let args = [
        "deploy-lambda",
        "--create-user",
        "--user-pool-id",
        &pool.user_pool_id,
        "--client-id",
        &pool.client_id,
        "--identity-pool-id",
        &pool.identity_pool_id,
        "--function-name",
        &function,
        "--iam-user-name",
        &user,
        "--execution-role-name",
        &execution_role,
        "--long-lived-role-name",
        &long_lived_role,
    ];

    let first = xtask(&home, &args);
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stdout}\n{stderr}");
    let packaged = stdout
        .lines()
        .find(|l| l.starts_with("packaged "))
        .unwrap_or_else(|| panic!("no package line in:\n{stdout}"));
    assert!(
        packaged.contains("x86_64 bootstrap for provided.al2023, glibc <= 2.34")
            && packaged.ends_with("zipped"),
        "{packaged}"
    );
    assert_eq!(action(&stdout, "Lambda function", &function), "created");
    let keys = access_keys(&user);
    assert_eq!(keys.len(), 1);
    let config = emulator().aws_json(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &function,
    ]);
    assert_eq!(config["Architectures"], serde_json::json!(["x86_64"]));
    assert_eq!(config["Runtime"], "provided.al2023");
    let code_sha256 = config["CodeSha256"].clone();
    let env = &config["Environment"]["Variables"];
    assert!(env.get("IAM_USER_SECRET_ACCESS_KEY").is_none(), "{env}");
    let stored = emulator().aws_json(&[
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        env["IAM_USER_SECRET_ARN"].as_str().unwrap(),
    ]);
    let stored: serde_json::Value =
        serde_json::from_str(stored["SecretString"].as_str().unwrap()).unwrap();
    assert_eq!(stored["AccessKeyId"], keys[0].as_str());
    let secret = stored["SecretAccessKey"].as_str().unwrap().to_owned();
    assert!(
        !stdout.contains(&secret) && !stderr.contains(&secret),
        "secret printed"
    );
    assert!(
        !config.to_string().contains(&secret),
        "secret in the configuration"
    );

    let second = xtask(&home, &args);
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(action(&stdout, "Lambda function", &function), "unchanged");
    assert_eq!(action(&stdout, "access key", &keys[0]), "unchanged");
    assert!(stdout.contains("nothing changed"), "{stdout}");
    assert_eq!(access_keys(&user), keys, "no new access key");
    let config = emulator().aws_json(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &function,
    ]);
    assert_eq!(
        config["CodeSha256"], code_sha256,
        "the reproducible zip is the same code"
    );
}

/// `deploy-lambda` runs the clap definition of `cogadmin lambda deploy`
/// (`cogauth_admin::lambda_deploy::cli::DeployArgs`), not a copy: every flag of it is offered,
/// and its refusals are the same.
#[test]
fn deploy_lambda_has_the_flags_of_cogadmin_lambda_deploy() {
    use clap::Args as _;
    let shared =
        cogauth_admin::lambda_deploy::cli::DeployArgs::augment_args(clap::Command::new("x"));
    let flags: Vec<String> = shared
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    assert!(flags.len() >= 12, "{flags:?}");
    let home = TestHome::offline();
    let help = xtask(&home, &["deploy-lambda", "--help"]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in &flags {
        assert!(
            help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
            "{flag} missing:\n{help}"
        );
    }

    let refused = xtask(
        &home,
        &[
            "deploy-lambda",
            "--secret-access-key",
            "canary-secret-on-argv",
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--secret-access-key is not accepted")
            && stderr.contains("--secret-access-key-stdin")
            && !stderr.contains("canary-secret-on-argv"),
        "{stderr}"
    );
}
