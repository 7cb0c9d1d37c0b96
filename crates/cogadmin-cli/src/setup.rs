//! `cogadmin setup` and `cogadmin setup-identity-pool`: create whatever is missing, record it
//! in admin.toml, and tell users how to log in.

use anyhow::Context as _;
use aws_types::SdkConfig;
use cogauth_admin::config::{self, LoadedAdminConfig};
use cogauth_admin::managed_login::ManagedLoginRequest;
use cogauth_admin::setup::{self, DEFAULT_CLIENT_NAME, SetupRequest, UserPoolChoice};
use cogauth_admin::target::{Source, TargetError, TargetFlags};
use cogauth_core::config::{ConfigFile, ProfileConfig, file::write_profile, is_valid_profile_name};
use secrecy::ExposeSecret;

use crate::Context;
use crate::input::ask;
use crate::output::{self, print_outcome, print_plan};

#[derive(clap::Args)]
pub struct Args {
    /// Use this existing user pool (with --client-id); it is checked, never changed.
    #[arg(
        long,
        value_name = "ID",
        requires = "client_id",
        conflicts_with = "create_user_pool"
    )]
    user_pool_id: Option<String>,
    /// The existing app client to use (with --user-pool-id).
    #[arg(long, value_name = "ID", requires = "user_pool_id")]
    client_id: Option<String>,
    /// Find the user pool with this name, or create it, with a public app client.
    #[arg(long, value_name = "NAME")]
    create_user_pool: Option<String>,
    /// The app client to find or create with --create-user-pool.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_CLIENT_NAME)]
    client_name: String,
    #[command(flatten)]
    common: Common,
}

/// The options `setup` and `setup-identity-pool` share.
#[derive(clap::Args)]
pub struct Common {
    /// The identity pool to find or create (default: `identity_pool_name` of admin.toml).
    #[arg(long, value_name = "NAME")]
    identity_pool_name: Option<String>,
    /// The authenticated role to find or create (default: Cognito_POOLNAMEAuth_Role).
    #[arg(long, value_name = "NAME")]
    role_name: Option<String>,
    /// Turn on the identity pool's basic (classic) flow: credentials for up to the role's
    /// MaxSessionDuration without the Lambda proxy.
    #[arg(long)]
    basic_flow: bool,
    /// The role's MaxSessionDuration in hours (default: `max_session_duration` of admin.toml, 12).
    #[arg(long, value_name = "H", value_parser = clap::value_parser!(u32).range(1..=12))]
    duration_hours: Option<u32>,
    /// Also write a cogauth user profile with this name for what was set up.
    #[arg(long, value_name = "PROFILE")]
    write_profile: Option<String>,
    /// Map roles from the ID token (`token`): users take the roles of their user-pool groups
    /// (`cogauth login --role`); each group role is made to trust the identity pool.
    #[arg(long, value_name = "TYPE", value_enum)]
    role_mapping: Option<RoleMappingType>,
    /// With --role-mapping: what a user whose token decides no role gets (no group with a role,
    /// or a tie of precedence): the identity pool's authenticated role (the default, as in the
    /// AWS console), or nothing.
    #[arg(long, value_name = "HOW", value_enum, requires = "role_mapping")]
    ambiguous: Option<AmbiguousChoice>,
    /// Take over what setup finds by name but did not create (it lacks the tag
    /// `cogauth:managed = true`): tag it, then set it up. Also accepts the names a
    /// ./admin-config.json sets.
    #[arg(long)]
    adopt: bool,
    /// Browser sign-in: create the user pool domain PREFIX.auth.REGION.amazoncognito.com, allow the app client the authorization code flow with cogauth's callback and scopes, and write `auth_flow = "browser"` into the profile.
    #[arg(long, value_name = "PREFIX")]
    managed_login: Option<String>,
    /// With --managed-login: an identity provider of the pool (Google, or a SAML/OIDC provider's name) the app client offers; repeat for several.
    #[arg(long, value_name = "NAME", requires = "managed_login")]
    identity_provider: Vec<String>,
    // The help is an attribute, not a doc comment: rustdoc refuses bare URLs in docs.
    #[arg(
        long,
        value_name = "URL",
        requires = "managed_login",
        help = "With --managed-login: the callback to register (default: http://localhost:28435/callback, cogauth's default)."
    )]
    redirect_uri: Option<String>,
    /// Read everything and say what would change; change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let (admin, sdk) = ctx.admin().await?;
    ctx.consent_to_local_names(&admin, args.common.adopt)?;
    let mut common = args.common;
    let user_pool = match (args.create_user_pool, args.user_pool_id, args.client_id) {
        (Some(pool_name), _, _) => UserPoolChoice::Create {
            pool_name,
            client_name: args.client_name,
        },
        (None, Some(user_pool_id), Some(client_id)) => UserPoolChoice::Existing {
            user_pool_id,
            client_id,
        },
        // A bare `cogadmin setup` checks (and repairs) what the last one set up, else the
        // pool of the default cogauth profile: the target every command resolves.
        _ => {
            let target = ctx
                .targets(TargetFlags::default(), &admin)?
                .proxy()
                .map_err(|e| match e {
                    TargetError::Missing { .. } => anyhow::anyhow!(
                        "which user pool? pass --create-user-pool NAME to find or create one, \
                         or --user-pool-id ID --client-id ID to use an existing one"
                    ),
                    e => e.into(),
                })?;
            match (&target.user_pool_id.source, &admin.config.last_setup) {
                (Source::LastSetup(_), Some(last)) => {
                    let keep = |given: &mut Option<String>, recorded: &str| {
                        if given.is_none() && !recorded.is_empty() {
                            *given = Some(recorded.to_owned());
                        }
                    };
                    keep(&mut common.identity_pool_name, &last.identity_pool_name);
                    keep(&mut common.role_name, &last.role_name);
                    common.duration_hours.get_or_insert(last.duration_hours);
                }
                (source, _) => output::note(format!(
                    "user pool `{}` from {source}",
                    target.user_pool_id.value
                )),
            }
            UserPoolChoice::Existing {
                user_pool_id: target.user_pool_id.value,
                client_id: target.client_ids.into_iter().next().unwrap_or_default(),
            }
        }
    };
    run_setup(ctx, &admin, &sdk, user_pool, common).await
}

