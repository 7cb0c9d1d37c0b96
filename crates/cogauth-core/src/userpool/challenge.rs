//! The interactive part of each challenge: what to ask through the [`Prompter`] and how the
//! answers are laid out. No AWS calls here, so every branch is unit-tested.

use std::collections::HashMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::UserPoolError;
use crate::prompt::Prompter;

/// How many times the new password may be mistyped before giving up.
pub(crate) const NEW_PASSWORD_ATTEMPTS: usize = 3;
/// Shown as the issuer by authenticator apps.
pub(crate) const OTP_ISSUER: &str = "cogauth";

/// One challenge from InitiateAuth or RespondToAuthChallenge.
pub(crate) struct Challenge {
    pub name: String,
    pub session: Option<String>,
    pub parameters: HashMap<String, String>,
    /// SELECT_CHALLENGE's `AvailableChallenges` (empty for every other challenge).
    pub available: Vec<String>,
}

impl fmt::Debug for Challenge {
    // The session is a bearer credential for the next step, and parameters may hold a secret
    // block: only the challenge's name and parameter names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.parameters.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Challenge")
            .field("name", &self.name)
            .field("session", &self.session.as_ref().map(|_| "** redacted **"))
            .field("parameter_names", &names)
            .field("available", &self.available)
            .finish()
    }
}

impl Challenge {
    pub fn parameter(&self, name: &'static str) -> Result<&str, UserPoolError> {
        self.parameters
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| self.malformed(format!("it has no {name}")))
    }

    pub fn malformed(&self, detail: String) -> UserPoolError {
        UserPoolError::MalformedChallenge {
            challenge: self.name.clone(),
            detail,
        }
    }

    /// The name Cognito knows the user by, when the challenge says: `USERNAME`, else
    /// `USER_ID_FOR_SRP`. With Cognito both are the internal user name (not the alias that
    /// was typed); moto sends the user's `sub` as `USER_ID_FOR_SRP` but only accepts the
    /// user name, so `USERNAME` comes first.
    pub fn username(&self) -> Option<&str> {
        ["USERNAME", "USER_ID_FOR_SRP"]
            .iter()
            .find_map(|k| self.parameters.get(*k))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// A parameter that Cognito sends as a JSON list of strings (`requiredAttributes`,
    /// `MFAS_CAN_CHOOSE`, `MFAS_CAN_SETUP`); absent means empty.
    pub fn name_list(&self, name: &'static str) -> Result<Vec<String>, UserPoolError> {
        let raw = match self.parameters.get(name).map(|s| s.trim()) {
            None | Some("") => return Ok(Vec::new()),
            Some(raw) => raw,
        };
        if let Ok(names) = serde_json::from_str::<Vec<String>>(raw) {
            return Ok(names);
        }
        // moto sends Python's rendering, `['SOFTWARE_TOKEN_MFA']`. The names are identifiers,
        // so splitting on commas and trimming quotes reads it without ambiguity.
        match raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Some(inner) => Ok(inner
                .split(',')
                .map(|n| n.trim().trim_matches(['\'', '"']).to_owned())
                .filter(|n| !n.is_empty())
                .collect()),
            None => Err(self.malformed(format!("{name} is not a list of names: {raw:?}"))),
        }
    }
}

/// The answers to NEW_PASSWORD_REQUIRED without USERNAME and SECRET_HASH: the new password,
/// asked twice, and a value for each attribute the pool requires.
pub(crate) fn new_password_answers(
    challenge: &Challenge,
    prompter: &dyn Prompter,
) -> Result<HashMap<String, String>, UserPoolError> {
    let required = challenge.name_list("requiredAttributes")?;
    let new_password = ask_new_password(prompter)?;
    let mut answers = HashMap::new();
    answers.insert(
        "NEW_PASSWORD".to_owned(),
        new_password.expose_secret().to_owned(),
    );
    for attribute in required {
        let name = attribute
            .strip_prefix("userAttributes.")
            .unwrap_or(&attribute);
        let value = prompter.ask(&format!("Value for the required attribute `{name}`"))?;
        answers.insert(format!("userAttributes.{name}"), value.trim().to_owned());
    }
    Ok(answers)
}

fn ask_new_password(prompter: &dyn Prompter) -> Result<SecretString, UserPoolError> {
    prompter.show("A new password is required for this account.");
    for attempt in 1..=NEW_PASSWORD_ATTEMPTS {
        let first = prompter.ask_secret("New password")?;
        let second = prompter.ask_secret("New password (again)")?;
        if first.expose_secret() == second.expose_secret() {
            return Ok(first);
        }
        if attempt < NEW_PASSWORD_ATTEMPTS {
            prompter.show("The two passwords do not match; try again.");
        }
    }
    Err(UserPoolError::NewPasswordMismatch {
        attempts: NEW_PASSWORD_ATTEMPTS,
    })
}

