//! The `record` Lambda: Stripe's webhook.

use booking_functions::{record, telemetry, wiring};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let svc = wiring::services_from_env()?;
    let secret = wiring::webhook_secret_from_env()?;
    run(service_fn(|req: Request| {
        let (svc, secret) = (svc.clone(), secret.clone());
        async move { Ok::<_, Error>(record::handle(req, &svc, &secret).await) }
    }))
    .await
}
