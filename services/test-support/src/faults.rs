//! Faults as real services produce them, injected at the port boundary.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use booking_domain::{Booking, BookingRef, GuestId, NightCount, RoomTypeId};
use booking_ports::{
    BookingReader, BookingStore, BookingWriter, ChannelDelivery, DeliveryLog, DeliveryUpdate, HoldClaimed, IdempotencyBegin,
    IdempotencyClaim, IdempotencyCompletion, IdempotencyStore, Notifier, NotifyError, OutboundMessage, Resend, ResendQueued, StoreError,
    Transition,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Fails before anything happens (the service is down or throttling).
    Outage,
    /// Does the work, then the answer is lost (a timeout after the write): the caller cannot tell.
    LostReply,
}

/// Which calls fail: queued one-shot faults first, then a standing one.
#[derive(Debug, Default)]
pub struct FaultPlan {
    queue: Mutex<VecDeque<Option<Fault>>>,
    always: Mutex<Option<Fault>>,
    injected: Mutex<usize>,
}

impl FaultPlan {
    /// The fault for the next call, if any.
    pub fn next(&self) -> Option<Fault> {
        let queued = self.queue.lock().unwrap().pop_front();
        let fault = match queued {
            Some(fault) => fault,
            None => *self.always.lock().unwrap(),
        };
        if fault.is_some() {
            *self.injected.lock().unwrap() += 1;
        }
        fault
    }

    /// The next calls, in order: `None` passes one call through.
    pub fn then(&self, faults: impl IntoIterator<Item = Option<Fault>>) {
        self.queue.lock().unwrap().extend(faults);
    }

    /// Every call from now on (until `clear`).
    pub fn always(&self, fault: Option<Fault>) {
        *self.always.lock().unwrap() = fault;
    }

    pub fn clear(&self) {
        self.queue.lock().unwrap().clear();
        *self.always.lock().unwrap() = None;
    }

    /// How many faults were injected so far.
    pub fn injected(&self) -> usize {
        *self.injected.lock().unwrap()
    }
}

/// A store whose calls fail as the plan says.
#[derive(Clone)]
#[allow(missing_debug_implementations, reason = "wraps a trait object")]
pub struct FaultyStore {
    inner: Arc<dyn BookingStore>,
    pub plan: Arc<FaultPlan>,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn BookingStore>) -> Self {
        FaultyStore { inner, plan: Arc::new(FaultPlan::default()) }
    }
}

fn injected(fault: Fault) -> StoreError {
    StoreError::Unavailable(format!("injected {fault:?}"))
}

/// Runs `call` unless the plan says otherwise.
macro_rules! guarded {
    ($self:ident, $call:expr) => {
        match $self.plan.next() {
            None => $call.await,
            Some(Fault::Outage) => Err(injected(Fault::Outage)),
            Some(Fault::LostReply) => {
                let _ = $call.await;
                Err(injected(Fault::LostReply))
            }
        }
    };
}

#[async_trait]
impl BookingReader for FaultyStore {
    async fn night_counts(&self, room_type: &RoomTypeId, nights: &[NaiveDate], capacity: u32) -> Result<Vec<NightCount>, StoreError> {
        guarded!(self, self.inner.night_counts(room_type, nights, capacity))
    }

    async fn get_booking(&self, reference: &BookingRef) -> Result<Option<Booking>, StoreError> {
        guarded!(self, self.inner.get_booking(reference))
    }

    async fn booking_with_deliveries(&self, reference: &BookingRef) -> Result<Option<(Booking, Vec<ChannelDelivery>)>, StoreError> {
        guarded!(self, self.inner.booking_with_deliveries(reference))
    }

    async fn bookings_for_guest(&self, guest: &GuestId) -> Result<Vec<Booking>, StoreError> {
        guarded!(self, self.inner.bookings_for_guest(guest))
    }

    async fn due_bookings(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Booking>, StoreError> {
        guarded!(self, self.inner.due_bookings(now, limit))
    }
}

#[async_trait]
impl BookingWriter for FaultyStore {
    async fn place_hold(&self, booking: &Booking, capacity: u32) -> Result<(), StoreError> {
        guarded!(self, self.inner.place_hold(booking, capacity))
    }

    async fn transition(&self, change: Transition<'_>) -> Result<(), StoreError> {
        guarded!(self, self.inner.transition(change))
    }

    async fn place_hold_claiming(&self, booking: &Booking, capacity: u32, claim: IdempotencyClaim<'_>) -> Result<HoldClaimed, StoreError> {
        guarded!(self, self.inner.place_hold_claiming(booking, capacity, claim))
    }

    async fn transition_completing(&self, change: Transition<'_>, completion: IdempotencyCompletion<'_>) -> Result<(), StoreError> {
        guarded!(self, self.inner.transition_completing(change, completion))
    }

    async fn queue_resend(&self, resend: Resend<'_>) -> Result<ResendQueued, StoreError> {
        guarded!(self, self.inner.queue_resend(resend))
    }
}

#[async_trait]
impl IdempotencyStore for FaultyStore {
    async fn begin_idempotent(
        &self,
        key: &str,
        payload_hash: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        guarded!(self, self.inner.begin_idempotent(key, payload_hash, owner, now, lease))
    }

    async fn complete_idempotent(
        &self,
        key: &str,
        owner: &str,
        result: &serde_json::Value,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        guarded!(self, self.inner.complete_idempotent(key, owner, result, now, ttl))
    }

    async fn abandon_idempotent(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        guarded!(self, self.inner.abandon_idempotent(key, owner))
    }
}

#[async_trait]
impl DeliveryLog for FaultyStore {
    async fn record_delivery(&self, reference: &BookingRef, delivery: &ChannelDelivery, update: DeliveryUpdate) -> Result<(), StoreError> {
        guarded!(self, self.inner.record_delivery(reference, delivery, update))
    }

    async fn deliveries(&self, reference: &BookingRef) -> Result<Vec<ChannelDelivery>, StoreError> {
        guarded!(self, self.inner.deliveries(reference))
    }

    async fn mark_undeliverable(&self, address: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        guarded!(self, self.inner.mark_undeliverable(address, at))
    }

    async fn is_undeliverable(&self, address: &str) -> Result<bool, StoreError> {
        guarded!(self, self.inner.is_undeliverable(address))
    }
}

/// A notifier that records what the provider accepted, and fails as the plan says.
#[derive(Debug, Default)]
pub struct FaultyNotifier {
    pub plan: FaultPlan,
    accepted: Mutex<Vec<OutboundMessage>>,
}

impl FaultyNotifier {
    /// Every message the provider accepted (a lost reply was accepted too), in order.
    pub fn accepted(&self) -> Vec<OutboundMessage> {
        self.accepted.lock().unwrap().clone()
    }
}

#[async_trait]
impl Notifier for FaultyNotifier {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        match self.plan.next() {
            Some(Fault::Outage) => Err(NotifyError::Unavailable("injected outage".into())),
            Some(Fault::LostReply) => {
                self.accepted.lock().unwrap().push(message.clone());
                Err(NotifyError::Unavailable("injected lost reply".into()))
            }
            None => {
                self.accepted.lock().unwrap().push(message.clone());
                Ok(())
            }
        }
    }
}