/// How the identity pool maps roles.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RoleMappingType {
    /// From the ID token's `cognito:roles` and `cognito:preferred_role`.
    Token,
}

/// `AmbiguousRoleResolution`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum AmbiguousChoice {
    /// Refuse credentials.
    Deny,
    /// Give the identity pool's authenticated role.
    AuthenticatedRole,
}

#[derive(clap::Args)]
pub struct IdentityPoolArgs {
    /// The existing user pool (asked when not given).
    #[arg(long, value_name = "ID")]
    user_pool_id: Option<String>,
    /// The existing app client (asked when not given).
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    #[command(flatten)]
    common: Common,
}

/// The original's interactive command: asks for the identity pool name, the user pool and
/// the client, then does what `setup` does with them (now including the role).
pub async fn run_identity_pool(mut args: IdentityPoolArgs, ctx: &Context) -> anyhow::Result<()> {
    let (admin, sdk) = ctx.admin().await?;
    ctx.consent_to_local_names(&admin, args.common.adopt)?;
    if args.user_pool_id.is_none() || args.client_id.is_none() {
        output::note("Cognito Identity Pool setup (the user pool must already exist)");
    }
    if args.common.identity_pool_name.is_none() && args.user_pool_id.is_none() {
        args.common.identity_pool_name = Some(ask(
            "Identity Pool name",
            Some(&admin.config.aws_service_names.identity_pool_name),
        )?);
    }
    let user_pool_id = match args.user_pool_id {
        Some(id) => id,
        None => ask("Enter your Cognito User Pool ID", None)?,
    };
    let client_id = match args.client_id {
        Some(id) => id,
        None => ask("Enter your User Pool App Client ID", None)?,
    };
    let choice = UserPoolChoice::Existing {
        user_pool_id,
        client_id,
    };
    run_setup(ctx, &admin, &sdk, choice, args.common).await
}

