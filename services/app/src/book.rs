use aws_lc_rs::digest;
use booking_domain::{
    Action, Booking, BookingRef, BookingState, ContactPreference, GuestContact, GuestId, InventoryEffect, NewBooking, PaymentRef,
    RoomTypeId, StayDates, StayRequest, quote,
};
use booking_ports::{CreateIntent, HoldClaimed, IdempotencyClaim, IdempotencyCompletion, PaymentIntent, PaymentStatus};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::changes::{save_completing, transition};
use crate::idempotency::{LEASE, Retention, abandon, hash_of, once, owner_token, stored, taken};
use crate::ports::capacity;
use crate::{AppError, BookingView, ErrorCode, MoneyPorts, SettlePorts};

/// The body of `POST /api/bookings`. Unknown fields are refused so a typo never silently books the wrong thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    pub room_type: String,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub guests: u8,
    #[serde(default = "one")]
    pub rooms: u8,
    pub guest: GuestDetails,
}

fn one() -> u8 {
    1
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestDetails {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    pub notify_by: ContactPreference,
}

impl std::fmt::Debug for GuestDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestDetails").field("notify_by", &self.notify_by).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub intent_id: String,
    /// For the browser's card form (Stripe.js or the local card form); never logged.
    pub client_secret: String,
    pub status: PaymentStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingCreated {
    pub booking: BookingView,
    pub payment: PaymentView,
}

const KEY_RULE: &str = "Idempotency-Key must be 8 to 64 characters of letters, digits, '-' or '_'";

/// Prices the stay, holds the rooms (all nights or none) and opens a manual-capture payment for the total.
///
/// Idempotent twice over: the `Idempotency-Key` replays a completed result, and the booking reference is derived
/// from (guest, key), so even a retry whose first attempt crashed before recording its result finds the same hold
/// and the same payment intent instead of taking rooms again.
///
/// Two store round trips and one Stripe call when all goes well: the key's claim is written in the hold's
/// transaction, and its result in the transaction that records the payment intent (issue 15's budget,
/// `tests/e2e/tests/round_trips.rs`). Only a resumed attempt claims the key on its own.
pub async fn place_booking(
    ports: &MoneyPorts,
    guest: &GuestId,
    idempotency_key: &str,
    request: BookingRequest,
) -> Result<BookingCreated, AppError> {
    crate::metrics::booking_requested();
    let key_ok =
        (8..=64).contains(&idempotency_key.len()) && idempotency_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !key_ok {
        return Err(AppError::BadRequest { code: ErrorCode::InvalidIdempotencyKey, message: KEY_RULE.into() });
    }
    crate::fields::in_range("guests", request.guests, crate::fields::GUESTS)?;
    crate::fields::in_range("rooms", request.rooms, crate::fields::ROOMS)?;
    let svc = &ports.settle;
    let now = svc.clock.now();
    let stay_request = StayRequest {
        room_type: RoomTypeId::parse(&request.room_type)?,
        stay: StayDates::new(request.check_in, request.check_out)?,
        guests: request.guests,
        rooms: request.rooms,
    };
    let g = &request.guest;
    let contact = GuestContact::new(&g.name, &g.email, g.phone.as_deref(), g.notify_by)?;
    let priced = quote(&svc.hotel, &stay_request, svc.hotel.local_date(now))?;
    let reference = derived_reference(guest, idempotency_key);
    let new = NewBooking { reference, guest: guest.clone(), contact, quote: priced, now, hold_minutes: svc.hotel.hold_minutes() };
    let key = format!("booking:{}:{idempotency_key}", guest.as_str());
    let payload_hash = hash_of(&request);
    let wanted = Booking::hold(new);
    let capacity = capacity(&svc.hotel, &wanted.quote().request.room_type)?;
    let owner = owner_token();
    let claim = IdempotencyClaim { key: &key, payload_hash: &payload_hash, owner: &owner, now, lease: LEASE };
    match svc.changes.place_hold_claiming(&wanted, capacity, claim).await {
        Ok(HoldClaimed::Placed) => {
            crate::metrics::hold_placed(wanted.reference());
            match open_and_record_payment(svc, wanted, Some(Claimed { key: &key, owner: &owner })).await {
                Ok(created) => Ok(created),
                Err(e) => {
                    abandon(ports.idempotency.as_ref(), &key, &owner).await;
                    Err(e)
                }
            }
        }
        Ok(HoldClaimed::KeyTaken(begin)) => taken(begin),
        Err(booking_ports::StoreError::SoldOut { night }) => {
            crate::metrics::hold_rejected_sold_out();
            Err(AppError::SoldOut { night })
        }
        Err(booking_ports::StoreError::Conflict) => {
            // The reference exists and the key is free: an earlier attempt of this request that crashed after its
            // hold (its lease over), or one whose payment failed and released the rooms. Claim the key on its own
            // and resume what is there.
            let resumed =
                once(ports.idempotency.as_ref(), svc.clock.as_ref(), &key, &payload_hash, Retention::Request, || resume(svc, wanted))
                    .await?;
            Ok(resumed.into_inner())
        }
        Err(other) => Err(other.into()),
    }
}

fn derived_reference(guest: &GuestId, idempotency_key: &str) -> BookingRef {
    let d = digest::digest(&digest::SHA256, format!("{}\n{idempotency_key}", guest.as_str()).as_bytes());
    let mut bits = [0u8; 8];
    bits.copy_from_slice(&d.as_ref()[..8]);
    BookingRef::from_entropy(u64::from_be_bytes(bits))
}

/// The idempotency claim this attempt holds, to be completed with the result.
#[derive(Debug, Clone, Copy)]
struct Claimed<'a> {
    key: &'a str,
    owner: &'a str,
}

