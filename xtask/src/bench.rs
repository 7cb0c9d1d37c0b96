//! `cargo xtask bench`: measures the release binaries against a local emulator, side by side
//! with the original Python tool, and writes `docs/benchmarks.md`.
//!
//! Measured with the release build of `cogauth` (`cogadmin`, which only sets up the pool, is
//! the debug build), each as the median of `--runs` runs after one warm-up run:
//! - `cogauth login` wall time, SRP and password flows (`--password-stdin`, a temporary HOME);
//! - warm `cogauth credential-process` wall time (a fresh cached session: `--window 1` right
//!   after a login, since the emulator's credentials last 90 s; every run must return the
//!   cached credentials' expiry, or the run is an error);
//! - the client-side SRP computation (`examples/srp_bench.rs`, release build);
//! - `/bin/true` the same way, so that the warm path is also given over a bare process start;
//! - with valgrind at hand, the instructions of the warm path and of `/bin/true`
//!   (`valgrind --tool=callgrind`), which the load on the machine does not change;
//! - peak RSS of each command (`/usr/bin/time -f %M`, else polling `/proc/<pid>/status`);
//! - the same login with the original `aws-cognito-auth==0.0.8`, installed from PyPI into a
//!   scratch venv under `target/bench/`, pointed at the same emulator with `AWS_ENDPOINT_URL`
//!   (its password prompt is answered by a wrapper that replaces `getpass.getpass`).
//!
//! Nothing here asserts a time: the numbers are reported, not judged.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use cogauth_test_support::harness;

const PASSWORD: &str = "Bench-Passw0rd!";
const ORIGINAL: &str = "aws-cognito-auth==0.0.8";

#[derive(clap::Args)]
pub struct Args {
    /// Runs per measurement; the median is reported.
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// Runs per peak-RSS measurement.
    #[arg(long, default_value_t = 3)]
    rss_runs: usize,
    /// SRP computations timed by the SRP benchmark.
    #[arg(long, default_value_t = 200)]
    srp_iterations: usize,
    /// Skip the original Python tool (no PyPI at hand).
    #[arg(long)]
    no_original: bool,
    /// Where to write the report.
    #[arg(long, default_value = "docs/benchmarks.md")]
    out: PathBuf,
}

/// What issue 13 changed, measured by hand once (the builds take minutes each), and kept here so
/// that the page says it after every run of the benchmark.
const ISSUE_13: &str = "
## Issue 13: before and after

Measured by hand on this machine on 2026-11-30, while other engineers were building on it
(load average 3 to 10 on 2 cores): the sizes do not depend on the load, the build times do.

**The `cogauth` binary**, `cargo build --release -p cogauth-cli`, stripped, after each step:

| step | size |
|---|---|
| before: thin LTO, opt-level 3 (this page on 2026-11-26) | 21.0 MB |
| release profile: fat LTO, one codegen unit, opt-level `z` (`cogauth-core` at 3) | 9.84 MB |
| the log filter as a `Targets` layer: no `env-filter` (a regex engine) | 9.48 MB |
| no SSO clients (aws-config's `sso` only with cogauth-admin's `sso` feature) | 9.07 MB |
| the same, after merging main (browser sign-in, pool flows, `exec`/`token`/`serve`) | 10.23 MB |

- Under fat LTO the whole program is optimised again at the binary's opt-level, so
  `cogauth-core`'s opt-level 3 holds only before that step. With `cogauth-cli` at opt-level 3
  too, the binary is 12.6 MB, and an SRP login takes about 0.9 ms less CPU (perf, 30 logins
  each): the SRP computation above is measured as `cogauth-core` builds it, at opt-level 3
  throughout, so inside `cogauth` it takes about that much longer.
- The Lambda keeps its profile (opt-level `s`, thin LTO): a clean `cargo build --profile lambda
  -p cogauth-lambda`, as `cargo xtask test` packages it in CI, took 4 min 47 s (load average
  5 to 7, beside another build), and compiles three crates fewer than before (the SSO clients).
  Fat LTO would have made this build, which CI runs from scratch, slower.

