//! cogadmin never takes over what it did not create (issue 12, section 2), through the real
//! binary against the emulator. Each attack is shown first, on one planted resource, with
//! `--adopt` (which does what every run did before the fix, silently): then the same run
//! without `--adopt`, on an identical planted resource, which must leave it byte for byte as it
//! was (trust policy, MaxSessionDuration, attached and inline policies, tags; for a user, its
//! access keys).
//!
//! Also here: a deployment made by the earlier cogadmin (untagged, the key in the function's
//! environment), recognised, adopted and migrated; a foreign secret; the function settings the
//! deploy keeps or refuses.

use cogauth_test_support::{ACCOUNT_ID, TestHome, emulator, fixtures};
use serde_json::{Value, json};

use crate::lambda_deploy::{
    Names, Run, access_keys, deploy_package, fake_package_in, function_configuration_text,
    secret_value,
};
use crate::{Admin, is_marked, role_tags, unique_name};

/// A role someone else made: AdministratorAccess, an inline policy, its own trust policy
/// (the account's root), a 1 h MaxSessionDuration, its own tags.
pub(crate) async fn plant_admin_role(name: &str) {
    let iam = fixtures::iam_client().await;
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:root")},
            "Action": "sts:AssumeRole"
        }]
    });
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .max_session_duration(3600)
        .description("break-glass administrators")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("platform")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateRole");
    iam.attach_role_policy()
        .role_name(name)
        .policy_arn(ADMINISTRATOR_ACCESS)
        .send()
        .await
        .expect("AttachRolePolicy");
    iam.put_role_policy()
        .role_name(name)
        .policy_name("audit")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudtrail:*", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("PutRolePolicy");
}

fn aws_ok(args: &[&str]) {
    let out = emulator().aws(args);
    assert!(out.success, "aws {args:?}: {}", out.stderr);
}

const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// A user someone else made, with one access key and its own policy and tags.
async fn plant_user(name: &str) {
    let iam = fixtures::iam_client().await;
    iam.create_user()
        .user_name(name)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("ops")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateUser");
    iam.create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("CreateAccessKey");
    iam.attach_user_policy()
        .user_name(name)
        .policy_arn(ADMINISTRATOR_ACCESS)
        .send()
        .await
        .expect("AttachUserPolicy");
}

/// Everything IAM says about a role (but when it was last used), to compare byte for byte:
/// trust policy, MaxSessionDuration, description, tags, attached and inline policies.
pub(crate) async fn role_snapshot(name: &str) -> String {
    let iam = fixtures::iam_client().await;
    let mut role = iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .expect("GetRole")
        .role
        .expect("a role");
    role.role_last_used = None;
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .expect("ListAttachedRolePolicies");
    let inline = iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .expect("ListRolePolicies");
    let mut documents = Vec::new();
    for policy in inline.policy_names() {
        let got = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .expect("GetRolePolicy");
        documents.push((policy.clone(), got.policy_document().to_owned()));
    }
    let tags = iam
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .expect("ListRoleTags");
    format!(
        "{role:?}\n{:?}\n{documents:?}\n{:?}",
        attached.attached_policies(),
        tags.tags()
    )
}

/// Everything IAM says about a user, its access keys included.
async fn user_snapshot(name: &str) -> String {
    let iam = fixtures::iam_client().await;
    let user = iam
        .get_user()
        .user_name(name)
        .send()
        .await
        .expect("GetUser")
        .user;
    let keys = iam
        .list_access_keys()
        .user_name(name)
        .send()
        .await
        .expect("ListAccessKeys");
    let attached = iam
        .list_attached_user_policies()
        .user_name(name)
        .send()
        .await
        .expect("ListAttachedUserPolicies");
    let inline = iam
        .list_user_policies()
        .user_name(name)
        .send()
        .await
        .expect("ListUserPolicies");
    let tags = iam
        .list_user_tags()
        .user_name(name)
        .send()
        .await
        .expect("ListUserTags");
    format!(
        "{user:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        keys.access_key_metadata(),
        attached.attached_policies(),
        inline.policy_names(),
        tags.tags()
    )
}

