//! An identity pool's roles (found with GetIdentityPoolRoles, which the original never called),
//! their managed and inline policies, and applying inline policies to the authenticated role.

use aws_types::SdkConfig;
use serde::Serialize;
use serde_json::Value;

use super::plan::{Action, Resource, Step};
use super::policies::{decode_document, role_name_of_arn};
use crate::{AdminError, aws_error, collect_pages};
use cogauth_core::aws::{Service, error_code, in_region};
use cogauth_core::config::ids;

/// A role of an identity pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleRef {
    /// `authenticated` or `unauthenticated`.
    pub kind: String,
    pub arn: String,
    pub name: String,
}

/// The region in an identity pool id (`us-east-1:...`), after checking the id's shape.
pub fn identity_pool_region(identity_pool_id: &str) -> Result<&str, AdminError> {
    if !ids::is_identity_pool_id(identity_pool_id) {
        return Err(AdminError::InvalidInput {
            what: "identity pool id",
            value: identity_pool_id.to_owned(),
            expected: "<region>:<uuid>, e.g. us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab"
                .to_owned(),
        });
    }
    Ok(identity_pool_id
        .split_once(':')
        .map(|(region, _)| region)
        .unwrap_or_default())
}

/// The roles attached to an identity pool, authenticated first.
pub async fn identity_pool_roles(
    sdk: &SdkConfig,
    identity_pool_id: &str,
) -> Result<Vec<RoleRef>, AdminError> {
    let region = identity_pool_region(identity_pool_id)?;
    let client = aws_sdk_cognitoidentity::Client::new(&in_region(sdk, region));
    let answer = client
        .get_identity_pool_roles()
        .identity_pool_id(identity_pool_id)
        .send()
        .await
        .map_err(|e| {
            if error_code(&e) == Some("ResourceNotFoundException") {
                AdminError::NotFound {
                    what: "identity pool",
                    name: identity_pool_id.to_owned(),
                    hint: format!(" in {region}: check the id, or run `cogadmin setup`"),
                }
            } else {
                aws_error(Service::CognitoIdentity, "GetIdentityPoolRoles")(e)
            }
        })?;
    let mut roles: Vec<RoleRef> = answer
        .roles()
        .into_iter()
        .flatten()
        .map(|(kind, arn)| RoleRef {
            kind: kind.clone(),
            name: role_name_of_arn(arn).unwrap_or(arn).to_owned(),
            arn: arn.clone(),
        })
        .collect();
    roles.sort_by(|a, b| {
        (a.kind != "authenticated", &a.kind).cmp(&(b.kind != "authenticated", &b.kind))
    });
    Ok(roles)
}

/// The identity pool's authenticated role.
pub async fn authenticated_role(
    sdk: &SdkConfig,
    identity_pool_id: &str,
) -> Result<RoleRef, AdminError> {
    identity_pool_roles(sdk, identity_pool_id)
        .await?
        .into_iter()
        .find(|r| r.kind == "authenticated")
        .ok_or_else(|| AdminError::NoAuthenticatedRole {
            identity_pool_id: identity_pool_id.to_owned(),
        })
}

/// A managed policy attached to a role, with its default version's document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    pub version: Option<String>,
    pub document: Option<Value>,
}

/// An inline policy of a role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: Value,
}

/// A role with its settings and policies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleDetails {
    pub kind: String,
    pub arn: String,
    pub name: String,
    pub max_session_duration: Option<i32>,
    pub trust_policy: Option<Value>,
    pub managed_policies: Vec<ManagedPolicy>,
    pub inline_policies: Vec<InlinePolicy>,
}

/// `cogadmin role info`: every role of the pool, with its policies and their documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleInfo {
    pub identity_pool_id: String,
    pub roles: Vec<RoleDetails>,
}

