//! The IAM user's key from Secrets Manager: read once at cold start and cached; when STS
//! rejects it (the emulator checks keys IAM issued: deleted or inactive ->
//! InvalidClientTokenId, wrong secret -> SignatureDoesNotMatch), read exactly once more, and
//! used if it changed. A rotation (new key written to the secret, old key deleted) is picked up
//! with one re-read and no failed request. GetSecretValue and AssumeRole calls are counted at a
//! recording forwarder in front of the emulator.

use std::sync::Mutex;

use cogauth_lambda::Deps;
use cogauth_lambda::keys::KeyError;
use cogauth_test_support::fixtures;

use crate::common::moto::{self, Exchange, LoggedIn, ProxyKey};
use crate::common::split_answer;

struct Proxy {
    user: LoggedIn,
    key: ProxyKey,
    deps: Deps,
    log: std::sync::Arc<Mutex<Vec<Exchange>>>,
}

impl Proxy {
    async fn start(extra: &[(&str, &str)]) -> Self {
        Self::start_with_key(moto::proxy_key().await, extra).await
    }

    async fn start_with_key(key: ProxyKey, extra: &[(&str, &str)]) -> Self {
        let user = moto::login().await;
        let (role_arn, _) = moto::long_lived_role().await;
        let (endpoint, log) = moto::recording_forwarder().await;
        let config = moto::config_for(&user, &role_arn, &key.secret_arn, extra);
        let deps = moto::deps(config, &endpoint).await;
        Self {
            user,
            key,
            deps,
            log,
        }
    }

    async fn call(&self) -> (u64, serde_json::Value) {
        split_answer(&cogauth_lambda::handle_json(self.user.request(), &self.deps).await)
    }

    fn secret_reads(&self) -> usize {
        moto::calls_of(&self.log, "GetSecretValue").len()
    }

    /// (signing key, HTTP status) of every AssumeRole so far.
    fn assume_roles(&self) -> Vec<(String, u16)> {
        moto::calls_of(&self.log, "AssumeRole")
            .iter()
            .map(|e| (e.signed_with().unwrap_or_default(), e.status))
            .collect()
    }
}

