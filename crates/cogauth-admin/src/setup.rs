//! `cogadmin setup`: everything a user pool needs to hand out AWS credentials, created only
//! where missing, so it is safe to run again.
//!
//! 1. the user pool and a public app client (SRP, password and refresh flows), when asked to
//!    create them; found by name first;
//! 2. the identity pool (found by name), linked to the pool and client, without
//!    unauthenticated identities, with `AllowClassicFlow` when the basic flow is wanted;
//! 3. the authenticated IAM role (found by name), trusted by cognito-identity for this pool's
//!    authenticated identities only, with the wanted MaxSessionDuration;
//! 4. the role attachment (SetIdentityPoolRoles), which the original never made;
//! 5. with `--role-mapping token`, the identity pool's token-based role mapping for the app
//!    client (users then choose among their groups' roles), and each group role's trust policy
//!    made to accept the identity pool (see [`crate::groups`]).
//!
//! Drift is repaired and reported: a trust policy or MaxSessionDuration that differs, a client
//! missing from the identity pool, a role not attached. Nothing is ever deleted or turned off.
//!
//! Only what setup created is changed ([`crate::ownership`]): everything it creates carries
//! `cogauth:managed = true` (the app client is recorded in its pool's tags), and before any
//! change it looks up everything it would touch by name; anything found without the mark stops
//! the run, unless `adopt` (`--adopt`) tags it first. A pool and client given by id are only
//! read, so they need no mark, unless `--managed-login` is to give them a domain and OAuth
//! settings ([`crate::managed_login`]): that is a change, so it needs the mark or `--adopt`.

use aws_sdk_cognitoidentity as identity;
use aws_sdk_cognitoidentityprovider as idp;
use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType as Flow;
use aws_types::SdkConfig;
use secrecy::SecretString;
use serde::Serialize;

use super::config::{RecordedSetup, validate_identity_pool_name};
use super::plan::{Action, Plan, Resource, Step};
use super::policies::{authenticated_role_trust, decode_document, validate_role_name};
use super::users::user_pool_region;
use crate::ownership::{self, Found, MANAGED_TAG_VALUE, Marker, Ownership};
use crate::{AdminError, aws_error, collect_pages, region_of};
use aws_sdk_iam::types::Role;
use cogauth_core::aws::{Service, error_code, in_region};
use cogauth_core::config::{AuthFlow, DEFAULT_REDIRECT_URI, IdentityFlow, ProfileConfig};
use cogauth_core::doctor::shell_word;
use std::collections::HashMap;

use crate::managed_login::{ManagedLoginOutcome, ManagedLoginRequest};

/// The app client `cogadmin setup --create-user-pool` finds or creates.
pub const DEFAULT_CLIENT_NAME: &str = "cogauth";

/// The auth flows cogauth uses: SRP (its default), password, and refresh for the session cache.
pub const REQUIRED_FLOWS: [Flow; 3] = [
    Flow::AllowUserSrpAuth,
    Flow::AllowUserPasswordAuth,
    Flow::AllowRefreshTokenAuth,
];

/// Where the user pool comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserPoolChoice {
    /// A pool and client that exist; setup checks them and changes neither.
    Existing {
        user_pool_id: String,
        client_id: String,
    },
    /// Find the pool and client by name, creating them if missing.
    Create {
        pool_name: String,
        client_name: String,
    },
}

/// What `cogadmin setup` is asked to do.
#[derive(Debug, Clone)]
pub struct SetupRequest {
    pub user_pool: UserPoolChoice,
    pub identity_pool_name: String,
    /// Default: [`default_role_name`] of the identity pool name.
    pub role_name: Option<String>,
    /// Turn on `AllowClassicFlow` (the basic flow: up to MaxSessionDuration, no Lambda).
    pub basic_flow: bool,
    /// The role's MaxSessionDuration, 1 to 12.
    pub duration_hours: u32,
    /// Token-based role mapping for the app client, deciding ambiguous tokens this way;
    /// `None` leaves the role mapping as it is.
    pub token_role_mapping: Option<Ambiguous>,
    /// Take over (tag, then change) what setup finds by name but did not create (`--adopt`).
    pub adopt: bool,
    /// `--managed-login`: the domain and the app client's OAuth settings for browser sign-in.
    pub managed_login: Option<ManagedLoginRequest>,
    pub dry_run: bool,
}

/// What the identity pool does with a token that decides no role (no `cognito:preferred_role`
/// and no role asked for): the `AmbiguousRoleResolution` of the role mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ambiguous {
    /// Refuse: only users whose groups give them a role get credentials.
    Deny,
    /// Give the identity pool's authenticated role.
    AuthenticatedRole,
}

impl Ambiguous {
    fn to_aws(self) -> identity::types::AmbiguousRoleResolutionType {
        match self {
            Self::Deny => identity::types::AmbiguousRoleResolutionType::Deny,
            Self::AuthenticatedRole => {
                identity::types::AmbiguousRoleResolutionType::AuthenticatedRole
            }
        }
    }
}

/// The AWS console's name for an identity pool's authenticated role.
pub fn default_role_name(identity_pool_name: &str) -> String {
    format!("Cognito_{}Auth_Role", identity_pool_name.replace(' ', "_"))
}

/// What setup did, and the ids a user's profile needs. Ids are `None` only in a dry run, for
/// resources that would be created.
#[derive(Debug, Clone, Serialize)]
pub struct SetupOutcome {
    pub plan: Plan,
    pub region: String,
    pub user_pool_id: Option<String>,
    pub client_id: Option<String>,
    /// The app client's secret, when an existing client has one (profiles need it).
    #[serde(skip)]
    pub client_secret: Option<SecretString>,
    pub identity_pool_name: String,
    pub identity_pool_id: Option<String>,
    pub role_name: String,
    pub role_arn: Option<String>,
    pub basic_flow: bool,
    pub duration_hours: u32,
    /// What browser sign-in needs, with `--managed-login`.
    pub managed_login: Option<ManagedLoginOutcome>,
}

