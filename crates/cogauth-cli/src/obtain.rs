//! Getting usable credentials (or tokens) for a profile, shared by credential-process, exec,
//! export, serve, console, token and roles:
//! the broker's one sequence (cache, else a single-flight refresh that keeps a cogauth
//! section of `~/.aws/credentials` current), and what only a command line adds to it: a full
//! login on `/dev/tty` when a terminal is there, and the warnings on stderr.

use anyhow::Result;
use chrono::Duration;
use cogauth_core::broker::{Broker, BrokerError, Fresh, LoginRequired, ObtainedTokens};
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
            let fresh = login_on_terminal(broker, &runtime, &why, use_lambda_proxy)?;
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

/// The ID and access tokens, valid for `window` when the pool issues them for that long: the
/// broker's tokens, else a login on the terminal when one is there.
pub fn tokens(broker: &Broker, window: Duration) -> Result<ObtainedTokens> {
    if let Some(tokens) = broker.fresh_tokens(window)? {
        return Ok(tokens);
    }
    let runtime = crate::context::runtime()?;
    match runtime.block_on(broker.tokens(window)) {
        Ok(tokens) => Ok(tokens),
        Err(BrokerError::LoginRequired(why)) if has_terminal() => {
            let fresh = login_on_terminal(broker, &runtime, &why, true)?;
            warn_republish(
                fresh
                    .session
                    .credentials
                    .as_ref()
                    .and_then(|c| broker.republish(c).err())
                    .as_ref(),
            );
            let session = fresh.session;
            Ok(ObtainedTokens {
                id_token: session.id_token.expect("a login stores the ID token"),
                access_token: session
                    .access_token
                    .expect("a login stores the access token"),
                expires_at: session
                    .tokens_expire_at
                    .expect("a login stores the tokens' expiry"),
                served: cogauth_core::broker::Served::Refreshed,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// A full login on `/dev/tty`, when a command found that only a login would help.
fn login_on_terminal(
    broker: &Broker,
    runtime: &tokio::runtime::Runtime,
    why: &LoginRequired,
    use_lambda_proxy: bool,
) -> Result<Fresh> {
    let prompter = TerminalPrompter::new(format!(
        "run `cogauth login --profile {}`",
        broker.profile()
    ));
    prompter.show(&format!("{why}; logging in now"));
    let request = crate::login::request_on_terminal(broker, &prompter)?;
    let fresh = runtime.block_on(broker.login(&request, &prompter, use_lambda_proxy))?;
    warn_upgrade(&fresh.upgrade_failure);
    Ok(fresh)
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
