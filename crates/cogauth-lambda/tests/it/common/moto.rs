//! A real login on the emulator, the proxy's IAM user with its key in a Secrets Manager secret
//! (as `cogadmin lambda deploy` leaves them), and a recording forwarder in front of it all.

use std::sync::{Arc, Mutex};

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use cogauth_lambda::config::Config;
use cogauth_lambda::{AwsOverrides, Deps};
use cogauth_test_support::fixtures::{self, Pool};
use cogauth_test_support::{ACCOUNT_ID, REGION, emulator};

use super::http::{Handler, HttpRequest, HttpResponse, serve};

pub const PASSWORD: &str = "Corr3ct-Horse-Battery!";

/// A user pool with a confirmed user, and the tokens of a USER_PASSWORD_AUTH login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub pool: Pool,
    pub username: String,
    pub sub: String,
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl LoggedIn {
    /// The request cogauth sends: both tokens.
    pub fn request(&self) -> serde_json::Value {
        serde_json::json!({"id_token": self.id_token, "access_token": self.access_token})
    }

    /// Signs in again as the same user: another session (another `origin_jti`).
    pub async fn sign_in_again(&self) -> LoggedIn {
        let (id_token, access_token, refresh_token) =
            password_auth(&self.pool.client_id, &self.username).await;
        LoggedIn {
            id_token,
            access_token,
            refresh_token,
            ..self.clone()
        }
    }
}

/// USER_PASSWORD_AUTH with [`PASSWORD`]: (ID, access, refresh) tokens.
pub async fn password_auth(client_id: &str, username: &str) -> (String, String, String) {
    let auth = fixtures::idp_client()
        .await
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth USER_PASSWORD_AUTH");
    let result = auth.authentication_result().expect("tokens");
    (
        result.id_token().expect("id token").to_owned(),
        result.access_token().expect("access token").to_owned(),
        result.refresh_token().expect("refresh token").to_owned(),
    )
}

pub async fn login() -> LoggedIn {
    let pool = fixtures::create_pool(Default::default()).await;
    login_to(pool).await
}

pub async fn login_to(pool: Pool) -> LoggedIn {
    login_as(pool, &fixtures::unique("alice")).await
}

/// Creates `username` in `pool` and signs in.
pub async fn login_as(pool: Pool, username: &str) -> LoggedIn {
    fixtures::create_user(&pool, username, PASSWORD).await;
    let (id_token, access_token, refresh_token) = password_auth(&pool.client_id, username).await;
    let user = fixtures::idp_client()
        .await
        .admin_get_user()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .send()
        .await
        .expect("AdminGetUser");
    let sub = user
        .user_attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
        .expect("sub attribute")
        .to_owned();
    LoggedIn {
        id_token,
        access_token,
        refresh_token,
        pool,
        username: username.to_owned(),
        sub,
    }
}

/// The pool's JWKS URL on the emulator.
pub fn jwks_url(user_pool_id: &str) -> String {
    format!(
        "{}/{user_pool_id}/.well-known/jwks.json",
        emulator().endpoint()
    )
}

/// A long-lived role trusted by a (fictitious) proxy IAM user, as the deploy creates it.
pub async fn long_lived_role() -> (String, String) {
    let name = fixtures::unique("LongLived");
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:user/CognitoCredentialProxyUser")},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
        }]
    });
    fixtures::iam_client()
        .await
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(trust.to_string())
        .max_session_duration(43200)
        .send()
        .await
        .expect("CreateRole");
    (format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}"), name)
}

/// The proxy's IAM user, one access key, and the secret holding it.
#[derive(Debug, Clone)]
pub struct ProxyKey {
    pub user_name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub secret_arn: String,
}

/// The execution role's credentials in tests: the emulator's dummy ones.
pub fn execution_role() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new("testing", "testing", None, None, "execution-role")
}

pub async fn secrets_client() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&emulator().sdk_config().await)
}

/// A new access key of `user_name`: (id, secret).
pub async fn create_access_key(user_name: &str) -> (String, String) {
    let key = fixtures::iam_client()
        .await
        .create_access_key()
        .user_name(user_name)
        .send()
        .await
        .expect("CreateAccessKey");
    let key = key.access_key().expect("access key");
    (
        key.access_key_id().to_owned(),
        key.secret_access_key().to_owned(),
    )
}

/// The secret's value for a key, in the shape the proxy reads.
pub fn secret_json(access_key_id: &str, secret_access_key: &str) -> String {
    serde_json::json!({"AccessKeyId": access_key_id, "SecretAccessKey": secret_access_key})
        .to_string()
}

/// Writes a new version of the secret.
pub async fn put_secret(secret_arn: &str, value: &str) {
    secrets_client()
        .await
        .put_secret_value()
        .secret_id(secret_arn)
        .secret_string(value)
        .send()
        .await
        .expect("PutSecretValue");
}

