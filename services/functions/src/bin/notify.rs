//! The `notify` Lambda: the booking table's stream in, emails and SMS out.

use aws_lambda_events::event::dynamodb::Event;
use booking_functions::{notify, telemetry, wiring};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let svc = wiring::from_env(wiring::Needs::NOTIFY).await?.services;
    run(service_fn(|event: LambdaEvent<Event>| {
        let svc = svc.clone();
        async move { Ok::<_, Error>(notify::handle(event.payload, &svc).await) }
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
