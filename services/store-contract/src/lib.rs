//! The contract every [`BookingStore`] adapter must honour, written once and run against each adapter.
//!
//! Usage from an adapter's tests:
//! ```text
//! booking_store_contract::run_all(|| async { Arc::new(MyStore::fresh().await) as Arc<dyn BookingStore> }).await;
//! ```
//! Each case gets a fresh store from the factory. A failing case panics with its name, which is what a test
//! support crate is for, hence the relaxed lints below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::Arc;

use booking_domain::{
    Action, Booking, BookingRef, ContactPreference, DEMO_CATALOG_JSON, GuestContact, GuestId, Hotel, InventoryEffect, NewBooking,
    PaymentRef, RoomTypeId, SETTLEMENT_GRACE, StayDates, StayRequest, quote,
};
use booking_ports::{
    BookingEvent, BookingStore, ChannelDelivery, DeliveryState, DeliveryUpdate, EventKind, FailureReason, GuestChannel, HoldClaimed,
    IdempotencyBegin, IdempotencyClaim, IdempotencyCompletion, OutboxFeed, Resend, ResendQueued, StoreError, Transition,
};

pub mod model;
use chrono::{DateTime, Duration, NaiveDate, Utc};

pub type StoreRef = Arc<dyn BookingStore>;

/// Runs every case against fresh stores from `make`.
pub async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = StoreRef>,
{
    macro_rules! case {
        ($name:ident) => {{
            eprintln!("store contract: {}", stringify!($name));
            $name(make().await).await;
        }};
    }
    case!(hold_takes_every_night_or_none);
    case!(more_rooms_than_capacity_are_refused_even_on_fresh_nights);
    case!(hold_never_exceeds_capacity_for_multi_room);
    case!(concurrent_holds_for_the_last_room_admit_exactly_one);
    case!(duplicate_reference_is_a_conflict);
    case!(confirm_keeps_rooms_and_stale_writes_conflict);
    case!(release_and_expire_give_rooms_back);
    case!(reinstate_takes_rooms_again_or_refuses_when_sold_out);
    case!(a_replayed_transition_is_refused);
    case!(guest_index_lists_only_own_bookings_by_check_in);
    case!(due_bookings_are_holds_that_ran_out_and_money_still_to_move);
    case!(idempotency_records_follow_their_lifecycle);
    case!(only_the_owner_completes_or_releases_a_claim);
    case!(a_hold_carries_its_claim_or_nothing);
    case!(a_completion_rides_with_its_transition_unless_the_claim_was_taken_over);
    case!(counters_match_bookings_after_a_sequence);
    case!(a_channel_shows_its_latest_message_and_reports_on_it);
    case!(a_booking_reads_back_with_its_own_deliveries_in_one_call);
    case!(undeliverable_addresses_are_remembered_case_insensitively);
}

/// The transactional outbox, for adapters whose outbox can be read back ([`OutboxFeed`]): an event exists if and
/// only if its change was written, once. `make` returns a fresh store and the feed over the same data.
pub async fn run_outbox_cases<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = (StoreRef, Arc<dyn OutboxFeed>)>,
{
    macro_rules! case {
        ($name:ident) => {{
            eprintln!("store contract (outbox): {}", stringify!($name));
            let (store, outbox) = make().await;
            $name(store, outbox).await;
        }};
    }
    case!(a_change_writes_its_event_with_it);
    case!(a_refused_change_writes_no_event);
    case!(a_dispatched_event_is_not_offered_again);
    case!(a_resend_is_queued_once_per_hour_and_within_the_daily_limit);
}

pub fn hotel() -> Hotel {
    Hotel::from_json(DEMO_CATALOG_JSON).unwrap()
}

