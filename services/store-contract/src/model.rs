//! The store contract as a model-based property test: random sequences of holds (0 rooms to more than the hotel
//! has, overlapping stays of 1 to 30 nights, duplicate references), transitions (every action, current or stale
//! versions), settlement bookkeeping, concurrent batches of holds, due-index and guest queries, run against the
//! adapter and against a plain in-memory model. After every step each night's counter must equal the model's and
//! stay within capacity, and every operation's outcome (ok, sold out on night X, conflict, refused) must equal
//! the model's. Concurrent batches are checked for serializability: the winners must fit together and every
//! loser must have lost for a reason the winners give.
//!
//! `STORE_MODEL_CASES` raises the number of sequences (CI runs a fixed, small number).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use booking_domain::{
    Action, Booking, BookingRef, ContactPreference, GuestContact, GuestId, Hotel, InventoryEffect, MAX_ROOMS_PER_BOOKING, NewBooking,
    PaymentRef, RoomTypeId, StayDates, StayRequest, quote,
};
use booking_ports::{StoreError, Transition};
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::StoreRef;

/// Three room types with one, two and three rooms: small enough that sequences collide on capacity.
const CATALOG: &str = r#"{
  "name": "Model Hotel", "currency": "EUR", "time_zone": "UTC", "check_in_hour": 15, "hold_minutes": 15,
  "taxes": { "percentage_bp": 0, "tourist_tax_per_guest_night_minor": 0 },
  "cancellation": { "free_until_hours": 48 },
  "room_types": [
    { "id": "one", "name": "One", "description": "", "max_occupancy": 2, "bed_type": "single", "inventory": 1,
      "rate": { "base_nightly_minor": 1000, "min_nights": 1, "max_nights": 30, "min_lead_days": 0, "max_advance_days": 400 } },
    { "id": "two", "name": "Two", "description": "", "max_occupancy": 2, "bed_type": "double", "inventory": 2,
      "rate": { "base_nightly_minor": 2000, "min_nights": 1, "max_nights": 30, "min_lead_days": 0, "max_advance_days": 400 } },
    { "id": "three", "name": "Three", "description": "", "max_occupancy": 2, "bed_type": "queen", "inventory": 3,
      "rate": { "base_nightly_minor": 3000, "min_nights": 1, "max_nights": 30, "min_lead_days": 0, "max_advance_days": 400 } }
  ]
}"#;
const ROOMS: [&str; 3] = ["one", "two", "three"];
/// Stays start within this many days of the first night, so they overlap.
const WINDOW_DAYS: u64 = 20;

fn hotel() -> Hotel {
    Hotel::from_json(CATALOG).expect("model catalogue")
}

/// The same hotel with ten rooms of each type: quotes that the real catalogue refuses, to hand the store more
/// rooms than its capacity and see that the store refuses them on its own.
fn roomy_hotel() -> Hotel {
    Hotel::from_json(
        &CATALOG
            .replace("\"inventory\": 1", "\"inventory\": 10")
            .replace("\"inventory\": 2", "\"inventory\": 10")
            .replace("\"inventory\": 3", "\"inventory\": 10"),
    )
    .expect("roomy catalogue")
}

fn t0() -> DateTime<Utc> {
    "2030-01-01T10:00:00Z".parse().expect("t0")
}

fn first_night() -> NaiveDate {
    "2030-02-01".parse().expect("first night")
}

fn capacity(room: usize) -> u32 {
    [1, 2, 3][room]
}

#[derive(Debug, Clone)]
pub struct HoldSpec {
    /// Reference entropy: a small range, so references repeat.
    id: u64,
    guest: u8,
    room: usize,
    start: u64,
    nights: u64,
    rooms: u8,
    /// Through the domain's rules (which refuse more rooms than exist), or straight to the store.
    via_domain: bool,
}

#[derive(Debug, Clone)]
pub enum Op {
    Hold(HoldSpec),
    Transition {
        pick: usize,
        action: Action,
        stale: bool,
    },
    /// A payment attached, a retry scheduled or the money settled: version changes that move the due index.
    Bookkeeping {
        pick: usize,
        kind: u8,
        minutes: i64,
    },
    Concurrent(Vec<HoldSpec>),
    Due {
        minutes: i64,
    },
    Guest {
        guest: u8,
    },
}

