//! The money-and-inventory rules of the use cases, with the embedded store and a scripted payment provider.
//! (The real Stripe adapter is tested over HTTP against the local Stripe server; here we need failures on cue.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use booking_app::*;
use booking_domain::{BookingRef, ContactPreference, DEMO_CATALOG_JSON, GuestId, Hotel, Money};
use booking_embedded::{EmbeddedStore, FileOutbox};
use booking_ports::*;
use chrono::{Duration, NaiveDate};

#[derive(Default)]
struct ScriptedStripe {
    intents: Mutex<HashMap<String, PaymentIntent>>,
    calls: Mutex<Vec<String>>,
    fail_capture: Mutex<Option<PaymentError>>,
}

#[async_trait]
impl PaymentGateway for ScriptedStripe {
    async fn create_intent(&self, r: &CreateIntent) -> Result<PaymentIntent, PaymentError> {
        let id = format!("pi_{}", r.reference.as_str().replace('-', ""));
        let intent = PaymentIntent {
            id: id.clone(),
            client_secret: format!("{id}_secret"),
            status: PaymentStatus::RequiresPaymentMethod,
            amount: r.amount,
            amount_capturable: 0,
            reference: Some(r.reference.to_string()),
        };
        self.calls.lock().unwrap().push(format!("create {}", r.idempotency_key));
        Ok(self.intents.lock().unwrap().entry(id).or_insert(intent).clone())
    }
    async fn retrieve(&self, id: &str) -> Result<PaymentIntent, PaymentError> {
        self.intents.lock().unwrap().get(id).cloned().ok_or_else(|| PaymentError::NotFound(id.into()))
    }
    async fn capture(&self, id: &str, key: &str) -> Result<PaymentIntent, PaymentError> {
        self.calls.lock().unwrap().push(format!("capture {key}"));
        if let Some(e) = self.fail_capture.lock().unwrap().clone() {
            return Err(e);
        }
        self.set(id, PaymentStatus::Succeeded)
    }
    async fn cancel(&self, id: &str, key: &str) -> Result<PaymentIntent, PaymentError> {
        self.calls.lock().unwrap().push(format!("cancel {key}"));
        self.set(id, PaymentStatus::Canceled)
    }
    async fn refund(&self, id: &str, amount: Money, key: &str) -> Result<Refund, PaymentError> {
        self.calls.lock().unwrap().push(format!("refund {key} {}", amount.minor()));
        Ok(Refund { id: format!("re_{id}"), amount, status: "succeeded".into() })
    }
}

impl ScriptedStripe {
    fn set(&self, id: &str, status: PaymentStatus) -> Result<PaymentIntent, PaymentError> {
        let mut intents = self.intents.lock().unwrap();
        let intent = intents.get_mut(id).ok_or_else(|| PaymentError::NotFound(id.into()))?;
        intent.status = status;
        Ok(intent.clone())
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

struct World {
    svc: Services,
    stripe: Arc<ScriptedStripe>,
    store: Arc<EmbeddedStore>,
    clock: Arc<ManualClock>,
    outbox: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2030-01-01T09:00:00Z".parse().unwrap()));
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("store.redb")).unwrap());
    let outbox = dir.path().join("outbox.jsonl");
    let stripe = Arc::new(ScriptedStripe::default());
    let svc = Services {
        hotel: Arc::new(Hotel::from_json(DEMO_CATALOG_JSON).unwrap()),
        store: store.clone(),
        payments: stripe.clone(),
        notifier: Arc::new(FileOutbox::open(&outbox, clock.clone()).unwrap()),
        clock: clock.clone(),
    };
    World { svc, stripe, store, clock, outbox, _dir: dir }
}

fn request(room: &str, ci: &str, co: &str) -> BookingRequest {
    BookingRequest {
        room_type: room.into(),
        check_in: ci.parse().unwrap(),
        check_out: co.parse().unwrap(),
        guests: 1,
        rooms: 1,
        guest: GuestDetails { name: "Ada".into(), email: "ada@example.com".into(), phone: None, notify_by: ContactPreference::Email },
    }
}

fn guest(n: u8) -> GuestId {
    GuestId::new(&format!("guest-{n}")).unwrap()
}

async fn book(w: &World, g: u8, key: &str, room: &str, ci: &str, co: &str) -> BookingCreated {
    place_booking(&w.svc, &guest(g), key, request(room, ci, co)).await.unwrap()
}

fn paid(w: &World, created: &BookingCreated, event_id: &str, kind: PaymentEventKind) -> PaymentEvent {
    let intent = w.stripe.intents.lock().unwrap().get(&created.payment.intent_id).cloned().unwrap();
    let status = match kind {
        PaymentEventKind::Authorized => PaymentStatus::RequiresCapture,
        PaymentEventKind::Succeeded => PaymentStatus::Succeeded,
        PaymentEventKind::Failed => PaymentStatus::RequiresPaymentMethod,
        PaymentEventKind::Canceled => PaymentStatus::Canceled,
    };
    w.stripe.set(&intent.id, status).unwrap();
    PaymentEvent {
        event_id: event_id.into(),
        kind,
        intent_id: intent.id,
        status,
        amount_minor: intent.amount.minor(),
        currency: intent.amount.currency().to_string(),
        reference: intent.reference,
    }
}

