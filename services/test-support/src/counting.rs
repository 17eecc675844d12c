//! Round trips counted at the port boundary: every store call and every payment-provider call a use case makes,
//! by name. The round-trip budgets (`services/app/tests/round_trips.rs`) and `cargo xtask bench api` read them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use booking_domain::{Booking, BookingRef, GuestId, Money, NightCount, RoomTypeId};
use booking_ports::{
    BookingReader, BookingStore, BookingWriter, ChannelDelivery, CreateIntent, DeliveryLog, DeliveryUpdate, HoldClaimed, IdempotencyBegin,
    IdempotencyClaim, IdempotencyCompletion, IdempotencyStore, PaymentError, PaymentGateway, PaymentIntent, Refund, Resend, ResendQueued,
    StoreCall, StoreError, Transition,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A payment-provider call, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderCall {
    CreateIntent,
    Retrieve,
    Capture,
    Cancel,
    Refund,
}

/// The calls made since the last [`Tally::take`], by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls {
    pub store: BTreeMap<StoreCall, usize>,
    pub provider: BTreeMap<ProviderCall, usize>,
}

impl Calls {
    pub fn store_total(&self) -> usize {
        self.store.values().sum()
    }

    pub fn provider_total(&self) -> usize {
        self.provider.values().sum()
    }

    pub fn store_writes(&self) -> usize {
        self.store.iter().filter(|(call, _)| !call.is_read()).map(|(_, n)| n).sum()
    }

    /// `PlaceHold 1, Transition 1` style, for reports and assertion messages.
    pub fn describe(&self) -> String {
        let store = self.store.iter().map(|(c, n)| format!("{c:?} {n}"));
        let provider = self.provider.iter().map(|(c, n)| format!("Stripe {c:?} {n}"));
        store.chain(provider).collect::<Vec<_>>().join(", ")
    }
}

/// The shared counter the counting wrappers write to.
#[derive(Debug, Default)]
pub struct Tally {
    calls: Mutex<Calls>,
}

impl Tally {
    fn store(&self, call: StoreCall) {
        *self.calls.lock().unwrap().store.entry(call).or_default() += 1;
    }

    fn provider(&self, call: ProviderCall) {
        *self.calls.lock().unwrap().provider.entry(call).or_default() += 1;
    }

    /// The calls so far, and a fresh start.
    pub fn take(&self) -> Calls {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

/// A store that counts each call before passing it on.
#[derive(Clone)]
#[allow(missing_debug_implementations, reason = "wraps a trait object")]
pub struct CountingStore {
    inner: Arc<dyn BookingStore>,
    pub tally: Arc<Tally>,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn BookingStore>, tally: Arc<Tally>) -> Self {
        CountingStore { inner, tally }
    }
}

#[async_trait]
impl BookingReader for CountingStore {
    async fn night_counts(&self, room_type: &RoomTypeId, nights: &[NaiveDate], capacity: u32) -> Result<Vec<NightCount>, StoreError> {
        self.tally.store(StoreCall::NightCounts);
        self.inner.night_counts(room_type, nights, capacity).await
    }

    async fn get_booking(&self, reference: &BookingRef) -> Result<Option<Booking>, StoreError> {
        self.tally.store(StoreCall::GetBooking);
        self.inner.get_booking(reference).await
    }

    async fn booking_with_deliveries(&self, reference: &BookingRef) -> Result<Option<(Booking, Vec<ChannelDelivery>)>, StoreError> {
        self.tally.store(StoreCall::BookingWithDeliveries);
        self.inner.booking_with_deliveries(reference).await
    }

    async fn bookings_for_guest(&self, guest: &GuestId) -> Result<Vec<Booking>, StoreError> {
        self.tally.store(StoreCall::BookingsForGuest);
        self.inner.bookings_for_guest(guest).await
    }

    async fn due_bookings(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Booking>, StoreError> {
        self.tally.store(StoreCall::DueBookings);
        self.inner.due_bookings(now, limit).await
    }
}

#[async_trait]
impl BookingWriter for CountingStore {
    async fn place_hold(&self, booking: &Booking, capacity: u32) -> Result<(), StoreError> {
        self.tally.store(StoreCall::PlaceHold);
        self.inner.place_hold(booking, capacity).await
    }

    async fn transition(&self, change: Transition<'_>) -> Result<(), StoreError> {
        self.tally.store(StoreCall::Transition);
        self.inner.transition(change).await
    }