fn hold_spec() -> impl Strategy<Value = HoldSpec> {
    (0u64..40, 0u8..3, 0usize..3, 0u64..WINDOW_DAYS, 1u64..=30, 0u8..=6, any::<bool>())
        .prop_map(|(id, guest, room, start, nights, rooms, via_domain)| HoldSpec { id, guest, room, start, nights, rooms, via_domain })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => hold_spec().prop_map(Op::Hold),
        4 => (any::<usize>(), proptest::sample::select(Action::ALL.to_vec()), prop::bool::weighted(0.2))
            .prop_map(|(pick, action, stale)| Op::Transition { pick, action, stale }),
        1 => (any::<usize>(), 0u8..3, -10i64..120).prop_map(|(pick, kind, minutes)| Op::Bookkeeping { pick, kind, minutes }),
        1 => prop::collection::vec(hold_spec(), 2..6).prop_map(Op::Concurrent),
        1 => (-5i64..240).prop_map(|minutes| Op::Due { minutes }),
        1 => (0u8..3).prop_map(|guest| Op::Guest { guest }),
    ]
}

/// What an operation did, in the contract's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok,
    SoldOut(NaiveDate),
    Conflict,
}

/// Whether the domain must refuse the hold before the store is asked: no room, more than one booking may hold,
/// or (through the domain's rules) more rooms than the type has.
fn refused_by_the_rules(spec: &HoldSpec) -> bool {
    spec.rooms == 0 || spec.rooms > MAX_ROOMS_PER_BOOKING || (spec.via_domain && u32::from(spec.rooms) > capacity(spec.room))
}

fn outcome(result: Result<(), StoreError>) -> Result<Outcome, TestCaseError> {
    match result {
        Ok(()) => Ok(Outcome::Ok),
        Err(StoreError::SoldOut { night }) => Ok(Outcome::SoldOut(night)),
        Err(StoreError::Conflict) => Ok(Outcome::Conflict),
        Err(other) => Err(TestCaseError::fail(format!("store failed: {other}"))),
    }
}

/// The booking a spec describes, with the capacity the store is told; `None` when the domain refuses it.
fn build(spec: &HoldSpec) -> Option<(Booking, u32)> {
    let check_in = first_night().checked_add_days(Days::new(spec.start))?;
    let check_out = check_in.checked_add_days(Days::new(spec.nights))?;
    let request = StayRequest {
        room_type: RoomTypeId::parse(ROOMS[spec.room]).ok()?,
        stay: StayDates::new(check_in, check_out).ok()?,
        guests: spec.rooms.max(1),
        rooms: spec.rooms,
    };
    let catalogue = if spec.via_domain { hotel() } else { roomy_hotel() };
    let priced = quote(&catalogue, &request, t0().date_naive()).ok()?;
    let booking = Booking::hold(NewBooking {
        reference: BookingRef::from_entropy(spec.id),
        guest: GuestId::new(&format!("guest-{}", spec.guest)).ok()?,
        contact: GuestContact::new("Model Guest", "model@example.com", None, ContactPreference::Email).ok()?,
        quote: priced,
        now: t0(),
        hold_minutes: 15,
    });
    Some((booking, capacity(spec.room)))
}

fn room_index(booking: &Booking) -> usize {
    ROOMS.iter().position(|r| *r == booking.quote().request.room_type.as_str()).unwrap_or(0)
}

/// The reference model: bookings as stored, every version each went through, and the counters.
#[derive(Debug, Default, Clone)]
struct Model {
    bookings: BTreeMap<BookingRef, Booking>,
    history: HashMap<BookingRef, Vec<Booking>>,
    taken: HashMap<(usize, NaiveDate), u32>,
    order: Vec<BookingRef>,
}

impl Model {
    /// The first night that cannot take `booking`'s rooms, if any.
    fn first_full_night(&self, booking: &Booking) -> Option<NaiveDate> {
        let room = room_index(booking);
        let rooms = u32::from(booking.rooms());
        booking.quote().request.stay.each_night().find(|n| self.taken.get(&(room, *n)).copied().unwrap_or(0) + rooms > capacity(room))
    }

    fn apply_effect(&mut self, booking: &Booking, effect: InventoryEffect) {
        let room = room_index(booking);
        for night in booking.quote().request.stay.each_night() {
            let t = self.taken.entry((room, night)).or_default();
            match effect {
                InventoryEffect::Take => *t += u32::from(booking.rooms()),
                InventoryEffect::Release => *t -= u32::from(booking.rooms()),
                InventoryEffect::None => {}
            }
        }
    }

    fn expect_hold(&self, booking: &Booking) -> Outcome {
        if self.bookings.contains_key(booking.reference()) {
            return Outcome::Conflict;
        }
        self.first_full_night(booking).map_or(Outcome::Ok, Outcome::SoldOut)
    }

