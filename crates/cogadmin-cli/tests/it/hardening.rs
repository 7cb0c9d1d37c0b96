//! Secret hygiene of `cogadmin lambda deploy --access-key-id K --secret-access-key-stdin` at
//! the highest verbosity: the IAM user's secret goes into the function's environment (so into
//! the CreateFunction / UpdateFunctionConfiguration request bodies), and must never reach
//! stdout or stderr, whatever `-v` or `RUST_LOG` asks for, including `RUST_LOG` values written
//! to out-rank the caps on the SDK's crates.

use std::io::Write;
use std::process::Stdio;

use cogauth_test_support::fixtures;
use cogauth_test_support::{REGION, TestHome, emulator};

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

#[test]
fn lambda_deploy_never_shows_the_iam_user_secret_at_trace_level() {
    let (pool, access_key_id) = block_on(async {
        let pool = fixtures::create_pool(Default::default()).await;
        let iam = fixtures::iam_client().await;
        let user = fixtures::unique("HygieneUser");
        iam.create_user().user_name(&user).send().await.unwrap();
        let key = iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        (pool, key.access_key().unwrap().access_key_id().to_owned())
    });
    let canary = format!("CANARY{}", fixtures::unique("iamsecret").replace('-', "x"));
    let home = TestHome::new();
    let zip = home.join("bootstrap.zip");
    std::fs::write(&zip, fake_package()).unwrap();
    let function = fixtures::unique("hygiene-proxy");
    let execution_role = fixtures::unique("HygieneExec");
    let long_lived_role = fixtures::unique("HygieneLongLived");

    let mut leaks = Vec::new();
    for &(flag, rust_log) in VERBOSITY {
        let mut cmd = home.command(BIN);
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .args([
                flag,
                "lambda",
                "deploy",
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
            ])
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
            .write_all(format!("{canary}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{flag} RUST_LOG={rust_log:?}:\n{stdout}\n{stderr}"
        );
        for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            if let Some(line) = text.lines().find(|l| l.contains(&canary)) {
                let masked: String = line
                    .replace(&canary, "<secret>")
                    .chars()
                    .take(300)
                    .collect();
                leaks.push(format!(
                    "{flag} RUST_LOG={rust_log:?}: the secret is on {stream}: {masked}"
                ));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));

    // The secret did reach the function: the runs above really carried it.
    let config = emulator().aws_json(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &function,
    ]);
    assert_eq!(
        config["Environment"]["Variables"]["IAM_USER_SECRET_ACCESS_KEY"],
        canary.as_str()
    );
}
