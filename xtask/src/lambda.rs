//! `cargo xtask package-lambda` and `cargo xtask deploy-lambda`.
//!
//! The package is built natively: an x86_64 (or whatever this machine is) glibc binary, checked
//! to need no glibc symbol newer than 2.34, which Amazon Linux 2023 (`provided.al2023`) has.
//! A Debian 12 build links only up to GLIBC_2.34, so no cross toolchain is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use cogauth_admin::lambda_deploy::{self, bundle, cli};
use cogauth_admin::sdk::{self, RegionChoice};
use cogauth_core::env::ProcessEnv;

/// Amazon Linux 2023's glibc.
const MAX_GLIBC: (u32, u32) = (2, 34);

/// `cargo xtask deploy-lambda`: the flags of `cogadmin lambda deploy` (the same clap
/// definition), and `--region`, which cogadmin has as a global flag.
#[derive(clap::Args)]
pub struct DeployLambdaArgs {
    #[command(flatten)]
    deploy: cli::DeployArgs,
    /// AWS region of the function (default: the user pool's).
    #[arg(long)]
    region: Option<String>,
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"))
}

/// Where the package is written.
pub fn zip_path() -> PathBuf {
    target_dir().join("lambda/cogauth-lambda.zip")
}

/// Set by `cargo xtask test` for the tests that package the Lambda: a cogauth-lambda binary
/// already built (the tests' own debug build), zipped and checked instead of the release build,
/// which CI builds beside the tests ([`package_release`]) rather than before them.
pub const PREBUILT_VAR: &str = "COGAUTH_LAMBDA_PREBUILT";

/// The package `cargo xtask package-lambda` and `deploy-lambda` use: the release build, or the
/// binary [`PREBUILT_VAR`] names.
pub fn package() -> Result<PathBuf> {
    match std::env::var_os(PREBUILT_VAR) {
        Some(binary) => {
            let binary = PathBuf::from(binary);
            bundle(&binary, &binary.with_extension("zip"))
        }
        None => package_release(&mut crate::cargo()),
    }
}

/// Builds the release binary with the `lambda` profile (`cargo`: the cargo command to run, in
/// the workspace), checks it, zips it; the zip's path.
pub fn package_release(cargo: &mut Command) -> Result<PathBuf> {
    eprintln!("xtask: == cargo build --profile lambda -p cogauth-lambda");
    let status = cargo
        .args([
            "build",
            "--profile",
            "lambda",
            "-p",
            "cogauth-lambda",
            "--bin",
            "cogauth-lambda",
        ])
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building cogauth-lambda failed ({status})");
    }
    bundle(&target_dir().join("lambda/cogauth-lambda"), &zip_path())
}

/// Checks `binary_path` and zips it as the function's `bootstrap` at `path`.
fn bundle(binary_path: &Path, path: &Path) -> Result<PathBuf> {
    check_glibc(binary_path)?;
    let binary = std::fs::read(binary_path)
        .with_context(|| format!("cannot read `{}`", binary_path.display()))?;
    let zip = bundle::zip_bootstrap(&binary)?;
    let info = bundle::inspect(&zip)?;
    let tmp = path.with_extension("zip.tmp");
    std::fs::write(&tmp, &zip).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write `{}`", path.display()))?;
    println!(
        "packaged {}: {} ({} bootstrap for provided.al2023, glibc <= {}.{}), {} zipped",
        path.display(),
        megabytes(binary.len()),
        info.architecture,
        MAX_GLIBC.0,
        MAX_GLIBC.1,
        megabytes(zip.len()),
    );
    Ok(path.to_path_buf())
}

fn megabytes(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// Fails when the binary needs a glibc newer than Amazon Linux 2023's.
fn check_glibc(binary: &Path) -> Result<()> {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .context("cannot run `objdump -T` to check the glibc version: install binutils")?;
    if !out.status.success() {
        bail!(
            "objdump -T `{}` failed: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let symbols = String::from_utf8_lossy(&out.stdout);
    if let Some(newest) = newest_glibc(&symbols)
        && newest > MAX_GLIBC
    {
        bail!(
            "`{}` needs GLIBC_{}.{}, newer than the {}.{} of Amazon Linux 2023: build on an older \
             distribution, or with `cargo zigbuild --target x86_64-unknown-linux-gnu.2.34`",
            binary.display(),
            newest.0,
            newest.1,
            MAX_GLIBC.0,
            MAX_GLIBC.1
        );
    }
    Ok(())
}

/// The newest `GLIBC_x.y` version named in `objdump -T` output.
fn newest_glibc(symbols: &str) -> Option<(u32, u32)> {
    symbols
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|version| {
            let mut parts = version.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
            Some((major, minor))
        })
        .max()
}

/// Packages, then deploys with the same code as `cogadmin lambda deploy`.
pub fn deploy(args: DeployLambdaArgs) -> Result<()> {
    let cwd = std::env::current_dir().context("no working directory")?;
    let admin = cogauth_admin::config::load(&ProcessEnv, &cwd)?;
    if let Some(local) = &admin.local {
        eprintln!("xtask: warning: {}", local.announcement());
        if !local.names().is_empty() && !args.deploy.adopt {
            return Err(local.refusal().into());
        }
    }
    let options = args
        .deploy
        .request(args.region.clone(), || {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the secret access key from stdin")?;
            cogauth_core::prompt::secret_from_line(line).context("no secret access key on stdin")
        })?
        .resolve(&admin, &ProcessEnv)?;

    let zip = std::fs::read(package()?).context("cannot read the package")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        let region = RegionChoice {
            flag: args.region.as_deref(),
            fallback: Some(&admin.config.aws_configuration.default_region),
        };
        let sdk = sdk::load(&ProcessEnv, region).await;
        lambda_deploy::deploy(&sdk, &options, &zip).await
    })?;
    for line in outcome.report_lines() {
        println!("{line}");
    }
    for warning in &outcome.plan.warnings {
        eprintln!("xtask: warning: {warning}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_glibc_version_is_found() {
        let objdump = "\
0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.2.5) free
0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.34) __libc_start_main
0000000000000000      DF *UND*  0000000000000000  GLIBC_2.3.4 __memcpy_chk
0000000000000000  w   D  *UND*  0000000000000000  Base        __gmon_start__
";
        assert_eq!(newest_glibc(objdump), Some((2, 34)));
        assert_eq!(newest_glibc("(GLIBC_2.9) a\n(GLIBC_2.10) b"), Some((2, 10)));
        assert!(newest_glibc("(GLIBC_2.38) getentropy").unwrap() > MAX_GLIBC);
        assert_eq!(newest_glibc("static binary, no dynamic symbols"), None);
        assert_eq!(newest_glibc("GLIBC_PRIVATE x"), None);
    }
}
