//! Everything cogadmin shows, and the only module that prints (the crate denies the print
//! macros elsewhere). Results go to stdout; warnings, notes and errors to stderr, so that
//! `cogadmin ... --json | jq` reads only results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Display;

use cogauth_admin::Plan;
use cogauth_admin::groups::GroupSummary;
use cogauth_admin::lambda_deploy::DeployOutcome;
use cogauth_admin::roles::RoleInfo;
use cogauth_admin::users::UserSummary;

/// One line of results.
pub fn line(text: impl Display) {
    println!("{text}");
}

/// An empty line between parts of the results.
pub fn blank() {
    println!();
}

/// Text that already ends its lines (a rendered file).
pub fn text(text: &str) {
    print!("{text}");
}

/// A value as pretty JSON, for `--json`.
pub fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Something the administrator should know that is not a result.
pub fn warning(text: impl Display) {
    eprintln!("cogadmin: warning: {text}");
}

/// A heading for an interactive exchange (the answers' prompts are on stderr too).
pub fn note(text: impl Display) {
    eprintln!("{text}");
}

/// Why the command failed: the error and its causes, once.
pub fn error(err: &anyhow::Error) {
    eprintln!("cogadmin: error: {err:#}");
}

/// Prints the steps on stdout and the warnings on stderr.
pub fn print_plan(plan: &Plan) {
    for line in plan.lines() {
        println!("{line}");
    }
    for text in &plan.warnings {
        warning(text);
    }
}

/// The last line of a plan: whether anything changed. `unchanged` says why nothing did.
pub fn print_outcome(plan: &Plan, unchanged: &str) {
    if let Some(conclusion) = plan.conclusion(unchanged) {
        println!("{conclusion}");
    }
}

/// What a deploy did, then its warnings.
pub fn print_deploy(outcome: &DeployOutcome) {
    for line in outcome.report_lines() {
        println!("{line}");
    }
    for text in &outcome.plan.warnings {
        warning(text);
    }
}

fn indented(value: &serde_json::Value, by: &str) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_default()
        .lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `cogadmin role info`: each role with its settings and policies.
pub fn print_role_info(info: &RoleInfo) {
    println!("identity pool {}", info.identity_pool_id);
    for role in &info.roles {
        println!();
        println!("{} role: {}", role.kind, role.name);
        println!("  arn: {}", role.arn);
        if let Some(seconds) = role.max_session_duration {
            println!("  max session duration: {seconds} s ({} h)", seconds / 3600);
        }
        if let Some(trust) = &role.trust_policy {
            println!("  trust policy:");
            println!("{}", indented(trust, "    "));
        }
        println!("  managed policies ({}):", role.managed_policies.len());
        for policy in &role.managed_policies {
            println!("    - {} ({})", policy.name, policy.arn);
            if let Some(document) = &policy.document {
                println!("{}", indented(document, "      "));
            }
        }
        println!("  inline policies ({}):", role.inline_policies.len());
        for policy in &role.inline_policies {
            println!("    - {}", policy.name);
            println!("{}", indented(&policy.document, "      "));
        }
    }
}

/// `cogadmin user list`: one aligned line per user.
pub fn print_users(user_pool_id: &str, users: &[UserSummary]) {
    println!("users of {user_pool_id} ({}):", users.len());
    let width = users.iter().map(|u| u.username.len()).max().unwrap_or(0);
    for user in users {
        println!(
            "  {:<width$}  {:<22} {:<8} {}",
            user.username,
            user.status.as_deref().unwrap_or("-"),
            if user.enabled { "enabled" } else { "disabled" },
            user.email.as_deref().unwrap_or("-"),
        );
    }
}

/// `cogadmin group list`: each group with its precedence, role and members.
pub fn print_groups(user_pool_id: &str, groups: &[GroupSummary]) {
    println!("groups of {user_pool_id} ({}):", groups.len());
    let width = groups.iter().map(|g| g.name.len()).max().unwrap_or(0);
    for group in groups {
        let precedence = group
            .precedence
            .map_or_else(|| "-".to_owned(), |p| p.to_string());
        println!(
            "  {:<width$}  precedence {:<4} {}",
            group.name,
            precedence,
            group.role_arn.as_deref().unwrap_or("(no role)")
        );
        if !group.members.is_empty() {
            println!("  {:<width$}  members: {}", "", group.members.join(", "));
        }
    }
}