pub fn t0() -> DateTime<Utc> {
    "2030-01-01T10:00:00Z".parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A held booking of `rooms` rooms of `room` from `ci` to `co`, for `guest`, reference from `n`.
pub fn held(n: u64, guest: &str, room: &str, ci: &str, co: &str, rooms: u8) -> Booking {
    let contact = GuestContact::new("Test Guest", "guest@example.com", None, ContactPreference::Email).unwrap();
    held_reaching(n, guest, room, ci, co, rooms, contact)
}

/// [`held`], reaching the guest through `contact`.
pub fn held_reaching(n: u64, guest: &str, room: &str, ci: &str, co: &str, rooms: u8, contact: GuestContact) -> Booking {
    let h = hotel();
    let request =
        StayRequest { room_type: RoomTypeId::parse(room).unwrap(), stay: StayDates::new(d(ci), d(co)).unwrap(), guests: rooms, rooms };
    let q = quote(&h, &request, t0().date_naive()).unwrap();
    Booking::hold(NewBooking {
        reference: BookingRef::from_entropy(n),
        guest: GuestId::new(guest).unwrap(),
        contact,
        quote: q,
        now: t0(),
        hold_minutes: 15,
    })
}

fn capacity(room: &str) -> u32 {
    hotel().room_type(&RoomTypeId::parse(room).unwrap()).unwrap().inventory
}

async fn taken(store: &StoreRef, room: &str, nights: &[&str]) -> Vec<u32> {
    let nights: Vec<NaiveDate> = nights.iter().map(|n| d(n)).collect();
    let counts = store.night_counts(&RoomTypeId::parse(room).unwrap(), &nights, capacity(room)).await.unwrap();
    counts.into_iter().map(|c| c.taken).collect()
}

async fn apply(store: &StoreRef, booking: &Booking, action: Action) -> Result<Booking, StoreError> {
    let (next, effect) = booking.apply(action, t0()).unwrap();
    let room = booking.quote().request.room_type.as_str().to_owned();
    store.transition(Transition { previous: booking, next: &next, effect, capacity: capacity(&room), event: None }).await?;
    Ok(next)
}

async fn hold_takes_every_night_or_none(store: StoreRef) {
    // deluxe-king has 6 rooms. Fill 2030-02-02 completely, then ask for 02-01..02-04.
    let blocker = held(1, "g1", "deluxe-king", "2030-02-02", "2030-02-03", 5);
    store.place_hold(&blocker, 6).await.unwrap();
    let one_more = held(2, "g1", "deluxe-king", "2030-02-02", "2030-02-03", 1);
    store.place_hold(&one_more, 6).await.unwrap();
    let wide = held(3, "g2", "deluxe-king", "2030-02-01", "2030-02-04", 1);
    assert_eq!(store.place_hold(&wide, 6).await, Err(StoreError::SoldOut { night: d("2030-02-02") }));
    assert_eq!(taken(&store, "deluxe-king", &["2030-02-01", "2030-02-02", "2030-02-03"]).await, [0, 6, 0]);
    assert_eq!(store.get_booking(wide.reference()).await.unwrap(), None, "a refused hold leaves no booking");
    let ok = held(4, "g2", "deluxe-king", "2030-02-03", "2030-02-05", 2);
    store.place_hold(&ok, 6).await.unwrap();
    assert_eq!(taken(&store, "deluxe-king", &["2030-02-02", "2030-02-03", "2030-02-04", "2030-02-05"]).await, [6, 2, 2, 0]);
    assert_eq!(store.get_booking(ok.reference()).await.unwrap().as_ref(), Some(&ok));
}

async fn more_rooms_than_capacity_are_refused_even_on_fresh_nights(store: StoreRef) {
    // Two rooms asked where the capacity is one, on nights nobody has booked: nothing may be written.
    let two = held(5, "g1", "classic-double", "2030-02-10", "2030-02-12", 2);
    assert_eq!(store.place_hold(&two, 1).await, Err(StoreError::SoldOut { night: d("2030-02-10") }));
    assert_eq!(taken(&store, "classic-double", &["2030-02-10", "2030-02-11"]).await, [0, 0]);
    assert_eq!(store.get_booking(two.reference()).await.unwrap(), None);
    // Capacity exactly met is fine.
    store.place_hold(&two, 2).await.unwrap();
    assert_eq!(taken(&store, "classic-double", &["2030-02-10", "2030-02-11"]).await, [2, 2]);
    // Reinstating more rooms than capacity is refused the same way.
    let expired = apply(&store, &two, Action::Expire).await.unwrap();
    let (back, effect) = expired.apply(Action::Reinstate, t0()).unwrap();
    let refused = store.transition(Transition { previous: &expired, next: &back, effect, capacity: 1, event: None }).await;
    assert_eq!(refused, Err(StoreError::SoldOut { night: d("2030-02-10") }));
    assert_eq!(taken(&store, "classic-double", &["2030-02-10", "2030-02-11"]).await, [0, 0]);
    assert_eq!(store.get_booking(two.reference()).await.unwrap().unwrap(), expired);
}

async fn hold_never_exceeds_capacity_for_multi_room(store: StoreRef) {
    let a = held(10, "g1", "family-suite", "2030-03-01", "2030-03-03", 2);
    store.place_hold(&a, 3).await.unwrap();
    let b = held(11, "g2", "family-suite", "2030-03-02", "2030-03-04", 2);
    assert_eq!(store.place_hold(&b, 3).await, Err(StoreError::SoldOut { night: d("2030-03-02") }));
    let c = held(12, "g2", "family-suite", "2030-03-02", "2030-03-04", 1);
    store.place_hold(&c, 3).await.unwrap();
    assert_eq!(taken(&store, "family-suite", &["2030-03-01", "2030-03-02", "2030-03-03"]).await, [2, 3, 1]);
}

async fn concurrent_holds_for_the_last_room_admit_exactly_one(store: StoreRef) {
    // garden-single: one room. 24 guests race for the same nights, all at once.
    let attempts: Vec<Booking> =
        (0..24).map(|i| held(100 + i, &format!("racer{i}"), "garden-single", "2030-04-10", "2030-04-12", 1)).collect();
    let mut tasks = Vec::new();
    for booking in attempts.clone() {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move { store.place_hold(&booking, 1).await }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::SoldOut { .. }) | Err(StoreError::Conflict) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one hold wins the last room");
    assert_eq!(taken(&store, "garden-single", &["2030-04-10", "2030-04-11"]).await, [1, 1]);
    let mut stored = 0;
    for b in &attempts {
        if store.get_booking(b.reference()).await.unwrap().is_some() {
            stored += 1;
        }
    }
    assert_eq!(stored, 1);
}

async fn duplicate_reference_is_a_conflict(store: StoreRef) {
    let a = held(20, "g1", "classic-double", "2030-05-01", "2030-05-02", 1);
    store.place_hold(&a, 10).await.unwrap();
    let again = held(20, "g2", "classic-double", "2030-05-03", "2030-05-04", 1);
    assert_eq!(store.place_hold(&again, 10).await, Err(StoreError::Conflict));
    assert_eq!(taken(&store, "classic-double", &["2030-05-01", "2030-05-03"]).await, [1, 0]);
    assert_eq!(store.get_booking(a.reference()).await.unwrap().unwrap().guest().as_str(), "g1");
}

async fn confirm_keeps_rooms_and_stale_writes_conflict(store: StoreRef) {
    let a = held(30, "g1", "classic-double", "2030-06-01", "2030-06-03", 2);
    store.place_hold(&a, 10).await.unwrap();
    let confirmed = apply(&store, &a, Action::Confirm).await.unwrap();
    assert_eq!(taken(&store, "classic-double", &["2030-06-01", "2030-06-02"]).await, [2, 2]);
    assert_eq!(store.get_booking(a.reference()).await.unwrap().unwrap().state(), confirmed.state());
    // A second writer still holding the old version loses, and changes nothing.
    assert_eq!(apply(&store, &a, Action::Release).await, Err(StoreError::Conflict));
    assert_eq!(taken(&store, "classic-double", &["2030-06-01", "2030-06-02"]).await, [2, 2]);
    assert_eq!(store.get_booking(a.reference()).await.unwrap().unwrap(), confirmed);
}

async fn release_and_expire_give_rooms_back(store: StoreRef) {
    let a = held(40, "g1", "deluxe-king", "2030-07-01", "2030-07-03", 2);
    let b = held(41, "g2", "deluxe-king", "2030-07-02", "2030-07-04", 3);
    store.place_hold(&a, 6).await.unwrap();
    store.place_hold(&b, 6).await.unwrap();
    assert_eq!(taken(&store, "deluxe-king", &["2030-07-01", "2030-07-02", "2030-07-03"]).await, [2, 5, 3]);
    apply(&store, &a, Action::Release).await.unwrap();
    apply(&store, &b, Action::Expire).await.unwrap();
    assert_eq!(taken(&store, "deluxe-king", &["2030-07-01", "2030-07-02", "2030-07-03"]).await, [0, 0, 0]);
}

async fn reinstate_takes_rooms_again_or_refuses_when_sold_out(store: StoreRef) {
    let late = held(50, "g1", "garden-single", "2030-08-01", "2030-08-02", 1);
    store.place_hold(&late, 1).await.unwrap();
    let expired = apply(&store, &late, Action::Expire).await.unwrap();
    assert_eq!(taken(&store, "garden-single", &["2030-08-01"]).await, [0]);
    let reinstated = apply(&store, &expired, Action::Reinstate).await.unwrap();
    assert_eq!(taken(&store, "garden-single", &["2030-08-01"]).await, [1]);
    assert_eq!(reinstated.state(), booking_domain::BookingState::Confirmed);

    let other = held(51, "g2", "garden-single", "2030-08-05", "2030-08-06", 1);
    store.place_hold(&other, 1).await.unwrap();
    let expired_other = apply(&store, &other, Action::Expire).await.unwrap();
    let thief = held(52, "g3", "garden-single", "2030-08-05", "2030-08-06", 1);
    store.place_hold(&thief, 1).await.unwrap();
    assert_eq!(apply(&store, &expired_other, Action::Reinstate).await, Err(StoreError::SoldOut { night: d("2030-08-05") }));
    assert_eq!(store.get_booking(other.reference()).await.unwrap().unwrap(), expired_other, "refused reinstate writes nothing");
    assert_eq!(taken(&store, "garden-single", &["2030-08-05"]).await, [1]);
}

async fn a_replayed_transition_is_refused(store: StoreRef) {
    let a = held(60, "g1", "classic-double", "2030-09-01", "2030-09-02", 1);
    store.place_hold(&a, 10).await.unwrap();
    let (next, effect) = a.apply(Action::Confirm, t0()).unwrap();
    let event = BookingEvent::new(a.reference(), next.version(), EventKind::BookingConfirmed { charged: a.quote().total }, t0());
    store.transition(Transition { previous: &a, next: &next, effect, capacity: 10, event: Some(&event) }).await.unwrap();
    // Replaying the same transition (a retried webhook) is refused and the booking stays as the first write left
    // it (that its event is not written twice is `a_refused_change_writes_no_event`, which reads the outbox).
    let replay = store.transition(Transition { previous: &a, next: &next, effect, capacity: 10, event: Some(&event) }).await;
    assert_eq!(replay, Err(StoreError::Conflict));
    assert_eq!(store.get_booking(a.reference()).await.unwrap().unwrap(), next);
}

fn confirmed_event(booking: &Booking, next: &Booking) -> BookingEvent {
    BookingEvent::new(booking.reference(), next.version(), EventKind::BookingConfirmed { charged: booking.quote().total }, t0())
}

async fn pending_ids(outbox: &Arc<dyn OutboxFeed>) -> Vec<String> {
    outbox.pending_events(100).await.unwrap().into_iter().map(|e| e.id).collect()
}

async fn a_change_writes_its_event_with_it(store: StoreRef, outbox: Arc<dyn OutboxFeed>) {
    let a = held(61, "g1", "classic-double", "2030-09-03", "2030-09-04", 1);
    store.place_hold(&a, 10).await.unwrap();
    assert_eq!(pending_ids(&outbox).await, Vec::<String>::new(), "a hold tells nobody");
    let (next, effect) = a.apply(Action::Confirm, t0()).unwrap();
    let event = confirmed_event(&a, &next);
    store.transition(Transition { previous: &a, next: &next, effect, capacity: 10, event: Some(&event) }).await.unwrap();
    let pending = outbox.pending_events(100).await.unwrap();
    assert_eq!(pending, vec![event]);
}

async fn a_refused_change_writes_no_event(store: StoreRef, outbox: Arc<dyn OutboxFeed>) {
    let a = held(62, "g1", "classic-double", "2030-09-05", "2030-09-06", 1);
    store.place_hold(&a, 10).await.unwrap();
    let (next, effect) = a.apply(Action::Confirm, t0()).unwrap();
    let event = confirmed_event(&a, &next);
    store.transition(Transition { previous: &a, next: &next, effect, capacity: 10, event: Some(&event) }).await.unwrap();
    // The same change again (a retried webhook): refused, and still one event.
    let replay = store.transition(Transition { previous: &a, next: &next, effect, capacity: 10, event: Some(&event) }).await;
    assert_eq!(replay, Err(StoreError::Conflict));
    // A different change from the stale version, with its own event: refused, and its event not written.
    let (released, release_effect) = a.apply(Action::Release, t0()).unwrap();
    let stale_event = BookingEvent::new(a.reference(), released.version(), EventKind::BookingConfirmed { charged: a.quote().total }, t0());
    let stale = BookingEvent { id: format!("{}#stale", a.reference()), ..stale_event };
    let refused =
        store.transition(Transition { previous: &a, next: &released, effect: release_effect, capacity: 10, event: Some(&stale) }).await;
    assert_eq!(refused, Err(StoreError::Conflict));
    // A reinstate that finds its night sold out: refused, no event.
    let b = held(63, "g2", "garden-single", "2030-09-07", "2030-09-08", 1);
    store.place_hold(&b, 1).await.unwrap();
    let (expired, expire_effect) = b.apply(Action::Expire, t0()).unwrap();
    store.transition(Transition { previous: &b, next: &expired, effect: expire_effect, capacity: 1, event: None }).await.unwrap();
    let thief = held(64, "g3", "garden-single", "2030-09-07", "2030-09-08", 1);
    store.place_hold(&thief, 1).await.unwrap();
    let (back, back_effect) = expired.apply(Action::Reinstate, t0()).unwrap();
    let back_event = confirmed_event(&expired, &back);
    let sold_out =
        store.transition(Transition { previous: &expired, next: &back, effect: back_effect, capacity: 1, event: Some(&back_event) }).await;
    assert_eq!(sold_out, Err(StoreError::SoldOut { night: d("2030-09-07") }));
    assert_eq!(pending_ids(&outbox).await, vec![event.id]);
}

async fn a_dispatched_event_is_not_offered_again(store: StoreRef, outbox: Arc<dyn OutboxFeed>) {
    let a = held(65, "g1", "classic-double", "2030-09-09", "2030-09-10", 1);
    store.place_hold(&a, 10).await.unwrap();
    let (next, effect) = a.apply(Action::Confirm, t0()).unwrap();
    let event = confirmed_event(&a, &next);
    store.transition(Transition { previous: &a, next: &next, effect, capacity: 10, event: Some(&event) }).await.unwrap();
    outbox.mark_dispatched(&event.id).await.unwrap();
    assert_eq!(pending_ids(&outbox).await, Vec::<String>::new());
    // Marking twice (a redelivered stream record) is harmless.
    outbox.mark_dispatched(&event.id).await.unwrap();
}

async fn a_resend_is_queued_once_per_hour_and_within_the_daily_limit(store: StoreRef, outbox: Arc<dyn OutboxFeed>) {
    let a = held(66, "g1", "classic-double", "2030-09-11", "2030-09-12", 1);
    let b = held(67, "g1", "classic-double", "2030-09-11", "2030-09-12", 1);
    let charged = a.quote().total;
    let at = |hour: u32| t0().date_naive().and_hms_opt(hour, 0, 0).unwrap().and_utc();
    let queue = |booking: &Booking, at: DateTime<Utc>, limit: u32| {
        let event = BookingEvent::resend(booking.reference(), charged, at);
        let store = store.clone();
        async move { store.queue_resend(Resend { event: &event, day: at.date_naive(), daily_limit: limit }).await.unwrap() }
    };
    assert_eq!(queue(&a, at(9), 2).await, ResendQueued::Queued);
    let first = BookingEvent::resend(a.reference(), charged, at(9));
    assert_eq!(outbox.pending_events(100).await.unwrap(), vec![first.clone()], "the event, as written");
    // The same hour again, before and after the event went out: nothing new, nothing counted.
    assert_eq!(queue(&a, at(9), 2).await, ResendQueued::AlreadyQueued);
    outbox.mark_dispatched(&first.id).await.unwrap();
    assert_eq!(queue(&a, at(9), 2).await, ResendQueued::AlreadyQueued);
    assert_eq!(queue(&a, at(10), 2).await, ResendQueued::Queued);
    // The day's limit: refused, written nowhere; an hour already queued still answers as before.
    assert_eq!(queue(&a, at(11), 2).await, ResendQueued::LimitReached);
    assert_eq!(queue(&a, at(10), 2).await, ResendQueued::AlreadyQueued);
    // Per booking and per day.
    assert_eq!(queue(&b, at(11), 2).await, ResendQueued::Queued);
    assert_eq!(queue(&a, at(9) + Duration::days(1), 2).await, ResendQueued::Queued);
    let ids = pending_ids(&outbox).await;
    let expected: Vec<String> = [(&a, at(10)), (&b, at(11)), (&a, at(9) + Duration::days(1))]
        .into_iter()
        .map(|(booking, at)| BookingEvent::resend(booking.reference(), charged, at).id)
        .collect();
    assert_eq!(ids, expected);
}

async fn guest_index_lists_only_own_bookings_by_check_in(store: StoreRef) {
    let later = held(70, "alice", "classic-double", "2030-10-20", "2030-10-21", 1);
    let sooner = held(71, "alice", "deluxe-king", "2030-10-05", "2030-10-07", 1);
    let bobs = held(72, "bob", "classic-double", "2030-10-10", "2030-10-11", 1);
    let prefix_trap = held(73, "alice2", "classic-double", "2030-10-01", "2030-10-02", 1);
    for b in [&later, &sooner, &bobs, &prefix_trap] {
        store.place_hold(b, capacity(b.quote().request.room_type.as_str())).await.unwrap();
    }
    let confirmed = apply(&store, &sooner, Action::Confirm).await.unwrap();
    let alice: Vec<_> = store.bookings_for_guest(&GuestId::new("alice").unwrap()).await.unwrap();
    assert_eq!(alice, vec![confirmed, later]);
    assert!(store.bookings_for_guest(&GuestId::new("carol").unwrap()).await.unwrap().is_empty());
}

async fn due_bookings_are_holds_that_ran_out_and_money_still_to_move(store: StoreRef) {
    let a = held(80, "g1", "classic-double", "2030-11-01", "2030-11-02", 1);
    store.place_hold(&a, 10).await.unwrap();
    let b = held(81, "g1", "classic-double", "2030-11-03", "2030-11-04", 1);
    store.place_hold(&b, 10).await.unwrap();
    // b gets a payment and is confirmed: its capture is due after the grace period, not at hold expiry.
    let with_payment = b.with_payment(PaymentRef { intent_id: "pi_b".into() }, t0());
    store
        .transition(Transition { previous: &b, next: &with_payment, effect: InventoryEffect::None, capacity: 10, event: None })
        .await
        .unwrap();
    let confirmed = apply(&store, &with_payment, Action::Confirm).await.unwrap();
    assert!(store.due_bookings(t0() + Duration::seconds(59), 10).await.unwrap().is_empty());
    assert_eq!(store.due_bookings(t0() + SETTLEMENT_GRACE, 10).await.unwrap(), vec![confirmed.clone()]);
    let due = store.due_bookings(t0() + Duration::minutes(15), 10).await.unwrap();
    assert_eq!(due, vec![confirmed.clone(), a.clone()], "earliest first");
    // A retry later moves it in the index; settling takes it out.
    let later = confirmed.retry_later(t0(), Duration::minutes(30));
    store
        .transition(Transition { previous: &confirmed, next: &later, effect: InventoryEffect::None, capacity: 10, event: None })
        .await
        .unwrap();
    assert_eq!(store.due_bookings(t0() + Duration::minutes(15), 10).await.unwrap(), vec![a.clone()]);
    let settled = later.settled(later.quote().total, booking_domain::Money::zero(later.quote().total.currency()), t0());
    store
        .transition(Transition { previous: &later, next: &settled, effect: InventoryEffect::None, capacity: 10, event: None })
        .await
        .unwrap();
    assert_eq!(store.due_bookings(t0() + Duration::hours(2), 10).await.unwrap(), vec![a.clone()]);
    // An expired hold without a payment has nothing left to settle.
    apply(&store, &a, Action::Expire).await.unwrap();
    assert!(store.due_bookings(t0() + Duration::hours(2), 10).await.unwrap().is_empty());
    assert_eq!(store.due_bookings(t0() + Duration::hours(2), 1).await.unwrap().len(), 0);
}

async fn idempotency_records_follow_their_lifecycle(store: StoreRef) {
    let lease = Duration::seconds(30);
    let ttl = Duration::hours(24);
    let now = t0();
    assert_eq!(store.begin_idempotent("k1", "h1", "o1", now, lease).await.unwrap(), IdempotencyBegin::Started);
    assert_eq!(store.begin_idempotent("k1", "h1", "o2", now, lease).await.unwrap(), IdempotencyBegin::InProgress);
    assert_eq!(store.begin_idempotent("k1", "other", "o2", now, lease).await.unwrap(), IdempotencyBegin::PayloadMismatch);
    let result = serde_json::json!({"reference": "HB-0000-0001"});
    store.complete_idempotent("k1", "o1", &result, now, ttl).await.unwrap();
    assert_eq!(store.begin_idempotent("k1", "h1", "o2", now, lease).await.unwrap(), IdempotencyBegin::Completed(result.clone()));
    assert_eq!(store.begin_idempotent("k1", "h2", "o2", now, lease).await.unwrap(), IdempotencyBegin::PayloadMismatch);
    // After the TTL the key is free again.
    assert_eq!(store.begin_idempotent("k1", "h2", "o3", now + ttl + Duration::seconds(1), lease).await.unwrap(), IdempotencyBegin::Started);
    // A crashed claimant's lease runs out and the key can be taken over; an abandoned key is free at once.
    assert_eq!(store.begin_idempotent("k2", "h", "o1", now, lease).await.unwrap(), IdempotencyBegin::Started);
    let later = now + lease + Duration::seconds(1);
    assert_eq!(store.begin_idempotent("k2", "h", "o2", later, lease).await.unwrap(), IdempotencyBegin::Started);
    store.abandon_idempotent("k2", "o2").await.unwrap();
    assert_eq!(store.begin_idempotent("k2", "h", "o3", later, lease).await.unwrap(), IdempotencyBegin::Started);
    // Concurrent claims: exactly one caller owns the key.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move { store.begin_idempotent("k3", "h", &format!("racer-{i}"), now, lease).await.unwrap() }));
    }
    let mut started = 0;
    for t in tasks {
        if t.await.unwrap() == IdempotencyBegin::Started {
            started += 1;
        }
    }
    assert_eq!(started, 1);
}

