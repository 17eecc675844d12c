//! Builds the adapters a function needs from its environment, once per process (Lambda cold start). Fails fast,
//! naming the missing or bad variable, so a misconfigured deployment never serves a request.

use std::path::PathBuf;
use std::sync::Arc;

use booking_app::Services;
use booking_domain::{DEMO_CATALOG_JSON, Hotel};
use booking_embedded::{EmbeddedStore, FileOutbox};
use booking_ports::{Clock, SystemClock};
use booking_stripe::{StripeConfig, StripeGateway};

use crate::record::WebhookSecret;

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("could not open {what}: {reason}")]
    Open { what: &'static str, reason: String },
}

fn var(name: &'static str) -> Result<String, WiringError> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or(WiringError::Missing(name))
}

/// The hotel catalog: `HOTEL_CATALOG_PATH` if set, else the demo hotel compiled in.
pub fn catalog() -> Result<Hotel, WiringError> {
    match std::env::var("HOTEL_CATALOG_PATH") {
        Ok(path) if !path.is_empty() => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| WiringError::Invalid { name: "HOTEL_CATALOG_PATH", reason: e.to_string() })?;
            Hotel::from_json(&text).map_err(|e| WiringError::Invalid { name: "HOTEL_CATALOG_PATH", reason: e.to_string() })
        }
        _ => Hotel::from_json(DEMO_CATALOG_JSON).map_err(|e| WiringError::Invalid { name: "HOTEL_CATALOG_PATH", reason: e.to_string() }),
    }
}

/// Stripe from `STRIPE_SECRET_KEY` and, for the local payment server, `STRIPE_API_BASE`.
pub fn stripe_from_env() -> Result<StripeGateway, WiringError> {
    let config =
        StripeConfig { secret_key: var("STRIPE_SECRET_KEY")?, base_url: std::env::var("STRIPE_API_BASE").ok().filter(|v| !v.is_empty()) };
    StripeGateway::new(&config).map_err(|e| WiringError::Invalid { name: "STRIPE_SECRET_KEY", reason: e.to_string() })
}

pub fn webhook_secret_from_env() -> Result<WebhookSecret, WiringError> {
    Ok(WebhookSecret::new(var("STRIPE_WEBHOOK_SECRET")?))
}

/// Every port wired from the environment. Storage and notifications use the embedded adapters under
/// `DATA_DIR` (`store.redb`, `outbox.jsonl`).
pub fn services_from_env() -> Result<Services, WiringError> {
    let data_dir = PathBuf::from(var("DATA_DIR")?);
    std::fs::create_dir_all(&data_dir).map_err(|e| WiringError::Open { what: "DATA_DIR", reason: e.to_string() })?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store =
        EmbeddedStore::open(&data_dir.join("store.redb")).map_err(|e| WiringError::Open { what: "store", reason: e.to_string() })?;
    let outbox = FileOutbox::open(&data_dir.join("outbox.jsonl"), clock.clone())
        .map_err(|e| WiringError::Open { what: "outbox", reason: e.to_string() })?;
    Ok(Services {
        hotel: Arc::new(catalog()?),
        store: Arc::new(store),
        payments: Arc::new(stripe_from_env()?),
        notifier: Arc::new(outbox),
        clock,
    })
}
