//! The Lambda upgrade through `cogauth login`: success, an error answer, a malformed answer and
//! a missing function. moto runs no Lambda code: each test queues the function's answer.

use std::sync::Mutex;

use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::{self, PoolOptions};

use crate::{World, block_on, cogauth, credentials_expire_at, ok};

/// moto's queue of Lambda results is shared by every function: one upgrade test at a time.
static QUEUE: Mutex<()> = Mutex::new(());

fn world_with_proxy(function: &str) -> World {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&cogauth(
        &world.home,
        &[
            "configure",
            "--profile",
            "dev",
            "--lambda-function",
            function,
        ],
        "",
    ));
    world
}

fn proxy_answer(access_key: &str) -> String {
    let expiration = (chrono::Utc::now() + chrono::Duration::hours(12)).to_rfc3339();
    let body = serde_json::json!({
        "access_key_id": access_key,
        "secret_access_key": "upgraded-secret",
        "session_token": "upgraded-token",
        "expiration": expiration,
        "user_id": "sub",
        "username": "user",
    });
    serde_json::json!({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body.to_string()}).to_string()
}

#[test]
fn lambda_upgrade_success_error_malformed_and_missing() {
    let _one_at_a_time = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    let function = block_on(fixtures::create_lambda_function(&fixtures::unique("proxy")));
    let world = world_with_proxy(&function);

    // Success: the 12 h credentials replace the 1 h ones.
    emulator().queue_lambda_result(&proxy_answer("ASIAUPGRADED0001"));
    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.contains("Lambda credential proxy"), "{report}");
    assert!(!report.contains("warning"), "{report}");
    assert!(
        world
            .home
            .read(".aws/credentials")
            .contains("ASIAUPGRADED0001")
    );

    // An error answer: fall back to 1 h credentials, and say why.
    emulator()
        .queue_lambda_result(r#"{"statusCode": 401, "body": "{\"error\": \"invalid token\"}"}"#);
    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        report.contains("warning") && report.contains("401") && report.contains("invalid token"),
        "{report}"
    );
    assert!(
        report.contains("identity pool (enhanced flow, 1 h)"),
        "{report}"
    );
    assert!(
        world
            .home
            .read(".aws/credentials")
            .contains("TESTACCESSKEY12345")
    );

    // A malformed answer.
    emulator().queue_lambda_result("this is not json");
    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        report.contains("warning") && report.contains("cannot read"),
        "{report}"
    );

    // --no-lambda-proxy skips it altogether (nothing queued is consumed).
    let out = world.login(&["--no-lambda-proxy"]);
    ok(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
}

#[test]
fn missing_lambda_function_falls_back_with_a_warning() {
    let world = world_with_proxy("no-such-proxy-function");
    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        report.contains("warning") && report.contains("no-such-proxy-function"),
        "{report}"
    );
    assert!(
        report.contains("identity pool (enhanced flow, 1 h)"),
        "{report}"
    );
}

/// The real proxy handler behind the emulator's Invoke forwarding: its URL, and every event it
/// was invoked with.
struct RealProxy {
    url: String,
    events: std::sync::Arc<Mutex<Vec<serde_json::Value>>>,
}

impl RealProxy {
    fn invocations(&self) -> usize {
        self.events.lock().unwrap().len()
    }
}

