//! The roles a user may take, from their ID token.
//!
//! Cognito builds `cognito:roles` (the role ARNs of the user's groups) and
//! `cognito:preferred_role` (the role of the group with the best precedence, when one decides)
//! into every ID token. An identity pool with token-based role mapping then issues credentials
//! for the role named in `CustomRoleArn`, if it is one of them, else for the preferred role.
//!
//! This module reads those claims and checks a requested role against them, so that a role the
//! user may not take is refused with the list of those they may, before the identity pool is
//! asked. The token is not verified here: it comes straight from Cognito over TLS, and the
//! identity pool verifies it before it trusts a claim. A token that cannot be read (not a JWT)
//! names no roles.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config::ids;

/// The role claims of one ID token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRoles {
    /// `cognito:roles`, in the token's order (AWS documents none), without repeats.
    pub roles: Vec<String>,
    /// `cognito:preferred_role`, when Cognito put one in.
    pub preferred: Option<String>,
}

/// Why a requested role cannot be taken. Each names the role and what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoleError {
    #[error("`{0}` is neither a role ARN (arn:aws:iam::<account>:role/<name>) nor a role name")]
    Malformed(String),
    #[error(
        "role `{requested}` is not one of your roles; choose one of: {allowed} (they come from your user-pool groups; `cogauth roles` lists them)"
    )]
    NotYours { requested: String, allowed: String },
    #[error(
        "role name `{requested}` matches several of your roles ({matches}): give the ARN of the one you want"
    )]
    Ambiguous { requested: String, matches: String },
    #[error(
        "role `{requested}` cannot be found by name: your ID token names no roles (none of your user-pool groups has one); give the role's ARN, or ask your administrator to give your group a role"
    )]
    NoRolesInToken { requested: String },
}

#[derive(Deserialize)]
struct Claims {
    #[serde(rename = "cognito:roles", default)]
    roles: Option<RolesClaim>,
    #[serde(rename = "cognito:preferred_role", default)]
    preferred: Option<String>,
}

/// Tokens carry an array; the developer guide calls it "a comma-separated string".
#[derive(Deserialize)]
#[serde(untagged)]
enum RolesClaim {
    List(Vec<String>),
    Text(String),
}

