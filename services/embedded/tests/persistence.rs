//! Local mode must survive a restart: what was written is there after reopening.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;

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
    let message = OutboundMessage {
        dedup_key: "HB-0000-0001#v2/email".into(),
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
