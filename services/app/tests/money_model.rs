//! The use cases as a state machine under faults: random interleavings of bookings (and their retries), card
//! payments that succeed or are declined, webhooks delivered late, twice, out of order or never, the scheduled
//! reconciliation, guest cancellations, the clock moving, and faults injected at every port (store and payment
//! provider outages and lost replies, notification failures). The payment provider is the local Stripe server,
//! so its state machine is Stripe's.
//!
//! After every step: no money kept without a booking that keeps it; never more captured than the total, never
//! more refunded than owed; every cancellation's penalty is the policy's at the time of the cancel; rooms taken
//! per night equal live holds plus confirmed bookings and never exceed inventory. After faults stop and retries
//! drain: every booking is settled and the provider holds exactly what it keeps, every confirmed booking is paid,
//! and every message promised went out (exactly once where no fault touched its delivery).
//!
//! `MONEY_MODEL_CASES` raises the number of sequences.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use booking_app::*;
use booking_domain::{Booking, BookingState, CancellationReason, ContactPreference, DEMO_CATALOG_JSON, GuestId, Hotel, Settlement};
use booking_embedded::EmbeddedStore;
use booking_ports::*;
use booking_test_support::{Fault, FaultyNotifier, FaultyStore, ManualClock, StripeOp, TestStripe};
use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const CARDS: [&str; 3] = ["4242424242424242", "4000000000000002", "4000000000009995"];
const ROOMS: [&str; 4] = ["classic-double", "deluxe-king", "family-suite", "garden-single"];
const GUESTS: u8 = 4;

#[derive(Debug, Clone)]
enum Act {
    /// `key` repeats, so some bookings are retries of earlier ones.
    Book {
        guest: u8,
        key: u8,
        room: usize,
        start: u64,
        nights: u64,
        rooms: u8,
    },
    Pay {
        pick: usize,
        card: usize,
    },
    Deliver {
        pick: usize,
        duplicate: bool,
    },
    Drop {
        pick: usize,
    },
    Sweep,
    Cancel {
        pick: usize,
    },
    /// The guest cancels while a webhook (or the schedule) reconciles the same booking: two workers at once.
    Race {
        pick: usize,
    },
    Advance {
        minutes: i64,
    },
    Notify,
    StoreFault {
        fault: Fault,
        calls: usize,
    },
    StripeFault {
        op: StripeOp,
        fault: Fault,
    },
    NotifyFault {
        fault: Fault,
    },
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![Just(Fault::Outage), Just(Fault::LostReply)]
}

fn act() -> impl Strategy<Value = Act> {
    let op = proptest::sample::select(vec![StripeOp::Create, StripeOp::Retrieve, StripeOp::Capture, StripeOp::Cancel, StripeOp::Refund]);
    prop_oneof![
        4 => (0..GUESTS, 0u8..6, 0usize..4, 1u64..6, 1u64..4, 1u8..3)
            .prop_map(|(guest, key, room, start, nights, rooms)| Act::Book { guest, key, room, start, nights, rooms }),
        4 => (any::<usize>(), prop_oneof![4 => Just(0usize), 1 => Just(1usize), 1 => Just(2usize)]).prop_map(|(pick, card)| Act::Pay { pick, card }),
        4 => (any::<usize>(), prop::bool::weighted(0.2)).prop_map(|(pick, duplicate)| Act::Deliver { pick, duplicate }),
        1 => any::<usize>().prop_map(|pick| Act::Drop { pick }),
        2 => Just(Act::Sweep),
        2 => any::<usize>().prop_map(|pick| Act::Cancel { pick }),
        1 => any::<usize>().prop_map(|pick| Act::Race { pick }),
        2 => prop_oneof![(1i64..20), (20i64..240), (240i64..3000)].prop_map(|minutes| Act::Advance { minutes }),
        1 => Just(Act::Notify),
        1 => (fault(), 1usize..4).prop_map(|(fault, calls)| Act::StoreFault { fault, calls }),
        1 => (op, fault()).prop_map(|(op, fault)| Act::StripeFault { op, fault }),
        1 => fault().prop_map(|fault| Act::NotifyFault { fault }),
    ]
}

