//! How cogadmin shows a plan: one line per resource, what happened to it, and why.

use cogauth_core::admin::Plan;

/// Prints the steps on stdout and the warnings on stderr.
pub fn print_plan(plan: &Plan) {
    let width = plan
        .steps
        .iter()
        .map(|s| s.resource.to_string().len())
        .max()
        .unwrap_or(0);
    for step in &plan.steps {
        let id = step
            .id
            .as_deref()
            .filter(|id| *id != step.name)
            .map(|id| format!(" ({id})"))
            .unwrap_or_default();
        println!(
            "  {:<width$}  {}{id}: {}",
            step.resource.to_string(),
            step.name,
            step.action
        );
        for detail in &step.details {
            println!("  {:<width$}    - {detail}", "");
        }
    }
    for warning in &plan.warnings {
        eprintln!("cogadmin: warning: {warning}");
    }
}

/// The last line of a plan: whether anything changed. `unchanged` says why nothing did.
pub fn print_outcome(plan: &Plan, unchanged: &str) {
    if plan.dry_run {
        println!("dry run: nothing was changed");
    } else if !plan.changed() {
        println!("nothing changed: {unchanged}");
    }
}
