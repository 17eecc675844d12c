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
use booking_app::{AvailabilityQuery, BookingRequest, GuestDetails, MoneyPorts, NotifyPorts, ReadPorts, SettlePorts};
use booking_aws::{DynamoStore, OutboxMarking};
use booking_domain::{BookingRef, ContactPreference, DEMO_CATALOG_JSON, GuestId, Hotel};
use booking_embedded::EmbeddedStore;
use booking_local_aws::DynamoOutboxPoller;
use booking_local_aws::moto::MotoServer;
use booking_ports::{BookingStore, OutboxFeed};
use booking_test_support::{Calls, CountingPayments, CountingStore, FaultyNotifier, ManualClock, Tally, TestStripe};

/// The steps of one booking, each measured on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// `GET /api/availability`, 30 nights, every room type.
    Availability,
    /// `POST /api/bookings`: price, hold, open the payment.
    Hold,
    /// The webhooks after the card is accepted, until the booking is confirmed and the money captured.
    Confirmation,
    /// The webhooks Stripe sends because of the capture (the booking is settled already: a claim and a look).
    AfterCapture,
    /// `GET /api/bookings/{reference}`.
    Read,
    /// The outbox events so far, through the notify use case (email, SMS, the staff's feed).
    Notify,
}

/// What one step cost.
#[derive(Debug, Clone)]
pub struct StepCalls {
    pub step: Step,
    pub calls: Calls,
    /// DynamoDB API requests by `X-Amz-Target` operation (AWS adapters only).
    pub dynamodb: BTreeMap<String, usize>,
    /// Request body bytes and items touched (transaction parts, batch keys, single items) of those requests: the
    /// inputs of the capacity-unit estimate in docs/scale-and-cost.md.
    pub dynamodb_wire: Wire,
    /// Events the step handled: webhook deliveries, or outbox events for [`Step::Notify`].
    pub events: usize,
    /// Messages handed to the notifier (SES or SNS requests).
    pub messages: usize,
}

impl StepCalls {
    pub fn dynamodb_total(&self) -> usize {
        self.dynamodb.values().sum()
    }
}

/// What went over the wire to DynamoDB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wire {
    pub bytes: usize,
    /// Items written by transactions (each `Put`, `Update`, `Delete` or `ConditionCheck` part).
    pub transact_items: usize,
    /// Items read by `BatchGetItem` (its keys).
    pub batch_keys: usize,
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
    let (store, outbox): (Arc<dyn BookingStore>, Arc<dyn OutboxFeed>) = match adapter {
        Adapter::Embedded => {
            let store = Arc::new(EmbeddedStore::open(&dir.path().join("store.redb")).unwrap());
            (store.clone(), store)
        }
        Adapter::Aws => {
            let moto = MotoServer::start().await.unwrap();
            let counter = count_in_front_of(&moto.endpoint).await;
            let config = moto.sdk_config().to_builder().endpoint_url(counter.endpoint.clone()).build();
            booking_local_aws::create_table(&config, "bookings").await.unwrap();
            counter.take();
            requests = Some(counter);
            // In AWS the stream carries the outbox; here the items are marked pending and polled, as the local
            // stack does (the polling is not counted: the stream costs no request).
            let outbox = Arc::new(DynamoOutboxPoller::new(&moto.sdk_config(), "bookings"));
            _moto = Some(moto);
            (Arc::new(DynamoStore::new(&config, "bookings", OutboxMarking::MarkPending)), outbox)
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
    let read = ReadPorts { hotel: hotel.clone(), bookings: counted.clone(), deliveries: counted.clone(), clock: clock.clone() };
    let notifier = Arc::new(FaultyNotifier::default());
    let notify = NotifyPorts {
        hotel,
        bookings: counted.clone(),
        idempotency: counted.clone(),
        notifier: notifier.clone(),
        deliveries: counted,
        clock,
    };
    let guest = GuestId::new("round-trip-guest").unwrap();
    let mut steps = Vec::new();
    let mut done = |step: Step, events: usize| {
        let (dynamodb, dynamodb_wire) = requests.as_ref().map(Counter::take).unwrap_or_default();
        let messages = notifier.accepted().len() - steps.iter().map(|s: &StepCalls| s.messages).sum::<usize>();
        steps.push(StepCalls { step, calls: tally.take(), dynamodb, dynamodb_wire, events, messages });
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

    let echoes = stripe.webhooks();
    for event in &echoes {
        booking_app::record_payment_event(&money, event.clone()).await.unwrap();
    }
    done(Step::AfterCapture, echoes.len());

    let reference = BookingRef::parse(&created.booking.reference).unwrap();
    let view = booking_app::guest_booking(&read, &guest, &reference).await.unwrap();
    assert_eq!(view.state, booking_domain::BookingState::Confirmed, "the walk ends with a confirmed booking");
    done(Step::Read, 0);

    let outbox_events = outbox.pending_events(100).await.unwrap();
    if let Some(counter) = &requests {
        counter.take();
    }
    for event in &outbox_events {
        booking_app::deliver_event(&notify, event).await.unwrap();
    }
    done(Step::Notify, outbox_events.len());
    steps
}

fn request() -> BookingRequest {
    BookingRequest {
        room_type: "deluxe-king".into(),
        check_in: "2030-02-10".parse().unwrap(),
        check_out: "2030-02-13".parse().unwrap(),
        guests: 2,
        rooms: 1,
        guest: GuestDetails {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            phone: Some("+14155550100".into()),
            notify_by: ContactPreference::Both,
        },
    }
}

/// A pass-through in front of moto that counts each request by its DynamoDB operation.
#[derive(Clone)]
struct Counter {
    seen: Arc<Mutex<Seen>>,
    endpoint: String,
}

type Seen = (BTreeMap<String, usize>, Wire);

impl Counter {
    fn take(&self) -> Seen {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

type Upstream = (Arc<Mutex<Seen>>, String, reqwest::Client);

async fn count_in_front_of(upstream: &str) -> Counter {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = axum::Router::new().fallback(pass_on).with_state((seen.clone(), upstream.to_owned(), reqwest::Client::new()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Counter { seen, endpoint }
}

async fn pass_on(State((seen, upstream, client)): State<Upstream>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let target = parts.headers.get("x-amz-target").and_then(|t| t.to_str().ok()).unwrap_or("?");
    let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
    let bytes = to_bytes(body, 16 << 20).await.unwrap();
    {
        let text = String::from_utf8_lossy(&bytes);
        let parts = ["{\"Put\":", "{\"Update\":", "{\"Delete\":", "{\"ConditionCheck\":"];
        let mut seen = seen.lock().unwrap();
        seen.1.bytes += bytes.len();
        if operation == "TransactWriteItems" {
            seen.1.transact_items += parts.iter().map(|p| text.matches(p).count()).sum::<usize>();
        }
        if operation == "BatchGetItem" {
            // Each key names the table's partition key attribute once.
            seen.1.batch_keys += text.matches("\"pk\":").count();
        }
        *seen.0.entry(operation).or_default() += 1;
    }
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
