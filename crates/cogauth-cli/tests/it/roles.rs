//! Choosing among a user's roles (issue 16, part 1), through the binary, against the emulator's
//! group-role claims and token-based role mapping: `login --role`, `role_arn`, the picker on a
//! terminal, the preferred role without one, the refusal of a role that is not the user's, the
//! role kept by silent refreshes, and `cogauth roles`.

use cogauth_test_support::fixtures::{self, PoolOptions};
use cogauth_test_support::{TestHome, emulator};

use crate::{World, block_on, cogauth, cogauth_with, fails, ok};

/// A user in three groups: admins (precedence 1, so the preferred role), devs (5) and
/// readers (no precedence), each with its own role; the identity pool maps roles from the
/// token and denies when it cannot decide.
struct RoleWorld {
    world: World,
    admin: String,
    dev: String,
    read: String,
}

fn name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

impl RoleWorld {
    fn new() -> Self {
        let world = World::new(PoolOptions::default(), &[]);
        let (admin, dev, read) = block_on(async {
            let pool = &world.pool;
            let admin = fixtures::create_group_role(&pool.identity_pool_id, "Admin").await;
            let dev = fixtures::create_group_role(&pool.identity_pool_id, "Dev").await;
            let read = fixtures::create_group_role(&pool.identity_pool_id, "Read").await;
            fixtures::create_group(pool, "admins", &admin, Some(1)).await;
            fixtures::create_group(pool, "devs", &dev, Some(5)).await;
            fixtures::create_group(pool, "readers", &read, None).await;
            for group in ["admins", "devs", "readers"] {
                fixtures::add_user_to_group(pool, &world.user, group).await;
            }
            fixtures::set_token_role_mapping(pool, "Deny").await;
            (admin, dev, read)
        });
        Self {
            world,
            admin,
            dev,
            read,
        }
    }

    /// The role of the profile's credentials as STS sees them, through `cogauth exec`.
    fn caller_role(&self) -> String {
        let cli = emulator().aws_cli();
        let out = cogauth(
            &self.world.home,
            &[
                "exec",
                "--profile",
                "dev",
                "--window",
                "1",
                "--",
                cli.to_str().unwrap(),
                "sts",
                "get-caller-identity",
                "--output",
                "json",
            ],
            "",
        );
        let identity: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
        let arn = identity["Arn"].as_str().unwrap().to_owned();
        // arn:aws:sts::<account>:assumed-role/<role>/CognitoIdentityCredentials
        let role = arn
            .strip_prefix(&format!(
                "arn:aws:sts::{}:assumed-role/",
                cogauth_test_support::ACCOUNT_ID
            ))
            .and_then(|rest| rest.strip_suffix("/CognitoIdentityCredentials"))
            .unwrap_or_else(|| panic!("not a Cognito role session: {arn}"));
        role.to_owned()
    }

    /// `text` with the roles' ARNs and names as `[ADMIN]`, `[DEV]`, `[READ]`, and the user and
    /// account fixed, for snapshots.
    fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (arn, tag) in [
            (&self.admin, "ADMIN"),
            (&self.dev, "DEV"),
            (&self.read, "READ"),
        ] {
            text = text
                .replace(arn.as_str(), &format!("[{tag}_ARN]"))
                .replace(name_of(arn), &format!("[{tag}]"));
        }
        text.replace(&self.world.user, "[USER]")
    }

    fn cached_role(&self) -> serde_json::Value {
        self.world.status()["session"]["role_arn"].clone()
    }
}

/// Makes the cached credentials look expired.
fn expire_cached_credentials(home: &TestHome) {
    let path = home.join(".cache/cogauth/dev.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["credentials"]["expiration"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();
}

#[test]
fn login_with_a_role_takes_it_and_silent_refreshes_keep_it() {
    let w = RoleWorld::new();
    let out = w.world.login(&["--role", name_of(&w.dev)]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("role:         {}", name_of(&w.dev))),
        "{stderr}"
    );
    assert_eq!(w.cached_role(), w.dev.as_str());
    // The AWS CLI with the credentials file login wrote.
    let out = w
        .world
        .aws(&["sts", "get-caller-identity", "--profile", "dev"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("assumed-role/{}/", name_of(&w.dev))),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A silent refresh asks for the same role, not the preferred one.
    let refreshes = || {
        let client = &w.world.pool.client_id;
        emulator().get_tokens_calls(client)
            + emulator().initiate_auth_calls(client, "REFRESH_TOKEN_AUTH")
    };
    let before = refreshes();
    expire_cached_credentials(&w.world.home);
    assert_eq!(w.caller_role(), name_of(&w.dev));
    assert_eq!(refreshes(), before + 1, "the exec refreshed");
    assert_eq!(w.cached_role(), w.dev.as_str());

    // By ARN, too; and a later login without --role and without a terminal goes back to
    // the identity pool's choice, the preferred role.
    ok(&w.world.login(&["--role", &w.read]));
    assert_eq!(w.caller_role(), name_of(&w.read));
    let out = crate::cogauth_without_terminal(
        &w.world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &w.world.user,
            "--password-stdin",
        ],
        &format!("{}\n", crate::PASSWORD),
    );
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "chosen by the identity pool (your preferred role: {})",
            w.admin
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(w.cached_role(), serde_json::Value::Null);
    assert_eq!(w.caller_role(), name_of(&w.admin));
}

