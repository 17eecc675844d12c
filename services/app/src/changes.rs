//! The two ways every use case changes a booking, written once.

use booking_domain::{Action, Booking, InventoryEffect};
use booking_ports::{BookingEvent, EventKind, Transition};

use crate::{AppError, Services};

/// Stores `previous` → `next` with its inventory effect and, if given, the outbox event, as one atomic write.
pub(crate) async fn save(
    svc: &Services,
    previous: &Booking,
    next: &Booking,
    effect: InventoryEffect,
    event: Option<EventKind>,
) -> Result<(), AppError> {
    let capacity = svc.capacity(&previous.quote().request.room_type)?;
    let event = event.map(|kind| BookingEvent::new(next.reference(), next.version(), kind, svc.clock.now()));
    svc.store.transition(Transition { previous, next, effect, capacity, event: event.as_ref() }).await?;
    Ok(())
}

/// Applies `action` through the state machine and stores the result.
pub(crate) async fn transition(svc: &Services, booking: &Booking, action: Action, event: Option<EventKind>) -> Result<Booking, AppError> {
    let (next, effect) = booking.apply(action, svc.clock.now())?;
    save(svc, booking, &next, effect, event).await?;
    Ok(next)
}