async fn run_setup(
    ctx: &Context,
    admin: &LoadedAdminConfig,
    sdk: &SdkConfig,
    user_pool: UserPoolChoice,
    common: Common,
) -> anyhow::Result<()> {
    if let Some(profile) = &common.write_profile
        && !is_valid_profile_name(profile)
    {
        anyhow::bail!(
            "invalid profile name `{profile}` for --write-profile: use letters, digits, `-`, `_` and `.`"
        );
    }
    let request = SetupRequest {
        user_pool,
        identity_pool_name: common
            .identity_pool_name
            .unwrap_or_else(|| admin.config.aws_service_names.identity_pool_name.clone()),
        role_name: common.role_name,
        basic_flow: common.basic_flow,
        duration_hours: common
            .duration_hours
            .unwrap_or(admin.config.aws_configuration.max_session_duration / 3600),
        token_role_mapping: common.role_mapping.map(|RoleMappingType::Token| {
            match common
                .ambiguous
                .unwrap_or(AmbiguousChoice::AuthenticatedRole)
            {
                AmbiguousChoice::Deny => setup::Ambiguous::Deny,
                AmbiguousChoice::AuthenticatedRole => setup::Ambiguous::AuthenticatedRole,
            }
        }),
        adopt: common.adopt,
        managed_login: common.managed_login.map(|prefix| {
            let mut wanted = ManagedLoginRequest::new(prefix, common.identity_provider);
            if let Some(uri) = common.redirect_uri {
                wanted.redirect_uri = uri;
            }
            wanted
        }),
        dry_run: common.dry_run,
    };
    let outcome = setup::setup(sdk, &request).await?;

    let heading = if request.dry_run {
        "dry run of setup"
    } else {
        "setup"
    };
    output::line(format!(
        "{heading} of identity pool `{}` in {}:",
        outcome.identity_pool_name, outcome.region
    ));
    print_plan(&outcome.plan);

    let profile_name = common.write_profile.as_deref().unwrap_or("default");
    if !request.dry_run
        && let Some(recorded) = outcome.recorded()
    {
        if admin.config.last_setup.as_ref() == Some(&recorded) && admin.path.exists() {
            output::line(format!("already recorded in {}", admin.path.display()));
        } else {
            let path = config::update(&ctx.env, |c| c.last_setup = Some(recorded))
                .context("the AWS resources are set up, but recording them failed")?;
            output::line(format!("recorded in {}", path.display()));
        }
        if let Some(name) = &common.write_profile
            && let Some(profile) = outcome.profile()
        {
            let path = cogauth_core::paths::config_file(&ctx.env)?;
            if profile_is_written(&path, name, &profile)? {
                output::line(format!(
                    "profile `{name}` in {} is already up to date",
                    path.display()
                ));
            } else {
                write_profile(&path, name, &profile)
                    .context("the AWS resources are set up, but writing the profile failed")?;
                output::line(format!("wrote profile `{name}` to {}", path.display()));
            }
        }
    } else if let Some(name) = &common.write_profile {
        output::line(format!("would write profile `{name}`"));
    }
    if let Some(command) = outcome.configure_command(profile_name) {
        output::blank();
        output::line("users log in with this configuration:");
        output::line(format!("  {command}"));
        if outcome.client_secret.is_some() {
            output::line(
                "  (the app client has a secret: add --client-secret-stdin and pipe it in)",
            );
        }
    }
    print_outcome(&outcome.plan, "everything was already set up");
    Ok(())
}

/// True when profile `name` in the user config already has every value of `wanted`.
fn profile_is_written(
    path: &std::path::Path,
    name: &str,
    wanted: &ProfileConfig,
) -> anyhow::Result<bool> {
    let Some(file) = ConfigFile::load(path)? else {
        return Ok(false);
    };
    let Some(existing) = file.profiles.get(name) else {
        return Ok(false);
    };
    let same = |a: &Option<String>, b: &Option<String>| b.is_none() || a == b;
    let secret_same = match (&existing.client_secret, &wanted.client_secret) {
        (_, None) => true,
        (Some(a), Some(b)) => a.expose_secret() == b.expose_secret(),
        (None, Some(_)) => false,
    };
    Ok(same(&existing.user_pool_id, &wanted.user_pool_id)
        && same(&existing.client_id, &wanted.client_id)
        && same(&existing.identity_pool_id, &wanted.identity_pool_id)
        && same(&existing.region, &wanted.region)
        && same(&existing.role_arn, &wanted.role_arn)
        && secret_same
        && same(&existing.managed_login_url, &wanted.managed_login_url)
        && same(&existing.redirect_uri, &wanted.redirect_uri)
        && (wanted.auth_flow.is_none() || existing.auth_flow == wanted.auth_flow)
        && (wanted.identity_flow.is_none() || existing.identity_flow == wanted.identity_flow)
        && (wanted.duration_hours.is_none() || existing.duration_hours == wanted.duration_hours))
}
