//! `record`: POST /api/webhooks/stripe. No JWT here: Stripe proves itself with the `Stripe-Signature` header,
//! which is checked before the body is even parsed.

use booking_app::{MoneyPorts, record_payment_event};
use booking_stripe::signature::{DEFAULT_TOLERANCE_SECS, SignatureError, verify};
use booking_stripe::webhook::{Heard, heard, parse_event};
use std::sync::Arc;

use crate::metrics::{HttpService, api_service};
use booking_metrics::Metric;
use emf::Emitter;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::config::Secret;
use crate::functions::{FunctionName, Operation};
use crate::http::{ApiError, body_bytes, error_response, operation_of, respond};
use booking_app::ErrorCode;

/// The function, wired: its ports and the webhook endpoint's signing secret (`whsec_...`).
#[derive(Debug, Clone)]
pub struct Record {
    ports: MoneyPorts,
    secret: Secret,
    emitter: Arc<Emitter>,
}

impl Record {
    pub fn new(ports: MoneyPorts, secret: Secret, emitter: Arc<Emitter>) -> Self {
        Record { ports, secret, emitter }
    }

    /// The function as both hosts invoke it (its Lambda binary, the local stack): each call is one metrics
    /// invocation.
    pub fn service(self: Arc<Self>) -> impl HttpService {
        api_service(Arc::clone(&self.emitter), self, |function, request| async move { function.handle(request).await })
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        if operation_of(FunctionName::Record, &req) != Some(Operation::StripeWebhook) {
            return error_response(&req, &ApiError::not_found());
        }
        let result = receive(&req, &self.ports, &self.secret).await;
        respond(&req, StatusCode::OK, result)
    }
}

async fn receive(req: &Request, ports: &MoneyPorts, secret: &Secret) -> Result<serde_json::Value, ApiError> {
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request(ErrorCode::MissingSignature, "Stripe-Signature header required."))?;
    let payload = body_bytes(req);
    if payload.len() > 256 * 1024 {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "Webhook body too large."));
    }
    verify(payload, header, secret.expose(), ports.settle.clock.now().timestamp(), DEFAULT_TOLERANCE_SECS).map_err(|e| {
        tracing::warn!(error = %e, "webhook signature rejected");
        emf::metrics().add(Metric::WebhookSignatureRejected, 1.0);
        match e {
            // Only a correctly signed event gets here (the signature is checked first): a replayed capture or
            // a clock far off, which operators tell apart from forgeries.
            SignatureError::OutsideTolerance => {
                ApiError::bad_request(ErrorCode::StaleSignature, "The signature's timestamp is outside the tolerance window.")
            }
            _ => ApiError::bad_request(ErrorCode::InvalidSignature, "Signature verification failed."),
        }
    })?;
    let event = parse_event(payload).map_err(|e| ApiError::bad_request(ErrorCode::MalformedEvent, e.to_string()))?;
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
        Heard::Malformed => return Err(ApiError::bad_request(ErrorCode::MalformedEvent, "payment_intent event without a payment intent")),
    };
    let outcome = record_payment_event(ports, payment).await?;
    tracing::info!(event = %event.id, kind = %event.event_type, ?outcome, "webhook processed");
    Ok(serde_json::json!({ "received": true, "outcome": outcome }))
}