/// An IAM user with one key, written to a new secret.
pub async fn proxy_key() -> ProxyKey {
    let user_name = fixtures::unique("CognitoCredentialProxyUser");
    fixtures::iam_client()
        .await
        .create_user()
        .user_name(&user_name)
        .send()
        .await
        .expect("CreateUser");
    let (access_key_id, secret_access_key) = create_access_key(&user_name).await;
    let secret = secrets_client()
        .await
        .create_secret()
        .name(fixtures::unique("cogauth/proxy-key"))
        .secret_string(secret_json(&access_key_id, &secret_access_key))
        .send()
        .await
        .expect("CreateSecret");
    ProxyKey {
        user_name,
        access_key_id,
        secret_access_key,
        secret_arn: secret.arn().expect("secret ARN").to_owned(),
    }
}

/// The proxy's configuration for `user`'s pool, the key in `secret_arn`, and `extra`
/// variables (which replace the defaults of the same name; an empty value unsets one).
pub fn config_for(
    user: &LoggedIn,
    role_arn: &str,
    secret_arn: &str,
    extra: &[(&str, &str)],
) -> Config {
    let jwks = jwks_url(&user.pool.user_pool_id);
    let mut vars: Vec<(&str, &str)> = vec![
        ("USER_POOL_ID", &user.pool.user_pool_id),
        ("CLIENT_IDS", &user.pool.client_id),
        ("DEFAULT_ROLE_ARN", role_arn),
        ("IAM_USER_SECRET_ARN", secret_arn),
        ("REQUIRE_ACCESS_TOKEN", "true"),
        ("COGAUTH_JWKS_URL", &jwks),
        ("AWS_REGION", REGION),
    ];
    vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    vars.extend_from_slice(extra);
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("proxy configuration")
}

/// The real dependencies, every AWS call to `endpoint` (the emulator or a forwarder in front
/// of it), Secrets Manager read with [`execution_role`].
pub async fn deps(config: Config, endpoint: &str) -> Deps {
    Deps::from_config_with(config, AwsOverrides::at(endpoint, "testing", "testing"))
        .await
        .expect("proxy dependencies")
}

/// Who STS says the credentials in the proxy's answer `body` are (GetCallerIdentity's ARN).
pub async fn caller_arn(body: &serde_json::Value) -> String {
    let issued = aws_credential_types::Credentials::new(
        body["access_key_id"].as_str().expect("access_key_id"),
        body["secret_access_key"]
            .as_str()
            .expect("secret_access_key"),
        Some(
            body["session_token"]
                .as_str()
                .expect("session_token")
                .to_owned(),
        ),
        None,
        "issued",
    );
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&emulator().sdk_config().await)
            .credentials_provider(issued)
            .build(),
    )
    .get_caller_identity()
    .send()
    .await
    .expect("GetCallerIdentity with the issued credentials")
    .arn()
    .expect("an ARN")
    .to_owned()
}

/// One request that went through the forwarder, and the emulator's answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: HttpRequest,
    pub status: u16,
    pub response: String,
}

impl Exchange {
    /// The operation: `X-Amz-Target`'s (JSON protocols) or `Action` (query protocol).
    pub fn operation(&self) -> String {
        if let Some(target) = self.request.header("x-amz-target") {
            return target.rsplit('.').next().unwrap_or_default().to_owned();
        }
        let body = std::str::from_utf8(&self.request.body).unwrap_or_default();
        super::form_decode(body)
            .remove("Action")
            .unwrap_or_default()
    }

    /// The access key id the request was signed with.
    pub fn signed_with(&self) -> Option<String> {
        let auth = self.request.header("authorization")?;
        let credential = auth.split("Credential=").nth(1)?;
        Some(credential.split('/').next()?.to_owned())
    }
}

/// The exchanges of one operation.
pub fn calls_of(log: &Mutex<Vec<Exchange>>, operation: &str) -> Vec<Exchange> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|e| e.operation() == operation)
        .cloned()
        .collect()
}

/// Forwards every request to the emulator and records it: shows what the real SDK client put
/// on the wire, which moto itself does not keep (session tags, source identity).
pub async fn recording_forwarder() -> (String, Arc<Mutex<Vec<Exchange>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::new();
    let target = emulator().endpoint().to_owned();
    let recorded = log.clone();
    let handler: Handler = Arc::new(move |request: HttpRequest| {
        let client = client.clone();
        let url = format!("{target}{}", request.path);
        let log = recorded.clone();
        Box::pin(async move {
            let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
            let mut forward = client.request(method, &url).body(request.body.clone());
            // The Host header is kept: it is signed, and the emulator checks the signatures
            // of keys IAM issued.
            for (k, v) in &request.headers {
                if !["content-length", "connection", "transfer-encoding"]
                    .contains(&k.to_ascii_lowercase().as_str())
                {
                    forward = forward.header(k, v);
                }
            }
            let answer = forward.send().await.expect("forward to the emulator");
            let status = answer.status().as_u16();
            let content_type = answer
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("text/xml")
                .to_owned();
            let body = answer.text().await.unwrap_or_default();
            log.lock().unwrap().push(Exchange {
                request,
                status,
                response: body.clone(),
            });
            HttpResponse::new(status, body).header("content-type", &content_type)
        })
    });
    let addr = serve(handler).await;
    (format!("http://{addr}"), log)
}
