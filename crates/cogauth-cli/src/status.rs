//! `cogauth status`: the resolved configuration with where each value came from, and the
//! state of the session (token and credential expiry, source, identity id).

use anyhow::Result;
use clap::Args;
use cogauth_core::config::{Overrides, Settings, Sourced};
use cogauth_core::env::ProcessEnv;
use serde_json::{Value, json};

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn entry<T: ToString>(v: &Option<Sourced<T>>) -> Value {
    match v {
        Some(s) => {
            json!({"value": s.value.to_string(), "origin": s.origin.kind(), "from": s.origin.to_string()})
        }
        None => Value::Null,
    }
}

fn settings_json(s: &Settings) -> Value {
    let secret = s.client_secret.as_ref().map(|c| Sourced {
        value: "** set **",
        origin: c.origin.clone(),
    });
    json!({
        "user_pool_id": entry(&s.user_pool_id),
        "client_id": entry(&s.client_id),
        "client_secret": entry(&secret),
        "identity_pool_id": entry(&s.identity_pool_id),
        "region": entry(&s.region),
        "username": entry(&s.username),
        "auth_flow": entry(&Some(s.auth_flow.clone())),
        "identity_flow": entry(&Some(s.identity_flow.clone())),
        "role_arn": entry(&s.role_arn),
        "duration_hours": entry(&Some(s.duration_hours.clone())),
        "lambda_function": entry(&s.lambda_function),
        "aws_integration": entry(&Some(s.aws_integration.clone())),
        "managed_login_url": entry(&s.managed_login_url),
        "preferred_challenge": entry(&s.preferred_challenge),
        "custom_with_srp": entry(&Some(s.custom_with_srp.clone())),
        "redirect_uri": entry(&Some(s.redirect_uri.clone())),
        "identity_provider": entry(&s.identity_provider),
        "oauth_scopes": entry(&Some(s.oauth_scopes.clone())),
    })
}

pub fn run(args: StatusArgs) -> Result<()> {
    let env = ProcessEnv;
    let overrides = Overrides {
        profile: args.profile.profile.clone(),
        ..Default::default()
    };
    let settings = Settings::load(&env, &overrides)?;
    let session = crate::session_view::describe(&env, &settings.profile.value)?;
    let report = json!({
        "profile": settings.profile.value,
        "profile_from": settings.profile.origin.to_string(),
        "config_file": settings.config_path.display().to_string(),
        "config_file_exists": settings.config_path.exists(),
        "settings": settings_json(&settings),
        "session": session,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "profile:      {} ({})",
        settings.profile.value, settings.profile.origin
    );
    let exists = if settings.config_path.exists() {
        ""
    } else {
        " (does not exist)"
    };
    println!("config file:  {}{exists}", settings.config_path.display());
    println!();
    println!("{:<18} {:<48} from", "setting", "value");
    if let Some(map) = report["settings"].as_object() {
        for (key, v) in map {
            match v {
                Value::Null => println!("{key:<18} {:<48} -", "(not set)"),
                v => println!(
                    "{key:<18} {:<48} {}",
                    v["value"].as_str().unwrap_or_default(),
                    v["from"].as_str().unwrap_or_default()
                ),
            }
        }
    }
    println!();
    crate::session_view::print_text(&report["session"]);
    Ok(())
}
