//! The payment double: the local Stripe server itself, in-process on a loopback port, driven through the real
//! `StripeGateway`. It obeys Stripe's PaymentIntent state machine (what can be confirmed, captured, cancelled,
//! refunded, from which status; authorizations expiring after seven days) because it *is* the server the dev
//! stack runs. Webhooks are collected, so a test delivers them as Stripe does in the wild: late, twice, out of
//! order, or never. Faults are injected in front of the server: an outage answers 500 without doing anything;
//! a lost reply does the work and then answers 500.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use booking_ports::{PaymentEvent, PaymentGateway, PaymentIntent};
use booking_stripe::webhook::{Heard, heard, parse_event};
use booking_stripe::{StripeConfig, StripeGateway};
use local_stripe::{LocalStripe, LocalStripeConfig, UnixClock, WebhookTarget};
use tower::ServiceExt;

use crate::{Fault, ManualClock};

pub const SECRET_KEY: &str = "sk_test_support_0123456789abcdef";
pub const PUBLISHABLE_KEY: &str = "pk_test_support_0123456789abcdef";
pub const WEBHOOK_SECRET: &str = "whsec_test_support";

/// The Stripe call a fault or hook applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeOp {
    Create,
    Retrieve,
    /// The guest's browser confirming with a card.
    Confirm,
    Capture,
    Cancel,
    Refund,
    Other,
}

impl StripeOp {
    fn of(method: &Method, path: &str) -> StripeOp {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method.as_str(), segments.as_slice()) {
            ("POST", ["v1", "payment_intents"]) => StripeOp::Create,
            ("GET", ["v1", "payment_intents", _]) => StripeOp::Retrieve,
            ("POST", ["v1", "payment_intents", _, "confirm"]) => StripeOp::Confirm,
            ("POST", ["v1", "payment_intents", _, "capture"]) => StripeOp::Capture,
            ("POST", ["v1", "payment_intents", _, "cancel"]) => StripeOp::Cancel,
            ("POST", ["v1", "refunds"]) => StripeOp::Refund,
            _ => StripeOp::Other,
        }
    }
}

/// Something that happens at the provider just before a matching call reaches it (the race a test wants).
#[derive(Debug, Clone)]
pub struct Interleave {
    pub before: StripeOp,
    /// A request to the server, e.g. a capture, run first.
    pub method: Method,
    pub path: String,
    pub form: String,
}

#[derive(Default)]
struct Faults {
    queue: Mutex<VecDeque<(StripeOp, Fault)>>,
    always: Mutex<Option<Fault>>,
    interleave: Mutex<Vec<Interleave>>,
    /// Calls that reached the server (after faults), for round-trip counts.
    calls: Mutex<Vec<StripeOp>>,
}

struct Shared {
    faults: Faults,
    server: Router,
}

