//! What every cogadmin command needs: the environment, and the AWS SDK config from the normal
//! credential chain (profiles, env), honouring `AWS_ENDPOINT_URL`.

use cogauth_core::env::ProcessEnv;

#[derive(Debug)]
pub struct Context {
    pub env: ProcessEnv,
    pub region: Option<String>,
}

impl Context {
    pub fn new(region: Option<String>) -> Self {
        Self {
            env: ProcessEnv,
            region,
        }
    }

    /// The SDK config for administrative calls. `fallback_region` (e.g. from admin.toml) is
    /// used when neither `--region` nor the AWS config chain gives one.
    pub async fn sdk_config(&self, fallback_region: Option<&str>) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(cogauth_core::aws::timeouts())
            .retry_config(cogauth_core::aws::retries());
        if let Some(region) = &self.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let config = loader.load().await;
        if config.region().is_none()
            && let Some(region) = fallback_region
        {
            return config
                .into_builder()
                .region(aws_config::Region::new(region.to_owned()))
                .build();
        }
        config
    }
}
