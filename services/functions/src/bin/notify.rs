//! The `notify` Lambda: the booking table's stream in, emails, SMS and staff events out; SES's bounce and
//! complaint notifications (through the feedback topic) in, delivery states out.

use std::sync::Arc;

use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_runtime::run;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = Arc::new(wiring::notify(Env::process().notify()?, Arc::new(SystemClock)).await?);
    run(function.lambda_service()).await.map_err(|e| anyhow::anyhow!(e))
}
