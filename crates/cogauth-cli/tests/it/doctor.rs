//! `cogauth doctor` on a healthy setup and on broken ones, each broken the way it breaks in
//! real life: a flow turned off, an identity pool linked to another client or pool, a trust
//! policy without `aud`, a group role that trusts another identity pool, group roles without a
//! role mapping, a world-readable credentials file, the basic flow without AllowClassicFlow, an
//! unreachable endpoint, no config at all, and no admin credentials.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType as Flow;
use cogauth_test_support::TestHome;
use cogauth_test_support::fixtures::{self, PoolOptions};
use serde_json::Value;

use crate::{World, block_on, cogauth, cogauth_with, ok};

/// The emulator accepts any keys: these stand for an administrator's credentials.
const ADMIN: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
];

fn doctor(home: &TestHome, args: &[&str], env: &[(&str, &str)]) -> (Output, Value) {
    let mut all = vec!["doctor", "--json"];
    all.extend_from_slice(args);
    let out = cogauth_with(home, &all, "", env);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}):\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, report)
}

fn admin_doctor(world: &World) -> (Output, Value) {
    doctor(&world.home, &["--profile", &world.profile], ADMIN)
}

#[track_caller]
fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check `{name}` in {report:#}"))
}

/// Asserts that exactly the checks in `failing` failed, and returns the first one's
/// (problem, fix).
#[track_caller]
fn failed_only(out: &Output, report: &Value, failing: &[&str]) -> (String, String) {
    assert!(
        !out.status.success(),
        "doctor must exit non-zero: {report:#}"
    );
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, failing, "{report:#}");
    let first = check(report, failing[0]);
    (
        first["problem"].as_str().unwrap().to_owned(),
        first["fix"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn a_healthy_setup_passes_every_check() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let (out, report) = admin_doctor(&world);
    assert!(out.status.success(), "{report:#}");
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 12, "{report:#}");
    for c in checks {
        // Passed; the settings the checks report (rotation, devices) pass with a detail.
        assert!(c["status"] == "pass" || c["status"] == "info", "{report:#}");
    }
    assert_eq!(
        check(&report, "refresh token rotation")["detail"],
        format!(
            "app client `{}` does not rotate refresh tokens",
            client_name(&world)
        )
    );
    assert!(
        check(&report, "remembered devices")["detail"]
            .as_str()
            .unwrap()
            .ends_with("does not remember devices"),
        "{report:#}"
    );
    assert_eq!(report["profile"], "dev");

    // The same, as a person reads it.
    let out = cogauth_with(&world.home, &["doctor", "--profile", "dev"], "", ADMIN);
    let text = ok(&out);
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(lines.len(), 12, "{text}");
    assert!(lines.iter().all(|l| l.starts_with("✓ ")), "{text}");
    assert!(text.contains("✓ role trust policy\n"), "{text}");
}

fn client_name(world: &World) -> String {
    block_on(async {
        fixtures::idp_client()
            .await
            .describe_user_pool_client()
            .user_pool_id(&world.pool.user_pool_id)
            .client_id(&world.pool.client_id)
            .send()
            .await
            .unwrap()
            .user_pool_client()
            .unwrap()
            .client_name()
            .unwrap()
            .to_owned()
    })
}

#[test]
fn rotation_and_device_settings_are_reported() {
    let world = World::new(
        PoolOptions {
            refresh_rotation_grace: Some(0),
            device_tracking: Some((true, true)),
            ..Default::default()
        },
        &[],
    );
    let (out, report) = admin_doctor(&world);
    // A rotating client needs no ALLOW_REFRESH_TOKEN_AUTH: the flow check passes.
    assert!(out.status.success(), "{report:#}");
    let rotation = check(&report, "refresh token rotation");
    assert_eq!(rotation["status"], "info");
    let detail = rotation["detail"].as_str().unwrap();
    assert!(
        detail.contains("rotates refresh tokens (retry grace period 0 s)")
            && detail.contains("GetTokensFromRefreshToken")
            && detail.contains("costs a login"),
        "{detail}"
    );
    let devices = check(&report, "remembered devices")["detail"]
        .as_str()
        .unwrap();
    assert!(
        devices.contains("the devices users choose to remember")
            && devices.contains("--remember-device")
            && devices.contains("a remembered device skips MFA"),
        "{devices}"
    );

    // As a person reads it.
    let out = cogauth_with(&world.home, &["doctor", "--profile", "dev"], "", ADMIN);
    let text = ok(&out);
    assert!(
        text.contains("✓ refresh token rotation: app client"),
        "{text}"
    );

    // Without admin rights both are skipped, saying why.
    let (_, report) = doctor(&world.home, &["--profile", "dev"], &[]);
    for name in ["refresh token rotation", "remembered devices"] {
        let c = check(&report, name);
        assert_eq!(c["status"], "skipped", "{report:#}");
        assert!(c["why"].as_str().unwrap().starts_with("needs admin rights"));
    }
}

