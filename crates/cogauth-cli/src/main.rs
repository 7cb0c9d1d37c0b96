//! `cogauth`: log in to AWS Cognito and hand temporary AWS credentials to every AWS tool.
//!
//! Thin: argument parsing, prompts and output. The work is done by `cogauth_core`.

mod configure;
mod profile_args;
mod session_view;
mod status;
mod terminal;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cogauth",
    version,
    about = "Log in to AWS Cognito and hand temporary AWS credentials to every AWS tool",
    after_help = "Start with `cogauth configure`, then `cogauth login`."
)]
struct Cli {
    /// More logging on stderr (-v info, -vv debug: each AWS call, -vvv trace); RUST_LOG also works. Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a profile: user pool, app client, identity pool, region (prompts, or flags).
    Configure(configure::ConfigureArgs),
    /// Show the resolved configuration, where each value came from, and the session.
    Status(status::StatusArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Configure(args) => configure::run(args),
        Command::Status(args) => status::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cogauth: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = tracing_subscriber::EnvFilter::new(cogauth_core::log_filter::directives(
        verbose,
        rust_log.as_deref(),
    ));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}
