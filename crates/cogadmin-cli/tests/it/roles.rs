//! `cogadmin role info` (text and JSON) and `cogadmin role apply-policy`.

use cogauth_admin::policies::decode_document;
use cogauth_test_support::fixtures;
use serde_json::{Value, json};

use crate::{Admin, setup_from_zero};

async fn inline_policy_names(role_name: &str) -> Vec<String> {
    fixtures::iam_client()
        .await
        .list_role_policies()
        .role_name(role_name)
        .send()
        .await
        .unwrap()
        .policy_names()
        .to_vec()
}

async fn inline_policy(role_name: &str, policy_name: &str) -> Value {
    let answer = fixtures::iam_client()
        .await
        .get_role_policy()
        .role_name(role_name)
        .policy_name(policy_name)
        .send()
        .await
        .unwrap();
    decode_document(answer.policy_document()).unwrap()
}

fn list_buckets_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]
    })
}

#[tokio::test]
async fn role_info_shows_managed_and_inline_policies_as_text_and_json() {
    let admin = Admin::new();
    let (identity_pool_name, _, _) = setup_from_zero(&admin, &[]);
    let role_name = format!("Cognito_{identity_pool_name}Auth_Role");
    let identity_pool_id = admin.recorded("identity_pool_id");

    // One managed policy (customer managed, so its document is ours to check) and one inline.
    let iam = fixtures::iam_client().await;
    let managed_document = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]
    });
    let managed_name = format!("{identity_pool_name}_Managed");
    let created = iam
        .create_policy()
        .policy_name(&managed_name)
        .policy_document(managed_document.to_string())
        .send()
        .await
        .unwrap();
    let managed_arn = created.policy().unwrap().arn().unwrap().to_owned();
    iam.attach_role_policy()
        .role_name(&role_name)
        .policy_arn(&managed_arn)
        .send()
        .await
        .unwrap();
    let file = admin
        .home
        .write("list.json", &list_buckets_policy().to_string());
    admin.ok(&[
        "role",
        "apply-policy",
        "--policy-file",
        file.to_str().unwrap(),
        "--policy-name",
        "ListBuckets",
    ]);

    let text = admin.ok(&["role", "info"]).stdout;
    assert!(
        text.contains(&format!("identity pool {identity_pool_id}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("authenticated role: {role_name}")),
        "{text}"
    );
    assert!(
        text.contains("max session duration: 43200 s (12 h)"),
        "{text}"
    );
    assert!(
        text.contains("cognito-identity.amazonaws.com:aud"),
        "{text}"
    );
    assert!(text.contains("managed policies (1):"), "{text}");
    assert!(
        text.contains(&format!("- {managed_name} ({managed_arn})")),
        "{text}"
    );
    assert!(text.contains("sts:GetCallerIdentity"), "{text}");
    assert!(text.contains("inline policies (1):"), "{text}");
    assert!(text.contains("- ListBuckets"), "{text}");
    assert!(text.contains("s3:ListAllMyBuckets"), "{text}");

    let json: Value = serde_json::from_str(
        &admin
            .ok(&[
                "role",
                "info",
                "--json",
                "--identity-pool-id",
                &identity_pool_id,
            ])
            .stdout,
    )
    .expect("role info --json prints JSON");
    assert_eq!(json["identity_pool_id"], identity_pool_id);
    let role = &json["roles"][0];
    assert_eq!(role["kind"], "authenticated");
    assert_eq!(role["name"], role_name);
    assert_eq!(role["arn"], admin.recorded("role_arn"));
    assert_eq!(role["max_session_duration"], 43200);
    assert_eq!(
        role["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"],
        identity_pool_id
    );
    assert_eq!(role["managed_policies"][0]["arn"], managed_arn);
    assert_eq!(role["managed_policies"][0]["document"], managed_document);
    assert_eq!(role["inline_policies"][0]["name"], "ListBuckets");
    assert_eq!(
        role["inline_policies"][0]["document"],
        list_buckets_policy()
    );
}

#[test]
fn role_info_without_an_attached_role_is_a_clear_error() {
    let admin = Admin::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let identity_pool_id = runtime.block_on(fixtures::create_identity_pool(
        "us-east-1_NoRoles1",
        "client1",
        false,
    ));
    let err = admin.fails(&["role", "info", "--identity-pool-id", &identity_pool_id]);
    assert!(
        err.stderr.contains("has no authenticated role"),
        "{}",
        err.stderr
    );
    assert!(err.stderr.contains("cogadmin setup"), "{}", err.stderr);
    let err = admin.fails(&["role", "info"]);
    assert!(err.stderr.contains("--identity-pool-id"), "{}", err.stderr);
    let err = admin.fails(&["role", "info", "--identity-pool-id", "nope"]);
    assert!(
        err.stderr.contains("identity pool id `nope` is not valid"),
        "{}",
        err.stderr
    );
}

#[tokio::test]
async fn apply_policy_validates_before_calling_iam_and_is_idempotent() {
    let admin = Admin::new();
    let (identity_pool_name, _, _) = setup_from_zero(&admin, &[]);
    let role_name = format!("Cognito_{identity_pool_name}Auth_Role");

    // Malformed JSON: line and column, and nothing reaches IAM.
    let broken = admin.home.write(
        "broken.json",
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}\n",
    );
    let err = admin.fails(&[
        "role",
        "apply-policy",
        "--policy-file",
        broken.to_str().unwrap(),
        "--policy-name",
        "Broken",
    ]);
    assert!(
        err.stderr.contains("is not valid JSON at line 4, column"),
        "{}",
        err.stderr
    );
    assert!(err.stdout.is_empty(), "{}", err.stdout);

    let no_version = admin.home.write(
        "noversion.json",
        r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
    );
    let err = admin.fails(&[
        "role",
        "apply-policy",
        "--policy-file",
        no_version.to_str().unwrap(),
        "--policy-name",
        "NoVersion",
    ]);
    assert!(
        err.stderr.contains("`Version` is missing"),
        "{}",
        err.stderr
    );

    let err = admin.fails(&[
        "role",
        "apply-policy",
        "--policy-file",
        "does-not-exist.json",
        "--policy-name",
        "Missing",
    ]);
    assert!(
        err.stderr
            .contains("cannot read policy file `does-not-exist.json`"),
        "{}",
        err.stderr
    );

    // Well-formed JSON that IAM refuses: IAM's reason, named.
    let refused = admin.home.write(
        "refused.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Bogus": 1}]}"#,
    );
    let err = admin.fails(&[
        "role",
        "apply-policy",
        "--policy-file",
        refused.to_str().unwrap(),
        "--policy-name",
        "Refused",
    ]);
    assert!(
        err.stderr.contains(&format!(
            "IAM refused policy `Refused` for role `{role_name}` as malformed"
        )),
        "{}",
        err.stderr
    );
    assert!(inline_policy_names(&role_name).await.is_empty());

    // A valid file: dry run first (nothing), then applied, then unchanged.
    let valid = admin
        .home
        .write("valid.json", &list_buckets_policy().to_string());
    let args = [
        "role",
        "apply-policy",
        "--policy-file",
        valid.to_str().unwrap(),
        "--policy-name",
        "ListBuckets",
    ];
    let dry = admin.ok(&[&args[..], &["--dry-run"]].concat());
    assert_eq!(
        dry.action_of("inline policy"),
        "would apply",
        "{}",
        dry.stdout
    );
    assert!(inline_policy_names(&role_name).await.is_empty());

    let applied = admin.ok(&args);
    assert_eq!(
        applied.action_of("inline policy"),
        "created",
        "{}",
        applied.stdout
    );
    assert_eq!(
        inline_policy(&role_name, "ListBuckets").await,
        list_buckets_policy()
    );

    let again = admin.ok(&args);
    assert_eq!(
        again.action_of("inline policy"),
        "unchanged",
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);

    let changed = admin.home.write(
        "valid.json",
        &json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]
        })
        .to_string(),
    );
    let updated = admin.ok(&[
        "role",
        "apply-policy",
        "--policy-file",
        changed.to_str().unwrap(),
        "--policy-name",
        "ListBuckets",
    ]);
    assert_eq!(
        updated.action_of("inline policy"),
        "updated",
        "{}",
        updated.stdout
    );
}
