//! Audit identity: SourceIdentity and the session name come from the immutable `sub`, so two
//! users whose usernames looked alike once sanitized to IAM's alphabet and truncated (as the
//! proxy did before) get distinct sessions in CloudTrail. Real users on the emulator, the real
//! handler and STS client, and what went on the wire, seen at a recording forwarder.

use cogauth_test_support::{ACCOUNT_ID, fixtures};

use crate::common::moto;
use crate::common::{form_decode, split_answer};

/// What the proxy used to derive from a username (`cogauth-<sanitized>`, at most 64 bytes,
/// and the same sanitized name as SourceIdentity): kept here to show the collision it caused.
fn former_session_name(username: &str) -> String {
    let sanitized: String = username
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("cogauth-{sanitized}").chars().take(64).collect()
}

#[tokio::test]
async fn usernames_that_sanitize_alike_no_longer_share_a_session() {
    let pool = fixtures::create_pool(Default::default()).await;
    let tag = fixtures::unique("x");
    let prefix = "p".repeat(60);
    let pairs = [
        (format!("bob!smith{tag}"), format!("bob_smith{tag}")),
        (format!("{prefix}{tag}-one"), format!("{prefix}{tag}-two")),
    ];
    for (a, b) in &pairs {
        // Before: the same session name (and SourceIdentity) for two people.
        assert_eq!(former_session_name(a), former_session_name(b));
    }

    let key = moto::proxy_key().await;
    let (role_arn, role_name) = moto::long_lived_role().await;
    let (endpoint, log) = moto::recording_forwarder().await;
    for (a, b) in &pairs {
        let mut sessions = Vec::new();
        for username in [a, b] {
            let user = moto::login_as(pool.clone(), username).await;
            let config = moto::config_for(&user, &role_arn, &key.secret_arn, &[]);
            let deps = moto::deps(config, &endpoint).await;
            let (status, body) =
                split_answer(&cogauth_lambda::handle_json(user.request(), &deps).await);
            assert_eq!(status, 200, "{username}: {body}");
            let sent = moto::calls_of(&log, "AssumeRole").pop().unwrap();
            let sent = form_decode(std::str::from_utf8(&sent.request.body).unwrap());
            assert_eq!(sent["SourceIdentity"], user.sub, "{username}");
            assert_eq!(sent["RoleSessionName"], format!("cogauth-{}", user.sub));
            assert_eq!(sent["Tags.member.1.Value"], user.sub);
            assert_eq!(
                sent["Tags.member.2.Value"],
                cogauth_lambda::sts::tag_value(username),
                "the username, escaped but exact"
            );
            assert_eq!(
                moto::caller_arn(&body).await,
                format!(
                    "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/cogauth-{}",
                    user.sub
                )
            );
            sessions.push((
                sent["SourceIdentity"].clone(),
                sent["RoleSessionName"].clone(),
                sent["Tags.member.2.Value"].clone(),
            ));
        }
        // After: nothing the two sessions carry is the same.
        assert_ne!(sessions[0].0, sessions[1].0, "SourceIdentity");
        assert_ne!(sessions[0].1, sessions[1].1, "RoleSessionName");
        assert_ne!(sessions[0].2, sessions[1].2, "CognitoUsername tag");
    }
}