#[test]
fn the_choice_and_custom_flows_need_their_own_flows_on_the_client() {
    let world = World::new(PoolOptions::default(), &["--auth-flow", "choice"]);
    let (out, report) = admin_doctor(&world);
    let (problem, fix) = failed_only(&out, &report, &["app client auth flows"]);
    assert!(
        problem.contains("does not allow ALLOW_USER_AUTH"),
        "{problem}"
    );
    assert!(problem.contains("with the choice flow"), "{problem}");
    assert!(fix.contains("add ALLOW_USER_AUTH"), "{fix}");
    ok(&cogauth(
        &world.home,
        &["configure", "--profile", "dev", "--auth-flow", "custom"],
        "",
    ));
    let (out, report) = admin_doctor(&world);
    let (problem, _) = failed_only(&out, &report, &["app client auth flows"]);
    assert!(
        problem.contains("does not allow ALLOW_CUSTOM_AUTH"),
        "{problem}"
    );
}

#[test]
fn a_client_without_srp_fails_the_flow_check_with_the_fix() {
    let world = World::new(PoolOptions::default(), &[]);
    block_on(async {
        fixtures::idp_client()
            .await
            .update_user_pool_client()
            .user_pool_id(&world.pool.user_pool_id)
            .client_id(&world.pool.client_id)
            .explicit_auth_flows(Flow::AllowUserPasswordAuth)
            .explicit_auth_flows(Flow::AllowRefreshTokenAuth)
            .send()
            .await
            .expect("UpdateUserPoolClient")
    });
    let (out, report) = admin_doctor(&world);
    let (problem, fix) = failed_only(&out, &report, &["app client auth flows"]);
    assert!(
        problem.contains("does not allow ALLOW_USER_SRP_AUTH"),
        "{problem}"
    );
    assert!(fix.contains("add ALLOW_USER_SRP_AUTH"), "{fix}");
    assert!(
        fix.contains("cogauth configure --profile dev --auth-flow password"),
        "{fix}"
    );

    // The text form: the mark, the problem, and the fix on its own line.
    let out = cogauth_with(&world.home, &["doctor", "--profile", "dev"], "", ADMIN);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✗ app client auth flows: app client")
            && text.contains("\n  fix: add ALLOW_USER_SRP_AUTH"),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 of 12 checks failed"), "{stderr}");

    // Following the second fix makes the profile healthy.
    ok(&cogauth(
        &world.home,
        &["configure", "--profile", "dev", "--auth-flow", "password"],
        "",
    ));
    let (out, report) = admin_doctor(&world);
    assert!(out.status.success(), "{report:#}");
}

#[test]
fn an_identity_pool_linked_to_another_client_or_pool_fails_the_provider_check() {
    let world = World::new(PoolOptions::default(), &[]);

    // Another client of the same user pool.
    let other_client_pool = block_on(fixtures::create_identity_pool(
        &world.pool.user_pool_id,
        "someotherclient123",
        false,
    ));
    ok(&cogauth(
        &world.home,
        &[
            "configure",
            "--profile",
            "dev",
            "--identity-pool-id",
            &other_client_pool,
        ],
        "",
    ));
    let (out, report) = admin_doctor(&world);
    assert!(!out.status.success());
    let provider = check(&report, "identity pool trusts the user pool");
    assert_eq!(provider["status"], "fail", "{report:#}");
    let problem = provider["problem"].as_str().unwrap();
    assert!(
        problem.contains("only through app client `someotherclient123`"),
        "{problem}"
    );
    let fix = provider["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!(
            "cogadmin setup --user-pool-id {} --client-id {} --identity-pool-name",
            world.pool.user_pool_id, world.pool.client_id
        )),
        "{fix}"
    );
    // That identity pool has no role attached either.
    let role = check(&report, "role trust policy");
    assert!(
        role["problem"]
            .as_str()
            .unwrap()
            .contains("has no authenticated role"),
        "{report:#}"
    );

    // Another user pool altogether (with its role attached: only the link is wrong).
    let other = block_on(fixtures::create_pool(PoolOptions::default()));
    ok(&cogauth(
        &world.home,
        &[
            "configure",
            "--profile",
            "dev",
            "--identity-pool-id",
            &other.identity_pool_id,
        ],
        "",
    ));
    let (out, report) = admin_doctor(&world);
    let (problem, _) = failed_only(&out, &report, &["identity pool trusts the user pool"]);
    assert!(
        problem.contains(&format!(
            "does not trust user pool `{}`",
            world.pool.user_pool_id
        )) && problem.contains(&other.user_pool_id),
        "{problem}"
    );
}

