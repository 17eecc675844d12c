//! The local server driven by the real `StripeGateway` (async-stripe) and by browser-style requests, end to end
//! over TCP, with a webhook receiver checking signatures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::http::StatusCode;
use booking_domain::{Currency, Money};
use booking_ports::{PaymentError, PaymentGateway, PaymentStatus};
use stripe::StripeRequest;
use support::{PUBLISHABLE_KEY, SECRET_KEY, Server, booking_ref, create_request, gateway_with_key, spawn_receiver};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

#[tokio::test]
async fn manual_capture_with_browser_confirmation_refund_and_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    // The receiver refuses the first delivery: Stripe-style retries must still get every event through, in order.
    let (webhook_url, received) = spawn_receiver(1).await;
    let server = Server::start(dir.path(), &webhook_url).await;
    let gateway = server.gateway();
    let reference = booking_ref();

    let intent = gateway.create_intent(&create_request(&reference, 24_500, "hold-1")).await.unwrap();
    assert_eq!(intent.status, PaymentStatus::RequiresPaymentMethod);
    assert_eq!(intent.amount, eur(24_500));
    assert_eq!(intent.reference.as_deref(), Some(reference.as_str()));
    assert!(intent.id.starts_with("pi_") && intent.client_secret.starts_with(&format!("{}_secret_", intent.id)));

    let (status, body) = server.browser_confirm(&intent, "4242 4242 4242 4242").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "requires_capture");

    let authorized = gateway.retrieve(&intent.id).await.unwrap();
    assert_eq!((authorized.status, authorized.amount_capturable), (PaymentStatus::RequiresCapture, 24_500));

    let captured = gateway.capture(&intent.id, eur(24_500), "capture-1").await.unwrap();
    assert_eq!((captured.status, captured.amount_capturable, captured.amount_received), (PaymentStatus::Succeeded, 0, 24_500));
    // The same key replays the stored answer; a new key asks again and is refused by the status machine.
    assert_eq!(gateway.capture(&intent.id, eur(24_500), "capture-1").await.unwrap(), captured);
    assert!(matches!(gateway.capture(&intent.id, eur(24_500), "capture-2").await, Err(PaymentError::InvalidState(_))));
    assert!(matches!(gateway.cancel(&intent.id, "cancel-1").await, Err(PaymentError::InvalidState(_))));

    let refund = gateway.refund(&intent.id, eur(5_000), "refund-1").await.unwrap();
    assert!(refund.id.starts_with("re_"));
    assert_eq!((refund.amount, refund.status.as_str()), (eur(5_000), "succeeded"));
    assert_eq!(gateway.refund(&intent.id, eur(5_000), "refund-1").await.unwrap(), refund);
    let too_much = gateway.refund(&intent.id, eur(19_501), "refund-2").await;
    assert!(matches!(too_much, Err(PaymentError::Rejected(ref m)) if m.contains("amount_too_large")), "{too_much:?}");
    let wrong_currency = gateway.refund(&intent.id, Money::new(100, Currency::USD), "refund-3").await;
    assert!(matches!(wrong_currency, Err(PaymentError::Rejected(_))), "{wrong_currency:?}");
    gateway.refund(&intent.id, eur(19_500), "refund-4").await.unwrap();
    // What was refunded is read from the expanded latest charge, as from real Stripe.
    let refunded = gateway.retrieve(&intent.id).await.unwrap();
    assert_eq!((refunded.status, refunded.amount_received, refunded.amount_refunded), (PaymentStatus::Succeeded, 24_500, 24_500));

    server.drain().await;
    assert_eq!(
        received.types_for(&intent.id),
        [
            "payment_intent.created",
            "payment_intent.amount_capturable_updated",
            "payment_intent.succeeded",
            "charge.refunded",
            "refund.created",
            "charge.refunded",
            "refund.created",
        ]
    );
    let deliveries = received.for_intent(&intent.id);
    assert!(deliveries.iter().all(|d| d.authentic), "every webhook must carry a valid signature");
    assert_eq!(received.refused.load(Ordering::SeqCst), 1);
    assert_eq!(received.attempts.load(Ordering::SeqCst), deliveries.len() + 1, "the refused delivery was retried");
    let snapshot = &deliveries[1].raw["data"]["object"];
    assert_eq!((snapshot["status"].as_str(), snapshot["amount_capturable"].as_i64()), (Some("requires_capture"), Some(24_500)));
    assert_eq!(deliveries[1].event.intent.as_ref().and_then(|i| i.reference.as_deref()), Some(reference.as_str()));
    assert_eq!(deliveries[5].raw["data"]["object"]["refunded"], true);

    // Only brand and last four digits are kept.
    let state = std::fs::read_to_string(dir.path().join("stripe.json")).unwrap();
    assert!(!state.contains("4242424242424242") && !state.contains("4242 4242 4242 4242"));
    assert!(state.contains(&intent.id));
}

