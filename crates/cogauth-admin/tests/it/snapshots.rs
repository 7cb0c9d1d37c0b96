//! The exact bytes of every policy document cogadmin writes, pinned. A change here changes
//! what administrators put on their roles: review it like a security change.

use cogauth_admin::policies;

const POOL: &str = "us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab";

#[test]
fn trust_policy_of_the_authenticated_role() {
    insta::assert_snapshot!(policies::authenticated_role_trust(POOL).to_pretty_json());
}

#[test]
fn s3_user_specific() {
    insta::assert_snapshot!(policies::s3_access("team-data", true).to_pretty_json());
}

#[test]
fn s3_whole_bucket() {
    insta::assert_snapshot!(policies::s3_access("team-data", false).to_pretty_json());
}

#[test]
fn dynamodb_user_specific() {
    insta::assert_snapshot!(
        policies::dynamodb_access("eu-west-1", "123456789012", "orders", true).to_pretty_json()
    );
}

#[test]
fn dynamodb_whole_table() {
    insta::assert_snapshot!(
        policies::dynamodb_access("eu-west-1", "123456789012", "orders", false).to_pretty_json()
    );
}

#[test]
fn compact_documents_sent_to_iam() {
    // What PutRolePolicy / CreateRole receive: deterministic, one line.
    insta::assert_snapshot!(
        [
            policies::authenticated_role_trust(POOL).to_json(),
            policies::s3_access("team-data", true).to_json(),
            policies::dynamodb_access("eu-west-1", "123456789012", "orders", true).to_json(),
        ]
        .join("\n")
    );
}