/// The MFA method to answer SELECT_MFA_TYPE with.
pub(crate) fn select_mfa_type(
    challenge: &Challenge,
    prompter: &dyn Prompter,
) -> Result<String, UserPoolError> {
    let offered = challenge.name_list("MFAS_CAN_CHOOSE")?;
    match offered.len() {
        0 => Err(challenge.malformed("MFAS_CAN_CHOOSE offers no method".to_owned())),
        1 => Ok(offered.into_iter().next().expect("one element")),
        _ => {
            let labels: Vec<String> = offered.iter().map(|m| mfa_label(m)).collect();
            let index = prompter.choose("Which second factor do you want to use?", &labels)?;
            offered
                .into_iter()
                .nth(index)
                .ok_or_else(|| challenge.malformed(format!("no method number {index}")))
        }
    }
}

fn mfa_label(method: &str) -> String {
    match method {
        "SOFTWARE_TOKEN_MFA" => "authenticator app (SOFTWARE_TOKEN_MFA)".to_owned(),
        "SMS_MFA" => "text message (SMS_MFA)".to_owned(),
        "EMAIL_OTP" => "email (EMAIL_OTP)".to_owned(),
        other => other.to_owned(),
    }
}

/// What to ask for the code of an MFA challenge.
pub(crate) fn mfa_question(challenge: &Challenge) -> String {
    match (
        challenge.name.as_str(),
        challenge.parameters.get("CODE_DELIVERY_DESTINATION"),
    ) {
        ("SMS_MFA", Some(to)) => format!("Code sent by text message to {to}"),
        ("SMS_MFA", None) => "Code sent by text message".to_owned(),
        _ => "Code from the authenticator app".to_owned(),
    }
}

