//! "Re-send confirmation": the guest's own confirmed booking only, once per booking and hour (the hour from the
//! clock port), at most three times a day, and through the same outbox and notify path as the first message, so
//! the booking's channel states follow the new message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use booking_app::*;
use booking_domain::{Action, Booking, BookingRef, DEMO_CATALOG_JSON, GuestId, Hotel, InventoryEffect, PaymentRef};
use booking_embedded::EmbeddedStore;
use booking_ports::*;
use booking_store_contract::{held, t0};
use booking_test_support::{FaultyNotifier, ManualClock};
use chrono::{DateTime, Duration, Utc};

struct World {
    resend: ResendPorts,
    notify: NotifyPorts,
    store: Arc<EmbeddedStore>,
    clock: Arc<ManualClock>,
    sent: Arc<FaultyNotifier>,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("store.redb")).unwrap());
    let clock = Arc::new(ManualClock::new(t0()));
    let sent = Arc::new(FaultyNotifier::default());
    let resend = ResendPorts { bookings: store.clone(), changes: store.clone(), clock: clock.clone() };
    let notify = NotifyPorts {
        hotel: Arc::new(Hotel::from_json(DEMO_CATALOG_JSON).unwrap()),
        bookings: store.clone(),
        idempotency: store.clone(),
        notifier: sent.clone(),
        deliveries: store.clone(),
        clock: clock.clone(),
    };
    World { resend, notify, store, clock, sent, _dir: dir }
}

fn owner() -> GuestId {
    GuestId::new("g1").unwrap()
}

/// A paid-for booking of `g1` taken as far as `steps` go: held, then each action, then (if `settle`) its money
/// settled.
async fn booking(w: &World, n: u64, steps: &[Action], settle: bool) -> Booking {
    // With a payment, so confirming leaves money to move (`Due`) until it is settled.
    let mut b =
        held(n, "g1", "classic-double", "2030-02-01", "2030-02-03", 1).with_payment(PaymentRef { intent_id: format!("pi_{n}") }, t0());
    w.store.place_hold(&b, 10).await.unwrap();
    let write = |previous: Booking, next: Booking, effect| {
        let store = w.store.clone();
        async move {
            store.transition(Transition { previous: &previous, next: &next, effect, capacity: 10, event: None }).await.unwrap();
            next
        }
    };
    for action in steps {
        let (next, effect) = b.apply(*action, t0()).unwrap();
        b = write(b, next, effect).await;
    }
    if settle {
        let next = b.settled(b.quote().total, booking_domain::Money::new(0, b.quote().total.currency()), t0());
        b = write(b, next, InventoryEffect::None).await;
    }
    b
}

async fn confirmed(w: &World, n: u64) -> BookingRef {
    booking(w, n, &[Action::Confirm], true).await.reference().clone()
}

fn at(hhmm: &str) -> DateTime<Utc> {
    format!("2030-01-01T{hhmm}:00Z").parse().unwrap()
}

async fn resend_at(w: &World, when: DateTime<Utc>, reference: &BookingRef) -> Result<ResendView, AppError> {
    w.clock.set(when);
    resend_confirmation(&w.resend, &owner(), reference).await
}

async fn outbox(w: &World) -> Vec<BookingEvent> {
    w.store.pending_events(100).await.unwrap()
}

#[tokio::test]
async fn a_second_request_in_the_same_hour_answers_the_same_and_sends_nothing() {
    let w = world();
    let reference = confirmed(&w, 1).await;

    let first = resend_at(&w, at("10:20"), &reference).await.unwrap();
    assert_eq!(first.status, ResendStatus::Sent);
    assert_eq!(first.event_id, format!("{reference}#resend-2030010110"));
    assert_eq!(first.hour, at("10:00"));
    let again = resend_at(&w, at("10:59"), &reference).await.unwrap();
    assert_eq!(again, ResendView { status: ResendStatus::AlreadySent, ..first.clone() });
    let events = outbox(&w).await;
    assert_eq!(events.len(), 1, "one event for the hour");
    let total = held(1, "g1", "classic-double", "2030-02-01", "2030-02-03", 1).quote().total;
    assert_eq!(events[0].kind, EventKind::ConfirmationResent { charged: total });

    // The next hour is a new re-send.
    let next = resend_at(&w, at("11:00"), &reference).await.unwrap();
    assert_eq!((next.status, next.event_id.as_str()), (ResendStatus::Sent, format!("{reference}#resend-2030010111").as_str()));
    assert_eq!(outbox(&w).await.len(), 2);
}

