//! The `sweeper` Lambda: releases expired holds on a schedule.

use booking_functions::{sweeper, telemetry, wiring};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let svc = wiring::from_env(wiring::Needs::SWEEPER).await?.services;
    run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let svc = svc.clone();
        async move { Ok::<_, Error>(sweeper::handle(event.payload, &svc).await?) }
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
