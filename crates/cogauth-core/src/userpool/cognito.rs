//! [`UserPoolStage`] over the real Cognito user pools API (unsigned requests).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType, VerifySoftwareTokenResponseType,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::challenge::{self, Challenge, OTP_ISSUER};
use super::error::{ErrorContext, Step, map_failure};
use super::{
    LoginRequest, RefreshGrant, UserPoolConfig, UserPoolError, UserPoolSession, UserPoolStage,
};
use crate::aws::{self, Failure, Service};
use crate::clock::Clock;
use crate::config::AuthFlow;
use crate::credentials::Tokens;
use crate::env::Env;
use crate::prompt::Prompter;
use crate::srp::{self, SrpClient};

/// More challenges than any real sequence needs (password verifier, new password, MFA setup,
/// MFA, device SRP, a few custom challenges): a server that keeps asking is not followed
/// forever.
const MAX_CHALLENGES: usize = 8;
/// The name VerifySoftwareToken gives the enrolled authenticator.
const DEVICE_NAME: &str = "cogauth";

/// [`UserPoolStage`] on a Cognito user pool app client.
#[derive(Debug)]
pub struct CognitoUserPool {
    config: UserPoolConfig,
    client: Client,
    endpoint: String,
    clock: Arc<dyn Clock>,
}

/// What Cognito answered: tokens, or another challenge.
pub(super) enum Reply {
    Tokens {
        operation: &'static str,
        result: Box<AuthenticationResultType>,
    },
    Challenge(Challenge),
}

impl Reply {
    fn new(
        operation: &'static str,
        challenge_name: Option<ChallengeNameType>,
        session: Option<String>,
        parameters: Option<HashMap<String, String>>,
        available: Option<Vec<ChallengeNameType>>,
        result: Option<AuthenticationResultType>,
    ) -> Result<Self, UserPoolError> {
        match (result, challenge_name) {
            (Some(result), _) => Ok(Self::Tokens {
                operation,
                result: Box::new(result),
            }),
            (None, Some(name)) => Ok(Self::Challenge(Challenge {
                name: name.as_str().to_owned(),
                session,
                parameters: parameters.unwrap_or_default(),
                available: available
                    .unwrap_or_default()
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect(),
            })),
            (None, None) => Err(UserPoolError::Incomplete {
                operation,
                field: "AuthenticationResult or ChallengeName",
            }),
        }
    }
}

impl CognitoUserPool {
    /// The client comes from [`aws::cognito_idp`]: unsigned, endpoint from `env`.
    pub fn new(config: UserPoolConfig, env: &dyn Env, clock: Arc<dyn Clock>) -> Self {
        Self {
            client: aws::cognito_idp(env, &config.region),
            endpoint: aws::effective_endpoint(
                env,
                Service::CognitoIdentityProvider,
                &config.region,
            ),
            config,
            clock,
        }
    }

    pub(super) fn config(&self) -> &UserPoolConfig {
        &self.config
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    pub(super) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub(super) fn fail(
        &self,
        step: Step,
        operation: &'static str,
        username: &str,
        failure: Failure,
    ) -> UserPoolError {
        let ctx = ErrorContext {
            endpoint: &self.endpoint,
            client_id: &self.config.client_id,
            user_pool_id: &self.config.user_pool_id,
            username,
        };
        map_failure(ctx, step, operation, failure)
    }

    pub(super) fn log_call(&self, operation: &'static str, started: Instant, ok: bool) {
        tracing::debug!(
            operation,
            endpoint = %self.endpoint,
            elapsed_ms = started.elapsed().as_millis() as u64,
            ok,
            "cognito-idp call"
        );
    }

    /// Adds `SECRET_HASH` for `username` when the app client has a secret.
    pub(super) fn add_secret_hash(&self, parameters: &mut HashMap<String, String>, username: &str) {
        if let Some(secret) = &self.config.client_secret {
            parameters.insert(
                "SECRET_HASH".to_owned(),
                super::secret_hash(secret, username, &self.config.client_id),
            );
        }
    }

    pub(super) async fn initiate(
        &self,
        step: Step,
        flow: AuthFlowType,
        parameters: HashMap<String, String>,
        username: &str,
    ) -> Result<Reply, UserPoolError> {
        let started = Instant::now();
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.config.client_id)
            .auth_flow(flow)
            .set_auth_parameters(Some(parameters))
            .send()
            .await;
        self.log_call("InitiateAuth", started, out.is_ok());
        let out = out.map_err(|e| self.fail(step, "InitiateAuth", username, aws::classify(&e)))?;
        Reply::new(
            "InitiateAuth",
            out.challenge_name,
            out.session,
            out.challenge_parameters,
            out.available_challenges,
            out.authentication_result,
        )
    }

