//! The `notify` Lambda: the booking table's stream in, emails and SMS out.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use booking_functions::config::Env;
use booking_functions::{telemetry, wiring};
use booking_ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let function = wiring::notify(Env::process().notify()?, Arc::new(SystemClock)).await?;
    run(service_fn(|event: LambdaEvent<Event>| async { Ok::<_, Error>(function.handle(event.payload).await) }))
        .await
        .map_err(|e| anyhow::anyhow!(e))
}
