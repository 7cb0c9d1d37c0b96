//! Groups with roles (issue 16): `cogadmin group create | add-user | remove-user | list` and
//! `cogadmin setup --role-mapping token`, idempotent and dry-runnable, checked by reading the
//! pools and roles back through the SDK; and a user of such a setup choosing a role with the
//! real `cogauth`.

use cogauth_test_support::fixtures::{iam_client, identity_client, idp_client};
use cogauth_test_support::{ACCOUNT_ID, emulator};

use crate::{Admin, setup_from_zero, unique_name};

const PASSWORD: &str = "Group-Passw0rd!";

/// Runs a future of the SDK fixtures to completion from a plain test.
fn block_on_harness<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// An admin with a fresh setup: (admin, user pool id, identity pool id).
fn set_up(extra: &[&str]) -> (Admin, String, String) {
    let admin = Admin::new();
    setup_from_zero(&admin, extra);
    let pool = admin.recorded("user_pool_id");
    let identity = admin.recorded("identity_pool_id");
    (admin, pool, identity)
}

/// `text` with each `(value, tag)`'s value as `[tag]`, for snapshots.
fn redact(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text.to_owned(), |text, (value, tag)| {
        text.replace(value, &format!("[{tag}]"))
    })
}

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
}

/// The trust policy of role `name`, as IAM holds it.
fn trust_of(name: &str) -> serde_json::Value {
    let name = name.to_owned();
    block_on_harness(async move {
        let role = iam_client()
            .await
            .get_role()
            .role_name(&name)
            .send()
            .await
            .expect("GetRole")
            .role
            .expect("a role");
        let raw = role.assume_role_policy_document().expect("a trust policy");
        cogauth_admin::policies::decode_document(raw).expect("JSON")
    })
}

/// (role ARN, precedence) of group `group`, or `None` when it does not exist.
fn group(pool: &str, group: &str) -> Option<(Option<String>, Option<i32>)> {
    let (pool, group) = (pool.to_owned(), group.to_owned());
    block_on_harness(async move {
        idp_client()
            .await
            .get_group()
            .user_pool_id(&pool)
            .group_name(&group)
            .send()
            .await
            .ok()
            .and_then(|out| out.group)
            .map(|g| (g.role_arn().map(str::to_owned), g.precedence()))
    })
}

