//! Reading answers and passwords. Prompts go to stderr, so stdout carries only results.
//! Passwords come only from stdin (`--password-stdin`) or a hidden prompt on the terminal,
//! never from a flag value, and are never echoed or printed.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};

/// One line from stdin, without its line ending, as a secret (no copy is left behind).
pub fn secret_from_stdin(what: &str) -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("cannot read the {what} from stdin"))?;
    cogauth_core::prompt::secret_from_line(line).ok_or_else(|| {
        anyhow::anyhow!(
            "no {what} on stdin: pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | cogadmin ...`"
        )
    })
}

/// A hidden prompt on the terminal, asked twice so a typo is caught.
pub fn secret_from_prompt(what: &str) -> anyhow::Result<SecretString> {
    let first = SecretString::from(
        rpassword::prompt_password(format!("{what}: ")).map_err(|e| no_terminal(what, e))?,
    );
    let second = SecretString::from(
        rpassword::prompt_password(format!("{what} (again): "))
            .map_err(|e| no_terminal(what, e))?,
    );
    if first.expose_secret() != second.expose_secret() {
        anyhow::bail!("the two {what}s differ: nothing was changed");
    }
    if first.expose_secret().is_empty() {
        anyhow::bail!("the {what} is empty: nothing was changed");
    }
    Ok(first)
}

fn no_terminal(what: &str, e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot ask for the {what} on a terminal ({e}): pipe it in with --password-stdin"
    )
}

/// A visible answer, with the current value as the default (Enter keeps it).
pub fn ask(question: &str, default: Option<&str>) -> anyhow::Result<String> {
    let mut stderr = std::io::stderr();
    match default {
        Some(d) => write!(stderr, "{question} [{d}]: ")?,
        None => write!(stderr, "{question}: ")?,
    }
    stderr.flush()?;
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line)?;
    if !std::io::stdin().is_terminal() {
        // Piped answers are not echoed by a terminal: end the prompt's line ourselves.
        writeln!(stderr)?;
    }
    if read == 0 {
        anyhow::bail!(
            "no answer for \"{question}\" (stdin is closed): give the value as a flag (see --help)"
        );
    }
    let answer = line.trim();
    match (answer.is_empty(), default) {
        (true, Some(d)) => Ok(d.to_owned()),
        (true, None) => anyhow::bail!("\"{question}\" needs an answer"),
        (false, _) => Ok(answer.to_owned()),
    }
}

/// True when stdin and stderr are a terminal: someone is there to answer a question.
pub fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A yes/no question on the terminal; only `y` or `yes` is a yes.
pub fn confirm(question: &str) -> anyhow::Result<bool> {
    let mut stderr = std::io::stderr();
    write!(stderr, "{question} [y/N]: ")?;
    stderr.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
