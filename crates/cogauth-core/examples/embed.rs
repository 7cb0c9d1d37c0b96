//! Embedding cogauth-core: an AWS SDK client whose credentials come from a cogauth profile.
//!
//! Log in once with `cogauth login --profile dev`; from then on this program gets the
//! profile's credentials from the session cache, refreshed silently with the cached refresh
//! token when they get close to expiry, shared with every cogauth process on the machine.
//!
//! ```sh
//! cargo run -p cogauth-core --example embed -- dev
//! ```
//!
//! `tests/it/embed_example.rs` runs [`caller_arn`] against the emulator.

use cogauth_core::provider::CogauthCredentialsProvider;

/// Asks STS who the credentials of `provider` belong to. `loader` is the usual SDK
/// configuration (region, endpoint, retries); the provider supplies the credentials.
pub async fn caller_arn(
    loader: aws_config::ConfigLoader,
    provider: CogauthCredentialsProvider,
) -> Result<String, Box<dyn std::error::Error>> {
    let config = loader.credentials_provider(provider).load().await;
    let sts = aws_sdk_sts::Client::new(&config);
    let me = sts.get_caller_identity().send().await?;
    Ok(me.arn().unwrap_or_default().to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let profile = std::env::args().nth(1).unwrap_or_else(|| "dev".to_owned());
    // Fails at once on a broken or incomplete profile; never prompts. Without a session to
    // refresh, the SDK gets `CredentialsNotLoaded` and says to run `cogauth login`.
    let provider = CogauthCredentialsProvider::builder()
        .profile(profile)
        .build()?;
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    println!("{}", caller_arn(loader, provider).await?);
    Ok(())
}