async fn state(w: &World, created: &BookingCreated) -> String {
    let reference = BookingRef::parse(&created.booking.reference).unwrap();
    w.store.get_booking(&reference).await.unwrap().unwrap().state().to_string()
}

async fn taken(w: &World, room: &str, night: &str) -> u32 {
    let room = booking_domain::RoomTypeId::parse(room).unwrap();
    w.store.night_counts(&room, &[night.parse::<NaiveDate>().unwrap()], 100).await.unwrap()[0].taken
}

async fn events(w: &World) -> Vec<BookingEvent> {
    w.store.pending_events(100).await.unwrap()
}

#[tokio::test]
async fn authorization_confirms_then_captures_exactly_once() {
    let w = world();
    let created = book(&w, 1, "key-confirm-1", "classic-double", "2030-02-01", "2030-02-03").await;
    let event = paid(&w, &created, "evt_1", PaymentEventKind::Authorized);
    assert_eq!(record_payment_event(&w.svc, event.clone()).await.unwrap(), RecordOutcome::Confirmed);
    assert_eq!(record_payment_event(&w.svc, event).await.unwrap(), RecordOutcome::Duplicate);
    assert_eq!(state(&w, &created).await, "confirmed");
    let ref_ = &created.booking.reference;
    assert_eq!(w.stripe.calls(), [format!("create hold-{ref_}"), format!("capture capture-{ref_}")]);
    assert_eq!(events(&w).await.len(), 1);
    // The `succeeded` echo of our own capture changes nothing.
    let echo = paid(&w, &created, "evt_2", PaymentEventKind::Succeeded);
    assert_eq!(record_payment_event(&w.svc, echo).await.unwrap(), RecordOutcome::AlreadyConfirmed);
    assert_eq!(w.stripe.calls().len(), 2);
}

#[tokio::test]
async fn a_late_payment_is_reinstated_when_rooms_remain() {
    let w = world();
    let created = book(&w, 1, "key-late-ok-1", "garden-single", "2030-02-01", "2030-02-02").await;
    w.clock.advance(Duration::minutes(16));
    assert_eq!(sweep_expired_holds(&w.svc, 10).await.unwrap(), 1);
    assert_eq!(state(&w, &created).await, "expired");
    assert_eq!(taken(&w, "garden-single", "2030-02-01").await, 0);
    let event = paid(&w, &created, "evt_late", PaymentEventKind::Authorized);
    assert_eq!(record_payment_event(&w.svc, event).await.unwrap(), RecordOutcome::Reinstated);
    assert_eq!(state(&w, &created).await, "confirmed");
    assert_eq!(taken(&w, "garden-single", "2030-02-01").await, 1);
}

#[tokio::test]
async fn a_late_payment_for_a_room_sold_meanwhile_is_voided_and_the_guest_told() {
    let w = world();
    let late = book(&w, 1, "key-late-sold", "garden-single", "2030-03-01", "2030-03-02").await;
    w.clock.advance(Duration::minutes(16));
    sweep_expired_holds(&w.svc, 10).await.unwrap();
    let other = book(&w, 2, "key-other-one", "garden-single", "2030-03-01", "2030-03-02").await;
    let event = paid(&w, &late, "evt_late_sold", PaymentEventKind::Authorized);
    assert_eq!(record_payment_event(&w.svc, event).await.unwrap(), RecordOutcome::VoidedLate);
    assert_eq!(state(&w, &late).await, "cancelled");
    assert_eq!(state(&w, &other).await, "held");
    assert_eq!(taken(&w, "garden-single", "2030-03-01").await, 1, "no overbooking");
    assert!(w.stripe.calls().contains(&format!("cancel void-{}", late.booking.reference)), "the authorization is voided, never captured");
    assert!(!w.stripe.calls().iter().any(|c| c.starts_with("capture")));
    let told = events(&w).await;
    assert!(
        matches!(&told[..], [BookingEvent { kind: EventKind::BookingCancelled { reason }, .. }] if reason == "rooms_sold_out_after_hold_expired")
    );
    // The guest hears about it.
    assert_eq!(deliver_event(&w.svc, &told[0]).await.unwrap(), 1);
    let sent = FileOutbox::read(&w.outbox).unwrap();
    assert!(sent[0].message.body.contains("not been charged"));
}

#[tokio::test]
async fn a_refused_capture_cancels_the_booking_and_frees_the_room() {
    let w = world();
    let created = book(&w, 1, "key-capture-no", "deluxe-king", "2030-04-01", "2030-04-03").await;
    *w.stripe.fail_capture.lock().unwrap() = Some(PaymentError::InvalidState("authorization expired".into()));
    let event = paid(&w, &created, "evt_cap", PaymentEventKind::Authorized);
    assert_eq!(record_payment_event(&w.svc, event).await.unwrap(), RecordOutcome::CaptureFailed);
    assert_eq!(state(&w, &created).await, "cancelled");
    assert_eq!(taken(&w, "deluxe-king", "2030-04-01").await, 0);
}