#[tokio::test]
async fn a_declined_card_is_reported_and_sends_payment_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook_url, received) = spawn_receiver(0).await;
    let server = Server::start(dir.path(), &webhook_url).await;
    let gateway = server.gateway();

    let intent = gateway.create_intent(&create_request(&booking_ref(), 9_900, "hold-declined")).await.unwrap();
    let (status, body) = server.browser_confirm(&intent, "4000000000000002").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    let error = &body["error"];
    assert_eq!((error["type"].as_str(), error["code"].as_str()), (Some("card_error"), Some("card_declined")));
    assert_eq!((error["decline_code"].as_str(), error["message"].as_str()), (Some("generic_decline"), Some("Your card was declined.")));
    assert_eq!(error["payment_intent"]["status"], "requires_payment_method");
    assert_eq!(error["payment_method"]["card"]["last4"], "0002");

    // async-stripe parses the intent with its `last_payment_error`, and error bodies carrying an intent.
    let declined = gateway.retrieve(&intent.id).await.unwrap();
    assert_eq!(declined.status, PaymentStatus::RequiresPaymentMethod);
    assert!(matches!(gateway.capture(&intent.id, eur(9_900), "capture-declined").await, Err(PaymentError::InvalidState(_))));

    // The same decline seen by async-stripe server-side: a card_error it can read (what the gateway maps to
    // `PaymentError::Declined`).
    let client = stripe::ClientBuilder::new(SECRET_KEY).url(server.base_url.clone()).build().unwrap();
    let confirm = stripe_core::payment_intent::ConfirmPaymentIntent::new(intent.id.as_str())
        .payment_method("pm_card_chargeDeclinedInsufficientFunds")
        .customize()
        .send(&client)
        .await;
    match confirm {
        Err(stripe::StripeError::Stripe(api, 402)) => {
            assert_eq!(api.type_, stripe::ApiErrorsType::CardError);
            assert_eq!(api.decline_code.as_deref(), Some("insufficient_funds"));
            assert_eq!(api.payment_intent.map(|pi| pi.status), Some(stripe_core::PaymentIntentStatus::RequiresPaymentMethod));
        }
        other => panic!("expected a 402 card_error, got {other:?}"),
    }

    let cancelled = gateway.cancel(&intent.id, "cancel-declined").await.unwrap();
    assert_eq!(cancelled.status, PaymentStatus::Canceled);

    server.drain().await;
    let deliveries = received.for_intent(&intent.id);
    let types: Vec<_> = deliveries.iter().map(|d| d.event.event_type.as_str()).collect();
    assert_eq!(
        types,
        ["payment_intent.created", "payment_intent.payment_failed", "payment_intent.payment_failed", "payment_intent.canceled"]
    );
    let failed = &deliveries[1].raw["data"]["object"];
    assert_eq!(failed["status"], "requires_payment_method");
    assert_eq!(failed["last_payment_error"]["message"], "Your card was declined.");
    assert_eq!(deliveries[2].raw["data"]["object"]["last_payment_error"]["message"], "Your card has insufficient funds.");
    assert!(deliveries.iter().all(|d| d.authentic));
}

#[tokio::test]
async fn idempotent_create_returns_the_same_intent() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook_url, received) = spawn_receiver(0).await;
    let server = Server::start(dir.path(), &webhook_url).await;
    let gateway = server.gateway();
    let reference = booking_ref();

    let first = gateway.create_intent(&create_request(&reference, 12_000, "hold-42")).await.unwrap();
    let second = gateway.create_intent(&create_request(&reference, 12_000, "hold-42")).await.unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(first, second);

    let changed = gateway.create_intent(&create_request(&reference, 13_000, "hold-42")).await;
    assert!(matches!(changed, Err(PaymentError::Rejected(_))), "{changed:?}");
    let other = gateway.create_intent(&create_request(&reference, 12_000, "hold-43")).await.unwrap();
    assert_ne!(other.id, first.id);

    // A key belongs to one endpoint.
    let reused = gateway.capture(&first.id, eur(100), "hold-42").await;
    assert!(matches!(reused, Err(PaymentError::Rejected(ref m)) if m.contains("same endpoint")), "{reused:?}");

    server.drain().await;
    assert_eq!(received.types_for(&first.id), ["payment_intent.created"], "a replay must not act (or notify) twice");
}

