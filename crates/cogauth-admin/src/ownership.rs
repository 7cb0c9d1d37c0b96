//! What cogadmin may change: only what it created, or what the administrator handed over with
//! `--adopt`. Every operation that finds a resource by name (or through another resource) and
//! would change it, or hand it out, decides here.
//!
//! **The mark.** Everything cogadmin creates carries the tag [`MANAGED_TAG_KEY`] =
//! [`MANAGED_TAG_VALUE`] (`cogauth:managed = true`), given at creation: IAM roles and users,
//! Secrets Manager secrets, Lambda functions, user pools and identity pools. AWS cannot tag the
//! rest, so their ownership comes from the resource they live in:
//! - an **app client** is cogadmin's when its user pool is, and the pool records the client's
//!   id in a tag of its own, [`client_tag_key`] (`cogauth:client:<client id>` = `true`): a client
//!   someone else made in a pool cogadmin manages is not cogadmin's;
//! - a **domain** (one per pool) is cogadmin's when its pool is;
//! - a **group** has only its pool and its `Description`; anyone who may call UpdateGroup can
//!   write the description, so it can only ever be a hint next to the pool's tag.
//!
//! **The check.** An operation first finds everything it will touch, and [`Ownership::register`]s
//! each resource it found ([`Found`]). Then, before any change, [`Ownership::settle`]:
//! - with nothing foreign, does nothing;
//! - without `--adopt`, stops with [`AdminError::NotManaged`], which names every foreign
//!   resource, what the operation would have done with it, and offers `--adopt`; nothing has
//!   been changed at that point;
//! - with `--adopt`, tags each one (or, in a dry run, reports that it would) as a step of the
//!   plan, then lets the operation proceed.
//!
//! A resource given explicitly by id and never changed (`setup --user-pool-id`) needs no mark.
//! One given by id and changed does: `setup --user-pool-id ... --client-id ... --managed-login
//! PREFIX` (a domain for the pool, OAuth settings for the client) is refused on a pool and
//! client that are not cogadmin's, unless `--adopt`.
//!
//! **Earlier deployments.** cogadmin versions before the mark tagged nothing (the proxy's IAM
//! user carried `cogauth = credential proxy user`, roles and functions a `cogauth` description).
//! Such traces are never taken as proof, since anyone who can create a role can write its
//! description: they only make the refusal say that an earlier cogadmin probably made the
//! resource, and that `--adopt` (after a `--dry-run`) is the way to carry on with it.

use std::collections::HashMap;
use std::fmt;

use aws_types::SdkConfig;
use cogauth_core::aws::Service;
use serde::Serialize;

use crate::plan::{Action, Resource, Step};
use crate::{AdminError, aws_error};

/// The tag key that marks what cogadmin created.
pub const MANAGED_TAG_KEY: &str = "cogauth:managed";
/// Its value.
pub const MANAGED_TAG_VALUE: &str = "true";
/// What a refusal and the docs call the mark.
pub const MANAGED_TAG: &str = "cogauth:managed = true";
/// The prefix of the user-pool tags that record the app clients cogadmin created in the pool.
pub const CLIENT_TAG_PREFIX: &str = "cogauth:client:";

/// The user-pool tag key that records app client `client_id` as cogadmin's (value
/// [`MANAGED_TAG_VALUE`]). Client ids are at most 128 characters of `[\w+]`; the key stays
/// within the 128 characters and the alphabet a Cognito tag key allows for real ids (26).
pub fn client_tag_key(client_id: &str) -> String {
    format!("{CLIENT_TAG_PREFIX}{client_id}")
}

/// True when the tags (key, value) carry the mark.
pub fn is_managed<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
    tags.into_iter()
        .any(|(k, v)| k == MANAGED_TAG_KEY && v == MANAGED_TAG_VALUE)
}