impl SetupOutcome {
    /// What `admin.toml` records, once every id is known.
    pub fn recorded(&self) -> Option<RecordedSetup> {
        Some(RecordedSetup {
            region: self.region.clone(),
            user_pool_id: self.user_pool_id.clone()?,
            client_id: self.client_id.clone()?,
            identity_pool_id: self.identity_pool_id.clone()?,
            identity_pool_name: self.identity_pool_name.clone(),
            role_arn: self.role_arn.clone()?,
            role_name: self.role_name.clone(),
            basic_flow: self.basic_flow,
            duration_hours: self.duration_hours,
        })
    }

    /// The user profile that logs in through what was set up.
    pub fn profile(&self) -> Option<ProfileConfig> {
        let recorded = self.recorded()?;
        let mut profile = ProfileConfig {
            user_pool_id: Some(recorded.user_pool_id),
            client_id: Some(recorded.client_id),
            client_secret: self.client_secret.clone(),
            identity_pool_id: Some(recorded.identity_pool_id),
            region: Some(recorded.region),
            ..ProfileConfig::default()
        };
        if self.basic_flow {
            profile.identity_flow = Some(IdentityFlow::Basic);
            profile.role_arn = Some(recorded.role_arn);
            profile.duration_hours = Some(self.duration_hours);
        }
        if let Some(ml) = &self.managed_login {
            profile.auth_flow = Some(AuthFlow::Browser);
            profile.managed_login_url = Some(ml.managed_login_url.clone());
            profile.redirect_uri = Some(ml.redirect_uri.clone());
        }
        Some(profile)
    }

    /// The `cogauth configure` command a user runs to log in through what was set up.
    pub fn configure_command(&self, profile: &str) -> Option<String> {
        let recorded = self.recorded()?;
        let mut command = format!(
            "cogauth configure --profile {profile} --user-pool-id {} --client-id {} \
             --identity-pool-id {} --region {}",
            recorded.user_pool_id, recorded.client_id, recorded.identity_pool_id, recorded.region
        );
        if self.basic_flow {
            command.push_str(&format!(
                " --identity-flow basic --role-arn {} --duration-hours {}",
                recorded.role_arn, self.duration_hours
            ));
        }
        if let Some(ml) = &self.managed_login {
            command.push_str(&format!(
                " --auth-flow browser --managed-login-url {}",
                ml.managed_login_url
            ));
            if ml.redirect_uri != DEFAULT_REDIRECT_URI {
                command.push_str(&format!(" --redirect-uri {}", shell_word(&ml.redirect_uri)));
            }
        }
        Some(command)
    }
}

/// Runs the setup (or, with `dry_run`, reads everything and says what it would do).
pub async fn setup(sdk: &SdkConfig, request: &SetupRequest) -> Result<SetupOutcome, AdminError> {
    validate_identity_pool_name(&request.identity_pool_name)?;
    if let Some(managed_login) = &request.managed_login {
        crate::managed_login::validate(managed_login)?;
    }
    let role_name = request
        .role_name
        .clone()
        .unwrap_or_else(|| default_role_name(&request.identity_pool_name));
    validate_role_name(&role_name)?;
    if !(1..=12).contains(&request.duration_hours) {
        return Err(AdminError::InvalidInput {
            what: "duration",
            value: format!("{} hours", request.duration_hours),
            expected: "1 to 12 hours (IAM's MaxSessionDuration range)".to_owned(),
        });
    }
    let region = match &request.user_pool {
        UserPoolChoice::Existing { user_pool_id, .. } => user_pool_region(user_pool_id)?.to_owned(),
        UserPoolChoice::Create { .. } => region_of(sdk)?,
    };
    let regional = in_region(sdk, &region);
    let ctx = Clients {
        regional: regional.clone(),
        idp: idp::Client::new(&regional),
        identity: identity::Client::new(&regional),
        iam: aws_sdk_iam::Client::new(sdk),
        dry_run: request.dry_run,
    };
    let mut plan = Plan::new(request.dry_run);

    // Everything setup would touch, found first; nothing changes unless all of it is
    // cogadmin's or adopted.
    let found = survey(&ctx, request, &role_name).await?;
    found.owner.settle(&regional, &mut plan.steps).await?;

    let (user_pool_id, client) = match &request.user_pool {
        UserPoolChoice::Existing {
            user_pool_id,
            client_id,
        } => {
            let client = check_existing(&ctx, user_pool_id, client_id, &mut plan).await?;
            (Some(user_pool_id.clone()), Some(client))
        }
        UserPoolChoice::Create {
            pool_name,
            client_name,
        } => {
            let pool = ensure_user_pool(&ctx, pool_name, found.user_pool, &mut plan).await?;
            let client = match &pool {
                Some(pool) => {
                    ensure_client(&ctx, pool, client_name, found.client_id, &mut plan).await?
                }
                None => {
                    plan.push(Step::new(
                        Resource::AppClient,
                        client_name,
                        Action::WouldCreate,
                    ));
                    None
                }
            };
            (pool.map(|p| p.id), client)
        }
    };

    let managed_login = match &request.managed_login {
        Some(wanted) => Some(
            crate::managed_login::ensure(
                &ctx.idp,
                &region,
                user_pool_id.as_deref(),
                client.as_ref().map(|c| c.id.as_str()),
                wanted,
                request.dry_run,
                &mut plan,
            )
            .await?,
        ),
        None => None,
    };

    let provider = match (&user_pool_id, &client) {
        (Some(pool), Some(client)) => Some((
            format!("cognito-idp.{region}.amazonaws.com/{pool}"),
            client.id.clone(),
        )),
        _ => None,
    };
    let identity_pool_id = ensure_identity_pool(
        &ctx,
        &request.identity_pool_name,
        found.identity_pool_id,
        provider.as_ref(),
        request.basic_flow,
        &mut plan,
    )
    .await?;
    let role_arn = ensure_role(
        &ctx,
        &role_name,
        found.role,
        identity_pool_id.as_deref(),
        request.duration_hours,
        &mut plan,
    )
    .await?;
    ensure_attachment(
        &ctx,
        identity_pool_id.as_deref(),
        &role_name,
        role_arn.as_deref(),
        &mut plan,
    )
    .await?;
    if let Some(ambiguous) = request.token_role_mapping {
        // The group roles first: one that is not cogadmin's stops the run before the mapping
        // would hand it out.
        if let Some(pool) = &user_pool_id {
            ensure_group_roles_trust(
                sdk,
                &ctx,
                pool,
                identity_pool_id.as_deref(),
                request.adopt,
                &mut plan,
            )
            .await?;
        }
        ensure_role_mapping(
            &ctx,
            identity_pool_id.as_deref(),
            provider.as_ref(),
            ambiguous,
            &mut plan,
        )
        .await?;
    }

    Ok(SetupOutcome {
        plan,
        region,
        user_pool_id,
        client_id: client.as_ref().map(|c| c.id.clone()),
        client_secret: client.and_then(|c| c.secret),
        identity_pool_name: request.identity_pool_name.clone(),
        identity_pool_id,
        role_name,
        role_arn,
        basic_flow: request.basic_flow,
        duration_hours: request.duration_hours,
        managed_login,
    })
}

