//! The two ways every use case changes a booking, written once.

use booking_domain::{Action, Booking, InventoryEffect};
use booking_ports::{BookingEvent, EventKind, PaymentError, Transition};

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

/// Closes the booking's payment intent after its rooms went back, so a late card confirmation cannot pay for
/// them. Best effort: an intent already closed is fine, and any other failure is logged, because if the intent
/// does get authorized later the `record` function voids it on that event.
pub(crate) async fn cancel_intent_quietly(svc: &Services, booking: &Booking, key_prefix: &str) {
    let Some(payment) = booking.payment() else { return };
    match svc.payments.cancel(&payment.intent_id, &format!("{key_prefix}-{}", booking.reference())).await {
        Ok(_) | Err(PaymentError::InvalidState(_)) => {}
        Err(e) => tracing::warn!(reference = %booking.reference(), error = %e, "could not cancel the payment intent"),
    }
}
