//! Which profile a command works on, and where its values come from: unknown profiles, the
//! original tool's JSON files beside `config.toml`, `configure`'s own profile choice, and a
//! region that contradicts the pools.

use cogauth_test_support::TestHome;
use cogauth_test_support::fixtures::{self, PoolOptions};
use serde_json::Value;

use crate::{PASSWORD, block_on, cogauth, cogauth_with, fails, ok};

const POOL: &str = "us-east-1_AbCdEf123";
const IDENTITY_POOL: &str = "us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab";

/// `text` with the HOME path replaced, for snapshots.
fn in_home(home: &TestHome, text: &str) -> String {
    text.replace(home.path().to_str().unwrap(), "[HOME]")
}

fn configure(home: &TestHome, profile: &str) {
    ok(&cogauth(
        home,
        &[
            "configure",
            "--profile",
            profile,
            "--user-pool-id",
            POOL,
            "--client-id",
            "client123",
            "--identity-pool-id",
            IDENTITY_POOL,
        ],
        "",
    ));
}

fn status(home: &TestHome, args: &[&str]) -> Value {
    let mut all = vec!["status", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(&cogauth(home, &all, ""))).unwrap()
}

#[test]
fn an_unknown_profile_is_an_error_listing_the_known_ones_in_every_command() {
    let home = TestHome::offline();
    configure(&home, "work");
    configure(&home, "dev");
    let commands: &[&[&str]] = &[
        &["status"],
        &["status", "--json"],
        &["credential-process"],
        &["export"],
        &["exec", "--profile", "wrok", "--", "true"],
        &["login", "-u", "someone", "--password-stdin"],
        &["logout"],
        &["doctor"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        if !args.contains(&"--profile") {
            args.extend(["--profile", "wrok"]);
        }
        let out = cogauth(&home, &args, "pw\n");
        assert!(
            !out.status.success(),
            "{args:?} must fail on an unknown profile"
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("profile `wrok` is not in")
                && text.contains("(profiles there: dev, work)")
                && text.contains("did you mean `work`?"),
            "{args:?}:\n{text}"
        );
    }
    let err = fails(&cogauth(&home, &["status", "--profile", "wrok"], ""));
    insta::assert_snapshot!("unknown_profile", in_home(&home, &err));
    // COGAUTH_PROFILE is checked the same way.
    let err = fails(&cogauth_with(
        &home,
        &["credential-process"],
        "",
        &[("COGAUTH_PROFILE", "staging")],
    ));
    assert!(
        err.contains("profile `staging` is not in")
            && err.contains("cogauth configure --profile staging"),
        "{err}"
    );
}

#[test]
fn with_nothing_configured_every_command_says_how_to_configure() {
    let home = TestHome::offline();
    for args in [&["status"][..], &["credential-process"], &["export"]] {
        let err = fails(&cogauth(&home, args, ""));
        assert!(
            err.contains("profile `default` is not configured")
                && err.contains("cogauth configure --profile default"),
            "{args:?}: {err}"
        );
    }
    // The original's environment-only setup still works.
    let out = cogauth_with(
        &home,
        &["status", "--json"],
        "",
        &[("COGNITO_USER_POOL_ID", POOL)],
    );
    let status: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(status["settings"]["user_pool_id"]["origin"], "env");
}

/// The original's `~/.cognito-cli-config.json` for `pool`.
fn legacy_user_config(home: &TestHome, pool: &fixtures::Pool) {
    home.write(
        ".cognito-cli-config.json",
        &serde_json::json!({
            "user_pool_id": pool.user_pool_id,
            "client_id": pool.client_id,
            "identity_pool_id": pool.identity_pool_id,
        })
        .to_string(),
    );
}

#[test]
fn the_legacy_config_keeps_working_beside_config_toml_through_import_legacy() {
    let pool = block_on(fixtures::create_pool(PoolOptions::default()));
    let user = fixtures::unique("user");
    block_on(fixtures::create_user(&pool, &user, PASSWORD));
    let home = TestHome::new();
    legacy_user_config(&home, &pool);
    let login = |profile: &str| {
        cogauth(
            &home,
            &[
                "login",
                "--profile",
                profile,
                "-u",
                &user,
                "--password-stdin",
                "--no-lambda-proxy",
            ],
            &format!("{PASSWORD}\n"),
        )
    };
    // The legacy file serves every profile while it is the only config.
    ok(&login("default"));

    // Another profile makes config.toml exist: the legacy file is named, with its import.
    configure(&home, "other");
    let err = fails(&login("default"));
    insta::assert_snapshot!("legacy_not_imported", in_home(&home, &err));

    // The import adds the profile beside the other one.
    let out = cogauth(&home, &["configure", "--import-legacy"], "");
    ok(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("lambda_function `cognito-credential-proxy` (from default)")
            && said.contains("saved profile `default`"),
        "{said}"
    );
    let text = home.read(".config/cogauth/config.toml");
    assert!(
        text.contains("[profiles.other]") && text.contains("[profiles.default]"),
        "{text}"
    );
    assert_eq!(
        status(&home, &[])["settings"]["client_id"]["value"],
        pool.client_id.as_str()
    );
    ok(&login("default"));

    // It never overwrites a profile of the same name, and says so; another name works.
    let before = home.read(".config/cogauth/config.toml");
    let err = fails(&cogauth(&home, &["configure", "--import-legacy"], ""));
    insta::assert_snapshot!("import_legacy_profile_exists", in_home(&home, &err));
    assert_eq!(home.read(".config/cogauth/config.toml"), before);
    ok(&cogauth(
        &home,
        &[
            "configure",
            "--import-legacy",
            "--profile",
            "copy",
            "--region",
            "us-east-1",
        ],
        "",
    ));
    let copy = status(&home, &["--profile", "copy"]);
    assert_eq!(copy["settings"]["identity_pool_id"]["origin"], "file");
    assert_eq!(copy["settings"]["region"]["value"], "us-east-1");

    // Without a legacy file, the refusal says that is why.
    std::fs::remove_file(home.join(".cognito-cli-config.json")).unwrap();
    let err = fails(&cogauth(
        &home,
        &["configure", "--import-legacy", "--profile", "third"],
        "",
    ));
    insta::assert_snapshot!("import_legacy_no_file", in_home(&home, &err));
}

#[test]
fn a_legacy_profile_uses_the_lambda_proxy_its_admin_config_names() {
    let pool = block_on(fixtures::create_pool(PoolOptions::default()));
    let user = fixtures::unique("user");
    block_on(fixtures::create_user(&pool, &user, PASSWORD));
    let home = TestHome::new();
    legacy_user_config(&home, &pool);
    let function = fixtures::unique("legacy-admin-proxy");
    let admin = home.write(
        ".cognito-admin-config.json",
        &serde_json::json!({
            "aws_service_names": {"lambda_function_name": function, "long_lived_role_name": "R"},
            "aws_configuration": {"lambda_runtime": "python3.9"},
        })
        .to_string(),
    );

    let lambda = &status(&home, &[])["settings"]["lambda_function"];
    assert_eq!(lambda["value"], function.as_str(), "{lambda}");
    assert_eq!(lambda["origin"], "admin");
    assert_eq!(
        lambda["from"],
        format!("admin config {}", admin.display()).as_str()
    );
    let table = ok(&cogauth(&home, &["status"], ""));
    assert!(
        table.contains(&function) && table.contains("admin config "),
        "{table}"
    );

    // The login invokes that function (it does not exist here: the fallback names it).
    let out = cogauth(
        &home,
        &["login", "-u", &user, "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    ok(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&function) && !said.contains("cognito-credential-proxy"),
        "{said}"
    );

    // cogauth's own admin.toml, once it exists, is the admin config.
    let toml = home.write(
        ".config/cogauth/admin.toml",
        "[aws_service_names]\nlambda_function_name = \"toml-proxy\"\n",
    );
    let lambda = &status(&home, &[])["settings"]["lambda_function"];
    assert_eq!(lambda["value"], "toml-proxy");
    assert_eq!(
        lambda["from"],
        format!("admin config {}", toml.display()).as_str()
    );
    // And the import writes the name it would have used, saying where it came from.
    let out = cogauth(&home, &["configure", "--import-legacy"], "");
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "lambda_function `toml-proxy` (from admin config {})",
            toml.display()
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lambda = &status(&home, &[])["settings"]["lambda_function"];
    assert_eq!(lambda["value"], "toml-proxy");
    assert_eq!(lambda["origin"], "file");
}

#[test]
fn configure_writes_the_profile_every_other_command_uses() {
    let home = TestHome::offline();
    configure(&home, "work");
    let path = home.config_file();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("default_profile = \"work\"\n{text}")).unwrap();

    // No --profile: default_profile names it, as for status.
    let out = cogauth(&home, &["configure", "--username", "alice"], "");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("saved profile `work`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = status(&home, &[]);
    assert_eq!(status["profile"], "work");
    assert_eq!(status["settings"]["username"]["value"], "alice");
    assert!(
        !home
            .read(".config/cogauth/config.toml")
            .contains("[profiles.default]")
    );

    // COGAUTH_PROFILE beats default_profile; --profile beats both.
    ok(&cogauth_with(
        &home,
        &["configure", "--user-pool-id", POOL],
        "",
        &[("COGAUTH_PROFILE", "team")],
    ));
    ok(&cogauth_with(
        &home,
        &["configure", "--profile", "cli", "--user-pool-id", POOL],
        "",
        &[("COGAUTH_PROFILE", "team")],
    ));
    let text = home.read(".config/cogauth/config.toml");
    assert!(
        text.contains("[profiles.team]") && text.contains("[profiles.cli]"),
        "{text}"
    );
    assert!(!text.contains("[profiles.default]"), "{text}");
}

#[test]
fn a_region_that_contradicts_the_pools_is_refused_unless_forced_and_doctor_flags_it() {
    let home = TestHome::offline();
    let args = |extra: &[&'static str]| {
        let mut all = vec![
            "configure",
            "--user-pool-id",
            POOL,
            "--client-id",
            "client123",
            "--identity-pool-id",
            IDENTITY_POOL,
            "--region",
            "eu-west-1",
        ];
        all.extend_from_slice(extra);
        all
    };
    let err = fails(&cogauth(&home, &args(&[]), ""));
    insta::assert_snapshot!("region_contradicts_pools", err);
    assert!(!home.config_file().exists(), "nothing is written");

    // An identity pool in another region than the user pool is refused too.
    let err = fails(&cogauth(
        &home,
        &[
            "configure",
            "--user-pool-id",
            POOL,
            "--identity-pool-id",
            "eu-west-2:8f1c2a3b-1234-4abc-9def-0123456789ab",
        ],
        "",
    ));
    assert!(
        err.contains(
            "the pools are in different regions (identity pool \
             `eu-west-2:8f1c2a3b-1234-4abc-9def-0123456789ab` is in eu-west-2, the user pool in \
             us-east-1)"
        ) && err.contains("check --identity-pool-id"),
        "{err}"
    );

    // --force writes it, with a warning.
    let out = cogauth(&home, &args(&["--force"]), "");
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: region `eu-west-1` contradicts"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // doctor flags it, with the region to use.
    let out = cogauth(&home, &["doctor", "--json"], "");
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let config = &report["checks"][0];
    assert_eq!(config["name"], "config");
    assert_eq!(config["status"], "fail", "{report:#}");
    let problem = config["problem"].as_str().unwrap();
    assert!(
        problem.contains("region `eu-west-1` (from file ")
            && problem.contains("user pool `us-east-1_AbCdEf123` is in us-east-1"),
        "{problem}"
    );
    assert_eq!(
        config["fix"],
        "run `cogauth configure --profile default --region us-east-1`"
    );

    // A region from the environment is named as such, with its own fix.
    ok(&cogauth(&home, &["configure", "--region", "us-east-1"], ""));
    let out = cogauth_with(
        &home,
        &["doctor", "--json"],
        "",
        &[("AWS_REGION", "ap-south-1")],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["checks"][0]["fix"],
        "unset AWS_REGION (it overrides the profile's region), or set it to us-east-1",
        "{report:#}"
    );
}
