//! Every error code the API answers with: one enum, serialized at the edge. The site's copy (`site/js/core.js`) and
//! the OpenAPI document's enum are checked against it (`services/functions/tests/error_codes.rs`).

use booking_domain::DomainError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The request itself.
    MalformedJson,
    EmptyBody,
    UnsupportedMediaType,
    PayloadTooLarge,
    /// A required query parameter or body field is absent.
    MissingParameter,
    /// A parameter or field is there but not acceptable (wrong type, out of range, not a date); the message names
    /// it and says what it must be.
    InvalidParameter,
    /// The body has a field the operation does not take (refused, so a typo never books the wrong thing).
    UnknownParameter,
    MissingIdempotencyKey,
    InvalidIdempotencyKey,
    IdempotencyKeyReused,
    RequestInProgress,
    Unauthorized,
    /// API Gateway's own refusals (its gateway responses in `api.yaml`): a denied authorizer, the throttle, and
    /// any other 4xx it decides before a function runs.
    Forbidden,
    Throttled,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    BookingNotFound,
    // Stripe's webhook.
    MissingSignature,
    InvalidSignature,
    /// Correctly signed, but outside the tolerance window: an old capture replayed, or a clock far off.
    StaleSignature,
    MalformedEvent,
    // The booking rules.
    InvalidDates,
    StayTooLong,
    StayInPast,
    LeadTimeTooShort,
    BeyondBookingHorizon,
    BelowMinimumStay,
    AboveMaximumStay,
    UnknownRoomType,
    OverOccupancy,
    TooManyRooms,
    InvalidParty,
    InvalidGuestDetails,
    InvalidState,
    CancellationClosed,
    /// A confirmation re-send for a booking that is not confirmed (or whose money is still settling).
    BookingNotConfirmed,
    /// The booking's confirmation was re-sent as often as a day allows (429, with `Retry-After`).
    ResendLimitReached,
    InvalidCurrency,
    InvalidReference,
    // Outcomes.
    SoldOut,
    Conflict,
    CardDeclined,
    // Our side or a provider's.
    PaymentUnavailable,
    ServiceUnavailable,
    NotificationUnavailable,
    InternalError,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 47] = [
        Self::MalformedJson,
        Self::EmptyBody,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::MissingParameter,
        Self::InvalidParameter,
        Self::UnknownParameter,
        Self::MissingIdempotencyKey,
        Self::InvalidIdempotencyKey,
        Self::IdempotencyKeyReused,
        Self::RequestInProgress,
        Self::Unauthorized,
        Self::Forbidden,
        Self::Throttled,
        Self::BadRequest,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::BookingNotFound,
        Self::MissingSignature,
        Self::InvalidSignature,
        Self::StaleSignature,
        Self::MalformedEvent,
        Self::InvalidDates,
        Self::StayTooLong,
        Self::StayInPast,
        Self::LeadTimeTooShort,
        Self::BeyondBookingHorizon,
        Self::BelowMinimumStay,
        Self::AboveMaximumStay,
        Self::UnknownRoomType,
        Self::OverOccupancy,
        Self::TooManyRooms,
        Self::InvalidParty,
        Self::InvalidGuestDetails,
        Self::InvalidState,
        Self::CancellationClosed,
        Self::BookingNotConfirmed,
        Self::ResendLimitReached,
        Self::InvalidCurrency,
        Self::InvalidReference,
        Self::SoldOut,
        Self::Conflict,
        Self::CardDeclined,
        Self::PaymentUnavailable,
        Self::ServiceUnavailable,
        Self::NotificationUnavailable,
        Self::InternalError,
    ];

    /// The wire form (`snake_case`, as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::EmptyBody => "empty_body",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MissingParameter => "missing_parameter",
            Self::InvalidParameter => "invalid_parameter",
            Self::UnknownParameter => "unknown_parameter",
            Self::MissingIdempotencyKey => "missing_idempotency_key",
            Self::InvalidIdempotencyKey => "invalid_idempotency_key",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::RequestInProgress => "request_in_progress",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Throttled => "throttled",
            Self::BadRequest => "bad_request",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::BookingNotFound => "booking_not_found",
            Self::MissingSignature => "missing_signature",
            Self::InvalidSignature => "invalid_signature",
            Self::StaleSignature => "stale_signature",
            Self::MalformedEvent => "malformed_event",
            Self::InvalidDates => "invalid_dates",
            Self::StayTooLong => "stay_too_long",
            Self::StayInPast => "stay_in_past",
            Self::LeadTimeTooShort => "lead_time_too_short",
            Self::BeyondBookingHorizon => "beyond_booking_horizon",
            Self::BelowMinimumStay => "below_minimum_stay",
            Self::AboveMaximumStay => "above_maximum_stay",
            Self::UnknownRoomType => "unknown_room_type",
            Self::OverOccupancy => "over_occupancy",
            Self::TooManyRooms => "too_many_rooms",
            Self::InvalidParty => "invalid_party",
            Self::InvalidGuestDetails => "invalid_guest_details",
            Self::InvalidState => "invalid_state",
            Self::CancellationClosed => "cancellation_closed",
            Self::BookingNotConfirmed => "booking_not_confirmed",
            Self::ResendLimitReached => "resend_limit_reached",
            Self::InvalidCurrency => "invalid_currency",
            Self::InvalidReference => "invalid_reference",
            Self::SoldOut => "sold_out",
            Self::Conflict => "conflict",
            Self::CardDeclined => "card_declined",
            Self::PaymentUnavailable => "payment_unavailable",
            Self::ServiceUnavailable => "service_unavailable",
            Self::NotificationUnavailable => "notification_unavailable",
            Self::InternalError => "internal_error",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's refusal as the API names it. Failures that can only be ours (a bad catalogue, arithmetic out of range)
