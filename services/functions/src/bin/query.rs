//! The `query` Lambda: catalogue, availability, the guest's bookings and cancellation.

use booking_functions::{query, telemetry, wiring};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let svc = wiring::from_env().await?.services;
    run(service_fn(|req: Request| {
        let svc = svc.clone();
        async move { Ok::<_, Error>(query::handle(req, &svc).await) }
    }))
    .await
}
