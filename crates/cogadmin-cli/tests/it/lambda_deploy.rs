//! `cogadmin lambda deploy` with the real package (`cargo xtask package-lambda`, built once per
//! test binary) against the emulator: a first deploy creates everything, every resource tagged
//! `cogauth:managed = true` and the key in a Secrets Manager secret, never in the function's
//! configuration; a second changes nothing and creates no access key; `--rotate-key` replaces
//! the key without leaving the old one; a dry run changes nothing; a given key is used as is
//! (once its user is adopted). The account's state is read back with the AWS CLI installed
//! beside the emulator; the key's secret must never be printed.
//!
//! Every test uses its own resource names: the emulator is shared with other test binaries.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use cogauth_test_support::fixtures::{self, Pool};
use cogauth_test_support::{ACCOUNT_ID, REGION, TestHome, emulator};
use serde_json::Value;

use crate::BIN;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The real package, made by `cargo xtask package-lambda` once for this test binary: the
/// release build, or under `cargo xtask test` the tests' debug build of the same function
/// (`COGAUTH_LAMBDA_PREBUILT`), while the release package is built and checked beside the tests.
fn package() -> &'static Path {
    static PACKAGE: OnceLock<PathBuf> = OnceLock::new();
    PACKAGE.get_or_init(|| {
        // The xtask binary `cargo test --workspace` built beside cogadmin, when it is there:
        // `cargo run` would wait for any other cargo holding the build directory (`cargo xtask
        // test` runs clippy beside the tests).
        let xtask = Path::new(BIN).with_file_name("xtask");
        let mut cmd = if xtask.is_file() {
            Command::new(xtask)
        } else {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let mut cmd = Command::new(cargo);
            cmd.args(["run", "--quiet", "-p", "xtask", "--"]);
            cmd
        };
        let out = cmd
            .current_dir(workspace_root())
            .arg("package-lambda")
            .output()
            .expect("run cargo xtask package-lambda");
        assert!(
            out.status.success(),
            "cargo xtask package-lambda failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let path = stdout
            .lines()
            .find_map(|l| l.strip_prefix("packaged "))
            .and_then(|l| l.split(": ").next())
            .unwrap_or_else(|| panic!("no package path in:\n{stdout}"));
        PathBuf::from(path)
    })
}

/// Unique names for one deployment.
pub(crate) struct Names {
    pub function: String,
    pub user: String,
    pub execution_role: String,
    pub long_lived_role: String,
}

impl Names {
    pub fn new() -> Self {
        Self {
            function: fixtures::unique("proxy"),
            user: fixtures::unique("ProxyUser"),
            execution_role: fixtures::unique("ProxyExec"),
            long_lived_role: fixtures::unique("LongLived"),
        }
    }

    pub fn args(&self) -> Vec<String> {
        [
            ("--function-name", &self.function),
            ("--iam-user-name", &self.user),
            ("--execution-role-name", &self.execution_role),
            ("--long-lived-role-name", &self.long_lived_role),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value.clone()])
        .collect()
    }
}

pub(crate) struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The action of the step on `resource` named `name` ("created", "unchanged", ...).
    pub fn action(&self, resource: &str, name: &str) -> String {
        let prefix = format!("{resource} ");
        self.stdout
            .lines()
            .map(str::trim_start)
            .find(|l| {
                l.starts_with(&prefix)
                    && (l.contains(&format!(" {name}: ")) || l.contains(&format!(" {name} (")))
            })
            .and_then(|l| l.rsplit(": ").next())
            .unwrap_or_else(|| panic!("no `{resource} {name}` step in:\n{}", self.stdout))
            .to_owned()
    }

    /// The actions of every step on `resource` named `name`, in order (an adoption or a
    /// migration comes before the resource's own step).
    pub fn actions(&self, resource: &str, name: &str) -> Vec<String> {
        let prefix = format!("{resource} ");
        self.stdout
            .lines()
            .map(str::trim_start)
            .filter(|l| {
                l.starts_with(&prefix)
                    && (l.contains(&format!(" {name}: ")) || l.contains(&format!(" {name} (")))
            })
            .filter_map(|l| l.rsplit(": ").next())
            .map(str::to_owned)
            .collect()
    }
}