**The warm path.** `strace -f -e trace=%file,%desc` of a warm `credential-process`: besides
the dynamic loader (libgcc_s, libm, libc) and `/proc/self/maps` (read by Rust's runtime at
start), it opens two files: `~/.config/cogauth/config.toml`, whose pool and app client the
cached session must match, and the session file `~/.cache/cogauth/<profile>.json`. No AWS
file, no certificate, no async runtime. `perf stat -r 300` under `chrt -f 10`: 1.32 ms of CPU
and 1.79 ms wall, against 0.40 ms and 0.82 ms for `/bin/true`, so 0.97 ms over a bare process
start. Of that CPU (`perf record`), the kernel takes about 60% (exec, and 320 page faults
against 49 for `/bin/true`), the dynamic loader 20% (30,430 relative relocations of a
position-independent executable), cogauth's own code 8%. Linking without PIE would remove the
relocations, but also the address randomisation of the binary: not done. Most of cogauth's
own instructions on this path build the command line parser: under callgrind, `cogauth
--version` takes 1.95 M instructions and the warm path 2.21 M (1.46 M and 1.65 M before
merging main's new commands and flags), because clap builds the whole command tree at every
start. Parsing `credential-process` without the rest of the tree is the next step for this
figure.

**The SRP login** waited mostly for the emulator: its SRP server computed four 3072-bit
exponentiations with Python's `pow`, about 20 ms per login at this load. It uses GMP (gmpy2)
now, about 2.5 ms. The original's password login has no SRP, so this change shortens only
cogauth's SRP login figure; cogauth itself is unchanged by it.

**The SRP login against the original** is the figure this machine moves most: three runs of
this benchmark within ten minutes of each other on 2026-11-30 (load average 1.2 to 2.0, all under
`chrt -f 10`) gave 0.065×, 0.082× and 0.096× (15, 15 and 51 runs), and the password login
0.053×, 0.049× and 0.044×. With `-v`, each emulator call takes 3 to 7 ms, and an SRP login
makes one more of them than a password login and computes the SRP client side (about 3.5 ms of
CPU inside the size-optimised binary): so it cannot be much under the password login plus 10 ms,
about 0.07× here. Below 0.05× needs a faster login as a whole, emulator included.

**A program that embeds only `cogauth-core`** (issue 13.1): `cogauth-core` path dependency,
tokio, aws-config without default features; `cargo build --release` (opt-level 3, strip),
from an empty target directory, with the workspace's `Cargo.lock`:

| | before (main 7817ad0, core with IAM and zip) | after admin moved out (8454bb4) | now |
|---|---|---|---|
| `cargo tree -p cogauth-core -e normal`, unique packages | 195 | 187 | 185 (with `cogauth-ids`) |
| clean release build, wall | 4 min 38.9 s (quiet machine) | | 4 min 18.6 s (quiet machine, load average 0.5, main e9d0148) |
| peak RSS of the build | 1.83 GB | | 1.82 GB |
| binary, stripped | 15.9 MB | | 13.8 MB (12.7 MB before issue 16's server and roles joined the core) |

Fewer packages to compile (the IAM SDK, zip and the SSO clients are gone) is what shortens the
build; issue 16's additions to the core (the credential server, roles, the console URL) take
back part of the size.

**CI** (`.ci/run` on a clean clone, 2 cores, no cache, chromium already installed, so no
apt-get; `cargo xtask test` prints these step timings):

| | wall time | processor time |
|---|---|---|
| before (the landing of the first wave, stop 9) | 568 s | |
| stop 17 (wave 2 half-way) | 794 s | |
| stop 18 (main e9d0148): clippy, docs, `cargo test`, demo, one after the other | 963 s | |
| tests built once and run by xtask, the processor-only steps beside them (main f17825e) | 580 s | 1115 s |
| the tests' AWS CLI calls in one process, deflate optimised (main 5efd4fe) | 557 s | 1054 s |
| now (main a922e44, after the SRP and benchmark commits) | 548 s | 1025 s |

Where the 415 s went, measured run by run:
- **The AWS SDK was compiled three times** in the dev profile: `cargo xtask` builds xtask with
  its own dependencies' features, `cargo test --workspace` with the whole workspace's and its
  tests', and the demo's `cargo build` of the two CLIs with theirs. A different feature of
  `log`, `futures-util` or `tracing` changes the hash of everything above it, tokio and hyper
  included. xtask's `Cargo.toml` now turns on what the tests turn on (`tests/shared_build.rs`
  checks it with `cargo tree`), and the demo uses the binaries the tests built: the test build
  after xtask's compiles 62 s instead of about 4 minutes, and the demo takes 2 s instead of 87.
- **Waiting for credentials to expire**: the boto3 job under `exec --server` ran 200 s across
  90 s expiries, and the expiry-driven refresh test waited 31 s. The emulator's
  `cogauth-emulator:credential-seconds` tag gives those pools 70 s credentials: 85 s and 10 s.
- **The processors' idle time**: `cargo xtask test` builds the test executables once and runs
  them itself (no cargo lock held), while the Lambda's release package, clippy, the docs and the
  doc tests run on another thread at the lowest priority (`nice 19`); the emulator's venv is
  installed while the tests build. The tests that deploy the Lambda package the debug build the
  tests use (`COGAUTH_LAMBDA_PREBUILT`), so they never wait for the release build.
- **A Python process per AWS CLI call**: the tests read the emulator's state back with the AWS
  CLI a few hundred times. They now go through one AWS CLI process per test binary
  (`emulator/aws_batch.py`, awscli's own driver): cogadmin's tests took 72 s of processor time,
  now 20.
- **Unoptimised deflate**: zipping the 45 MB debug Lambda took 11 s at opt-level 0; zlib-rs
  and crc32fast are optimised in dev builds now (2 s).

Tried and dropped: the release package and clippy on two threads side by side (637 s: they
only competed), and linting while building the tests with clippy-driver as cargo's
`RUSTC_WORKSPACE_WRAPPER` (591 s: `cargo doc` then compiled the dependencies' metadata that
`cargo clippy` leaves for it). The run is processor-bound now (1025 s of processor time in
548 s on two cores); the largest single item is the Lambda's release build (about 250 s of
processor time, a quarter of it the C of aws-lc), then the dev build of the workspace.
";

/// How the SRP arithmetic was chosen: measured once, before the choice, and kept here so that
/// the page says it after every run of the benchmark.
const SRP_ARITHMETIC: &str = "
## SRP arithmetic

How the SRP computation was chosen: the client side of one login, measured on this machine
with each candidate on 2026-11-30. Instructions are counted with `valgrind --tool=callgrind`,
which the load on the machine does not change. Times are medians of 200 logins (50 for the
1024-bit `a`, 40 for crypto-bigint), five runs each, under real-time scheduling
(`chrt -f 10`), so that the other builds on the machine (load average 11 to 12 on 2 cores)
could not preempt them; without it, the medians at that load were three to four times longer,
in the same ratios. On 2026-11-26 this benchmark measured num-bigint at 7956 µs on a quieter
machine: the times scale with the machine, the ratios do not.

| implementation | `a` | instructions | time | vs before |
|---|---|---|---|---|
| num-bigint 0.4, variable time (cogauth before) | 1024 bits | 156.3 M | 11.5 ms | 1 |
| crypto-bigint 0.7 `FixedMontyForm`, constant time | 1024 bits | 140.8 M | 11.5 ms | 1.0× faster |
| `cogauth_core::srp`, constant time | 1024 bits | 104.0 M | 7.85 ms | 1.5× faster |
| `cogauth_core::srp`, as cogauth logs in | 320 bits | 34.8 M | 2.58 ms | 4.5× faster |

- crypto-bigint is no faster than num-bigint here: its 3072-bit Montgomery multiplication
  takes about 3.8 µs, it has no dedicated squaring, and a login with the AWS clients' 1024-bit
  `a` needs about 2900 multiplications and squarings.
- `crates/cogauth-core/src/srp/arith.rs` multiplies by product scanning with the reduction folded
  into each column and two accumulators side by side, and squares computing each cross product
  once: a quarter fewer instructions than crypto-bigint, in constant time as well.
- Most of the gain is in how many multiplications a login needs. `g^a` and `g^x` use a comb
  precomputed at build time for g = 2 (40 squarings and 40 multiplications for exponents of up
  to 320 bits, instead of one squaring per bit; since 2026-11-30 afternoon, 19 squarings and 39
  multiplications, with a second table for the upper half of each row). `a` has 320 bits instead of the AWS clients'
  1024: above every recommendation for this group (256 bits for SP 800-56A and RFC 5054, 260
  for RFC 3526, 275 for RFC 7919), and it shortens the exponent `a + u·x` of the last
  exponentiation from 1025 to 513 bits. The server cannot tell the difference.
- After this table was measured (the figure in [Results](#results) is the current one): a
  multiplication sums each column of the product and of its reduction in one loop, as two
  independent chains (3.47 to 3.00 µs per multiplication), and the comb's second table saves 40
  squarings per login (98 KB of tables in all). Together: 2.57 to about 2.37 ms.
- What is left is the last exponentiation, `(B - k·g^x)^(a + u·x)`: 513 bits, so 525 squarings
  and 117 multiplications with 5-bit windows, about 1.85 ms of the 2.37. A squaring takes
  2.83 µs for about 3500 word products, most of them the reduction's; variants tried and
  dropped (slower here): four accumulators per column, the cross products and the reduction in
  one loop of three chains, separated operand scanning.
- Not used: GMP through rug (C, variable time); aws-lc's or OpenSSL's
  `BN_mod_exp_mont_consttime` (faster still, but only through `unsafe` FFI, which the
  workspace forbids).
";

/// One command to measure: program, arguments, environment, stdin.
#[derive(Clone)]
struct Invocation {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: String,
    cwd: PathBuf,
}

impl Invocation {
    fn command(&self, wrapper: &[&str]) -> Command {
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&self.program);
                c
            }
            None => Command::new(&self.program),
        };
        cmd.args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// The instructions one run executes, counted by `valgrind --tool=callgrind` (dynamic
    /// loader included); `None` without valgrind.
    fn instructions(&self) -> Result<Option<u64>> {
        if !on_path("valgrind") {
            return Ok(None);
        }
        let mut cmd = self.command(&[
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
        ]);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot run {} under valgrind", self.describe()))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let _ = stdin.write_all(self.stdin.as_bytes());
        drop(stdin);
        let out = child.wait_with_output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!(
                "`{}` under valgrind failed ({}):\n{stderr}",
                self.describe(),
                out.status
            );
        }
        let collected = stderr
            .lines()
            .find_map(|l| {
                l.split_once("Collected :")
                    .map(|(_, n)| n.trim().to_owned())
            })
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("callgrind printed no count:\n{stderr}"))?;
        Ok(Some(collected))
    }

    fn describe(&self) -> String {
        format!(
            "{} {}",
            self.program
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            self.args.join(" ")
        )
    }

    /// Runs once; returns the wall time (spawn to exit) and stdout.
    fn run(&self, wrapper: &[&str]) -> Result<(Duration, String)> {
        let mut cmd = self.command(wrapper);
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot run {}", self.describe()))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        // A process may exit without reading stdin; a broken pipe is its business.
        let _ = stdin.write_all(self.stdin.as_bytes());
        drop(stdin);
        let out = child.wait_with_output()?;
        let elapsed = started.elapsed();
        if !out.status.success() {
            bail!(
                "`{}` failed ({}):\n{}{}",
                self.describe(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok((elapsed, String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// The median wall time of `runs` runs, after one warm-up; `check` sees every stdout.
    fn median_wall(&self, runs: usize, check: impl Fn(&str) -> Result<()>) -> Result<Duration> {
        let (_, out) = self.run(&[])?;
        check(&out)?;
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let (elapsed, out) = self.run(&[])?;
            check(&out)?;
            samples.push(elapsed);
        }
        Ok(median(samples))
    }

    /// The median peak resident set size, in KiB.
    fn median_rss_kib(&self, runs: usize) -> Result<u64> {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            samples.push(self.peak_rss_kib()?);
        }
        Ok(median(samples))
    }

    fn peak_rss_kib(&self) -> Result<u64> {
        let time = Path::new("/usr/bin/time");
        if time.exists() {
            let report = tempfile::NamedTempFile::new()?;
            let path = report.path().to_string_lossy().into_owned();
            self.run(&["/usr/bin/time", "-f", "%M", "-o", &path])?;
            let text = std::fs::read_to_string(report.path())?;
            return text
                .lines()
                .last()
                .and_then(|l| l.trim().parse().ok())
                .with_context(|| format!("cannot read /usr/bin/time's report: {text:?}"));
        }
        self.peak_rss_by_polling()
    }

    /// Without GNU time: the high-water mark from /proc, read until the process exits (a lower
    /// bound, sampled every millisecond).
    fn peak_rss_by_polling(&self) -> Result<u64> {
        let mut child = self.command(&[]).spawn()?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let _ = stdin.write_all(self.stdin.as_bytes());
        drop(stdin);
        let status_file = format!("/proc/{}/status", child.id());
        let mut peak = 0;
        loop {
            if let Ok(text) = std::fs::read_to_string(&status_file)
                && let Some(kib) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
            if child.try_wait()?.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(peak)
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn median<T: Ord + Copy>(mut samples: Vec<T>) -> T {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn build_release() -> Result<PathBuf> {
    println!("building the release binaries and the SRP benchmark");
    // `cogauth` alone: features are unified over the packages of one build, and it is
    // measured as `cargo install --path crates/cogauth-cli` builds it (without cogadmin's SSO
    // clients, for one).
    let status = crate::cargo()
        .args(["build", "--release", "--quiet", "-p", "cogauth-cli"])
        .status()?;
    if !status.success() {
        bail!("cargo build --release -p cogauth-cli failed");
    }
    // cogadmin only sets up the pool and the user, unmeasured: the debug build that the
    // tests build anyway, rather than minutes of a second release build of the AWS SDK.
    let status = crate::cargo()
        .args(["build", "--quiet", "-p", "cogadmin-cli"])
        .status()?;
    if !status.success() {
        bail!("cargo build -p cogadmin-cli failed");
    }
    let status = crate::cargo()
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "cogauth-core",
            "--example",
            "srp_bench",
        ])
        .status()?;
    if !status.success() {
        bail!("cargo build --release --example srp_bench failed");
    }
    Ok(harness::target_dir().join("release"))
}

/// The base environment of every measured command: a HOME, PATH, the emulator, nothing else.
fn base_env(home: &Path, endpoint: &str) -> Vec<(String, String)> {
    vec![
        ("HOME".into(), home.display().to_string()),
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("LANG".into(), "C.UTF-8".into()),
        ("AWS_ENDPOINT_URL".into(), endpoint.into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]
}

/// What the benchmark measured.
#[derive(Debug, Default)]
struct Results {
    runs: usize,
    rss_runs: usize,
    srp_login: Duration,
    password_login: Duration,
    warm_credential_process: Duration,
    /// `/bin/true`, timed the same way: the bare process start.
    bin_true: Duration,
    /// Instructions of the warm path and of `/bin/true` (callgrind), if valgrind is there.
    warm_instructions: Option<u64>,
    bin_true_instructions: Option<u64>,
    srp_median_us: u64,
    /// The same computation with the AWS clients' 1024-bit `a`.
    srp_median_us_1024_bit_a: u64,
    /// The computation as cogauth did it before (num-bigint), in the same run: the original has
    /// no SRP to compare with.
    srp_before_median_us: u64,
    srp_iterations: usize,
    login_rss_kib: u64,
    credential_process_rss_kib: u64,
    cogauth_binary_bytes: u64,
    original: Option<Original>,
}

#[derive(Debug, Default)]
struct Original {
    login: Duration,
    login_rss_kib: u64,
}

pub fn run(args: &Args) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let release = build_release()?;
    let machine = machine()?;
    let mut results = Results {
        runs: args.runs,
        rss_runs: args.rss_runs.max(1),
        srp_iterations: args.srp_iterations,
        cogauth_binary_bytes: std::fs::metadata(release.join("cogauth"))?.len(),
        ..Results::default()
    };

    println!(
        "timing the SRP computation ({} iterations)",
        args.srp_iterations
    );
    let out = Command::new(release.join("examples/srp_bench"))
        .arg(args.srp_iterations.to_string())
        .output()?;
    if !out.status.success() {
        bail!("srp_bench failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let srp: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    results.srp_median_us = srp["median_us"]
        .as_u64()
        .context("srp_bench printed no median")?;
    results.srp_median_us_1024_bit_a = srp["median_us_1024_bit_a"]
        .as_u64()
        .context("srp_bench printed no median for the 1024-bit a")?;
    results.srp_before_median_us = srp["before_median_us"]
        .as_u64()
        .context("srp_bench printed no median for the computation before")?;

    let original_venv = if args.no_original {
        None
    } else {
        Some(install_original()?)
    };

    println!("starting a dedicated emulator");
    let venv = harness::ensure_venv().map_err(anyhow::Error::msg)?;
    let mut emulator =
        harness::start(&venv, Some(std::process::id())).map_err(anyhow::Error::msg)?;
    let measured = measure(args, &release, &emulator.endpoint, original_venv.as_deref());
    let _ = emulator.child.kill();
    let _ = emulator.child.wait();
    let (timings, original) = measured?;
    results.srp_login = timings.srp_login;
    results.password_login = timings.password_login;
    results.warm_credential_process = timings.warm_credential_process;
    results.bin_true = timings.bin_true;
    results.warm_instructions = timings.warm_instructions;
    results.bin_true_instructions = timings.bin_true_instructions;
    results.login_rss_kib = timings.login_rss_kib;
    results.credential_process_rss_kib = timings.credential_process_rss_kib;
    results.original = original;

    let page = render(&results, &machine);
    let out = crate::workspace_root().join(&args.out);
    std::fs::write(&out, &page).with_context(|| format!("cannot write {}", out.display()))?;
    println!("\n{page}\nwritten to {}", out.display());
    Ok(())
}

#[derive(Debug, Default)]
struct Timings {
    srp_login: Duration,
    password_login: Duration,
    warm_credential_process: Duration,
    bin_true: Duration,
    warm_instructions: Option<u64>,
    bin_true_instructions: Option<u64>,
    login_rss_kib: u64,
    credential_process_rss_kib: u64,
}

fn measure(
    args: &Args,
    release: &Path,
    endpoint: &str,
    original_venv: Option<&Path>,
) -> Result<(Timings, Option<Original>)> {
    let home = tempfile::tempdir()?;
    let env = base_env(home.path(), endpoint);
    let invoke = |program: &str, args: &[&str], stdin: &str| Invocation {
        program: release.join(program),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: env.clone(),
        stdin: stdin.to_owned(),
        cwd: home.path().to_path_buf(),
    };
    let admin = |args: &[&str], stdin: &str| {
        let mut inv = invoke("cogadmin", args, stdin);
        inv.program = harness::target_dir().join("debug/cogadmin");
        inv.env.extend([
            ("AWS_ACCESS_KEY_ID".into(), "bench".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "bench".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
        ]);
        inv.run(&[]).map(|_| ())
    };

    println!("setting up a user pool, an identity pool and a user on the emulator");
    let pool_name = format!("cogauth-bench-{}", std::process::id());
    admin(
        &[
            "setup",
            "--create-user-pool",
            &pool_name,
            "--write-profile",
            "bench",
        ],
        "",
    )?;
    admin(
        &[
            "user",
            "create",
            "benchuser",
            "--email",
            "bench@example.com",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    )?;

    let password = format!("{PASSWORD}\n");
    let login_args = [
        "login",
        "--profile",
        "bench",
        "-u",
        "benchuser",
        "--password-stdin",
    ];
    let srp_login = invoke("cogauth", &login_args, &password);
    let mut password_args = login_args.to_vec();
    password_args.extend(["--auth-flow", "password"]);
    let password_login = invoke("cogauth", &password_args, &password);
    let no_check = |_: &str| Ok(());

    let mut t = Timings::default();
    println!("timing cogauth login, SRP ({} runs)", args.runs);
    t.srp_login = srp_login.median_wall(args.runs, no_check)?;
    println!("timing cogauth login, password flow ({} runs)", args.runs);
    t.password_login = password_login.median_wall(args.runs, no_check)?;
    t.login_rss_kib = srp_login.median_rss_kib(args.rss_runs)?;

    println!(
        "timing warm cogauth credential-process ({} runs)",
        args.runs
    );
    srp_login.run(&[])?;
    let process = invoke(
        "cogauth",
        &["credential-process", "--profile", "bench", "--window", "1"],
        "",
    );
    let (_, first) = process.run(&[])?;
    let expiry = expiration_of(&first)?;
    // A refresh would hand out new credentials with a new expiry: every run must be a cache hit.
    let from_cache = |out: &str| {
        let got = expiration_of(out)?;
        if got != expiry {
            bail!(
                "credential-process refreshed (expiry {got} instead of {expiry}): not a warm run"
            );
        }
        Ok(())
    };
    t.warm_credential_process = process.median_wall(args.runs, from_cache)?;
    t.credential_process_rss_kib = process.median_rss_kib(args.rss_runs)?;
    t.warm_instructions = process.instructions()?;
    from_cache(&process.run(&[])?.1)?;
    let bin_true = Invocation {
        program: PathBuf::from("/bin/true"),
        args: Vec::new(),
        ..process.clone()
    };
    println!("timing /bin/true ({} runs)", args.runs);
    t.bin_true = bin_true.median_wall(args.runs, no_check)?;
    t.bin_true_instructions = bin_true.instructions()?;

    let original = match original_venv {
        None => None,
        Some(venv) => Some(measure_original(args, venv, endpoint, home.path())?),
    };
    Ok((t, original))
}

fn expiration_of(credential_process_output: &str) -> Result<String> {
    let v: serde_json::Value = serde_json::from_str(credential_process_output)
        .context("credential-process printed no JSON")?;
    v["Expiration"]
        .as_str()
        .map(str::to_owned)
        .context("credential-process printed no Expiration")
}

/// Installs the original tool into `target/bench/original-venv`, once.
fn install_original() -> Result<PathBuf> {
    let venv = harness::target_dir().join("bench/original-venv");
    let stamp = venv.join("cogauth-bench-installed.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(ORIGINAL) {
        return Ok(venv);
    }
    println!(
        "installing the original tool ({ORIGINAL}) into {}",
        venv.display()
    );
    let python = std::env::var("COGAUTH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let status = Command::new(python)
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .status()?;
    if !status.success() {
        bail!("python3 -m venv failed: install python3 with venv, or pass --no-original");
    }
    let status = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            ORIGINAL,
        ])
        .status()?;
    if !status.success() {
        bail!("pip install {ORIGINAL} failed: PyPI must be reachable, or pass --no-original");
    }
    std::fs::write(&stamp, ORIGINAL)?;
    Ok(venv)
}

/// The original prompts with `getpass.getpass`, which reads the terminal: the wrapper answers
/// it from the environment, then runs the same entry point as its `cogauth` script.
const ORIGINAL_WRAPPER: &str = "\
import getpass, os, sys
getpass.getpass = lambda prompt='Password: ', stream=None: os.environ['BENCH_PASSWORD']
from aws_cognito_auth.client import cli
sys.argv = ['cogauth'] + sys.argv[1:]
sys.exit(cli())
";

fn measure_original(
    args: &Args,
    venv: &Path,
    endpoint: &str,
    cogauth_home: &Path,
) -> Result<Original> {
    // The same pool, client and identity pool cogauth logged in to.
    let config_path = cogauth_home.join(".config/cogauth/config.toml");
    let config = cogauth_core::config::ConfigFile::load(&config_path)?
        .context("cogadmin setup wrote no cogauth config")?;
    let profile = config
        .profiles
        .get("bench")
        .context("cogadmin setup wrote no `bench` profile")?;
    let home = tempfile::tempdir()?;
    std::fs::write(
        home.path().join(".cognito-cli-config.json"),
        serde_json::json!({
            "user_pool_id": profile.user_pool_id,
            "client_id": profile.client_id,
            "identity_pool_id": profile.identity_pool_id,
            "region": profile.region.clone().unwrap_or_else(|| "us-east-1".to_owned()),
        })
        .to_string(),
    )?;
    let mut env = base_env(home.path(), endpoint);
    env.push(("BENCH_PASSWORD".into(), PASSWORD.into()));
    let login = Invocation {
        program: venv.join("bin/python"),
        args: [
            "-c",
            ORIGINAL_WRAPPER,
            "login",
            "-u",
            "benchuser",
            "--profile",
            "bench",
            "--no-lambda-proxy",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect(),
        env,
        stdin: String::new(),
        cwd: home.path().to_path_buf(),
    };
    // The original exits 0 on many errors: a run counts only if it wrote the credentials.
    let credentials = home.path().join(".aws/credentials");
    let wrote_credentials = |_: &str| {
        let text = std::fs::read_to_string(&credentials).unwrap_or_default();
        if !text.contains("[bench]") || !text.contains("aws_session_token") {
            bail!("the original tool did not write credentials: {text:?}");
        }
        std::fs::remove_file(&credentials)?;
        Ok(())
    };
    println!(
        "timing the original aws-cognito-auth login ({} runs)",
        args.runs
    );
    let wall = login.median_wall(args.runs, wrote_credentials)?;
    let rss = login.median_rss_kib(args.rss_runs)?;
    Ok(Original {
        login: wall,
        login_rss_kib: rss,
    })
}

/// The machine, for the report.
struct Machine {
    cpu: String,
    cores: String,
    memory: String,
    kernel: String,
    rustc: String,
    python: String,
    date: String,
    /// The 1, 5 and 15 minute load averages when the measurement started: other work on the
    /// machine slows every figure.
    load: String,
    /// The scheduling policy the bench and everything it starts ran under (`chrt -f 10 cargo
    /// xtask bench` keeps other work on the machine from preempting the measurements).
    scheduling: String,
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text).trim().to_owned()
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn machine() -> Result<Machine> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".to_owned());
    Ok(Machine {
        cpu,
        cores: command_line("nproc", &[]),
        memory,
        kernel: command_line("uname", &["-sr"]),
        rustc: command_line("rustc", &["-V"]),
        python: command_line("python3", &["--version"]),
        date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        load: std::fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "unknown".to_owned()),
        scheduling: scheduling(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default()),
    })
}

/// The scheduling policy in `/proc/<pid>/stat` (`rt_priority` and `policy`, the 40th and 41st
/// fields, counted after the command name, which may hold spaces).
fn scheduling(stat: &str) -> String {
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // Fields 3 and on follow the name: field n is at index n - 3.
    match (fields.get(37), fields.get(38)) {
        (Some(priority), Some(&"1")) => format!("real-time, `SCHED_FIFO` priority {priority}"),
        (Some(priority), Some(&"2")) => format!("real-time, `SCHED_RR` priority {priority}"),
        (Some(_), Some(_)) => "normal (`SCHED_OTHER`)".to_owned(),
        _ => "unknown".to_owned(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// A login's time as a fraction of the original's (the issue's unit), and how much faster.
fn login_ratio(cogauth: Duration, original: Duration) -> String {
    let fraction = cogauth.as_secs_f64() / original.as_secs_f64();
    format!(
        "{fraction:.3}× ({:.1}× faster)",
        1.0 / fraction.max(f64::MIN_POSITIVE)
    )
}

/// The SRP figure against the one before the rewrite.
fn srp_ratio(median_us: u64, before_us: u64) -> String {
    format!(
        "{:.1}× faster than before",
        before_us as f64 / median_us.max(1) as f64
    )
}

fn render(r: &Results, m: &Machine) -> String {
    let (orig_login, orig_rss, login_ratio, password_ratio, rss_ratio) = match &r.original {
        Some(o) => (
            ms(o.login),
            mib(o.login_rss_kib),
            login_ratio(r.srp_login, o.login),
            login_ratio(r.password_login, o.login),
            format!(
                "{:.1}× less",
                o.login_rss_kib as f64 / r.login_rss_kib.max(1) as f64
            ),
        ),
        None => (
            "not measured".to_owned(),
            "not measured".to_owned(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };
    format!(
        "# Benchmarks

Measured by `cargo xtask bench` (xtask/src/bench.rs); this page is its output. Every figure is
the median of {runs} runs after one warm-up run, against a local AWS emulator (moto_server on
127.0.0.1, see [emulator.md](emulator.md)), with the release binaries. The emulator's own
latency is part of every login figure, for both tools alike; against AWS, the network
round trips dominate both. Tests never assert on these numbers.

## Machine

| | |
|---|---|
| CPU | {cpu} |
| cores (`nproc`) | {cores} |
| memory | {memory} |
| kernel | {kernel} |
| Rust | {rustc} |
| Python (for the original and the emulator) | {python} |
| measured | {date} |
| load average at the start (1, 5, 15 min) | {load} |
| scheduling | {scheduling} |

## Results

| measurement | cogauth | original `{ORIGINAL}` | ratio | target (issue 13) |
|---|---|---|---|---|
| SRP computation (client side, one login) | {srp_us} µs (median of {srp_iterations}) | no SRP; cogauth before (num-bigint): {srp_before} µs | {srp_ratio} | ≤ 2 ms |
| warm `credential-process`, over a bare process start (`/bin/true`) | {warm_over} ({warm} wall, `/bin/true` {bin_true}) | no equivalent (it has no `credential_process`) | | ≤ 1.5 ms |
| warm `credential-process`, instructions (callgrind) | {warm_instructions} | no equivalent | | |
| `cogauth` binary (release, stripped) | {binary:.1} MB | not a binary (Python) | | ≤ 12 MB |
| login, SRP (wall time) | {srp_login} | {orig_login} (password flow, its only one) | {login_ratio} | ≤ 0.05× |
| login, password flow (wall time) | {password_login} | {orig_login} | {password_ratio} | |
| peak RSS, login | {login_rss} | {orig_rss} | {rss_ratio} | |
| peak RSS, warm `credential-process` | {cp_rss} | no equivalent | | |

## What is measured
- **login**: `cogauth login --profile bench -u benchuser --password-stdin` in a temporary HOME
  (SRP: InitiateAuth and RespondToAuthChallenge; password: InitiateAuth; then GetId and
  GetCredentialsForIdentity; then `~/.aws/credentials` and the session cache are written).
  The original runs `cogauth login -u benchuser --profile bench --no-lambda-proxy` with the same
  pool, app client and identity pool in `~/.cognito-cli-config.json`: USER_PASSWORD_AUTH,
  GetId, GetCredentialsForIdentity, then `~/.aws/credentials`. Its hidden password prompt is
  answered by a two-line wrapper replacing `getpass.getpass` (no terminal); Python's start-up
  and imports (boto3) count, as they do for its users.
- **warm credential-process**: `cogauth credential-process --profile bench --window 1` right
  after a login: the cached credentials are served without a network call. Every run is
  checked to return the cached credentials (same expiry), so no run refreshed. `/bin/true` is
  timed the same way (spawned with the same environment, median of as many runs), and the
  figure over it is the difference of the medians. The instructions are counted by
  `valgrind --tool=callgrind` for one run of each, the dynamic loader included: unlike the
  times, they do not change with the load on the machine.
- **SRP computation**: `A = g^a mod N`, the password key (`g^x` and
  `(B - k·g^x)^(a + u·x)` modulo the 3072-bit prime, HKDF) and the claim signature, on a
  known-answer vector (`crates/cogauth-core/examples/srp_bench.rs`, checked against the vector
  every time), with the 320-bit `a` cogauth draws. With the 1024-bit `a` the AWS client
  libraries draw, the same computation takes {srp_us_1024} µs. The figure before is the same
  login (1024-bit `a`) computed as cogauth did before, with num-bigint, timed in the same run
  (every fourth iteration, interleaved); [SRP arithmetic](#srp-arithmetic) compares them
  independently of the load.
- **peak RSS**: the maximum resident set size of the process (`/usr/bin/time -f %M`), median of
  {rss_runs} runs.

Run it again with `cargo xtask bench [--runs N] [--no-original]`; it needs python3 with venv
(for the emulator) and PyPI (for the original, installed into `target/bench/original-venv`).
On a shared machine, build first (`cargo build -p xtask`, then one `cargo xtask bench`), and
run `chrt -f 10 target/debug/xtask bench` as root: the bench, the emulator and the original
then run at real-time priority, and other work on the machine does not preempt them (the
scheduling row above says how a run was made; the builds it starts are then no-ops).
{SRP_ARITHMETIC}{ISSUE_13}",
        runs = r.runs,
        cpu = m.cpu,
        cores = m.cores,
        memory = m.memory,
        kernel = m.kernel,
        rustc = m.rustc,
        python = m.python,
        date = m.date,
        load = m.load,
        scheduling = m.scheduling,
        srp_login = ms(r.srp_login),
        password_login = ms(r.password_login),
        warm = ms(r.warm_credential_process),
        bin_true = ms(r.bin_true),
        warm_over = ms(r.warm_credential_process.saturating_sub(r.bin_true)),
        warm_instructions = match (r.warm_instructions, r.bin_true_instructions) {
            (Some(warm), Some(bare)) => format!(
                "{:.2} M ({:.2} M over `/bin/true`'s {:.2} M)",
                warm as f64 / 1e6,
                warm.saturating_sub(bare) as f64 / 1e6,
                bare as f64 / 1e6
            ),
            _ => "not measured (no valgrind)".to_owned(),
        },
        srp_us = r.srp_median_us,
        srp_us_1024 = r.srp_median_us_1024_bit_a,
        srp_iterations = r.srp_iterations,
        srp_before = r.srp_before_median_us,
        srp_ratio = srp_ratio(r.srp_median_us, r.srp_before_median_us),
        login_rss = mib(r.login_rss_kib),
        cp_rss = mib(r.credential_process_rss_kib),
        binary = r.cogauth_binary_bytes as f64 / 1e6,
        rss_runs = r.rss_runs,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduling_policy_is_read_after_the_command_name() {
        let fields = |policy: &str| {
            let mut f = vec!["0"; 36];
            f.extend(["10", policy, "0"]);
            format!("4242 (a) b c) S {}", f.join(" "))
        };
        assert_eq!(
            scheduling(&fields("1")),
            "real-time, `SCHED_FIFO` priority 10"
        );
        assert_eq!(scheduling(&fields("0")), "normal (`SCHED_OTHER`)");
        assert_eq!(scheduling(""), "unknown");
        let own = scheduling(&std::fs::read_to_string("/proc/self/stat").unwrap());
        assert_ne!(own, "unknown");
    }

    #[test]
    fn the_median_is_the_middle_sample() {
        assert_eq!(median(vec![5, 1, 3]), 3);
        assert_eq!(median(vec![4, 1, 3, 2]), 3);
    }

    #[test]
    fn the_report_shows_every_figure_and_the_ratio() {
        let results = Results {
            runs: 15,
            rss_runs: 3,
            srp_login: Duration::from_millis(40),
            password_login: Duration::from_millis(30),
            warm_credential_process: Duration::from_micros(2500),
            bin_true: Duration::from_micros(1000),
            warm_instructions: Some(1_500_000),
            bin_true_instructions: Some(100_000),
            srp_median_us: 1989,
            srp_median_us_1024_bit_a: 5000,
            srp_before_median_us: 7956,
            srp_iterations: 200,
            login_rss_kib: 10 * 1024,
            credential_process_rss_kib: 5 * 1024,
            cogauth_binary_bytes: 16_000_000,
            original: Some(Original {
                login: Duration::from_millis(600),
                login_rss_kib: 60 * 1024,
            }),
        };
        let machine = Machine {
            cpu: "Some CPU".into(),
            cores: "2".into(),
            memory: "23.4 GiB".into(),
            kernel: "Linux 6".into(),
            rustc: "rustc 1.95.0".into(),
            python: "Python 3.11.7".into(),
            date: "2026-11-26 12:00 UTC".into(),
            load: "0.50 0.40 0.30".into(),
            scheduling: "normal (`SCHED_OTHER`)".into(),
        };
        let page = render(&results, &machine);
        for expected in [
            "| login, SRP (wall time) | 40.0 ms | 600.0 ms",
            "| 0.067× (15.0× faster) | ≤ 0.05× |",
            "| 0.050× (20.0× faster) |",
            "| warm `credential-process`, over a bare process start (`/bin/true`) | 1.5 ms (2.5 ms wall, `/bin/true` 1.0 ms) |",
            "| 1.50 M (1.40 M over `/bin/true`'s 0.10 M) |",
            "| 16.0 MB | not a binary (Python) | | ≤ 12 MB |",
            "| 1989 µs (median of 200) | no SRP; cogauth before (num-bigint): 7956 µs | 4.0× faster than before |",
            "takes 5000 µs",
            "| peak RSS, login | 10.0 MiB | 60.0 MiB | 6.0× less |",
            "| cores (`nproc`) | 2 |",
            "| scheduling | normal (`SCHED_OTHER`) |",
        ] {
            assert!(page.contains(expected), "missing {expected:?} in\n{page}");
        }
    }
}
