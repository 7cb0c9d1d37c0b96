//! User-pool groups with roles: what lets a user choose among several roles.
//!
//! Cognito puts the roles of a user's groups into the ID token (`cognito:roles`, and
//! `cognito:preferred_role` from the group of lowest precedence); an identity pool with
//! token-based role mapping (`cogadmin setup --role-mapping token`) then issues credentials for
//! the one the user asks for. For that, each group role must trust the identity pool as the
//! authenticated role does (`aud` = the pool, `amr` = authenticated).
//!
//! - [`create_group`]: the role (created when missing, its trust policy made to accept the
//!   identity pool while keeping what else it trusts), then the group with that role and
//!   precedence; found by name, updated where it differs.
//! - [`add_user`], [`remove_user`]: membership, idempotent.
//! - [`list_groups`]: each group, its role, precedence and members.
//! - [`ensure_trust`]: a role's trust policy accepting the identity pool (also used by
//!   `setup --role-mapping token` for every group role of the pool).
//!
//! Every mutating operation reads first and has a dry run; running it twice changes nothing
//! the second time.

use aws_sdk_cognitoidentityprovider as idp;
use aws_types::SdkConfig;
use serde::Serialize;

use crate::plan::{Action, Plan, Resource, Step};
use crate::policies::{account_of_arn, decode_document, role_name_of_arn};
use crate::users::user_pool_region;
use crate::{AdminError, aws_error, collect_pages};
use cogauth_core::aws::{Service, error_code, in_region};
use cogauth_core::config::ids;

/// What cogadmin writes as a group's description: the only mark a group can carry (groups take
/// no tags).
pub const DESCRIPTION: &str = "managed by cogauth: its role is offered to its members";

/// `cogadmin group create`.
#[derive(Debug, Clone)]
pub struct GroupRequest {
    pub user_pool_id: String,
    pub name: String,
    pub role_arn: String,
    /// Lower wins `cognito:preferred_role`; `None`: no precedence (ranks last).
    pub precedence: Option<i32>,
    /// The identity pool the role must trust; `None` leaves the trust policy alone (with a
    /// warning).
    pub identity_pool_id: Option<String>,
    /// MaxSessionDuration of a role this creates, in hours.
    pub max_session_hours: u32,
    /// `--adopt`: an existing role that is not cogadmin's may have its trust policy changed
    /// (it is tagged first, [`crate::ownership`]).
    pub adopt: bool,
    pub dry_run: bool,
}

/// A group as `cogadmin group list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub name: String,
    pub role_arn: Option<String>,
    pub precedence: Option<i32>,
    pub description: Option<String>,
    pub members: Vec<String>,
}

/// Group names: 1 to 128 characters, no control characters (Cognito's pattern is letters,
/// marks, symbols, numbers and punctuation).
pub fn validate_group_name(name: &str) -> Result<(), AdminError> {
    if (1..=128).contains(&name.chars().count())
        && !name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Ok(());
    }
    Err(AdminError::InvalidInput {
        what: "group name",
        value: name.escape_debug().to_string(),
        expected: "1 to 128 letters, digits and punctuation, without spaces".to_owned(),
    })
}

fn check_request(request: &GroupRequest) -> Result<(), AdminError> {
    validate_group_name(&request.name)?;
    if !ids::is_role_arn(&request.role_arn) {
        return Err(AdminError::InvalidInput {
            what: "role ARN",
            value: request.role_arn.clone(),
            expected: "arn:aws:iam::<account>:role/<name>".to_owned(),
        });
    }
    if request.precedence.is_some_and(|p| p < 0) {
        return Err(AdminError::InvalidInput {
            what: "precedence",
            value: request.precedence.unwrap_or_default().to_string(),
            expected: "a whole number from 0 (the lowest wins the preferred role)".to_owned(),
        });
    }
    if let Some(pool) = &request.identity_pool_id
        && !ids::is_identity_pool_id(pool)
    {
        return Err(AdminError::InvalidInput {
            what: "identity pool id",
            value: pool.clone(),
            expected: "<region>:<uuid>".to_owned(),
        });
    }
    Ok(())
}

fn idp_client(sdk: &SdkConfig, user_pool_id: &str) -> Result<idp::Client, AdminError> {
    let region = user_pool_region(user_pool_id)?;
    Ok(idp::Client::new(&in_region(sdk, region)))
}

