//! Validation of Cognito and IAM identifiers, so a typo is caught with a clear message before
//! any request leaves the machine.

/// `us-east-1`, `eu-west-2`, `us-gov-west-1`, `ap-southeast-3`, ...
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// `<region>_<alphanumerics>`, e.g. `us-east-1_AbC123`.
pub fn is_user_pool_id(s: &str) -> bool {
    match s.split_once('_') {
        Some((region, rest)) => {
            is_region(region) && !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// `<region>:<uuid>`, e.g. `us-east-1:8f1c...`.
pub fn is_identity_pool_id(s: &str) -> bool {
    match s.split_once(':') {
        Some((region, uuid)) => is_region(region) && is_uuid(uuid),
        None => false,
    }
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// App client ids are 1 to 128 word characters.
pub fn is_client_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+')
}

/// `arn:<partition>:iam::<12 digits>:role/<path/name>`.
pub fn is_role_arn(s: &str) -> bool {
    let mut parts = s.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty())
}

/// The region prefix of a user pool id (`us-east-1_abc` -> `us-east-1`), as the original did.
pub fn region_of_user_pool(user_pool_id: &str) -> Option<&str> {
    user_pool_id
        .split_once('_')
        .map(|(region, _)| region)
        .filter(|r| is_region(r))
}

/// The region prefix of an identity pool id (`us-east-1:8f1c...` -> `us-east-1`).
pub fn region_of_identity_pool(identity_pool_id: &str) -> Option<&str> {
    identity_pool_id
        .split_once(':')
        .map(|(region, _)| region)
        .filter(|r| is_region(r))
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
}
