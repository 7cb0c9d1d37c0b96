//! Helpers shared by the core's integration tests: a scripted [`Prompter`] and TOTP codes for
//! moto's fixed software-token secret.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::VecDeque;
use std::sync::Mutex;

use cogauth_core::clock::{Clock, SystemClock};
use cogauth_core::prompt::{PromptError, Prompter};
use secrecy::SecretString;
use totp_rs::{Builder, Secret, Totp};

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

/// moto's software-token secret (base32, 60 bits: too short for RFC-checked constructors).
pub const MOTO_TOTP_SECRET: &str = "ASDFASDFASDF";
const STEP_SECONDS: u64 = 30;
/// Codes are only taken this far into a step, so they are still current when moto checks them
/// (it allows no skew).
const SAFE_SECONDS_INTO_STEP: u64 = 25;

pub fn moto_totp() -> Totp {
    Builder::new()
        .with_secret(Secret::try_from_base32(MOTO_TOTP_SECRET).expect("base32 secret"))
        .with_step_duration(STEP_SECONDS)
        .build_noncompliant()
}

fn unix_now() -> u64 {
    SystemClock.now().timestamp() as u64
}

/// The code for the current step, waiting out the end of a step first.
pub fn current_totp_code() -> String {
    loop {
        let now = unix_now();
        if now % STEP_SECONDS < SAFE_SECONDS_INTO_STEP {
            return moto_totp().generate(now).to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// A code that is wrong now (and in the neighbouring steps).
pub fn wrong_totp_code() -> String {
    let totp = moto_totp();
    let now = unix_now();
    let valid: Vec<String> = [now - STEP_SECONDS, now, now + STEP_SECONDS]
        .iter()
        .map(|t| totp.generate(*t).to_string())
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{:06}", (n * 7_919 + 123_456) % 1_000_000))
        .find(|code| !valid.contains(code))
        .expect("a code that is not current")
}
