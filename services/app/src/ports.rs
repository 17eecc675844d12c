//! What each group of use cases may touch. A use case takes the narrowest set that serves it, so a use case that
//! never pays cannot be handed a payment gateway, and a function wired for reading cannot write: a missing or
//! extra port is a compile error in the wiring, not a refusal at run time.

use std::sync::Arc;

use booking_domain::{Hotel, RoomTypeId};
use booking_ports::{BookingReader, BookingWriter, Clock, DeliveryLog, IdempotencyStore, Notifier, PaymentGateway};

use crate::AppError;

/// The catalogue, availability and a guest's own bookings: read-only.
#[derive(Clone)]
pub struct ReadPorts {
    pub hotel: Arc<Hotel>,
    pub bookings: Arc<dyn BookingReader>,
    /// Each booking's message states (read only).
    pub deliveries: Arc<dyn DeliveryLog>,
    pub clock: Arc<dyn Clock>,
}

/// Moving a booking's state and money: the guest's cancel and the reconciliation (webhooks, the schedule).
#[derive(Clone)]
pub struct SettlePorts {
    pub hotel: Arc<Hotel>,
    pub bookings: Arc<dyn BookingReader>,
    pub changes: Arc<dyn BookingWriter>,
    pub payments: Arc<dyn PaymentGateway>,
    pub clock: Arc<dyn Clock>,
}

/// Settling plus idempotency records: booking requests (`Idempotency-Key`) and payment webhooks (event ids).
#[derive(Clone)]
pub struct MoneyPorts {
    pub settle: SettlePorts,
    pub idempotency: Arc<dyn IdempotencyStore>,
}

/// Telling guests: the booking to describe, a record per message sent, the notifier, and the delivery states
/// (written when a message goes out and when the provider reports on it).
#[derive(Clone)]
pub struct NotifyPorts {
    pub hotel: Arc<Hotel>,
    pub bookings: Arc<dyn BookingReader>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub notifier: Arc<dyn Notifier>,
    pub deliveries: Arc<dyn DeliveryLog>,
    pub clock: Arc<dyn Clock>,
}

/// Re-sending a confirmation: the guest's booking to check, the outbox write that queues the message again, and
/// the hour it belongs to. No payments, no notifier: the message leaves through the outbox like the first one.
#[derive(Clone)]
pub struct ResendPorts {
    pub bookings: Arc<dyn BookingReader>,
    pub changes: Arc<dyn BookingWriter>,
    pub clock: Arc<dyn Clock>,
}

/// The guest's cancel and their re-send are served by one function (the one with write rights): the re-send gets
/// only the part of its ports it uses.
impl From<&SettlePorts> for ResendPorts {
    fn from(p: &SettlePorts) -> Self {
        ResendPorts { bookings: Arc::clone(&p.bookings), changes: Arc::clone(&p.changes), clock: Arc::clone(&p.clock) }
    }
}

macro_rules! debug_by_hotel {
    ($($ty:ty),*) => {$(
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    )*};
}
debug_by_hotel!(ReadPorts, SettlePorts, MoneyPorts, NotifyPorts, ResendPorts);

/// How many rooms of `room_type` the hotel has: the capacity every write is checked against.
pub(crate) fn capacity(hotel: &Hotel, room_type: &RoomTypeId) -> Result<u32, AppError> {
    Ok(hotel.room_type(room_type)?.inventory)
}
