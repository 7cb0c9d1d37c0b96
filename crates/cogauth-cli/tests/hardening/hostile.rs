//! Hostile and broken input, table-driven: every case runs the real `cogauth` in its own HOME
//! and must end with a clear error that names the thing (asserted on the message), a non-zero
//! exit that is not a panic (no exit 101, no "panicked"), nothing on stdout, and every file in
//! the HOME byte for byte as it was (the session cache aside, for the cases whose login
//! succeeded before the failure).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cogauth_test_support::TestHome;
use cogauth_test_support::fixtures;

use crate::support::*;

/// A check run after the command, given what it printed.
type AfterCheck = Box<dyn FnOnce(&Run) -> Result<(), String>>;

/// What one case runs and expects.
struct Setup {
    args: Vec<String>,
    stdin: String,
    env: Vec<(String, String)>,
    remove_env: Vec<&'static str>,
    /// Substrings of stderr: the thing named, and what to do.
    expect: Vec<String>,
    /// The login succeeded before the failure, so the session cache may be written.
    cache_may_change: bool,
    /// Run as an unprivileged user (for permission cases when the tests run as root).
    as_nobody: bool,
    /// A check after the run, e.g. how many requests reached a fake endpoint.
    after: Option<AfterCheck>,
    limit: Duration,
}

impl Setup {
    fn new(args: &[&str]) -> Self {
        Self {
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            stdin: String::new(),
            env: Vec::new(),
            remove_env: Vec::new(),
            expect: Vec::new(),
            cache_may_change: false,
            as_nobody: false,
            after: None,
            limit: Duration::from_secs(120),
        }
    }

    /// `cogauth login --profile dev -u someone --password-stdin`, for cases that fail before
    /// any AWS call or at a fake endpoint.
    fn login() -> Self {
        Self::new(&[
            "login",
            "--profile",
            "dev",
            "-u",
            "someone",
            "--password-stdin",
        ])
        .stdin("Some-Password-1!\n")
    }

    /// The login of the shared pool's user, with the right password.
    fn real_login() -> Self {
        let (_, user) = shared_pool();
        Self::new(&["login", "--profile", "dev", "-u", user, "--password-stdin"])
            .stdin(&format!("{PASSWORD}\n"))
    }

    fn expect(mut self, needles: &[&str]) -> Self {
        self.expect.extend(needles.iter().map(|s| (*s).to_owned()));
        self
    }

