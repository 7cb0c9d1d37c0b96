//! How the session cache is shown by `status`: filled in once the cache lands.

use anyhow::Result;
use cogauth_core::env::Env;
use serde_json::Value;

pub fn describe(_env: &dyn Env, _profile: &str) -> Result<Value> {
    Ok(Value::Null)
}

pub fn print_text(session: &Value) {
    if session.is_null() {
        println!("session:      none (run `cogauth login`)");
    }
}