/// The aud values of the cognito-identity statements of a trust policy.
fn trusted_pools(trust: &serde_json::Value) -> Vec<String> {
    trust["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Principal"]["Federated"] == "cognito-identity.amazonaws.com")
        .filter_map(|s| {
            s["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn group_create_makes_its_role_trust_the_pool_and_runs_again_unchanged() {
    let (admin, pool, identity) = set_up(&[]);
    let role = unique_name("Admins");
    let arn = role_arn(&role);

    // Dry run: says what it would do, does nothing.
    let dry = admin.ok(&[
        "group",
        "create",
        "admins",
        "--role-arn",
        &arn,
        "--precedence",
        "1",
        "--dry-run",
    ]);
    assert_eq!(dry.action_of("IAM role"), "would create", "{}", dry.stdout);
    insta::assert_snapshot!(
        "group_create_dry_run",
        redact(
            &dry.stdout,
            &[
                (&role, "ROLE"),
                (&pool, "USER_POOL"),
                (&identity, "IDENTITY_POOL")
            ]
        )
    );
    assert_eq!(dry.action_of("group"), "would create");
    assert!(dry.stdout.contains("dry run: nothing was changed"));
    assert_eq!(group(&pool, "admins"), None);

    // The role is created trusting the identity pool, then the group.
    let run = admin.ok(&[
        "group",
        "create",
        "admins",
        "--role-arn",
        &arn,
        "--precedence",
        "1",
    ]);
    assert_eq!(run.action_of("IAM role"), "created", "{}", run.stdout);
    assert_eq!(run.action_of("group"), "created");
    assert_eq!(group(&pool, "admins"), Some((Some(arn.clone()), Some(1))));
    assert_eq!(trusted_pools(&trust_of(&role)), [identity.as_str()]);
    assert!(
        crate::is_marked(&crate::role_tags(&role)),
        "the role it made is tagged cogauth:managed"
    );

    // Again: nothing changes.
    let again = admin.ok(&[
        "group",
        "create",
        "admins",
        "--role-arn",
        &arn,
        "--precedence",
        "1",
    ]);
    assert_eq!(again.action_of("IAM role"), "unchanged", "{}", again.stdout);
    assert_eq!(again.action_of("group"), "unchanged");
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);

    // A new precedence updates the group, keeping its description.
    let moved = admin.ok(&[
        "group",
        "create",
        "admins",
        "--role-arn",
        &arn,
        "--precedence",
        "3",
    ]);
    assert_eq!(moved.action_of("group"), "updated");
    assert!(
        moved.stdout.contains("precedence 1 -> 3"),
        "{}",
        moved.stdout
    );
    assert_eq!(group(&pool, "admins"), Some((Some(arn), Some(3))));
}

#[test]
fn an_existing_role_keeps_what_else_it_trusts() {
    let (admin, pool, identity) = set_up(&[]);
    let role = unique_name("Shared");
    let lambda = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let name = role.clone();
    block_on_harness(async move {
        iam_client()
            .await
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(lambda.to_string())
            .send()
            .await
            .expect("CreateRole");
    });
    // Not cogadmin's: its trust policy is not rewritten without --adopt, and nothing changes.
    let refused = admin.fails(&["group", "create", "devs", "--role-arn", &role_arn(&role)]);
    assert!(
        refused.stderr.contains("was not created by cogadmin")
            && refused.stderr.contains("would rewrite its trust policy")
            && refused.stderr.contains("--adopt"),
        "{}",
        refused.stderr
    );
    assert_eq!(group(&pool, "devs"), None);
    let dry = admin.ok(&[
        "group",
        "create",
        "devs",
        "--role-arn",
        &role_arn(&role),
        "--adopt",
        "--dry-run",
    ]);
    assert_eq!(
        dry.actions_of("IAM role"),
        ["would adopt", "would update"],
        "{}",
        dry.stdout
    );
    assert_eq!(
        trusted_pools(&trust_of(&role)),
        Vec::<String>::new(),
        "untouched"
    );

    let run = admin.ok(&[
        "group",
        "create",
        "devs",
        "--role-arn",
        &role_arn(&role),
        "--adopt",
    ]);
    assert_eq!(
        run.actions_of("IAM role"),
        ["adopted", "updated"],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("other statements kept"),
        "{}",
        run.stdout
    );
    let trust = trust_of(&role);
    assert_eq!(trust["Statement"].as_array().unwrap().len(), 2, "{trust}");
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    assert_eq!(trusted_pools(&trust), [identity]);
    assert_eq!(group(&pool, "devs").unwrap().1, None, "no precedence given");

    // A role of another account cannot be created, nor another role's ARN used.
    let err = admin.fails(&[
        "group",
        "create",
        "ops",
        "--role-arn",
        "arn:aws:iam::999999999999:role/Ops",
    ]);
    assert!(
        err.stderr
            .contains(&format!("it is not in account {ACCOUNT_ID}")),
        "{}",
        err.stderr
    );
    let err = admin.fails(&[
        "group",
        "create",
        "ops",
        "--role-arn",
        &format!("arn:aws:iam::{ACCOUNT_ID}:role/team/{role}"),
    ]);
    assert!(
        err.stderr
            .contains(&format!("the ARN of role `{role}` in this account")),
        "{}",
        err.stderr
    );
    let err = admin.fails(&[
        "group",
        "create",
        "bad name",
        "--role-arn",
        &role_arn(&role),
    ]);
    assert!(
        err.stderr.contains("group name `bad name` is not valid"),
        "{}",
        err.stderr
    );
    assert_eq!(group(&pool, "ops"), None);
}

#[test]
fn users_are_added_listed_and_removed_once() {
    let (admin, pool, _) = set_up(&[]);
    admin.ok_with_stdin(
        &["user", "create", "bob", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let role = unique_name("Readers");
    admin.ok(&[
        "group",
        "create",
        "readers",
        "--role-arn",
        &role_arn(&role),
        "--precedence",
        "2",
    ]);

    let dry = admin.ok(&["group", "add-user", "readers", "bob", "--dry-run"]);
    assert_eq!(
        dry.action_of("group member"),
        "would create",
        "{}",
        dry.stdout
    );
    let added = admin.ok(&["group", "add-user", "readers", "bob"]);
    assert_eq!(
        added.action_of("group member"),
        "created",
        "{}",
        added.stdout
    );
    let again = admin.ok(&["group", "add-user", "readers", "bob"]);
    assert_eq!(again.action_of("group member"), "unchanged");

    let list: serde_json::Value =
        serde_json::from_str(&admin.ok(&["group", "list", "--json"]).stdout).unwrap();
    let readers = list
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "readers")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(readers["members"], serde_json::json!(["bob"]));
    assert_eq!(readers["precedence"], 2);
    assert_eq!(readers["role_arn"], role_arn(&role).as_str());
    let text = admin.ok(&["group", "list"]).stdout;
    insta::assert_snapshot!(
        "group_list",
        redact(&text, &[(&role, "ROLE"), (&pool, "USER_POOL")])
    );
    assert!(
        text.contains("members: bob") && text.contains(&role_arn(&role)),
        "{text}"
    );

    let removed = admin.ok(&["group", "remove-user", "readers", "bob"]);
    assert_eq!(
        removed.action_of("group member"),
        "removed",
        "{}",
        removed.stdout
    );
    let again = admin.ok(&["group", "remove-user", "readers", "bob"]);
    assert_eq!(again.action_of("group member"), "unchanged");

    let err = admin.fails(&["group", "add-user", "nosuchgroup", "bob"]);
    assert!(
        err.stderr.contains("group `nosuchgroup` does not exist"),
        "{}",
        err.stderr
    );
    let err = admin.fails(&["group", "add-user", "readers", "nobody"]);
    assert!(
        err.stderr.contains("user `nobody` does not exist"),
        "{}",
        err.stderr
    );
}

/// A group `group` of `pool` whose new role (named from `prefix`) trusts only Lambda, not the
/// identity pool; marked as cogadmin's when `tagged`. The role's name.
fn group_with_a_role_for_lambda(pool: &str, group: &str, prefix: &str, tagged: bool) -> String {
    let role = unique_name(prefix);
    let (name, group_pool, group) = (role.clone(), pool.to_owned(), group.to_owned());
    block_on_harness(async move {
        let lambda = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let mut create = iam_client()
            .await
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(lambda);
        if tagged {
            create = create.tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("cogauth:managed")
                    .value("true")
                    .build()
                    .unwrap(),
            );
        }
        create.send().await.expect("CreateRole");
        idp_client()
            .await
            .create_group()
            .user_pool_id(&group_pool)
            .group_name(&group)
            .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}"))
            .send()
            .await
            .expect("CreateGroup");
    });
    role
}