/// The group `name`, or `None`.
async fn find_group(
    idp: &idp::Client,
    user_pool_id: &str,
    name: &str,
) -> Result<Option<idp::types::GroupType>, AdminError> {
    match idp
        .get_group()
        .user_pool_id(user_pool_id)
        .group_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.group),
        Err(e) if error_code(&e) == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(aws_error(Service::CognitoIdentityProvider, "GetGroup")(e)),
    }
}

/// Creates or updates the group and its role (see the module documentation).
pub async fn create_group(sdk: &SdkConfig, request: &GroupRequest) -> Result<Plan, AdminError> {
    check_request(request)?;
    let idp = idp_client(sdk, &request.user_pool_id)?;
    let iam = aws_sdk_iam::Client::new(sdk);
    let mut plan = Plan::new(request.dry_run);

    // The role first: a group never points at a role that is not there.
    ensure_role(sdk, &iam, request, &mut plan).await?;

    let name = &request.name;
    let Some(group) = find_group(&idp, &request.user_pool_id, name).await? else {
        if !request.dry_run {
            idp.create_group()
                .user_pool_id(&request.user_pool_id)
                .group_name(name)
                .role_arn(&request.role_arn)
                .set_precedence(request.precedence)
                .description(DESCRIPTION)
                .send()
                .await
                .map_err(aws_error(Service::CognitoIdentityProvider, "CreateGroup"))?;
        }
        plan.push(
            Step::new(Resource::Group, name, Action::create(request.dry_run))
                .with_details(group_details(&request.role_arn, request.precedence)),
        );
        return Ok(plan);
    };
    let mut details = Vec::new();
    if group.role_arn() != Some(request.role_arn.as_str()) {
        details.push(format!(
            "role {} -> {}",
            group.role_arn().unwrap_or("none"),
            request.role_arn
        ));
    }
    if group.precedence() != request.precedence {
        details.push(format!(
            "precedence {} -> {}",
            shown(group.precedence()),
            shown(request.precedence)
        ));
    }
    if details.is_empty() {
        plan.push(Step::new(Resource::Group, name, Action::Unchanged));
        return Ok(plan);
    }
    if !request.dry_run {
        // UpdateGroup resets what it is not given: the description goes back as it was.
        idp.update_group()
            .user_pool_id(&request.user_pool_id)
            .group_name(name)
            .role_arn(&request.role_arn)
            .set_precedence(request.precedence)
            .set_description(group.description().map(str::to_owned))
            .send()
            .await
            .map_err(aws_error(Service::CognitoIdentityProvider, "UpdateGroup"))?;
    }
    plan.push(
        Step::new(Resource::Group, name, Action::update(request.dry_run)).with_details(details),
    );
    Ok(plan)
}

fn shown(precedence: Option<i32>) -> String {
    precedence.map_or_else(|| "none".to_owned(), |p| p.to_string())
}

fn group_details(role_arn: &str, precedence: Option<i32>) -> Vec<String> {
    vec![format!("role {role_arn}, precedence {}", shown(precedence))]
}

