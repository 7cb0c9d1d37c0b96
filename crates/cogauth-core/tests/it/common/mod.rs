//! Helpers shared by the core's integration tests: a scripted [`Prompter`] and TOTP codes for
//! moto's fixed software-token secret.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::VecDeque;
use std::sync::Mutex;

use cogauth_core::prompt::{PromptError, Prompter};
use secrecy::SecretString;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Typed text (or a secret, for `ask_secret`).
    Text(String),
    /// The current code for moto's TOTP secret, computed when the question is asked.
    CurrentTotp,
    /// The index of a choice, for `choose`.
    Choice(usize),
}

/// What the prompter was asked or shown, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Asked(String),
    AskedSecret(String),
    Chose(String, Vec<String>),
    Shown(String),
    Otpauth { uri: String, secret: String },
}

/// A [`Prompter`] that answers from a queue and records everything; an unexpected question
/// (an empty queue) is answered with `PromptError::Cancelled`.
#[derive(Debug, Default)]
pub struct ScriptedPrompter {
    answers: Mutex<VecDeque<Answer>>,
    events: Mutex<Vec<Event>>,
}

impl ScriptedPrompter {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: Mutex::new(answers.into_iter().collect()),
            events: Mutex::default(),
        }
    }

    /// A prompter that must not be asked anything.
    pub fn silent() -> Self {
        Self::default()
    }

    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// Answers left unused: a test usually wants none.
    pub fn remaining(&self) -> usize {
        self.answers.lock().unwrap().len()
    }

    fn record(&self, event: Event) {
        self.events.lock().unwrap().push(event);
    }

    fn next(&self) -> Result<Answer, PromptError> {
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .ok_or(PromptError::Cancelled)
    }

    fn next_text(&self) -> Result<String, PromptError> {
        match self.next()? {
            Answer::Text(text) => Ok(text),
            Answer::CurrentTotp => Ok(current_totp_code()),
            Answer::Choice(i) => panic!("scripted a choice ({i}) where text was asked"),
        }
    }
}

impl Prompter for ScriptedPrompter {
    fn ask(&self, question: &str) -> Result<String, PromptError> {
        self.record(Event::Asked(question.to_owned()));
        self.next_text()
    }

    fn ask_secret(&self, question: &str) -> Result<SecretString, PromptError> {
        self.record(Event::AskedSecret(question.to_owned()));
        self.next_text().map(SecretString::from)
    }

    fn choose(&self, question: &str, choices: &[String]) -> Result<usize, PromptError> {
        self.record(Event::Chose(question.to_owned(), choices.to_vec()));
        match self.next()? {
            Answer::Choice(i) => Ok(i),
            other => panic!("scripted {other:?} where a choice was asked"),
        }
    }

    fn show(&self, message: &str) {
        self.record(Event::Shown(message.to_owned()));
    }

    fn show_otpauth(&self, uri: &str, secret: &str) {
        self.record(Event::Otpauth {
            uri: uri.to_owned(),
            secret: secret.to_owned(),
        });
    }
}

// Shared by several test binaries, each using part of it.
#[allow(unused_imports)]
pub use cogauth_test_support::totp::{
    MOTO_TOTP_SECRET, current_code as current_totp_code, wrong_code as wrong_totp_code,
};
