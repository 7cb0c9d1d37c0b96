//! The planted `./admin-config.json` (issue 12, section 2): a file in a repository that names an
//! administrators' role as the proxy's long-lived role. Read for compatibility with the
//! original, it is announced on every run, its names need `--adopt` or a yes on a terminal,
//! its `last_setup` is ignored, and `configure` never copies it into admin.toml. The attack is
//! shown first (with `--adopt`, which is what the original did without asking), then every
//! refusal, each leaving the planted role byte for byte as it was.

use std::process::Command;

use cogauth_test_support::{ACCOUNT_ID, REGION, TestHome, fixtures};
use serde_json::json;

use crate::BIN;
use crate::lambda_deploy::{Names, fake_package_in};
use crate::ownership::{plant_admin_role, role_snapshot, trust_of};

/// A project directory under `home` holding the planted file, which names `role` as the
/// long-lived role and a pool of the attacker's as the last setup.
fn plant_project(home: &TestHome, role: &str) -> std::path::PathBuf {
    home.write(
        "project/admin-config.json",
        &json!({
            "aws_service_names": {"long_lived_role_name": role},
            "last_setup": {"region": "eu-west-1", "user_pool_id": "eu-west-1_Attacker",
                           "client_id": "attackerclient", "identity_pool_id": "eu-west-1:8f1c2a3b-1234-4abc-9def-0123456789ab",
                           "role_arn": "arn:aws:iam::123456789012:role/x"}
        })
        .to_string(),
    );
    home.join("project")
}

/// `cogadmin lambda deploy` run from `project`, with the proxy's other names unique and the
/// long-lived role left to the admin config (so to the planted file).
fn deploy_command(
    home: &TestHome,
    project: &std::path::Path,
    pool: &fixtures::Pool,
    names: &Names,
    zip: &std::path::Path,
    extra: &[&str],
) -> Command {
    let mut cmd = home.command(BIN);
    cmd.current_dir(project)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .args([
            "lambda",
            "deploy",
            "--create-user",
            "--user-pool-id",
            &pool.user_pool_id,
            "--client-id",
            &pool.client_id,
            "--identity-pool-id",
            &pool.identity_pool_id,
            "--function-name",
            &names.function,
            "--iam-user-name",
            &names.user,
            "--execution-role-name",
            &names.execution_role,
            "--zip",
            zip.to_str().unwrap(),
        ])
        .args(extra);
    cmd
}

