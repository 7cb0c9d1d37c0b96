//! How the core asks the user something. The core never touches the terminal: the CLI
//! implements [`Prompter`] over `/dev/tty` and stderr, tests implement it with scripted answers,
//! and embedders implement it however they like.

use secrecy::SecretString;
use zeroize::Zeroize;

/// Errors a prompter may report.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// No answer can be had: no terminal, and no non-interactive answer was given.
    #[error("{what} is needed but there is no terminal to ask on: {hint}")]
    NoTerminal { what: String, hint: String },
    #[error("cancelled")]
    Cancelled,
    /// The io error is part of the message, not a `source`: a chain printed whole would show
    /// it twice.
    #[error("cannot read the answer: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for PromptError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Where browser sign-in finds the user's web browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BrowserAccess {
    /// On this machine: the sign-in page is opened here, and the browser comes back to a
    /// loopback listener.
    #[default]
    Local,
    /// Elsewhere (`--no-browser`, over SSH): the URL is shown, and the address the browser
    /// ends at is pasted back through [`Prompter::ask`].
    Remote,
}

/// Asks the user for input and shows them information.
pub trait Prompter: Send + Sync {
    /// A visible answer (a username, an MFA code, an attribute value).
    fn ask(&self, question: &str) -> Result<String, PromptError>;
    /// A hidden answer (a password).
    fn ask_secret(&self, question: &str) -> Result<SecretString, PromptError>;
    /// Picks one of `choices`; returns its index.
    fn choose(&self, question: &str, choices: &[String]) -> Result<usize, PromptError>;
    /// Shows information the user must see (an MFA enrolment secret, a QR code URI).
    fn show(&self, message: &str);
    /// Shows an `otpauth://` URI to enrol an authenticator app; a terminal renders it as a QR code.
    /// Only called when [`Prompter::is_interactive`] says yes; it must show the secret to the
    /// user alone (never a log or a captured stream).
    fn show_otpauth(&self, uri: &str, secret: &str);
    /// Whether the user is there to see what is shown and answer (a terminal). MFA setup asks
    /// before it fetches a TOTP secret: a secret shown where nobody can answer would only end up
    /// in a CI log. The default says yes.
    fn is_interactive(&self) -> bool {
        true
    }
    /// Where the user's web browser is, for browser sign-in (default: this machine).
    fn browser_access(&self) -> BrowserAccess {
        BrowserAccess::Local
    }
    /// Opens `url` in the user's web browser and returns without waiting for it. `Err` says
    /// why it could not; the URL is then shown for the user to open. The default opens none.
    fn open_browser(&self, url: &str) -> Result<(), String> {
        let _ = url;
        Err("this program opens no browser".to_owned())
    }
}

/// One line of piped input (`--password-stdin` and the like) as a secret, without its line
/// ending; `None` when the line is empty. The secret is copied into an allocation of exactly its
/// size (converting the line itself could reallocate and leave the bytes in freed memory), and
/// the line's buffer is zeroed.
pub fn secret_from_line(mut line: String) -> Option<SecretString> {
    let value = line.trim_end_matches(['\n', '\r']);
    let secret = (!value.is_empty()).then(|| SecretString::from(value));
    line.zeroize();
    secret
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::secret_from_line;

    #[test]
    fn a_line_loses_only_its_line_ending() {
        for (line, secret) in [
            ("pw\n", "pw"),
            ("pw\r\n", "pw"),
            ("p w \n", "p w "),
            ("pw", "pw"),
        ] {
            let got = secret_from_line(line.to_owned()).expect(line);
            assert_eq!(got.expose_secret(), secret, "{line:?}");
        }
        for empty in ["", "\n", "\r\n"] {
            assert!(secret_from_line(empty.to_owned()).is_none(), "{empty:?}");
        }
    }
}
