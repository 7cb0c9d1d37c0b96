//! `cogadmin policy create-s3-policy` and `create-dynamodb-policy`: the documents land on the
//! authenticated role exactly as built, and dry runs call no IAM API at all.

use cogauth_admin::policies::{self, decode_document};
use cogauth_test_support::{ACCOUNT_ID, fixtures};
use serde_json::Value;

use crate::{Admin, setup_from_zero};

async fn inline_policies(role_name: &str) -> Vec<(String, Value)> {
    let iam = fixtures::iam_client().await;
    let names = iam
        .list_role_policies()
        .role_name(role_name)
        .send()
        .await
        .unwrap()
        .policy_names()
        .to_vec();
    let mut out = Vec::new();
    for name in names {
        let doc = iam
            .get_role_policy()
            .role_name(role_name)
            .policy_name(&name)
            .send()
            .await
            .unwrap();
        out.push((name, decode_document(doc.policy_document()).unwrap()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn s3_and_dynamodb_policies_with_and_without_user_isolation() {
    let admin = Admin::new();
    let (identity_pool_name, _, _) = setup_from_zero(&admin, &[]);
    let role_name = format!("Cognito_{identity_pool_name}Auth_Role");

    let isolated = admin.ok(&[
        "policy",
        "create-s3-policy",
        "--bucket-name",
        "team-data",
        "--user-specific",
    ]);
    assert_eq!(
        isolated.action_of("inline policy"),
        "created",
        "{}",
        isolated.stdout
    );
    assert!(
        isolated.stdout.contains(&format!(
            "user-specific S3 policy `S3UserIsolationPolicy_team_data` for bucket `team-data`, role `{role_name}`"
        )),
        "{}",
        isolated.stdout
    );
    let whole = admin.ok(&["policy", "create-s3-policy", "--bucket-name", "team-data"]);
    assert_eq!(
        whole.action_of("inline policy"),
        "created",
        "{}",
        whole.stdout
    );
    let isolated_table = admin.ok(&[
        "policy",
        "create-dynamodb-policy",
        "--table-name",
        "orders",
        "--user-specific",
    ]);
    assert_eq!(isolated_table.action_of("inline policy"), "created");
    let whole_table = admin.ok(&[
        "policy",
        "create-dynamodb-policy",
        "--table-name",
        "orders",
        "--whole-table",
        "--policy-name",
        "OrdersAll",
    ]);
    assert_eq!(whole_table.action_of("inline policy"), "created");
    // The default for DynamoDB stays the original's: user-specific, so this changes nothing.
    let default_table = admin.ok(&["policy", "create-dynamodb-policy", "--table-name", "orders"]);
    assert_eq!(default_table.action_of("inline policy"), "unchanged");

    let on_role = inline_policies(&role_name).await;
    let expected = vec![
        (
            "DynamoDBUserIsolationPolicy_orders".to_owned(),
            policies::dynamodb_access("us-east-1", ACCOUNT_ID, "orders", true).to_value(),
        ),
        (
            "OrdersAll".to_owned(),
            policies::dynamodb_access("us-east-1", ACCOUNT_ID, "orders", false).to_value(),
        ),
        (
            "S3AccessPolicy_team_data".to_owned(),
            policies::s3_access("team-data", false).to_value(),
        ),
        (
            "S3UserIsolationPolicy_team_data".to_owned(),
            policies::s3_access("team-data", true).to_value(),
        ),
    ];
    assert_eq!(on_role, expected);
    // The printed document is the applied one.
    let printed: String = whole
        .stdout
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("  inline policy"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        serde_json::from_str::<Value>(&printed).unwrap(),
        policies::s3_access("team-data", false).to_value()
    );
}

#[tokio::test]
async fn policy_dry_runs_print_the_document_and_call_no_iam() {
    let admin = Admin::new();
    let (identity_pool_name, _, _) = setup_from_zero(&admin, &[]);
    let role_name = format!("Cognito_{identity_pool_name}Auth_Role");

    // IAM unreachable: a dry run that called it would fail. Cognito (to find the role) works.
    let mut cmd = admin.command(&[
        "policy",
        "create-s3-policy",
        "--bucket-name",
        "team-data",
        "--user-specific",
        "--dry-run",
    ]);
    cmd.env("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9");
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&format!("role `{role_name}`")), "{stdout}");
    assert!(
        stdout.contains("arn:aws:s3:::team-data/${cognito-identity.amazonaws.com:sub}/*"),
        "{stdout}"
    );
    assert!(
        stdout.contains("S3UserIsolationPolicy_team_data: would apply"),
        "{stdout}"
    );
    assert!(stdout.contains("dry run: nothing was changed"), "{stdout}");

    let mut cmd = admin.command(&[
        "policy",
        "create-dynamodb-policy",
        "--table-name",
        "orders",
        "--dry-run",
    ]);
    cmd.env("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9");
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/orders"
        )),
        "{stdout}"
    );
    assert!(
        inline_policies(&role_name).await.is_empty(),
        "a dry run applied a policy"
    );

    // With --role-name, a dry run calls nothing at all: every endpoint is unreachable.
    let mut cmd = admin.command(&[
        "policy",
        "create-s3-policy",
        "--bucket-name",
        "team-data",
        "--role-name",
        "SomeRole",
        "--dry-run",
    ]);
    cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("S3AccessPolicy_team_data: would apply"),
        "{stdout}"
    );
    assert!(stdout.contains("\"arn:aws:s3:::team-data/*\""), "{stdout}");
}

#[test]
fn bad_names_are_refused_before_any_call() {
    let admin = Admin::new();
    for (args, message) in [
        (
            vec!["policy", "create-s3-policy", "--bucket-name", "Bad_Bucket"],
            "bucket name `Bad_Bucket` is not valid",
        ),
        (
            vec!["policy", "create-dynamodb-policy", "--table-name", "a b"],
            "table name `a b` is not valid",
        ),
        (
            vec![
                "policy",
                "create-s3-policy",
                "--bucket-name",
                "ok-bucket",
                "--policy-name",
                "bad name",
            ],
            "policy name `bad name` is not valid",
        ),
    ] {
        // Unreachable endpoint: the error must come from validation, not from a call.
        let mut cmd = admin.command(&args);
        cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        let err = admin.fails_with(cmd, "");
        assert!(err.stderr.contains(message), "{}", err.stderr);
    }
}
