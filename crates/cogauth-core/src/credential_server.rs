//! A local credential server for long jobs, in the AWS SDKs' container-credentials format.
//!
//! A process given `AWS_CONTAINER_CREDENTIALS_FULL_URI` (the server's URL) and
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN` (a random secret) gets its credentials from this server,
//! and asks again whenever they near expiry: every AWS SDK and the AWS CLI do (botocore's
//! `ContainerProvider`, the Rust SDK's `EcsCredentialsProvider`, the JS SDK's
//! `fromContainerMetadata` and `fromHttp`, the Go and Java SDKs). Every answer comes from
//! [`Broker::credentials`], so the credentials are refreshed silently for as long as the
//! refresh token lives, and no static key ever sits in the job's environment.
//!
//! What the SDKs require, and what the server does:
//! - The URL must be `https`, or `http` to a loopback address. The JS SDK's
//!   `fromContainerMetadata` accepts only the host names `localhost` and `127.0.0.1` (botocore
//!   and the Rust SDK accept any loopback IP), so the server listens on `127.0.0.1` only and
//!   its URL names that address.
//! - The token goes, as it is, in the `Authorization` header of a `GET`. A request without the
//!   exact token gets 403, and so does one whose `Host` is not a loopback name or address with
//!   this server's port (a page in a browser could otherwise reach the server through DNS
//!   rebinding: it can send neither the token nor a loopback `Host`).
//! - The answer is `200` with `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`,
//!   `Expiration` in RFC 3339 (`2026-11-26T12:00:00Z`): botocore parses it with dateutil, the
//!   Rust SDK as a smithy `DateTime`, the JS SDK with `new Date`. A failure is a non-200 answer
//!   whose JSON body has `Code` and `Message` (the Rust SDK reads them; botocore shows the body).
//!
//! HTTP is written here, on tokio's TCP, because what is served is one `GET` per connection
//! (the answer says `Connection: close`), on loopback, to a handful of clients: hyper's server
//! half is not compiled in (the SDK brings only its client), and enabling it would rebuild the
//! SDK's HTTP stack for a few dozen lines. `httparse` (hyper's own parser) reads the request.
//! The token is never logged: requests are logged with their method, path and status only.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use base64::Engine as _;
use chrono::{Duration, SecondsFormat};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::broker::{Broker, BrokerError, Served};

/// The environment variable that carries the server's URL.
pub const FULL_URI_VAR: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// The environment variable that carries the authorization token.
pub const TOKEN_VAR: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";

/// The longest request head read; a larger one gets 431.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request head.
const READ_TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// What is read, at most, of a request after its answer, and for how long.
const DRAIN_LIMIT: usize = 1024 * 1024;
const DRAIN_TIME: StdDuration = StdDuration::from_secs(2);

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "cannot listen on 127.0.0.1:{port}: {error} (choose another --port, or leave it out for a free one)"
    )]
    Bind { port: u16, error: std::io::Error },
    #[error("the credential server stopped accepting connections: {0}")]
    Accept(std::io::Error),
}

/// How the server serves credentials.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Credentials handed out stay valid for longer than this (refreshed first otherwise).
    pub window: Duration,
    pub use_lambda_proxy: bool,
}

/// A bound, not yet serving, credential server.
pub struct CredentialServer {
    listener: TcpListener,
    port: u16,
    token: SecretString,
    broker: Arc<Broker>,
    options: ServeOptions,
}

impl std::fmt::Debug for CredentialServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialServer")
            .field("port", &self.port)
            .field("token", &"** redacted **")
            .field("broker", &self.broker)
            .field("options", &self.options)
            .finish()
    }
}

impl CredentialServer {
    /// Listens on `127.0.0.1:port` (`0`: a free port the kernel picks) with a new random
    /// authorization token.
    pub async fn bind(
        broker: Arc<Broker>,
        port: u16,
        options: ServeOptions,
    ) -> Result<Self, ServerError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(|error| ServerError::Bind { port, error })?;
        let port = listener
            .local_addr()
            .map_err(|error| ServerError::Bind { port, error })?
            .port();
        Ok(Self {
            listener,
            port,
            token: new_token(),
            broker,
            options,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The value of `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The value of `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub fn token(&self) -> &SecretString {
        &self.token
    }

    /// Serves until `shutdown` completes; each connection is served on its own task.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let shared = Arc::new(Shared {
            port: self.port,
            token: self.token,
            broker: self.broker,
            options: self.options,
        });
        tracing::info!(port = self.port, "credential server listening on 127.0.0.1");
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => {
                    tracing::info!("credential server stopping");
                    return Ok(());
                }
                accepted = self.listener.accept() => {
                    let (stream, _) = match accepted {
                        Ok(pair) => pair,
                        // Too many open files and the like pass; the listener itself is fine.
                        Err(e) if is_transient(&e) => {
                            tracing::warn!(error = %e, "credential server: a connection failed");
                            continue;
                        }
                        Err(e) => return Err(ServerError::Accept(e)),
                    };
                    let shared = shared.clone();
                    tokio::spawn(async move { shared.connection(stream).await });
                }
            }
        }
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || e
        .raw_os_error()
        .is_some_and(|code| code == 24 || code == 23) // EMFILE, ENFILE
}

/// 32 random bytes, base64url: a legal header value with 256 bits of entropy.
fn new_token() -> SecretString {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

struct Shared {
    port: u16,
    token: SecretString,
    broker: Arc<Broker>,
    options: ServeOptions,
}

/// One answer: status, reason, JSON body.
struct Answer {
    status: u16,
    body: zeroize::Zeroizing<String>,
}

impl Answer {
    fn error(status: u16, code: &str, message: &str) -> Self {
        Self {
            status,
            body: zeroize::Zeroizing::new(
                serde_json::json!({"Code": code, "Message": message}).to_string(),
            ),
        }
    }
}

impl Shared {
    async fn connection(&self, mut stream: TcpStream) {
        let answer = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
            Ok(Ok(head)) => self.answer(&head).await,
            Ok(Err(HeadError::TooLarge)) => {
                Answer::error(431, "RequestTooLarge", "the request head is too large")
            }
            Ok(Err(HeadError::Malformed)) => {
                Answer::error(400, "BadRequest", "the request is not valid HTTP/1.1")
            }
            // The client went away, or sent nothing in time: nobody to answer.
            Ok(Err(HeadError::Closed)) | Err(_) => return,
        };
        let reason = match answer.status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        };
        let mut response = zeroize::Zeroizing::new(format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n{}\r\n",
            answer.status,
            answer.body.len(),
            if answer.status == 405 {
                "Allow: GET\r\n"
            } else {
                ""
            },
        ));
        response.push_str(&answer.body);
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
        // Read what the client may still be sending (an oversized head) before closing:
        // closing with unread data resets the connection, and the client could lose the answer.
        let drain = async {
            let mut sink = [0u8; 4096];
            let mut left = DRAIN_LIMIT;
            while left > 0 {
                match stream.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }

    async fn answer(&self, head: &[u8]) -> Answer {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        let parsed = request.parse(head);
        if !matches!(parsed, Ok(httparse::Status::Complete(_))) {
            return Answer::error(400, "BadRequest", "the request is not valid HTTP/1.1");
        }
        let method = request.method.unwrap_or_default().to_owned();
        let path = request.path.unwrap_or_default().to_owned();
        let header = |name: &str| {
            let mut values = request
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(name));
            match (values.next(), values.next()) {
                (Some(h), None) => Some(h.value),
                _ => None,
            }
        };
        let answer = if !header("host")
            .and_then(|h| std::str::from_utf8(h).ok())
            .is_some_and(|h| is_loopback_host(h, self.port))
        {
            Answer::error(
                403,
                "Forbidden",
                "the Host header must name this loopback server",
            )
        } else if !header("authorization")
            .is_some_and(|v| constant_time_eq(v, self.token.expose_secret().as_bytes()))
        {
            Answer::error(
                403,
                "Forbidden",
                "a missing or wrong Authorization header: send AWS_CONTAINER_AUTHORIZATION_TOKEN",
            )
        } else if method != "GET" {
            Answer::error(405, "MethodNotAllowed", "only GET is served")
        } else if path != "/" {
            Answer::error(404, "NotFound", "credentials are served at /")
        } else {
            self.credentials().await
        };
        tracing::info!(
            method = %method.escape_debug(),
            path = %path.chars().take(64).collect::<String>().escape_debug(),
            status = answer.status,
            "credential server request"
        );
        answer
    }

    async fn credentials(&self) -> Answer {
        match self
            .broker
            .credentials(self.options.window, self.options.use_lambda_proxy)
            .await
        {
            Ok(obtained) => {
                if obtained.served == Served::Refreshed {
                    tracing::info!(
                        expires = %obtained.credentials.expiration,
                        "credential server refreshed the credentials"
                    );
                }
                if let Some(why) = &obtained.upgrade_failure {
                    tracing::warn!("{why}; serving the identity pool's 1 h credentials instead");
                }
                if let Some(why) = &obtained.republish_failure {
                    tracing::warn!(
                        "refreshed, but could not update the AWS credentials file: {why}"
                    );
                }
                let c = &obtained.credentials;
                Answer {
                    status: 200,
                    body: zeroize::Zeroizing::new(
                        serde_json::json!({
                            "AccessKeyId": c.access_key_id,
                            "SecretAccessKey": c.secret_access_key(),
                            "Token": c.session_token(),
                            "Expiration": c.expiration.to_rfc3339_opts(SecondsFormat::Secs, true),
                        })
                        .to_string(),
                    ),
                }
            }
            Err(e) => {
                tracing::warn!("credential server: {e}");
                let (status, code) = match &e {
                    BrokerError::LoginRequired(_) => (503, "LoginRequired"),
                    _ => (500, "RefreshFailed"),
                };
                Answer::error(status, code, &e.to_string())
            }
        }
    }
}

enum HeadError {
    Closed,
    TooLarge,
    Malformed,
}

/// Reads up to the end of the request head (`\r\n\r\n`); a body, if any, is never read.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        let n = stream.read(&mut buf).await.map_err(|_| HeadError::Closed)?;
        if n == 0 {
            return match head.is_empty() {
                true => Err(HeadError::Closed),
                false => Err(HeadError::Malformed),
            };
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end + 4);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

/// `127.0.0.1`, any `127.x.y.z`, `localhost` or `[::1]`, with this port or none.
fn is_loopback_host(host: &str, port: u16) -> bool {
    let (name, given_port) = match host.rsplit_once(':') {
        // `[::1]` alone has colons inside the brackets only.
        Some((name, p)) if !p.contains(']') => (name, Some(p)),
        _ => (host, None),
    };
    if given_port.is_some_and(|p| p.parse::<u16>().ok() != Some(port)) {
        return false;
    }
    let name = name.trim_end_matches('.');
    if name.eq_ignore_ascii_case("localhost") || name == "[::1]" {
        return true;
    }
    name.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Compares without stopping at the first difference, so the time taken does not tell how
/// much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_with_this_port_pass() {
        for good in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "localhost:8080",
            "LOCALHOST:8080",
            "localhost.:8080",
            "[::1]:8080",
            "[::1]",
            "127.1.2.3:8080",
        ] {
            assert!(is_loopback_host(good, 8080), "{good}");
        }
        for bad in [
            "127.0.0.1:8081",
            "evil.example:8080",
            "localhost.evil.example:8080",
            "10.0.0.1:8080",
            "169.254.170.2:8080",
            "0.0.0.0:8080",
            "[::2]:8080",
            "127.0.0.1:",
            "127.0.0.1:8080:8080",
            "",
        ] {
            assert!(!is_loopback_host(bad, 8080), "{bad}");
        }
    }

    #[test]
    fn tokens_are_random_and_header_safe() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.expose_secret().len(), 43);
        assert!(
            a.expose_secret()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
