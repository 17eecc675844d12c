use booking_domain::{Booking, BookingRef, DomainError, GuestId, StayDates, StayRequest, available_rooms, quote};
use chrono::NaiveDate;

use crate::views::CancellationView;
use crate::views::ErrorBody;
use crate::{AppError, AvailabilityView, BookingView, RoomAvailability, RoomView, Services};

pub fn list_rooms(svc: &Services) -> Vec<RoomView> {
    let currency = svc.hotel.currency();
    svc.hotel
        .room_types()
        .iter()
        .map(|r| {
            let lowest = std::iter::once(r.rate.base_nightly_minor)
                .chain(r.rate.weekend_nightly_minor)
                .chain(r.rate.seasons.iter().map(|s| s.nightly_minor))
                .min()
                .unwrap_or(r.rate.base_nightly_minor);
            RoomView {
                id: r.id.to_string(),
                name: r.name.clone(),
                description: r.description.clone(),
                max_occupancy: r.max_occupancy,
                bed_type: r.bed_type,
                amenities: r.amenities.clone(),
                image: r.image.clone(),
                from_nightly: booking_domain::Money::new(lowest, currency),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
pub struct AvailabilityQuery {
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub guests: u8,
}

/// Every room type for the dates and party: how many rooms are free, the price, and why not when not.
pub async fn availability(svc: &Services, q: AvailabilityQuery) -> Result<AvailabilityView, AppError> {
    let stay = StayDates::new(q.check_in, q.check_out)?;
    if q.guests == 0 || q.guests > 20 {
        return Err(AppError::BadRequest { code: "invalid_guests", message: "guests must be between 1 and 20".into() });
    }
    let today = svc.hotel.local_date(svc.clock.now());
    stay.ensure_not_past(today)?;
    let nights: Vec<NaiveDate> = stay.each_night().collect();
    let mut rooms = Vec::new();
    for room in svc.hotel.room_types() {
        let needed = q.guests.div_ceil(room.max_occupancy).max(1);
        let counts = svc.store.night_counts(&room.id, &nights, room.inventory).await?;
        let available = available_rooms(&counts);
        let sold_out_nights = counts.iter().filter(|c| c.available() < u32::from(needed)).map(|c| c.date).collect::<Vec<_>>();
        let request = StayRequest { room_type: room.id.clone(), stay, guests: q.guests, rooms: needed };
        let (priced, reason) = match quote(&svc.hotel, &request, today) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(ErrorBody { code: e.code().into(), message: e.to_string() })),
        };
        rooms.push(RoomAvailability {
            room_type: room.id.to_string(),
            name: room.name.clone(),
            max_occupancy: room.max_occupancy,
            rooms_needed: needed,
            available,
            bookable: priced.is_some() && sold_out_nights.is_empty(),
            sold_out_nights,
            unavailable_reason: reason,
            nights: priced.as_ref().map(|p| p.nights.clone()).unwrap_or_default(),
            total: priced.map(|p| p.total),
        });
    }
    Ok(AvailabilityView {
        check_in: q.check_in,
        check_out: q.check_out,
        guests: q.guests,
        nights: stay.nights(),
        currency: svc.hotel.currency().to_string(),
        rooms,
    })
}

/// The signed-in guest's bookings, by check-in date.
pub async fn guest_bookings(svc: &Services, guest: &GuestId) -> Result<Vec<BookingView>, AppError> {
    let bookings = svc.store.bookings_for_guest(guest).await?;
    bookings.iter().map(|b| view_with_preview(svc, b)).collect()
}

pub async fn guest_booking(svc: &Services, guest: &GuestId, reference: &BookingRef) -> Result<BookingView, AppError> {
    let booking = owned_booking(svc, guest, reference).await?;
    view_with_preview(svc, &booking)
}

/// The booking as the guest sees it, with what cancelling now would do (for a confirmed booking).
pub(crate) fn view_with_preview(svc: &Services, booking: &Booking) -> Result<BookingView, AppError> {
    let cancellation = match booking.state() {
        booking_domain::BookingState::Confirmed => match svc.hotel.cancellation().preview(&svc.hotel, booking.quote(), svc.clock.now()) {
            Ok(preview) => Some(CancellationView::from(preview)),
            Err(e @ DomainError::CancellationClosed { closed_at }) => Some(CancellationView::Closed { closed_at, message: e.to_string() }),
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    Ok(BookingView::of(booking, cancellation))
}

/// Someone else's booking is reported exactly like a missing one: its existence is not disclosed.
pub(crate) async fn owned_booking(svc: &Services, guest: &GuestId, reference: &BookingRef) -> Result<Booking, AppError> {
    match svc.store.get_booking(reference).await? {
        Some(b) if b.guest() == guest => Ok(b),
        _ => Err(AppError::NotFound),
    }
}