struct Clients {
    /// The SDK config in the pools' region.
    regional: SdkConfig,
    idp: idp::Client,
    identity: identity::Client,
    iam: aws_sdk_iam::Client,
    dry_run: bool,
}

struct AppClient {
    id: String,
    secret: Option<SecretString>,
}

/// What setup found by name, each registered with the run's ownership checks.
struct Survey {
    owner: Ownership,
    user_pool: Option<PoolRef>,
    client_id: Option<String>,
    identity_pool_id: Option<String>,
    role: Option<Role>,
}

/// A user pool as the ownership checks see it: its ARN (the marker of the pool and of its app
/// clients, which are recorded in the pool's tags) and its tags.
struct PoolMarks {
    id: String,
    name: Option<String>,
    arn: String,
    tags: Option<std::collections::HashMap<String, String>>,
}

impl PoolMarks {
    async fn read(ctx: &Clients, user_pool_id: &str) -> Result<Self, AdminError> {
        let described = ctx
            .idp
            .describe_user_pool()
            .user_pool_id(user_pool_id)
            .send()
            .await
            .map_err(|e| not_found_or(e, "user pool", user_pool_id, "DescribeUserPool"))?;
        let pool = described.user_pool();
        let arn = pool
            .and_then(|p| p.arn())
            .map(str::to_owned)
            .ok_or_else(|| {
                AdminError::bad_answer(
                    Service::CognitoIdentityProvider,
                    "DescribeUserPool",
                    "the answer has no pool ARN",
                )
            })?;
        Ok(Self {
            id: user_pool_id.to_owned(),
            name: pool.and_then(|p| p.name()).map(str::to_owned),
            arn,
            tags: pool.and_then(|p| p.user_pool_tags()).cloned(),
        })
    }

    fn pool(&self, name: &str, purpose: String) -> Found {
        Found {
            resource: Resource::UserPool,
            name: name.to_owned(),
            id: Some(self.id.clone()),
            purpose,
            managed: ownership::is_managed_map(self.tags.as_ref()),
            earlier: None,
            marker: Marker::UserPool {
                arn: self.arn.clone(),
            },
        }
    }

    /// An app client is cogadmin's when its pool is, and records it.
    fn client(&self, client_id: &str, name: &str, purpose: String) -> Found {
        Found {
            resource: Resource::AppClient,
            name: name.to_owned(),
            id: Some(client_id.to_owned()),
            purpose,
            managed: ownership::is_managed_map(self.tags.as_ref())
                && ownership::records_client(self.tags.as_ref(), client_id),
            earlier: None,
            marker: Marker::AppClient {
                pool_arn: self.arn.clone(),
                client_id: client_id.to_owned(),
            },
        }
    }
}

/// Finds, without changing anything, every resource setup would touch by name, and registers
/// each with the ownership checks.
async fn survey(
    ctx: &Clients,
    request: &SetupRequest,
    role_name: &str,
) -> Result<Survey, AdminError> {
    let mut owner = Ownership::new(request.adopt, request.dry_run);
    let (mut user_pool, mut client_id) = (None, None);
    if let UserPoolChoice::Create {
        pool_name,
        client_name,
    } = &request.user_pool
        && let Some(id) = find_user_pool(ctx, pool_name).await?
    {
        let marks = PoolMarks::read(ctx, &id).await?;
        owner.register(marks.pool(
            pool_name,
            format!(
                "`setup` would find or create app client `{client_name}` in it, whose users \
                 then get AWS credentials{}",
                request
                    .managed_login
                    .as_ref()
                    .map(|m| format!(", and give it the domain `{}`", m.domain_prefix))
                    .unwrap_or_default()
            ),
        ));
        if let Some(found) = find_client(ctx, &id, client_name).await? {
            owner.register(marks.client(
                &found,
                client_name,
                format!(
                    "`setup` would add the auth flows cogauth needs to it{} and link it to the \
                     identity pool",
                    request
                        .managed_login
                        .as_ref()
                        .map(|m| format!(
                            ", allow it browser sign-in with callback URL {}",
                            m.redirect_uri
                        ))
                        .unwrap_or_default()
                ),
            ));
            client_id = Some(found);
        }
        user_pool = Some(PoolRef { id, arn: marks.arn });
    }

    // A pool and client given by id are only read, unless `--managed-login` is to give them a
    // domain and browser sign-in's settings: a change like any other, so only to what is
    // cogadmin's, or adopted.
    if let (
        UserPoolChoice::Existing {
            user_pool_id,
            client_id: given_client,
        },
        Some(wanted),
    ) = (&request.user_pool, &request.managed_login)
    {
        let marks = PoolMarks::read(ctx, user_pool_id).await?;
        let pool_name = marks.name.clone().unwrap_or_else(|| user_pool_id.clone());
        owner.register(marks.pool(
            &pool_name,
            format!(
                "`setup --managed-login` would give it the domain `{}`",
                wanted.domain_prefix
            ),
        ));
        owner.register(marks.client(
            given_client,
            given_client,
            format!(
                "`setup --managed-login` would allow it browser sign-in with callback URL {}",
                wanted.redirect_uri
            ),
        ));
    }

    let identity_pool_id = find_identity_pool(ctx, &request.identity_pool_name).await?;
    if let Some(id) = &identity_pool_id {
        let described = ctx
            .identity
            .describe_identity_pool()
            .identity_pool_id(id)
            .send()
            .await
            .map_err(aws_error(Service::CognitoIdentity, "DescribeIdentityPool"))?;
        owner.register(Found {
            resource: Resource::IdentityPool,
            name: request.identity_pool_name.clone(),
            id: Some(id.clone()),
            purpose: format!(
                "`setup` would link the user pool's app client to it, turn off its \
                 unauthenticated identities and make role `{role_name}` its authenticated role"
            ),
            managed: ownership::is_managed_map(described.identity_pool_tags()),
            earlier: None,
            marker: Marker::IdentityPool { id: id.clone() },
        });
    }

    let purpose = format!(
        "`setup` would make it the authenticated role of identity pool `{}`: its trust policy \
         rewritten to trust that pool's signed-in users, its MaxSessionDuration set to {} h",
        request.identity_pool_name, request.duration_hours
    );
    let role = crate::iam::claim_role(&ctx.iam, role_name, &mut owner, purpose).await?;
    Ok(Survey {
        owner,
        user_pool,
        client_id,
        identity_pool_id,
        role,
    })
}

