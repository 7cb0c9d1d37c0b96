//! What can go wrong in an admin operation; every message names the thing and says what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// An AWS call failed.
    #[error("{service} {operation} failed: {failure}{hint}")]
    Aws {
        service: &'static str,
        operation: &'static str,
        failure: String,
        hint: String,
    },
    #[error(
        "no AWS region: pass --region, set AWS_REGION, or set `default_region` with `cogadmin configure`"
    )]
    NoRegion,
    #[error("{what} `{value}` is not valid: expected {expected}")]
    InvalidInput {
        what: &'static str,
        value: String,
        expected: String,
    },
    #[error("{what} `{name}` does not exist{hint}")]
    NotFound {
        what: &'static str,
        name: String,
        hint: String,
    },
    #[error(
        "{count} {what}s are named `{name}` ({ids}): give the one to use by id, or rename the others"
    )]
    Ambiguous {
        what: &'static str,
        name: String,
        count: usize,
        ids: String,
    },
    #[error(
        "identity pool `{identity_pool_id}` has no authenticated role: run `cogadmin setup` to create and attach one"
    )]
    NoAuthenticatedRole { identity_pool_id: String },
    #[error("cannot read policy file `{path}`: {error}")]
    PolicyFileRead {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("policy file `{path}` is not valid JSON at line {line}, column {column}: {message}")]
    PolicyFileJson {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("policy file `{path}` is not an IAM policy document: {problem}")]
    PolicyFileShape { path: PathBuf, problem: String },
    #[error(
        "IAM refused policy `{policy_name}` for role `{role_name}` as malformed: {message}: fix the document and run again"
    )]
    MalformedPolicy {
        policy_name: String,
        role_name: String,
        message: String,
    },
    #[error(
        "IAM returned a policy document that is not JSON (role `{role_name}`, policy `{policy_name}`): {message}"
    )]
    UnreadablePolicy {
        role_name: String,
        policy_name: String,
        message: String,
    },
    #[error(
        "user `{username}` already exists in user pool `{user_pool_id}`: use `cogadmin user set-password {username}` to change the password"
    )]
    UserExists {
        username: String,
        user_pool_id: String,
    },
    #[error(
        "user `{username}` needs a password: give --email (Cognito emails a temporary password), or --password-stdin, or --temporary-password-stdin"
    )]
    NoInitialPassword { username: String },
    #[error(
        "user `{username}` does not exist in user pool `{user_pool_id}`: see `cogadmin user list`"
    )]
    UserNotFound {
        username: String,
        user_pool_id: String,
    },
    #[error("user pool `{user_pool_id}` refused the password: {message}")]
    PasswordRefused {
        user_pool_id: String,
        message: String,
    },
    #[error("admin config `{path}` is invalid at line {line}, column {column}: {message}")]
    ConfigParse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("admin config `{path}` is not valid: {message}")]
    ConfigInvalid { path: PathBuf, message: String },
    #[error(transparent)]
    Path(#[from] crate::paths::PathError),
    #[error(transparent)]
    Fs(#[from] crate::fsutil::FsError),
}
