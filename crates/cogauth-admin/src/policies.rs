//! IAM policy documents: pure builders for the documents cogadmin writes, validators for the
//! names that go into them, and reading of documents given by the administrator or returned
//! by IAM.
//!
//! The builders keep the original tool's shapes, with its defects fixed: no placeholder is
//! ever left in a document (the original's whole-bucket S3 template kept `{default_bucket}`).
//! Documents serialize deterministically (fields in a fixed order, conditions sorted), so the
//! same input always gives the same bytes and snapshot tests can pin them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::AdminError;

/// The current IAM policy language version.
pub const POLICY_VERSION: &str = "2012-10-17";

/// The identity-pool subject variable: the caller's Cognito identity id.
pub const COGNITO_SUB: &str = "${cognito-identity.amazonaws.com:sub}";

/// A policy document as cogadmin builds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

/// One statement. `Action` and `Resource` are a string or a list, as IAM writes them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub effect: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Value>,
    pub action: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Value>,
    /// operator -> condition key -> value
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<&'static str, BTreeMap<&'static str, Value>>,
}

impl Statement {
    fn allow(action: Value, resource: Option<Value>) -> Self {
        Self {
            effect: "Allow",
            principal: None,
            action,
            resource,
            condition: BTreeMap::new(),
        }
    }

    fn when(mut self, operator: &'static str, key: &'static str, value: Value) -> Self {
        self.condition
            .entry(operator)
            .or_default()
            .insert(key, value);
        self
    }
}

impl PolicyDocument {
    fn new(statement: Vec<Statement>) -> Self {
        Self {
            version: POLICY_VERSION,
            statement,
        }
    }

    /// The document as a JSON value, for comparison with what IAM holds.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a policy document always serializes")
    }

    /// Compact JSON, as sent to IAM.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a policy document always serializes")
    }

    /// Indented JSON, for people.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a policy document always serializes")
    }
}

/// The trust policy of an identity pool's authenticated role: only identities of that pool,
/// and only authenticated ones, may assume it through the identity pool (enhanced flow) or
/// with an OpenID token from it (basic flow).
pub fn authenticated_role_trust(identity_pool_id: &str) -> PolicyDocument {
    let mut statement = Statement::allow(json!("sts:AssumeRoleWithWebIdentity"), None).when(
        "StringEquals",
        "cognito-identity.amazonaws.com:aud",
        json!(identity_pool_id),
    );
    statement = statement.when(
        "ForAnyValue:StringLike",
        "cognito-identity.amazonaws.com:amr",
        json!("authenticated"),
    );
    statement.principal = Some(json!({"Federated": "cognito-identity.amazonaws.com"}));
    PolicyDocument::new(vec![statement])
}

/// S3 access for the authenticated role. `user_specific`: each identity gets only the objects
/// under its own prefix `<identity id>/`, and may list only that prefix. Otherwise: the whole
/// bucket.
pub fn s3_access(bucket: &str, user_specific: bool) -> PolicyDocument {
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    if user_specific {
        PolicyDocument::new(vec![
            Statement::allow(
                json!(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
                Some(json!(format!("{bucket_arn}/{COGNITO_SUB}/*"))),
            ),
            Statement::allow(json!("s3:ListBucket"), Some(json!(bucket_arn))).when(
                "StringLike",
                "s3:prefix",
                json!(format!("{COGNITO_SUB}/*")),
            ),
        ])
    } else {
        PolicyDocument::new(vec![Statement::allow(
            json!([
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:ListBucket"
            ]),
            Some(json!([bucket_arn, format!("{bucket_arn}/*")])),
        )])
    }
}

/// DynamoDB item access for the authenticated role. `user_specific`: only items whose
/// partition key is the caller's identity id (the original's only shape). Otherwise: every
/// item of the table.
pub fn dynamodb_access(
    region: &str,
    account_id: &str,
    table: &str,
    user_specific: bool,
) -> PolicyDocument {
    let statement = Statement::allow(
        json!([
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query"
        ]),
        Some(json!(format!(
            "arn:aws:dynamodb:{region}:{account_id}:table/{table}"
        ))),
    );
    let statement = if user_specific {
        statement.when(
            "ForAllValues:StringEquals",
            "dynamodb:LeadingKeys",
            json!(COGNITO_SUB),
        )
    } else {
        statement
    };
    PolicyDocument::new(vec![statement])
}

/// The original tool's inline-policy names: `S3UserIsolationPolicy_<bucket>` and
/// `S3AccessPolicy_<bucket>`, dashes turned into underscores.
pub fn s3_policy_name(bucket: &str, user_specific: bool) -> String {
    let prefix = if user_specific {
        "S3UserIsolationPolicy"
    } else {
        "S3AccessPolicy"
    };
    format!("{prefix}_{}", bucket.replace(['-', '.'], "_"))
}

/// `DynamoDBUserIsolationPolicy_<table>` (the original's) or `DynamoDBAccessPolicy_<table>`.
pub fn dynamodb_policy_name(table: &str, user_specific: bool) -> String {
    let prefix = if user_specific {
        "DynamoDBUserIsolationPolicy"
    } else {
        "DynamoDBAccessPolicy"
    };
    format!("{prefix}_{}", table.replace(['-', '.'], "_"))
}

fn invalid(what: &'static str, value: &str, expected: &str) -> AdminError {
    AdminError::InvalidInput {
        what,
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

/// S3's bucket naming rules (general purpose buckets).
pub fn validate_bucket_name(name: &str) -> Result<(), AdminError> {
    let expected = "3 to 63 lower-case letters, digits, dots and hyphens, starting and ending \
                    with a letter or digit, e.g. my-bucket";
    let bytes = name.as_bytes();
    let ok = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
        && !name.contains(".-")
        && !name.contains("-.");
    if !ok {
        return Err(invalid("bucket name", name, expected));
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(invalid("bucket name", name, "a name, not an IP address"));
    }
    Ok(())
}

/// DynamoDB's table naming rules.
pub fn validate_table_name(name: &str) -> Result<(), AdminError> {
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "table name",
            name,
            "3 to 255 letters, digits, `_`, `-` and `.`",
        ))
    }
}