    fn add(&mut self, booking: Booking) {
        self.apply_effect(&booking, InventoryEffect::Take);
        self.order.push(booking.reference().clone());
        self.history.entry(booking.reference().clone()).or_default().push(booking.clone());
        self.bookings.insert(booking.reference().clone(), booking);
    }

    fn replace(&mut self, next: Booking) {
        self.history.entry(next.reference().clone()).or_default().push(next.clone());
        self.bookings.insert(next.reference().clone(), next);
    }

    fn pick(&self, pick: usize) -> Option<&Booking> {
        if self.order.is_empty() {
            return None;
        }
        self.bookings.get(&self.order[pick % self.order.len()])
    }
}

/// Runs `cases` random sequences (or `STORE_MODEL_CASES`) against fresh stores from `make`, and returns how many
/// sequences and steps ran.
pub fn run<F>(make: F, cases: u32) -> (usize, usize)
where
    F: Fn() -> Pin<Box<dyn Future<Output = StoreRef> + Send>> + Send + Sync + 'static,
{
    let cases = std::env::var("STORE_MODEL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    let sequences = Arc::new(AtomicUsize::new(0));
    let steps = Arc::new(AtomicUsize::new(0));
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 200, failure_persistence: None, ..Config::default() });
    let result = runner.run(&prop::collection::vec(op(), 1..40), |ops| {
        sequences.fetch_add(1, Ordering::Relaxed);
        steps.fetch_add(ops.len(), Ordering::Relaxed);
        runtime.block_on(async {
            let store = make().await;
            check_sequence(&store, &ops).await
        })
    });
    if let Err(failure) = result {
        panic!("store model test failed: {failure}");
    }
    (sequences.load(Ordering::Relaxed), steps.load(Ordering::Relaxed))
}

async fn check_sequence(store: &StoreRef, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        apply(store, &mut model, op).await.map_err(|e| TestCaseError::fail(format!("step {step} {op:?}: {e}")))?;
        check_counters(store, &model).await.map_err(|e| TestCaseError::fail(format!("after step {step} {op:?}: {e}")))?;
    }
    Ok(())
}

async fn apply(store: &StoreRef, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::Hold(spec) => {
            let built = build(spec);
            prop_assert_eq!(built.is_none(), refused_by_the_rules(spec), "the domain's verdict on {:?}", spec);
            let Some((booking, capacity)) = built else { return Ok(()) };
            let expected = model.expect_hold(&booking);
            let got = outcome(store.place_hold(&booking, capacity).await)?;
            prop_assert_eq!(&got, &expected, "hold of {} x {}", booking.rooms(), booking.quote().request.room_type);
            if got == Outcome::Ok {
                model.add(booking);
            }
        }
        Op::Transition { pick, action, stale } => {
            let Some(current) = model.pick(*pick).cloned() else { return Ok(()) };
            let history = &model.history[current.reference()];
            let previous = if *stale && history.len() > 1 { history[history.len() - 2].clone() } else { current.clone() };
            let Ok((next, effect)) = previous.apply(*action, t0()) else { return Ok(()) };
            let capacity = capacity(room_index(&current));
            let expected = if previous.version() != current.version() {
                Outcome::Conflict
            } else if effect == InventoryEffect::Take {
                model.first_full_night(&next).map_or(Outcome::Ok, Outcome::SoldOut)
            } else {
                Outcome::Ok
            };
            let got = outcome(store.transition(Transition { previous: &previous, next: &next, effect, capacity, event: None }).await)?;
            prop_assert_eq!(&got, &expected, "{:?} of {} (v{} of v{})", action, current.reference(), previous.version(), current.version());
            if got == Outcome::Ok {
                model.apply_effect(&next, effect);
                model.replace(next);
            }
            let stored = store.get_booking(current.reference()).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(stored.as_ref(), model.bookings.get(current.reference()), "the stored booking is the model's");
        }
        Op::Bookkeeping { pick, kind, minutes } => {
            let Some(current) = model.pick(*pick).cloned() else { return Ok(()) };
            let at = t0() + Duration::minutes(*minutes);
            let next = match kind {
                0 => current.with_payment(PaymentRef { intent_id: format!("pi_{}", current.reference()) }, at),
                1 => current.retry_later(at, Duration::minutes(*minutes)),
                _ => current.settled(current.quote().total, current.quote().total, at),
            };
            let change = Transition { previous: &current, next: &next, effect: InventoryEffect::None, capacity: 0, event: None };
            prop_assert_eq!(outcome(store.transition(change).await)?, Outcome::Ok);
            model.replace(next);
        }
        Op::Concurrent(specs) => concurrent(store, model, specs).await?,
        Op::Due { minutes } => {
            let now = t0() + Duration::minutes(*minutes);
            let got: Vec<BookingRef> = store
                .due_bookings(now, 1000)
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .iter()
                .map(|b| b.reference().clone())
                .collect();
            let mut due: Vec<(DateTime<Utc>, BookingRef)> =
                model.bookings.values().filter_map(|b| b.due_at().filter(|at| *at <= now).map(|at| (at, b.reference().clone()))).collect();
            due.sort();
            let expected: Vec<BookingRef> = due.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(got, expected, "due at {}", now);
        }
        Op::Guest { guest } => {
            let id = GuestId::new(&format!("guest-{guest}")).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got: Vec<Booking> = store.bookings_for_guest(&id).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut expected: Vec<&Booking> = model.bookings.values().filter(|b| b.guest() == &id).collect();
            expected.sort_by_key(|b| (b.quote().request.stay.check_in(), b.reference().to_string()));
            prop_assert_eq!(got.iter().collect::<Vec<_>>(), expected);
        }
    }
    Ok(())
}

