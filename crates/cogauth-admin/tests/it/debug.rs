//! `Debug` of every public admin type that carries a secret shows none: each is built holding a
//! canary and formatted with `{:?}` and `{:#?}`. A type added later with a secret belongs here.

use cogauth_admin::config::AdminConfig;
use cogauth_admin::lambda_deploy::secret::StoredKey;
use cogauth_admin::lambda_deploy::{DeployOptions, DeployRequest, KeySource};
use cogauth_admin::target::{ProxyTargets, Source, Sourced, TargetFlags};
use secrecy::SecretString;

const CANARY: &str = "canary-iam-secret";

#[test]
fn no_debug_output_shows_a_secret() {
    let provided = KeySource::Provided {
        access_key_id: "AKIAVISIBLE0000000000".into(),
        secret_access_key: SecretString::from(CANARY.to_owned()),
    };
    let request = DeployRequest {
        targets: TargetFlags {
            user_pool_id: Some("us-east-1_Pool".into()),
            client_ids: vec!["client123".into()],
            ..TargetFlags::default()
        },
        region: None,
        function_name: None,
        iam_user_name: None,
        execution_role_name: None,
        long_lived_role_name: None,
        keys: provided.clone(),
        adopt: false,
        dry_run: true,
    };
    let targets = ProxyTargets {
        user_pool_id: Sourced {
            value: "us-east-1_Pool".into(),
            source: Source::Flag,
        },
        client_ids: vec!["client123".into()],
        identity_pool_id: None,
    };
    let options = DeployOptions::new(
        &AdminConfig::default(),
        targets,
        provided.clone(),
        false,
        false,
    );
    let stored = StoredKey {
        access_key_id: "AKIAVISIBLE0000000000".into(),
        secret_access_key: SecretString::from(CANARY.to_owned()),
    };
    let shown = [
        format!("{provided:?}"),
        format!("{provided:#?}"),
        format!("{request:?}"),
        format!("{request:#?}"),
        format!("{options:?}"),
        format!("{options:#?}"),
        format!("{stored:?}"),
        format!("{stored:#?}"),
    ];
    for text in &shown {
        assert!(!text.contains(CANARY), "shows the secret: {text}");
    }
    assert!(shown[0].contains("AKIAVISIBLE"), "the key id is shown");
}