struct World {
    money: MoneyPorts,
    notify: NotifyPorts,
    stripe: TestStripe,
    store: Arc<EmbeddedStore>,
    faulty: FaultyStore,
    clock: Arc<ManualClock>,
    sent: Arc<FaultyNotifier>,
    hotel: Hotel,
    /// What the guests' browsers know: reference → (intent id, client secret).
    payments: BTreeMap<String, (String, String)>,
    /// Webhooks Stripe has sent and not (successfully) delivered yet.
    webhooks: Vec<PaymentEvent>,
    /// Events whose delivery met a fault (a duplicate message is then allowed: at-least-once).
    faulty_events: HashSet<String>,
    /// Bookings whose guest's card was authorised before their hold ran out.
    paid_in_time: HashSet<String>,
    /// Bookings their guest asked to cancel or release.
    cancelled_by_guest: HashSet<String>,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new("2030-01-01T09:00:00Z".parse().unwrap()));
        let store = Arc::new(EmbeddedStore::open(&dir.path().join("store.redb")).unwrap());
        let faulty = FaultyStore::new(store.clone());
        let stripe = TestStripe::start(clock.clone()).await;
        let sent = Arc::new(FaultyNotifier::default());
        let hotel = Hotel::from_json(DEMO_CATALOG_JSON).unwrap();
        let shared = Arc::new(hotel.clone());
        let faulty_store = Arc::new(faulty.clone());
        let settle = SettlePorts {
            hotel: shared.clone(),
            bookings: faulty_store.clone(),
            changes: faulty_store.clone(),
            payments: stripe.gateway(),
            clock: clock.clone(),
        };
        let money = MoneyPorts { settle, idempotency: faulty_store.clone() };
        let notify = NotifyPorts {
            hotel: shared,
            bookings: faulty_store.clone(),
            idempotency: faulty_store.clone(),
            notifier: sent.clone(),
            deliveries: faulty_store,
            clock: clock.clone(),
        };
        World {
            money,
            notify,
            stripe,
            store,
            faulty,
            clock,
            sent,
            hotel,
            payments: BTreeMap::new(),
            webhooks: Vec::new(),
            faulty_events: HashSet::new(),
            paid_in_time: HashSet::new(),
            cancelled_by_guest: HashSet::new(),
            _dir: dir,
        }
    }

    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        booking_ports::Clock::now(self.clock.as_ref())
    }

    fn collect_webhooks(&mut self) {
        self.webhooks.extend(self.stripe.webhooks());
    }

    async fn all_bookings(&self) -> Vec<Booking> {
        let mut all = Vec::new();
        for g in 0..GUESTS {
            all.extend(self.store.bookings_for_guest(&guest(g)).await.unwrap());
        }
        all
    }

    async fn step(&mut self, act: &Act) {
        match act {
            Act::Book { guest: g, key, room, start, nights, rooms } => {
                let ci = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap() + Duration::days(*start as i64);
                let request = BookingRequest {
                    room_type: ROOMS[*room].into(),
                    check_in: ci,
                    check_out: ci + Duration::days(*nights as i64),
                    guests: *rooms,
                    rooms: *rooms,
                    guest: GuestDetails {
                        name: "Model Guest".into(),
                        email: "model@example.com".into(),
                        phone: Some("+14155550100".into()),
                        notify_by: ContactPreference::Both,
                    },
                };
                if let Ok(created) = place_booking(&self.money, &guest(*g), &format!("key-{g}-{key}-model"), request).await {
                    self.payments.insert(created.booking.reference, (created.payment.intent_id, created.payment.client_secret));
                }
            }
            Act::Pay { pick, card } => {
                if let Some((reference, (intent, secret))) = nth(&self.payments, *pick) {
                    let (reference, intent, secret) = (reference.clone(), intent.clone(), secret.clone());
                    let status = self.stripe.pay(&intent, &secret, CARDS[*card]).await;
                    let stored = self.store.get_booking(&booking_domain::BookingRef::parse(&reference).unwrap()).await.unwrap();
                    let in_time = stored.is_some_and(|b| b.state() == BookingState::Held && self.clock_now() < b.hold_expires_at());
                    if status == 200 && in_time {
                        self.paid_in_time.insert(reference);
                    }
                }
            }
            Act::Deliver { pick, duplicate } => {
                if self.webhooks.is_empty() {
                    return;
                }
                let i = pick % self.webhooks.len();
                let event = self.webhooks[i].clone();
                // A failed delivery stays queued: Stripe retries it.
                if record_payment_event(&self.money, event).await.is_ok() && !duplicate {
                    self.webhooks.remove(i);
                }
            }
            Act::Drop { pick } => {
                if !self.webhooks.is_empty() {
                    let i = pick % self.webhooks.len();
                    self.webhooks.remove(i);
                }
            }
            Act::Sweep => {
                let _ = reconcile_due(&self.money.settle, 100).await;
            }
            Act::Cancel { pick } => {
                let Some((reference, _)) = nth(&self.payments, *pick) else { return };
                self.cancelled_by_guest.insert(reference.clone());
                let reference = booking_domain::BookingRef::parse(reference).unwrap();
                for g in 0..GUESTS {
                    let _ = cancel_booking(&self.money.settle, &guest(g), &reference).await;
                }
            }
            Act::Race { pick } => {
                let Some((reference, _)) = nth(&self.payments, *pick) else { return };
                self.cancelled_by_guest.insert(reference.clone());
                let reference = booking_domain::BookingRef::parse(reference).unwrap();
                let owner = self.store.get_booking(&reference).await.unwrap().map(|b| b.guest().clone());
                let Some(owner) = owner else { return };
                let _ = tokio::join!(
                    cancel_booking(&self.money.settle, &owner, &reference),
                    reconcile(&self.money.settle, &reference, booking_domain::Trigger::Routine)
                );
            }
            Act::Advance { minutes } => self.clock.advance(Duration::minutes(*minutes)),
            Act::Notify => self.notify_once().await,
            Act::StoreFault { fault, calls } => self.faulty.plan.then(std::iter::repeat_n(Some(*fault), *calls)),
            Act::StripeFault { op, fault } => self.stripe.fail_next(*op, *fault),
            Act::NotifyFault { fault } => self.sent.plan.then([Some(*fault)]),
        }
        self.collect_webhooks();
    }

    /// Hands every outbox event to the notify use case once, as the stream would.
    async fn notify_once(&mut self) {
        for event in self.store.pending_events(1000).await.unwrap() {
            let before = self.faulty.plan.injected() + self.sent.plan.injected();
            let result = deliver_event(&self.notify, &event).await;
            if result.is_err() || self.faulty.plan.injected() + self.sent.plan.injected() != before {
                self.faulty_events.insert(event.id.clone());
            }
        }
    }
}