#[tokio::test]
async fn the_secret_is_read_at_cold_start_and_cached() {
    let proxy = Proxy::start(&[]).await;
    assert_eq!(proxy.secret_reads(), 1, "read once, before any invocation");
    for _ in 0..3 {
        assert_eq!(proxy.call().await.0, 200);
    }
    assert_eq!(proxy.secret_reads(), 1, "cached across invocations");
    let key = &proxy.key.access_key_id;
    assert_eq!(
        proxy.assume_roles(),
        [(key.clone(), 200), (key.clone(), 200), (key.clone(), 200)]
    );
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_with_one_reread_and_no_failed_request() {
    let proxy = Proxy::start(&[]).await;
    let old = proxy.key.access_key_id.clone();
    assert_eq!(proxy.call().await.0, 200);

    // What `cogadmin lambda rotate-key` does: a second key, written to the secret, then the
    // old key deleted.
    let (new, new_secret) = moto::create_access_key(&proxy.key.user_name).await;
    moto::put_secret(&proxy.key.secret_arn, &moto::secret_json(&new, &new_secret)).await;
    fixtures::iam_client()
        .await
        .delete_access_key()
        .user_name(&proxy.key.user_name)
        .access_key_id(&old)
        .send()
        .await
        .expect("DeleteAccessKey");

    let (status, body) = proxy.call().await;
    assert_eq!(status, 200, "served through the rotation: {body}");
    assert_eq!(proxy.secret_reads(), 2, "exactly one re-read");
    for _ in 0..3 {
        assert_eq!(proxy.call().await.0, 200);
    }
    assert_eq!(proxy.secret_reads(), 2, "the new key is cached");
    assert_eq!(
        proxy.assume_roles(),
        [
            (old.clone(), 200),
            (old, 403), // InvalidClientTokenId: the deleted key
            (new.clone(), 200),
            (new.clone(), 200),
            (new.clone(), 200),
            (new, 200),
        ]
    );
}

#[tokio::test]
async fn a_rejected_key_with_nothing_new_in_the_secret_is_a_server_error() {
    let proxy = Proxy::start(&[]).await;
    fixtures::iam_client()
        .await
        .update_access_key()
        .user_name(&proxy.key.user_name)
        .access_key_id(&proxy.key.access_key_id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .expect("UpdateAccessKey");
    for reads in [2, 3] {
        let (status, body) = proxy.call().await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["error"], "cannot issue credentials");
        assert_eq!(
            proxy.secret_reads(),
            reads,
            "one re-read per rejected request, no retry with the same key"
        );
    }
    assert!(
        proxy
            .assume_roles()
            .iter()
            .all(|(_, status)| *status == 403)
    );
}

#[tokio::test]
async fn a_wrong_secret_is_corrected_by_writing_the_secret_again() {
    // The secret holds the right key id with a wrong secret access key.
    let mut key = moto::proxy_key().await;
    let right = key.secret_access_key.clone();
    key.secret_access_key = "wrong/wrong/wrong/wrong/wrong/wrong/wron".into();
    moto::put_secret(
        &key.secret_arn,
        &moto::secret_json(&key.access_key_id, &key.secret_access_key),
    )
    .await;
    let proxy = Proxy::start_with_key(key, &[]).await;
    let (status, _) = proxy.call().await;
    assert_eq!(
        status, 500,
        "SignatureDoesNotMatch, and the secret holds the same"
    );
    assert_eq!(proxy.secret_reads(), 2);

    moto::put_secret(
        &proxy.key.secret_arn,
        &moto::secret_json(&proxy.key.access_key_id, &right),
    )
    .await;
    let (status, body) = proxy.call().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(proxy.secret_reads(), 3);
    let id = proxy.key.access_key_id.clone();
    assert_eq!(
        proxy.assume_roles(),
        [
            (id.clone(), 403), // SignatureDoesNotMatch
            (id.clone(), 403), // the next request, same key
            (id, 200),         // after the re-read
        ]
    );
}

#[tokio::test]
async fn the_old_plaintext_variables_still_work_and_are_never_reread() {
    let key = moto::proxy_key().await;
    let proxy = Proxy::start_with_key(
        key.clone(),
        &[
            ("IAM_USER_SECRET_ARN", ""),
            ("IAM_USER_ACCESS_KEY_ID", &key.access_key_id),
            ("IAM_USER_SECRET_ACCESS_KEY", &key.secret_access_key),
        ],
    )
    .await;
    assert!(
        proxy.deps.config.warnings[0].contains("cogadmin lambda deploy"),
        "{:?}",
        proxy.deps.config.warnings
    );
    assert_eq!(proxy.call().await.0, 200);
    fixtures::iam_client()
        .await
        .delete_access_key()
        .user_name(&key.user_name)
        .access_key_id(&key.access_key_id)
        .send()
        .await
        .expect("DeleteAccessKey");
    assert_eq!(proxy.call().await.0, 500);
    assert_eq!(proxy.secret_reads(), 0, "no secret to read");
}

#[tokio::test]
async fn a_secret_that_cannot_be_read_stops_the_cold_start_with_a_clear_error() {
    let user = moto::login().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-secret-AbCdEf";
    let config = moto::config_for(&user, &role_arn, missing, &[]);
    let err = moto_deps_err(config).await;
    assert!(
        matches!(
            err,
            cogauth_lambda::StartError::Key(KeyError::NotFound { .. })
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(missing) && message.contains("IAM_USER_SECRET_ARN"),
        "{message}"
    );

    // A secret that is not the expected JSON: named, without its value.
    let secret = moto::secrets_client()
        .await
        .create_secret()
        .name(fixtures::unique("cogauth/bad"))
        .secret_string("AKIAEXAMPLE:s3cr3t-value")
        .send()
        .await
        .expect("CreateSecret");
    let config = moto::config_for(&user, &role_arn, secret.arn().unwrap(), &[]);
    let err = moto_deps_err(config).await;
    let message = err.to_string();
    assert!(message.contains("not the JSON"), "{message}");
    assert!(!message.contains("s3cr3t"), "{message}");
}

async fn moto_deps_err(config: cogauth_lambda::config::Config) -> cogauth_lambda::StartError {
    let endpoint = cogauth_test_support::emulator().endpoint();
    Deps::from_config_with(
        config,
        cogauth_lambda::AwsOverrides::at(endpoint, "testing", "testing"),
    )
    .await
    .expect_err("a secret that cannot be used")
}
