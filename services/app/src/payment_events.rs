use booking_domain::{Action, Booking, BookingRef, BookingState};
use booking_ports::{EventKind, PaymentError, PaymentStatus};
use serde::{Deserialize, Serialize};

use crate::changes::{cancel_intent_quietly, transition};
use crate::idempotency::once;
use crate::{AppError, Services};

/// A payment provider event, already authenticated (signature checked) and parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    pub event_id: String,
    pub kind: PaymentEventKind,
    pub intent_id: String,
    pub status: PaymentStatus,
    pub amount_minor: i64,
    pub currency: String,
    /// The booking reference from the intent's metadata.
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentEventKind {
    /// The card is authorized; money can be captured (`payment_intent.amount_capturable_updated`).
    Authorized,
    /// Money taken (`payment_intent.succeeded`).
    Succeeded,
    /// The attempt failed (`payment_intent.payment_failed`).
    Failed,
    /// The intent was cancelled (`payment_intent.canceled`).
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum RecordOutcome {
    Confirmed,
    AlreadyConfirmed,
    /// Paid after the hold expired and rooms were still free: booked after all.
    Reinstated,
    /// Paid after the hold expired and the rooms were gone: payment voided, guest told.
    VoidedLate,
    /// The money could not be captured: booking cancelled, rooms released, guest told.
    CaptureFailed,
    Released,
    /// This event id was processed before.
    Duplicate,
    Ignored(String),
}

/// Applies a payment event exactly once per event id. Confirming the booking always happens before capturing the
/// money, and a booking that cannot be honoured gets its authorization voided: no charge without a booking, no
/// booking without a payment.
pub async fn record_payment_event(svc: &Services, event: PaymentEvent) -> Result<RecordOutcome, AppError> {
    let key = format!("payment-event:{}", event.event_id);
    let hash = crate::idempotency::hash_of(&event);
    match once(svc, &key, &hash, || apply_with_retry(svc, &event)).await? {
        crate::idempotency::Replayed::First(outcome) => Ok(outcome),
        crate::idempotency::Replayed::Again(_) => Ok(RecordOutcome::Duplicate),
    }
}

async fn apply_with_retry(svc: &Services, event: &PaymentEvent) -> Result<RecordOutcome, AppError> {
    // A concurrent sweeper or cancel may move the booking between our read and write: re-read and decide again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match apply(svc, event).await {
            Err(AppError::Conflict) if attempts < 4 => continue,
            other => return other,
        }
    }
}

async fn apply(svc: &Services, event: &PaymentEvent) -> Result<RecordOutcome, AppError> {
    let Some(reference) = event.reference.as_deref().and_then(|r| BookingRef::parse(r).ok()) else {
        return Ok(RecordOutcome::Ignored("no booking reference".into()));
    };
    let Some(booking) = svc.store.get_booking(&reference).await? else {
        tracing::warn!(%reference, "payment event for an unknown booking");
        return Ok(RecordOutcome::Ignored("unknown booking".into()));
    };
    if booking.payment().map(|p| p.intent_id.as_str()) != Some(event.intent_id.as_str()) {
        tracing::warn!(%reference, intent = %event.intent_id, "payment event for an intent this booking does not own");
        return Ok(RecordOutcome::Ignored("intent does not belong to the booking".into()));
    }
    match event.kind {
        PaymentEventKind::Authorized | PaymentEventKind::Succeeded => on_paid(svc, event, booking).await,
        PaymentEventKind::Failed | PaymentEventKind::Canceled => on_failed(svc, event, booking).await,
    }
}

