//! Installs and starts the pinned moto_server (see `emulator/requirements.txt` and
//! `emulator/launcher.py`, and docs/emulator.md).

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REQUIREMENTS: &str = include_str!("../emulator/requirements.txt");

/// The launcher script, in the source tree.
pub fn launcher() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("emulator/launcher.py")
}

/// The Cargo target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// Where the emulator's venv lives: `target/cogauth-emulator/venv`.
pub fn venv_dir() -> PathBuf {
    target_dir().join("cogauth-emulator/venv")
}

/// Creates the venv and installs the pinned requirements, once; later calls reuse it. A stamp
/// holding the requirements text makes a changed pin reinstall. A file lock keeps parallel
/// test binaries from installing at the same time.
pub fn ensure_venv() -> Result<PathBuf, String> {
    let venv = venv_dir();
    let base = venv.parent().expect("venv has a parent").to_path_buf();
    fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
    let lock = fs::File::create(base.join("install.lock"))
        .map_err(|e| format!("cannot create the install lock: {e}"))?;
    lock.lock()
        .map_err(|e| format!("cannot lock the install: {e}"))?;

    let stamp = venv.join("cogauth-requirements.txt");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(REQUIREMENTS)
        && venv.join("bin/python").exists()
    {
        return Ok(venv);
    }
    let python = std::env::var("COGAUTH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    run(
        Command::new(&python)
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
        "create the venv",
    )?;
    let req_file = base.join("requirements.txt");
    fs::write(&req_file, REQUIREMENTS).map_err(|e| e.to_string())?;
    run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&req_file),
        "install the pinned emulator with pip",
    )?;
    fs::write(&stamp, REQUIREMENTS).map_err(|e| e.to_string())?;
    Ok(venv)
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("cannot {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "cannot {what}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A started emulator.
#[derive(Debug)]
pub struct Running {
    pub child: Child,
    pub port: u16,
    pub endpoint: String,
}

/// Starts the launcher on a free port on 127.0.0.1, waits until it answers and configures it.
/// With `parent_pid`, the server exits by itself when that process is gone.
pub fn start(venv: &Path, parent_pid: Option<u32>) -> Result<Running, String> {
    start_with_log(venv, parent_pid, Stdio::null())
}

/// [`start`], with the server's request log sent to `log`. Without a `parent_pid` the server
/// runs in its own process group, detached, until stopped (`cargo xtask emulator stop`).
pub fn start_with_log(
    venv: &Path,
    parent_pid: Option<u32>,
    log: impl Into<Stdio>,
) -> Result<Running, String> {
    let mut cmd = Command::new(venv.join("bin/python"));
    if parent_pid.is_none() {
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    }
    cmd.arg(launcher()).args(["--port", "0"]);
    if let Some(pid) = parent_pid {
        cmd.args(["--parent-pid", &pid.to_string()]);
    }
    cmd.env("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", launcher().display()))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    // The launcher prints its port once it is bound; a crash closes stdout early.
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the launcher's output: {e}"))?;
    let port: u16 = match line
        .trim()
        .strip_prefix("COGAUTH_EMULATOR_READY ")
        .and_then(|p| p.parse().ok())
    {
        Some(p) => p,
        None => {
            let _ = child.kill();
            let status = child.wait().ok();
            return Err(format!(
                "moto_server did not start (exit status {status:?}); output: {line:?}"
            ));
        }
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    if let Err(e) =
        wait_ready(&endpoint, Duration::from_secs(30)).and_then(|()| configure(&endpoint))
    {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    Ok(Running {
        child,
        port,
        endpoint,
    })
}

/// Polls `/moto-api/` until it answers.
pub fn wait_ready(endpoint: &str, timeout: Duration) -> Result<(), String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timeout;
    loop {
        match client.get(format!("{endpoint}/moto-api/")).send() {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if Instant::now() >= deadline => return Err(format!("HTTP {}", r.status())),
            Err(e) if Instant::now() >= deadline => return Err(e.to_string()),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Lambda without Docker (there is no Docker engine here). TOTP checking and the AWS managed
/// policies are switched on by the launcher's environment.
pub fn configure(endpoint: &str) -> Result<(), String> {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{endpoint}/moto-api/config"))
        .json(&serde_json::json!({"lambda": {"use_docker": false}}))
        .send()
        .map_err(|e| format!("cannot configure the emulator: {e}"))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "cannot configure the emulator: HTTP {}",
            resp.status()
        ))
    }
}