async fn only_the_owner_completes_or_releases_a_claim(store: StoreRef) {
    let lease = Duration::seconds(30);
    let now = t0();
    // Worker A claims, stalls past its lease; worker B takes the key over.
    assert_eq!(store.begin_idempotent("n1", "h", "worker-a", now, lease).await.unwrap(), IdempotencyBegin::Started);
    let later = now + lease + Duration::seconds(1);
    assert_eq!(store.begin_idempotent("n1", "h", "worker-b", later, lease).await.unwrap(), IdempotencyBegin::Started);
    // A wakes up and fails: releasing must not delete B's claim, or a third worker would repeat the work.
    store.abandon_idempotent("n1", "worker-a").await.unwrap();
    assert_eq!(store.begin_idempotent("n1", "h", "worker-c", later, lease).await.unwrap(), IdempotencyBegin::InProgress);
    // Nor may A record a result over B's claim.
    let result = serde_json::json!({"sent": true});
    assert_eq!(store.complete_idempotent("n1", "worker-a", &result, later, Duration::hours(1)).await, Err(StoreError::Conflict));
    store.complete_idempotent("n1", "worker-b", &result, later, Duration::hours(1)).await.unwrap();
    // A completed record is not released by anyone.
    store.abandon_idempotent("n1", "worker-b").await.unwrap();
    assert_eq!(store.begin_idempotent("n1", "h", "worker-c", later, lease).await.unwrap(), IdempotencyBegin::Completed(result));
}