/// Serves `cogauth_lambda::handle_json` over HTTP on 127.0.0.1, for the emulator's Invoke
/// forwarding.
fn serve_real_handler(deps: cogauth_lambda::Deps) -> RealProxy {
    use std::io::{BufRead, BufReader, Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/invoke", listener.local_addr().unwrap());
    let events = std::sync::Arc::new(Mutex::new(Vec::new()));
    let recorded = events.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            recorded.lock().unwrap().push(event.clone());
            let answer = runtime
                .block_on(cogauth_lambda::handle_json(event, &deps))
                .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    RealProxy { url, events }
}

/// The proxy's IAM user with one access key, kept in a Secrets Manager secret on the emulator
/// (as `cogadmin lambda deploy` leaves them): the secret's ARN.
fn proxy_key_secret() -> String {
    let (key_id, secret) = block_on(async {
        let iam = fixtures::iam_client().await;
        let user = fixtures::unique("proxyuser");
        iam.create_user().user_name(&user).send().await.unwrap();
        let key = iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        let key = key.access_key().unwrap();
        (
            key.access_key_id().to_owned(),
            key.secret_access_key().to_owned(),
        )
    });
    let value = serde_json::json!({"AccessKeyId": key_id, "SecretAccessKey": secret});
    let created = emulator().aws_json(&[
        "secretsmanager",
        "create-secret",
        "--name",
        &fixtures::unique("cogauth-proxy-key"),
        "--secret-string",
        &value.to_string(),
    ]);
    created["ARN"].as_str().expect("secret ARN").to_owned()
}

/// The real handler for `world`'s pool, its key in a secret, answering behind a Lambda
/// function of the emulator that the profile `dev` upgrades through.
fn real_proxy_for(
    world: &World,
    extra: &[(&str, &str)],
) -> (RealProxy, cogauth_lambda::config::Config) {
    let endpoint = emulator().endpoint().to_owned();
    let jwks = format!(
        "{endpoint}/{}/.well-known/jwks.json",
        world.pool.user_pool_id
    );
    let secret_arn = proxy_key_secret();
    let config = cogauth_lambda::config::Config::from_lookup(|name| {
        if let Some((_, value)) = extra.iter().find(|(k, _)| *k == name) {
            return Some((*value).to_owned());
        }
        Some(match name {
            "USER_POOL_ID" => world.pool.user_pool_id.clone(),
            "CLIENT_IDS" => world.pool.client_id.clone(),
            "DEFAULT_ROLE_ARN" => world.pool.role_arn.clone(),
            "IAM_USER_SECRET_ARN" => secret_arn.clone(),
            "COGAUTH_JWKS_URL" => jwks.clone(),
            "AWS_REGION" => "us-east-1".to_owned(),
            _ => return None,
        })
    })
    .expect("proxy configuration");
    let deps = block_on(cogauth_lambda::Deps::from_config_with(
        config.clone(),
        cogauth_lambda::AwsOverrides::at(&endpoint, "testing", "testing"),
    ))
    .expect("proxy dependencies");
    let proxy = serve_real_handler(deps);

    let function = fixtures::unique("realproxy");
    block_on(fixtures::create_lambda_function_with_env(
        &function,
        &[("COGAUTH_TEST_FORWARD_URL", &proxy.url)],
    ));
    ok(&cogauth(
        &world.home,
        &[
            "configure",
            "--profile",
            "dev",
            "--lambda-function",
            &function,
        ],
        "",
    ));
    (proxy, config)
}

#[test]
fn the_real_proxy_handler_upgrades_a_login_through_a_real_invoke() {
    let world = World::new(PoolOptions::default(), &[]);
    let (proxy, _) = real_proxy_for(&world, &[("REQUIRE_ACCESS_TOKEN", "true")]);

    let out = world.login(&["--duration", "10"]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        proxy.invocations(),
        1,
        "one Invoke reached the real handler"
    );
    assert!(
        report.contains("Lambda credential proxy") && !report.contains("warning"),
        "{report}"
    );

    // The credentials are STS AssumeRole's (not the identity pool's fixed test keys), for 10 h.
    let creds = world.home.read(".aws/credentials");
    assert!(!creds.contains("TESTACCESSKEY12345"), "{creds}");
    let status = world.status();
    let expires = credentials_expire_at(&status);
    let hours = (expires - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!(
        (9.5..=10.0).contains(&hours),
        "proxy credentials last {hours} h, asked for 10"
    );
    assert_eq!(status["session"]["source"], "Lambda credential proxy");

    // And the AWS CLI runs as the proxy's role session.
    let out = world.aws(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "dev",
        "--output",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        me["Arn"].as_str().unwrap().contains(":assumed-role/"),
        "{me}"
    );
}

#[test]
fn login_sends_the_access_token_and_logout_revokes_what_the_proxy_serves() {
    let world = World::new(PoolOptions::default(), &[]);
    // The proxy refuses requests without the access token: an upgrade proves cogauth sent it.
    let (proxy, config) = real_proxy_for(&world, &[("REQUIRE_ACCESS_TOKEN", "true")]);
    assert!(config.require_access_token);

    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        report.contains("Lambda credential proxy") && !report.contains("warning"),
        "{report}"
    );
    let event = proxy.events.lock().unwrap()[0].clone();
    let access_token = event["access_token"].as_str().expect("`access_token` sent");
    // It is the session's access token: Cognito answers GetUser with it, for this user.
    let me = block_on(async {
        fixtures::idp_client()
            .await
            .get_user()
            .access_token(access_token)
            .send()
            .await
    })
    .expect("GetUser with the access token cogauth sent");
    assert_eq!(me.username(), world.user);
    assert!(event["id_token"].is_string());

    // `cogauth logout` revokes the refresh token, and with it the session's access token: the
    // very request the proxy served is now refused.
    ok(&cogauth(&world.home, &["logout", "--profile", "dev"], ""));
    let deps = block_on(cogauth_lambda::Deps::from_config_with(
        config,
        cogauth_lambda::AwsOverrides::at(emulator().endpoint(), "testing", "testing"),
    ))
    .expect("proxy dependencies");
    let answer = block_on(cogauth_lambda::handle_json(event, &deps));
    assert_eq!(answer["statusCode"], 401, "{answer}");

    // A new login is a new session: served again.
    let out = world.login(&[]);
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Lambda credential proxy"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(proxy.invocations(), 2);
}
