//! From nothing to a working AWS identity: `cogadmin setup --create-user-pool --write-profile`,
//! `cogadmin user create`, a login as that user with the written profile, and
//! `aws sts get-caller-identity` with the credentials it gave.

use cogauth_test_support::{ACCOUNT_ID, emulator};

use crate::{Admin, unique_name};

const PASSWORD: &str = "Alice-Passw0rd!";

/// The ids of a cogauth profile, read from the user config `cogadmin` wrote.
struct Profile {
    user_pool_id: String,
    client_id: String,
    identity_pool_id: String,
}

fn written_profile(admin: &Admin, name: &str) -> Profile {
    let config: toml::Table = admin
        .home
        .read(".config/cogauth/config.toml")
        .parse()
        .expect("the written config is TOML");
    let profile = &config["profiles"][name];
    let get = |key: &str| {
        profile[key]
            .as_str()
            .unwrap_or_else(|| panic!("profile `{name}` has no {key}"))
            .to_owned()
    };
    Profile {
        user_pool_id: get("user_pool_id"),
        client_id: get("client_id"),
        identity_pool_id: get("identity_pool_id"),
    }
}

/// The real `cogauth` binary, built beside `cogadmin` by `cargo test --workspace`.
pub(crate) fn cogauth_binary() -> std::path::PathBuf {
    let dir = std::env::current_exe().expect("test binary path");
    let bin = dir
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("cogauth");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p cogauth-cli` (cargo xtask test does)",
        bin.display()
    );
    bin
}

#[tokio::test]
async fn setup_then_create_a_user_then_log_in_and_call_aws() {
    let admin = Admin::new();
    let pool_name = unique_name("e2e");
    let identity_pool_name = unique_name("E2eIdp");
    let setup = admin.ok(&[
        "setup",
        "--create-user-pool",
        &pool_name,
        "--identity-pool-name",
        &identity_pool_name,
        "--write-profile",
        "team",
    ]);
    assert!(
        setup.stdout.contains("wrote profile `team`"),
        "{}",
        setup.stdout
    );

    // The user goes into the pool setup recorded: no --user-pool-id needed.
    let created = admin.ok_with_stdin(
        &["user", "create", "alice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(created.action_of("user"), "created", "{}", created.stdout);

    let profile = written_profile(&admin, "team");
    assert_eq!(profile.user_pool_id, admin.recorded("user_pool_id"));
    assert_eq!(profile.identity_pool_id, admin.recorded("identity_pool_id"));
    // Alice logs in with the real cogauth and the profile cogadmin wrote (SRP, no AWS keys).
    let mut login = admin.home.command(cogauth_binary());
    login
        .args([
            "login",
            "--profile",
            "team",
            "-u",
            "alice",
            "--password-stdin",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = login.spawn().expect("run cogauth login");
    std::io::Write::write_all(
        &mut child.stdin.take().expect("stdin"),
        format!("{PASSWORD}\n").as_bytes(),
    )
    .expect("password on stdin");
    let out = child.wait_with_output().expect("cogauth login");
    assert!(
        out.status.success(),
        "cogauth login failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        emulator().initiate_auth_calls(&profile.client_id, "USER_SRP_AUTH"),
        1
    );

    // The pinned AWS CLI, with only what cogauth wrote for the profile.
    let out = admin
        .home
        .command(emulator().aws_cli())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args([
            "sts",
            "get-caller-identity",
            "--profile",
            "team",
            "--output",
            "json",
        ])
        .output()
        .expect("run the AWS CLI");
    assert!(
        out.status.success(),
        "aws sts get-caller-identity failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON from the AWS CLI");
    assert_eq!(me["Account"], ACCOUNT_ID);
    assert!(
        me["Arn"]
            .as_str()
            .is_some_and(|a| a.starts_with("arn:aws:")),
        "{me}"
    );
}
