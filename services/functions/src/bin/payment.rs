//! The `payment` Lambda: POST /api/bookings.

use booking_functions::{payment, telemetry, wiring};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let svc = wiring::from_env(wiring::Needs::PAYMENT).await?.services;
    run(service_fn(|req: Request| {
        let svc = svc.clone();
        async move { Ok::<_, Error>(payment::handle(req, &svc).await) }
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