/// Picks up the booking an earlier attempt of the same request left: its own hold, if still held.
async fn resume(svc: &SettlePorts, wanted: Booking) -> Result<BookingCreated, AppError> {
    match svc.bookings.get_booking(wanted.reference()).await? {
        Some(existing)
            if existing.guest() == wanted.guest()
                && existing.quote().request == wanted.quote().request
                && existing.state() == BookingState::Held =>
        {
            open_and_record_payment(svc, existing, None).await
        }
        _ => Err(AppError::Conflict),
    }
}

/// Opens the hold's payment intent (or finds the one an earlier attempt opened) and records it on the booking,
/// completing `claimed` in the same write.
async fn open_and_record_payment(svc: &SettlePorts, held: Booking, claimed: Option<Claimed<'_>>) -> Result<BookingCreated, AppError> {
    tracing::info!(reference = %held.reference(), rooms = held.rooms(), "rooms held");
    if let Some(p) = held.payment() {
        let intent = svc.payments.retrieve(&p.intent_id).await?;
        return Ok(created(&held, intent));
    }
    let intent = open_payment(svc, &held).await?;
    let with_payment = held.with_payment(PaymentRef { intent_id: intent.id.clone() }, svc.clock.now());
    let result = created(&with_payment, intent);
    let value = stored(&result)?;
    let completion = claimed.map(|c| IdempotencyCompletion {
        key: c.key,
        owner: c.owner,
        result: &value,
        now: svc.clock.now(),
        ttl: Retention::Request.duration(),
    });
    save_completing(svc, &held, &with_payment, InventoryEffect::None, None, completion).await?;
    Ok(result)
}

fn created(booking: &Booking, intent: PaymentIntent) -> BookingCreated {
    BookingCreated {
        booking: BookingView::of(booking, None),
        payment: PaymentView { intent_id: intent.id, client_secret: intent.client_secret, status: intent.status },
    }
}

/// Creates the payment intent; if that fails the hold is released at once so no rooms stay blocked.
async fn open_payment(svc: &SettlePorts, held: &Booking) -> Result<PaymentIntent, AppError> {
    let request = CreateIntent {
        amount: held.quote().total,
        reference: held.reference().clone(),
        idempotency_key: format!("hold-{}", held.reference()),
        description: format!("{} – {}", svc.hotel.name(), held.reference()),
    };
    match svc.payments.create_intent(&request).await {
        Ok(intent) => Ok(intent),
        Err(e) => {
            tracing::warn!(reference = %held.reference(), error = %e, "payment intent failed; releasing hold");
            transition(svc, held, Action::Release, None).await?;
            Err(e.into())
        }
    }
}
