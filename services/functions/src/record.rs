//! `record`: POST /api/webhooks/stripe. No JWT here: Stripe proves itself with the `Stripe-Signature` header,
//! which is checked before the body is even parsed.

use booking_app::{PaymentEvent, PaymentEventKind, Services, record_payment_event};
use booking_stripe::signature::{DEFAULT_TOLERANCE_SECS, verify};
use booking_stripe::webhook::parse_event;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::http::{ApiError, body_bytes, respond};

/// The webhook endpoint's signing secret (`whsec_...`). Debug never shows it.
#[derive(Clone)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn new(secret: String) -> Self {
        WebhookSecret(secret)
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

pub async fn handle(req: Request, svc: &Services, secret: &WebhookSecret) -> Response<Body> {
    let result = receive(&req, svc, secret).await;
    respond(&req, StatusCode::OK, result)
}

async fn receive(req: &Request, svc: &Services, secret: &WebhookSecret) -> Result<serde_json::Value, ApiError> {
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("missing_signature", "Stripe-Signature header required."))?;
    let payload = body_bytes(req);
    if payload.len() > 256 * 1024 {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Webhook body too large."));
    }
    verify(payload, header, &secret.0, svc.clock.now().timestamp(), DEFAULT_TOLERANCE_SECS).map_err(|e| {
        tracing::warn!(error = %e, "webhook signature rejected");
        ApiError::bad_request("invalid_signature", "Signature verification failed.")
    })?;
    let event = parse_event(payload).map_err(|e| ApiError::bad_request("malformed_event", e.to_string()))?;
    let kind = match event.event_type.as_str() {
        "payment_intent.amount_capturable_updated" => PaymentEventKind::Authorized,
        "payment_intent.succeeded" => PaymentEventKind::Succeeded,
        "payment_intent.payment_failed" => PaymentEventKind::Failed,
        "payment_intent.canceled" => PaymentEventKind::Canceled,
        "charge.refunded" => {
            // Refunds are issued by us (cancel_booking) with idempotency keys; this confirms Stripe did it.
            if let Some(charge) = &event.charge {
                tracing::info!(event = %event.id, intent = charge.payment_intent.as_deref().unwrap_or(""), amount_refunded = charge.amount_refunded, "refund confirmed by Stripe");
            }
            return Ok(serde_json::json!({ "received": true, "outcome": "refund_recorded" }));
        }
        other => {
            tracing::info!(event = %event.id, kind = other, "webhook event ignored");
            return Ok(serde_json::json!({ "received": true, "outcome": "ignored" }));
        }
    };
    let Some(intent) = event.intent else {
        return Err(ApiError::bad_request("malformed_event", "payment_intent event without a payment intent"));
    };
    let outcome = record_payment_event(
        svc,
        PaymentEvent {
            event_id: event.id.clone(),
            kind,
            intent_id: intent.id,
            status: intent.status,
            amount_minor: intent.amount,
            currency: intent.currency,
            reference: intent.reference,
        },
    )
    .await?;
    tracing::info!(event = %event.id, kind = %event.event_type, ?outcome, "webhook processed");
    Ok(serde_json::json!({ "received": true, "outcome": outcome }))
}
