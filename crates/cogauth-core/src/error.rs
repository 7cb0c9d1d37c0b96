//! The library's top-level error: one variant per module error, so callers can match on the
//! kind of failure and `Display` reads as one clear sentence.

use crate::{
    config::ConfigError, fsutil::FsError, identity::IdentityError, paths::PathError,
    prompt::PromptError,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    AwsFiles(#[from] crate::awsfiles::AwsFilesError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    UserPool(#[from] crate::userpool::UserPoolError),
    #[error(transparent)]
    Broker(#[from] crate::broker::BrokerError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
