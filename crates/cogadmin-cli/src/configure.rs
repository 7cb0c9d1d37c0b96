//! (placeholder: being written)

use crate::Context;

#[derive(clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
