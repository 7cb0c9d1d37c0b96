//! Custom authentication (`AuthFlow CUSTOM_AUTH`): the pool's DefineAuthChallenge,
//! CreateAuthChallenge and VerifyAuthChallengeResponse triggers ask CUSTOM_CHALLENGEs until
//! they issue tokens or fail the sign-in.
//!
//! Each CUSTOM_CHALLENGE's public parameters (what CreateAuthChallenge put in
//! `publicChallengeParameters`) are shown, then the answer is asked for and sent as `ANSWER`.
//! Cognito defines no way for a challenge to describe itself, so cogauth reads two conventions
//! that a pool's triggers can follow (documented in docs/usage.md):
//! - a parameter named `question` or `prompt` is the question asked (else "Answer");
//! - a parameter `hidden` set to `true` (or `yes`, `1`) asks for the answer without echo, as for
//!   a password or a one-time code.
//!
//! `USERNAME` (which Cognito adds) and those two are not shown. With `custom_with_srp`, the
//! password is proven by SRP first (`CHALLENGE_NAME = SRP_A`, then PASSWORD_VERIFIER). The
//! number of challenges is capped as for every login; a sign-in the triggers end with
//! `failAuthentication` is [`UserPoolError::CustomAuthRefused`].

use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::UserPoolError;
use super::challenge::Challenge;
use super::cognito::{Login, Reply};

/// The parameters that phrase the question, in order of preference.
const QUESTION_KEYS: &[&str] = &["question", "prompt"];
/// The parameter that asks for a hidden answer.
const HIDDEN_KEY: &str = "hidden";

fn lookup<'p>(parameters: &'p HashMap<String, String>, key: &str) -> Option<&'p str> {
    parameters
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// The question to ask.
pub fn question(parameters: &HashMap<String, String>) -> String {
    QUESTION_KEYS
        .iter()
        .find_map(|k| lookup(parameters, k))
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map_or_else(
            || "Answer".to_owned(),
            |q| q.trim_end_matches(':').to_owned(),
        )
}

/// Whether the challenge asks for the answer to be hidden.
pub fn wants_hidden(parameters: &HashMap<String, String>) -> bool {
    lookup(parameters, HIDDEN_KEY).is_some_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("yes") || v == "1"
    })
}

/// The parameters to show, sorted by name: all but USERNAME, the question and the hidden flag.
pub fn shown_parameters(parameters: &HashMap<String, String>) -> Vec<(&str, &str)> {
    let mut shown: Vec<(&str, &str)> = parameters
        .iter()
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("USERNAME")
                && !k.eq_ignore_ascii_case(HIDDEN_KEY)
                && !QUESTION_KEYS.iter().any(|q| k.eq_ignore_ascii_case(q))
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    shown.sort_unstable();
    shown
}

impl Login<'_> {
    /// One CUSTOM_CHALLENGE: show it, ask, answer.
    pub(super) async fn custom_challenge(
        &mut self,
        challenge: Challenge,
    ) -> Result<Reply, UserPoolError> {
        let shown = shown_parameters(&challenge.parameters);
        if !shown.is_empty() {
            let mut text = "The user pool asks:".to_owned();
            for (name, value) in shown {
                text.push_str(&format!("\n  {name}: {value}"));
            }
            self.prompter.show(&text);
        }
        let question = question(&challenge.parameters);
        let answer = if wants_hidden(&challenge.parameters) {
            self.prompter
                .ask_secret(&question)?
                .expose_secret()
                .to_owned()
        } else {
            self.prompter.ask(&question)?
        };
        let answers = HashMap::from([("ANSWER".to_owned(), answer)]);
        match self
            .pool
            .respond(
                "CUSTOM_CHALLENGE",
                challenge.session,
                answers,
                &self.username,
            )
            .await
        {
            // NotAuthorizedException after an answer is the triggers' failAuthentication, not
            // a wrong password.
            Err(UserPoolError::IncorrectCredentials) => Err(UserPoolError::CustomAuthRefused),
            other => other,
        }
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
    fn the_question_comes_from_the_challenge_or_is_generic() {
        assert_eq!(
            question(&params(&[("question", "What is 6 x 7?")])),
            "What is 6 x 7?"
        );
        assert_eq!(
            question(&params(&[("Prompt", "Code from the card: ")])),
            "Code from the card"
        );
        assert_eq!(question(&params(&[("USERNAME", "alice")])), "Answer");
        assert_eq!(question(&params(&[("question", "  ")])), "Answer");
    }

    #[test]
    fn hidden_only_when_asked_for() {
        for yes in ["true", "TRUE", "yes", "1", " true "] {
            assert!(wants_hidden(&params(&[("hidden", yes)])), "{yes}");
        }
        for no in ["false", "no", "0", ""] {
            assert!(!wants_hidden(&params(&[("hidden", no)])), "{no}");
        }
        assert!(!wants_hidden(&params(&[("question", "hidden?")])));
        assert!(wants_hidden(&params(&[("Hidden", "true")])));
    }

    #[test]
    fn public_parameters_are_shown_sorted_without_the_conventions() {
        let p = params(&[
            ("USERNAME", "alice"),
            ("question", "Which colour?"),
            ("hidden", "false"),
            ("zone", "B"),
            ("card", "4 of 12"),
        ]);
        assert_eq!(
            shown_parameters(&p),
            vec![("card", "4 of 12"), ("zone", "B")]
        );
    }
}
