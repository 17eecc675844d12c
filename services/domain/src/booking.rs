use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{BookingRef, DomainError, GuestContact, GuestId, Money, Quote, RefundPreview};

/// Where a booking is in its life.
///
/// ```text
///  Held ──confirm──▶ Confirmed ──cancel──▶ Cancelled
///   │  ╲                 ╲──────refund──▶ Refunded
///   │   ╲──release──▶ Released
///   ╰──expire──▶ Expired ──reinstate──▶ Confirmed   (payment arrived late, rooms still free)
///                   ╰─────void────────▶ Cancelled   (payment arrived late, sold out: authorization voided)
/// ```
/// Held and Confirmed are the only states that occupy rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    Held,
    Confirmed,
    Cancelled,
    Refunded,
    Expired,
    Released,
}

impl BookingState {
    pub const ALL: [BookingState; 6] = [Self::Held, Self::Confirmed, Self::Cancelled, Self::Refunded, Self::Expired, Self::Released];

    pub fn occupies_rooms(self) -> bool {
        matches!(self, Self::Held | Self::Confirmed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
            Self::Expired => "expired",
            Self::Released => "released",
        }
    }

    /// The state machine, as one table. Anything not listed is refused.
    pub fn next(self, action: Action) -> Result<BookingState, DomainError> {
        use Action as A;
        use BookingState as S;
        match (self, action) {
            (S::Held, A::Confirm) => Ok(S::Confirmed),
            (S::Held, A::Expire) => Ok(S::Expired),
            (S::Held, A::Release) => Ok(S::Released),
            (S::Confirmed, A::Cancel) => Ok(S::Cancelled),
            (S::Confirmed, A::Refund) => Ok(S::Refunded),
            (S::Expired, A::Reinstate) => Ok(S::Confirmed),
            (S::Expired, A::Void) => Ok(S::Cancelled),
            (from, action) => Err(DomainError::TransitionRefused { from, action }),
        }
    }
}

impl fmt::Display for BookingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Confirm,
    Expire,
    Release,
    Cancel,
    Refund,
    Reinstate,
    Void,
}

impl Action {
    pub const ALL: [Action; 7] = [Self::Confirm, Self::Expire, Self::Release, Self::Cancel, Self::Refund, Self::Reinstate, Self::Void];
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::Confirm => "confirmed",
            Self::Expire => "expired",
            Self::Release => "released",
            Self::Cancel => "cancelled",
            Self::Refund => "refunded",
            Self::Reinstate => "reinstated",
            Self::Void => "voided",
        };
        f.write_str(s)
    }
}

/// What a transition does to the per-night room counters. Stores apply it in the same atomic write as the state
/// change, which is what keeps counts from drifting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InventoryEffect {
    /// Take `rooms` on every night, refusing if any night would exceed capacity.
    Take,
    /// Give `rooms` back on every night.
    Release,
    None,
}

impl InventoryEffect {
    pub fn between(from: BookingState, to: BookingState) -> Self {
        match (from.occupies_rooms(), to.occupies_rooms()) {
            (false, true) => Self::Take,
            (true, false) => Self::Release,
            _ => Self::None,
        }
    }
}

/// The payment provider's handle on this booking's money (a Stripe PaymentIntent id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRef {
    pub intent_id: String,
}

/// Everything needed to place a hold.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub reference: BookingRef,
    pub guest: GuestId,
    pub contact: GuestContact,
    pub quote: Quote,
    pub now: DateTime<Utc>,
    pub hold_minutes: u32,
}

/// The booking aggregate. Changes go through methods that return the next version, so the previous one stays
/// available for the store's optimistic check (`version`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    reference: BookingRef,
    guest: GuestId,
    contact: GuestContact,
    quote: Quote,
    state: BookingState,
    hold_expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    payment: Option<PaymentRef>,
    refund: Option<Money>,
    /// The provider's id for the refund once it was issued: a later cancel call must not refund again
    /// (providers forget idempotency keys after a day).
    #[serde(default)]
    refund_id: Option<String>,
    version: u64,
}