fn claim<'a>(key: &'a str, payload_hash: &'a str, owner: &'a str, now: DateTime<Utc>) -> IdempotencyClaim<'a> {
    IdempotencyClaim { key, payload_hash, owner, now, lease: Duration::seconds(30) }
}

async fn a_hold_carries_its_claim_or_nothing(store: StoreRef) {
    let now = t0();
    let room = "deluxe-king";
    let cap = capacity(room);
    let nights = ["2030-06-01", "2030-06-02"];
    // A free key: the rooms, the booking and the claim, together.
    let first = held(120, "g1", room, "2030-06-01", "2030-06-03", 1);
    assert_eq!(store.place_hold_claiming(&first, cap, claim("h1", "p", "a", now)).await.unwrap(), HoldClaimed::Placed);
    assert_eq!(taken(&store, room, &nights).await, vec![1, 1]);
    assert_eq!(store.get_booking(first.reference()).await.unwrap(), Some(first.clone()));
    assert_eq!(store.begin_idempotent("h1", "p", "x", now, Duration::seconds(30)).await.unwrap(), IdempotencyBegin::InProgress);
    // A key that is not free wins over everything, and nothing is written: in progress, or another body.
    let second = held(121, "g1", room, "2030-06-01", "2030-06-03", 1);
    assert_eq!(
        store.place_hold_claiming(&second, cap, claim("h1", "p", "b", now)).await.unwrap(),
        HoldClaimed::KeyTaken(IdempotencyBegin::InProgress)
    );
    assert_eq!(
        store.place_hold_claiming(&second, cap, claim("h1", "other", "b", now)).await.unwrap(),
        HoldClaimed::KeyTaken(IdempotencyBegin::PayloadMismatch)
    );
    assert_eq!(store.get_booking(second.reference()).await.unwrap(), None);
    assert_eq!(taken(&store, room, &nights).await, vec![1, 1]);
    // Completed: the result comes back, still nothing written.
    let result = serde_json::json!({"reference": first.reference().as_str()});
    store.complete_idempotent("h1", "a", &result, now, Duration::hours(24)).await.unwrap();
    assert_eq!(
        store.place_hold_claiming(&second, cap, claim("h1", "p", "b", now)).await.unwrap(),
        HoldClaimed::KeyTaken(IdempotencyBegin::Completed(result))
    );
    assert_eq!(store.get_booking(second.reference()).await.unwrap(), None);
    // A free key and an existing reference: Conflict, and the key stays free.
    assert_eq!(store.place_hold_claiming(&first, cap, claim("h2", "p", "a", now)).await, Err(StoreError::Conflict));
    assert_eq!(store.begin_idempotent("h2", "p", "x", now, Duration::seconds(30)).await.unwrap(), IdempotencyBegin::Started);
    // Sold out with a free key: no rooms, no booking, no claim.
    let rest = u8::try_from(cap - 1).unwrap();
    store.place_hold(&held(122, "g2", room, "2030-06-02", "2030-06-03", rest), cap).await.unwrap();
    let late = held(123, "g3", room, "2030-06-01", "2030-06-03", 1);
    assert_eq!(
        store.place_hold_claiming(&late, cap, claim("h3", "p", "c", now)).await,
        Err(StoreError::SoldOut { night: d("2030-06-02") })
    );
    assert_eq!(store.get_booking(late.reference()).await.unwrap(), None);
    assert_eq!(taken(&store, room, &nights).await, vec![1, cap]);
    assert_eq!(store.begin_idempotent("h3", "p", "x", now, Duration::seconds(30)).await.unwrap(), IdempotencyBegin::Started);
    // A claim whose lease ran out is taken over by the hold.
    let over = now + Duration::seconds(31);
    let taken_over = held(124, "g4", room, "2030-06-10", "2030-06-11", 1);
    assert_eq!(store.place_hold_claiming(&taken_over, cap, claim("h3", "p", "d", over)).await.unwrap(), HoldClaimed::Placed);
    assert_eq!(store.begin_idempotent("h3", "p", "x", over, Duration::seconds(30)).await.unwrap(), IdempotencyBegin::InProgress);
}

