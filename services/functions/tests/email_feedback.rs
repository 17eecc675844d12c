//! The bounce path, end to end inside `notify`: a confirmation goes out, SES reports a permanent bounce in its
//! documented event-publishing shape on the feedback topic's SNS event (moto implements no configuration-set event
//! destinations, so the notification is fed as SES would publish it), and the booking's email channel shows the
//! failure, the address is never mailed again, and the next message records why it was not sent.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use booking_app::NotifyPorts;
use booking_domain::{Action, Booking, BookingRef, CancellationReason, ContactPreference, DEMO_CATALOG_JSON, GuestContact, Hotel};
use booking_embedded::EmbeddedStore;
use booking_functions::feedback::{NotReported, delivery_report};
use booking_functions::notify::Notify;
use booking_local_aws::stream_record;
use booking_ports::*;
use booking_store_contract::{held, held_reaching, t0};
use booking_test_support::{FaultyNotifier, ManualClock};
use emf::{Config, Emitter, Memory};
use serde_json::Value;

fn bounce_notification(reference: &str, event_id: &str) -> String {
    include_str!("fixtures/ses-bounce.json").replace("{REFERENCE}", reference).replace("{EVENT}", &event_id.replace('#', "_"))
}

fn sns_event(message: &str) -> Value {
    let mut envelope: Value = serde_json::from_str(include_str!("fixtures/sns-envelope.json")).unwrap();
    envelope["Records"][0]["Sns"]["Message"] = Value::String(message.to_owned());
    envelope
}

async fn confirmed(store: &EmbeddedStore, n: u64) -> (Booking, BookingEvent) {
    let b = held(n, "g", "classic-double", "2030-02-01", "2030-02-02", 1);
    store.place_hold(&b, 10).await.unwrap();
    let (next, effect) = b.apply(Action::Confirm, t0()).unwrap();
    let event = BookingEvent::new(b.reference(), next.version(), EventKind::BookingConfirmed { charged: b.quote().total }, t0());
    store.transition(Transition { previous: &b, next: &next, effect, capacity: 10, event: Some(&event) }).await.unwrap();
    (next, event)
}

/// These tests are about delivery states; what notify emits is `notify_stream`'s subject.
fn no_metrics() -> Arc<Emitter> {
    Arc::new(Emitter::new(Config::Disabled, booking_metrics::BUILTINS, Arc::new(Memory::new())))
}

fn ports(store: Arc<EmbeddedStore>, notifier: Arc<dyn Notifier>) -> NotifyPorts {
    NotifyPorts {
        hotel: Arc::new(Hotel::from_json(DEMO_CATALOG_JSON).unwrap()),
        bookings: store.clone(),
        idempotency: store.clone(),
        notifier,
        deliveries: store,
        clock: Arc::new(ManualClock::new(t0())),
    }
}

fn stream_batch(event: &BookingEvent) -> Value {
    let mut batch = aws_lambda_events::event::dynamodb::Event::default();
    batch.records = vec![stream_record(event, 1).unwrap()];
    serde_json::to_value(batch).unwrap()
}

