use async_trait::async_trait;
use booking_domain::{Booking, BookingRef, GuestId, InventoryEffect, NightCount, RoomTypeId};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::{BookingEvent, ChannelDelivery, DeliveryLog};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A night had no room left; nothing was written.
    #[error("sold out on {night}")]
    SoldOut { night: NaiveDate },
    /// The booking changed since it was read (or the key exists already); nothing was written. Re-read and retry.
    #[error("conflicting concurrent change")]
    Conflict,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
}

/// One atomic change of a booking: replace `previous` (checked by its version) with `next`, apply `effect` to
/// the room counters of every night, append `event` to the outbox. All of it or none of it.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    pub previous: &'a Booking,
    pub next: &'a Booking,
    pub effect: InventoryEffect,
    /// Rooms of this type the hotel has; a `Take` may not push a night above it.
    pub capacity: u32,
    pub event: Option<&'a BookingEvent>,
}

/// A guest's request to have a booking's confirmation sent again: `event` ([`BookingEvent::resend`], one id per
/// booking and hour) joins the outbox, and counts against `daily_limit` re-sends of the booking on `day`.
#[derive(Debug, Clone, Copy)]
pub struct Resend<'a> {
    pub event: &'a BookingEvent,
    pub day: NaiveDate,
    pub daily_limit: u32,
}

/// What became of a [`Resend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResendQueued {
    /// The event was written to the outbox and counted.
    Queued,
    /// An event with this id was queued before (the same hour): nothing written, nothing counted.
    AlreadyQueued,
    /// The booking had `daily_limit` re-sends on that day already: nothing written.
    LimitReached,
}

/// What a caller learns when it claims an idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyBegin {
    /// The key is new (or its lease ran out): the caller owns it and must complete or abandon it.
    Started,
    /// Someone else is working on it right now.
    InProgress,
    /// Already done: here is the recorded result.
    Completed(serde_json::Value),
    /// The key was used with a different request body.
    PayloadMismatch,
}

/// An idempotency claim written inside a hold's transaction, so the first request of a key costs no round trip of
/// its own: the same claim [`IdempotencyStore::begin_idempotent`] makes, taken together with the rooms or not at all.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyClaim<'a> {
    pub key: &'a str,
    pub payload_hash: &'a str,
    /// A fresh token per attempt; only it completes or releases the claim.
    pub owner: &'a str,
    pub now: DateTime<Utc>,
    /// How long the claim may stay in progress before another owner may take it over (a crashed caller).
    pub lease: Duration,
}

/// A claim's result, recorded inside the transition that finishes its work (what
/// [`IdempotencyStore::complete_idempotent`] records, without a round trip of its own).
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyCompletion<'a> {
    pub key: &'a str,
    pub owner: &'a str,
    pub result: &'a serde_json::Value,
    pub now: DateTime<Utc>,
    /// Later claims of the key get the result until `now + ttl`.
    pub ttl: Duration,
}

/// What became of [`BookingWriter::place_hold_claiming`] when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum HoldClaimed {
    /// The rooms are taken, the booking written and the key claimed for the caller.
    Placed,
    /// The key was not free (in progress, completed, or used with another body): nothing was written, and this is
    /// what [`IdempotencyStore::begin_idempotent`] would have answered. Never [`IdempotencyBegin::Started`].
    KeyTaken(IdempotencyBegin),
}

/// Every call a store offers, by name: what a function declares it uses (`booking_functions::FUNCTIONS`), what its
/// wiring lets through, and what the DynamoDB adapter turns into IAM actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoreCall {
    NightCounts,
    GetBooking,
    BookingWithDeliveries,
    BookingsForGuest,
    DueBookings,
    PlaceHold,
    Transition,
    BeginIdempotent,
    CompleteIdempotent,
    AbandonIdempotent,
    RecordDelivery,
    Deliveries,
    MarkUndeliverable,
    IsUndeliverable,
    QueueResend,
}

impl StoreCall {
    pub const ALL: [StoreCall; 15] = [
        Self::NightCounts,
        Self::GetBooking,
        Self::BookingWithDeliveries,
        Self::BookingsForGuest,
        Self::DueBookings,
        Self::PlaceHold,
        Self::Transition,
        Self::BeginIdempotent,
        Self::CompleteIdempotent,
        Self::AbandonIdempotent,
        Self::RecordDelivery,
        Self::Deliveries,
        Self::MarkUndeliverable,
        Self::IsUndeliverable,
        Self::QueueResend,
    ];

    /// Reads change nothing: a function that makes only these needs only read access.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Self::NightCounts
                | Self::GetBooking
                | Self::BookingWithDeliveries
                | Self::BookingsForGuest
                | Self::DueBookings
                | Self::Deliveries
                | Self::IsUndeliverable
        )
    }
}

