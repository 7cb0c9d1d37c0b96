//! A real login on the emulator, and a recording forwarder in front of it.

use std::sync::{Arc, Mutex};

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use cogauth_test_support::fixtures::{self, Pool};
use cogauth_test_support::{ACCOUNT_ID, emulator};

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
}

pub async fn login() -> LoggedIn {
    let pool = fixtures::create_pool(Default::default()).await;
    login_to(pool).await
}

pub async fn login_to(pool: Pool) -> LoggedIn {
    let username = fixtures::unique("alice");
    fixtures::create_user(&pool, &username, PASSWORD).await;
    let idp = fixtures::idp_client().await;
    let auth = idp
        .initiate_auth()
        .client_id(&pool.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &username)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth USER_PASSWORD_AUTH");
    let result = auth.authentication_result().expect("tokens");
    let user = idp
        .admin_get_user()
        .user_pool_id(&pool.user_pool_id)
        .username(&username)
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
        id_token: result.id_token().expect("id token").to_owned(),
        access_token: result.access_token().expect("access token").to_owned(),
        pool,
        username,
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

/// One request that went through the forwarder, and the emulator's answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: HttpRequest,
    pub status: u16,
    pub response: String,
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
            for (k, v) in &request.headers {
                if !["host", "content-length", "connection", "transfer-encoding"]
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
