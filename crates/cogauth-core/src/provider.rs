//! Embedding: a credentials provider for the AWS SDK for Rust that serves a cogauth profile.
//!
//! It is `cogauth credential-process` as a library: both call [`Broker::credentials`], so it
//! serves cached credentials while they stay valid beyond the refresh window, else runs a
//! single-flight silent refresh with the cached refresh token (shared with every cogauth
//! process through the cache lock), and keeps a cogauth section of `~/.aws/credentials`
//! current. It never prompts: when there is no session to refresh it reports
//! `CredentialsNotLoaded`, so a provider chain moves on to its next provider.
//!
//! ```no_run
//! use cogauth_core::provider::CogauthCredentialsProvider;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let provider = CogauthCredentialsProvider::builder().profile("dev").build()?;
//! let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
//!     .credentials_provider(provider)
//!     .load()
//!     .await;
//! let sts = aws_sdk_sts::Client::new(&config);
//! let me = sts.get_caller_identity().send().await?;
//! assert!(me.arn().is_some());
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use aws_credential_types::provider::{self, ProvideCredentials, error::CredentialsError, future};

use crate::broker::{Broker, BrokerError};
use crate::cache::{FileSessionStore, SessionStore};
use crate::clock::{Clock, SystemClock};
use crate::config::{Overrides, Settings};
use crate::env::{Env, ProcessEnv};
use crate::error::Error;

/// The provider name the SDK shows in its logs and errors.
const PROVIDER_NAME: &str = "cogauth";

/// Serves a cogauth profile's credentials to the AWS SDK.
#[derive(Debug, Clone)]
pub struct CogauthCredentialsProvider {
    broker: Arc<Broker>,
    window: chrono::Duration,
    use_lambda_proxy: bool,
}

/// Builds a [`CogauthCredentialsProvider`].
#[derive(Debug, Default)]
pub struct Builder {
    profile: Option<String>,
    window: Option<chrono::Duration>,
    env: Option<Arc<dyn Env>>,
    clock: Option<Arc<dyn Clock>>,
    store: Option<Arc<dyn SessionStore>>,
    no_lambda_proxy: bool,
}

impl CogauthCredentialsProvider {
    pub fn builder() -> Builder {
        Builder::default()
    }

    async fn load(&self) -> provider::Result {
        match self
            .broker
            .credentials(self.window, self.use_lambda_proxy)
            .await
        {
            Ok(obtained) => {
                // The upgrade failure is logged by the pipeline; this one only here.
                if let Some(e) = &obtained.republish_failure {
                    tracing::warn!(error = %e, "refreshed, but the AWS credentials file still holds the previous credentials");
                }
                Ok(obtained.credentials.to_aws(PROVIDER_NAME))
            }
            Err(BrokerError::LoginRequired(why)) => Err(CredentialsError::not_loaded(why)),
            Err(e) => Err(CredentialsError::provider_error(e)),
        }
    }
}

impl ProvideCredentials for CogauthCredentialsProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

impl Builder {
    /// The cogauth profile (default: `COGAUTH_PROFILE`, then the config's default, then "default").
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Refresh when less than this remains (default 15 minutes, as botocore).
    pub fn refresh_window(mut self, window: chrono::Duration) -> Self {
        self.window = Some(window);
        self
    }

    /// Do not upgrade through the Lambda proxy when refreshing.
    pub fn no_lambda_proxy(mut self) -> Self {
        self.no_lambda_proxy = true;
        self
    }

    /// The environment to resolve settings and files from (default: the process's).
    pub fn env(mut self, env: Arc<dyn Env>) -> Self {
        self.env = Some(env);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The session store (default: the file cache).
    pub fn store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Resolves the profile's settings; fails on a broken or incomplete configuration.
    pub fn build(self) -> Result<CogauthCredentialsProvider, Error> {
        let env = self.env.unwrap_or_else(|| Arc::new(ProcessEnv));
        let settings = Settings::load(
            env.as_ref(),
            &Overrides {
                profile: self.profile,
                ..Default::default()
            },
        )?;
        let store = match self.store {
            Some(s) => s,
            None => Arc::new(FileSessionStore::from_env(env.as_ref())?),
        };
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        Ok(CogauthCredentialsProvider {
            broker: Arc::new(Broker::new(settings, env, clock, store)),
            window: self.window.unwrap_or_else(|| chrono::Duration::minutes(15)),
            use_lambda_proxy: !self.no_lambda_proxy,
        })
    }
}
