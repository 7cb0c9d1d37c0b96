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
        "role_arn": s.role_arn,
        "credentials_expire_at": s.credentials.as_ref().map(|c| c.expiration.to_rfc3339()),
        "credentials_expire": s.credentials.as_ref().map(|c| crate::report::expiry(c.expiration, now)),
        "credentials_valid": s.credentials.as_ref().is_some_and(|c| c.expiration > now),
        "tokens_expire_at": s.tokens_expire_at.map(|t| t.to_rfc3339()),
        "refresh_token": s.refresh_token.is_some(),
        "signed_in_with": s.signed_in_with,
        "refresh_rotates": s.refresh_rotates,
        "logged_in": s.refresh_token.is_some() || s.credentials.is_some(),
        "device": s.device_key.as_ref().map(|key| json!({
            "key": key,
            "name": s.device_name,
            "remembered": s.device_remembered,
            "confirmed_here": s.device_password.is_some(),
        })),
        "updated_at": s.updated_at.to_rfc3339(),
    }))
}

pub fn print_text(session: &Value) {
    if session.is_null() {
        println!("session:      none (run `cogauth login`)");
        return;
    }
    let device = &session["device"];
    if !device.is_null() {
        let state = match (
            device["confirmed_here"].as_bool(),
            device["remembered"].as_bool(),
        ) {
            (Some(true), Some(true)) => "remembered by the user pool (it may skip MFA)",
            (Some(true), _) => "tracked, not remembered (MFA is still asked)",
            _ => "tracked (not confirmed from here)",
        };
        let name = device["name"]
            .as_str()
            .map(|n| format!(" `{n}`"))
            .unwrap_or_default();
        println!(
            "device:       {}{name}: {state}",
            device["key"].as_str().unwrap_or("-")
        );
    }
    if session["logged_in"].as_bool() == Some(false) {
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
    if let Some(role) = session["role_arn"].as_str() {
        println!("role:         {role}");
    }
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