    fn stdin(mut self, stdin: &str) -> Self {
        self.stdin = stdin.to_owned();
        self
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    fn cache_may_change(mut self) -> Self {
        self.cache_may_change = true;
        self
    }

    fn after(mut self, check: impl FnOnce(&Run) -> Result<(), String> + 'static) -> Self {
        self.after = Some(Box::new(check));
        self
    }
}

struct Case {
    name: &'static str,
    prepare: fn(&TestHome) -> Setup,
}

/// Runs every case, each in a new HOME (with the emulator as its endpoint if `emulator`), then
/// fails listing every case that misbehaved.
fn run_cases(cases: &[Case], emulator: bool) {
    let mut failures = Vec::new();
    for case in cases {
        let home = if emulator {
            TestHome::new()
        } else {
            TestHome::offline()
        };
        let setup = (case.prepare)(&home);
        eprintln!("\n== {}", case.name);
        if let Err(why) = run_case(&home, setup, emulator) {
            failures.push(format!("== {}: {why}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn run_case(home: &TestHome, setup: Setup, emulator: bool) -> Result<(), String> {
    let before = snapshot(home.path(), setup.cache_may_change);
    let nobody = (setup.as_nobody && is_root()).then(|| AsNobody::prepare(home.path()));
    let mut cmd = match &nobody {
        Some(nobody) => nobody.command(home),
        None => home.command(COGAUTH),
    };
    // Whatever an offline case does, nothing leaves 127.0.0.1.
    if !emulator {
        cmd.env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        );
    }
    cmd.args(&setup.args);
    for (k, v) in &setup.env {
        cmd.env(k, v);
    }
    for k in &setup.remove_env {
        cmd.env_remove(k);
    }
    let started = Instant::now();
    let run = run_bounded(cmd, &setup.stdin, setup.limit);
    let elapsed = started.elapsed();
    // Shown with --nocapture, to review every message at once.
    eprintln!(
        "$ cogauth {}   [exit {:?} after {:.1} s]\n{}",
        setup.args.join(" "),
        run.status.code(),
        elapsed.as_secs_f64(),
        run.stderr.trim_end()
    );
    let after = snapshot(home.path(), setup.cache_may_change);

    let mut problems = Vec::new();
    if run.status.success() {
        problems.push("it succeeded".to_owned());
    }
    if run.status.code() == Some(101) || run.stderr.contains("panicked") {
        problems.push("it panicked".to_owned());
    }
    if run.status.code().is_none() {
        problems.push("it was killed by a signal".to_owned());
    }
    for needle in &setup.expect {
        if !run.stderr.contains(needle.as_str()) {
            problems.push(format!("stderr does not say {needle:?}"));
        }
    }
    if !run.stdout.trim().is_empty() {
        problems.push("it printed on stdout".to_owned());
    }
    if before != after {
        let changed: Vec<_> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .map(|k| k.display().to_string())
            .collect();
        problems.push(format!("files changed: {changed:?}"));
    }
    if let Some(check) = setup.after
        && let Err(why) = check(&run)
    {
        problems.push(why);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} (after {elapsed:?})\n{}",
            problems.join("; "),
            run.show()
        ))
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

const NOBODY: u32 = 65534;

/// Permission bits do not stop root: a permission case run by root runs as `nobody`, who owns
/// the HOME, from a copy of the binary (the build directory may be out of its reach).
struct AsNobody {
    _dir: tempfile::TempDir,
    binary: std::path::PathBuf,
}

impl AsNobody {
    fn prepare(home: &Path) -> Self {
        let mut stack = vec![home.to_path_buf()];
        while let Some(path) = stack.pop() {
            std::os::unix::fs::lchown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
            if path.is_dir() && !path.is_symlink() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let binary = dir.path().join("cogauth");
        std::fs::copy(COGAUTH, &binary).unwrap();
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self { _dir: dir, binary }
    }

    fn command(&self, home: &TestHome) -> Command {
        let mut cmd = home.command(&self.binary);
        std::os::unix::process::CommandExt::uid(&mut cmd, NOBODY);
        std::os::unix::process::CommandExt::gid(&mut cmd, NOBODY);
        cmd
    }
}

fn write(home: &TestHome, path: &str, bytes: &[u8]) {
    let full = home.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, bytes).unwrap();
}

fn config(home: &TestHome, text: &str) {
    write(home, ".config/cogauth/config.toml", text.as_bytes());
}

fn fake_profile(home: &TestHome) {
    config(home, FAKE_PROFILE);
}

fn real_profile(home: &TestHome) {
    config(home, &dev_profile(&shared_pool().0));
}

/// A file of `megabytes` of valid INI sections, then `tail`.
fn huge_ini(megabytes: usize, tail: &str) -> Vec<u8> {
    let section = "[profile-xxxxxxxx]\naws_access_key_id = AKIAXXXXXXXXXXXXXXXX\naws_secret_access_key = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\n";
    let mut bytes = section
        .repeat(megabytes * 1024 * 1024 / section.len())
        .into_bytes();
    bytes.extend_from_slice(tail.as_bytes());
    bytes
}

fn lines_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

// ---------------------------------------------------------------------------------------------
// Configuration, flags and the environment: no network needed.

const LOCAL: &[Case] = &[
    Case {
        name: "malformed TOML config",
        prepare: |h| {
            config(h, "[profiles.dev\nuser_pool_id = 1\n");
            Setup::new(&["status", "--profile", "dev"])
                .expect(&["config file `", "config.toml` is invalid at line 1"])
        },
    },
    Case {
        name: "unknown key in the config",
        prepare: |h| {
            config(h, "[profiles.dev]\nuser_pool = \"x\"\n");
            Setup::new(&["status", "--profile", "dev"]).expect(&[
                "config.toml` is invalid at line 2",
                "unknown field `user_pool`",
            ])
        },
    },
    Case {
        name: "wrong type in the config",
        prepare: |h| {
            config(h, "[profiles.dev]\nduration_hours = \"twelve\"\n");
            Setup::new(&["status", "--profile", "dev"]).expect(&[
                "config.toml` is invalid at line 2, column 18",
                "invalid type: string \"twelve\", expected u32",
            ])
        },
    },
    Case {
        name: "config that is not UTF-8",
        prepare: |h| {
            write(
                h,
                ".config/cogauth/config.toml",
                b"[profiles.dev]\nregion = \"\xff\xfe\"\n",
            );
            Setup::new(&["status", "--profile", "dev"]).expect(&["config.toml` is not UTF-8 text"])
        },
    },
    Case {
        name: "config of NUL bytes",
        prepare: |h| {
            write(h, ".config/cogauth/config.toml", &[0u8; 4096]);
            Setup::new(&["status", "--profile", "dev"])
                .expect(&["config.toml` is invalid at line 1"])
        },
    },
    Case {
        name: "huge config (20 MB) broken at the end",
        prepare: |h| {
            let mut text = "# a comment line of padding, repeated\n".repeat(20 * 1024 * 1024 / 38);
            let line = text.lines().count() + 1;
            text.push_str("[profiles.dev\n");
            config(h, &text);
            let message = format!("config.toml` is invalid at line {line}");
            let setup = Setup::new(&["status", "--profile", "dev"]);
            Setup {
                expect: vec![message],
                ..setup
            }
        },
    },
    Case {
        name: "config path is a directory",
        prepare: |h| {
            std::fs::create_dir_all(h.join(".config/cogauth/config.toml")).unwrap();
            Setup::new(&["status", "--profile", "dev"]).expect(&["cannot read `", "config.toml`"])
        },
    },
    Case {
        name: "broken legacy config",
        prepare: |h| {
            write(h, ".cognito-cli-config.json", b"{\"user_pool_id\": ");
            Setup::new(&["status"]).expect(&[
                "legacy config file `",
                ".cognito-cli-config.json` is not valid JSON",
            ])
        },
    },
    Case {
        name: "bad user pool id flag",
        prepare: |_| {
            Setup::new(&[
                "configure",
                "--profile",
                "dev",
                "--user-pool-id",
                "us-east-1-nope",
            ])
            .expect(&[
                "`user_pool_id` = `us-east-1-nope`",
                "not a valid user pool id",
                "us-east-1_AbC123",
            ])
        },
    },
    Case {
        name: "bad client id flag",
        prepare: |_| {
            Setup::new(&["configure", "--profile", "dev", "--client-id", "has space"])
                .expect(&["`client_id` = `has space`", "not a valid app client id"])
        },
    },
    Case {
        name: "bad identity pool id flag",
        prepare: |_| {
            Setup::new(&[
                "configure",
                "--profile",
                "dev",
                "--identity-pool-id",
                "us-east-1:not-a-uuid",
            ])
            .expect(&[
                "`identity_pool_id` = `us-east-1:not-a-uuid`",
                "not a valid identity pool id",
            ])
        },
    },
    Case {
        name: "bad region flag",
        prepare: |_| {
            Setup::new(&["configure", "--profile", "dev", "--region", "Mars"])
                .expect(&["`region` = `Mars`", "not a valid region"])
        },
    },
    Case {
        name: "bad role ARN flag",
        prepare: |_| {
            Setup::new(&[
                "configure",
                "--profile",
                "dev",
                "--role-arn",
                "arn:aws:s3:::bucket",
            ])
            .expect(&["`role_arn` = `arn:aws:s3:::bucket`", "not a valid role ARN"])
        },
    },
    Case {
        name: "bad id in the config file",
        prepare: |h| {
            config(
                h,
                "[profiles.dev]\nuser_pool_id = \"nope\"\nclient_id = \"abc\"\n",
            );
            Setup::login().expect(&["`user_pool_id` = `nope` (from file ", "config.toml)"])
        },
    },
    Case {
        name: "bad id in the environment",
        prepare: |h| {
            fake_profile(h);
            Setup::login()
                .env("COGNITO_IDENTITY_POOL_ID", "eu-west-1")
                .expect(&["`identity_pool_id` = `eu-west-1` (from env COGNITO_IDENTITY_POOL_ID)"])
        },
    },
    Case {
        name: "bad profile name flag",
        prepare: |_| {
            Setup::new(&["login", "--profile", "../../etc/passwd"])
                .expect(&["invalid profile name `../../etc/passwd`"])
        },
    },
    Case {
        name: "bad profile name in the environment",
        prepare: |_| {
            Setup::new(&["status"])
                .env("COGAUTH_PROFILE", "a]b")
                .expect(&["invalid profile name `a]b`"])
        },
    },
    Case {
        name: "missing user pool id",
        prepare: |h| {
            config(h, "[profiles.dev]\nclient_id = \"abc\"\n");
            Setup::login().expect(&[
                "`user_pool_id` is not set for profile `dev`",
                "cogauth configure --profile dev",
            ])
        },
    },
    Case {
        name: "missing client id",
        prepare: |h| {
            config(h, "[profiles.dev]\nuser_pool_id = \"us-east-1_Abc\"\n");
            Setup::login().expect(&[
                "`client_id` is not set for profile `dev`",
                "cogauth configure --profile dev",
            ])
        },
    },
    Case {
        name: "missing identity pool id",
        prepare: |h| {
            config(
                h,
                "[profiles.dev]\nuser_pool_id = \"us-east-1_Abc\"\nclient_id = \"abc\"\n",
            );
            Setup::login().expect(&[
                "`identity_pool_id` is not set for profile `dev`",
                "cogauth configure --profile dev",
            ])
        },
    },
    Case {
        name: "profile not in the config",
        prepare: |h| {
            config(h, "[profiles.work]\nclient_id = \"abc\"\n");
            Setup::new(&[
                "login",
                "--profile",
                "nosuch",
                "-u",
                "x",
                "--password-stdin",
            ])
            .stdin("pw\n")
            .expect(&[
                "profile `nosuch` is not in `",
                "profiles there: work",
                "cogauth configure --profile nosuch",
            ])
        },
    },
    Case {
        name: "missing HOME for status",
        prepare: |_| {
            let mut s = Setup::new(&["status"]).expect(&["HOME is not set"]);
            s.remove_env.push("HOME");
            s
        },
    },
    Case {
        name: "missing HOME for credential-process",
        prepare: |_| {
            let mut s = Setup::new(&["credential-process", "--profile", "dev"])
                .expect(&["HOME is not set"]);
            s.remove_env.push("HOME");
            s
        },
    },
    Case {
        name: "unknown flag",
        prepare: |_| Setup::new(&["login", "--bogus"]).expect(&["unexpected argument '--bogus'"]),
    },
    Case {
        name: "unknown subcommand",
        prepare: |_| Setup::new(&["frobnicate"]).expect(&["unrecognized subcommand 'frobnicate'"]),
    },
    Case {
        name: "duration out of range",
        prepare: |_| {
            Setup::new(&["configure", "--profile", "dev", "--duration-hours", "13"])
                .expect(&["`duration_hours` = `13`", "1 to 12"])
        },
    },
    Case {
        name: "duration that is not a number",
        prepare: |_| {
            Setup::new(&["login", "--profile", "dev", "--duration", "12h"])
                .expect(&["invalid value '12h' for '--duration <HOURS>'"])
        },
    },
    Case {
        name: "duration of zero hours",
        prepare: |h| {
            fake_profile(h);
            Setup::login()
                .with_args(&["--duration", "0"])
                .expect(&["invalid value '0' for '--duration <HOURS>': 0 is not in 1..=12"])
        },
    },
    Case {
        name: "negative refresh window",
        prepare: |_| {
            Setup::new(&["credential-process", "--profile", "dev", "--window=-5"])
                .expect(&["invalid value '-5' for '--window"])
        },
    },
    Case {
        name: "unknown auth flow",
        prepare: |_| {
            Setup::new(&["configure", "--profile", "dev", "--auth-flow", "magic"]).expect(&[
                "invalid value 'magic'",
                "srp",
                "password",
            ])
        },
    },
    Case {
        name: "unknown export format",
        prepare: |_| {
            Setup::new(&["export", "--profile", "dev", "--format", "xml"])
                .expect(&["invalid value 'xml'"])
        },
    },
    Case {
        name: "exec without a command",
        prepare: |_| Setup::new(&["exec", "--profile", "dev"]).expect(&["required"]),
    },
    Case {
        name: "empty password on stdin",
        prepare: |h| {
            fake_profile(h);
            Setup::login().stdin("").expect(&["password"])
        },
    },
    Case {
        name: "empty client secret on stdin",
        prepare: |_| {
            Setup::new(&["configure", "--profile", "dev", "--client-secret-stdin"])
                .expect(&["client secret"])
        },
    },
    Case {
        name: "corrupt session cache",
        prepare: |h| {
            fake_profile(h);
            write(
                h,
                ".cache/cogauth/dev.json",
                b"{\"profile\": \"dev\", \"refresh_token\": \"canary-in-a-broken-file",
            );
            Setup::new(&["credential-process", "--profile", "dev"])
                .expect(&[
                    "session cache `",
                    "dev.json` is corrupt (truncated JSON",
                    "cogauth logout --profile dev",
                ])
                .after(|run| match run.stderr.contains("canary-in-a-broken-file") {
                    true => Err("the message quotes the broken file's secret".into()),
                    false => Ok(()),
                })
        },
    },
    Case {
        name: "session cache holding another profile",
        prepare: |h| {
            fake_profile(h);
            let other = serde_json::json!({
                "profile": "prod",
                "user_pool_id": "us-east-1_Fake123",
                "client_id": "fakeclient123",
                "username": "alice",
                "updated_at": "2030-01-01T00:00:00Z",
            });
            write(h, ".cache/cogauth/dev.json", other.to_string().as_bytes());
            Setup::new(&["credential-process", "--profile", "dev"])
                .expect(&["dev.json` is corrupt (it holds the session of profile `prod`)"])
        },
    },
    Case {
        name: "session cache of binary garbage",
        prepare: |h| {
            fake_profile(h);
            write(
                h,
                ".cache/cogauth/dev.json",
                &[0x00, 0xff, 0x13, 0x37, 0x80, 0x00],
            );
            Setup::new(&["export", "--profile", "dev"])
                .expect(&["dev.json` is corrupt (not valid JSON"])
        },
    },
    Case {
        name: "session cache directory is a file",
        prepare: |h| {
            fake_profile(h);
            write(h, ".cache/cogauth", b"not a directory");
            Setup::new(&["credential-process", "--profile", "dev"]).expect(&[
                "cannot read `",
                ".cache/cogauth/dev.json`: Not a directory (os error 20)\n",
            ])
        },
    },
    Case {
        name: "no session and no terminal",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["credential-process", "--profile", "dev"]).expect(&[
                "no valid session for profile `dev`",
                "cogauth login --profile dev",
            ])
        },
    },
    // The commands of issue 16: roles, tokens, the credential server, the console.
    Case {
        name: "--role that is neither a name nor an ARN",
        prepare: |h| {
            fake_profile(h);
            Setup::login().with_args(&["--role", "ad min;rm"]).expect(&[
                "--role `ad min;rm` is neither a role ARN",
                "`cogauth roles` lists yours",
            ])
        },
    },
    Case {
        name: "--role ARN of another partition shape",
        prepare: |h| {
            fake_profile(h);
            Setup::login()
                .with_args(&["--role", "arn:aws:iam::12:role/x"])
                .expect(&["--role `arn:aws:iam::12:role/x` is neither a role ARN"])
        },
    },
    Case {
        name: "roles without a session",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["roles", "--profile", "dev", "--json"]).expect(&[
                "no valid session for profile `dev`",
                "cogauth login --profile dev",
            ])
        },
    },
    Case {
        name: "token without a session",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["token", "--profile", "dev"]).expect(&[
                "no valid session for profile `dev`",
                "cogauth login --profile dev",
            ])
        },
    },
    Case {
        name: "token --id and --access at once",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["token", "--profile", "dev", "--id", "--access"])
                .expect(&["'--id' cannot be used with '--access'"])
        },
    },
    Case {
        name: "token --window beyond a day",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["token", "--profile", "dev", "--window", "99999"])
                .expect(&["invalid value '99999' for '--window <MINUTES>'", "0..=1440"])
        },
    },
    Case {
        name: "--token-env that is not a variable name",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&[
                "exec",
                "--profile",
                "dev",
                "--token-env",
                "X=$(id)",
                "--",
                "true",
            ])
            .expect(&["--token-env `X=$(id)` is not a variable name"])
        },
    },
    Case {
        name: "--token-env naming an AWS variable",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&[
                "exec",
                "--profile",
                "dev",
                "--token-env",
                "AWS_SECRET_ACCESS_KEY",
                "--",
                "true",
            ])
            .expect(&["would replace a variable the AWS tools read"])
        },
    },
    Case {
        name: "exec --access without --token-env",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["exec", "--profile", "dev", "--access", "--", "true"])
                .expect(&["--token-env <NAME>"])
        },
    },
    Case {
        name: "exec --server without a session",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["exec", "--profile", "dev", "--server", "--", "touch", "RAN"])
                // The snapshot of the HOME proves `touch RAN` never ran.
                .expect(&["no valid session for profile `dev`"])
        },
    },
    Case {
        name: "serve --port beyond 65535",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["serve", "--profile", "dev", "--port", "70000"])
                .expect(&["invalid value '70000' for '--port <N>'"])
        },
    },
    Case {
        name: "serve --format unknown",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["serve", "--profile", "dev", "--format", "xml"])
                .expect(&["invalid value 'xml' for '--format <FORMAT>'", "env, json"])
        },
    },
    Case {
        name: "serve without a session",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["serve", "--profile", "dev"]).expect(&[
                "no valid session for profile `dev`",
                "cogauth login --profile dev",
            ])
        },
    },
    Case {
        name: "console --destination that is not https",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&[
                "console",
                "--profile",
                "dev",
                "--print",
                "--destination",
                "http://evil.example/",
            ])
            .expect(&["--destination `http://evil.example/` is not a console URL"])
        },
    },
    Case {
        name: "console --duration below 15 minutes",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["console", "--profile", "dev", "--duration", "5"])
                .expect(&["invalid value '5' for '--duration <MINUTES>'"])
        },
    },
    Case {
        name: "federation endpoint override that is not https",
        prepare: |h| {
            fake_profile(h);
            Setup::new(&["console", "--profile", "dev", "--print"])
                .env("COGAUTH_FEDERATION_ENDPOINT", "http://evil.example/federation")
                .expect(&[
                    "COGAUTH_FEDERATION_ENDPOINT `http://evil.example/federation` is not an absolute https URL",
                ])
        },
    },
];

