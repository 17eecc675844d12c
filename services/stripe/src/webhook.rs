//! Parsing of Stripe webhook events into the few fields the booking flow acts on.
//!
//! Plain serde types instead of async-stripe's generated `Event`: those are strict about every field of every
//! object, pinned to one API version, and large; a webhook handler must keep working when Stripe adds fields or
//! sends event types we have never heard of. Verify the signature (`crate::signature::verify`) before parsing.

use std::collections::HashMap;

use booking_ports::{PaymentEvent, PaymentEventKind};
use serde::Deserialize;

/// The subset of a Stripe Event the booking flow acts on: which event, of what type, about which payment intent
/// and booking. What happened to the payment is deliberately not taken from the event: events arrive late and out
/// of order, so the use cases read the intent's current state from Stripe instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub id: String,
    pub event_type: String,
    /// Set when `data.object` is a payment intent.
    pub intent: Option<IntentRef>,
}

/// The payment intent an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRef {
    pub id: String,
    /// `metadata["booking_ref"]`: which booking the intent pays for.
    pub reference: Option<String>,
    /// `last_payment_error.decline_code`, else `last_payment_error.code`: why the last attempt failed.
    pub failure_reason: Option<String>,
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
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct RawIntent {
    id: String,
    #[serde(default)]
    metadata: HashMap<String, String>,
    #[serde(default)]
    last_payment_error: Option<RawPaymentError>,
}

#[derive(Deserialize)]
struct RawPaymentError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
}

/// Parses the raw body of a webhook request (verify its signature first: `crate::signature::verify`). Unknown
/// event types and objects parse fine, with no intent.
pub fn parse_event(payload: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let raw: RawEvent = serde_json::from_slice(payload).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let intent = match raw.data.object.get("object").and_then(serde_json::Value::as_str) {
        Some("payment_intent") => {
            let mut intent: RawIntent =
                serde_json::from_value(raw.data.object).map_err(|e| WebhookError::Malformed(format!("payment_intent: {e}")))?;
            let failure_reason = intent.last_payment_error.and_then(|e| e.decline_code.or(e.code));
            Some(IntentRef { id: intent.id, reference: intent.metadata.remove(crate::BOOKING_REF_KEY), failure_reason })
        }
        _ => None,
    };
    Ok(WebhookEvent { id: raw.id, event_type: raw.event_type, intent })
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
            failure_reason: intent.failure_reason.clone(),
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
    fn an_intent_event_names_its_intent_and_booking() {
        let event = parse_event(SUCCEEDED.as_bytes()).unwrap();
        assert_eq!(event.id, "evt_3QxYz2LkdIwHu7ix0aBcDeFg");
        assert_eq!(event.event_type, "payment_intent.succeeded");
        assert_eq!(
            event.intent,
            Some(IntentRef { id: "pi_3QxYz2LkdIwHu7ix0Q1w2e3r".into(), reference: Some("HB-ABCD-EFGH".into()), failure_reason: None })
        );
        let failed = parse_event(FAILED.as_bytes()).unwrap().intent.unwrap();
        assert_eq!(failed.reference.as_deref(), Some("HB-WXYZ-2345"));
    }

    #[test]
    fn other_objects_carry_no_intent() {
        let event = parse_event(UNRELATED.as_bytes()).unwrap();
        assert_eq!(event.event_type, "customer.created");
        assert_eq!(event.intent, None);
        let refunded = r#"{"id":"evt_3","object":"event","type":"charge.refunded","created":1790000000,"livemode":false,
            "data":{"object":{"id":"ch_1","object":"charge","amount":67500,"payment_intent":"pi_1","status":"succeeded"}}}"#;
        assert_eq!(parse_event(refunded.as_bytes()).unwrap().intent, None);
    }

    #[test]
    fn heard_maps_stripes_event_types() {
        let kind = |payload: &str| match heard(&parse_event(payload.as_bytes()).unwrap()) {
            Heard::Payment(event) => Some(event.kind),
            _ => None,
        };
        assert_eq!(kind(SUCCEEDED), Some(PaymentEventKind::Succeeded));
        assert_eq!(kind(FAILED), Some(PaymentEventKind::Failed));
        assert_eq!(kind(UNRELATED), None);
        let Heard::Payment(failed) = heard(&parse_event(FAILED.as_bytes()).unwrap()) else { panic!("a payment event") };
        assert_eq!(failed.failure_reason.as_deref(), Some("insufficient_funds"), "the decline code before the error code");
        let Heard::Payment(succeeded) = heard(&parse_event(SUCCEEDED.as_bytes()).unwrap()) else { panic!("a payment event") };
        assert_eq!(succeeded.failure_reason, None);
    }

    #[test]
    fn malformed_input_is_an_error() {
        for input in [
            "",
            "not json",
            r#"{"id":"evt","type":"x","created":1}"#,
            r#"{"id":"evt","type":"payment_intent.succeeded","created":1,"data":{"object":{"object":"payment_intent"}}}"#,
            r#"{"id":"evt","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":7}}}"#,
        ] {
            assert!(matches!(parse_event(input.as_bytes()), Err(WebhookError::Malformed(_))), "{input}");
        }
    }
}
