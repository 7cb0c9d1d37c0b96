//! `cogauth`: log in to AWS Cognito and hand temporary AWS credentials to every AWS tool.
//!
//! Thin: argument parsing, prompts and output. The work is done by `cogauth_core`.

mod browser;
mod browser_args;
mod completions;
mod configure;
mod console;
mod context;
mod credential_process;
mod doctor;
mod exec;
mod export;
mod login;
mod logout;
mod obtain;
mod profile_args;
mod report;
mod roles;
mod serve;
mod session_view;
mod status;
mod terminal;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "cogauth",
    version,
    about = "Log in to AWS Cognito and hand temporary AWS credentials to every AWS tool",
    after_help = "Start with `cogauth configure`, then `cogauth login`."
)]
pub struct Cli {
    /// More logging on stderr (-v: each AWS call with its endpoint and duration, -vv debug, -vvv trace); RUST_LOG also works. Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a profile: user pool, app client, identity pool, region (prompts, or flags).
    Configure(configure::ConfigureArgs),
    /// Log in (SRP by default, every challenge) and hand the credentials to the AWS tools.
    Login(login::LoginArgs),
    /// Show the resolved configuration, where each value came from, and the session.
    Status(status::StatusArgs),
    /// Print credentials for the AWS CLI's `credential_process` (JSON on stdout only).
    CredentialProcess(credential_process::CredentialProcessArgs),
    /// Run a command with the profile's credentials in its environment.
    Exec(exec::ExecArgs),
    /// Print the credentials for a shell, a .env file or as JSON.
    Export(export::ExportArgs),
    /// Serve the credentials to long jobs on loopback (AWS_CONTAINER_CREDENTIALS_FULL_URI), refreshed silently.
    Serve(serve::ServeArgs),
    /// Print the user pool's ID or access token, for APIs with a Cognito authorizer.
    Token(token::TokenArgs),
    /// List the roles your user-pool groups let you take (`login --role` picks one).
    Roles(roles::RolesArgs),
    /// Open the AWS Management Console signed in with the profile's credentials (or print the URL).
    Console(console::ConsoleArgs),
    /// Check the config, endpoints, pools, role, clock and file permissions, with a fix for each problem.
    Doctor(doctor::DoctorArgs),
    /// Revoke the refresh token and remove the cached session and cogauth's AWS profile.
    Logout(logout::LogoutArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Print the man page (or write all pages into a directory).
    Man(completions::ManArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Configure(args) => configure::run(args),
        Command::Login(args) => login::run(args),
        Command::Status(args) => status::run(args),
        Command::CredentialProcess(args) => credential_process::run(args),
        Command::Exec(args) => exec::run(args),
        Command::Export(args) => export::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Token(args) => token::run(args),
        Command::Roles(args) => roles::run(args),
        Command::Console(args) => console::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Logout(args) => logout::run(args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`cogauth man | head`) is not an error worth reporting.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cogauth: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = cogauth_core::log_filter::filter(verbose, rust_log.as_deref());
    for ignored in &filter.ignored {
        eprintln!("cogauth: warning: ignoring RUST_LOG directive {ignored}");
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
