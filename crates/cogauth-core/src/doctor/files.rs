//! The files that hold secrets must be readable by their owner only: the AWS credentials file
//! (keys), cogauth's config (it may hold a client secret) and the session cache (refresh
//! tokens). So must the directories cogauth owns (its config directory and the cache
//! directory): a listable directory tells others who is logged in where, and a writable one
//! lets them replace files. Files and directories that do not exist yet are fine.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{Outcome, fail, shell_word};
use crate::env::Env;
use crate::paths;

/// One file or directory others can reach.
#[derive(Debug, PartialEq, Eq)]
struct Exposed {
    path: PathBuf,
    mode: u32,
    is_dir: bool,
}

pub(crate) fn check(env: &dyn Env, config_path: Option<PathBuf>) -> Outcome {
    let mut candidates: Vec<PathBuf> = Vec::new();
    candidates.extend(paths::aws_credentials_file(env).ok());
    candidates.extend(config_path.or_else(|| paths::config_file(env).ok()));
    candidates.extend(paths::owned_dirs(env));
    if let Ok(dir) = paths::cache_dir(env) {
        candidates.extend(session_files(&dir));
    }
    let exposed: Vec<Exposed> = candidates.iter().filter_map(|p| exposed(p)).collect();
    if exposed.is_empty() {
        return Outcome::Pass;
    }
    let problem = exposed
        .iter()
        .map(|e| {
            format!(
                "`{}` has mode {:04o}: {}",
                e.path.display(),
                e.mode,
                who_can(e.mode)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let files: Vec<String> = exposed
        .iter()
        .filter(|e| !e.is_dir)
        .map(|e| shell_word(&e.path.display().to_string()))
        .collect();
    let dirs: Vec<String> = exposed
        .iter()
        .filter(|e| e.is_dir)
        .map(|e| shell_word(&e.path.display().to_string()))
        .collect();
    let mut commands = Vec::new();
    if !files.is_empty() {
        commands.push(format!("chmod 600 {}", files.join(" ")));
    }
    if !dirs.is_empty() {
        commands.push(format!("chmod 700 {}", dirs.join(" ")));
    }
    fail(
        format!("{problem} (these hold secrets)"),
        format!("run `{}`", commands.join(" && ")),
    )
}

/// The session files of the cache (`<profile>.json`); the `.lock` sidecars hold nothing.
fn session_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn exposed(path: &Path) -> Option<Exposed> {
    let meta = std::fs::metadata(path).ok()?;
    let mode = meta.permissions().mode() & 0o7777;
    (mode & 0o077 != 0).then(|| Exposed {
        path: path.to_path_buf(),
        mode,
        is_dir: meta.is_dir(),
    })
}

fn who_can(mode: u32) -> &'static str {
    match (mode & 0o004 != 0, mode & 0o040 != 0) {
        (true, _) => "every user of this machine can read it",
        (false, true) => "its group can read it",
        (false, false) => "others have access to it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn private_and_missing_files_pass() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with("HOME", home.path().to_str().unwrap());
        assert_eq!(check(&env, None), Outcome::Pass);
        let creds = home.path().join(".aws/credentials");
        std::fs::create_dir_all(creds.parent().unwrap()).unwrap();
        std::fs::write(&creds, "[x]\n").unwrap();
        set_mode(&creds, 0o600);
        assert_eq!(check(&env, None), Outcome::Pass);
    }

    #[test]
    fn readable_files_and_cache_fail_with_chmod() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with("HOME", home.path().to_str().unwrap());
        let creds = home.path().join(".aws/credentials");
        std::fs::create_dir_all(creds.parent().unwrap()).unwrap();
        std::fs::write(&creds, "[x]\n").unwrap();
        set_mode(&creds, 0o644);
        let cache = home.path().join(".cache/cogauth");
        std::fs::create_dir_all(&cache).unwrap();
        set_mode(&cache, 0o750);
        std::fs::write(cache.join("dev.json"), "{}").unwrap();
        set_mode(&cache.join("dev.json"), 0o640);
        std::fs::write(cache.join("dev.json.lock"), "").unwrap();
        set_mode(&cache.join("dev.json.lock"), 0o644);

        let Outcome::Fail { problem, fix } = check(&env, None) else {
            panic!("exposed files must fail")
        };
        assert!(
            problem.contains(&format!("`{}` has mode 0644", creds.display())),
            "{problem}"
        );
        assert!(problem.contains("every user of this machine"), "{problem}");
        assert!(problem.contains("its group can read it"), "{problem}");
        assert!(
            !problem.contains(".lock"),
            "lock files hold nothing: {problem}"
        );
        assert_eq!(
            fix,
            format!(
                "run `chmod 600 {} {} && chmod 700 {}`",
                creds.display(),
                cache.join("dev.json").display(),
                cache.display()
            )
        );
    }

    #[test]
    fn an_open_config_directory_fails_even_with_private_files() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with("HOME", home.path().to_str().unwrap());
        let dir = home.path().join(".config/cogauth");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), "").unwrap();
        set_mode(&dir.join("config.toml"), 0o600);
        set_mode(&dir, 0o755);
        let Outcome::Fail { problem, fix } = check(&env, None) else {
            panic!("an open config directory must fail")
        };
        assert!(
            problem.contains(&format!("`{}` has mode 0755", dir.display())),
            "{problem}"
        );
        assert_eq!(fix, format!("run `chmod 700 {}`", dir.display()));
        set_mode(&dir, 0o700);
        assert_eq!(check(&env, None), Outcome::Pass);
    }
}