    /// RespondToAuthChallenge with `answers` plus USERNAME and SECRET_HASH for `username`.
    pub(super) async fn respond(
        &self,
        challenge_name: &str,
        session: Option<String>,
        mut answers: HashMap<String, String>,
        username: &str,
    ) -> Result<Reply, UserPoolError> {
        answers.insert("USERNAME".to_owned(), username.to_owned());
        self.add_secret_hash(&mut answers, username);
        let started = Instant::now();
        let out = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.config.client_id)
            .challenge_name(ChallengeNameType::from(challenge_name))
            .set_session(session)
            .set_challenge_responses(Some(answers))
            .send()
            .await;
        self.log_call("RespondToAuthChallenge", started, out.is_ok());
        let out = out.map_err(|e| {
            self.fail(
                Step::Challenge,
                "RespondToAuthChallenge",
                username,
                aws::classify(&e),
            )
        })?;
        Reply::new(
            "RespondToAuthChallenge",
            out.challenge_name,
            out.session,
            out.challenge_parameters,
            out.available_challenges,
            out.authentication_result,
        )
    }

    /// AssociateSoftwareToken during MFA_SETUP: the TOTP secret and the next session.
    async fn associate_software_token(
        &self,
        session: String,
        username: &str,
    ) -> Result<(SecretString, String), UserPoolError> {
        let started = Instant::now();
        let out = self
            .client
            .associate_software_token()
            .session(&session)
            .send()
            .await;
        self.log_call("AssociateSoftwareToken", started, out.is_ok());
        let out = out.map_err(|e| {
            self.fail(
                Step::Challenge,
                "AssociateSoftwareToken",
                username,
                aws::classify(&e),
            )
        })?;
        let secret = out.secret_code.ok_or(UserPoolError::Incomplete {
            operation: "AssociateSoftwareToken",
            field: "SecretCode",
        })?;
        Ok((SecretString::from(secret), out.session.unwrap_or(session)))
    }

    /// VerifySoftwareToken during MFA_SETUP: the session to finish the challenge with.
    async fn verify_software_token(
        &self,
        session: String,
        code: String,
        username: &str,
    ) -> Result<String, UserPoolError> {
        let started = Instant::now();
        let out = self
            .client
            .verify_software_token()
            .session(&session)
            .user_code(code)
            .friendly_device_name(DEVICE_NAME)
            .send()
            .await;
        self.log_call("VerifySoftwareToken", started, out.is_ok());
        let out = out.map_err(|e| {
            self.fail(
                Step::Challenge,
                "VerifySoftwareToken",
                username,
                aws::classify(&e),
            )
        })?;
        match out.status {
            Some(VerifySoftwareTokenResponseType::Success) => Ok(out.session.unwrap_or(session)),
            _ => Err(UserPoolError::WrongMfaCode),
        }
    }

    /// The session for a successful authentication. `username` is the name the login used;
    /// the ID token's `cognito:username` wins when present, as refresh needs exactly that.
    /// The refresh token and device key are there only when Cognito issued them.
    pub(super) fn session_from(
        &self,
        operation: &'static str,
        result: AuthenticationResultType,
        username: &str,
    ) -> Result<UserPoolSession, UserPoolError> {
        let incomplete = |field| UserPoolError::Incomplete { operation, field };
        let id_token = result.id_token.ok_or_else(|| incomplete("IdToken"))?;
        let access_token = result
            .access_token
            .ok_or_else(|| incomplete("AccessToken"))?;
        Ok(UserPoolSession {
            username: claim(&id_token, "cognito:username").unwrap_or_else(|| username.to_owned()),
            sub: claim(&id_token, "sub"),
            device_key: result.new_device_metadata.and_then(|d| d.device_key),
            signed_in_with: None,
            device: None,
            tokens: Tokens {
                id_token: SecretString::from(id_token),
                access_token: SecretString::from(access_token),
                refresh_token: result.refresh_token.map(SecretString::from),
                expires_at: self.clock.now() + chrono::Duration::seconds(result.expires_in.into()),
            },
        })
    }
}