/// Reading bookings and room counters.
///
/// Contract (tested for every adapter by `booking-store-contract`): reads see every write that returned `Ok`.
#[async_trait]
pub trait BookingReader: Send + Sync {
    async fn night_counts(&self, room_type: &RoomTypeId, nights: &[NaiveDate], capacity: u32) -> Result<Vec<NightCount>, StoreError>;

    async fn get_booking(&self, reference: &BookingRef) -> Result<Option<Booking>, StoreError>;

    /// The booking and its channels' message states ([`DeliveryLog::deliveries`]) in one read, as the guest's
    /// booking page shows them: on DynamoDB they share the booking's partition, so one `Query` returns both.
    async fn booking_with_deliveries(&self, reference: &BookingRef) -> Result<Option<(Booking, Vec<ChannelDelivery>)>, StoreError>;

    /// The guest's bookings, by check-in date.
    async fn bookings_for_guest(&self, guest: &GuestId) -> Result<Vec<Booking>, StoreError>;

    /// Bookings the scheduled reconciliation must look at by `now` ([`Booking::due_at`]: holds that ran out,
    /// money still to move), earliest first.
    async fn due_bookings(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Booking>, StoreError>;
}

/// Changing bookings and the rooms they take, atomically.
///
/// Contract (tested for every adapter by `booking-store-contract`):
/// - `place_hold` takes `rooms` on every night of the stay or on none, and never lets a night exceed capacity,
///   under any concurrency;
/// - `transition` is all-or-nothing and refuses a stale `previous` with `Conflict`;
/// - counters never drift: taken == sum of rooms of Held/Confirmed bookings, per night;
/// - a hold or reinstatement of more rooms than `capacity` is refused (`SoldOut`) even on nights nobody booked;
/// - `place_hold_claiming` writes the hold and the claim together or neither; a key that is not free wins over
///   everything else (nothing written, the key's state answered); a free key and a reference that exists already is
///   `Conflict` with nothing claimed;
/// - `transition_completing` is `transition` plus the claim's completion in the same write when the owner still
///   holds it; a claim taken over meanwhile is left as it is and the transition stands;
/// - `queue_resend` writes its event at most once per id and at most `daily_limit` events per booking and day,
///   under any concurrency; an id seen before wins over the limit (the same hour answers the same).
#[async_trait]
pub trait BookingWriter: Send + Sync {
    /// Writes a new Held booking and takes its rooms. `Conflict` if the reference exists.
    async fn place_hold(&self, booking: &Booking, capacity: u32) -> Result<(), StoreError>;

    async fn transition(&self, change: Transition<'_>) -> Result<(), StoreError>;

    /// [`place_hold`](Self::place_hold) and [`IdempotencyStore::begin_idempotent`] as one write: the rooms, the
    /// booking and the claim, or nothing. Needs both calls declared.
    async fn place_hold_claiming(&self, booking: &Booking, capacity: u32, claim: IdempotencyClaim<'_>) -> Result<HoldClaimed, StoreError>;

    /// [`transition`](Self::transition) and [`IdempotencyStore::complete_idempotent`] as one write; a claim
    /// someone took over is not completed (as `complete_idempotent` would refuse), and the transition still is
    /// written. Needs both calls declared.
    async fn transition_completing(&self, change: Transition<'_>, completion: IdempotencyCompletion<'_>) -> Result<(), StoreError>;

    /// Appends a re-sent confirmation to the outbox, once per event id, within the booking's daily limit; the
    /// count and the event are written together or not at all.
    async fn queue_resend(&self, resend: Resend<'_>) -> Result<ResendQueued, StoreError>;
}

/// Idempotency records: claims are owned, and only the owner completes or releases its claim.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for `owner` (a fresh token per attempt) for a request whose body hashes to `payload_hash`. A
    /// claim left in progress longer than `lease` (a crashed caller) can be taken over by another owner.
    async fn begin_idempotent(
        &self,
        key: &str,
        payload_hash: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError>;

    /// Records the result for `key`, if `owner` still holds the claim (else `Conflict`: someone took it over);
    /// later claims get `Completed(result)` until `now + ttl`.
    async fn complete_idempotent(
        &self,
        key: &str,
        owner: &str,
        result: &serde_json::Value,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// Gives up `owner`'s claim so a retry can start afresh (the work failed). A caller whose claim was taken
    /// over releases nothing: the new owner's claim stands.
    async fn abandon_idempotent(&self, key: &str, owner: &str) -> Result<(), StoreError>;
}

/// A whole store: what adapters implement. Use cases take only the parts they use.
pub trait BookingStore: BookingReader + BookingWriter + IdempotencyStore + DeliveryLog {}

impl<T: BookingReader + BookingWriter + IdempotencyStore + DeliveryLog + ?Sized> BookingStore for T {}