/// An MFA code as typed: surrounding and inner spaces removed ("123 456").
pub(crate) fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// `otpauth://totp/<issuer>:<account>?secret=<secret>&issuer=<issuer>`, the URI authenticator
/// apps enrol from (usually as a QR code).
pub(crate) fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let issuer = urlencoding::encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}",
        urlencoding::encode(account),
        urlencoding::encode(secret),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::prompt::PromptError;

    /// Answers from a script; records every question and message.
    #[derive(Default)]
    struct Script {
        answers: Mutex<VecDeque<String>>,
        seen: Mutex<Vec<String>>,
    }

    impl Script {
        fn new(answers: &[&str]) -> Self {
            Self {
                answers: Mutex::new(answers.iter().map(|s| (*s).to_owned()).collect()),
                seen: Mutex::default(),
            }
        }

        fn next(&self, question: &str) -> Result<String, PromptError> {
            self.seen.lock().unwrap().push(question.to_owned());
            self.answers
                .lock()
                .unwrap()
                .pop_front()
                .ok_or(PromptError::Cancelled)
        }

        fn seen(&self) -> Vec<String> {
            self.seen.lock().unwrap().clone()
        }
    }

    impl Prompter for Script {
        fn ask(&self, question: &str) -> Result<String, PromptError> {
            self.next(question)
        }
        fn ask_secret(&self, question: &str) -> Result<SecretString, PromptError> {
            self.next(question).map(SecretString::from)
        }
        fn choose(&self, question: &str, choices: &[String]) -> Result<usize, PromptError> {
            let answer = self.next(&format!("{question} {choices:?}"))?;
            Ok(answer.parse().expect("a choice index"))
        }
        fn show(&self, message: &str) {
            self.seen.lock().unwrap().push(message.to_owned());
        }
        fn show_otpauth(&self, uri: &str, _secret: &str) {
            self.seen.lock().unwrap().push(uri.to_owned());
        }
    }

    fn challenge(name: &str, parameters: &[(&str, &str)]) -> Challenge {
        Challenge {
            name: name.to_owned(),
            session: Some("session-canary".to_owned()),
            parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            available: Vec::new(),
        }
    }

    #[test]
    fn new_password_is_asked_twice_with_the_required_attributes() {
        let c = challenge(
            "NEW_PASSWORD_REQUIRED",
            &[(
                "requiredAttributes",
                r#"["userAttributes.email","userAttributes.name"]"#,
            )],
        );
        let script = Script::new(&["N3w!pass", "N3w!pass", " a@example.com ", "Alice"]);
        let answers = new_password_answers(&c, &script).unwrap();
        assert_eq!(answers["NEW_PASSWORD"], "N3w!pass");
        assert_eq!(answers["userAttributes.email"], "a@example.com");
        assert_eq!(answers["userAttributes.name"], "Alice");
        assert_eq!(answers.len(), 3);
        let seen = script.seen();
        assert!(seen.iter().any(|q| q.contains("`email`")), "{seen:?}");
    }

    #[test]
    fn mismatched_new_passwords_are_asked_again_then_refused() {
        let c = challenge("NEW_PASSWORD_REQUIRED", &[]);
        let script = Script::new(&["one", "two", "three", "three"]);
        let answers = new_password_answers(&c, &script).unwrap();
        assert_eq!(answers["NEW_PASSWORD"], "three");
        assert!(script.seen().iter().any(|m| m.contains("do not match")));

        let script = Script::new(&["a", "b", "c", "d", "e", "f"]);
        let err = new_password_answers(&c, &script).unwrap_err();
        assert!(matches!(
            err,
            UserPoolError::NewPasswordMismatch { attempts: 3 }
        ));
    }

    #[test]
    fn malformed_required_attributes_are_an_error() {
        let c = challenge("NEW_PASSWORD_REQUIRED", &[("requiredAttributes", "email")]);
        let err = new_password_answers(&c, &Script::new(&[])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the NEW_PASSWORD_REQUIRED challenge is malformed"),
            "{err}"
        );
    }

    #[test]
    fn name_lists_in_json_and_in_moto_rendering() {
        let c = challenge(
            "MFA_SETUP",
            &[
                ("MFAS_CAN_SETUP", r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#),
                ("MFAS_CAN_CHOOSE", "['SMS_MFA', 'SOFTWARE_TOKEN_MFA']"),
                ("requiredAttributes", "[]"),
            ],
        );
        let both = vec!["SMS_MFA".to_owned(), "SOFTWARE_TOKEN_MFA".to_owned()];
        assert_eq!(c.name_list("MFAS_CAN_SETUP").unwrap(), both);
        assert_eq!(c.name_list("MFAS_CAN_CHOOSE").unwrap(), both);
        assert!(c.name_list("requiredAttributes").unwrap().is_empty());
        assert!(c.name_list("absent").unwrap().is_empty());
    }

    #[test]
    fn select_mfa_type_chooses_among_the_offered_methods() {
        let c = challenge(
            "SELECT_MFA_TYPE",
            &[("MFAS_CAN_CHOOSE", r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#)],
        );
        let script = Script::new(&["1"]);
        assert_eq!(select_mfa_type(&c, &script).unwrap(), "SOFTWARE_TOKEN_MFA");
        assert!(script.seen()[0].contains("authenticator app"));

        let only = challenge("SELECT_MFA_TYPE", &[("MFAS_CAN_CHOOSE", r#"["SMS_MFA"]"#)]);
        assert_eq!(
            select_mfa_type(&only, &Script::new(&[])).unwrap(),
            "SMS_MFA"
        );

        let none = challenge("SELECT_MFA_TYPE", &[]);
        assert!(select_mfa_type(&none, &Script::new(&[])).is_err());
    }

    #[test]
    fn the_username_comes_from_the_challenge() {
        let c = challenge(
            "PASSWORD_VERIFIER",
            &[("USERNAME", "alice"), ("USER_ID_FOR_SRP", "sub-1")],
        );
        assert_eq!(c.username(), Some("alice"));
        let c = challenge("SMS_MFA", &[("USER_ID_FOR_SRP", "alice")]);
        assert_eq!(c.username(), Some("alice"));
        assert_eq!(challenge("SMS_MFA", &[]).username(), None);
    }

    #[test]
    fn mfa_questions_and_codes() {
        let sms = challenge("SMS_MFA", &[("CODE_DELIVERY_DESTINATION", "+*******1234")]);
        assert_eq!(
            mfa_question(&sms),
            "Code sent by text message to +*******1234"
        );
        let totp = challenge("SOFTWARE_TOKEN_MFA", &[]);
        assert_eq!(mfa_question(&totp), "Code from the authenticator app");
        assert_eq!(normalize_code(" 123 456\n"), "123456");
    }

    #[test]
    fn otpauth_uri_is_percent_encoded() {
        assert_eq!(
            otpauth_uri("cogauth", "bob smith@example.com", "ABCDEF234567"),
            "otpauth://totp/cogauth:bob%20smith%40example.com?secret=ABCDEF234567&issuer=cogauth"
        );
    }

    #[test]
    fn debug_hides_the_session() {
        let c = challenge("SMS_MFA", &[("SECRET_BLOCK", "block-canary")]);
        let shown = format!("{c:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("SECRET_BLOCK"));
    }
}
