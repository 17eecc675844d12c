use booking_domain::{BookingRef, BookingState, DomainError, GuestId, InventoryEffect, Trigger};

use crate::catalog::{owned_booking, view_with_preview};
use crate::changes::save;
use crate::settle::reconcile;
use crate::{AppError, BookingView, SettlePorts};

/// Cancels (or, for a hold, releases) the guest's own booking under the cancellation policy.
///
/// The cancellation and what the guest gets back are recorded first, in one write that also makes the money
/// due; the refund (or void) then runs at once against the provider's current view. If the provider is down
/// the answer still says "cancelled, refund pending" and the scheduled reconciliation finishes the refund: the
/// guest never has to press cancel twice, and is only told a refund is on its way once it is.
pub async fn cancel_booking(svc: &SettlePorts, guest: &GuestId, reference: &BookingRef) -> Result<BookingView, AppError> {
    for _ in 0..3 {
        let booking = owned_booking(svc.bookings.as_ref(), guest, reference).await?;
        let trigger = match booking.state() {
            BookingState::Held => Trigger::GuestRelease,
            BookingState::Confirmed => {
                let now = svc.clock.now();
                let preview = svc.hotel.cancellation().preview(&svc.hotel, booking.quote(), now)?;
                let (next, effect) = booking.cancel_by_guest(&preview, now)?;
                match save(svc, &booking, &next, effect, None).await {
                    Ok(()) => {}
                    // A webhook or the schedule changed it meanwhile: decide again on what it is now.
                    Err(AppError::Conflict) => continue,
                    Err(e) => return Err(e),
                }
                debug_assert_eq!(effect, InventoryEffect::Release);
                crate::metrics::cancelled_by_guest(reference);
                tracing::info!(%reference, refund_minor = preview.refund.minor(), "booking cancelled by guest");
                Trigger::Routine
            }
            // Already cancelled: answering again is harmless; finishing its money is the reconciliation's job.
            BookingState::Cancelled | BookingState::Refunded => Trigger::Routine,
            from => return Err(DomainError::TransitionRefused { from, action: booking_domain::Action::Cancel }.into()),
        };
        if let Err(e) = reconcile(svc, reference, trigger).await {
            // The cancellation stands and its money is due: the scheduled pass will finish it.
            tracing::warn!(%reference, error = %e, "could not settle the cancellation now");
        }
        let now = owned_booking(svc.bookings.as_ref(), guest, reference).await?;
        return view_with_preview(&svc.hotel, svc.clock.now(), &now);
    }
    Err(AppError::Conflict)
}
