//! Whether browser sign-in would get past the managed login's first step, asked without
//! signing in: one authorization request, exactly as a login sends it, whose first answer
//! (never followed) says it. A sign-in page, or a redirect to it or to the identity provider,
//! means the domain answers and accepts the client, the callback, the flow and the scopes;
//! Cognito's error page or an `error=` redirect names what it refuses. `cogauth doctor` runs it.

use url::Url;

use super::http::Request;
use super::request::{AuthorizationRequest, Parameters};
use super::{ManagedLogin, ManagedLoginError};

/// What the authorization request got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The sign-in page (or the identity provider) comes next.
    Accepted,
    /// Refused with an OAuth error (`redirect_mismatch`, `invalid_scope`, `unauthorized_client`,
    /// ...), on Cognito's error page or at the callback.
    Refused { error: String, description: String },
    /// An answer that is neither.
    Unexpected {
        status: u16,
        location: Option<String>,
    },
}

impl ManagedLogin {
    /// Sends the authorization request of a sign-in and reads its first answer. `Err` when the
    /// endpoints cannot be found (no domain) or the domain does not answer.
    pub async fn probe(&self) -> Result<Probe, ManagedLoginError> {
        let endpoints = self.endpoints().await?;
        let request = AuthorizationRequest::new(
            &endpoints.authorize,
            &Parameters {
                client_id: &self.config.client_id,
                redirect_uri: &self.config.redirect_uri,
                scopes: &self.config.scopes,
                identity_provider: self.config.identity_provider.as_deref(),
                login_hint: None,
            },
        );
        let answer = self
            .http
            .send(Request {
                url: request.url.as_str(),
                form: None,
                authorization: None,
            })
            .await
            .map_err(|e| ManagedLoginError::Unreachable {
                url: endpoints.authorize.to_string(),
                detail: e.to_string(),
            })?;
        Ok(judge(
            answer.status,
            answer.location.as_deref(),
            &endpoints.authorize,
            &self.config.redirect_uri,
        ))
    }
}

/// The verdict on the first answer of an authorization request.
fn judge(status: u16, location: Option<&str>, authorize: &Url, redirect_uri: &str) -> Probe {
    let unexpected = || Probe::Unexpected {
        status,
        location: location.map(str::to_owned),
    };
    match (status, location) {
        (200, _) => Probe::Accepted,
        (300..=399, Some(location)) => {
            let Ok(target) = authorize.join(location) else {
                return unexpected();
            };
            let error = target
                .query_pairs()
                .find(|(k, _)| k == "error")
                .map(|(_, v)| v.into_owned());
            let description = target
                .query_pairs()
                .find(|(k, _)| k == "error_description")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let at_callback = target.as_str().starts_with(redirect_uri);
            let error_page = target.path().ends_with("/error");
            match error {
                Some(error) if at_callback || error_page => Probe::Refused { error, description },
                _ if error_page => Probe::Refused {
                    error: "error".to_owned(),
                    description,
                },
                _ => Probe::Accepted,
            }
        }
        _ => unexpected(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_answer_says_what_the_managed_login_thinks() {
        let authorize =
            Url::parse("https://d.auth.us-east-1.amazoncognito.com/oauth2/authorize").unwrap();
        let callback = "http://localhost:28435/callback";
        let judged = |status, location: Option<&str>| judge(status, location, &authorize, callback);
        assert_eq!(judged(200, None), Probe::Accepted);
        assert_eq!(judged(302, Some("/login?client_id=c")), Probe::Accepted);
        assert_eq!(
            judged(302, Some("https://accounts.google.com/o/oauth2/auth?x=1")),
            Probe::Accepted
        );
        assert_eq!(
            judged(302, Some("/error?error=redirect_mismatch&client_id=c")),
            Probe::Refused {
                error: "redirect_mismatch".into(),
                description: String::new()
            }
        );
        assert_eq!(
            judged(
                302,
                Some(
                    "http://localhost:28435/callback?error=unauthorized_client&error_description=no+code&state=s"
                )
            ),
            Probe::Refused {
                error: "unauthorized_client".into(),
                description: "no code".into()
            }
        );
        assert!(matches!(
            judged(500, None),
            Probe::Unexpected { status: 500, .. }
        ));
    }
}