impl Setup {
    fn with_args(mut self, more: &[&str]) -> Self {
        self.args.extend(more.iter().map(|s| (*s).to_owned()));
        self
    }
}

#[test]
fn local_cases() {
    run_cases(LOCAL, false);
}

// ---------------------------------------------------------------------------------------------
// Faults of the network and of the service, at fake endpoints on 127.0.0.1.

/// `COGAUTH_AWS_TIMEOUT` for the black hole: the default bound is a minute.
const SHORT_TIMEOUT: &str = "3";

/// A login whose every AWS call goes to `url`.
fn against(url: &str) -> Setup {
    Setup::new(&[
        "login",
        "--profile",
        "dev",
        "-u",
        "someone",
        "--password-stdin",
    ])
    .stdin("pw\n")
    .env("AWS_ENDPOINT_URL", url)
}

fn requests_were(fake: FakeAws, expected: usize) -> impl FnOnce(&Run) -> Result<(), String> {
    move |_| {
        let targets = fake.targets.lock().unwrap().clone();
        if targets.len() == expected {
            Ok(())
        } else {
            Err(format!(
                "{} requests reached the endpoint, expected {expected}: {targets:?}",
                targets.len()
            ))
        }
    }
}

const NETWORK: &[Case] = &[
    Case {
        name: "emulator down (connection refused)",
        prepare: |h| {
            fake_profile(h);
            let url = format!("http://127.0.0.1:{}", closed_port());
            let port = url.rsplit(':').next().unwrap().to_owned();
            against(&url).expect(&["cannot connect"]).after(move |run| {
                match run.stderr.contains(&port) {
                    true => Ok(()),
                    false => Err(format!(
                        "the error does not name the endpoint's port {port}"
                    )),
                }
            })
        },
    },
    Case {
        name: "black-holed endpoint times out within its bound",
        prepare: |h| {
            fake_profile(h);
            let hole = BlackHole::start();
            let mut setup = against(&hole.url)
                .env("COGAUTH_AWS_TIMEOUT", SHORT_TIMEOUT)
                .expect(&["timed out"])
                .after(
                    move |_| match hole.connections.load(std::sync::atomic::Ordering::SeqCst) {
                        0 => Err("nothing connected to the black hole".into()),
                        _ => Ok(()),
                    },
                );
            // Generous: the bound is 3 s; a hang would take the watchdog's 90 s.
            setup.limit = Duration::from_secs(90);
            setup
        },
    },
    Case {
        name: "HTTP 500 is retried 3 times, then reported",
        prepare: |h| {
            fake_profile(h);
            let fake = FakeAws::start(
                500,
                "application/x-amz-json-1.1",
                r#"{"__type":"InternalErrorException","message":"boom"}"#,
            );
            against(&fake.url)
                .expect(&["InternalErrorException", "boom"])
                .after(requests_were(fake, 3))
        },
    },
    Case {
        name: "HTTP 503 with an empty body is retried 3 times",
        prepare: |h| {
            fake_profile(h);
            let fake = FakeAws::start(503, "text/plain", "");
            against(&fake.url)
                .expect(&["InitiateAuth failed: malformed response: HTTP 503 with no AWS error in the body"])
                .after(requests_were(fake, 3))
        },
    },
    Case {
        name: "HTTP 502 with an HTML page is retried 3 times",
        prepare: |h| {
            fake_profile(h);
            let fake = FakeAws::start(502, "text/html", "<html><body>Bad Gateway</body></html>");
            against(&fake.url)
                .expect(&["InitiateAuth failed: malformed response: HTTP 502 with no AWS error in the body"])
                .after(requests_were(fake, 3))
        },
    },
    Case {
        name: "throttling is retried 3 times, then reported",
        prepare: |h| {
            fake_profile(h);
            let fake = FakeAws::start(
                400,
                "application/x-amz-json-1.1",
                r#"{"__type":"TooManyRequestsException","message":"Rate exceeded"}"#,
            );
            against(&fake.url)
                .expect(&["Rate exceeded"])
                .after(requests_were(fake, 3))
        },
    },
    Case {
        name: "malformed server JSON",
        prepare: |h| {
            fake_profile(h);
            let fake = FakeAws::start(200, "application/x-amz-json-1.1", "{\"ChallengeName\": ");
            against(&fake.url)
                .expect(&["malformed response"])
                .after(requests_were(fake, 1))
        },
    },
    Case {
        name: "server JSON of the wrong shape",
        prepare: |h| {
            fake_profile(h);
            let fake = FakeAws::start(200, "application/x-amz-json-1.1", "{}");
            against(&fake.url)
                .expect(&["InitiateAuth returned no AuthenticationResult or ChallengeName"])
                .after(requests_were(fake, 1))
        },
    },
    Case {
        name: "a refusal is not retried",
        prepare: |h| {
            fake_profile(h);
            let fake = FakeAws::start(
                400,
                "application/x-amz-json-1.1",
                r#"{"__type":"NotAuthorizedException","message":"Incorrect username or password."}"#,
            );
            against(&fake.url)
                .expect(&["ncorrect username or password"])
                .after(requests_were(fake, 1))
        },
    },
];

