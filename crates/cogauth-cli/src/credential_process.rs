//! `cogauth credential-process`: the AWS CLI's `credential_process` protocol. Stdout carries
//! the JSON and nothing else; anything for the user goes to the terminal or stderr.

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub struct CredentialProcessArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Refresh when fewer than this many minutes remain (botocore refreshes at 15).
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub window: u32,
    /// Do not upgrade through the Lambda proxy when refreshing.
    #[arg(long)]
    pub no_lambda_proxy: bool,
}

pub fn run(args: CredentialProcessArgs) -> Result<()> {
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    let creds = crate::obtain::credentials(&broker, args.window, !args.no_lambda_proxy)?;
    println!("{}", crate::export::process_json(&creds));
    Ok(())
}