/// The group role: created when missing (trusting the identity pool), else its trust policy
/// made to accept the identity pool.
async fn ensure_role(
    sdk: &SdkConfig,
    iam: &aws_sdk_iam::Client,
    request: &GroupRequest,
    plan: &mut Plan,
) -> Result<(), AdminError> {
    let (role_arn, identity_pool_id) = (&request.role_arn, request.identity_pool_id.as_deref());
    let (max_session_hours, dry_run) = (request.max_session_hours, request.dry_run);
    let name = role_name_of_arn(role_arn).unwrap_or(role_arn).to_owned();
    match crate::iam::find_role(iam, &name).await? {
        Some(role) if role.arn() == role_arn => {
            let Some(pool) = identity_pool_id else {
                plan.warnings.push(format!(
                    "no identity pool given: the trust policy of role `{name}` was not checked; \
                     pass --identity-pool-id (or --profile) so it accepts the pool's users"
                ));
                plan.push(Step::new(Resource::Role, &name, Action::Unchanged).with_id(role_arn));
                return Ok(());
            };
            let changes = Changes {
                sdk,
                adopt: request.adopt,
                dry_run,
                command: "group create",
            };
            ensure_trust(iam, std::slice::from_ref(&role), pool, &changes, plan).await
        }
        Some(role) => Err(AdminError::InvalidInput {
            what: "role ARN",
            value: role_arn.to_owned(),
            expected: format!(
                "the ARN of role `{name}` in this account, which is {}",
                role.arn()
            ),
        }),
        None => {
            let account = crate::roles::caller_account(sdk).await?;
            if account_of_arn(role_arn) != Some(account.as_str()) {
                return Err(AdminError::NotFound {
                    what: "role",
                    name: role_arn.to_owned(),
                    hint: format!(
                        ": it is not in account {account}, which these AWS credentials act in, \
                         so cogadmin cannot create it; create it in its account, trusting the \
                         identity pool"
                    ),
                });
            }
            let Some(pool) = identity_pool_id else {
                return Err(AdminError::NotFound {
                    what: "role",
                    name: role_arn.to_owned(),
                    hint: ": pass --identity-pool-id (or --profile) so cogadmin can create it \
                           trusting that identity pool"
                        .to_owned(),
                });
            };
            if dry_run {
                plan.push(Step::new(Resource::Role, &name, Action::WouldCreate).with_id(role_arn));
                return Ok(());
            }
            let path = role_path(role_arn);
            let trust = crate::policies::authenticated_role_trust(pool);
            let max_session = i32::try_from(max_session_hours.clamp(1, 12) * 3600).unwrap_or(3600);
            let created = iam
                .create_role()
                .role_name(&name)
                .path(&path)
                .assume_role_policy_document(trust.to_json())
                .max_session_duration(max_session)
                .tags(crate::ownership::iam_tag())
                .description(format!(
                    "cogauth: a user-pool group role for identity pool {pool}"
                ))
                .send()
                .await
                .map_err(aws_error(Service::Iam, "CreateRole"))?;
            let arn = created
                .role()
                .map(|r| r.arn().to_owned())
                .unwrap_or_default();
            plan.push(
                Step::new(Resource::Role, &name, Action::Created)
                    .with_id(&arn)
                    .with_details(vec![format!(
                        "trusts identity pool {pool}; MaxSessionDuration {max_session}"
                    )]),
            );
            Ok(())
        }
    }
}

/// `/path/` of `arn:aws:iam::1:role/path/name`, `/` without one.
fn role_path(role_arn: &str) -> String {
    let resource = role_arn.split_once(":role/").map_or("", |(_, r)| r);
    match resource.rsplit_once('/') {
        Some((path, _)) => format!("/{path}/"),
        None => "/".to_owned(),
    }
}

/// How a run may change an existing role: the ownership rule's inputs.
#[derive(Debug)]
pub struct Changes<'a> {
    /// The administrator's SDK config (for tagging an adopted role).
    pub sdk: &'a SdkConfig,
    pub adopt: bool,
    pub dry_run: bool,
    /// The command, for the refusal: `group create`, `setup`.
    pub command: &'static str,
}

/// Makes each role's trust policy accept `identity_pool_id` (aud and amr conditions), keeping
/// its other statements; reports an unchanged role when it already does. Roles that need the
/// change and are not cogadmin's are refused together, before any is changed, unless `--adopt`
/// (which tags them first).
pub async fn ensure_trust(
    iam: &aws_sdk_iam::Client,
    roles: &[aws_sdk_iam::types::Role],
    identity_pool_id: &str,
    changes: &Changes<'_>,
    plan: &mut Plan,
) -> Result<(), AdminError> {
    let dry_run = changes.dry_run;
    let mut owner = crate::ownership::Ownership::new(changes.adopt, dry_run);
    let mut updates = Vec::new();
    for role in roles {
        let name = role.role_name();
        let current = match role.assume_role_policy_document() {
            Some(raw) => decode_document(raw).map_err(|message| AdminError::UnreadablePolicy {
                role_name: name.to_owned(),
                policy_name: "trust policy".to_owned(),
                message,
            })?,
            None => serde_json::Value::Null,
        };
        match crate::doctor::trust::accepting(&current, identity_pool_id) {
            None => {
                plan.push(Step::new(Resource::Role, name, Action::Unchanged).with_id(role.arn()));
            }
            Some(wanted) => {
                owner.register(crate::ownership::Found::role(
                    role,
                    format!(
                        "`{}` would rewrite its trust policy to accept the signed-in users of \
                         identity pool {identity_pool_id}",
                        changes.command
                    ),
                ));
                updates.push((role, wanted));
            }
        }
    }
    owner.settle(changes.sdk, &mut plan.steps).await?;
    for (role, wanted) in updates {
        let name = role.role_name();
        if !dry_run {
            iam.update_assume_role_policy()
                .role_name(name)
                .policy_document(wanted.to_string())
                .send()
                .await
                .map_err(aws_error(Service::Iam, "UpdateAssumeRolePolicy"))?;
        }
        plan.push(
            Step::new(Resource::Role, name, Action::update(dry_run))
                .with_id(role.arn())
                .with_details(vec![format!(
                    "trust policy: accept identity pool {identity_pool_id} (aud), authenticated \
                     identities only (amr); other statements kept"
                )]),
        );
    }
    Ok(())
}

