//! What each field of a request must be, in the words the API uses when it refuses one. One place, so the
//! availability search and a booking refuse `guests: 0` the same way, and no message ever names a Rust type.

use crate::{AppError, ErrorCode};

/// The party sizes the API takes anywhere (a room type may take fewer: that is `over_occupancy`, a rule).
pub const GUESTS: std::ops::RangeInclusive<u8> = 1..=20;
/// The rooms one booking may hold.
pub const ROOMS: std::ops::RangeInclusive<u8> = 1..=5;

/// What `field` (a dotted path such as `guest.email`) must be; `None` for a field no request has.
pub fn rule(field: &str) -> Option<&'static str> {
    Some(match field {
        "room_type" => "a room type id such as classic-double",
        "check_in" | "check_out" => "a date like 2027-03-01",
        "guests" => "a whole number from 1 to 20",
        "rooms" => "a whole number from 1 to 5",
        "guest" => "an object with name, email and notify_by",
        "guest.name" => "the guest's name as text",
        "guest.email" => "an email address as text",
        "guest.phone" => "a phone number in international form such as +14155550100, or null",
        "guest.notify_by" => "one of email, sms or both",
        _ => return None,
    })
}

/// The refusal for a field that is there but not acceptable.
pub fn invalid(field: &str) -> AppError {
    let message = match rule(field) {
        Some(rule) => format!("{field} must be {rule}."),
        None => format!("{field} is not valid."),
    };
    AppError::BadRequest { code: ErrorCode::InvalidParameter, message }
}

/// The refusal for a required field or parameter that is absent.
pub fn missing(field: &str) -> AppError {
    let message = match rule(field) {
        Some(rule) => format!("{field} is required: {rule}."),
        None => format!("{field} is required."),
    };
    AppError::BadRequest { code: ErrorCode::MissingParameter, message }
}

/// The refusal for a body field the operation does not take.
pub fn unknown(field: &str) -> AppError {
    AppError::BadRequest { code: ErrorCode::UnknownParameter, message: format!("{field} is not a field of this request.") }
}

/// Checks a number against the range the API takes for `field`.
pub fn in_range(field: &str, value: u8, range: std::ops::RangeInclusive<u8>) -> Result<(), AppError> {
    if range.contains(&value) { Ok(()) } else { Err(invalid(field)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: AppError) -> (ErrorCode, String) {
        match e {
            AppError::BadRequest { code, message } => (code, message),
            other => panic!("not a bad request: {other}"),
        }
    }

    #[test]
    fn refusals_name_the_field_and_what_it_must_be() {
        let cases = [
            (invalid("guests"), ErrorCode::InvalidParameter, "guests must be a whole number from 1 to 20."),
            (invalid("check_in"), ErrorCode::InvalidParameter, "check_in must be a date like 2027-03-01."),
            (invalid("guest.notify_by"), ErrorCode::InvalidParameter, "guest.notify_by must be one of email, sms or both."),
            (missing("check_out"), ErrorCode::MissingParameter, "check_out is required: a date like 2027-03-01."),
            (unknown("surprise"), ErrorCode::UnknownParameter, "surprise is not a field of this request."),
            (invalid("surprise"), ErrorCode::InvalidParameter, "surprise is not valid."),
        ];
        for (error, code, text) in cases {
            assert_eq!(message(error), (code, text.to_owned()));
        }
    }

    #[test]
    fn ranges_are_inclusive_and_refuse_outside() {
        assert!(in_range("guests", 1, GUESTS).is_ok() && in_range("guests", 20, GUESTS).is_ok());
        assert!(in_range("guests", 0, GUESTS).is_err() && in_range("guests", 21, GUESTS).is_err());
        assert!(in_range("rooms", 5, ROOMS).is_ok() && in_range("rooms", 6, ROOMS).is_err());
    }
}
