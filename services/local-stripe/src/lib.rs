//! A local Stripe-compatible payment server, so the whole booking flow (create, pay in the browser, capture,
//! refund, webhooks) runs offline against the real async-stripe client.
//!
//! Architecture invariants:
//! - Faithful to Stripe's wire format for the slice it implements (payment intents, refunds, test cards, signed
//!   webhooks, idempotency keys): code that works here must work against api.stripe.com unchanged. Behaviour
//!   beyond that slice is refused with Stripe's own error shapes rather than approximated.
//! - No card number or CVC is ever stored, logged or hashed; a card is kept as brand, last four digits and expiry.
//! - `ops` is pure state manipulation; HTTP, persistence and webhook delivery wrap it in `routes`.

#![recursion_limit = "256"]

mod api_error;
mod cards;
mod config;
mod error;
mod form;
mod ids;
mod model;
mod ops;
mod routes;
mod store;
mod webhooks;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use config::{LocalStripeConfig, UnixClock, WebhookTarget};
pub use error::LocalStripeError;
pub use webhooks::CollectedWebhook;

/// The server; cheap to clone (one `Arc`), so the router and the owner share one state.
#[derive(Clone)]
pub struct LocalStripe {
    inner: Arc<Inner>,
}

struct Inner {
    config: LocalStripeConfig,
    state_path: PathBuf,
    state: tokio::sync::Mutex<model::State>,
    webhooks: webhooks::Webhooks,
}

impl fmt::Debug for LocalStripe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalStripe").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl LocalStripe {
    /// Loads the state file from `data_dir` if there is one (creating the directory if needed).
    pub async fn open(config: LocalStripeConfig) -> Result<Self, LocalStripeError> {
        config.validate()?;
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .map_err(|source| LocalStripeError::Io { path: config.data_dir.clone(), source })?;
        let state_path = config.data_dir.join(store::STATE_FILE);
        let state = store::load(&state_path).await?;
        let webhooks = webhooks::Webhooks::new(
            config.webhooks.clone(),
            config.webhook_secret.clone(),
            config.clock.clone(),
            webhooks::RetryPolicy::DEFAULT,
        )?;
        tracing::info!(intents = state.intents.len(), path = %state_path.display(), "local Stripe state loaded");
        Ok(LocalStripe { inner: Arc::new(Inner { config, state_path, state: tokio::sync::Mutex::new(state), webhooks }) })
    }

    /// Routes relative to the nest point (`/v1/payment_intents`, ...); nest it under a prefix such as `/stripe`
    /// and give clients that prefix plus `/` as their base URL.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// The webhooks collected so far, oldest first, when configured with [`WebhookTarget::Collect`].
    pub fn take_webhooks(&self) -> Vec<CollectedWebhook> {
        self.inner.webhooks.take()
    }

    /// Waits until every queued webhook delivery has either succeeded or exhausted its retries (for clean
    /// shutdown and tests).
    pub async fn drain_webhooks(&self, timeout: Duration) {
        self.inner.webhooks.drain(timeout).await;
    }
}
