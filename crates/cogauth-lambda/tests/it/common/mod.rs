//! Helpers shared by the Lambda's integration tests: signing test tokens, fakes for the unit
//! tests of error paths, and a tiny loopback HTTP server.

#![allow(dead_code)] // the fuzz binary uses only a part

pub mod http;
pub mod moto;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use cogauth_lambda::Deps;
use cogauth_lambda::clock::Clock;
use cogauth_lambda::config::Config;
use cogauth_lambda::session::{SessionCheck, SessionError};
use cogauth_lambda::sts::{AssumeRoleRequest, IssuedCredentials, RoleAssumer, StsError};
use cogauth_lambda::verify::{JwksError, JwksSource, Verifier, VerifierSettings};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const POOL_ID: &str = "us-east-1_TestPool1";
pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
pub const CLIENT_ID: &str = "testclient123";
pub const SIGNING_KID: &str = "test-key-1";
pub const OTHER_KID: &str = "test-key-2";
pub const DEFAULT_ROLE: &str = "arn:aws:iam::123456789012:role/CognitoLongLivedRole";
pub const ALLOWED_ROLE: &str = "arn:aws:iam::123456789012:role/ReadOnlyLongLived";
/// The fixed "now" of the unit tests.
pub const NOW: i64 = 1_800_000_000;
pub const SUB: &str = "0f3c2a1b-1234-4abc-9def-0123456789ab";
pub const ORIGIN_JTI: &str = "5d6c9a4e-0000-4000-8000-0000000000aa";
pub const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:cogauth-proxy-key-AbCdEf";

