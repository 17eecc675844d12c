//! `PaymentGateway` over Stripe's REST API, through async-stripe's split crates.
//!
//! Every mutating call carries the caller's idempotency key, so a retry after a timeout or a crash can never
//! charge, capture or refund twice. The client does not retry on its own (`RequestStrategy::Idempotent`): the
//! use cases decide, based on `PaymentError::Unavailable`.

mod convert;
mod errors;

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use booking_domain::Money;
use booking_ports::{CreateIntent, PaymentError, PaymentGateway, PaymentIntent, Refund};
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::payment_intent::{CancelPaymentIntent, CapturePaymentIntent, CreatePaymentIntent, RetrievePaymentIntent};
use stripe_core::refund::CreateRefund;
use stripe_core::{PaymentIntentAllowedPaymentMethodTypes, PaymentIntentCaptureMethod};

use errors::map_error;

#[derive(Clone)]
pub struct StripeConfig {
    pub secret_key: String,
    /// e.g. "http://127.0.0.1:8080/stripe/" for the local server; None = api.stripe.com
    pub base_url: Option<String>,
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig").field("secret_key", &"[redacted]").field("base_url", &self.base_url).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StripeSetupError {
    #[error("the Stripe secret key is empty")]
    MissingSecretKey,
    #[error("the Stripe base URL {0:?} is not an absolute http(s) URL")]
    InvalidBaseUrl(String),
    #[error("cannot build the Stripe client: {0}")]
    Client(String),
}

pub struct StripeGateway {
    client: stripe::Client,
    base_url: String,
}

impl fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeGateway").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

const STRIPE_API: &str = "https://api.stripe.com/";

impl StripeGateway {
    /// Builds the HTTP client once; it is cheap to share and keeps no per-request state.
    pub fn new(config: &StripeConfig) -> Result<Self, StripeSetupError> {
        if config.secret_key.trim().is_empty() {
            return Err(StripeSetupError::MissingSecretKey);
        }
        let base_url = normalise_base_url(config.base_url.as_deref())?;
        let client = stripe::ClientBuilder::new(config.secret_key.clone())
            .url(base_url.clone())
            .build()
            .map_err(|e| StripeSetupError::Client(e.to_string()))?;
        Ok(StripeGateway { client, base_url })
    }
}

/// async-stripe appends `v1/...` to the base verbatim, so the base must end in `/`; adding it here saves every
/// deployment from a confusing 404 at the first payment.
fn normalise_base_url(base_url: Option<&str>) -> Result<String, StripeSetupError> {
    let Some(url) = base_url else { return Ok(STRIPE_API.to_owned()) };
    let url = url.trim();
    let has_host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).is_some_and(|rest| !rest.is_empty());
    if !has_host {
        return Err(StripeSetupError::InvalidBaseUrl(url.to_owned()));
    }
    Ok(if url.ends_with('/') { url.to_owned() } else { format!("{url}/") })
}

/// A PaymentIntent does not say how much of it was refunded; its latest charge does. Expanding it costs nothing
/// extra and gives the use cases the whole money picture in one read.
fn latest_charge() -> Vec<String> {
    vec!["latest_charge".to_owned()]
}

