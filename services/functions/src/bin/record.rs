//! The `record` Lambda: Stripe's webhook.

use std::sync::Arc;

use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = wiring::record(Env::process().record()?, Arc::new(SystemClock)).await?;
    run(service_fn(|req: Request| async { Ok::<_, Error>(function.handle(req).await) })).await.map_err(|e| anyhow::anyhow!(e))
}