/// Reads the roles of `identity_pool_id` and, for each, its managed policies
/// (ListAttachedRolePolicies, GetPolicy, GetPolicyVersion) and inline policies
/// (ListRolePolicies, GetRolePolicy), with their documents decoded.
pub async fn role_info(sdk: &SdkConfig, identity_pool_id: &str) -> Result<RoleInfo, AdminError> {
    let roles = identity_pool_roles(sdk, identity_pool_id).await?;
    if !roles.iter().any(|r| r.kind == "authenticated") {
        return Err(AdminError::NoAuthenticatedRole {
            identity_pool_id: identity_pool_id.to_owned(),
        });
    }
    let iam = aws_sdk_iam::Client::new(sdk);
    let mut details = Vec::with_capacity(roles.len());
    for role in roles {
        details.push(role_details(&iam, role).await?);
    }
    Ok(RoleInfo {
        identity_pool_id: identity_pool_id.to_owned(),
        roles: details,
    })
}

async fn role_details(iam: &aws_sdk_iam::Client, role: RoleRef) -> Result<RoleDetails, AdminError> {
    let found = crate::iam::find_role(iam, &role.name).await?;
    let Some(iam_role) = found.as_ref() else {
        return Err(AdminError::NotFound {
            what: "IAM role",
            name: role.name.clone(),
            hint: format!(
                " although the identity pool names it as its {} role: run `cogadmin setup` to repair",
                role.kind
            ),
        });
    };
    let trust_policy = iam_role
        .assume_role_policy_document()
        .map(|raw| {
            decode_document(raw).map_err(|message| AdminError::UnreadablePolicy {
                role_name: role.name.clone(),
                policy_name: "trust policy".to_owned(),
                message,
            })
        })
        .transpose()?;
    let max_session_duration = iam_role.max_session_duration();

    let attached = collect_pages(|marker| {
        let request = iam
            .list_attached_role_policies()
            .role_name(&role.name)
            .set_marker(marker);
        async move {
            let page = request
                .send()
                .await
                .map_err(aws_error(Service::Iam, "ListAttachedRolePolicies"))?;
            let next = if page.is_truncated() {
                page.marker().map(str::to_owned)
            } else {
                None
            };
            Ok((page.attached_policies().to_vec(), next))
        }
    })
    .await?;
    let mut managed_policies = Vec::with_capacity(attached.len());
    for policy in attached {
        let (Some(name), Some(arn)) = (policy.policy_name(), policy.policy_arn()) else {
            continue;
        };
        managed_policies.push(managed_policy(iam, &role.name, name, arn).await?);
    }

    let inline_names = inline_policy_names(iam, &role.name).await?;
    let mut inline_policies = Vec::with_capacity(inline_names.len());
    for name in inline_names {
        let document = inline_policy(iam, &role.name, &name)
            .await?
            .unwrap_or(Value::Null);
        inline_policies.push(InlinePolicy { name, document });
    }
    inline_policies.sort_by(|a, b| a.name.cmp(&b.name));

    Ok(RoleDetails {
        kind: role.kind,
        arn: role.arn,
        name: role.name,
        max_session_duration,
        trust_policy,
        managed_policies,
        inline_policies,
    })
}

async fn managed_policy(
    iam: &aws_sdk_iam::Client,
    role_name: &str,
    name: &str,
    arn: &str,
) -> Result<ManagedPolicy, AdminError> {
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(aws_error(Service::Iam, "GetPolicy"))?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .map(str::to_owned);
    let document =
        match &version {
            Some(version_id) => {
                let answer = iam
                    .get_policy_version()
                    .policy_arn(arn)
                    .version_id(version_id)
                    .send()
                    .await
                    .map_err(aws_error(Service::Iam, "GetPolicyVersion"))?;
                match answer.policy_version().and_then(|v| v.document()) {
                    Some(raw) => Some(decode_document(raw).map_err(|message| {
                        AdminError::UnreadablePolicy {
                            role_name: role_name.to_owned(),
                            policy_name: name.to_owned(),
                            message,
                        }
                    })?),
                    None => None,
                }
            }
            None => None,
        };
    Ok(ManagedPolicy {
        name: name.to_owned(),
        arn: arn.to_owned(),
        version,
        document,
    })
}

