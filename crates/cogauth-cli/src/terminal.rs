//! The terminal side of [`Prompter`]: questions and answers go through the controlling
//! terminal (`/dev/tty`), never stdout, so a command whose stdout carries JSON or credentials
//! (credential-process, export) can still ask for a password or an MFA code.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};

use cogauth_core::prompt::{BrowserAccess, PromptError, Prompter};
use secrecy::SecretString;

/// A prompter on `/dev/tty`. (`--mfa-code` is answered by the core from the login request,
/// so the prompter never guesses which question a pre-supplied answer belongs to.)
pub struct TerminalPrompter {
    hint: String,
    browser: BrowserAccess,
}

impl TerminalPrompter {
    /// `hint` says what to do when there is no terminal (e.g. "pass --password-stdin").
    pub fn new(hint: impl Into<String>) -> Self {
        Self {
            hint: hint.into(),
            browser: BrowserAccess::Local,
        }
    }

    /// `--no-browser`: browser sign-in shows the URL and reads back the pasted address.
    pub fn with_browser_access(mut self, browser: BrowserAccess) -> Self {
        self.browser = browser;
        self
    }

    fn tty(&self, what: &str) -> Result<File, PromptError> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|_| PromptError::NoTerminal {
                what: what.to_owned(),
                hint: self.hint.clone(),
            })
    }

    fn write_tty(&self, text: &str) {
        // Information the user must see; if there is no terminal, stderr is the best we have.
        match OpenOptions::new().write(true).open("/dev/tty") {
            Ok(mut tty) => {
                let _ = tty.write_all(text.as_bytes());
            }
            Err(_) => eprint!("{text}"),
        }
    }
}

impl Prompter for TerminalPrompter {
    fn ask(&self, question: &str) -> Result<String, PromptError> {
        let mut tty = self.tty(question)?;
        write!(tty, "{question}: ")?;
        tty.flush()?;
        let mut line = String::new();
        let n = BufReader::new(tty).read_line(&mut line)?;
        if n == 0 {
            return Err(PromptError::Cancelled);
        }
        Ok(line.trim().to_owned())
    }

    fn ask_secret(&self, question: &str) -> Result<SecretString, PromptError> {
        // rpassword reads /dev/tty with echo off.
        self.tty(question)?;
        let answer =
            rpassword::prompt_password(format!("{question}: ")).map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => PromptError::Cancelled,
                _ => PromptError::Io(e),
            })?;
        Ok(SecretString::from(answer))
    }

    fn choose(&self, question: &str, choices: &[String]) -> Result<usize, PromptError> {
        let mut text = format!("{question}\n");
        for (i, c) in choices.iter().enumerate() {
            text.push_str(&format!("  {}) {c}\n", i + 1));
        }
        self.write_tty(&text);
        loop {
            let answer = self.ask(&format!("choose 1-{}", choices.len()))?;
            match answer.parse::<usize>() {
                Ok(n) if (1..=choices.len()).contains(&n) => return Ok(n - 1),
                _ => self.write_tty(&format!(
                    "`{answer}` is not a number from 1 to {}\n",
                    choices.len()
                )),
            }
        }
    }

    fn show(&self, message: &str) {
        self.write_tty(&format!("{message}\n"));
    }

    fn show_otpauth(&self, uri: &str, secret: &str) {
        let qr = qrcode::QrCode::new(uri.as_bytes())
            .map(|code| {
                code.render::<qrcode::render::unicode::Dense1x2>()
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default();
        // The terminal only: unlike other messages, a secret never falls back to stderr, where
        // CI logs and redirections keep it.
        if let Ok(mut tty) = OpenOptions::new().write(true).open("/dev/tty") {
            let _ = write!(
                tty,
                "Scan this QR code with your authenticator app:\n{qr}\nor enter the secret by hand: {secret}\n(URI: {uri})\n"
            );
        }
    }

    fn is_interactive(&self) -> bool {
        has_terminal()
    }

    fn browser_access(&self) -> BrowserAccess {
        self.browser
    }

    fn open_browser(&self, url: &str) -> Result<(), String> {
        crate::browser::open(url)
    }
}

/// `--challenge-answer-stdin`: every answer the sign-in asks for is the next line of stdin
/// (the question is shown on the terminal, else stderr, so a script can follow along). A
/// choice among several still needs the terminal, or `--preferred-challenge`.
pub struct StdinAnswers<'a> {
    terminal: &'a TerminalPrompter,
}

impl<'a> StdinAnswers<'a> {
    pub fn new(terminal: &'a TerminalPrompter) -> Self {
        Self { terminal }
    }

    fn next_line(&self, question: &str) -> Result<String, PromptError> {
        self.terminal
            .write_tty(&format!("{question}: (reading stdin)\n"));
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            return Err(PromptError::NoTerminal {
                what: question.to_owned(),
                hint: "stdin ended: --challenge-answer-stdin reads one line per answer".to_owned(),
            });
        }
        Ok(line)
    }
}

impl Prompter for StdinAnswers<'_> {
    fn ask(&self, question: &str) -> Result<String, PromptError> {
        Ok(self.next_line(question)?.trim().to_owned())
    }

    fn ask_secret(&self, question: &str) -> Result<SecretString, PromptError> {
        let line = self.next_line(question)?;
        Ok(cogauth_core::prompt::secret_from_line(line).unwrap_or_else(|| SecretString::from("")))
    }

    fn choose(&self, question: &str, choices: &[String]) -> Result<usize, PromptError> {
        self.terminal.choose(question, choices)
    }

    fn show(&self, message: &str) {
        self.terminal.show(message);
    }

    fn show_otpauth(&self, uri: &str, secret: &str) {
        self.terminal.show_otpauth(uri, secret);
    }

    fn is_interactive(&self) -> bool {
        self.terminal.is_interactive()
    }
}

/// Reads one line (a password or a secret) from stdin, for `--password-stdin` and friends.
pub fn read_stdin_secret(what: &str) -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    cogauth_core::prompt::secret_from_line(line).ok_or_else(|| {
        anyhow::anyhow!(
            "no {what} on stdin: pipe it in, e.g. `printf '%s\\n' \"$SECRET\" | cogauth ...`"
        )
    })
}

/// True when a terminal can be opened for prompts.
pub fn has_terminal() -> bool {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}
