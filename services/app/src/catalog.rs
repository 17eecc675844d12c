use booking_domain::{Booking, BookingRef, DomainError, GuestId, Hotel, StayDates, StayRequest, available_rooms, quote};
use booking_ports::BookingReader;
use chrono::NaiveDate;
use chrono::{DateTime, Utc};

use crate::views::CancellationView;
use crate::views::ErrorBody;
use crate::{AppError, AvailabilityView, BookingView, ErrorCode, ReadPorts, RoomAvailability, RoomView};

pub fn list_rooms(hotel: &Hotel) -> Vec<RoomView> {
    let currency = hotel.currency();
    hotel
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
pub async fn availability(svc: &ReadPorts, q: AvailabilityQuery) -> Result<AvailabilityView, AppError> {
    let stay = StayDates::new(q.check_in, q.check_out)?;
    crate::fields::in_range("guests", q.guests, crate::fields::GUESTS)?;
    let today = svc.hotel.local_date(svc.clock.now());
    stay.ensure_not_past(today)?;
    let nights: Vec<NaiveDate> = stay.each_night().collect();
    let mut rooms = Vec::new();
    for room in svc.hotel.room_types() {
        let needed = q.guests.div_ceil(room.max_occupancy).max(1);
        let counts = svc.bookings.night_counts(&room.id, &nights, room.inventory).await?;
        let available = available_rooms(&counts);
        let sold_out_nights = counts.iter().filter(|c| c.available() < u32::from(needed)).map(|c| c.date).collect::<Vec<_>>();
        let request = StayRequest { room_type: room.id.clone(), stay, guests: q.guests, rooms: needed };
        let (priced, reason) = match quote(&svc.hotel, &request, today) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(ErrorBody { code: ErrorCode::from(&e), message: e.to_string() })),
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
pub async fn guest_bookings(svc: &ReadPorts, guest: &GuestId) -> Result<Vec<BookingView>, AppError> {
    let bookings = svc.bookings.bookings_for_guest(guest).await?;
    let now = svc.clock.now();
    let mut views = Vec::with_capacity(bookings.len());
    for booking in &bookings {
        let mut view = view_with_preview(&svc.hotel, now, booking)?;
        view.notifications = svc.deliveries.deliveries(booking.reference()).await?;
        views.push(view);
    }
    Ok(views)
}

pub async fn guest_booking(svc: &ReadPorts, guest: &GuestId, reference: &BookingRef) -> Result<BookingView, AppError> {
    // One store read: the booking and its message states together.
    let (booking, notifications) = match svc.bookings.booking_with_deliveries(reference).await? {
        Some((b, deliveries)) if b.guest() == guest => (b, deliveries),
        // Someone else's booking is reported exactly like a missing one (`owned_booking`).
        _ => return Err(AppError::NotFound),
    };
    let mut view = view_with_preview(&svc.hotel, svc.clock.now(), &booking)?;
    view.notifications = notifications;
    Ok(view)
}

/// The booking as the guest sees it, with what cancelling now would do (for a confirmed booking).
pub(crate) fn view_with_preview(hotel: &Hotel, now: DateTime<Utc>, booking: &Booking) -> Result<BookingView, AppError> {
    let cancellation = match booking.state() {
        booking_domain::BookingState::Confirmed => match hotel.cancellation().preview(hotel, booking.quote(), now) {
            Ok(preview) => Some(CancellationView::from(preview)),
            Err(e @ DomainError::CancellationClosed { closed_at }) => Some(CancellationView::Closed { closed_at, message: e.to_string() }),
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    Ok(BookingView::of(booking, cancellation))
}

/// Someone else's booking is reported exactly like a missing one: its existence is not disclosed.
pub(crate) async fn owned_booking(bookings: &dyn BookingReader, guest: &GuestId, reference: &BookingRef) -> Result<Booking, AppError> {
    match bookings.get_booking(reference).await? {
        Some(b) if b.guest() == guest => Ok(b),
        _ => Err(AppError::NotFound),
    }
}
