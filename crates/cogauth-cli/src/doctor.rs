//! `cogauth doctor`: runs `cogauth_core::doctor`'s checks, with `cogauth_admin::doctor`'s admin
//! checks plugged in, and prints each as ✓, ✗ with its fix, or - with why it was skipped. Exits
//! non-zero when a check fails.

use anyhow::{Result, bail};
use clap::Args;
use cogauth_admin::doctor::AdminChecks;
use cogauth_core::clock::SystemClock;
use cogauth_core::config::Overrides;
use cogauth_core::doctor::{self, Inputs, Outcome, Report};
use cogauth_core::env::ProcessEnv;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Print JSON instead of lines (the exit code is the same).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: DoctorArgs) -> Result<()> {
    let overrides = Overrides {
        profile: args.profile.profile.clone(),
        ..Default::default()
    };
    let report = crate::context::runtime()?.block_on(async {
        // The checks that read the pools and the role use the normal AWS credential chain,
        // built as cogadmin builds it; without credentials they are skipped, not failed.
        let sdk = cogauth_admin::sdk::load(&ProcessEnv, Default::default()).await;
        let admin = AdminChecks::new(Some(sdk));
        doctor::diagnose(Inputs {
            env: &ProcessEnv,
            clock: &SystemClock,
            overrides: &overrides,
            admin: Some(&admin),
        })
        .await
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    if !report.healthy() {
        let failed = report.failures();
        bail!("{failed} of {} checks failed", report.checks.len());
    }
    Ok(())
}

/// One line per check; a failure adds its fix on the next line.
fn render(report: &Report) -> String {
    let mut out = String::new();
    if let Some(profile) = &report.profile {
        out.push_str(&format!("cogauth doctor: profile `{profile}`\n"));
    }
    for check in &report.checks {
        match &check.outcome {
            Outcome::Pass => out.push_str(&format!("✓ {}\n", check.name)),
            Outcome::Info { detail } => out.push_str(&format!("✓ {}: {detail}\n", check.name)),
            Outcome::Fail { problem, fix } => {
                out.push_str(&format!("✗ {}: {problem}\n  fix: {fix}\n", check.name));
            }
            Outcome::Skipped { why } => {
                out.push_str(&format!("- {}: skipped ({why})\n", check.name));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cogauth_core::doctor::Check;

    #[test]
    fn each_outcome_has_its_mark() {
        let report = Report {
            profile: Some("dev".into()),
            checks: vec![
                Check {
                    name: "config".into(),
                    outcome: Outcome::Pass,
                },
                Check {
                    name: "refresh token rotation".into(),
                    outcome: Outcome::Info {
                        detail: "app client `c` does not rotate refresh tokens".into(),
                    },
                },
                Check {
                    name: "clock skew".into(),
                    outcome: Outcome::Fail {
                        problem: "off".into(),
                        fix: "set it".into(),
                    },
                },
                Check {
                    name: "role trust policy".into(),
                    outcome: Outcome::Skipped {
                        why: "needs admin rights: no".into(),
                    },
                },
            ],
        };
        assert_eq!(
            render(&report),
            "cogauth doctor: profile `dev`\n✓ config\n✓ refresh token rotation: app client `c` \
             does not rotate refresh tokens\n✗ clock skew: off\n  fix: set it\n\
             - role trust policy: skipped (needs admin rights: no)\n"
        );
    }
}