/// A string claim of an ID token, read without verifying the token: the claims read here only
/// pick the name SECRET_HASH is computed with (which Cognito checks itself) and the key of the
/// cached identity id (the identity pool verifies the token the id is used with).
pub(crate) fn claim(id_token: &str, name: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get(name)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// One login in progress.
pub(super) struct Login<'a> {
    pub(super) pool: &'a CognitoUserPool,
    pub(super) request: &'a LoginRequest,
    pub(super) prompter: &'a dyn Prompter,
    /// The name Cognito knows the user by: the typed one until a challenge names the user.
    pub(super) username: String,
    /// `--mfa-code`, used for the first code asked for.
    pub(super) mfa_code: Option<String>,
    /// Present once SRP_A was sent (the SRP flow, PASSWORD_SRP, CUSTOM_WITH_SRP).
    pub(super) srp: Option<SrpClient>,
    /// The request's password, or the one asked for when the sign-in first needed it.
    pub(super) password: Option<SecretString>,
    /// How the user proved who they are, for [`UserPoolSession::signed_in_with`].
    pub(super) signed_in_with: String,
    /// The device SRP exchange in progress (DEVICE_SRP_AUTH answered).
    pub(super) device_srp: Option<SrpClient>,
    /// Whether the pool accepted the request's device (DEVICE_PASSWORD_VERIFIER).
    pub(super) device_proven: bool,
}

