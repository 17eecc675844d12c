use booking_domain::{BookingRef, Trigger};
use booking_ports::{PaymentEvent, PaymentEventKind};
use serde::{Deserialize, Serialize};

use crate::idempotency::{Replayed, Retention, hash_of, once};
use crate::settle::{Reconciliation, reconcile};
use crate::{AppError, MoneyPorts, SettlePorts};

/// Why an authentic event changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoredBecause {
    /// The intent carries no booking reference (not one of ours).
    NoReference,
    UnknownBooking,
    /// The booking's payment is another intent: metadata naming someone else's booking.
    ForeignIntent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum RecordOutcome {
    Reconciled(Reconciliation),
    /// This event id was processed before.
    Duplicate,
    Ignored(IgnoredBecause),
}

/// Applies a payment event once per event id by reconciling its booking against the provider's current view.
pub async fn record_payment_event(ports: &MoneyPorts, event: PaymentEvent) -> Result<RecordOutcome, AppError> {
    let key = format!("payment-event:{}", event.event_id);
    let (records, clock) = (ports.idempotency.as_ref(), ports.settle.clock.as_ref());
    match once(records, clock, &key, &hash_of(&event), Retention::Webhook, || apply(&ports.settle, &event)).await? {
        Replayed::First(outcome) => {
            crate::metrics::payment_event(&event);
            Ok(outcome)
        }
        Replayed::Again(_) => {
            crate::metrics::duplicate_webhook();
            Ok(RecordOutcome::Duplicate)
        }
    }
}

async fn apply(svc: &SettlePorts, event: &PaymentEvent) -> Result<RecordOutcome, AppError> {
    let Some(reference) = event.reference.as_deref().and_then(|r| BookingRef::parse(r).ok()) else {
        return Ok(RecordOutcome::Ignored(IgnoredBecause::NoReference));
    };
    let Some(booking) = svc.bookings.get_booking(&reference).await? else {
        tracing::warn!(%reference, "payment event for an unknown booking");
        return Ok(RecordOutcome::Ignored(IgnoredBecause::UnknownBooking));
    };
    if booking.payment().map(|p| p.intent_id.as_str()) != Some(event.intent_id.as_str()) {
        tracing::warn!(%reference, intent = %event.intent_id, "payment event for an intent this booking does not own");
        return Ok(RecordOutcome::Ignored(IgnoredBecause::ForeignIntent));
    }
    let trigger = if event.kind == PaymentEventKind::Failed { Trigger::PaymentFailed } else { Trigger::Routine };
    let done = reconcile(svc, &reference, trigger).await?;
    if done.provider_unavailable {
        // What could be recorded is; refusing the delivery makes Stripe send it again soon, on top of the
        // scheduled retry, so the guest is not kept waiting for the schedule.
        return Err(AppError::Payment(booking_ports::PaymentError::Unavailable("payment provider unavailable; retry".into())));
    }
    Ok(RecordOutcome::Reconciled(done))
}
