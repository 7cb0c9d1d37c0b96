//! `cogadmin user create | set-password | reset-mfa | list`.

use aws_types::SdkConfig;
use cogauth_admin::target::TargetFlags;
use cogauth_admin::users::{self, InitialPassword, NewUser};
use cogauth_admin::{Plan, Step};

use crate::Context;
use crate::input::{secret_from_prompt, secret_from_stdin};
use crate::output::{self, print_outcome, print_plan};

/// Which user pool.
#[derive(clap::Args)]
pub struct Pool {
    /// The user pool (default: the cogauth profile given with --profile, else the last
    /// `cogadmin setup`, else the default cogauth profile).
    #[arg(long, value_name = "ID")]
    user_pool_id: Option<String>,
    /// Take the user pool from this cogauth user profile.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a user. Without a password, Cognito emails a temporary one (needs --email).
    Create {
        /// The user's name in the pool (an email address, when the pool signs in by email).
        username: String,
        /// The user's email address (marked verified).
        #[arg(long)]
        email: Option<String>,
        /// Read a temporary password from stdin: the user chooses a new one at first login.
        #[arg(long, conflicts_with = "password_stdin")]
        temporary_password_stdin: bool,
        /// Read a permanent password from stdin.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        pool: Pool,
        /// Check everything (a password flag still reads it) and say what would be done;
        /// change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Set a user's password (asked on the terminal unless --password-stdin).
    SetPassword {
        /// The user's name in the pool (an email address, when the pool signs in by email).
        username: String,
        /// Read the password from stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Make it temporary: the user must choose a new one at next login.
        #[arg(long)]
        temporary: bool,
        #[command(flatten)]
        pool: Pool,
        /// Check that the user exists; change nothing (no password is read).
        #[arg(long)]
        dry_run: bool,
    },
    /// Turn off a user's MFA preferences (SMS and authenticator app).
    ResetMfa {
        /// The user's name in the pool (an email address, when the pool signs in by email).
        username: String,
        #[command(flatten)]
        pool: Pool,
        /// Say what would be turned off; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List the pool's users.
    List {
        #[command(flatten)]
        pool: Pool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

async fn pool_and_sdk(ctx: &Context, pool: Pool) -> anyhow::Result<(String, SdkConfig)> {
    let (admin, sdk) = ctx.admin().await?;
    let flags = TargetFlags {
        user_pool_id: pool.user_pool_id,
        profile: pool.profile,
        ..TargetFlags::default()
    };
    let id = ctx.targets(flags, &admin)?.user_pool_id()?.value;
    Ok((id, sdk))
}

fn show(step: Step, dry_run: bool) {
    let mut plan = Plan::new(dry_run);
    plan.push(step);
    print_plan(&plan);
    print_outcome(&plan, "the user is already in that state");
}

pub async fn run(cmd: Command, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        Command::Create {
            username,
            email,
            temporary_password_stdin,
            password_stdin,
            pool,
            dry_run,
        } => {
            let (pool_id, sdk) = pool_and_sdk(ctx, pool).await?;
            // Read before any call, so a missing password fails fast (a dry run too: it
            // checks everything but sends nothing).
            let password = if temporary_password_stdin {
                InitialPassword::Temporary(secret_from_stdin("temporary password")?)
            } else if password_stdin {
                InitialPassword::Permanent(secret_from_stdin("password")?)
            } else {
                InitialPassword::Generated
            };
            let user = NewUser {
                username,
                email,
                password,
            };
            let step = users::create_user(&sdk, &pool_id, &user, dry_run).await?;
            show(step, dry_run);
            Ok(())
        }
        Command::SetPassword {
            username,
            password_stdin,
            temporary,
            pool,
            dry_run,
        } => {
            let (pool_id, sdk) = pool_and_sdk(ctx, pool).await?;
            let password = match (dry_run, password_stdin) {
                (true, _) => None,
                (false, true) => Some(secret_from_stdin("password")?),
                (false, false) => {
                    Some(secret_from_prompt(&format!("New password for {username}"))?)
                }
            };
            let step = users::set_password(
                &sdk,
                &pool_id,
                &username,
                password.as_ref(),
                !temporary,
                dry_run,
            )
            .await?;
            show(step, dry_run);
            Ok(())
        }
        Command::ResetMfa {
            username,
            pool,
            dry_run,
        } => {
            let (pool_id, sdk) = pool_and_sdk(ctx, pool).await?;
            let step = users::reset_mfa(&sdk, &pool_id, &username, dry_run).await?;
            show(step, dry_run);
            Ok(())
        }
        Command::List { pool, json } => {
            let (pool_id, sdk) = pool_and_sdk(ctx, pool).await?;
            let list = users::list_users(&sdk, &pool_id).await?;
            if json {
                return output::json(&list);
            }
            output::print_users(&pool_id, &list);
            Ok(())
        }
    }
}
