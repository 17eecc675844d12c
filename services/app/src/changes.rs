//! The two ways every use case changes a booking, written once.

use booking_domain::{Action, Booking, InventoryEffect};
use booking_ports::{BookingEvent, EventKind, Transition};

use crate::ports::capacity;
use crate::{AppError, SettlePorts};

/// Stores `previous` → `next` with its inventory effect and, if given, the outbox event, as one atomic write.
pub(crate) async fn save(
    ports: &SettlePorts,
    previous: &Booking,
    next: &Booking,
    effect: InventoryEffect,
    event: Option<EventKind>,
) -> Result<(), AppError> {
    let capacity = capacity(&ports.hotel, &previous.quote().request.room_type)?;
    let event = event.map(|kind| BookingEvent::new(next.reference(), next.version(), kind, ports.clock.now()));
    ports.changes.transition(Transition { previous, next, effect, capacity, event: event.as_ref() }).await?;
    Ok(())
}

/// Applies `action` through the state machine and stores the result.
pub(crate) async fn transition(
    ports: &SettlePorts,
    booking: &Booking,
    action: Action,
    event: Option<EventKind>,
) -> Result<Booking, AppError> {
    let (next, effect) = booking.apply(action, ports.clock.now())?;
    save(ports, booking, &next, effect, event).await?;
    Ok(next)
}
