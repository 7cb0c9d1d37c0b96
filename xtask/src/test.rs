//! `cargo xtask test`: what CI runs. Formatting, lints, docs, then every test of the
//! workspace against one emulator that this task starts and stops, then the demo.

use std::cell::RefCell;
use std::process::Command;
use std::time::{Duration, Instant};

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

thread_local! {
    /// Each step's name and wall time, in order, for the summary at the end.
    static TIMINGS: RefCell<Vec<(String, Duration)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `work` as the step `name`: announced before, timed, and listed in the summary.
fn timed<T>(name: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
    eprintln!("xtask: == {name}");
    let started = Instant::now();
    let result = work();
    let elapsed = started.elapsed();
    eprintln!(
        "xtask: == {name}: {} in {}",
        if result.is_ok() { "done" } else { "failed" },
        seconds(elapsed)
    );
    TIMINGS.with(|t| t.borrow_mut().push((name.to_owned(), elapsed)));
    result
}

fn step(name: &str, cmd: &mut Command) -> Result<()> {
    timed(name, || {
        let status = cmd.status()?;
        if !status.success() {
            bail!("{name} failed ({status})");
        }
        Ok(())
    })
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The step timings and the total, so that CI's log says where its time went.
fn summary(total: Duration) -> String {
    let mut out = String::from("xtask: step timings (wall time)\n");
    TIMINGS.with(|t| {
        for (name, elapsed) in t.borrow().iter() {
            out.push_str(&format!("xtask:   {:>8}  {name}\n", seconds(*elapsed)));
        }
    });
    out.push_str(&format!("xtask:   {:>8}  total\n", seconds(total)));
    out
}

pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let result = run_steps(args);
    // Printed on failure too: a slow step is worth knowing either way.
    eprint!("{}", summary(started.elapsed()));
    result
}

fn run_steps(args: &Args) -> Result<()> {
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

    let (venv, mut running) = timed("starting the emulator", || {
        let venv = harness::ensure_venv().map_err(anyhow::Error::msg)?;
        let running =
            harness::start(&venv, Some(std::process::id())).map_err(anyhow::Error::msg)?;
        Ok((venv, running))
    })?;
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
        timed("cargo xtask demo", crate::demo::run_demo)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_every_step_with_its_time_and_the_total() {
        timed("first step", || Ok(())).unwrap();
        let failed = timed("second step", || -> Result<()> { bail!("broken") });
        assert!(failed.is_err());
        let summary = summary(Duration::from_millis(12_345));
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(lines[0], "xtask: step timings (wall time)");
        assert!(lines[1].ends_with("  first step"), "{summary}");
        assert!(lines[2].ends_with("  second step"), "{summary}");
        assert_eq!(lines[3], "xtask:     12.3 s  total");
    }
}
