use booking_domain::{BookingRef, Trigger};
use booking_ports::{IdempotencyBegin, PaymentEvent, PaymentEventKind};
use serde::{Deserialize, Serialize};

use crate::idempotency::{LEASE, Retention, abandon, hash_of, owner_token, stored, taken};
use crate::settle::{Finish, Finished, Reconciliation, reconcile_loaded};
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
///
/// The event's claim is an idempotency record as [`once`](crate::idempotency) keeps it; when the reconciliation
/// ends by settling the booking, the claim is completed in that same write (one store round trip fewer), and on
/// its own otherwise.
pub async fn record_payment_event(ports: &MoneyPorts, event: PaymentEvent) -> Result<RecordOutcome, AppError> {
    let key = format!("payment-event:{}", event.event_id);
    let records = ports.idempotency.as_ref();
    let owner = owner_token();
    let begin = records.begin_idempotent(&key, &hash_of(&event), &owner, ports.settle.clock.now(), LEASE).await?;
    if begin != IdempotencyBegin::Started {
        // A completed event answers as a duplicate, whatever it recorded; in progress or reused, a refusal.
        let _: RecordOutcome = taken(begin)?;
        crate::metrics::duplicate_webhook();
        return Ok(RecordOutcome::Duplicate);
    }
    let result = |done: &Reconciliation| stored(&RecordOutcome::Reconciled(done.clone()));
    let finish = Finish { key: &key, owner: &owner, ttl: Retention::Webhook.duration(), result: &result };
    match apply(&ports.settle, &event, &finish).await {
        Ok((outcome, finished)) => {
            if finished == Finished::NotYet
                && let Err(e) = records.complete_idempotent(&key, &owner, &stored(&outcome)?, ports.settle.clock.now(), finish.ttl).await
            {
                // The reconciliation is done and itself idempotent; a redelivery after the lease repeats it safely.
                tracing::warn!(error = %e, "could not record idempotent result");
            }
            crate::metrics::payment_event(&event);
            Ok(outcome)
        }
        Err(e) => {
            abandon(records, &key, &owner).await;
            Err(e)
        }
    }
}

async fn apply(svc: &SettlePorts, event: &PaymentEvent, finish: &Finish<'_>) -> Result<(RecordOutcome, Finished), AppError> {
    let Some(reference) = event.reference.as_deref().and_then(|r| BookingRef::parse(r).ok()) else {
        return Ok((RecordOutcome::Ignored(IgnoredBecause::NoReference), Finished::NotYet));
    };
    let Some(booking) = svc.bookings.get_booking(&reference).await? else {
        tracing::warn!(%reference, "payment event for an unknown booking");
        return Ok((RecordOutcome::Ignored(IgnoredBecause::UnknownBooking), Finished::NotYet));
    };
    if booking.payment().map(|p| p.intent_id.as_str()) != Some(event.intent_id.as_str()) {
        tracing::warn!(%reference, intent = %event.intent_id, "payment event for an intent this booking does not own");
        return Ok((RecordOutcome::Ignored(IgnoredBecause::ForeignIntent), Finished::NotYet));
    }
    let trigger = if event.kind == PaymentEventKind::Failed { Trigger::PaymentFailed } else { Trigger::Routine };
    let (done, finished) = reconcile_loaded(svc, booking, trigger, Some(finish)).await?;
    if done.provider_unavailable {
        // What could be recorded is; refusing the delivery makes Stripe send it again soon, on top of the
        // scheduled retry, so the guest is not kept waiting for the schedule.
        return Err(AppError::Payment(booking_ports::PaymentError::Unavailable("payment provider unavailable; retry".into())));
    }
    Ok((RecordOutcome::Reconciled(done), finished))
}
