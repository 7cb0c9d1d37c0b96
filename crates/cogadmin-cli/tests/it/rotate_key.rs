//! `cogadmin lambda rotate-key` against the emulator, whose STS checks the keys IAM issued
//! (a deleted or inactive key is `InvalidClientTokenId`, a wrong secret
//! `SignatureDoesNotMatch`): the real proxy handler (`cogauth_lambda::handle_json`, configured
//! from the deployed function's environment) keeps answering 200 while the rotation runs and
//! after it, picking the new key up from the secret; the user never has more than two keys,
//! watched while the rotation runs; a leftover key is cleaned up first, and an administrator's
//! second key stops the rotation before anything changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use cogauth_lambda::config::Config;
use cogauth_lambda::{AwsOverrides, Deps};
use cogauth_test_support::{REGION, TestHome, emulator, fixtures};

use crate::lambda_deploy::{
    Names, Run, access_keys, cogadmin, deploy_package, fake_package_in, secret_value,
};

const PASSWORD: &str = "Rotation-Passw0rd!";

/// A deployed proxy (fake package: moto stores the code, the handler runs here).
struct Deployed {
    pool: fixtures::Pool,
    names: Names,
    home: TestHome,
    secret_arn: String,
}

async fn deployed() -> Deployed {
    let pool = fixtures::create_pool(Default::default()).await;
    crate::mark_as_setups(&pool).await;
    let home = TestHome::new();
    let zip = fake_package_in(&home);
    let names = Names::new();
    let run = deploy_package(&home, &pool, &names, &zip, &["--create-user"]);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    let env = crate::lambda_deploy::function_env(&names.function);
    Deployed {
        secret_arn: env["IAM_USER_SECRET_ARN"].as_str().unwrap().to_owned(),
        pool,
        names,
        home,
    }
}