fn is_iam_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'=' | b',' | b'.' | b'@' | b'-')
}

/// IAM role names: 1 to 64 of `[A-Za-z0-9_+=,.@-]`.
pub fn validate_role_name(name: &str) -> Result<(), AdminError> {
    if (1..=64).contains(&name.len()) && name.bytes().all(is_iam_name_char) {
        Ok(())
    } else {
        Err(invalid(
            "role name",
            name,
            "1 to 64 letters, digits and `_+=,.@-`",
        ))
    }
}

/// IAM inline policy names: 1 to 128 of `[A-Za-z0-9_+=,.@-]`.
pub fn validate_policy_name(name: &str) -> Result<(), AdminError> {
    if (1..=128).contains(&name.len()) && name.bytes().all(is_iam_name_char) {
        Ok(())
    } else {
        Err(invalid(
            "policy name",
            name,
            "1 to 128 letters, digits and `_+=,.@-`",
        ))
    }
}

/// The role name of an IAM role ARN (the last segment of its path).
pub fn role_name_of_arn(arn: &str) -> Option<&str> {
    let (_, resource) = arn.split_once(":role/")?;
    resource.rsplit('/').next().filter(|n| !n.is_empty())
}

/// The account id of an ARN.
pub fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// Reads a policy document the administrator wrote: it must be JSON, an object, with a
/// `Version` and a non-empty `Statement` whose entries have an `Effect` of Allow or Deny.
/// Checked here so a typo gets a line and column instead of IAM's terse refusal.
pub fn parse_policy_document(path: &Path, text: &str) -> Result<Value, AdminError> {
    let value: Value = serde_json::from_str(text).map_err(|e| AdminError::PolicyFileJson {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    })?;
    let shape = |problem: &str| AdminError::PolicyFileShape {
        path: path.to_path_buf(),
        problem: problem.to_owned(),
    };
    let object = value
        .as_object()
        .ok_or_else(|| shape("the document must be a JSON object"))?;
    match object.get("Version").and_then(Value::as_str) {
        Some("2012-10-17" | "2008-10-17") => {}
        Some(other) => {
            return Err(shape(&format!(
                "`Version` is `{other}`: use \"{POLICY_VERSION}\""
            )));
        }
        None => {
            return Err(shape(&format!(
                "`Version` is missing: add \"Version\": \"{POLICY_VERSION}\""
            )));
        }
    }
    let statements: Vec<&Value> = match object.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        Some(_) => {
            return Err(shape(
                "`Statement` must be an object or a non-empty list of objects",
            ));
        }
        None => return Err(shape("`Statement` is missing")),
    };
    for (i, statement) in statements.iter().enumerate() {
        let n = i + 1;
        let Some(statement) = statement.as_object() else {
            return Err(shape(&format!("statement {n} is not an object")));
        };
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => {
                return Err(shape(&format!(
                    "statement {n} needs an `Effect` of \"Allow\" or \"Deny\""
                )));
            }
        }
        if !statement.contains_key("Action") && !statement.contains_key("NotAction") {
            return Err(shape(&format!(
                "statement {n} needs an `Action` (or `NotAction`)"
            )));
        }
    }
    Ok(value)
}