impl Login<'_> {
    async fn run(mut self) -> Result<UserPoolSession, UserPoolError> {
        let mut reply = self.initiate().await?;
        let mut answered = 0;
        loop {
            let challenge = match reply {
                Reply::Tokens { operation, result } => {
                    let new_device = result
                        .new_device_metadata
                        .as_ref()
                        .and_then(|m| Some((m.device_key.clone()?, m.device_group_key.clone()?)));
                    let mut session = self.pool.session_from(operation, *result, &self.username)?;
                    session.device = self
                        .device_after_login(new_device, &session.tokens.access_token)
                        .await?;
                    if let Some(device) = &session.device {
                        session.device_key = Some(device.key.clone());
                    }
                    session.signed_in_with = Some(self.signed_in_with);
                    return Ok(session);
                }
                Reply::Challenge(challenge) => challenge,
            };
            if answered == MAX_CHALLENGES {
                return Err(UserPoolError::TooManyChallenges(MAX_CHALLENGES));
            }
            answered += 1;
            tracing::debug!(challenge = %challenge.name, "answering challenge");
            reply = self.answer(challenge).await?;
        }
    }

    async fn initiate(&mut self) -> Result<Reply, UserPoolError> {
        let typed = self.request.username.clone();
        let mut parameters = HashMap::from([("USERNAME".to_owned(), typed.clone())]);
        self.pool.add_secret_hash(&mut parameters, &typed);
        if let Some(device) = &self.request.device {
            parameters.insert("DEVICE_KEY".to_owned(), device.key.clone());
        }
        let (step, flow) = match self.pool.config.auth_flow {
            // Browser sign-in is `crate::managed_login`'s stage; asked here, SRP it is.
            AuthFlow::Srp | AuthFlow::Browser => {
                parameters.insert("SRP_A".to_owned(), self.start_srp()?);
                (Step::InitiateSrp, AuthFlowType::UserSrpAuth)
            }
            AuthFlow::Password => {
                parameters.insert(
                    "PASSWORD".to_owned(),
                    self.password()?.expose_secret().to_owned(),
                );
                (Step::InitiatePassword, AuthFlowType::UserPasswordAuth)
            }
            AuthFlow::Choice => {
                self.choice_parameters(&mut parameters)?;
                (Step::InitiateChoice, AuthFlowType::UserAuth)
            }
            AuthFlow::Custom => {
                if self.pool.config.custom_with_srp {
                    parameters.insert("CHALLENGE_NAME".to_owned(), "SRP_A".to_owned());
                    parameters.insert("SRP_A".to_owned(), self.start_srp()?);
                }
                (Step::InitiateCustom, AuthFlowType::CustomAuth)
            }
        };
        self.pool.initiate(step, flow, parameters, &typed).await
    }

    /// The password: the request's, else asked once, when the sign-in first needs it.
    pub(super) fn password(&mut self) -> Result<SecretString, UserPoolError> {
        if let Some(password) = self.password.as_ref().or(self.request.password.as_ref()) {
            return Ok(password.clone());
        }
        let password = self
            .prompter
            .ask_secret(&format!("Password for {}", self.request.username))?;
        self.password = Some(password.clone());
        Ok(password)
    }

    /// A new SRP exchange: the password is asked for first (if it must be), so that the
    /// PASSWORD_VERIFIER challenge is answered at once. Returns SRP_A.
    pub(super) fn start_srp(&mut self) -> Result<String, UserPoolError> {
        self.password()?;
        let srp = SrpClient::generate();
        let srp_a = srp.srp_a_hex();
        self.srp = Some(srp);
        Ok(srp_a)
    }

    async fn answer(&mut self, challenge: Challenge) -> Result<Reply, UserPoolError> {
        if let Some(name) = challenge.username() {
            self.username = name.to_owned();
        }
        let answers = match challenge.name.as_str() {
            "PASSWORD_VERIFIER" => self.password_verifier(&challenge)?,
            // Whenever the pool asks: after the first factor, or after an MFA answer.
            "DEVICE_SRP_AUTH" => self.device_srp_answers(&challenge)?,
            "DEVICE_PASSWORD_VERIFIER" => return self.device_password_verifier(challenge).await,
            "NEW_PASSWORD_REQUIRED" => challenge::new_password_answers(&challenge, self.prompter)?,
            "SOFTWARE_TOKEN_MFA" | "SMS_MFA" => {
                let code = self.next_mfa_code(&challenge::mfa_question(&challenge))?;
                HashMap::from([(format!("{}_CODE", challenge.name), code)])
            }
            "SELECT_MFA_TYPE" => HashMap::from([(
                "ANSWER".to_owned(),
                challenge::select_mfa_type(&challenge, self.prompter)?,
            )]),
            "MFA_SETUP" => return self.mfa_setup(challenge).await,
            "SELECT_CHALLENGE" => return self.select_challenge(challenge).await,
            "PASSWORD" | "PASSWORD_SRP" => self.first_factor_answers(&challenge.name)?,
            "EMAIL_OTP" | "SMS_OTP" => return self.one_time_code(challenge).await,
            "WEB_AUTHN" => return Err(self.passkey_needs_browser()),
            "CUSTOM_CHALLENGE" => return self.custom_challenge(challenge).await,
            _ => return Err(UserPoolError::UnsupportedChallenge(challenge.name)),
        };
        self.pool
            .respond(&challenge.name, challenge.session, answers, &self.username)
            .await
    }

    /// PASSWORD_VERIFIER: prove knowledge of the password without sending it.
    fn password_verifier(
        &self,
        challenge: &Challenge,
    ) -> Result<HashMap<String, String>, UserPoolError> {
        let srp = self.srp.as_ref().ok_or_else(|| {
            challenge.malformed("it was sent although the login did not use SRP".to_owned())
        })?;
        let user_id_for_srp = challenge.parameter("USER_ID_FOR_SRP")?;
        let secret_block = challenge.parameter("SECRET_BLOCK")?;
        let pool_name = srp::pool_name(&self.pool.config.user_pool_id)?;
        let password = self.password.as_ref().or(self.request.password.as_ref());
        let password = password.ok_or_else(|| {
            challenge.malformed("it came before the password was asked for".to_owned())
        })?;
        let key = srp.password_key(
            pool_name,
            user_id_for_srp,
            password,
            challenge.parameter("SRP_B")?,
            challenge.parameter("SALT")?,
        )?;
        let timestamp = srp::format_timestamp(self.pool.clock.now());
        let signature = key.claim_signature(pool_name, user_id_for_srp, secret_block, &timestamp);
        let mut answers = HashMap::from([
            ("PASSWORD_CLAIM_SIGNATURE".to_owned(), signature),
            (
                "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                secret_block.to_owned(),
            ),
            ("TIMESTAMP".to_owned(), timestamp),
        ]);
        if let Some(device) = &self.request.device {
            answers.insert("DEVICE_KEY".to_owned(), device.key.clone());
        }
        Ok(answers)
    }

    /// MFA_SETUP: enrol an authenticator app, verify its first code, finish the challenge.
    async fn mfa_setup(&mut self, challenge: Challenge) -> Result<Reply, UserPoolError> {
        let offered = challenge.name_list("MFAS_CAN_SETUP")?;
        if !offered.is_empty() && !offered.iter().any(|m| m == "SOFTWARE_TOKEN_MFA") {
            return Err(UserPoolError::MfaSetupUnsupported {
                offered: offered.join(", "),
            });
        }
        // Before the secret exists: without someone to scan it, it would only be shown to a log.
        if !self.prompter.is_interactive() {
            return Err(UserPoolError::MfaSetupNeedsTerminal);
        }
        let session = challenge
            .session
            .clone()
            .ok_or_else(|| challenge.malformed("it has no session".to_owned()))?;
        let (secret, session) = self
            .pool
            .associate_software_token(session, &self.username)
            .await?;
        let uri = Zeroizing::new(challenge::otpauth_uri(
            OTP_ISSUER,
            &self.request.username,
            secret.expose_secret(),
        ));
        self.prompter.show_otpauth(&uri, secret.expose_secret());
        let code =
            self.next_mfa_code("Code from the authenticator app, to finish setting it up")?;
        let session = self
            .pool
            .verify_software_token(session, code, &self.username)
            .await?;
        let answers = HashMap::from([("SESSION".to_owned(), session.clone())]);
        self.pool
            .respond("MFA_SETUP", Some(session), answers, &self.username)
            .await
    }

    /// `--mfa-code` the first time, then the prompter.
    pub(super) fn next_mfa_code(&mut self, question: &str) -> Result<String, UserPoolError> {
        let code = match self.mfa_code.take() {
            Some(code) => code,
            None => self.prompter.ask(question)?,
        };
        Ok(challenge::normalize_code(&code))
    }
}