async fn on_paid(svc: &Services, event: &PaymentEvent, booking: Booking) -> Result<RecordOutcome, AppError> {
    let total = booking.quote().total;
    if event.amount_minor != total.minor() || !event.currency.eq_ignore_ascii_case(total.currency().as_str()) {
        tracing::error!(reference = %booking.reference(), "paid amount differs from the quote; voiding");
        void_payment(svc, &booking, event.status).await?;
        return Ok(RecordOutcome::Ignored("amount does not match the booking".into()));
    }
    match booking.state() {
        BookingState::Held => {
            let confirmed = transition(svc, &booking, Action::Confirm, Some(EventKind::BookingConfirmed)).await?;
            tracing::info!(reference = %booking.reference(), "booking confirmed");
            capture_or_cancel(svc, confirmed, event.status, RecordOutcome::Confirmed).await
        }
        BookingState::Expired => match transition(svc, &booking, Action::Reinstate, Some(EventKind::BookingConfirmed)).await {
            Ok(confirmed) => {
                tracing::info!(reference = %booking.reference(), "late payment: booking reinstated");
                capture_or_cancel(svc, confirmed, event.status, RecordOutcome::Reinstated).await
            }
            Err(AppError::SoldOut { .. }) => {
                let reason = EventKind::BookingCancelled { reason: "rooms_sold_out_after_hold_expired".into() };
                transition(svc, &booking, Action::Void, Some(reason)).await?;
                void_payment(svc, &booking, event.status).await?;
                tracing::info!(reference = %booking.reference(), "late payment: sold out, payment voided");
                Ok(RecordOutcome::VoidedLate)
            }
            Err(e) => Err(e),
        },
        BookingState::Confirmed => {
            // A retry after a failed capture, or the `succeeded` echo of our own capture.
            if event.status == PaymentStatus::RequiresCapture {
                capture_or_cancel(svc, booking, event.status, RecordOutcome::AlreadyConfirmed).await
            } else {
                Ok(RecordOutcome::AlreadyConfirmed)
            }
        }
        BookingState::Released => {
            // The guest gave up (or an earlier attempt failed) and the rooms went back: do not take money.
            void_payment(svc, &booking, event.status).await?;
            Ok(RecordOutcome::Ignored("booking was released; payment voided".into()))
        }
        BookingState::Cancelled | BookingState::Refunded => Ok(RecordOutcome::Ignored("booking already closed".into())),
    }
}

async fn on_failed(svc: &Services, event: &PaymentEvent, booking: Booking) -> Result<RecordOutcome, AppError> {
    if booking.state() != BookingState::Held {
        return Ok(RecordOutcome::Ignored(format!("booking is {}", booking.state())));
    }
    transition(svc, &booking, Action::Release, None).await?;
    if event.kind == PaymentEventKind::Failed {
        // Close the intent too, so a later retry with another card cannot pay for rooms we no longer hold.
        cancel_intent_quietly(svc, &booking, "release").await;
    }
    tracing::info!(reference = %booking.reference(), "payment failed; hold released");
    Ok(RecordOutcome::Released)
}

/// Captures the authorized amount of a confirmed booking. A definitive capture failure cancels the booking and
/// frees the rooms; a transient one is returned as an error so the provider retries the webhook.
async fn capture_or_cancel(
    svc: &Services,
    confirmed: Booking,
    status: PaymentStatus,
    ok: RecordOutcome,
) -> Result<RecordOutcome, AppError> {
    if status != PaymentStatus::RequiresCapture {
        return Ok(ok);
    }
    let Some(payment) = confirmed.payment() else {
        return Ok(ok);
    };
    match svc.payments.capture(&payment.intent_id, &format!("capture-{}", confirmed.reference())).await {
        Ok(_) => Ok(ok),
        Err(PaymentError::Declined(_) | PaymentError::InvalidState(_) | PaymentError::NotFound(_)) => {
            tracing::error!(reference = %confirmed.reference(), "capture refused; cancelling the booking");
            let reason = EventKind::BookingCancelled { reason: "payment_capture_failed".into() };
            transition(svc, &confirmed, Action::Cancel, Some(reason)).await?;
            Ok(RecordOutcome::CaptureFailed)
        }
        Err(e) => Err(AppError::Payment(e)),
    }
}

/// Gives the money back for a booking we will not honour: cancel an authorization, refund a capture.
async fn void_payment(svc: &Services, booking: &Booking, status: PaymentStatus) -> Result<(), AppError> {
    let Some(payment) = booking.payment() else { return Ok(()) };
    let key = format!("void-{}", booking.reference());
    let result = match status {
        PaymentStatus::Succeeded => svc.payments.refund(&payment.intent_id, booking.quote().total, &key).await.map(|_| ()),
        PaymentStatus::Canceled => Ok(()),
        _ => svc.payments.cancel(&payment.intent_id, &key).await.map(|_| ()),
    };
    match result {
        Ok(()) | Err(PaymentError::InvalidState(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
