//! `cogadmin configure`: the names and defaults cogadmin uses, with the original's prompts
//! (current values as defaults), stored in admin.toml.

use cogauth_admin::config::{self, AdminConfig};

use crate::Context;
use crate::input::ask;
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// IAM user whose keys the Lambda proxy uses.
    #[arg(long)]
    iam_user_name: Option<String>,
    /// Execution role of the Lambda proxy.
    #[arg(long)]
    lambda_execution_role_name: Option<String>,
    /// Role the Lambda proxy hands out long-lived credentials for.
    #[arg(long)]
    long_lived_role_name: Option<String>,
    /// Function name of the Lambda proxy.
    #[arg(long)]
    lambda_function_name: Option<String>,
    /// Identity pool `cogadmin setup` finds or creates.
    #[arg(long)]
    identity_pool_name: Option<String>,
    /// Region used when neither --region nor the AWS config gives one.
    #[arg(long)]
    default_region: Option<String>,
    /// MaxSessionDuration of the roles cogadmin creates, in seconds (3600 to 43200).
    #[arg(long)]
    max_session_duration: Option<u32>,
    /// Default S3 bucket name (kept from the original).
    #[arg(long)]
    default_bucket: Option<String>,
    /// Timeout of the Lambda proxy, in seconds.
    #[arg(long)]
    lambda_timeout: Option<u32>,
    /// Ask nothing: keep the current value of everything not given as a flag.
    #[arg(long)]
    no_input: bool,
    /// Print the configuration in effect and the files it comes from; change nothing.
    #[arg(long, conflicts_with = "dry_run")]
    show: bool,
    /// Print the resulting admin.toml settings instead of writing them.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let loaded = ctx.admin_config()?;
    if args.show {
        output::line(format!("# admin config: {}", loaded.path.display()));
        if loaded.sources.is_empty() {
            output::line("# read from: (defaults)");
        }
        for source in &loaded.sources {
            output::line(format!("# read from: {}", source.display()));
        }
        output::text(&config::render(&loaded.config));
        return Ok(());
    }
    // The user's own settings: what a ./admin-config.json sets is never copied into admin.toml.
    let current = &loaded.own;
    let interactive = !args.no_input;
    let value = |flag: Option<String>, question: &str, current: &str| -> anyhow::Result<String> {
        match flag {
            Some(v) => Ok(v),
            None if interactive => ask(question, Some(current)),
            None => Ok(current.to_owned()),
        }
    };
    let number = |flag: Option<u32>, question: &str, current: u32| -> anyhow::Result<u32> {
        match flag {
            Some(v) => Ok(v),
            None if interactive => {
                let answer = ask(question, Some(&current.to_string()))?;
                answer
                    .parse()
                    .map_err(|_| anyhow::anyhow!("\"{question}\": `{answer}` is not a number"))
            }
            None => Ok(current),
        }
    };

    let names = &current.aws_service_names;
    let aws = &current.aws_configuration;
    if interactive {
        output::note("AWS Cognito admin configuration (Enter keeps the current value)");
        output::note("AWS service names:");
    }
    let mut new = AdminConfig {
        last_setup: None,
        ..current.clone()
    };
    new.aws_service_names.iam_user_name = value(
        args.iam_user_name,
        "IAM User name for Lambda proxy",
        &names.iam_user_name,
    )?;
    new.aws_service_names.lambda_execution_role_name = value(
        args.lambda_execution_role_name,
        "Lambda execution role name",
        &names.lambda_execution_role_name,
    )?;
    new.aws_service_names.long_lived_role_name = value(
        args.long_lived_role_name,
        "Long-lived role name",
        &names.long_lived_role_name,
    )?;
    new.aws_service_names.lambda_function_name = value(
        args.lambda_function_name,
        "Lambda function name",
        &names.lambda_function_name,
    )?;
    new.aws_service_names.identity_pool_name = value(
        args.identity_pool_name,
        "Identity Pool name",
        &names.identity_pool_name,
    )?;
    if interactive {
        output::note("AWS configuration parameters:");
    }
    new.aws_configuration.default_region = value(
        args.default_region,
        "Default AWS region",
        &aws.default_region,
    )?;
    new.aws_configuration.max_session_duration = number(
        args.max_session_duration,
        "Maximum session duration (seconds)",
        aws.max_session_duration,
    )?;
    new.aws_configuration.default_bucket = value(
        args.default_bucket,
        "Default S3 bucket name",
        &aws.default_bucket,
    )?;
    // Not prompted, as in the original; a flag still sets it.
    if let Some(timeout) = args.lambda_timeout {
        new.aws_configuration.lambda_timeout = timeout;
    }
    new.validate()
        .map_err(|e| anyhow::anyhow!("{e}: nothing was saved"))?;

    if args.dry_run {
        output::line(format!("# dry run: would write {}", loaded.path.display()));
        output::text(&config::render(&new));
        return Ok(());
    }
    let path = config::update(&ctx.env, |c| {
        c.aws_service_names = new.aws_service_names;
        c.aws_configuration = new.aws_configuration;
    })?;
    output::line(format!("admin configuration saved to {}", path.display()));
    if loaded.local.is_some() {
        output::line(format!(
            "note: ./{} in this directory still overrides it, key by key",
            config::LOCAL_OVERRIDE_FILE
        ));
    }
    Ok(())
}
