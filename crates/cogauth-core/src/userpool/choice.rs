//! Choice-based sign-in (`AuthFlow USER_AUTH`): the pool offers the first factors its sign-in
//! policy allows and the user can do, and the user picks one.
//!
//! - `preferred_challenge` goes out as `PREFERRED_CHALLENGE`, with its answer when it has one up
//!   front (the password for PASSWORD, SRP_A for PASSWORD_SRP): Cognito starts it at once when
//!   it is available to the user. Otherwise, or without one, Cognito answers SELECT_CHALLENGE
//!   with `AvailableChallenges`, and the user chooses on the terminal (one choice is taken
//!   without asking; no terminal is [`UserPoolError::ChoiceNeeded`]).
//! - EMAIL_OTP and SMS_OTP: the code is asked for, saying where it went
//!   (`CODE_DELIVERY_DESTINATION`, masked by Cognito); a wrong code can be typed again, up to
//!   [`OTP_ATTEMPTS`] times in all, within the same session.
//! - PASSWORD and PASSWORD_SRP: the password flows' own code (the password is asked for when
//!   first needed, so an SRP proof follows its challenge at once).
//! - WEB_AUTHN: a passkey needs a browser; [`UserPoolError::PasskeyNeedsBrowser`] says so, and
//!   is what a browser sign-in takes over from.

use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::UserPoolError;
use super::challenge::{Challenge, normalize_code};
use super::cognito::{Login, Reply};
use crate::config::PreferredChallenge;
use crate::prompt::PromptError;

/// How many times a one-time code may be typed before the sign-in gives up.
pub const OTP_ATTEMPTS: usize = 3;

/// What the user sees for each challenge Cognito may offer.
pub fn label(challenge: &str) -> String {
    match challenge {
        "PASSWORD_SRP" => "password (SRP: the password never leaves this machine)".to_owned(),
        "PASSWORD" => "password (sent to Cognito over TLS)".to_owned(),
        "EMAIL_OTP" => "one-time code by email".to_owned(),
        "SMS_OTP" => "one-time code by text message".to_owned(),
        "WEB_AUTHN" => "passkey (in the browser)".to_owned(),
        other => other.to_owned(),
    }
}

/// The question for a one-time code, saying where it was sent.
pub fn otp_question(challenge: &str, parameters: &HashMap<String, String>) -> String {
    let medium = parameters
        .get("CODE_DELIVERY_DELIVERY_MEDIUM")
        .map(String::as_str)
        .unwrap_or(match challenge {
            "SMS_OTP" => "SMS",
            _ => "EMAIL",
        });
    let by = match medium {
        "SMS" => "by text message",
        _ => "by email",
    };
    match parameters.get("CODE_DELIVERY_DESTINATION") {
        Some(to) if !to.is_empty() => format!("Code sent {by} to {to}"),
        _ => format!("Code sent {by}"),
    }
}

