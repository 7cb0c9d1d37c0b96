//! A temporary HOME to run the real binaries in, as a user would, with nothing of the
//! developer's own environment leaking in.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary home directory; removed when dropped.
#[derive(Debug)]
pub struct TestHome {
    dir: tempfile::TempDir,
    endpoint: Option<String>,
}

impl TestHome {
    /// A home whose AWS endpoint is the shared emulator.
    pub fn new() -> Self {
        let mut home = Self::offline();
        home.endpoint = Some(crate::emulator().endpoint().to_owned());
        home
    }

    /// A home with no emulator (for tests of local behaviour and of network failures).
    pub fn offline() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp HOME"),
            endpoint: None,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `path` below HOME.
    pub fn join(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }

    pub fn aws_credentials(&self) -> PathBuf {
        self.join(".aws/credentials")
    }

    pub fn aws_config(&self) -> PathBuf {
        self.join(".aws/config")
    }

    pub fn config_file(&self) -> PathBuf {
        self.join(".config/cogauth/config.toml")
    }

    /// Writes `contents` to `path` below HOME, creating directories.
    pub fn write(&self, path: &str, contents: &str) -> PathBuf {
        let full = self.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(&full, contents).expect("write");
        full
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    /// A command for `program` with a clean environment: HOME, PATH, the emulator endpoint,
    /// and no AWS settings of the developer's.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1")
            .current_dir(self.path());
        if let Some(endpoint) = &self.endpoint {
            cmd.env("AWS_ENDPOINT_URL", endpoint);
        }
        cmd
    }
}

impl Default for TestHome {
    fn default() -> Self {
        Self::new()
    }
}
