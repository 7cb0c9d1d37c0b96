//! Secret hygiene of `cogadmin lambda deploy --access-key-id K --secret-access-key-stdin` and
//! of `cogadmin lambda rotate-key` at the highest verbosity: the IAM user's secret goes into the
//! Secrets Manager secret (so into the CreateSecret / PutSecretValue request bodies and the
//! GetSecretValue answers, and into the STS check's signature), and must never reach stdout or
//! stderr, whatever `-v` or `RUST_LOG` asks for, including `RUST_LOG` values written to
//! out-rank the caps on the SDK's crates.

use std::io::Write;
use std::process::Stdio;

use cogauth_test_support::fixtures;
use cogauth_test_support::{REGION, TestHome, emulator};

use crate::lambda_deploy::{function_configuration_text, secret_value};
use crate::{BIN, fake_package};

/// Every logging setting the cogauth hygiene test uses.
const VERBOSITY: &[(&str, Option<&str>)] = &[
    ("-vvv", None),
    ("-v", Some("trace")),
    ("-v", Some("trace,aws_smithy_runtime=trace")),
    (
        "-v",
        Some(
            "aws_smithy_runtime::client::orchestrator=trace,aws_smithy_runtime_api=trace,aws_sigv4::http_request=trace,aws_runtime=trace,hyper_util::client=trace",
        ),
    ),
    ("-v", Some("trace,[invoke]=trace,[{rpc.service}]=trace")),
];

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Runs `cogadmin <flag> args` with `RUST_LOG` at every setting of [`VERBOSITY`], each run
/// expected to succeed, and returns where any of `canaries` showed.
fn leaks_at_every_verbosity(
    home: &TestHome,
    args: &[&str],
    stdin: &str,
    canaries: &dyn Fn() -> Vec<String>,
) -> Vec<String> {
    let mut leaks = Vec::new();
    for &(flag, rust_log) in VERBOSITY {
        let mut cmd = home.command(BIN);
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .arg(flag)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(filter) = rust_log {
            cmd.env("RUST_LOG", filter);
        }
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{flag} RUST_LOG={rust_log:?}:\n{stdout}\n{stderr}"
        );
        // The canaries are read after the run: a rotation's new secret exists only then.
        for canary in canaries() {
            for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                if let Some(line) = text.lines().find(|l| l.contains(&canary)) {
                    let masked: String = line
                        .replace(&canary, "<secret>")
                        .chars()
                        .take(300)
                        .collect();
                    leaks.push(format!(
                        "{flag} RUST_LOG={rust_log:?}: a secret is on {stream}: {masked}"
                    ));
                }
            }
        }
    }
    leaks
}

#[test]
fn lambda_deploy_never_shows_the_iam_user_secret_at_trace_level() {
    let (pool, user, access_key_id, secret) = block_on(async {
        let pool = fixtures::create_pool(Default::default()).await;
        crate::mark_as_setups(&pool).await;
        let iam = fixtures::iam_client().await;
        let user = fixtures::unique("HygieneUser");
        iam.create_user().user_name(&user).send().await.unwrap();
        let key = iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        let key = key.access_key().unwrap();
        (
            pool,
            user,
            key.access_key_id().to_owned(),
            key.secret_access_key().to_owned(),
        )
    });
    // The canary is the key's real secret: the deploy checks it against STS.
    let home = TestHome::new();
    let zip = home.join("bootstrap.zip");
    std::fs::write(&zip, fake_package()).unwrap();
    let function = fixtures::unique("hygiene-proxy");
    let execution_role = fixtures::unique("HygieneExec");
    let long_lived_role = fixtures::unique("HygieneLongLived");
    let args = [
        "lambda",
        "deploy",
        "--adopt",
        "--access-key-id",
        &access_key_id,
        "--secret-access-key-stdin",
        "--user-pool-id",
        &pool.user_pool_id,
        "--client-id",
        &pool.client_id,
        "--identity-pool-id",
        &pool.identity_pool_id,
        "--function-name",
        &function,
        "--execution-role-name",
        &execution_role,
        "--long-lived-role-name",
        &long_lived_role,
        "--zip",
        zip.to_str().unwrap(),
    ];
    let canaries = || vec![secret.clone()];
    let leaks = leaks_at_every_verbosity(&home, &args, &format!("{secret}\n"), &canaries);
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));

    // The secret did reach the secret, and only the secret: the runs above really carried it.
    let config = emulator().aws_json(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &function,
    ]);
    let secret_arn = config["Environment"]["Variables"]["IAM_USER_SECRET_ARN"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        secret_value(&secret_arn),
        (access_key_id.clone(), secret.clone())
    );
    assert!(!function_configuration_text(&function).contains(&secret));

    // rotate-key at every verbosity: five rotations, and neither the old nor the new key's
    // secret (read from the secret after each run) may show. The key given above is the
    // administrator's, which rotation leaves in place: they retire it first (the secret then
    // names a key IAM no longer knows, so its user comes from --iam-user-name).
    block_on(async {
        fixtures::iam_client()
            .await
            .delete_access_key()
            .user_name(&user)
            .access_key_id(&access_key_id)
            .send()
            .await
            .unwrap();
    });
    let seen = std::sync::Mutex::new(vec![secret.clone()]);
    let canaries = || {
        let mut seen = seen.lock().unwrap();
        let current = secret_value(&secret_arn).1;
        if !seen.contains(&current) {
            seen.push(current);
        }
        seen.clone()
    };
    let rotate = [
        "lambda",
        "rotate-key",
        "--function-name",
        &function,
        "--iam-user-name",
        &user,
        "--user-pool-id",
        &pool.user_pool_id,
    ];
    let leaks = leaks_at_every_verbosity(&home, &rotate, "", &canaries);
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    assert_eq!(
        seen.lock().unwrap().len(),
        1 + VERBOSITY.len(),
        "every run rotated the key"
    );
}