#[test]
fn a_trust_policy_without_aud_fails_the_role_check() {
    let world = World::new(PoolOptions::default(), &[]);
    let role_name = world.pool.role_arn.rsplit('/').next().unwrap().to_owned();
    let no_aud = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}
            }
        }]
    });
    block_on(async {
        fixtures::iam_client()
            .await
            .update_assume_role_policy()
            .role_name(&role_name)
            .policy_document(no_aud.to_string())
            .send()
            .await
            .expect("UpdateAssumeRolePolicy")
    });
    let (out, report) = admin_doctor(&world);
    let (problem, fix) = failed_only(&out, &report, &["role trust policy"]);
    assert!(
        problem.contains(&format!("the trust policy of role `{role_name}`"))
            && problem.contains("no `cognito-identity.amazonaws.com:aud` condition"),
        "{problem}"
    );
    assert!(
        fix.contains(&format!("--role-name {role_name} --duration-hours 12")),
        "{fix}"
    );
    assert!(
        fix.contains("aws iam update-assume-role-policy")
            && fix.contains(&world.pool.identity_pool_id),
        "{fix}"
    );
}

#[test]
fn every_group_role_must_trust_the_identity_pool_and_be_mapped() {
    let world = World::new(PoolOptions::default(), &[]);
    let pool = &world.pool;
    let (good, other_pool_role) = block_on(async {
        let good = fixtures::create_group_role(&pool.identity_pool_id, "Good").await;
        let other = fixtures::create_group_role(
            "us-east-1:00000000-0000-4000-8000-000000000000",
            "Foreign",
        )
        .await;
        fixtures::create_group(pool, "good", &good, Some(1)).await;
        (good, other)
    });
    // Group roles, but no role mapping: the roles are never used.
    let (out, report) = admin_doctor(&world);
    let (problem, fix) = failed_only(&out, &report, &["group roles trust the identity pool"]);
    assert!(
        problem.contains("has no role mapping for app client") && problem.contains(&pool.client_id),
        "{problem}"
    );
    assert!(fix.contains("--role-mapping token"), "{fix}");

    block_on(fixtures::set_token_role_mapping(pool, "Deny"));
    let (out, report) = admin_doctor(&world);
    assert!(out.status.success(), "{report:#}");
    assert_eq!(
        check(&report, "group roles trust the identity pool")["status"],
        "pass"
    );

    // A group whose role trusts another identity pool.
    block_on(fixtures::create_group(
        pool,
        "foreign",
        &other_pool_role,
        Some(2),
    ));
    let (out, report) = admin_doctor(&world);
    let (problem, fix) = failed_only(&out, &report, &["group roles trust the identity pool"]);
    let name = other_pool_role.rsplit('/').next().unwrap();
    assert!(
        problem.contains(&format!(
            "the trust policy of role `{name}` (group `foreign`)"
        )) && problem.contains("instead of this identity pool"),
        "{problem}"
    );
    assert!(
        fix.contains(&format!(
            "cogadmin group create foreign --role-arn {other_pool_role} --identity-pool-id {}",
            pool.identity_pool_id
        )),
        "{fix}"
    );
    assert!(!problem.contains(&good), "the good role passes: {problem}");
}

#[test]
fn a_world_readable_credentials_file_fails_until_chmod_600() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let creds = world.home.aws_credentials();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();

    let (out, report) = admin_doctor(&world);
    let (problem, fix) = failed_only(&out, &report, &["file permissions"]);
    assert!(
        problem.contains(&format!("`{}` has mode 0644", creds.display())),
        "{problem}"
    );
    assert_eq!(fix, format!("run `chmod 600 {}`", creds.display()));

    // The fix, as written, works.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("chmod 600 {}", creds.display()))
        .status()
        .unwrap();
    assert!(status.success());
    let (out, report) = admin_doctor(&world);
    assert!(out.status.success(), "{report:#}");
}