/// The role's trust policy, decoded.
pub(crate) async fn trust_of(role: &str) -> Value {
    let got = fixtures::iam_client()
        .await
        .get_role()
        .role_name(role)
        .send()
        .await
        .expect("GetRole");
    let raw = got
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap();
    cogauth_admin::policies::decode_document(raw).expect("a JSON trust policy")
}

async fn max_session_of(role: &str) -> i32 {
    fixtures::iam_client()
        .await
        .get_role()
        .role_name(role)
        .send()
        .await
        .expect("GetRole")
        .role()
        .and_then(|r| r.max_session_duration())
        .unwrap()
}

#[tokio::test]
async fn setup_takes_over_a_planted_admin_role_only_with_adopt() {
    // The attack: an identity pool name whose default role name (Cognito_<name>Auth_Role) is
    // an administrators' role. With --adopt (what every setup did before, unasked), that role
    // becomes what every signed-in user of the pool gets, for 12 h.
    let attacked = unique_name("SetupAttack");
    let attacked_role = format!("Cognito_{attacked}Auth_Role");
    plant_admin_role(&attacked_role).await;
    let admin = Admin::new();
    let taken = admin.ok(&[
        "setup",
        "--create-user-pool",
        &unique_name("pool"),
        "--identity-pool-name",
        &attacked,
        "--adopt",
    ]);
    assert_eq!(
        taken.actions_of("IAM role"),
        ["adopted", "updated"],
        "{}",
        taken.stdout
    );
    let identity_pool_id = admin.recorded("identity_pool_id");
    assert_eq!(
        trust_of(&attacked_role).await["Statement"][0]["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"],
        identity_pool_id.as_str(),
        "the pool's users may now assume it"
    );
    assert_eq!(max_session_of(&attacked_role).await, 43200);
    assert!(
        role_snapshot(&attacked_role)
            .await
            .contains("AdministratorAccess"),
        "with administrator rights"
    );
    assert!(is_marked(&role_tags(&attacked_role)));

    // The refusal: the same planted role, the same command without --adopt.
    let name = unique_name("SetupRefused");
    let role = format!("Cognito_{name}Auth_Role");
    plant_admin_role(&role).await;
    let before = role_snapshot(&role).await;
    let pool_name = unique_name("pool");
    let admin = Admin::new();
    let args = [
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &name,
    ];
    let refused = admin.fails(&args);
    let arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/{role}");
    assert!(
        refused.stderr.starts_with(&format!(
            "cogadmin: error: IAM role `{role}` ({arn}) was not created by cogadmin (it does \
             not carry the tag `cogauth:managed = true`), and `setup` would make it the \
             authenticated role of identity pool `{name}`"
        )),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("run again with --adopt"),
        "{}",
        refused.stderr
    );
    assert_eq!(role_snapshot(&role).await, before, "the role is untouched");
    // Nothing else was made either: the refusal comes before any change.
    let pools = emulator().aws_json(&["cognito-idp", "list-user-pools", "--max-results", "60"]);
    assert!(
        !pools.to_string().contains(&pool_name),
        "no user pool was created"
    );
    assert!(!admin.home.join(".config/cogauth/admin.toml").exists());

    // A dry run with --adopt shows the adoption and what it would change, and changes nothing.
    let dry = admin.ok(&[&args[..], &["--adopt", "--dry-run"]].concat());
    assert_eq!(
        dry.actions_of("IAM role"),
        ["would adopt", "would update"],
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("- tag `cogauth:managed = true`")
            && dry.stdout.contains("- trust policy")
            && dry.stdout.contains("- MaxSessionDuration 3600 -> 43200"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        role_snapshot(&role).await,
        before,
        "a dry run changes nothing"
    );
}

#[tokio::test]
async fn setup_tags_what_it_creates_and_records_its_client_in_the_pool() {
    let admin = Admin::new();
    let (identity_pool_name, _, run) = crate::setup_from_zero(&admin, &[]);
    let user_pool_id = admin.recorded("user_pool_id");
    let client_id = admin.recorded("client_id");
    let pool = emulator().aws_json(&[
        "cognito-idp",
        "describe-user-pool",
        "--user-pool-id",
        &user_pool_id,
    ])["UserPool"]
        .clone();
    assert_eq!(pool["UserPoolTags"]["cogauth:managed"], "true", "{pool}");
    assert_eq!(
        pool["UserPoolTags"][format!("cogauth:client:{client_id}")],
        "true",
        "{pool}"
    );
    let identity = emulator().aws_json(&[
        "cognito-identity",
        "describe-identity-pool",
        "--identity-pool-id",
        &admin.recorded("identity_pool_id"),
    ]);
    assert_eq!(identity["IdentityPoolTags"]["cogauth:managed"], "true");
    assert!(is_marked(&role_tags(&admin.recorded("role_name"))));
    assert!(!run.stdout.contains("adopt"), "{}", run.stdout);

    // A client someone else added to that pool under the name setup looks for is not
    // cogadmin's: the pool's tags do not record it.
    let other = crate::Admin::new();
    let pool_name = pool["Name"].as_str().unwrap().to_owned();
    let intruder = emulator().aws_json(&[
        "cognito-idp",
        "create-user-pool-client",
        "--user-pool-id",
        &user_pool_id,
        "--client-name",
        "other-app",
    ])["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = other.fails(&[
        "setup",
        "--create-user-pool",
        &pool_name,
        "--client-name",
        "other-app",
        "--identity-pool-name",
        &identity_pool_name,
    ]);
    assert!(
        refused.stderr.contains(&format!(
            "app client `other-app` ({intruder}) was not created by cogadmin (its user pool \
             does not record it with the tag `cogauth:client:{intruder}` = `true`)"
        )),
        "{}",
        refused.stderr
    );
}

