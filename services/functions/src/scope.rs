//! A store limited to the calls a function declares (`FunctionSpec::store_calls`). Its role's IAM policy already
//! refuses anything else in AWS; refusing it here too makes a use case that starts using an undeclared call fail
//! in every test and in the local stack, instead of first failing with AccessDenied in production.

use std::sync::Arc;

use async_trait::async_trait;
use booking_domain::{Booking, BookingRef, GuestId, NightCount, RoomTypeId};
use booking_ports::{
    BookingReader, BookingStore, BookingWriter, ChannelDelivery, DeliveryLog, DeliveryUpdate, HoldClaimed, IdempotencyBegin,
    IdempotencyClaim, IdempotencyCompletion, IdempotencyStore, Resend, ResendQueued, StoreCall, StoreError, Transition,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::functions::FunctionSpec;

pub struct ScopedStore {
    inner: Arc<dyn BookingStore>,
    spec: &'static FunctionSpec,
}

impl std::fmt::Debug for ScopedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedStore").field("function", &self.spec.name).finish_non_exhaustive()
    }
}

impl ScopedStore {
    pub fn new(inner: Arc<dyn BookingStore>, spec: &'static FunctionSpec) -> Self {
        ScopedStore { inner, spec }
    }

    fn allow(&self, call: StoreCall) -> Result<(), StoreError> {
        if self.spec.store_calls.contains(&call) {
            return Ok(());
        }
        tracing::error!(function = self.spec.name.as_str(), ?call, "store call not declared for this function");
        Err(StoreError::Unavailable(format!("{call:?} is not declared for the {} function", self.spec.name.as_str())))
    }
}

#[async_trait]
impl BookingReader for ScopedStore {
    async fn night_counts(&self, room_type: &RoomTypeId, nights: &[NaiveDate], capacity: u32) -> Result<Vec<NightCount>, StoreError> {
        self.allow(StoreCall::NightCounts)?;
        self.inner.night_counts(room_type, nights, capacity).await
    }
    async fn get_booking(&self, reference: &BookingRef) -> Result<Option<Booking>, StoreError> {
        self.allow(StoreCall::GetBooking)?;
        self.inner.get_booking(reference).await
    }
    async fn booking_with_deliveries(&self, reference: &BookingRef) -> Result<Option<(Booking, Vec<ChannelDelivery>)>, StoreError> {
        self.allow(StoreCall::BookingWithDeliveries)?;
        self.inner.booking_with_deliveries(reference).await
    }
    async fn bookings_for_guest(&self, guest: &GuestId) -> Result<Vec<Booking>, StoreError> {
        self.allow(StoreCall::BookingsForGuest)?;
        self.inner.bookings_for_guest(guest).await
    }
    async fn due_bookings(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Booking>, StoreError> {
        self.allow(StoreCall::DueBookings)?;
        self.inner.due_bookings(now, limit).await
    }
}

#[async_trait]
impl BookingWriter for ScopedStore {
    async fn place_hold(&self, booking: &Booking, capacity: u32) -> Result<(), StoreError> {
        self.allow(StoreCall::PlaceHold)?;
        self.inner.place_hold(booking, capacity).await
    }
    async fn transition(&self, change: Transition<'_>) -> Result<(), StoreError> {
        self.allow(StoreCall::Transition)?;
        self.inner.transition(change).await
    }
    async fn place_hold_claiming(&self, booking: &Booking, capacity: u32, claim: IdempotencyClaim<'_>) -> Result<HoldClaimed, StoreError> {
        self.allow(StoreCall::PlaceHold)?;
        self.allow(StoreCall::BeginIdempotent)?;
        self.inner.place_hold_claiming(booking, capacity, claim).await
    }
    async fn transition_completing(&self, change: Transition<'_>, completion: IdempotencyCompletion<'_>) -> Result<(), StoreError> {
        self.allow(StoreCall::Transition)?;
        self.allow(StoreCall::CompleteIdempotent)?;
        self.inner.transition_completing(change, completion).await
    }
    async fn queue_resend(&self, resend: Resend<'_>) -> Result<ResendQueued, StoreError> {
        self.allow(StoreCall::QueueResend)?;
        self.inner.queue_resend(resend).await
    }
}

#[async_trait]
impl IdempotencyStore for ScopedStore {
    async fn begin_idempotent(
        &self,
        key: &str,
        payload_hash: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.allow(StoreCall::BeginIdempotent)?;
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
        self.allow(StoreCall::CompleteIdempotent)?;
        self.inner.complete_idempotent(key, owner, result, now, ttl).await
    }
    async fn abandon_idempotent(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        self.allow(StoreCall::AbandonIdempotent)?;
        self.inner.abandon_idempotent(key, owner).await
    }
}

#[async_trait]
impl DeliveryLog for ScopedStore {
    async fn record_delivery(&self, reference: &BookingRef, delivery: &ChannelDelivery, update: DeliveryUpdate) -> Result<(), StoreError> {
        self.allow(StoreCall::RecordDelivery)?;
        self.inner.record_delivery(reference, delivery, update).await
    }

