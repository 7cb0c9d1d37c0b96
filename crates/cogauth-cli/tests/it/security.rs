//! The user-side security findings, each through the real binary: the `credential_process`
//! line for a cogauth installed under a hostile path, the mode of the directories cogauth
//! creates, and the TOTP secret of an MFA setup without a terminal.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use cogauth_test_support::fixtures::{self, PoolOptions};
use cogauth_test_support::{TestHome, emulator, totp};
use serde_json::Value;

use crate::{PASSWORD, World, block_on, cogauth, cogauth_without_terminal, fails, ok};

/// Directory names a binary could be installed under, each a way to break a naive line.
const INSTALL_DIRS: &[&str] = &[
    "with space",
    "it's",
    "say \"hi\"",
    "a$(touch PWNED)b",
    "b`touch PWNED`c",
    "x;touch PWNED;y",
    "x;touch${IFS}PWNED;y",
    "semi ;colon #hash",
];

/// A copy of the cogauth binary at `<base>/<dir>/cogauth` (a hard link where possible).
fn install(base: &Path, dir: &str) -> PathBuf {
    let target = base.join(dir).join("cogauth");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    if std::fs::hard_link(crate::COGAUTH, &target).is_err() {
        std::fs::copy(crate::COGAUTH, &target).unwrap();
    }
    target
}

/// The `credential_process` value of `[profile dev]` in `~/.aws/config`.
fn credential_process_line(home: &TestHome) -> String {
    let config = home.read(".aws/config");
    let mut in_dev = false;
    for line in config.lines() {
        if line.starts_with('[') {
            in_dev = line.trim() == "[profile dev]";
        } else if in_dev && let Some(value) = line.strip_prefix("credential_process = ") {
            return value.to_owned();
        }
    }
    panic!("no credential_process in [profile dev]:\n{config}")
}

#[track_caller]
fn assert_process_json(out: &Output, how: &str) {
    assert!(
        out.status.success(),
        "{how} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{how}: not the credential JSON ({e})"));
    assert_eq!(json["Version"], 1, "{how}");
    assert_eq!(json["AccessKeyId"], "TESTACCESSKEY12345", "{how}");
}

/// Every file named `PWNED` below `dir`.
fn pwned(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "PWNED") {
            found.push(path.clone());
        }
        if path.is_dir() && !path.is_symlink() {
            found.extend(pwned(&path));
        }
    }
    found
}

/// How the Rust SDK's profile parser reads `credential_process` (it drops inline comments).
// aws-config names the profile-file set only by its deprecated alias `ProfileFiles`.
#[allow(deprecated)]
fn rust_sdk_reads(home: &TestHome) -> String {
    use aws_config::profile::profile_file::ProfileFiles;
    use aws_types::os_shim_internal::{Env, Fs};
    let env = Env::from_slice(&[("HOME", home.path().to_str().unwrap())]);
    let profiles = block_on(aws_config::profile::load(
        &Fs::real(),
        &env,
        &ProfileFiles::default(),
        None,
    ))
    .expect("the Rust SDK parses ~/.aws/config");
    profiles
        .get_profile("dev")
        .and_then(|p| p.get("credential_process"))
        .expect("credential_process in profile dev")
        .to_owned()
}

