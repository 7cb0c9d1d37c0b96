//! Typed Cognito and IAM identifiers, validated once where they enter the program.
//!
//! Each type holds a string that has passed its check, so code that takes a [`UserPoolId`]
//! never checks it again, and the credential proxy and the CLIs accept exactly the same ids
//! (they used to keep two copies of these rules, which drifted: the proxy refused client ids
//! with `_` or `+`). The rules follow the AWS API references' patterns, where there is one:
//!
//! | id | pattern | reference |
//! |---|---|---|
//! | [`UserPoolId`] | `[\w-]+_[0-9a-zA-Z]+`, the part before `_` a region | Cognito `UserPoolIdType` |
//! | [`ClientId`] | `[\w+]+`, 1 to 128 characters | Cognito `ClientIdType` |
//! | [`IdentityPoolId`] | `[\w-]+:[0-9a-f-]+`, a region and a UUID | Cognito Identity `IdentityPoolId` |
//! | [`RoleArn`] | `arn:aws*:iam::<12 digits>:role/<path><name>`, name `[\w+=,.@-]{1,64}` | IAM `roleNameType`, `pathType` |
//! | [`ProfileName`] | `[A-Za-z0-9._-]{1,64}`, not starting with `.` | cogauth's own: it names INI sections and files |
//!
//! No dependencies (see `Cargo.toml`).

#![forbid(unsafe_code)]

use std::fmt;
use std::str::FromStr;

/// What kind of id a value failed to be; its [`fmt::Display`] names the thing and the expected
/// form, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Region,
    UserPoolId,
    ClientId,
    IdentityPoolId,
    RoleArn,
    ProfileName,
}

impl IdKind {
    /// The expected form, with an example.
    pub const fn expected(self) -> &'static str {
        match self {
            Self::Region => "a region such as us-east-1",
            Self::UserPoolId => "<region>_<letters and digits>, such as us-east-1_AbC123",
            Self::ClientId => "1 to 128 letters, digits, `_` or `+`, such as 1example23456789",
            Self::IdentityPoolId => {
                "<region>:<uuid>, such as us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab"
            }
            Self::RoleArn => {
                "arn:aws:iam::<12-digit account>:role/<name>, such as \
                 arn:aws:iam::123456789012:role/Developers"
            }
            Self::ProfileName => {
                "1 to 64 letters, digits, `-`, `_` or `.`, not starting with `.`, such as work"
            }
        }
    }
}

impl IdKind {
    /// What the id is called in messages: `user pool id`, `app client id`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Self::Region => "region",
            Self::UserPoolId => "user pool id",
            Self::ClientId => "app client id",
            Self::IdentityPoolId => "identity pool id",
            Self::RoleArn => "role ARN",
            Self::ProfileName => "profile name",
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value that is not a valid id of its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    pub kind: IdKind,
    /// The value as given, shortened to 100 characters for messages.
    pub value: String,
}

impl IdError {
    fn new(kind: IdKind, value: &str) -> Self {
        // A pasted blob (a token, a whole file) should not flood the message.
        let value = match value.char_indices().nth(100) {
            Some((end, _)) => format!("{}...", &value[..end]),
            None => value.to_owned(),
        };
        Self { kind, value }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a valid {}: expected {}",
            self.value.escape_debug(),
            self.kind,
            self.kind.expected()
        )
    }
}

impl std::error::Error for IdError {}

