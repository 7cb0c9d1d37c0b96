//! Browser sign-in through the real binary (`--auth-flow browser`): the emulator serves the
//! pool's managed login (see docs/emulator.md), and `$BROWSER` is a real headless chromium or
//! the scripted driver of `cogauth-test-support/browsers/`, which signs in like a user and can
//! tamper with what reaches cogauth's loopback listener.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cogauth_test_support::managed_login::{self, ManagedLoginPool, Options};
use cogauth_test_support::{TestHome, emulator, fixtures};
use serde_json::Value;

use crate::{COGAUTH, PASSWORD, block_on, cogauth, cogauth_with, fails, ok};

/// How long a driver may take to write its result once cogauth has returned.
const RESULT_WAIT: Duration = Duration::from_secs(90);

/// A managed-login pool with one user, and a HOME whose profile `dev` signs in to it.
struct BrowserWorld {
    home: TestHome,
    ml: ManagedLoginPool,
    user: String,
}

impl BrowserWorld {
    /// `auth_flow` is `browser`, or `srp` for a terminal login that may finish in the browser.
    fn new(opts: Options, auth_flow: &str, configure: &[&str]) -> Self {
        let ml = block_on(managed_login::create(opts));
        let user = fixtures::unique("user");
        block_on(fixtures::create_user(&ml.pool, &user, PASSWORD));
        let home = TestHome::new();
        let mut args = vec![
            "configure",
            "--profile",
            "dev",
            "--user-pool-id",
            &ml.pool.user_pool_id,
            "--client-id",
            &ml.pool.client_id,
            "--identity-pool-id",
            &ml.pool.identity_pool_id,
            "--auth-flow",
            auth_flow,
            "--managed-login-url",
            &ml.base_url,
            "--redirect-uri",
            &ml.redirect_uri,
        ];
        args.extend_from_slice(configure);
        let stdin = match &ml.pool.client_secret {
            Some(secret) => {
                args.push("--client-secret-stdin");
                format!("{secret}\n")
            }
            None => String::new(),
        };
        ok(&cogauth(&home, &args, &stdin));
        Self { home, ml, user }
    }