#[test]
fn the_basic_flow_needs_allow_classic_flow() {
    let pool = PoolOptions::default();
    let world = World::new(pool, &[]);
    ok(&cogauth(
        &world.home,
        &[
            "configure",
            "--profile",
            "dev",
            "--identity-flow",
            "basic",
            "--role-arn",
            &world.pool.role_arn,
        ],
        "",
    ));
    let (out, report) = admin_doctor(&world);
    let (problem, fix) = failed_only(&out, &report, &["identity pool trusts the user pool"]);
    assert!(problem.contains("AllowClassicFlow off"), "{problem}");
    assert!(fix.contains("--basic-flow"), "{fix}");
}

#[test]
fn admin_checks_are_skipped_without_admin_credentials() {
    let world = World::new(PoolOptions::default(), &[]);
    let (out, report) = doctor(&world.home, &["--profile", "dev"], &[]);
    assert!(
        out.status.success(),
        "skipped checks are not failures: {report:#}"
    );
    for name in [
        "app client auth flows",
        "identity pool trusts the user pool",
        "role trust policy",
    ] {
        let c = check(&report, name);
        assert_eq!(c["status"], "skipped", "{report:#}");
        assert!(
            c["why"]
                .as_str()
                .unwrap()
                .starts_with("needs admin rights: no AWS credentials found"),
            "{report:#}"
        );
    }
    assert_eq!(check(&report, "sts endpoint")["status"], "pass");

    let out = cogauth(&world.home, &["doctor", "--profile", "dev"], "");
    let text = ok(&out);
    assert!(
        text.contains("- role trust policy: skipped (needs admin rights: no AWS credentials found"),
        "{text}"
    );
}

#[test]
fn an_unreachable_endpoint_names_the_variable_that_set_it() {
    let world = World::new(PoolOptions::default(), &[]);
    let (out, report) = doctor(
        &world.home,
        &["--profile", "dev"],
        &[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")],
    );
    let (problem, fix) = failed_only(&out, &report, &["sts endpoint"]);
    assert!(
        problem.contains("cannot reach `http://127.0.0.1:1`"),
        "{problem}"
    );
    assert!(fix.contains("AWS_ENDPOINT_URL_STS"), "{fix}");
    // The other endpoints still told the time.
    assert_eq!(check(&report, "clock skew")["status"], "pass", "{report:#}");
}

#[test]
fn no_config_fails_the_first_check_and_skips_what_needs_it() {
    let home = TestHome::new();
    let (out, report) = doctor(&home, &[], ADMIN);
    let (problem, fix) = failed_only(&out, &report, &["config"]);
    assert!(
        problem.contains("profile `default` is not configured"),
        "{problem}"
    );
    assert!(fix.contains("cogauth configure --profile default"), "{fix}");
    for name in ["cognito-idp endpoint", "role trust policy"] {
        assert_eq!(check(&report, name)["status"], "skipped", "{report:#}");
    }
    assert_eq!(check(&report, "file permissions")["status"], "pass");
}

#[test]
fn without_credentials_the_admin_checks_say_how_to_provide_them_in_one_line() {
    let world = World::new(PoolOptions::default(), &[]);
    // No keys, no profile, no region, and an instance metadata service that refuses: the
    // credential chain fails with a provider error, which used to be logged and dumped.
    let no_credentials = [
        ("AWS_EC2_METADATA_DISABLED", "false"),
        (
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            cogauth_test_support::imds::refusing(),
        ),
    ];
    let out = cogauth_with(
        &world.home,
        &["doctor", "--profile", &world.profile],
        "",
        &no_credentials,
    );
    let text = ok(&out);
    for name in [
        "app client auth flows",
        "identity pool trusts the user pool",
        "role trust policy",
    ] {
        let line = format!(
            "- {name}: skipped (needs admin rights: no AWS credentials found (set AWS_PROFILE, \
             or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, to an identity that may read the \
             Cognito pools and IAM roles))\n"
        );
        assert!(text.contains(&line), "{text}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, "", "the credential chain is quiet below -v");
}
