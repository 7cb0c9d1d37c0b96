//! Console sign-in (issue 16, part 4) through the binary, against the emulator's fake
//! federation endpoint (`COGAUTH_FEDERATION_ENDPOINT`), which checks the request's shape and
//! records it without its secrets.

use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::{self, PoolOptions};

use crate::{World, block_on, cogauth_with, fails, ok};

fn endpoint() -> String {
    format!("{}/federation", emulator().endpoint())
}

fn federation_env() -> [(&'static str, String); 1] {
    [("COGAUTH_FEDERATION_ENDPOINT", endpoint())]
}

/// Every request the fake endpoint recorded.
fn recorded() -> Vec<serde_json::Value> {
    let url = format!("{}/cogauth-test/federation", emulator().endpoint());
    let body: serde_json::Value = std::thread::spawn(move || reqwest::blocking::get(&url)?.json())
        .join()
        .unwrap()
        .unwrap();
    body["Requests"].as_array().unwrap().clone()
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A user whose group role is what the identity pool maps to.
fn role_world() -> (World, String) {
    let world = World::new(PoolOptions::default(), &[]);
    let role = block_on(async {
        let pool = &world.pool;
        let role = fixtures::create_group_role(&pool.identity_pool_id, "Console").await;
        fixtures::create_group(pool, "console", &role, Some(1)).await;
        fixtures::add_user_to_group(pool, &world.user, "console").await;
        fixtures::set_token_role_mapping(pool, "Deny").await;
        role
    });
    ok(&world.login(&[]));
    (world, role)
}

fn cached_access_key(world: &World) -> String {
    let session: serde_json::Value =
        serde_json::from_str(&world.home.read(".cache/cogauth/dev.json")).unwrap();
    session["credentials"]["access_key_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn console(world: &World, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut all = vec!["console", "--profile", "dev", "--window", "1"];
    all.extend_from_slice(args);
    let federation = federation_env();
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.push((federation[0].0, &federation[0].1));
    cogauth_with(&world.home, &all, "", &env)
}

#[test]
fn console_print_gives_a_login_url_that_the_federation_endpoint_honours() {
    let (world, role) = role_world();
    let out = console(&world, &["--print"], &[]);
    let stdout = ok(&out);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let url = stdout.trim();
    assert!(
        url.starts_with(&format!("{}?Action=login&Destination=", endpoint())),
        "{url}"
    );
    let params = query(url);
    assert_eq!(
        params["Destination"],
        "https://console.aws.amazon.com/console/home?region=us-east-1"
    );
    assert!(!params["SigninToken"].is_empty());

    // What the endpoint received: the three session fields in the query of a GET, from the
    // profile's role credentials.
    let key = cached_access_key(&world);
    let requests = recorded();
    let exchange = requests
        .iter()
        .find(|r| r["SessionId"] == key.as_str() && r["Action"] == "getSigninToken")
        .unwrap_or_else(|| panic!("no getSigninToken for {key}: {requests:?}"));
    assert_eq!(exchange["Status"], 200, "{exchange}");
    assert_eq!(exchange["Method"], "GET");
    assert_eq!(exchange["ParamsIn"], "query");
    assert_eq!(
        exchange["SessionFields"],
        serde_json::json!(["sessionId", "sessionKey", "sessionToken"])
    );
    assert_eq!(exchange["CredentialSource"], "AssumedRole");
    assert_eq!(exchange["RoleArn"], role.as_str());
    assert!(exchange["SessionDuration"].is_null(), "{exchange}");

    // The URL signs the browser in: a redirect to the console.
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = std::thread::spawn({
        let url = url.to_owned();
        move || {
            client
                .get(url)
                .send()
                .map(|r| (r.status().as_u16(), r.headers().clone()))
        }
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(answer.0, 302);
    assert_eq!(answer.1["location"], params["Destination"].as_str());
    let login = recorded()
        .into_iter()
        .find(|r| r["Action"] == "login" && r["TokenRef"] == exchange["TokenRef"])
        .expect("the login request");
    assert_eq!(login["Status"], 302);

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(&params["SigninToken"]), "{stderr}");
}

#[test]
fn console_opens_the_browser_with_a_destination_and_a_duration() {
    let (world, _) = role_world();
    let opened = world.home.join("opened-url");
    let browser = world.home.write(
        "browser.sh",
        &format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    );
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let destination = "https://console.aws.amazon.com/s3/home?region=us-east-1";
    let out = console(
        &world,
        &["--destination", destination, "--duration", "60"],
        &[("BROWSER", browser.to_str().unwrap())],
    );
    let stdout = ok(&out);
    assert!(stdout.is_empty(), "{stdout}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !opened.exists() || std::fs::read_to_string(&opened).unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the browser was not started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let url = std::fs::read_to_string(&opened).unwrap();
    assert_eq!(query(&url)["Destination"], destination);
    let key = cached_access_key(&world);
    let exchange = recorded()
        .into_iter()
        .rev()
        .find(|r| r["SessionId"] == key.as_str() && r["Action"] == "getSigninToken")
        .unwrap();
    assert_eq!(exchange["SessionDuration"], "3600");
    assert_eq!(exchange["ConsoleSessionSeconds"], 3600);
}

#[test]
fn console_refusals_are_clear_and_keep_the_secrets() {
    let (world, _) = role_world();
    // A destination that is not an https URL is refused before anything is sent. The endpoint
    // records every test's requests: only this world's keys count (the tests run in parallel).
    let key = cached_access_key(&world);
    let ours = |key: &str| recorded().iter().filter(|r| r["SessionId"] == key).count();
    let before = ours(&key);
    for bad in [
        "http://evil.example/",
        "javascript:alert(1)",
        "console.aws.amazon.com",
    ] {
        let stderr = fails(&console(&world, &["--print", "--destination", bad], &[]));
        assert!(stderr.contains("is not a console URL"), "{bad}: {stderr}");
    }
    let stderr = fails(&console(&world, &["--print", "--duration", "5"], &[]));
    assert!(stderr.contains("--duration"), "{stderr}");
    assert_eq!(
        cached_access_key(&world),
        key,
        "the refusals did not refresh"
    );
    assert_eq!(ours(&key), before, "nothing reached the endpoint");

    // Credentials the endpoint does not accept: its refusal, and no secret, on stderr.
    let path = world.home.join(".cache/cogauth/dev.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["credentials"]["secret_access_key"] = "not-the-right-secret-canary".into();
    std::fs::write(&path, session.to_string()).unwrap();
    let out = console(&world, &["--print"], &[]);
    let stderr = fails(&out);
    assert!(
        stderr.contains("federation endpoint")
            && stderr.contains("refused the credentials (HTTP 400"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-right-secret-canary"), "{stderr}");
    assert!(out.stdout.is_empty());

    // A browser that cannot be started: the error says what to do.
    session["credentials"]["expiration"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();
    let stderr = fails(&console(
        &world,
        &[],
        &[("BROWSER", "/nonexistent/browser")],
    ));
    assert!(
        stderr.contains("cannot open a browser") && stderr.contains("--print"),
        "{stderr}"
    );
    assert!(!stderr.contains("SigninToken"), "{stderr}");
}