async fn a_completion_rides_with_its_transition_unless_the_claim_was_taken_over(store: StoreRef) {
    let now = t0();
    let lease = Duration::seconds(30);
    let later = now + lease + Duration::seconds(1);
    let booking = held(130, "g1", "classic-double", "2030-07-01", "2030-07-02", 1);
    store.place_hold(&booking, 10).await.unwrap();
    // Worker A claims and stalls past its lease; worker B takes the key over.
    assert_eq!(store.begin_idempotent("c1", "h", "worker-a", now, lease).await.unwrap(), IdempotencyBegin::Started);
    assert_eq!(store.begin_idempotent("c1", "h", "worker-b", later, lease).await.unwrap(), IdempotencyBegin::Started);
    // A's change stands without its completion: B's claim is untouched.
    let paid = booking.with_payment(PaymentRef { intent_id: "pi_c1".into() }, now);
    let a_result = serde_json::json!({"by": "a"});
    let a_done = IdempotencyCompletion { key: "c1", owner: "worker-a", result: &a_result, now: later, ttl: Duration::hours(1) };
    let change = Transition { previous: &booking, next: &paid, effect: InventoryEffect::None, capacity: 10, event: None };
    store.transition_completing(change, a_done).await.unwrap();
    assert_eq!(store.get_booking(booking.reference()).await.unwrap(), Some(paid.clone()));
    assert_eq!(store.begin_idempotent("c1", "h", "worker-c", later, lease).await.unwrap(), IdempotencyBegin::InProgress);
    // A stale change is refused whole: no completion either.
    let b_result = serde_json::json!({"by": "b"});
    let b_done = IdempotencyCompletion { key: "c1", owner: "worker-b", result: &b_result, now: later, ttl: Duration::hours(1) };
    assert_eq!(store.transition_completing(change, b_done).await, Err(StoreError::Conflict));
    assert_eq!(store.begin_idempotent("c1", "h", "worker-c", later, lease).await.unwrap(), IdempotencyBegin::InProgress);
    // The owner's change and completion go together.
    let (confirmed, effect) = paid.apply(Action::Confirm, later).unwrap();
    let change = Transition { previous: &paid, next: &confirmed, effect, capacity: 10, event: None };
    store.transition_completing(change, b_done).await.unwrap();
    assert_eq!(store.get_booking(booking.reference()).await.unwrap(), Some(confirmed));
    assert_eq!(store.begin_idempotent("c1", "h", "worker-c", later, lease).await.unwrap(), IdempotencyBegin::Completed(b_result));
}