    /// A fresh path for a driver's result.
    fn result_path(&self) -> PathBuf {
        static N: AtomicU32 = AtomicU32::new(0);
        self.home.join(&format!(
            "browser-result-{}.json",
            N.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// Runs `cogauth ARGS` with the scripted browser in `$BROWSER` (signing in as the user
    /// unless `env` says otherwise); returns the output and where the driver writes its result.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (Output, PathBuf) {
        let result = self.result_path();
        let browser = managed_login::scripted_browser();
        let mut all = vec![
            ("BROWSER", browser.as_str()),
            ("COGAUTH_BROWSER_RESULT", result.to_str().unwrap()),
            ("COGAUTH_BROWSER_PASSWORD", PASSWORD),
        ];
        all.extend_from_slice(env);
        (cogauth_with(&self.home, args, "", &all), result)
    }

    /// `cogauth login --profile dev -u USER` through the scripted browser.
    fn login(&self, env: &[(&str, &str)]) -> (Output, PathBuf) {
        self.run(&["login", "--profile", "dev", "-u", &self.user], env)
    }

    /// What the domain's endpoints received (see `managed_login::log`).
    fn log(&self) -> Value {
        managed_login::log(&self.ml.domain)
    }

    /// `text` with what differs between runs replaced by names.
    fn normalized(&self, text: &str) -> String {
        let mut out = text
            .replace(&self.ml.base_url, "[MANAGED_LOGIN_URL]")
            .replace(&self.ml.domain, "[DOMAIN]")
            .replace(&self.ml.redirect_uri, "[REDIRECT_URI]")
            .replace(&self.ml.port.to_string(), "[PORT]")
            .replace(&self.ml.pool.client_id, "[CLIENT_ID]")
            .replace(&self.ml.pool.user_pool_id, "[USER_POOL_ID]")
            .replace(&self.user, "[USER]")
            .replace(&self.home.path().display().to_string(), "[HOME]");
        out = out
            .lines()
            .map(|line| {
                let words: Vec<String> = line
                    .split(' ')
                    .map(|w| match w {
                        w if w.contains("/oauth2/authorize?") => "[AUTHORIZE_URL]".to_owned(),
                        w if w.starts_with("us-east-1:") => "[IDENTITY_ID]".to_owned(),
                        w => w.to_owned(),
                    })
                    .collect();
                let line = words.join(" ");
                match line.trim_start().starts_with("expires:") {
                    true => "  expires:      [EXPIRY]".to_owned(),
                    false => line,
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        out
    }

    #[track_caller]
    fn assert_aws_cli_works(&self) {
        let cli = emulator().aws_cli();
        let mut cmd = self.home.command(&cli);
        cmd.args([
            "sts",
            "get-caller-identity",
            "--profile",
            "dev",
            "--output",
            "json",
        ]);
        let out = cmd.output().expect("run the aws cli");
        assert!(
            out.status.success(),
            "aws sts get-caller-identity failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let me: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(me["Account"], cogauth_test_support::ACCOUNT_ID);
    }

    fn token_calls(&self) -> Vec<Value> {
        self.log()["token"].as_array().cloned().unwrap_or_default()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one `cogauth: error: ...` line of a failed run.
#[track_caller]
fn error_line(out: &Output) -> String {
    let err = fails(out);
    err.lines()
        .find(|l| l.starts_with("cogauth: error:"))
        .unwrap_or_else(|| panic!("no error line in:\n{err}"))
        .to_owned()
}

/// The query parameters of a URL.
fn url_query(url: &str) -> std::collections::HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn result(path: &std::path::Path) -> Value {
    managed_login::wait_for_result(path, RESULT_WAIT)
}

#[test]
fn a_real_browser_signs_in_and_the_aws_cli_uses_the_credentials() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    let result_path = world.result_path();
    let screenshot = world.home.join("signed-in.png");
    let chromium = managed_login::chromium_browser();
    let out = cogauth_with(
        &world.home,
        &["login", "--profile", "dev", "-u", &world.user],
        "",
        &[
            ("BROWSER", chromium.as_str()),
            ("COGAUTH_BROWSER_RESULT", result_path.to_str().unwrap()),
            ("COGAUTH_BROWSER_SCREENSHOT", screenshot.to_str().unwrap()),
            ("COGAUTH_BROWSER_PASSWORD", PASSWORD),
        ],
    );
    ok(&out);
    assert!(out.stdout.is_empty(), "login prints nothing on stdout");

    // The page the real browser shows once it has followed the redirect to cogauth.
    let browser = result(&result_path);
    assert_eq!(browser["outcome"], "called_back", "{browser}");
    assert_eq!(browser["callback"]["title"], "cogauth: Signed in");
    assert!(
        browser["callback"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}?code=", world.ml.redirect_uri)),
        "{browser}"
    );
    insta::assert_snapshot!(
        "signed_in_page",
        world.normalized(browser["callback"]["text"].as_str().unwrap())
    );
    insta::assert_snapshot!("login_report", world.normalized(&stderr(&out)));

    // PKCE went all the way: the code was redeemed with its verifier, by a public client.
    let token = world.token_calls();
    assert_eq!(token.len(), 1, "{token:?}");
    assert_eq!(token[0]["grant_type"], "authorization_code");
    assert_eq!(token[0]["code_verifier_present"], true);
    assert_eq!(token[0]["client_auth"], "none");
    assert_eq!(token[0]["outcome"], "ok");
    let authorize = &world.log()["authorize"][0];
    assert_eq!(authorize["login_hint"], world.user.as_str(), "{authorize}");
    assert_eq!(authorize["code_challenge_method"], "S256", "{authorize}");

    let creds = world.home.read(".aws/credentials");
    assert!(
        creds.contains("[dev]") && creds.contains("aws_session_token"),
        "{creds}"
    );
    world.assert_aws_cli_works();
    let status: Value = serde_json::from_str(&ok(&cogauth(
        &world.home,
        &["status", "--profile", "dev", "--json"],
        "",
    )))
    .unwrap();
    assert_eq!(status["settings"]["auth_flow"]["value"], "browser");
    assert_eq!(status["session"]["username"], world.user.as_str());
}

#[test]
fn the_scripted_browser_signs_in_with_the_pools_discovery_document() {
    // No managed_login_url: the endpoints come from the pool's OpenID configuration.
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    let config = world.home.read(".config/cogauth/config.toml");
    let without_url: String = config
        .lines()
        .filter(|l| !l.starts_with("managed_login_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    world
        .home
        .write(".config/cogauth/config.toml", &without_url);
    // Logged at trace level, every HTTP exchange included: no secret may show.
    let (out, result_path) = world.run(
        &["-vvv", "login", "--profile", "dev", "-u", &world.user],
        &[],
    );
    ok(&out);
    let browser = result(&result_path);
    let log = stderr(&out);
    let callback = url_query(browser["callback"]["url"].as_str().unwrap());
    let code = &callback["code"];
    let cache: Value = serde_json::from_str(&world.home.read(".cache/cogauth/dev.json")).unwrap();
    let refresh_token = cache["refresh_token"].as_str().unwrap();
    let secret_key = cache["credentials"]["secret_access_key"].as_str().unwrap();
    for (what, secret) in [
        ("the code", code.as_str()),
        ("the refresh token", refresh_token),
        ("the secret key", secret_key),
        ("the password", PASSWORD),
    ] {
        assert!(!log.contains(secret), "{what} is in the log:\n{log}");
    }
    assert!(
        log.contains("oauth2/authorize"),
        "the log is a trace: {log}"
    );
    assert_eq!(browser["callback"]["status"], 200, "{browser}");
    assert!(
        browser["callback"]["body"]
            .as_str()
            .unwrap()
            .contains(&format!("You are signed in as {}.", world.user)),
        "{browser}"
    );
    world.assert_aws_cli_works();
}

#[test]
fn a_callback_with_a_wrong_or_missing_state_is_refused() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    for (mode, snapshot) in [("alter", "wrong_state"), ("drop", "missing_state")] {
        let (out, result_path) = world.login(&[("COGAUTH_BROWSER_STATE", mode)]);
        let error = error_line(&out);
        insta::assert_snapshot!(snapshot, world.normalized(&error));
        // The browser is told too, and the code was never redeemed.
        let browser = result(&result_path);
        assert_eq!(browser["callback"]["status"], 400, "{browser}");
        let body = browser["callback"]["body"].as_str().unwrap();
        assert!(body.contains("Sign-in failed"), "{body}");
        assert!(body.contains("forgery"), "{body}");
    }
    assert!(world.token_calls().is_empty(), "no code was redeemed");
    assert!(!world.home.join(".aws/credentials").exists());
}

#[test]
fn a_wrong_or_missing_pkce_verifier_is_refused_by_the_managed_login() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    // The browser swaps the challenge: the code it gets belongs to a challenge that cogauth's
    // verifier does not hash to, and the token endpoint refuses it.
    let (out, result_path) = world.login(&[("COGAUTH_BROWSER_CHALLENGE", "alter")]);
    let error = error_line(&out);
    insta::assert_snapshot!("wrong_verifier", world.normalized(&error));
    let token = world.token_calls();
    assert_eq!(token.len(), 1, "{token:?}");
    assert_eq!(token[0]["code_verifier_present"], true);
    assert_eq!(token[0]["outcome"], "invalid_grant", "{token:?}");
    let browser = result(&result_path);
    assert_eq!(browser["callback"]["status"], 400, "{browser}");
    assert!(
        browser["callback"]["body"]
            .as_str()
            .unwrap()
            .contains("PKCE verifier"),
        "{browser}"
    );

    // Without a challenge the managed login refuses the request itself (it requires PKCE).
    let (out, _) = world.login(&[("COGAUTH_BROWSER_CHALLENGE", "drop")]);
    let error = error_line(&out);
    assert!(error.contains("invalid_request"), "{error}");
    assert_eq!(world.token_calls().len(), 1, "nothing more was redeemed");
    assert!(!world.home.join(".aws/credentials").exists());
}

#[test]
fn access_denied_in_the_browser_is_a_clear_error() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    let (out, result_path) = world.login(&[("COGAUTH_BROWSER_ACTION", "deny")]);
    let error = error_line(&out);
    insta::assert_snapshot!("access_denied", world.normalized(&error));
    let browser = result(&result_path);
    let body = browser["callback"]["body"].as_str().unwrap();
    assert!(body.contains("cancelled or denied"), "{body}");
}

#[test]
fn a_browser_that_never_comes_back_times_out() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    let (out, _) = world.login(&[
        ("COGAUTH_BROWSER_ACTION", "ignore"),
        ("COGAUTH_CALLBACK_TIMEOUT", "2"),
    ]);
    let error = error_line(&out);
    insta::assert_snapshot!("timeout", world.normalized(&error));
    // The port is free again: the next sign-in works.
    ok(&world.login(&[]).0);
}

#[test]
fn a_busy_callback_port_is_a_clear_error() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    let busy = std::net::TcpListener::bind(("127.0.0.1", world.ml.port)).expect("hold the port");
    let (out, _) = world.login(&[]);
    let error = error_line(&out);
    insta::assert_snapshot!("busy_port", world.normalized(&error));
    assert!(
        world.log()["authorize"].as_array().unwrap().is_empty(),
        "no browser was sent"
    );
    drop(busy);
}

#[test]
fn no_browser_prints_the_url_and_reads_the_pasted_address_in_a_terminal() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    let stdout_file = world.home.join("stdout.txt");
    let mut cmd = world.home.command("sh");
    cmd.args([
        "-c",
        &format!(
            "exec '{COGAUTH}' login --profile dev -u '{}' --no-browser > '{}'",
            world.user,
            stdout_file.display()
        ),
    ]);
    let mut session = rexpect::session::spawn_command(cmd, Some(60_000)).expect("spawn in a pty");
    let (before, url) = session
        .exp_regex(r"http://[^\s]+/oauth2/authorize\?[^\s]+")
        .unwrap();
    assert!(
        before.contains("Open this URL in a web browser"),
        "{before}"
    );
    let instructions = session.exp_string("Address the browser ended at").unwrap();

    // A browser elsewhere signs in; its address bar ends at the redirect URI.
    let result_path = world.result_path();
    let status = Command::new(managed_login::scripted_browser())
        .stdout(std::process::Stdio::null())
        .arg(&url)
        .env("COGAUTH_BROWSER_FOREGROUND", "1")
        .env("COGAUTH_BROWSER_CALLBACK", "record")
        .env("COGAUTH_BROWSER_PASSWORD", PASSWORD)
        .env("COGAUTH_BROWSER_RESULT", &result_path)
        .status()
        .expect("run the scripted browser");
    assert!(status.success());
    let browser = result(&result_path);
    assert_eq!(browser["outcome"], "redirected", "{browser}");
    let address = browser["callback"]["url"].as_str().unwrap().to_owned();

    session.send_line(&address).unwrap();
    session.exp_string("logged in as").unwrap();
    session.exp_eof().unwrap();
    insta::assert_snapshot!(
        "no_browser_instructions",
        world.normalized(&format!("{before}{url}{instructions}"))
    );
    assert_eq!(
        std::fs::read_to_string(&stdout_file).unwrap(),
        "",
        "stdout stays clean"
    );
    world.assert_aws_cli_works();

    // Without a terminal to paste into, --no-browser says so.
    let err = error_line(
        &world
            .run(&["login", "--profile", "dev", "--no-browser"], &[])
            .0,
    );
    assert!(err.contains("terminal"), "{err}");
}

#[test]
fn a_client_with_a_secret_authenticates_with_http_basic() {
    let world = BrowserWorld::new(
        Options {
            with_client_secret: true,
            ..Default::default()
        },
        "browser",
        &[],
    );
    ok(&world.login(&[]).0);
    let token = world.token_calls();
    assert_eq!(token[0]["client_auth"], "basic", "{token:?}");
    assert_eq!(token[0]["outcome"], "ok", "{token:?}");
    world.assert_aws_cli_works();

    // A wrong secret is named as such.
    let config = world.home.read(".config/cogauth/config.toml");
    let secret = world.ml.pool.client_secret.as_deref().unwrap();
    world.home.write(
        ".config/cogauth/config.toml",
        &config.replace(secret, "not-the-secret"),
    );
    let error = error_line(&world.login(&[]).0);
    assert!(
        error.contains("invalid_client") && error.contains("client_secret"),
        "{error}"
    );
}

#[test]
fn a_federated_user_signs_in_through_the_identity_provider() {
    let world = BrowserWorld::new(
        Options {
            identity_provider: Some("CorpIdP".to_owned()),
            ..Default::default()
        },
        "browser",
        &["--identity-provider", "CorpIdP"],
    );
    let (out, result_path) = world.run(
        &["login", "--profile", "dev"],
        &[
            ("COGAUTH_BROWSER_ACTION", "federated"),
            ("COGAUTH_BROWSER_IDP_SUB", "emp-4711"),
            ("COGAUTH_BROWSER_IDP_EMAIL", "jo@corp.example"),
        ],
    );
    ok(&out);
    assert!(
        stderr(&out).contains("logged in as CorpIdP_emp-4711"),
        "{}",
        stderr(&out)
    );
    let browser = result(&result_path);
    assert_eq!(browser["outcome"], "called_back", "{browser}");
    // identity_provider= skipped the sign-in page: straight to the IdP.
    let authorize = &world.log()["authorize"][0];
    assert_eq!(authorize["identity_provider"], "CorpIdP", "{authorize}");
    let user = block_on(async {
        fixtures::idp_client()
            .await
            .admin_get_user()
            .user_pool_id(&world.ml.pool.user_pool_id)
            .username("CorpIdP_emp-4711")
            .send()
            .await
    })
    .expect("the federated user exists in the pool");
    assert_eq!(user.user_status().unwrap().as_str(), "EXTERNAL_PROVIDER");
    world.assert_aws_cli_works();

    // Their session refreshes silently, like any other.
    expire_cached_credentials(&world);
    ok(&cogauth(
        &world.home,
        &["credential-process", "--profile", "dev"],
        "",
    ));
    assert_eq!(
        world.token_calls().last().unwrap()["grant_type"],
        "refresh_token"
    );
}

/// Makes the cached credentials look expired, as if the machine had slept through their expiry.
fn expire_cached_credentials(world: &BrowserWorld) {
    let path = world.home.join(".cache/cogauth/dev.json");
    let mut session: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["credentials"]["expiration"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();
}

#[test]
fn a_browser_session_refreshes_silently() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    ok(&world.login(&[]).0);
    expire_cached_credentials(&world);
    let before = world.token_calls().len();
    // No browser, no terminal: the refresh token does it all.
    let out = cogauth_with(
        &world.home,
        &["credential-process", "--profile", "dev"],
        "",
        &[("BROWSER", "/bin/false")],
    );
    let json: Value = serde_json::from_str(ok(&out).trim()).unwrap();
    assert_eq!(json["Version"], 1);
    let token = world.token_calls();
    assert_eq!(token.len(), before + 1, "{token:?}");
    let refresh = token.last().unwrap();
    assert_eq!(refresh["grant_type"], "refresh_token");
    assert_eq!(refresh["outcome"], "ok");
    assert!(
        world.log()["authorize"].as_array().unwrap().len() == 1,
        "no second sign-in"
    );
    let status: Value = serde_json::from_str(&ok(&cogauth(
        &world.home,
        &["status", "--profile", "dev", "--json"],
        "",
    )))
    .unwrap();
    assert_ne!(
        status["session"]["credentials_expire_at"], "2000-01-01T00:00:00Z",
        "the cache holds the new credentials"
    );
}

#[test]
fn logout_revokes_the_refresh_token_and_ends_the_browser_session() {
    let world = BrowserWorld::new(Options::default(), "browser", &[]);
    let cookies = world.home.join("browser-cookies.txt");
    let cookies = cookies.to_str().unwrap();
    ok(&world.login(&[("COGAUTH_BROWSER_COOKIES", cookies)]).0);
    let cache = world.home.read(".cache/cogauth/dev.json");

    let (out, result_path) = world.run(
        &["logout", "--profile", "dev", "--browser"],
        &[("COGAUTH_BROWSER_COOKIES", cookies)],
    );
    ok(&out);
    insta::assert_snapshot!("logout_report", world.normalized(&stderr(&out)));
    let browser = result(&result_path);
    assert_eq!(browser["callback"]["status"], 200, "{browser}");
    assert!(
        browser["callback"]["body"]
            .as_str()
            .unwrap()
            .contains("Signed out"),
        "{browser}"
    );
    let logout = world.log()["logout"].clone();
    assert_eq!(logout[0]["outcome"], "signed out", "{logout}");
    assert_eq!(logout[0]["logout_uri"], world.ml.redirect_uri.as_str());
    assert!(
        !world.home.join(".aws/credentials").exists() || {
            !world.home.read(".aws/credentials").contains("[dev]")
        }
    );

    // The refresh token is dead: the old session, put back, cannot be refreshed.
    world.home.write(".cache/cogauth/dev.json", &cache);
    expire_cached_credentials(&world);
    let err = fails(&cogauth(
        &world.home,
        &["credential-process", "--profile", "dev"],
        "",
    ));
    assert!(err.contains("cogauth login --profile dev"), "{err}");

    // The managed login session ended too: signing in again shows the sign-in form.
    let logins_before = world.log()["login"].as_array().unwrap().len();
    ok(&world.login(&[("COGAUTH_BROWSER_COOKIES", cookies)]).0);
    assert_eq!(
        world.log()["login"].as_array().unwrap().len(),
        logins_before + 1,
        "the password was asked again"
    );

    // --no-browser only prints the URL to open.
    let out = cogauth(
        &world.home,
        &["logout", "--profile", "dev", "--browser", "--no-browser"],
        "",
    );
    ok(&out);
    assert!(
        stderr(&out).contains(&format!("{}/logout?client_id=", world.ml.base_url)),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_challenge_the_terminal_cannot_answer_is_finished_in_the_browser() {
    // A terminal (SRP) profile with managed_login_url; the pool asks this user for a passkey.
    let world = BrowserWorld::new(Options::default(), "srp", &[]);
    managed_login::require_challenge(&world.ml.pool.client_id, &world.user, "WEB_AUTHN");

    // Without a terminal to ask on, the challenge is the error, and it says what to do.
    let out = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let error = error_line(&out);
    insta::assert_snapshot!("unanswerable_challenge", world.normalized(&error));

    // In a terminal, cogauth offers the browser and finishes there.
    let result_path = world.result_path();
    let browser = managed_login::scripted_browser();
    let mut cmd = world.home.command(COGAUTH);
    cmd.args(["login", "--profile", "dev", "-u", &world.user])
        .env("BROWSER", &browser)
        .env("COGAUTH_BROWSER_RESULT", &result_path)
        .env("COGAUTH_BROWSER_PASSWORD", PASSWORD);
    let mut session = rexpect::session::spawn_command(cmd, Some(60_000)).expect("spawn in a pty");
    session.exp_string("Password for").unwrap();
    session.send_line(PASSWORD).unwrap();
    session
        .exp_string("The user pool asks for a passkey (WEB_AUTHN)")
        .unwrap();
    session
        .exp_string("Finish signing in in the browser? [Y/n]")
        .unwrap();
    session.send_line("").unwrap();
    session.exp_string("logged in as").unwrap();
    session.exp_eof().unwrap();
    let browser = result(&result_path);
    assert_eq!(browser["outcome"], "called_back", "{browser}");
    assert_eq!(world.token_calls()[0]["outcome"], "ok");
    world.assert_aws_cli_works();
}

/// The emulator accepts any keys: these stand for an administrator's credentials.
const ADMIN: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
];

/// `cogauth doctor --profile dev --json` with admin credentials: the report and whether it passed.
fn doctor(world: &BrowserWorld) -> (bool, Value) {
    let out = cogauth_with(
        &world.home,
        &["doctor", "--profile", "dev", "--json"],
        "",
        ADMIN,
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("doctor --json printed no JSON ({e}): {}", stderr(&out));
    });
    (out.status.success(), report)
}

#[track_caller]
fn doctor_check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check `{name}` in {report:#}"))
}

#[test]
fn doctor_checks_the_managed_login_of_a_browser_profile() {
    let world = BrowserWorld::new(
        Options {
            identity_provider: Some("CorpIdP".to_owned()),
            ..Default::default()
        },
        "browser",
        &[],
    );
    let (healthy, report) = doctor(&world);
    assert!(healthy, "{report:#}");
    for name in ["managed login", "managed login settings"] {
        assert_eq!(doctor_check(&report, name)["status"], "pass", "{report:#}");
    }

    // A callback the client does not list: the domain says redirect_mismatch, the client's
    // settings say which callbacks it has; both say how to fix it.
    let configure = |args: &[&str]| {
        let mut all = vec!["configure", "--profile", "dev"];
        all.extend_from_slice(args);
        ok(&cogauth(&world.home, &all, ""));
    };
    configure(&["--redirect-uri", "http://127.0.0.1:9/elsewhere"]);
    let (healthy, report) = doctor(&world);
    assert!(!healthy);
    let probe = doctor_check(&report, "managed login");
    assert_eq!(probe["status"], "fail", "{report:#}");
    let problem = probe["problem"].as_str().unwrap();
    assert!(
        problem.contains("redirect_mismatch") && problem.contains("http://127.0.0.1:9/elsewhere"),
        "{problem}"
    );
    assert!(
        probe["fix"].as_str().unwrap().contains("--managed-login"),
        "{probe}"
    );
    let settings = doctor_check(&report, "managed login settings");
    assert_eq!(settings["status"], "fail", "{report:#}");
    assert!(
        settings["problem"]
            .as_str()
            .unwrap()
            .contains(&format!("it lists {}", world.ml.redirect_uri)),
        "{settings}"
    );

    // Scopes the client does not allow, and an identity provider it does not offer.
    configure(&[
        "--redirect-uri",
        &world.ml.redirect_uri,
        "--oauth-scopes",
        "openid phone",
        "--identity-provider",
        "OtherIdP",
    ]);
    let (_, report) = doctor(&world);
    let probe = doctor_check(&report, "managed login");
    assert!(
        probe["problem"].as_str().unwrap().contains("invalid_scope"),
        "{probe}"
    );
    let problem = doctor_check(&report, "managed login settings")["problem"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(problem.contains("scopes phone"), "{problem}");
    assert!(
        problem.contains("identity provider `OtherIdP`") && problem.contains("COGNITO, CorpIdP"),
        "{problem}"
    );
    insta::assert_snapshot!(
        "doctor_settings_fix",
        world.normalized(
            doctor_check(&report, "managed login settings")["fix"]
                .as_str()
                .unwrap()
        )
    );
}

#[test]
fn doctor_finds_a_pool_without_a_domain() {
    // A pool without a domain, and a browser profile without managed_login_url.
    let pool = block_on(fixtures::create_pool(fixtures::PoolOptions::default()));
    let home = TestHome::new();
    ok(&cogauth(
        &home,
        &[
            "configure",
            "--profile",
            "dev",
            "--user-pool-id",
            &pool.user_pool_id,
            "--client-id",
            &pool.client_id,
            "--identity-pool-id",
            &pool.identity_pool_id,
            "--auth-flow",
            "browser",
        ],
        "",
    ));
    let out = cogauth_with(&home, &["doctor", "--profile", "dev", "--json"], "", ADMIN);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!out.status.success());
    let probe = doctor_check(&report, "managed login");
    assert!(
        probe["problem"].as_str().unwrap().contains("has no domain"),
        "{probe}"
    );
    assert!(
        probe["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("--user-pool-id {} ", pool.user_pool_id)),
        "{probe}"
    );
    let settings = doctor_check(&report, "managed login settings");
    assert!(
        settings["problem"]
            .as_str()
            .unwrap()
            .contains("has no domain"),
        "{settings}"
    );
    // And login says the same, before any browser opens.
    let err = fails(&cogauth(&home, &["login", "--profile", "dev"], ""));
    assert!(err.contains("has no domain"), "{err}");
}
