//! Where the user pool domain's endpoints are: below `managed_login_url` when the profile sets
//! it, else as the pool's OpenID discovery document lists them (Cognito lists a domain's
//! endpoints there once the pool has a domain).

use serde::Deserialize;
use url::Url;

use super::ManagedLoginError;
use super::http::{Http, Request};

/// The endpoints of one user pool domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorize: Url,
    pub token: Url,
    pub revoke: Url,
    pub logout: Url,
}

/// The part of `/.well-known/openid-configuration` browser sign-in reads.
#[derive(Deserialize)]
struct Discovery {
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
}

impl Endpoints {
    /// `<base>/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke` and `/logout`.
    pub fn from_base(base: &str) -> Result<Self, ManagedLoginError> {
        let bad = |detail: String| ManagedLoginError::BadManagedLoginUrl {
            url: base.to_owned(),
            detail,
        };
        let mut root = Url::parse(base).map_err(|e| bad(e.to_string()))?;
        // A path of its own (a proxy, or the test emulator) is kept: the endpoints go below it.
        if !root.path().ends_with('/') {
            let path = format!("{}/", root.path());
            root.set_path(&path);
        }
        let join = |path: &str| root.join(path).map_err(|e| bad(e.to_string()));
        Ok(Self {
            authorize: join("oauth2/authorize")?,
            token: join("oauth2/token")?,
            revoke: join("oauth2/revoke")?,
            logout: join("logout")?,
        })
    }

    /// Reads the discovery document of the pool whose issuer is `issuer`
    /// (`https://cognito-idp.<region>.amazonaws.com/<pool id>`).
    pub(crate) async fn discover(
        http: &Http,
        issuer: &str,
        user_pool_id: &str,
    ) -> Result<Self, ManagedLoginError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let failed = |detail: String| ManagedLoginError::Discovery {
            url: url.clone(),
            detail,
        };
        let answer = http
            .send(Request {
                url: &url,
                form: None,
                authorization: None,
            })
            .await
            .map_err(|e| failed(e.to_string()))?;
        if answer.status != 200 {
            return Err(failed(format!("HTTP {}", answer.status)));
        }
        let document: Discovery = serde_json::from_slice(&answer.body)
            .map_err(|e| failed(format!("not an OpenID configuration: {e}")))?;
        let Some(authorize) = document.authorization_endpoint else {
            return Err(ManagedLoginError::NoDomain {
                user_pool_id: user_pool_id.to_owned(),
            });
        };
        let parse = |what: &str, value: &str| {
            Url::parse(value).map_err(|e| failed(format!("its {what} `{value}`: {e}")))
        };
        let authorize = parse("authorization_endpoint", &authorize)?;
        // The domain's base, for the endpoints an older document may not list.
        let base = authorize
            .as_str()
            .strip_suffix("/oauth2/authorize")
            .map(str::to_owned)
            .ok_or_else(|| {
                failed(format!(
                    "its authorization_endpoint `{authorize}` does not end in /oauth2/authorize"
                ))
            })?;
        let derived = Self::from_base(&base)?;
        let pick = |what: &str, listed: Option<String>, derived: Url| match listed {
            Some(value) => parse(what, &value),
            None => Ok(derived),
        };
        Ok(Self {
            token: pick("token_endpoint", document.token_endpoint, derived.token)?,
            revoke: pick(
                "revocation_endpoint",
                document.revocation_endpoint,
                derived.revoke,
            )?,
            logout: pick(
                "end_session_endpoint",
                document.end_session_endpoint,
                derived.logout,
            )?,
            authorize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_hang_off_the_base_with_or_without_a_path() {
        for base in [
            "https://myapp.auth.eu-west-1.amazoncognito.com",
            "https://myapp.auth.eu-west-1.amazoncognito.com/",
        ] {
            let e = Endpoints::from_base(base).unwrap();
            assert_eq!(
                e.authorize.as_str(),
                "https://myapp.auth.eu-west-1.amazoncognito.com/oauth2/authorize"
            );
            assert_eq!(
                e.logout.as_str(),
                "https://myapp.auth.eu-west-1.amazoncognito.com/logout"
            );
        }
        let e = Endpoints::from_base("http://127.0.0.1:5000/managed-login/dom").unwrap();
        assert_eq!(
            e.token.as_str(),
            "http://127.0.0.1:5000/managed-login/dom/oauth2/token"
        );
        assert_eq!(
            e.revoke.as_str(),
            "http://127.0.0.1:5000/managed-login/dom/oauth2/revoke"
        );
    }
}
