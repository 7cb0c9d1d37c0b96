//! `cogauth_core::doctor::diagnose` with the admin checks plugged in, against the emulator: a
//! healthy profile, a client secret the profile lacks, and admin checks without an admin
//! configuration.

use cogauth_admin::doctor::{AdminChecks, names as admin_names};
use cogauth_core::clock::SystemClock;
use cogauth_core::config::{Overrides, ProfileConfig};
use cogauth_core::doctor::{self, Inputs, Outcome, names};
use cogauth_core::env::MapEnv;
use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::{self, PoolOptions};

struct Home {
    _dir: tempfile::TempDir,
    env: MapEnv,
}

async fn home(opts: PoolOptions, with_secret_in_profile: bool) -> Home {
    let pool = fixtures::create_pool(opts).await;
    let dir = tempfile::tempdir().unwrap();
    let env = MapEnv::new()
        .with("HOME", dir.path().to_str().unwrap())
        .with("AWS_ENDPOINT_URL", emulator().endpoint());
    let values = ProfileConfig {
        user_pool_id: Some(pool.user_pool_id.clone()),
        client_id: Some(pool.client_id.clone()),
        client_secret: pool
            .client_secret
            .clone()
            .filter(|_| with_secret_in_profile)
            .map(Into::into),
        identity_pool_id: Some(pool.identity_pool_id.clone()),
        ..Default::default()
    };
    let path = cogauth_core::paths::config_file(&env).unwrap();
    cogauth_core::config::file::write_profile(&path, "doc", &values).unwrap();
    Home { _dir: dir, env }
}

fn overrides() -> Overrides {
    Overrides {
        profile: Some("doc".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_healthy_profile_passes_every_check_in_order() {
    let h = home(PoolOptions::default(), true).await;
    let admin = AdminChecks::new(Some(emulator().sdk_config().await));
    let report = doctor::diagnose(Inputs {
        env: &h.env,
        clock: &SystemClock,
        overrides: &overrides(),
        admin: Some(&admin),
    })
    .await;
    let order: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        order,
        [
            names::CONFIG,
            names::COGNITO_IDP_ENDPOINT,
            names::COGNITO_IDENTITY_ENDPOINT,
            names::STS_ENDPOINT,
            admin_names::AUTH_FLOWS,
            admin_names::ROTATION,
            admin_names::DEVICES,
            admin_names::PROVIDER,
            admin_names::ROLE_TRUST,
            admin_names::GROUP_ROLES,
            names::CLOCK_SKEW,
            names::FILE_PERMISSIONS,
        ]
    );
    for check in &report.checks {
        // The pool's and client's settings are reported (info); every other check passes.
        match check.name.as_str() {
            admin_names::ROTATION | admin_names::DEVICES => {
                assert!(matches!(check.outcome, Outcome::Info { .. }), "{check:?}")
            }
            _ => assert_eq!(check.outcome, Outcome::Pass, "{check:?}"),
        }
    }
    assert!(report.healthy());
    assert_eq!(report.profile.as_deref(), Some("doc"));
}

#[tokio::test]
async fn admin_checks_are_skipped_without_an_admin_configuration() {
    let h = home(PoolOptions::default(), true).await;
    let report = doctor::diagnose(Inputs {
        env: &h.env,
        clock: &SystemClock,
        overrides: &overrides(),
        admin: Some(&AdminChecks::new(None)),
    })
    .await;
    for name in [
        admin_names::AUTH_FLOWS,
        admin_names::ROTATION,
        admin_names::DEVICES,
        admin_names::PROVIDER,
        admin_names::ROLE_TRUST,
        admin_names::GROUP_ROLES,
    ] {
        let Outcome::Skipped { why } = &report.get(name).unwrap().outcome else {
            panic!("{report:?}")
        };
        assert!(why.starts_with("needs admin rights: "), "{why}");
    }
    assert!(report.healthy(), "skipped checks are not failures");
}

#[tokio::test]
async fn a_client_secret_missing_from_the_profile_is_found() {
    let h = home(
        PoolOptions {
            with_client_secret: true,
            ..Default::default()
        },
        false,
    )
    .await;
    let admin = AdminChecks::new(Some(emulator().sdk_config().await));
    let report = doctor::diagnose(Inputs {
        env: &h.env,
        clock: &SystemClock,
        overrides: &overrides(),
        admin: Some(&admin),
    })
    .await;
    let Outcome::Fail { problem, fix } = &report.get(admin_names::AUTH_FLOWS).unwrap().outcome
    else {
        panic!("{report:?}")
    };
    assert!(
        problem.contains("has a secret and profile `doc` has none"),
        "{problem}"
    );
    assert!(fix.contains("--client-secret-stdin"), "{fix}");
    assert_eq!(report.failures(), 1, "{report:?}");
}