#[tokio::test]
async fn a_bounce_fails_the_channel_and_the_address_is_never_mailed_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
    let notifier = Arc::new(FaultyNotifier::default());
    let notify = Notify::new(ports(store.clone(), notifier.clone()), no_metrics());
    let (booking, confirmation) = confirmed(&store, 1).await;
    let reference = booking.reference().clone();

    // The stream invokes notify: the email and the staff event go out; the email is recorded as sent.
    let response = notify.handle_any(stream_batch(&confirmation)).await.unwrap();
    assert_eq!(response["batchItemFailures"], serde_json::json!([]));
    let channels: Vec<String> = notifier.accepted().iter().map(|m| format!("{:?}", m.channel)).collect();
    assert_eq!(channels, ["Email", "Staff"]);
    let email_sent =
        ChannelDelivery { channel: GuestChannel::Email, event_id: confirmation.id.clone(), state: DeliveryState::Sent, at: t0() };
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![email_sent]);

    // SES reports a permanent bounce through the feedback topic.
    let bounce = bounce_notification(reference.as_str(), &confirmation.id);
    assert_eq!(notify.handle_any(sns_event(&bounce)).await.unwrap(), Value::Null);
    let bounced_at = "2030-01-01T10:05:02.669Z".parse().unwrap();
    let bounced = ChannelDelivery {
        channel: GuestChannel::Email,
        event_id: confirmation.id.clone(),
        state: DeliveryState::Failed(FailureReason::Bounced),
        at: bounced_at,
    };
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![bounced.clone()]);
    assert!(store.is_undeliverable("guest@example.com").await.unwrap(), "the bounced address, whatever its case");
    // SNS redelivers (at least once) and the stream retries: neither undoes the bounce.
    notify.handle_any(sns_event(&bounce)).await.unwrap();
    notify.handle_any(stream_batch(&confirmation)).await.unwrap();
    assert_eq!(store.deliveries(&reference).await.unwrap(), vec![bounced]);
    assert_eq!(notifier.accepted().len(), 2, "nothing sent twice");

    // The guest cancels: the email is not attempted, and the channel says why; the staff still hear of it.
    let (cancelled, effect) = booking.apply(Action::Cancel, t0()).unwrap();
    let total = booking.quote().total;
    let cancellation = BookingEvent::new(
        &reference,
        cancelled.version(),
        EventKind::BookingCancelled { reason: CancellationReason::ByGuest, charged: total, refunded: total },
        t0(),
    );
    let change = Transition { previous: &booking, next: &cancelled, effect, capacity: 10, event: Some(&cancellation) };
    store.transition(change).await.unwrap();
    notify.handle_any(stream_batch(&cancellation)).await.unwrap();
    let accepted = notifier.accepted();
    assert_eq!(accepted.len(), 3);
    assert!(matches!(accepted[2].channel, Channel::Staff { .. }), "only the staff event went out");
    let deliveries = store.deliveries(&reference).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        (deliveries[0].event_id.as_str(), deliveries[0].state),
        (cancellation.id.as_str(), DeliveryState::Failed(FailureReason::AddressUndeliverable))
    );
}

/// Refuses SMS for good (a number the carrier rejects), accepts the rest.
struct RefusesSms;

#[async_trait]
impl Notifier for RefusesSms {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        match message.channel {
            Channel::Sms { .. } => Err(NotifyError::Rejected("invalid parameter: PhoneNumber".into())),
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn a_refused_message_is_recorded_as_failed_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
    let notify = Notify::new(ports(store.clone(), Arc::new(RefusesSms)), no_metrics());
    let contact = GuestContact::new("Ada", "ada@example.com", Some("+14155550100"), ContactPreference::Both).unwrap();
    let b = held_reaching(2, "g", "classic-double", "2030-02-01", "2030-02-02", 1, contact);
    store.place_hold(&b, 10).await.unwrap();
    let (next, effect) = b.apply(Action::Confirm, t0()).unwrap();
    let event = BookingEvent::new(b.reference(), next.version(), EventKind::BookingConfirmed { charged: b.quote().total }, t0());
    store.transition(Transition { previous: &b, next: &next, effect, capacity: 10, event: Some(&event) }).await.unwrap();

