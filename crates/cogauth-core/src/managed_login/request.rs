//! One authorization request (RFC 6749 §4.1 with PKCE, RFC 7636) and the check of what comes
//! back from it.
//!
//! Every login draws a fresh `state` (the callback must carry it back: anything else is a
//! forged or stale redirect), a fresh PKCE verifier (only its S256 hash leaves the machine
//! before the code does, so an intercepted code is useless) and a fresh OIDC `nonce` (the ID
//! token must carry it: it was issued for this sign-in).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;
use zeroize::Zeroizing;

use super::ManagedLoginError;

/// What the app sends to `/oauth2/authorize`.
#[derive(Debug, Clone)]
pub(crate) struct Parameters<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a str,
    pub identity_provider: Option<&'a str>,
    /// Prefills the username on the sign-in page (`-u`).
    pub login_hint: Option<&'a str>,
}

/// A started authorization request.
pub(crate) struct AuthorizationRequest {
    /// The URL the browser opens.
    pub url: Url,
    pub state: String,
    pub nonce: String,
    verifier: SecretString,
}

impl std::fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &self.url.as_str())
            .field("verifier", &"** redacted **")
            .finish_non_exhaustive()
    }
}

/// `bytes` random bytes from the operating system, base64url without padding.
fn random_token(bytes: usize) -> Zeroizing<String> {
    let mut raw = Zeroizing::new(vec![0u8; bytes]);
    rand::rngs::OsRng.fill_bytes(&mut raw);
    Zeroizing::new(URL_SAFE_NO_PAD.encode(&*raw))
}

