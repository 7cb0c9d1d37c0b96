//! The few HTTPS requests of browser sign-in: the pool's discovery document, and form posts to
//! the token and revocation endpoints.
//!
//! They go through the HTTP stack the AWS SDK already links into the binaries (hyper 1, rustls
//! with aws-lc, the platform's CA roots), by calling the SDK's own default connector. reqwest,
//! or the `oauth2` crate with its reqwest client, would link a second HTTP and TLS stack into a
//! `cogauth` binary whose size is capped; `oauth2` over this connector would still bring its
//! typed-state client and `serde_path_to_error` for what is here two form posts and a JSON parse
//! (see `token.rs`). Timeouts are those of the AWS calls (`COGAUTH_AWS_TIMEOUT`).

use std::time::Duration;

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use zeroize::Zeroizing;

use crate::env::Env;

/// Why a request got no answer to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpFailure {
    Unreachable(String),
    TimedOut,
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(detail) => write!(f, "cannot connect: {detail}"),
            Self::TimedOut => f.write_str("timed out"),
        }
    }
}

/// An answer: its status, its `Location` (redirects are not followed) and its body (zeroized
/// when dropped: it may hold tokens).
pub(crate) struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: Zeroizing<Vec<u8>>,
}

/// A request to send: a GET, or a POST of an `application/x-www-form-urlencoded` body.
pub(crate) struct Request<'a> {
    pub url: &'a str,
    /// The form, already encoded; `None` for a GET.
    pub form: Option<Zeroizing<String>>,
    /// The value of the `Authorization` header (HTTP Basic client authentication).
    pub authorization: Option<Zeroizing<String>>,
}

/// The SDK's HTTPS connector with the AWS calls' timeouts.
pub(crate) struct Http {
    connector: SharedHttpConnector,
    /// The bound of a whole request, answer included.
    timeout: Duration,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Http {
    pub fn new(env: &dyn Env) -> Self {
        let timeouts = crate::aws::timeouts_for(env);
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(timeouts.connect_timeout().unwrap_or(Duration::from_secs(5)))
            .read_timeout(timeouts.read_timeout().unwrap_or(Duration::from_secs(20)))
            .build();
        let connector = aws_smithy_http_client::default_connector(
            &settings,
            Some(SharedAsyncSleep::new(TokioSleep::new())),
        )
        // Always there: this crate enables the connector's rustls feature, as the SDK does.
        .expect("the AWS SDK's default HTTPS connector is compiled in");
        Self {
            connector,
            timeout: timeouts
                .operation_timeout()
                .unwrap_or(crate::aws::DEFAULT_OPERATION_TIMEOUT),
        }
    }

    /// Sends `request` and reads the whole answer, whatever its status.
    pub async fn send(&self, request: Request<'_>) -> Result<Answer, HttpFailure> {
        let url = request.url;
        let mut http = HttpRequest::new(match &request.form {
            Some(form) => SdkBody::from(form.as_bytes().to_vec()),
            None => SdkBody::empty(),
        });
        http.set_uri(url)
            .map_err(|e| HttpFailure::Unreachable(format!("invalid URL `{url}`: {e}")))?;
        let headers = http.headers_mut();
        headers.insert("user-agent", concat!("cogauth/", env!("CARGO_PKG_VERSION")));
        headers.insert("accept", "application/json");
        if request.form.is_some() {
            headers.insert("content-type", "application/x-www-form-urlencoded");
        }
        if let Some(value) = &request.authorization {
            headers.insert("authorization", value.as_str().to_owned());
        }
        if request.form.is_some() {
            http.set_method("POST")
                .map_err(|e| HttpFailure::Unreachable(e.to_string()))?;
        }
        let exchange = async {
            let response = self
                .connector
                .call(http)
                .await
                .map_err(|e| HttpFailure::Unreachable(crate::aws::error_chain(Some(&e))))?;
            let status = response.status().as_u16();
            let location = response.headers().get("location").map(str::to_owned);
            let body = ByteStream::new(response.into_body())
                .collect()
                .await
                .map_err(|e| HttpFailure::Unreachable(crate::aws::error_chain(Some(&e))))?;
            Ok(Answer {
                status,
                location,
                body: Zeroizing::new(body.into_bytes().to_vec()),
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => {
                tracing::debug!(url, ok = result.is_ok(), "managed login request");
                result
            }
            Err(_) => Err(HttpFailure::TimedOut),
        }
    }
}