    /// One round trip: counted as the hold it carries the claim in.
    async fn place_hold_claiming(&self, booking: &Booking, capacity: u32, claim: IdempotencyClaim<'_>) -> Result<HoldClaimed, StoreError> {
        self.tally.store(StoreCall::PlaceHold);
        self.inner.place_hold_claiming(booking, capacity, claim).await
    }

    /// One round trip: counted as the transition it carries the completion in.
    async fn transition_completing(&self, change: Transition<'_>, completion: IdempotencyCompletion<'_>) -> Result<(), StoreError> {
        self.tally.store(StoreCall::Transition);
        self.inner.transition_completing(change, completion).await
    }

    async fn queue_resend(&self, resend: Resend<'_>) -> Result<ResendQueued, StoreError> {
        self.tally.store(StoreCall::QueueResend);
        self.inner.queue_resend(resend).await
    }
}

#[async_trait]
impl IdempotencyStore for CountingStore {
    async fn begin_idempotent(
        &self,
        key: &str,
        payload_hash: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.tally.store(StoreCall::BeginIdempotent);
        self.inner.begin_idempotent(key, payload_hash, owner, now, lease).await
    }

    async fn complete_idempotent(
        &self,
        key: &str,
        owner: &str,
        result: &serde_json::Value,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.tally.store(StoreCall::CompleteIdempotent);
        self.inner.complete_idempotent(key, owner, result, now, ttl).await
    }

    async fn abandon_idempotent(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        self.tally.store(StoreCall::AbandonIdempotent);
        self.inner.abandon_idempotent(key, owner).await
    }
}

#[async_trait]
impl DeliveryLog for CountingStore {
    async fn record_delivery(&self, reference: &BookingRef, delivery: &ChannelDelivery, update: DeliveryUpdate) -> Result<(), StoreError> {
        self.tally.store(StoreCall::RecordDelivery);
        self.inner.record_delivery(reference, delivery, update).await
    }

    async fn deliveries(&self, reference: &BookingRef) -> Result<Vec<ChannelDelivery>, StoreError> {
        self.tally.store(StoreCall::Deliveries);
        self.inner.deliveries(reference).await
    }

    async fn mark_undeliverable(&self, address: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.tally.store(StoreCall::MarkUndeliverable);
        self.inner.mark_undeliverable(address, at).await
    }

    async fn is_undeliverable(&self, address: &str) -> Result<bool, StoreError> {
        self.tally.store(StoreCall::IsUndeliverable);
        self.inner.is_undeliverable(address).await
    }
}

/// A payment gateway that counts each call before passing it on.
#[derive(Clone)]
#[allow(missing_debug_implementations, reason = "wraps a trait object")]
pub struct CountingPayments {
    inner: Arc<dyn PaymentGateway>,
    pub tally: Arc<Tally>,
}

impl CountingPayments {
    pub fn new(inner: Arc<dyn PaymentGateway>, tally: Arc<Tally>) -> Self {
        CountingPayments { inner, tally }
    }
}

#[async_trait]
impl PaymentGateway for CountingPayments {
    async fn create_intent(&self, request: &CreateIntent) -> Result<PaymentIntent, PaymentError> {
        self.tally.provider(ProviderCall::CreateIntent);
        self.inner.create_intent(request).await
    }

    async fn retrieve(&self, intent_id: &str) -> Result<PaymentIntent, PaymentError> {
        self.tally.provider(ProviderCall::Retrieve);
        self.inner.retrieve(intent_id).await
    }

    async fn capture(&self, intent_id: &str, amount: Money, idempotency_key: &str) -> Result<PaymentIntent, PaymentError> {
        self.tally.provider(ProviderCall::Capture);
        self.inner.capture(intent_id, amount, idempotency_key).await
    }

    async fn cancel(&self, intent_id: &str, idempotency_key: &str) -> Result<PaymentIntent, PaymentError> {
        self.tally.provider(ProviderCall::Cancel);
        self.inner.cancel(intent_id, idempotency_key).await
    }

    async fn refund(&self, intent_id: &str, amount: Money, idempotency_key: &str) -> Result<Refund, PaymentError> {
        self.tally.provider(ProviderCall::Refund);
        self.inner.refund(intent_id, amount, idempotency_key).await
    }
}
