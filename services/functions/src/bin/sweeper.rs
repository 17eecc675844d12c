//! The `sweeper` Lambda: reconciles every due booking on a schedule.

use std::sync::Arc;

use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = wiring::sweeper(Env::process().sweeper()?, Arc::new(SystemClock)).await?;
    run(service_fn(|event: LambdaEvent<serde_json::Value>| async { Ok::<_, Error>(function.handle(event.payload).await?) }))
        .await
        .map_err(|e| anyhow::anyhow!(e))
}
