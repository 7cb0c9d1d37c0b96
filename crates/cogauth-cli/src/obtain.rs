//! Getting usable credentials for a profile, shared by credential-process, exec and export:
//! the broker's one sequence (cache, else a single-flight refresh that keeps a cogauth
//! section of `~/.aws/credentials` current), and what only a command line adds to it: a full
//! login on `/dev/tty` when a terminal is there, and the warnings on stderr.

use anyhow::Result;
use chrono::Duration;
use cogauth_core::broker::{Broker, BrokerError};
use cogauth_core::credentials::Credentials;
use cogauth_core::prompt::Prompter;

use crate::terminal::{TerminalPrompter, has_terminal};

pub fn credentials(
    broker: &Broker,
    window_minutes: u32,
    use_lambda_proxy: bool,
) -> Result<Credentials> {
    let window = Duration::minutes(i64::from(window_minutes));
    // The broker checks the cache too, but only inside the async runtime: the warm path of
    // `credential-process` starts none.
    if let Some(creds) = broker.fresh_credentials(window)? {
        return Ok(creds);
    }
    let runtime = crate::context::runtime()?;
    match runtime.block_on(broker.credentials(window, use_lambda_proxy)) {
        Ok(obtained) => {
            warn_upgrade(&obtained.upgrade_failure);
            warn_republish(obtained.republish_failure.as_ref());
            Ok(obtained.credentials)
        }
        Err(BrokerError::LoginRequired(why)) if has_terminal() => {
            let prompter = TerminalPrompter::new(format!(
                "run `cogauth login --profile {}`",
                broker.profile()
            ));
            prompter.show(&format!("{why}; logging in now"));
            let request = crate::login::request_on_terminal(broker, &prompter)?;
            let fresh = runtime.block_on(broker.login(&request, &prompter, use_lambda_proxy))?;
            warn_upgrade(&fresh.upgrade_failure);
            let creds = fresh
                .session
                .credentials
                .expect("a login stores credentials");
            // Like a refresh, this login keeps the hand-over the user chose at `cogauth login`.
            warn_republish(broker.republish(&creds).err().as_ref());
            Ok(creds)
        }
        Err(e) => Err(e.into()),
    }
}

fn warn_upgrade(failure: &Option<cogauth_core::upgrade::UpgradeError>) {
    if let Some(why) = failure {
        eprintln!("cogauth: warning: {why}; using the identity pool's 1 h credentials instead");
    }
}

fn warn_republish(failure: Option<&cogauth_core::awsfiles::AwsFilesError>) {
    if let Some(e) = failure {
        eprintln!(
            "cogauth: warning: refreshed, but could not update the AWS credentials file: {e}"
        );
    }
}
