//! `cargo xtask package-lambda` and `cargo xtask deploy-lambda`.
//!
//! The package is built natively: an x86_64 (or whatever this machine is) glibc binary, checked
//! to need no glibc symbol newer than 2.34, which Amazon Linux 2023 (`provided.al2023`) has.
//! A Debian 12 build links only up to GLIBC_2.34, so no cross toolchain is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use cogauth_core::admin::lambda_deploy::{self, DeployRequest, KeySource, bundle};
use cogauth_core::env::ProcessEnv;

/// Amazon Linux 2023's glibc.
const MAX_GLIBC: (u32, u32) = (2, 34);

#[derive(clap::Args)]
pub struct DeployArgs {
    /// Create the proxy's IAM user if it does not exist (cogauth then manages its access key).
    #[arg(long, conflicts_with = "access_key_id")]
    pub create_user: bool,
    /// Use this existing access key; the secret comes from stdin.
    #[arg(long, requires = "secret_access_key_stdin")]
    pub access_key_id: Option<String>,
    /// Read the secret access key of --access-key-id from stdin (one line).
    #[arg(long, requires = "access_key_id")]
    pub secret_access_key_stdin: bool,
    /// Replace the deployed access key with a new one.
    #[arg(long, conflicts_with = "access_key_id")]
    pub rotate_key: bool,
    #[arg(long)]
    pub user_pool_id: Option<String>,
    #[arg(long = "client-id")]
    pub client_ids: Vec<String>,
    #[arg(long)]
    pub identity_pool_id: Option<String>,
    #[arg(long)]
    pub function_name: Option<String>,
    #[arg(long)]
    pub iam_user_name: Option<String>,
    #[arg(long)]
    pub execution_role_name: Option<String>,
    #[arg(long)]
    pub long_lived_role_name: Option<String>,
    /// AWS region of the function (default: the AWS config chain, then the admin config).
    #[arg(long)]
    pub region: Option<String>,
    /// Show what would be created or updated, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
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

/// Builds the release binary with the `lambda` profile, checks it, zips it; the zip's path.
pub fn package() -> Result<PathBuf> {
    eprintln!("xtask: == cargo build --profile lambda -p cogauth-lambda");
    let status = crate::cargo()
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
    let binary_path = target_dir().join("lambda/cogauth-lambda");
    check_glibc(&binary_path)?;
    let binary = std::fs::read(&binary_path)
        .with_context(|| format!("cannot read `{}`", binary_path.display()))?;
    let zip = bundle::zip_bootstrap(&binary)?;
    let info = bundle::inspect(&zip)?;
    let path = zip_path();
    let tmp = path.with_extension("zip.tmp");
    std::fs::write(&tmp, &zip).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write `{}`", path.display()))?;
    println!(
        "packaged {}: {} ({} bootstrap for provided.al2023, glibc <= {}.{}), {} zipped",
        path.display(),
        megabytes(binary.len()),
        info.architecture,
        MAX_GLIBC.0,
        MAX_GLIBC.1,
        megabytes(zip.len()),
    );
    Ok(path)
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
pub fn deploy(args: &DeployArgs) -> Result<()> {
    let keys = KeySource::from_flags(
        args.access_key_id.as_deref(),
        args.create_user,
        args.rotate_key,
        || {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the secret access key from stdin")?;
            cogauth_core::prompt::secret_from_line(line).context("no secret access key on stdin")
        },
    )?;
    let request = DeployRequest {
        user_pool_id: args.user_pool_id.clone(),
        client_ids: args.client_ids.clone(),
        identity_pool_id: args.identity_pool_id.clone(),
        function_name: args.function_name.clone(),
        iam_user_name: args.iam_user_name.clone(),
        execution_role_name: args.execution_role_name.clone(),
        long_lived_role_name: args.long_lived_role_name.clone(),
        keys,
        dry_run: args.dry_run,
    };
    let cwd = std::env::current_dir().context("no working directory")?;
    let admin = cogauth_core::admin::config::load(&ProcessEnv, &cwd)?;
    let options = request.resolve_with_user_config(&admin.config, &ProcessEnv)?;

    let zip = std::fs::read(package()?).context("cannot read the package")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(cogauth_core::aws::timeouts_for(
                &cogauth_core::env::ProcessEnv,
            ))
            .retry_config(cogauth_core::aws::retries());
        if let Some(region) = &args.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let mut sdk = loader.load().await;
        if sdk.region().is_none() {
            sdk = sdk
                .into_builder()
                .region(aws_config::Region::new(
                    admin.config.aws_configuration.default_region.clone(),
                ))
                .build();
        }
        lambda_deploy::deploy(&sdk, &options, &zip).await
    })?;
    for line in outcome.report_lines() {
        println!("{line}");
    }
    for warning in &outcome.warnings {
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
