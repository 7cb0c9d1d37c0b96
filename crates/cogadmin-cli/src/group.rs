//! `cogadmin group create | add-user | remove-user | list`: user-pool groups with roles, the
//! roles a user may choose among (`cogauth login --role`). The work is
//! `cogauth_admin::groups`.

use aws_types::SdkConfig;
use cogauth_admin::groups::{self, GroupRequest};
use cogauth_admin::target::TargetFlags;

use crate::Context;
use crate::output::{self, print_outcome, print_plan};

/// Which user pool (and identity pool, for the role's trust policy).
#[derive(clap::Args)]
pub struct Pools {
    /// The user pool (default: the cogauth profile given with --profile, else the last
    /// `cogadmin setup`, else the default cogauth profile).
    #[arg(long, value_name = "ID")]
    user_pool_id: Option<String>,
    /// The identity pool the group's role must trust (default: from the same source as the
    /// user pool).
    #[arg(long, value_name = "ID")]
    identity_pool_id: Option<String>,
    /// Take the pools from this cogauth user profile.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a group whose members may take a role, or update its role and precedence; the
    /// role is created when missing, and made to trust the identity pool.
    Create {
        /// The group's name.
        name: String,
        /// The role its members may take (`cognito:roles` in their ID tokens).
        #[arg(long, value_name = "ARN")]
        role_arn: String,
        /// Lower wins `cognito:preferred_role` when a user is in several groups (0 and up;
        /// default: none, which ranks last).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(0..))]
        precedence: Option<i32>,
        /// MaxSessionDuration of a role this creates, in hours (default: `max_session_duration`
        /// of admin.toml, 12).
        #[arg(long, value_name = "H", value_parser = clap::value_parser!(u32).range(1..=12))]
        duration_hours: Option<u32>,
        #[command(flatten)]
        pools: Pools,
        /// Let an existing role that cogadmin did not create have its trust policy changed
        /// (it is tagged `cogauth:managed = true` first).
        #[arg(long)]
        adopt: bool,
        /// Read everything and say what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Put a user into a group (it shows in the user's next token).
    AddUser {
        /// The group.
        group: String,
        /// The user's name in the pool.
        username: String,
        #[command(flatten)]
        pools: Pools,
        /// Say whether the user would be added; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Take a user out of a group (it shows in the user's next token).
    RemoveUser {
        /// The group.
        group: String,
        /// The user's name in the pool.
        username: String,
        #[command(flatten)]
        pools: Pools,
        /// Say whether the user would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List the groups with their roles, precedences and members.
    List {
        #[command(flatten)]
        pools: Pools,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The user pool, the identity pool that goes with it (if known) and the SDK config.
struct Resolved {
    user_pool_id: String,
    identity_pool_id: Option<String>,
    sdk: SdkConfig,
    max_session_hours: u32,
}

async fn resolve(ctx: &Context, pools: Pools) -> anyhow::Result<Resolved> {
    let (admin, sdk) = ctx.admin().await?;
    let flags = TargetFlags {
        user_pool_id: pools.user_pool_id,
        identity_pool_id: pools.identity_pool_id,
        profile: pools.profile,
        ..TargetFlags::default()
    };
    // The identity pool from a source that names the same user pool, as the proxy's targets.
    let targets = ctx.targets(flags, &admin)?.proxy()?;
    Ok(Resolved {
        user_pool_id: targets.user_pool_id.value,
        identity_pool_id: targets.identity_pool_id,
        sdk,
        max_session_hours: admin.config.aws_configuration.max_session_duration / 3600,
    })
}

pub async fn run(cmd: Command, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        Command::Create {
            name,
            role_arn,
            precedence,
            duration_hours,
            pools,
            adopt,
            dry_run,
        } => {
            groups::validate_group_name(&name)?;
            let pools = resolve(ctx, pools).await?;
            let request = GroupRequest {
                user_pool_id: pools.user_pool_id.clone(),
                name: name.clone(),
                role_arn,
                precedence,
                identity_pool_id: pools.identity_pool_id.clone(),
                max_session_hours: duration_hours.unwrap_or(pools.max_session_hours),
                adopt,
                dry_run,
            };
            let plan = groups::create_group(&pools.sdk, &request).await?;
            output::line(format!(
                "for user pool {}{}, group `{name}`:",
                pools.user_pool_id,
                pools
                    .identity_pool_id
                    .as_deref()
                    .map(|p| format!(" (identity pool {p})"))
                    .unwrap_or_default()
            ));
            print_plan(&plan);
            print_outcome(&plan, "the group and its role are already set up");
            Ok(())
        }
        Command::AddUser {
            group,
            username,
            pools,
            dry_run,
        } => {
            let pools = resolve(ctx, pools).await?;
            let plan =
                groups::add_user(&pools.sdk, &pools.user_pool_id, &group, &username, dry_run)
                    .await?;
            print_plan(&plan);
            print_outcome(&plan, "the user is already in the group");
            Ok(())
        }
        Command::RemoveUser {
            group,
            username,
            pools,
            dry_run,
        } => {
            let pools = resolve(ctx, pools).await?;
            let plan =
                groups::remove_user(&pools.sdk, &pools.user_pool_id, &group, &username, dry_run)
                    .await?;
            print_plan(&plan);
            print_outcome(&plan, "the user is not in the group");
            Ok(())
        }
        Command::List { pools, json } => {
            let pools = resolve(ctx, pools).await?;
            let list = groups::list_groups(&pools.sdk, &pools.user_pool_id).await?;
            if json {
                return output::json(&list);
            }
            output::print_groups(&pools.user_pool_id, &list);
            Ok(())
        }
    }
}
