//! Getting usable credentials for a profile, shared by credential-process, exec and export:
//! the cache if it is fresh beyond the window (no network, no runtime), else a single-flight
//! refresh, else, with a terminal, a full login on `/dev/tty`.

use anyhow::Result;
use chrono::Duration;
use cogauth_core::Error;
use cogauth_core::broker::{Broker, Refreshed};
use cogauth_core::cache::Session;
use cogauth_core::config::AwsIntegration;
use cogauth_core::credentials::Credentials;
use cogauth_core::prompt::Prompter;

use crate::terminal::{TerminalPrompter, has_terminal};

pub fn credentials(
    broker: &Broker,
    window_minutes: u32,
    use_lambda_proxy: bool,
) -> Result<Credentials> {
    let window = Duration::minutes(i64::from(window_minutes));
    if let Some(creds) = broker.fresh_credentials(window)? {
        return Ok(creds);
    }
    let runtime = crate::context::runtime()?;
    let refreshed = {
        let lock = broker.lock()?;
        runtime.block_on(broker.refresh(&lock, window, use_lambda_proxy))
    };
    match refreshed {
        Ok((fresh, refreshed)) => {
            warn_upgrade(&fresh.upgrade_failure);
            if refreshed == Refreshed::Here {
                keep_credentials_file_current(broker, &fresh.session);
            }
            Ok(fresh
                .session
                .credentials
                .expect("a refresh stores credentials"))
        }
        Err(Error::LoginRequired(why)) if has_terminal() => {
            let prompter = TerminalPrompter::new(format!(
                "run `cogauth login --profile {}`",
                broker.profile()
            ));
            prompter.show(&format!("{why}; logging in now"));
            let request = crate::login::request_on_terminal(broker, &prompter)?;
            let fresh = runtime.block_on(broker.login(&request, &prompter, use_lambda_proxy))?;
            warn_upgrade(&fresh.upgrade_failure);
            Ok(fresh
                .session
                .credentials
                .expect("a login stores credentials"))
        }
        Err(e) => Err(e.into()),
    }
}

fn warn_upgrade(failure: &Option<cogauth_core::upgrade::UpgradeError>) {
    if let Some(why) = failure {
        eprintln!("cogauth: warning: {why}; using the identity pool's 1 h credentials instead");
    }
}

/// A profile handed over as keys in `~/.aws/credentials` would go stale after a silent
/// refresh: rewrite its section with the new keys. A section cogauth does not own is never
/// touched (no `--force` here); the refresh itself has succeeded either way.
fn keep_credentials_file_current(broker: &Broker, session: &Session) {
    if broker.settings().aws_integration.value != AwsIntegration::Credentials {
        return;
    }
    let exe = std::path::Path::new("cogauth");
    if let Err(e) = broker.publish(session, exe, false) {
        eprintln!(
            "cogauth: warning: refreshed, but could not update the AWS credentials file: {e}"
        );
    }
}