    let response = notify.handle_any(stream_batch(&event)).await.unwrap();
    assert_eq!(response["batchItemFailures"], serde_json::json!([]), "a final refusal does not block the stream");
    let states: Vec<(GuestChannel, DeliveryState)> =
        store.deliveries(b.reference()).await.unwrap().iter().map(|d| (d.channel, d.state)).collect();
    assert_eq!(states, [(GuestChannel::Email, DeliveryState::Sent), (GuestChannel::Sms, DeliveryState::Failed(FailureReason::Rejected))]);
}

#[test]
fn ses_notifications_become_reports_or_say_why_not() {
    let reference = BookingRef::from_entropy(9);
    let event_id = format!("{reference}#v2");
    let bounce = bounce_notification(reference.as_str(), &event_id);
    let report = delivery_report(&bounce).unwrap();
    assert_eq!(
        (report.reference.clone(), report.channel, report.event_id.as_str(), report.state, report.undeliverable.clone()),
        (
            reference.clone(),
            GuestChannel::Email,
            event_id.as_str(),
            DeliveryState::Failed(FailureReason::Bounced),
            vec!["Guest@Example.com".to_owned()]
        )
    );
    let mut doc: Value = serde_json::from_str(&bounce).unwrap();
    // A transient bounce failed this message only: the address stays usable.
    doc["bounce"]["bounceType"] = "Transient".into();
    let transient = delivery_report(&doc.to_string()).unwrap();
    assert_eq!((transient.state, transient.undeliverable.len()), (DeliveryState::Failed(FailureReason::Bounced), 0));
    // A complaint: failed, and the address is never mailed again.
    let mut complaint = doc.clone();
    complaint["eventType"] = "Complaint".into();
    complaint["complaint"] = serde_json::json!({"complainedRecipients": [{"emailAddress": "guest@example.com"}], "timestamp": "2030-01-01T11:00:00Z", "feedbackId": "x"});
    let report = delivery_report(&complaint.to_string()).unwrap();
    assert_eq!(
        (report.state, report.undeliverable),
        (DeliveryState::Failed(FailureReason::Complained), vec!["guest@example.com".to_owned()])
    );
    // A delivery.
    let mut delivered = doc.clone();
    delivered["eventType"] = "Delivery".into();
    delivered["delivery"] =
        serde_json::json!({"timestamp": "2030-01-01T10:05:01Z", "recipients": ["guest@example.com"], "processingTimeMillis": 100});
    assert_eq!(delivery_report(&delivered.to_string()).unwrap().state, DeliveryState::Delivered);
    // What reports nothing, and says why.
    let mut open = doc.clone();
    open["eventType"] = "Open".into();
    assert_eq!(delivery_report(&open.to_string()), Err(NotReported::Ignored("Open".into())));
    let mut untagged = doc.clone();
    untagged["mail"]["tags"] = serde_json::json!({"ses:configuration-set": ["harbour-prod-guest-mail"]});
    assert_eq!(delivery_report(&untagged.to_string()), Err(NotReported::Untagged), "e.g. Cognito's mail through the same identity");
    let mut foreign = doc;
    foreign["mail"]["tags"]["event"] = serde_json::json!([format!("{}_v2", BookingRef::from_entropy(10))]);
    assert!(matches!(delivery_report(&foreign.to_string()), Err(NotReported::Unreadable(_))), "an event of another booking");
    assert!(matches!(delivery_report("not json"), Err(NotReported::Unreadable(_))));
}

/// The operator's count: a bounce report is `NotificationBounced` on its channel (and per service), with the
/// booking as a property, through the Lambda's one handler as it is invoked by the feedback topic.
#[tokio::test]
async fn a_bounce_is_counted_for_the_operator_per_channel() {
    use lambda_runtime::LambdaEvent;
    use tower::ServiceExt;

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
    let (booking, confirmation) = confirmed(&store, 3).await;
    let (sink, emitter) = support::recording_notify_emitter();
    let notify = Arc::new(Notify::new(ports(store.clone(), Arc::new(FaultyNotifier::default())), emitter));
    notify.handle_any(stream_batch(&confirmation)).await.unwrap();
    sink.take();

    let bounce = bounce_notification(booking.reference().as_str(), &confirmation.id);
    let mut context = lambda_runtime::Context::default();
    context.request_id = "feedback-1".into();
    let answer = Arc::clone(&notify).lambda_service().oneshot(LambdaEvent::new(sns_event(&bounce), context)).await.unwrap();
    assert_eq!(answer, Value::Null);
    let documents = sink.take();
    insta::assert_json_snapshot!("email_feedback_emf_bounce", booking_test_support::emf::normalised(&documents));
    let text = serde_json::to_string(&documents).unwrap();
    assert!(text.contains("NotificationBounced") && text.contains(booking.reference().as_str()), "{text}");
}
