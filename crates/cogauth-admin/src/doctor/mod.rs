//! The checks of `cogauth doctor` that read the pools and the role with administrative AWS
//! credentials: the app client's auth flows and secret, its refresh-token rotation, the user
//! pool's device settings, the identity pool's providers, the role's trust policy, and the
//! roles of the user pool's groups (each must trust the identity pool, and the identity pool
//! must map roles from the token to use them). [`AdminChecks`] plugs them into
//! `cogauth_core::doctor`.
//!
//! The facts are read first (DescribeUserPoolClient, DescribeIdentityPool,
//! GetIdentityPoolRoles, GetRole), then judged, so every fix can name the real resources.
//! Missing credentials or a refused read skip a check with "needs admin rights: ...".

mod managed_login;
pub(crate) mod trust;

use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType as Flow;
use aws_sdk_cognitoidentityprovider::types::FeatureType;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use cogauth_core::aws::{self, Failure, error_code, in_region};
use cogauth_core::config::{AuthFlow, IdentityFlow, ids};
use cogauth_core::doctor::{Check, Outcome, Target, fail, info, shell_word, skipped};

use crate::CredentialsProblem;
use crate::policies::{authenticated_role_trust, decode_document, role_name_of_arn};

/// The names of the checks, stable for scripts reading `cogauth doctor --json`.
pub mod names {
    pub const AUTH_FLOWS: &str = "app client auth flows";
    pub const ROTATION: &str = "refresh token rotation";
    pub const DEVICES: &str = "remembered devices";
    pub const PROVIDER: &str = "identity pool trusts the user pool";
    pub const ROLE_TRUST: &str = "role trust policy";
    pub const GROUP_ROLES: &str = "group roles trust the identity pool";
    /// Only for profiles that sign in through the browser or may finish there.
    pub const MANAGED_LOGIN_SETTINGS: &str = "managed login settings";
}

const ADMIN_CHECKS: [&str; 6] = [
    names::AUTH_FLOWS,
    names::ROTATION,
    names::DEVICES,
    names::PROVIDER,
    names::ROLE_TRUST,
    names::GROUP_ROLES,
];

/// The admin checks, with the administrative SDK config ([`crate::sdk::load`]) they read with;
/// `None` skips them, saying so.
#[derive(Debug, Clone)]
pub struct AdminChecks {
    sdk: Option<SdkConfig>,
}

impl AdminChecks {
    pub fn new(sdk: Option<SdkConfig>) -> Self {
        Self { sdk }
    }
}

#[async_trait::async_trait]
impl cogauth_core::doctor::AdminChecks for AdminChecks {
    fn names(&self) -> Vec<&'static str> {
        ADMIN_CHECKS.to_vec()
    }

    async fn check(&self, target: &Target) -> Vec<Check> {
        let Some(sdk) = &self.sdk else {
            return skip_all("needs admin rights: no administrative AWS configuration was given");
        };
        if let Err(problem) = crate::sdk::check_credentials(sdk).await {
            return skip_all(&format!(
                "needs admin rights: {}",
                why_no_credentials(&problem)
            ));
        }
        let facts = Facts::read(sdk, target).await;
        let mut checks = vec![
            Check::new(names::AUTH_FLOWS, auth_flows(&facts, target)),
            Check::new(names::ROTATION, rotation(&facts)),
            Check::new(names::DEVICES, devices(&facts, target)),
            Check::new(names::PROVIDER, provider(&facts, target)),
            Check::new(names::ROLE_TRUST, role_trust(&facts, target)),
            Check::new(names::GROUP_ROLES, group_roles(&facts, target)),
        ];
        if managed_login::applies(target) {
            checks.push(Check::new(
                names::MANAGED_LOGIN_SETTINGS,
                managed_login::check(sdk, &facts, target).await,
            ));
        }
        checks
    }
}

fn skip_all(why: &str) -> Vec<Check> {
    ADMIN_CHECKS
        .iter()
        .map(|name| Check::new(*name, skipped(why)))
        .collect()
}

