//! Parsing of Stripe webhook events into the few fields the booking flow acts on.
//!
//! Plain serde types instead of async-stripe's generated `Event`: those are strict about every field of every
//! object, pinned to one API version, and large; a webhook handler must keep working when Stripe adds fields or
//! sends event types we have never heard of. Verify the signature (`crate::signature::verify`) before parsing.

use std::collections::HashMap;

use booking_ports::{PaymentEvent, PaymentEventKind, PaymentStatus};
use serde::Deserialize;

/// The subset of a Stripe Event we act on. Unknown event types parse fine: `intent` is `None` whenever
/// `data.object` is not a payment intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub id: String,
    pub event_type: String,
    pub created: i64,
    pub livemode: bool,
    pub intent: Option<IntentSnapshot>,
    /// Set when `data.object` is a charge (`charge.refunded`, ...).
    pub charge: Option<ChargeSnapshot>,
}

/// A charge as the event saw it: enough to reconcile refunds with the booking's payment intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeSnapshot {
    pub id: String,
    pub payment_intent: Option<String>,
    pub amount: i64,
    pub amount_refunded: i64,
    pub refunded: bool,
    pub currency: String,
}

#[derive(Deserialize)]
struct RawCharge {
    id: String,
    #[serde(default)]
    payment_intent: Option<String>,
    amount: i64,
    #[serde(default)]
    amount_refunded: i64,
    #[serde(default)]
    refunded: bool,
    currency: String,
}

/// A payment intent as it was when the event was created (events can arrive late and out of order: compare with
/// a fresh `retrieve` before acting on anything irreversible).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentSnapshot {
    pub id: String,
    pub status: PaymentStatus,
    pub amount: i64,
    /// Lower-case ISO 4217 code, exactly as Stripe sends it.
    pub currency: String,
    pub amount_capturable: i64,
    /// `metadata["booking_ref"]`: which booking the intent pays for.
    pub reference: Option<String>,
    /// `last_payment_error.message`: why the last attempt failed, fit to show the guest.
    pub failure_message: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("malformed webhook event: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
    #[serde(default)]
    livemode: bool,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct RawIntent {
    id: String,
    status: PaymentStatus,
    amount: i64,
    currency: String,
    #[serde(default)]
    amount_capturable: i64,
    #[serde(default)]
    metadata: HashMap<String, String>,
    #[serde(default)]
    last_payment_error: Option<RawPaymentError>,
}

#[derive(Deserialize)]
struct RawPaymentError {
    #[serde(default)]
    message: Option<String>,
}

/// Parses the raw body of a webhook request.
pub fn parse_event(payload: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let raw: RawEvent = serde_json::from_slice(payload).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let (intent, charge) = match raw.data.object.get("object").and_then(serde_json::Value::as_str) {
        Some("payment_intent") => (Some(parse_intent(raw.data.object)?), None),
        Some("charge") => {
            let c: RawCharge = serde_json::from_value(raw.data.object).map_err(|e| WebhookError::Malformed(format!("charge: {e}")))?;
            let charge = ChargeSnapshot {
                id: c.id,
                payment_intent: c.payment_intent,
                amount: c.amount,
                amount_refunded: c.amount_refunded,
                refunded: c.refunded,
                currency: c.currency,
            };
            (None, Some(charge))
        }
        _ => (None, None),
    };
    Ok(WebhookEvent { id: raw.id, event_type: raw.event_type, created: raw.created, livemode: raw.livemode, intent, charge })
}

fn parse_intent(object: serde_json::Value) -> Result<IntentSnapshot, WebhookError> {
    let mut raw: RawIntent = serde_json::from_value(object).map_err(|e| WebhookError::Malformed(format!("payment_intent: {e}")))?;
    Ok(IntentSnapshot {
        id: raw.id,
        status: raw.status,
        amount: raw.amount,
        currency: raw.currency,
        amount_capturable: raw.amount_capturable,
        reference: raw.metadata.remove("booking_ref"),
        failure_message: raw.last_payment_error.and_then(|e| e.message),
    })
}

/// What the booking flow makes of an authentic Stripe event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Something happened to a payment intent: reconcile its booking.
    Payment(PaymentEvent),
    /// A refund went through (`charge.refunded`).
    RefundConfirmed,
    /// An event type the booking flow does not use.
    Other,
    /// A payment intent event without a payment intent.
    Malformed,
}

