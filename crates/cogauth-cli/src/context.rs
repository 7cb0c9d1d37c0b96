//! What the profile commands share: resolved settings, the session broker, and the async
//! runtime, started only when a command needs the network.

use std::sync::Arc;

use anyhow::{Context as _, Result};
use cogauth_core::broker::Broker;
use cogauth_core::cache::FileSessionStore;
use cogauth_core::clock::SystemClock;
use cogauth_core::config::{Overrides, ProfileConfig, Settings};
use cogauth_core::env::ProcessEnv;

/// Loads the settings for `profile` with `values` as flag overrides, and a broker over the
/// file session cache.
pub fn broker(profile: Option<String>, values: ProfileConfig) -> Result<Broker> {
    let env = Arc::new(ProcessEnv);
    let settings = Settings::load(env.as_ref(), &Overrides { profile, values })?;
    let store = FileSessionStore::from_env(env.as_ref())?;
    Ok(Broker::new(
        settings,
        env,
        Arc::new(SystemClock),
        Arc::new(store),
    ))
}

/// A runtime for the commands that call AWS. The fast path of credential-process never
/// builds one.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The running binary's absolute path, for `credential_process`.
pub fn current_exe() -> Result<std::path::PathBuf> {
    std::env::current_exe().context("cannot find the path of the cogauth binary")
}
