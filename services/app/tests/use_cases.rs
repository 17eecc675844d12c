//! The money-and-inventory rules of the use cases, against the embedded store and the local Stripe server
//! itself (through the real Stripe adapter), with webhooks delivered by hand: late, twice, out of order or not
//! at all, and faults injected where real services produce them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use booking_app::*;
use booking_domain::{BookingRef, BookingState, CancellationReason, ContactPreference, DEMO_CATALOG_JSON, GuestId, Hotel, Money};
use booking_embedded::EmbeddedStore;
use booking_ports::*;
use booking_test_support::{Fault, FaultyNotifier, ManualClock, StripeOp, TestStripe};
use chrono::{Duration, NaiveDate};

const CARD_OK: &str = "4242424242424242";
const CARD_DECLINED: &str = "4000000000000002";

struct World {
    money: MoneyPorts,
    read: ReadPorts,
    notify: NotifyPorts,
    stripe: TestStripe,
    store: Arc<EmbeddedStore>,
    clock: Arc<ManualClock>,
    sent: Arc<FaultyNotifier>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2030-01-01T09:00:00Z".parse().unwrap()));
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("store.redb")).unwrap());
    let stripe = TestStripe::start(clock.clone()).await;
    let sent = Arc::new(FaultyNotifier::default());
    let hotel = Arc::new(Hotel::from_json(DEMO_CATALOG_JSON).unwrap());
    let settle = SettlePorts {
        hotel: hotel.clone(),
        bookings: store.clone(),
        changes: store.clone(),
        payments: stripe.gateway(),
        clock: clock.clone(),
    };
    let money = MoneyPorts { settle, idempotency: store.clone() };
    let read = ReadPorts { hotel: hotel.clone(), bookings: store.clone(), deliveries: store.clone(), clock: clock.clone() };
    let notify = NotifyPorts {
        hotel,
        bookings: store.clone(),
        idempotency: store.clone(),
        notifier: sent.clone(),
        deliveries: store.clone(),
        clock: clock.clone(),
    };
    World { money, read, notify, stripe, store, clock, sent, _dir: dir }
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
    place_booking(&w.money, &guest(g), key, request(room, ci, co)).await.unwrap()
}

fn reference(created: &BookingCreated) -> BookingRef {
    BookingRef::parse(&created.booking.reference).unwrap()
}

/// The guest pays in the browser; returns the HTTP status Stripe answered.
async fn pay(w: &World, created: &BookingCreated, card: &str) -> u16 {
    w.stripe.pay(&created.payment.intent_id, &created.payment.client_secret, card).await
}

/// Delivers every webhook sent so far, in order, and returns what each did (an error is what the webhook
/// endpoint answers 5xx to, so Stripe sends it again).
async fn deliver_webhooks(w: &World) -> Vec<Result<RecordOutcome, AppError>> {
    let mut outcomes = Vec::new();
    for event in w.stripe.webhooks() {
        outcomes.push(record_payment_event(&w.money, event).await);
    }
    outcomes
}

async fn booking(w: &World, created: &BookingCreated) -> booking_domain::Booking {
    w.store.get_booking(&reference(created)).await.unwrap().unwrap()
}

async fn state(w: &World, created: &BookingCreated) -> BookingState {
    booking(w, created).await.state()
}

async fn settled(w: &World, created: &BookingCreated) -> bool {
    matches!(booking(w, created).await.settlement(), booking_domain::Settlement::Settled { .. })
}

async fn intent(w: &World, created: &BookingCreated) -> PaymentIntent {
    w.stripe.intent(&created.payment.intent_id).await
}

async fn taken(w: &World, room: &str, night: &str) -> u32 {
    let room = booking_domain::RoomTypeId::parse(room).unwrap();
    w.store.night_counts(&room, &[night.parse::<NaiveDate>().unwrap()], 100).await.unwrap()[0].taken
}

async fn events(w: &World) -> Vec<EventKind> {
    w.store.pending_events(100).await.unwrap().into_iter().map(|e| e.kind).collect()
}

async fn sweep(w: &World) -> SweepReport {
    reconcile_due(&w.money.settle, 100).await.unwrap()
}

fn eur(minor: i64) -> Money {
    Money::new(minor, booking_domain::Currency::EUR)
}

