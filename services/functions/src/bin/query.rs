//! The `query` Lambda: catalogue, availability, the guest's bookings and cancellation.

use booking_functions::{query, telemetry, wiring};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let svc = wiring::from_env(wiring::Needs::QUERY).await?.services;
    run(service_fn(|req: Request| {
        let svc = svc.clone();
        async move { Ok::<_, Error>(query::handle(req, &svc).await) }
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
