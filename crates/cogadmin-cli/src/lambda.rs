//! (placeholder: being written)

use crate::Context;

#[derive(clap::Subcommand)]
pub enum Command {}

pub async fn run(cmd: Command, _ctx: &Context) -> anyhow::Result<()> {
    match cmd {}
}