#[tokio::test]
async fn keys_and_client_secrets_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook_url, _received) = spawn_receiver(0).await;
    let server = Server::start(dir.path(), &webhook_url).await;
    let gateway = server.gateway();
    let intent = gateway.create_intent(&create_request(&booking_ref(), 5_000, "hold-keys")).await.unwrap();
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}v1/{path}", server.base_url);

    let wrong_key = gateway_with_key(&server.base_url, "sk_test_not_the_right_key_at_all");
    assert!(matches!(wrong_key.retrieve(&intent.id).await, Err(PaymentError::Rejected(_))));
    let publishable = gateway_with_key(&server.base_url, PUBLISHABLE_KEY);
    assert!(matches!(publishable.retrieve(&intent.id).await, Err(PaymentError::Rejected(_))), "needs the client secret");
    assert!(matches!(publishable.capture(&intent.id, eur(100), "k").await, Err(PaymentError::Rejected(_))));
    assert!(matches!(gateway.retrieve("pi_does_not_exist").await, Err(PaymentError::NotFound(id)) if id == "pi_does_not_exist"));

    let no_key = http.post(url("payment_intents")).form(&[("amount", "100"), ("currency", "eur")]).send().await.unwrap();
    assert_eq!(no_key.status().as_u16(), 401);
    let create_with_pk = http
        .post(url("payment_intents"))
        .bearer_auth(PUBLISHABLE_KEY)
        .form(&[("amount", "100"), ("currency", "eur")])
        .send()
        .await
        .unwrap();
    assert_eq!(create_with_pk.status().as_u16(), 401);

    let (status, body) = server.browser_confirm_with_secret(&intent.id, "pi_someone_else_secret_x", "4242424242424242").await;
    assert_eq!((status, body["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("client_secret")));
    let (status, body) = server.browser_confirm(&intent, "4242424242424241").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("incorrect_number")));
    assert_eq!(gateway.retrieve(&intent.id).await.unwrap().status, PaymentStatus::RequiresPaymentMethod);

    let read = http
        .get(url(&format!("payment_intents/{}?key={PUBLISHABLE_KEY}&client_secret={}", intent.id, intent.client_secret)))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);

    let unknown = http.get(url("customers")).bearer_auth(SECRET_KEY).send().await.unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook_url, _received) = spawn_receiver(0).await;
    let reference = booking_ref();

    let server = Server::start(dir.path(), &webhook_url).await;
    let intent = server.gateway().create_intent(&create_request(&reference, 30_000, "hold-restart")).await.unwrap();
    let (status, _) = server.browser_confirm(&intent, "4242424242424242").await;
    assert_eq!(status, StatusCode::OK);
    server.drain().await;
    server.stop().await;

    let reopened = Server::start(dir.path(), &webhook_url).await;
    let gateway = reopened.gateway();
    let loaded = gateway.retrieve(&intent.id).await.unwrap();
    assert_eq!(
        (loaded.status, loaded.amount_capturable, loaded.reference),
        (PaymentStatus::RequiresCapture, 30_000, Some(reference.to_string()))
    );
    // Idempotency records survive too: the retried create finds the original intent.
    let again = gateway.create_intent(&create_request(&reference, 30_000, "hold-restart")).await.unwrap();
    assert_eq!(again.id, intent.id);
    assert_eq!(gateway.capture(&intent.id, intent.amount, "capture-restart").await.unwrap().status, PaymentStatus::Succeeded);
    reopened.drain().await;
}

#[tokio::test]
async fn a_partial_capture_takes_part_and_releases_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook_url, _received) = spawn_receiver(0).await;
    let server = Server::start(dir.path(), &webhook_url).await;
    let gateway = server.gateway();
    let intent = gateway.create_intent(&create_request(&booking_ref(), 24_500, "hold-partial")).await.unwrap();
    server.browser_confirm(&intent, "4242424242424242").await;
    let too_much = gateway.capture(&intent.id, eur(24_501), "capture-too-much").await;
    assert!(matches!(too_much, Err(PaymentError::Rejected(_))), "{too_much:?}");
    let captured = gateway.capture(&intent.id, eur(5_000), "capture-penalty").await.unwrap();
    assert_eq!((captured.status, captured.amount_received, captured.amount_capturable), (PaymentStatus::Succeeded, 5_000, 0));
    let snapshot = captured.snapshot();
    assert_eq!(snapshot.status, booking_domain::ProviderStatus::Succeeded { received: eur(5_000), refunded: eur(0) });
}

#[tokio::test]
async fn an_uncaptured_authorization_is_cancelled_after_seven_days_as_stripe_does() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook_url, received) = spawn_receiver(0).await;
    let now = Arc::new(AtomicI64::new(1_800_000_000));
    let clock = {
        let now = now.clone();
        local_stripe::UnixClock::new(move || now.load(Ordering::SeqCst))
    };
    let server = Server::start_with_clock(dir.path(), &webhook_url, clock).await;
    let gateway = server.gateway();
    let intent = gateway.create_intent(&create_request(&booking_ref(), 12_000, "hold-expiring")).await.unwrap();
    server.browser_confirm(&intent, "4242424242424242").await;
    now.fetch_add(7 * 24 * 3600 - 1, Ordering::SeqCst);
    assert_eq!(gateway.retrieve(&intent.id).await.unwrap().status, PaymentStatus::RequiresCapture, "still valid just before");
    now.fetch_add(1, Ordering::SeqCst);
    let expired = gateway.retrieve(&intent.id).await.unwrap();
    assert_eq!((expired.status, expired.amount_capturable), (PaymentStatus::Canceled, 0));
    assert!(matches!(gateway.capture(&intent.id, eur(12_000), "capture-late").await, Err(PaymentError::InvalidState(_))));
    server.drain().await;
    assert_eq!(received.types_for(&intent.id).last().map(String::as_str), Some("payment_intent.canceled"));
}