/// True when a map of tags (Cognito, Lambda) carries the mark.
pub fn is_managed_map(tags: Option<&HashMap<String, String>>) -> bool {
    tags.is_some_and(|t| is_managed(t.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
}

/// True when an IAM resource's tags carry the mark.
pub fn is_managed_iam(tags: &[aws_sdk_iam::types::Tag]) -> bool {
    is_managed(tags.iter().map(|t| (t.key(), t.value())))
}

/// True when a user pool's tags record `client_id` as a client cogadmin created.
pub fn records_client(pool_tags: Option<&HashMap<String, String>>, client_id: &str) -> bool {
    pool_tags
        .and_then(|t| t.get(&client_tag_key(client_id)))
        .is_some_and(|v| v == MANAGED_TAG_VALUE)
}

/// The mark as an IAM tag, for CreateRole / CreateUser / TagRole / TagUser.
pub fn iam_tag() -> aws_sdk_iam::types::Tag {
    aws_sdk_iam::types::Tag::builder()
        .key(MANAGED_TAG_KEY)
        .value(MANAGED_TAG_VALUE)
        .build()
        .expect("key and value are set")
}

/// The mark as a tag map, for CreateUserPool, CreateIdentityPool, CreateFunction and the
/// TagResource of those services.
pub fn tag_map() -> HashMap<String, String> {
    HashMap::from([(MANAGED_TAG_KEY.to_owned(), MANAGED_TAG_VALUE.to_owned())])
}

/// The mark as a Secrets Manager tag, for CreateSecret and TagResource.
#[cfg(feature = "lambda-deploy")]
pub fn secrets_tag() -> aws_sdk_secretsmanager::types::Tag {
    aws_sdk_secretsmanager::types::Tag::builder()
        .key(MANAGED_TAG_KEY)
        .value(MANAGED_TAG_VALUE)
        .build()
}

/// How to put the mark on one resource, when it is adopted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    Role {
        name: String,
    },
    User {
        name: String,
    },
    /// A user pool, by ARN (DescribeUserPool's `Arn`).
    UserPool {
        arn: String,
    },
    /// An app client: its id recorded in a tag of its pool (which must be cogadmin's too).
    AppClient {
        pool_arn: String,
        client_id: String,
    },
    /// An identity pool, by id: its ARN needs the account, asked of STS when it is tagged.
    IdentityPool {
        id: String,
    },
    #[cfg(feature = "lambda-deploy")]
    Function {
        arn: String,
    },
    #[cfg(feature = "lambda-deploy")]
    Secret {
        arn: String,
    },
}

/// A resource an operation found and is about to change or hand out.
#[derive(Debug, Clone)]
pub struct Found {
    pub resource: Resource,
    /// Its name, as the administrator knows it.
    pub name: String,
    /// Its id or ARN, when it differs from the name.
    pub id: Option<String>,
    /// What the operation would do with it: "`lambda deploy` would rewrite its trust policy to
    /// trust the proxy's IAM user".
    pub purpose: String,
    /// True when it carries the mark.
    pub managed: bool,
    /// A trace of an earlier cogadmin (never proof; see the module doc).
    pub earlier: Option<String>,
    pub marker: Marker,
}

impl Found {
    /// An IAM role found by name.
    pub fn role(role: &aws_sdk_iam::types::Role, purpose: impl Into<String>) -> Self {
        let earlier = role
            .description()
            .filter(|d| d.starts_with("cogauth"))
            .map(|d| format!("its description is \"{d}\""));
        Self {
            resource: Resource::Role,
            name: role.role_name().to_owned(),
            id: Some(role.arn().to_owned()),
            purpose: purpose.into(),
            managed: is_managed_iam(role.tags()),
            earlier,
            marker: Marker::Role {
                name: role.role_name().to_owned(),
            },
        }
    }

    /// An IAM user found by name (or as the owner of a key).
    pub fn user(user: &aws_sdk_iam::types::User, purpose: impl Into<String>) -> Self {
        // The deploy before the mark tagged its user `cogauth = credential proxy user`.
        let earlier = user
            .tags()
            .iter()
            .any(|t| t.key() == "cogauth")
            .then(|| "it carries the tag `cogauth` of an earlier cogadmin".to_owned());
        Self {
            resource: Resource::IamUser,
            name: user.user_name().to_owned(),
            id: Some(user.arn().to_owned()),
            purpose: purpose.into(),
            managed: is_managed_iam(user.tags()),
            earlier,
            marker: Marker::User {
                name: user.user_name().to_owned(),
            },
        }
    }
}

