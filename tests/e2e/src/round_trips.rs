//! Round trips per request, counted through the ports: one guest's booking walked through the use cases (a
//! 30-night availability read, the hold, the card, the webhooks that confirm it, the guest reading it back) over a
//! store wrapped in [`CountingStore`] and the local Stripe server behind [`CountingPayments`]. On the AWS adapters
//! the DynamoDB API requests that reach moto are counted too (a counting pass-through in front of it), so a port
//! call that turns into several requests shows.
//!
//! Used by the budget test (`tests/round_trips.rs`) and by `cargo xtask bench api`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{Request, Response};
use booking_app::{AvailabilityQuery, BookingRequest, GuestDetails, MoneyPorts, ReadPorts, SettlePorts};
use booking_aws::{DynamoStore, OutboxMarking};
use booking_domain::{BookingRef, ContactPreference, DEMO_CATALOG_JSON, GuestId, Hotel};
use booking_embedded::EmbeddedStore;
use booking_local_aws::moto::MotoServer;
use booking_ports::BookingStore;
use booking_test_support::{Calls, CountingPayments, CountingStore, ManualClock, Tally, TestStripe};

/// The steps of one booking, each measured on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// `GET /api/availability`, 30 nights, every room type.
    Availability,
    /// `POST /api/bookings`: price, hold, open the payment.
    Hold,
    /// The webhooks after the card is accepted, until the booking is confirmed and the money captured.
    Confirmation,
    /// `GET /api/bookings/{reference}`.
    Read,
}

/// What one step cost.
#[derive(Debug, Clone)]
pub struct StepCalls {
    pub step: Step,
    pub calls: Calls,
    /// DynamoDB API requests by `X-Amz-Target` operation (AWS adapters only).
    pub dynamodb: BTreeMap<String, usize>,
    /// Payment events the confirmation took (each one a webhook delivery).
    pub webhooks: usize,
}

impl StepCalls {
    pub fn dynamodb_total(&self) -> usize {
        self.dynamodb.values().sum()
    }
}

/// Which store adapter the walk runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    Embedded,
    /// DynamoDB over moto.
    Aws,
}

/// Walks one booking through the use cases on `adapter` and returns what each step cost.
pub async fn walk(adapter: Adapter) -> Vec<StepCalls> {
    let dir = tempfile::tempdir().unwrap();
    let mut _moto = None;
    let mut requests = None;
    let store: Arc<dyn BookingStore> = match adapter {
        Adapter::Embedded => Arc::new(EmbeddedStore::open(&dir.path().join("store.redb")).unwrap()),
        Adapter::Aws => {
            let moto = MotoServer::start().await.unwrap();
            let counter = count_in_front_of(&moto.endpoint).await;
            let config = moto.sdk_config().to_builder().endpoint_url(counter.endpoint.clone()).build();
            booking_local_aws::create_table(&config, "bookings").await.unwrap();
            counter.take();
            requests = Some(counter);
            _moto = Some(moto);
            Arc::new(DynamoStore::new(&config, "bookings", OutboxMarking::StreamOnly))
        }
    };
    let tally = Arc::new(Tally::default());
    let counted = Arc::new(CountingStore::new(store, tally.clone()));
    let clock = Arc::new(ManualClock::new("2030-01-01T09:00:00Z".parse().unwrap()));
    let stripe = TestStripe::start(clock.clone()).await;
    let hotel = Arc::new(Hotel::from_json(DEMO_CATALOG_JSON).unwrap());
    let settle = SettlePorts {
        hotel: hotel.clone(),
        bookings: counted.clone(),
        changes: counted.clone(),
        payments: Arc::new(CountingPayments::new(stripe.gateway(), tally.clone())),
        clock: clock.clone(),
    };
    let money = MoneyPorts { settle, idempotency: counted.clone() };
    let read = ReadPorts { hotel, bookings: counted.clone(), deliveries: counted, clock };
    let guest = GuestId::new("round-trip-guest").unwrap();
    let mut steps = Vec::new();
    let mut done = |step: Step, webhooks: usize| {
        let dynamodb = requests.as_ref().map(Counter::take).unwrap_or_default();
        steps.push(StepCalls { step, calls: tally.take(), dynamodb, webhooks });
    };

    let query = AvailabilityQuery { check_in: "2030-02-01".parse().unwrap(), check_out: "2030-03-03".parse().unwrap(), guests: 2 };
    booking_app::availability(&read, query).await.unwrap();
    done(Step::Availability, 0);

    let created = booking_app::place_booking(&money, &guest, "round-trip-key-1", request()).await.unwrap();
    done(Step::Hold, 0);

    assert_eq!(stripe.pay(&created.payment.intent_id, &created.payment.client_secret, "4242424242424242").await, 200);
    tally.take();
    let events = stripe.webhooks();
    for event in &events {
        booking_app::record_payment_event(&money, event.clone()).await.unwrap();
    }
    done(Step::Confirmation, events.len());

    let reference = BookingRef::parse(&created.booking.reference).unwrap();
    let view = booking_app::guest_booking(&read, &guest, &reference).await.unwrap();
    assert_eq!(view.state, booking_domain::BookingState::Confirmed, "the walk ends with a confirmed booking");
    done(Step::Read, 0);
    steps
}

fn request() -> BookingRequest {
    BookingRequest {
        room_type: "deluxe-king".into(),
        check_in: "2030-02-10".parse().unwrap(),
        check_out: "2030-02-13".parse().unwrap(),
        guests: 2,
        rooms: 1,
        guest: GuestDetails { name: "Ada".into(), email: "ada@example.com".into(), phone: None, notify_by: ContactPreference::Email },
    }
}

/// A pass-through in front of moto that counts each request by its DynamoDB operation.
#[derive(Clone)]
struct Counter {
    seen: Arc<Mutex<BTreeMap<String, usize>>>,
    endpoint: String,
}

impl Counter {
    fn take(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

type Upstream = (Arc<Mutex<BTreeMap<String, usize>>>, String, reqwest::Client);

async fn count_in_front_of(upstream: &str) -> Counter {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let app = axum::Router::new().fallback(pass_on).with_state((seen.clone(), upstream.to_owned(), reqwest::Client::new()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Counter { seen, endpoint }
}

async fn pass_on(State((seen, upstream, client)): State<Upstream>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let target = parts.headers.get("x-amz-target").and_then(|t| t.to_str().ok()).unwrap_or("?");
    let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
    *seen.lock().unwrap().entry(operation).or_default() += 1;
    let bytes = to_bytes(body, 16 << 20).await.unwrap();
    let url = format!("{upstream}{}", parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    let mut outgoing = client.request(parts.method, url).body(bytes);
    for (name, value) in parts.headers.iter().filter(|(name, _)| *name != "host") {
        outgoing = outgoing.header(name, value);
    }
    let answer = outgoing.send().await.unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response.body(Body::from(answer.bytes().await.unwrap())).unwrap()
}