impl TokenRoles {
    /// The role claims of `id_token`; none when it cannot be read.
    pub fn from_id_token(id_token: &SecretString) -> Self {
        let Some(claims) = decode_claims::<Claims>(id_token.expose_secret()) else {
            return Self::default();
        };
        let listed = match claims.roles {
            Some(RolesClaim::List(list)) => list,
            Some(RolesClaim::Text(text)) => text.split(',').map(|r| r.trim().to_owned()).collect(),
            None => Vec::new(),
        };
        let mut roles: Vec<String> = Vec::new();
        for role in listed {
            if !role.is_empty() && !roles.contains(&role) {
                roles.push(role);
            }
        }
        Self {
            roles,
            preferred: claims.preferred.filter(|p| !p.is_empty()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }

    /// The roles with the preferred one first: the order a picker shows them in.
    pub fn ordered(&self) -> Vec<&str> {
        let preferred = self
            .preferred
            .as_deref()
            .filter(|p| self.roles.iter().any(|r| r == p));
        preferred
            .into_iter()
            .chain(
                self.roles
                    .iter()
                    .map(String::as_str)
                    .filter(|r| Some(*r) != preferred),
            )
            .collect()
    }

    /// The role `requested` (an ARN, or the name of one of the token's roles) stands for.
    ///
    /// When the token names roles, the answer is one of them, or an error that lists them.
    /// When it names none (the user's groups have no roles), an ARN is taken as it is: the
    /// identity pool or STS decides, as for any `role_arn`; a bare name cannot be resolved.
    pub fn select(&self, requested: &str) -> Result<String, RoleError> {
        let requested = requested.trim();
        let is_arn = ids::is_role_arn(requested);
        if !is_arn && !is_role_name(requested) {
            return Err(RoleError::Malformed(requested.to_owned()));
        }
        if self.roles.is_empty() {
            return match is_arn {
                true => Ok(requested.to_owned()),
                false => Err(RoleError::NoRolesInToken {
                    requested: requested.to_owned(),
                }),
            };
        }
        if is_arn {
            if self.roles.iter().any(|r| r == requested) {
                return Ok(requested.to_owned());
            }
            return Err(self.not_yours(requested));
        }
        // IAM role names are unique without regard to case.
        let matches: Vec<&String> = self
            .roles
            .iter()
            .filter(|r| role_name(r).eq_ignore_ascii_case(requested))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(self.not_yours(requested)),
            many => Err(RoleError::Ambiguous {
                requested: requested.to_owned(),
                matches: many
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    fn not_yours(&self, requested: &str) -> RoleError {
        RoleError::NotYours {
            requested: requested.to_owned(),
            allowed: self.ordered().join(", "),
        }
    }
}

/// The name of a role ARN: what follows the last `/` (`arn:aws:iam::1:role/path/Name` -> `Name`).
pub fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// IAM role names: 1 to 64 of letters, digits and `+=,.@_-`.
pub fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// The payload of a JWT, decoded without verification (see the module documentation).
pub(crate) fn decode_claims<T: serde::de::DeserializeOwned>(jwt: &str) -> Option<T> {
    let mut parts = jwt.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let bytes =
        zeroize::Zeroizing::new(URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?);
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = "arn:aws:iam::123456789012:role/Admin";
    const DEV: &str = "arn:aws:iam::123456789012:role/team/Dev";
    const READ: &str = "arn:aws:iam::123456789012:role/ReadOnly";

    fn token(claims: serde_json::Value) -> SecretString {
        let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        SecretString::from(format!(
            "{}.{}.c2ln",
            part(&serde_json::json!({"alg": "RS256"})),
            part(&claims)
        ))
    }

    fn three() -> TokenRoles {
        TokenRoles::from_id_token(&token(serde_json::json!({
            "cognito:roles": [DEV, ADMIN, READ, DEV],
            "cognito:preferred_role": ADMIN,
        })))
    }

    #[test]
    fn claims_are_read_and_the_preferred_role_comes_first() {
        let roles = three();
        assert_eq!(
            roles.roles,
            [DEV, ADMIN, READ],
            "repeats dropped, order kept"
        );
        assert_eq!(roles.preferred.as_deref(), Some(ADMIN));
        assert_eq!(roles.ordered(), [ADMIN, DEV, READ]);

        let text = TokenRoles::from_id_token(&token(serde_json::json!({
            "cognito:roles": format!("{DEV}, {READ}"),
        })));
        assert_eq!(text.roles, [DEV, READ]);
        assert_eq!(
            text.ordered(),
            [DEV, READ],
            "no preferred role: token order"
        );

        for unreadable in ["not-a-jwt", "a.b.c", "a.!!!.c", ""] {
            let roles = TokenRoles::from_id_token(&SecretString::from(unreadable));
            assert!(roles.is_empty(), "{unreadable}");
        }
    }

    #[test]
    fn a_role_is_chosen_by_arn_or_by_name() {
        let roles = three();
        assert_eq!(roles.select(DEV).unwrap(), DEV);
        assert_eq!(roles.select("Dev").unwrap(), DEV, "name below a path");
        assert_eq!(roles.select("readonly").unwrap(), READ, "names ignore case");
        assert_eq!(roles.select(" Admin ").unwrap(), ADMIN);
    }

    #[test]
    fn a_role_that_is_not_in_the_token_is_refused_with_the_list() {
        let roles = three();
        let other = "arn:aws:iam::123456789012:role/Other";
        let err = roles.select(other).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "role `{other}` is not one of your roles; choose one of: {ADMIN}, {DEV}, {READ} (they come from your user-pool groups; `cogauth roles` lists them)"
            )
        );
        assert!(matches!(
            roles.select("Nope"),
            Err(RoleError::NotYours { .. })
        ));
        assert!(matches!(roles.select("a b"), Err(RoleError::Malformed(_))));
        assert!(matches!(
            roles.select("arn:aws:iam::1:role/x"),
            Err(RoleError::Malformed(_))
        ));
    }

    #[test]
    fn the_same_name_in_two_accounts_needs_the_arn() {
        let roles = TokenRoles::from_id_token(&token(serde_json::json!({
            "cognito:roles": [ADMIN, "arn:aws:iam::210987654321:role/Admin"],
        })));
        assert!(matches!(
            roles.select("Admin"),
            Err(RoleError::Ambiguous { .. })
        ));
        assert_eq!(roles.select(ADMIN).unwrap(), ADMIN);
    }

    #[test]
    fn without_roles_in_the_token_only_an_arn_passes() {
        let none = TokenRoles::default();
        assert_eq!(none.select(ADMIN).unwrap(), ADMIN);
        assert!(matches!(
            none.select("Admin"),
            Err(RoleError::NoRolesInToken { .. })
        ));
    }

    #[test]
    fn names_and_arns() {
        assert_eq!(role_name(DEV), "Dev");
        assert!(is_role_name("my-role_1+=,.@"));
        assert!(!is_role_name(""));
        assert!(!is_role_name(&"x".repeat(65)));
        assert!(!is_role_name("a/b"));
    }
}
