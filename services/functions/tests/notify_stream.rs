//! The notify function over DynamoDB stream batches: outbox inserts are delivered, anything else skipped, and a
//! failure reports its sequence number so Lambda retries from there.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use aws_lambda_events::event::dynamodb::Event;
use booking_app::NotifyPorts;
use booking_domain::{Action, DEMO_CATALOG_JSON, Hotel};
use booking_embedded::EmbeddedStore;
use booking_functions::notify::{Notify, outbox_event};
use booking_local_aws::stream_record;
use booking_ports::*;
use booking_store_contract::{held, t0};
use booking_test_support::ManualClock;
use lambda_runtime::LambdaEvent;
use tower::ServiceExt;

/// Fails every send after the first `ok` ones.
struct FlakyNotifier {
    ok: usize,
    sent: AtomicUsize,
}

#[async_trait]
impl Notifier for FlakyNotifier {
    async fn send(&self, _: &OutboundMessage) -> Result<(), NotifyError> {
        if self.sent.fetch_add(1, Ordering::SeqCst) < self.ok { Ok(()) } else { Err(NotifyError::Unavailable("SNS throttled".into())) }
    }
}

#[tokio::test]
async fn delivers_outbox_inserts_and_reports_the_first_failure() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
    let mut events = Vec::new();
    for n in 0..3 {
        let b = held(n + 1, "g", "classic-double", "2030-02-01", "2030-02-02", 1);
        store.place_hold(&b, 10).await.unwrap();
        let (next, effect) = b.apply(Action::Confirm, t0()).unwrap();
        let event = BookingEvent::new(b.reference(), next.version(), EventKind::BookingConfirmed { charged: b.quote().total }, t0());
        store.transition(Transition { previous: &b, next: &next, effect, capacity: 10, event: Some(&event) }).await.unwrap();
        events.push(event);
    }
    // Each event is an email and a staff event: the third send (the second event's email) fails.
    let notifier = Arc::new(FlakyNotifier { ok: 2, sent: AtomicUsize::new(0) });
    let ports = NotifyPorts {
        hotel: Arc::new(Hotel::from_json(DEMO_CATALOG_JSON).unwrap()),
        bookings: store.clone(),
        idempotency: store.clone(),
        notifier: notifier.clone(),
        deliveries: store,
        clock: Arc::new(ManualClock::new(t0())),
    };
    let mut batch = Event::default();
    let mut modify = stream_record(&events[0], 1).unwrap();
    modify.event_name = "MODIFY".into();
    batch.records =
        vec![modify, stream_record(&events[0], 2).unwrap(), stream_record(&events[1], 3).unwrap(), stream_record(&events[2], 4).unwrap()];
    assert_eq!(outbox_event(&batch.records[1]).as_ref(), Some(&events[0]), "the wire format round-trips");
    assert_eq!(outbox_event(&batch.records[0]), None, "non-inserts are skipped");

    let (sink, emitter) = support::recording_notify_emitter();
    let invoke = |notify: Notify, batch: Event| async move {
        let context = {
            let mut c = lambda_runtime::Context::default();
            c.request_id = "stream-batch-1".into();
            c
        };
        Arc::new(notify).service().oneshot(LambdaEvent::new(batch, context)).await.unwrap()
    };
    let response = invoke(Notify::new(ports.clone(), Arc::clone(&emitter)), batch.clone()).await;
    // One message handed to the provider, one refused, both on the email channel; as EMF documents.
    let documents = sink.take();
    insta::assert_json_snapshot!("notify_emf_with_a_failing_provider", booking_test_support::emf::normalised(&documents));
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone().unwrap()).collect();
    assert_eq!(failed, ["3"], "stops at the first failure and reports its sequence number");
    assert_eq!(notifier.sent.load(Ordering::SeqCst), 3);

    // Lambda retries the batch: the delivered one is not sent again.
    let retry = FlakyNotifier { ok: usize::MAX, sent: AtomicUsize::new(0) };
    let retry = Arc::new(retry);
    let response = invoke(Notify::new(NotifyPorts { notifier: retry.clone(), ..ports }, emitter), batch).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(retry.sent.load(Ordering::SeqCst), 4, "only the two undelivered events' messages are sent");
}
