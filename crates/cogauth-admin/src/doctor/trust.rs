//! Reading a role's trust policy for what Cognito identity pools need: a statement that lets
//! `cognito-identity.amazonaws.com` call `sts:AssumeRoleWithWebIdentity`, limited to this
//! identity pool (`aud`) and to authenticated identities (`amr`); and [`accepting`], which
//! makes a role's trust policy accept an identity pool while keeping what else it trusts
//! (group roles are often shared, unlike the authenticated role `setup` owns).

use serde_json::Value;

const FEDERATED: &str = "cognito-identity.amazonaws.com";
const AUD: &str = "cognito-identity.amazonaws.com:aud";
const AMR: &str = "cognito-identity.amazonaws.com:amr";

/// Strings of a policy value that may be a string or a list of strings.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn allows_web_identity(statement: &Value) -> bool {
    let effect_allows = statement["Effect"].as_str() == Some("Allow");
    let action = strings(&statement["Action"]).into_iter().any(|a| {
        a.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity")
            || a.eq_ignore_ascii_case("sts:*")
            || a == "*"
    });
    let principal = strings(&statement["Principal"]["Federated"])
        .into_iter()
        .any(|p| p == FEDERATED);
    effect_allows && action && principal
}

/// The values of condition key `key` under any operator (keys are case-insensitive in IAM).
fn condition_values<'a>(statement: &'a Value, key: &str) -> Option<Vec<&'a str>> {
    let conditions = statement["Condition"].as_object()?;
    let mut found: Option<Vec<&str>> = None;
    for block in conditions.values() {
        let Some(block) = block.as_object() else {
            continue;
        };
        for (k, v) in block {
            if k.eq_ignore_ascii_case(key) {
                found.get_or_insert_with(Vec::new).extend(strings(v));
            }
        }
    }
    found
}

/// What is wrong with `document` as the trust policy of a role for `identity_pool_id`; empty
/// when it is right.
pub(crate) fn problems(document: &Value, identity_pool_id: &str) -> Vec<String> {
    let statements: Vec<&Value> = match &document["Statement"] {
        Value::Array(items) => items.iter().collect(),
        single @ Value::Object(_) => vec![single],
        _ => Vec::new(),
    };
    let candidates: Vec<&Value> = statements
        .into_iter()
        .filter(|s| allows_web_identity(s))
        .collect();
    if candidates.is_empty() {
        return vec![format!(
            "no statement allows `{FEDERATED}` to call sts:AssumeRoleWithWebIdentity"
        )];
    }
    // The best statement is the one with the fewest problems.
    candidates
        .into_iter()
        .map(|s| statement_problems(s, identity_pool_id))
        .min_by_key(Vec::len)
        .unwrap_or_default()
}

/// `document` changed so that it accepts `identity_pool_id` as [`problems`] wants, or `None`
/// when it already does. Statements about other principals or other identity pools are kept;
/// cognito-identity statements for this pool (or for any pool: no `aud`) that fall short are
/// replaced by the one cogadmin writes ([`authenticated_role_trust`]).
///
/// [`authenticated_role_trust`]: crate::policies::authenticated_role_trust
pub(crate) fn accepting(document: &Value, identity_pool_id: &str) -> Option<Value> {
    if problems(document, identity_pool_id).is_empty() {
        return None;
    }
    let wanted = crate::policies::authenticated_role_trust(identity_pool_id).to_value();
    let ours = wanted["Statement"][0].clone();
    let statements: Vec<Value> = match &document["Statement"] {
        Value::Array(items) => items.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    let mut kept: Vec<Value> = statements
        .into_iter()
        .filter(|s| {
            let about_this_pool =
                condition_values(s, AUD).is_none_or(|pools| pools.contains(&identity_pool_id));
            !(allows_web_identity(s) && about_this_pool)
        })
        .collect();
    kept.push(ours);
    let mut merged = document.clone();
    if !merged.is_object() {
        merged = Value::Object(Default::default());
    }
    merged["Version"] = wanted["Version"].clone();
    merged["Statement"] = Value::Array(kept);
    Some(merged)
}

fn statement_problems(statement: &Value, identity_pool_id: &str) -> Vec<String> {
    let mut found = Vec::new();
    match condition_values(statement, AUD) {
        None => found.push(format!(
            "no `{AUD}` condition: Cognito refuses to issue credentials for such a role, and \
             any identity pool could use it"
        )),
        Some(pools) if !pools.contains(&identity_pool_id) => found.push(format!(
            "`{AUD}` is {} instead of this identity pool `{identity_pool_id}`",
            pools
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(_) => {}
    }
    match condition_values(statement, AMR) {
        None => found.push(format!(
            "no `{AMR}` condition: unauthenticated (guest) identities could assume it too"
        )),
        Some(values) if !values.contains(&"authenticated") => found.push(format!(
            "`{AMR}` is {} instead of `authenticated`",
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(_) => {}
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies::authenticated_role_trust;
    use serde_json::json;

    const POOL: &str = "us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab";

    #[test]
    fn accepting_adds_this_pool_and_keeps_what_else_the_role_trusts() {
        let other = "us-east-1:00000000-0000-4000-8000-000000000000";
        let lambda = json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"});
        let other_pool = authenticated_role_trust(other).to_value()["Statement"][0].clone();
        let loose = json!({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": POOL}}});
        let doc = json!({"Version": "2012-10-17", "Statement": [lambda, other_pool, loose]});
        let merged = accepting(&doc, POOL).expect("a change");
        let statements = merged["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3, "{merged}");
        assert_eq!(statements[0], lambda, "another principal is kept");
        assert_eq!(statements[1], other_pool, "another identity pool is kept");
        assert_eq!(
            statements[2],
            authenticated_role_trust(POOL).to_value()["Statement"][0],
            "this pool's statement without amr is replaced"
        );
        assert!(problems(&merged, POOL).is_empty());
        assert!(
            problems(&merged, other).is_empty(),
            "the other pool still works"
        );
        assert_eq!(accepting(&merged, POOL), None, "idempotent");

        // A single statement (not a list), and a document of nothing.
        let single = json!({"Version": "2012-10-17", "Statement": lambda});
        let merged = accepting(&single, POOL).unwrap();
        assert_eq!(merged["Statement"].as_array().unwrap().len(), 2);
        assert!(problems(&accepting(&json!(null), POOL).unwrap(), POOL).is_empty());
    }

    #[test]
    fn the_policy_cogadmin_writes_is_right() {
        let doc = authenticated_role_trust(POOL).to_value();
        assert_eq!(problems(&doc, POOL), Vec::<String>::new());
    }

    fn doc(condition: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": condition
        }]})
    }

    #[test]
    fn a_missing_aud_is_named() {
        let found = problems(
            &doc(json!({"ForAnyValue:StringLike": {AMR: "authenticated"}})),
            POOL,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("no `cognito-identity.amazonaws.com:aud`"));
    }

    #[test]
    fn another_pool_and_guest_access_are_named() {
        let found = problems(
            &doc(json!({
                "StringEquals": {"Cognito-Identity.amazonaws.com:aud": ["us-east-1:other"]},
                "ForAnyValue:StringLike": {AMR: "unauthenticated"}
            })),
            POOL,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("`us-east-1:other` instead of this identity pool"));
        assert!(found[1].contains("`unauthenticated` instead of `authenticated`"));
    }

    #[test]
    fn a_role_for_another_principal_is_named() {
        let found = problems(
            &json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}}),
            POOL,
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("no statement allows"), "{found:?}");
    }
}
