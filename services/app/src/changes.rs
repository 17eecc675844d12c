//! The two ways every use case changes a booking, written once.

use booking_domain::{Action, Booking, InventoryEffect};
use booking_ports::{BookingEvent, EventKind, IdempotencyCompletion, Transition};

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
    save_completing(ports, previous, next, effect, event, None).await
}

/// [`save`], and in the same write the completion of the idempotency claim whose work this change finishes (one
/// round trip instead of two).
pub(crate) async fn save_completing(
    ports: &SettlePorts,
    previous: &Booking,
    next: &Booking,
    effect: InventoryEffect,
    event: Option<EventKind>,
    completion: Option<IdempotencyCompletion<'_>>,
) -> Result<(), AppError> {
    let capacity = capacity(&ports.hotel, &previous.quote().request.room_type)?;
    let event = event.map(|kind| BookingEvent::new(next.reference(), next.version(), kind, ports.clock.now()));
    let change = Transition { previous, next, effect, capacity, event: event.as_ref() };
    match completion {
        Some(completion) => ports.changes.transition_completing(change, completion).await?,
        None => ports.changes.transition(change).await?,
    }
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