#[tokio::test]
async fn three_resends_a_day_then_refused_until_the_next_utc_day() {
    let w = world();
    let reference = confirmed(&w, 2).await;
    for hour in ["10:05", "11:05", "12:05"] {
        assert_eq!(resend_at(&w, at(hour), &reference).await.unwrap().status, ResendStatus::Sent, "{hour}");
    }
    match resend_at(&w, at("13:00"), &reference).await {
        Err(AppError::ResendLimitReached { retry_after }) => assert_eq!(retry_after, Duration::hours(11)),
        other => panic!("expected the limit, got {other:?}"),
    }
    // An hour already re-sent still answers as it did: idempotency comes before the limit.
    assert_eq!(resend_at(&w, at("12:30"), &reference).await.unwrap().status, ResendStatus::AlreadySent);
    assert_eq!(outbox(&w).await.len(), 3, "the refused request wrote nothing");
    // The limit is per booking, and a new day starts again.
    let other = confirmed(&w, 3).await;
    assert_eq!(resend_at(&w, at("13:00"), &other).await.unwrap().status, ResendStatus::Sent);
    let tomorrow = resend_at(&w, at("09:00") + Duration::days(1), &reference).await.unwrap();
    assert_eq!(tomorrow.status, ResendStatus::Sent);
}

#[tokio::test]
async fn only_the_owner_can_resend_and_someone_elses_booking_is_not_found() {
    let w = world();
    let reference = confirmed(&w, 4).await;
    w.clock.set(at("10:00"));
    let stranger = GuestId::new("g2").unwrap();
    assert!(matches!(resend_confirmation(&w.resend, &stranger, &reference).await, Err(AppError::NotFound)));
    let unknown = BookingRef::from_entropy(999);
    assert!(matches!(resend_confirmation(&w.resend, &owner(), &unknown).await, Err(AppError::NotFound)));
    assert!(outbox(&w).await.is_empty());
}

#[tokio::test]
async fn only_a_confirmed_booking_whose_money_is_settled_has_a_confirmation_to_resend() {
    let w = world();
    let cases: [(u64, &[Action], bool, Option<bool>); 4] = [
        (5, &[], false, Some(false)),
        // Confirmed, capture still under way: the first confirmation has not gone out yet.
        (6, &[Action::Confirm], false, Some(true)),
        (7, &[Action::Confirm, Action::Refund], true, Some(false)),
        (8, &[Action::Expire], false, Some(false)),
    ];
    for (n, steps, settle, refused) in cases {
        let b = booking(&w, n, steps, settle).await;
        let result = resend_at(&w, at("10:00"), b.reference()).await;
        match (refused, result) {
            (Some(expected), Err(AppError::NotConfirmed { settling })) => assert_eq!(settling, expected, "{:?}", b.state()),
            (_, other) => panic!("{:?}: {other:?}", b.state()),
        }
    }
    assert!(outbox(&w).await.is_empty());
}

#[tokio::test]
async fn a_resend_goes_to_the_guest_by_the_same_path_and_the_channel_follows_it() {
    let w = world();
    let b = held(9, "g1", "classic-double", "2030-02-01", "2030-02-03", 1);
    w.store.place_hold(&b, 10).await.unwrap();
    let (confirmed, effect) = b.apply(Action::Confirm, t0()).unwrap();
    let first = BookingEvent::new(b.reference(), confirmed.version(), EventKind::BookingConfirmed { charged: b.quote().total }, t0());
    w.store.transition(Transition { previous: &b, next: &confirmed, effect, capacity: 10, event: Some(&first) }).await.unwrap();
    let settled = confirmed.settled(b.quote().total, booking_domain::Money::new(0, b.quote().total.currency()), t0());
    w.store
        .transition(Transition { previous: &confirmed, next: &settled, effect: InventoryEffect::None, capacity: 10, event: None })
        .await
        .unwrap();
    assert_eq!(deliver_event(&w.notify, &first).await.unwrap(), 2, "the email and the staff event");

    let view = resend_at(&w, at("11:30"), b.reference()).await.unwrap();
    let resent = outbox(&w).await.into_iter().find(|e| e.id == view.event_id).unwrap();
    assert_eq!(deliver_event(&w.notify, &resent).await.unwrap(), 1, "the guest's email only: nothing changed for the staff");
    assert_eq!(deliver_event(&w.notify, &resent).await.unwrap(), 0, "a redelivered stream record sends nothing again");
    let accepted = w.sent.accepted();
    let channels: Vec<String> = accepted.iter().map(|m| format!("{:?}", m.channel)).collect();
    assert_eq!(channels, ["Email", "Staff", "Email"]);
    assert_eq!(accepted[2].body, accepted[0].body, "the same confirmation");
    let deliveries = w.store.deliveries(b.reference()).await.unwrap();
    assert_eq!(
        deliveries.iter().map(|d| (d.channel, d.event_id.as_str(), d.state)).collect::<Vec<_>>(),
        [(GuestChannel::Email, view.event_id.as_str(), DeliveryState::Sent)],
        "the booking view shows the new message"
    );
}
