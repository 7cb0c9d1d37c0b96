//! Integration tests of the real `cogadmin` binary against the emulator (moto_server), through
//! the normal AWS credential chain (static test keys in the environment) and AWS_ENDPOINT_URL.
//!
//! Every test makes its own resources with unique names: the emulator is shared with other
//! test binaries. Assertions read the resulting state back through the AWS SDK or the AWS CLI.
//! One binary for all of them: each test binary links the AWS SDK once more.

mod configure;
mod credentials;
mod end_to_end;
mod groups;
mod hardening;
mod lambda_deploy;
mod local_config;
mod logging;
mod managed_login;
mod ownership;
mod policies;
mod roles;
mod rotate_key;
mod setup;
mod targets;
mod users;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use cogauth_test_support::{TestHome, fixtures};

pub const BIN: &str = env!("CARGO_BIN_EXE_cogadmin");

/// A temporary HOME with AWS admin credentials for the emulator.
#[derive(Debug, Default)]
pub struct Admin {
    pub home: TestHome,
}

/// What a finished `cogadmin` run printed.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
}

impl Admin {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.home.command(BIN);
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", cogauth_test_support::REGION)
            .args(args);
        cmd
    }

    fn output(&self, mut cmd: Command, stdin: Option<&str>) -> Output {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start cogadmin");
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        drop(pipe);
        child.wait_with_output().expect("cogadmin output")
    }

    /// Runs `cogadmin args` (stdin closed), expecting success.
    pub fn ok(&self, args: &[&str]) -> Run {
        self.ok_with_stdin(args, "")
    }

    pub fn ok_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let out = self.output(self.command(args), Some(stdin));
        let run = Run::from(&out);
        assert!(
            out.status.success(),
            "cogadmin {args:?} failed ({}):\n{run:#?}",
            out.status
        );
        run
    }

    /// Runs `cogadmin args`, expecting failure (exit 1 and an error message).
    pub fn fails(&self, args: &[&str]) -> Run {
        self.fails_with(self.command(args), "")
    }

    pub fn fails_with(&self, cmd: Command, stdin: &str) -> Run {
        let out = self.output(cmd, Some(stdin));
        let run = Run::from(&out);
        assert_eq!(out.status.code(), Some(1), "expected exit 1:\n{run:#?}");
        assert!(
            run.stderr.starts_with("cogadmin: error: "),
            "no error message:\n{run:#?}"
        );
        run
    }

    pub fn admin_toml(&self) -> toml::Table {
        self.home
            .read(".config/cogauth/admin.toml")
            .parse()
            .expect("admin.toml parses")
    }

    /// A value of `[last_setup]` in admin.toml.
    pub fn recorded(&self, key: &str) -> String {
        self.admin_toml()["last_setup"][key]
            .as_str()
            .unwrap_or_else(|| panic!("last_setup.{key} is not a string"))
            .to_owned()
    }
}

impl From<&Output> for Run {
    fn from(out: &Output) -> Self {
        Self {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The action reported for the step on `resource` ("created", "unchanged", ...).
    pub fn action_of(&self, resource: &str) -> String {
        let line = self
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(resource))
            .unwrap_or_else(|| panic!("no `{resource}` step in:\n{}", self.stdout));
        line.rsplit(": ").next().unwrap_or_default().to_owned()
    }

    /// The actions of every step on `resource`, in order (an adoption comes before the step
    /// that changes the adopted resource).
    pub fn actions_of(&self, resource: &str) -> Vec<String> {
        self.stdout
            .lines()
            .filter(|l| l.trim_start().starts_with(resource))
            .map(|l| l.rsplit(": ").next().unwrap_or_default().to_owned())
            .collect()
    }
}

/// The five steps of a setup, in order.
pub const SETUP_STEPS: [&str; 5] = [
    "user pool",
    "app client",
    "identity pool",
    "IAM role",
    "role attachment",
];

/// A lambda package that passes the deploy's checks: a zip of `bootstrap` holding the first
/// bytes of an x86_64 Linux executable (moto stores the code and never runs it).
pub fn fake_package() -> Vec<u8> {
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend_from_slice(&[0; 8]);
    elf.extend_from_slice(&2u16.to_le_bytes());
    elf.extend_from_slice(&62u16.to_le_bytes());
    elf.extend_from_slice(&[0x90; 1000]);
    cogauth_admin::lambda_deploy::bundle::zip_bootstrap(&elf).expect("zip the fake bootstrap")
}

/// A name unique to this run, valid as a user pool, identity pool and role name part.
pub fn unique_name(prefix: &str) -> String {
    fixtures::unique(prefix).replace('-', "_")
}

/// `cogadmin setup --create-user-pool` with unique names; returns the identity pool name, the
/// user pool name and the run.
pub fn setup_from_zero(admin: &Admin, extra: &[&str]) -> (String, String, Run) {
    let identity_pool_name = unique_name("Idp");
    let pool_name = unique_name("pool");
    let mut args = vec![
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &identity_pool_name,
    ];
    args.extend_from_slice(extra);
    let run = admin.ok(&args);
    (identity_pool_name, pool_name, run)
}

/// Marks the authenticated role of a fixture pool as `cogadmin setup` marks the role it
/// creates (`cogauth:managed = true`), for tests of what comes after setup: the deploy adds its
/// invoke permission only to a role cogadmin manages.
pub async fn mark_as_setups(pool: &fixtures::Pool) {
    let role = pool.role_arn.rsplit('/').next().expect("a role ARN");
    fixtures::iam_client()
        .await
        .tag_role()
        .role_name(role)
        .tags(cogauth_admin::ownership::iam_tag())
        .send()
        .await
        .expect("TagRole");
}

/// The tags of an IAM role, as (key, value).
pub fn role_tags(role: &str) -> Vec<(String, String)> {
    tag_pairs(
        &cogauth_test_support::emulator().aws_json(&["iam", "list-role-tags", "--role-name", role])
            ["Tags"],
    )
}

/// `[{"Key", "Value"}]` as (key, value) pairs.
pub fn tag_pairs(tags: &serde_json::Value) -> Vec<(String, String)> {
    tags.as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    (
                        t["Key"].as_str().unwrap_or_default().to_owned(),
                        t["Value"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// True when (key, value) pairs carry `cogauth:managed = true`.
pub fn is_marked(tags: &[(String, String)]) -> bool {
    tags.iter()
        .any(|(k, v)| k == "cogauth:managed" && v == "true")
}