#[test]
fn a_role_that_is_not_the_users_is_refused_before_the_identity_pool_with_the_list() {
    let w = RoleWorld::new();
    // The identity pool is unreachable: reaching it would fail differently.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("http://127.0.0.1:{closed}");
    for requested in [w.world.pool.role_arn.as_str(), "NotMine"] {
        let out = cogauth_with(
            &w.world.home,
            &[
                "login",
                "--profile",
                "dev",
                "-u",
                &w.world.user,
                "--password-stdin",
                "--role",
                requested,
            ],
            &format!("{}\n", crate::PASSWORD),
            &[("AWS_ENDPOINT_URL_COGNITO_IDENTITY", &unreachable)],
        );
        let stderr = fails(&out);
        assert!(
            stderr.contains(&format!(
                "role `{requested}` is not one of your roles; choose one of: {}, {}, {}",
                w.admin, w.dev, w.read
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("cannot reach"), "{stderr}");
        if requested == "NotMine" {
            insta::assert_snapshot!("role_not_the_users", w.redact(stderr.trim_end()));
        }
        assert!(out.stdout.is_empty());
        assert!(!w.world.home.join(".cache/cogauth/dev.json").exists());
    }
    // A malformed role is refused before the password is even read.
    let out = cogauth(
        &w.world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &w.world.user,
            "--password-stdin",
            "--role",
            "no such role!",
        ],
        "",
    );
    let stderr = fails(&out);
    assert!(
        stderr.contains("--role `no such role!` is neither a role ARN")
            && !stderr.contains("password"),
        "{stderr}"
    );
}

#[test]
fn the_profiles_role_arn_selects_the_role() {
    let w = RoleWorld::new();
    ok(&cogauth(
        &w.world.home,
        &["configure", "--profile", "dev", "--role-arn", &w.dev],
        "",
    ));
    ok(&w.world.login(&[]));
    assert_eq!(w.cached_role(), w.dev.as_str());
    assert_eq!(w.caller_role(), name_of(&w.dev));
    // --role wins over it.
    ok(&w.world.login(&["--role", name_of(&w.read)]));
    assert_eq!(w.caller_role(), name_of(&w.read));
}

#[test]
fn a_terminal_offers_the_roles_preferred_first() {
    let w = RoleWorld::new();
    let mut cmd = w.world.home.command(crate::COGAUTH);
    cmd.args(["login", "--profile", "dev", "-u", &w.world.user]);
    let mut session = rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty");
    session.exp_string("Password for").unwrap();
    session.send_line(crate::PASSWORD).unwrap();
    session.exp_string("which one?").unwrap();
    session
        .exp_string(&format!(
            "1) {}  ({})  [preferred]",
            name_of(&w.admin),
            w.admin
        ))
        .unwrap();
    session.exp_string("choose 1-3").unwrap();
    session.send_line("9").unwrap();
    session.exp_string("is not a number from 1 to 3").unwrap();
    session.exp_string("choose 1-3").unwrap();
    session.send_line("2").unwrap();
    session.exp_string("logged in as").unwrap();
    session.exp_eof().unwrap();
    let chosen = w.cached_role();
    assert!(
        chosen == w.dev.as_str() || chosen == w.read.as_str(),
        "the second choice is not the preferred role: {chosen}"
    );
    assert_eq!(w.caller_role(), name_of(chosen.as_str().unwrap()));
}

#[test]
fn roles_lists_the_users_roles_and_the_one_in_use() {
    let w = RoleWorld::new();
    ok(&w.world.login(&["--role", name_of(&w.dev)]));
    let json: serde_json::Value = serde_json::from_str(&ok(&cogauth(
        &w.world.home,
        &["roles", "--profile", "dev", "--json"],
        "",
    )))
    .unwrap();
    assert_eq!(json["profile"], "dev");
    assert_eq!(json["preferred"], w.admin.as_str());
    assert_eq!(json["chosen"], w.dev.as_str());
    let roles = json["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 3, "{json}");
    assert_eq!(roles[0]["arn"], w.admin.as_str());
    assert_eq!(roles[0]["preferred"], true);
    let dev = roles.iter().find(|r| r["arn"] == w.dev.as_str()).unwrap();
    assert_eq!(dev["chosen"], true);
    assert_eq!(dev["name"], name_of(&w.dev));

    let text = ok(&cogauth(&w.world.home, &["roles", "--profile", "dev"], ""));
    assert!(text.contains(&format!("{}  [in use]", w.dev)), "{text}");
    // Columns are padded to the longest name, whose length varies with the fixtures' counter.
    let columns: Vec<String> = w
        .redact(&text)
        .lines()
        .map(|line| match line.strip_prefix("  ") {
            Some(row) => {
                let cells: Vec<&str> = row
                    .split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                format!("  {}", cells.join("  "))
            }
            None => line.to_owned(),
        })
        .collect();
    insta::assert_snapshot!("roles_text", columns.join("\n"));
    assert!(
        text.contains(&format!("{}  [preferred]", w.admin)),
        "{text}"
    );

    // A group change shows once the ID token is renewed: `roles` renews an expired one.
    block_on(fixtures::remove_user_from_group(
        &w.world.pool,
        &w.world.user,
        "readers",
    ));
    let path = w.world.home.join(".cache/cogauth/dev.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["tokens_expire_at"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&ok(&cogauth(
        &w.world.home,
        &["roles", "--profile", "dev", "--json"],
        "",
    )))
    .unwrap();
    assert_eq!(json["roles"].as_array().unwrap().len(), 2, "{json}");
}

#[test]
fn without_groups_roles_says_the_pool_decides() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let text = ok(&cogauth(&world.home, &["roles", "--profile", "dev"], ""));
    assert!(text.contains("your ID token names no roles"), "{text}");
    // A role name cannot be resolved without roles in the token; the error says what to do.
    let out = world.login(&["--role", "Admin"]);
    let stderr = fails(&out);
    assert!(stderr.contains("give the role's ARN"), "{stderr}");
}
