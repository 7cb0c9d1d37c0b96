//! What a caller sends: `{"id_token", "access_token"?, "duration_seconds"?, "role_arn"?}`,
//! either as the event
//! itself (direct Invoke, as the original client does) or as the `body` of an API Gateway or
//! function-URL event, where the body is a JSON string (possibly base64) or an object.

use base64::Engine as _;
use secrecy::SecretString;
use serde_json::Value;

/// ID and access tokens are a few kilobytes; anything far larger is not one.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A parsed request. The tokens are secrets: they never appear in `Debug` or in logs.
#[derive(Debug)]
pub struct Request {
    pub id_token: SecretString,
    /// The access token of the same session: when present, the proxy asks Cognito whether the
    /// session is still alive (GetUser). Old clients do not send it.
    pub access_token: Option<SecretString>,
    pub duration_seconds: Option<i64>,
    pub role_arn: Option<String>,
}

/// Why a request could not be read; the message is safe to return to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("request body is not a JSON object")]
    NotAnObject,
    #[error("request body is not valid base64")]
    BadBase64,
    #[error("request body is not valid JSON")]
    BadJson,
    #[error("`id_token` is missing")]
    MissingToken,
    #[error("`id_token` must be a non-empty string of at most 16 KiB")]
    BadToken,
    #[error("`access_token` must be a non-empty string of at most 16 KiB")]
    BadAccessToken,
    #[error("`duration_seconds` must be an integer number of seconds")]
    BadDuration,
    #[error("`role_arn` must be a string")]
    BadRoleArn,
}

impl Request {
    /// Reads a request from a Lambda event.
    pub fn from_event(event: &Value) -> Result<Self, RequestError> {
        let object = event.as_object().ok_or(RequestError::NotAnObject)?;
        if object.contains_key("id_token") {
            return Self::from_fields(event);
        }
        match object.get("body") {
            Some(Value::String(body)) => {
                let base64 = object
                    .get("isBase64Encoded")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let bytes = if base64 {
                    base64::engine::general_purpose::STANDARD
                        .decode(body.trim())
                        .map_err(|_| RequestError::BadBase64)?
                } else {
                    body.as_bytes().to_vec()
                };
                let inner: Value =
                    serde_json::from_slice(&bytes).map_err(|_| RequestError::BadJson)?;
                Self::from_fields(&inner)
            }
            Some(inner @ Value::Object(_)) => Self::from_fields(inner),
            Some(_) => Err(RequestError::NotAnObject),
            None => Err(RequestError::MissingToken),
        }
    }

    fn from_fields(value: &Value) -> Result<Self, RequestError> {
        let object = value.as_object().ok_or(RequestError::NotAnObject)?;
        let id_token = match object.get("id_token") {
            None | Some(Value::Null) => return Err(RequestError::MissingToken),
            Some(Value::String(t)) if !t.is_empty() && t.len() <= MAX_TOKEN_LEN => {
                SecretString::from(t.clone())
            }
            Some(_) => return Err(RequestError::BadToken),
        };
        let access_token = match object.get("access_token") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) if !t.is_empty() && t.len() <= MAX_TOKEN_LEN => {
                Some(SecretString::from(t.clone()))
            }
            Some(_) => return Err(RequestError::BadAccessToken),
        };
        let duration_seconds = match object.get("duration_seconds") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(n.as_i64().ok_or(RequestError::BadDuration)?),
            Some(Value::String(s)) => Some(parse_integer(s).ok_or(RequestError::BadDuration)?),
            Some(_) => return Err(RequestError::BadDuration),
        };
        let role_arn = match object.get("role_arn") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(RequestError::BadRoleArn),
        };
        Ok(Self {
            id_token,
            access_token,
            duration_seconds,
            role_arn,
        })
    }
}