pub struct TestStripe {
    pub stripe: LocalStripe,
    /// `http://127.0.0.1:PORT/stripe/`: through the faults.
    pub base_url: String,
    /// `http://127.0.0.1:PORT/direct/`: the same server without faults, for a test's own reads.
    pub direct_url: String,
    shared: Arc<Shared>,
    gateway: Arc<StripeGateway>,
    direct: StripeGateway,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for TestStripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStripe").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl TestStripe {
    /// A fresh server on a free port, reading time from `clock`, collecting its webhooks.
    pub async fn start(clock: Arc<ManualClock>) -> TestStripe {
        let dir = tempfile::tempdir().unwrap();
        let unix = {
            let clock = clock.clone();
            UnixClock::new(move || booking_ports::Clock::now(clock.as_ref()).timestamp())
        };
        let stripe = LocalStripe::open(LocalStripeConfig {
            secret_key: SECRET_KEY.into(),
            publishable_key: PUBLISHABLE_KEY.into(),
            webhook_secret: WEBHOOK_SECRET.into(),
            webhooks: WebhookTarget::Collect,
            data_dir: dir.path().to_owned(),
            clock: unix,
        })
        .await
        .unwrap();
        let shared = Arc::new(Shared { faults: Faults::default(), server: stripe.router() });
        let app = Router::new()
            .nest("/stripe", stripe.router().layer(from_fn_with_state(shared.clone(), inject)))
            .nest("/direct", stripe.router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let base_url = format!("http://127.0.0.1:{port}/stripe/");
        let direct_url = format!("http://127.0.0.1:{port}/direct/");
        let gateway =
            |url: &str| StripeGateway::new(&StripeConfig { secret_key: SECRET_KEY.into(), base_url: Some(url.to_owned()) }).unwrap();
        TestStripe {
            gateway: Arc::new(gateway(&base_url)),
            direct: gateway(&direct_url),
            stripe,
            base_url,
            direct_url,
            shared,
            server,
            _dir: dir,
        }
    }

    /// The real Stripe adapter, through the faults: what the use cases get.
    pub fn gateway(&self) -> Arc<dyn PaymentGateway> {
        self.gateway.clone()
    }

    /// The next call of kind `op` fails with `fault` (queued in order).
    pub fn fail_next(&self, op: StripeOp, fault: Fault) {
        self.shared.faults.queue.lock().unwrap().push_back((op, fault));
    }

    /// Every call fails with `fault` until set to `None`.
    pub fn fail_always(&self, fault: Option<Fault>) {
        *self.shared.faults.always.lock().unwrap() = fault;
    }

    /// No more faults or interleavings.
    pub fn clear_faults(&self) {
        self.shared.faults.queue.lock().unwrap().clear();
        *self.shared.faults.always.lock().unwrap() = None;
        self.shared.faults.interleave.lock().unwrap().clear();
    }

    /// Runs `interleave` at the provider just before the next matching call.
    pub fn interleave(&self, interleave: Interleave) {
        self.shared.faults.interleave.lock().unwrap().push(interleave);
    }

    /// A capture of `intent_id` by someone else (a concurrent webhook retry), for [`TestStripe::interleave`].
    pub fn capture_first(before: StripeOp, intent_id: &str) -> Interleave {
        Interleave { before, method: Method::POST, path: format!("/v1/payment_intents/{intent_id}/capture"), form: String::new() }
    }

    /// The calls that reached the server through the gateway, in order.
    pub fn calls(&self) -> Vec<StripeOp> {
        self.shared.faults.calls.lock().unwrap().clone()
    }

    /// The guest's browser confirming the intent with a card, as Stripe.js does (publishable key and client
    /// secret). Returns the HTTP status.
    pub async fn pay(&self, intent_id: &str, client_secret: &str, card_number: &str) -> u16 {
        let response = reqwest::Client::new()
            .post(format!("{}v1/payment_intents/{intent_id}/confirm", self.direct_url))
            .form(&[
                ("key", PUBLISHABLE_KEY),
                ("client_secret", client_secret),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", card_number),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2040"),
                ("payment_method_data[card][cvc]", "123"),
            ])
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }

    /// The intent as Stripe has it now (no faults on this read).
    pub async fn intent(&self, intent_id: &str) -> PaymentIntent {
        self.direct.retrieve(intent_id).await.unwrap()
    }

    /// The webhooks sent since the last call, oldest first, as the booking flow hears them (only the ones it
    /// acts on).
    pub fn webhooks(&self) -> Vec<PaymentEvent> {
        self.stripe
            .take_webhooks()
            .into_iter()
            .filter_map(|w| match heard(&parse_event(w.payload.as_bytes()).unwrap()) {
                Heard::Payment(event) => Some(event),
                _ => None,
            })
            .collect()
    }
}

impl Drop for TestStripe {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn inject(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let op = StripeOp::of(request.method(), request.uri().path());
    let interleaved = {
        let mut pending = shared.faults.interleave.lock().unwrap();
        pending.iter().position(|i| i.before == op).map(|i| pending.remove(i))
    };
    if let Some(first) = interleaved {
        let request = Request::builder()
            .method(first.method)
            .uri(first.path)
            .header(header::AUTHORIZATION, format!("Bearer {SECRET_KEY}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(first.form))
            .unwrap();
        let _ = shared.server.clone().oneshot(request).await;
    }
    let fault = {
        let mut queue = shared.faults.queue.lock().unwrap();
        match queue.iter().position(|(o, _)| *o == op) {
            Some(i) => queue.remove(i).map(|(_, f)| f),
            None => *shared.faults.always.lock().unwrap(),
        }
    };
    match fault {
        Some(Fault::Outage) => injected_error(),
        Some(Fault::LostReply) => {
            shared.faults.calls.lock().unwrap().push(op);
            let _ = next.run(request).await;
            injected_error()
        }
        None => {
            shared.faults.calls.lock().unwrap().push(op);
            next.run(request).await
        }
    }
}

/// What Stripe answers when it is having a bad moment.
fn injected_error() -> Response {
    let body = serde_json::json!({"error": {"type": "api_error", "message": "injected fault"}});
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