#[test]
fn setup_with_token_role_mapping_maps_roles_and_repairs_group_roles() {
    let (admin, pool, identity) = set_up(&[]);
    let client = admin.recorded("client_id");
    // A group made first, whose role is cogadmin's (tagged) but does not trust the pool yet: the
    // refusal of the foreign role below must leave it unchanged too (the roles are checked
    // together, not one after the other).
    let tagged = group_with_a_role_for_lambda(&pool, "tagged", "Tagged", true);
    // A group whose role does not trust the identity pool yet (created outside cogadmin).
    let role = group_with_a_role_for_lambda(&pool, "ops", "Ops", false);
    let mapping = || {
        let (identity, key) = (
            identity.clone(),
            format!("cognito-idp.us-east-1.amazonaws.com/{pool}:{client}"),
        );
        block_on_harness(async move {
            identity_client()
                .await
                .get_identity_pool_roles()
                .identity_pool_id(&identity)
                .send()
                .await
                .expect("GetIdentityPoolRoles")
                .role_mappings()
                .and_then(|m| m.get(&key))
                .map(|m| {
                    (
                        m.r#type().as_str().to_owned(),
                        m.ambiguous_role_resolution().map(|a| a.as_str().to_owned()),
                    )
                })
        })
    };

    // The group's role is not cogadmin's: its trust is not rewritten without --adopt, and the
    // mapping that would hand it out is not made either.
    let refused = admin.fails(&["setup", "--role-mapping", "token", "--ambiguous", "deny"]);
    assert!(
        refused.stderr.contains(&format!("IAM role `{role}`"))
            && refused.stderr.contains("was not created by cogadmin")
            && refused.stderr.contains("--adopt"),
        "{}",
        refused.stderr
    );
    assert_eq!(mapping(), None);
    assert_eq!(trusted_pools(&trust_of(&role)), Vec::<String>::new());
    assert_eq!(trusted_pools(&trust_of(&tagged)), Vec::<String>::new());

    let dry = admin.ok(&[
        "setup",
        "--role-mapping",
        "token",
        "--ambiguous",
        "deny",
        "--adopt",
        "--dry-run",
    ]);
    assert_eq!(
        dry.action_of("role mapping"),
        "would create",
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .lines()
            .any(|l| l.contains(&format!("{role} (")) && l.ends_with("would update")),
        "{}",
        dry.stdout
    );
    assert_eq!(mapping(), None);

    let run = admin.ok(&[
        "setup",
        "--role-mapping",
        "token",
        "--ambiguous",
        "deny",
        "--adopt",
    ]);
    assert_eq!(run.action_of("role mapping"), "created", "{}", run.stdout);
    assert_eq!(
        mapping(),
        Some(("Token".to_owned(), Some("Deny".to_owned())))
    );
    assert_eq!(trusted_pools(&trust_of(&role)), [identity.as_str()]);
    assert_eq!(trusted_pools(&trust_of(&tagged)), [identity.as_str()]);
    // The authenticated role is still attached.
    assert_eq!(run.action_of("role attachment"), "unchanged");

    let again = admin.ok(&["setup", "--role-mapping", "token", "--ambiguous", "deny"]);
    assert_eq!(
        again.action_of("role mapping"),
        "unchanged",
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);

    // The default for ambiguous tokens is the authenticated role, as in the AWS console.
    let changed = admin.ok(&["setup", "--role-mapping", "token"]);
    assert_eq!(
        changed.action_of("role mapping"),
        "updated",
        "{}",
        changed.stdout
    );
    assert_eq!(
        mapping(),
        Some(("Token".to_owned(), Some("AuthenticatedRole".to_owned())))
    );
    // A bare setup leaves the mapping as it is.
    let bare = admin.ok(&["setup"]);
    assert!(!bare.stdout.contains("role mapping"), "{}", bare.stdout);
    assert_eq!(
        mapping(),
        Some(("Token".to_owned(), Some("AuthenticatedRole".to_owned())))
    );
}