pub(crate) fn cogadmin(home: &TestHome, args: &[String], stdin: &str) -> Run {
    let mut child = home
        .command(BIN)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cogadmin");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out: Output = child.wait_with_output().unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `cogadmin lambda deploy` of the real package for `pool` with `names` and `extra` flags.
fn deploy(home: &TestHome, pool: &Pool, names: &Names, extra: &[&str]) -> Run {
    deploy_package(home, pool, names, package(), extra)
}

/// [`deploy`] of the package at `zip`.
pub(crate) fn deploy_package(
    home: &TestHome,
    pool: &Pool,
    names: &Names,
    zip: &Path,
    extra: &[&str],
) -> Run {
    let mut args: Vec<String> = [
        "lambda",
        "deploy",
        "--user-pool-id",
        &pool.user_pool_id,
        "--client-id",
        &pool.client_id,
        "--identity-pool-id",
        &pool.identity_pool_id,
        "--zip",
        zip.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(names.args());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    cogadmin(home, &args, "")
}

/// A package that passes the deploy's checks, written into `home`.
pub(crate) fn fake_package_in(home: &TestHome) -> PathBuf {
    let zip = home.join("proxy.zip");
    std::fs::write(&zip, crate::fake_package()).unwrap();
    zip
}

pub(crate) fn aws_fails(args: &[&str]) -> String {
    let out = emulator().aws(args);
    assert!(!out.success, "aws {args:?} succeeded");
    out.stderr
}

pub(crate) fn access_keys(user: &str) -> Vec<String> {
    emulator().aws_json(&["iam", "list-access-keys", "--user-name", user])["AccessKeyMetadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["AccessKeyId"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn function_env(function: &str) -> Value {
    emulator().aws_json(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        function,
    ])["Environment"]["Variables"]
        .clone()
}

/// The secret's current value, as the proxy reads it: (AccessKeyId, SecretAccessKey).
pub(crate) fn secret_value(secret: &str) -> (String, String) {
    let answer =
        emulator().aws_json(&["secretsmanager", "get-secret-value", "--secret-id", secret]);
    let value: Value =
        serde_json::from_str(answer["SecretString"].as_str().expect("a SecretString"))
            .expect("the secret is JSON");
    (
        value["AccessKeyId"].as_str().unwrap().to_owned(),
        value["SecretAccessKey"].as_str().unwrap().to_owned(),
    )
}

/// What anyone allowed `lambda:GetFunctionConfiguration` sees, as the AWS CLI prints it.
pub(crate) fn function_configuration_text(function: &str) -> String {
    let out = emulator().aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        function,
    ]);
    assert!(out.success, "{}", out.stderr);
    out.stdout
}