/// are internal errors, never the guest's fault.
impl From<&DomainError> for ErrorCode {
    fn from(e: &DomainError) -> Self {
        match e {
            DomainError::CheckOutNotAfterCheckIn { .. } => Self::InvalidDates,
            DomainError::StayTooLong { .. } => Self::StayTooLong,
            DomainError::StayInPast { .. } => Self::StayInPast,
            DomainError::LeadTimeTooShort { .. } => Self::LeadTimeTooShort,
            DomainError::BeyondHorizon { .. } => Self::BeyondBookingHorizon,
            DomainError::BelowMinimumStay { .. } => Self::BelowMinimumStay,
            DomainError::AboveMaximumStay { .. } => Self::AboveMaximumStay,
            DomainError::UnknownRoomType(_) => Self::UnknownRoomType,
            DomainError::TooManyRooms { .. } => Self::TooManyRooms,
            DomainError::CancellationClosed { .. } => Self::CancellationClosed,
            DomainError::OverOccupancy { .. } => Self::OverOccupancy,
            DomainError::InvalidParty(_) => Self::InvalidParty,
            DomainError::InvalidGuest { .. } => Self::InvalidGuestDetails,
            DomainError::TransitionRefused { .. } => Self::InvalidState,
            DomainError::InvalidCurrency(_) => Self::InvalidCurrency,
            DomainError::InvalidReference(_) => Self::InvalidReference,
            DomainError::CurrencyMismatch { .. } | DomainError::AmountOverflow | DomainError::InvalidCatalog(_) => Self::InternalError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_form_is_the_serialized_form_and_each_is_listed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::Value::String(code.as_str().to_owned())));
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
    }

    #[test]
    fn rule_codes_are_the_domains_own_names() {
        let samples = [
            DomainError::StayTooLong { nights: 40, max: 30 },
            DomainError::TooManyRooms { rooms: 2, inventory: 1 },
            DomainError::CancellationClosed { closed_at: chrono::DateTime::UNIX_EPOCH },
            DomainError::InvalidParty("x"),
            DomainError::UnknownRoomType("x".into()),
        ];
        for e in samples {
            assert_eq!(ErrorCode::from(&e).as_str(), e.code(), "{e}");
        }
    }
}
