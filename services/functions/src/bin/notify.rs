//! The `notify` Lambda: the booking table's stream in, emails, SMS and staff events out; SES's bounce and
//! complaint notifications (through the feedback topic) in, delivery states out.

use std::sync::Arc;

use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = wiring::notify(Env::process().notify()?, Arc::new(SystemClock)).await?;
    run(service_fn(|event: LambdaEvent<serde_json::Value>| async { function.handle_any(event.payload).await.map_err(Error::from) }))
        .await
        .map_err(|e| anyhow::anyhow!(e))
}
