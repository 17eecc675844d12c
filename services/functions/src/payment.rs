//! `payment`: POST /api/bookings. Prices the stay, holds the rooms, opens the Stripe PaymentIntent.

use booking_app::{BookingRequest, Services, place_booking};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use crate::http::{ApiError, guest, json_body, respond};

pub async fn handle(req: Request, svc: &Services) -> Response<Body> {
    let result = book(&req, svc).await;
    respond(&req, StatusCode::CREATED, result)
}

async fn book(req: &Request, svc: &Services) -> Result<booking_app::BookingCreated, ApiError> {
    if req.method() != Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let guest = guest(req)?;
    let key =
        req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).ok_or_else(|| {
            ApiError::bad_request("missing_idempotency_key", "Send an Idempotency-Key header so a retry cannot book twice.")
        })?;
    let request: BookingRequest = json_body(req)?;
    Ok(place_booking(svc, &guest, key, request).await?)
}
