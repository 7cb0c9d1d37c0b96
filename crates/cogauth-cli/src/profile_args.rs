//! Flags shared by the commands that work on one profile.

use clap::Args;

#[derive(Args, Debug, Clone, Default)]
pub struct ProfileArgs {
    /// The cogauth profile, which is also the AWS profile written (default: $COGAUTH_PROFILE, then `default_profile` in the config, then "default").
    #[arg(long, short = 'p')]
    pub profile: Option<String>,
}