impl Login<'_> {
    /// USER_AUTH's parameters beyond USERNAME and SECRET_HASH: the preferred challenge, and its
    /// answer when it has one up front.
    pub(super) fn choice_parameters(
        &mut self,
        parameters: &mut HashMap<String, String>,
    ) -> Result<(), UserPoolError> {
        let Some(preferred) = self.pool.config().preferred_challenge else {
            return Ok(());
        };
        parameters.insert("PREFERRED_CHALLENGE".to_owned(), preferred.to_string());
        // Until SELECT_CHALLENGE says the pool does not offer it.
        self.signed_in_with = format!("choice: {preferred}");
        match preferred {
            PreferredChallenge::Password => {
                let password = self.password()?;
                parameters.insert("PASSWORD".to_owned(), password.expose_secret().to_owned());
            }
            PreferredChallenge::PasswordSrp => {
                parameters.insert("SRP_A".to_owned(), self.start_srp()?);
            }
            _ => {}
        }
        Ok(())
    }

    /// SELECT_CHALLENGE: the preferred challenge if offered, the only one if there is one,
    /// else the user's choice; answered with what that challenge needs to start.
    pub(super) async fn select_challenge(
        &mut self,
        challenge: Challenge,
    ) -> Result<Reply, UserPoolError> {
        let offered = &challenge.available;
        if offered.is_empty() {
            return Err(challenge.malformed("AvailableChallenges is empty".to_owned()));
        }
        let preferred = self
            .pool
            .config()
            .preferred_challenge
            .map(|p| p.to_string());
        let chosen = match preferred.filter(|p| offered.contains(p)) {
            Some(preferred) => preferred,
            None if offered.len() == 1 => offered[0].clone(),
            None => {
                if let Some(preferred) = self.pool.config().preferred_challenge {
                    self.prompter.show(&format!(
                        "The user pool does not offer {preferred} to {}.",
                        self.request.username
                    ));
                }
                let labels: Vec<String> = offered.iter().map(|c| label(c)).collect();
                let index = match self.prompter.choose("How do you want to sign in?", &labels) {
                    Ok(index) => index,
                    Err(PromptError::NoTerminal { .. }) => {
                        return Err(UserPoolError::ChoiceNeeded {
                            offered: offered.join(", "),
                        });
                    }
                    Err(other) => return Err(other.into()),
                };
                offered
                    .get(index)
                    .cloned()
                    .ok_or_else(|| challenge.malformed(format!("no challenge number {index}")))?
            }
        };
        self.signed_in_with = format!("choice: {chosen}");
        let mut answers = match chosen.as_str() {
            "WEB_AUTHN" => return Err(self.passkey_needs_browser()),
            "PASSWORD" | "PASSWORD_SRP" => self.first_factor_answers(&chosen)?,
            "EMAIL_OTP" | "SMS_OTP" => HashMap::new(),
            _ => return Err(UserPoolError::UnsupportedChallenge(chosen)),
        };
        answers.insert("ANSWER".to_owned(), chosen);
        self.pool
            .respond(
                "SELECT_CHALLENGE",
                challenge.session,
                answers,
                &self.username,
            )
            .await
    }

    /// What starts PASSWORD (the password) or PASSWORD_SRP (SRP_A).
    pub(super) fn first_factor_answers(
        &mut self,
        challenge: &str,
    ) -> Result<HashMap<String, String>, UserPoolError> {
        Ok(match challenge {
            "PASSWORD" => HashMap::from([(
                "PASSWORD".to_owned(),
                self.password()?.expose_secret().to_owned(),
            )]),
            _ => HashMap::from([("SRP_A".to_owned(), self.start_srp()?)]),
        })
    }

    /// EMAIL_OTP / SMS_OTP: the code, asked again after a wrong one, in the same session.
    pub(super) async fn one_time_code(
        &mut self,
        challenge: Challenge,
    ) -> Result<Reply, UserPoolError> {
        let question = otp_question(&challenge.name, &challenge.parameters);
        let field = format!("{}_CODE", challenge.name);
        for attempt in 1..=OTP_ATTEMPTS {
            let code = normalize_code(&self.prompter.ask(&question)?);
            let answers = HashMap::from([(field.clone(), code)]);
            match self
                .pool
                .respond(
                    &challenge.name,
                    challenge.session.clone(),
                    answers,
                    &self.username,
                )
                .await
            {
                Err(UserPoolError::WrongMfaCode) if attempt < OTP_ATTEMPTS => {
                    self.prompter
                        .show("The code was not accepted; check it and type it again.");
                }
                Err(UserPoolError::WrongMfaCode) => {
                    return Err(UserPoolError::WrongOneTimeCode {
                        attempts: OTP_ATTEMPTS,
                    });
                }
                other => return other,
            }
        }
        unreachable!("the last attempt returns")
    }

    /// The seam for browser sign-in: a stage that can open the pool's managed login takes
    /// over on this error (as for any challenge a terminal cannot answer).
    pub(super) fn passkey_needs_browser(&self) -> UserPoolError {
        UserPoolError::PasskeyNeedsBrowser
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_code_question_says_where_the_code_went() {
        let email = params(&[
            ("CODE_DELIVERY_DELIVERY_MEDIUM", "EMAIL"),
            ("CODE_DELIVERY_DESTINATION", "a***@e***"),
        ]);
        assert_eq!(
            otp_question("EMAIL_OTP", &email),
            "Code sent by email to a***@e***"
        );
        let sms = params(&[
            ("CODE_DELIVERY_DELIVERY_MEDIUM", "SMS"),
            ("CODE_DELIVERY_DESTINATION", "+*******0100"),
        ]);
        assert_eq!(
            otp_question("SMS_OTP", &sms),
            "Code sent by text message to +*******0100"
        );
        assert_eq!(
            otp_question("SMS_OTP", &params(&[])),
            "Code sent by text message"
        );
        assert_eq!(
            otp_question("EMAIL_OTP", &params(&[])),
            "Code sent by email"
        );
    }

    #[test]
    fn every_offered_challenge_has_a_label() {
        for name in PreferredChallenge::NAMES {
            assert_ne!(label(name), *name, "{name}");
        }
        assert_eq!(label("SOMETHING_NEW"), "SOMETHING_NEW");
    }
}
