//! What the proxy's two plain HTTP calls share (the JWKS and Cognito's GetUser): one client
//! setup with short timeouts and no redirects, and reading a body with a size cap *while it
//! streams*, so a huge or endless answer costs at most the cap in memory and is cut off as soon
//! as it passes it, instead of being buffered whole and then refused (or never finishing).

use std::time::Duration;

/// A client with short timeouts that never follows redirects: the URLs are configured, and a
/// redirect could only lead somewhere nobody configured.
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the answer is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("cannot read the answer: {0}")]
    Read(String),
}

/// Reads `response`'s body, at most `limit` bytes. A `Content-Length` over the limit is refused
/// before anything is read; otherwise the chunks are counted as they arrive and the connection
/// is dropped at the first byte past the limit.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| BodyError::Read(e.to_string()))?
    {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
