//! `doctor::diagnose` through the public API against the emulator: a clock moved off through
//! the clock seam. The admin checks (cogauth-admin) are tested in that crate.

use cogauth_core::clock::{Clock, FixedClock, SystemClock};
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
async fn a_clock_ten_minutes_fast_fails_the_skew_check() {
    let h = home(PoolOptions::default(), true).await;
    let clock = FixedClock::new(SystemClock.now() + chrono::Duration::minutes(10));
    let report = doctor::diagnose(Inputs {
        env: &h.env,
        clock: &clock,
        overrides: &overrides(),
        admin: None,
    })
    .await;
    let Outcome::Fail { problem, fix } = &report.get(names::CLOCK_SKEW).unwrap().outcome else {
        panic!("{report:?}")
    };
    assert!(problem.contains("ahead of AWS's"), "{problem}");
    assert!(fix.contains("set-ntp"), "{fix}");
    assert_eq!(report.failures(), 1, "{report:?}");
    // Without admin checks, the report holds the core's checks only.
    let order: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        order,
        [
            names::CONFIG,
            names::COGNITO_IDP_ENDPOINT,
            names::COGNITO_IDENTITY_ENDPOINT,
            names::STS_ENDPOINT,
            names::CLOCK_SKEW,
            names::FILE_PERMISSIONS,
        ]
    );
}