/// The groups of `user_pool_id` with a role: (group name, role ARN).
pub async fn group_roles(
    sdk: &SdkConfig,
    user_pool_id: &str,
) -> Result<Vec<(String, String)>, AdminError> {
    Ok(
        list_group_types(&idp_client(sdk, user_pool_id)?, user_pool_id)
            .await?
            .into_iter()
            .filter_map(|g| Some((g.group_name()?.to_owned(), g.role_arn()?.to_owned())))
            .collect(),
    )
}

async fn list_group_types(
    idp: &idp::Client,
    user_pool_id: &str,
) -> Result<Vec<idp::types::GroupType>, AdminError> {
    collect_pages(|token| {
        let request = idp
            .list_groups()
            .user_pool_id(user_pool_id)
            .limit(60)
            .set_next_token(token);
        async move {
            let page = request
                .send()
                .await
                .map_err(aws_error(Service::CognitoIdentityProvider, "ListGroups"))?;
            Ok((page.groups().to_vec(), page.next_token().map(str::to_owned)))
        }
    })
    .await
}

/// Every group of the pool, by precedence (none last), then name, with its members.
pub async fn list_groups(
    sdk: &SdkConfig,
    user_pool_id: &str,
) -> Result<Vec<GroupSummary>, AdminError> {
    let idp = idp_client(sdk, user_pool_id)?;
    let mut groups = Vec::new();
    for group in list_group_types(&idp, user_pool_id).await? {
        let name = group.group_name().unwrap_or_default().to_owned();
        let members = collect_pages(|token| {
            let request = idp
                .list_users_in_group()
                .user_pool_id(user_pool_id)
                .group_name(&name)
                .limit(60)
                .set_next_token(token);
            async move {
                let page = request.send().await.map_err(aws_error(
                    Service::CognitoIdentityProvider,
                    "ListUsersInGroup",
                ))?;
                let names = page
                    .users()
                    .iter()
                    .filter_map(|u| u.username().map(str::to_owned))
                    .collect();
                Ok((names, page.next_token().map(str::to_owned)))
            }
        })
        .await?;
        groups.push(GroupSummary {
            role_arn: group.role_arn().map(str::to_owned),
            precedence: group.precedence(),
            description: group.description().map(str::to_owned),
            name,
            members,
        });
    }
    groups.sort_by(|a, b| {
        (a.precedence.is_none(), a.precedence, &a.name).cmp(&(
            b.precedence.is_none(),
            b.precedence,
            &b.name,
        ))
    });
    Ok(groups)
}

/// Whether `username` is in `group` (AdminListGroupsForUser), failing clearly when either is
/// missing.
async fn is_member(
    idp: &idp::Client,
    user_pool_id: &str,
    group: &str,
    username: &str,
) -> Result<bool, AdminError> {
    if find_group(idp, user_pool_id, group).await?.is_none() {
        return Err(AdminError::NotFound {
            what: "group",
            name: group.to_owned(),
            hint: format!(
                " in user pool `{user_pool_id}`: create it with `cogadmin group create {group} --role-arn ARN`"
            ),
        });
    }
    let groups = collect_pages(|token| {
        let request = idp
            .admin_list_groups_for_user()
            .user_pool_id(user_pool_id)
            .username(username)
            .limit(60)
            .set_next_token(token);
        async move {
            let page = request.send().await.map_err(|e| {
                if error_code(&e) == Some("UserNotFoundException") {
                    AdminError::UserNotFound {
                        username: username.to_owned(),
                        user_pool_id: user_pool_id.to_owned(),
                    }
                } else {
                    aws_error(Service::CognitoIdentityProvider, "AdminListGroupsForUser")(e)
                }
            })?;
            let names: Vec<String> = page
                .groups()
                .iter()
                .filter_map(|g| g.group_name().map(str::to_owned))
                .collect();
            Ok((names, page.next_token().map(str::to_owned)))
        }
    })
    .await?;
    Ok(groups.iter().any(|g| g == group))
}

