//! Local mode must survive a restart: what was written is there after reopening.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;

use booking_domain::BookingRef;
use booking_embedded::{EmbeddedStore, FileOutbox};
use booking_ports::{BookingReader, BookingWriter, Channel, Notifier, OutboundMessage};
use booking_store_contract::{held, t0};
use booking_test_support::ManualClock;

#[tokio::test]
async fn bookings_and_counters_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let booking = held(1, "g1", "classic-double", "2030-02-01", "2030-02-03", 2);
    {
        let store = EmbeddedStore::open(&path).unwrap();
        store.place_hold(&booking, 10).await.unwrap();
    }
    let store = EmbeddedStore::open(&path).unwrap();
    assert_eq!(store.get_booking(booking.reference()).await.unwrap(), Some(booking.clone()));
    let counts = store.night_counts(&booking.quote().request.room_type, &["2030-02-01".parse().unwrap()], 10).await.unwrap();
    assert_eq!(counts[0].taken, 2);
}

#[tokio::test]
async fn outbox_refuses_repeats_even_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.jsonl");
    let clock = Arc::new(ManualClock::new(t0()));
    let reference = BookingRef::from_entropy(1);
    let message = OutboundMessage {
        dedup_key: format!("{reference}#v2/email"),
        event_id: format!("{reference}#v2"),
        reference,
        channel: Channel::Email { to: "guest@example.com".into(), subject: "Confirmed".into() },
        body: "See you soon".into(),
    };
    {
        let outbox = FileOutbox::open(&path, clock.clone()).unwrap();
        outbox.send(&message).await.unwrap();
        outbox.send(&message).await.unwrap();
    }
    let outbox = FileOutbox::open(&path, clock).unwrap();
    outbox.send(&message).await.unwrap();
    let sent = FileOutbox::read(&path).unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message, message);
}

#[tokio::test]
async fn the_bounce_switch_bounces_exactly_the_next_email_as_ses_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.jsonl");
    let outbox = FileOutbox::open(&path, Arc::new(ManualClock::new(t0()))).unwrap();
    let reference = BookingRef::from_entropy(7);
    let message = |key: &str, channel: Channel| OutboundMessage {
        dedup_key: format!("{reference}#v2/{key}"),
        event_id: format!("{reference}#v2"),
        reference: reference.clone(),
        channel,
        body: "Confirmed".into(),
    };
    let sms = message("sms", Channel::Sms { to: "+14155550100".into() });
    let email = message("email", Channel::Email { to: "ada@example.com".into(), subject: "Confirmed".into() });
    std::fs::write(FileOutbox::bounce_switch(&path), b"").unwrap();
    outbox.send(&sms).await.unwrap();
    assert!(FileOutbox::read_feedback(&path).unwrap().is_empty(), "an SMS does not take the switch");
    outbox.send(&email).await.unwrap();
    let feedback = FileOutbox::read_feedback(&path).unwrap();
    assert_eq!(feedback.len(), 1);
    assert_eq!(feedback[0]["eventType"], "Bounce");
    assert_eq!(feedback[0]["bounce"]["bounceType"], "Permanent");
    assert_eq!(feedback[0]["bounce"]["bouncedRecipients"][0]["emailAddress"], "ada@example.com");
    assert_eq!(feedback[0]["mail"]["tags"]["booking"][0], reference.as_str());
    assert_eq!(feedback[0]["mail"]["tags"]["event"][0], format!("{reference}_v2"));
    assert!(!FileOutbox::bounce_switch(&path).exists(), "the switch is spent");
    // The email was still accepted (SES accepts, then the receiving server bounces).
    assert_eq!(FileOutbox::read(&path).unwrap().len(), 2);
    let next = message("email2", Channel::Email { to: "grace@example.com".into(), subject: "Confirmed".into() });
    outbox.send(&next).await.unwrap();
    assert_eq!(FileOutbox::read_feedback(&path).unwrap().len(), 1, "only one email bounces per switch");
}
