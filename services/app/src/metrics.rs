//! What the use cases count, recorded where each fact is known: a hold placed or refused, what a reconciliation
//! did, a webhook heard twice, a message handed to (or refused by) its channel. Metrics go to the current
//! invocation (`emf::metrics()`, set by the function's `MetricsLayer`); outside one they are discarded, so the
//! use cases stay callable from tests and tools that measure nothing. Names come from the catalog only, and a
//! booking reference is a property, never a dimension.

use booking_domain::{BookingRef, BookingState, Trigger};
use booking_metrics::{BOOKING_REFERENCE, Channel, FAILURE_REASON, Metric, Notification};
use booking_ports::{PaymentEvent, PaymentEventKind};

use crate::settle::Effect;

fn count(metric: Metric) {
    emf::metrics().add(metric, 1.0);
}

/// The booking a document is about, for Logs Insights (one booking's trail).
pub(crate) fn about(reference: &BookingRef) {
    emf::metrics().property(BOOKING_REFERENCE, reference.to_string());
}

/// A guest asked to hold rooms and the request reached the use case.
pub(crate) fn booking_requested() {
    count(Metric::BookingRequested);
}

/// The rooms of a new hold were taken (a replayed request is not counted again).
pub(crate) fn hold_placed(reference: &BookingRef) {
    about(reference);
    count(Metric::HoldPlaced);
}

pub(crate) fn hold_rejected_sold_out() {
    count(Metric::HoldRejectedSoldOut);
}

/// The guest cancelled a confirmed booking (a held one is counted when its release is reconciled).
pub(crate) fn cancelled_by_guest(reference: &BookingRef) {
    about(reference);
    count(Metric::BookingCancelled);
}

/// A payment event processed for the first time: what the provider says happened to the card (and, for a
/// failure, why: the `failureReason` property the "failed payments by reason" query groups by).
pub(crate) fn payment_event(event: &PaymentEvent) {
    match event.kind {
        PaymentEventKind::Authorized => count(Metric::PaymentAuthorized),
        PaymentEventKind::Failed => {
            count(Metric::PaymentFailed);
            emf::metrics().property(FAILURE_REASON, event.failure_reason.as_deref().unwrap_or("unknown"));
        }
        PaymentEventKind::Succeeded | PaymentEventKind::Canceled => {}
    }
}

pub(crate) fn duplicate_webhook() {
    count(Metric::DuplicateWebhookIgnored);
}

/// What one reconciliation did. `state` is the booking's state when it ended (a void is a refund only for a
/// booking that was cancelled, not for a hold that ran out unpaid).
pub(crate) fn reconciled(reference: &BookingRef, effects: &[Effect], state: BookingState, trigger: Trigger) {
    if !effects.is_empty() {
        about(reference);
    }
    let cancelled = matches!(state, BookingState::Cancelled | BookingState::Refunded);
    for effect in effects {
        match effect {
            Effect::Confirmed | Effect::Reinstated => count(Metric::BookingConfirmed),
            Effect::Expired => count(Metric::HoldExpired),
            Effect::Released if trigger == Trigger::GuestRelease => count(Metric::BookingCancelled),
            Effect::CancelledUnpaid | Effect::CancelledSoldOut => count(Metric::BookingCancelled),
            Effect::Refunded => count(Metric::RefundIssued),
            Effect::Voided if cancelled => count(Metric::RefundIssued),
            Effect::Released | Effect::Voided | Effect::Captured | Effect::Settled | Effect::RetryScheduled => {}
        }
    }
}

/// The scheduled pass acted on a booking left unsettled (anything but "nothing to do" or "try later").
pub(crate) fn reconciliation_actions(effects: &[Effect]) {
    let acted = effects.iter().filter(|e| !matches!(e, Effect::Settled | Effect::RetryScheduled)).count();
    if acted > 0 {
        emf::metrics().add(Metric::ReconciliationAction, acted as f64);
    }
}

/// Refunds still owed after a scheduled pass, and how long the oldest has waited: gauges, written on every pass
/// (0 when none) so an alarm on them sees data.
pub(crate) fn refunds_pending(count: usize, oldest_seconds: i64) {
    let metrics = emf::metrics();
    metrics.add(Metric::RefundPending, count as f64);
    metrics.add(Metric::RefundPendingOldestAge, oldest_seconds.max(0) as f64);
}

/// One guest message's outcome on its channel. Staff booking events are not guest notifications: their
/// publishing failures fail the stream batch (retried, then the failure queue) and the topic's own
/// `NumberOfNotificationsFailed` is on the dashboard.
pub(crate) fn notification(channel: &booking_ports::Channel, sent: bool) {
    let channel = match channel {
        booking_ports::Channel::Email { .. } => Channel::Email,
        booking_ports::Channel::Sms { .. } => Channel::Sms,
        booking_ports::Channel::Staff { .. } => return,
    };
    let outcome = if sent { Notification::Sent } else { Notification::Failed };
    outcome.record(&emf::metrics(), channel);
}

/// A provider's report that a message it accepted bounced for good, on the message's channel. Counted per report:
/// SNS may deliver a report twice, which the delivery state absorbs and this count does not.
pub(crate) fn notification_bounced(reference: &BookingRef, channel: booking_ports::GuestChannel) {
    about(reference);
    let channel = match channel {
        booking_ports::GuestChannel::Email => Channel::Email,
        booking_ports::GuestChannel::Sms => Channel::Sms,
    };
    Notification::Bounced.record(&emf::metrics(), channel);
}
