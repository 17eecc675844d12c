//! The `record` Lambda: Stripe's webhook.

use std::sync::Arc;

use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_http::run;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = Arc::new(wiring::record(Env::process().record()?, Arc::new(SystemClock)).await?);
    run(function.service()).await.map_err(|e| anyhow::anyhow!(e))
}
