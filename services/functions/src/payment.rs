//! `payment`: creating a booking (price, hold, open the PaymentIntent), the guest's cancellation, a payment
//! transaction too (refund or void), and the guest's request to have their confirmation sent again (a write to
//! the outbox, so it lives with the function that has write rights; `query` stays read-only).

use booking_app::{
    BookingCreated, BookingRequest, BookingView, MoneyPorts, ResendPorts, ResendView, cancel_booking, place_booking, resend_confirmation,
};
use std::sync::Arc;

use crate::metrics::{HttpService, api_service};
use emf::Emitter;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::functions::{FunctionName, Operation};
use crate::http::{ApiError, error_response, guest, json_body, operation_of, reference, respond};
use booking_app::ErrorCode;

/// The function, wired.
#[derive(Debug, Clone)]
pub struct Payment {
    ports: MoneyPorts,
    resend: ResendPorts,
    emitter: Arc<Emitter>,
}

impl Payment {
    pub fn new(ports: MoneyPorts, emitter: Arc<Emitter>) -> Self {
        Payment { resend: ResendPorts::from(&ports.settle), ports, emitter }
    }

    /// The function as both hosts invoke it (its Lambda binary, the local stack): each call is one metrics
    /// invocation.
    pub fn service(self: Arc<Self>) -> impl HttpService {
        api_service(Arc::clone(&self.emitter), self, |function, request| async move { function.handle(request).await })
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        match operation_of(FunctionName::Payment, &req) {
            Some(Operation::CreateBooking) => {
                let result = self.book(&req).await;
                respond(&req, StatusCode::CREATED, result)
            }
            Some(Operation::CancelMyBooking) => {
                let result = self.cancel(&req).await;
                respond(&req, StatusCode::OK, result)
            }
            Some(Operation::ResendMyConfirmation) => {
                let result = self.resend(&req).await;
                respond(&req, StatusCode::ACCEPTED, result)
            }
            _ => error_response(&req, &ApiError::not_found()),
        }
    }

    async fn book(&self, req: &Request) -> Result<BookingCreated, ApiError> {
        let guest = guest(req)?;
        let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).ok_or_else(|| {
            ApiError::bad_request(ErrorCode::MissingIdempotencyKey, "Send an Idempotency-Key header so a retry cannot book twice.")
        })?;
        let request: BookingRequest = json_body(req)?;
        Ok(place_booking(&self.ports, &guest, key, request).await?)
    }

    async fn cancel(&self, req: &Request) -> Result<BookingView, ApiError> {
        Ok(cancel_booking(&self.ports.settle, &guest(req)?, &reference(req)?).await?)
    }

    async fn resend(&self, req: &Request) -> Result<ResendView, ApiError> {
        Ok(resend_confirmation(&self.resend, &guest(req)?, &reference(req)?).await?)
    }
}
