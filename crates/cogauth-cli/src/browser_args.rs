//! The browser sign-in settings, as flags of `configure` (saved in the profile) and of `login`
//! (for one login).

use clap::Args;
use cogauth_core::config::ProfileConfig;

#[derive(Args, Debug, Clone, Default)]
pub struct BrowserArgs {
    // The help is an attribute, not a doc comment: rustdoc refuses bare URLs in docs.
    #[arg(
        long,
        value_name = "URL",
        help = "Base URL of the user pool's domain, for browser sign-in, e.g. https://myapp.auth.eu-west-1.amazoncognito.com (default: from the pool's OpenID configuration)."
    )]
    pub managed_login_url: Option<String>,
    #[arg(
        long,
        value_name = "URL",
        help = "Browser sign-in's callback, exactly as registered on the app client (default: http://localhost:28435/callback)."
    )]
    pub redirect_uri: Option<String>,
    /// Browser sign-in goes straight to this identity provider of the pool (e.g. Google, or your SAML/OIDC provider's name).
    #[arg(long, value_name = "NAME")]
    pub identity_provider: Option<String>,
    /// OAuth scopes for browser sign-in, separated by spaces (default: "openid email profile aws.cognito.signin.user.admin").
    #[arg(long, value_name = "SCOPES")]
    pub oauth_scopes: Option<String>,
}

impl BrowserArgs {
    /// Sets the given flags in `values`.
    pub fn apply(&self, values: &mut ProfileConfig) {
        let set = |slot: &mut Option<String>, v: &Option<String>| {
            if v.is_some() {
                slot.clone_from(v);
            }
        };
        set(&mut values.managed_login_url, &self.managed_login_url);
        set(&mut values.redirect_uri, &self.redirect_uri);
        set(&mut values.identity_provider, &self.identity_provider);
        set(&mut values.oauth_scopes, &self.oauth_scopes);
    }

    pub fn any(&self) -> bool {
        self.managed_login_url.is_some()
            || self.redirect_uri.is_some()
            || self.identity_provider.is_some()
            || self.oauth_scopes.is_some()
    }
}
