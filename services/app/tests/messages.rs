//! What the guest reads: the rendered email and SMS for each event, pinned as snapshots so a wording change is a
//! reviewed change.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;

use async_trait::async_trait;
use booking_app::{Services, compose_messages};
use booking_domain::*;
use booking_embedded::EmbeddedStore;
use booking_ports::*;

struct Unused;

#[async_trait]
impl PaymentGateway for Unused {
    async fn create_intent(&self, _: &CreateIntent) -> Result<PaymentIntent, PaymentError> {
        Err(PaymentError::Rejected("unused".into()))
    }
    async fn retrieve(&self, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(PaymentError::Rejected("unused".into()))
    }
    async fn capture(&self, _: &str, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(PaymentError::Rejected("unused".into()))
    }
    async fn cancel(&self, _: &str, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(PaymentError::Rejected("unused".into()))
    }
    async fn refund(&self, _: &str, _: Money, _: &str) -> Result<Refund, PaymentError> {
        Err(PaymentError::Rejected("unused".into()))
    }
}

#[async_trait]
impl Notifier for Unused {
    async fn send(&self, _: &OutboundMessage) -> Result<(), NotifyError> {
        Ok(())
    }
}

fn render(kind: EventKind, refund: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let hotel = Hotel::from_json(DEMO_CATALOG_JSON).unwrap();
    let now: chrono::DateTime<chrono::Utc> = "2030-01-01T10:00:00Z".parse().unwrap();
    let svc = Services {
        hotel: Arc::new(hotel.clone()),
        store: Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap()),
        payments: Arc::new(Unused),
        notifier: Arc::new(Unused),
        clock: Arc::new(ManualClock::new(now)),
    };
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
    let booking = if refund {
        let preview = hotel.cancellation().preview(&hotel, confirmed.quote(), now).unwrap();
        confirmed.cancel(&preview, now).unwrap().0
    } else {
        confirmed
    };
    let event = BookingEvent::new(booking.reference(), booking.version(), kind, now);
    compose_messages(&svc, &booking, &event)
        .iter()
        .map(|m| match &m.channel {
            Channel::Email { to, subject } => format!("EMAIL to {to} [{}]\nSubject: {subject}\n\n{}", m.dedup_key, m.body),
            Channel::Sms { to } => format!("SMS to {to} [{}]\n{} ({} chars)", m.dedup_key, m.body, m.body.chars().count()),
        })
        .collect::<Vec<_>>()
        .join("\n----\n")
}

#[test]
fn confirmation() {
    insta::assert_snapshot!(render(EventKind::BookingConfirmed, false));
}

#[test]
fn cancellation_by_the_guest_with_refund() {
    insta::assert_snapshot!(render(EventKind::BookingCancelled { reason: "cancelled_by_guest".into() }, true));
}

#[test]
fn cancellation_after_a_late_payment() {
    insta::assert_snapshot!(render(EventKind::BookingCancelled { reason: "rooms_sold_out_after_hold_expired".into() }, false));
}

#[test]
fn cancellation_after_a_failed_capture() {
    insta::assert_snapshot!(render(EventKind::BookingCancelled { reason: "payment_capture_failed".into() }, false));
}