    async fn deliveries(&self, reference: &BookingRef) -> Result<Vec<ChannelDelivery>, StoreError> {
        self.allow(StoreCall::Deliveries)?;
        self.inner.deliveries(reference).await
    }

    async fn mark_undeliverable(&self, address: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.allow(StoreCall::MarkUndeliverable)?;
        self.inner.mark_undeliverable(address, at).await
    }

    async fn is_undeliverable(&self, address: &str) -> Result<bool, StoreError> {
        self.allow(StoreCall::IsUndeliverable)?;
        self.inner.is_undeliverable(address).await
    }
}

#[cfg(test)]
mod tests {
    use booking_domain::BookingRef;

    use super::*;
    use crate::functions::QUERY;

    /// A store that answers every read with nothing: what the scope lets through reaches it.
    struct Empty;

    #[async_trait]
    impl BookingReader for Empty {
        async fn night_counts(&self, _: &RoomTypeId, _: &[NaiveDate], _: u32) -> Result<Vec<NightCount>, StoreError> {
            Ok(vec![])
        }
        async fn get_booking(&self, _: &BookingRef) -> Result<Option<Booking>, StoreError> {
            Ok(None)
        }
        async fn booking_with_deliveries(&self, _: &BookingRef) -> Result<Option<(Booking, Vec<ChannelDelivery>)>, StoreError> {
            Ok(None)
        }
        async fn bookings_for_guest(&self, _: &GuestId) -> Result<Vec<Booking>, StoreError> {
            Ok(vec![])
        }
        async fn due_bookings(&self, _: DateTime<Utc>, _: usize) -> Result<Vec<Booking>, StoreError> {
            Ok(vec![])
        }
    }

    #[async_trait]
    impl BookingWriter for Empty {
        async fn place_hold(&self, _: &Booking, _: u32) -> Result<(), StoreError> {
            Ok(())
        }
        async fn transition(&self, _: Transition<'_>) -> Result<(), StoreError> {
            Ok(())
        }
        async fn place_hold_claiming(&self, _: &Booking, _: u32, _: IdempotencyClaim<'_>) -> Result<HoldClaimed, StoreError> {
            Ok(HoldClaimed::Placed)
        }
        async fn transition_completing(&self, _: Transition<'_>, _: IdempotencyCompletion<'_>) -> Result<(), StoreError> {
            Ok(())
        }
        async fn queue_resend(&self, _: Resend<'_>) -> Result<ResendQueued, StoreError> {
            Ok(ResendQueued::Queued)
        }
    }

    #[async_trait]
    impl IdempotencyStore for Empty {
        async fn begin_idempotent(&self, _: &str, _: &str, _: &str, _: DateTime<Utc>, _: Duration) -> Result<IdempotencyBegin, StoreError> {
            Ok(IdempotencyBegin::Started)
        }
        async fn complete_idempotent(
            &self,
            _: &str,
            _: &str,
            _: &serde_json::Value,
            _: DateTime<Utc>,
            _: Duration,
        ) -> Result<(), StoreError> {
            Ok(())
        }
        async fn abandon_idempotent(&self, _: &str, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
    }

    #[async_trait]
    impl DeliveryLog for Empty {
        async fn record_delivery(&self, _: &BookingRef, _: &ChannelDelivery, _: DeliveryUpdate) -> Result<(), StoreError> {
            Ok(())
        }
        async fn deliveries(&self, _: &BookingRef) -> Result<Vec<ChannelDelivery>, StoreError> {
            Ok(vec![])
        }
        async fn mark_undeliverable(&self, _: &str, _: DateTime<Utc>) -> Result<(), StoreError> {
            Ok(())
        }
        async fn is_undeliverable(&self, _: &str) -> Result<bool, StoreError> {
            Ok(false)
        }
    }

    #[tokio::test]
    async fn only_declared_calls_get_through() {
        let query = ScopedStore::new(Arc::new(Empty), &QUERY);
        let reference = BookingRef::from_entropy(1);
        assert_eq!(query.booking_with_deliveries(&reference).await, Ok(None));
        // The booking page reads the booking with its deliveries in one call; the plain read is not declared.
        assert!(matches!(query.get_booking(&reference).await, Err(StoreError::Unavailable(m)) if m.contains("GetBooking")));
        assert!(matches!(query.due_bookings(DateTime::UNIX_EPOCH, 1).await, Err(StoreError::Unavailable(m)) if m.contains("DueBookings")));
        assert!(query.begin_idempotent("k", "h", "o", DateTime::UNIX_EPOCH, Duration::seconds(1)).await.is_err());
        assert!(query.abandon_idempotent("k", "o").await.is_err());
        assert_eq!(query.deliveries(&reference).await, Ok(vec![]));
        assert!(
            matches!(query.mark_undeliverable("a@example.com", DateTime::UNIX_EPOCH).await, Err(StoreError::Unavailable(m)) if m.contains("MarkUndeliverable"))
        );
    }
}
