//! The IAM policy documents of the credential proxy (pure): least privilege for each piece.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::policies::{POLICY_VERSION, PolicyDocument, Statement};

/// The session-related actions the proxy's IAM user may call on the long-lived role, and the
/// role's trust policy allows: AssumeRole itself, the session tags (`sub`, username) and the
/// source identity (username, for CloudTrail).
pub const PROXY_STS_ACTIONS: [&str; 3] =
    ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"];

fn document(statement: Vec<Statement>) -> PolicyDocument {
    PolicyDocument {
        version: POLICY_VERSION,
        statement,
    }
}

fn allow(principal: Option<Value>, action: Value, resource: Option<Value>) -> Statement {
    Statement {
        effect: "Allow",
        principal,
        action,
        resource,
        condition: BTreeMap::new(),
    }
}

/// The IAM user's only permission: the proxy's STS actions on the long-lived role.
pub fn proxy_user_policy(long_lived_role_arn: &str) -> PolicyDocument {
    document(vec![allow(
        None,
        json!(PROXY_STS_ACTIONS),
        Some(json!(long_lived_role_arn)),
    )])
}

/// The long-lived role trusts the proxy's IAM user, for the same actions.
pub fn long_lived_role_trust(user_arn: &str) -> PolicyDocument {
    document(vec![allow(
        Some(json!({ "AWS": user_arn })),
        json!(PROXY_STS_ACTIONS),
        None,
    )])
}

/// The execution role is for the Lambda service only.
pub fn execution_role_trust() -> PolicyDocument {
    document(vec![allow(
        Some(json!({ "Service": "lambda.amazonaws.com" })),
        json!("sts:AssumeRole"),
        None,
    )])
}

/// The execution role may write the function's own logs and read the one secret that holds the
/// IAM user's key (its exact ARN, so no other secret whose name starts the same), nothing else.
pub fn execution_policy(
    partition: &str,
    region: &str,
    account: &str,
    function_name: &str,
    secret_arn: &str,
) -> PolicyDocument {
    let mut policy = execution_logs_policy(partition, region, account, function_name);
    policy.statement.push(allow(
        None,
        json!("secretsmanager:GetSecretValue"),
        Some(json!(secret_arn)),
    ));
    policy
}

/// The function's own logs.
fn execution_logs_policy(
    partition: &str,
    region: &str,
    account: &str,
    function_name: &str,
) -> PolicyDocument {
    let group =
        format!("arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/{function_name}");
    document(vec![
        allow(
            None,
            json!("logs:CreateLogGroup"),
            Some(json!(format!("{group}:*"))),
        ),
        allow(
            None,
            json!(["logs:CreateLogStream", "logs:PutLogEvents"]),
            Some(json!(format!("{group}:log-stream:*"))),
        ),
    ])
}

/// What the identity pool's authenticated role needs to call the proxy.
pub fn invoke_policy(function_arn: &str) -> PolicyDocument {
    document(vec![allow(
        None,
        json!("lambda:InvokeFunction"),
        Some(json!(function_arn)),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_least_privilege() {
        assert_eq!(
            proxy_user_policy("arn:aws:iam::123456789012:role/CognitoLongLivedRole").to_value(),
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Resource": "arn:aws:iam::123456789012:role/CognitoLongLivedRole"
            }]})
        );
        assert_eq!(
            long_lived_role_trust("arn:aws:iam::123456789012:user/CognitoCredentialProxyUser")
                .to_value(),
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:user/CognitoCredentialProxyUser"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
            }]})
        );
        assert_eq!(
            execution_role_trust().to_value()["Statement"][0]["Principal"],
            json!({"Service": "lambda.amazonaws.com"})
        );
        let secret =
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cogauth/fn/iam-user-key-AbCdEf";
        let logs = execution_policy("aws", "eu-west-1", "123456789012", "fn", secret).to_value();
        assert_eq!(
            logs["Statement"][0]["Resource"],
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:*"
        );
        assert_eq!(
            logs["Statement"][1]["Resource"],
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:log-stream:*"
        );
        assert_eq!(
            logs["Statement"][2],
            json!({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret})
        );
        assert_eq!(logs["Statement"].as_array().unwrap().len(), 3);
        assert!(!logs.to_string().contains("\"*\""), "no wildcard resource");
        assert_eq!(
            invoke_policy("arn:aws:lambda:us-east-1:123456789012:function:f").to_value()["Statement"]
                [0],
            json!({"Effect": "Allow", "Action": "lambda:InvokeFunction",
                   "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f"})
        );
    }
}