async fn counters_match_bookings_after_a_sequence(store: StoreRef) {
    let nights = ["2030-12-01", "2030-12-02", "2030-12-03"];
    let mut live = Vec::new();
    for i in 0..8u64 {
        let ci = if i % 2 == 0 { "2030-12-01" } else { "2030-12-02" };
        let b = held(200 + i, "g", "classic-double", ci, "2030-12-04", 1 + (i % 3) as u8);
        if store.place_hold(&b, 10).await.is_ok() {
            live.push(b);
        }
    }
    let mut finals = Vec::new();
    for (i, b) in live.into_iter().enumerate() {
        let next = match i % 4 {
            0 => apply(&store, &b, Action::Confirm).await.unwrap(),
            1 => apply(&store, &b, Action::Release).await.unwrap(),
            2 => {
                let c = apply(&store, &b, Action::Confirm).await.unwrap();
                apply(&store, &c, Action::Refund).await.unwrap()
            }
            _ => b,
        };
        finals.push(next);
    }
    let expected: Vec<u32> = nights
        .iter()
        .map(|n| {
            finals
                .iter()
                .filter(|b| b.state().occupies_rooms() && b.quote().request.stay.each_night().any(|x| x == d(n)))
                .map(|b| u32::from(b.rooms()))
                .sum()
        })
        .collect();
    assert_eq!(taken(&store, "classic-double", &nights).await, expected);
    assert!(expected.iter().all(|t| *t <= 10));
}

