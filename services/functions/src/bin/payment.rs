//! The `payment` Lambda: creating a booking and cancelling one.

use std::sync::Arc;

use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = wiring::payment(Env::process().payment()?, Arc::new(SystemClock)).await?;
    run(service_fn(|req: Request| async { Ok::<_, Error>(function.handle(req).await) })).await.map_err(|e| anyhow::anyhow!(e))
}
