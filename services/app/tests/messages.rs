//! What the guest reads (the rendered email and SMS for each event) and what the front desk reads (the staff's
//! booking event), pinned as snapshots so a wording change is a reviewed change.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use booking_app::compose_messages;
use booking_domain::*;
use booking_ports::*;

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

/// The messages for `kind`, about a confirmed booking that was (or not) then cancelled by the guest.
fn render(kind: EventKind, cancelled_by_guest: bool) -> String {
    let hotel = Hotel::from_json(DEMO_CATALOG_JSON).unwrap();
    let now: chrono::DateTime<chrono::Utc> = "2030-01-01T10:00:00Z".parse().unwrap();
    let request = StayRequest {
        room_type: RoomTypeId::parse("deluxe-king").unwrap(),
        stay: StayDates::new("2030-03-01".parse().unwrap(), "2030-03-04".parse().unwrap()).unwrap(),
        guests: 2,
        rooms: 1,
    };
    let held = Booking::hold(NewBooking {
        reference: BookingRef::parse("HB-7K3M-Q9XR").unwrap(),
        guest: GuestId::new("guest-1").unwrap(),
        contact: GuestContact::new("Ada Lovelace", "ada@example.com", Some("+14155550100"), ContactPreference::Both).unwrap(),
        quote: quote(&hotel, &request, now.date_naive()).unwrap(),
        now,
        hold_minutes: 15,
    });
    let (confirmed, _) = held.apply(Action::Confirm, now).unwrap();
    let booking = if cancelled_by_guest {
        let preview = hotel.cancellation().preview(&hotel, confirmed.quote(), now).unwrap();
        confirmed.cancel_by_guest(&preview, now).unwrap().0
    } else {
        confirmed
    };
    let event = BookingEvent::new(booking.reference(), booking.version(), kind, now);
    compose_messages(&hotel, &booking, &event)
        .iter()
        .map(|m| match &m.channel {
            Channel::Email { to, subject } => format!("EMAIL to {to} [{}]\nSubject: {subject}\n\n{}", m.dedup_key, m.body),
            Channel::Sms { to } => format!("SMS to {to} [{}]\n{} ({} chars)", m.dedup_key, m.body, m.body.chars().count()),
            Channel::Staff { subject } => format!("STAFF [{}]\nSubject: {subject}\n\n{}", m.dedup_key, m.body),
        })
        .collect::<Vec<_>>()
        .join("\n----\n")
}

#[test]
fn confirmation() {
    insta::assert_snapshot!(render(EventKind::BookingConfirmed { charged: eur(67_500) }, false));
}

#[test]
fn cancellation_by_the_guest_with_a_full_refund() {
    let kind = EventKind::BookingCancelled { reason: CancellationReason::ByGuest, charged: eur(67_500), refunded: eur(67_500) };
    insta::assert_snapshot!(render(kind, true));
}

#[test]
fn cancellation_by_the_guest_keeping_the_first_night() {
    let kind = EventKind::BookingCancelled { reason: CancellationReason::ByGuest, charged: eur(67_500), refunded: eur(45_000) };
    insta::assert_snapshot!(render(kind, true));
}

#[test]
fn cancellation_by_the_guest_before_the_capture_keeping_only_the_penalty() {
    let kind = EventKind::BookingCancelled { reason: CancellationReason::ByGuest, charged: eur(22_500), refunded: eur(0) };
    insta::assert_snapshot!(render(kind, true));
}

#[test]
fn cancellation_after_a_late_payment() {
    let kind = EventKind::BookingCancelled { reason: CancellationReason::SoldOutAfterHoldExpired, charged: eur(0), refunded: eur(0) };
    insta::assert_snapshot!(render(kind, false));
}

#[test]
fn cancellation_after_the_payment_could_not_be_completed() {
    let kind = EventKind::BookingCancelled { reason: CancellationReason::PaymentNotCompleted, charged: eur(0), refunded: eur(0) };
    insta::assert_snapshot!(render(kind, false));
}