/// The document of an inline policy of a role; `None` when the role has no such policy.
pub async fn inline_policy(
    iam: &aws_sdk_iam::Client,
    role_name: &str,
    policy_name: &str,
) -> Result<Option<Value>, AdminError> {
    match iam
        .get_role_policy()
        .role_name(role_name)
        .policy_name(policy_name)
        .send()
        .await
    {
        Ok(answer) => decode_document(answer.policy_document())
            .map(Some)
            .map_err(|message| AdminError::UnreadablePolicy {
                role_name: role_name.to_owned(),
                policy_name: policy_name.to_owned(),
                message,
            }),
        Err(e) if error_code(&e) == Some("NoSuchEntity") => Ok(None),
        Err(e) => Err(aws_error(Service::Iam, "GetRolePolicy")(e)),
    }
}

/// Puts `document` as the inline policy `policy_name` of `role_name`; unchanged when the role
/// already has exactly that document. A dry run calls nothing and says `would apply`.
pub async fn apply_inline_policy(
    sdk: &SdkConfig,
    role_name: &str,
    policy_name: &str,
    document: &Value,
    dry_run: bool,
) -> Result<Step, AdminError> {
    super::policies::validate_role_name(role_name)?;
    super::policies::validate_policy_name(policy_name)?;
    let step = |action| {
        Step::new(Resource::InlinePolicy, policy_name, action)
            .with_details(vec![format!("on role {role_name}")])
    };
    if dry_run {
        return Ok(step(Action::WouldApply));
    }
    let iam = aws_sdk_iam::Client::new(sdk);
    let current = inline_policy(&iam, role_name, policy_name).await?;
    let action = match &current {
        Some(existing) if existing == document => return Ok(step(Action::Unchanged)),
        Some(_) => Action::Updated,
        None => Action::Created,
    };
    let text = serde_json::to_string(document).expect("a JSON value always serializes");
    iam.put_role_policy()
        .role_name(role_name)
        .policy_name(policy_name)
        .policy_document(text)
        .send()
        .await
        .map_err(|e| match error_code(&e) {
            Some("MalformedPolicyDocument") => AdminError::MalformedPolicy {
                policy_name: policy_name.to_owned(),
                role_name: role_name.to_owned(),
                message: e
                    .as_service_error()
                    .and_then(|s| {
                        aws_smithy_types::error::metadata::ProvideErrorMetadata::message(s)
                    })
                    .unwrap_or("no reason given")
                    .trim_end_matches('.')
                    .to_owned(),
            },
            Some("NoSuchEntity") => AdminError::NotFound {
                what: "IAM role",
                name: role_name.to_owned(),
                hint: ": run `cogadmin setup` to create it".to_owned(),
            },
            _ => aws_error(Service::Iam, "PutRolePolicy")(e),
        })?;
    Ok(step(action))
}

async fn inline_policy_names(
    iam: &aws_sdk_iam::Client,
    role_name: &str,
) -> Result<Vec<String>, AdminError> {
    collect_pages(|marker| {
        let request = iam
            .list_role_policies()
            .role_name(role_name)
            .set_marker(marker);
        async move {
            let page = request
                .send()
                .await
                .map_err(aws_error(Service::Iam, "ListRolePolicies"))?;
            let next = if page.is_truncated() {
                page.marker().map(str::to_owned)
            } else {
                None
            };
            Ok((page.policy_names().to_vec(), next))
        }
    })
    .await
}

/// The account the administrator's credentials belong to (STS GetCallerIdentity), for
/// documents that name it when no role ARN is at hand.
pub async fn caller_account(sdk: &SdkConfig) -> Result<String, AdminError> {
    let me = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(aws_error(Service::Sts, "GetCallerIdentity"))?;
    me.account().map(str::to_owned).ok_or_else(|| {
        AdminError::bad_answer(
            Service::Sts,
            "GetCallerIdentity",
            "the answer names no account",
        )
    })
}
