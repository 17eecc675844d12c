use booking_domain::{Booking, CancellationReason, Hotel};
use booking_ports::{
    BookingEvent, Channel, ChannelDelivery, DeliveryReport, DeliveryState, DeliveryUpdate, EventKind, FailureReason, NotifyError,
    OutboundMessage,
};
use serde::{Deserialize, Serialize};

use crate::idempotency::{Replayed, Retention, once};
use crate::{AppError, NotifyPorts};

/// What became of one message, as its idempotency record keeps it (so a replay records the same state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    /// The provider accepted it.
    Sent,
    /// The provider refused it for good: retrying cannot help, so it is recorded as failed and not retried.
    Refused,
    /// Not sent: the address bounced or complained before.
    Undeliverable,
}

impl Outcome {
    fn state(self) -> DeliveryState {
        match self {
            Outcome::Sent => DeliveryState::Sent,
            Outcome::Refused => DeliveryState::Failed(FailureReason::Rejected),
            Outcome::Undeliverable => DeliveryState::Failed(FailureReason::AddressUndeliverable),
        }
    }
}

/// Sends what `event` means to the guest, by the channels they chose, and to the staff's booking-events feed,
/// each message at most once (keyed by event id and channel), and records each guest channel's state. Returns
/// how many messages went out now (replays and refusals send nothing).
pub async fn deliver_event(svc: &NotifyPorts, event: &BookingEvent) -> Result<usize, AppError> {
    let Some(booking) = svc.bookings.get_booking(&event.reference).await? else {
        tracing::warn!(reference = %event.reference, "event for an unknown booking; nothing to send");
        return Ok(0);
    };
    let mut sent = 0;
    for message in compose_messages(&svc.hotel, &booking, event) {
        let key = format!("notify:{}", message.dedup_key);
        let result = once(svc.idempotency.as_ref(), svc.clock.as_ref(), &key, &message.dedup_key, Retention::Notification, || async {
            if let Channel::Email { to, .. } = &message.channel
                && svc.deliveries.is_undeliverable(to).await?
            {
                crate::metrics::notification(&message.channel, false);
                return Ok(Outcome::Undeliverable);
            }
            let sent = svc.notifier.send(&message).await;
            crate::metrics::notification(&message.channel, sent.is_ok());
            match sent {
                Ok(()) => Ok(Outcome::Sent),
                Err(NotifyError::Rejected(reason)) => {
                    tracing::warn!(dedup_key = %message.dedup_key, reason = %reason, "message refused by the provider; recorded as failed");
                    Ok(Outcome::Refused)
                }
                Err(e) => Err(e.into()),
            }
        })
        .await?;
        let outcome = match result {
            Replayed::First(outcome) => {
                sent += usize::from(outcome == Outcome::Sent);
                outcome
            }
            Replayed::Again(outcome) => outcome,
        };
        if let Some(channel) = message.channel.guest_channel() {
            let delivery = ChannelDelivery { channel, event_id: event.id.clone(), state: outcome.state(), at: svc.clock.now() };
            svc.deliveries.record_delivery(&event.reference, &delivery, DeliveryUpdate::Message).await?;
        }
    }
    tracing::info!(event = %event.id, sent, "notifications delivered");
    Ok(sent)
}

/// A provider's report about a message it accepted (SES bounce, complaint or delivery, through SNS): marks the
/// addresses it names as undeliverable, then sets the message's channel state.
pub async fn record_delivery_report(svc: &NotifyPorts, report: &DeliveryReport) -> Result<(), AppError> {
    for address in &report.undeliverable {
        svc.deliveries.mark_undeliverable(address, report.at).await?;
    }
    let delivery = ChannelDelivery { channel: report.channel, event_id: report.event_id.clone(), state: report.state, at: report.at };
    svc.deliveries.record_delivery(&report.reference, &delivery, DeliveryUpdate::Report).await?;
    if report.state == DeliveryState::Failed(FailureReason::Bounced) {
        crate::metrics::notification_bounced(&report.reference, report.channel);
    }
    tracing::info!(event = %report.event_id, channel = report.channel.as_str(), state = ?report.state, "delivery report recorded");
    Ok(())
}