fn delivery(channel: GuestChannel, event_id: &str, state: DeliveryState, minute: i64) -> ChannelDelivery {
    ChannelDelivery { channel, event_id: event_id.to_owned(), state, at: t0() + Duration::minutes(minute) }
}

async fn a_booking_reads_back_with_its_own_deliveries_in_one_call(store: StoreRef) {
    use DeliveryUpdate::Message;
    use GuestChannel::{Email, Sms};
    let booking = held(140, "g1", "classic-double", "2030-08-01", "2030-08-03", 1);
    let neighbour = held(141, "g2", "classic-double", "2030-08-01", "2030-08-03", 1);
    assert_eq!(store.booking_with_deliveries(booking.reference()).await.unwrap(), None, "no booking yet");
    store.place_hold(&booking, 10).await.unwrap();
    store.place_hold(&neighbour, 10).await.unwrap();
    assert_eq!(store.booking_with_deliveries(booking.reference()).await.unwrap(), Some((booking.clone(), vec![])));
    // Recorded SMS first: the answer still lists email before SMS, as `deliveries` does.
    let event = format!("{}#v2", booking.reference());
    let sms = delivery(Sms, &event, DeliveryState::Sent, 1);
    store.record_delivery(booking.reference(), &sms, Message).await.unwrap();
    let email = delivery(Email, &event, DeliveryState::Sent, 2);
    store.record_delivery(booking.reference(), &email, Message).await.unwrap();
    let other = delivery(Email, &format!("{}#v2", neighbour.reference()), DeliveryState::Sent, 3);
    store.record_delivery(neighbour.reference(), &other, Message).await.unwrap();
    // A re-send counted on the booking is not a delivery.
    let resend = BookingEvent::resend(booking.reference(), booking.quote().total, t0());
    store.queue_resend(Resend { event: &resend, day: d("2030-01-01"), daily_limit: 3 }).await.unwrap();
    let (read, deliveries) = store.booking_with_deliveries(booking.reference()).await.unwrap().unwrap();
    assert_eq!(read, booking);
    assert_eq!(deliveries, vec![email, sms]);
    assert_eq!(deliveries, store.deliveries(booking.reference()).await.unwrap(), "the same as the two calls it replaces");
    assert_eq!(store.booking_with_deliveries(neighbour.reference()).await.unwrap(), Some((neighbour, vec![other])));
}

