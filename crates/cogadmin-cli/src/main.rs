//! `cogadmin`: the administrator's command line. Thin: argument parsing, prompts and output;
//! the work is done by `cogauth_admin`. Only `output` prints (the lints below say so).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod configure;
mod context;
mod group;
mod input;
mod lambda;
mod output;
mod policy;
mod role;
mod setup;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use context::Context;

#[derive(Parser)]
#[command(
    name = "cogadmin",
    version,
    about = "Set up AWS Cognito pools, IAM roles and policies, and the cogauth credential proxy"
)]
struct Cli {
    /// More logging (-v info, -vv debug, -vvv trace); RUST_LOG also works. Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// AWS region for the administrative calls (default: the AWS config chain, then the admin config).
    #[arg(long, global = true)]
    region: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set the names and defaults cogadmin uses (stored in admin.toml).
    Configure(configure::Args),
    /// Create whatever is missing: user pool and client (if asked), identity pool, role, attachment.
    Setup(setup::Args),
    /// The original's interactive identity-pool setup (now also attaches the roles).
    SetupIdentityPool(setup::IdentityPoolArgs),
    /// Inspect the identity pool's roles and apply policies to them.
    #[command(subcommand)]
    Role(role::Command),
    /// Create ready-made policies for the identity pool's authenticated role.
    #[command(subcommand)]
    Policy(policy::Command),
    /// Manage user-pool users.
    #[command(subcommand)]
    User(user::Command),
    /// Manage user-pool groups and the roles their members may take.
    #[command(subcommand)]
    Group(group::Command),
    /// Deploy the cogauth credential-proxy Lambda.
    #[command(subcommand)]
    Lambda(lambda::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cogauth_logging(cli.verbose);
    let ctx = Context::new(cli.region);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(&anyhow::anyhow!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Configure(args) => configure::run(args, &ctx).await,
            Command::Setup(args) => setup::run(args, &ctx).await,
            Command::SetupIdentityPool(args) => setup::run_identity_pool(args, &ctx).await,
            Command::Role(cmd) => role::run(cmd, &ctx).await,
            Command::Policy(cmd) => policy::run(cmd, &ctx).await,
            Command::User(cmd) => user::run(cmd, &ctx).await,
            Command::Group(cmd) => group::run(cmd, &ctx).await,
            Command::Lambda(cmd) => lambda::run(cmd, &ctx).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`cogadmin user list | head`) is not an error to report.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&e);
            ExitCode::FAILURE
        }
    }
}

fn cogauth_logging(verbose: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = cogauth_core::log_filter::filter(verbose, rust_log.as_deref());
    for ignored in &filter.ignored {
        output::warning(format_args!("ignoring RUST_LOG directive {ignored}"));
    }
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(cogauth_core::log_filter::colour(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var("NO_COLOR").ok().as_deref(),
        ))
        .without_time()
        // Everything reaches the filter, which decides.
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .finish()
        .with(targets(filter))
        .init();
}

/// The log filter as a layer: target prefixes and levels (see `cogauth_core::log_filter`).
fn targets(filter: cogauth_core::log_filter::Filter) -> tracing_subscriber::filter::Targets {
    let targets = tracing_subscriber::filter::Targets::new().with_targets(filter.targets);
    match filter.default {
        Some(level) => targets.with_default(level),
        None => targets,
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every flag and argument of every command says what it is for in `--help`.
    #[test]
    fn every_argument_has_help() {
        fn check(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                check(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let cli = super::Cli::command();
        cli.clone().debug_assert();
        let mut missing = Vec::new();
        check(&cli, "cogadmin", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:?}");
    }
}
