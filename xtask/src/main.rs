//! `cargo xtask`: the project's automation, in Rust, with few dependencies.
//!
//! One module per task: [`emulator`] runs the local AWS emulator, [`mod@test`] is CI's entry
//! point, [`demo`] is the newcomer's first command.

mod bench;
mod demo;
mod emulator;
mod lambda;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, test and demo automation for the cogauth workspace"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run the whole check suite as CI does: fmt, clippy, docs, the emulator harness self-tests, every test against the emulator, and the demo.
    Test(test::Args),
    /// The whole journey against a local emulator: setup, a user, an SRP login, an AWS call.
    Demo,
    /// Manage the local AWS emulator (moto_server) used by the tests.
    #[command(subcommand)]
    Emulator(emulator::Command),
    /// Build the credential-proxy Lambda (x86_64, glibc <= 2.34) into target/lambda/cogauth-lambda.zip.
    PackageLambda,
    /// Package the credential-proxy Lambda, then deploy it (same code as `cogadmin lambda deploy`).
    DeployLambda(Box<lambda::DeployLambdaArgs>),
    /// Measure login, warm credential-process, SRP and peak RSS against the emulator, beside the original Python tool; write docs/benchmarks.md.
    Bench(bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Test(args) => test::run(&args),
        Task::Demo => demo::run_demo(demo::Binaries::Build),
        Task::Emulator(cmd) => emulator::run(cmd),
        Task::PackageLambda => lambda::package().map(|_| ()),
        Task::DeployLambda(args) => lambda::deploy(*args),
        Task::Bench(args) => bench::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The cargo running xtask (or `cargo`).
pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// [`cargo_program`], in the workspace root.
pub fn cargo() -> std::process::Command {
    let mut cmd = std::process::Command::new(cargo_program());
    cmd.current_dir(workspace_root());
    cmd
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}
