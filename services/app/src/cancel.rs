use booking_domain::{BookingRef, BookingState, GuestId, InventoryEffect};
use booking_ports::{BookingEvent, EventKind, PaymentError, PaymentStatus, Transition};

use crate::catalog::owned_booking;
use crate::{AppError, BookingView, Services};

/// Cancels the guest's own booking under the cancellation policy.
///
/// The state change (with its refund amount and outbox event) is written before money moves, and the refund uses
/// an idempotency key derived from the booking: if the provider is down the booking is already cancelled, and
/// calling cancel again re-issues the very same refund instead of a second one.
pub async fn cancel_booking(svc: &Services, guest: &GuestId, reference: &BookingRef) -> Result<BookingView, AppError> {
    let booking = owned_booking(svc, guest, reference).await?;
    let now = svc.clock.now();
    let closed = match booking.state() {
        BookingState::Held => {
            let released = crate::payment_events::transition(svc, &booking, booking_domain::Action::Release, None).await?;
            if let Some(p) = booking.payment() {
                match svc.payments.cancel(&p.intent_id, &format!("release-{reference}")).await {
                    Ok(_) | Err(PaymentError::InvalidState(_)) => {}
                    Err(e) => tracing::warn!(%reference, error = %e, "could not cancel the intent of a released hold"),
                }
            }
            released
        }
        BookingState::Confirmed => {
            let preview = svc.hotel.cancellation().preview(&svc.hotel, booking.quote(), now)?;
            let (next, effect) = booking.cancel(&preview, now)?;
            let capacity = svc.capacity(&booking.quote().request.room_type)?;
            let event =
                BookingEvent::new(reference, next.version(), EventKind::BookingCancelled { reason: "cancelled_by_guest".into() }, now);
            svc.store.transition(Transition { previous: &booking, next: &next, effect, capacity, event: Some(&event) }).await?;
            tracing::info!(%reference, refund_minor = preview.refund.minor(), "booking cancelled by guest");
            next
        }
        // Cancelled with a refund already recorded: make sure the refund went out (idempotent).
        BookingState::Refunded => booking,
        from => return Err(booking_domain::DomainError::TransitionRefused { from, action: booking_domain::Action::Cancel }.into()),
    };
    let closed =
        if closed.state() == BookingState::Refunded && closed.refund_id().is_none() { issue_refund(svc, &closed).await? } else { closed };
    Ok(BookingView::of(&closed, None))
}

/// Sends the money back and records that it did, so a later call never refunds twice.
async fn issue_refund(svc: &Services, booking: &booking_domain::Booking) -> Result<booking_domain::Booking, AppError> {
    let (Some(payment), Some(amount)) = (booking.payment(), booking.refund()) else { return Ok(booking.clone()) };
    let key = format!("refund-{}", booking.reference());
    let intent = svc.payments.retrieve(&payment.intent_id).await?;
    let refund_id = match intent.status {
        PaymentStatus::Succeeded => svc.payments.refund(&payment.intent_id, amount, &key).await?.id,
        // Never captured (the capture failed or is still pending): voiding the authorization returns everything.
        PaymentStatus::RequiresCapture => svc.payments.cancel(&payment.intent_id, &key).await?.id,
        _ => return Ok(booking.clone()),
    };
    let recorded = booking.with_refund_issued(refund_id, svc.clock.now());
    let capacity = svc.capacity(&booking.quote().request.room_type)?;
    svc.store.transition(Transition { previous: booking, next: &recorded, effect: InventoryEffect::None, capacity, event: None }).await?;
    Ok(recorded)
}
