//! `cogauth logout`: revoke the refresh token, then remove the cached session and what cogauth
//! wrote in the AWS files for the profile (never anyone else's sections). This machine's
//! remembered device stays for the next login, unless `--forget-device`.

use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::Args;
use cogauth_core::cache::{FileSessionStore, SessionStore};
use cogauth_core::clock::SystemClock;
use cogauth_core::env::ProcessEnv;
use cogauth_core::managed_login::{ManagedLogin, ManagedLoginConfig, SignOut};
use cogauth_core::prompt::BrowserAccess;

#[derive(Args, Debug)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Log out of every cached profile.
    #[arg(long, conflicts_with = "profile")]
    pub all: bool,
    /// Also have the user pool forget this machine's remembered device (ForgetDevice), and
    /// forget it here: the next login asks for MFA again.
    #[arg(long)]
    pub forget_device: bool,
    /// Also end the managed login session: open MANAGED_LOGIN_URL/logout in the browser (browser sign-in).
    #[arg(long, conflicts_with = "all")]
    pub browser: bool,
    /// With --browser: print the logout URL to open in the browser you signed in with, instead of opening one here.
    #[arg(long, requires = "browser")]
    pub no_browser: bool,
}

pub fn run(args: LogoutArgs) -> Result<()> {
    let cached = FileSessionStore::from_env(&ProcessEnv)?.profiles()?;
    let profiles = if args.all {
        cached
    } else {
        let profile = crate::context::broker_allowing_unknown(args.profile.profile.clone())?
            .profile()
            .to_owned();
        // A profile removed from the config can still be logged out of while it is cached;
        // anything else unknown is most likely a typo, and an error that lists the profiles.
        if !cached.contains(&profile) {
            crate::context::broker(Some(profile.clone()), Default::default())?;
        }
        vec![profile]
    };
    if profiles.is_empty() {
        eprintln!("no cached sessions");
        return Ok(());
    }
    let runtime = crate::context::runtime()?;
    for profile in &profiles {
        let broker = crate::context::broker_allowing_unknown(Some(profile.clone()))?;
        let settings = broker.settings().clone();
        let report = runtime.block_on(broker.logout(args.forget_device))?;
        match &report.device_forgotten {
            Ok(Some(key)) => eprintln!("profile `{profile}`: the user pool forgot device {key}"),
            Ok(None) if args.forget_device => {
                eprintln!("profile `{profile}`: no remembered device to forget");
            }
            Ok(None) => {}
            Err(why) => eprintln!(
                "profile `{profile}`: warning: the user pool could not be told to forget the device ({why}); forgetting it here anyway"
            ),
        }
        match &report.revoked {
            Ok(true) => eprintln!("profile `{profile}`: refresh token revoked"),
            Ok(false) => {}
            Err(why) => eprintln!(
                "profile `{profile}`: warning: could not revoke the refresh token ({why}); removing the local session anyway"
            ),
        }
        let mut removed = Vec::new();
        if report.cache_removed {
            removed.push("the cached session");
        }
        if report.aws_files_changed {
            removed.push("its AWS profile");
        }
        if removed.is_empty() {
            eprintln!("profile `{profile}`: nothing to remove");
        } else {
            eprintln!("profile `{profile}`: removed {}", removed.join(" and "));
        }
        if let Some(key) = &report.device_kept {
            eprintln!(
                "profile `{profile}`: kept this machine's remembered device {key} for the next login (`cogauth logout --forget-device` forgets it)"
            );
        }
        if args.browser {
            let prompter = crate::terminal::TerminalPrompter::new("run without --browser")
                .with_browser_access(match args.no_browser {
                    true => BrowserAccess::Remote,
                    false => BrowserAccess::Local,
                });
            let managed_login = ManagedLogin::new(
                ManagedLoginConfig::from_settings(&settings)?,
                &ProcessEnv,
                Arc::new(SystemClock),
            );
            let ended = runtime
                .block_on(managed_login.sign_out(&prompter))
                .with_context(|| {
                    format!(
                        "profile `{profile}` is logged out here, but its managed login session \
                         in the browser may still be open"
                    )
                })?;
            if ended == SignOut::Ended {
                eprintln!("profile `{profile}`: ended the managed login session in the browser");
            }
        }
    }
    Ok(())
}