impl Marker {
    /// Why a resource without the mark is not cogadmin's, for the refusal.
    fn missing(&self) -> String {
        match self {
            Self::AppClient { client_id, .. } => format!(
                "its user pool does not record it with the tag `{}` = `{MANAGED_TAG_VALUE}`",
                client_tag_key(client_id)
            ),
            _ => format!("it does not carry the tag `{MANAGED_TAG}`"),
        }
    }
}

/// One resource a run refused to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Foreign {
    pub resource: Resource,
    pub name: String,
    pub id: Option<String>,
    /// Why it is not cogadmin's: the mark it lacks.
    pub why: String,
    pub purpose: String,
    pub earlier: Option<String>,
}

impl Foreign {
    /// `IAM role `name` (arn)`.
    fn named(&self) -> String {
        match self.id.as_deref().filter(|id| *id != self.name) {
            Some(id) => format!("{} `{}` ({id})", self.resource, self.name),
            None => format!("{} `{}`", self.resource, self.name),
        }
    }

    /// "; its description is ..., so an earlier cogadmin probably made it", or nothing.
    fn trace(&self) -> String {
        self.earlier
            .as_deref()
            .map(|e| format!("; {e}, so an earlier cogadmin probably made it"))
            .unwrap_or_default()
    }
}

impl fmt::Display for Foreign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}{}): {}",
            self.named(),
            self.why,
            self.trace(),
            self.purpose
        )
    }
}

/// The refusal's message (one resource in one sentence, several as a list).
pub(crate) fn refusal(foreign: &[Foreign]) -> String {
    match foreign {
        [one] => format!(
            "{} was not created by cogadmin ({}{}), and {}: cogadmin changes only what it \
             created. If it is yours to hand over to cogadmin, run again with --adopt (which \
             marks it as cogadmin's; add --dry-run to see every change first); otherwise give \
             cogadmin another name for it",
            one.named(),
            one.why,
            one.trace(),
            one.purpose
        ),
        many => {
            let list: Vec<String> = many.iter().map(|f| format!("  - {f}")).collect();
            format!(
                "cogadmin did not create these resources, and changes only what it created:\n\
                 {}\nIf they are yours to hand over to cogadmin, run again with --adopt (which \
                 marks them as cogadmin's; add --dry-run to see every change first); otherwise \
                 give cogadmin other names for them",
                list.join("\n")
            )
        }
    }
}

/// The ownership checks of one run; see the module doc.
#[derive(Debug)]
pub struct Ownership {
    adopt: bool,
    dry_run: bool,
    foreign: Vec<Found>,
}

impl Ownership {
    /// `adopt`: the administrator's `--adopt`; `dry_run`: report adoptions, tag nothing.
    pub fn new(adopt: bool, dry_run: bool) -> Self {
        Self {
            adopt,
            dry_run,
            foreign: Vec::new(),
        }
    }

    /// Records a resource the run found; only the foreign ones matter to [`Self::settle`].
    /// Registering the same resource twice counts it once.
    pub fn register(&mut self, found: Found) {
        if !found.managed && !self.foreign.iter().any(|f| f.marker == found.marker) {
            self.foreign.push(found);
        }
    }

    /// The foreign resources found so far.
    pub fn foreign(&self) -> impl Iterator<Item = &Found> {
        self.foreign.iter()
    }

