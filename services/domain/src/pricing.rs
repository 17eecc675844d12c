use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{DomainError, Hotel, Money, RoomTypeId, StayDates};

/// What a guest asks for: a room type, dates, how many guests and rooms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StayRequest {
    pub room_type: RoomTypeId,
    pub stay: StayDates,
    pub guests: u8,
    pub rooms: u8,
}

/// The most rooms one booking may hold: larger groups talk to the front desk.
pub const MAX_ROOMS_PER_BOOKING: u8 = 5;

/// One night's line of a quote. `total = room + tax + tourist_tax`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightPrice {
    pub date: NaiveDate,
    pub room: Money,
    pub tax: Money,
    pub tourist_tax: Money,
    pub total: Money,
}

/// A server-side price for a stay. The total is the sum of the nights, by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub request: StayRequest,
    pub nights: Vec<NightPrice>,
    pub total: Money,
}

impl Quote {
    pub fn first_night_total(&self) -> Money {
        self.nights.first().map_or(Money::zero(self.total.currency()), |n| n.total)
    }
}

/// Checks every booking rule for `request` as of the hotel-local date `today` and prices it night by night.
pub fn quote(hotel: &Hotel, request: &StayRequest, today: NaiveDate) -> Result<Quote, DomainError> {
    let room = hotel.room_type(&request.room_type)?;
    let stay = request.stay;
    stay.ensure_not_past(today)?;
    let lead_days = (stay.check_in() - today).num_days();
    if lead_days < i64::from(room.rate.min_lead_days) {
        return Err(DomainError::LeadTimeTooShort { min_days: room.rate.min_lead_days });
    }
    if lead_days > i64::from(room.rate.max_advance_days) {
        return Err(DomainError::BeyondHorizon { max_days: room.rate.max_advance_days });
    }
    if stay.nights() < room.rate.min_nights {
        return Err(DomainError::BelowMinimumStay { min: room.rate.min_nights });
    }
    if stay.nights() > room.rate.max_nights {
        return Err(DomainError::AboveMaximumStay { max: room.rate.max_nights });
    }
    if request.rooms == 0 || request.rooms > MAX_ROOMS_PER_BOOKING {
        return Err(DomainError::InvalidParty("a booking holds 1 to 5 rooms"));
    }
    if u32::from(request.rooms) > room.inventory {
        return Err(DomainError::TooManyRooms { rooms: request.rooms, inventory: room.inventory });
    }
    if request.guests < request.rooms {
        return Err(DomainError::InvalidParty("every room needs at least one guest"));
    }
    if u32::from(request.guests) > u32::from(room.max_occupancy) * u32::from(request.rooms) {
        return Err(DomainError::OverOccupancy { guests: request.guests, rooms: request.rooms, max_occupancy: room.max_occupancy });
    }
    let currency = hotel.currency();
    let taxes = hotel.taxes();
    let tourist_per_night = Money::new(taxes.tourist_tax_per_guest_night_minor, currency).checked_mul(i64::from(request.guests))?;
    let nights = stay
        .each_night()
        .map(|date| {
            let room_price = Money::new(room.rate.nightly_minor(date), currency).checked_mul(i64::from(request.rooms))?;
            let tax = room_price.percent_bp(taxes.percentage_bp)?;
            let total = room_price.checked_add(tax)?.checked_add(tourist_per_night)?;
            Ok(NightPrice { date, room: room_price, tax, tourist_tax: tourist_per_night, total })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    let total = Money::sum(currency, nights.iter().map(|n| n.total))?;
    Ok(Quote { request: request.clone(), nights, total })
}