#[tokio::test]
async fn an_authorization_confirms_captures_and_tells_the_guest_once() {
    let w = world().await;
    let created = book(&w, 1, "key-confirm-1", "classic-double", "2030-02-01", "2030-02-03").await;
    assert_eq!(pay(&w, &created, CARD_OK).await, 200);
    let webhooks = w.stripe.webhooks();
    assert_eq!(webhooks.iter().map(|e| e.kind).collect::<Vec<_>>(), [PaymentEventKind::Authorized]);
    let first = record_payment_event(&w.money, webhooks[0].clone()).await.unwrap();
    assert!(
        matches!(&first, RecordOutcome::Reconciled(r) if r.effects == [Effect::Confirmed, Effect::Captured, Effect::Settled]),
        "{first:?}"
    );
    assert_eq!(record_payment_event(&w.money, webhooks[0].clone()).await.unwrap(), RecordOutcome::Duplicate);
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    let paid = intent(&w, &created).await;
    assert_eq!((paid.status, paid.amount_received), (PaymentStatus::Succeeded, created.booking.total.minor()));
    assert_eq!(events(&w).await, [EventKind::BookingConfirmed { charged: created.booking.total }]);
    // The `succeeded` echo of our own capture changes nothing.
    let echo = deliver_webhooks(&w).await;
    assert!(matches!(&echo[..], [Ok(RecordOutcome::Reconciled(r))] if r.effects.is_empty()), "{echo:?}");
    assert_eq!(events(&w).await.len(), 1);
    // One read, one capture: the rest came from the answers themselves.
    assert_eq!(w.stripe.calls().iter().filter(|c| **c == StripeOp::Capture).count(), 1);
}

/// Defect 4: a card authorised at 14:59 of a 15-minute hold, its webhook still in flight, must not be voided by
/// the sweeper.
#[tokio::test]
async fn a_payment_authorised_before_the_hold_ran_out_survives_the_sweeper() {
    let w = world().await;
    let created = book(&w, 1, "key-last-second", "garden-single", "2030-02-01", "2030-02-02").await;
    w.clock.advance(Duration::seconds(14 * 60 + 59));
    assert_eq!(pay(&w, &created, CARD_OK).await, 200);
    w.clock.advance(Duration::seconds(2));
    let report = sweep(&w).await;
    assert_eq!((report.count(Effect::Confirmed), report.count(Effect::Expired), report.count(Effect::Voided)), (1, 0, 0), "{report:?}");
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    let paid = intent(&w, &created).await;
    assert_eq!(paid.status, PaymentStatus::Succeeded, "captured, never voided");
    assert_eq!(taken(&w, "garden-single", "2030-02-01").await, 1);
    // The webhook arriving now finds nothing to do.
    for outcome in deliver_webhooks(&w).await {
        assert!(matches!(&outcome, Ok(RecordOutcome::Reconciled(r)) if r.effects.is_empty()), "{outcome:?}");
    }
    assert_eq!(events(&w).await, [EventKind::BookingConfirmed { charged: created.booking.total }]);
}

/// Defect 5: the guest cancels while a capture retry lands between our read and our void.
#[tokio::test]
async fn a_capture_that_lands_during_a_cancel_is_refunded() {
    let w = world().await;
    let created = book(&w, 1, "key-race-cancel", "deluxe-king", "2030-03-10", "2030-03-12").await;
    pay(&w, &created, CARD_OK).await;
    // The capture fails for now: the booking is confirmed, its money still authorised only.
    w.stripe.fail_next(StripeOp::Capture, Fault::Outage);
    deliver_webhooks(&w).await;
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    assert_eq!(intent(&w, &created).await.status, PaymentStatus::RequiresCapture);
    assert!(events(&w).await.is_empty(), "no confirmation before the money is taken");
    // The guest cancels (free window: full refund); a capture lands just before our void.
    w.stripe.interleave(TestStripe::capture_first(StripeOp::Cancel, &created.payment.intent_id));
    let view = cancel_booking(&w.money.settle, &guest(1), &reference(&created)).await.unwrap();
    assert_eq!(view.state, BookingState::Refunded);
    assert_eq!(view.money.status, MoneyStatus::Settled, "{view:?}");
    let money = intent(&w, &created).await;
    assert_eq!(
        (money.status, money.amount_received, money.amount_refunded),
        (PaymentStatus::Succeeded, created.booking.total.minor(), created.booking.total.minor())
    );
    let total = created.booking.total;
    assert_eq!(events(&w).await, [EventKind::BookingCancelled { reason: CancellationReason::ByGuest, charged: total, refunded: total }]);
}