/// An optionally signed decimal integer, nothing else ("3600", not "3600.0" or "1h").
fn parse_integer(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;
    use serde_json::json;

    use super::*;

    fn parse(event: Value) -> Result<Request, RequestError> {
        Request::from_event(&event)
    }

    #[test]
    fn direct_event() {
        let r =
            parse(json!({"id_token": "t", "duration_seconds": 3600, "role_arn": "arn"})).unwrap();
        assert_eq!(r.id_token.expose_secret(), "t");
        assert_eq!(r.duration_seconds, Some(3600));
        assert_eq!(r.role_arn.as_deref(), Some("arn"));
        let r = parse(json!({"id_token": "t"})).unwrap();
        assert_eq!((r.duration_seconds, r.role_arn), (None, None));
        assert!(r.access_token.is_none());
        let r = parse(json!({"id_token": "t", "access_token": "a"})).unwrap();
        assert_eq!(r.access_token.unwrap().expose_secret(), "a");
        let r = parse(json!({"id_token": "t", "access_token": null})).unwrap();
        assert!(r.access_token.is_none());
    }

    #[test]
    fn malformed_access_tokens() {
        let huge = "a".repeat(MAX_TOKEN_LEN + 1);
        for value in [json!(""), json!(5), json!(["a"]), json!(huge)] {
            assert_eq!(
                parse(json!({"id_token": "t", "access_token": value})).unwrap_err(),
                RequestError::BadAccessToken
            );
        }
    }

    #[test]
    fn api_gateway_body_as_string_object_or_base64() {
        let r =
            parse(json!({"body": "{\"id_token\":\"t\",\"duration_seconds\":\"7200\"}"})).unwrap();
        assert_eq!(r.duration_seconds, Some(7200));
        let r = parse(json!({"body": {"id_token": "t", "duration_seconds": 60}})).unwrap();
        assert_eq!(r.duration_seconds, Some(60));
        let encoded = base64::engine::general_purpose::STANDARD.encode(r#"{"id_token":"b64"}"#);
        let r = parse(json!({"body": encoded, "isBase64Encoded": true})).unwrap();
        assert_eq!(r.id_token.expose_secret(), "b64");
    }

    #[test]
    fn durations() {
        for (value, expected) in [
            (json!(900), Some(900)),
            (json!("43200"), Some(43200)),
            (json!(" 3600 "), Some(3600)),
            (json!("-5"), Some(-5)),
            (json!(null), None),
        ] {
            let r = parse(json!({"id_token": "t", "duration_seconds": value})).unwrap();
            assert_eq!(r.duration_seconds, expected, "{value}");
        }
        for value in [
            json!(3600.5),
            json!("3600.0"),
            json!("1h"),
            json!(""),
            json!("9999999999999999"),
            json!(true),
            json!([3600]),
            json!({"s": 1}),
        ] {
            assert_eq!(
                parse(json!({"id_token": "t", "duration_seconds": value})).unwrap_err(),
                RequestError::BadDuration,
                "{value}"
            );
        }
    }

    #[test]
    fn malformed_requests() {
        assert_eq!(parse(json!("x")).unwrap_err(), RequestError::NotAnObject);
        assert_eq!(parse(json!({})).unwrap_err(), RequestError::MissingToken);
        assert_eq!(
            parse(json!({"body": "{"})).unwrap_err(),
            RequestError::BadJson
        );
        assert_eq!(
            parse(json!({"body": "[1]"})).unwrap_err(),
            RequestError::NotAnObject
        );
        assert_eq!(
            parse(json!({"body": 5})).unwrap_err(),
            RequestError::NotAnObject
        );
        assert_eq!(
            parse(json!({"body": "%%%", "isBase64Encoded": true})).unwrap_err(),
            RequestError::BadBase64
        );
        assert_eq!(
            parse(json!({"id_token": 5})).unwrap_err(),
            RequestError::BadToken
        );
        assert_eq!(
            parse(json!({"id_token": ""})).unwrap_err(),
            RequestError::BadToken
        );
        let huge = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(
            parse(json!({"id_token": huge})).unwrap_err(),
            RequestError::BadToken
        );
        assert_eq!(
            parse(json!({"id_token": "t", "role_arn": 1})).unwrap_err(),
            RequestError::BadRoleArn
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let r = parse(json!({"id_token": "eyJsecret", "access_token": "eyJaccess"})).unwrap();
        let shown = format!("{r:?}");
        assert!(!shown.contains("eyJsecret") && !shown.contains("eyJaccess"));
    }
}