fn guest(n: u8) -> GuestId {
    GuestId::new(&format!("model-guest-{n}")).unwrap()
}

fn nth<K, V>(map: &BTreeMap<K, V>, pick: usize) -> Option<(&K, &V)> {
    if map.is_empty() { None } else { map.iter().nth(pick % map.len()) }
}

/// What must hold after every step, faults or not.
async fn always(w: &World) -> Result<(), TestCaseError> {
    let bookings = w.all_bookings().await;
    // Rooms: each night's counter is the rooms of live holds and confirmed bookings, within inventory.
    let mut occupied: HashMap<(String, NaiveDate), u32> = HashMap::new();
    for b in bookings.iter().filter(|b| b.state().occupies_rooms()) {
        for night in b.quote().request.stay.each_night() {
            *occupied.entry((b.quote().request.room_type.to_string(), night)).or_default() += u32::from(b.rooms());
        }
    }
    for room in w.hotel.room_types() {
        let nights: Vec<NaiveDate> = (0..12).map(|d| NaiveDate::from_ymd_opt(2030, 1, 1).unwrap() + Duration::days(d)).collect();
        for count in w.store.night_counts(&room.id, &nights, room.inventory).await.unwrap() {
            let expected = occupied.get(&(room.id.to_string(), count.date)).copied().unwrap_or(0);
            prop_assert_eq!(count.taken, expected, "{} on {}", room.id, count.date);
            prop_assert!(count.taken <= room.inventory, "{} overbooked on {}", room.id, count.date);
        }
    }
    // Money, booking by booking, as the provider has it.
    for b in &bookings {
        let Some(payment) = b.payment() else { continue };
        let intent = w.stripe.intent(&payment.intent_id).await;
        let total = b.quote().total.minor();
        let net = intent.amount_received - intent.amount_refunded;
        prop_assert!(
            intent.amount_received <= total && intent.amount_refunded <= intent.amount_received,
            "{}: {:?}",
            b.reference(),
            intent
        );
        let by_guest = b.cancellation().is_some_and(|c| c.reason == CancellationReason::ByGuest);
        if net > 0 {
            let keeps =
                b.state() == BookingState::Confirmed || (by_guest && matches!(b.state(), BookingState::Refunded | BookingState::Cancelled));
            prop_assert!(keeps, "{} keeps {} but is {} ({:?})", b.reference(), net, b.state(), b.cancellation());
        }
        if let Some(c) = b.cancellation().filter(|c| c.reason == CancellationReason::ByGuest) {
            let policy = w.hotel.cancellation().preview(&w.hotel, b.quote(), c.at).map(|p| p.penalty);
            prop_assert_eq!(policy.ok(), Some(c.penalty), "{}: penalty is the policy's at the time of the cancel", b.reference());
            prop_assert!(
                net >= 0 && intent.amount_refunded <= intent.amount_received - c.penalty.minor().min(intent.amount_received),
                "{}: refunded more than owed: {:?}",
                b.reference(),
                intent
            );
        }
    }
    Ok(())
}