/// Defect 5 too: the provider is down when the guest cancels. The guest is told the refund is pending, never
/// that it is on its way, and the product finishes it without the guest pressing cancel again.
#[tokio::test]
async fn a_refund_the_provider_refused_is_driven_to_completion() {
    let w = world().await;
    let created = book(&w, 1, "key-refund-later", "deluxe-king", "2030-03-10", "2030-03-12").await;
    pay(&w, &created, CARD_OK).await;
    deliver_webhooks(&w).await;
    assert!(settled(&w, &created).await);
    w.stripe.fail_always(Some(Fault::Outage));
    let view = cancel_booking(&w.money.settle, &guest(1), &reference(&created)).await.unwrap();
    assert_eq!((view.state, view.money.status), (BookingState::Refunded, MoneyStatus::Pending));
    assert_eq!(view.refund, Some(created.booking.total));
    assert!(events(&w).await.len() == 1, "only the confirmation so far: no 'refund on its way' yet");
    // Retries back off while the provider stays down...
    for minutes in [1, 2, 4] {
        w.clock.advance(Duration::minutes(minutes));
        assert_eq!(sweep(&w).await.count(Effect::RetryScheduled), 1);
    }
    // ...and finish once it is back.
    w.stripe.fail_always(None);
    w.clock.advance(Duration::minutes(8));
    let report = sweep(&w).await;
    assert_eq!((report.count(Effect::Refunded), report.count(Effect::Settled)), (1, 1), "{report:?}");
    assert_eq!(intent(&w, &created).await.amount_refunded, created.booking.total.minor());
    let total = created.booking.total;
    assert_eq!(
        events(&w).await.last(),
        Some(&EventKind::BookingCancelled { reason: CancellationReason::ByGuest, charged: total, refunded: total })
    );
    // Nothing more is due, and cancelling again refunds nothing more.
    assert_eq!(sweep(&w).await.due, 0);
    cancel_booking(&w.money.settle, &guest(1), &reference(&created)).await.unwrap();
    assert_eq!(intent(&w, &created).await.amount_refunded, created.booking.total.minor());
}

/// Defect 6: a capture that keeps failing is retried by the schedule; once it works the guest is told, and the
/// confirmation never said "charged" before.
#[tokio::test]
async fn a_confirmed_booking_whose_capture_keeps_failing_is_reconciled() {
    let w = world().await;
    let created = book(&w, 1, "key-capture-later", "classic-double", "2030-04-10", "2030-04-11").await;
    pay(&w, &created, CARD_OK).await;
    let event = w.stripe.webhooks().remove(0);
    // Stripe's API is down when its webhook arrives: nothing is decided and the delivery is refused, so Stripe
    // sends it again.
    w.stripe.fail_always(Some(Fault::Outage));
    assert!(record_payment_event(&w.money, event.clone()).await.is_err());
    assert_eq!(state(&w, &created).await, BookingState::Held);
    // Next delivery: confirmed, but the capture fails. No confirmation message yet.
    w.stripe.fail_always(None);
    w.stripe.fail_next(StripeOp::Capture, Fault::Outage);
    assert!(record_payment_event(&w.money, event).await.is_err());
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    assert!(events(&w).await.is_empty());
    // The schedule finishes it even if Stripe's retries never come.
    w.clock.advance(Duration::minutes(2));
    let report = sweep(&w).await;
    assert_eq!((report.count(Effect::Captured), report.count(Effect::Settled)), (1, 1), "{report:?}");
    assert_eq!(events(&w).await, [EventKind::BookingConfirmed { charged: created.booking.total }]);
}