fn run(mut cmd: Command) -> (bool, String, String) {
    let out = cmd.stdin(std::process::Stdio::null()).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_planted_admin_config_json_cannot_hand_out_an_admin_role() {
    let pool = fixtures::create_pool(Default::default()).await;
    crate::mark_as_setups(&pool).await;

    // The attack, as the original ran it: deploy from a cloned repository, and the planted
    // name makes the administrators' role the proxy's. Here it takes --adopt.
    let home = TestHome::new();
    let zip = fake_package_in(&home);
    let attacked = fixtures::unique("OrgAdmin");
    plant_admin_role(&attacked).await;
    let project = plant_project(&home, &attacked);
    let names = Names::new();
    let (ok, stdout, stderr) = run(deploy_command(
        &home,
        &project,
        &pool,
        &names,
        &zip,
        &["--adopt"],
    ));
    assert!(ok, "{stdout}\n{stderr}");
    let trust = trust_of(&attacked).await;
    assert_eq!(
        trust["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT_ID}:user/{}", names.user),
        "the administrators' role now serves every pool user"
    );

    // Now the refusals, on a second planted role.
    let home = TestHome::new();
    let zip = fake_package_in(&home);
    let role = fixtures::unique("OrgAdmin");
    plant_admin_role(&role).await;
    let before = role_snapshot(&role).await;
    let project = plant_project(&home, &role);
    let names = Names::new();

    // Announced on every run that reads it, even one that changes nothing.
    let mut show = home.command(BIN);
    show.current_dir(&project).args(["configure", "--show"]);
    let (ok, shown, stderr) = run(show);
    assert!(ok, "{stderr}");
    let announcement = format!(
        "cogadmin: warning: using ./admin-config.json ({}): name long_lived_role_name = \
         \"{role}\" (your admin config: \"CognitoLongLivedRole\"); its `last_setup` is ignored \
         (only `cogadmin setup` records that, in admin.toml)",
        project.join("admin-config.json").display()
    );
    assert!(stderr.contains(&announcement), "{stderr}");
    assert!(!shown.contains("eu-west-1_Attacker"), "{shown}");

    // Without a terminal and without --adopt: refused, naming the file, the name and why.
    let (ok, stdout, stderr) = run(deploy_command(&home, &project, &pool, &names, &zip, &[]));
    assert!(!ok, "{stdout}");
    assert!(stderr.contains(&announcement), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cogadmin: error: `{}` sets aws_service_names.long_lived_role_name = \"{role}\" \
             (your admin config: \"CognitoLongLivedRole\"): a file in the working directory can \
             be planted",
            project.join("admin-config.json").display()
        )) && stderr.contains("run again with --adopt or confirm on a terminal"),
        "{stderr}"
    );
    assert_eq!(role_snapshot(&role).await, before);
    assert!(
        crate::lambda_deploy::aws_fails(&["iam", "get-user", "--user-name", &names.user])
            .contains("NoSuchEntity"),
        "nothing was created"
    );

    // On a terminal: the names are shown and asked about; "n" changes nothing.
    let cmd = deploy_command(&home, &project, &pool, &names, &zip, &[]);
    let mut session = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
    session
        .exp_string(&format!("long_lived_role_name = \"{role}\""))
        .unwrap();
    session.exp_string("Use these names? [y/N]: ").unwrap();
    session.send_line("n").unwrap();
    session
        .exp_string("not confirmed: nothing was changed")
        .unwrap();
    session.exp_eof().unwrap();
    assert_eq!(role_snapshot(&role).await, before);

    // "y" accepts the names, and the role is still not cogadmin's: refused by ownership.
    let cmd = deploy_command(&home, &project, &pool, &names, &zip, &[]);
    let mut session = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
    session.exp_string("Use these names? [y/N]: ").unwrap();
    session.send_line("y").unwrap();
    session.exp_string(&format!("IAM role `{role}`")).unwrap();
    session.exp_string("was not created by cogadmin").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(role_snapshot(&role).await, before);
    assert!(
        crate::lambda_deploy::aws_fails(&["iam", "get-user", "--user-name", &names.user])
            .contains("NoSuchEntity"),
        "the refusal comes before any change"
    );

    // `configure` never copies the planted name into the user's own admin.toml.
    let mut configure = home.command(BIN);
    configure
        .current_dir(&project)
        .args(["configure", "--no-input"]);
    let (ok, stdout, stderr) = run(configure);
    assert!(ok, "{stdout}\n{stderr}");
    let saved = home.read(".config/cogauth/admin.toml");
    assert!(!saved.contains(&role), "{saved}");
    assert!(
        saved.contains("long_lived_role_name = \"CognitoLongLivedRole\""),
        "{saved}"
    );
}

#[test]
fn a_local_file_that_agrees_with_the_admin_config_is_announced_and_needs_nothing() {
    let home = TestHome::offline();
    home.write(
        "project/admin-config.json",
        r#"{"aws_service_names": {"long_lived_role_name": "CognitoLongLivedRole"}}"#,
    );
    let mut show = home.command(BIN);
    show.current_dir(home.join("project"))
        .args(["configure", "--show"]);
    let (ok, _, stderr) = run(show);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("using ./admin-config.json (")
            && stderr.contains("it sets nothing that differs from your admin config"),
        "{stderr}"
    );
}
