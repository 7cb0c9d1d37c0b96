//! The record of a mutating operation: one [`Step`] per resource, each saying what was done
//! (or, in a dry run, what would be done). A run that changes nothing is all `unchanged`.
//! Every mutating operation reports with it: setup, roles, users and the Lambda deploy.

use std::fmt;

use serde::Serialize;

/// What happened to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    Unchanged,
    WouldCreate,
    WouldUpdate,
    /// A dry run that does not read the current state (policy dry runs never call IAM), so it
    /// cannot tell a creation from an update.
    WouldApply,
    /// Taken away (a user's membership of a group: nothing else is ever removed).
    Removed,
    WouldRemove,
    /// A resource cogadmin did not create, tagged as its own on `--adopt`
    /// ([`crate::ownership`]).
    Adopted,
    WouldAdopt,
    /// A deployment moved to the current layout (the proxy's key out of the function's
    /// environment into Secrets Manager).
    Migrated,
    WouldMigrate,
}

impl Action {
    /// True when the step changed something, or would have.
    pub fn is_change(self) -> bool {
        self != Self::Unchanged
    }

    /// The action for a resource that is missing: created, or would be in a dry run.
    pub fn create(dry_run: bool) -> Self {
        if dry_run {
            Self::WouldCreate
        } else {
            Self::Created
        }
    }

    /// The action for a resource that differs from what it should be.
    pub fn update(dry_run: bool) -> Self {
        if dry_run {
            Self::WouldUpdate
        } else {
            Self::Updated
        }
    }

    /// The action for a deployment moved to the current layout.
    pub fn migrate(dry_run: bool) -> Self {
        if dry_run {
            Self::WouldMigrate
        } else {
            Self::Migrated
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::WouldCreate => "would create",
            Self::WouldUpdate => "would update",
            Self::WouldApply => "would apply",
            Self::Removed => "removed",
            Self::WouldRemove => "would remove",
            Self::Adopted => "adopted",
            Self::WouldAdopt => "would adopt",
            Self::Migrated => "migrated",
            Self::WouldMigrate => "would migrate",
        })
    }
}

/// The kinds of resource the admin operations manage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    UserPool,
    /// The user pool's domain (managed login).
    UserPoolDomain,
    AppClient,
    /// An app client's OAuth settings (managed login): flows, scopes, URLs, providers.
    OAuthSettings,
    IdentityPool,
    Role,
    RoleAttachment,
    InlinePolicy,
    User,
    Password,
    MfaPreferences,
    IamUser,
    AccessKey,
    /// An inline policy of an IAM user.
    UserPolicy,
    /// An inline policy of a role the deploy manages.
    RolePolicy,
    Function,
    /// The inline policy that lets an identity pool's role invoke the proxy.
    InvokePermission,
    /// A user-pool group (its role and precedence).
    Group,
    /// A user's membership of a group.
    GroupMember,
    /// The identity pool's role mapping for a user pool's app client.
    RoleMapping,
    /// The Secrets Manager secret that holds the proxy's IAM user key.
    Secret,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UserPool => "user pool",
            Self::UserPoolDomain => "user pool domain",
            Self::OAuthSettings => "OAuth settings",
            Self::AppClient => "app client",
            Self::IdentityPool => "identity pool",
            Self::Role => "IAM role",
            Self::RoleAttachment => "role attachment",
            Self::InlinePolicy => "inline policy",
            Self::User => "user",
            Self::Password => "password",
            Self::MfaPreferences => "MFA preferences",
            Self::IamUser => "IAM user",
            Self::AccessKey => "access key",
            Self::UserPolicy => "user policy",
            Self::RolePolicy => "role policy",
            Self::Function => "Lambda function",
            Self::InvokePermission => "invoke permission",
            Self::Group => "group",
            Self::GroupMember => "group member",
            Self::RoleMapping => "role mapping",
            Self::Secret => "secret",
        })
    }
}

/// One resource and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub resource: Resource,
    /// The resource's name (or, for an attachment, what is attached to what).
    pub name: String,
    /// Its id or ARN, when known (not for a resource a dry run would create).
    pub id: Option<String>,
    pub action: Action,
    /// What differed, for updates ("MaxSessionDuration 3600 -> 43200").
    pub details: Vec<String>,
}

impl Step {
    pub fn new(resource: Resource, name: impl Into<String>, action: Action) -> Self {
        Self {
            resource,
            name: name.into(),
            id: None,
            action,
            details: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    #[must_use]
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

/// The steps of one operation, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub dry_run: bool,
    pub steps: Vec<Step>,
    /// Things the administrator should know that setup deliberately does not change
    /// (e.g. an app client given by id that lacks an auth flow cogauth needs).
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn new(dry_run: bool) -> Self {
        Self {
            dry_run,
            ..Self::default()
        }
    }

    pub fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// True when any step changed something (or would have, in a dry run).
    pub fn changed(&self) -> bool {
        self.steps.iter().any(|s| s.action.is_change())
    }

    /// The steps for people, one line each, with what differed indented below:
    /// `  IAM role  Cognito_PoolAuth_Role (arn:...): updated`. Never a secret: steps hold none.
    pub fn lines(&self) -> Vec<String> {
        let width = self
            .steps
            .iter()
            .map(|s| s.resource.to_string().len())
            .max()
            .unwrap_or(0);
        let mut lines = Vec::new();
        for step in &self.steps {
            let id = step
                .id
                .as_deref()
                .filter(|id| *id != step.name)
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
            lines.push(format!(
                "  {:<width$}  {}{id}: {}",
                step.resource.to_string(),
                step.name,
                step.action
            ));
            for detail in &step.details {
                lines.push(format!("  {:<width$}    - {detail}", ""));
            }
        }
        lines
    }

    /// The last line: what the run amounts to. `unchanged` says why nothing changed.
    pub fn conclusion(&self, unchanged: &str) -> Option<String> {
        if self.dry_run {
            Some("dry run: nothing was changed".to_owned())
        } else if !self.changed() {
            Some(format!("nothing changed: {unchanged}"))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_of_unchanged_steps_changed_nothing() {
        let mut plan = Plan::new(false);
        plan.push(Step::new(Resource::Role, "r", Action::Unchanged));
        assert!(!plan.changed());
        plan.push(Step::new(Resource::UserPool, "p", Action::create(true)));
        assert!(plan.changed());
        assert_eq!(plan.steps[1].action.to_string(), "would create");
        assert_eq!(Action::update(false), Action::Updated);
    }

    #[test]
    fn lines_align_resources_and_show_ids_and_details() {
        let mut plan = Plan::new(false);
        plan.push(Step::new(Resource::Role, "r", Action::Unchanged).with_id("arn:r"));
        plan.push(
            Step::new(Resource::Function, "f", Action::Updated).with_details(vec!["code".into()]),
        );
        assert_eq!(
            plan.lines(),
            [
                "  IAM role         r (arn:r): unchanged",
                "  Lambda function  f: updated",
                "                     - code",
            ]
        );
        assert_eq!(plan.conclusion("x"), None);
        plan.steps.remove(1);
        assert_eq!(
            plan.conclusion("all set").as_deref(),
            Some("nothing changed: all set")
        );
    }

    #[test]
    fn steps_serialize_in_snake_case() {
        let step = Step::new(Resource::InlinePolicy, "p", Action::WouldApply).with_id("arn");
        let json = serde_json::to_value(&step).unwrap();
        assert_eq!(json["resource"], "inline_policy");
        assert_eq!(json["action"], "would_apply");
        assert_eq!(json["id"], "arn");
    }
}
