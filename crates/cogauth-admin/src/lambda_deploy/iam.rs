//! The IAM side of the deploy: the proxy's user and its key, the two roles, inline policies.
//! Every `ensure_*` reads first and changes only what differs; in a dry run it only reads.

use std::collections::BTreeSet;

use aws_sdk_iam::types::{Role, StatusType, User};
use secrecy::SecretString;
use serde_json::Value;

use super::retry::{Backoff, retry};
use super::secret::StoredKey;
use super::{DeployError, DeployKey, DeployOptions, Deployed, KEY_TAG_VALUE, KeySource};
use crate::ownership::{self, Ownership};
use crate::plan::{Action, Resource, Step};
use crate::policies::{PolicyDocument, decode_document};
use crate::{AdminError, aws_error, collect_pages};
use cogauth_core::aws::{Service, error_code};

/// The proxy's IAM user.
#[derive(Debug, Clone)]
pub(super) struct ProxyUser {
    pub name: String,
    pub arn: String,
    /// False only in a dry run that would create it.
    pub exists: bool,
}

/// The proxy's user as found, before it is created.
#[derive(Debug)]
pub(super) struct UserLookup {
    pub name: String,
    pub user: Option<User>,
}

/// Whose inline policy.
#[derive(Debug, Clone, Copy)]
pub(super) enum PolicyOwner<'a> {
    User(&'a str),
    Role(&'a str),
}

#[derive(Debug)]
pub(super) struct Iam {
    client: aws_sdk_iam::Client,
    dry_run: bool,
}

/// IAM refuses a trust policy naming a principal it cannot see yet (just created) with
/// `MalformedPolicyDocument`. The trust policies the deploy writes are its own, built and
/// tested here, so on these calls that code means "not propagated yet", not a bad document.
fn is_unpropagated_principal(e: &AdminError) -> bool {
    e.code() == Some("MalformedPolicyDocument")
}

fn not_propagated(what: String, (e, attempts): (AdminError, u32)) -> DeployError {
    if is_unpropagated_principal(&e) {
        DeployError::NotPropagated {
            what,
            attempts,
            last: e.to_string(),
        }
    } else {
        e.into()
    }
}

fn decode(raw: Option<&str>, what: &str) -> Result<Option<Value>, DeployError> {
    raw.map(|raw| {
        decode_document(raw).map_err(|message| {
            DeployError::Admin(AdminError::bad_answer(
                Service::Iam,
                "GetRole",
                &format!("the {what} is not JSON: {message}"),
            ))
        })
    })
    .transpose()
}

impl Iam {
    pub fn new(client: aws_sdk_iam::Client, dry_run: bool) -> Self {
        Self { client, dry_run }
    }

    pub fn client(&self) -> &aws_sdk_iam::Client {
        &self.client
    }

    /// The user the long-lived role trusts: the owner of a given key, or the named user;
    /// registered with the run's ownership checks when it exists.
    pub async fn find_user(
        &self,
        options: &DeployOptions,
        owner: &mut Ownership,
    ) -> Result<UserLookup, DeployError> {
        let name = match &options.keys {
            KeySource::Provided { access_key_id, .. } => self
                .key_owner(access_key_id)
                .await?
                .ok_or_else(|| DeployError::UnknownKey {
                    access_key_id: access_key_id.clone(),
                })?,
            KeySource::Managed { .. } => options.names.iam_user.clone(),
        };
        let purpose = format!(
            "`lambda deploy` would allow it to assume role `{}` for 12 h sessions under any \
             name, and create and rotate its access keys",
            options.names.long_lived_role
        );
        let user = crate::iam::claim_user(&self.client, &name, owner, purpose).await?;
        Ok(UserLookup { name, user })
    }

    /// The IAM user that owns `access_key_id`, or `None` when IAM does not know the key.
    pub async fn key_owner(&self, access_key_id: &str) -> Result<Option<String>, DeployError> {
        match self
            .client
            .get_access_key_last_used()
            .access_key_id(access_key_id)
            .send()
            .await
        {
            Ok(answer) => Ok(answer.user_name().map(str::to_owned)),
            Err(e) if matches!(error_code(&e), Some("NoSuchEntity" | "AccessDenied")) => Ok(None),
            Err(e) => Err(aws_error(Service::Iam, "GetAccessKeyLastUsed")(e).into()),
        }
    }

    /// The user found by [`Self::find_user`], created with `--create-user` when missing
    /// (tagged as cogadmin's).
    pub async fn ensure_user(
        &self,
        options: &DeployOptions,
        found: UserLookup,
        partition: &str,
        account: &str,
        steps: &mut Vec<Step>,
    ) -> Result<ProxyUser, DeployError> {
        let UserLookup { name, user } = found;
        let create_user = matches!(
            options.keys,
            KeySource::Managed {
                create_user: true,
                ..
            }
        );
        if let Some(user) = user {
            let mut step = Step::new(Resource::IamUser, &name, Action::Unchanged);
            if matches!(options.keys, KeySource::Provided { .. }) {
                step.details
                    .push("owner of the given access key".to_owned());
            }
            steps.push(step);
            return Ok(ProxyUser {
                arn: user.arn().to_owned(),
                name,
                exists: true,
            });
        }
        if !create_user {
            return Err(DeployError::NoUser { user: name });
        }
        let planned = format!("arn:{partition}:iam::{account}:user/{name}");
        if self.dry_run {
            steps.push(Step::new(Resource::IamUser, &name, Action::WouldCreate));
            return Ok(ProxyUser {
                name,
                arn: planned,
                exists: false,
            });
        }
        let created = self
            .client
            .create_user()
            .user_name(&name)
            .tags(ownership::iam_tag())
            .send()
            .await
            .map_err(aws_error(Service::Iam, "CreateUser"))?;
        steps.push(Step::new(Resource::IamUser, &name, Action::Created));
        Ok(ProxyUser {
            arn: created.user().map_or(planned, |u| u.arn().to_owned()),
            name,
            exists: true,
        })
    }

    /// A role with exactly this trust policy (and MaxSessionDuration, when given); its ARN.
    #[allow(clippy::too_many_arguments)]
    pub async fn ensure_role(
        &self,
        name: &str,
        found: Option<Role>,
        trust: &PolicyDocument,
        max_session_duration: Option<i32>,
        description: &str,
        partition: &str,
        account: &str,
        steps: &mut Vec<Step>,
    ) -> Result<String, DeployError> {
        let Some(role) = found else {
            let planned = format!("arn:{partition}:iam::{account}:role/{name}");
            if self.dry_run {
                steps.push(Step::new(Resource::Role, name, Action::WouldCreate));
                return Ok(planned);
            }
            let created = retry(Backoff::PROPAGATION, is_unpropagated_principal, || {
                let mut call = self
                    .client
                    .create_role()
                    .role_name(name)
                    .description(description)
                    .tags(ownership::iam_tag())
                    .assume_role_policy_document(trust.to_json());
                if let Some(max) = max_session_duration {
                    call = call.max_session_duration(max);
                }
                async move {
                    call.send()
                        .await
                        .map_err(aws_error(Service::Iam, "CreateRole"))
                }
            })
            .await
            .map_err(|e| not_propagated(format!("role `{name}`'s trust policy"), e))?;
            steps.push(Step::new(Resource::Role, name, Action::Created));
            return Ok(created.role().map_or(planned, |r| r.arn().to_owned()));
        };

        let mut details = Vec::new();
        let current_trust = decode(role.assume_role_policy_document(), "trust policy")?;
        let trust_differs = current_trust.as_ref() != Some(&trust.to_value());
        if trust_differs {
            details.push("trust policy".to_owned());
        }
        let session_differs =
            max_session_duration.filter(|max| role.max_session_duration() != Some(*max));
        if let Some(max) = session_differs {
            details.push(format!(
                "MaxSessionDuration {} -> {max}",
                role.max_session_duration().unwrap_or(3600)
            ));
        }
        if details.is_empty() {
            steps.push(Step::new(Resource::Role, name, Action::Unchanged));
            return Ok(role.arn().to_owned());
        }
        if !self.dry_run {
            if trust_differs {
                retry(Backoff::PROPAGATION, is_unpropagated_principal, || {
                    let call = self
                        .client
                        .update_assume_role_policy()
                        .role_name(name)
                        .policy_document(trust.to_json());
                    async move {
                        call.send()
                            .await
                            .map_err(aws_error(Service::Iam, "UpdateAssumeRolePolicy"))
                    }
                })
                .await
                .map_err(|e| not_propagated(format!("role `{name}`'s trust policy"), e))?;
            }
            if let Some(max) = session_differs {
                self.client
                    .update_role()
                    .role_name(name)
                    .max_session_duration(max)
                    .send()
                    .await
                    .map_err(aws_error(Service::Iam, "UpdateRole"))?;
            }
        }
        steps.push(
            Step::new(Resource::Role, name, Action::update(self.dry_run)).with_details(details),
        );
        Ok(role.arn().to_owned())
    }

    /// An inline policy with exactly this document.
    pub async fn ensure_inline_policy(
        &self,
        owner: PolicyOwner<'_>,
        policy_name: &str,
        document: &PolicyDocument,
        resource: Resource,
        steps: &mut Vec<Step>,
    ) -> Result<(), DeployError> {
        let (current, on) = match owner {
            PolicyOwner::User(user) => {
                let found = self
                    .client
                    .get_user_policy()
                    .user_name(user)
                    .policy_name(policy_name)
                    .send()
                    .await;
                let current = match found {
                    Ok(answer) => decode(Some(answer.policy_document()), "user policy")?,
                    Err(e) if error_code(&e) == Some("NoSuchEntity") => None,
                    Err(e) => return Err(aws_error(Service::Iam, "GetUserPolicy")(e).into()),
                };
                (current, format!("on user {user}"))
            }
            PolicyOwner::Role(role) => {
                let found = self
                    .client
                    .get_role_policy()
                    .role_name(role)
                    .policy_name(policy_name)
                    .send()
                    .await;
                let current = match found {
                    Ok(answer) => decode(Some(answer.policy_document()), "role policy")?,
                    Err(e) if error_code(&e) == Some("NoSuchEntity") => None,
                    Err(e) => return Err(aws_error(Service::Iam, "GetRolePolicy")(e).into()),
                };
                (current, format!("on role {role}"))
            }
        };
        let action = match &current {
            Some(existing) if *existing == document.to_value() => Action::Unchanged,
            Some(_) => Action::update(self.dry_run),
            None => Action::create(self.dry_run),
        };
        if matches!(action, Action::Created | Action::Updated) {
            match owner {
                PolicyOwner::User(user) => {
                    self.client
                        .put_user_policy()
                        .user_name(user)
                        .policy_name(policy_name)
                        .policy_document(document.to_json())
                        .send()
                        .await
                        .map_err(aws_error(Service::Iam, "PutUserPolicy"))?;
                }
                PolicyOwner::Role(role) => {
                    self.client
                        .put_role_policy()
                        .role_name(role)
                        .policy_name(policy_name)
                        .policy_document(document.to_json())
                        .send()
                        .await
                        .map_err(aws_error(Service::Iam, "PutRolePolicy"))?;
                }
            }
        }
        steps.push(Step::new(resource, policy_name, action).with_details(vec![on]));
        Ok(())
    }

    /// True when the role has neither inline nor attached policies (or does not exist yet).
    pub async fn role_has_no_permissions(&self, role: &str) -> Result<bool, DeployError> {
        let inline = self
            .client
            .list_role_policies()
            .role_name(role)
            .send()
            .await;
        let inline = match inline {
            Ok(answer) => answer.policy_names().len(),
            Err(e) if error_code(&e) == Some("NoSuchEntity") => return Ok(true),
            Err(e) => return Err(aws_error(Service::Iam, "ListRolePolicies")(e).into()),
        };
        let attached = self
            .client
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .map_err(aws_error(Service::Iam, "ListAttachedRolePolicies"))?;
        Ok(inline == 0 && attached.attached_policies().is_empty())
    }

    /// The user's access keys: (id, active).
    pub async fn access_keys(&self, user: &str) -> Result<Vec<(String, bool)>, DeployError> {
        Ok(collect_pages(|marker| {
            let call = self
                .client
                .list_access_keys()
                .user_name(user)
                .set_marker(marker);
            async move {
                let page = call
                    .send()
                    .await
                    .map_err(aws_error(Service::Iam, "ListAccessKeys"))?;
                let keys = page
                    .access_key_metadata()
                    .iter()
                    .filter_map(|k| {
                        let active = k.status() == Some(&StatusType::Active);
                        k.access_key_id().map(|id| (id.to_owned(), active))
                    })
                    .collect();
                let next = page
                    .is_truncated()
                    .then(|| page.marker().map(str::to_owned))
                    .flatten();
                Ok((keys, next))
            }
        })
        .await?)
    }

    /// Ids of the keys cogauth created for this user (tagged on the user).
    pub async fn cogauth_key_ids(&self, user: &str) -> Result<BTreeSet<String>, DeployError> {
        let tags = collect_pages(|marker| {
            let call = self
                .client
                .list_user_tags()
                .user_name(user)
                .set_marker(marker);
            async move {
                let page = call
                    .send()
                    .await
                    .map_err(aws_error(Service::Iam, "ListUserTags"))?;
                let tags: Vec<(String, String)> = page
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect();
                let next = page
                    .is_truncated()
                    .then(|| page.marker().map(str::to_owned))
                    .flatten();
                Ok((tags, next))
            }
        })
        .await?;
        Ok(tags
            .into_iter()
            .filter(|(_, value)| value == KEY_TAG_VALUE)
            .map(|(key, _)| key)
            .collect())
    }

    /// Chooses the key the function will hold: the given one; or the deployed one while it is
    /// still the user's active key (unless rotating); or a new one. Leftover cogauth keys that
    /// nothing uses are deleted at once; the key being replaced is returned in `retire`, to be
    /// deleted once the function holds the new one.
    pub async fn select_key(
        &self,
        options: &DeployOptions,
        user: &ProxyUser,
        deployed: Option<&Deployed>,
        steps: &mut Vec<Step>,
    ) -> Result<DeployKey, DeployError> {
        let (keys, cogauth) = if user.exists {
            (
                self.access_keys(&user.name).await?,
                self.cogauth_key_ids(&user.name).await?,
            )
        } else {
            (Vec::new(), BTreeSet::new())
        };
        let deployed_id = deployed.map(|d| d.key.access_key_id.as_str());
        let deployed_is_cogauths = |id: &str| {
            Some(id) == deployed_id && cogauth.contains(id) && keys.iter().any(|(k, _)| k == id)
        };

        if let KeySource::Provided {
            access_key_id,
            secret_access_key,
        } = &options.keys
        {
            let retire: Vec<String> = deployed_id
                .filter(|id| *id != access_key_id && deployed_is_cogauths(id))
                .map(str::to_owned)
                .into_iter()
                .collect();
            let mut details =
                vec!["given with --access-key-id; cogauth does not rotate it".to_owned()];
            details.extend(
                retire
                    .iter()
                    .map(|id| format!("replaces {id}, deleted after the switch")),
            );
            steps.push(
                Step::new(Resource::AccessKey, access_key_id, Action::Unchanged)
                    .with_details(details),
            );
            return Ok(DeployKey {
                id: Some(access_key_id.clone()),
                secret: Some(secret_access_key.clone()),
                retire,
                created: false,
            });
        }
        let rotate = matches!(options.keys, KeySource::Managed { rotate: true, .. });

        // A key that sat in the function's environment may have been copied by anyone allowed
        // lambda:GetFunctionConfiguration: the migration replaces it when cogauth manages it.
        let exposed = deployed.is_some_and(|d| d.in_plain_sight);
        let reusable = deployed
            .filter(|d| !d.in_plain_sight)
            .filter(|d| {
                keys.iter()
                    .any(|(k, active)| *k == d.key.access_key_id && *active)
            })
            .map(|d| {
                (
                    d.key.access_key_id.as_str(),
                    d.key.secret_access_key.clone(),
                )
            });
        if !rotate && let Some((id, secret)) = reusable {
            let stale: Vec<String> = keys
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| k != id && cogauth.contains(k))
                .collect();
            self.delete_keys(&user.name, &stale).await?;
            let details = stale
                .iter()
                .map(|k| format!("deleted unused cogauth key {k}"))
                .collect();
            steps.push(Step::new(Resource::AccessKey, id, Action::Unchanged).with_details(details));
            return Ok(DeployKey {
                id: Some(id.to_owned()),
                secret: Some(secret),
                retire: Vec::new(),
                created: false,
            });
        }

        // A new key. Unused cogauth keys go first, to stay within IAM's two keys per user.
        let stale: Vec<String> = keys
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| Some(k.as_str()) != deployed_id && cogauth.contains(k))
            .collect();
        let remaining: Vec<&str> = keys
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !stale.iter().any(|s| s == k))
            .collect();
        if remaining.len() >= 2 {
            return Err(DeployError::TooManyKeys {
                user: user.name.clone(),
                keys: remaining.join(", "),
            });
        }
        let mut details: Vec<String> = stale
            .iter()
            .map(|k| format!("deleted unused cogauth key {k}"))
            .collect();
        if exposed {
            details.push(
                "the deployed key sat in the function's environment, readable by anyone \
                 allowed lambda:GetFunctionConfiguration: it is replaced"
                    .to_owned(),
            );
        }
        let retire: Vec<String> = deployed_id
            .filter(|id| deployed_is_cogauths(id))
            .map(str::to_owned)
            .into_iter()
            .collect();
        details.extend(
            retire
                .iter()
                .map(|id| format!("replaces {id}, deleted after the switch")),
        );
        if let Some(id) = deployed_id.filter(|id| !deployed_is_cogauths(id)) {
            details.push(format!(
                "the function's previous key {id} was not created by cogauth: left in place"
            ));
        }
        if self.dry_run {
            steps.push(
                Step::new(Resource::AccessKey, "(new key)", Action::WouldCreate)
                    .with_details(details),
            );
            return Ok(DeployKey {
                id: None,
                secret: None,
                retire,
                created: false,
            });
        }
        self.delete_keys(&user.name, &stale).await?;
        let key = self.create_key(&user.name).await?;
        steps.push(
            Step::new(Resource::AccessKey, &key.access_key_id, Action::Created)
                .with_details(details),
        );
        Ok(DeployKey {
            id: Some(key.access_key_id),
            secret: Some(key.secret_access_key),
            retire,
            created: true,
        })
    }

    /// A new access key of `user`, marked on the user as cogauth's (a user tag named after the
    /// key), so that later runs delete only keys cogauth made.
    pub async fn create_key(&self, user: &str) -> Result<StoredKey, DeployError> {
        let created = self
            .client
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(aws_error(Service::Iam, "CreateAccessKey"))?;
        let key = created.access_key().ok_or_else(|| {
            AdminError::bad_answer(Service::Iam, "CreateAccessKey", "the answer holds no key")
        })?;
        let id = key.access_key_id().to_owned();
        let secret = SecretString::from(key.secret_access_key().to_owned());
        self.client
            .tag_user()
            .user_name(user)
            .tags(tag(&id, KEY_TAG_VALUE)?)
            .send()
            .await
            .map_err(aws_error(Service::Iam, "TagUser"))?;
        Ok(StoredKey {
            access_key_id: id,
            secret_access_key: secret,
        })
    }

    /// Deletes keys the function no longer holds.
    pub async fn retire_keys(&self, user: &str, ids: &[String]) -> Result<(), DeployError> {
        if self.dry_run {
            return Ok(());
        }
        self.delete_keys(user, ids).await
    }

    /// Deletes keys (and their cogauth tags on the user); nothing in a dry run.
    pub async fn delete_keys(&self, user: &str, ids: &[String]) -> Result<(), DeployError> {
        if self.dry_run {
            return Ok(());
        }
        for id in ids {
            match self
                .client
                .delete_access_key()
                .user_name(user)
                .access_key_id(id)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if error_code(&e) == Some("NoSuchEntity") => {}
                Err(e) => return Err(aws_error(Service::Iam, "DeleteAccessKey")(e).into()),
            }
            self.client
                .untag_user()
                .user_name(user)
                .tag_keys(id)
                .send()
                .await
                .map_err(aws_error(Service::Iam, "UntagUser"))?;
        }
        Ok(())
    }
}

fn tag(key: &str, value: &str) -> Result<aws_sdk_iam::types::Tag, DeployError> {
    aws_sdk_iam::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|e| {
            DeployError::Admin(AdminError::bad_answer(
                Service::Iam,
                "TagUser",
                &format!("the request could not be built: {e}"),
            ))
        })
}