    /// Refuses (naming every foreign resource) or adopts them, before the run changes anything.
    /// `sdk` must be in the region of the regional resources (IAM is global). Each adoption is
    /// a step: `adopted`, or `would adopt` in a dry run.
    pub async fn settle(self, sdk: &SdkConfig, steps: &mut Vec<Step>) -> Result<(), AdminError> {
        if self.foreign.is_empty() {
            return Ok(());
        }
        if !self.adopt {
            return Err(AdminError::NotManaged {
                foreign: self
                    .foreign
                    .into_iter()
                    .map(|f| Foreign {
                        why: f.marker.missing(),
                        resource: f.resource,
                        name: f.name,
                        id: f.id,
                        purpose: f.purpose,
                        earlier: f.earlier,
                    })
                    .collect(),
            });
        }
        let mut account = None;
        for found in self.foreign {
            let detail = match &found.marker {
                Marker::AppClient { client_id, .. } => format!(
                    "record it in its user pool's tag `{}` = `{MANAGED_TAG_VALUE}`",
                    client_tag_key(client_id)
                ),
                _ => format!("tag `{MANAGED_TAG}`"),
            };
            if !self.dry_run {
                apply(sdk, &found.marker, &mut account).await?;
            }
            let action = if self.dry_run {
                Action::WouldAdopt
            } else {
                Action::Adopted
            };
            let mut step = Step::new(found.resource, found.name, action).with_details(vec![detail]);
            step.id = found.id;
            steps.push(step);
        }
        Ok(())
    }
}

/// Puts the mark on one resource.
async fn apply(
    sdk: &SdkConfig,
    marker: &Marker,
    account: &mut Option<(String, String)>,
) -> Result<(), AdminError> {
    match marker {
        Marker::Role { name } => {
            aws_sdk_iam::Client::new(sdk)
                .tag_role()
                .role_name(name)
                .tags(iam_tag())
                .send()
                .await
                .map_err(aws_error(Service::Iam, "TagRole"))?;
        }
        Marker::User { name } => {
            aws_sdk_iam::Client::new(sdk)
                .tag_user()
                .user_name(name)
                .tags(iam_tag())
                .send()
                .await
                .map_err(aws_error(Service::Iam, "TagUser"))?;
        }
        Marker::UserPool { arn } => tag_user_pool(sdk, arn, tag_map()).await?,
        Marker::AppClient {
            pool_arn,
            client_id,
        } => {
            let tags = HashMap::from([(client_tag_key(client_id), MANAGED_TAG_VALUE.to_owned())]);
            tag_user_pool(sdk, pool_arn, tags).await?;
        }
        Marker::IdentityPool { id } => {
            if account.is_none() {
                *account = Some(crate::caller(sdk).await?);
            }
            let (partition, account) = account.as_ref().expect("asked above");
            let region = crate::roles::identity_pool_region(id)?;
            let arn =
                format!("arn:{partition}:cognito-identity:{region}:{account}:identitypool/{id}");
            aws_sdk_cognitoidentity::Client::new(sdk)
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tag_map()))
                .send()
                .await
                .map_err(aws_error(Service::CognitoIdentity, "TagResource"))?;
        }
        #[cfg(feature = "lambda-deploy")]
        Marker::Function { arn } => {
            aws_sdk_lambda::Client::new(sdk)
                .tag_resource()
                .resource(arn)
                .set_tags(Some(tag_map()))
                .send()
                .await
                .map_err(aws_error(Service::Lambda, "TagResource"))?;
        }
        #[cfg(feature = "lambda-deploy")]
        Marker::Secret { arn } => {
            aws_sdk_secretsmanager::Client::new(sdk)
                .tag_resource()
                .secret_id(arn)
                .tags(secrets_tag())
                .send()
                .await
                .map_err(aws_error(Service::SecretsManager, "TagResource"))?;
        }
    }
    Ok(())
}

