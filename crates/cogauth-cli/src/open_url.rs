//! Opens a URL in the user's browser: `$BROWSER` when set (a `:`-separated list of commands,
//! the first that starts wins; `%s` in a command is replaced by the URL, else the URL is
//! appended, as Python's `webbrowser` and xdg-utils read it), else the platform's opener
//! (`xdg-open`, or `open` on macOS). The browser is started and left running: cogauth does not
//! wait for it. A few lines rather than a crate, for one call that needs no more.

use std::process::{Command, Stdio};

use anyhow::{Result, bail};

pub fn open(url: &str) -> Result<()> {
    let commands: Vec<String> = match std::env::var("BROWSER") {
        Ok(list) if !list.trim().is_empty() => list
            .split(':')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        _ if cfg!(target_os = "macos") => vec!["open".to_owned()],
        _ => vec!["xdg-open".to_owned()],
    };
    let mut tried = Vec::new();
    for command in &commands {
        let mut words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        if words.iter().any(|w| w.contains("%s")) {
            for word in &mut words {
                *word = word.replace("%s", url);
            }
        } else {
            words.push(url.to_owned());
        }
        let (program, args) = words.split_first().expect("a command has a word");
        let started = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match started {
            // Reaped by a thread, so no zombie is left while cogauth finishes.
            Ok(mut child) => {
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            // The program's name only: its arguments hold the URL.
            Err(e) => tried.push(format!("`{program}` ({e})")),
        }
    }
    bail!(
        "cannot open a browser (tried {}): set $BROWSER, or pass --print and open the URL yourself",
        tried.join(", ")
    )
}
