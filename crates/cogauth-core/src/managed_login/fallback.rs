//! Finishing in the browser a login the terminal cannot: the original tool opened the managed
//! login page when a challenge came up, but never brought the tokens back.

use std::sync::Arc;

use super::{ManagedLogin, ManagedLoginError};
use crate::prompt::{PromptError, Prompter};
use crate::userpool::{LoginRequest, RefreshGrant, UserPoolError, UserPoolSession, UserPoolStage};

/// A terminal [`UserPoolStage`] (SRP or password) that, when the pool asks for something the
/// terminal cannot answer (WEB_AUTHN and other unsupported challenges, MFA setup with a method
/// other than an authenticator app), offers to finish signing in in the browser. Refresh is the
/// terminal stage's.
pub struct BrowserFallback {
    terminal: Arc<dyn UserPoolStage>,
    browser: ManagedLogin,
}

impl std::fmt::Debug for BrowserFallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserFallback")
            .field("browser", &self.browser)
            .finish_non_exhaustive()
    }
}

impl BrowserFallback {
    pub fn new(terminal: Arc<dyn UserPoolStage>, browser: ManagedLogin) -> Self {
        Self { terminal, browser }
    }
}

/// What the pool asked for, when the terminal cannot answer it.
fn unanswerable(error: &UserPoolError) -> Option<String> {
    match error {
        UserPoolError::UnsupportedChallenge(name) => Some(format!("the {name} challenge")),
        UserPoolError::PasskeyNeedsBrowser => Some("a passkey (WEB_AUTHN)".to_owned()),
        UserPoolError::MfaSetupUnsupported { offered } => Some(format!("MFA setup with {offered}")),
        _ => None,
    }
}

#[async_trait::async_trait]
impl UserPoolStage for BrowserFallback {
    async fn login(
        &self,
        req: &LoginRequest,
        prompter: &dyn Prompter,
    ) -> Result<UserPoolSession, UserPoolError> {
        let error = match self.terminal.login(req, prompter).await {
            Err(error) => error,
            ok => return ok,
        };
        let Some(what) = unanswerable(&error) else {
            return Err(error);
        };
        let answer = prompter.ask(&format!(
            "The user pool asks for {what}, which cogauth cannot answer on the terminal. \
             Finish signing in in the browser? [Y/n]"
        ));
        match answer {
            Ok(a)
                if a.is_empty() || a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes") =>
            {
                tracing::debug!(%what, "finishing the login in the browser");
                Ok(self.browser.sign_in(Some(&req.username), prompter).await?)
            }
            Ok(_) => Err(error),
            // No terminal to ask on: say how to get there.
            Err(PromptError::NoTerminal { .. }) => {
                Err(ManagedLoginError::NeedsBrowser { what }.into())
            }
            Err(other) => Err(other.into()),
        }
    }

    async fn refresh(&self, grant: &RefreshGrant) -> Result<UserPoolSession, UserPoolError> {
        self.terminal.refresh(grant).await
    }
}