/// Adds tags to a user pool (TagResource adds; it never removes the pool's other tags).
pub(crate) async fn tag_user_pool(
    sdk: &SdkConfig,
    arn: &str,
    tags: HashMap<String, String>,
) -> Result<(), AdminError> {
    aws_sdk_cognitoidentityprovider::Client::new(sdk)
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(aws_error(Service::CognitoIdentityProvider, "TagResource"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn foreign(name: &str, earlier: Option<&str>) -> Foreign {
        Foreign {
            resource: Resource::Role,
            name: name.to_owned(),
            id: Some(format!("arn:aws:iam::123456789012:role/{name}")),
            why: "it does not carry the tag `cogauth:managed = true`".to_owned(),
            purpose: "`lambda deploy` would rewrite its trust policy".to_owned(),
            earlier: earlier.map(str::to_owned),
        }
    }

    #[test]
    fn the_mark_is_the_exact_tag() {
        assert!(is_managed([("cogauth:managed", "true")]));
        assert!(!is_managed([("cogauth:managed", "TRUE")]));
        assert!(!is_managed([("cogauth", "credential proxy user")]));
        assert!(!is_managed_map(None));
        let mut tags = tag_map();
        assert!(is_managed_map(Some(&tags)));
        assert!(!records_client(Some(&tags), "abc"));
        tags.insert(client_tag_key("abc"), "true".into());
        assert!(records_client(Some(&tags), "abc"));
        assert!(!records_client(Some(&tags), "abd"));
        assert_eq!(
            client_tag_key("1example23456789"),
            "cogauth:client:1example23456789"
        );
        assert!(is_managed_iam(&[iam_tag()]));
    }

    #[test]
    fn a_refusal_names_the_resource_says_why_and_offers_adopt() {
        let one = refusal(&[foreign("OrgAdmin", None)]);
        assert_eq!(
            one,
            "IAM role `OrgAdmin` (arn:aws:iam::123456789012:role/OrgAdmin) was not created by \
             cogadmin (it does not carry the tag `cogauth:managed = true`), and `lambda deploy` \
             would rewrite its trust policy: cogadmin changes only what it created. If it is \
             yours to hand over to cogadmin, run again with --adopt (which marks it as \
             cogadmin's; add --dry-run to see every change first); otherwise give cogadmin \
             another name for it"
        );
        let traced = refusal(&[foreign("A", Some("its description is \"cogauth: x\""))]);
        assert!(
            traced.contains(
                "(it does not carry the tag `cogauth:managed = true`; its description is \
                 \"cogauth: x\", so an earlier cogadmin probably made it)"
            ),
            "{traced}"
        );
        let two = refusal(&[
            foreign("A", Some("its description is \"cogauth: x\"")),
            foreign("B", None),
        ]);
        assert!(
            two.contains(
                "\n  - IAM role `A` (arn:aws:iam::123456789012:role/A) (it does not carry the \
                 tag `cogauth:managed = true`; its description is \"cogauth: x\", so an \
                 earlier cogadmin probably made it): `lambda deploy` would rewrite its trust \
                 policy\n"
            ),
            "{two}"
        );
        assert!(two.contains("\n  - IAM role `B` ("), "{two}");
        assert!(
            two.ends_with("other names for them") && two.contains("--adopt (which marks them"),
            "{two}"
        );
        let client = Marker::AppClient {
            pool_arn: "arn".into(),
            client_id: "abc".into(),
        };
        assert_eq!(
            client.missing(),
            "its user pool does not record it with the tag `cogauth:client:abc` = `true`"
        );
    }

    #[tokio::test]
    async fn nothing_foreign_settles_without_a_call_and_refusals_list_everything() {
        // An SDK config with no endpoint or credentials: any AWS call would fail.
        let sdk = SdkConfig::builder().build();
        let mut steps = Vec::new();
        let mut owner = Ownership::new(false, false);
        let managed = Found {
            resource: Resource::Role,
            name: "Mine".into(),
            id: None,
            purpose: "p".into(),
            managed: true,
            earlier: None,
            marker: Marker::Role {
                name: "Mine".into(),
            },
        };
        owner.register(managed.clone());
        owner.settle(&sdk, &mut steps).await.unwrap();
        assert!(steps.is_empty());

        let mut owner = Ownership::new(false, false);
        let theirs = Found {
            managed: false,
            name: "Theirs".into(),
            marker: Marker::Role {
                name: "Theirs".into(),
            },
            ..managed
        };
        owner.register(theirs.clone());
        owner.register(theirs.clone());
        let err = owner.settle(&sdk, &mut steps).await.unwrap_err();
        let AdminError::NotManaged { foreign } = &err else {
            panic!("{err}")
        };
        assert_eq!(foreign.len(), 1, "registered twice, refused once");

        // A dry run with --adopt only reports.
        let mut owner = Ownership::new(true, true);
        owner.register(theirs);
        owner.settle(&sdk, &mut steps).await.unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].action, Action::WouldAdopt);
        assert_eq!(steps[0].details, ["tag `cogauth:managed = true`"]);
    }
}
