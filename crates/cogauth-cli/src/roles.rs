//! `cogauth roles`: the roles the signed-in user may take, from the `cognito:roles` of their
//! ID token (refreshed first if it has expired, so group changes show).

use anyhow::Result;
use clap::Args;
use cogauth_core::roles::{TokenRoles, role_name};
use serde_json::json;

#[derive(Args, Debug)]
pub struct RolesArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: RolesArgs) -> Result<()> {
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    let tokens = crate::obtain::tokens(&broker, chrono::Duration::zero())?;
    let roles = TokenRoles::from_id_token(&tokens.id_token);
    let chosen = broker.cached_session()?.and_then(|s| s.role_arn);
    let profile = broker.profile();

    if args.json {
        let list: Vec<_> = roles
            .ordered()
            .into_iter()
            .map(|arn| {
                json!({
                    "arn": arn,
                    "name": role_name(arn),
                    "preferred": roles.preferred.as_deref() == Some(arn),
                    "chosen": chosen.as_deref() == Some(arn),
                })
            })
            .collect();
        let report = json!({
            "profile": profile,
            "roles": list,
            "preferred": roles.preferred,
            "chosen": chosen,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if roles.is_empty() {
        println!(
            "your ID token names no roles (none of your user-pool groups has one): the identity pool's role applies to profile `{profile}`"
        );
        if let Some(arn) = &chosen {
            println!("role asked for at login: {arn}");
        }
        return Ok(());
    }
    let width = roles
        .roles
        .iter()
        .map(|r| role_name(r).len())
        .max()
        .unwrap_or(0);
    println!("roles you may take with profile `{profile}` (cogauth login --role NAME):");
    for arn in roles.ordered() {
        let mut marks = Vec::new();
        if roles.preferred.as_deref() == Some(arn) {
            marks.push("preferred");
        }
        if chosen.as_deref() == Some(arn) {
            marks.push("in use");
        }
        let marks = match marks.is_empty() {
            true => String::new(),
            false => format!("  [{}]", marks.join(", ")),
        };
        println!("  {:width$}  {arn}{marks}", role_name(arn));
    }
    if chosen.is_none() {
        println!("(no role chosen: the identity pool takes the preferred one)");
    }
    Ok(())
}