#[test]
fn network_cases() {
    run_cases(NETWORK, false);
}

// ---------------------------------------------------------------------------------------------
// The AWS files, the service's refusals and stale sessions, against the emulator.

fn revoke_cached_refresh_token(home: &TestHome) {
    let session: serde_json::Value =
        serde_json::from_str(&home.read(".cache/cogauth/dev.json")).unwrap();
    let token = session["refresh_token"].as_str().unwrap().to_owned();
    let client_id = shared_pool().0.client_id.clone();
    block_on(async move {
        fixtures::idp_client()
            .await
            .revoke_token()
            .token(token)
            .client_id(client_id)
            .send()
            .await
            .expect("RevokeToken");
    });
}

fn set_cached_expiry(home: &TestHome, expiration: &str) {
    let path = home.join(".cache/cogauth/dev.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["credentials"]["expiration"] = expiration.into();
    std::fs::write(&path, session.to_string()).unwrap();
}

/// Logs in, revokes the refresh token at the emulator, and sets the cached expiry.
fn revoked_session(home: &TestHome, expiration: &str) {
    real_profile(home);
    login(home).ok();
    revoke_cached_refresh_token(home);
    set_cached_expiry(home, expiration);
}

const EMULATOR: &[Case] = &[
    Case {
        name: "wrong password",
        prepare: |h| {
            real_profile(h);
            // moto does not check an SRP proof; it checks a password sent with the
            // password flow.
            Setup::real_login()
                .with_args(&["--auth-flow", "password"])
                .stdin("Wrong-Password-1!\n")
                .expect(&["incorrect username or password"])
        },
    },
    Case {
        name: "unknown user",
        prepare: |h| {
            real_profile(h);
            Setup::new(&[
                "login",
                "--profile",
                "dev",
                "-u",
                "nobody-at-all",
                "--password-stdin",
            ])
            .stdin("pw\n")
            // Cognito does not tell a missing user from a wrong password.
            .expect(&["incorrect username or password"])
        },
    },
    Case {
        name: "app client that does not exist",
        prepare: |h| {
            let pool = &shared_pool().0;
            config(
                h,
                &format!(
                    "[profiles.dev]\nuser_pool_id = \"{}\"\nclient_id = \"nosuchclient42\"\nidentity_pool_id = \"{}\"\n",
                    pool.user_pool_id, pool.identity_pool_id
                ),
            );
            Setup::real_login().expect(&["nosuchclient42"])
        },
    },
    Case {
        name: "identity pool that does not exist",
        prepare: |h| {
            // moto answers a missing identity pool with a bare HTTP 500; AWS says this.
            let fake = FakeAws::start(
                400,
                "application/x-amz-json-1.1",
                r#"{"__type":"ResourceNotFoundException","message":"IdentityPool 'us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab' not found."}"#,
            );
            real_profile(h);
            Setup::real_login()
                .cache_may_change()
                .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY", &fake.url.clone())
                .expect(&[
                    "identity pool `",
                    "` does not exist in us-east-1: check `identity_pool_id` and `region`",
                ])
                .after(requests_were(fake, 1))
        },
    },
    Case {
        name: "credentials file that is not INI",
        prepare: |h| {
            real_profile(h);
            write(h, ".aws/credentials", b"this is not an INI file\n");
            Setup::real_login().cache_may_change().expect(&[
                ".aws/credentials` is not a valid AWS INI file: line 1",
                "left the file unchanged",
            ])
        },
    },
    Case {
        name: "credentials file of binary garbage",
        prepare: |h| {
            real_profile(h);
            let garbage: Vec<u8> = (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
            write(h, ".aws/credentials", &garbage);
            Setup::real_login().cache_may_change().expect(&[
                ".aws/credentials` is not a valid AWS INI file",
                "left the file unchanged",
            ])
        },
    },
    Case {
        name: "huge credentials file (50 MB) broken at the end",
        prepare: |h| {
            real_profile(h);
            let bytes = huge_ini(50, "[unterminated\n");
            let line = lines_in(&bytes);
            write(h, ".aws/credentials", &bytes);
            let setup = Setup::real_login().cache_may_change();
            let message = format!(".aws/credentials` is not a valid AWS INI file: line {line}:");
            Setup {
                expect: vec![message],
                ..setup
            }
        },
    },
    Case {
        name: "credentials section written by someone else",
        prepare: |h| {
            real_profile(h);
            write(h, ".aws/credentials", b"# mine\n[dev]\naws_access_key_id = AKIALONGTERM\naws_secret_access_key = keep-me\n");
            Setup::real_login().cache_may_change().expect(&[
                "already has a section `[dev]` that cogauth did not write",
                "`aws_access_key_id`",
                "--force",
            ])
        },
    },
    Case {
        name: "credentials file with the profile twice",
        prepare: |h| {
            real_profile(h);
            write(
                h,
                ".aws/credentials",
                b"[dev]\nx_cogauth_managed = true\n\n[dev]\nregion = x\n",
            );
            Setup::real_login().cache_may_change().expect(&[
                "has the section `[dev]` twice (lines 1 and 4)",
                "merge them by hand",
            ])
        },
    },
    Case {
        name: "config section written by someone else, another region",
        prepare: |h| {
            real_profile(h);
            write(
                h,
                ".aws/config",
                b"[profile dev]\nregion = eu-west-3\nsso_start_url = https://example.invalid\n",
            );
            Setup::real_login()
                .cache_may_change()
                .expect(&["already has a section `[profile dev]`", "--force"])
        },
    },
    Case {
        name: "~/.aws is a file",
        prepare: |h| {
            real_profile(h);
            write(h, ".aws", b"not a directory");
            Setup::real_login().cache_may_change().expect(&[
                "cannot create directory `",
                ".aws`: it exists and is not a directory",
            ])
        },
    },
    Case {
        name: "credentials path is a directory",
        prepare: |h| {
            real_profile(h);
            std::fs::create_dir_all(h.join(".aws/credentials")).unwrap();
            Setup::real_login()
                .cache_may_change()
                .expect(&["cannot read `", ".aws/credentials`"])
        },
    },
    Case {
        name: "read-only ~/.aws",
        prepare: |h| {
            real_profile(h);
            write(
                h,
                ".aws/credentials",
                b"# keep\n[other]\naws_access_key_id = AKIAOTHER\n",
            );
            let mut setup = Setup::real_login()
                .cache_may_change()
                .expect(&[".aws/credentials.lock`: Permission denied (os error 13)"]);
            setup.as_nobody = true;
            std::fs::set_permissions(h.join(".aws"), std::fs::Permissions::from_mode(0o500))
                .unwrap();
            setup
        },
    },
    Case {
        name: "credentials and config are the same file",
        prepare: |h| {
            real_profile(h);
            let both = h.join(".aws/both").display().to_string();
            Setup::real_login()
                .cache_may_change()
                .env("AWS_SHARED_CREDENTIALS_FILE", &both)
                .env("AWS_CONFIG_FILE", &both)
                .expect(&[
                    "are the same file",
                    "point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE at different files",
                ])
        },
    },
    Case {
        name: "revoked refresh token, credentials expired",
        prepare: |h| {
            revoked_session(h, "2000-01-01T00:00:00Z");
            Setup::new(&["credential-process", "--profile", "dev"]).expect(&[
                "no valid session for profile `dev` (the refresh token has expired or was revoked)",
                "cogauth login --profile dev",
            ])
        },
    },
    Case {
        name: "garbage refresh token, credentials expired",
        prepare: |h| {
            real_profile(h);
            login(h).ok();
            let path = h.join(".cache/cogauth/dev.json");
            let mut session: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            session["refresh_token"] = "not-a-refresh-token".into();
            session["credentials"]["expiration"] = "2000-01-01T00:00:00Z".into();
            std::fs::write(&path, session.to_string()).unwrap();
            Setup::new(&["export", "--profile", "dev"]).expect(&[
                "no valid session for profile `dev`",
                "cogauth login --profile dev",
            ])
        },
    },
    Case {
        name: "clock skew: cached expiry far in the future, token revoked",
        prepare: |h| {
            revoked_session(h, "2999-01-01T00:00:00Z");
            Setup::new(&["credential-process", "--profile", "dev"]).expect(&[
                "no valid session for profile `dev` (the refresh token has expired or was revoked)",
            ])
        },
    },
    // Issue 16 against the emulator: roles and the console's federation endpoint.
    Case {
        name: "--role by name when the token names no roles",
        prepare: |h| {
            real_profile(h);
            Setup::real_login()
                .with_args(&["--role", "Admin"])
                .expect(&[
                    "role `Admin` cannot be found by name: your ID token names no roles",
                    "give the role's ARN",
                ])
        },
    },
    Case {
        name: "federation endpoint refusing the credentials",
        prepare: |h| {
            logged_in_with_secret(h, "wrong-secret-canary");
            console_at(&format!(
                "{}/federation",
                cogauth_test_support::emulator().endpoint()
            ))
            .expect(&["refused the credentials (HTTP 400"])
            .after(|run| match run.stderr.contains("wrong-secret-canary") {
                true => Err("the secret key is on stderr".into()),
                false => Ok(()),
            })
        },
    },
    Case {
        name: "federation endpoint down",
        prepare: |h| {
            logged_in_with_secret(h, "");
            console_at(&format!("http://127.0.0.1:{}/federation", closed_port()))
                .expect(&["cannot reach the federation endpoint `http://127.0.0.1:"])
        },
    },
    Case {
        name: "federation endpoint that never answers",
        prepare: |h| {
            logged_in_with_secret(h, "");
            let hole = BlackHole::start();
            console_at(&format!("{}/federation", hole.url))
                .env("COGAUTH_AWS_TIMEOUT", SHORT_TIMEOUT)
                .expect(&["cannot reach the federation endpoint `http://127.0.0.1:"])
        },
    },
    Case {
        name: "federation endpoint answering a web page",
        prepare: |h| {
            logged_in_with_secret(h, "");
            let fake = FakeAws::start(200, "text/html", "<html><body>Sign in</body></html>");
            console_at(&fake.url.clone())
                .expect(&["answered without a sign-in token (HTTP 200)"])
                .after(requests_were(fake, 1))
        },
    },
];

/// A real login; with `secret`, the cached secret key replaced by it (credentials the
/// federation endpoint does not know).
fn logged_in_with_secret(home: &TestHome, secret: &str) {
    real_profile(home);
    login(home).ok();
    if !secret.is_empty() {
        let path = home.join(".cache/cogauth/dev.json");
        let mut session: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        session["credentials"]["secret_access_key"] = secret.into();
        std::fs::write(&path, session.to_string()).unwrap();
    }
}

/// `cogauth console --print` with its federation endpoint at `url`, on fresh credentials.
fn console_at(url: &str) -> Setup {
    Setup::new(&["console", "--profile", "dev", "--print", "--window", "1"])
        .env("COGAUTH_FEDERATION_ENDPOINT", url)
}

#[test]
fn emulator_cases() {
    run_cases(EMULATOR, true);
}

#[test]
fn the_suite_has_at_least_forty_cases() {
    let total = LOCAL.len() + NETWORK.len() + EMULATOR.len();
    assert!(total >= 40, "{total} cases");
    let mut names: Vec<&str> = [LOCAL, NETWORK, EMULATOR]
        .iter()
        .flat_map(|cases| cases.iter().map(|c| c.name))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), total, "case names are unique");
}

/// The corrupt-cache error says to run `cogauth logout`: that must work on the corrupt file.
#[test]
fn the_way_out_of_a_corrupt_cache_works() {
    let home = TestHome::offline();
    fake_profile(&home);
    write(
        &home,
        ".cache/cogauth/dev.json",
        b"{\"profile\": \"dev\", \"refresh",
    );
    let offline = format!("http://127.0.0.1:{}", closed_port());
    let env = [("AWS_ENDPOINT_URL", offline.as_str())];
    let out = cogauth(&home, &["logout", "--profile", "dev"], "", &env);
    out.ok();
    assert!(
        !home.join(".cache/cogauth/dev.json").exists(),
        "{}",
        out.show()
    );
    let next = cogauth(&home, &["credential-process", "--profile", "dev"], "", &env);
    assert!(
        next.stderr
            .contains("no valid session for profile `dev` (nothing cached)"),
        "{}",
        next.show()
    );
}