/// The proxy's deploy of `names` for a pool whose authenticated role `cogadmin setup` made.
async fn pool_for_deploy() -> fixtures::Pool {
    let pool = fixtures::create_pool(Default::default()).await;
    crate::mark_as_setups(&pool).await;
    pool
}

#[tokio::test]
async fn deploy_takes_over_a_planted_role_and_user_only_with_adopt() {
    // The attack: the configured long-lived role is an administrators' role, and the
    // configured IAM user someone's own. With --adopt (what every deploy did before, unasked),
    // the role trusts the proxy's user for 12 h sessions, so every pool user gets
    // AdministratorAccess, and the user gets a key minted for the function.
    let pool = pool_for_deploy().await;
    let home = TestHome::new();
    let zip = fake_package_in(&home);
    let attacked = Names::new();
    plant_admin_role(&attacked.long_lived_role).await;
    plant_user(&attacked.user).await;
    let taken = deploy_package(&home, &pool, &attacked, &zip, &["--adopt"]);
    assert!(taken.ok, "{}\n{}", taken.stdout, taken.stderr);
    assert_eq!(
        taken.actions("IAM role", &attacked.long_lived_role),
        ["adopted", "updated"]
    );
    assert_eq!(
        taken.actions("IAM user", &attacked.user),
        ["adopted", "unchanged"]
    );
    assert_eq!(
        trust_of(&attacked.long_lived_role).await["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT_ID}:user/{}", attacked.user)
    );
    assert_eq!(max_session_of(&attacked.long_lived_role).await, 43200);
    assert_eq!(access_keys(&attacked.user).len(), 2, "a key was minted");

    // The refusal: the same planted role and user, without --adopt.
    let names = Names::new();
    plant_admin_role(&names.long_lived_role).await;
    plant_user(&names.user).await;
    let role_before = role_snapshot(&names.long_lived_role).await;
    let user_before = user_snapshot(&names.user).await;
    let refused = deploy_package(&home, &pool, &names, &zip, &["--create-user"]);
    assert!(!refused.ok);
    let message = refused.stderr.clone();
    assert!(
        message.starts_with(
            "cogadmin: error: cogadmin did not create these resources, and changes only what \
             it created:\n"
        ),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "\n  - IAM user `{0}` (arn:aws:iam::{ACCOUNT_ID}:user/{0}) (it does not carry the \
             tag `cogauth:managed = true`): `lambda deploy` would allow it to assume role `{1}`",
            names.user, names.long_lived_role
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "\n  - IAM role `{0}` (arn:aws:iam::{ACCOUNT_ID}:role/{0}) (it does not carry the \
             tag `cogauth:managed = true`): `lambda deploy` would rewrite its trust policy to \
             trust IAM user `{1}`",
            names.long_lived_role, names.user
        )),
        "{message}"
    );
    assert!(message.contains("run again with --adopt"), "{message}");
    assert_eq!(role_snapshot(&names.long_lived_role).await, role_before);
    assert_eq!(user_snapshot(&names.user).await, user_before);
    assert_eq!(access_keys(&names.user).len(), 1, "no key was minted");
    for (resource, name) in [
        ("lambda", names.function.as_str()),
        ("role", names.execution_role.as_str()),
    ] {
        let missing = match resource {
            "lambda" => crate::lambda_deploy::aws_fails(&[
                "lambda",
                "get-function",
                "--function-name",
                name,
            ]),
            _ => crate::lambda_deploy::aws_fails(&["iam", "get-role", "--role-name", name]),
        };
        assert!(
            missing.contains("ResourceNotFoundException") || missing.contains("NoSuchEntity"),
            "nothing else was created: {missing}"
        );
    }

    // --adopt --dry-run: the adoptions are steps, and nothing changes.
    let dry = deploy_package(&home, &pool, &names, &zip, &["--adopt", "--dry-run"]);
    assert!(dry.ok, "{}\n{}", dry.stdout, dry.stderr);
    assert_eq!(
        dry.actions("IAM role", &names.long_lived_role),
        ["would adopt", "would update"]
    );
    assert_eq!(dry.actions("IAM user", &names.user)[0], "would adopt");
    assert_eq!(role_snapshot(&names.long_lived_role).await, role_before);
    assert_eq!(user_snapshot(&names.user).await, user_before);
}

