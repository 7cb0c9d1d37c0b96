//! `cargo xtask test`: what CI runs. Formatting, lints, docs, then every test of the
//! workspace against one emulator that this task starts and stops, then the demo.
//!
//! CI has two cores and no cache, and the tests spend much of their time waiting (for the
//! emulator, a browser, credentials to expire), so the work that only needs the processors runs
//! beside them at the lowest priority: the Lambda's release build, clippy, the docs and the
//! doc tests. The test executables are built once (`cargo test --no-run`) and run from here,
//! those that package the Lambda last, so that no cargo lock is held while they run.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use cogauth_test_support::{EMULATOR_URL_VAR, harness};

#[derive(clap::Args)]
pub struct Args {
    /// Skip `cargo fmt --check`, clippy and the docs build (for a quick local loop).
    #[arg(long)]
    pub no_lint: bool,
    /// Skip the demo at the end.
    #[arg(long)]
    pub no_demo: bool,
    /// Extra arguments for `cargo test` (e.g. a test name filter), after `--`: then the tests
    /// run through `cargo test` itself, after the lints.
    #[arg(last = true)]
    pub cargo_test_args: Vec<String>,
}

/// Each step's name and wall time, in order of completion, for the summary at the end.
static TIMINGS: Mutex<Vec<(String, Duration)>> = Mutex::new(Vec::new());

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
    TIMINGS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((name.to_owned(), elapsed));
    result
}

fn step(name: &str, cmd: &mut Command) -> Result<()> {
    timed(name, || {
        let status = cmd
            .status()
            .with_context(|| format!("cannot start {name}"))?;
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
fn summary(timings: &[(String, Duration)], total: Duration) -> String {
    let mut out = String::from("xtask: step timings (wall time)\n");
    for (name, elapsed) in timings {
        out.push_str(&format!("xtask:   {:>8}  {name}\n", seconds(*elapsed)));
    }
    out.push_str(&format!("xtask:   {:>8}  total\n", seconds(total)));
    out
}

pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let result = run_steps(args);
    // Printed on failure too: a slow step is worth knowing either way.
    let timings = TIMINGS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    eprint!("{}", summary(&timings, started.elapsed()));
    result
}

fn fmt_check() -> Result<()> {
    step(
        "cargo fmt --check",
        crate::cargo().args(["fmt", "--all", "--", "--check"]),
    )
}

fn clippy(cmd: &mut Command) -> &mut Command {
    cmd.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ])
}

fn doc(cmd: &mut Command) -> &mut Command {
    cmd.args(["doc", "--no-deps", "--workspace", "--quiet"])
        .env("RUSTDOCFLAGS", "-D warnings")
}

/// The emulator's venv, installed (pip, from the network) on another thread while this one
/// builds.
fn venv_in_background() -> JoinHandle<Result<PathBuf, String>> {
    std::thread::spawn(harness::ensure_venv)
}

fn start_emulator(
    venv: JoinHandle<Result<PathBuf, String>>,
) -> Result<(PathBuf, harness::Running)> {
    timed("starting the emulator", || {
        let venv = venv
            .join()
            .map_err(|_| anyhow::anyhow!("installing the emulator panicked"))?
            .map_err(anyhow::Error::msg)?;
        let running =
            harness::start(&venv, Some(std::process::id())).map_err(anyhow::Error::msg)?;
        eprintln!("xtask: emulator at {}", running.endpoint);
        Ok((venv, running))
    })
}

fn run_steps(args: &Args) -> Result<()> {
    if !args.no_lint {
        fmt_check()?;
    }
    let venv = venv_in_background();
    if !args.cargo_test_args.is_empty() {
        return run_through_cargo_test(args, venv);
    }

    // The Lambda's release build starts first: at the lowest priority it takes what the tests'
    // build leaves (its links, its last crates), where it would otherwise be the longest step
    // after the tests.
    let lambda = lambda_in_background();
    let binaries = match timed("building the tests (cargo test --no-run)", build_tests) {
        Ok(binaries) => binaries,
        Err(e) => {
            let _ = lambda.join();
            return Err(e);
        }
    };
    let background = in_background(lambda, !args.no_lint);

    let (venv, mut running) = match start_emulator(venv) {
        Ok(started) => started,
        Err(e) => {
            // Not before the background steps end: their cargo would outlive this one.
            let _ = background.join();
            return Err(e);
        }
    };
    let endpoint = running.endpoint.clone();
    let tests = selftests(&venv, &endpoint).and_then(|()| run_tests(&binaries, &endpoint));
    let _ = running.child.kill();
    let _ = running.child.wait();
    let demo = match (&tests, args.no_demo) {
        (Ok(()), false) => timed("cargo xtask demo", || {
            crate::demo::run_demo(crate::demo::Binaries::AlreadyBuilt)
        }),
        _ => Ok(()),
    };
    let background = background
        .join()
        .map_err(|_| anyhow::anyhow!("the background steps panicked"))?;
    tests?;
    demo?;
    background
}