/// `us-east-1`, `eu-west-2`, `us-gov-west-1`, `ap-southeast-3`, ...: at least three dash-separated
/// parts of lower-case letters and digits, two letters first, digits last.
pub fn is_region(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() >= 2
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && rest
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn check_user_pool_id(s: &str) -> bool {
    s.split_once('_').is_some_and(|(region, rest)| {
        is_region(region) && !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

fn check_client_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+')
}

fn check_identity_pool_id(s: &str) -> bool {
    s.split_once(':')
        .is_some_and(|(region, uuid)| is_region(region) && is_uuid(uuid))
}

/// The parts of a role ARN: (partition, account, path with slashes, name).
fn role_arn_parts(s: &str) -> Option<(&str, &str, &str, &str)> {
    let mut fields = s.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    let path_and_name = resource.strip_prefix("role/")?;
    let (path, name) = match path_and_name.rsplit_once('/') {
        Some((path, name)) => (path, name),
        None => ("", path_and_name),
    };
    let iam_name_byte = |b: u8| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b);
    let ok = partition.starts_with("aws")
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (1..=64).contains(&name.len())
        && name.bytes().all(iam_name_byte)
        && path.len() <= 510
        && path.bytes().all(|b| b == b'/' || iam_name_byte(b));
    ok.then_some((partition, account, path, name))
}

fn check_profile_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !s.starts_with('.')
}

/// Defines a validated string newtype: `parse`, `as_str`, `Display`, `FromStr`,
/// `TryFrom<String>`, `AsRef<str>`, comparison with `str`, and `into_string`.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The id, when `s` is one (no trimming: a stray space is an error, not a guess).
            pub fn parse(s: &str) -> Result<Self, IdError> {
                if $check(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError::new($kind, s))
                }
            }
            /// Whether `s` is a valid id of this kind.
            pub fn is_valid(s: &str) -> bool {
                $check(s)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                if $check(&s) {
                    Ok(Self(s))
                } else {
                    Err(IdError::new($kind, &s))
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// A Cognito user pool id, `us-east-1_AbC123`; its prefix is the pool's region.
    UserPoolId,
    IdKind::UserPoolId,
    check_user_pool_id
);
id_type!(
    /// A user pool app client id.
    ClientId,
    IdKind::ClientId,
    check_client_id
);
id_type!(
    /// A Cognito identity pool id, `us-east-1:<uuid>`; its prefix is the pool's region.
    IdentityPoolId,
    IdKind::IdentityPoolId,
    check_identity_pool_id
);
id_type!(
    /// An IAM role ARN, in any AWS partition.
    RoleArn,
    IdKind::RoleArn,
    |s: &str| role_arn_parts(s).is_some()
);
id_type!(
    /// A cogauth profile name: it names sections of the AWS files and files of the session
    /// store, so it is kept plain.
    ProfileName,
    IdKind::ProfileName,
    check_profile_name
);

impl UserPoolId {
    /// The pool's region, `us-east-1` for `us-east-1_AbC123`.
    pub fn region(&self) -> &str {
        self.0.split_once('_').map_or("", |(region, _)| region)
    }
    /// The OpenID issuer of the pool's tokens on AWS (`iss` of its ID and access tokens).
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region(),
            self.0
        )
    }
}

impl IdentityPoolId {
    /// The pool's region, `us-east-1` for `us-east-1:8f1c...`.
    pub fn region(&self) -> &str {
        self.0.split_once(':').map_or("", |(region, _)| region)
    }
}

impl RoleArn {
    fn parts(&self) -> (&str, &str, &str, &str) {
        role_arn_parts(&self.0).expect("checked when parsed")
    }
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub fn partition(&self) -> &str {
        self.parts().0
    }
    /// The 12-digit account id.
    pub fn account(&self) -> &str {
        self.parts().1
    }
    /// The role's name, without its path.
    pub fn name(&self) -> &str {
        self.parts().3
    }
}

/// The region prefix of a user pool id, when it is one.
pub fn region_of_user_pool(user_pool_id: &str) -> Option<&str> {
    check_user_pool_id(user_pool_id)
        .then(|| user_pool_id.split_once('_').map(|(region, _)| region))
        .flatten()
}