/// Defect 6: an authorization that expires uncaptured (Stripe cancels it after seven days) cancels the booking
/// and tells the guest they were not charged; the webhook saying so is not ignored.
#[tokio::test]
async fn an_authorization_that_expired_uncaptured_cancels_the_booking() {
    let w = world().await;
    let created = book(&w, 1, "key-auth-expired", "classic-double", "2030-04-20", "2030-04-22").await;
    pay(&w, &created, CARD_OK).await;
    w.stripe.fail_next(StripeOp::Capture, Fault::Outage);
    deliver_webhooks(&w).await;
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    // Nothing captures it for a week (say the schedule was broken too); Stripe then cancels the authorization.
    w.clock.advance(Duration::days(7));
    assert_eq!(intent(&w, &created).await.status, PaymentStatus::Canceled);
    let webhooks = w.stripe.webhooks();
    assert_eq!(webhooks.iter().map(|e| e.kind).collect::<Vec<_>>(), [PaymentEventKind::Canceled]);
    record_payment_event(&w.money, webhooks[0].clone()).await.unwrap();
    assert_eq!(state(&w, &created).await, BookingState::Cancelled);
    assert_eq!(taken(&w, "classic-double", "2030-04-20").await, 0);
    let zero = eur(0);
    assert_eq!(
        events(&w).await,
        [EventKind::BookingCancelled { reason: CancellationReason::PaymentNotCompleted, charged: zero, refunded: zero }]
    );
}

/// Defect 7: a stale `payment_failed` (first card declined) processed after the guest paid with another card.
#[tokio::test]
async fn a_stale_payment_failed_never_releases_a_paid_hold() {
    let w = world().await;
    let created = book(&w, 1, "key-stale-failed", "garden-single", "2030-05-01", "2030-05-03").await;
    assert_eq!(pay(&w, &created, CARD_DECLINED).await, 402);
    let failed = w.stripe.webhooks();
    assert_eq!(pay(&w, &created, CARD_OK).await, 200);
    let authorized = w.stripe.webhooks();
    // The failure arrives last-but-processed-first.
    record_payment_event(&w.money, failed[0].clone()).await.unwrap();
    assert_eq!(state(&w, &created).await, BookingState::Confirmed, "the current status (authorised) wins");
    assert_eq!(intent(&w, &created).await.status, PaymentStatus::Succeeded);
    record_payment_event(&w.money, authorized[0].clone()).await.unwrap();
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    assert_eq!(taken(&w, "garden-single", "2030-05-01").await, 1);
}

/// A current failure still gives the hold back, and closes the intent so a later card cannot pay for it.
#[tokio::test]
async fn a_declined_card_releases_the_hold_and_closes_the_payment() {
    let w = world().await;
    let created = book(&w, 1, "key-declined", "classic-double", "2030-06-01", "2030-06-02").await;
    assert_eq!(pay(&w, &created, CARD_DECLINED).await, 402);
    let outcomes = deliver_webhooks(&w).await;
    assert!(
        matches!(&outcomes[..], [Ok(RecordOutcome::Reconciled(r))] if r.effects == [Effect::Voided, Effect::Released, Effect::Settled]),
        "{outcomes:?}"
    );
    assert_eq!(taken(&w, "classic-double", "2030-06-01").await, 0);
    assert_eq!(intent(&w, &created).await.status, PaymentStatus::Canceled);
    assert_ne!(pay(&w, &created, CARD_OK).await, 200, "a closed intent cannot be paid");
    assert!(events(&w).await.is_empty());
}

/// Defect 8: our capture's reply was lost (it did capture). The next attempt reads the intent and settles; it
/// never cancels the booking.
#[tokio::test]
async fn a_lost_capture_reply_never_cancels_a_paid_booking() {
    let w = world().await;
    let created = book(&w, 1, "key-lost-capture", "deluxe-king", "2030-07-01", "2030-07-02").await;
    pay(&w, &created, CARD_OK).await;
    w.stripe.fail_next(StripeOp::Capture, Fault::LostReply);
    deliver_webhooks(&w).await;
    assert_eq!(intent(&w, &created).await.status, PaymentStatus::Succeeded, "the capture happened");
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    w.clock.advance(Duration::minutes(2));
    let report = sweep(&w).await;
    assert_eq!(
        (report.count(Effect::CancelledUnpaid), report.count(Effect::Captured), report.count(Effect::Settled)),
        (0, 0, 1),
        "{report:?}"
    );
    assert_eq!(events(&w).await, [EventKind::BookingConfirmed { charged: created.booking.total }]);
}

