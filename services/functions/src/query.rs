//! `query`: the catalogue, availability, and the signed-in guest's own bookings (read and cancel).

use booking_app::{AvailabilityQuery, Services};
use booking_domain::BookingRef;
use chrono::NaiveDate;
use http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::http::{ApiError, error_response, guest, json_response, resource, respond};

pub async fn handle(req: Request, svc: &Services) -> Response<Body> {
    let method = req.method().as_str().to_owned();
    match (method.as_str(), resource(&req).as_str()) {
        ("GET", "/api/rooms") => {
            json_response(StatusCode::OK, &serde_json::json!({ "hotel": svc.hotel.name(), "rooms": booking_app::list_rooms(svc) }))
        }
        ("GET", "/api/availability") => {
            let result = availability(&req, svc).await;
            respond(&req, StatusCode::OK, result)
        }
        ("GET", "/api/bookings") => {
            let result =
                async { Ok::<_, ApiError>(serde_json::json!({ "bookings": booking_app::guest_bookings(svc, &guest(&req)?).await? })) }
                    .await;
            respond(&req, StatusCode::OK, result)
        }
        ("GET", "/api/bookings/{ref}") => {
            let result = async { Ok::<_, ApiError>(booking_app::guest_booking(svc, &guest(&req)?, &reference(&req)?).await?) }.await;
            respond(&req, StatusCode::OK, result)
        }
        ("POST", "/api/bookings/{ref}/cancel") => {
            let result = async { Ok::<_, ApiError>(booking_app::cancel_booking(svc, &guest(&req)?, &reference(&req)?).await?) }.await;
            respond(&req, StatusCode::OK, result)
        }
        _ => error_response(&req, &ApiError::not_found()),
    }
}

fn reference(req: &Request) -> Result<BookingRef, ApiError> {
    let raw = req.path_parameters().first("ref").map(str::to_owned).unwrap_or_default();
    BookingRef::parse(&raw).map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "booking_not_found", e.to_string()))
}

async fn availability(req: &Request, svc: &Services) -> Result<booking_app::AvailabilityView, ApiError> {
    let params = req.query_string_parameters();
    let date = |name: &'static str| -> Result<NaiveDate, ApiError> {
        let raw =
            params.first(name).ok_or_else(|| ApiError::bad_request("missing_parameter", format!("{name} is required (YYYY-MM-DD).")))?;
        raw.parse().map_err(|_| ApiError::bad_request("invalid_date", format!("{name} must be a date like 2027-03-01.")))
    };
    let check_in = date("check_in")?;
    let check_out = date("check_out")?;
    let guests = match params.first("guests") {
        None => 1,
        Some(raw) => raw.parse().map_err(|_| ApiError::bad_request("invalid_guests", "guests must be a whole number from 1 to 20."))?,
    };
    Ok(booking_app::availability(svc, AvailabilityQuery { check_in, check_out, guests }).await?)
}