/// Why the checks cannot run, in one line that says how to give them credentials.
fn why_no_credentials(problem: &CredentialsProblem) -> String {
    const HOW: &str = "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, to an \
                       identity that may read the Cognito pools and IAM roles";
    match problem {
        CredentialsProblem::NotFound => format!("no AWS credentials found ({HOW})"),
        CredentialsProblem::Unusable { reason } => {
            format!("the AWS credentials could not be loaded: {reason} ({HOW})")
        }
    }
}

/// Why a read failed, in terms of the check.
#[derive(Debug, Clone)]
enum ReadError {
    /// The resource does not exist.
    NotFound,
    /// The check becomes this outcome (refused: skipped; unreachable: failed).
    Outcome(Outcome),
}

fn read_error<E, R>(operation: &str, err: &SdkError<E, R>) -> ReadError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if matches!(
        error_code(err),
        Some("ResourceNotFoundException" | "NoSuchEntity")
    ) {
        return ReadError::NotFound;
    }
    let failure = aws::classify(err);
    ReadError::Outcome(match &failure {
        Failure::Service { code, .. } if is_refusal(code) => skipped(format!(
            "needs admin rights: {operation} was refused ({failure})"
        )),
        Failure::Unreachable { .. } | Failure::TimedOut => fail(
            format!("cannot call {operation}: {failure}"),
            "check the network (and AWS_ENDPOINT_URL, if set), then run `cogauth doctor` again",
        ),
        _ => fail(
            format!("{operation} failed: {failure}"),
            "run `cogauth doctor -vv` to see the request, and check the administrative \
             identity's AWS configuration",
        ),
    })
}

/// The codes AWS uses when the caller may not make the call, or is not a valid caller.
fn is_refusal(code: &str) -> bool {
    code.contains("AccessDenied")
        || matches!(
            code,
            "UnauthorizedOperation"
                | "NotAuthorizedException"
                | "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "SignatureDoesNotMatch"
                | "InvalidSignatureException"
                | "MissingAuthenticationToken"
        )
}

/// The app client as the doctor needs it.
#[derive(Debug)]
struct ClientFacts {
    name: String,
    flows: Vec<Flow>,
    has_secret: bool,
    /// The retry grace period in seconds, when the client rotates refresh tokens.
    rotation_grace: Option<i32>,
    /// Its hosted UI (managed login) settings.
    oauth: managed_login::OAuthFacts,
}

/// The user pool's device settings: `None` when it does not track devices, else
/// (ChallengeRequiredOnNewDevice, DeviceOnlyRememberedOnUserPrompt).
#[derive(Debug)]
struct PoolFacts {
    name: String,
    devices: Option<(bool, bool)>,
}

#[derive(Debug)]
struct IdentityPoolFacts {
    name: String,
    /// (provider name, client id) of every Cognito user-pool provider.
    providers: Vec<(String, String)>,
    allow_classic_flow: bool,
}

/// A role the login assumes, and what is wrong with its trust policy.
#[derive(Debug)]
struct RoleFacts {
    name: String,
    max_session_hours: Option<u32>,
    problems: Vec<String>,
}

/// A group with a role: (group, role ARN, the role's facts).
type GroupRoleFacts = (String, String, Result<RoleFacts, ReadError>);

#[derive(Debug)]
struct Facts {
    client: Result<ClientFacts, ReadError>,
    pool: Result<PoolFacts, ReadError>,
    identity_pool: Result<IdentityPoolFacts, ReadError>,
    /// The identity pool's authenticated role ARN, if one is attached.
    authenticated_role: Result<Option<String>, ReadError>,
    /// The roles the profile's logins assume, by ARN.
    roles: Vec<(String, Result<RoleFacts, ReadError>)>,
    /// The user pool's groups with a role.
    group_roles: Result<Vec<GroupRoleFacts>, ReadError>,
    /// The identity pool's role mapping type (`Token`, `Rules`) for the profile's app client.
    role_mapping: Option<String>,
}

