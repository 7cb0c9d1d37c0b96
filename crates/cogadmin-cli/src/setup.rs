//! (placeholder: being written)

use crate::Context;

#[derive(clap::Args)]
pub struct Args {}

#[derive(clap::Args)]
pub struct IdentityPoolArgs {}

pub async fn run(_args: Args, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}

pub async fn run_identity_pool(_args: IdentityPoolArgs, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