/// Defect 8: our capture meets `InvalidState` because the money was taken meanwhile (a retry of a capture
/// whose key Stripe had forgotten, or another worker): read the intent before deciding, never cancel.
#[tokio::test]
async fn a_capture_refused_as_already_captured_reads_the_intent_instead_of_cancelling() {
    let w = world().await;
    let created = book(&w, 1, "key-invalid-capture", "deluxe-king", "2030-07-05", "2030-07-06").await;
    pay(&w, &created, CARD_OK).await;
    w.stripe.interleave(TestStripe::capture_first(StripeOp::Capture, &created.payment.intent_id));
    let outcomes = deliver_webhooks(&w).await;
    assert!(
        matches!(&outcomes[..], [Ok(RecordOutcome::Reconciled(r))] if r.effects == [Effect::Confirmed, Effect::Settled]),
        "{outcomes:?}"
    );
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    assert!(settled(&w, &created).await);
    assert_eq!(events(&w).await, [EventKind::BookingConfirmed { charged: created.booking.total }]);
}

/// Defect 9: a late payment for rooms sold meanwhile whose void fails is retried until the funds are released.
#[tokio::test]
async fn a_failed_void_after_a_late_sold_out_payment_is_retried_until_done() {
    let w = world().await;
    let late = book(&w, 1, "key-late-sold", "garden-single", "2030-03-01", "2030-03-02").await;
    // At expiry the guest has not paid, but closing the payment fails: the rooms go back anyway (a late
    // payment is handled), the intent stays open for now.
    w.clock.advance(Duration::minutes(16));
    w.stripe.fail_next(StripeOp::Cancel, Fault::Outage);
    let report = sweep(&w).await;
    assert_eq!(report.count(Effect::Expired), 1, "{report:?}");
    assert_eq!(taken(&w, "garden-single", "2030-03-01").await, 0);
    let other = book(&w, 2, "key-other-one", "garden-single", "2030-03-01", "2030-03-02").await;
    // The first guest pays late; the void of their authorization fails once.
    assert_eq!(pay(&w, &late, CARD_OK).await, 200);
    w.stripe.fail_next(StripeOp::Cancel, Fault::Outage);
    deliver_webhooks(&w).await;
    assert_eq!(state(&w, &late).await, BookingState::Cancelled);
    assert_eq!(state(&w, &other).await, BookingState::Held);
    assert_eq!(taken(&w, "garden-single", "2030-03-01").await, 1, "no overbooking");
    assert_eq!(intent(&w, &late).await.status, PaymentStatus::RequiresCapture, "funds still held");
    assert!(events(&w).await.is_empty(), "not told 'not charged' while the money is still held");
    w.clock.advance(Duration::minutes(2));
    let report = sweep(&w).await;
    assert_eq!((report.count(Effect::Voided), report.count(Effect::Settled)), (1, 1), "{report:?}");
    assert_eq!(intent(&w, &late).await.status, PaymentStatus::Canceled, "the authorization is voided, never captured");
    let zero = eur(0);
    assert_eq!(
        events(&w).await,
        [EventKind::BookingCancelled { reason: CancellationReason::SoldOutAfterHoldExpired, charged: zero, refunded: zero }]
    );
    deliver_event(&w.notify, &w.store.pending_events(10).await.unwrap()[0]).await.unwrap();
    assert!(w.sent.accepted()[0].body.contains("You have not been charged."));
}

#[tokio::test]
async fn a_late_payment_is_reinstated_when_rooms_remain() {
    let w = world().await;
    let created = book(&w, 1, "key-late-ok-1", "garden-single", "2030-02-01", "2030-02-02").await;
    w.clock.advance(Duration::minutes(16));
    w.stripe.fail_next(StripeOp::Cancel, Fault::Outage);
    sweep(&w).await;
    assert_eq!(state(&w, &created).await, BookingState::Expired);
    pay(&w, &created, CARD_OK).await;
    let outcomes = deliver_webhooks(&w).await;
    assert!(
        matches!(&outcomes[..], [Ok(RecordOutcome::Reconciled(r))] if r.effects == [Effect::Reinstated, Effect::Captured, Effect::Settled]),
        "{outcomes:?}"
    );
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    assert_eq!(taken(&w, "garden-single", "2030-02-01").await, 1);
}

/// If the provider cannot even be read at expiry, the guest may have paid in the last second: the rooms stay
/// theirs until the provider answers.
#[tokio::test]
async fn a_hold_whose_payment_cannot_be_read_is_kept_until_it_can() {
    let w = world().await;
    let created = book(&w, 1, "key-unreadable", "garden-single", "2030-02-07", "2030-02-08").await;
    w.clock.advance(Duration::seconds(14 * 60 + 50));
    pay(&w, &created, CARD_OK).await;
    w.clock.advance(Duration::seconds(20));
    w.stripe.fail_always(Some(Fault::Outage));
    assert_eq!(sweep(&w).await.count(Effect::RetryScheduled), 1);
    assert_eq!((state(&w, &created).await, taken(&w, "garden-single", "2030-02-07").await), (BookingState::Held, 1));
    w.stripe.fail_always(None);
    w.clock.advance(Duration::minutes(1));
    let report = sweep(&w).await;
    assert_eq!((report.count(Effect::Confirmed), report.count(Effect::Captured)), (1, 1), "{report:?}");
}

