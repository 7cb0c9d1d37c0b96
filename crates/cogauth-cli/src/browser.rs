//! Opening the user's web browser for browser sign-in and `cogauth console`.
//!
//! `$BROWSER` first, as Python's `webbrowser`, `git web--browse` and `xdg-open` read it:
//! commands separated by `:`, each split on spaces, with `%s` replaced by the URL (else the URL
//! appended), `%c` by `:` and `%%` by `%`; the first that starts wins. Without `$BROWSER`, the
//! platform's opener through the `webbrowser` crate (xdg-open and the desktops' own, macOS
//! LaunchServices, Windows ShellExecute, WSL).
//!
//! The browser runs detached: cogauth waits for its callback, not for the browser, and the
//! browser never writes to cogauth's stdout (which may carry credentials) nor reads its stdin.

use std::process::{Command, Stdio};

use cogauth_core::env::{Env, ProcessEnv, vars};

/// Opens `url`; `Err` says why no browser could be started.
pub fn open(url: &str) -> Result<(), String> {
    match ProcessEnv.var(vars::BROWSER) {
        Some(spec) => open_with(&spec, url),
        None => webbrowser::open_browser_with_options(
            webbrowser::Browser::Default,
            url,
            webbrowser::BrowserOptions::new().with_suppress_output(true),
        )
        .map_err(|e| format!("{e}; set {} to a browser command", vars::BROWSER)),
    }
}

/// Tries each command of a `$BROWSER` value in turn.
fn open_with(spec: &str, url: &str) -> Result<(), String> {
    let mut failures = Vec::new();
    for argv in commands(spec, url) {
        let started = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match started {
            Ok(mut child) => {
                // Reaped in the background, so it leaves no zombie while cogauth waits.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => failures.push(format!("`{}`: {e}", argv[0])),
        }
    }
    match failures.is_empty() {
        true => Err(format!("{} names no command", vars::BROWSER)),
        false => Err(format!(
            "{} could not be started: {}",
            vars::BROWSER,
            failures.join("; ")
        )),
    }
}

/// The command lines a `$BROWSER` value names, with the URL in place.
fn commands(spec: &str, url: &str) -> Vec<Vec<String>> {
    spec.split(':')
        .filter_map(|entry| {
            let mut has_url = false;
            let mut argv: Vec<String> = entry
                .split_whitespace()
                .map(|word| {
                    let (expanded, url_here) = expand(word, url);
                    has_url |= url_here;
                    expanded
                })
                .collect();
            if argv.is_empty() {
                return None;
            }
            if !has_url {
                argv.push(url.to_owned());
            }
            Some(argv)
        })
        .collect()
}

/// `%s` -> the URL, `%c` -> `:`, `%%` -> `%`, in one pass (the URL is never expanded itself).
fn expand(word: &str, url: &str) -> (String, bool) {
    let mut out = String::with_capacity(word.len());
    let mut has_url = false;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => {
                out.push_str(url);
                has_url = true;
            }
            Some('c') => out.push(':'),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    (out, has_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://d.example/oauth2/authorize?a=1&b=%20";

    #[test]
    fn the_url_is_appended_or_put_in_place_of_percent_s() {
        assert_eq!(
            commands("firefox", URL),
            vec![vec!["firefox".to_owned(), URL.to_owned()]]
        );
        assert_eq!(
            commands("/usr/bin/python3 /x/driver.py --url=%s --new-tab", URL),
            vec![vec![
                "/usr/bin/python3".to_owned(),
                "/x/driver.py".to_owned(),
                format!("--url={URL}"),
                "--new-tab".to_owned(),
            ]]
        );
        assert_eq!(
            commands("w3m%c%% -o %s::lynx", URL),
            vec![
                vec!["w3m:%".to_owned(), "-o".to_owned(), URL.to_owned()],
                vec!["lynx".to_owned(), URL.to_owned()],
            ]
        );
        assert!(commands(" : ", URL).is_empty());
    }

    #[test]
    fn the_first_command_that_starts_wins() {
        assert!(open_with("/nonexistent/browser:true", URL).is_ok());
        let err = open_with("/nonexistent/a:/nonexistent/b", URL).unwrap_err();
        assert!(
            err.contains("/nonexistent/a") && err.contains("/nonexistent/b"),
            "{err}"
        );
        assert!(
            open_with(":", URL)
                .unwrap_err()
                .contains("names no command")
        );
    }
}