async fn a_channel_shows_its_latest_message_and_reports_on_it(store: StoreRef) {
    use DeliveryUpdate::{Message, Report};
    use GuestChannel::{Email, Sms};
    let reference = BookingRef::from_entropy(70);
    let other = BookingRef::from_entropy(71);
    let v2 = format!("{reference}#v2");
    let v4 = format!("{reference}#v4");
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![], "nothing sent yet");
    // A report about a message nobody recorded creates nothing.
    store.record_delivery(&reference, &delivery(Email, &v2, DeliveryState::Delivered, 1), Report).await.unwrap();
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![]);

    let sent = delivery(Email, &v2, DeliveryState::Sent, 1);
    store.record_delivery(&reference, &sent, Message).await.unwrap();
    let sms = delivery(Sms, &v2, DeliveryState::Sent, 1);
    store.record_delivery(&reference, &sms, Message).await.unwrap();
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![sent.clone(), sms.clone()], "email before SMS");
    assert_eq!(store.deliveries(&other).await.unwrap(), vec![], "another booking's channels are its own");

    let bounced = delivery(Email, &v2, DeliveryState::Failed(FailureReason::Bounced), 2);
    store.record_delivery(&reference, &bounced, Report).await.unwrap();
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![bounced.clone(), sms.clone()], "a report on the message applies");
    // The same message recorded again (a replayed delivery) does not undo the bounce.
    store.record_delivery(&reference, &delivery(Email, &v2, DeliveryState::Sent, 3), Message).await.unwrap();
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![bounced.clone(), sms.clone()], "a replay keeps the reported state");

    // A newer message (the cancellation) takes the channel; a late report on the older one leaves it alone.
    let cancelled = delivery(Email, &v4, DeliveryState::Sent, 4);
    store.record_delivery(&reference, &cancelled, Message).await.unwrap();
    store.record_delivery(&reference, &delivery(Email, &v2, DeliveryState::Delivered, 5), Report).await.unwrap();
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![cancelled.clone(), sms], "a late report on an older message");
}

async fn undeliverable_addresses_are_remembered_case_insensitively(store: StoreRef) {
    assert!(!store.is_undeliverable("ada@example.com").await.unwrap());
    store.mark_undeliverable(" Ada@Example.com", t0()).await.unwrap();
    store.mark_undeliverable("ada@example.com", t0() + Duration::minutes(1)).await.unwrap();
    assert!(store.is_undeliverable("ada@example.com").await.unwrap());
    assert!(store.is_undeliverable("ADA@EXAMPLE.COM").await.unwrap());
    assert!(!store.is_undeliverable("grace@example.com").await.unwrap());
}