fn idempotent(key: &str) -> Result<RequestStrategy, PaymentError> {
    IdempotencyKey::new(key).map(RequestStrategy::Idempotent).map_err(|e| PaymentError::Rejected(format!("unusable idempotency key: {e}")))
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    async fn create_intent(&self, request: &CreateIntent) -> Result<PaymentIntent, PaymentError> {
        let reference = request.reference.to_string();
        let metadata = HashMap::from([(crate::BOOKING_REF_KEY.to_owned(), reference.clone())]);
        // API version 2026-09-30.endive (the one async-stripe rc.10 pins) refuses the old `payment_method_types`
        // parameter; `allowed_payment_method_types` is its replacement and still yields `payment_method_types: ["card"]`.
        let create = CreatePaymentIntent::new(request.amount.minor(), convert::stripe_currency(request.amount.currency()))
            .capture_method(PaymentIntentCaptureMethod::Manual)
            .metadata(metadata)
            .description(request.description.clone())
            .allowed_payment_method_types(vec![PaymentIntentAllowedPaymentMethodTypes::Card]);
        let intent = create
            .customize()
            .request_strategy(idempotent(&request.idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| map_error(e, &reference))?;
        tracing::debug!(intent_id = %intent.id, booking_ref = %reference, "payment intent created");
        convert::intent(intent)
    }

    async fn retrieve(&self, intent_id: &str) -> Result<PaymentIntent, PaymentError> {
        let intent =
            RetrievePaymentIntent::new(intent_id).expand(latest_charge()).send(&self.client).await.map_err(|e| map_error(e, intent_id))?;
        convert::intent(intent)
    }

    async fn capture(&self, intent_id: &str, amount: Money, idempotency_key: &str) -> Result<PaymentIntent, PaymentError> {
        let intent = CapturePaymentIntent::new(intent_id)
            .amount_to_capture(amount.minor())
            .expand(latest_charge())
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| map_error(e, intent_id))?;
        convert::intent(intent)
    }

    async fn cancel(&self, intent_id: &str, idempotency_key: &str) -> Result<PaymentIntent, PaymentError> {
        let intent = CancelPaymentIntent::new(intent_id)
            .expand(latest_charge())
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| map_error(e, intent_id))?;
        convert::intent(intent)
    }

    async fn refund(&self, intent_id: &str, amount: Money, idempotency_key: &str) -> Result<Refund, PaymentError> {
        // A refund is always in the intent's currency; asking for another one is a bug upstream that Stripe would
        // silently "honour" in the wrong unit. Checking costs one read on a rare path.
        let current = self.retrieve(intent_id).await?;
        if current.amount.currency() != amount.currency() {
            return Err(PaymentError::Rejected(format!("refund in {} for a payment in {}", amount.currency(), current.amount.currency())));
        }
        let refund = CreateRefund::new()
            .payment_intent(intent_id)
            .amount(amount.minor())
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| map_error(e, intent_id))?;
        convert::refund(refund)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_key() {
        let config = StripeConfig { secret_key: "sk_test_supersecret".into(), base_url: Some("http://127.0.0.1:1/stripe".into()) };
        let gateway = StripeGateway::new(&config).unwrap();
        for text in [format!("{config:?}"), format!("{gateway:?}")] {
            assert!(!text.contains("supersecret"), "{text}");
        }
        assert!(format!("{gateway:?}").contains("http://127.0.0.1:1/stripe/"));
    }

    #[test]
    fn base_urls_are_checked_and_normalised() {
        let check = |input: Option<&str>, expected: Option<&str>| {
            assert_eq!(normalise_base_url(input).ok().as_deref(), expected, "{input:?}");
        };
        check(None, Some("https://api.stripe.com/"));
        check(Some("http://127.0.0.1:8080/stripe/"), Some("http://127.0.0.1:8080/stripe/"));
        check(Some("http://127.0.0.1:8080/stripe"), Some("http://127.0.0.1:8080/stripe/"));
        check(Some("https://stripe.example"), Some("https://stripe.example/"));
        check(Some("127.0.0.1:8080"), None);
        check(Some("http://"), None);
        check(Some(""), None);
        assert!(matches!(
            StripeGateway::new(&StripeConfig { secret_key: " ".into(), base_url: None }),
            Err(StripeSetupError::MissingSecretKey)
        ));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_unavailable() {
        // Bind then drop, so the port is (almost certainly) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = StripeConfig { secret_key: "sk_test_x".into(), base_url: Some(format!("http://127.0.0.1:{port}/")) };
        let gateway = StripeGateway::new(&config).unwrap();
        let amount = Money::new(100, booking_domain::Currency::EUR);
        let err = gateway.capture("pi_123", amount, "key-1").await.unwrap_err();
        assert!(matches!(err, PaymentError::Unavailable(_)), "{err:?}");
        let err = gateway.capture("pi_123", amount, "").await.unwrap_err();
        assert!(matches!(err, PaymentError::Rejected(_)), "{err:?}");
    }
}
