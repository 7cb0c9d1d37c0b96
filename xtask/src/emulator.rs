//! `cargo xtask emulator start|stop|status`: a long-running emulator for interactive work.
//! Its state (pid, endpoint) is kept in `target/cogauth-emulator/state.json`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use cogauth_test_support::harness;

#[derive(Subcommand)]
pub enum Command {
    /// Install the pinned moto_server if needed, start it detached and print its endpoint.
    Start,
    /// Stop the emulator started by `start`.
    Stop,
    /// Say whether the emulator is running, and where.
    Status,
}

fn state_file() -> PathBuf {
    harness::target_dir().join("cogauth-emulator/state.json")
}

struct State {
    pid: u32,
    endpoint: String,
}

fn read_state() -> Option<State> {
    let text = std::fs::read_to_string(state_file()).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(State {
        pid: v["pid"].as_u64()? as u32,
        endpoint: v["endpoint"].as_str()?.to_owned(),
    })
}

fn is_alive(state: &State) -> bool {
    harness::wait_ready(&state.endpoint, std::time::Duration::from_millis(500)).is_ok()
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Start => {
            if let Some(state) = read_state().filter(is_alive) {
                println!("the emulator is already running at {}", state.endpoint);
                println!("export COGAUTH_EMULATOR_URL={}", state.endpoint);
                return Ok(());
            }
            let venv = harness::ensure_venv().map_err(anyhow::Error::msg)?;
            let log_path = harness::target_dir().join("cogauth-emulator/server.log");
            let log = std::fs::File::create(&log_path)
                .with_context(|| format!("create {}", log_path.display()))?;
            let running = harness::start_with_log(&venv, None, log).map_err(anyhow::Error::msg)?;
            let state =
                serde_json::json!({"pid": running.child.id(), "endpoint": running.endpoint});
            std::fs::write(state_file(), state.to_string())?;
            println!(
                "the emulator is running at {} (log: {})",
                running.endpoint,
                log_path.display()
            );
            println!("export COGAUTH_EMULATOR_URL={}", running.endpoint);
            Ok(())
        }
        Command::Stop => {
            let Some(state) = read_state() else {
                println!("no emulator was started by `cargo xtask emulator start`");
                return Ok(());
            };
            let status = std::process::Command::new("kill")
                .arg(state.pid.to_string())
                .status()?;
            let _ = std::fs::remove_file(state_file());
            if status.success() {
                println!("stopped the emulator (pid {})", state.pid);
            } else {
                println!("the emulator (pid {}) was not running", state.pid);
            }
            Ok(())
        }
        Command::Status => match read_state() {
            Some(state) if is_alive(&state) => {
                println!("running at {} (pid {})", state.endpoint, state.pid);
                Ok(())
            }
            Some(_) => bail!(
                "the emulator recorded in {} is not answering",
                state_file().display()
            ),
            None => bail!("not running: start it with `cargo xtask emulator start`"),
        },
    }
}
