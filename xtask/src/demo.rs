//! `cargo xtask demo`: the whole journey on a fresh machine, against the local emulator, with
//! the real binaries: setup, a user, an SRP login, status, and an AWS call with the result.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use cogauth_test_support::harness;

const PASSWORD: &str = "Demo-Passw0rd!";

struct Demo {
    home: tempfile::TempDir,
    endpoint: String,
    bin: PathBuf,
    aws_cli: PathBuf,
}

impl Demo {
    /// A command with a clean environment: the demo's HOME, the emulator as AWS endpoint.
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        let path = format!(
            "{}:{}",
            self.aws_cli.parent().expect("venv bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("PATH", path)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .current_dir(self.home.path());
        cmd
    }

    /// The administrator's commands use the normal AWS credential chain; the emulator accepts
    /// any keys.
    fn admin(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let mut cmd = self.command(&self.bin.join("cogadmin"));
        cmd.env("AWS_ACCESS_KEY_ID", "demo")
            .env("AWS_SECRET_ACCESS_KEY", "demo")
            .env("AWS_REGION", "us-east-1");
        run(cmd, "cogadmin", args, stdin)
    }

    /// The end user's commands need no AWS credentials at all.
    fn user(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        run(
            self.command(&self.bin.join("cogauth")),
            "cogauth",
            args,
            stdin,
        )
    }
}

fn run(mut cmd: Command, name: &str, args: &[&str], stdin: Option<&str>) -> Result<String> {
    println!("\n  $ {name} {}", args.join(" "));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().with_context(|| format!("cannot run {name}"))?;
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(input.as_bytes())?;
    }
    drop(child.stdin.take());
    let out = child.wait_with_output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for line in text.lines() {
        println!("    {line}");
    }
    if !out.status.success() {
        bail!("`{name} {}` failed ({})", args.join(" "), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn step(n: u32, text: &str) {
    println!("\n[{n}/6] {text}");
}

/// How the demo gets its binaries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Binaries {
    /// `cargo build` them first (`cargo xtask demo`).
    Build,
    /// Use those `cargo test --workspace` has just built (`cargo xtask test`): a `cargo build`
    /// of the two CLIs alone turns on other features of their dependencies than the tests'
    /// build, and would compile the AWS SDK once more.
    AlreadyBuilt,
}

pub fn run_demo(binaries: Binaries) -> Result<()> {
    println!(
        "cogauth demo: the whole journey against a local AWS emulator (no AWS account needed)"
    );
    step(
        1,
        "Building cogauth and cogadmin, and starting the local AWS emulator (moto_server)",
    );
    if binaries == Binaries::Build {
        let status = crate::cargo()
            .args([
                "build",
                "--quiet",
                "-p",
                "cogauth-cli",
                "-p",
                "cogadmin-cli",
            ])
            .status()?;
        if !status.success() {
            bail!("cargo build failed");
        }
    }
    let bin = harness::target_dir().join("debug");
    for name in ["cogauth", "cogadmin"] {
        if !bin.join(name).is_file() {
            bail!(
                "{} is missing: build it with `cargo build -p cogauth-cli -p cogadmin-cli`, or run \
                 `cargo xtask demo`, which builds it",
                bin.join(name).display()
            );
        }
    }
    let venv = harness::ensure_venv().map_err(anyhow::Error::msg)?;
    let mut emulator =
        harness::start(&venv, Some(std::process::id())).map_err(anyhow::Error::msg)?;
    println!("    emulator at {}", emulator.endpoint);
    let demo = Demo {
        home: tempfile::tempdir()?,
        endpoint: emulator.endpoint.clone(),
        bin,
        aws_cli: harness::venv_dir().join("bin/aws"),
    };
    let result = journey(&demo);
    let _ = emulator.child.kill();
    let _ = emulator.child.wait();
    println!(
        "\n[teardown] stopped the emulator and removed the demo HOME {}",
        demo.home.path().display()
    );
    result?;
    println!(
        "\nDone. Against a real AWS account:\n\
         \x20 cogadmin setup --create-user-pool my-app --write-profile dev   # with admin credentials\n\
         \x20 cogadmin user create you@example.com --email you@example.com --temporary-password-stdin\n\
         \x20 cogauth login --profile dev -u you@example.com\n\
         \x20 aws --profile dev sts get-caller-identity\n\
         See docs/quickstart.md."
    );
    Ok(())
}

fn journey(demo: &Demo) -> Result<()> {
    step(
        2,
        "An administrator creates a user pool, an app client, an identity pool, and its IAM role",
    );
    demo.admin(
        &[
            "setup",
            "--create-user-pool",
            "cogauth-demo",
            "--write-profile",
            "demo",
        ],
        None,
    )?;

    step(3, "The administrator creates a user");
    demo.admin(
        &[
            "user",
            "create",
            "alice",
            "--email",
            "alice@example.com",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )?;

    step(
        4,
        "Alice logs in with SRP (her password never leaves the machine); no AWS credentials needed",
    );
    demo.user(
        &[
            "login",
            "--profile",
            "demo",
            "-u",
            "alice",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )?;

    step(5, "What cogauth knows about the profile");
    demo.user(&["status", "--profile", "demo"], None)?;

    step(
        6,
        "Any AWS tool can use the credentials: here through `cogauth exec`",
    );
    if demo.aws_cli.exists() {
        demo.user(
            &[
                "exec",
                "--profile",
                "demo",
                "--",
                "aws",
                "sts",
                "get-caller-identity",
            ],
            None,
        )?;
    } else {
        bail!(
            "the AWS CLI is missing from the emulator's venv ({})",
            demo.aws_cli.display()
        );
    }
    Ok(())
}