pub(crate) fn assert_no_secret(run: &Run, secret: &str) {
    assert!(!secret.is_empty());
    assert!(
        !run.stdout.contains(secret) && !run.stderr.contains(secret),
        "the secret access key was printed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[tokio::test]
async fn deploy_creates_then_changes_nothing_then_rotates_the_key() {
    let pool = fixtures::create_pool(Default::default()).await;
    crate::mark_as_setups(&pool).await;
    let names = Names::new();
    let home = TestHome::new();

    // First run: everything is created.
    let first = deploy(&home, &pool, &names, &["--create-user"]);
    assert!(first.ok, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(first.action("IAM user", &names.user), "created");
    assert_eq!(first.action("IAM role", &names.long_lived_role), "created");
    assert_eq!(first.action("IAM role", &names.execution_role), "created");
    assert_eq!(first.action("Lambda function", &names.function), "created");
    let secret_name = format!("cogauth/{}/iam-user-key", names.function);
    assert_eq!(first.action("secret", &secret_name), "created");
    assert_eq!(
        first.action(
            "invoke permission",
            &format!("cogauth-invoke-{}", names.function)
        ),
        "created"
    );
    let keys = access_keys(&names.user);
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(first.action("access key", key), "created");
    assert!(
        first.stdout.contains("checked: STS accepts the key as"),
        "{}",
        first.stdout
    );

    let user_arn = format!("arn:aws:iam::{ACCOUNT_ID}:user/{}", names.user);
    let long_lived_arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/{}", names.long_lived_role);
    let function_arn = format!(
        "arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{}",
        names.function
    );

    // The function: runtime, handler, architecture, environment, and no key in it.
    let config = emulator().aws_json(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &names.function,
    ]);
    assert_eq!(config["Runtime"], "provided.al2023");
    assert_eq!(config["Handler"], "bootstrap");
    assert_eq!(config["Architectures"], serde_json::json!(["x86_64"]));
    assert_eq!(config["Timeout"], 30);
    assert_eq!(
        config["Role"],
        format!("arn:aws:iam::{ACCOUNT_ID}:role/{}", names.execution_role)
    );
    let env = &config["Environment"]["Variables"];
    assert_eq!(env["USER_POOL_ID"], pool.user_pool_id.as_str());
    assert_eq!(env["CLIENT_IDS"], pool.client_id.as_str());
    assert_eq!(env["DEFAULT_ROLE_ARN"], long_lived_arn.as_str());
    assert_eq!(env["MAX_DURATION_SECONDS"], "43200");
    assert_eq!(env["REQUIRE_ACCESS_TOKEN"], "true");
    assert!(env.get("IAM_USER_ACCESS_KEY_ID").is_none(), "{env}");
    assert!(env.get("IAM_USER_SECRET_ACCESS_KEY").is_none(), "{env}");
    let secret_arn = env["IAM_USER_SECRET_ARN"].as_str().unwrap().to_owned();
    assert!(
        secret_arn.starts_with(&format!(
            "arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{secret_name}-"
        )),
        "{secret_arn}"
    );
    // The secret holds the key, in the shape the proxy reads; the function's configuration,
    // as anyone allowed lambda:GetFunctionConfiguration sees it, holds no part of it.
    let (id, secret) = secret_value(&secret_arn);
    assert_eq!(&id, key);
    assert!(
        !function_configuration_text(&names.function).contains(&secret),
        "the secret is in the function's configuration"
    );
    assert_no_secret(&first, &secret);
    assert!(first.stdout.contains(&function_arn), "{}", first.stdout);
    assert!(first.stdout.contains(&secret_arn), "{}", first.stdout);

    // Everything the deploy created carries the mark.
    assert!(crate::is_marked(&crate::role_tags(&names.long_lived_role)));
    assert!(crate::is_marked(&crate::role_tags(&names.execution_role)));
    let user_tags = crate::tag_pairs(
        &emulator().aws_json(&["iam", "list-user-tags", "--user-name", &names.user])["Tags"],
    );
    assert!(crate::is_marked(&user_tags), "{user_tags:?}");
    let secret_tags = crate::tag_pairs(
        &emulator().aws_json(&[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            &secret_arn,
        ])["Tags"],
    );
    assert!(crate::is_marked(&secret_tags), "{secret_tags:?}");
    let function_tags =
        emulator().aws_json(&["lambda", "list-tags", "--resource", &function_arn])["Tags"].clone();
    assert_eq!(function_tags["cogauth:managed"], "true", "{function_tags}");

    // The IAM user: least privilege on the long-lived role only; its key marked as cogauth's.
    let policy = emulator().aws_json(&[
        "iam",
        "get-user-policy",
        "--user-name",
        &names.user,
        "--policy-name",
        "CognitoCredentialProxyPolicy",
    ])["PolicyDocument"]
        .clone();
    assert_eq!(
        policy["Statement"],
        serde_json::json!([{
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            "Resource": long_lived_arn,
        }])
    );
    assert!(
        user_tags
            .iter()
            .any(|(k, v)| k == key && v == "cogauth credential proxy"),
        "{user_tags:?}"
    );

    // The long-lived role: 12 h sessions, trusting the user for the three actions.
    let role =
        emulator().aws_json(&["iam", "get-role", "--role-name", &names.long_lived_role])["Role"]
            .clone();
    assert_eq!(role["MaxSessionDuration"], 43200);
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"],
        serde_json::json!([{
            "Effect": "Allow",
            "Principal": {"AWS": user_arn},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        }])
    );
    // The execution role: trusted by Lambda, logs of this function and its one secret only.
    let exec =
        emulator().aws_json(&["iam", "get-role", "--role-name", &names.execution_role])["Role"]
            .clone();
    assert_eq!(
        exec["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        serde_json::json!({"Service": "lambda.amazonaws.com"})
    );
    let execution_policy = emulator().aws_json(&[
        "iam",
        "get-role-policy",
        "--role-name",
        &names.execution_role,
        "--policy-name",
        "CognitoCredentialProxyPolicy",
    ])["PolicyDocument"]
        .clone();
    let statements = execution_policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 3, "{execution_policy}");
    let logs = serde_json::json!(&statements[..2]).to_string();
    assert!(
        logs.contains(&format!("log-group:/aws/lambda/{}", names.function)),
        "{logs}"
    );
    assert_eq!(
        statements[2],
        serde_json::json!({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn})
    );
    assert!(
        !execution_policy.to_string().contains("\"*\""),
        "{execution_policy}"
    );

    // The identity pool's authenticated role may invoke the function.
    let auth_role = pool.role_arn.rsplit('/').next().unwrap();
    let invoke = emulator().aws_json(&[
        "iam",
        "get-role-policy",
        "--role-name",
        auth_role,
        "--policy-name",
        &format!("cogauth-invoke-{}", names.function),
    ])["PolicyDocument"]
        .clone();
    assert_eq!(
        invoke["Statement"],
        serde_json::json!([{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn}])
    );

    // Second run: an update that finds nothing to change, and no new key.
    let second = deploy(&home, &pool, &names, &["--create-user"]);
    assert!(second.ok, "{}\n{}", second.stdout, second.stderr);
    for (resource, name) in [
        ("IAM user", names.user.as_str()),
        ("IAM role", names.long_lived_role.as_str()),
        ("IAM role", names.execution_role.as_str()),
        ("Lambda function", names.function.as_str()),
        ("access key", key.as_str()),
        ("secret", secret_name.as_str()),
    ] {
        assert_eq!(
            second.action(resource, name),
            "unchanged",
            "{}",
            second.stdout
        );
    }
    assert!(!second.stdout.contains("adopt"), "{}", second.stdout);
    assert!(
        second.stdout.contains("nothing changed"),
        "{}",
        second.stdout
    );
    assert_eq!(access_keys(&names.user), std::slice::from_ref(key));
    assert_no_secret(&second, &secret);

    // A dry run of a rotation: says it would create a key, changes nothing.
    let dry = deploy(&home, &pool, &names, &["--rotate-key", "--dry-run"]);
    assert!(dry.ok, "{}\n{}", dry.stdout, dry.stderr);
    assert_eq!(dry.action("access key", "(new key)"), "would create");
    assert_eq!(dry.action("secret", &secret_name), "would update");
    assert!(
        dry.stdout.contains(&format!("replaces {key}")),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("dry run: nothing was changed"));
    assert_eq!(access_keys(&names.user), std::slice::from_ref(key));

    // Rotation: a new key in a new version of the secret, the old key deleted, the function's
    // configuration untouched (it names the secret, not the key).
    let rotated = deploy(&home, &pool, &names, &["--rotate-key"]);
    assert!(rotated.ok, "{}\n{}", rotated.stdout, rotated.stderr);
    let keys = access_keys(&names.user);
    assert_eq!(keys.len(), 1, "keys never pile up: {keys:?}");
    let new_key = &keys[0];
    assert_ne!(new_key, key);
    assert_eq!(rotated.action("access key", new_key), "created");
    assert_eq!(rotated.action("secret", &secret_name), "updated");
    assert_eq!(
        rotated.action("Lambda function", &names.function),
        "unchanged"
    );
    let (id, new_secret) = secret_value(&secret_arn);
    assert_eq!(&id, new_key);
    assert_ne!(new_secret, secret);
    assert_no_secret(&rotated, &new_secret);
    assert_eq!(
        function_env(&names.function)["IAM_USER_SECRET_ARN"],
        secret_arn.as_str()
    );
    let tags = emulator().aws_json(&["iam", "list-user-tags", "--user-name", &names.user])["Tags"]
        .to_string();
    assert!(
        !tags.contains(key.as_str()),
        "the old key's tag is gone: {tags}"
    );
}

#[tokio::test]
async fn dry_run_on_a_fresh_account_changes_nothing() {
    let pool = fixtures::create_pool(Default::default()).await;
    crate::mark_as_setups(&pool).await;
    let names = Names::new();
    let run = deploy(
        &TestHome::new(),
        &pool,
        &names,
        &["--create-user", "--dry-run"],
    );
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.action("IAM user", &names.user), "would create");
    assert_eq!(
        run.action("IAM role", &names.long_lived_role),
        "would create"
    );
    assert_eq!(
        run.action("Lambda function", &names.function),
        "would create"
    );
    assert_eq!(run.action("access key", "(new key)"), "would create");
    assert_eq!(
        run.action(
            "secret",
            &format!("cogauth/{}/iam-user-key", names.function)
        ),
        "would create"
    );
    assert!(run.stdout.contains("dry run: nothing was changed"));
    assert!(aws_fails(&["iam", "get-user", "--user-name", &names.user]).contains("NoSuchEntity"));
    assert!(
        aws_fails(&[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            &format!("cogauth/{}/iam-user-key", names.function)
        ])
        .contains("ResourceNotFoundException")
    );
    assert!(
        aws_fails(&["lambda", "get-function", "--function-name", &names.function])
            .contains("ResourceNotFoundException")
    );
}

