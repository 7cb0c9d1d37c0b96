//! `cogadmin lambda deploy`: deploys the credential-proxy Lambda with
//! `cogauth_core::admin::lambda_deploy` (the code `cargo xtask deploy-lambda` also runs).

use std::path::PathBuf;

use anyhow::Context as _;
use cogauth_core::admin::lambda_deploy::{self, DeployRequest, KeySource};

use crate::Context;
use crate::input::secret_from_stdin;

/// Where `cargo xtask package-lambda` writes the package, relative to the source tree.
const DEFAULT_ZIP: &str = "target/lambda/cogauth-lambda.zip";

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create or update the IAM user and its key, the roles, the function and the invoke
    /// permission; idempotent. The key's secret is never printed.
    Deploy(DeployArgs),
}

#[derive(clap::Args)]
pub struct DeployArgs {
    /// Create the proxy's IAM user if it does not exist (cogauth then manages its access key).
    #[arg(long, conflicts_with = "access_key_id")]
    pub create_user: bool,
    /// Use this existing access key instead of one cogauth manages; the secret comes from stdin.
    #[arg(long, requires = "secret_access_key_stdin")]
    pub access_key_id: Option<String>,
    /// Read the secret access key of --access-key-id from stdin (one line).
    #[arg(long, requires = "access_key_id")]
    pub secret_access_key_stdin: bool,
    /// Replace the deployed access key with a new one (create, deploy, then delete the old).
    #[arg(long, conflicts_with = "access_key_id")]
    pub rotate_key: bool,
    /// The user pool whose ID tokens the proxy accepts (default: last setup, then the user config).
    #[arg(long)]
    pub user_pool_id: Option<String>,
    /// An app client whose tokens the proxy accepts; repeat for several (default: last setup,
    /// then the user config).
    #[arg(long = "client-id")]
    pub client_ids: Vec<String>,
    /// The identity pool whose authenticated role gets permission to invoke the proxy.
    #[arg(long)]
    pub identity_pool_id: Option<String>,
    /// The function's name (default: admin config, `cognito-credential-proxy`).
    #[arg(long)]
    pub function_name: Option<String>,
    /// The IAM user's name (default: admin config, `CognitoCredentialProxyUser`).
    #[arg(long)]
    pub iam_user_name: Option<String>,
    /// The execution role's name (default: admin config, `CognitoCredentialProxyRole`).
    #[arg(long)]
    pub execution_role_name: Option<String>,
    /// The long-lived role's name (default: admin config, `CognitoLongLivedRole`).
    #[arg(long)]
    pub long_lived_role_name: Option<String>,
    /// The package from `cargo xtask package-lambda` [default: target/lambda/cogauth-lambda.zip].
    #[arg(long, value_name = "PATH")]
    pub zip: Option<PathBuf>,
    /// Show what would be created or updated, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl DeployArgs {
    /// The request, reading the secret from stdin when asked.
    fn request(&self) -> anyhow::Result<DeployRequest> {
        let keys = KeySource::from_flags(
            self.access_key_id.as_deref(),
            self.create_user,
            self.rotate_key,
            || secret_from_stdin("secret access key"),
        )?;
        Ok(DeployRequest {
            user_pool_id: self.user_pool_id.clone(),
            client_ids: self.client_ids.clone(),
            identity_pool_id: self.identity_pool_id.clone(),
            function_name: self.function_name.clone(),
            iam_user_name: self.iam_user_name.clone(),
            execution_role_name: self.execution_role_name.clone(),
            long_lived_role_name: self.long_lived_role_name.clone(),
            keys,
            dry_run: self.dry_run,
        })
    }
}

pub async fn run(cmd: Command, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        Command::Deploy(args) => deploy(args, ctx).await,
    }
}

async fn deploy(args: DeployArgs, ctx: &Context) -> anyhow::Result<()> {
    let zip_path = args
        .zip
        .clone()
        .unwrap_or_else(|| ctx.cwd.join(DEFAULT_ZIP));
    let zip = std::fs::read(&zip_path).with_context(|| {
        format!(
            "cannot read the lambda package `{}`: build it with `cargo xtask package-lambda` \
             in the cogauth source tree, or pass --zip PATH",
            zip_path.display()
        )
    })?;
    let (admin, sdk) = ctx.admin().await?;
    let options = args
        .request()?
        .resolve_with_user_config(&admin.config, &ctx.env)?;
    let outcome = lambda_deploy::deploy(&sdk, &options, &zip).await?;
    for line in outcome.report_lines() {
        println!("{line}");
    }
    for warning in &outcome.warnings {
        eprintln!("cogadmin: warning: {warning}");
    }
    Ok(())
}
