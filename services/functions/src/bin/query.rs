//! The `query` Lambda: catalogue, availability and the guest's own bookings (read-only).

use std::sync::Arc;

use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_http::run;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = Arc::new(wiring::query(Env::process().query()?, Arc::new(SystemClock)).await?);
    run(function.service()).await.map_err(|e| anyhow::anyhow!(e))
}
