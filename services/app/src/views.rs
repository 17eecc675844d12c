//! What the HTTP API returns. These types are an API boundary (see `openapi.yaml`): change them deliberately.

use booking_domain::{BedType, Booking, ContactPreference, Money, NightPrice, RefundPreview};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub max_occupancy: u8,
    pub bed_type: BedType,
    pub amenities: Vec<String>,
    pub image: Option<String>,
    /// The lowest nightly room price before taxes, for "from €120" on the landing page.
    pub from_nightly: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomAvailability {
    pub room_type: String,
    pub name: String,
    pub max_occupancy: u8,
    /// Rooms of this type needed for the party.
    pub rooms_needed: u8,
    /// Rooms free on every night of the stay.
    pub available: u32,
    pub bookable: bool,
    /// Nights with fewer free rooms than needed.
    pub sold_out_nights: Vec<NaiveDate>,
    /// Why it cannot be booked, when a rule (not inventory) says no.
    pub unavailable_reason: Option<ErrorBody>,
    pub nights: Vec<NightPrice>,
    pub total: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityView {
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub guests: u8,
    pub nights: u32,
    pub currency: String,
    pub rooms: Vec<RoomAvailability>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub notify_by: ContactPreference,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingView {
    pub reference: String,
    pub state: String,
    pub room_type: String,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub nights: Vec<NightPrice>,
    pub guests: u8,
    pub rooms: u8,
    pub total: Money,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub refund: Option<Money>,
    pub contact: ContactView,
    /// What cancelling now would refund; present only while the booking can be cancelled.
    pub cancellation: Option<RefundPreview>,
}

impl BookingView {
    pub fn of(booking: &Booking, cancellation: Option<RefundPreview>) -> Self {
        let q = booking.quote();
        let c = booking.contact();
        BookingView {
            reference: booking.reference().to_string(),
            state: booking.state().to_string(),
            room_type: q.request.room_type.to_string(),
            check_in: q.request.stay.check_in(),
            check_out: q.request.stay.check_out(),
            nights: q.nights.clone(),
            guests: q.request.guests,
            rooms: q.request.rooms,
            total: q.total,
            hold_expires_at: (booking.state() == booking_domain::BookingState::Held).then(|| booking.hold_expires_at()),
            created_at: booking.created_at(),
            refund: booking.refund(),
            contact: ContactView {
                name: c.name().into(),
                email: c.email().into(),
                phone: c.phone().map(Into::into),
                notify_by: c.preference(),
            },
            cancellation,
        }
    }
}