#[tokio::test]
async fn an_expired_hold_closes_its_payment_so_it_cannot_be_paid_late() {
    let w = world().await;
    let created = book(&w, 1, "key-expire-close", "garden-single", "2030-02-05", "2030-02-06").await;
    w.clock.advance(Duration::minutes(15));
    let report = sweep(&w).await;
    assert_eq!((report.count(Effect::Voided), report.count(Effect::Expired), report.count(Effect::Settled)), (1, 1, 1), "{report:?}");
    assert_eq!(intent(&w, &created).await.status, PaymentStatus::Canceled);
    assert_ne!(pay(&w, &created, CARD_OK).await, 200);
    assert_eq!(sweep(&w).await.due, 0, "nothing left to do");
}

/// Defect 2: self-service cancellation closes at check-in time on the arrival day.
#[tokio::test]
async fn cancelling_after_check_in_is_refused_and_the_preview_says_so() {
    let w = world().await;
    let created = book(&w, 1, "key-after-check-in", "classic-double", "2030-01-05", "2030-01-15").await;
    pay(&w, &created, CARD_OK).await;
    deliver_webhooks(&w).await;
    // The day after check-out, and during the stay: 2030-01-05 15:00 in Lisbon is 15:00Z.
    for at in ["2030-01-16T10:00:00Z", "2030-01-05T15:00:00Z"] {
        w.clock.set(at.parse().unwrap());
        let refused = cancel_booking(&w.money.settle, &guest(1), &reference(&created)).await;
        assert!(matches!(refused, Err(AppError::Rule(booking_domain::DomainError::CancellationClosed { .. }))), "{at}: {refused:?}");
        let view = guest_booking(&w.read, &guest(1), &reference(&created)).await.unwrap();
        assert!(matches!(view.cancellation, Some(CancellationView::Closed { .. })), "{view:?}");
    }
    assert_eq!(state(&w, &created).await, BookingState::Confirmed);
    assert_eq!(intent(&w, &created).await.amount_refunded, 0, "nothing refunded for nights slept");
    // One second before check-in it still works (the first night is kept).
    w.clock.set("2030-01-05T14:59:59Z".parse().unwrap());
    let view = cancel_booking(&w.money.settle, &guest(1), &reference(&created)).await.unwrap();
    assert_eq!(view.refund.unwrap().minor(), created.booking.total.minor() - created.booking.nights[0].total.minor());
}

#[tokio::test]
async fn late_cancellation_keeps_the_first_night() {
    let w = world().await;
    // Check-in 2030-01-02 15:00 local (Lisbon: 15:00Z); it is now 2030-01-01 09:00Z: inside 48 h.
    let created = book(&w, 1, "key-late-cancel", "classic-double", "2030-01-02", "2030-01-04").await;
    pay(&w, &created, CARD_OK).await;
    deliver_webhooks(&w).await;
    let view = guest_booking(&w.read, &guest(1), &reference(&created)).await.unwrap();
    let first_night = created.booking.nights[0].total.minor();
    assert!(matches!(view.cancellation, Some(CancellationView::Open { penalty, .. }) if penalty.minor() == first_night), "{view:?}");
    let cancelled = cancel_booking(&w.money.settle, &guest(1), &reference(&created)).await.unwrap();
    assert_eq!(cancelled.state, BookingState::Refunded);
    assert_eq!(cancelled.refund.unwrap().minor(), created.booking.total.minor() - first_night);
    assert_eq!(intent(&w, &created).await.amount_refunded, created.booking.total.minor() - first_night);
    assert_eq!(taken(&w, "classic-double", "2030-01-02").await, 0);
    // Cancelling again, even long after the provider forgot its idempotency keys, refunds nothing more.
    w.clock.advance(Duration::days(3));
    let again = cancel_booking(&w.money.settle, &guest(1), &reference(&created)).await.unwrap();
    assert_eq!(again.state, BookingState::Refunded);
    assert_eq!(intent(&w, &created).await.amount_refunded, created.booking.total.minor() - first_night);
    assert_eq!(w.stripe.calls().iter().filter(|c| **c == StripeOp::Refund).count(), 1);
    // Another guest cannot see or cancel it.
    let r = reference(&created);
    assert!(matches!(guest_booking(&w.read, &guest(2), &r).await, Err(AppError::NotFound)));
    assert!(matches!(cancel_booking(&w.money.settle, &guest(2), &r).await, Err(AppError::NotFound)));
}

