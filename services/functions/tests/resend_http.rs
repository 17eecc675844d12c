//! `POST /api/bookings/{ref}/confirmation` through the payment function's handler, as API Gateway invokes it (a
//! REST proxy event with the authorizer's claims), on a store scoped to what the function declares: 202 `sent`,
//! 202 `already_sent` with the same body in the same hour, 404 for another guest's booking, 409 for one not
//! confirmed, and 429 with `Retry-After` and the documented error shape past the day's limit.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;

use async_trait::async_trait;
use booking_app::{MoneyPorts, SettlePorts};
use booking_domain::{Action, Booking, DEMO_CATALOG_JSON, Hotel, InventoryEffect, Money};
use booking_embedded::EmbeddedStore;
use booking_functions::functions::PAYMENT;
use booking_functions::payment::Payment;
use booking_functions::scope::ScopedStore;
use booking_ports::*;
use booking_store_contract::{held, t0};
use booking_test_support::ManualClock;
use chrono::{DateTime, Utc};
use emf::{Config, Emitter, Memory};
use serde_json::{Value, json};

/// The re-send never touches the payment provider.
struct NoPayments;

#[async_trait]
impl PaymentGateway for NoPayments {
    async fn create_intent(&self, _: &CreateIntent) -> Result<PaymentIntent, PaymentError> {
        Err(PaymentError::Unavailable("not in this test".into()))
    }
    async fn retrieve(&self, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(PaymentError::Unavailable("not in this test".into()))
    }
    async fn capture(&self, _: &str, _: Money, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(PaymentError::Unavailable("not in this test".into()))
    }
    async fn cancel(&self, _: &str, _: &str) -> Result<PaymentIntent, PaymentError> {
        Err(PaymentError::Unavailable("not in this test".into()))
    }
    async fn refund(&self, _: &str, _: Money, _: &str) -> Result<Refund, PaymentError> {
        Err(PaymentError::Unavailable("not in this test".into()))
    }
}

/// A confirmed booking of `g1` whose money is settled, and a held one.
async fn bookings(store: &EmbeddedStore) -> (Booking, Booking) {
    let b = held(1, "g1", "classic-double", "2030-02-01", "2030-02-03", 1);
    store.place_hold(&b, 10).await.unwrap();
    let (confirmed, effect) = b.apply(Action::Confirm, t0()).unwrap();
    store.transition(Transition { previous: &b, next: &confirmed, effect, capacity: 10, event: None }).await.unwrap();
    let settled = confirmed.settled(b.quote().total, Money::new(0, b.quote().total.currency()), t0());
    store
        .transition(Transition { previous: &confirmed, next: &settled, effect: InventoryEffect::None, capacity: 10, event: None })
        .await
        .unwrap();
    let h = held(2, "g1", "classic-double", "2030-02-01", "2030-02-03", 1);
    store.place_hold(&h, 10).await.unwrap();
    (settled, h)
}

fn request(reference: &str, sub: &str) -> lambda_http::Request {
    let event = json!({
        "resource": "/api/bookings/{ref}/confirmation",
        "path": format!("/api/bookings/{reference}/confirmation"),
        "httpMethod": "POST",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": { "ref": reference },
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000", "apiId": "test", "resourceId": "test", "stage": "live",
            "requestId": "req-resend", "httpMethod": "POST", "resourcePath": "/api/bookings/{ref}/confirmation",
            "path": format!("/api/bookings/{reference}/confirmation"), "protocol": "HTTP/1.1",
            "identity": { "sourceIp": "127.0.0.1" },
            "authorizer": { "claims": { "sub": sub, "token_use": "id" } }
        },
        "body": null,
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

async fn post(payment: &Payment, clock: &ManualClock, at: &str, reference: &str, sub: &str) -> Answer {
    clock.set(at.parse::<DateTime<Utc>>().unwrap());
    let response = payment.handle(request(reference, sub)).await;
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let body = match response.body() {
        lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("not a JSON body: {other:?}"),
    };
    Answer { status: response.status().as_u16(), retry_after, body }
}

#[tokio::test]
async fn resend_over_http_answers_sent_then_the_same_then_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
    let (confirmed, held) = bookings(&store).await;
    let clock = Arc::new(ManualClock::new(t0()));
    // Scoped as the payment Lambda is: a store call the function does not declare is refused, as IAM would.
    let scoped = Arc::new(ScopedStore::new(store.clone(), &PAYMENT));
    let settle = SettlePorts {
        hotel: Arc::new(Hotel::from_json(DEMO_CATALOG_JSON).unwrap()),
        bookings: scoped.clone(),
        changes: scoped.clone(),
        payments: Arc::new(NoPayments),
        clock: clock.clone(),
    };
    let emitter = Arc::new(Emitter::new(Config::Disabled, booking_metrics::BUILTINS, Arc::new(Memory::new())));
    let payment = Payment::new(MoneyPorts { settle, idempotency: scoped }, emitter);
    let reference = confirmed.reference().as_str();

    let first = post(&payment, &clock, "2030-01-01T10:20:00Z", reference, "g1").await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(
        first.body,
        json!({"reference": reference, "status": "sent", "event_id": format!("{reference}#resend-2030010110"), "hour": "2030-01-01T10:00:00Z"})
    );
    let again = post(&payment, &clock, "2030-01-01T10:50:00Z", reference, "g1").await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["status"], "already_sent");
    assert_eq!((&again.body["event_id"], &again.body["hour"]), (&first.body["event_id"], &first.body["hour"]), "the same result");

    let stranger = post(&payment, &clock, "2030-01-01T10:50:00Z", reference, "g2").await;
    assert_eq!((stranger.status, stranger.body["error"]["code"].as_str()), (404, Some("booking_not_found")));
    let not_confirmed = post(&payment, &clock, "2030-01-01T10:50:00Z", held.reference().as_str(), "g1").await;
    assert_eq!((not_confirmed.status, not_confirmed.body["error"]["code"].as_str()), (409, Some("booking_not_confirmed")));

    for at in ["2030-01-01T11:00:00Z", "2030-01-01T12:00:00Z"] {
        assert_eq!(post(&payment, &clock, at, reference, "g1").await.status, 202, "{at}");
    }
    let limited = post(&payment, &clock, "2030-01-01T22:30:00Z", reference, "g1").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.retry_after.as_deref(), Some("5400"), "until midnight UTC");
    assert_eq!(limited.body["error"]["code"], "resend_limit_reached");
    assert_eq!(limited.body["error"]["request_id"], "req-resend");
    assert!(limited.body["error"]["message"].as_str().unwrap().contains("3 times today"));
    assert_eq!(first.retry_after, None);

    // Three re-sends in the outbox, nothing from the refused or repeated requests.
    let events: Vec<String> = store.pending_events(100).await.unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(events.len(), 3, "{events:?}");
}
