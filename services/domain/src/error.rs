use chrono::NaiveDate;

/// Every way a booking rule can refuse. Each variant has a stable machine-readable [`DomainError::code`] so the
/// HTTP layer can map it without string matching.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("check-out ({check_out}) must be after check-in ({check_in})")]
    CheckOutNotAfterCheckIn { check_in: NaiveDate, check_out: NaiveDate },
    #[error("a stay is at most {max} nights, this one is {nights}")]
    StayTooLong { nights: i64, max: u32 },
    #[error("check-in {check_in} is in the past")]
    StayInPast { check_in: NaiveDate },
    #[error("this room must be booked at least {min_days} days ahead")]
    LeadTimeTooShort { min_days: u32 },
    #[error("bookings open at most {max_days} days ahead")]
    BeyondHorizon { max_days: u32 },
    #[error("this room needs at least {min} nights")]
    BelowMinimumStay { min: u32 },
    #[error("this room allows at most {max} nights")]
    AboveMaximumStay { max: u32 },
    #[error("unknown room type '{0}'")]
    UnknownRoomType(String),
    #[error("the hotel has {inventory} room(s) of this type; {rooms} were asked for")]
    TooManyRooms { rooms: u8, inventory: u32 },
    #[error("this booking can no longer be cancelled online: the stay began at {closed_at}; please contact the hotel")]
    CancellationClosed { closed_at: chrono::DateTime<chrono::Utc> },
    #[error("{guests} guests do not fit in {rooms} room(s) of {max_occupancy} guests each")]
    OverOccupancy { guests: u8, rooms: u8, max_occupancy: u8 },
    #[error("{0}")]
    InvalidParty(&'static str),
    #[error("invalid {field}: {reason}")]
    InvalidGuest { field: &'static str, reason: &'static str },
    #[error("a booking that is {from} cannot be {action}")]
    TransitionRefused { from: crate::BookingState, action: crate::Action },
    #[error("amounts in {left} and {right} cannot be combined")]
    CurrencyMismatch { left: crate::Currency, right: crate::Currency },
    #[error("amount out of range")]
    AmountOverflow,
    #[error("invalid currency code '{0}'")]
    InvalidCurrency(String),
    #[error("invalid booking reference '{0}'")]
    InvalidReference(String),
    #[error("invalid hotel catalog: {0}")]
    InvalidCatalog(String),
}

impl DomainError {
    /// A stable snake_case code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CheckOutNotAfterCheckIn { .. } => "invalid_dates",
            Self::StayTooLong { .. } => "stay_too_long",
            Self::StayInPast { .. } => "stay_in_past",
            Self::LeadTimeTooShort { .. } => "lead_time_too_short",
            Self::BeyondHorizon { .. } => "beyond_booking_horizon",
            Self::BelowMinimumStay { .. } => "below_minimum_stay",
            Self::AboveMaximumStay { .. } => "above_maximum_stay",
            Self::UnknownRoomType(_) => "unknown_room_type",
            Self::OverOccupancy { .. } => "over_occupancy",
            Self::TooManyRooms { .. } => "too_many_rooms",
            Self::CancellationClosed { .. } => "cancellation_closed",
            Self::InvalidParty(_) => "invalid_party",
            Self::InvalidGuest { .. } => "invalid_guest_details",
            Self::TransitionRefused { .. } => "invalid_state",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::AmountOverflow => "amount_overflow",
            Self::InvalidCurrency(_) => "invalid_currency",
            Self::InvalidReference(_) => "invalid_reference",
            Self::InvalidCatalog(_) => "invalid_catalog",
        }
    }
}