/// Faults stop, retries drain, time passes: then everything promised must have happened.
async fn drained(w: &mut World) -> Result<(), TestCaseError> {
    w.faulty.plan.clear();
    w.stripe.clear_faults();
    w.sent.plan.clear();
    // Stripe keeps retrying what failed; the schedule keeps running; time passes (leases run out, holds expire).
    for _ in 0..12 {
        w.clock.advance(Duration::hours(2));
        for event in std::mem::take(&mut w.webhooks) {
            if record_payment_event(&w.money, event.clone()).await.is_err() {
                w.webhooks.push(event);
            }
        }
        reconcile_due(&w.money.settle, 1000).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
        w.collect_webhooks();
    }
    prop_assert!(w.webhooks.is_empty(), "webhooks still refused with no fault left: {:?}", w.webhooks);
    // The lease of any claim a fault left in progress has run out by now.
    w.notify_once().await;
    w.notify_once().await;

    let bookings = w.all_bookings().await;
    for b in &bookings {
        prop_assert!(!matches!(b.settlement(), Settlement::Due { .. }), "{} still due: {:?}", b.reference(), b);
        prop_assert!(b.state() != BookingState::Held, "{} still held", b.reference());
        let Some(payment) = b.payment() else { continue };
        let intent = w.stripe.intent(&payment.intent_id).await;
        let net = intent.amount_received - intent.amount_refunded;
        let keep = b.kept_target().map(|m| m.minor()).unwrap_or(0);
        // What the hotel keeps is exactly what the booking says; a penalty never authorised cannot be collected.
        let uncollectable = keep > 0 && net == 0 && b.state() != BookingState::Confirmed;
        prop_assert!(
            net == keep || uncollectable,
            "{} ({}) keeps {} at the provider, should keep {}: {:?}",
            b.reference(),
            b.state(),
            net,
            keep,
            intent
        );
        if b.state() == BookingState::Confirmed {
            prop_assert_eq!(intent.status, PaymentStatus::Succeeded, "{} confirmed but not paid", b.reference());
        } else {
            prop_assert!(
                matches!(intent.status, PaymentStatus::Canceled | PaymentStatus::Succeeded),
                "{} ({}) left its payment open: {:?}",
                b.reference(),
                b.state(),
                intent.status
            );
        }
    }
    // A guest who paid in time (and did not cancel) has the booking, unless the money could not be taken at all.
    for b in &bookings {
        let reference = b.reference().to_string();
        if w.paid_in_time.contains(&reference) && !w.cancelled_by_guest.contains(&reference) {
            let unpaid = b.cancellation().is_some_and(|c| c.reason == CancellationReason::PaymentNotCompleted);
            prop_assert!(
                b.state() == BookingState::Confirmed || unpaid,
                "{} was paid in time but is {} ({:?})",
                reference,
                b.state(),
                b.cancellation()
            );
        }
    }
    // Messages: every promised one went out, exactly once unless a fault touched its delivery.
    let sent = w.sent.accepted();
    let mut per_key: HashMap<&str, usize> = HashMap::new();
    for m in &sent {
        *per_key.entry(m.dedup_key.as_str()).or_default() += 1;
    }
    let events = w.store.pending_events(1000).await.unwrap();
    for event in &events {
        for channel in ["email", "sms"] {
            let count = per_key.get(format!("{}/{channel}", event.id).as_str()).copied().unwrap_or(0);
            prop_assert!(count >= 1, "{} never sent by {}", event.id, channel);
            prop_assert!(
                count == 1 || w.faulty_events.contains(&event.id),
                "{} sent {} times by {} without a fault",
                event.id,
                count,
                channel
            );
        }
    }
    // And each settled booking told its guest what it became, once.
    for b in &bookings {
        let told: Vec<&EventKind> = events.iter().filter(|e| &e.reference == b.reference()).map(|e| &e.kind).collect();
        let confirmed = told.iter().filter(|k| matches!(k, EventKind::BookingConfirmed { .. })).count();
        let cancelled = told.iter().filter(|k| matches!(k, EventKind::BookingCancelled { .. })).count();
        prop_assert!(confirmed <= 1 && cancelled <= 1, "{}: {:?}", b.reference(), told);
        if b.state() == BookingState::Confirmed {
            prop_assert_eq!(confirmed, 1, "{} confirmed without telling the guest", b.reference());
        }
    }
    Ok(())
}

#[test]
fn use_cases_keep_money_and_rooms_right_under_faults() {
    let cases = std::env::var("MONEY_MODEL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 300, failure_persistence: None, ..Config::default() });
    let steps = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&prop::collection::vec(act(), 1..45), |acts| {
        steps.fetch_add(acts.len(), std::sync::atomic::Ordering::Relaxed);
        runtime.block_on(async {
            let mut w = World::new().await;
            for (i, act) in acts.iter().enumerate() {
                w.step(act).await;
                always(&w).await.map_err(|e| TestCaseError::fail(format!("after step {i} {act:?}: {e}")))?;
            }
            drained(&mut w).await
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    eprintln!("money model: {cases} sequences, {} steps", steps.into_inner());
}
