//! How the core asks the user something. The core never touches the terminal: the CLI
//! implements [`Prompter`] over `/dev/tty` and stderr, tests implement it with scripted answers,
//! and embedders implement it however they like.

use secrecy::SecretString;

/// Errors a prompter may report.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// No answer can be had: no terminal, and no non-interactive answer was given.
    #[error("{what} is needed but there is no terminal to ask on: {hint}")]
    NoTerminal { what: String, hint: String },
    #[error("cancelled")]
    Cancelled,
    #[error("cannot read the answer: {0}")]
    Io(#[from] std::io::Error),
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
    fn show_otpauth(&self, uri: &str, secret: &str);
}
