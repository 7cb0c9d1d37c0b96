//! `cogadmin policy create-s3-policy` and `create-dynamodb-policy`: the original's policy
//! shapes, applied as inline policies on the identity pool's authenticated role.

use aws_types::SdkConfig;
use cogauth_admin::policies::{self, PolicyDocument};
use cogauth_admin::{AdminError, Plan, roles};

use crate::Context;
use crate::output::{self, print_outcome, print_plan};
use crate::role::{Resolved, Target, resolve_role};

#[derive(clap::Args)]
struct Apply {
    /// The inline policy's name (default: the original's, e.g. S3UserIsolationPolicy_BUCKET).
    #[arg(long, value_name = "NAME")]
    policy_name: Option<String>,
    /// Apply to this role instead of the identity pool's authenticated role.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["identity_pool_id", "profile"])]
    role_name: Option<String>,
    #[command(flatten)]
    target: Target,
    /// Print the document and the target role; change nothing (and call no IAM API).
    #[arg(long)]
    dry_run: bool,
}

#[derive(clap::Subcommand)]
#[allow(private_interfaces)]
pub enum Command {
    /// S3 access to a bucket: the whole bucket, or (--user-specific) each identity's own prefix.
    CreateS3Policy {
        /// The S3 bucket the policy grants access to (its name, not an ARN).
        #[arg(long, value_name = "BUCKET")]
        bucket_name: String,
        /// Each identity gets only `<bucket>/<identity id>/*`, and lists only that prefix.
        #[arg(long)]
        user_specific: bool,
        #[command(flatten)]
        apply: Apply,
    },
    /// DynamoDB item access to a table, by default only to items whose partition key is the
    /// caller's identity id (as in the original).
    CreateDynamodbPolicy {
        /// The DynamoDB table the policy grants access to (its name, in the region of --region,
        /// else of the identity pool).
        #[arg(long, value_name = "TABLE")]
        table_name: String,
        /// Only items whose partition key is the caller's identity id (the default).
        #[arg(long, conflicts_with = "whole_table")]
        user_specific: bool,
        /// Every item of the table, instead of each identity's own.
        #[arg(long)]
        whole_table: bool,
        #[command(flatten)]
        apply: Apply,
    },
}

pub async fn run(cmd: Command, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        Command::CreateS3Policy {
            bucket_name,
            user_specific,
            apply,
        } => {
            policies::validate_bucket_name(&bucket_name)?;
            let name = apply
                .policy_name
                .clone()
                .unwrap_or_else(|| policies::s3_policy_name(&bucket_name, user_specific));
            policies::validate_policy_name(&name)?;
            let Resolved { role, sdk, .. } =
                resolve_role(ctx, apply.target, apply.role_name).await?;
            let document = policies::s3_access(&bucket_name, user_specific);
            let scope = if user_specific {
                "user-specific"
            } else {
                "whole-bucket"
            };
            output::line(format!(
                "{scope} S3 policy `{name}` for bucket `{bucket_name}`, role `{}`:",
                role.name
            ));
            put(&sdk, &role.name, &name, &document, apply.dry_run).await
        }
        Command::CreateDynamodbPolicy {
            table_name,
            user_specific: _,
            whole_table,
            apply,
        } => {
            policies::validate_table_name(&table_name)?;
            let user_specific = !whole_table;
            let name = apply
                .policy_name
                .clone()
                .unwrap_or_else(|| policies::dynamodb_policy_name(&table_name, user_specific));
            policies::validate_policy_name(&name)?;
            let Resolved {
                role,
                identity_pool_id,
                sdk,
            } = resolve_role(ctx, apply.target, apply.role_name).await?;
            let pool_region = identity_pool_id
                .as_deref()
                .and_then(|id| id.split_once(':'))
                .map(|(region, _)| region.to_owned());
            // The table's region: --region, else the identity pool's, else the SDK's.
            let region = ctx
                .region
                .clone()
                .or(pool_region)
                .or_else(|| sdk.region().map(|r| r.to_string()))
                .ok_or(AdminError::NoRegion)?;
            let account = match policies::account_of_arn(&role.arn) {
                Some(account) => account.to_owned(),
                None => roles::caller_account(&sdk).await?,
            };
            let document = policies::dynamodb_access(&region, &account, &table_name, user_specific);
            let scope = if user_specific {
                "user-specific"
            } else {
                "whole-table"
            };
            output::line(format!(
                "{scope} DynamoDB policy `{name}` for table `{table_name}`, role `{}`:",
                role.name
            ));
            put(&sdk, &role.name, &name, &document, apply.dry_run).await
        }
    }
}

async fn put(
    sdk: &SdkConfig,
    role_name: &str,
    policy_name: &str,
    document: &PolicyDocument,
    dry_run: bool,
) -> anyhow::Result<()> {
    output::line(document.to_pretty_json());
    let step =
        roles::apply_inline_policy(sdk, role_name, policy_name, &document.to_value(), dry_run)
            .await?;
    let mut plan = Plan::new(dry_run);
    plan.push(step);
    print_plan(&plan);
    print_outcome(&plan, "the role already has this policy");
    Ok(())
}
