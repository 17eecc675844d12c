//! What the HTTP API returns. These types are an API boundary (see `openapi.yaml`): change them deliberately.

use booking_domain::{BedType, Booking, BookingState, CancellationReason, ContactPreference, Money, NightPrice, RefundPreview, Settlement};
use booking_ports::ChannelDelivery;
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
    pub code: crate::ErrorCode,
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

/// Where the booking's money is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneyStatus {
    /// A hold: nothing paid yet.
    AwaitingPayment,
    /// A capture, refund or void is under way (and will be retried until it is done).
    Pending,
    /// Done: `charged` taken, `refunded` of it given back.
    Settled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyView {
    pub status: MoneyStatus,
    /// Present once settled.
    pub charged: Option<Money>,
    pub refunded: Option<Money>,
}

impl MoneyView {
    fn of(settlement: &Settlement) -> Self {
        match settlement {
            Settlement::Open => MoneyView { status: MoneyStatus::AwaitingPayment, charged: None, refunded: None },
            Settlement::Due { .. } => MoneyView { status: MoneyStatus::Pending, charged: None, refunded: None },
            Settlement::Settled { charged, refunded, .. } => {
                MoneyView { status: MoneyStatus::Settled, charged: Some(*charged), refunded: Some(*refunded) }
            }
        }
    }
}

/// Whether the guest can cancel now, and what they would get back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CancellationView {
    Open {
        refund: Money,
        penalty: Money,
        free_until: DateTime<Utc>,
        closes_at: DateTime<Utc>,
    },
    /// The stay has begun: self-service cancellation is over.
    Closed {
        closed_at: DateTime<Utc>,
        message: String,
    },
}

impl From<RefundPreview> for CancellationView {
    fn from(p: RefundPreview) -> Self {
        CancellationView::Open { refund: p.refund, penalty: p.penalty, free_until: p.free_until, closes_at: p.closes_at }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingView {
    pub reference: String,
    pub state: BookingState,
    pub room_type: String,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub nights: Vec<NightPrice>,
    pub guests: u8,
    pub rooms: u8,
    pub total: Money,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// What goes back to the guest under their cancellation.
    pub refund: Option<Money>,
    pub cancellation_reason: Option<CancellationReason>,
    pub money: MoneyView,
    pub contact: ContactView,
    /// For a confirmed booking: whether it can be cancelled now and what that would refund.
    pub cancellation: Option<CancellationView>,
    /// Per guest channel, what became of the latest message about this booking (sent, delivered, failed).
    /// Filled where the guest reads their bookings; empty in the answer to a booking request.
    pub notifications: Vec<ChannelDelivery>,
}

impl BookingView {
    pub fn of(booking: &Booking, cancellation: Option<CancellationView>) -> Self {
        let q = booking.quote();
        let c = booking.contact();
        BookingView {
            reference: booking.reference().to_string(),
            state: booking.state(),
            room_type: q.request.room_type.to_string(),
            check_in: q.request.stay.check_in(),
            check_out: q.request.stay.check_out(),
            nights: q.nights.clone(),
            guests: q.request.guests,
            rooms: q.request.rooms,
            total: q.total,
            hold_expires_at: (booking.state() == BookingState::Held).then(|| booking.hold_expires_at()),
            created_at: booking.created_at(),
            refund: booking.refund_due(),
            cancellation_reason: booking.cancellation().map(|c| c.reason),
            money: MoneyView::of(booking.settlement()),
            contact: ContactView {
                name: c.name().into(),
                email: c.email().into(),
                phone: c.phone().map(Into::into),
                notify_by: c.preference(),
            },
            cancellation,
            notifications: Vec::new(),
        }
    }
}
