//! `cargo xtask test`: what CI runs. Formatting, lints, docs, then every test of the
//! workspace against one emulator that this task starts and stops, then the demo.

use std::process::Command;

use anyhow::{Result, bail};
use cogauth_test_support::{EMULATOR_URL_VAR, harness};

#[derive(clap::Args)]
pub struct Args {
    /// Skip `cargo fmt --check`, clippy and the docs build (for a quick local loop).
    #[arg(long)]
    pub no_lint: bool,
    /// Skip the demo at the end.
    #[arg(long)]
    pub no_demo: bool,
    /// Extra arguments for `cargo test` (e.g. a test name filter), after `--`.
    #[arg(last = true)]
    pub cargo_test_args: Vec<String>,
}

fn step(name: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: == {name}");
    let status = cmd.status()?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

pub fn run(args: &Args) -> Result<()> {
    if !args.no_lint {
        step(
            "cargo fmt --check",
            crate::cargo().args(["fmt", "--all", "--", "--check"]),
        )?;
        step(
            "cargo clippy",
            crate::cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
        step(
            "cargo doc",
            crate::cargo()
                .args(["doc", "--no-deps", "--workspace", "--quiet"])
                .env("RUSTDOCFLAGS", "-D warnings"),
        )?;
    }

    eprintln!("xtask: == starting the emulator");
    let venv = harness::ensure_venv().map_err(anyhow::Error::msg)?;
    let mut running =
        harness::start(&venv, Some(std::process::id())).map_err(anyhow::Error::msg)?;
    eprintln!("xtask: emulator at {}", running.endpoint);

    let result = selftests(&venv, &running.endpoint).and_then(|()| {
        step(
            "cargo test",
            crate::cargo()
                .args(["test", "--workspace"])
                .args(&args.cargo_test_args)
                .env(EMULATOR_URL_VAR, &running.endpoint),
        )
    });
    let _ = running.child.kill();
    let _ = running.child.wait();
    result?;

    if !args.no_demo {
        eprintln!("xtask: == cargo xtask demo");
        crate::demo::run_demo()?;
    }
    Ok(())
}

/// The emulator harness's own self-tests (Python, against the running server): each drives the
/// extensions it covers through boto3 and HTTP with an independent client, so a broken harness
/// fails here with a clear message instead of as a puzzling failure in a Rust test.
const SELFTESTS: &[(&str, &[&str])] = &[
    ("selftest_pool_flows.py", &[]),
    ("selftest_misc.py", &[]),
    ("selftest_managed_login.py", &["--endpoint"]),
    ("selftest_challenges.py", &[]),
];

fn selftests(venv: &std::path::Path, endpoint: &str) -> Result<()> {
    let dir = harness::launcher()
        .parent()
        .expect("the launcher has a directory")
        .to_path_buf();
    for (script, flags) in SELFTESTS {
        step(
            &format!("emulator self-test {script}"),
            Command::new(venv.join("bin/python"))
                .arg(dir.join(script))
                .args(*flags)
                .arg(endpoint)
                .env(EMULATOR_URL_VAR, endpoint),
        )?;
    }
    Ok(())
}
