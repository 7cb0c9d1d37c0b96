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
/// An unknown profile is an error that lists the known ones.
pub fn broker(profile: Option<String>, values: ProfileConfig) -> Result<Broker> {
    let env = Arc::new(ProcessEnv);
    let settings = Settings::load(env.as_ref(), &Overrides { profile, values })?;
    with_settings(env, settings)
}

/// [`broker`] for a profile that may be gone from the config but still cached (`logout`).
pub fn broker_allowing_unknown(profile: Option<String>) -> Result<Broker> {
    let env = Arc::new(ProcessEnv);
    let overrides = Overrides {
        profile,
        ..Default::default()
    };
    let settings = Settings::load_allowing_unknown_profile(env.as_ref(), &overrides)?;
    with_settings(env, settings)
}

fn with_settings(env: Arc<ProcessEnv>, settings: Settings) -> Result<Broker> {
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

/// The name a device confirmed from this machine gets (ListDevices and the Cognito console show
/// it): `cogauth on <host name>`.
pub fn device_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let host: String = host
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    match host.is_empty() {
        true => cogauth_core::userpool::device::DEFAULT_DEVICE_NAME.to_owned(),
        false => format!("cogauth on {host}"),
    }
}

/// The running binary's absolute path, for `credential_process`.
pub fn current_exe() -> Result<std::path::PathBuf> {
    std::env::current_exe().context("cannot find the path of the cogauth binary")
}