#[test]
fn credential_process_runs_this_cogauth_under_any_install_path() {
    // In the profile (not only on the login), so the refreshes below keep the mode.
    let world = World::new(PoolOptions::default(), &["--aws-integration", "process"]);
    let base = tempfile::Builder::new()
        .prefix("install-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let python = emulator().aws_cli().with_file_name("python");
    for dir in INSTALL_DIRS {
        let exe = install(base.path(), dir);
        let mut login = world.home.command(&exe);
        login.args([
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
            "--aws-integration",
            "process",
        ]);
        let out = crate::run_piped(login, &format!("{PASSWORD}\n"));
        ok(&out);
        let line = credential_process_line(&world.home);
        let words = vec![
            exe.to_str().unwrap().to_owned(),
            "credential-process".to_owned(),
            "--profile".to_owned(),
            "dev".to_owned(),
        ];

        // sh -c (the Rust, Go and JavaScript SDKs): the same words, and this cogauth runs.
        let split = world
            .home
            .command("sh")
            .arg("-c")
            .arg(format!("set -- {line}; printf '%s\\0' \"$@\""))
            .output()
            .unwrap();
        let sh_words: Vec<String> = String::from_utf8(split.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_owned)
            .collect();
        assert_eq!(sh_words, words, "sh reads {line}");
        let out = world
            .home
            .command("sh")
            .arg("-c")
            .arg(&line)
            .output()
            .unwrap();
        assert_process_json(&out, &format!("sh -c {line}"));

        // shlex.split (botocore: the AWS CLI, boto3), run without a shell as botocore does.
        let out = world
            .home
            .command(&python)
            .args([
                "-c",
                "import json, shlex, subprocess, sys\n\
                 words = shlex.split(sys.argv[1])\n\
                 sys.stderr.write(json.dumps(words))\n\
                 sys.stdout.write(subprocess.run(words, capture_output=True, text=True).stdout)",
                &line,
            ])
            .output()
            .unwrap();
        let shlex_words: Vec<String> = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(shlex_words, words, "shlex reads {line}");
        assert_process_json(&out, &format!("shlex.split {line}"));

        // The AWS CLI itself, reading ~/.aws/config.
        let out = world.aws(&[
            "sts",
            "get-caller-identity",
            "--profile",
            "dev",
            "--output",
            "json",
        ]);
        assert!(
            out.status.success(),
            "aws with {line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        // The Rust SDK's INI reader keeps the whole line (no ` #` or ` ;` read as a comment).
        assert_eq!(rust_sdk_reads(&world.home), line);

        let found = [pwned(world.home.path()), pwned(base.path())].concat();
        assert!(found.is_empty(), "{line} ran code: {found:?}");
    }
}

/// Runs `cogauth args` with `umask` in force.
fn with_umask(home: &TestHome, umask: &str, args: &[&str], stdin: &str) -> Output {
    let mut cmd = home.command("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(crate::COGAUTH)
        .args(args);
    crate::run_piped(cmd, stdin)
}

/// Every directory below `dir` with its mode.
fn directories(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            found.push((path.clone(), meta.permissions().mode() & 0o7777));
            found.extend(directories(&path));
        }
    }
    found
}

#[test]
fn every_directory_cogauth_creates_is_0700_under_any_umask() {
    let pool = block_on(fixtures::create_pool(PoolOptions::default()));
    let user = fixtures::unique("user");
    block_on(fixtures::create_user(&pool, &user, PASSWORD));
    for umask in ["000", "022"] {
        let home = TestHome::new();
        ok(&with_umask(
            &home,
            umask,
            &[
                "configure",
                "--profile",
                "dev",
                "--user-pool-id",
                &pool.user_pool_id,
                "--client-id",
                &pool.client_id,
                "--identity-pool-id",
                &pool.identity_pool_id,
            ],
            "",
        ));
        ok(&with_umask(
            &home,
            umask,
            &["login", "--profile", "dev", "-u", &user, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        ));
        let dirs = directories(home.path());
        for wanted in [".config/cogauth", ".cache/cogauth", ".aws"] {
            assert!(
                dirs.iter().any(|(p, _)| p == &home.join(wanted)),
                "{wanted} was created: {dirs:?}"
            );
        }
        for (dir, mode) in &dirs {
            assert_eq!(
                *mode,
                0o700,
                "umask {umask}: {} is {mode:04o}",
                dir.display()
            );
        }
        for file in [
            ".config/cogauth/config.toml",
            ".cache/cogauth/dev.json",
            ".aws/credentials",
        ] {
            let path = home.join(file);
            if path.exists() {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "umask {umask}: {file} is {mode:04o}");
            }
        }

        // doctor checks the directories too, not only the files in them.
        let dir = home.join(".config/cogauth");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = cogauth(&home, &["doctor", "--json", "--profile", "dev"], "");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "file permissions")
            .unwrap();
        assert_eq!(check["status"], "fail", "{report:#}");
        assert!(
            check["problem"]
                .as_str()
                .unwrap()
                .contains(&format!("`{}` has mode 0755", dir.display())),
            "{check}"
        );
        assert_eq!(
            check["fix"],
            format!("run `chmod 700 {}`", dir.display()).as_str()
        );
    }
}

#[test]
fn mfa_setup_without_a_terminal_never_prints_the_secret() {
    let world = World::new(
        PoolOptions {
            mfa_required: true,
            ..Default::default()
        },
        &[],
    );
    let login = |extra: &[&str]| {
        let mut args = vec![
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
        ];
        args.extend_from_slice(extra);
        cogauth_without_terminal(&world.home, &args, &format!("{PASSWORD}\n"))
    };
    for extra in [&[][..], &["--mfa-code", "123456"]] {
        let out = login(extra);
        let err = fails(&out);
        let everything = format!("{}{err}", String::from_utf8_lossy(&out.stdout));
        assert!(
            !everything.to_uppercase().contains(totp::MOTO_TOTP_SECRET)
                && !everything.contains("otpauth"),
            "the TOTP secret was printed:\n{everything}"
        );
        assert!(
            err.contains("set up an authenticator app")
                && err.contains("needs a terminal")
                && err.contains("run `cogauth login` once in a terminal"),
            "{err}"
        );
    }

    // On a terminal, the same login shows the secret there and finishes the setup.
    let mut cmd = world.home.command(crate::COGAUTH);
    cmd.args(["login", "--profile", "dev", "-u", &world.user]);
    let mut session = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
    session.exp_string("Password for").unwrap();
    session.send_line(PASSWORD).unwrap();
    session
        .exp_string(&format!(
            "enter the secret by hand: {}",
            totp::MOTO_TOTP_SECRET.to_lowercase()
        ))
        .unwrap();
    session
        .exp_string("Code from the authenticator app")
        .unwrap();
    session.send_line(&totp::current_code()).unwrap();
    session.exp_string("logged in as").unwrap();
    session.exp_eof().unwrap();
}
