//! Validation of Cognito and IAM identifiers, so a typo is caught with a clear message before
//! any request leaves the machine.

// The ids themselves (user pool, app client, identity pool, role ARN, profile name, region)
// are `cogauth-ids`'s, which the credential proxy uses too: one set of rules for both.
pub use cogauth_ids::{
    ClientId, IdError, IdKind, IdentityPoolId, ProfileName, RoleArn, UserPoolId, is_region,
    region_of_identity_pool, region_of_user_pool,
};

/// `<region>_<alphanumerics>`, e.g. `us-east-1_AbC123`.
pub fn is_user_pool_id(s: &str) -> bool {
    UserPoolId::is_valid(s)
}

/// `<region>:<uuid>`, e.g. `us-east-1:8f1c...`.
pub fn is_identity_pool_id(s: &str) -> bool {
    IdentityPoolId::is_valid(s)
}

/// App client ids are 1 to 128 word characters or `+`.
pub fn is_client_id(s: &str) -> bool {
    ClientId::is_valid(s)
}

/// `arn:<partition>:iam::<12 digits>:role/<path/name>`.
pub fn is_role_arn(s: &str) -> bool {
    RoleArn::is_valid(s)
}

/// The base URL of a user pool domain: `https://<prefix>.auth.<region>.amazoncognito.com` or a
/// custom domain, with no query or fragment. Plain http only for a loopback host (a local test
/// server): codes and client secrets never cross a network unencrypted.
pub fn is_managed_login_url(s: &str) -> bool {
    let Ok(url) = url::Url::parse(s) else {
        return false;
    };
    let plain_ok = url.scheme() == "http" && is_loopback_host(&url);
    (url.scheme() == "https" || plain_ok)
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
}

/// An OAuth `redirect_uri`: an http(s) URL with a host and no fragment (RFC 6749 §3.1.2). A
/// loopback one is listened on; any other works only with `--no-browser`.
pub fn is_redirect_uri(s: &str) -> bool {
    let Ok(url) = url::Url::parse(s) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
}

/// `localhost`, `127.0.0.1` (any of 127.0.0.0/8) or `[::1]`.
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A user pool identity provider name (`COGNITO`, `Google`, `CorpSAML`): 1 to 32 characters,
/// no spaces or control characters (Cognito's ProviderName).
pub fn is_identity_provider(s: &str) -> bool {
    (1..=32).contains(&s.chars().count())
        && s.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// OAuth scopes separated by spaces, each an RFC 6749 scope-token (printable ASCII but `"`,
/// `\` and space): `openid email aws.cognito.signin.user.admin`, `https://api.example.com/read`.
pub fn is_oauth_scopes(s: &str) -> bool {
    let mut tokens = s.split(' ').filter(|t| !t.is_empty()).peekable();
    tokens.peek().is_some()
        && tokens.all(|t| {
            t.bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_shapes() {
        assert!(is_user_pool_id("us-east-1_ABCdef123"));
        assert!(is_user_pool_id("us-gov-west-1_x1"));
        assert!(is_identity_pool_id(
            "eu-west-2:8f1c2a3b-1234-4abc-9def-0123456789ab"
        ));
        assert!(is_client_id("1example23456789"));
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/service/Cognito_Auth"
        ));
        assert_eq!(
            region_of_user_pool("ap-southeast-2_Zz9"),
            Some("ap-southeast-2")
        );
        assert_eq!(
            region_of_identity_pool("eu-west-2:8f1c2a3b-1234-4abc-9def-0123456789ab"),
            Some("eu-west-2")
        );
    }

    #[test]
    fn rejects_typos() {
        for bad in [
            "",
            "us-east-1",
            "us-east-1_",
            "useast1_abc",
            "us-east-1_ab-c",
            "US-EAST-1_abc",
        ] {
            assert!(!is_user_pool_id(bad), "{bad}");
        }
        for bad in [
            "us-east-1:",
            "us-east-1:not-a-uuid",
            "8f1c2a3b-1234-4abc-9def-0123456789ab",
        ] {
            assert!(!is_identity_pool_id(bad), "{bad}");
        }
        for bad in [
            "arn:aws:iam::12:role/x",
            "arn:aws:iam::123456789012:user/x",
            "role/x",
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
        assert!(!is_client_id("has space"));
    }

    #[test]
    fn managed_login_urls_and_redirect_uris() {
        for good in [
            "https://myapp.auth.eu-west-1.amazoncognito.com",
            "https://login.example.com/",
            "http://127.0.0.1:5000/managed-login/dom",
            "http://localhost:8000",
        ] {
            assert!(is_managed_login_url(good), "{good}");
        }
        for bad in [
            "myapp.auth.eu-west-1.amazoncognito.com",
            "http://login.example.com",
            "https://login.example.com/?x=1",
            "https://user:pw@login.example.com",
            "ftp://localhost",
            "",
        ] {
            assert!(!is_managed_login_url(bad), "{bad}");
        }
        for good in [
            "http://localhost:28435/callback",
            "http://127.0.0.1:9000/",
            "https://app.example.com/oauth/callback",
        ] {
            assert!(is_redirect_uri(good), "{good}");
        }
        for bad in [
            "localhost:28435/callback",
            "http://localhost/cb#frag",
            "myapp://cb",
        ] {
            assert!(!is_redirect_uri(bad), "{bad}");
        }
    }

    #[test]
    fn providers_and_scopes() {
        assert!(is_identity_provider("Google"));
        assert!(is_identity_provider("COGNITO"));
        assert!(!is_identity_provider(""));
        assert!(!is_identity_provider("Corp SSO"));
        assert!(!is_identity_provider(&"x".repeat(33)));
        assert!(is_oauth_scopes(
            "openid email  profile aws.cognito.signin.user.admin"
        ));
        assert!(is_oauth_scopes("https://api.example.com/read"));
        assert!(!is_oauth_scopes(""));
        assert!(!is_oauth_scopes("   "));
        assert!(!is_oauth_scopes("openid \"email\""));
    }
}
