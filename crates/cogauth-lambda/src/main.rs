//! The Lambda entry point (`bootstrap`): read the configuration, build the dependencies once,
//! then serve invocations. All logic is in the library.

use std::convert::Infallible;
use std::process::ExitCode;

use cogauth_lambda::config::Config;
use cogauth_lambda::{Deps, handle_json};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::prelude::*;

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cogauth-lambda cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let deps = match Deps::from_config(config, None).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("cogauth-lambda cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &deps.config.warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!(config = ?deps.config, "cogauth-lambda ready");
    let deps = &deps;
    let handler = service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<Value, Infallible>(handle_json(event.payload, deps).await)
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("cogauth-lambda runtime stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Plain-text logs for CloudWatch. The level comes from `RUST_LOG` (default info) but never
/// goes below DEBUG: at TRACE the Lambda runtime logs raw events, which hold ID tokens.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .without_time()
                .with_target(false)
                .with_writer(std::io::stderr),
        )
        .with(filter)
        .with(LevelFilter::DEBUG)
        .init();
}