pub fn data(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn jwks(name: &str) -> JwkSet {
    serde_json::from_slice(&data(name)).expect("test JWKS")
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload.signature`, signed RS256 with the PEM key `key_file` from tests/data.
pub fn sign_rs256(header: &Value, payload: &[u8], key_file: &str) -> String {
    let message = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload));
    let key = EncodingKey::from_rsa_pem(&data(key_file)).expect("test key");
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256).expect("sign");
    format!("{message}.{signature}")
}

/// A token signed by the trusted test key.
pub fn token(claims: &Value) -> String {
    sign_rs256(
        &json!({"alg": "RS256", "kid": SIGNING_KID, "typ": "JWT"}),
        claims.to_string().as_bytes(),
        "signing-key.pem",
    )
}

/// The claims of a valid ID token at [`NOW`], shaped like moto's (`email_verified` a string).
pub fn id_claims() -> Value {
    json!({
        "sub": SUB,
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": NOW - 10,
        "auth_time": NOW - 10,
        "exp": NOW + 3600,
        "jti": "a7a0e8d2-0000-4000-8000-000000000000",
        "origin_jti": ORIGIN_JTI,
        "cognito:username": "alice",
        "email": "alice@example.com",
        "email_verified": "true",
    })
}

/// The claims of the access token of the same sign-in, shaped like Cognito's.
pub fn access_claims() -> Value {
    json!({
        "sub": SUB,
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "iat": NOW - 10,
        "auth_time": NOW - 10,
        "exp": NOW + 3600,
        "jti": "b8b1f9e3-0000-4000-8000-000000000000",
        "origin_jti": ORIGIN_JTI,
        "username": "alice",
    })
}

pub fn config() -> Config {
    config_with(&[])
}

pub fn config_with(extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("USER_POOL_ID", POOL_ID),
        ("CLIENT_IDS", "otherclient9,testclient123"),
        ("DEFAULT_ROLE_ARN", DEFAULT_ROLE),
        ("ALLOWED_ROLE_ARNS", ALLOWED_ROLE),
        ("MAX_DURATION_SECONDS", "43200"),
        ("IAM_USER_SECRET_ARN", SECRET_ARN),
        // Off, as on a function deployed before the setting: tests that need it say so.
        ("REQUIRE_ACCESS_TOKEN", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("test config")
}

/// A clock the test moves.
#[derive(Debug)]
pub struct ManualClock(pub AtomicI64);

impl ManualClock {
    pub fn at(t: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(t)))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A key source that serves a programmed sequence of key sets and counts fetches.
#[derive(Debug)]
pub struct ScriptedJwks {
    sets: Mutex<Vec<Result<JwkSet, String>>>,
    fetches: AtomicUsize,
}

impl ScriptedJwks {
    /// Serves `sets` in order; the last one is served forever.
    pub fn new(sets: Vec<Result<JwkSet, String>>) -> Arc<Self> {
        Arc::new(Self {
            sets: Mutex::new(sets),
            fetches: AtomicUsize::new(0),
        })
    }
    pub fn fixed(set: JwkSet) -> Arc<Self> {
        Self::new(vec![Ok(set)])
    }
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl JwksSource for ScriptedJwks {
    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let mut sets = self.sets.lock().unwrap();
        let next = if sets.len() > 1 {
            sets.remove(0)
        } else {
            sets[0].clone()
        };
        next.map_err(|message| JwksError::Fetch {
            url: "test://jwks".into(),
            message,
        })
    }
}

/// What the fake STS answers.
#[derive(Debug, Clone, Copy)]
pub enum StsBehaviour {
    Issue,
    Refuse,
    Fail,
}

/// Records every AssumeRole call; answers per [`StsBehaviour`].
#[derive(Debug)]
pub struct RecordingAssumer {
    pub calls: Mutex<Vec<AssumeRoleRequest>>,
    behaviour: StsBehaviour,
}

pub const ISSUED_SECRET: &str = "issued-secret-access-key";
pub const ISSUED_SESSION_TOKEN: &str = "issued-session-token";

impl RecordingAssumer {
    pub fn new(behaviour: StsBehaviour) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(Vec::new()),
            behaviour,
        })
    }
    pub fn calls(&self) -> Vec<AssumeRoleRequest> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl RoleAssumer for RecordingAssumer {
    async fn assume_role(
        &self,
        request: &AssumeRoleRequest,
    ) -> Result<IssuedCredentials, StsError> {
        self.calls.lock().unwrap().push(request.clone());
        match self.behaviour {
            StsBehaviour::Issue => Ok(IssuedCredentials {
                access_key_id: "ASIATESTISSUED000000".into(),
                secret_access_key: SecretString::from(ISSUED_SECRET.to_owned()),
                session_token: SecretString::from(ISSUED_SESSION_TOKEN.to_owned()),
                expiration: chrono::DateTime::from_timestamp(
                    NOW + i64::from(request.duration_seconds),
                    0,
                )
                .unwrap(),
            }),
            StsBehaviour::Refuse => Err(StsError::Refused {
                role_arn: request.role_arn.clone(),
                code: "AccessDenied".into(),
                message: "not authorized to perform sts:TagSession".into(),
            }),
            StsBehaviour::Fail => Err(StsError::Failed {
                role_arn: request.role_arn.clone(),
                detail: "connection refused".into(),
            }),
        }
    }
}

/// What the fake session check answers.
#[derive(Debug, Clone, Copy)]
pub enum SessionBehaviour {
    Alive,
    Revoked,
    Unavailable,
}

/// Counts GetUser checks; answers per [`SessionBehaviour`].
#[derive(Debug)]
pub struct FakeSessions {
    pub behaviour: Mutex<SessionBehaviour>,
    pub checks: AtomicUsize,
}

impl FakeSessions {
    pub fn checks(&self) -> usize {
        self.checks.load(Ordering::SeqCst)
    }
    pub fn set(&self, behaviour: SessionBehaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }
}

#[async_trait::async_trait]
impl SessionCheck for FakeSessions {
    async fn check(&self, _access_token: &SecretString, _sub: &str) -> Result<(), SessionError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        match *self.behaviour.lock().unwrap() {
            SessionBehaviour::Alive => Ok(()),
            SessionBehaviour::Revoked => Err(SessionError::Refused {
                code: "NotAuthorizedException".into(),
            }),
            SessionBehaviour::Unavailable => Err(SessionError::Unavailable {
                endpoint: "test://cognito".into(),
                detail: "connection refused".into(),
            }),
        }
    }
}

/// Dependencies over fakes: the test JWKS, a clock at [`NOW`], a session check and a
/// recording STS.
pub struct Fakes {
    pub deps: Deps,
    pub jwks: Arc<ScriptedJwks>,
    pub sts: Arc<RecordingAssumer>,
    pub sessions: Arc<FakeSessions>,
    pub clock: Arc<ManualClock>,
}

pub fn fakes() -> Fakes {
    fakes_with(
        config(),
        ScriptedJwks::fixed(jwks("signing-jwks.json")),
        StsBehaviour::Issue,
    )
}

pub fn fakes_with(config: Config, jwks: Arc<ScriptedJwks>, behaviour: StsBehaviour) -> Fakes {
    let clock = ManualClock::at(NOW);
    let sts = RecordingAssumer::new(behaviour);
    let sessions = Arc::new(FakeSessions {
        behaviour: Mutex::new(SessionBehaviour::Alive),
        checks: AtomicUsize::new(0),
    });
    let verifier = Verifier::new(
        VerifierSettings::new(config.issuer(), config.client_id_strings()),
        jwks.clone(),
        clock.clone(),
    );
    Fakes {
        deps: Deps {
            config,
            verifier,
            sessions: sessions.clone(),
            assumer: sts.clone(),
        },
        jwks,
        sts,
        sessions,
        clock,
    }
}

/// The handler's answer as (statusCode, parsed body).
pub async fn invoke(deps: &Deps, event: Value) -> (u64, Value) {
    let answer = cogauth_lambda::handle_json(event, deps).await;
    split_answer(&answer)
}

pub fn split_answer(answer: &Value) -> (u64, Value) {
    let status = answer["statusCode"].as_u64().expect("statusCode");
    let body = answer["body"].as_str().expect("body is a JSON string");
    (status, serde_json::from_str(body).expect("body JSON"))
}

/// Decodes `application/x-www-form-urlencoded` (the AWS query protocol's request bodies).
pub fn form_decode(body: &str) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}