/// The one mapping from Stripe's event types to the booking flow's (the webhook handler and the tests' webhook
/// replays use it alike).
pub fn heard(event: &WebhookEvent) -> Heard {
    let kind = match event.event_type.as_str() {
        "payment_intent.amount_capturable_updated" => PaymentEventKind::Authorized,
        "payment_intent.succeeded" => PaymentEventKind::Succeeded,
        "payment_intent.payment_failed" => PaymentEventKind::Failed,
        "payment_intent.canceled" => PaymentEventKind::Canceled,
        "charge.refunded" => return Heard::RefundConfirmed,
        _ => return Heard::Other,
    };
    match &event.intent {
        Some(intent) => Heard::Payment(PaymentEvent {
            event_id: event.id.clone(),
            kind,
            intent_id: intent.id.clone(),
            reference: intent.reference.clone(),
        }),
        None => Heard::Malformed,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Shaped like a real `payment_intent.succeeded` event (trimmed, but with the usual extra fields).
    const SUCCEEDED: &str = r#"{
      "id": "evt_3QxYz2LkdIwHu7ix0aBcDeFg",
      "object": "event",
      "api_version": "2026-09-30.endive",
      "created": 1732435200,
      "data": {
        "object": {
          "id": "pi_3QxYz2LkdIwHu7ix0Q1w2e3r",
          "object": "payment_intent",
          "amount": 24500,
          "amount_capturable": 0,
          "amount_details": {"tip": {}},
          "amount_received": 24500,
          "capture_method": "manual",
          "client_secret": "pi_3QxYz2LkdIwHu7ix0Q1w2e3r_secret_abc",
          "confirmation_method": "automatic",
          "created": 1732435100,
          "currency": "eur",
          "description": "Booking HB-ABCD-EFGH",
          "last_payment_error": null,
          "latest_charge": "ch_3QxYz2LkdIwHu7ix0n9m8b7v",
          "livemode": false,
          "metadata": {"booking_ref": "HB-ABCD-EFGH", "other": "x"},
          "payment_method": "pm_1QxYz1LkdIwHu7ixk1l2m3n4",
          "payment_method_types": ["card"],
          "status": "succeeded"
        }
      },
      "livemode": false,
      "pending_webhooks": 1,
      "request": {"id": "req_abc", "idempotency_key": "capture-1"},
      "type": "payment_intent.succeeded"
    }"#;

    const FAILED: &str = r#"{
      "id": "evt_failed",
      "object": "event",
      "created": 1732435300,
      "livemode": false,
      "type": "payment_intent.payment_failed",
      "data": {"object": {
        "id": "pi_failed", "object": "payment_intent", "amount": 1000, "amount_capturable": 0, "currency": "usd",
        "status": "requires_payment_method", "metadata": {"booking_ref": "HB-WXYZ-2345"},
        "last_payment_error": {
          "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
          "message": "Your card has insufficient funds.",
          "payment_method": {"id": "pm_x", "object": "payment_method", "card": {"brand": "visa", "last4": "9995"}}
        }
      }}
    }"#;

    const UNRELATED: &str = r#"{
      "id": "evt_customer", "object": "event", "created": 1732435400, "livemode": true,
      "type": "customer.created",
      "data": {"object": {"id": "cus_123", "object": "customer", "email": "guest@example.com"}}
    }"#;

    #[test]
    fn succeeded_intent() {
        let event = parse_event(SUCCEEDED.as_bytes()).unwrap();
        assert_eq!(event.id, "evt_3QxYz2LkdIwHu7ix0aBcDeFg");
        assert_eq!(event.event_type, "payment_intent.succeeded");
        assert_eq!(event.created, 1_732_435_200);
        assert!(!event.livemode);
        assert_eq!(
            event.intent,
            Some(IntentSnapshot {
                id: "pi_3QxYz2LkdIwHu7ix0Q1w2e3r".into(),
                status: PaymentStatus::Succeeded,
                amount: 24_500,
                currency: "eur".into(),
                amount_capturable: 0,
                reference: Some("HB-ABCD-EFGH".into()),
                failure_message: None,
            })
        );
    }

    #[test]
    fn failed_intent_carries_the_failure_message() {
        let intent = parse_event(FAILED.as_bytes()).unwrap().intent.unwrap();
        assert_eq!(intent.status, PaymentStatus::RequiresPaymentMethod);
        assert_eq!(intent.failure_message.as_deref(), Some("Your card has insufficient funds."));
        assert_eq!(intent.reference.as_deref(), Some("HB-WXYZ-2345"));
    }

    #[test]
    fn unrelated_event_has_no_intent() {
        let event = parse_event(UNRELATED.as_bytes()).unwrap();
        assert_eq!(event.event_type, "customer.created");
        assert!(event.livemode);
        assert_eq!(event.intent, None);
    }

    #[test]
    fn charge_refunded_carries_the_refund() {
        let payload = r#"{"id":"evt_3","object":"event","type":"charge.refunded","created":1790000000,"livemode":false,
            "data":{"object":{"id":"ch_1","object":"charge","amount":67500,"amount_refunded":50000,"refunded":false,
            "currency":"eur","payment_intent":"pi_1","status":"succeeded"}}}"#;
        let event = parse_event(payload.as_bytes()).unwrap();
        assert_eq!(event.event_type, "charge.refunded");
        assert_eq!(event.intent, None);
        let charge = event.charge.unwrap();
        assert_eq!((charge.payment_intent.as_deref(), charge.amount_refunded, charge.refunded), (Some("pi_1"), 50000, false));
    }

    #[test]
    fn malformed_input_is_an_error() {
        for input in [
            "",
            "not json",
            r#"{"id":"evt","type":"x","created":1}"#,
            r#"{"id":"evt","type":"payment_intent.succeeded","created":1,"data":{"object":{"object":"payment_intent","id":"pi"}}}"#,
            r#"{"id":"evt","type":"payment_intent.succeeded","created":1,"data":{"object":{"object":"payment_intent","id":"pi","amount":1,"currency":"eur","status":"exploded"}}}"#,
        ] {
            assert!(matches!(parse_event(input.as_bytes()), Err(WebhookError::Malformed(_))), "{input}");
        }
    }
}