#[tokio::test]
async fn a_foreign_authenticated_role_or_secret_is_not_changed_without_adopt() {
    let pool = fixtures::create_pool(Default::default()).await;
    let auth_role = pool.role_arn.rsplit('/').next().unwrap().to_owned();
    let home = TestHome::new();
    let zip = fake_package_in(&home);
    let names = Names::new();
    // A secret of someone else's under the name the deploy uses for this function.
    let secret_name = format!("cogauth/{}/iam-user-key", names.function);
    emulator().aws_json(&[
        "secretsmanager",
        "create-secret",
        "--name",
        &secret_name,
        "--secret-string",
        "{\"someone\": \"else\"}",
    ]);
    let role_before = role_snapshot(&auth_role).await;
    let run = deploy_package(&home, &pool, &names, &zip, &["--create-user"]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains(&format!(
            "  - IAM role `{auth_role}` ({}) (it does not carry the tag `cogauth:managed = \
             true`): `lambda deploy` would allow it to invoke function `{}`",
            pool.role_arn, names.function
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "  - secret `{secret_name}` (arn:aws:secretsmanager:"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(role_snapshot(&auth_role).await, role_before);
    let value = emulator().aws_json(&[
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        &secret_name,
    ]);
    assert_eq!(value["SecretString"], "{\"someone\": \"else\"}");
}

/// What the cogadmin before the mark left in the account: the user tagged `cogauth`, the roles
/// and the function with `cogauth` descriptions, the key in the function's environment, and no
/// `cogauth:managed` tag anywhere.
async fn earlier_deployment(pool: &fixtures::Pool, names: &Names, zip: &std::path::Path) -> String {
    emulator().aws_json(&[
        "iam",
        "create-user",
        "--user-name",
        &names.user,
        "--tags",
        "Key=cogauth,Value=credential proxy user",
    ]);
    let key =
        emulator().aws_json(&["iam", "create-access-key", "--user-name", &names.user])["AccessKey"]
            .clone();
    let id = key["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = key["SecretAccessKey"].as_str().unwrap().to_owned();
    aws_ok(&[
        "iam",
        "tag-user",
        "--user-name",
        &names.user,
        "--tags",
        &format!("Key={id},Value=cogauth credential proxy"),
    ]);
    let lambda_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    emulator().aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        &names.execution_role,
        "--assume-role-policy-document",
        &lambda_trust.to_string(),
        "--description",
        "cogauth: execution role of the credential proxy (its logs only)",
    ]);
    let user_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:user/{}", names.user)}, "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]});
    emulator().aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        &names.long_lived_role,
        "--assume-role-policy-document",
        &user_trust.to_string(),
        "--max-session-duration",
        "43200",
        "--description",
        "cogauth: long-lived role the credential proxy assumes for Cognito users",
    ]);
    let env = json!({"Variables": {
        "USER_POOL_ID": pool.user_pool_id,
        "CLIENT_IDS": pool.client_id,
        "DEFAULT_ROLE_ARN": format!("arn:aws:iam::{ACCOUNT_ID}:role/{}", names.long_lived_role),
        "MAX_DURATION_SECONDS": "43200",
        "IAM_USER_ACCESS_KEY_ID": id,
        "IAM_USER_SECRET_ACCESS_KEY": secret,
        "ALLOWED_ROLE_ARNS": format!("arn:aws:iam::{ACCOUNT_ID}:role/{}", names.long_lived_role),
    }});
    emulator().aws_json(&[
        "lambda",
        "create-function",
        "--function-name",
        &names.function,
        "--runtime",
        "provided.al2023",
        "--handler",
        "bootstrap",
        "--role",
        &format!("arn:aws:iam::{ACCOUNT_ID}:role/{}", names.execution_role),
        "--description",
        "cogauth credential proxy: verifies Cognito ID tokens and returns long-lived-role credentials",
        "--zip-file",
        &format!("fileb://{}", zip.display()),
        "--environment",
        &env.to_string(),
    ]);
    secret
}