/// The required flows `client` lacks. A client that rotates refresh tokens needs no
/// ALLOW_REFRESH_TOKEN_AUTH, and must not get it: Cognito refuses rotation with it, and cogauth
/// refreshes such a client with GetTokensFromRefreshToken.
fn missing_flows(flows: &[Flow], rotates: bool) -> Vec<Flow> {
    REQUIRED_FLOWS
        .iter()
        .filter(|wanted| !(rotates && **wanted == Flow::AllowRefreshTokenAuth))
        .filter(|wanted| {
            let legacy = match wanted {
                Flow::AllowUserPasswordAuth => Some(Flow::UserPasswordAuth),
                _ => None,
            };
            !flows.contains(wanted) && legacy.is_none_or(|l| !flows.contains(&l))
        })
        .cloned()
        .collect()
}

fn flow_names(flows: &[Flow]) -> String {
    flows
        .iter()
        .map(Flow::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A pool and client given by id: they must exist; they are reported, never changed here
/// (`--managed-login` may add browser sign-in's settings to them, once they are cogadmin's or
/// adopted).
async fn check_existing(
    ctx: &Clients,
    user_pool_id: &str,
    client_id: &str,
    plan: &mut Plan,
) -> Result<AppClient, AdminError> {
    let pool = ctx
        .idp
        .describe_user_pool()
        .user_pool_id(user_pool_id)
        .send()
        .await
        .map_err(|e| not_found_or(e, "user pool", user_pool_id, "DescribeUserPool"))?;
    let pool_name = pool
        .user_pool()
        .and_then(|p| p.name())
        .unwrap_or(user_pool_id)
        .to_owned();
    plan.push(Step::new(Resource::UserPool, pool_name, Action::Unchanged).with_id(user_pool_id));

    let described = ctx
        .idp
        .describe_user_pool_client()
        .user_pool_id(user_pool_id)
        .client_id(client_id)
        .send()
        .await
        .map_err(|e| not_found_or(e, "app client", client_id, "DescribeUserPoolClient"))?;
    let client = described.user_pool_client();
    let name = client
        .and_then(|c| c.client_name())
        .unwrap_or(client_id)
        .to_owned();
    let missing = missing_flows(
        client.map(|c| c.explicit_auth_flows()).unwrap_or_default(),
        rotates(client),
    );
    if !missing.is_empty() {
        plan.warnings.push(format!(
            "app client `{name}` ({client_id}) does not allow {}: cogauth logs in with SRP by \
             default and refreshes sessions with the refresh token; add the flows in the \
             Cognito console, or let `cogadmin setup --create-user-pool` make a client",
            flow_names(&missing)
        ));
    }
    plan.push(Step::new(Resource::AppClient, name, Action::Unchanged).with_id(client_id));
    Ok(AppClient {
        id: client_id.to_owned(),
        secret: client
            .and_then(|c| c.client_secret())
            .map(|s| SecretString::from(s.to_owned())),
    })
}

fn not_found_or<E, R>(
    err: aws_smithy_runtime_api::client::result::SdkError<E, R>,
    what: &'static str,
    name: &str,
    operation: &'static str,
) -> AdminError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if error_code(&err) == Some("ResourceNotFoundException") {
        AdminError::NotFound {
            what,
            name: name.to_owned(),
            hint: ": check the id (and the region in it)".to_owned(),
        }
    } else {
        aws_error(Service::CognitoIdentityProvider, operation)(err)
    }
}

fn one_by_name(
    what: &'static str,
    name: &str,
    mut ids: Vec<String>,
) -> Result<Option<String>, AdminError> {
    match ids.len() {
        0 => Ok(None),
        1 => Ok(ids.pop()),
        count => {
            ids.sort();
            Err(AdminError::Ambiguous {
                what,
                name: name.to_owned(),
                count,
                ids: ids.join(", "),
            })
        }
    }
}

/// The id of the user pool named `pool_name`, if there is one.
async fn find_user_pool(ctx: &Clients, pool_name: &str) -> Result<Option<String>, AdminError> {
    let pools = collect_pages(|token| {
        let request = ctx
            .idp
            .list_user_pools()
            .max_results(60)
            .set_next_token(token);
        async move {
            let page = request
                .send()
                .await
                .map_err(aws_error(Service::CognitoIdentityProvider, "ListUserPools"))?;
            let ids = page
                .user_pools()
                .iter()
                .filter(|p| p.name() == Some(pool_name))
                .filter_map(|p| p.id().map(str::to_owned))
                .collect();
            Ok((ids, page.next_token().map(str::to_owned)))
        }
    })
    .await?;
    one_by_name("user pool", pool_name, pools)
}

/// A user pool: its id, and its ARN (for TagResource).
#[derive(Debug, Clone)]
struct PoolRef {
    id: String,
    arn: String,
}

async fn ensure_user_pool(
    ctx: &Clients,
    pool_name: &str,
    found: Option<PoolRef>,
    plan: &mut Plan,
) -> Result<Option<PoolRef>, AdminError> {
    if let Some(pool) = found {
        plan.push(Step::new(Resource::UserPool, pool_name, Action::Unchanged).with_id(&pool.id));
        return Ok(Some(pool));
    }
    if ctx.dry_run {
        plan.push(Step::new(
            Resource::UserPool,
            pool_name,
            Action::WouldCreate,
        ));
        return Ok(None);
    }
    let created = ctx
        .idp
        .create_user_pool()
        .pool_name(pool_name)
        // Only administrators create users: anyone who could sign up would get AWS credentials.
        .admin_create_user_config(
            idp::types::AdminCreateUserConfigType::builder()
                .allow_admin_create_user_only(true)
                .build(),
        )
        .username_configuration(
            idp::types::UsernameConfigurationType::builder()
                .case_sensitive(false)
                .build()
                .expect("case_sensitive is set"),
        )
        .set_user_pool_tags(Some(ownership::tag_map()))
        .send()
        .await
        .map_err(aws_error(
            Service::CognitoIdentityProvider,
            "CreateUserPool",
        ))?;
    let pool = created.user_pool();
    let (Some(id), Some(arn)) = (pool.and_then(|p| p.id()), pool.and_then(|p| p.arn())) else {
        return Err(AdminError::bad_answer(
            Service::CognitoIdentityProvider,
            "CreateUserPool",
            "the answer has no pool id or ARN",
        ));
    };
    plan.push(Step::new(Resource::UserPool, pool_name, Action::Created).with_id(id));
    Ok(Some(PoolRef {
        id: id.to_owned(),
        arn: arn.to_owned(),
    }))
}

/// The id of the app client named `client_name` in the pool, if there is one.
async fn find_client(
    ctx: &Clients,
    user_pool_id: &str,
    client_name: &str,
) -> Result<Option<String>, AdminError> {
    let clients = collect_pages(|token| {
        let request = ctx
            .idp
            .list_user_pool_clients()
            .user_pool_id(user_pool_id)
            .max_results(60)
            .set_next_token(token);
        async move {
            let page = request.send().await.map_err(aws_error(
                Service::CognitoIdentityProvider,
                "ListUserPoolClients",
            ))?;
            let ids = page
                .user_pool_clients()
                .iter()
                .filter(|c| c.client_name() == Some(client_name))
                .filter_map(|c| c.client_id().map(str::to_owned))
                .collect();
            Ok((ids, page.next_token().map(str::to_owned)))
        }
    })
    .await?;
    one_by_name("app client", client_name, clients)
}

async fn ensure_client(
    ctx: &Clients,
    pool: &PoolRef,
    client_name: &str,
    found: Option<String>,
    plan: &mut Plan,
) -> Result<Option<AppClient>, AdminError> {
    let user_pool_id = pool.id.as_str();
    let Some(client_id) = found else {
        if ctx.dry_run {
            plan.push(Step::new(
                Resource::AppClient,
                client_name,
                Action::WouldCreate,
            ));
            return Ok(None);
        }
        let created = ctx
            .idp
            .create_user_pool_client()
            .user_pool_id(user_pool_id)
            .client_name(client_name)
            // Public: a command-line tool cannot keep a secret.
            .generate_secret(false)
            .set_explicit_auth_flows(Some(REQUIRED_FLOWS.to_vec()))
            .prevent_user_existence_errors(idp::types::PreventUserExistenceErrorTypes::Enabled)
            .send()
            .await
            .map_err(aws_error(
                Service::CognitoIdentityProvider,
                "CreateUserPoolClient",
            ))?;
        let id = created
            .user_pool_client()
            .and_then(|c| c.client_id())
            .unwrap_or_default()
            .to_owned();
        // A client cannot be tagged: its pool records it as cogadmin's.
        let record =
            HashMap::from([(ownership::client_tag_key(&id), MANAGED_TAG_VALUE.to_owned())]);
        ownership::tag_user_pool(&ctx.regional, &pool.arn, record).await?;
        plan.push(
            Step::new(Resource::AppClient, client_name, Action::Created)
                .with_id(&id)
                .with_details(vec![format!("public, {}", flow_names(&REQUIRED_FLOWS))]),
        );
        return Ok(Some(AppClient { id, secret: None }));
    };

    let described = ctx
        .idp
        .describe_user_pool_client()
        .user_pool_id(user_pool_id)
        .client_id(&client_id)
        .send()
        .await
        .map_err(aws_error(
            Service::CognitoIdentityProvider,
            "DescribeUserPoolClient",
        ))?;
    let current = described.user_pool_client();
    let secret = current
        .and_then(|c| c.client_secret())
        .map(|s| SecretString::from(s.to_owned()));
    let flows = current
        .map(|c| c.explicit_auth_flows().to_vec())
        .unwrap_or_default();
    let missing = missing_flows(&flows, rotates(current));
    if missing.is_empty() {
        plan.push(
            Step::new(Resource::AppClient, client_name, Action::Unchanged).with_id(&client_id),
        );
        return Ok(Some(AppClient {
            id: client_id,
            secret,
        }));
    }
    if !ctx.dry_run
        && let Some(current) = current
    {
        let mut wanted = flows.clone();
        wanted.extend(missing.iter().cloned());
        update_client_flows(ctx, user_pool_id, current, wanted).await?;
    }
    plan.push(
        Step::new(
            Resource::AppClient,
            client_name,
            Action::update(ctx.dry_run),
        )
        .with_id(&client_id)
        .with_details(vec![format!("allow {}", flow_names(&missing))]),
    );
    Ok(Some(AppClient {
        id: client_id,
        secret,
    }))
}

/// Whether the app client rotates refresh tokens.
fn rotates(client: Option<&idp::types::UserPoolClientType>) -> bool {
    client
        .and_then(|c| c.refresh_token_rotation())
        .is_some_and(|r| *r.feature() == idp::types::FeatureType::Enabled)
}

/// The auth flows of `current` changed to `flows`, every other setting kept
/// ([`crate::app_client`]).
async fn update_client_flows(
    ctx: &Clients,
    user_pool_id: &str,
    current: &idp::types::UserPoolClientType,
    flows: Vec<Flow>,
) -> Result<(), AdminError> {
    crate::app_client::update_keeping(&ctx.idp, user_pool_id, current)
        .set_explicit_auth_flows(Some(flows))
        .send()
        .await
        .map_err(aws_error(
            Service::CognitoIdentityProvider,
            "UpdateUserPoolClient",
        ))?;
    Ok(())
}

/// The id of the identity pool named `name`, if there is one.
async fn find_identity_pool(ctx: &Clients, name: &str) -> Result<Option<String>, AdminError> {
    let pools = collect_pages(|token| {
        let request = ctx
            .identity
            .list_identity_pools()
            .max_results(60)
            .set_next_token(token);
        async move {
            let page = request
                .send()
                .await
                .map_err(aws_error(Service::CognitoIdentity, "ListIdentityPools"))?;
            let ids = page
                .identity_pools()
                .iter()
                .filter(|p| p.identity_pool_name() == Some(name))
                .filter_map(|p| p.identity_pool_id().map(str::to_owned))
                .collect();
            Ok((ids, page.next_token().map(str::to_owned)))
        }
    })
    .await?;
    one_by_name("identity pool", name, pools)
}

async fn ensure_identity_pool(
    ctx: &Clients,
    name: &str,
    found: Option<String>,
    provider: Option<&(String, String)>,
    basic_flow: bool,
    plan: &mut Plan,
) -> Result<Option<String>, AdminError> {
    let provider_type = provider.map(|(provider_name, client_id)| {
        identity::types::CognitoIdentityProvider::builder()
            .provider_name(provider_name)
            .client_id(client_id)
            .build()
    });

    let Some(id) = found else {
        if ctx.dry_run {
            plan.push(Step::new(Resource::IdentityPool, name, Action::WouldCreate));
            return Ok(None);
        }
        let created = ctx
            .identity
            .create_identity_pool()
            .identity_pool_name(name)
            .allow_unauthenticated_identities(false)
            .allow_classic_flow(basic_flow)
            .set_cognito_identity_providers(provider_type.map(|p| vec![p]))
            .set_identity_pool_tags(Some(ownership::tag_map()))
            .send()
            .await
            .map_err(aws_error(Service::CognitoIdentity, "CreateIdentityPool"))?;
        let mut details = vec!["no unauthenticated identities".to_owned()];
        if basic_flow {
            details.push("AllowClassicFlow on".to_owned());
        }
        plan.push(
            Step::new(Resource::IdentityPool, name, Action::Created)
                .with_id(created.identity_pool_id())
                .with_details(details),
        );
        return Ok(Some(created.identity_pool_id().to_owned()));
    };

    let current = ctx
        .identity
        .describe_identity_pool()
        .identity_pool_id(&id)
        .send()
        .await
        .map_err(aws_error(Service::CognitoIdentity, "DescribeIdentityPool"))?;
    let mut details = Vec::new();
    let mut providers = current.cognito_identity_providers().to_vec();
    match (provider, &provider_type) {
        (Some((provider_name, client_id)), Some(wanted)) => {
            let linked = providers.iter().any(|p| {
                p.provider_name() == Some(provider_name.as_str())
                    && p.client_id() == Some(client_id.as_str())
            });
            if !linked {
                details.push(format!("link app client {client_id} of {provider_name}"));
                providers.push(wanted.clone());
            }
        }
        _ => details.push("link the new app client".to_owned()),
    }
    if current.allow_unauthenticated_identities() {
        details.push("turn off unauthenticated identities".to_owned());
    }
    let classic = current.allow_classic_flow().unwrap_or(false);
    if basic_flow && !classic {
        details.push("turn on AllowClassicFlow".to_owned());
    }
    if details.is_empty() {
        plan.push(Step::new(Resource::IdentityPool, name, Action::Unchanged).with_id(&id));
        return Ok(Some(id));
    }
    if !ctx.dry_run {
        // UpdateIdentityPool replaces the whole pool: pass every current setting back.
        ctx.identity
            .update_identity_pool()
            .identity_pool_id(&id)
            .identity_pool_name(current.identity_pool_name())
            .allow_unauthenticated_identities(false)
            .allow_classic_flow(classic || basic_flow)
            .set_cognito_identity_providers(Some(providers))
            .set_supported_login_providers(current.supported_login_providers().cloned())
            .set_developer_provider_name(current.developer_provider_name().map(str::to_owned))
            .set_open_id_connect_provider_arns(Some(
                current.open_id_connect_provider_arns().to_vec(),
            ))
            .set_saml_provider_arns(Some(current.saml_provider_arns().to_vec()))
            .set_identity_pool_tags(current.identity_pool_tags().cloned())
            .send()
            .await
            .map_err(aws_error(Service::CognitoIdentity, "UpdateIdentityPool"))?;
    }
    plan.push(
        Step::new(Resource::IdentityPool, name, Action::update(ctx.dry_run))
            .with_id(&id)
            .with_details(details),
    );
    Ok(Some(id))
}

async fn ensure_role(
    ctx: &Clients,
    role_name: &str,
    found: Option<Role>,
    identity_pool_id: Option<&str>,
    duration_hours: u32,
    plan: &mut Plan,
) -> Result<Option<String>, AdminError> {
    let trust = authenticated_role_trust(identity_pool_id.unwrap_or("<new identity pool id>"));
    let max_session = i32::try_from(duration_hours * 3600).unwrap_or(43200);
    let Some(role) = found else {
        if ctx.dry_run {
            plan.push(Step::new(Resource::Role, role_name, Action::WouldCreate));
            return Ok(None);
        }
        let created = ctx
            .iam
            .create_role()
            .role_name(role_name)
            .assume_role_policy_document(trust.to_json())
            .max_session_duration(max_session)
            .description(format!(
                "cogauth: authenticated identities of identity pool {}",
                identity_pool_id.unwrap_or_default()
            ))
            .tags(ownership::iam_tag())
            .send()
            .await
            .map_err(aws_error(Service::Iam, "CreateRole"))?;
        let arn = created
            .role()
            .map(|r| r.arn().to_owned())
            .unwrap_or_default();
        plan.push(
            Step::new(Resource::Role, role_name, Action::Created)
                .with_id(&arn)
                .with_details(vec![format!("MaxSessionDuration {max_session}")]),
        );
        return Ok(Some(arn));
    };

    let mut details = Vec::new();
    let current_trust = role
        .assume_role_policy_document()
        .map(decode_document)
        .transpose()
        .map_err(|message| AdminError::UnreadablePolicy {
            role_name: role_name.to_owned(),
            policy_name: "trust policy".to_owned(),
            message,
        })?;
    let trust_differs = current_trust.as_ref() != Some(&trust.to_value());
    if trust_differs {
        details.push("trust policy".to_owned());
    }
    let current_max = role.max_session_duration().unwrap_or(3600);
    if current_max != max_session {
        details.push(format!("MaxSessionDuration {current_max} -> {max_session}"));
    }
    if details.is_empty() {
        plan.push(Step::new(Resource::Role, role_name, Action::Unchanged).with_id(role.arn()));
        return Ok(Some(role.arn().to_owned()));
    }
    if !ctx.dry_run {
        if trust_differs {
            ctx.iam
                .update_assume_role_policy()
                .role_name(role_name)
                .policy_document(trust.to_json())
                .send()
                .await
                .map_err(aws_error(Service::Iam, "UpdateAssumeRolePolicy"))?;
        }
        if current_max != max_session {
            ctx.iam
                .update_role()
                .role_name(role_name)
                .max_session_duration(max_session)
                .set_description(role.description().map(str::to_owned))
                .send()
                .await
                .map_err(aws_error(Service::Iam, "UpdateRole"))?;
        }
    }
    plan.push(
        Step::new(Resource::Role, role_name, Action::update(ctx.dry_run))
            .with_id(role.arn())
            .with_details(details),
    );
    Ok(Some(role.arn().to_owned()))
}

async fn ensure_attachment(
    ctx: &Clients,
    identity_pool_id: Option<&str>,
    role_name: &str,
    role_arn: Option<&str>,
    plan: &mut Plan,
) -> Result<(), AdminError> {
    let name = format!("authenticated -> {role_name}");
    let (Some(pool_id), Some(role_arn)) = (identity_pool_id, role_arn) else {
        plan.push(Step::new(
            Resource::RoleAttachment,
            name,
            Action::WouldCreate,
        ));
        return Ok(());
    };
    let current = ctx
        .identity
        .get_identity_pool_roles()
        .identity_pool_id(pool_id)
        .send()
        .await
        .map_err(aws_error(Service::CognitoIdentity, "GetIdentityPoolRoles"))?;
    let mut roles = current.roles().cloned().unwrap_or_default();
    let attached = roles.get("authenticated").cloned();
    if attached.as_deref() == Some(role_arn) {
        plan.push(Step::new(Resource::RoleAttachment, name, Action::Unchanged).with_id(pool_id));
        return Ok(());
    }
    let (action, details) = match &attached {
        Some(other) => (Action::update(ctx.dry_run), vec![format!("was {other}")]),
        None => (Action::create(ctx.dry_run), Vec::new()),
    };
    if !ctx.dry_run {
        roles.insert("authenticated".to_owned(), role_arn.to_owned());
        ctx.identity
            .set_identity_pool_roles()
            .identity_pool_id(pool_id)
            .set_roles(Some(roles))
            .set_role_mappings(current.role_mappings().cloned())
            .send()
            .await
            .map_err(aws_error(Service::CognitoIdentity, "SetIdentityPoolRoles"))?;
    }
    plan.push(
        Step::new(Resource::RoleAttachment, name, action)
            .with_id(pool_id)
            .with_details(details),
    );
    Ok(())
}

/// The token-based role mapping of the app client: `Type: Token` with `ambiguous`, under
/// `<provider>:<client>`; other providers' mappings and the roles are kept.
async fn ensure_role_mapping(
    ctx: &Clients,
    identity_pool_id: Option<&str>,
    provider: Option<&(String, String)>,
    ambiguous: Ambiguous,
    plan: &mut Plan,
) -> Result<(), AdminError> {
    let wanted = format!("token, ambiguous tokens: {ambiguous:?}");
    let (Some(pool_id), Some((provider_name, client_id))) = (identity_pool_id, provider) else {
        plan.push(
            Step::new(Resource::RoleMapping, "token", Action::WouldCreate)
                .with_details(vec![wanted]),
        );
        return Ok(());
    };
    let key = format!("{provider_name}:{client_id}");
    let current = ctx
        .identity
        .get_identity_pool_roles()
        .identity_pool_id(pool_id)
        .send()
        .await
        .map_err(aws_error(Service::CognitoIdentity, "GetIdentityPoolRoles"))?;
    let mut mappings = current.role_mappings().cloned().unwrap_or_default();
    let existing = mappings.get(&key);
    let is_wanted = existing.is_some_and(|m| {
        m.r#type() == &identity::types::RoleMappingType::Token
            && m.ambiguous_role_resolution() == Some(&ambiguous.to_aws())
    });
    if is_wanted {
        plan.push(Step::new(Resource::RoleMapping, &key, Action::Unchanged).with_id(pool_id));
        return Ok(());
    }
    let mut details = vec![wanted];
    if let Some(old) = existing {
        details.push(format!(
            "was {}, ambiguous tokens: {}",
            old.r#type().as_str(),
            old.ambiguous_role_resolution()
                .map_or("not set", |a| a.as_str())
        ));
    }
    let action = match existing {
        Some(_) => Action::update(ctx.dry_run),
        None => Action::create(ctx.dry_run),
    };
    if !ctx.dry_run {
        let mapping = identity::types::RoleMapping::builder()
            .r#type(identity::types::RoleMappingType::Token)
            .ambiguous_role_resolution(ambiguous.to_aws())
            .build()
            .map_err(|e| {
                AdminError::bad_answer(
                    Service::CognitoIdentity,
                    "SetIdentityPoolRoles",
                    &e.to_string(),
                )
            })?;
        mappings.insert(key.clone(), mapping);
        ctx.identity
            .set_identity_pool_roles()
            .identity_pool_id(pool_id)
            .set_roles(current.roles().cloned())
            .set_role_mappings(Some(mappings))
            .send()
            .await
            .map_err(aws_error(Service::CognitoIdentity, "SetIdentityPoolRoles"))?;
    }
    plan.push(
        Step::new(Resource::RoleMapping, &key, action)
            .with_id(pool_id)
            .with_details(details),
    );
    Ok(())
}

/// Every group role of the user pool made to trust the identity pool (the roles a token
/// mapping issues credentials for).
async fn ensure_group_roles_trust(
    sdk: &SdkConfig,
    ctx: &Clients,
    user_pool_id: &str,
    identity_pool_id: Option<&str>,
    adopt: bool,
    plan: &mut Plan,
) -> Result<(), AdminError> {
    let changes = crate::groups::Changes {
        sdk,
        adopt,
        dry_run: ctx.dry_run,
        command: "setup --role-mapping token",
    };
    let mut seen = Vec::new();
    // Checked together, so that one role that is not cogadmin's stops the run before any
    // other role is changed.
    let mut roles = Vec::new();
    for (group, arn) in crate::groups::group_roles(sdk, user_pool_id).await? {
        if seen.contains(&arn) {
            continue;
        }
        seen.push(arn.clone());
        let name = crate::policies::role_name_of_arn(&arn).unwrap_or(&arn);
        let Some(role) = crate::iam::find_role(&ctx.iam, name)
            .await?
            .filter(|r| r.arn() == arn)
        else {
            plan.warnings.push(format!(
                "group `{group}` names role `{arn}`, which is not in this account: its users \
                 cannot take it; fix the group with `cogadmin group create {group} --role-arn ...`"
            ));
            continue;
        };
        match identity_pool_id {
            Some(_) => roles.push(role),
            None => plan.push(
                Step::new(Resource::Role, name, Action::WouldUpdate)
                    .with_id(&arn)
                    .with_details(vec![format!(
                        "trust policy: accept the new identity pool (group `{group}`)"
                    )]),
            ),
        }
    }
    if let Some(pool) = identity_pool_id {
        crate::groups::ensure_trust(&ctx.iam, &roles, pool, &changes, plan).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_follow_the_console() {
        assert_eq!(default_role_name("My Pool"), "Cognito_My_PoolAuth_Role");
    }

    #[test]
    fn legacy_password_flow_counts() {
        assert_eq!(
            missing_flows(&[Flow::UserPasswordAuth, Flow::AllowUserSrpAuth], false),
            vec![Flow::AllowRefreshTokenAuth]
        );
        assert!(missing_flows(&REQUIRED_FLOWS, false).is_empty());
        // A rotating client is complete without REFRESH_TOKEN_AUTH, and never gets it.
        assert!(
            missing_flows(&[Flow::AllowUserPasswordAuth, Flow::AllowUserSrpAuth], true).is_empty()
        );
    }

    fn outcome(basic_flow: bool) -> SetupOutcome {
        SetupOutcome {
            plan: Plan::new(false),
            region: "us-east-1".into(),
            user_pool_id: Some("us-east-1_abc".into()),
            client_id: Some("client1".into()),
            client_secret: None,
            identity_pool_name: "P".into(),
            identity_pool_id: Some("us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab".into()),
            role_name: "Cognito_PAuth_Role".into(),
            role_arn: Some("arn:aws:iam::123456789012:role/Cognito_PAuth_Role".into()),
            basic_flow,
            duration_hours: 8,
            managed_login: None,
        }
    }

    #[test]
    fn the_profile_and_command_match_what_was_set_up() {
        let enhanced = outcome(false);
        let profile = enhanced.profile().unwrap();
        assert_eq!(profile.identity_flow, None);
        assert_eq!(profile.role_arn, None);
        assert_eq!(
            enhanced.configure_command("dev").unwrap(),
            "cogauth configure --profile dev --user-pool-id us-east-1_abc --client-id client1 \
             --identity-pool-id us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab --region us-east-1"
        );
        let basic = outcome(true);
        let profile = basic.profile().unwrap();
        assert_eq!(profile.identity_flow, Some(IdentityFlow::Basic));
        assert_eq!(profile.duration_hours, Some(8));
        assert!(
            basic
                .configure_command("dev")
                .unwrap()
                .ends_with("--identity-flow basic --role-arn arn:aws:iam::123456789012:role/Cognito_PAuth_Role --duration-hours 8")
        );
        let mut dry = outcome(false);
        dry.identity_pool_id = None;
        assert!(dry.recorded().is_none() && dry.configure_command("x").is_none());

        let mut browser = outcome(false);
        browser.managed_login = Some(ManagedLoginOutcome {
            managed_login_url: "https://myapp.auth.us-east-1.amazoncognito.com".into(),
            redirect_uri: DEFAULT_REDIRECT_URI.into(),
        });
        let profile = browser.profile().unwrap();
        assert_eq!(profile.auth_flow, Some(AuthFlow::Browser));
        assert_eq!(
            profile.managed_login_url.as_deref(),
            Some("https://myapp.auth.us-east-1.amazoncognito.com")
        );
        assert_eq!(profile.redirect_uri.as_deref(), Some(DEFAULT_REDIRECT_URI));
        assert!(browser.configure_command("dev").unwrap().ends_with(
            "--auth-flow browser --managed-login-url https://myapp.auth.us-east-1.amazoncognito.com"
        ));
    }
}
