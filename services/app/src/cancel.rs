use booking_domain::{BookingRef, BookingState, GuestId, InventoryEffect};
use booking_ports::{EventKind, PaymentStatus};

use crate::catalog::owned_booking;
use crate::changes::{cancel_intent_quietly, save, transition};
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
            let released = transition(svc, &booking, booking_domain::Action::Release, None).await?;
            cancel_intent_quietly(svc, &booking, "release").await;
            released
        }
        BookingState::Confirmed => {
            let preview = svc.hotel.cancellation().preview(&svc.hotel, booking.quote(), now)?;
            let (next, effect) = booking.cancel(&preview, now)?;
            save(svc, &booking, &next, effect, Some(EventKind::BookingCancelled { reason: "cancelled_by_guest".into() })).await?;
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
    save(svc, booking, &recorded, InventoryEffect::None, None).await?;
    Ok(recorded)
}