/// A late cancel before the capture keeps exactly the penalty: the authorization is partly captured and the
/// rest released, rather than voiding it all (losing the penalty) or capturing it all (then refunding).
#[tokio::test]
async fn a_late_cancel_before_the_capture_captures_only_the_penalty() {
    let w = world().await;
    let created = book(&w, 1, "key-penalty-only", "classic-double", "2030-01-02", "2030-01-04").await;
    pay(&w, &created, CARD_OK).await;
    w.stripe.fail_next(StripeOp::Capture, Fault::Outage);
    deliver_webhooks(&w).await;
    let view = cancel_booking(&w.money.settle, &guest(1), &reference(&created)).await.unwrap();
    let penalty = created.booking.nights[0].total;
    let money = intent(&w, &created).await;
    assert_eq!((money.status, money.amount_received, money.amount_refunded), (PaymentStatus::Succeeded, penalty.minor(), 0));
    assert_eq!(view.money, MoneyView { status: MoneyStatus::Settled, charged: Some(penalty), refunded: Some(eur(0)) });
}

#[tokio::test]
async fn an_event_naming_another_bookings_intent_is_ignored() {
    let w = world().await;
    let a = book(&w, 1, "key-victim-aaa", "classic-double", "2030-08-01", "2030-08-02").await;
    let b = book(&w, 2, "key-attacker-b", "classic-double", "2030-08-01", "2030-08-02").await;
    pay(&w, &b, CARD_OK).await;
    w.stripe.webhooks();
    let forged = PaymentEvent {
        event_id: "evt_forged".into(),
        kind: PaymentEventKind::Authorized,
        intent_id: b.payment.intent_id.clone(),
        reference: Some(a.booking.reference.clone()),
        failure_reason: None,
    };
    assert_eq!(record_payment_event(&w.money, forged).await.unwrap(), RecordOutcome::Ignored(IgnoredBecause::ForeignIntent));
    assert_eq!(state(&w, &a).await, BookingState::Held);
}

#[tokio::test]
async fn notifications_go_once_per_channel_and_a_failed_channel_is_retried_alone() {
    let w = world().await;
    let mut req = request("classic-double", "2030-06-05", "2030-06-06");
    req.guest.phone = Some("+14155550100".into());
    req.guest.notify_by = ContactPreference::Both;
    let created = place_booking(&w.money, &guest(1), "key-notify-once", req).await.unwrap();
    pay(&w, &created, CARD_OK).await;
    deliver_webhooks(&w).await;
    let event = w.store.pending_events(10).await.unwrap().remove(0);
    // Email accepted, SMS provider down: the email is recorded as sent before the SMS is tried.
    w.sent.plan.then([None, Some(Fault::Outage)]);
    assert!(deliver_event(&w.notify, &event).await.is_err());
    let states = |deliveries: Vec<ChannelDelivery>| deliveries.into_iter().map(|d| (d.channel, d.state)).collect::<Vec<_>>();
    let reference = &event.reference;
    assert_eq!(
        states(w.store.deliveries(reference).await.unwrap()),
        [(GuestChannel::Email, DeliveryState::Sent)],
        "the SMS has no state yet"
    );
    assert_eq!(deliver_event(&w.notify, &event).await.unwrap(), 2, "only the SMS (and the staff event after it) go out on the retry");
    assert_eq!(deliver_event(&w.notify, &event).await.unwrap(), 0);
    let channels: Vec<_> = w.sent.accepted().iter().map(|m| m.dedup_key.rsplit('/').next().unwrap().to_owned()).collect();
    assert_eq!(channels, ["email", "sms", "staff"]);
    assert_eq!(
        states(w.store.deliveries(reference).await.unwrap()),
        [(GuestChannel::Email, DeliveryState::Sent), (GuestChannel::Sms, DeliveryState::Sent)]
    );
}