impl Booking {
    pub fn hold(new: NewBooking) -> Booking {
        Booking {
            reference: new.reference,
            guest: new.guest,
            contact: new.contact,
            quote: new.quote,
            state: BookingState::Held,
            hold_expires_at: new.now + Duration::minutes(i64::from(new.hold_minutes)),
            created_at: new.now,
            updated_at: new.now,
            payment: None,
            refund: None,
            refund_id: None,
            version: 1,
        }
    }

    pub fn reference(&self) -> &BookingRef {
        &self.reference
    }
    pub fn guest(&self) -> &GuestId {
        &self.guest
    }
    pub fn contact(&self) -> &GuestContact {
        &self.contact
    }
    pub fn quote(&self) -> &Quote {
        &self.quote
    }
    pub fn state(&self) -> BookingState {
        self.state
    }
    pub fn hold_expires_at(&self) -> DateTime<Utc> {
        self.hold_expires_at
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    pub fn payment(&self) -> Option<&PaymentRef> {
        self.payment.as_ref()
    }
    pub fn refund(&self) -> Option<Money> {
        self.refund
    }
    pub fn version(&self) -> u64 {
        self.version
    }
    pub fn refund_id(&self) -> Option<&str> {
        self.refund_id.as_deref()
    }
    pub fn rooms(&self) -> u8 {
        self.quote.request.rooms
    }

    pub fn is_hold_expired(&self, now: DateTime<Utc>) -> bool {
        self.state == BookingState::Held && now >= self.hold_expires_at
    }

    /// The next version after `action`, and what it does to inventory.
    pub fn apply(&self, action: Action, now: DateTime<Utc>) -> Result<(Booking, InventoryEffect), DomainError> {
        let to = self.state.next(action)?;
        let effect = InventoryEffect::between(self.state, to);
        Ok((Booking { state: to, updated_at: now, version: self.version + 1, ..self.clone() }, effect))
    }

    /// Cancels a confirmed booking under the refund preview: `Refund` when money goes back, `Cancel` when not.
    pub fn cancel(&self, preview: &RefundPreview, now: DateTime<Utc>) -> Result<(Booking, InventoryEffect), DomainError> {
        let action = if preview.refund.minor() > 0 { Action::Refund } else { Action::Cancel };
        let (mut next, effect) = self.apply(action, now)?;
        next.refund = Some(preview.refund);
        Ok((next, effect))
    }

    /// Records that the refund went out; no state change.
    pub fn with_refund_issued(&self, refund_id: String, now: DateTime<Utc>) -> Booking {
        Booking { refund_id: Some(refund_id), updated_at: now, version: self.version + 1, ..self.clone() }
    }

    /// Records the payment created for this hold; no state change.
    pub fn with_payment(&self, payment: PaymentRef, now: DateTime<Utc>) -> Booking {
        Booking { payment: Some(payment), updated_at: now, version: self.version + 1, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BookingState as S;

    #[test]
    fn every_transition_is_explicit() {
        let allowed = [
            (S::Held, Action::Confirm, S::Confirmed),
            (S::Held, Action::Expire, S::Expired),
            (S::Held, Action::Release, S::Released),
            (S::Confirmed, Action::Cancel, S::Cancelled),
            (S::Confirmed, Action::Refund, S::Refunded),
            (S::Expired, Action::Reinstate, S::Confirmed),
            (S::Expired, Action::Void, S::Cancelled),
        ];
        for from in S::ALL {
            for action in Action::ALL {
                let expected = allowed.iter().find(|(f, a, _)| *f == from && *a == action).map(|(_, _, to)| *to);
                match (from.next(action), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want),
                    (Err(DomainError::TransitionRefused { .. }), None) => {}
                    (got, want) => panic!("{from} + {action:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn inventory_effects() {
        assert_eq!(InventoryEffect::between(S::Held, S::Confirmed), InventoryEffect::None);
        assert_eq!(InventoryEffect::between(S::Held, S::Expired), InventoryEffect::Release);
        assert_eq!(InventoryEffect::between(S::Expired, S::Confirmed), InventoryEffect::Take);
        assert_eq!(InventoryEffect::between(S::Confirmed, S::Refunded), InventoryEffect::Release);
        assert_eq!(InventoryEffect::between(S::Expired, S::Cancelled), InventoryEffect::None);
    }
}
