//! Tokens for APIs (issue 16, part 3): `cogauth token` and `exec --token-env`, checked against
//! the pool's JWKS as an API's Cognito authorizer would, and renewed without a prompt once the
//! cached tokens expire.

use std::process::Stdio;

use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::PoolOptions;

use crate::{World, cogauth, fails, ok};

/// The claims of `token` once verified like an authorizer does: RS256 against the pool's JWKS,
/// `iss` the pool, not expired, `token_use` as expected, and `aud` (ID token) or `client_id`
/// (access token) the app client.
fn verify(world: &World, token: &str, token_use: &str) -> serde_json::Value {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
    let pool = &world.pool.user_pool_id;
    let url = format!("{}/{pool}/.well-known/jwks.json", emulator().endpoint());
    let jwks: JwkSet = std::thread::spawn(move || reqwest::blocking::get(&url)?.json())
        .join()
        .unwrap()
        .expect("the pool's JWKS");
    let kid = decode_header(token)
        .expect("a JWT header")
        .kid
        .expect("a kid");
    let jwk = jwks.find(&kid).expect("the token's key is in the JWKS");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[format!(
        "https://cognito-idp.{}.amazonaws.com/{pool}",
        cogauth_test_support::REGION
    )]);
    if token_use == "id" {
        validation.set_audience(&[&world.pool.client_id]);
    } else {
        validation.validate_aud = false;
    }
    let claims =
        decode::<serde_json::Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap_or_else(|e| panic!("the {token_use} token does not verify: {e}"))
            .claims;
    assert_eq!(claims["token_use"], token_use);
    if token_use == "access" {
        assert_eq!(claims["client_id"], world.pool.client_id.as_str());
    }
    claims
}

/// `cogauth token ARGS` with no terminal: stdout must be one line, the token.
fn token(world: &World, args: &[&str]) -> String {
    let mut all = vec!["token", "--profile", "dev"];
    all.extend_from_slice(args);
    let out = world
        .home
        .command(crate::COGAUTH)
        .args(&all)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = ok(&out);
    assert!(
        stdout.ends_with('\n') && stdout.matches('\n').count() == 1,
        "{stdout:?}"
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.trim_end().to_owned()
}

fn refreshes(world: &World) -> u64 {
    // By either operation: GetTokensFromRefreshToken, or REFRESH_TOKEN_AUTH where it is not offered.
    emulator().get_tokens_calls(&world.pool.client_id)
        + emulator().initiate_auth_calls(&world.pool.client_id, "REFRESH_TOKEN_AUTH")
}

/// Ages the cached tokens past their expiry, as an hour would.
fn expire_cached_tokens(world: &World) {
    let path = world.home.join(".cache/cogauth/dev.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["tokens_expire_at"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();
}

#[test]
fn token_prints_a_verifiable_token_and_renews_it_silently_after_expiry() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let before = refreshes(&world);

    let id = token(&world, &[]);
    let claims = verify(&world, &id, "id");
    assert_eq!(claims["cognito:username"], world.user.as_str());
    assert_eq!(token(&world, &["--id"]), id, "--id is the default");
    let access = token(&world, &["--access"]);
    verify(&world, &access, "access");
    assert_ne!(access, id);
    assert_eq!(
        refreshes(&world),
        before,
        "fresh tokens come from the cache"
    );

    // JSON: the token, its use and its expiry.
    let json: serde_json::Value =
        serde_json::from_str(&token(&world, &["--access", "--json"])).unwrap();
    assert_eq!(json["token"], access.as_str());
    assert_eq!(json["token_use"], "access");
    let expiration = chrono::DateTime::parse_from_rfc3339(json["expiration"].as_str().unwrap())
        .unwrap()
        .timestamp();
    let exp = verify(&world, &access, "access")["exp"].as_i64().unwrap();
    assert!(
        (expiration - exp).abs() <= 5,
        "{expiration} vs the token's exp {exp}"
    );

    // A window longer than what is left renews them; as moto's tokens last an hour, the new
    // one cannot last 61 minutes either, and stderr says so.
    let out = cogauth(
        &world.home,
        &["token", "--profile", "dev", "--window", "61"],
        "",
    );
    let renewed = ok(&out).trim_end().to_owned();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the user pool issues tokens that last less than --window 61 min"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(refreshes(&world), before + 1);
    verify(&world, &renewed, "id");

    // After expiry: a new token, with no prompt (no terminal here), from one refresh.
    expire_cached_tokens(&world);
    let after = token(&world, &[]);
    assert_eq!(refreshes(&world), before + 2);
    assert_ne!(after, id);
    verify(&world, &after, "id");
    assert_eq!(token(&world, &[]), after, "and it is cached");
    let session: serde_json::Value =
        serde_json::from_str(&world.home.read(".cache/cogauth/dev.json")).unwrap();
    assert_eq!(session["id_token"], after.as_str());
}

#[test]
fn exec_puts_the_token_in_the_named_variable() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    for (flags, field) in [(&[][..], "id_token"), (&["--access"][..], "access_token")] {
        let mut args = vec!["exec", "--profile", "dev", "--token-env", "API_TOKEN"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"$API_TOKEN\" \"$AWS_ACCESS_KEY_ID\"",
        ]);
        let out = ok(&cogauth(&world.home, &args, ""));
        // The token the session holds once exec is done (its credentials' refresh, if any,
        // renews the tokens too).
        let session: serde_json::Value =
            serde_json::from_str(&world.home.read(".cache/cogauth/dev.json")).unwrap();
        let expected = session[field].as_str().unwrap();
        assert_eq!(out, format!("{expected}|TESTACCESSKEY12345"));
        verify(&world, expected, &field[..field.find('_').unwrap()]);
    }
    // A name that is not one, or that the AWS tools read, is refused before anything runs.
    for bad in ["1ABC", "A-B", "AWS_SESSION_TOKEN", "aws_profile", ""] {
        let out = cogauth(
            &world.home,
            &[
                "exec",
                "--profile",
                "dev",
                "--token-env",
                bad,
                "--",
                "touch",
                "RAN",
            ],
            "",
        );
        let stderr = fails(&out);
        assert!(stderr.contains("--token-env"), "{bad}: {stderr}");
        assert!(!world.home.join("RAN").exists());
    }
    // --access needs --token-env.
    let out = cogauth(
        &world.home,
        &["exec", "--profile", "dev", "--access", "--", "true"],
        "",
    );
    assert!(fails(&out).contains("--token-env"));
}

#[test]
fn token_without_a_session_says_to_log_in() {
    let world = World::new(PoolOptions::default(), &[]);
    let out = world
        .home
        .command(crate::COGAUTH)
        .args(["token", "--profile", "dev"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = fails(&out);
    assert!(stderr.contains("cogauth login --profile dev"), "{stderr}");
    assert!(out.stdout.is_empty());
}