#[async_trait::async_trait]
impl UserPoolStage for CognitoUserPool {
    async fn login(
        &self,
        req: &LoginRequest,
        prompter: &dyn Prompter,
    ) -> Result<UserPoolSession, UserPoolError> {
        Login {
            pool: self,
            request: req,
            prompter,
            username: req.username.clone(),
            mfa_code: req.mfa_code.clone(),
            srp: None,
            password: None,
            signed_in_with: match self.config.auth_flow {
                AuthFlow::Custom if self.config.custom_with_srp => "custom with SRP".to_owned(),
                flow => flow.to_string(),
            },
            device_srp: None,
            device_proven: false,
        }
        .run()
        .await
    }

    async fn refresh(&self, grant: &RefreshGrant) -> Result<UserPoolSession, UserPoolError> {
        self.refresh_grant(grant).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_with(payload: &str) -> String {
        format!(
            "eyJhbGciOiJub25lIn0.{}.sig",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    /// Fails every question: the challenges under test must not ask anything.
    #[derive(Debug)]
    struct NoPrompter;

    impl Prompter for NoPrompter {
        fn ask(&self, _: &str) -> Result<String, crate::prompt::PromptError> {
            Err(crate::prompt::PromptError::Cancelled)
        }
        fn ask_secret(&self, _: &str) -> Result<SecretString, crate::prompt::PromptError> {
            Err(crate::prompt::PromptError::Cancelled)
        }
        fn choose(&self, what: &str, _: &[String]) -> Result<usize, crate::prompt::PromptError> {
            Err(crate::prompt::PromptError::NoTerminal {
                what: what.to_owned(),
                hint: "none".to_owned(),
            })
        }
        fn show(&self, _: &str) {}
        fn show_otpauth(&self, _: &str, _: &str) {
            panic!("no secret may be shown without a user to see it")
        }
        fn is_interactive(&self) -> bool {
            false
        }
    }

    fn offline_pool(auth_flow: AuthFlow) -> CognitoUserPool {
        CognitoUserPool::new(
            UserPoolConfig {
                region: "eu-west-1".to_owned(),
                user_pool_id: "eu-west-1_Pool".to_owned(),
                client_id: "client123".to_owned(),
                client_secret: None,
                auth_flow,
                preferred_challenge: None,
                custom_with_srp: false,
            },
            // Nothing listens there; these tests fail before any call.
            &crate::env::MapEnv::new().with("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            Arc::new(crate::clock::SystemClock),
        )
    }

    fn challenge(name: &str) -> Challenge {
        Challenge {
            name: name.to_owned(),
            session: Some("session".to_owned()),
            parameters: HashMap::new(),
            available: Vec::new(),
        }
    }

    #[tokio::test]
    async fn an_unsupported_challenge_is_named() {
        let pool = offline_pool(AuthFlow::Srp);
        let request = LoginRequest {
            username: "alice".to_owned(),
            password: Some(SecretString::from("pw".to_owned())),
            ..Default::default()
        };
        let mut login = Login {
            pool: &pool,
            request: &request,
            prompter: &NoPrompter,
            username: "alice".to_owned(),
            mfa_code: None,
            srp: None,
            password: None,
            signed_in_with: "srp".to_owned(),
            device_srp: None,
            device_proven: false,
        };
        let err = login
            .answer(challenge("SOMETHING_NEW"))
            .await
            .err()
            .expect("an error");
        assert!(matches!(err, UserPoolError::UnsupportedChallenge(ref n) if n == "SOMETHING_NEW"));
        assert!(err.to_string().contains("SOMETHING_NEW"));

        // A passkey is the browser's, whether asked for directly or chosen.
        let err = login
            .answer(challenge("WEB_AUTHN"))
            .await
            .err()
            .expect("an error");
        assert!(matches!(err, UserPoolError::PasskeyNeedsBrowser), "{err:?}");
        assert!(
            err.to_string().contains("passkeys need the browser"),
            "{err}"
        );
        let mut only_passkey = challenge("SELECT_CHALLENGE");
        only_passkey.available = vec!["WEB_AUTHN".to_owned()];
        let err = login.answer(only_passkey).await.err().expect("an error");
        assert!(matches!(err, UserPoolError::PasskeyNeedsBrowser), "{err:?}");

        // Several ways to sign in and nobody to choose: the error says how to choose ahead.
        let mut several = challenge("SELECT_CHALLENGE");
        several.available = vec!["PASSWORD_SRP".to_owned(), "EMAIL_OTP".to_owned()];
        let err = login.answer(several).await.err().expect("an error");
        assert!(matches!(err, UserPoolError::ChoiceNeeded { .. }), "{err:?}");
        assert!(err.to_string().contains("--preferred-challenge"), "{err}");
        assert!(err.to_string().contains("PASSWORD_SRP, EMAIL_OTP"), "{err}");

        // A password verifier in the password flow is refused rather than answered.
        let err = login
            .answer(challenge("PASSWORD_VERIFIER"))
            .await
            .err()
            .expect("an error");
        assert!(
            matches!(err, UserPoolError::MalformedChallenge { .. }),
            "{err:?}"
        );

        // MFA setup that offers only SMS cannot be done here.
        let mut sms_only = challenge("MFA_SETUP");
        sms_only
            .parameters
            .insert("MFAS_CAN_SETUP".to_owned(), r#"["SMS_MFA"]"#.to_owned());
        let err = login.answer(sms_only).await.err().expect("an error");
        assert!(
            matches!(err, UserPoolError::MfaSetupUnsupported { .. }),
            "{err:?}"
        );
        // Without a user at a terminal, setup stops before any secret is fetched (this pool is
        // offline: a call to AssociateSoftwareToken would fail differently).
        let mut totp = challenge("MFA_SETUP");
        totp.parameters.insert(
            "MFAS_CAN_SETUP".to_owned(),
            r#"["SOFTWARE_TOKEN_MFA"]"#.to_owned(),
        );
        let err = login.answer(totp).await.err().expect("an error");
        assert!(
            matches!(err, UserPoolError::MfaSetupNeedsTerminal),
            "{err:?}"
        );
    }

    #[test]
    fn claims_are_read_from_the_id_token() {
        let token = token_with(r#"{"sub":"1234","cognito:username":"alice"}"#);
        assert_eq!(claim(&token, "cognito:username").as_deref(), Some("alice"));
        let sub_only = token_with(r#"{"sub":"1234"}"#);
        assert_eq!(claim(&sub_only, "cognito:username"), None);
        assert_eq!(claim(&sub_only, "sub").as_deref(), Some("1234"));
        assert_eq!(claim("not a jwt", "sub"), None);
        assert_eq!(claim("a.!!!.c", "sub"), None);
    }
}
