//! `cogadmin lambda deploy`: deploys the credential-proxy Lambda with
//! `cogauth_admin::lambda_deploy`, whose flags ([`DeployArgs`]) and code `cargo xtask
//! deploy-lambda` runs too. Only the package's path is cogadmin's own.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cogauth_admin::lambda_deploy::cli::{DeployArgs, RotateArgs};
use cogauth_admin::lambda_deploy::{self, bundle};

use crate::Context;
use crate::input::secret_from_stdin;
use crate::output;

/// Where `cargo xtask package-lambda` writes the package, relative to the source tree.
const DEFAULT_ZIP: &str = "target/lambda/cogauth-lambda.zip";

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create or update the IAM user and its key, the secret that holds the key, the roles, the
    /// function and the invoke permission; idempotent. The key's secret is never printed.
    Deploy(DeployCommand),
    /// Replace the proxy's IAM user key: a new key, written to the secret, checked, then the
    /// old key deleted. The proxy keeps serving throughout; no secret is printed.
    RotateKey(RotateArgs),
}

#[derive(clap::Args)]
pub struct DeployCommand {
    #[command(flatten)]
    args: DeployArgs,
    /// The package from `cargo xtask package-lambda` [default: target/lambda/cogauth-lambda.zip].
    #[arg(long, value_name = "PATH")]
    zip: Option<PathBuf>,
    /// The original's flag: accepted when PATH is a zip holding an executable `bootstrap`,
    /// as --zip (the original's Python code cannot be deployed).
    #[arg(long, value_name = "PATH", conflicts_with = "zip", hide = true)]
    lambda_code: Option<PathBuf>,
}

pub async fn run(cmd: Command, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        Command::Deploy(cmd) => deploy(cmd, ctx).await,
        Command::RotateKey(args) => rotate_key(args, ctx).await,
    }
}

async fn rotate_key(args: RotateArgs, ctx: &Context) -> anyhow::Result<()> {
    let (admin, sdk) = ctx.admin().await?;
    ctx.consent_to_local_names(&admin, args.adopt)?;
    let fallback = sdk.region().map(|r| r.as_ref().to_owned());
    let options = args.options(ctx.region.clone(), fallback.as_deref(), &admin, &ctx.env)?;
    let outcome = lambda_deploy::rotate_key(&sdk, &options).await?;
    for line in outcome.report_lines() {
        output::line(line);
    }
    Ok(())
}

async fn deploy(cmd: DeployCommand, ctx: &Context) -> anyhow::Result<()> {
    let zip = match &cmd.lambda_code {
        Some(path) => lambda_code_package(path)?,
        None => {
            let path = cmd.zip.clone().unwrap_or_else(|| ctx.cwd.join(DEFAULT_ZIP));
            std::fs::read(&path).with_context(|| {
                format!(
                    "cannot read the lambda package `{}`: build it with `cargo xtask \
                     package-lambda` in the cogauth source tree, or pass --zip PATH",
                    path.display()
                )
            })?
        }
    };
    let (admin, sdk) = ctx.admin().await?;
    ctx.consent_to_local_names(&admin, cmd.args.adopt)?;
    let options = cmd
        .args
        .request(ctx.region.clone(), || {
            secret_from_stdin("secret access key")
        })?
        .resolve(&admin, &ctx.env)?;
    let outcome = lambda_deploy::deploy(&sdk, &options, &zip).await?;
    output::print_deploy(&outcome);
    Ok(())
}

/// The package `--lambda-code PATH` names, when it is one cogauth can deploy. The original
/// took the path of its Python function there; that code is replaced by the Rust proxy.
fn lambda_code_package(path: &Path) -> anyhow::Result<Vec<u8>> {
    let explain = |why: String| {
        anyhow::anyhow!(
            "--lambda-code `{}` {why}: the original's Python function is not deployable, the \
             proxy is now a native `bootstrap`; build it with `cargo xtask package-lambda` and \
             pass the zip with --zip target/lambda/cogauth-lambda.zip",
            path.display()
        )
    };
    let bytes = std::fs::read(path).map_err(|e| explain(format!("cannot be read ({e})")))?;
    bundle::inspect(&bytes).map_err(|e| explain(format!("is not a proxy package ({e})")))?;
    Ok(bytes)
}
