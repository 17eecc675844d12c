//! The `record` Lambda: Stripe's webhook.

use booking_functions::{record, telemetry, wiring};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let wired = wiring::from_env(wiring::Needs::RECORD).await?;
    let secret = wired.webhook_secret()?;
    let svc = wired.services;
    run(service_fn(|req: Request| {
        let (svc, secret) = (svc.clone(), secret.clone());
        async move { Ok::<_, Error>(record::handle(req, &svc, &secret).await) }
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