#[tokio::test]
async fn a_provider_outage_at_capture_is_retried_by_the_webhook() {
    let w = world();
    let created = book(&w, 1, "key-capture-retry", "deluxe-king", "2030-04-10", "2030-04-11").await;
    *w.stripe.fail_capture.lock().unwrap() = Some(PaymentError::Unavailable("503".into()));
    let event = paid(&w, &created, "evt_outage", PaymentEventKind::Authorized);
    assert!(matches!(record_payment_event(&w.svc, event.clone()).await, Err(AppError::Payment(_))));
    assert_eq!(state(&w, &created).await, "confirmed", "the booking is kept; only the capture is pending");
    *w.stripe.fail_capture.lock().unwrap() = None;
    // Stripe retries the same event: it is processed again (the failure released the key) and captures.
    assert_eq!(record_payment_event(&w.svc, event).await.unwrap(), RecordOutcome::AlreadyConfirmed);
    assert_eq!(w.stripe.calls().iter().filter(|c| c.starts_with("capture")).count(), 2);
    assert_eq!(events(&w).await.len(), 1, "one confirmation, not two");
}

#[tokio::test]
async fn a_wrong_amount_never_confirms() {
    let w = world();
    let created = book(&w, 1, "key-amount-1", "classic-double", "2030-05-01", "2030-05-02").await;
    let mut event = paid(&w, &created, "evt_amount", PaymentEventKind::Authorized);
    event.amount_minor -= 1;
    assert!(matches!(record_payment_event(&w.svc, event).await.unwrap(), RecordOutcome::Ignored(_)));
    assert_eq!(state(&w, &created).await, "held");
    assert!(w.stripe.calls().iter().any(|c| c.starts_with("cancel void-")));
}

#[tokio::test]
async fn late_cancellation_keeps_the_first_night() {
    let w = world();
    // Check-in 2030-01-02 15:00 local (14:00Z); it is now 2030-01-01 09:00Z: inside 48 h.
    let created = book(&w, 1, "key-late-cancel", "classic-double", "2030-01-02", "2030-01-04").await;
    let event = paid(&w, &created, "evt_lc", PaymentEventKind::Authorized);
    record_payment_event(&w.svc, event).await.unwrap();
    let view = guest_booking(&w.svc, &guest(1), &BookingRef::parse(&created.booking.reference).unwrap()).await.unwrap();
    let preview = view.cancellation.unwrap();
    let first_night = created.booking.nights[0].total.minor();
    assert_eq!(preview.penalty.minor(), first_night);
    let cancelled = cancel_booking(&w.svc, &guest(1), &BookingRef::parse(&created.booking.reference).unwrap()).await.unwrap();
    assert_eq!(cancelled.state, "refunded");
    assert_eq!(cancelled.refund.unwrap().minor(), created.booking.total.minor() - first_night);
    assert!(w.stripe.calls().contains(&format!(
        "refund refund-{} {}",
        created.booking.reference,
        created.booking.total.minor() - first_night
    )));
    assert_eq!(taken(&w, "classic-double", "2030-01-02").await, 0);
    // Cancelling again, even long after the provider forgot its idempotency key, refunds nothing more.
    w.clock.advance(Duration::days(3));
    let again = cancel_booking(&w.svc, &guest(1), &BookingRef::parse(&created.booking.reference).unwrap()).await.unwrap();
    assert_eq!(again.state, "refunded");
    assert_eq!(w.stripe.calls().iter().filter(|c| c.starts_with("refund ")).count(), 1, "{:?}", w.stripe.calls());
    // Another guest cannot see or cancel it.
    let reference = BookingRef::parse(&created.booking.reference).unwrap();
    assert!(matches!(guest_booking(&w.svc, &guest(2), &reference).await, Err(AppError::NotFound)));
    assert!(matches!(cancel_booking(&w.svc, &guest(2), &reference).await, Err(AppError::NotFound)));
}

#[tokio::test]
async fn failed_payment_releases_and_notifications_go_once() {
    let w = world();
    let created = book(&w, 1, "key-fail-once", "classic-double", "2030-06-01", "2030-06-02").await;
    let failed = paid(&w, &created, "evt_fail", PaymentEventKind::Failed);
    assert_eq!(record_payment_event(&w.svc, failed).await.unwrap(), RecordOutcome::Released);
    assert_eq!(taken(&w, "classic-double", "2030-06-01").await, 0);
    assert!(events(&w).await.is_empty());

    let ok = book(&w, 1, "key-notify-once", "classic-double", "2030-06-05", "2030-06-06").await;
    record_payment_event(&w.svc, paid(&w, &ok, "evt_ok", PaymentEventKind::Authorized)).await.unwrap();
    let event = events(&w).await.remove(0);
    assert_eq!(deliver_event(&w.svc, &event).await.unwrap(), 1);
    assert_eq!(deliver_event(&w.svc, &event).await.unwrap(), 0);
    assert_eq!(FileOutbox::read(&w.outbox).unwrap().len(), 1);
}