/// The emails/SMS for an event, and its line for the staff's booking-events feed. Plain text: they must read well
/// in any client and in an SMS. The staff line carries no contact details (staff look the booking up).
pub fn compose_messages(catalog: &Hotel, booking: &Booking, event: &BookingEvent) -> Vec<OutboundMessage> {
    let q = booking.quote();
    let hotel = catalog.name();
    let room = catalog.room_type(&q.request.room_type).map(|r| r.name.as_str()).unwrap_or(q.request.room_type.as_str());
    let nights = q.request.stay.nights();
    let stay = format!(
        "{} to {}, {nights} night{}",
        q.request.stay.check_in().format("%a %-d %b %Y"),
        q.request.stay.check_out().format("%a %-d %b %Y"),
        if nights == 1 { "" } else { "s" }
    );
    let reference = booking.reference();
    // A re-sent confirmation changes nothing the staff need to know.
    let staff = match &event.kind {
        EventKind::BookingConfirmed { charged } => Some(format!(
            "Booking {reference} confirmed: {} x {room}, {} guests, {stay}. Charged {charged}.",
            q.request.rooms, q.request.guests
        )),
        EventKind::ConfirmationResent { .. } => None,
        EventKind::BookingCancelled { reason, charged, refunded } => Some(format!(
            "Booking {reference} cancelled ({}): {} x {room}, {stay}. Charged {charged}, refunded {refunded}.",
            match reason {
                CancellationReason::ByGuest => "by the guest",
                CancellationReason::SoldOutAfterHoldExpired => "late payment, sold out",
                CancellationReason::PaymentNotCompleted => "payment not completed",
            },
            q.request.rooms
        )),
    };
    let (subject, body, sms) = match &event.kind {
        EventKind::BookingConfirmed { charged } | EventKind::ConfirmationResent { charged } => (
            format!("Booking {reference} confirmed – {hotel}"),
            format!(
                "Dear {},\n\nyour booking at {hotel} is confirmed.\n\nReference: {reference}\nRoom: {} x {room}\nGuests: {}\nStay: {stay}\nCharged to your card: {}\n\nWe look forward to welcoming you.\n",
                booking.contact().name(),
                q.request.rooms,
                q.request.guests,
                charged
            ),
            format!("{hotel}: booking {reference} confirmed, {stay}. Charged {charged}."),
        ),
        EventKind::BookingCancelled { reason, charged, refunded } => {
            let why = match reason {
                CancellationReason::ByGuest => "as you asked",
                CancellationReason::SoldOutAfterHoldExpired => {
                    "because your payment arrived after the hold expired and the room was no longer available"
                }
                CancellationReason::PaymentNotCompleted => "because the payment could not be completed",
            };
            // Written once the money is settled, so each sentence states what the provider did.
            let kept = charged.minor() - refunded.minor();
            let refund = if charged.minor() == 0 {
                "You have not been charged.".to_owned()
            } else if refunded.minor() > 0 && kept > 0 {
                format!(
                    "A refund of {refunded} has been issued to your card; {} is kept under the cancellation policy.",
                    booking_domain::Money::new(kept, charged.currency())
                )
            } else if refunded.minor() > 0 {
                format!("A refund of {refunded} has been issued to your card.")
            } else if charged.minor() < q.total.minor() {
                format!("Under the cancellation policy {charged} is charged; the rest of the amount held on your card is released.")
            } else {
                format!("Under the cancellation policy {charged} is kept; no refund is due.")
            };
            (
                format!("Booking {reference} cancelled – {hotel}"),
                format!("Dear {},\n\nyour booking {reference} ({stay}) has been cancelled {why}.\n\n{refund}\n", booking.contact().name()),
                format!("{hotel}: booking {reference} cancelled. {refund}"),
            )
        }
    };
    let contact = booking.contact();
    let message = |suffix: &str, channel: Channel, body: String| OutboundMessage {
        dedup_key: format!("{}/{suffix}", event.id),
        event_id: event.id.clone(),
        reference: reference.clone(),
        channel,
        body,
    };
    let mut out = Vec::new();
    if contact.wants_email() {
        out.push(message("email", Channel::Email { to: contact.email().to_owned(), subject: subject.clone() }, body));
    }
    if let (true, Some(phone)) = (contact.wants_sms(), contact.phone()) {
        out.push(message("sms", Channel::Sms { to: phone.to_owned() }, sms));
    }
    if let Some(staff) = staff {
        out.push(message("staff", Channel::Staff { subject }, staff));
    }
    out
}