#[test]
fn a_user_of_such_a_setup_takes_the_role_of_their_choice() {
    let admin = Admin::new();
    let (_, _, _) = setup_from_zero(
        &admin,
        &[
            "--role-mapping",
            "token",
            "--ambiguous",
            "deny",
            "--write-profile",
            "team",
        ],
    );
    admin.ok_with_stdin(
        &["user", "create", "carol", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let (admin_role, dev_role) = (unique_name("Admin"), unique_name("Dev"));
    admin.ok(&[
        "group",
        "create",
        "admins",
        "--role-arn",
        &role_arn(&admin_role),
        "--precedence",
        "1",
    ]);
    admin.ok(&[
        "group",
        "create",
        "devs",
        "--role-arn",
        &role_arn(&dev_role),
        "--precedence",
        "5",
    ]);
    admin.ok(&["group", "add-user", "admins", "carol"]);
    admin.ok(&["group", "add-user", "devs", "carol"]);

    let cogauth = crate::end_to_end::cogauth_binary();
    let run = |args: &[&str], stdin: &str| {
        let mut cmd = admin.home.command(&cogauth);
        cmd.args(args)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("run cogauth");
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[
            "login",
            "--profile",
            "team",
            "-u",
            "carol",
            "--password-stdin",
            "--role",
            &dev_role,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let roles = run(&["roles", "--profile", "team", "--json"], "");
    let roles: serde_json::Value = serde_json::from_slice(&roles.stdout).unwrap();
    assert_eq!(roles["preferred"], role_arn(&admin_role).as_str());
    assert_eq!(roles["chosen"], role_arn(&dev_role).as_str());

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
        .unwrap();
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(
        me["Arn"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("assumed-role/{dev_role}/")),
        "{me} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
