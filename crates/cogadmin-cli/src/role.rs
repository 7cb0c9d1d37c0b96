//! `cogadmin role info` and `cogadmin role apply-policy`.

use std::path::PathBuf;

use aws_types::SdkConfig;
use cogauth_admin::policies::{parse_policy_document, validate_policy_name};
use cogauth_admin::roles::{self, RoleRef};
use cogauth_admin::target::TargetFlags;
use cogauth_admin::{AdminError, Plan};

use crate::Context;
use crate::output::{self, print_outcome, print_plan};

/// How a role or policy command finds its role.
#[derive(clap::Args)]
pub struct Target {
    /// The identity pool whose authenticated role to use (default: the last `cogadmin setup`,
    /// or the cogauth profile given with --profile).
    #[arg(long, value_name = "ID")]
    pub identity_pool_id: Option<String>,
    /// Take the identity pool from this cogauth user profile.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Show the identity pool's roles, with their managed and inline policies.
    Info {
        #[command(flatten)]
        target: Target,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Put a policy from a JSON file on the authenticated role, as an inline policy.
    ApplyPolicy {
        /// The policy document (JSON with Version and Statement).
        #[arg(long, value_name = "FILE")]
        policy_file: PathBuf,
        /// The inline policy's name (an existing policy of that name is replaced).
        #[arg(long, value_name = "NAME")]
        policy_name: String,
        /// Apply to this role instead of the identity pool's authenticated role.
        #[arg(long, value_name = "NAME", conflicts_with_all = ["identity_pool_id", "profile"])]
        role_name: Option<String>,
        #[command(flatten)]
        target: Target,
        /// Print the document and the target role; change nothing (and call no IAM API).
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(cmd: Command, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        Command::Info { target, json } => info(ctx, target, json).await,
        Command::ApplyPolicy {
            policy_file,
            policy_name,
            role_name,
            target,
            dry_run,
        } => {
            // Everything local is checked before any AWS call.
            validate_policy_name(&policy_name)?;
            let text = std::fs::read_to_string(&policy_file).map_err(|error| {
                AdminError::PolicyFileRead {
                    path: policy_file.clone(),
                    error,
                }
            })?;
            let document = parse_policy_document(&policy_file, &text)?;
            let Resolved { role, sdk, .. } = resolve_role(ctx, target, role_name).await?;
            output::line(format!("policy `{policy_name}` for role `{}`:", role.name));
            output::json(&document)?;
            let step =
                roles::apply_inline_policy(&sdk, &role.name, &policy_name, &document, dry_run)
                    .await?;
            let mut plan = Plan::new(dry_run);
            plan.push(step);
            print_plan(&plan);
            print_outcome(&plan, "the role already has this policy");
            Ok(())
        }
    }
}

/// The role a command targets, with the SDK config to reach it.
#[derive(Debug)]
pub struct Resolved {
    pub role: RoleRef,
    /// The identity pool the role was found through (none with `--role-name`).
    pub identity_pool_id: Option<String>,
    pub sdk: SdkConfig,
}

/// The role a command targets: `--role-name` as given (no call at all), else the identity
/// pool's authenticated role (GetIdentityPoolRoles, a Cognito read: no IAM call).
pub async fn resolve_role(
    ctx: &Context,
    target: Target,
    role_name: Option<String>,
) -> anyhow::Result<Resolved> {
    let (admin, sdk) = ctx.admin().await?;
    if let Some(name) = role_name {
        cogauth_admin::policies::validate_role_name(&name)?;
        let role = RoleRef {
            kind: "given".to_owned(),
            arn: String::new(),
            name,
        };
        return Ok(Resolved {
            role,
            identity_pool_id: None,
            sdk,
        });
    }
    let pool = identity_pool(ctx, target, &admin)?;
    let role = roles::authenticated_role(&sdk, &pool).await?;
    Ok(Resolved {
        role,
        identity_pool_id: Some(pool),
        sdk,
    })
}

async fn info(ctx: &Context, target: Target, json: bool) -> anyhow::Result<()> {
    let (admin, sdk) = ctx.admin().await?;
    let pool = identity_pool(ctx, target, &admin)?;
    let info = roles::role_info(&sdk, &pool).await?;
    if json {
        output::json(&info)?;
    } else {
        output::print_role_info(&info);
    }
    Ok(())
}

/// The identity pool of `target`, resolved as for every command.
fn identity_pool(
    ctx: &Context,
    target: Target,
    admin: &cogauth_admin::config::LoadedAdminConfig,
) -> anyhow::Result<String> {
    let flags = TargetFlags {
        identity_pool_id: target.identity_pool_id,
        profile: target.profile,
        ..TargetFlags::default()
    };
    Ok(ctx.targets(flags, admin)?.identity_pool_id()?.value)
}