/// Puts `username` into `group`.
pub async fn add_user(
    sdk: &SdkConfig,
    user_pool_id: &str,
    group: &str,
    username: &str,
    dry_run: bool,
) -> Result<Plan, AdminError> {
    membership(sdk, user_pool_id, group, username, dry_run, true).await
}

/// Takes `username` out of `group`.
pub async fn remove_user(
    sdk: &SdkConfig,
    user_pool_id: &str,
    group: &str,
    username: &str,
    dry_run: bool,
) -> Result<Plan, AdminError> {
    membership(sdk, user_pool_id, group, username, dry_run, false).await
}

async fn membership(
    sdk: &SdkConfig,
    user_pool_id: &str,
    group: &str,
    username: &str,
    dry_run: bool,
    member: bool,
) -> Result<Plan, AdminError> {
    validate_group_name(group)?;
    let idp = idp_client(sdk, user_pool_id)?;
    let mut plan = Plan::new(dry_run);
    let step_name = format!("{username} in {group}");
    if is_member(&idp, user_pool_id, group, username).await? == member {
        plan.push(Step::new(
            Resource::GroupMember,
            step_name,
            Action::Unchanged,
        ));
        return Ok(plan);
    }
    if !dry_run {
        let sent = if member {
            idp.admin_add_user_to_group()
                .user_pool_id(user_pool_id)
                .group_name(group)
                .username(username)
                .send()
                .await
                .map(|_| ())
                .map_err(aws_error(
                    Service::CognitoIdentityProvider,
                    "AdminAddUserToGroup",
                ))
        } else {
            idp.admin_remove_user_from_group()
                .user_pool_id(user_pool_id)
                .group_name(group)
                .username(username)
                .send()
                .await
                .map(|_| ())
                .map_err(aws_error(
                    Service::CognitoIdentityProvider,
                    "AdminRemoveUserFromGroup",
                ))
        };
        sent?;
    }
    let action = match (member, dry_run) {
        (true, _) => Action::create(dry_run),
        (false, true) => Action::WouldRemove,
        (false, false) => Action::Removed,
    };
    plan.push(
        Step::new(Resource::GroupMember, step_name, action).with_details(vec![
            "takes effect at the user's next token (a login or a refresh)".to_owned(),
        ]),
    );
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_and_requests_are_checked() {
        for good in ["admins", "team.dev-1", "Ops_EU", "é"] {
            assert!(validate_group_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "tab\tgroup", &"x".repeat(129)] {
            assert!(validate_group_name(bad).is_err(), "{bad:?}");
        }
        let request = GroupRequest {
            user_pool_id: "us-east-1_Abc".into(),
            name: "admins".into(),
            role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
            precedence: Some(1),
            identity_pool_id: Some("us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab".into()),
            max_session_hours: 12,
            adopt: false,
            dry_run: false,
        };
        assert!(check_request(&request).is_ok());
        let bad_arn = GroupRequest {
            role_arn: "Admin".into(),
            ..request.clone()
        };
        assert!(
            check_request(&bad_arn)
                .unwrap_err()
                .to_string()
                .contains("role ARN `Admin`")
        );
        let negative = GroupRequest {
            precedence: Some(-1),
            ..request
        };
        assert!(check_request(&negative).is_err());
    }

    #[test]
    fn role_paths_come_from_the_arn() {
        assert_eq!(role_path("arn:aws:iam::123456789012:role/Admin"), "/");
        assert_eq!(
            role_path("arn:aws:iam::123456789012:role/teams/dev/Admin"),
            "/teams/dev/"
        );
    }
}