/// Holds raced at once. The store may pick any winners, as long as some serial order explains them.
async fn concurrent(store: &StoreRef, model: &mut Model, specs: &[HoldSpec]) -> Result<(), TestCaseError> {
    let attempts: Vec<(Booking, u32)> = specs.iter().filter_map(build).collect();
    let mut tasks = Vec::new();
    for (booking, capacity) in attempts.clone() {
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move { store.place_hold(&booking, capacity).await }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(outcome(task.await.map_err(|e| TestCaseError::fail(e.to_string()))?)?);
    }
    // The winners, taken in attempt order, must fit on top of what was there (and be distinct references).
    let mut after = model.clone();
    for ((booking, _), result) in attempts.iter().zip(&results) {
        if *result == Outcome::Ok {
            prop_assert_eq!(after.expect_hold(booking), Outcome::Ok, "winner {} does not fit with the other winners", booking.reference());
            after.add(booking.clone());
        }
    }
    // Every loser lost for a reason the winners give.
    for ((booking, _), result) in attempts.iter().zip(&results) {
        match result {
            Outcome::Ok => {}
            Outcome::Conflict => prop_assert!(after.bookings.contains_key(booking.reference()), "conflict without a duplicate reference"),
            Outcome::SoldOut(night) => {
                let room = room_index(booking);
                let taken = after.taken.get(&(room, *night)).copied().unwrap_or(0);
                prop_assert!(
                    taken + u32::from(booking.rooms()) > capacity(room),
                    "sold out on {} with {} of {} taken",
                    night,
                    taken,
                    capacity(room)
                );
            }
        }
    }
    // What is stored is exactly the winners.
    for ((booking, _), result) in attempts.iter().zip(&results) {
        let stored = store.get_booking(booking.reference()).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
        if *result == Outcome::Ok {
            prop_assert_eq!(stored.as_ref(), Some(booking));
        } else if !model.bookings.contains_key(booking.reference()) && !after.bookings.contains_key(booking.reference()) {
            prop_assert_eq!(stored, None);
        }
    }
    *model = after;
    Ok(())
}

/// Every night of the window, for every room type: the store's counter is the model's and within capacity.
async fn check_counters(store: &StoreRef, model: &Model) -> Result<(), TestCaseError> {
    let nights: Vec<NaiveDate> = (0..WINDOW_DAYS + 31).filter_map(|d| first_night().checked_add_days(Days::new(d))).collect();
    for (room, id) in ROOMS.iter().enumerate() {
        let room_type = RoomTypeId::parse(id).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let counts = store.night_counts(&room_type, &nights, capacity(room)).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
        for count in counts {
            let expected = model.taken.get(&(room, count.date)).copied().unwrap_or(0);
            prop_assert_eq!(count.taken, expected, "{} on {}", id, count.date);
            prop_assert!(count.taken <= capacity(room), "{} overbooked on {}", id, count.date);
        }
    }
    // And the model itself: counters are the rooms of bookings that occupy rooms.
    let mut occupied: HashMap<(usize, NaiveDate), u32> = HashMap::new();
    for b in model.bookings.values().filter(|b| b.state().occupies_rooms()) {
        for night in b.quote().request.stay.each_night() {
            *occupied.entry((room_index(b), night)).or_default() += u32::from(b.rooms());
        }
    }
    let nonzero: BTreeSet<_> = model.taken.iter().filter(|(_, v)| **v > 0).map(|(k, v)| (*k, *v)).collect();
    prop_assert_eq!(nonzero, occupied.into_iter().collect::<BTreeSet<_>>());
    Ok(())
}