#[tokio::test]
async fn an_earlier_deployment_is_recognised_adopted_and_migrated_out_of_plain_sight() {
    let pool = pool_for_deploy().await;
    let home = TestHome::new();
    let zip = fake_package_in(&home);
    let names = Names::new();
    let old_secret = earlier_deployment(&pool, &names, &zip).await;
    let old_key = access_keys(&names.user);
    assert!(
        function_configuration_text(&names.function).contains(&old_secret),
        "the attack the migration ends: the key is readable from the configuration"
    );

    // Re-running the deploy: refused, every resource named, each recognised as an earlier
    // cogadmin's, with the way forward.
    let refused = deploy_package(&home, &pool, &names, &zip, &[]);
    assert!(!refused.ok);
    for (what, name) in [
        ("Lambda function", &names.function),
        ("IAM user", &names.user),
        ("IAM role", &names.long_lived_role),
        ("IAM role", &names.execution_role),
    ] {
        let line = refused
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("  - {what} `{name}`")))
            .unwrap_or_else(|| panic!("{what} {name} is not named:\n{}", refused.stderr));
        assert!(
            line.contains("so an earlier cogadmin probably made it"),
            "{line}"
        );
    }
    assert!(refused.stderr.contains("--adopt"), "{}", refused.stderr);
    assert!(function_configuration_text(&names.function).contains(&old_secret));

    // The dry run shows the adoptions and the migration.
    let dry = deploy_package(&home, &pool, &names, &zip, &["--adopt", "--dry-run"]);
    assert!(dry.ok, "{}\n{}", dry.stdout, dry.stderr);
    assert_eq!(
        dry.actions("Lambda function", &names.function),
        ["would adopt", "would migrate", "would update"],
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("the IAM user's key moves out of the environment"),
        "{}",
        dry.stdout
    );
    assert!(function_configuration_text(&names.function).contains(&old_secret));
    assert_eq!(access_keys(&names.user), old_key);

    // --adopt: adopted, migrated, the exposed key replaced.
    let run = deploy_package(&home, &pool, &names, &zip, &["--adopt"]);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.actions("Lambda function", &names.function),
        ["adopted", "migrated", "updated"],
        "{}",
        run.stdout
    );
    let config = function_configuration_text(&names.function);
    assert!(!config.contains(&old_secret), "{config}");
    assert!(!config.contains("IAM_USER_SECRET_ACCESS_KEY"), "{config}");
    assert!(!config.contains("IAM_USER_ACCESS_KEY_ID"), "{config}");
    let env = crate::lambda_deploy::function_env(&names.function);
    assert!(
        env.get("REQUIRE_ACCESS_TOKEN").is_none(),
        "an existing function's setting is kept: {env}"
    );
    assert!(
        run.stderr.contains("REQUIRE_ACCESS_TOKEN is not `true`"),
        "{}",
        run.stderr
    );
    assert_eq!(
        env["ALLOWED_ROLE_ARNS"],
        format!("arn:aws:iam::{ACCOUNT_ID}:role/{}", names.long_lived_role),
        "the administrator's own variables are kept"
    );
    let keys = access_keys(&names.user);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_ne!(keys, old_key, "the key that sat in plain sight is replaced");
    let (id, secret) = secret_value(env["IAM_USER_SECRET_ARN"].as_str().unwrap());
    assert_eq!(id, keys[0]);
    assert!(!config.contains(&secret));
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));

    // Adopted once: the next run needs nothing and changes nothing.
    let again = deploy_package(&home, &pool, &names, &zip, &[]);
    assert!(again.ok, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);
}