#[tokio::test]
async fn a_missing_user_without_create_user_is_an_error_that_says_what_to_do() {
    let pool = fixtures::create_pool(Default::default()).await;
    crate::mark_as_setups(&pool).await;
    let names = Names::new();
    let run = deploy(&TestHome::new(), &pool, &names, &[]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains(&format!(
            "IAM user `{}` does not exist: pass --create-user",
            names.user
        )),
        "{}",
        run.stderr
    );
    assert!(
        aws_fails(&["lambda", "get-function", "--function-name", &names.function])
            .contains("ResourceNotFoundException"),
        "nothing was deployed"
    );
}

#[tokio::test]
async fn a_given_access_key_is_deployed_as_is_and_its_owner_is_trusted_once_adopted() {
    let pool = fixtures::create_pool(Default::default()).await;
    let names = Names::new();
    let owner = fixtures::unique("OwnUser");
    emulator().aws_json(&["iam", "create-user", "--user-name", &owner]);
    let key =
        emulator().aws_json(&["iam", "create-access-key", "--user-name", &owner])["AccessKey"]
            .clone();
    let id = key["AccessKeyId"].as_str().unwrap();
    let secret = key["SecretAccessKey"].as_str().unwrap();

    let mut args: Vec<String> = [
        "lambda",
        "deploy",
        "--user-pool-id",
        &pool.user_pool_id,
        "--client-id",
        &pool.client_id,
        "--zip",
        package().to_str().unwrap(),
        "--access-key-id",
        id,
        "--secret-access-key-stdin",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(names.args());

    // The key's owner is the administrator's own user: the deploy would change it (its inline
    // policy), so it needs --adopt.
    let refused = cogadmin(&TestHome::new(), &args, &format!("{secret}\n"));
    assert!(!refused.ok);
    assert!(
        refused
            .stderr
            .contains(&format!("IAM user `{owner}` (arn:aws:iam::{ACCOUNT_ID}:user/{owner}) was not created by cogadmin")),
        "{}",
        refused.stderr
    );
    assert!(
        aws_fails(&["lambda", "get-function", "--function-name", &names.function])
            .contains("ResourceNotFoundException"),
        "nothing was deployed"
    );

    args.push("--adopt".to_owned());
    let run = cogadmin(&TestHome::new(), &args, &format!("{secret}\n"));
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert_no_secret(&run, secret);
    assert_eq!(run.action("IAM user", &owner), "adopted");
    assert!(
        run.stdout.contains("given with --access-key-id"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("no identity pool given"),
        "warns about the invoke permission: {}",
        run.stderr
    );
    let env = function_env(&names.function);
    assert!(env.get("IAM_USER_ACCESS_KEY_ID").is_none(), "{env}");
    let (stored_id, stored_secret) = secret_value(env["IAM_USER_SECRET_ARN"].as_str().unwrap());
    assert_eq!((stored_id.as_str(), stored_secret.as_str()), (id, secret));
    assert!(!function_configuration_text(&names.function).contains(secret));
    let role =
        emulator().aws_json(&["iam", "get-role", "--role-name", &names.long_lived_role])["Role"]
            .clone();
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT_ID}:user/{owner}")
    );
    assert_eq!(access_keys(&owner), [id.to_owned()], "no key was created");
}