impl Facts {
    async fn read(sdk: &SdkConfig, t: &Target) -> Self {
        let pool_region = ids::region_of_user_pool(&t.user_pool_id).unwrap_or(&t.region);
        let idp = aws_sdk_cognitoidentityprovider::Client::new(&in_region(sdk, pool_region));
        let client = idp
            .describe_user_pool_client()
            .user_pool_id(&t.user_pool_id)
            .client_id(&t.client_id)
            .send()
            .await
            .map_err(|e| read_error("DescribeUserPoolClient", &e))
            .map(|out| {
                let c = out.user_pool_client();
                ClientFacts {
                    name: c
                        .and_then(|c| c.client_name())
                        .unwrap_or(&t.client_id)
                        .to_owned(),
                    flows: c
                        .map(|c| c.explicit_auth_flows().to_vec())
                        .unwrap_or_default(),
                    has_secret: c.and_then(|c| c.client_secret()).is_some(),
                    rotation_grace: c
                        .and_then(|c| c.refresh_token_rotation())
                        .filter(|r| *r.feature() == FeatureType::Enabled)
                        .map(|r| r.retry_grace_period_seconds().unwrap_or(0)),
                    oauth: managed_login::OAuthFacts::of(c),
                }
            });
        let pool = idp
            .describe_user_pool()
            .user_pool_id(&t.user_pool_id)
            .send()
            .await
            .map_err(|e| read_error("DescribeUserPool", &e))
            .map(|out| {
                let p = out.user_pool();
                PoolFacts {
                    name: p
                        .and_then(|p| p.name())
                        .unwrap_or(&t.user_pool_id)
                        .to_owned(),
                    // A pool tracks devices when its DeviceConfiguration has any setting.
                    devices: p.and_then(|p| p.device_configuration()).map(|d| {
                        (
                            d.challenge_required_on_new_device(),
                            d.device_only_remembered_on_user_prompt(),
                        )
                    }),
                }
            });

        let identity_region = t
            .identity_pool_id
            .split_once(':')
            .map_or(t.region.as_str(), |(r, _)| r);
        let identity = aws_sdk_cognitoidentity::Client::new(&in_region(sdk, identity_region));
        let identity_pool = identity
            .describe_identity_pool()
            .identity_pool_id(&t.identity_pool_id)
            .send()
            .await
            .map_err(|e| read_error("DescribeIdentityPool", &e))
            .map(|out| IdentityPoolFacts {
                name: out.identity_pool_name().to_owned(),
                providers: out
                    .cognito_identity_providers()
                    .iter()
                    .map(|p| {
                        (
                            p.provider_name().unwrap_or_default().to_owned(),
                            p.client_id().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
                allow_classic_flow: out.allow_classic_flow().unwrap_or(false),
            });
        let pool_roles = identity
            .get_identity_pool_roles()
            .identity_pool_id(&t.identity_pool_id)
            .send()
            .await
            .map_err(|e| read_error("GetIdentityPoolRoles", &e));
        let authenticated_role = pool_roles.as_ref().map_err(Clone::clone).map(|out| {
            out.roles()
                .and_then(|roles| roles.get("authenticated"))
                .cloned()
        });
        let mapping_key = format!(
            "cognito-idp.{pool_region}.amazonaws.com/{}:{}",
            t.user_pool_id, t.client_id
        );
        let role_mapping = pool_roles.as_ref().ok().and_then(|out| {
            out.role_mappings()
                .and_then(|m| m.get(&mapping_key))
                .map(|m| m.r#type().as_str().to_owned())
        });

        // The enhanced flow gets the pool's authenticated role; the basic flow (and a custom
        // role of the enhanced flow) assumes the profile's role_arn.
        let mut arns: Vec<String> = Vec::new();
        if t.settings.identity_flow.value == IdentityFlow::Enhanced
            && let Ok(Some(arn)) = &authenticated_role
        {
            arns.push(arn.clone());
        }
        if let Some(arn) = &t.settings.role_arn
            && !arns.contains(&arn.value)
        {
            arns.push(arn.value.clone());
        }
        let iam = aws_sdk_iam::Client::new(&in_region(sdk, &t.region));
        let mut roles = Vec::new();
        for arn in arns {
            let facts = role_facts(&iam, &arn, &t.identity_pool_id).await;
            roles.push((arn, facts));
        }
        let group_roles = match list_group_roles(&idp, &t.user_pool_id).await {
            Ok(groups) => {
                let mut found = Vec::new();
                for (group, arn) in groups {
                    let facts = role_facts(&iam, &arn, &t.identity_pool_id).await;
                    found.push((group, arn, facts));
                }
                Ok(found)
            }
            Err(e) => Err(e),
        };
        Self {
            client,
            pool,
            identity_pool,
            authenticated_role,
            roles,
            group_roles,
            role_mapping,
        }
    }

    /// The `cogadmin setup` command that repairs the identity pool and role in place, when the
    /// identity pool's name is known.
    fn setup_command(&self, t: &Target, role_name: Option<&str>) -> Option<String> {
        let pool = self.identity_pool.as_ref().ok()?;
        let mut command = format!(
            "cogadmin setup --user-pool-id {} --client-id {} --identity-pool-name {}",
            t.user_pool_id,
            t.client_id,
            shell_word(&pool.name)
        );
        let attached = self
            .authenticated_role
            .as_ref()
            .ok()
            .and_then(Option::as_deref)
            .and_then(role_name_of_arn);
        if let Some(role) = role_name.or(attached) {
            command.push_str(&format!(" --role-name {}", shell_word(role)));
            let hours = self.roles.iter().find_map(|(_, r)| {
                r.as_ref()
                    .ok()
                    .filter(|r| r.name == role)
                    .and_then(|r| r.max_session_hours)
            });
            if let Some(hours) = hours {
                command.push_str(&format!(" --duration-hours {hours}"));
            }
        }
        if t.settings.identity_flow.value == IdentityFlow::Basic {
            command.push_str(" --basic-flow");
        }
        Some(command)
    }
}

/// The user pool's groups that have a role: (group, role ARN).
async fn list_group_roles(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    user_pool_id: &str,
) -> Result<Vec<(String, String)>, ReadError> {
    let mut found = Vec::new();
    let mut token = None;
    loop {
        let page = idp
            .list_groups()
            .user_pool_id(user_pool_id)
            .limit(60)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| read_error("ListGroups", &e))?;
        found.extend(
            page.groups()
                .iter()
                .filter_map(|g| Some((g.group_name()?.to_owned(), g.role_arn()?.to_owned()))),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(found);
        }
    }
}

/// A role's name, session cap and what its trust policy lacks for `identity_pool_id`.
async fn role_facts(
    iam: &aws_sdk_iam::Client,
    arn: &str,
    identity_pool_id: &str,
) -> Result<RoleFacts, ReadError> {
    let name = role_name_of_arn(arn).unwrap_or(arn).to_owned();
    iam.get_role()
        .role_name(&name)
        .send()
        .await
        .map_err(|e| read_error("GetRole", &e))
        .map(|out| {
            let role = out.role();
            let problems = match role.and_then(|r| r.assume_role_policy_document()) {
                None => vec!["there is none".to_owned()],
                Some(raw) => match decode_document(raw) {
                    Ok(doc) => trust::problems(&doc, identity_pool_id),
                    Err(e) => vec![format!("not valid JSON: {e}")],
                },
            };
            RoleFacts {
                name: name.clone(),
                max_session_hours: role
                    .and_then(|r| r.max_session_duration())
                    .and_then(|s| u32::try_from(s).ok())
                    .filter(|s| s % 3600 == 0 && (1..=12).contains(&(s / 3600)))
                    .map(|s| s / 3600),
                problems,
            }
        })
}

/// Every group role must trust the identity pool, and the identity pool must map roles from
/// the token for the app client, or users can never take them.
fn group_roles(facts: &Facts, t: &Target) -> Outcome {
    let groups = match &facts.group_roles {
        Ok(groups) => groups,
        Err(ReadError::NotFound) => {
            return skipped(format!(
                "user pool `{}` does not exist (see the app client check)",
                t.user_pool_id
            ));
        }
        Err(ReadError::Outcome(o)) => return o.clone(),
    };
    // No group with a role: nothing to trust.
    if groups.is_empty() {
        return Outcome::Pass;
    }
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    for (group, arn, role) in groups {
        let role = match role {
            Ok(r) => r,
            Err(ReadError::NotFound) => {
                problems.push(format!(
                    "group `{group}` names role `{arn}`, which does not exist"
                ));
                fixes.push(format!(
                    "`cogadmin group create {} --role-arn {} --identity-pool-id {}` creates it trusting the identity pool",
                    shell_word(group),
                    shell_word(arn),
                    t.identity_pool_id
                ));
                continue;
            }
            Err(ReadError::Outcome(o)) => return o.clone(),
        };
        if role.problems.is_empty() {
            continue;
        }
        problems.push(format!(
            "the trust policy of role `{}` (group `{group}`): {}",
            role.name,
            role.problems.join("; ")
        ));
        fixes.push(format!(
            "run `cogadmin group create {} --role-arn {} --identity-pool-id {}`: it makes the role accept identity pool {} (aud) for authenticated identities (amr), and keeps its other statements",
            shell_word(group),
            shell_word(arn),
            t.identity_pool_id,
            t.identity_pool_id
        ));
    }
    if facts.role_mapping.is_none() && facts.identity_pool.is_ok() {
        problems.push(format!(
            "identity pool `{}` has no role mapping for app client `{}`: the roles of the groups are never used, every user gets the authenticated role",
            t.identity_pool_id, t.client_id
        ));
        let command = facts
            .setup_command(t, None)
            .unwrap_or_else(|| "cogadmin setup".to_owned());
        fixes.push(format!("run `{command} --role-mapping token`"));
    }
    if problems.is_empty() {
        Outcome::Pass
    } else {
        fail(problems.join("; "), fixes.join("; "))
    }
}

/// The flows a client allows, as Cognito reads its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Allowed {
    srp: bool,
    password: bool,
    refresh: bool,
    user_auth: bool,
    custom: bool,
}

fn allowed(flows: &[Flow]) -> Allowed {
    if flows.is_empty() {
        // Cognito's default for a client created without a list.
        return Allowed {
            srp: true,
            password: false,
            refresh: true,
            user_auth: false,
            custom: true,
        };
    }
    if !flows.iter().any(|f| f.as_str().starts_with("ALLOW_")) {
        // Legacy values: SRP and refresh are always on.
        return Allowed {
            srp: true,
            password: flows.contains(&Flow::UserPasswordAuth),
            refresh: true,
            user_auth: false,
            custom: flows.contains(&Flow::CustomAuthFlowOnly),
        };
    }
    Allowed {
        srp: flows.contains(&Flow::AllowUserSrpAuth),
        password: flows.contains(&Flow::AllowUserPasswordAuth),
        refresh: flows.contains(&Flow::AllowRefreshTokenAuth),
        user_auth: flows.contains(&Flow::AllowUserAuth),
        custom: flows.contains(&Flow::AllowCustomAuth),
    }
}

/// The ExplicitAuthFlows value a login flow needs, and whether `allowed` has it; `None` for
/// browser sign-in, which goes through the managed login pages and the token endpoint (the
/// managed login check covers its settings).
fn login_flow(flow: AuthFlow, allowed: Allowed) -> Option<(&'static str, bool)> {
    Some(match flow {
        AuthFlow::Srp => ("ALLOW_USER_SRP_AUTH", allowed.srp),
        AuthFlow::Password => ("ALLOW_USER_PASSWORD_AUTH", allowed.password),
        AuthFlow::Choice => ("ALLOW_USER_AUTH", allowed.user_auth),
        AuthFlow::Custom => ("ALLOW_CUSTOM_AUTH", allowed.custom),
        AuthFlow::Browser => return None,
    })
}

fn auth_flows(facts: &Facts, t: &Target) -> Outcome {
    let client = match &facts.client {
        Ok(c) => c,
        Err(ReadError::NotFound) => {
            return fail(
                format!(
                    "app client `{}` is not in user pool `{}` (or the pool does not exist)",
                    t.client_id, t.user_pool_id
                ),
                format!(
                    "check the ids in the Cognito console and run `cogauth configure --profile \
                     {} --user-pool-id ... --client-id ...`",
                    t.profile
                ),
            );
        }
        Err(ReadError::Outcome(o)) => return o.clone(),
    };
    let allowed = allowed(&client.flows);
    let (srp, password) = (allowed.srp, allowed.password);
    let auth_flow = t.settings.auth_flow.value;
    let mut missing = Vec::new();
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    if let Some((needed, false)) = login_flow(auth_flow, allowed) {
        missing.push(needed);
    }
    // A client that rotates refresh tokens refuses REFRESH_TOKEN_AUTH (and Cognito refuses
    // rotation with it allowed): cogauth refreshes it with GetTokensFromRefreshToken.
    if !allowed.refresh && client.rotation_grace.is_none() {
        missing.push("ALLOW_REFRESH_TOKEN_AUTH");
    }
    if !missing.is_empty() {
        problems.push(format!(
            "app client `{}` ({}) does not allow {} (the profile logs in with the {auth_flow} \
             flow and refreshes its session with the refresh token)",
            client.name,
            t.client_id,
            missing.join(" and ")
        ));
        fixes.push(format!(
            "add {} to the app client's authentication flows (Cognito console: App clients > \
             {} > Edit)",
            missing.join(" and "),
            client.name
        ));
        if auth_flow == AuthFlow::Srp && !srp && password {
            fixes.push(format!(
                "or use the password flow it allows: `cogauth configure --profile {} \
                 --auth-flow password`",
                t.profile
            ));
        }
        if auth_flow == AuthFlow::Password && !password && srp {
            fixes.push(format!(
                "or use SRP, which it allows: `cogauth configure --profile {} --auth-flow srp`",
                t.profile
            ));
        }
    }
    match (client.has_secret, t.has_client_secret) {
        (true, false) => {
            problems.push(format!(
                "app client `{}` has a secret and profile `{}` has none: logins fail with \
                 `Unable to verify secret hash`",
                client.name, t.profile
            ));
            fixes.push(format!(
                "give the profile the secret (Cognito console: App clients > {} > Client \
                 secret): `cogauth configure --profile {} --client-secret-stdin`",
                client.name, t.profile
            ));
        }
        (false, true) => {
            problems.push(format!(
                "profile `{}` has a client secret, and app client `{}` has none",
                t.profile, client.name
            ));
            fixes.push(format!(
                "remove `client_secret` from `[profiles.{}]` in `{}`",
                t.profile,
                t.settings.config_path.display()
            ));
        }
        _ => {}
    }
    if problems.is_empty() {
        Outcome::Pass
    } else {
        fail(problems.join("; "), fixes.join("; "))
    }
}

/// The app client's refresh-token rotation, reported: it changes how a refresh is done and
/// what a killed process costs (see `cogauth_core::userpool::refresh`).
fn rotation(facts: &Facts) -> Outcome {
    let client = match &facts.client {
        Ok(c) => c,
        Err(ReadError::NotFound) => {
            return skipped("the app client does not exist (see the auth flow check)");
        }
        Err(ReadError::Outcome(o)) => return o.clone(),
    };
    match client.rotation_grace {
        None => info(format!(
            "app client `{}` does not rotate refresh tokens",
            client.name
        )),
        Some(grace) => {
            let advice = if grace == 0 {
                "; with no grace period, a refresh whose process is killed before it stores the \
                 new token costs a login (a few seconds of RetryGracePeriodSeconds avoid that)"
            } else {
                ""
            };
            info(format!(
                "app client `{}` rotates refresh tokens (retry grace period {grace} s): cogauth \
                 refreshes with GetTokensFromRefreshToken and stores each new token before it \
                 uses it{advice}",
                client.name
            ))
        }
    }
}

/// The user pool's device settings, reported: whether logins are remembered, and whether a
/// remembered device skips MFA.
fn devices(facts: &Facts, t: &Target) -> Outcome {
    let pool = match &facts.pool {
        Ok(p) => p,
        Err(ReadError::NotFound) => {
            return skipped(format!(
                "user pool `{}` does not exist (see the auth flow check)",
                t.user_pool_id
            ));
        }
        Err(ReadError::Outcome(o)) => return o.clone(),
    };
    let Some((challenge_required, on_prompt)) = pool.devices else {
        return info(format!(
            "user pool `{}` does not remember devices",
            pool.name
        ));
    };
    let remembered = if on_prompt {
        "the devices users choose to remember (cogauth asks at login; `cogauth login \
         --remember-device` says yes without asking)"
    } else {
        "every device a user signs in on"
    };
    let mfa = if challenge_required {
        "a remembered device skips MFA"
    } else {
        "MFA is asked on remembered devices too (ChallengeRequiredOnNewDevice is off)"
    };
    info(format!(
        "user pool `{}` remembers {remembered}; {mfa}; `cogauth status` shows this machine's \
         device, and `cogauth logout --forget-device` forgets it",
        pool.name
    ))
}

fn provider(facts: &Facts, t: &Target) -> Outcome {
    let pool = match &facts.identity_pool {
        Ok(p) => p,
        Err(ReadError::NotFound) => {
            return fail(
                format!("identity pool `{}` does not exist", t.identity_pool_id),
                format!(
                    "check the id in the Cognito console and run `cogauth configure --profile \
                     {} --identity-pool-id ...`, or create one with `cogadmin setup \
                     --user-pool-id {} --client-id {}`",
                    t.profile, t.user_pool_id, t.client_id
                ),
            );
        }
        Err(ReadError::Outcome(o)) => return o.clone(),
    };
    let region = ids::region_of_user_pool(&t.user_pool_id).unwrap_or(&t.region);
    let provider_name = format!("cognito-idp.{region}.amazonaws.com/{}", t.user_pool_id);
    let linked = pool
        .providers
        .iter()
        .any(|(name, client)| *name == provider_name && *client == t.client_id);
    let mut problems = Vec::new();
    if !linked {
        let other_clients: Vec<String> = pool
            .providers
            .iter()
            .filter(|(name, _)| *name == provider_name)
            .map(|(_, client)| format!("`{client}`"))
            .collect();
        problems.push(if !other_clients.is_empty() {
            format!(
                "identity pool `{}` ({}) trusts user pool `{}` only through app client {}, not \
                 `{}`",
                pool.name,
                t.identity_pool_id,
                t.user_pool_id,
                other_clients.join(", "),
                t.client_id
            )
        } else if pool.providers.is_empty() {
            format!(
                "identity pool `{}` ({}) has no Cognito user pool provider",
                pool.name, t.identity_pool_id
            )
        } else {
            format!(
                "identity pool `{}` ({}) does not trust user pool `{}` (its providers: {})",
                pool.name,
                t.identity_pool_id,
                t.user_pool_id,
                pool.providers
                    .iter()
                    .map(|(name, client)| format!("`{name}` client `{client}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    }
    if t.settings.identity_flow.value == IdentityFlow::Basic && !pool.allow_classic_flow {
        problems.push(format!(
            "profile `{}` uses the basic flow, and identity pool `{}` has AllowClassicFlow off",
            t.profile, pool.name
        ));
    }
    if problems.is_empty() {
        return Outcome::Pass;
    }
    let command = facts
        .setup_command(t, None)
        .unwrap_or_else(|| "cogadmin setup".to_owned());
    fail(
        problems.join("; "),
        format!(
            "run `{command}`: it links app client `{}` of user pool `{}` to the identity pool \
             and turns on what is missing, and removes nothing",
            t.client_id, t.user_pool_id
        ),
    )
}

fn role_trust(facts: &Facts, t: &Target) -> Outcome {
    match &facts.authenticated_role {
        Err(ReadError::Outcome(o)) => return o.clone(),
        Err(ReadError::NotFound) => {
            return skipped(format!(
                "identity pool `{}` does not exist (see the identity pool check)",
                t.identity_pool_id
            ));
        }
        Ok(None) if t.settings.identity_flow.value == IdentityFlow::Enhanced => {
            let command = facts
                .setup_command(t, None)
                .unwrap_or_else(|| "cogadmin setup".to_owned());
            return fail(
                format!(
                    "identity pool `{}` has no authenticated role: it cannot give credentials",
                    t.identity_pool_id
                ),
                format!("run `{command}`: it creates the role and attaches it"),
            );
        }
        Ok(_) => {}
    }
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    for (arn, role) in &facts.roles {
        let role = match role {
            Ok(r) => r,
            Err(ReadError::NotFound) => {
                problems.push(format!("role `{arn}` does not exist"));
                fixes.push(format!(
                    "attach an existing role, or let `cogadmin setup` create one, and set it with \
                     `cogauth configure --profile {} --role-arn ...` if the profile names it",
                    t.profile
                ));
                continue;
            }
            Err(ReadError::Outcome(o)) => return o.clone(),
        };
        if role.problems.is_empty() {
            continue;
        }
        problems.push(format!(
            "the trust policy of role `{}`: {}",
            role.name,
            role.problems.join("; ")
        ));
        let document = authenticated_role_trust(&t.identity_pool_id).to_json();
        let by_hand = format!(
            "aws iam update-assume-role-policy --role-name {} --policy-document '{document}'",
            shell_word(&role.name)
        );
        fixes.push(match facts.setup_command(t, Some(&role.name)) {
            Some(command) => format!(
                "run `{command}`, which rewrites it with aud = {} and amr = authenticated (or \
                 by hand: `{by_hand}`)",
                t.identity_pool_id
            ),
            None => format!("give the role the trust policy cogadmin writes: `{by_hand}`"),
        });
    }
    if problems.is_empty() {
        Outcome::Pass
    } else {
        fail(problems.join("; "), fixes.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_are_read_as_cognito_reads_them() {
        let triple = |a: Allowed| (a.srp, a.password, a.refresh);
        assert_eq!(triple(allowed(&[])), (true, false, true));
        assert_eq!(
            triple(allowed(&[Flow::UserPasswordAuth])),
            (true, true, true)
        );
        assert_eq!(
            triple(allowed(&[Flow::AdminNoSrpAuth])),
            (true, false, true)
        );
        assert_eq!(
            triple(allowed(&[
                Flow::AllowUserPasswordAuth,
                Flow::AllowRefreshTokenAuth
            ])),
            (false, true, true)
        );
        assert_eq!(
            triple(allowed(&[Flow::AllowUserSrpAuth])),
            (true, false, false)
        );
        // Choice-based and custom sign-in: their own flows, custom on by default.
        assert!(allowed(&[]).custom && !allowed(&[]).user_auth);
        let modern = allowed(&[Flow::AllowUserAuth, Flow::AllowCustomAuth]);
        assert!(modern.user_auth && modern.custom && !modern.srp);
        assert!(allowed(&[Flow::CustomAuthFlowOnly]).custom);
        assert!(!allowed(&[Flow::AllowUserSrpAuth]).custom);
    }

    #[test]
    fn refusals_are_told_apart_from_failures() {
        assert!(is_refusal("AccessDeniedException"));
        assert!(is_refusal("AccessDenied"));
        assert!(is_refusal("InvalidClientTokenId"));
        assert!(!is_refusal("ResourceNotFoundException"));
        assert!(!is_refusal("InternalErrorException"));
    }
}