#[tokio::test]
async fn the_deploy_keeps_a_safe_jwks_url_and_refuses_a_plain_http_one() {
    let pool = pool_for_deploy().await;
    let home = TestHome::new();
    let zip = fake_package_in(&home);
    let names = Names::new();
    let first = deploy_package(&home, &pool, &names, &zip, &["--create-user"]);
    assert!(first.ok, "{}\n{}", first.stdout, first.stderr);
    let set_env = |extra: (&str, &str)| {
        let mut env = crate::lambda_deploy::function_env(&names.function);
        env[extra.0] = json!(extra.1);
        emulator().aws_json(&[
            "lambda",
            "update-function-configuration",
            "--function-name",
            &names.function,
            "--environment",
            &json!({ "Variables": env }).to_string(),
        ]);
    };

    let loopback = format!(
        "http://127.0.0.1:9/{}/.well-known/jwks.json",
        pool.user_pool_id
    );
    set_env(("COGAUTH_JWKS_URL", &loopback));
    set_env(("REQUIRE_ACCESS_TOKEN", "false"));
    let kept = deploy_package(&home, &pool, &names, &zip, &[]);
    assert!(kept.ok, "{}\n{}", kept.stdout, kept.stderr);
    let env = crate::lambda_deploy::function_env(&names.function);
    assert_eq!(env["COGAUTH_JWKS_URL"], loopback.as_str());
    assert_eq!(
        env["REQUIRE_ACCESS_TOKEN"], "false",
        "the function's own value is kept"
    );

    let plain = "http://keys.example.com/jwks.json";
    set_env(("COGAUTH_JWKS_URL", plain));
    let before = function_configuration_text(&names.function);
    let refused: Run = deploy_package(&home, &pool, &names, &zip, &["--rotate-key"]);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains(&format!(
            "Lambda function `{}` has COGAUTH_JWKS_URL `{plain}`, which the proxy refuses at \
             start-up",
            names.function
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(function_configuration_text(&names.function), before);
    assert_eq!(access_keys(&names.user).len(), 1, "nothing was rotated");
}
