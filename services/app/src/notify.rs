use booking_domain::{Booking, CancellationReason, Hotel};
use booking_ports::{BookingEvent, Channel, EventKind, OutboundMessage};

use crate::idempotency::{Retention, once};
use crate::{AppError, NotifyPorts};

/// Sends what `event` means to the guest, by the channels they chose, each message at most once (keyed by event id
/// and channel). Returns how many messages went out now (replays send nothing).
pub async fn deliver_event(svc: &NotifyPorts, event: &BookingEvent) -> Result<usize, AppError> {
    let Some(booking) = svc.bookings.get_booking(&event.reference).await? else {
        tracing::warn!(reference = %event.reference, "event for an unknown booking; nothing to send");
        return Ok(0);
    };
    let mut sent = 0;
    for message in compose_messages(&svc.hotel, &booking, event) {
        let key = format!("notify:{}", message.dedup_key);
        let result = once(svc.idempotency.as_ref(), svc.clock.as_ref(), &key, &message.dedup_key, Retention::Notification, || async {
            let sent = svc.notifier.send(&message).await;
            crate::metrics::notification(&message.channel, sent.is_ok());
            sent?;
            Ok(true)
        })
        .await?;
        if matches!(result, crate::idempotency::Replayed::First(_)) {
            sent += 1;
        }
    }
    tracing::info!(event = %event.id, sent, "notifications delivered");
    Ok(sent)
}

/// The emails/SMS for an event. Plain text: they must read well in any client and in an SMS.
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
    let (subject, body, sms) = match &event.kind {
        EventKind::BookingConfirmed { charged } => (
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
    let mut out = Vec::new();
    if contact.wants_email() {
        out.push(OutboundMessage {
            dedup_key: format!("{}/email", event.id),
            channel: Channel::Email { to: contact.email().to_owned(), subject },
            body,
        });
    }
    if let (true, Some(phone)) = (contact.wants_sms(), contact.phone()) {
        out.push(OutboundMessage { dedup_key: format!("{}/sms", event.id), channel: Channel::Sms { to: phone.to_owned() }, body: sms });
    }
    out
}
