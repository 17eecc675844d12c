//! `query`: the catalogue, availability, and the signed-in guest's own bookings. Read-only: it is wired with a
//! store reader and nothing that moves money.

use booking_app::{AvailabilityQuery, ReadPorts};
use chrono::NaiveDate;
use std::sync::Arc;

use crate::metrics::{HttpService, api_service};
use emf::Emitter;
use http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::functions::{FunctionName, Operation};
use crate::http::{ApiError, error_response, guest, json_response, operation_of, reference, respond};
use booking_app::fields;

/// The function, wired.
#[derive(Debug, Clone)]
pub struct Query {
    ports: ReadPorts,
    emitter: Arc<Emitter>,
}

impl Query {
    pub fn new(ports: ReadPorts, emitter: Arc<Emitter>) -> Self {
        Query { ports, emitter }
    }

    /// The function as both hosts invoke it (its Lambda binary, the local stack): each call is one metrics
    /// invocation.
    pub fn service(self: Arc<Self>) -> impl HttpService {
        api_service(Arc::clone(&self.emitter), self, |function, request| async move { function.handle(request).await })
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        let ports = &self.ports;
        match operation_of(FunctionName::Query, &req) {
            Some(Operation::ListRooms) => json_response(
                StatusCode::OK,
                &serde_json::json!({ "hotel": ports.hotel.name(), "rooms": booking_app::list_rooms(&ports.hotel) }),
            ),
            Some(Operation::SearchAvailability) => {
                let result = availability(&req, ports).await;
                respond(&req, StatusCode::OK, result)
            }
            Some(Operation::ListMyBookings) => {
                let result = async {
                    Ok::<_, ApiError>(serde_json::json!({ "bookings": booking_app::guest_bookings(ports, &guest(&req)?).await? }))
                }
                .await;
                respond(&req, StatusCode::OK, result)
            }
            Some(Operation::GetMyBooking) => {
                let result = async { Ok::<_, ApiError>(booking_app::guest_booking(ports, &guest(&req)?, &reference(&req)?).await?) }.await;
                respond(&req, StatusCode::OK, result)
            }
            _ => error_response(&req, &ApiError::not_found()),
        }
    }
}

async fn availability(req: &Request, ports: &ReadPorts) -> Result<booking_app::AvailabilityView, ApiError> {
    let params = req.query_string_parameters();
    let date = |name: &'static str| -> Result<NaiveDate, ApiError> {
        let raw = params.first(name).ok_or_else(|| fields::missing(name))?;
        raw.parse().map_err(|_| fields::invalid(name).into())
    };
    let check_in = date("check_in")?;
    let check_out = date("check_out")?;
    let guests = match params.first("guests") {
        None => 1,
        Some(raw) => raw.parse().map_err(|_| fields::invalid("guests"))?,
    };
    Ok(booking_app::availability(ports, AvailabilityQuery { check_in, check_out, guests }).await?)
}
