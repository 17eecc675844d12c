//! The hotel's booking rules, and nothing else.
//!
//! This crate is deliberately pure: no AWS, no Stripe, no HTTP, no clock, no randomness, no I/O. Everything that
//! depends on "now" takes the instant or the date as an argument, and everything that needs entropy (booking
//! references) takes the random bits as an argument. That keeps every rule testable with plain values and lets
//! the same rules run unchanged in a Lambda, in the local stack and in property tests.

mod availability;
mod booking;
mod cancellation;
mod error;
mod guest;
mod hotel;
mod money;
mod pricing;
mod reference;
mod settlement;
mod stay;

pub use availability::{NightCount, available_rooms};
pub use booking::{
    Action, Booking, BookingState, Cancellation, CancellationReason, InventoryEffect, NewBooking, PaymentRef, SETTLEMENT_GRACE, Settlement,
};
pub use cancellation::{CancellationPolicy, RefundPreview};
pub use error::DomainError;
pub use guest::{ContactPreference, GuestContact, GuestId, is_e164};
pub use hotel::{BedType, Hotel, RatePlan, RoomType, RoomTypeId, SeasonalRate, Taxes};
pub use money::{Currency, Money};
pub use pricing::{MAX_ROOMS_PER_BOOKING, NightPrice, Quote, StayRequest, quote};
pub use reference::BookingRef;
pub use settlement::{ProviderPayment, ProviderStatus, Step, Trigger, next_step};
pub use stay::{MAX_NIGHTS, StayDates};

/// The demo hotel the local stack and the tests are seeded with.
pub const DEMO_CATALOG_JSON: &str = include_str!("../catalog/demo-hotel.json");