/// Reads a document returned by IAM. IAM returns documents URL-encoded (RFC 3986); the SDK
/// does not decode them. A document that already parses as JSON is taken as it is.
pub fn decode_document(raw: &str) -> Result<Value, String> {
    if let Ok(value) = serde_json::from_str(raw) {
        return Ok(value);
    }
    let decoded = urlencoding::decode(raw).map_err(|e| e.to_string())?;
    serde_json::from_str(&decoded).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policy_names_the_pool_and_authenticated_identities() {
        let doc = authenticated_role_trust("us-east-1:0000").to_value();
        let s = &doc["Statement"][0];
        assert_eq!(
            s["Principal"]["Federated"],
            "cognito-identity.amazonaws.com"
        );
        assert_eq!(s["Action"], "sts:AssumeRoleWithWebIdentity");
        assert_eq!(
            s["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"],
            "us-east-1:0000"
        );
        assert_eq!(
            s["Condition"]["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"],
            "authenticated"
        );
    }

    #[test]
    fn no_placeholder_survives_in_any_document() {
        for doc in [
            s3_access("my-bucket", true),
            s3_access("my-bucket", false),
            dynamodb_access("eu-west-1", "123456789012", "t1", true),
            dynamodb_access("eu-west-1", "123456789012", "t1", false),
        ] {
            let mut strings = Vec::new();
            collect_strings(&doc.to_value(), &mut strings);
            for s in strings {
                let rest = s.replace(COGNITO_SUB, "");
                assert!(
                    !rest.contains('{') && !rest.contains('}'),
                    "placeholder in {s}"
                );
            }
        }
        let whole = s3_access("my-bucket", false).to_value();
        assert_eq!(
            whole["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"])
        );
    }

    fn collect_strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                out.push(k.clone());
                collect_strings(v, out);
            }),
            _ => {}
        }
    }

    #[test]
    fn documents_are_deterministic() {
        assert_eq!(
            s3_access("b-1", true).to_json(),
            s3_access("b-1", true).to_json()
        );
        assert!(
            authenticated_role_trust("x").to_json().starts_with(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal""#
            )
        );
    }

    #[test]
    fn policy_names_follow_the_original() {
        assert_eq!(
            s3_policy_name("my-bucket", true),
            "S3UserIsolationPolicy_my_bucket"
        );
        assert_eq!(
            s3_policy_name("my-bucket", false),
            "S3AccessPolicy_my_bucket"
        );
        assert_eq!(
            dynamodb_policy_name("my-table", true),
            "DynamoDBUserIsolationPolicy_my_table"
        );
    }

    #[test]
    fn bucket_names_are_checked() {
        for ok in ["abc", "my-bucket.logs", "a1b"] {
            validate_bucket_name(ok).unwrap();
        }
        for bad in [
            "ab",
            "My-Bucket",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "a_b",
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
        assert!(validate_table_name("Orders_2024").is_ok());
        assert!(validate_table_name("no spaces").is_err());
        assert!(validate_role_name("Cognito_PoolAuth_Role").is_ok());
        assert!(validate_role_name(&"x".repeat(65)).is_err());
        assert!(validate_policy_name("bad name").is_err());
    }

    #[test]
    fn arns_are_taken_apart() {
        let arn = "arn:aws:iam::123456789012:role/service/Cognito_Auth";
        assert_eq!(role_name_of_arn(arn), Some("Cognito_Auth"));
        assert_eq!(account_of_arn(arn), Some("123456789012"));
        assert_eq!(role_name_of_arn("arn:aws:iam::123456789012:user/x"), None);
    }

    #[test]
    fn policy_files_get_precise_errors() {
        let p = Path::new("p.json");
        let err = parse_policy_document(
            p,
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n}",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 4, column 1"), "{err}");
        let err = parse_policy_document(p, r#"{"Statement": []}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`Version` is missing"), "{err}");
        let err = parse_policy_document(p, r#"{"Version": "2012-10-17"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`Statement` is missing"), "{err}");
        let err = parse_policy_document(
            p,
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("statement 1"), "{err}");
        parse_policy_document(
            p,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#,
        )
        .unwrap();
    }

    #[test]
    fn iam_documents_are_url_decoded() {
        let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_document(raw).unwrap()["Version"], "2012-10-17");
        assert_eq!(decode_document(r#"{"a":"50%"}"#).unwrap()["a"], "50%");
        assert!(decode_document("%7Bnot json").is_err());
    }
}
