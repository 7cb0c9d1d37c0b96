//! How `cogauth status` shows the cached session.

use anyhow::Result;
use cogauth_core::cache::{FileSessionStore, SessionStore};
use cogauth_core::env::Env;
use serde_json::{Value, json};

pub fn describe(env: &dyn Env, profile: &str) -> Result<Value> {
    let store = FileSessionStore::from_env(env)?;
    let Some(s) = store.load(profile)? else {
        return Ok(Value::Null);
    };
    let now = chrono::Utc::now();
    Ok(json!({
        "username": s.username,
        "user_pool_id": s.user_pool_id,
        "client_id": s.client_id,
        "identity_id": s.identity_id,
        "source": s.source.map(|x| x.to_string()),
        "credentials_expire_at": s.credentials.as_ref().map(|c| c.expiration.to_rfc3339()),
        "credentials_expire": s.credentials.as_ref().map(|c| crate::report::expiry(c.expiration, now)),
        "credentials_valid": s.credentials.as_ref().is_some_and(|c| c.expiration > now),
        "tokens_expire_at": s.tokens_expire_at.map(|t| t.to_rfc3339()),
        "refresh_token": s.refresh_token.is_some(),
        "signed_in_with": s.signed_in_with,
        "refresh_rotates": s.refresh_rotates,
        "updated_at": s.updated_at.to_rfc3339(),
    }))
}

pub fn print_text(session: &Value) {
    if session.is_null() {
        println!("session:      none (run `cogauth login`)");
        return;
    }
    let s = |k: &str| session[k].as_str().unwrap_or("-").to_owned();
    println!("session:      {} in {}", s("username"), s("user_pool_id"));
    if let Some(how) = session["signed_in_with"].as_str() {
        println!("signed in:    {how}");
    }
    println!("identity id:  {}", s("identity_id"));
    println!("source:       {}", s("source"));
    println!("credentials:  expire {}", s("credentials_expire"));
    let refresh = match (
        session["refresh_token"].as_bool(),
        session["refresh_rotates"].as_bool(),
    ) {
        (Some(true), Some(true)) => "cached (silent refresh on; the app client rotates it)",
        (Some(true), _) => "cached (silent refresh on)",
        _ => "none",
    };
    println!("refresh:      {refresh}");
}
