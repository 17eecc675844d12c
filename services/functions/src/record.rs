//! `record`: POST /api/webhooks/stripe. No JWT here: Stripe proves itself with the `Stripe-Signature` header,
//! which is checked before the body is even parsed.

use booking_app::{Services, record_payment_event};
use booking_stripe::signature::{DEFAULT_TOLERANCE_SECS, verify};
use booking_stripe::webhook::{Heard, heard, parse_event};
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
    let payment = match heard(&event) {
        Heard::Payment(payment) => payment,
        Heard::RefundConfirmed => {
            // Refunds are issued by the reconciliation itself, which reads the result back from Stripe; this
            // only confirms what it already knows.
            tracing::info!(event = %event.id, "refund confirmed by Stripe");
            return Ok(serde_json::json!({ "received": true, "outcome": "refund_recorded" }));
        }
        Heard::Other => {
            tracing::info!(event = %event.id, kind = %event.event_type, "webhook event ignored");
            return Ok(serde_json::json!({ "received": true, "outcome": "ignored" }));
        }
        Heard::Malformed => return Err(ApiError::bad_request("malformed_event", "payment_intent event without a payment intent")),
    };
    let outcome = record_payment_event(svc, payment).await?;
    tracing::info!(event = %event.id, kind = %event.event_type, ?outcome, "webhook processed");
    Ok(serde_json::json!({ "received": true, "outcome": outcome }))
}
