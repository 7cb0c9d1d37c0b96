//! `cogauth console`: the AWS Management Console, signed in with the profile's credentials
//! through the federation endpoint (`cogauth_core::console`). The login URL is opened in the
//! browser, or printed with `--print`; it signs in whoever holds it for 15 minutes, so it is
//! shown nowhere else.

use anyhow::Result;
use clap::Args;
use cogauth_core::console::{self, SigninRequest};
use cogauth_core::env::ProcessEnv;
use secrecy::ExposeSecret;

#[derive(Args, Debug)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Print the sign-in URL on stdout instead of opening it.
    #[arg(long)]
    pub print: bool,
    /// The console page to open (default: the console's home in the profile's region).
    #[arg(long, value_name = "URL")]
    pub destination: Option<String>,
    /// How long the console session lasts, in minutes (15-720; default: as long as the
    /// credentials).
    #[arg(long, value_name = "MINUTES", value_parser = clap::value_parser!(u32).range(15..=720))]
    pub duration: Option<u32>,
    /// Refresh the credentials first when fewer than this many minutes remain.
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub window: u32,
    /// Do not upgrade through the Lambda proxy when refreshing.
    #[arg(long)]
    pub no_lambda_proxy: bool,
}

pub fn run(args: ConsoleArgs) -> Result<()> {
    if let Some(destination) = &args.destination {
        console::check_destination(destination)?;
    }
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    let region = broker.settings().require_region()?.to_owned();
    // A bad endpoint override is reported before any credentials are fetched.
    console::federation_endpoint(&ProcessEnv, &region)?;
    let creds = crate::obtain::credentials(&broker, args.window, !args.no_lambda_proxy)?;
    let request = SigninRequest {
        region,
        destination: args.destination.clone(),
        session_duration: args.duration.map(|m| m * 60),
    };
    let url =
        crate::context::runtime()?.block_on(console::signin_url(&ProcessEnv, &creds, &request))?;
    if args.print {
        println!("{}", url.expose_secret());
        eprintln!(
            "cogauth: this URL signs in whoever opens it within 15 minutes: keep it to yourself"
        );
        return Ok(());
    }
    crate::browser::open(url.expose_secret()).map_err(|why| {
        anyhow::anyhow!(
            "cannot open a browser ({why}): set $BROWSER, or pass --print and open the URL yourself"
        )
    })?;
    eprintln!(
        "cogauth: opened the AWS console for profile `{}` ({})",
        broker.profile(),
        console::describe(&url)
    );
    Ok(())
}
