//! The harness: a local Stripe on a real port (nested under `/stripe` as the dev stack does), a webhook receiver
//! that checks signatures, and the real `StripeGateway` pointed at the server.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use booking_domain::{BookingRef, Currency, Money};
use booking_ports::{CreateIntent, PaymentIntent};
use booking_stripe::webhook::WebhookEvent;
use booking_stripe::{StripeConfig, StripeGateway, signature};
use local_stripe::{LocalStripe, LocalStripeConfig};
use tokio::task::JoinHandle;

pub const SECRET_KEY: &str = "sk_test_local_4eC39HqLyjWDarjtT1zdp7dc";
pub const PUBLISHABLE_KEY: &str = "pk_test_local_TYooMQauvdEDq54NiTphI7jx";
pub const WEBHOOK_SECRET: &str = "whsec_local_test_secret";

/// One accepted delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: WebhookEvent,
    pub raw: serde_json::Value,
    /// The signature verified and the content type was JSON.
    pub authentic: bool,
}

impl Delivery {
    /// The payment intent the event is about, whatever its object (intent, charge or refund).
    pub fn intent_id(&self) -> Option<&str> {
        let object = &self.raw["data"]["object"];
        match object["object"].as_str() {
            Some("payment_intent") => object["id"].as_str(),
            _ => object["payment_intent"].as_str(),
        }
    }
}

/// What the receiver saw: every attempt, and each accepted event.
#[derive(Default)]
pub struct Received {
    pub attempts: AtomicUsize,
    pub refused: AtomicUsize,
    fail_first: AtomicUsize,
    deliveries: Mutex<Vec<Delivery>>,
}

impl Received {
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Deliveries about one intent, in arrival order.
    pub fn for_intent(&self, intent_id: &str) -> Vec<Delivery> {
        self.deliveries().into_iter().filter(|d| d.intent_id() == Some(intent_id)).collect()
    }

    pub fn types_for(&self, intent_id: &str) -> Vec<String> {
        self.for_intent(intent_id).into_iter().map(|d| d.event.event_type).collect()
    }
}

async fn receive(State(received): State<Arc<Received>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    received.attempts.fetch_add(1, Ordering::SeqCst);
    if received.fail_first.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        received.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let now = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap();
    let signed = signature::verify(&body, header, WEBHOOK_SECRET, now, signature::DEFAULT_TOLERANCE_SECS).is_ok();
    let json_content = headers.get("content-type").and_then(|v| v.to_str().ok()) == Some("application/json");
    let delivery = Delivery {
        event: booking_stripe::webhook::parse_event(&body).unwrap(),
        raw: serde_json::from_slice(&body).unwrap(),
        authentic: signed && json_content,
    };
    received.deliveries.lock().unwrap().push(delivery);
    StatusCode::OK
}

async fn serve(router: Router) -> (u16, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (port, handle)
}

/// A webhook receiver answering 500 to its first `fail_first` requests.
pub async fn spawn_receiver(fail_first: usize) -> (String, Arc<Received>) {
    let received = Arc::new(Received { fail_first: AtomicUsize::new(fail_first), ..Received::default() });
    let router = Router::new().route("/webhooks/stripe", post(receive)).with_state(Arc::clone(&received));
    let (port, _handle) = serve(router).await;
    (format!("http://127.0.0.1:{port}/webhooks/stripe"), received)
}

pub struct Server {
    pub stripe: LocalStripe,
    /// `http://127.0.0.1:PORT/stripe/`, as the gateway's `base_url`.
    pub base_url: String,
    handle: JoinHandle<()>,
}

impl Server {
    pub async fn start(data_dir: &Path, webhook_url: &str) -> Server {
        Self::start_with_clock(data_dir, webhook_url, local_stripe::UnixClock::system()).await
    }

    pub async fn start_with_clock(data_dir: &Path, webhook_url: &str, clock: local_stripe::UnixClock) -> Server {
        let stripe = LocalStripe::open(LocalStripeConfig {
            secret_key: SECRET_KEY.into(),
            publishable_key: PUBLISHABLE_KEY.into(),
            webhook_secret: WEBHOOK_SECRET.into(),
            webhooks: local_stripe::WebhookTarget::Post(webhook_url.into()),
            data_dir: data_dir.to_owned(),
            clock,
        })
        .await
        .unwrap();
        let (port, handle) = serve(Router::new().nest("/stripe", stripe.router())).await;
        Server { stripe, base_url: format!("http://127.0.0.1:{port}/stripe/"), handle }
    }

    pub fn gateway(&self) -> StripeGateway {
        gateway_with_key(&self.base_url, SECRET_KEY)
    }

    pub async fn drain(&self) {
        self.stripe.drain_webhooks(Duration::from_secs(20)).await;
    }

    pub async fn stop(self) {
        self.handle.abort();
        let _ = self.handle.await;
    }

    /// What a browser does with Stripe.js: confirm with the publishable key and the intent's client secret.
    pub async fn browser_confirm(&self, intent: &PaymentIntent, card_number: &str) -> (StatusCode, serde_json::Value) {
        self.browser_confirm_with_secret(&intent.id, &intent.client_secret, card_number).await
    }

    pub async fn browser_confirm_with_secret(
        &self,
        intent_id: &str,
        client_secret: &str,
        card_number: &str,
    ) -> (StatusCode, serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}v1/payment_intents/{intent_id}/confirm", self.base_url))
            .form(&[
                ("key", PUBLISHABLE_KEY),
                ("client_secret", client_secret),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", card_number),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2034"),
                ("payment_method_data[card][cvc]", "123"),
            ])
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        (status, response.json().await.unwrap())
    }
}

pub fn gateway_with_key(base_url: &str, key: &str) -> StripeGateway {
    StripeGateway::new(&StripeConfig { secret_key: key.into(), base_url: Some(base_url.into()) }).unwrap()
}

pub fn booking_ref() -> BookingRef {
    BookingRef::from_entropy(rand_bits())
}

fn rand_bits() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos().into()
}

pub fn create_request(reference: &BookingRef, minor: i64, idempotency_key: &str) -> CreateIntent {
    CreateIntent {
        amount: Money::new(minor, Currency::EUR),
        reference: reference.clone(),
        idempotency_key: idempotency_key.into(),
        description: format!("Hotel booking {reference}"),
    }
}