/// With extra `cargo test` arguments: everything in turn, the tests through `cargo test`.
fn run_through_cargo_test(args: &Args, venv: JoinHandle<Result<PathBuf, String>>) -> Result<()> {
    if !args.no_lint {
        step("cargo clippy", clippy(&mut crate::cargo()))?;
        step("cargo doc", doc(&mut crate::cargo()))?;
    }
    let (venv, mut running) = start_emulator(venv)?;
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
        timed("cargo xtask demo", || {
            crate::demo::run_demo(crate::demo::Binaries::AlreadyBuilt)
        })?;
    }
    Ok(())
}

/// Packages whose tests package the Lambda (`cargo xtask package-lambda`): they run last.
const PACKAGING_THE_LAMBDA: &[&str] = &["cogadmin-cli", "xtask"];

/// One test executable of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TestBinary {
    package: String,
    /// `lib`, `bin`, `test`, `example`...
    kind: String,
    target: String,
    executable: PathBuf,
    /// The package's directory: cargo runs a package's tests there.
    package_dir: PathBuf,
}

/// The test executables in cargo's JSON messages, in the order they should run.
fn test_binaries(messages: &str) -> Result<Vec<TestBinary>> {
    let mut binaries = Vec::new();
    for line in messages.lines().filter(|l| l.starts_with('{')) {
        let message: serde_json::Value =
            serde_json::from_str(line).context("cargo printed a message that is not JSON")?;
        if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
            continue;
        }
        let Some(executable) = message["executable"].as_str() else {
            continue;
        };
        let manifest = PathBuf::from(
            message["manifest_path"]
                .as_str()
                .context("a compiler artifact without a manifest path")?,
        );
        let package_dir = manifest
            .parent()
            .context("a manifest path without a directory")?
            .to_path_buf();
        // `path+file:///dir/name#version`, or `...#name@version` when the name is not the
        // directory's.
        let id = message["package_id"].as_str().unwrap_or_default();
        let fragment = id.rsplit('#').next().unwrap_or_default();
        let package = match fragment.split_once('@') {
            Some((name, _)) => name.to_owned(),
            None => package_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        binaries.push(TestBinary {
            package,
            kind: message["target"]["kind"][0]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            target: message["target"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            executable: PathBuf::from(executable),
            package_dir,
        });
    }
    // Stable: cargo's order (by package) otherwise.
    binaries.sort_by_key(|b| PACKAGING_THE_LAMBDA.contains(&b.package.as_str()));
    Ok(binaries)
}

/// Builds every test executable. (Linting them while building, with clippy-driver as cargo's
/// RUSTC_WORKSPACE_WRAPPER, saved nothing: `cargo doc` then compiled the dependencies'
/// metadata that `cargo clippy` otherwise leaves for it.)
fn build_tests() -> Result<Vec<TestBinary>> {
    let out = crate::cargo()
        .args([
            "test",
            "--workspace",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo test --no-run")?;
    if !out.status.success() {
        bail!("building the tests failed ({})", out.status);
    }
    test_binaries(&String::from_utf8_lossy(&out.stdout))
}

/// Runs every test executable as `cargo test` would (in its package's directory, with cargo's
/// variables), all of them even when one fails.
fn run_tests(binaries: &[TestBinary], endpoint: &str) -> Result<()> {
    let cargo = crate::cargo_program();
    // The tests that deploy the Lambda package the debug build the tests use; the release
    // package is built and checked beside them (`in_background`).
    let prebuilt_lambda = harness::target_dir().join("debug/cogauth-lambda");
    let mut failed = Vec::new();
    timed("running the tests", || {
        for b in binaries {
            let name = format!("{} {} {}", b.package, b.kind, b.target);
            eprintln!("xtask: running {name} ({})", b.executable.display());
            let started = Instant::now();
            let mut cmd = Command::new(&b.executable);
            if prebuilt_lambda.is_file() {
                cmd.env(crate::lambda::PREBUILT_VAR, &prebuilt_lambda);
            }
            let status = cmd
                .current_dir(&b.package_dir)
                .env("CARGO", &cargo)
                .env("CARGO_MANIFEST_DIR", &b.package_dir)
                .env("CARGO_PKG_NAME", &b.package)
                .env(EMULATOR_URL_VAR, endpoint)
                .status()
                .with_context(|| format!("cannot run {}", b.executable.display()))?;
            let elapsed = started.elapsed();
            if elapsed > Duration::from_secs(10) {
                TIMINGS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((format!("  tests of {name}"), elapsed));
            }
            if !status.success() {
                failed.push(name);
            }
        }
        if !failed.is_empty() {
            bail!("tests failed in: {}", failed.join(", "));
        }
        Ok(())
    })
}

/// [`crate::cargo`] at the lowest scheduling priority, so that it takes only the time the tests
/// leave.
fn low_priority_cargo() -> Command {
    let mut cmd = Command::new("nice");
    cmd.args(["-n", "19"])
        .arg(crate::cargo_program())
        .current_dir(crate::workspace_root());
    cmd
}

/// The Lambda's release package, on another thread at the lowest priority.
fn lambda_in_background() -> JoinHandle<Result<()>> {
    std::thread::spawn(|| {
        timed("(background) the Lambda's release package", || {
            crate::lambda::package_release(&mut low_priority_cargo()).map(drop)
        })
    })
}

/// The other processor-only steps, after the Lambda's package and one after the other on
/// another thread at the lowest priority: clippy, the docs (which use the dependencies' metadata
/// clippy compiled) and the doc tests. Every one runs even when another fails; the first failure
/// is returned. (Beside the Lambda's build rather than after it, they only took longer: CI's two
/// cores are busy with the tests too.)
fn in_background(lambda: JoinHandle<Result<()>>, lint: bool) -> JoinHandle<Result<()>> {
    std::thread::spawn(move || {
        let mut results = vec![
            lambda
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the Lambda's release package panicked"))),
        ];
        if lint {
            results.push(step(
                "(background) cargo clippy",
                clippy(&mut low_priority_cargo()),
            ));
            results.push(step(
                "(background) cargo doc",
                doc(&mut low_priority_cargo()),
            ));
        }
        results.push(step(
            "(background) doc tests",
            low_priority_cargo().args(["test", "--workspace", "--doc", "--quiet"]),
        ));
        results.into_iter().collect()
    })
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
        let timings = vec![
            ("first step".to_owned(), Duration::from_millis(1_500)),
            ("second step".to_owned(), Duration::from_millis(20)),
        ];
        let summary = summary(&timings, Duration::from_millis(12_345));
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(lines[0], "xtask: step timings (wall time)");
        assert!(lines[1].ends_with("  first step"), "{summary}");
        assert!(lines[2].ends_with("  second step"), "{summary}");
        assert_eq!(lines[3], "xtask:     12.3 s  total");
    }

    #[test]
    fn test_binaries_come_from_cargos_messages_and_lambda_packagers_run_last() {
        let messages = [
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/xtask#0.1.0","manifest_path":"/w/xtask/Cargo.toml","target":{"kind":["test"],"name":"deploy_lambda"},"profile":{"test":true},"executable":"/w/target/debug/deps/deploy_lambda-1"}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/cogadmin-cli#0.1.0","manifest_path":"/w/crates/cogadmin-cli/Cargo.toml","target":{"kind":["test"],"name":"it"},"profile":{"test":true},"executable":"/w/target/debug/deps/it-2"}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/cogauth-cli#0.1.0","manifest_path":"/w/crates/cogauth-cli/Cargo.toml","target":{"kind":["bin"],"name":"cogauth"},"profile":{"test":false},"executable":"/w/target/debug/cogauth"}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/cli#cogauth-cli@0.1.0","manifest_path":"/w/crates/cli/Cargo.toml","target":{"kind":["test"],"name":"it"},"profile":{"test":true},"executable":"/w/target/debug/deps/it-3"}"#,
            r#"{"reason":"compiler-artifact","package_id":"registry+https://x#serde@1.0.0","manifest_path":"/r/serde/Cargo.toml","target":{"kind":["lib"],"name":"serde"},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        let binaries = test_binaries(&messages).unwrap();
        let names: Vec<(&str, &str, &str)> = binaries
            .iter()
            .map(|b| (b.package.as_str(), b.kind.as_str(), b.target.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("cogauth-cli", "test", "it"),
                ("xtask", "test", "deploy_lambda"),
                ("cogadmin-cli", "test", "it"),
            ]
        );
        assert_eq!(binaries[0].package_dir, PathBuf::from("/w/crates/cli"));
        assert_eq!(
            binaries[2].executable,
            PathBuf::from("/w/target/debug/deps/it-2")
        );
    }
}