#[tokio::test]
async fn a_given_key_whose_secret_is_wrong_is_refused_before_the_function_uses_it() {
    let pool = fixtures::create_pool(Default::default()).await;
    let names = Names::new();
    let home = TestHome::new();
    let owner = fixtures::unique("OwnUser");
    emulator().aws_json(&["iam", "create-user", "--user-name", &owner]);
    let key =
        emulator().aws_json(&["iam", "create-access-key", "--user-name", &owner])["AccessKey"]
            .clone();
    let id = key["AccessKeyId"].as_str().unwrap();
    let zip = fake_package_in(&home);
    let mut args: Vec<String> = [
        "lambda",
        "deploy",
        "--user-pool-id",
        &pool.user_pool_id,
        "--client-id",
        &pool.client_id,
        "--zip",
        zip.to_str().unwrap(),
        "--access-key-id",
        id,
        "--secret-access-key-stdin",
        "--adopt",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(names.args());
    let run = cogadmin(&home, &args, "not-the-secret-of-this-key\n");
    assert!(!run.ok);
    assert!(
        run.stderr.contains(&format!(
            "access key `{id}` of IAM user `{owner}` did not work from the secret"
        )) && run.stderr.contains("SignatureDoesNotMatch"),
        "{}",
        run.stderr
    );
    assert!(
        aws_fails(&["lambda", "get-function", "--function-name", &names.function])
            .contains("ResourceNotFoundException"),
        "no function was created with a key that does not work"
    );
    assert_eq!(
        access_keys(&owner),
        [id.to_owned()],
        "the given key is kept"
    );
}

#[test]
fn a_missing_package_is_an_error_that_says_how_to_build_it() {
    let home = TestHome::offline();
    let args: Vec<String> = [
        "lambda",
        "deploy",
        "--user-pool-id",
        "us-east-1_AbC123",
        "--client-id",
        "client1",
    ]
    .map(str::to_owned)
    .to_vec();
    let run = cogadmin(&home, &args, "");
    assert!(!run.ok);
    assert!(
        run.stderr.contains("cannot read the lambda package `")
            && run.stderr.contains("cargo xtask package-lambda"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_legacy_python_runtime_is_ignored_with_one_warning() {
    // The original always wrote `lambda_runtime = "python3.9"`; the package is a `bootstrap`.
    let pool = fixtures::create_pool(Default::default()).await;
    crate::mark_as_setups(&pool).await;
    let names = Names::new();
    let home = TestHome::new();
    home.write(
        ".cognito-admin-config.json",
        r#"{"aws_configuration": {"default_region": "us-east-1", "lambda_runtime": "python3.9"}}"#,
    );
    let zip = fake_package_in(&home);
    let run = deploy_package(&home, &pool, &names, &zip, &["--create-user"]);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    let config = emulator().aws_json(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &names.function,
    ]);
    assert_eq!(config["Runtime"], "provided.al2023");
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("lambda_runtime"))
        .collect();
    assert_eq!(
        warnings,
        [
            "cogadmin: warning: ignoring `aws_configuration.lambda_runtime = \"python3.9\"` of \
             the admin config: the proxy is a native `bootstrap`, which runs on provided.al2023"
        ],
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn the_originals_lambda_code_flag_takes_a_package_and_explains_python() {
    let pool = fixtures::create_pool(Default::default()).await;
    let names = Names::new();
    let home = TestHome::new();
    let zip = fake_package_in(&home);
    let mut args: Vec<String> = [
        "lambda",
        "deploy",
        "--dry-run",
        "--create-user",
        "--user-pool-id",
        &pool.user_pool_id,
        "--client-id",
        &pool.client_id,
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(names.args());

    // A zip holding `bootstrap`: taken as --zip.
    let mut with_zip = args.clone();
    with_zip.extend(["--lambda-code".to_owned(), zip.display().to_string()]);
    let run = cogadmin(&home, &with_zip, "");
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.action("Lambda function", &names.function),
        "would create"
    );

    // The original's Python function: refused, saying what to pass instead.
    let python = home.write(
        "lambda_function.py",
        "def lambda_handler(event, context):\n    return {}\n",
    );
    let mut with_python = args;
    with_python.extend(["--lambda-code".to_owned(), python.display().to_string()]);
    let run = cogadmin(&home, &with_python, "");
    assert!(!run.ok);
    assert!(
        run.stderr.starts_with(&format!(
            "cogadmin: error: --lambda-code `{}` is not a proxy package",
            python.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Python function is not deployable")
            && run.stderr.contains("cargo xtask package-lambda")
            && run.stderr.contains("--zip"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_secret_access_key_on_the_command_line_is_refused_without_echoing_it() {
    let home = TestHome::offline();
    for args in [
        [
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
            "--secret-access-key",
            "canary-secret-on-argv",
        ],
        [
            "--secret-access-key",
            "canary-secret-on-argv",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
        ],
    ] {
        let mut all = vec!["lambda".to_owned(), "deploy".to_owned()];
        all.extend(args.map(str::to_owned));
        let run = cogadmin(&home, &all, "");
        assert!(!run.ok);
        assert!(
            run.stderr.contains("--secret-access-key is not accepted")
                && run.stderr.contains("/proc")
                && run.stderr.contains("--secret-access-key-stdin"),
            "{}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("canary-secret-on-argv") && !run.stdout.contains("canary"),
            "the secret was echoed: {}",
            run.stderr
        );
    }
}