/// The region prefix of an identity pool id, when it is one.
pub fn region_of_identity_pool(identity_pool_id: &str) -> Option<&str> {
    check_identity_pool_id(identity_pool_id)
        .then(|| identity_pool_id.split_once(':').map(|(region, _)| region))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-west-2",
            "us-gov-west-1",
            "ap-southeast-3",
            "cn-north-1",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-east-1",
            "us-east-x",
            "us--1",
            "use-east-1",
            "us-east-1 ",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn user_pool_ids_carry_their_region() {
        let id = UserPoolId::parse("eu-west-1_AbC123").unwrap();
        assert_eq!(id.region(), "eu-west-1");
        assert_eq!(
            id.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(id, "eu-west-1_AbC123");
        for bad in [
            "",
            "eu-west-1",
            "eu-west-1_",
            "eu-west-1_a-b",
            "nowhere_abc",
            "_abc",
            "eu-west-1_abc\n",
        ] {
            assert!(UserPoolId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(region_of_user_pool("us-east-1_x"), Some("us-east-1"));
        assert_eq!(region_of_user_pool("us-east-1_"), None);
    }

    /// The proxy used to refuse these (its copy of the rule had drifted from the CLI's).
    #[test]
    fn client_ids_follow_cognitos_pattern_including_underscore_and_plus() {
        for ok in ["1example23456789", "abc_def", "a+b", &"x".repeat(128)] {
            assert!(ClientId::is_valid(ok), "{ok}");
        }
        for bad in ["", "a-b", "a b", "a/b", &"x".repeat(129)] {
            assert!(!ClientId::is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn identity_pool_ids() {
        let id = IdentityPoolId::parse("us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab").unwrap();
        assert_eq!(id.region(), "us-east-1");
        for bad in [
            "us-east-1",
            "us-east-1:8f1c2a3b",
            "us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ag",
            "x:8f1c2a3b-1234-4abc-9def-0123456789ab",
        ] {
            assert!(!IdentityPoolId::is_valid(bad), "{bad}");
        }
        assert_eq!(
            region_of_identity_pool("eu-central-1:8f1c2a3b-1234-4abc-9def-0123456789ab"),
            Some("eu-central-1")
        );
    }

    #[test]
    fn role_arns_in_any_partition_with_paths() {
        let arn =
            RoleArn::parse("arn:aws-us-gov:iam::123456789012:role/team/a/Dev+Ops=1,x.y@z_w-v")
                .unwrap();
        assert_eq!(arn.partition(), "aws-us-gov");
        assert_eq!(arn.account(), "123456789012");
        assert_eq!(arn.name(), "Dev+Ops=1,x.y@z_w-v");
        assert_eq!(
            RoleArn::parse("arn:aws:iam::123456789012:role/Name")
                .unwrap()
                .name(),
            "Name"
        );
        for bad in [
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:sts::123456789012:role/x",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::12345678901:role/x",
            "arn:other:iam::123456789012:role/x",
            &format!("arn:aws:iam::123456789012:role/{}", "x".repeat(65)),
        ] {
            assert!(!RoleArn::is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn profile_names() {
        for ok in ["default", "work", "dev.eu-1", "a_b"] {
            assert!(ProfileName::is_valid(ok), "{ok}");
        }
        for bad in ["", ".hidden", "a b", "a/b", "a]b", &"x".repeat(65)] {
            assert!(!ProfileName::is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_thing_and_the_expected_form() {
        let err = ClientId::parse("bad id").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`bad id` is not a valid app client id: expected 1 to 128 letters, digits, `_` or `+`, such as 1example23456789"
        );
        let long = "y".repeat(300);
        let err = UserPoolId::parse(&long).unwrap_err();
        assert_eq!(err.value.len(), 103);
        let err = UserPoolId::parse("a\nb").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`a\\nb` is not a valid user pool id")
        );
    }

    #[test]
    fn conversions() {
        let id: ClientId = "abc".parse().unwrap();
        let s: String = id.clone().into();
        assert_eq!(s, "abc");
        assert_eq!(ClientId::try_from(s).unwrap(), id);
        assert!(ClientId::try_from("a b".to_owned()).is_err());
        assert_eq!(id.as_ref(), "abc");
        assert_eq!(format!("{id}"), "abc");
    }
}