/// The S256 code challenge of a verifier: base64url(SHA-256(verifier)).
pub(crate) fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl AuthorizationRequest {
    pub fn new(authorize: &Url, p: &Parameters<'_>) -> Self {
        // 32 bytes: a 43-character verifier, the shortest RFC 7636 allows, with 256 bits.
        let verifier = SecretString::from(random_token(32).as_str());
        let state = random_token(24).to_string();
        let nonce = random_token(24).to_string();
        let mut url = authorize.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", p.client_id)
                .append_pair("redirect_uri", p.redirect_uri)
                .append_pair("scope", p.scopes)
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", &s256_challenge(verifier.expose_secret()))
                .append_pair("code_challenge_method", "S256");
            if let Some(idp) = p.identity_provider {
                q.append_pair("identity_provider", idp);
            }
            if let Some(hint) = p.login_hint.filter(|h| !h.trim().is_empty()) {
                q.append_pair("login_hint", hint.trim());
            }
        }
        Self {
            url,
            state,
            nonce,
            verifier,
        }
    }

    pub fn verifier(&self) -> &SecretString {
        &self.verifier
    }

    /// The code of a callback's query (`code=...&state=...`, or `error=...&state=...`).
    pub fn code_from_query(&self, query: &str) -> Result<SecretString, ManagedLoginError> {
        let mut state = None;
        let mut code = None;
        let mut error = None;
        let mut description = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "state" => state = Some(value.into_owned()),
                "code" => code = Some(SecretString::from(value.as_ref())),
                "error" => error = Some(value.into_owned()),
                "error_description" => description = Some(value.into_owned()),
                _ => {}
            }
        }
        // The state first: an error that does not carry it is not this sign-in's either.
        if state.as_deref() != Some(self.state.as_str()) {
            return Err(ManagedLoginError::StateMismatch {
                missing: state.is_none(),
            });
        }
        if let Some(error) = error {
            return Err(ManagedLoginError::Authorization {
                error,
                description: description.unwrap_or_default(),
            });
        }
        code.filter(|c| !c.expose_secret().is_empty())
            .ok_or(ManagedLoginError::NoCode)
    }

    /// The code of the URL the user pasted (`--no-browser`): the redirect URI with its query.
    pub fn code_from_pasted(
        &self,
        pasted: &str,
        redirect_uri: &Url,
    ) -> Result<SecretString, ManagedLoginError> {
        let pasted = Zeroizing::new(
            pasted
                .trim()
                .trim_matches(|c| matches!(c, '"' | '\'' | '<' | '>'))
                .to_owned(),
        );
        let wrong = |reason: &str| ManagedLoginError::PastedUrl {
            reason: reason.to_owned(),
            redirect_uri: redirect_uri.to_string(),
        };
        if pasted.is_empty() {
            return Err(wrong("nothing was pasted"));
        }
        let url = Url::parse(&pasted).map_err(|_| wrong("it is not a URL"))?;
        let same_endpoint = url.scheme() == redirect_uri.scheme()
            && url.host() == redirect_uri.host()
            && url.port_or_known_default() == redirect_uri.port_or_known_default()
            && url.path() == redirect_uri.path();
        if !same_endpoint {
            return Err(wrong("it does not start with the redirect URI"));
        }
        let query = Zeroizing::new(url.query().unwrap_or_default().to_owned());
        if query.is_empty() {
            return Err(wrong("it has no query (`?code=...&state=...`)"));
        }
        self.code_from_query(&query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AuthorizationRequest {
        AuthorizationRequest::new(
            &Url::parse("https://d.auth.eu-west-1.amazoncognito.com/oauth2/authorize").unwrap(),
            &Parameters {
                client_id: "client123",
                redirect_uri: "http://localhost:28435/callback",
                scopes: "openid email",
                identity_provider: Some("Google"),
                login_hint: Some("alice@example.com"),
            },
        )
    }

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn every_request_is_fresh_and_complete() {
        let (a, b) = (request(), request());
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.verifier.expose_secret(), b.verifier.expose_secret());
        assert_eq!(a.verifier.expose_secret().len(), 43);
        let q: std::collections::HashMap<String, String> =
            a.url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "client123");
        assert_eq!(q["redirect_uri"], "http://localhost:28435/callback");
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["state"], a.state);
        assert_eq!(q["nonce"], a.nonce);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["code_challenge"],
            s256_challenge(a.verifier.expose_secret())
        );
        assert_eq!(q["identity_provider"], "Google");
        assert_eq!(q["login_hint"], "alice@example.com");
        assert!(!a.url.as_str().contains(a.verifier.expose_secret()));
        assert!(!format!("{a:?}").contains(a.verifier.expose_secret()));
    }

    #[test]
    fn the_callback_must_carry_this_state() {
        let r = request();
        let ok = format!("code=abc&state={}", r.state);
        assert_eq!(r.code_from_query(&ok).unwrap().expose_secret(), "abc");
        for forged in ["code=abc", "code=abc&state=other", "error=access_denied"] {
            let err = r.code_from_query(forged).unwrap_err();
            assert!(
                matches!(err, ManagedLoginError::StateMismatch { .. }),
                "{forged}: {err}"
            );
        }
        let denied = format!(
            "error=access_denied&error_description=User+cancelled&state={}",
            r.state
        );
        let err = r.code_from_query(&denied).unwrap_err();
        assert!(
            matches!(&err, ManagedLoginError::Authorization { error, description }
                if error == "access_denied" && description == "User cancelled"),
            "{err}"
        );
        let err = r
            .code_from_query(&format!("state={}", r.state))
            .unwrap_err();
        assert!(matches!(err, ManagedLoginError::NoCode), "{err}");
    }

    #[test]
    fn a_pasted_url_must_be_the_redirect_uri() {
        let r = request();
        let redirect = Url::parse("http://localhost:28435/callback").unwrap();
        let pasted = format!(
            "  'http://localhost:28435/callback?code=xyz&state={}'\n",
            r.state
        );
        assert_eq!(
            r.code_from_pasted(&pasted, &redirect)
                .unwrap()
                .expose_secret(),
            "xyz"
        );
        for bad in [
            "",
            "code=xyz",
            "http://localhost:28435/other?code=xyz",
            "http://localhost:9999/callback?code=xyz",
            "http://localhost:28435/callback",
        ] {
            let err = r.code_from_pasted(bad, &redirect).unwrap_err();
            assert!(
                matches!(err, ManagedLoginError::PastedUrl { .. }),
                "{bad}: {err}"
            );
        }
    }
}