impl Deployed {
    fn rotate(&self, extra: &[&str]) -> Run {
        let mut args: Vec<String> = [
            "lambda",
            "rotate-key",
            "--function-name",
            &self.names.function,
            "--user-pool-id",
            &self.pool.user_pool_id,
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        cogadmin(&self.home, &args, "")
    }

    /// The real proxy, configured as the deployed function is (its environment), its JWKS
    /// and every AWS call on the emulator.
    async fn proxy(&self) -> Deps {
        let env = crate::lambda_deploy::function_env(&self.names.function);
        let jwks = format!(
            "{}/{}/.well-known/jwks.json",
            emulator().endpoint(),
            self.pool.user_pool_id
        );
        let config = Config::from_lookup(|name| match name {
            "COGAUTH_JWKS_URL" => Some(jwks.clone()),
            "AWS_REGION" => Some(REGION.to_owned()),
            _ => env[name].as_str().map(str::to_owned),
        })
        .expect("the deployed configuration");
        Deps::from_config_with(
            config,
            AwsOverrides::at(emulator().endpoint(), "testing", "testing"),
        )
        .await
        .expect("the proxy starts with the deployed configuration")
    }

    /// The request cogauth sends for a freshly signed-in user: both tokens.
    async fn request(&self) -> serde_json::Value {
        let username = fixtures::unique("rotation-user");
        fixtures::create_user(&self.pool, &username, PASSWORD).await;
        let auth = fixtures::idp_client()
            .await
            .initiate_auth()
            .client_id(&self.pool.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &username)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .expect("InitiateAuth");
        let tokens = auth.authentication_result().expect("tokens");
        serde_json::json!({
            "id_token": tokens.id_token().unwrap(),
            "access_token": tokens.access_token().unwrap(),
        })
    }
}

/// The proxy's HTTP status for `request`.
async fn status(deps: &Deps, request: &serde_json::Value) -> u64 {
    let answer = cogauth_lambda::handle_json(request.clone(), deps).await;
    answer["statusCode"].as_u64().expect("statusCode")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_keeps_serving_through_a_rotation_with_at_most_two_keys() {
    let deployed = deployed().await;
    let names = &deployed.names;
    let old = access_keys(&names.user);
    assert_eq!(old.len(), 1);
    let deps = deployed.proxy().await;
    let request = deployed.request().await;
    assert_eq!(status(&deps, &request).await, 200, "serving before");

    // The rotation runs in its own process; meanwhile the proxy serves and the keys are
    // counted.
    let done = Arc::new(AtomicBool::new(false));
    let mut command = deployed.home.command(crate::BIN);
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .args([
            "lambda",
            "rotate-key",
            "--function-name",
            &names.function,
            "--user-pool-id",
            &deployed.pool.user_pool_id,
        ]);
    let rotation = {
        let done = done.clone();
        std::thread::spawn(move || {
            let out = command.output().expect("run cogadmin lambda rotate-key");
            done.store(true, Ordering::SeqCst);
            out
        })
    };
    let started = std::time::Instant::now();
    let iam = fixtures::iam_client().await;
    let serve = async {
        let mut statuses = Vec::new();
        while !done.load(Ordering::SeqCst) {
            statuses.push(status(&deps, &request).await);
        }
        statuses
    };
    let count = async {
        let (mut most, mut counts) = (0, 0);
        while !done.load(Ordering::SeqCst) {
            let keys = iam
                .list_access_keys()
                .user_name(&names.user)
                .send()
                .await
                .expect("ListAccessKeys");
            most = most.max(keys.access_key_metadata().len());
            counts += 1;
        }
        (most, counts)
    };
    let (mut statuses, (most_keys, key_counts)) = tokio::join!(serve, count);
    let during = statuses.len();
    let elapsed = started.elapsed();
    let out = rotation.join().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for _ in 0..3 {
        statuses.push(status(&deps, &request).await);
    }
    assert!(
        statuses.iter().all(|s| *s == 200),
        "every request served through the rotation: {statuses:?}"
    );
    assert!(most_keys <= 2, "at most two keys, saw {most_keys}");
    // The figures docs/reliability.md quotes (shown with --nocapture).
    eprintln!(
        "rotation: {during} requests served while rotate-key ran ({} ms), {key_counts} key \
         counts taken, at most {most_keys} keys",
        elapsed.as_millis()
    );

    let keys = access_keys(&names.user);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_ne!(keys, old, "the old key is deleted");
    assert_eq!(secret_value(&deployed.secret_arn).0, keys[0]);
    assert!(
        stdout.contains(&format!("access key: {} -> {}", old[0], keys[0])),
        "{stdout}"
    );
    assert!(
        stdout.contains("checked: STS accepts the key as"),
        "{stdout}"
    );
    // The proxy switched to the new key: the old one is gone, yet it still answers.
    assert_eq!(status(&deps, &request).await, 200);
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_a_leftover_key_goes_first() {
    let deployed = deployed().await;
    let names = &deployed.names;
    let old = access_keys(&names.user);

    let dry = deployed.rotate(&["--dry-run"]);
    assert!(dry.ok, "{}\n{}", dry.stdout, dry.stderr);
    assert_eq!(dry.action("access key", "(new key)"), "would create");
    assert!(
        dry.stdout.contains("dry run: nothing was changed"),
        "{}",
        dry.stdout
    );
    assert_eq!(access_keys(&names.user), old);

    // A rotation interrupted after its new key was made (tagged as cogauth's, never written to
    // the secret) left the user with two keys: it is deleted first, so there are never three.
    let leftover =
        emulator().aws_json(&["iam", "create-access-key", "--user-name", &names.user])["AccessKey"]
            ["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_owned();
    emulator().aws_json(&[
        "iam",
        "tag-user",
        "--user-name",
        &names.user,
        "--tags",
        &format!("Key={leftover},Value=cogauth credential proxy"),
    ]);
    let run = deployed.rotate(&[]);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("deleted unused cogauth key {leftover}")),
        "{}",
        run.stdout
    );
    let keys = access_keys(&names.user);
    assert_eq!(keys.len(), 1);
    assert!(!keys.contains(&leftover) && !keys.contains(&old[0]));
}

#[tokio::test]
async fn a_second_key_of_the_administrators_stops_the_rotation_before_any_change() {
    let deployed = deployed().await;
    let names = &deployed.names;
    // A key cogauth did not make: never deleted by cogadmin.
    emulator().aws_json(&["iam", "create-access-key", "--user-name", &names.user]);
    let before = access_keys(&names.user);
    let secret_before = secret_value(&deployed.secret_arn);
    let run = deployed.rotate(&[]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains(&format!(
            "IAM user `{}` already has two access keys",
            names.user
        )),
        "{}",
        run.stderr
    );
    assert_eq!(access_keys(&names.user), before);
    assert_eq!(secret_value(&deployed.secret_arn), secret_before);
}

#[tokio::test]
async fn rotating_a_function_that_was_never_migrated_says_to_deploy_first() {
    let home = TestHome::new();
    let function = fixtures::unique("legacy-proxy");
    fixtures::create_lambda_function_with_env(
        &function,
        &[
            ("IAM_USER_ACCESS_KEY_ID", "AKIAEXAMPLE000000001"),
            ("IAM_USER_SECRET_ACCESS_KEY", "legacy-secret"),
        ],
    )
    .await;
    let run = cogadmin(
        &home,
        &[
            "lambda".into(),
            "rotate-key".into(),
            "--function-name".into(),
            function.clone(),
            "--region".into(),
            REGION.into(),
        ],
        "",
    );
    assert!(!run.ok);
    assert!(
        run.stderr.contains(&format!(
            "Lambda function `{function}` still holds its IAM user key in its environment"
        )) && run.stderr.contains("run `cogadmin lambda deploy` first"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("legacy-secret"), "{}", run.stderr);
}

#[tokio::test]
async fn a_function_pointed_at_another_secret_does_not_get_the_new_key() {
    // The attack: whoever may change the function's configuration (a far more common
    // permission than reading the secret) points IAM_USER_SECRET_ARN at a secret of their own,
    // marked as cogadmin's and holding the current key's id, so that the key's user is found
    // and every ownership check passes. A rotation would then write the proxy user's new key
    // there, and the attacker could assume the long-lived role as anyone for 12 h.
    let deployed = deployed().await;
    let names = &deployed.names;
    let keys_before = access_keys(&names.user);
    let own_before = secret_value(&deployed.secret_arn);
    let loot = emulator().aws_json(&[
        "secretsmanager",
        "create-secret",
        "--name",
        &fixtures::unique("loot"),
        "--secret-string",
        &serde_json::json!({"AccessKeyId": keys_before[0], "SecretAccessKey": "unknown"})
            .to_string(),
        "--tags",
        "Key=cogauth:managed,Value=true",
    ])["ARN"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut env = crate::lambda_deploy::function_env(&names.function);
    env["IAM_USER_SECRET_ARN"] = serde_json::json!(loot);
    emulator().aws_json(&[
        "lambda",
        "update-function-configuration",
        "--function-name",
        &names.function,
        "--environment",
        &serde_json::json!({ "Variables": env }).to_string(),
    ]);

    // The refusal, with or without --adopt (this is not a matter of ownership): nothing
    // changes, and the planted secret still holds only what its author wrote.
    for extra in [&[][..], &["--adopt"][..]] {
        let run = deployed.rotate(extra);
        assert!(!run.ok, "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "Lambda function `{}` reads its key from secret `{loot}`, which is not the one \
                 `cogadmin lambda deploy` made for it (`cogauth/{}/iam-user-key`",
                names.function, names.function
            )) && run.stderr.contains("run `cogadmin lambda deploy`"),
            "{}",
            run.stderr
        );
        assert_eq!(access_keys(&names.user), keys_before, "no key was created");
        assert_eq!(
            secret_value(&loot),
            (keys_before[0].clone(), "unknown".to_owned())
        );
        assert_eq!(secret_value(&deployed.secret_arn), own_before);
    }

    // The way out the error gives: the deploy points the function back at its own secret,
    // and the rotation then goes through.
    let zip = fake_package_in(&deployed.home);
    let repaired = deploy_package(&deployed.home, &deployed.pool, names, &zip, &[]);
    assert!(repaired.ok, "{}\n{}", repaired.stdout, repaired.stderr);
    assert_eq!(
        crate::lambda_deploy::function_env(&names.function)["IAM_USER_SECRET_ARN"],
        deployed.secret_arn.as_str()
    );
    let run = deployed.rotate(&[]);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    let keys = access_keys(&names.user);
    assert_eq!(keys.len(), 1);
    assert_ne!(keys, keys_before);
    assert_eq!(secret_value(&deployed.secret_arn).0, keys[0]);
    assert_eq!(
        secret_value(&loot),
        (keys_before[0].clone(), "unknown".to_owned())
    );
}

#[tokio::test]
async fn a_secret_someone_gave_a_resource_policy_does_not_get_the_key() {
    // The attack: whoever may call secretsmanager:PutResourcePolicy on the deployment's secret
    // (or planted it, tagged, with a policy before the first deploy) lets their own principal
    // read it. The next rotation or deploy would write the proxy user's key where they can
    // read it; both refuse, with or without --adopt, and nothing changes.
    let deployed = deployed().await;
    let names = &deployed.names;
    let keys_before = access_keys(&names.user);
    let value_before = secret_value(&deployed.secret_arn);
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{}:user/outsider", cogauth_test_support::ACCOUNT_ID)},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"
    }]});
    emulator().aws_json(&[
        "secretsmanager",
        "put-resource-policy",
        "--secret-id",
        &deployed.secret_arn,
        "--resource-policy",
        &policy.to_string(),
    ]);
    let zip = fake_package_in(&deployed.home);
    for extra in [&[][..], &["--adopt"][..]] {
        let run = deployed.rotate(extra);
        assert!(!run.ok, "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr
                .contains("has a resource policy, which cogadmin never writes")
                && run.stderr.contains("delete-resource-policy"),
            "{}",
            run.stderr
        );
        let deploy = deploy_package(&deployed.home, &deployed.pool, names, &zip, extra);
        assert!(!deploy.ok, "{}\n{}", deploy.stdout, deploy.stderr);
        assert!(
            deploy.stderr.contains("has a resource policy"),
            "{}",
            deploy.stderr
        );
        assert_eq!(access_keys(&names.user), keys_before, "no key was created");
        assert_eq!(secret_value(&deployed.secret_arn), value_before);
    }

    // The way out the error gives: the policy removed, the rotation goes through.
    emulator().aws_json(&[
        "secretsmanager",
        "delete-resource-policy",
        "--secret-id",
        &deployed.secret_arn,
    ]);
    let run = deployed.rotate(&[]);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    let keys = access_keys(&names.user);
    assert_ne!(keys, keys_before);
    assert_eq!(secret_value(&deployed.secret_arn).0, keys[0]);
}
