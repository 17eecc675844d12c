//! The `sweeper` Lambda: reconciles every due booking on a schedule.

use std::sync::Arc;

use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_runtime::run;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = Arc::new(wiring::sweeper(Env::process().sweeper()?, Arc::new(SystemClock)).await?);
    run(function.service()).await.map_err(|e| anyhow::anyhow!(e))
}
